// SPDX-License-Identifier: GPL-2.0
//! `make bench`: what the user root costs at boot and what it saves at
//! hand-off, measured side by side in one run, reported as ratios with their
//! spread.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::qemu::{self, Accel, Boot};
use crate::workspace::{run, step, Workspace};
use crate::{config, image, kbuild, parser, Result};

/// Boot-cost images: one file (a static `/init`), 16 MiB and 128 MiB.
const SIZES: &[(&str, &str)] = &[
    ("1 file", "bench-1-file"),
    ("16 MiB", "bench-16M"),
    ("128 MiB", "bench-128M"),
];
/// Hand-off methods: name in the guest, label, `initramfs_user_root=`.
const HANDOFFS: &[(&str, &str, &str)] = &[
    ("pivot", "pivot_root + umount (user root)", "1"),
    ("switch_root", "busybox switch_root (stock)", "0"),
    ("chroot", "MS_MOVE + chroot, --no-pivot (stock)", "0"),
];
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
        format!("{} [{}–{}]", f(self.median), f(self.min), f(self.max))
    }
}

/// Timings of one boot-cost boot, in microseconds.
struct BootSample {
    populate_us: f64,
    run_init_us: f64,
}

/// Runs the benchmark with `boots` boots per point; true when every boot
/// gave its figures.
pub fn run_bench(ws: &Workspace, boots: usize) -> Result<bool> {
    let kernel = kbuild::build(ws, config::variant("default")?)?;
    let populate = symbol_address(&ws.build("default").join("System.map"), "populate_rootfs")?;
    let accel = qemu::choose_accel(|_| false)?;
    let out = ws.cache.join("bench");
    fs::create_dir_all(&out)?;

    let mut report = String::new();
    writeln!(report, "# Initramfs user root: boot cost and hand-off\n")?;
    writeln!(
        report,
        "Linux {}, `default` kernel, QEMU {accel:?}, {} MiB guest, 1 vCPU, on {} host CPUs. \
         Guest time is instruction-counted (QEMU `-icount shift=0`: 1 ns per guest \
         instruction), so the figures measure work and repeat exactly; wall-clock TCG \
         timings on this host varied by ±30 % between identical boots. Read the deltas \
         and ratios, not the absolute times. \
         Figures are median [min–max] over {boots} boots per cell, on and off interleaved.\n",
        fs::read_to_string(ws.cache.join("src/VERSION"))?.trim(),
        MEM_MIB,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    )?;

    // 1. Boot cost.
    writeln!(
        report,
        "## Boot cost (`quiet initramfs_async=0 initcall_debug`)\n\n\
         `quiet` keeps the serial console, slow under TCG, out of both modes.\n"
    )?;
    writeln!(
        report,
        "| initramfs | populate_rootfs on (µs) | off (µs) | Δ (µs) | on/off | /init starts on (ms) | off (ms) | Δ (ms) |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|")?;
    let mut dat = String::from("# size populate_on populate_off\n");
    let mut ok = true;
    for (i, (label, name)) in SIZES.iter().enumerate() {
        let initrd = image::build(ws, image::find(name)?)?;
        let (mut on, mut off) = (Vec::new(), Vec::new());
        step(&format!(
            "bench: {label} initramfs, {boots} boots each with the user root on and off"
        ));
        for n in 0..boots {
            for (flag, samples) in [("1", &mut on), ("0", &mut off)] {
                let cmdline = format!(
                    "quiet initramfs_async=0 initcall_debug ur_initcall={populate} \
                     initramfs_user_root={flag}"
                );
                let log = out.join(format!("{name}-{flag}-{n}.log"));
                match boot_sample(accel, &kernel, &initrd, &cmdline, &log)? {
                    Some(s) => samples.push(s),
                    None => {
                        eprintln!("bench: no figures in {}", log.display());
                        ok = false;
                    }
                }
            }
        }
        if on.is_empty() || off.is_empty() {
            continue;
        }
        let pop =
            |v: &[BootSample]| Spread::of(&v.iter().map(|s| s.populate_us).collect::<Vec<_>>());
        let init =
            |v: &[BootSample]| Spread::of(&v.iter().map(|s| s.run_init_us).collect::<Vec<_>>());
        let (pon, poff, ion, ioff) = (pop(&on), pop(&off), init(&on), init(&off));
        writeln!(
            report,
            "| {label} | {} | {} | {:+.0} | {:.3} | {} | {} | {:+.1} |",
            pon.show(1.0, 0),
            poff.show(1.0, 0),
            pon.median - poff.median,
            pon.median / poff.median,
            ion.show(1000.0, 1),
            ioff.show(1000.0, 1),
            (ion.median - ioff.median) / 1000.0,
        )?;
        writeln!(dat, "{i} \"{label}\" {} {}", pon.median, poff.median)?;
    }

    // 2. Hand-off.
    writeln!(
        report,
        "\n## Hand-off from a 10,000-file / 128 MiB initramfs\n"
    )?;
    writeln!(
        report,
        "| method | time (ms) | memory returned (MiB) | of the initramfs in memory |"
    )?;
    writeln!(report, "|---|---|---|---|")?;
    let initrd = image::build(ws, image::find("bench-handoff")?)?;
    let handoff_boots = boots;
    for (method, label, flag) in HANDOFFS {
        step(&format!(
            "bench: hand-off by {method}, {handoff_boots} boots"
        ));
        let (mut ms, mut freed, mut fraction) = (Vec::new(), Vec::new(), Vec::new());
        for n in 0..handoff_boots {
            let cmdline = format!("ur_handoff={method} initramfs_user_root={flag}");
            let log = out.join(format!("handoff-{method}-{n}.log"));
            match handoff_sample(accel, &kernel, &initrd, &cmdline, &log)? {
                Some(s) => {
                    ms.push(s.ms);
                    freed.push(s.freed_kib);
                    fraction.push(100.0 * s.freed_kib / s.initramfs_kib);
                }
                None => {
                    eprintln!("bench: no figures in {}", log.display());
                    ok = false;
                }
            }
        }
        if ms.is_empty() {
            continue;
        }
        writeln!(
            report,
            "| {label} | {} | {} | {} % |",
            Spread::of(&ms).show(1.0, 1),
            Spread::of(&freed).show(1024.0, 1),
            Spread::of(&fraction).show(1.0, 1),
        )?;
    }

    writeln!(
        report,
        "\n\"Of the initramfs in memory\" divides the MemAvailable gained by the tmpfs \
         blocks the initramfs used; freed inodes and dentries can take it past 100 %."
    )?;
    if dat.lines().count() > 1 {
        let png = plot(&out, &dat)?;
        writeln!(report, "\n![populate_rootfs time]({})", png.display())?;
    }
    let path = out.join("report.md");
    fs::write(&path, &report)?;
    println!("\n{report}");
    println!("report: {}", path.display());
    Ok(ok)
}

