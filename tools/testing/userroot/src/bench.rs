// SPDX-License-Identifier: GPL-2.0
//! `make bench`: what the user root costs at boot and what it saves at
//! hand-off, measured side by side in one run, reported as deltas and ratios
//! with their spread.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::Result;
use crate::qemu::{self, Accel, Arch, Boot};
use crate::workspace::{run, step, Workspace};
use crate::{image, kbuild, kernels, parser};

/// Boot-cost images: one file (a static `/init` of a few KiB and nothing
/// else), 16 MiB and 128 MiB.
const SIZES: &[(&str, &str)] = &[
    ("1 file", "bench-1-file"),
    ("16 MiB", "bench-16M"),
    ("128 MiB", "bench-128M"),
];
/// `initramfs_async=` values: 1, the default, leaves only the mount on
/// populate_rootfs's path; 0 puts the unpacking there too.
const ASYNC: &[&str] = &["1", "0"];
/// Hand-off methods: name in the guest, label, `initramfs_user_root=`.
const HANDOFFS: &[(&str, &str, &str)] = &[
    ("pivot", "pivot_root + umount (user root)", "1"),
    ("switch_root", "busybox switch_root (stock)", "0"),
    ("chroot", "MS_MOVE + chroot, --no-pivot (stock)", "0"),
    (
        "copy",
        "copy into a new tmpfs, MS_MOVE + chroot (LinuxKit; user root)",
        "1",
    ),
    (
        "copy",
        "copy into a new tmpfs, MS_MOVE + chroot (LinuxKit; stock)",
        "0",
    ),
];
/// The hand-off image: 10,000 files, 128 MiB.
const HANDOFF_IMAGE: &str = "bench-handoff";
const MEM_MIB: u32 = 1024;
const TIMEOUT: Duration = Duration::from_secs(180);

/// Median, minimum and maximum of some samples.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(samples: &[f64]) -> Self {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let median = if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        };
        Spread {
            median,
            min: s[0],
            max: s[n - 1],
        }
    }

    fn show(&self, scale: f64, digits: usize) -> String {
        let f = |v: f64| format!("{:.*}", digits, v / scale);
        if self.min == self.max {
            f(self.median)
        } else {
            format!("{} [{}–{}]", f(self.median), f(self.min), f(self.max))
        }
    }
}

/// How far the instruction-counted boots of one cell may differ, as a
/// fraction of the median: the kernel's part of a boot (up to /init)
/// repeats exactly; the hand-offs, run by the guest's programs while the
/// serial console takes their output, differed by up to 0.017 % (529.008
/// to 529.096 ms) on 2026-12-08.
const BOOT_COST_SPREAD: f64 = 0.0;
/// The same for a hand-off's time.
const HANDOFF_SPREAD: f64 = 0.001;

/// `what` and its range, if the boots of one cell differ by more than
/// `allowed` of their median.
fn differs(what: &str, values: &[f64], allowed: f64) -> Option<String> {
    let s = Spread::of(values);
    (values.len() > 1 && s.max - s.min > allowed * s.median.abs()).then(|| {
        format!(
            "{what}: {} to {} over {} boots (allowed: {} % of the median)",
            s.min,
            s.max,
            values.len(),
            allowed * 100.0
        )
    })
}

/// Timings of one boot-cost boot, in microseconds.
struct BootSample {
    populate_us: f64,
    run_init_us: f64,
    floor_us: f64,
}

