// SPDX-License-Identifier: GPL-2.0
//! `make compare`: the scenarios that need no switch of ours, booted on
//! Debian 13's own 6.12 kernel, on this series and on Debian's 7.x kernel
//! (mainline with nullfs), one table row per behaviour, every cell what a
//! boot reported.
//!
//! The series' column boots the scenario as `make test` does; Debian's
//! kernels boot the same initramfs (with their disk modules appended) and
//! command line.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::Toolchain;
use crate::debian::{self, DebianKernel, Fetched};
use crate::engine::{self, Prepared, Runner};
use crate::error::Result;
use crate::parser::Report;
use crate::pool;
use crate::qemu::{Accel, Arch, X86_64};
use crate::scenarios;
use crate::workspace::{elapsed, step, Workspace};
use crate::{bench, image, kbuild};

/// What a cell shows of a scenario's boot.
pub enum Cell {
    /// The guest's report of a key.
    Key(&'static str),
    /// The first kernel or guest line that contains this text, from it on.
    Line(&'static str),
    /// Whether the guest reported two keys the same: the first text if so,
    /// else the second.
    Equal(&'static str, &'static str, &'static str, &'static str),
    /// What a runtime's rule decided there (the guest's report of a key),
    /// and whether `pivot_root(2)`, tried by the same boot, made its
    /// work-around needed.
    Decision(&'static str),
}

/// What a row boots on each kernel.
pub enum Boots {
    /// A scenario (its initramfs, disk and command line), and what of its
    /// report the cell shows, joined by ", ".
    Scenario(&'static str, &'static [Cell]),
    /// A figure of `make bench`: one instruction-counted boot of its image.
    Bench(bench::Figure),
}

/// One behaviour or figure: what the table's first column says, and what
/// is booted for it.
pub struct Row {
    /// The behaviour, as the table's first column says it.
    pub what: &'static str,
    /// What each column boots.
    pub boots: Boots,
}

/// What a generator's hand-off to the disk shows: `/` just before the
/// switch (fs, its own parent), whether the disk was mounted on it, the
/// disk's init.
const HANDED_OVER: &[Cell] = &[
    Cell::Key("handoff_root_fs"),
    Cell::Key("handoff_root_own_parent"),
    Cell::Equal(
        "root_parent_id",
        "handoff_root_id",
        "beneath the disk",
        "detached",
    ),
    Cell::Key("init"),
];

/// The rows, by x86_64 scenario; arm64 shows the rows whose scenario has
/// an arm64 twin (`arm64-<name>`), and the figures.
pub const ROWS: &[Row] = &[
    Row {
        what: "`/` in mountinfo: id, parent id, fs, source",
        boots: Boots::Scenario(
            "external-initramfs",
            &[Cell::Key("root_mount")],
        ),
    },
    Row {
        what: "what an init or a runtime can read instead: `/` is not its own parent in mountinfo (ID ≠ parent ID); does pivot_root(2)'s outcome agree",
        boots: Boots::Scenario("external-initramfs", &[Cell::Key("rule_agrees")]),
    },
    Row {
        what: "LXC's rule (`detect_ramfs_rootfs()`: a `/` line of mountinfo with `- rootfs `): what it does, and whether it had to",
        boots: Boots::Scenario("external-initramfs", &[Cell::Decision("rule_lxc")]),
    },
    Row {
        what: "Kata's agent (`get_mount_fs_type(\"/\")`, the first `/` of mountstats, `== \"rootfs\"`): the same",
        boots: Boots::Scenario("external-initramfs", &[Cell::Decision("rule_kata")]),
    },
    Row {
        what: "minikube's provisioner (`df --output=fstype /` says `rootfs`: `DOCKER_RAMDISK`): the same",
        boots: Boots::Scenario("external-initramfs", &[Cell::Decision("rule_minikube")]),
    },
    Row {
        what: "LinuxKit's init (`statfs(\"/\")` is ramfs or tmpfs: copy the initramfs into a new tmpfs): the same",
        boots: Boots::Scenario("external-initramfs", &[Cell::Decision("rule_linuxkit")]),
    },
    Row {
        what: "the first kernel line that mentions rootfs, from the word on",
        boots: Boots::Scenario(
            "external-initramfs",
            &[Cell::Line("rootfs")],
        ),
    },
    Row {
        what: "pivot_root(2) from the external initramfs; old root unmounted; its memory back",
        boots: Boots::Scenario(
            "external-initramfs",
            &[
                Cell::Key("pivot_root"),
                Cell::Key("umount_old"),
                Cell::Key("old_root_freed"),
            ],
        ),
    },
    Row {
        what: "kselftest filesystems/pivot_root",
        boots: Boots::Scenario(
            "kselftest",
            &[Cell::Line("# Totals:")],
        ),
    },
    Row {
        what: "unshare -m + pivot_root + umount (runc's and bubblewrap's path)",
        boots: Boots::Scenario(
            "client-unshare",
            &[Cell::Key("unshare_pivot")],
        ),
    },
    Row {
        what: "runc (Debian 12) runs a container",
        boots: Boots::Scenario(
            "client-runc",
            &[Cell::Key("runc")],
        ),
    },
    Row {
        what: "bubblewrap 0.8 (Debian 12) runs a command in a sandbox",
        boots: Boots::Scenario("client-bwrap", &[Cell::Key("bwrap")]),
    },
    Row {
        what: "Nix 2.8 (Debian 12's nix-bin) builds a derivation in its sandbox (which pivots into the build's root)",
        boots: Boots::Scenario("client-nix", &[Cell::Key("nix")]),
    },
    Row {
        what:
            "LXC 5.0: how it enters the container's root; can the container reach the host's root",
        boots: Boots::Scenario(
            "client-lxc",
            &[
                Cell::Key("lxc_start"),
                Cell::Key("lxc_root_switch"),
                Cell::Key("container_escape"),
            ],
        ),
    },
    Row {
        what: "Docker 20.10 (dockerd, containerd, runc): `docker run --rm`; can the container reach the host's root",
        boots: Boots::Scenario(
            "docker-run",
            &[Cell::Key("docker_run"), Cell::Key("container_escape")],
        ),
    },
    Row {
        what: "the same with `DOCKER_RAMDISK=true` (runc `--no-pivot`; this series' column with `initramfs_user_root=0`)",
        boots: Boots::Scenario(
            "docker-ramdisk-switch-off",
            &[Cell::Key("docker_run"), Cell::Key("container_escape")],
        ),
    },
    Row {
        what: "podman 4.3 with crun: `podman run --rm`; can the container reach the host's root",
        boots: Boots::Scenario(
            "podman-run",
            &[Cell::Key("podman_run"), Cell::Key("container_escape")],
        ),
    },
    Row {
        what: "usermode helpers forked while the initramfs unpacks (1 vCPU): uevent-helper runs, modprobe runs, the roots they ran from (device numbers)",
        boots: Boots::Scenario(
            "helpers-1cpu",
            &[
                Cell::Key("hotplug_runs"),
                Cell::Key("modprobe_runs"),
                Cell::Key("helper_roots"),
            ],
        ),
    },
    Row {
        what: "200 unshare + pivot_root + umount cycles: failures, mounts left",
        boots: Boots::Scenario(
            "churn",
            &[
                Cell::Key("churn_failures"),
                Cell::Key("churn_ns_mounts_wrong"),
            ],
        ),
    },
    Row {
        what:
            "/init pivots to the ext4 disk: initramfs unmounted, its memory back, disk's init runs",
        boots: Boots::Scenario(
            "client-disk-handoff",
            &[
                Cell::Key("disk_handoff"),
                Cell::Key("initramfs_unmounted"),
                Cell::Key("initramfs_freed"),
                Cell::Key("init"),
            ],
        ),
    },
    Row {
        what: "Debian 12's initramfs-tools image (klibc `run-init`) hands over to the ext4 disk: `/` just before (fs, its own parent), where it is left, the disk's init",
        boots: Boots::Scenario(
            "initramfs-tools",
            HANDED_OVER,
        ),
    },
    Row {
        what: "Debian 12's dracut image with systemd (`switch-root`) hands over to the ext4 disk: the same",
        boots: Boots::Scenario(
            "dracut-systemd",
            HANDED_OVER,
        ),
    },
    Row {
        what: "`make bench`: populate_rootfs's initcall time and when /init starts, 16 MiB gzip initramfs (instruction-counted, 1 vCPU; each column its own configuration)",
        boots: Boots::Bench(bench::Figure::BootCost("16 MiB")),
    },
    Row {
        what: "`make bench`: leaving a 10,000-file / 128 MiB initramfs by pivot_root + umount of the old root: time, MemAvailable back (of the initramfs' tmpfs blocks)",
        boots: Boots::Bench(bench::Figure::Handoff("pivot")),
    },
    Row {
        what: "the same by busybox switch_root (empty the initramfs, move, chroot)",
        boots: Boots::Bench(bench::Figure::Handoff("switch_root")),
    },
    Row {
        what: "the same by MS_MOVE + chroot, no clean-up (runc `--no-pivot`)",
        boots: Boots::Bench(bench::Figure::Handoff("chroot")),
    },
    Row {
        what: "the same by copying every file into a new tmpfs, then MS_MOVE + chroot (LinuxKit's init, when `/` is a ramfs or tmpfs)",
        boots: Boots::Bench(bench::Figure::Handoff("copy")),
    },
];

/// What one cell boots.
enum Work {
    /// A scenario, prepared for the column's kernel, and what of its
    /// report the cell shows.
    Boot(&'static scenarios::Scenario, Prepared, &'static [Cell]),
    /// A bench figure: the figure, the kernel, how its log names
    /// populate_rootfs, the serial log.
    Figure(&'static bench::Figure, PathBuf, String, PathBuf),
}

/// One boot of the table.
struct Job {
    row: usize,
    column: usize,
    work: Work,
}

/// A kernel of the table, for the bench figures: its image, how its log
/// names populate_rootfs.
struct Measured {
    kernel: PathBuf,
    populate: String,
}

/// Boots every row on every column for `arch` and prints the table (also
/// written to `results/compare-<arch>.md`); true when every boot finished
/// its script without kernel trouble, which its cell names otherwise.
pub fn run_compare(ws: &Workspace, arch: &'static Arch) -> Result<bool> {
    let debian: Vec<&DebianKernel> = debian::KERNELS
        .iter()
        .filter(|k| k.arch.name == arch.name)
        .collect();
    let mut fetched = Vec::new();
    for k in &debian {
        fetched.push(debian::fetch(ws, k)?);
    }
    let mut runner = Runner::new(ws)?;
    let mut headings = vec![format!("{} `{}`", debian[0].heading, fetched[0].package)];
    headings.push("this series (6.12, user root)".into());
    for (k, f) in debian.iter().zip(&fetched).skip(1) {
        headings.push(format!("{} `{}`", k.heading, f.package));
    }
    // Column 1 is the series; the others Debian's, in order.
    let debian_of = |column: usize| match column {
        0 => Some(&fetched[0]),
        1 => None,
        c => Some(&fetched[c - 1]),
    };
    let rows: Vec<&Row> = ROWS
        .iter()
        .filter(|r| match &r.boots {
            Boots::Scenario(name, _) => scenarios::for_arch(name, arch).is_some(),
            Boots::Bench(_) => true,
        })
        .collect();
    // The bench figures' kernels, the series' as `make bench` boots it.
    let mut measured = Vec::new();
    if rows.iter().any(|r| matches!(r.boots, Boots::Bench(_))) {
        for column in 0..headings.len() {
            measured.push(match debian_of(column) {
                Some(f) => Measured {
                    kernel: f.image.clone(),
                    populate: bench::populate_rootfs_name(
                        f.config.as_ref().ok_or("no config")?,
                        None,
                    )?,
                },
                None => {
                    let v = kbuild::main_variant(arch)?;
                    Measured {
                        kernel: kbuild::build(ws, v, None)?,
                        populate: bench::populate_rootfs_name(
                            &ws.build(v.name).join(".config"),
                            Some(&ws.build(v.name).join("System.map")),
                        )?,
                    }
                }
            });
        }
    }
    let log = |name: &str, column: usize| {
        ws.logs()
            .join(format!("compare-{}-{name}-{column}.log", arch.name))
    };
    let mut jobs = Vec::new();
    for (row, r) in rows.iter().enumerate() {
        match &r.boots {
            Boots::Scenario(name, cells) => {
                let s = scenarios::for_arch(name, arch).ok_or("no scenario")?;
                let ours = runner.prepare(s)?;
                for column in 0..headings.len() {
                    let mut p = ours.clone();
                    p.log = log(s.name, column);
                    if let Some(f) = debian_of(column) {
                        p.kernel = f.image.clone();
                        p.initrd = debian_initrd(ws, s, f, p.initrd.as_deref())?;
                    }
                    jobs.push(Job {
                        row,
                        column,
                        work: Work::Boot(s, p, cells),
                    });
                }
            }
            Boots::Bench(figure) => {
                for (column, m) in measured.iter().enumerate() {
                    jobs.push(Job {
                        row,
                        column,
                        work: Work::Figure(
                            figure,
                            m.kernel.clone(),
                            m.populate.clone(),
                            log(&format!("bench{row}"), column),
                        ),
                    });
                }
            }
        }
    }
    step(&format!("compare: {} boots on {}", jobs.len(), arch.name));
    // Each cell's text, and whether its boot finished.
    let results: Vec<(String, bool)> = pool::run(
        &jobs,
        |job| run_job(ws, arch, &job.work),
        |r| (0..jobs.len()).map(|i| r.wait(i)).collect(),
    );
    let mut table = String::new();
    writeln!(table, "| behaviour | {} |", headings.join(" | "))?;
    writeln!(table, "|---{}|", "|---".repeat(headings.len()))?;
    let mut all_done = true;
    for (row, r) in rows.iter().enumerate() {
        let mut cells = Vec::new();
        for column in 0..headings.len() {
            let i = jobs
                .iter()
                .position(|j| j.row == row && j.column == column)
                .ok_or("a cell without a boot")?;
            let (cell, done) = results[i].clone();
            all_done &= done;
            cells.push(cell.replace('|', "\\|"));
        }
        writeln!(table, "| {} | {} |", r.what, cells.join(" | "))?;
    }
    let name = format!("compare-{}.md", arch.name);
    let command = match arch.name {
        "x86_64" => "make compare".to_string(),
        other => format!("make compare ARCH={other}"),
    };
    let title = format!(
        "Debian's kernels and this series, booted alike ({})",
        arch.name
    );
    let path = ws.write_results(&name, &command, &title, &table)?;
    println!("{table}");
    // After the table is kept: it is the boots' result, whatever this does.
    if arch.name == X86_64.name {
        let rust = debian_rust(ws, &fetched[0])?;
        println!("{rust}");
        table += &rust;
        ws.write_results(&name, &command, &title, &table)?;
    }
    println!(
        "(logs: {}/compare-*.log; table: {})",
        ws.logs().display(),
        path.display()
    );
    Ok(all_done)
}

/// The initramfs a Debian kernel boots for scenario `s`, whose own is
/// `ours`: a generator's image made for that kernel, or ours with the
/// kernel's disk modules appended (or those alone).
fn debian_initrd(
    ws: &Workspace,
    s: &scenarios::Scenario,
    f: &Fetched,
    ours: Option<&Path>,
) -> Result<Option<PathBuf>> {
    if let Some(img) = s.initrd.map(image::find).transpose()? {
        if img.is_generated() {
            let tree = image::ModulesTree {
                release: &f.release,
                modules: &f.modules_dir,
                config: f.config.as_ref().ok_or("no config")?,
            };
            return Ok(Some(image::generated_for(ws, img, &tree, &f.dir)?));
        }
    }
    Ok(Some(match ours {
        Some(initrd) => debian::with_modules(f, initrd)?,
        None => f.modules.clone(),
    }))
}

/// One cell: its text, and whether its boot finished (its script, in
/// time; a figure: the figures were found).
fn run_job(ws: &Workspace, arch: &Arch, work: &Work) -> (String, bool) {
    match work {
        Work::Boot(s, p, cells) => match engine::boot(s, p, Accel::Tcg) {
            Ok(out) => (
                cell(cells, &out.report, &out.log, out.booted.timed_out),
                out.report.done && !out.booted.timed_out && out.report.trouble.is_empty(),
            ),
            Err(e) => (format!("no boot: {e}"), false),
        },
        Work::Figure(figure, kernel, populate, log) => {
            match bench::measure(ws, arch, figure, kernel, populate, log) {
                Ok(text) => {
                    let done = !text.starts_with('(');
                    (text, done)
                }
                Err(e) => (format!("no figures: {e}"), false),
            }
        }
    }
}

/// What one boot shows for a row.
fn cell(cells: &[Cell], report: &Report, log: &str, timed_out: bool) -> String {
    let mut parts: Vec<String> = cells
        .iter()
        .map(|c| match c {
            Cell::Key(k) => report.get(k).unwrap_or("(none)").to_string(),
            Cell::Line(text) => log
                .lines()
                .find_map(|l| l.find(text).map(|i| l[i..].trim_end().to_string()))
                .unwrap_or_else(|| "(none)".into()),
            Cell::Equal(a, b, same, different) => match (report.get(a), report.get(b)) {
                (Some(x), Some(y)) if x == y => same.to_string(),
                (Some(_), Some(_)) => different.to_string(),
                _ => "(none)".into(),
            },
            Cell::Decision(k) => match (report.get(k), report.get("pivot_root")) {
                (Some("pivot"), Some("ok")) => "pivot".into(),
                (Some("pivot"), Some(p)) => format!("pivot, which fails ({p})"),
                (Some(d), Some("ok")) => format!("{d}, not needed"),
                (Some(d), Some(_)) => format!("{d}, needed"),
                _ => "(none)".into(),
            },
        })
        .collect();
    // An oops or a warning is part of what the kernel did there.
    if let Some(t) = report.trouble.first() {
        let at = t.find("] ").map_or(0, |i| i + 2);
        parts.push(format!("kernel: {}", t[at..].trim()));
    }
    if timed_out {
        parts.push("timed out".into());
    } else if !report.done {
        parts.push("script unfinished".into());
    }
    parts.join(", ")
}

/// The toolchains Debian 13's configuration is tried with: its own (GCC,
/// as NixOS and Arch build Rust kernels) and LLVM (as Android does).
const TOOLCHAINS: [Toolchain; 2] = [Toolchain::Gcc, Toolchain::Llvm];

/// The flags of rustc's command line that say what the compiled code gets
/// from the configuration (mitigations, code generation), as kbuild passed
/// them for one object (its `.cmd` file).
fn rustc_codegen_flags(cmd_file: &Path) -> Result<Vec<String>> {
    let text = fs::read_to_string(cmd_file).map_err(|e| format!("{}: {e}", cmd_file.display()))?;
    let mut flags: Vec<String> = text
        .split_whitespace()
        .filter(|f| {
            [
                "-Copt-level",
                "-Zfunction-return",
                "-Zpatchable-function-entry",
                "-Zcf-protection",
                "-Zno-jump-tables",
                "-Ctarget-feature",
                "-Zsanitizer",
            ]
            .iter()
            .any(|p| f.starts_with(p))
        })
        .map(String::from)
        .collect();
    flags.sort();
    flags.dedup();
    Ok(flags)
}

/// Debian 13's own configuration of its 6.12 kernel with `CONFIG_RUST=y`,
/// under each of [`TOOLCHAINS`]: what olddefconfig does with Rust against
/// what it does without (the toolchain's own changes set apart), whether
/// the feature is on, what building the user root's object and the Rust
/// core takes, and what code generation the object gets.
fn debian_rust(ws: &Workspace, debian13: &Fetched) -> Result<String> {
    let config = debian13
        .config
        .as_ref()
        .ok_or_else(|| format!("{}: no config", debian13.package))?;
    let original = fs::read_to_string(config)?;
    let mut out = String::new();
    writeln!(
        out,
        "\n**Debian 13's own configuration with Rust** ({}'s config, this series' tree):\n",
        debian13.package
    )?;
    for tc in TOOLCHAINS {
        let t = tc.name().to_lowercase();
        let configure = |name: &str, options: &[&str]| -> Result<Vec<String>> {
            let dir = ws.build(name);
            fs::create_dir_all(&dir)?;
            fs::copy(config, dir.join(".config"))?;
            if !options.is_empty() {
                let mut cmd = std::process::Command::new(ws.tree().join("scripts/config"));
                cmd.arg("--file").arg(dir.join(".config")).args(options);
                crate::workspace::run(&mut cmd)?;
            }
            kbuild::make_in(ws, &ws.tree(), &dir, name, (&X86_64, tc), &["olddefconfig"])?;
            let text = fs::read_to_string(dir.join(".config"))?;
            let mut lines: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("CONFIG_") || l.ends_with(" is not set"))
                .filter(|l| !l.contains("_VERSION_TEXT="))
                .map(String::from)
                .collect();
            lines.sort();
            Ok(lines)
        };
        step(&format!(
            "compare: Debian 13's 6.12 configuration with {}, without and with CONFIG_RUST",
            tc.name()
        ));
        let without = configure(&format!("debian13-{t}"), &[])?;
        let asked = configure(&format!("debian13-{t}-rust-asked"), &["--enable", "RUST"])?;
        let with_name = format!("debian13-{t}-rust");
        let with = configure(
            &with_name,
            &["--enable", "RUST", "--disable", "MODVERSIONS"],
        )?;
        let has = |lines: &[String], l: &str| lines.iter().any(|x| x == l);
        let changed: Vec<String> = without
            .iter()
            .filter(|l| !has(&with, l))
            .map(|l| format!("-{l}"))
            .chain(
                with.iter()
                    .filter(|l| !has(&without, l))
                    .map(|l| format!("+{l}")),
            )
            .collect();
        // What the toolchain alone takes from Debian's (GCC-built) config:
        // the options it had on that this toolchain cannot give.
        let lost: Vec<&str> = original
            .lines()
            .filter(|l| l.starts_with("CONFIG_") && l.ends_with("=y"))
            .filter(|l| !has(&without, l))
            .filter(|l| {
                !l.contains("GCC")
                    && !l.contains("_IS_")
                    && !l.contains("CC_HAS")
                    && !l.contains("LD_")
            })
            .collect();
        let start = std::time::Instant::now();
        let built = kbuild::make_in(
            ws,
            &ws.tree(),
            &ws.build(&with_name),
            &with_name,
            (&X86_64, tc),
            &["prepare", "rust/", "init/initramfs_user_root.o"],
        );
        let took = elapsed(start);
        let flags =
            rustc_codegen_flags(&ws.build(&with_name).join("init/.initramfs_user_root.o.cmd"))
                .unwrap_or_default();
        let code = |l: &str| format!("`{l}`");
        writeln!(out, "With {} ({}):\n", tc.name(), version_line(tc))?;
        writeln!(
            out,
            "- `CONFIG_RUST=y` alone: olddefconfig gives `{}` (Rust depends on `!MODVERSIONS`, which Debian sets).",
            if has(&asked, "CONFIG_RUST=y") { "CONFIG_RUST=y" } else { "# CONFIG_RUST is not set" }
        )?;
        writeln!(
            out,
            "- with `MODVERSIONS` off too: {}; `INITRAMFS_USER_ROOT` {}. Against the same configuration without Rust under the same toolchain, olddefconfig changes: {}.",
            if has(&with, "CONFIG_RUST=y") { "`CONFIG_RUST=y`" } else { "Rust still off" },
            if has(&with, "CONFIG_INITRAMFS_USER_ROOT=y") { "is on by default" } else { "is off" },
            changed.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
        )?;
        writeln!(
            out,
            "- not Rust's doing but the toolchain's, with or without Rust: of the options Debian's GCC build has on, olddefconfig turns off {}{}.",
            lost.len(),
            if lost.is_empty() { String::new() } else { format!(": {}", lost.iter().map(|l| code(l)).collect::<Vec<_>>().join(", ")) }
        )?;
        writeln!(
            out,
            "- `make prepare rust/ init/initramfs_user_root.o` under it: {} in {took} on this machine; rustc's code-generation flags for the object: {}.\n",
            match &built {
                Ok(()) => "built".to_string(),
                Err(e) => format!("failed ({})", e.to_string().lines().next().unwrap_or("")),
            },
            if flags.is_empty() { "(none read)".to_string() } else { flags.iter().map(|f| code(f)).collect::<Vec<_>>().join(" ") }
        )?;
    }
    Ok(out)
}

/// The first line of a toolchain's compiler's `--version`.
fn version_line(tc: Toolchain) -> String {
    kbuild::toolchain(tc)
        .ok()
        .and_then(|v| v.lines().next().map(String::from))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_boot_what_exists() {
        for r in ROWS {
            match &r.boots {
                Boots::Scenario(name, _) => {
                    assert!(scenarios::for_arch(name, &X86_64).is_some(), "{name}")
                }
                Boots::Bench(figure) => assert!(figure.image().is_some(), "{}", r.what),
            }
        }
    }

    #[test]
    fn equal_cells_compare_two_keys() {
        let report = crate::parser::parse(
            "UR: root_parent_id=5\nUR: handoff_root_id=5\nUR: init=/sbin/init\nUR: done\n",
        );
        let cells = [
            Cell::Equal("root_parent_id", "handoff_root_id", "beneath", "detached"),
            Cell::Equal("root_parent_id", "init", "beneath", "detached"),
            Cell::Equal("root_parent_id", "missing", "beneath", "detached"),
        ];
        assert_eq!(
            cell(&cells, &report, "", false),
            "beneath, detached, (none)"
        );
        let oops = crate::parser::parse(
            "UR: root_parent_id=5\n[    1.677818] Oops: int3: 0000 [#1] SMP NOPTI\n",
        );
        assert_eq!(
            cell(&cells[..1], &oops, "", false),
            "(none), kernel: Oops: int3: 0000 [#1] SMP NOPTI, script unfinished"
        );
    }
}
