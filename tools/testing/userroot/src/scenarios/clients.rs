// SPDX-License-Identifier: GPL-2.0
//! Programs that pivot_root from the initramfs: unshare, runc, Nix, bubblewrap, LXC, a hand-off to a disk; LoadPin; mount churn.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
];
