// SPDX-License-Identifier: GPL-2.0
//! The boot scenarios, as data, and the loop that boots and checks them.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::config;
use crate::gates;
use crate::image;
use crate::kbuild;
use crate::parser::{self, Report};
use crate::printer::Tap;
use crate::qemu::{self, Accel, Boot, Booted};
use crate::workspace::{step, Workspace};
use crate::Result;

/// One boot and what it must show.
pub struct Scenario {
    /// Name, also the log's file name.
    pub name: &'static str,
    /// What it shows, in a line.
    pub about: &'static str,
    /// Kernel variant (see [`config::VARIANTS`]).
    pub kernel: &'static str,
    /// External initramfs image (see [`image::IMAGES`]).
    pub initrd: Option<&'static str>,
    /// Disk image on the first virtio disk.
    pub disk: Option<&'static str>,
    /// Extra kernel command line.
    pub cmdline: &'static str,
    /// `UR: key=value` results the guest must report.
    pub expect: &'static [(&'static str, &'static str)],
    /// Lines the kernel log must contain.
    pub log: &'static [&'static str],
}

/// Per-boot limit; a TCG boot to the end of the guest script takes seconds.
const TIMEOUT: Duration = Duration::from_secs(90);
const MEM_MIB: u32 = 512;

/// With the feature: `/` is the user root, pivot_root(2) works and the old
/// root (rootfs) can be unmounted.
const USER_ROOT: &[(&str, &str)] = &[
    ("root_fs", "tmpfs"),
    ("pivot_root", "ok"),
    ("umount_old", "ok"),
];
/// The same on a ramfs user root.
const USER_ROOT_RAMFS: &[(&str, &str)] = &[
    ("root_fs", "ramfs"),
    ("pivot_root", "ok"),
    ("umount_old", "ok"),
];
/// Stock 6.12: `/` is rootfs and pivot_root(2) fails with EINVAL.
const STOCK: &[(&str, &str)] = &[("root_fs", "rootfs"), ("pivot_root", "EINVAL")];
/// A disk root: pivot_root(2) works with or without the feature.
const DISK: &[(&str, &str)] = &[
    ("root_fs", "ext4"),
    ("pivot_root", "ok"),
    ("umount_old", "ok"),
];

/// What no boot may log: the user root must always go away cleanly.
const NEVER: &[&str] = &[
    "initramfs: user root busy",
    "initramfs: cannot detach",
    "initramfs: cannot remove",
];

/// What the feature logs when it unpacks into a tmpfs user root; the guest
/// then shows that it became `/`.
const SWITCHED: &str = "initramfs: unpacking into a user root (tmpfs";

/// The base of most scenarios: the default kernel, the standard external
/// initramfs, the user root expected.
const EXTERNAL: Scenario = Scenario {
    name: "external-initramfs",
    about: "external initramfs (-initrd): / is the user root, pivot_root works",
    kernel: "default",
    initrd: Some("standard"),
    disk: None,
    cmdline: "",
    expect: USER_ROOT,
    log: &[SWITCHED],
};

/// A disk root with no initramfs.
const DISK_ROOT: Scenario = Scenario {
    name: "disk-root",
    about: "root=/dev/vda (ext4), no initramfs: boots the disk as before",
    initrd: None,
    disk: Some("disk"),
    cmdline: "root=/dev/vda rw",
    expect: DISK,
    log: &[],
    ..EXTERNAL
};