/// One instruction-counted boot from `initrd`: the serial log and its
/// report.
fn bench_boot(
    accel: Accel,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<(String, parser::Report)> {
    let boot = Boot {
        kernel,
        initrd: Some(initrd),
        disk: None,
        cmdline,
        mem_mib: MEM_MIB,
        log,
        timeout: TIMEOUT,
        icount: true,
    };
    qemu::boot(accel, &boot)?;
    let text = String::from_utf8_lossy(&fs::read(log)?).into_owned();
    let report = parser::parse(&text);
    Ok((text, report))
}

/// One boot-cost boot: the `initcall_debug` time of `populate_rootfs` and
/// the timestamp of "Run /init", both from the log the guest copies out.
fn boot_sample(
    accel: Accel,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<Option<BootSample>> {
    let (_, report) = bench_boot(accel, kernel, initrd, cmdline, log)?;
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
    Ok(populate_us.zip(run_init_us).map(|(p, r)| BootSample {
        populate_us: p,
        run_init_us: r,
    }))
}

/// What one hand-off boot measured.
struct HandoffSample {
    /// Between the guest's marks before and after the hand-off.
    ms: f64,
    /// MemAvailable gained.
    freed_kib: f64,
    /// What the initramfs occupied (tmpfs blocks in use).
    initramfs_kib: f64,
}

/// One hand-off boot.
fn handoff_sample(
    accel: Accel,
    kernel: &Path,
    initrd: &Path,
    cmdline: &str,
    log: &Path,
) -> Result<Option<HandoffSample>> {
    let (text, report) = bench_boot(accel, kernel, initrd, cmdline, log)?;
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
            (Some(t0), Some(t1), Some(m0), Some(m1), Some(size)) => Some(HandoffSample {
                ms: (t1 - t0) / 1000.0,
                freed_kib: m1 - m0,
                initramfs_kib: size,
            }),
            _ => None,
        },
    )
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

/// A bar chart of populate_rootfs time, on against off, with gnuplot.
fn plot(out: &Path, dat: &str) -> Result<PathBuf> {
    let data = out.join("boot.dat");
    fs::write(&data, dat)?;
    let png = out.join("boot.png");
    let script = format!(
        "set terminal pngcairo noenhanced size 800,450; set output '{}';\
         set title 'populate_rootfs (initcall_debug, instruction-counted), median'; set ylabel 'µs';\
         set style data histogram; set style histogram cluster gap 1;\
         set style fill solid 0.8 border -1; set logscale y; set grid ytics;\
         plot '{}' using 3:xtic(2) title 'user root on', '' using 4 title 'off (stock)'",
        png.display(),
        data.display()
    );
    run(Command::new("gnuplot").arg("-e").arg(script))?;
    Ok(png)
}