/// Runs the benchmark for an architecture with `boots` boots per cell;
/// true when every boot gave its figures.
pub fn run_bench(ws: &Workspace, arch: &'static Arch, boots: usize) -> Result<bool> {
    let v = kbuild::main_variant(arch)?;
    let kernel = kbuild::build(ws, v, None)?;
    let populate = symbol_address(&ws.build(v.name).join("System.map"), "populate_rootfs")?;
    let out = ws.cache.join("bench").join(arch.name);
    fs::create_dir_all(&out)?;

    let mut report = String::new();
    writeln!(
        report,
        "# Initramfs user root: boot cost and hand-off ({})\n",
        arch.name
    )?;
    writeln!(
        report,
        "Linux {}, `{}` kernel, QEMU TCG, {MEM_MIB} MiB guest, 1 vCPU. \
         Guest time is instruction-counted (QEMU `-icount shift=0`: 1 ns per guest \
         instruction), so the figures measure work, not the host: read µs as thousands \
         of instructions. Figures are median [min–max] over {boots} boots per cell \
         (one number when all agree); the boots of a table alternate between its \
         columns, boot by boot. The kernel's part of a boot repeats exactly; the \
         hand-offs, run by the guest's programs, may differ by 0.1 % at most, or \
         the run fails.\n",
        ws.linux_source()?.trim(),
        v.name,
    )?;

    // 1. Boot cost, with the floor measured by every boot's /init.
    let mut floor = Vec::new();
    let mut rows = Vec::new();
    let mut ok = true;
    for (label, name) in SIZES {
        let initrd = kernels::image(ws, arch, image::find(name)?)?;
        let size_kib = fs::metadata(&initrd)?.len() as f64 / 1024.0;
        for mode in ASYNC {
            step(&format!(
                "bench: {label} initramfs, initramfs_async={mode}, {boots} boots with the user root on and off"
            ));
            let (mut on, mut off) = (Vec::new(), Vec::new());
            for n in 0..boots {
                for (flag, samples) in [("1", &mut on), ("0", &mut off)] {
                    let cmdline = format!(
                        "quiet initramfs_async={mode} initcall_debug ur_initcall={populate} \
                         initramfs_user_root={flag}"
                    );
                    let log = out.join(format!("{name}-async{mode}-{flag}-{n}.log"));
                    match boot_sample(arch, &kernel, &initrd, &cmdline, &log)? {
                        Some(s) => {
                            floor.push(s.floor_us);
                            samples.push(s);
                        }
                        None => {
                            eprintln!("bench: no figures in {}", log.display());
                            ok = false;
                        }
                    }
                }
            }
            if !on.is_empty() && !off.is_empty() {
                rows.push((*label, size_kib, *mode, on, off));
            }
        }
    }
    let floor = Spread::of(if floor.is_empty() {
        &[f64::NAN]
    } else {
        &floor
    });
    writeln!(
        report,
        "## Boot cost (`quiet initcall_debug`)\n\n\
         The floor: a bare tmpfs `mount` + `umount` by a static `/init` in the same guests, \
         {} µs (median of each boot's median of 9). Δ/floor is the user root's cost in \
         floors. With `initramfs_async=1` (the default) populate_rootfs only mounts and \
         enters the user root and queues the unpacking; with `initramfs_async=0` it also \
         waits for the unpacking.\n",
        floor.show(1.0, 1)
    )?;
    writeln!(
        report,
        "| initramfs (gzip) | async | populate_rootfs on (µs) | off (µs) | Δ (µs) | Δ/floor | /init starts on (ms) | off (ms) | Δ (µs) | Δ/floor |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|---|---|")?;
    let mut dat = String::from("# label async delta_populate_us delta_init_us floor_us\n");
    // Instruction-counted boots of one cell repeat exactly, or the figures
    // are not the work alone.
    let mut unrepeated = Vec::new();
    for (label, size_kib, mode, on, off) in &rows {
        for (flag, samples) in [("on", on), ("off", off)] {
            for (what, f) in [
                (
                    "populate_rootfs",
                    (|s: &BootSample| s.populate_us) as fn(&BootSample) -> f64,
                ),
                ("/init starts", |s| s.run_init_us),
            ] {
                let values: Vec<f64> = samples.iter().map(f).collect();
                unrepeated.extend(differs(
                    &format!("{label}, async={mode}, {flag}: {what} (µs)"),
                    &values,
                    BOOT_COST_SPREAD,
                ));
            }
        }
        let spread = |v: &[BootSample], f: fn(&BootSample) -> f64| {
            Spread::of(&v.iter().map(f).collect::<Vec<_>>())
        };
        let (pon, poff) = (
            spread(on, |s| s.populate_us),
            spread(off, |s| s.populate_us),
        );
        let (ion, ioff) = (
            spread(on, |s| s.run_init_us),
            spread(off, |s| s.run_init_us),
        );
        let (dp, di) = (pon.median - poff.median, ion.median - ioff.median);
        writeln!(
            report,
            "| {label} ({size_kib:.1} KiB) | {mode} | {} | {} | {dp:+.0} | {:.2} | {} | {} | {di:+.0} | {:.2} |",
            pon.show(1.0, 0),
            poff.show(1.0, 0),
            dp / floor.median,
            ion.show(1000.0, 3),
            ioff.show(1000.0, 3),
            di / floor.median,
        )?;
        writeln!(
            dat,
            "\"{label}, async={mode}\" {mode} {dp} {di} {}",
            floor.median
        )?;
    }

    // 2. Hand-off.
    writeln!(
        report,
        "\n## Hand-off from a 10,000-file / 128 MiB initramfs\n"
    )?;
    writeln!(
        report,
        "| method | time (ms) | memory returned (MiB) | of the initramfs in memory | MemAvailable at its lowest during it, below before (MiB) |"
    )?;
    writeln!(report, "|---|---|---|---|---|")?;
    let initrd = kernels::image(ws, arch, image::find(HANDOFF_IMAGE)?)?;
    type Samples = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut samples: Vec<Samples> = HANDOFFS.iter().map(|_| Default::default()).collect();
    step(&format!(
        "bench: hand-off, {boots} boots of each method, alternating"
    ));
    for n in 0..boots {
        for (i, (method, _, flag)) in HANDOFFS.iter().enumerate() {
            let cmdline = format!("ur_handoff={method} initramfs_user_root={flag}");
            let log = out.join(format!("handoff-{method}-{flag}-{n}.log"));
            match handoff_sample(arch, &kernel, &initrd, &cmdline, &log)? {
                Ok(s) => {
                    samples[i].0.push(s.ms);
                    samples[i].1.push(s.freed_kib);
                    samples[i].2.push(100.0 * s.freed_kib / s.initramfs_kib);
                    samples[i].3.extend(s.dip_kib);
                }
                Err(why) => {
                    eprintln!("bench: {why} in {}", log.display());
                    ok = false;
                }
            }
        }
    }
    for ((_, label, _), (ms, freed, fraction, dip)) in HANDOFFS.iter().zip(&samples) {
        if ms.is_empty() {
            continue;
        }
        unrepeated.extend(differs(
            &format!("hand-off, {label} (ms)"),
            ms,
            HANDOFF_SPREAD,
        ));
        writeln!(
            report,
            "| {label} | {} | {} | {} % | {} |",
            Spread::of(ms).show(1.0, 1),
            Spread::of(freed).show(1024.0, 1),
            Spread::of(fraction).show(1.0, 1),
            if dip.is_empty() {
                "(not sampled)".to_string()
            } else {
                Spread::of(dip).show(1024.0, 1)
            },
        )?;
    }
    writeln!(
        report,
        "\nThe copy is what LinuxKit's init does when `/` is a ramfs or tmpfs \
         (`statfs`), whatever the kernel: every file into a new tmpfs, each \
         removed once copied, then `MS_MOVE` + `chroot`; an init that reads \
         `/`'s mount ID and parent ID instead (different: `pivot_root` works) \
         can take the first row's way out, and skips the copy's time and \
         its low point."
    )?;
    writeln!(
        report,
        "\n\"Of the initramfs in memory\" divides the MemAvailable gained by the tmpfs \
         blocks the initramfs used; freed inodes and dentries can take it past 100 %."
    )?;

    if !unrepeated.is_empty() {
        writeln!(
            report,
            "\n## Boots that did not repeat\n\nInstruction-counted boots of one cell gave \
             different figures, so those figures are not the work alone:\n"
        )?;
        for u in &unrepeated {
            eprintln!("bench: instruction-counted boots differ: {u}");
            writeln!(report, "- {u}")?;
        }
        ok = false;
    }

    // 3. The distributions' generators, handing over to a disk.
    if arch.debian == "amd64" {
        ok &= generators(ws, boots, &out, &mut report)?;
    }
    if dat.lines().count() > 1 {
        let png = plot(&out, &dat)?;
        writeln!(
            report,
            "\n![the user root's cost against the floor]({})",
            png.display()
        )?;
    }
    let path = out.join("report.md");
    fs::write(&path, &report)?;
    let command = match arch.name {
        "x86_64" => format!("make bench BOOTS={boots}"),
        other => format!("make bench ARCH={other} BOOTS={boots}"),
    };
    let results = ws.write_results(
        &format!("bench-{}.md", arch.name),
        &command,
        &format!(
            "Boot cost and hand-off, user root on and off ({})",
            arch.name
        ),
        // The plot stays in the cache, beside the report.
        report
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .split("\n![")
            .next()
            .unwrap_or("")
            .trim_start(),
    )?;
    println!("\n{report}");
    println!("report: {}; results: {}", path.display(), results.display());
    Ok(ok)
}