/// All scenarios, in the order they run; the first is also `make run`'s.
pub const SCENARIOS: &[Scenario] = &[
    EXTERNAL,
    Scenario {
        name: "builtin-initramfs",
        about: "initramfs built into the kernel: / is the user root",
        kernel: "builtin",
        initrd: None,
        ..EXTERNAL
    },
    Scenario {
        name: "switch-off-external",
        about: "initramfs_user_root=0: stock behaviour, pivot_root fails with EINVAL",
        cmdline: "initramfs_user_root=0",
        expect: STOCK,
        log: &["user root disabled by initramfs_user_root="],
        ..EXTERNAL
    },
    Scenario {
        name: "switch-off-builtin",
        about: "initramfs_user_root=0 with a built-in initramfs: stock, EINVAL",
        kernel: "builtin",
        initrd: None,
        cmdline: "initramfs_user_root=0",
        expect: STOCK,
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "config-off",
        about: "INITRAMFS_USER_ROOT=n: stock behaviour, EINVAL",
        kernel: "nouserroot",
        expect: STOCK,
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "rust-off",
        about: "CONFIG_RUST=n (no feature): stock behaviour, EINVAL",
        kernel: "norust",
        expect: STOCK,
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "kunit",
        about: "the KUnit suite of the user root's decisions passes at boot",
        kernel: "kunit",
        log: &[
            SWITCHED,
            "# initramfs_user_root: pass:4 fail:0 skip:0 total:4",
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kselftest",
        about: "kselftest filesystems/pivot_root in the initramfs guest: all pass, none skipped",
        initrd: Some("kselftest"),
        expect: &[
            ("kselftest", "0"),
            ("root_fs", "tmpfs"),
            ("pivot_root", "ok"),
        ],
        log: &[
            SWITCHED,
            "# Totals: pass:7 fail:0 xfail:0 xpass:0 skip:0 error:0",
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kselftest-switch-off",
        about: "the same kselftest with initramfs_user_root=0 fails as users report",
        initrd: Some("kselftest"),
        cmdline: "initramfs_user_root=0",
        expect: &[("kselftest", "1"), ("pivot_root", "EINVAL")],
        log: &[
            "pivot_root from the initramfs root: Invalid argument",
            "# Totals: pass:3 fail:2 xfail:0 xpass:0 skip:2 error:0",
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-unshare",
        about: "busybox: unshare -m, tmpfs, pivot_root, unmount the old root (runc's path)",
        cmdline: "ur_probe=unshare",
        expect: &[("unshare_pivot", "ok")],
        ..EXTERNAL
    },
    Scenario {
        name: "client-unshare-switch-off",
        about: "the same with initramfs_user_root=0 fails as users report: EINVAL",
        cmdline: "ur_probe=unshare initramfs_user_root=0",
        expect: &[("unshare_pivot", "EINVAL")],
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "client-runc",
        about: "runc (Debian) runs a busybox container from a runc spec bundle, with pivot_root",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc",
        expect: &[("container", "ran"), ("runc", "ok")],
        ..EXTERNAL
    },
    Scenario {
        name: "client-runc-switch-off",
        about: "the same with initramfs_user_root=0: 'pivot_root .: invalid argument'",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc initramfs_user_root=0",
        expect: &[("runc", "EINVAL")],
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "client-disk-handoff",
        about: "initramfs /init pivot_roots to the ext4 disk and unmounts the initramfs",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk",
        expect: &[
            ("initramfs_unmounted", "ok"),
            ("init", "/sbin/init"),
            ("root_fs", "ext4"),
            ("pivot_root", "ok"),
        ],
        log: &["user root (ramfs"],
        ..EXTERNAL
    },
    Scenario {
        name: "client-disk-handoff-switch-off",
        about: "the same with initramfs_user_root=0: EINVAL, as switch_root sees it",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk initramfs_user_root=0",
        expect: &[("disk_handoff", "EINVAL"), ("pivot_root", "EINVAL")],
        log: &[],
        ..EXTERNAL
    },
    Scenario {
        name: "churn",
        about: "200 unshare + pivot_root + umount cycles: no failure, no mount or memory leak",
        cmdline: "ur_probe=churn",
        expect: &[
            ("churn_failures", "0"),
            ("churn_mounts_delta", "0"),
            ("churn_memory", "kept"),
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "async-0",
        about: "initramfs_async=0: the user root as with async unpacking",
        cmdline: "initramfs_async=0",
        ..EXTERNAL
    },
    Scenario {
        name: "async-1",
        about: "initramfs_async=1: the user root",
        cmdline: "initramfs_async=1",
        ..EXTERNAL
    },
    Scenario {
        name: "rootflags-size",
        about: "rootflags=size=64m without root= sizes the user root",
        cmdline: "rootflags=size=64m",
        expect: &[
            ("root_fs", "tmpfs"),
            ("root_size_kb", "65536"),
            ("pivot_root", "ok"),
        ],
        log: &["options \"size=64m\""],
        ..EXTERNAL
    },
    Scenario {
        name: "initramfs-options-size",
        about: "initramfs_options=size=48m sizes the user root, and wins over rootflags=",
        cmdline: "initramfs_options=size=48m rootflags=size=64m",
        expect: &[
            ("root_fs", "tmpfs"),
            ("root_size_kb", "49152"),
            ("pivot_root", "ok"),
        ],
        log: &["options \"size=48m\""],
        ..EXTERNAL
    },
    Scenario {
        name: "rootfstype-ramfs",
        about: "rootfstype=ramfs: rootfs is ramfs, so is the user root",
        cmdline: "rootfstype=ramfs",
        expect: USER_ROOT_RAMFS,
        log: &["user root (ramfs"],
        ..EXTERNAL
    },
    Scenario {
        name: "root-given-ramfs",
        about: "root= with an initramfs /init: rootfs is ramfs, so is the user root",
        disk: Some("disk"),
        cmdline: "root=/dev/vda",
        expect: USER_ROOT_RAMFS,
        log: &["user root (ramfs"],
        ..EXTERNAL
    },
    Scenario {
        name: "abs-symlink-init",
        about: "/init is an absolute symlink: resolved inside the user root",
        initrd: Some("abs-symlink-init"),
        ..EXTERNAL
    },
    Scenario {
        name: "rdinit-elsewhere",
        about: "rdinit=/sbin/test-init: found in the user root",
        initrd: Some("init-elsewhere"),
        cmdline: "rdinit=/sbin/test-init",
        ..EXTERNAL
    },
    Scenario {
        name: "no-init-disk",
        about: "initramfs without /init and root=/dev/vda: user root unmounted, disk boots",
        initrd: Some("no-init"),
        log: &["initramfs: no /init in the initramfs; unmounting the user root"],
        ..DISK_ROOT
    },
    Scenario {
        name: "truncated",
        about: "truncated initramfs: fallback to rootfs, which gets what stock gets",
        initrd: Some("truncated"),
        expect: STOCK,
        log: &[
            "initramfs: unpacking into the user root failed",
            "Initramfs unpacking failed",
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "garbage-disk",
        about: "an initrd that is no archive, root=/dev/vda: fallback, disk boots",
        initrd: Some("garbage"),
        log: &[
            "initramfs: unpacking into the user root failed",
            "Initramfs unpacking failed",
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "user-root-too-small",
        about: "rootflags=size=1m, too small for the image: fallback, rootfs holds it",
        cmdline: "rootflags=size=1m",
        expect: STOCK,
        log: &["initramfs: unpacking into the user root failed (write error)"],
        ..EXTERNAL
    },
    Scenario {
        name: "options-rejected",
        about: "rootflags= that tmpfs rejects: pr_err, stock rootfs",
        cmdline: "rootflags=nosuchoption=1",
        expect: STOCK,
        log: &["initramfs: cannot mount the user root"],
        ..EXTERNAL
    },
    DISK_ROOT,
    Scenario {
        name: "disk-root-config-off",
        about: "root=/dev/vda on the INITRAMFS_USER_ROOT=n kernel: the same",
        kernel: "nouserroot",
        ..DISK_ROOT
    },
    // KASAN makes the memory errors of the paths above visible: the
    // switch, a fallback after a failed unpack, and mount options with a
    // fallback (path_mount() writes data[PAGE_SIZE - 1] of them).
    Scenario {
        name: "kasan-external",
        about: "KASAN kernel: external initramfs, the user root; no KASAN report",
        kernel: "kasan",
        ..EXTERNAL
    },
    Scenario {
        name: "kasan-truncated",
        about: "KASAN kernel: truncated initramfs, fallback to rootfs; no KASAN report",
        kernel: "kasan",
        initrd: Some("truncated"),
        expect: STOCK,
        log: &["initramfs: unpacking into the user root failed"],
        ..EXTERNAL
    },
    Scenario {
        name: "kasan-options-no-init",
        about: "KASAN kernel: initramfs_options=, no /init, disk root; no KASAN report",
        kernel: "kasan",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw initramfs_options=mode=0755",
        log: &[
            "initramfs: unpacking into a user root (ramfs, options \"mode=0755\")",
            "initramfs: no /init in the initramfs; unmounting the user root",
        ],
        ..DISK_ROOT
    },
];

/// Prints the kernel variants and the scenarios.
pub fn list() {
    for v in config::VARIANTS {
        println!("kernel {:17} {}", v.name, v.about);
    }
    for s in SCENARIOS {
        println!("{:24} [{}] {}", s.name, s.kernel, s.about);
    }
}

/// Builds what the chosen scenarios need, boots each, prints TAP and the
/// closing count; true when all passed.
pub fn run_all(ws: &Workspace, pattern: Option<&str>) -> Result<bool> {
    let chosen: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| pattern.is_none_or(|p| s.name.contains(p)))
        .collect();
    let gates: Vec<_> = gates::GATES
        .iter()
        .filter(|g| pattern.is_none_or(|p| g.name.contains(p)))
        .collect();
    if chosen.is_empty() && gates.is_empty() {
        return Err(format!("nothing matches {pattern:?}; see `userroot list`").into());
    }
    let mut runner = Runner::new(ws)?;
    for s in &chosen {
        runner.kernel(s.kernel)?;
    }
    if !gates.is_empty() {
        runner.kernel(gates::FULL_VARIANT)?;
    }
    let accel = runner.accel()?;
    let mut tap = Tap::start(gates.len() + chosen.len());
    for gate in gates {
        let failures = (gate.run)(ws).unwrap_or_else(|e| vec![e.to_string()]);
        tap.result(gate.name, &failures, "gate");
    }
    for s in chosen {
        let (failures, note) = match runner.boot(s, accel) {
            Ok(out) => (check(s, &out), format!("{:.1}s", out.booted.secs)),
            Err(e) => (vec![e.to_string()], "not booted".into()),
        };
        tap.result(s.name, &failures, &note);
        if !failures.is_empty() {
            println!("#   log: {}", runner.log(s).display());
        }
    }
    Ok(tap.finish())
}

/// The boots `make run` shows: the user root, then the same kernel with it
/// switched off (stock behaviour).
const DEMO: &[&str] = &["external-initramfs", "switch-off-external"];

/// `make run`: boot from an external initramfs with the user root on and
/// off and show, in a few lines each, what `/` is and what pivot_root(2)
/// does there.
pub fn demo(ws: &Workspace, version: &str) -> Result<bool> {
    let mut runner = Runner::new(ws)?;
    let accel = runner.accel()?;
    let mut ok = true;
    for s in SCENARIOS.iter().filter(|s| DEMO.contains(&s.name)) {
        let out = runner.boot(s, accel)?;
        let report = &out.report;
        println!();
        println!(
            "Linux {version} [{}] {} ({accel:?}, {:.1} s):",
            s.name, s.cmdline, out.booted.secs
        );
        for line in &report.display {
            println!("  {line}");
        }
        let value = |k| report.get(k).unwrap_or("(not reported)");
        println!(
            "  / is {}; pivot_root(\".\", \"old\") there: {}",
            value("root_fs"),
            value("pivot_root")
        );
        if report.get("pivot_root") == Some("ok") {
            println!("  old root unmounted: {}", value("umount_old"));
        } else {
            println!("  stock behaviour: rootfs is the first mount and has no parent");
        }
        let failures = check(s, &out);
        for f in &failures {
            println!("FAILED: {f}");
        }
        println!("  serial log: {}", runner.log(s).display());
        ok &= failures.is_empty();
    }
    Ok(ok)
}

/// One finished boot.
struct Outcome {
    report: Report,
    booted: Booted,
    /// The whole serial log.
    log: String,
}

/// What a boot must show: no timeout, no kernel trouble, the guest script
/// finished, every expected value and log line.
fn check(s: &Scenario, out: &Outcome) -> Vec<String> {
    let (r, booted, log) = (&out.report, &out.booted, &out.log);
    let mut failures = Vec::new();
    if booted.timed_out {
        failures.push(format!("timed out after {}s", TIMEOUT.as_secs()));
    }
    failures.extend(r.trouble.iter().map(|t| format!("kernel: {t}")));
    if !r.done {
        failures.push("the guest did not finish its script".into());
    }
    for (key, want) in s.expect {
        match r.get(key) {
            Some(got) if got == *want => {}
            got => failures.push(format!(
                "{key}: expected {want}, got {}",
                got.unwrap_or("nothing")
            )),
        }
    }
    for line in s.log {
        if !log.contains(line) {
            failures.push(format!("kernel log lacks {line:?}"));
        }
    }
    for line in NEVER {
        if log.contains(line) {
            failures.push(format!("kernel log has {line:?}"));
        }
    }
    failures
}

/// Builds kernels and images once per run and boots scenarios.
struct Runner<'a> {
    ws: &'a Workspace,
    kernels: BTreeMap<&'static str, PathBuf>,
    images: BTreeMap<&'static str, PathBuf>,
}

impl<'a> Runner<'a> {
    fn new(ws: &'a Workspace) -> Result<Self> {
        fs::create_dir_all(ws.logs())?;
        let mut runner = Self {
            ws,
            kernels: BTreeMap::new(),
            images: BTreeMap::new(),
        };
        // The default kernel's usr/gen_init_cpio makes every initramfs.
        runner.kernel("default")?;
        Ok(runner)
    }

    fn kernel(&mut self, name: &'static str) -> Result<PathBuf> {
        if !self.kernels.contains_key(name) {
            let bzimage = kbuild::build(self.ws, config::variant(name)?)?;
            self.kernels.insert(name, bzimage);
        }
        Ok(self.kernels[name].clone())
    }

    fn image(&mut self, name: &'static str) -> Result<PathBuf> {
        if !self.images.contains_key(name) {
            let path = image::build(self.ws, image::find(name)?)?;
            self.images.insert(name, path);
        }
        Ok(self.images[name].clone())
    }

    fn log(&self, s: &Scenario) -> PathBuf {
        self.ws.logs().join(format!("{}.log", s.name))
    }

    /// KVM if a probe boot of the first scenario finishes under it.
    fn accel(&mut self) -> Result<Accel> {
        let accel = qemu::choose_accel(|accel| {
            let probe = &SCENARIOS[0];
            matches!(self.boot(probe, accel), Ok(out) if out.report.done && !out.booted.timed_out)
        })?;
        step(&format!("QEMU accelerator: {accel:?}"));
        Ok(accel)
    }

    fn boot(&mut self, s: &Scenario, accel: Accel) -> Result<Outcome> {
        let kernel = self.kernel(s.kernel)?;
        let initrd = s.initrd.map(|i| self.image(i)).transpose()?;
        let disk = s.disk.map(|d| self.image(d)).transpose()?;
        let log = self.log(s);
        let timeout = if accel == Accel::Kvm {
            Duration::from_secs(15)
        } else {
            TIMEOUT
        };
        let booted = qemu::boot(
            accel,
            &Boot {
                kernel: &kernel,
                initrd: initrd.as_deref(),
                disk: disk.as_deref(),
                cmdline: s.cmdline,
                mem_mib: MEM_MIB,
                log: &log,
                timeout,
                icount: false,
            },
        )?;
        let log = String::from_utf8_lossy(&fs::read(&log)?).into_owned();
        Ok(Outcome {
            report: parser::parse(&log),
            booted,
            log,
        })
    }
}
