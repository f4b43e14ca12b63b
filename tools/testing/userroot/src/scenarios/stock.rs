// SPDX-License-Identifier: GPL-2.0
//! Stock as it is: the series' base, unpatched.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
        cmdline: "root=/dev/vda rw console_msg_format=syslog",
        checks: &[DISK, &[Check::Logs("rootfs image is not initramfs")]],
        ..DISK_ROOT
    },
    Scenario {
        name: "microcode-early-cpio-unpatched",
        about: "unpatched 6.12: disk boot with an early microcode cpio alone",
        kernel: "unpatched",
        initrd: Some("microcode-only"),
        cmdline: "root=/dev/vda rw console_msg_format=syslog",
        ..DISK_ROOT
    },
    Scenario {
        name: "fallback-memory-unpatched",
        about: "unpatched 6.12: a 64 MiB initramfs without /init, disk boot: MemAvailable at the disk's init",
        kernel: "unpatched",
        initrd: Some("no-init-large"),
        ..DISK_ROOT
    },
    Scenario {
        name: "helpers-1cpu-unpatched",
        about: "unpatched 6.12: the uevent helpers' runs from the initramfs, 1 vCPU",
        kernel: "unpatched",
        checks: &[STOCK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS
    },
    Scenario {
        name: "helpers-2cpu-unpatched",
        about: "unpatched 6.12: the same on 2 vCPUs",
        kernel: "unpatched",
        cpus: 2,
        checks: &[STOCK, &[Check::AtLeast("hotplug_runs", 1)]],
        ..HELPERS
    },
    Scenario {
        name: "old-initrd-unpatched",
        about: "unpatched 6.12: an ext4 image as initrd, root=/dev/ram0: ram0 is the root",
        kernel: "unpatched",
        initrd: Some("disk"),
        disk: None,
        cmdline: "root=/dev/ram0 rw ramdisk_size=65536 console_msg_format=syslog",
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
        name: "helpers-fallback-2cpu-unpatched",
        about: "unpatched 6.12: the same on 2 vCPUs",
        kernel: "unpatched",
        cpus: 2,
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
