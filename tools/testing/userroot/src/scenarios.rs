// SPDX-License-Identifier: GPL-2.0
//! The boot scenarios, as data, and the loop that boots and checks them.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::config;
use crate::error::Result;
use crate::gates;
use crate::image;
use crate::kernels;
use crate::parser::{self, Report};
use crate::printer::Tap;
use crate::qemu::{self, Accel, Boot, Booted};
use crate::workspace::{phase, phase_secs, phases, step, Workspace};

/// One boot and what it must show.
pub struct Scenario {
    /// Name, also the log's file name.
    pub name: &'static str,
    /// What it shows, in a line.
    pub about: &'static str,
    /// Kernel variant (see [`config::VARIANTS`]); its architecture is the
    /// guest's.
    pub kernel: &'static str,
    /// External initramfs image (see [`image::IMAGES`]).
    pub initrd: Option<&'static str>,
    /// Disk image on the first virtio disk.
    pub disk: Option<&'static str>,
    /// Extra kernel command line.
    pub cmdline: &'static str,
    /// Virtual CPUs.
    pub cpus: u32,
    /// Guest memory.
    pub mem_mib: u32,
    /// What the boot must show, in groups.
    pub checks: &'static [&'static [Check]],
}

/// One thing a boot must show.
pub enum Check {
    /// The guest reported `key=value` (the last report of `key`).
    Is(&'static str, &'static str),
    /// The kernel log has this text.
    Logs(&'static str),
    /// The kernel log lacks this text.
    NotLogs(&'static str),
    /// The kernel log has these texts, each after the one before.
    LogsInOrder(&'static [&'static str]),
    /// The kernel lines of the boot path (see [`BOOT_PATH`]), levels
    /// included, are the other scenario's, but for one line starting with
    /// each of the first list here and one starting with each of the second
    /// there.
    LogAsTwin(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
    /// The guest reported a number for `key` of at least this.
    AtLeast(&'static str, u64),
    /// The guest reported for `key` what it reported in the other scenario.
    SameAs(&'static str, &'static str),
    /// The guest reported for `key` something other than in the other
    /// scenario (both reported it).
    Differs(&'static str, &'static str),
    /// The guest reported a number for `key` within this many of what it
    /// reported in the other scenario.
    Near(&'static str, &'static str, u64),
    /// The guest reported the same value for both keys.
    Equal(&'static str, &'static str),
    /// The guest reported different values for the two keys.
    Unequal(&'static str, &'static str),
}

/// A container engine, its daemon and an image in the initramfs: the
/// engines' binaries alone are 220 MB (Docker) and 35 MB (podman).
const ENGINE_MEM_MIB: u32 = 1536;

/// Docker from the initramfs: dockerd with containerd and runc, the vfs
/// storage driver, no iptables and no bridge (no network at all), an
/// image loaded from a tar made on the host; the container is the escape
/// probe, privileged enough to try (CAP_SYS_ADMIN, no seccomp filter).
const DOCKER: Scenario = Scenario {
    name: "docker-run",
    about: "Docker (dockerd, containerd, runc) from the initramfs: docker run works unmodified, the container cannot reach the host root",
    kernel: "distro",
    initrd: Some("docker"),
    disk: None,
    cmdline: "ur_probe=docker",
    cpus: 2,
    mem_mib: ENGINE_MEM_MIB,
    checks: &[
        USER_ROOT,
        &[
            Check::Is("docker_run", "ok"),
            Check::Is("host_marker", "ok"),
            Check::Is("container_escape", "none"),
        ],
    ],
};

/// Podman with crun, daemonless, the same image and probe.
const PODMAN: Scenario = Scenario {
    name: "podman-run",
    about: "podman (crun, conmon) from the initramfs: podman run works unmodified, the container cannot reach the host root",
    initrd: Some("podman"),
    cmdline: "ur_probe=podman",
    checks: &[
        USER_ROOT,
        &[
            Check::Is("podman_run", "ok"),
            Check::Is("host_marker", "ok"),
            Check::Is("container_escape", "none"),
        ],
    ],
    ..DOCKER
};

/// Per-boot limit; a TCG boot to the end of the guest script takes seconds.
const TIMEOUT: Duration = Duration::from_secs(120);
const MEM_MIB: u32 = 512;
/// Boots at a time: TCG keeps one host CPU busy per vCPU.
pub const PARALLEL: usize = 2;

/// What the feature logs when it keeps a tmpfs user root as `/`.
const KEPT_TMPFS: &str = "initramfs: / is a user root (tmpfs): pivot_root(2) works from it";
/// The same for a ramfs user root.
const KEPT_RAMFS: &str = "initramfs: / is a user root (ramfs): pivot_root(2) works from it";

/// With the feature: `/` is the user root, of filesystem `fs`, which has a
/// parent, pivot_root(2) works, and the old root (the initramfs) goes, its
/// memory with it; the kernel said so with `kept`.
const fn user_root(fs: &'static str, kept: &'static str) -> [Check; 14] {
    [
        // The runtimes that read the filesystem type or the mount table
        // pivot; LinuxKit's statfs() still sees a tmpfs or ramfs and copies.
        Check::Is("rule_lxc", "pivot"),
        Check::Is("rule_kata", "pivot"),
        Check::Is("rule_minikube", "pivot"),
        Check::Is("rule_linuxkit", "copy"),
        Check::Is("root_fs", fs),
        Check::Is("root_source", "rootfs"),
        Check::Is("root_own_parent", "no"),
        Check::Is("user_root_mounts", "1"),
        Check::Is("mounts_on_root_dir", "0"),
        Check::Is("newroot_mount", "ok"),
        Check::Is("pivot_root", "ok"),
        Check::Is("umount_old", "ok"),
        Check::Is("old_root_freed", "ok"),
        Check::Logs(kept),
    ]
}
/// On a tmpfs user root, the usual one.
const USER_ROOT: &[Check] = &user_root("tmpfs", KEPT_TMPFS);
/// On a ramfs user root.
const USER_ROOT_RAMFS: &[Check] = &user_root("ramfs", KEPT_RAMFS);
/// The initramfs's /init pivoted to the disk: the initramfs is unmounted and
/// its memory back, the disk's init runs.
const HANDED_OFF: &[Check] = &[
    Check::Is("initramfs_unmounted", "ok"),
    Check::Is("initramfs_freed", "ok"),
    Check::Is("init", "/sbin/init"),
    Check::Logs(KEPT_RAMFS),
];
/// Stock 6.12: `/` is rootfs, its own parent, and pivot_root(2) fails with
/// EINVAL although the new root was mounted; the runtimes' rules all take
/// their work-arounds.
const STOCK: &[Check] = &[
    Check::Is("rule_lxc", "chroot"),
    Check::Is("rule_kata", "no-pivot"),
    Check::Is("rule_minikube", "no-pivot"),
    Check::Is("rule_linuxkit", "copy"),
    Check::Is("root_fs", "rootfs"),
    Check::Is("root_own_parent", "yes"),
    Check::Is("user_root_mounts", "0"),
    Check::Is("mounts_on_root_dir", "0"),
    Check::Is("newroot_mount", "ok"),
    Check::Is("pivot_root", "EINVAL"),
];
/// A disk root: pivot_root(2) works with or without the feature.
const DISK: &[Check] = &[
    Check::Is("root_fs", "ext4"),
    Check::Is("newroot_mount", "ok"),
    Check::Is("pivot_root", "ok"),
    Check::Is("umount_old", "ok"),
];

/// A generator's image handed off to the disk on stock: from rootfs, its
/// own parent, the disk moved onto it.
const HANDED_OFF_STOCK: [Check; 7] = [
    Check::Is("root_fs", "ext4"),
    Check::Is("newroot_mount", "ok"),
    Check::Is("pivot_root", "ok"),
    Check::Is("umount_old", "ok"),
    Check::Is("init", "/sbin/init"),
    Check::Is("handoff_root_fs", "rootfs"),
    Check::Is("handoff_root_own_parent", "yes"),
];

/// What no boot may log, but where a fault point asks for it: the user
/// root's failures after its mount.
const NEVER: &[&str] = &[
    "initramfs: cannot unmount the user root",
    "initramfs: the user root stayed in use",
];

/// Kernel lines of the unpacking and root-mounting code, by the words in
/// them, for [`Check::LogAsTwin`]. The command line's echo differs by the
/// switch itself and is left out.
const BOOT_PATH: &[&str] = &[
    "initramfs",
    "Initramfs",
    "initrd",
    "rootfs",
    "RAMDISK",
    "ramdisk",
    "VFS:",
    "Unpacking",
    "Trying to unpack",
    "user root",
    "Freeing",
    "/dev/ram",
    "microcode",
    "Kernel panic",
    "Run /",
];

/// The lines of [`BOOT_PATH`] in a boot's kernel log.
fn boot_path(r: &Report) -> Vec<&str> {
    r.kernel
        .iter()
        .map(String::as_str)
        .filter(|l| {
            BOOT_PATH.iter().any(|w| l.contains(w))
                && !l.contains("Command line:")
                && !l.contains("command line:")
        })
        // The RAMDISK loader's spinner grows with the time the load took.
        .map(|l| l.find(RAMDISK_SPINNER).map_or(l, |i| &l[..i]))
        .collect()
}

/// Where the RAMDISK loader's progress spinner starts in its line.
const RAMDISK_SPINNER: &str = " |\u{8}";

/// What the switch-off twin logs that a boot with the user root does not.
const SWITCHED_OFF: &str = "<6>initramfs: user root disabled by initramfs_user_root=";
/// What a fallback for want of an rdinit program adds to stock's log.
const NO_INIT_INFO: &str = "<6>initramfs: no /init in the initramfs; unmounting the user root";
/// What the fault injection framework logs for each fault it injects.
const FAULT_INJECTED: &str = "FAULT_INJECTION: forcing a failure.";
/// The same line as any console shows it: the user root was given up.
const NO_INIT: &str = "initramfs: no /init in the initramfs; unmounting the user root";

/// The base of most scenarios: the default kernel, the standard external
/// initramfs, the user root expected.
const EXTERNAL: Scenario = Scenario {
    name: "external-initramfs",
    about: "external initramfs (-initrd): / is the user root, pivot_root works",
    kernel: "default",
    initrd: Some("standard"),
    disk: None,
    cmdline: "",
    cpus: 1,
    mem_mib: MEM_MIB,
    checks: &[USER_ROOT],
};

/// The same with the user root switched off: stock behaviour.
const EXTERNAL_OFF: Scenario = Scenario {
    name: "switch-off-external",
    about: "initramfs_user_root=0: stock behaviour, pivot_root fails with EINVAL",
    cmdline: "initramfs_user_root=0",
    checks: &[
        STOCK,
        &[
            Check::Logs("user root disabled by initramfs_user_root="),
            Check::SameAs("rootfs_listing", "unpatched-external"),
        ],
    ],
    ..EXTERNAL
};

/// A disk root with no initramfs.
const DISK_ROOT: Scenario = Scenario {
    name: "disk-root",
    about: "root=/dev/vda (ext4), no initramfs: boots the disk as before",
    initrd: None,
    disk: Some("disk"),
    cmdline: "root=/dev/vda rw",
    checks: &[DISK],
    ..EXTERNAL
};

/// Usermode helpers on the distribution-shaped kernel, one CPU.
const HELPERS: Scenario = Scenario {
    name: "helpers-1cpu",
    about: "distro kernel, 1 vCPU: every uevent helper run reaches the initramfs, as on stock",
    kernel: "distro",
    initrd: Some("helpers"),
    cmdline: "ur_probe=helpers",
    checks: &[
        USER_ROOT,
        &[
            Check::AtLeast("hotplug_runs", 1),
            Check::SameAs("hotplug_runs", "helpers-1cpu-switch-off"),
            Check::SameAs("hotplug_calls", "helpers-1cpu-switch-off"),
        ],
    ],
    ..EXTERNAL
};

/// How far the free pages at the disk's init may be from stock's after a
/// fallback from a 64 MiB initramfs (16384 pages), those on the per-CPU
/// lists included: 6 and 8 measured.
const FALLBACK_FREE_PAGES: u64 = 16;
/// The same for MemAvailable, in KiB, which leaves out the per-CPU lists
/// and counts reclaimable caches: -280, +832 and +1328 KiB measured.
const FALLBACK_MEMORY_KB: u64 = 2048;

/// A disk boot whose initramfs has usermode helpers and no /init, so that
/// it is given up while the helpers of the boot's uevents are forked.
const HELPERS_FALLBACK: Scenario = Scenario {
    name: "helpers-fallback-1cpu",
    about: "distro kernel, disk boot, initramfs without /init, 1 vCPU: helpers run from rootfs, as on stock",
    kernel: "distro",
    initrd: Some("helpers-no-init"),
    disk: Some("disk"),
    cmdline: "root=/dev/vda rw ur_probe=helpers",
    cpus: 1,
    mem_mib: MEM_MIB,
    checks: &[DISK, &[
        Check::Logs(NO_INIT),
        Check::AtLeast("hotplug_runs", 1),
        Check::SameAs("hotplug_runs", "helpers-fallback-1cpu-switch-off"),
        Check::SameAs("hotplug_calls", "helpers-fallback-1cpu-switch-off"),
        Check::SameAs("helper_roots", "helpers-fallback-1cpu-switch-off"),
        Check::SameAs("hotplug_runs", "helpers-fallback-1cpu-unpatched"),
        Check::SameAs("helper_roots", "helpers-fallback-1cpu-unpatched"),
    ]],
};

/// A fallback leaves rootfs as stock leaves it: the same files, the same
/// memory in tmpfs (a user root that lingers would add its pages).
const FALLBACK_LIKE: &[Check] = &[
    Check::SameAs("rootfs_listing", "truncated-switch-off"),
    Check::Near("shmem_kb", "truncated-switch-off", 256),
];

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
    EXTERNAL_OFF,
    Scenario {
        name: "switch-off-builtin",
        about: "initramfs_user_root=0 with a built-in initramfs: stock, EINVAL",
        kernel: "builtin",
        initrd: None,
        ..EXTERNAL_OFF
    },
    Scenario {
        name: "config-off",
        about: "INITRAMFS_USER_ROOT=n: stock behaviour, EINVAL",
        kernel: "nouserroot",
        checks: &[STOCK],
        ..EXTERNAL
    },
    Scenario {
        name: "rust-off",
        about: "CONFIG_RUST=n (no feature): stock behaviour, EINVAL",
        kernel: "norust",
        checks: &[STOCK],
        ..EXTERNAL
    },
    Scenario {
        name: "kunit",
        about: "the KUnit suite of the user root's decisions passes at boot",
        kernel: "distro",
        checks: &[
            USER_ROOT,
            &[Check::Logs("# initramfs_user_root: pass:5 fail:0 skip:0 total:5")],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kunit-module-filter",
        about: "kunit.filter=module=initramfs_user_root: the suite runs, the C example suite is filtered out",
        kernel: "distro",
        cmdline: "kunit.filter=module=initramfs_user_root",
        checks: &[
            USER_ROOT,
            &[
                Check::Logs("# initramfs_user_root: pass:5 fail:0 skip:0 total:5"),
                Check::NotLogs("# Subtest: example"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kunit-module-filter-other",
        about: "kunit.filter=module=kunit_example_test: the suite is filtered out as the C ones are, no oops",
        kernel: "distro",
        cmdline: "kunit.filter=module=kunit_example_test",
        checks: &[
            USER_ROOT,
            &[
                Check::NotLogs("# Subtest: initramfs_user_root"),
                Check::Logs("# Subtest: example"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kselftest",
        about: "kselftest filesystems/pivot_root in the initramfs guest: all pass, none skipped",
        initrd: Some("kselftest"),
        checks: &[
            USER_ROOT,
            &[
                Check::Is("kselftest", "0"),
                Check::Logs("# Totals: pass:6 fail:0 xfail:0 xpass:0 skip:0 error:0"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kselftest-switch-off",
        about: "the same with initramfs_user_root=0: the tests that need / to have a parent SKIP",
        initrd: Some("kselftest"),
        cmdline: "initramfs_user_root=0",
        checks: &[
            STOCK,
            &[
                Check::Is("kselftest", "0"),
                Check::Logs("# SKIP / is rootfs, its own parent"),
                Check::Logs("# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:3 error:0"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-unshare",
        about: "busybox: unshare -m, tmpfs, pivot_root, unmount the old root (runc's path)",
        cmdline: "ur_probe=unshare",
        checks: &[USER_ROOT, &[Check::Is("unshare_pivot", "ok")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-unshare-switch-off",
        about: "the same with initramfs_user_root=0 fails as users report: EINVAL",
        cmdline: "ur_probe=unshare initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("unshare_pivot", "EINVAL")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-runc",
        about: "runc (Debian) runs a busybox container from a runc spec bundle, with pivot_root",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc",
        checks: &[
            USER_ROOT,
            &[Check::Is("container", "ran"), Check::Is("runc", "ok")],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-runc-switch-off",
        about: "the same with initramfs_user_root=0: 'pivot_root .: invalid argument'",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("runc", "EINVAL")]],
        ..EXTERNAL
    },
    // LoadPin in enforcing mode pins the filesystem of the first module
    // loaded and refuses every load once that filesystem is unmounted:
    // with the user root, after pivot_root and the unmount of the
    // initramfs; stock never unmounts rootfs.
    Scenario {
        name: "loadpin",
        about: "LoadPin enforcing: a module from the initramfs pins it; after pivot_root and its unmount every load is refused",
        kernel: "distro",
        initrd: Some("loadpin"),
        cmdline: "ur_probe=loadpin loadpin.enforce=1",
        checks: &[
            USER_ROOT,
            &[
                Check::Is("loadpin_first", "ok"),
                Check::Logs("LoadPin: umount pinned fs: refusing further loads"),
                Check::Is("loadpin_after", "EPERM"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "loadpin-switch-off",
        about: "the same with initramfs_user_root=0: rootfs stays, pinned, and loads from it are allowed (EEXIST: the module is there)",
        kernel: "distro",
        initrd: Some("loadpin"),
        cmdline: "ur_probe=loadpin loadpin.enforce=1 initramfs_user_root=0",
        checks: &[
            STOCK,
            &[
                Check::Is("loadpin_first", "ok"),
                Check::NotLogs("refusing further loads"),
                Check::Is("loadpin_after", "EEXIST"),
                Check::SameAs("loadpin_after", "loadpin-unpatched"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "loadpin-unpatched",
        about: "unpatched 6.12: the same, for comparison",
        kernel: "unpatched",
        initrd: Some("loadpin"),
        cmdline: "ur_probe=loadpin loadpin.enforce=1",
        checks: &[
            STOCK,
            &[
                Check::Is("loadpin_first", "ok"),
                Check::NotLogs("refusing further loads"),
                Check::Is("loadpin_after", "EEXIST"),
            ],
        ],
        ..EXTERNAL
    },
    // Nix's build sandbox pivots into each build's root: why NixOS users
    // patch their kernels to build from an initramfs.
    Scenario {
        name: "client-nix",
        about: "Nix 2.8 (Debian's nix-bin) builds a derivation in its sandbox, which pivots into the build's root",
        initrd: Some("nix"),
        cmdline: "ur_probe=nix",
        mem_mib: 1024,
        checks: &[USER_ROOT, &[Check::Is("nix", "ok")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-nix-switch-off",
        about: "the same with initramfs_user_root=0: \"cannot pivot old root directory onto ...: Invalid argument\"",
        initrd: Some("nix"),
        cmdline: "ur_probe=nix initramfs_user_root=0",
        mem_mib: 1024,
        checks: &[STOCK, &[Check::Is("nix", "EINVAL")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-bwrap",
        about: "bubblewrap (Debian's 0.8) runs a command in a sandbox: it pivots into a tmpfs of its own",
        initrd: Some("bwrap"),
        cmdline: "ur_probe=bwrap",
        checks: &[USER_ROOT, &[Check::Is("bwrap", "ok")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-bwrap-switch-off",
        about: "the same with initramfs_user_root=0: 'bwrap: pivot_root: Invalid argument'",
        initrd: Some("bwrap"),
        cmdline: "ur_probe=bwrap initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("bwrap", "EINVAL")]],
        ..EXTERNAL
    },
    Scenario {
        name: "client-lxc",
        about: "LXC (Debian's lxc 5.0) starts a busybox container: it pivots: no way back to the host root",
        initrd: Some("lxc"),
        cmdline: "ur_probe=lxc",
        checks: &[
            USER_ROOT,
            &[
                Check::Is("lxc_start", "0"),
                Check::Is("lxc_root_switch", "pivot_root"),
                // "none" means something only where the marker is there.
                Check::Is("host_marker", "ok"),
                Check::Is("container_escape", "none"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-lxc-switch-off",
        about: "the same with initramfs_user_root=0: LXC chroots: the container can reach the host root",
        initrd: Some("lxc"),
        cmdline: "ur_probe=lxc initramfs_user_root=0",
        checks: &[
            STOCK,
            &[
                Check::Is("lxc_start", "0"),
                Check::Is("lxc_root_switch", "chroot"),
                Check::Is("container_escape", "host"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-disk-handoff",
        about: "initramfs /init pivot_roots to the ext4 disk and unmounts the initramfs",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk",
        checks: &[
            DISK,
            HANDED_OFF,
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "client-disk-handoff-switch-off",
        about: "the same with initramfs_user_root=0: EINVAL, as switch_root sees it",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("disk_handoff", "EINVAL")]],
        ..EXTERNAL
    },
    Scenario {
        name: "churn",
        about: "200 unshare + pivot_root + umount cycles: no failure, no mount or memory leak",
        cmdline: "ur_probe=churn",
        checks: &[
            USER_ROOT,
            &[
                Check::Is("churn_failures", "0"),
                Check::Is("churn_ns_mounts_wrong", "0"),
                Check::Is("churn_unreclaimable", "kept"),
                Check::Is("churn_memory", "kept"),
            ],
        ],
        ..EXTERNAL
    },
    // initcall_debug shows where the unpacking ran: inside the
    // populate_rootfs initcall (PID 1), or in an async worker after it
    // returned (one CPU and no preemption: PID 1 prints its return first).
    Scenario {
        name: "async-0",
        about: "initramfs_async=0: the user root as with async unpacking, made inside the initcall",
        cmdline: "initramfs_async=0 initcall_debug ignore_loglevel",
        checks: &[
            USER_ROOT,
            &[Check::LogsInOrder(&[
                "calling  populate_rootfs",
                "initramfs: / is a user root",
                "initcall populate_rootfs",
            ])],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "async-1",
        about: "initramfs_async=1: the user root, made after the initcall returned",
        cmdline: "initramfs_async=1 initcall_debug ignore_loglevel",
        checks: &[
            USER_ROOT,
            &[Check::LogsInOrder(&[
                "calling  populate_rootfs",
                "initcall populate_rootfs",
                "initramfs: / is a user root",
            ])],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "rootflags-size",
        about: "rootflags=size=64m without root= sizes the user root",
        cmdline: "rootflags=size=64m",
        checks: &[
            &[
                Check::Is("root_fs", "tmpfs"),
                Check::Is("root_size_kb", "65536"),
                Check::Is("pivot_root", "ok"),
                Check::Logs("initramfs: / is a user root (tmpfs, size=64m): pivot_root(2) works from it"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "initramfs-options-size",
        about: "initramfs_options=size=48m sizes the user root, and wins over rootflags=",
        cmdline: "initramfs_options=size=48m rootflags=size=64m",
        checks: &[
            &[
                Check::Is("root_fs", "tmpfs"),
                Check::Is("root_size_kb", "49152"),
                Check::Is("pivot_root", "ok"),
                Check::Logs("initramfs: / is a user root (tmpfs, size=48m): pivot_root(2) works from it"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "rootflags-subvol",
        about: "rootflags=subvol=@ (meant for a btrfs root), no root=: dropped with a warning",
        cmdline: "rootflags=subvol=@",
        checks: &[
            USER_ROOT,
            &[Check::Logs(
                "initramfs: rootflags=\"subvol=@\" rejected by the user root (tmpfs): EINVAL; mounting it without them",
            )],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "rootflags-ro",
        about: "rootflags=ro, no root=: would make the user root read-only, dropped with a warning",
        cmdline: "rootflags=ro",
        checks: &[
            USER_ROOT,
            &[Check::Logs(
                "initramfs: rootflags=\"ro\" would make the user root read-only; mounting it without them",
            )],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "rootflags-rejected",
        about: "rootflags= that tmpfs rejects: dropped with a warning, the user root",
        cmdline: "rootflags=nosuchoption=1",
        checks: &[
            USER_ROOT,
            &[Check::Logs("initramfs: rootflags=\"nosuchoption=1\" rejected by the user root")],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "rootfstype-ramfs",
        about: "rootfstype=ramfs: rootfs is ramfs, so is the user root",
        cmdline: "rootfstype=ramfs",
        checks: &[USER_ROOT_RAMFS],
        ..EXTERNAL
    },
    Scenario {
        name: "root-given-ramfs",
        about: "root= with an initramfs /init: rootfs is ramfs, so is the user root",
        disk: Some("disk"),
        cmdline: "root=/dev/vda",
        checks: &[USER_ROOT_RAMFS],
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
        about: "initramfs without /init and root=/dev/vda: user root gone, disk boots on rootfs",
        initrd: Some("no-init"),
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: no /init in the initramfs; unmounting the user root"),
                Check::SameAs("root_parent_id", "no-init-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "no-init-disk-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw initramfs_user_root=0",
        ..DISK_ROOT
    },
    Scenario {
        name: "truncated",
        about: "truncated initramfs: fallback to rootfs, which holds what stock holds",
        initrd: Some("truncated"),
        checks: &[
            STOCK,
            FALLBACK_LIKE,
            &[
                Check::Logs("initramfs: unpacking into the user root failed"),
                Check::Logs("Initramfs unpacking failed"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "truncated-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("truncated"),
        cmdline: "initramfs_user_root=0",
        checks: &[STOCK, &[Check::Logs("Initramfs unpacking failed")]],
        ..EXTERNAL
    },
    Scenario {
        name: "garbage-disk",
        about: "an initrd that is no archive, root=/dev/vda: fallback, disk boots on rootfs",
        initrd: Some("garbage"),
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: unpacking into the user root failed"),
                Check::Logs("Initramfs unpacking failed"),
                Check::SameAs("root_parent_id", "no-init-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "user-root-too-small",
        about: "rootflags=size=1m, too small for the image: fallback, rootfs holds it",
        cmdline: "rootflags=size=1m",
        checks: &[
            STOCK,
            &[
                Check::Logs("initramfs: unpacking into the user root failed (write error)"),
                Check::SameAs("rootfs_listing", "switch-off-external"),
                Check::Near("shmem_kb", "switch-off-external", 256),
            ],
        ],
        ..EXTERNAL
    },
    // What distributions boot from a disk: an early microcode archive
    // alone as the initramfs. The log is stock's and one info line.
    Scenario {
        name: "microcode-early-cpio",
        about: "disk boot with an early microcode cpio alone: given up; the log stock's plus one info line",
        initrd: Some("microcode-only"),
        cmdline: "root=/dev/vda rw console_msg_format=syslog",
        checks: &[
            DISK,
            &[
                Check::SameAs("root_parent_id", "microcode-early-cpio-switch-off"),
                Check::LogAsTwin("microcode-early-cpio-switch-off", &[NO_INIT_INFO], &[SWITCHED_OFF]),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "microcode-early-cpio-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("microcode-only"),
        cmdline: "root=/dev/vda rw console_msg_format=syslog initramfs_user_root=0",
        ..DISK_ROOT
    },
    // A large initramfs given up: its user root is freed before the
    // archives are unpacked again, not beside the second unpacking.
    Scenario {
        name: "fallback-memory",
        about: "a 64 MiB initramfs without /init, disk boot: MemAvailable at the disk's init as on stock",
        initrd: Some("no-init-large"),
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: no /init in the initramfs; unmounting the user root"),
                Check::Near("free_pages", "fallback-memory-switch-off", FALLBACK_FREE_PAGES),
                Check::Near("mem_available_kb", "fallback-memory-switch-off", FALLBACK_MEMORY_KB),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "fallback-memory-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("no-init-large"),
        cmdline: "root=/dev/vda rw initramfs_user_root=0",
        ..DISK_ROOT
    },
    // initramfs_async=0 makes populate_rootfs() wait for the unpacking,
    // which still runs in an async worker: the same fallback, from the
    // same kind of thread.
    Scenario {
        name: "fallback-memory-async0",
        about: "the same with initramfs_async=0: MemAvailable at the disk's init as on stock",
        initrd: Some("no-init-large"),
        cmdline: "root=/dev/vda rw initramfs_async=0",
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: no /init in the initramfs; unmounting the user root"),
                Check::Near("free_pages", "fallback-memory-async0-switch-off", FALLBACK_FREE_PAGES),
                Check::Near(
                    "mem_available_kb",
                    "fallback-memory-async0-switch-off",
                    FALLBACK_MEMORY_KB,
                ),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "fallback-memory-async0-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("no-init-large"),
        cmdline: "root=/dev/vda rw initramfs_async=0 initramfs_user_root=0",
        ..DISK_ROOT
    },
    DISK_ROOT,
    Scenario {
        name: "disk-root-config-off",
        about: "root=/dev/vda on the INITRAMFS_USER_ROOT=n kernel: the same",
        kernel: "nouserroot",
        ..DISK_ROOT
    },
    Scenario {
        name: "rustdebug-external",
        about: "Rust debug assertions: external initramfs, the user root, no assertion fires",
        kernel: "rustdebug",
        ..EXTERNAL
    },
    // A kernel shaped like a distribution's, where more runs during the
    // boot: usermode helpers forked while the archives are unpacked must
    // find them, as many as on stock, on one CPU and on two.
    HELPERS,
    Scenario {
        name: "helpers-1cpu-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        cmdline: "ur_probe=helpers initramfs_user_root=0",
        checks: &[STOCK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS
    },
    Scenario {
        name: "helpers-2cpu",
        about: "the same on 2 vCPUs: every helper run reaches the initramfs, as on stock",
        cpus: 2,
        checks: &[USER_ROOT, &[
            Check::AtLeast("hotplug_runs", 1),
            Check::SameAs("hotplug_runs", "helpers-2cpu-switch-off"),
            Check::SameAs("hotplug_calls", "helpers-2cpu-switch-off"),
        ]],
        ..HELPERS
    },
    Scenario {
        name: "helpers-2cpu-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        cpus: 2,
        cmdline: "ur_probe=helpers initramfs_user_root=0",
        checks: &[STOCK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS
    },
    // The same helpers while the user root is given up (a disk boot): a
    // helper whose fork copied the user root gets rootfs back, so the
    // roots they ran from are stock's.
    HELPERS_FALLBACK,
    Scenario {
        name: "helpers-fallback-1cpu-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        cmdline: "root=/dev/vda rw ur_probe=helpers initramfs_user_root=0",
        checks: &[DISK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS_FALLBACK
    },
    // The lazy detach while helpers run: every try walks the tasks, and
    // a helper forked after the last walk, a window of microseconds
    // before the detach, would run from the detached user root.
    Scenario {
        name: "helpers-fallback-busy",
        about: "the same, the user root busy at all 100 tries (fault points) and detached lazily: the helpers' roots are stock's",
        cmdline: "root=/dev/vda rw ur_probe=helpers fail_initramfs_user_root=1,100,4,100",
        checks: &[DISK, &[
            Check::Logs(NO_INIT),
            Check::Logs("initramfs: the user root stayed in use; detached it lazily"),
            Check::AtLeast("hotplug_runs", 1),
            Check::SameAs("hotplug_runs", "helpers-fallback-1cpu-switch-off"),
            Check::SameAs("helper_roots", "helpers-fallback-1cpu-switch-off"),
        ]],
        ..HELPERS_FALLBACK
    },
    Scenario {
        name: "helpers-fallback-2cpu",
        about: "the same on 2 vCPUs",
        cpus: 2,
        checks: &[DISK, &[
            Check::Logs(NO_INIT),
            Check::AtLeast("hotplug_runs", 1),
            Check::SameAs("hotplug_runs", "helpers-fallback-2cpu-switch-off"),
            Check::SameAs("hotplug_calls", "helpers-fallback-2cpu-switch-off"),
            Check::SameAs("helper_roots", "helpers-fallback-2cpu-switch-off"),
        ]],
        ..HELPERS_FALLBACK
    },
    Scenario {
        name: "helpers-fallback-2cpu-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        cpus: 2,
        cmdline: "root=/dev/vda rw ur_probe=helpers initramfs_user_root=0",
        checks: &[DISK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS_FALLBACK
    },
    // An old-style initrd (a filesystem image, not an archive) on a kernel
    // with BLK_DEV_RAM: unpacking it fails, the user root is given up, and
    // the stock code saves it as /initrd.image for /dev/ram0.
    Scenario {
        name: "old-initrd",
        about: "an ext4 image as initrd, root=/dev/ram0: given up; ram0 is the root; the log stock's plus one info line",
        kernel: "distro",
        initrd: Some("disk"),
        disk: None,
        cmdline: "root=/dev/ram0 rw ramdisk_size=65536 console_msg_format=syslog",
        checks: &[
            DISK,
            &[
                Check::Is("init", "/sbin/init"),
                Check::LogAsTwin(
                    "old-initrd-switch-off",
                    &["<6>initramfs: unpacking into the user root failed ("],
                    &[SWITCHED_OFF],
                ),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "old-initrd-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        kernel: "distro",
        initrd: Some("disk"),
        disk: None,
        cmdline: "root=/dev/ram0 rw ramdisk_size=65536 console_msg_format=syslog initramfs_user_root=0",
        checks: &[DISK, &[Check::Logs("RAMDISK: ")]],
        ..EXTERNAL
    },
    Scenario {
        name: "hardlinks-no-trailer-disk",
        about: "hard links, no trailer, no /init, root=/dev/vda: rootfs gets what stock gets",
        kernel: "distro",
        initrd: Some("hardlinks-no-trailer"),
        cmdline: "root=/dev/vda rw ur_probe=helpers",
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: no /init in the initramfs; unmounting the user root"),
                Check::SameAs("helper_root_listing", "hardlinks-no-trailer-disk-switch-off"),
                Check::SameAs("helper_root_listing", "hardlinks-no-trailer-disk-unpatched"),
                Check::SameAs("root_parent_id", "hardlinks-no-trailer-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "hardlinks-no-trailer-disk-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        kernel: "distro",
        initrd: Some("hardlinks-no-trailer"),
        cmdline: "root=/dev/vda rw ur_probe=helpers initramfs_user_root=0",
        ..DISK_ROOT
    },
    // The same archive built into the kernel, with no external one: its
    // second unpack has no other archive's trailer before it to empty the
    // hard-link table, so a table the first pass left filled loses the links.
    Scenario {
        name: "hardlinks-builtin-no-trailer-disk",
        about: "the same archive built in, no initrd: rootfs gets what stock gets",
        kernel: "distro-hardlinks",
        initrd: None,
        cmdline: "root=/dev/vda rw ur_probe=helpers",
        checks: &[
            DISK,
            &[
                Check::Logs("initramfs: no /init in the initramfs; unmounting the user root"),
                Check::SameAs("helper_root_listing", "hardlinks-builtin-no-trailer-disk-switch-off"),
                Check::SameAs("root_parent_id", "hardlinks-builtin-no-trailer-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "hardlinks-builtin-no-trailer-disk-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        kernel: "distro-hardlinks",
        initrd: None,
        cmdline: "root=/dev/vda rw ur_probe=helpers initramfs_user_root=0",
        ..DISK_ROOT
    },
    // Initramfs images made by the distribution's own generators, handing
    // over to an ext4 disk as they do on real systems.
    Scenario {
        name: "initramfs-tools",
        about: "Debian's mkinitramfs image (busybox run-init) boots the disk as on stock",
        kernel: "distro",
        initrd: Some("initramfs-tools"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw",
        checks: &[
            DISK,
            &[
                Check::Is("init", "/sbin/init"),
                Check::Logs(KEPT_RAMFS),
                Check::Is("handoff_root_fs", "ramfs"),
                Check::Is("handoff_root_own_parent", "no"),
                // run-init empties the old root and moves the disk over it:
                // the emptied user root stays beneath the disk.
                Check::Equal("root_parent_id", "handoff_root_id"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "initramfs-tools-switch-off",
        about: "the same with initramfs_user_root=0: run-init empties rootfs and overmounts it",
        kernel: "distro",
        initrd: Some("initramfs-tools"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw initramfs_user_root=0",
        checks: &[
            &HANDED_OFF_STOCK,
            &[
                Check::SameAs("root_parent_id", "initramfs-tools-unpatched"),
                Check::SameAs("handoff_root_id", "initramfs-tools-unpatched"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "dracut-systemd",
        about: "dracut image with systemd: systemd-switch-root pivots and detaches the initramfs",
        kernel: "distro",
        initrd: Some("dracut"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rootfstype=ext4 rw",
        checks: &[
            DISK,
            &[
                Check::Is("init", "/sbin/init"),
                Check::Logs(KEPT_RAMFS),
                Check::Is("handoff_root_fs", "ramfs"),
                Check::Is("handoff_root_own_parent", "no"),
                // pivot_root put the disk where the initramfs was; an
                // MS_MOVE would have stacked it on the initramfs.
                Check::Unequal("root_parent_id", "handoff_root_id"),
                Check::Is("root_parent_id", "1"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "dracut-systemd-switch-off",
        about: "the same with initramfs_user_root=0: pivot_root fails, systemd moves the disk onto rootfs",
        kernel: "distro",
        initrd: Some("dracut"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rootfstype=ext4 rw initramfs_user_root=0",
        checks: &[
            &HANDED_OFF_STOCK,
            &[
                Check::SameAs("root_parent_id", "dracut-systemd-unpatched"),
                Check::SameAs("handoff_root_id", "dracut-systemd-unpatched"),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kunit-debugfs",
        about: "distro kernel: the KUnit results in debugfs read after boot, no oops",
        kernel: "distro",
        cmdline: "ur_probe=kunit-debugfs",
        checks: &[
            USER_ROOT,
            &[
                Check::Is("kunit_debugfs", "ok"),
                Check::Logs("# initramfs_user_root: pass:5 fail:0 skip:0 total:5"),
            ],
        ],
        ..EXTERNAL
    },
    // KASAN makes the memory errors of the paths above visible: the
    // mount, a fallback after a failed unpack, and mount options with a
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
        checks: &[
            STOCK,
            &[Check::Logs("initramfs: unpacking into the user root failed")],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "kasan-options-no-init",
        about: "KASAN kernel: initramfs_options=, no /init, disk root; no KASAN report",
        kernel: "kasan",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw initramfs_options=mode=0755",
        checks: &[
            DISK,
            &[Check::Logs(
                "initramfs: no /init in the initramfs; unmounting the user root",
            )],
        ],
        ..DISK_ROOT
    },
    // Every fallback branch, through the fault points
    // (CONFIG_FAIL_INITRAMFS_USER_ROOT), on the KASAN and lockdep kernel:
    // each ends as stock, with the lines its branch names and no report.
    // fail_initramfs_user_root=1,100,N,T fails the Nth point reached and
    // the T - 1 after it: 1 the mount, 2 entering it, 3 unpacking into
    // it, then each of the 100 tries of unmounting it, then the lazy
    // detach.
    Scenario {
        name: "fault-mount",
        about: "KASAN + lockdep, mounting the user root fails: stock rootfs, /init runs",
        kernel: "kasan",
        cmdline: "fail_initramfs_user_root=1,100,1,1 console_msg_format=syslog",
        checks: &[
            STOCK,
            &[
                Check::Logs(FAULT_INJECTED),
                Check::Logs("initramfs: cannot mount the user root: ENOMEM; unpacking into rootfs"),
                Check::SameAs("rootfs_listing", "unpatched-external"),
                Check::LogAsTwin(
                    "fault-switch-off",
                    &["<3>initramfs: cannot mount the user root: ENOMEM"],
                    &[SWITCHED_OFF],
                ),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "fault-enter",
        about: "KASAN + lockdep, entering the user root fails: its mount undone, stock rootfs, /init runs",
        kernel: "kasan",
        cmdline: "fail_initramfs_user_root=1,100,2,1 console_msg_format=syslog",
        checks: &[
            STOCK,
            &[
                Check::Logs(FAULT_INJECTED),
                Check::Logs("initramfs: cannot mount the user root: ENOENT; unpacking into rootfs"),
                Check::SameAs("rootfs_listing", "unpatched-external"),
                Check::LogAsTwin(
                    "fault-switch-off",
                    &["<3>initramfs: cannot mount the user root: ENOENT"],
                    &[SWITCHED_OFF],
                ),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "fault-unpack",
        about: "KASAN + lockdep, unpacking into the user root fails: it is freed, stock rootfs, /init runs",
        kernel: "kasan",
        cmdline: "fail_initramfs_user_root=1,100,3,1 console_msg_format=syslog",
        checks: &[
            STOCK,
            &[
                Check::Logs(FAULT_INJECTED),
                Check::Logs(
                    "initramfs: unpacking into the user root failed (fault injected); unpacking into rootfs",
                ),
                Check::SameAs("rootfs_listing", "unpatched-external"),
                Check::Near("shmem_kb", "fault-switch-off", 256),
                Check::LogAsTwin(
                    "fault-switch-off",
                    &["<6>initramfs: unpacking into the user root failed (fault injected)"],
                    &[SWITCHED_OFF],
                ),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "fault-switch-off",
        about: "the KASAN + lockdep kernel with initramfs_user_root=0, for comparison",
        kernel: "kasan",
        cmdline: "initramfs_user_root=0 console_msg_format=syslog",
        checks: &[STOCK, &[Check::SameAs("rootfs_listing", "unpatched-external")]],
        ..EXTERNAL
    },
    Scenario {
        name: "fault-busy",
        about: "KASAN + lockdep, disk boot, the user root busy at all 100 tries: detached lazily, the disk boots on rootfs",
        kernel: "kasan",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw fail_initramfs_user_root=1,100,4,100",
        checks: &[
            DISK,
            &[
                Check::Logs(NO_INIT),
                Check::Logs("initramfs: the user root stayed in use; detached it lazily"),
                Check::Is("user_root_mounts", "0"),
                Check::SameAs("root_parent_id", "no-init-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "fault-umount",
        about: "KASAN + lockdep, disk boot, the user root busy, then its detach fails: it stays beneath the disk, which boots",
        kernel: "kasan",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw fail_initramfs_user_root=1,100,4,101",
        checks: &[
            DISK,
            &[
                Check::Logs(NO_INIT),
                Check::Logs("initramfs: cannot unmount the user root: EINVAL; rootfs is the root again"),
                // What it costs: the user root stays mounted on rootfs,
                // with what it holds, and the disk is moved on top of it,
                // not onto rootfs as when it is detached.
                Check::Differs("root_parent_id", "fault-busy"),
            ],
        ],
        ..DISK_ROOT
    },
    // What initramfs-only systems run containers with.
    DOCKER,
    Scenario {
        name: "docker-run-switch-off",
        about: "the same with initramfs_user_root=0: docker run fails with runc's pivot_root error",
        cmdline: "ur_probe=docker initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("docker_run", "EINVAL")]],
        ..DOCKER
    },
    Scenario {
        name: "docker-ramdisk-switch-off",
        about: "switch off, DOCKER_RAMDISK=true (what LinuxKit and minikube set): the container runs and reaches the host's initramfs",
        cmdline: "ur_probe=docker ur_docker_ramdisk=1 initramfs_user_root=0",
        checks: &[
            STOCK,
            &[
                Check::Is("docker_run", "ok"),
                Check::Is("host_marker", "ok"),
                Check::Is("container_escape", "host"),
            ],
        ],
        ..DOCKER
    },
    PODMAN,
    Scenario {
        name: "podman-run-switch-off",
        about: "the same with initramfs_user_root=0: podman run fails with crun's pivot_root error",
        cmdline: "ur_probe=podman initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("podman_run", "EINVAL")]],
        ..PODMAN
    },
    // Stock as it is: the series' base, unpatched, so that a change of the
    // stock path (the first patches make some) cannot hide in every twin.
    // The user root's scenarios and their switch-off twins compare with
    // these: same outcome, same rootfs, same roots of the helpers.
    Scenario {
        name: "unpatched-external",
        about: "unpatched 6.12: external initramfs, / is rootfs, pivot_root fails with EINVAL",
        kernel: "unpatched",
        checks: &[STOCK, &[Check::NotLogs("user root")]],
        ..EXTERNAL
    },
    // With BLK_DEV_RAM (the distro configuration) stock takes a damaged
    // archive for an old-style initrd and saves it as /initrd.image.
    Scenario {
        name: "truncated-unpatched",
        about: "unpatched 6.12: truncated initramfs, rootfs holds what it could unpack and /initrd.image",
        kernel: "unpatched",
        initrd: Some("truncated"),
        checks: &[STOCK, &[Check::Logs("rootfs image is not initramfs")]],
        ..EXTERNAL
    },
    Scenario {
        name: "truncated-distro",
        about: "distro kernel: truncated initramfs: the fallback leaves rootfs as the unpatched kernel does",
        kernel: "distro",
        initrd: Some("truncated"),
        checks: &[
            STOCK,
            &[
                Check::Logs("initramfs: unpacking into the user root failed"),
                Check::Logs("rootfs image is not initramfs"),
                Check::SameAs("rootfs_listing", "truncated-unpatched"),
                Check::Near("shmem_kb", "truncated-unpatched", 256),
            ],
        ],
        ..EXTERNAL
    },
    Scenario {
        name: "garbage-disk-unpatched",
        about: "unpatched 6.12: an initrd that is no archive, root=/dev/vda: the disk boots",
        kernel: "unpatched",
        initrd: Some("garbage"),
        checks: &[DISK, &[Check::Logs("rootfs image is not initramfs")]],
        ..DISK_ROOT
    },
    Scenario {
        name: "old-initrd-unpatched",
        about: "unpatched 6.12: an ext4 image as initrd, root=/dev/ram0: ram0 is the root",
        kernel: "unpatched",
        initrd: Some("disk"),
        disk: None,
        cmdline: "root=/dev/ram0 rw ramdisk_size=65536",
        checks: &[DISK, &[Check::Is("init", "/sbin/init"), Check::Logs("RAMDISK: ")]],
        ..EXTERNAL
    },
    Scenario {
        name: "helpers-fallback-1cpu-unpatched",
        about: "unpatched 6.12: disk boot, initramfs without /init: where the helpers run",
        kernel: "unpatched",
        cmdline: "root=/dev/vda rw ur_probe=helpers",
        checks: &[DISK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS_FALLBACK
    },
    Scenario {
        name: "hardlinks-no-trailer-disk-unpatched",
        about: "unpatched 6.12: hard links, no trailer, no /init, root=/dev/vda: what rootfs gets",
        kernel: "unpatched",
        initrd: Some("hardlinks-no-trailer"),
        cmdline: "root=/dev/vda rw ur_probe=helpers",
        ..DISK_ROOT
    },
    Scenario {
        name: "initramfs-tools-unpatched",
        about: "unpatched 6.12: Debian's mkinitramfs image empties rootfs and overmounts it",
        kernel: "unpatched",
        initrd: Some("initramfs-tools"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw",
        checks: &[&HANDED_OFF_STOCK, &[Check::Equal("root_parent_id", "handoff_root_id")]],
        ..EXTERNAL
    },
    Scenario {
        name: "dracut-systemd-unpatched",
        about: "unpatched 6.12: dracut image with systemd moves the disk onto rootfs",
        kernel: "unpatched",
        initrd: Some("dracut"),
        disk: Some("disk"),
        cmdline: "root=/dev/vda rootfstype=ext4 rw",
        checks: &[&HANDED_OFF_STOCK, &[Check::Equal("root_parent_id", "handoff_root_id")]],
        ..EXTERNAL
    },
];

/// The arm64 kernel under test, from its external initramfs.
const ARM64: Scenario = Scenario {
    name: "arm64-external-initramfs",
    about: "arm64: external initramfs, / is the user root, pivot_root works",
    kernel: "arm64",
    ..EXTERNAL
};

/// The arm64 scenarios: `make test ARCH=arm64` runs them all, plain `make
/// test` those of [`ARM64_IN_DEFAULT`].
pub const ARM64_SCENARIOS: &[Scenario] = &[
    ARM64,
    Scenario {
        name: "arm64-builtin-initramfs",
        about: "arm64: initramfs built into the kernel, the user root",
        kernel: "arm64-builtin",
        initrd: None,
        ..ARM64
    },
    Scenario {
        name: "arm64-switch-off-external",
        about: "arm64: initramfs_user_root=0, stock: EINVAL",
        kernel: "arm64",
        ..EXTERNAL_OFF
    },
    Scenario {
        name: "arm64-config-off",
        about: "arm64: INITRAMFS_USER_ROOT=n, stock: EINVAL",
        kernel: "arm64-nouserroot",
        checks: &[STOCK],
        ..ARM64
    },
    Scenario {
        name: "arm64-truncated",
        about: "arm64: truncated initramfs, fallback to rootfs, which holds what stock holds",
        initrd: Some("truncated"),
        checks: &[
            STOCK,
            &[
                Check::SameAs("rootfs_listing", "arm64-truncated-switch-off"),
                Check::Near("shmem_kb", "arm64-truncated-switch-off", 256),
                Check::Logs("initramfs: unpacking into the user root failed"),
            ],
        ],
        ..ARM64
    },
    Scenario {
        name: "arm64-truncated-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        initrd: Some("truncated"),
        cmdline: "initramfs_user_root=0",
        checks: &[STOCK, &[Check::Logs("Initramfs unpacking failed")]],
        ..ARM64
    },
    Scenario {
        name: "arm64-initramfs-options-size",
        about: "arm64: initramfs_options=size=48m sizes the user root, and wins over rootflags=",
        cmdline: "initramfs_options=size=48m rootflags=size=64m",
        checks: &[&[
            Check::Is("root_fs", "tmpfs"),
            Check::Is("root_size_kb", "49152"),
            Check::Is("pivot_root", "ok"),
            Check::Logs(
                "initramfs: / is a user root (tmpfs, size=48m): pivot_root(2) works from it",
            ),
        ]],
        ..ARM64
    },
    Scenario {
        name: "arm64-kselftest",
        about: "arm64: the kselftest, cross-built, in the initramfs guest: all pass",
        initrd: Some("kselftest"),
        checks: &[
            USER_ROOT,
            &[
                Check::Is("kselftest", "0"),
                Check::Logs("# Totals: pass:6 fail:0 xfail:0 xpass:0 skip:0 error:0"),
            ],
        ],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-runc",
        about: "arm64: Debian's runc runs a busybox container with pivot_root",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc",
        checks: &[
            USER_ROOT,
            &[Check::Is("container", "ran"), Check::Is("runc", "ok")],
        ],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-runc-switch-off",
        about: "arm64: the same with initramfs_user_root=0: 'pivot_root .: invalid argument'",
        initrd: Some("runc"),
        cmdline: "ur_probe=runc initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("runc", "EINVAL")]],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-nix",
        about: "arm64: Nix 2.8 builds a derivation in its sandbox, which pivots into the build's root",
        initrd: Some("nix"),
        cmdline: "ur_probe=nix",
        mem_mib: 1024,
        checks: &[USER_ROOT, &[Check::Is("nix", "ok")]],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-nix-switch-off",
        about: "arm64: the same with initramfs_user_root=0: \"cannot pivot old root directory onto ...: Invalid argument\"",
        initrd: Some("nix"),
        cmdline: "ur_probe=nix initramfs_user_root=0",
        mem_mib: 1024,
        checks: &[STOCK, &[Check::Is("nix", "EINVAL")]],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-disk-handoff",
        about: "arm64: /init pivot_roots to the ext4 disk and unmounts the initramfs",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk",
        checks: &[DISK, HANDED_OFF],
        ..ARM64
    },
    Scenario {
        name: "arm64-client-disk-handoff-switch-off",
        about: "arm64: the same with initramfs_user_root=0: EINVAL",
        disk: Some("disk"),
        cmdline: "root=/dev/vda rw ur_probe=disk initramfs_user_root=0",
        checks: &[STOCK, &[Check::Is("disk_handoff", "EINVAL")]],
        ..ARM64
    },
    Scenario {
        name: "arm64-64k-options",
        about: "arm64, 64 KiB pages: initramfs_options=size=48m through the page-sized copy",
        kernel: "arm64-64k",
        cmdline: "initramfs_options=size=48m rootflags=size=64m",
        checks: &[&[
            Check::Is("root_fs", "tmpfs"),
            Check::Is("root_size_kb", "49152"),
            Check::Is("pivot_root", "ok"),
            Check::Logs(
                "initramfs: / is a user root (tmpfs, size=48m): pivot_root(2) works from it",
            ),
        ]],
        ..ARM64
    },
    Scenario {
        name: "arm64-64k-truncated",
        about: "arm64, 64 KiB pages: truncated initramfs, fallback, rootfs holds what stock holds",
        kernel: "arm64-64k",
        initrd: Some("truncated"),
        checks: &[
            STOCK,
            &[
                Check::SameAs("rootfs_listing", "arm64-64k-truncated-switch-off"),
                Check::Near("shmem_kb", "arm64-64k-truncated-switch-off", 256),
                Check::Logs("initramfs: unpacking into the user root failed"),
            ],
        ],
        ..ARM64
    },
    Scenario {
        name: "arm64-64k-truncated-switch-off",
        about: "the same with initramfs_user_root=0, for comparison",
        kernel: "arm64-64k",
        initrd: Some("truncated"),
        cmdline: "initramfs_user_root=0",
        checks: &[STOCK, &[Check::Logs("Initramfs unpacking failed")]],
        ..ARM64
    },
];

/// The arm64 scenarios plain `make test` runs too: the user root and stock
/// behaviour, a fallback, the options, the kselftest, runc and the hand-off
/// to a disk.
const ARM64_IN_DEFAULT: &[&str] = &[
    "arm64-external-initramfs",
    "arm64-switch-off-external",
    "arm64-truncated",
    "arm64-initramfs-options-size",
    "arm64-kselftest",
    "arm64-client-runc",
    "arm64-client-runc-switch-off",
    "arm64-client-nix",
    "arm64-client-nix-switch-off",
    "arm64-client-disk-handoff",
];

/// Every scenario, x86_64 first.
fn all() -> impl Iterator<Item = &'static Scenario> {
    SCENARIOS.iter().chain(ARM64_SCENARIOS)
}

/// The scenarios a run covers: for an architecture, all of its; else the
/// x86_64 ones and the arm64 ones of [`ARM64_IN_DEFAULT`].
fn in_run(arch: Option<&str>) -> Vec<&'static Scenario> {
    match arch {
        Some(a) => all()
            .filter(|s| config::variant(s.kernel).is_ok_and(|v| v.arch.name == a))
            .collect(),
        None => SCENARIOS
            .iter()
            .chain(
                ARM64_SCENARIOS
                    .iter()
                    .filter(|s| ARM64_IN_DEFAULT.contains(&s.name)),
            )
            .collect(),
    }
}

/// Prints the kernel variants and the scenarios.
pub fn list() {
    for v in config::VARIANTS {
        println!("kernel {:17} [{}] {}", v.name, v.arch.name, v.about);
    }
    for k in crate::debian::KERNELS {
        println!(
            "kernel {:17} [{}] Debian's {} linux-image-cloud (prebuilt, for `make compare`)",
            k.name, k.arch.name, k.suite
        );
    }
    for s in all() {
        println!("{:40} [{}] {}", s.name, s.kernel, s.about);
    }
}

/// The scenario `name` of the x86_64 table, or its arm64 twin
/// (`arm64-<name>`) for arm64.
pub fn for_arch(name: &str, arch: &qemu::Arch) -> Option<&'static Scenario> {
    match arch.name {
        "x86_64" => find(name).ok(),
        a => find(&format!("{a}-{name}")).ok(),
    }
}

/// Looks a scenario up by name.
fn find(name: &str) -> Result<&'static Scenario> {
    all()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no scenario {name:?}").into())
}

/// The scenarios `s` compares itself with.
fn twins(s: &Scenario) -> impl Iterator<Item = &'static str> + '_ {
    s.checks
        .iter()
        .flat_map(|g| g.iter())
        .filter_map(|c| match c {
            Check::SameAs(_, twin)
            | Check::Differs(_, twin)
            | Check::Near(_, twin, _)
            | Check::LogAsTwin(twin, ..) => Some(*twin),
            _ => None,
        })
}

/// Builds what the chosen scenarios need, runs the gates, boots the
/// scenarios two at a time, prints TAP in order, the time of each phase and
/// the closing count; true when all passed.
pub fn run_all(ws: &Workspace, pattern: Option<&str>, arch: Option<&str>) -> Result<bool> {
    let matches = |name: &str| pattern.is_none_or(|p| name.contains(p));
    let chosen: Vec<&Scenario> = in_run(arch)
        .into_iter()
        .filter(|s| matches(s.name))
        .collect();
    // The gates check the series and the builds of every architecture:
    // a run for one architecture lists them as skipped.
    let gates: Vec<_> = gates::GATES.iter().filter(|g| matches(g.name)).collect();
    let (gates, skipped): (Vec<_>, Vec<_>) = gates.into_iter().partition(|_| arch.is_none());
    if chosen.is_empty() && gates.is_empty() {
        return Err(format!("nothing matches {pattern:?}; see `userroot list`").into());
    }
    // A scenario compared with another needs that one booted too.
    let mut booted: Vec<&Scenario> = Vec::new();
    for s in &chosen {
        for name in twins(s).chain([s.name]) {
            let t = find(name)?;
            if !booted.iter().any(|b| b.name == t.name) {
                booted.push(t);
            }
        }
    }
    booted.sort_by_key(|s| all().position(|x| x.name == s.name));

    let mut runner = Runner::new(ws)?;
    for s in &booted {
        runner.prepare(s)?;
    }
    for name in gates.iter().flat_map(|g| (g.kernels)()) {
        runner.kernel(name)?;
    }
    phase_secs("images", runner.images_time.as_secs(), "made or reused");
    // The probe boots a kernel: only when something is to be booted.
    let accel = if booted.is_empty() {
        Accel::Tcg
    } else {
        runner.accel()?
    };
    let mut tap = Tap::start(gates.len() + skipped.len() + chosen.len());
    // Debian's package moves under the project: every result names it.
    println!("# Linux source: {}", ws.linux_source()?.trim());
    for gate in skipped {
        tap.skip(
            gate.name,
            "a gate of every architecture: not run with --arch",
        );
    }
    for gate in gates {
        let start = Instant::now();
        let result = (gate.run)(ws);
        phase(&format!("gate {}", gate.name), start, "run");
        match result {
            Ok(failures) => tap.result(gate.name, &failures, "gate"),
            Err(e) => match e.downcast_ref::<crate::error::Skip>() {
                Some(why) => tap.skip(gate.name, &why.0),
                None => tap.result(gate.name, &[e.to_string()], "gate"),
            },
        }
    }

    let start = Instant::now();
    let outcomes = runner.boot_all(&booted, accel);
    // Every scenario chosen and every twin is among the booted, by
    // construction above; a miss is a bug of the runner, not boot 0.
    let index = |name: &str| {
        booted
            .iter()
            .position(|b| b.name == name)
            .unwrap_or_else(|| panic!("{name} was not booted"))
    };
    // Results in the order of the scenarios, each once its twins are done.
    for s in &chosen {
        let (failures, note) = match outcomes.wait(index(s.name)) {
            Ok(out) => {
                let twin_reports: BTreeMap<_, _> = twins(s)
                    .map(|t| (t, outcomes.wait(index(t)).ok().map(|o| o.report)))
                    .collect();
                let mut failures = check(s, &out, &twin_reports);
                // A twin booted only for this comparison has no TAP line of
                // its own: its kernel trouble fails this one.
                for (t, report) in &twin_reports {
                    if chosen.iter().all(|c| c.name != *t) {
                        for trouble in report.iter().flat_map(|r| &r.trouble) {
                            failures.push(format!("{t}: kernel: {trouble}"));
                        }
                    }
                }
                (failures, format!("{:.1}s", out.booted.secs))
            }
            Err(e) => (vec![e], "not booted".into()),
        };
        tap.result(s.name, &failures, &note);
        if !failures.is_empty() {
            println!("#   log: {}", runner.log(s).display());
        }
    }
    outcomes.join();
    phase(
        &format!("{} boots", booted.len()),
        start,
        &format!("{PARALLEL} at a time"),
    );
    for line in phases() {
        println!("# time: {line}");
    }
    Ok(tap.finish())
}

/// The boots `make run` shows: the user root, then the same kernel with it
/// switched off (stock behaviour).
const DEMO: &[&str] = &["external-initramfs", "switch-off-external"];

/// `make run`: boot from an external initramfs with the user root on and
/// off and show, in a line each, what `/` is and what pivot_root(2) does
/// there. Each boot is checked as `make test` checks it, but for the
/// comparisons with boots that are not among these two.
pub fn demo(ws: &Workspace, version: &str) -> Result<bool> {
    let mut runner = Runner::new(ws)?;
    let chosen: Vec<&Scenario> = DEMO.iter().map(|n| find(n)).collect::<Result<_>>()?;
    for s in &chosen {
        runner.prepare(s)?;
    }
    let accel = runner.accel()?;
    let outcomes = runner.boot_all(&chosen, accel);
    let reports: BTreeMap<&str, Option<Report>> = chosen
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name, outcomes.wait(i).ok().map(|o| o.report)))
        .collect();
    println!();
    println!("Linux {version}, kernel 'default', booted from an external initramfs ({accel:?}):");
    let mut ok = true;
    for (i, s) in chosen.iter().enumerate() {
        let out = outcomes.wait(i)?;
        let r = &out.report;
        let value = |k| r.get(k).unwrap_or("(not reported)");
        let root_line = r
            .display
            .iter()
            .find(|l| l.contains(" / / "))
            .map_or("(not reported)", |l| l.trim());
        let how = if s.cmdline.is_empty() {
            "user root on"
        } else {
            s.cmdline
        };
        println!("  {how}:");
        println!("    / in mountinfo:  {root_line}");
        print!("    pivot_root(\".\", \"old\"): {}", value("pivot_root"));
        if r.get("pivot_root") == Some("ok") {
            print!(
                "; old root unmounted: {}, {} kB given back",
                value("umount_old"),
                value("old_root_freed_kb")
            );
        }
        println!();
        let twins: BTreeMap<&str, Option<Report>> = twins(s)
            .filter_map(|t| Some((t, reports.get(t)?.clone())))
            .collect();
        for f in check(s, &out, &twins) {
            println!("    FAILED: {f}");
            ok = false;
        }
    }
    outcomes.join();
    println!(
        "Serial logs: {}/{{{}}}.log",
        ws.logs().display(),
        DEMO.join(",")
    );
    println!("`make test` runs every check; `make list` names them.");
    Ok(ok)
}

/// One finished boot.
#[derive(Clone)]
pub struct Outcome {
    /// What the guest and kernel reported.
    pub report: Report,
    /// How the boot ended.
    pub booted: Booted,
    /// The whole serial log.
    pub log: String,
}

/// What a boot must show: no timeout, no kernel trouble, the guest script
/// finished, every check. `twins` holds the reports of the scenarios it is
/// compared with (None: that boot failed); a comparison with a scenario
/// that is not in it, not booted in this run, is left out.
fn check(s: &Scenario, out: &Outcome, twins: &BTreeMap<&str, Option<Report>>) -> Vec<String> {
    let (r, booted, log) = (&out.report, &out.booted, &out.log);
    let mut failures = Vec::new();
    if booted.timed_out {
        failures.push(format!("timed out after {:.0}s", booted.secs));
    }
    failures.extend(r.trouble.iter().map(|t| format!("kernel: {t}")));
    if !r.done {
        failures.push("the guest did not finish its script".into());
    }
    let number = |report: &Report, key: &str| report.get(key).and_then(|v| v.parse::<u64>().ok());
    for c in s.checks.iter().flat_map(|g| g.iter()) {
        let failure = match c {
            Check::Is(key, want) => match r.get(key) {
                Some(got) if got == *want => None,
                got => Some(format!(
                    "{key}: expected {want}, got {}",
                    got.unwrap_or("nothing")
                )),
            },
            Check::Logs(line) => {
                (!log.contains(line)).then(|| format!("kernel log lacks {line:?}"))
            }
            Check::NotLogs(line) => log
                .contains(line)
                .then(|| format!("kernel log has {line:?}")),
            Check::LogsInOrder(texts) => {
                let mut at = 0;
                texts.iter().find_map(|t| match log[at..].find(t) {
                    Some(i) => {
                        at += i + t.len();
                        None
                    }
                    None => Some(format!("kernel log lacks {t:?} in the order {texts:?}")),
                })
            }
            Check::LogAsTwin(twin, ..)
            | Check::SameAs(_, twin)
            | Check::Differs(_, twin)
            | Check::Near(_, twin, _)
                if !twins.contains_key(twin) =>
            {
                None
            }
            Check::LogAsTwin(twin, here, there) => match twins.get(twin).and_then(Option::as_ref) {
                None => Some(format!(
                    "boot-path log: no report from {twin} to compare with"
                )),
                Some(t) => log_as_twin(r, t, twin, here, there),
            },
            Check::AtLeast(key, min) => match number(r, key) {
                Some(n) if n >= *min => None,
                got => Some(format!("{key}: expected at least {min}, got {got:?}")),
            },
            Check::SameAs(key, twin) | Check::Differs(key, twin) => {
                let same = matches!(c, Check::SameAs(..));
                match twins.get(twin).and_then(Option::as_ref) {
                    None => Some(format!("{key}: no report from {twin} to compare with")),
                    Some(t)
                        if r.get(key).is_some()
                            && t.get(key).is_some()
                            && (r.get(key) == t.get(key)) == same =>
                    {
                        None
                    }
                    Some(t) => Some(format!(
                        "{key}: {} here, {} in {twin}, expected {}",
                        r.get(key).unwrap_or("nothing"),
                        t.get(key).unwrap_or("nothing"),
                        if same { "the same" } else { "a difference" }
                    )),
                }
            }
            Check::Equal(a, b) | Check::Unequal(a, b) => {
                let equal = matches!(c, Check::Equal(..));
                match (r.get(a), r.get(b)) {
                    (Some(x), Some(y)) if (x == y) == equal => None,
                    (x, y) => Some(format!(
                        "{a} = {} and {b} = {}: expected {}",
                        x.unwrap_or("nothing"),
                        y.unwrap_or("nothing"),
                        if equal { "equal" } else { "different" }
                    )),
                }
            }
            Check::Near(key, twin, tolerance) => match twins.get(twin).and_then(Option::as_ref) {
                None => Some(format!("{key}: no report from {twin} to compare with")),
                Some(t) => match (number(r, key), number(t, key)) {
                    (Some(a), Some(b)) if a.abs_diff(b) <= *tolerance => None,
                    (a, b) => Some(format!(
                        "{key}: {a:?} here, {b:?} in {twin} (allowed difference {tolerance})"
                    )),
                },
            },
        };
        failures.extend(failure);
    }
    // The rule an init can read on any kernel: pivot_root(2) leaves "/"
    // when "/" is not its own parent. Wherever the guest tried, they agree.
    if matches!(r.get("pivot_root"), Some("ok" | "EINVAL")) && r.get("rule_agrees") != Some("yes") {
        failures.push(format!(
            "rule_agrees: expected yes (\"/\" its own parent: {}, pivot_root: {}), got {}",
            r.get("root_own_parent").unwrap_or("nothing"),
            r.get("pivot_root").unwrap_or("nothing"),
            r.get("rule_agrees").unwrap_or("nothing")
        ));
    }
    for line in NEVER {
        // Unless the scenario asks for it: a fault point makes it happen.
        let asked = s
            .checks
            .iter()
            .flat_map(|g| g.iter())
            .any(|c| matches!(c, Check::Logs(l) if l.contains(line)));
        if log.contains(line) && !asked {
            failures.push(format!("kernel log has {line:?}"));
        }
    }
    failures
}

/// [`Check::LogAsTwin`]: the boot-path lines of `r` and of `twin`'s report
/// `t`, compared as multisets; what only one has must be what is expected
/// there, one line per expected start.
fn log_as_twin(
    r: &Report,
    t: &Report,
    twin: &str,
    here: &[&str],
    there: &[&str],
) -> Option<String> {
    let mut only_here = boot_path(r);
    let mut only_there = Vec::new();
    for line in boot_path(t) {
        match only_here.iter().position(|l| *l == line) {
            Some(i) => {
                only_here.remove(i);
            }
            None => only_there.push(line),
        }
    }
    let mut unexpected = Vec::new();
    for (lines, expected, side) in [
        (&mut only_here, here, "here"),
        (&mut only_there, there, twin),
    ] {
        for start in expected {
            match lines.iter().position(|l| l.starts_with(start)) {
                Some(i) => {
                    lines.remove(i);
                }
                None => unexpected.push(format!("no line {start:?} {side}")),
            }
        }
        // A progress line (RAMDISK's spinner) can run to kilobytes.
        unexpected.extend(lines.iter().map(|l| {
            let cut: String = l.chars().take(160).collect();
            format!("only {side}: {cut:?}")
        }));
    }
    (!unexpected.is_empty())
        .then(|| format!("boot-path log against {twin}'s: {}", unexpected.join("; ")))
}

/// The outcome of one boot, or why it did not happen.
type BootResult = std::result::Result<Outcome, String>;

/// Outcomes of boots running in the background, waited for by index.
struct Outcomes {
    slots: Arc<(Mutex<Vec<Option<BootResult>>>, Condvar)>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Outcomes {
    /// Waits for boot `i` and returns its outcome.
    fn wait(&self, i: usize) -> BootResult {
        let (slots, done) = &*self.slots;
        let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &slots[i] {
                return outcome.clone();
            }
            slots = done.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits for every boot.
    fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Builds kernels and images once per run and boots scenarios.
pub struct Runner<'a> {
    ws: &'a Workspace,
    kernels: BTreeMap<&'static str, PathBuf>,
    images: BTreeMap<(&'static str, &'static str), PathBuf>,
    /// Time spent making or checking images, kernels apart (each kernel
    /// has its own phase line).
    images_time: Duration,
}

/// What one boot needs, resolved before the boots start.
#[derive(Clone)]
pub struct Prepared {
    /// The guest's architecture.
    pub arch: &'static qemu::Arch,
    /// The kernel image.
    pub kernel: PathBuf,
    /// The external initramfs.
    pub initrd: Option<PathBuf>,
    /// The disk image.
    pub disk: Option<PathBuf>,
    /// The serial log.
    pub log: PathBuf,
}

impl<'a> Runner<'a> {
    /// A runner; builds the default kernel, whose gen_init_cpio makes
    /// every initramfs.
    pub fn new(ws: &'a Workspace) -> Result<Self> {
        fs::create_dir_all(ws.logs())?;
        let runner = Self {
            ws,
            kernels: BTreeMap::new(),
            images: BTreeMap::new(),
            images_time: Duration::ZERO,
        };
        Ok(runner)
    }

    fn kernel(&mut self, name: &'static str) -> Result<PathBuf> {
        // The default kernel's usr/gen_init_cpio makes every initramfs,
        // built-in ones too: it goes first, once anything is built.
        if name != "default" && !self.kernels.contains_key("default") {
            self.kernel("default")?;
        }
        if !self.kernels.contains_key(name) {
            let image = kernels::image_of(self.ws, config::variant(name)?)?;
            self.kernels.insert(name, image);
        }
        Ok(self.kernels[name].clone())
    }

    fn image(&mut self, arch: &'static qemu::Arch, name: &'static str) -> Result<PathBuf> {
        let key = (arch.name, name);
        if !self.images.contains_key(&key) {
            self.kernel("default")?;
            let start = Instant::now();
            let path = image::build(self.ws, arch, image::find(name)?)?;
            self.images_time += start.elapsed();
            self.images.insert(key, path);
        }
        Ok(self.images[&key].clone())
    }

    fn log(&self, s: &Scenario) -> PathBuf {
        self.ws.logs().join(format!("{}.log", s.name))
    }

    /// Builds the kernel and images of a scenario.
    pub fn prepare(&mut self, s: &Scenario) -> Result<Prepared> {
        let arch = config::variant(s.kernel)?.arch;
        Ok(Prepared {
            arch,
            kernel: self.kernel(s.kernel)?,
            initrd: s.initrd.map(|i| self.image(arch, i)).transpose()?,
            disk: s.disk.map(|d| self.image(arch, d)).transpose()?,
            log: self.log(s),
        })
    }

    /// KVM if a probe boot of the first scenario finishes under it.
    fn accel(&mut self) -> Result<Accel> {
        let mut probe = self.prepare(&SCENARIOS[0])?;
        // Its own log: a probe that fails must not wipe the scenario's.
        probe.log = self.ws.logs().join("kvm-probe.log");
        let (accel, why) = qemu::choose_accel(|accel| match boot(&SCENARIOS[0], &probe, accel) {
            Err(e) => Err(e.to_string()),
            Ok(out) if out.booted.timed_out => {
                Err(format!("timed out; log: {}", probe.log.display()))
            }
            Ok(out) if !out.report.done => Err(format!(
                "the guest did not finish; log: {}",
                probe.log.display()
            )),
            Ok(_) => Ok(()),
        })?;
        step(&format!("QEMU accelerator: {accel:?} ({why})"));
        Ok(accel)
    }

    /// Starts the boots of `list`, [`PARALLEL`] at a time, in order.
    fn boot_all(&mut self, list: &[&'static Scenario], accel: Accel) -> Outcomes {
        let jobs: Arc<Vec<_>> = Arc::new(
            list.iter()
                .map(|s| (*s, self.prepare(s).map_err(|e| e.to_string())))
                .collect(),
        );
        let slots = Arc::new((Mutex::new(vec![None; list.len()]), Condvar::new()));
        let next = Arc::new(AtomicUsize::new(0));
        let threads = (0..PARALLEL)
            .map(|_| {
                let (jobs, slots, next) = (jobs.clone(), slots.clone(), next.clone());
                std::thread::spawn(move || {
                    while let Some((s, prepared)) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let outcome = prepared.clone().and_then(|p| {
                            // Other architectures than the host's run under TCG.
                            let accel = if p.arch.debian == "amd64" {
                                accel
                            } else {
                                Accel::Tcg
                            };
                            boot(s, &p, accel).map_err(|e| e.to_string())
                        });
                        let i = jobs.iter().position(|(j, _)| j.name == s.name).unwrap_or(0);
                        let (slots, done) = &*slots;
                        slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                        done.notify_all();
                    }
                })
            })
            .collect();
        Outcomes { slots, threads }
    }
}

/// One boot of a prepared scenario.
pub fn boot(s: &Scenario, p: &Prepared, accel: Accel) -> Result<Outcome> {
    let timeout = if accel == Accel::Kvm {
        Duration::from_secs(20)
    } else {
        TIMEOUT
    };
    let booted = qemu::boot(
        accel,
        &Boot {
            arch: p.arch,
            kernel: &p.kernel,
            initrd: p.initrd.as_deref(),
            disk: p.disk.as_deref(),
            cmdline: s.cmdline,
            mem_mib: s.mem_mib,
            cpus: s.cpus,
            log: &p.log,
            timeout,
            icount: false,
        },
    )?;
    let log = String::from_utf8_lossy(&fs::read(&p.log)?).into_owned();
    Ok(Outcome {
        report: parser::parse(&log),
        booted,
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_twins_exist() {
        let mut names = BTreeSet::new();
        for s in all() {
            assert!(names.insert(s.name), "{} twice", s.name);
            assert!(config::variant(s.kernel).is_ok(), "{}: kernel", s.name);
            for i in s.initrd.iter().chain(&s.disk) {
                assert!(image::find(i).is_ok(), "{}: image {i}", s.name);
            }
        }
        for s in all() {
            for t in twins(s) {
                assert!(names.contains(t), "{}: no twin {t}", s.name);
            }
        }
    }
}
