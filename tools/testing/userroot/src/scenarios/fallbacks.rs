// SPDX-License-Identifier: GPL-2.0
//! Bad input and fallbacks to stock: no /init, damaged archives, too small a user root, microcode archives, memory, usermode helpers, old initrds, hard links.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
        name: "garbage-disk-distro",
        about: "the same on the distro kernel: the log is the unpatched kernel's plus one line",
        kernel: "distro",
        initrd: Some("garbage"),
        cmdline: "root=/dev/vda rw console_msg_format=syslog",
        checks: &[
            DISK,
            &[
                Check::SameAs("root_parent_id", "garbage-disk-unpatched"),
                Check::LogAsTwin("garbage-disk-unpatched", &[UNPACK_FAILED], &[]),
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
    Scenario {
        name: "user-root-too-small-distro",
        about: "the same on the distro kernel: rootfs holds what the unpatched kernel's holds",
        kernel: "distro",
        cmdline: "rootflags=size=1m",
        checks: &[
            STOCK,
            &[
                Check::Logs("initramfs: unpacking into the user root failed (write error)"),
                Check::SameAs("rootfs_listing", "unpatched-external"),
                Check::Near("shmem_kb", "unpatched-external", 256),
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
    Scenario {
        name: "microcode-early-cpio-distro",
        about: "the same on the distro kernel: the log is the unpatched kernel's plus one info line",
        kernel: "distro",
        initrd: Some("microcode-only"),
        cmdline: "root=/dev/vda rw console_msg_format=syslog",
        checks: &[
            DISK,
            &[
                Check::SameAs("root_parent_id", "microcode-early-cpio-unpatched"),
                Check::LogAsTwin("microcode-early-cpio-unpatched", &[NO_INIT_INFO], &[]),
            ],
        ],
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
    Scenario {
        name: "fallback-memory-distro",
        about: "the same on the distro kernel: MemAvailable at the disk's init as on the unpatched kernel",
        kernel: "distro",
        initrd: Some("no-init-large"),
        checks: &[
            DISK,
            &[
                Check::Logs(NO_INIT),
                Check::Near(
                    "free_pages",
                    "fallback-memory-unpatched",
                    FALLBACK_FREE_PAGES_UNPATCHED,
                ),
                Check::Near("mem_available_kb", "fallback-memory-unpatched", FALLBACK_MEMORY_KB),
            ],
        ],
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
            Check::SameAs("hotplug_runs", "helpers-2cpu-unpatched"),
            Check::SameAs("hotplug_calls", "helpers-2cpu-unpatched"),
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
            Check::SameAs("hotplug_runs", "helpers-fallback-1cpu-unpatched"),
            Check::SameAs("helper_roots", "helpers-fallback-1cpu-unpatched"),
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
            Check::SameAs("hotplug_runs", "helpers-fallback-2cpu-unpatched"),
            Check::SameAs("helper_roots", "helpers-fallback-2cpu-unpatched"),
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
                Check::LogAsTwin("old-initrd-switch-off", &[UNPACK_FAILED], &[SWITCHED_OFF]),
                Check::LogAsTwin("old-initrd-unpatched", &[UNPACK_FAILED], &[]),
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
];