/// Images made by the distributions' generators, each booted to the ext4
/// disk with the user root and without: MemAvailable once the disk's init
/// runs.
const GENERATED: &[&str] = &["initramfs-tools", "dracut"];

/// The generators' table; true when every boot gave its figure.
fn generators(ws: &Workspace, boots: usize, out: &Path, report: &mut String) -> Result<bool> {
    let v = crate::config::variant(image::GENERATED_FOR)?;
    let kernel = kbuild::build(ws, v, None)?;
    let disk = kernels::image(ws, v.arch, image::find("disk")?)?;
    writeln!(
        report,
        "\n## Hand-off by the distributions' generators (`{}` kernel, ext4 disk)\n\n\
         MemAvailable as the disk's init starts, after the generator's own switch \
         (run-init: empty the initramfs, move the disk over it; systemd: pivot_root \
         and detach the initramfs, or empty it and move the disk over it).\n",
        v.name
    )?;
    writeln!(
        report,
        "| image | size (KiB) | MemAvailable on (MiB) | off (MiB) | Δ (MiB) |"
    )?;
    writeln!(report, "|---|---|---|---|---|")?;
    let mut ok = true;
    for name in GENERATED {
        let initrd = kernels::image(ws, v.arch, image::find(name)?)?;
        step(&format!(
            "bench: {name} image, {boots} boots with the user root on and off"
        ));
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for n in 0..boots {
            for (flag, samples) in [("1", &mut on), ("0", &mut off)] {
                let log = out.join(format!("{name}-{flag}-{n}.log"));
                let boot = Boot {
                    arch: v.arch,
                    kernel: &kernel,
                    initrd: Some(&initrd),
                    disk: Some(&disk),
                    cmdline: &format!(
                        "root=/dev/vda rootfstype=ext4 rw initramfs_user_root={flag}"
                    ),
                    mem_mib: MEM_MIB,
                    cpus: 1,
                    log: &log,
                    timeout: TIMEOUT,
                    icount: false,
                };
                let booted = qemu::boot(Accel::Tcg, &boot)?;
                let report = parser::parse(&String::from_utf8_lossy(&fs::read(&log)?));
                let figure = report
                    .get("mem_available_kb")
                    .and_then(|v| v.parse::<f64>().ok());
                match figure {
                    _ if booted.timed_out => {
                        eprintln!("bench: timed out; log: {}", log.display());
                        ok = false;
                    }
                    _ if !report.trouble.is_empty() => {
                        eprintln!(
                            "bench: kernel trouble in {}: {:?}",
                            log.display(),
                            report.trouble
                        );
                        ok = false;
                    }
                    Some(kb) if kb > 0.0 && report.get("init") == Some("/sbin/init") => {
                        samples.push(kb)
                    }
                    _ => {
                        eprintln!("bench: no figure in {}", log.display());
                        ok = false;
                    }
                }
            }
        }
        if on.is_empty() || off.is_empty() {
            continue;
        }
        let (son, soff) = (Spread::of(&on), Spread::of(&off));
        writeln!(
            report,
            "| {name} | {:.0} | {} | {} | {:+.1} |",
            fs::metadata(&initrd)?.len() as f64 / 1024.0,
            son.show(1024.0, 1),
            soff.show(1024.0, 1),
            (son.median - soff.median) / 1024.0
        )?;
    }
    Ok(ok)
}

