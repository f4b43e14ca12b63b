// SPDX-License-Identifier: GPL-2.0
//! The user root itself: where the archive comes from, the switches, KUnit and the kselftest.

use super::*;

/// This area's scenarios, in the order they run.
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
];
