// SPDX-License-Identifier: GPL-2.0
//! The arm64 scenarios: the x86_64 ones that matter on another
//! architecture, on the arm64 kernels.

use super::*;

/// The arm64 kernel under test, from its external initramfs.
const ARM64: Scenario = Scenario {
    name: "arm64-external-initramfs",
    about: "arm64: external initramfs, / is the user root, pivot_root works",
    kernel: "arm64",
    ..EXTERNAL
};

/// The arm64 scenarios: `make test ARCH=arm64` runs them all, plain `make
/// test` those of [`IN_DEFAULT`].
pub const SCENARIOS: &[Scenario] = &[
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
pub const IN_DEFAULT: &[&str] = &[
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