/// One instruction-counted boot from `initrd`: the serial log and its
/// report. A QEMU that fails is an error, never an old log read again.
fn bench_boot(
    arch: &Arch,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<(String, parser::Report)> {
    let boot = Boot {
        arch,
        kernel,
        initrd: Some(initrd),
        disk: None,
        cmdline,
        mem_mib: MEM_MIB,
        cpus: 1,
        log,
        timeout: TIMEOUT,
        icount: true,
    };
    // Instruction counting needs TCG.
    let booted = qemu::boot(Accel::Tcg, &boot)?;
    if booted.timed_out {
        return Err(format!("bench boot timed out; log: {}", log.display()).into());
    }
    let text = String::from_utf8_lossy(&fs::read(log)?).into_owned();
    let report = parser::parse(&text);
    if !report.trouble.is_empty() {
        return Err(format!("kernel trouble in {}: {:?}", log.display(), report.trouble).into());
    }
    Ok((text, report))
}

/// One boot-cost boot: the `initcall_debug` time of `populate_rootfs`, the
/// timestamp of "Run /init", both from the log the guest copies out, and
/// the guest's floor.
fn boot_sample(
    arch: &Arch,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<Option<BootSample>> {
    let (_, report) = bench_boot(arch, kernel, initrd, cmdline, log)?;
    let populate_us = report.display.iter().find_map(|l| {
        let rest = l.split("initcall ").nth(1)?;
        rest.split(" after ")
            .nth(1)?
            .split(' ')
            .next()?
            .parse()
            .ok()
    });
    let run_init_us = report
        .display
        .iter()
        .find(|l| l.contains("Run /init"))
        .and_then(|l| parser::timestamp_us(l));
    let floor_us = report
        .get("floor_ns")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|ns| ns / 1000.0);
    Ok(match (populate_us, run_init_us, floor_us) {
        // Each a time after the boot began: a zero or less is a misread.
        (Some(populate_us), Some(run_init_us), Some(floor_us))
            if populate_us > 0.0 && run_init_us > populate_us && floor_us > 0.0 =>
        {
            Some(BootSample {
                populate_us,
                run_init_us,
                floor_us,
            })
        }
        _ => None,
    })
}

/// What one hand-off boot measured.
struct HandoffSample {
    /// Between the guest's marks before and after the hand-off.
    ms: f64,
    /// MemAvailable gained.
    freed_kib: f64,
    /// What the initramfs occupied (tmpfs blocks in use).
    initramfs_kib: f64,
    /// How far MemAvailable fell below its value before, at its lowest
    /// during the hand-off, where the method reports it (the copy).
    dip_kib: Option<f64>,
}

/// One hand-off boot: its figures, or why there are none (the guest's
/// `handoff=` report where it has one).
fn handoff_sample(
    arch: &Arch,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<std::result::Result<HandoffSample, String>> {
    let (text, report) = bench_boot(arch, kernel, initrd, cmdline, log)?;
    let mark = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!("UR-MARK {name}")))
            .and_then(parser::timestamp_us)
    };
    let kb = |key: &str| report.get(key).and_then(|v| v.parse::<f64>().ok());
    Ok(
        match (
            mark("start"),
            mark("after"),
            kb("mem_before_kb"),
            kb("mem_after_kb"),
            kb("initramfs_kb"),
        ) {
            (Some(t0), Some(t1), Some(m0), Some(m1), Some(size)) if t1 > t0 && size > 0.0 => {
                Ok(HandoffSample {
                    ms: (t1 - t0) / 1000.0,
                    freed_kib: m1 - m0,
                    initramfs_kib: size,
                    dip_kib: kb("copy_min_mem_kb").map(|min| m0 - min),
                })
            }
            _ => Err(report
                .get("handoff")
                .map_or("(no figures)".into(), |h| format!("hand-off {h}"))),
        },
    )
}

