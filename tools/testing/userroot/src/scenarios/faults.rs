// SPDX-License-Identifier: GPL-2.0
//! KASAN, lockdep and the fault points of every fallback.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
                Check::SameAs("root_parent_id", "fault-disk-switch-off"),
            ],
        ],
        ..DISK_ROOT
    },
    Scenario {
        name: "fault-disk-switch-off",
        about: "the KASAN + lockdep kernel, the same disk boot with initramfs_user_root=0, for comparison",
        kernel: "kasan",
        initrd: Some("no-init"),
        cmdline: "root=/dev/vda rw initramfs_user_root=0",
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
];
