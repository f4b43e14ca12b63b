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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::debian::{self, DebianKernel, Fetched};
use crate::parser::Report;
use crate::qemu::{Accel, Arch, X86_64};
use crate::scenarios::{self, Outcome, Prepared, Runner};
use crate::workspace::{elapsed, step, Workspace};
use crate::{kbuild, Result};

/// What a cell shows of a boot.
pub enum Cell {
    /// The guest's report of a key.
    Key(&'static str),
    /// The first kernel or guest line that contains this text, from it on.
    Line(&'static str),
}

/// One behaviour: a scenario and what of it each column shows.
pub struct Row {
    /// The behaviour, as the table's first column says it.
    pub what: &'static str,
    /// The scenario booted (its initramfs, disk and command line).
    pub scenario: &'static str,
    /// What the cell shows, joined by ", ".
    pub cells: &'static [Cell],
}

/// The rows, by x86_64 scenario; arm64 shows the rows whose scenario has
/// an arm64 twin (`arm64-<name>`).
pub const ROWS: &[Row] = &[
    Row {
        what: "`/` in mountinfo: id, parent id, fs, source",
        scenario: "external-initramfs",
        cells: &[Cell::Key("root_mount")],
    },
    Row {
        what: "the first kernel line that mentions rootfs, from the word on",
        scenario: "external-initramfs",
        cells: &[Cell::Line("rootfs")],
    },
    Row {
        what: "pivot_root(2) from the external initramfs; old root unmounted; its memory back",
        scenario: "external-initramfs",
        cells: &[
            Cell::Key("pivot_root"),
            Cell::Key("umount_old"),
            Cell::Key("old_root_freed"),
        ],
    },
    Row {
        what: "kselftest filesystems/pivot_root",
        scenario: "kselftest",
        cells: &[Cell::Line("# Totals:")],
    },
    Row {
        what: "unshare -m + pivot_root + umount (runc's and bubblewrap's path)",
        scenario: "client-unshare",
        cells: &[Cell::Key("unshare_pivot")],
    },
    Row {
        what: "runc (Debian 12) runs a container",
        scenario: "client-runc",
        cells: &[Cell::Key("runc")],
    },
    Row {
        what:
            "LXC 5.0: how it enters the container's root; can the container reach the host's root",
        scenario: "client-lxc",
        cells: &[
            Cell::Key("lxc_start"),
            Cell::Key("lxc_root_switch"),
            Cell::Key("container_escape"),
        ],
    },
    Row {
        what: "Docker 20.10 (dockerd, containerd, runc): `docker run --rm`; can the container reach the host's root",
        scenario: "docker-run",
        cells: &[Cell::Key("docker_run"), Cell::Key("container_escape")],
    },
    Row {
        what: "the same with `DOCKER_RAMDISK=true` (runc `--no-pivot`; this series' column with `initramfs_user_root=0`)",
        scenario: "docker-ramdisk-switch-off",
        cells: &[Cell::Key("docker_run"), Cell::Key("container_escape")],
    },
    Row {
        what: "podman 4.3 with crun: `podman run --rm`; can the container reach the host's root",
        scenario: "podman-run",
        cells: &[Cell::Key("podman_run"), Cell::Key("container_escape")],
    },
    Row {
        what: "usermode helpers forked while the initramfs unpacks (1 vCPU): uevent-helper runs, modprobe runs, the roots they ran from (device numbers)",
        scenario: "helpers-1cpu",
        cells: &[
            Cell::Key("hotplug_runs"),
            Cell::Key("modprobe_runs"),
            Cell::Key("helper_roots"),
        ],
    },
    Row {
        what: "200 unshare + pivot_root + umount cycles: failures, mounts left",
        scenario: "churn",
        cells: &[
            Cell::Key("churn_failures"),
            Cell::Key("churn_ns_mounts_wrong"),
        ],
    },
    Row {
        what:
            "/init pivots to the ext4 disk: initramfs unmounted, its memory back, disk's init runs",
        scenario: "client-disk-handoff",
        cells: &[
            Cell::Key("disk_handoff"),
            Cell::Key("initramfs_unmounted"),
            Cell::Key("initramfs_freed"),
            Cell::Key("init"),
        ],
    },
];

/// One boot of the table.
struct Job {
    row: usize,
    column: usize,
    scenario: &'static scenarios::Scenario,
    prepared: Prepared,
}

/// Boots every row on every column for `arch` and prints the table (also
/// kept as `compare/<arch>.md` in the cache); true when every boot
/// finished its script.
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
    let mut jobs = Vec::new();
    let mut headings = vec![format!("{} `{}`", debian[0].heading, fetched[0].package)];
    headings.push("this series (6.12, user root)".into());
    for (k, f) in debian.iter().zip(&fetched).skip(1) {
        headings.push(format!("{} `{}`", k.heading, f.package));
    }
    let rows: Vec<&Row> = ROWS
        .iter()
        .filter(|r| scenarios::for_arch(r.scenario, arch).is_some())
        .collect();
    for (row, r) in rows.iter().enumerate() {
        let s = scenarios::for_arch(r.scenario, arch).ok_or("no scenario")?;
        let ours = runner.prepare(s)?;
        for column in 0..headings.len() {
            let mut p = ours.clone();
            p.log = ws.logs().join(format!("compare-{}-{column}.log", s.name));
            // Column 1 is the series; the others Debian's, in order.
            let debian_index = match column {
                0 => Some(0),
                1 => None,
                c => Some(c - 1),
            };
            if let Some(i) = debian_index {
                p.kernel = fetched[i].image.clone();
                p.initrd = match &p.initrd {
                    Some(initrd) => Some(debian::with_modules(&fetched[i], initrd)?),
                    None => Some(fetched[i].modules.clone()),
                };
            }
            jobs.push(Job {
                row,
                column,
                scenario: s,
                prepared: p,
            });
        }
    }
    step(&format!("compare: {} boots on {}", jobs.len(), arch.name));
    let results: Mutex<Vec<Option<std::result::Result<Outcome, String>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..scenarios::PARALLEL {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let out = scenarios::boot(job.scenario, &job.prepared, Accel::Tcg)
                        .map_err(|e| e.to_string());
                    let i = jobs
                        .iter()
                        .position(|j| j.row == job.row && j.column == job.column)
                        .unwrap_or(0);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(out);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
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
            let cell = match &results[i] {
                Some(Ok(out)) => {
                    all_done &= out.report.done && !out.booted.timed_out;
                    cell(r, &out.report, &out.log, out.booted.timed_out)
                }
                Some(Err(e)) => {
                    all_done = false;
                    format!("no boot: {e}")
                }
                None => {
                    all_done = false;
                    "no boot".into()
                }
            };
            cells.push(cell.replace('|', "\\|"));
        }
        writeln!(table, "| {} | {} |", r.what, cells.join(" | "))?;
    }
    let out = ws.cache.join("compare");
    fs::create_dir_all(&out)?;
    fs::write(out.join(format!("{}.md", arch.name)), &table)?;
    println!("{table}");
    // After the table is kept: it is the boots' result, whatever this does.
    if arch.name == X86_64.name {
        let rust = debian_rust(ws, &fetched[0])?;
        println!("{rust}");
        table += &rust;
        fs::write(out.join(format!("{}.md", arch.name)), &table)?;
    }
    println!(
        "(logs: {}/compare-*.log; table: {})",
        ws.logs().display(),
        out.join(format!("{}.md", arch.name)).display()
    );
    Ok(all_done)
}