/// A figure of this benchmark that `make compare` takes on any kernel,
/// one instruction-counted boot per kernel.
pub enum Figure {
    /// `populate_rootfs`'s initcall time and when /init starts, with the
    /// boot-cost image of this [`SIZES`] label.
    BootCost(&'static str),
    /// Leaving the hand-off image by this [`HANDOFFS`] method.
    Handoff(&'static str),
}

impl Figure {
    /// The benchmark's image this figure boots; none where the benchmark
    /// has no such image or method.
    pub fn image(&self) -> Option<&'static str> {
        match self {
            Figure::BootCost(label) => SIZES.iter().find(|(l, _)| l == label).map(|(_, n)| *n),
            Figure::Handoff(method) => HANDOFFS
                .iter()
                .any(|(m, _, _)| m == method)
                .then_some(HANDOFF_IMAGE),
        }
    }
}

/// How a kernel's `initcall_debug` lines name `populate_rootfs`: by name
/// where it has kallsyms, else by address (from its System.map).
pub fn populate_rootfs_name(config: &Path, system_map: Option<&Path>) -> Result<String> {
    if fs::read_to_string(config)?
        .lines()
        .any(|l| l == "CONFIG_KALLSYMS=y")
    {
        return Ok("populate_rootfs+".into());
    }
    let map = system_map.ok_or("no kallsyms and no System.map")?;
    symbol_address(map, "populate_rootfs")
}

/// One boot of `figure` on `kernel`, as a table cell; `populate` names
/// `populate_rootfs` as [`populate_rootfs_name`] says. The command line is
/// the same for every kernel (a larger log buffer, as a distribution
/// kernel's `initcall_debug` fills the default one).
pub fn measure(
    ws: &Workspace,
    arch: &Arch,
    figure: &Figure,
    kernel: &Path,
    populate: &str,
    log: &Path,
) -> Result<String> {
    let name = figure
        .image()
        .ok_or("a figure the benchmark does not take")?;
    let initrd = kernels::image(ws, arch, image::find(name)?)?;
    Ok(match figure {
        Figure::BootCost(_) => {
            let cmdline = format!("quiet initcall_debug log_buf_len=4M ur_initcall={populate}");
            match boot_sample(arch, kernel, &initrd, &cmdline, log)? {
                Some(s) => format!(
                    "{:.0} µs, /init at {:.1} ms",
                    s.populate_us,
                    s.run_init_us / 1000.0
                ),
                None => "(no figures)".into(),
            }
        }
        Figure::Handoff(method) => {
            let cmdline = format!("ur_handoff={method}");
            match handoff_sample(arch, kernel, &initrd, &cmdline, log)? {
                Ok(s) => {
                    let dip = s.dip_kib.map_or(String::new(), |d| {
                        format!(", {:.1} MiB less at its lowest", d / 1024.0)
                    });
                    format!(
                        "{:.1} ms, {:.1} MiB back ({:.0} %){dip}",
                        s.ms,
                        s.freed_kib / 1024.0,
                        100.0 * s.freed_kib / s.initramfs_kib
                    )
                }
                Err(why) => why,
            }
        }
    })
}

/// How `%pS` prints `name` without kallsyms: its address, from System.map.
fn symbol_address(map: &Path, name: &str) -> Result<String> {
    let text = fs::read_to_string(map)?;
    text.lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            let (addr, _, sym) = (f.next()?, f.next()?, f.next()?);
            (sym == name).then(|| format!("0x{addr}"))
        })
        .ok_or_else(|| format!("{name} not in {}", map.display()).into())
}

