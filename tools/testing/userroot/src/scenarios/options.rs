// SPDX-License-Identifier: GPL-2.0
//! Unpacking and mount options: initramfs_async, rootflags, initramfs_options, rootfstype, rdinit.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
                "calling  {populate_rootfs}",
                "initramfs: / is a user root",
                "initcall {populate_rootfs} returned",
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
                "calling  {populate_rootfs}",
                "initcall {populate_rootfs} returned",
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
];