/// What one boot shows for a row.
fn cell(r: &Row, report: &Report, log: &str, timed_out: bool) -> String {
    let mut parts: Vec<String> = r
        .cells
        .iter()
        .map(|c| match c {
            Cell::Key(k) => report.get(k).unwrap_or("(none)").to_string(),
            Cell::Line(text) => log
                .lines()
                .find_map(|l| l.find(text).map(|i| l[i..].trim_end().to_string()))
                .unwrap_or_else(|| "(none)".into()),
        })
        .collect();
    if timed_out {
        parts.push("timed out".into());
    } else if !report.done {
        parts.push("script unfinished".into());
    }
    parts.join(", ")
}

/// Debian 13's own configuration of its 6.12 kernel with `CONFIG_RUST=y`,
/// under the toolchain the README names (`LLVM=1`): what olddefconfig does
/// with Rust against what it does without (the toolchain's own changes
/// set apart), whether the feature is on, and what building the user
/// root's object and the Rust core takes.
fn debian_rust(ws: &Workspace, debian13: &Fetched) -> Result<String> {
    let config = debian13
        .config
        .as_ref()
        .ok_or_else(|| format!("{}: no config", debian13.package))?;
    let configure = |name: &str, options: &[&str]| -> Result<Vec<String>> {
        let dir = ws.build(name);
        fs::create_dir_all(&dir)?;
        fs::copy(config, dir.join(".config"))?;
        if !options.is_empty() {
            let mut cmd = std::process::Command::new(ws.tree().join("scripts/config"));
            cmd.arg("--file").arg(dir.join(".config")).args(options);
            crate::workspace::run(&mut cmd)?;
        }
        kbuild::make_in(ws, &ws.tree(), &dir, name, &X86_64, &["olddefconfig"])?;
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
    step("compare: Debian 13's 6.12 configuration with LLVM=1, without and with CONFIG_RUST");
    let without = configure("debian13-llvm", &[])?;
    let asked = configure("debian13-rust-asked", &["--enable", "RUST"])?;
    let with = configure(
        "debian13-rust",
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
    // the options it had on that clang 14 cannot give.
    let original = fs::read_to_string(config)?;
    let lost: Vec<&str> = original
        .lines()
        .filter(|l| l.starts_with("CONFIG_") && l.ends_with("=y"))
        .filter(|l| !has(&without, l))
        .filter(|l| {
            !l.contains("GCC") && !l.contains("_IS_") && !l.contains("CC_HAS") && !l.contains("LD_")
        })
        .collect();
    let start = std::time::Instant::now();
    let built = kbuild::make_in(
        ws,
        &ws.tree(),
        &ws.build("debian13-rust"),
        "debian13-rust",
        &X86_64,
        &["prepare", "rust/", "init/initramfs_user_root.o"],
    );
    let took = elapsed(start);
    let mut out = String::new();
    writeln!(
        out,
        "\n**Debian 13's own configuration with Rust** ({}'s config, this series' tree, `LLVM=1`):\n",
        debian13.package
    )?;
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
        changed.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    )?;
    writeln!(
        out,
        "- Not Rust's doing but the toolchain's: `LLVM=1` with Debian 12's clang 14 alone turns off {} options Debian's GCC build has on: {}.",
        lost.len(),
        lost.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
    )?;
    writeln!(
        out,
        "- `make prepare rust/ init/initramfs_user_root.o` under it: {} in {took} on this machine.",
        match &built {
            Ok(()) => "built".to_string(),
            Err(e) => format!("failed ({})", e.to_string().lines().next().unwrap_or("")),
        }
    )?;
    Ok(out)
}