/// What the reader needs: per image and mode, the user root's extra time
/// in populate_rootfs and until /init starts, beside the floor of one bare
/// tmpfs mount + umount.
fn plot(out: &Path, dat: &str) -> Result<PathBuf> {
    let data = out.join("boot.dat");
    fs::write(&data, dat)?;
    let png = out.join("boot.png");
    let script = format!(
        "set terminal pngcairo noenhanced size 900,480; set output '{}';\
         set title 'Cost of the user root (on - off, instruction-counted, median)';\
         set ylabel 'µs (thousands of instructions)'; set yrange [0:*];\
         set style data histogram; set style histogram cluster gap 1;\
         set style fill solid 0.8 border -1; set grid ytics; set xtics rotate by -20;\
         plot '{}' using 3:xtic(1) title 'Δ populate_rootfs',\
         '' using 4 title 'Δ time to /init',\
         '' using 5 title 'floor: tmpfs mount + umount'",
        png.display(),
        data.display()
    );
    run(Command::new("gnuplot").arg("-e").arg(script))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boots_that_differ_beyond_their_allowance_are_named() {
        assert_eq!(differs("x", &[5.0, 5.0], BOOT_COST_SPREAD), None);
        assert!(differs("x", &[5.0, 5.001], BOOT_COST_SPREAD).is_some());
        assert_eq!(differs("x", &[529.008, 529.096], HANDOFF_SPREAD), None);
        assert!(differs("x", &[529.0, 530.0], HANDOFF_SPREAD).is_some());
        assert_eq!(differs("x", &[5.0], BOOT_COST_SPREAD), None);
    }
}
