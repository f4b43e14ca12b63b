// SPDX-License-Identifier: GPL-2.0
//! Images made by initramfs-tools and dracut, handing over to a disk.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
];
