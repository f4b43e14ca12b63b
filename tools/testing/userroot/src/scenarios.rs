// SPDX-License-Identifier: GPL-2.0
//! The boot scenarios, as data: what each boots and what it must show.
//! The engine (`engine.rs`) boots and checks them.

use std::time::Duration;

use crate::config;
use crate::error::Result;
use crate::parser::Report;
use crate::qemu;

mod arm64;
mod basics;
mod clients;
mod fallbacks;
mod faults;
mod generators;
mod options;
mod runtimes;
mod stock;

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
    /// The kernel log has these texts, each after the one before;
    /// [`POPULATE_ROOTFS`] in one stands for populate_rootfs as the
    /// kernel's `initcall_debug` lines name it (by address without
    /// kallsyms).
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
pub const TIMEOUT: Duration = Duration::from_secs(120);
const MEM_MIB: u32 = 512;

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
pub const NEVER: &[&str] = &[
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

/// The lines of [`BOOT_PATH`] in a boot's kernel log, but KUnit's (the
/// feature's suite has the feature's name) and with what differs between
/// two builds of a kernel left out: the size of its freed init and data.
pub fn boot_path(r: &Report) -> Vec<&str> {
    r.kernel
        .iter()
        .map(String::as_str)
        .filter(|l| {
            BOOT_PATH.iter().any(|w| l.contains(w))
                && !l.contains("Command line:")
                && !l.contains("command line:")
                && !is_ktap(l)
        })
        // The RAMDISK loader's spinner grows with the time the load took.
        .map(|l| l.find(RAMDISK_SPINNER).map_or(l, |i| &l[..i]))
        .map(|l| match l.find(FREED_IMAGE) {
            Some(i) => &l[..i + FREED_IMAGE.len()],
            None => l,
        })
        .collect()
}

/// How the kernel says what of its image it freed, before the size: the
/// feature's code is in `.init.text`, so the patched kernel frees more.
const FREED_IMAGE: &str = "Freeing unused kernel image";

/// Whether a kernel line (its level stripped) is KUnit's KTAP output.
fn is_ktap(line: &str) -> bool {
    let text = line
        .strip_prefix('<')
        .and_then(|l| l.split_once('>'))
        .map_or(line, |(_, rest)| rest)
        .trim_start();
    text.starts_with("# ")
        || text.starts_with("ok ")
        || text.starts_with("not ok ")
        || text.starts_with("KTAP version")
}

/// Where the RAMDISK loader's progress spinner starts in its line.
const RAMDISK_SPINNER: &str = " |\u{8}";

/// What the switch-off twin logs that a boot with the user root does not.
const SWITCHED_OFF: &str = "<6>initramfs: user root disabled by initramfs_user_root=";
/// Stands for populate_rootfs in a [`Check::LogsInOrder`] text.
pub const POPULATE_ROOTFS: &str = "{populate_rootfs}";
/// What a fallback after a failed unpacking adds to stock's log.
const UNPACK_FAILED: &str = "<6>initramfs: unpacking into the user root failed (";
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
            Check::SameAs("hotplug_runs", "helpers-1cpu-unpatched"),
            Check::SameAs("hotplug_calls", "helpers-1cpu-unpatched"),
        ],
    ],
    ..EXTERNAL
};

/// How far the free pages at the disk's init may be from stock's after a
/// fallback from a 64 MiB initramfs (16384 pages), those on the per-CPU
/// lists included: 6 and 8 measured.
const FALLBACK_FREE_PAGES: u64 = 16;
/// The same against the unpatched kernel, whose image is another build of
/// another size (the patched one frees more init memory): 6 and 18 pages
/// measured. A user root not given back would be 16384.
const FALLBACK_FREE_PAGES_UNPATCHED: u64 = 64;
/// The same for MemAvailable, in KiB, which leaves out the per-CPU lists
/// and counts reclaimable caches, whose size at that instant varies from
/// boot to boot: -280, +832, +1328 and -2060 KiB measured (the last with
/// the same free pages on both sides). A user root not given back would be
/// 64 MiB.
const FALLBACK_MEMORY_KB: u64 = 4096;

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

/// The x86_64 scenarios by area, in the order they run; the first's first
/// is also `make run`'s and the KVM probe's.
const AREAS: &[&[Scenario]] = &[
    basics::SCENARIOS,
    clients::SCENARIOS,
    options::SCENARIOS,
    fallbacks::SCENARIOS,
    generators::SCENARIOS,
    faults::SCENARIOS,
    runtimes::SCENARIOS,
    stock::SCENARIOS,
];

/// The first scenario: the user root from an external initramfs.
pub const FIRST: &Scenario = &EXTERNAL;

/// Every scenario, x86_64 first.
pub fn all() -> impl Iterator<Item = &'static Scenario> {
    x86_64().chain(arm64::SCENARIOS)
}

/// The x86_64 scenarios.
fn x86_64() -> impl Iterator<Item = &'static Scenario> {
    AREAS.iter().flat_map(|a| a.iter())
}

/// The scenarios a run covers: for an architecture, all of its; else the
/// x86_64 ones and the arm64 ones of [`arm64::IN_DEFAULT`].
pub fn in_run(arch: Option<&str>) -> Vec<&'static Scenario> {
    match arch {
        Some(a) => all()
            .filter(|s| config::variant(s.kernel).is_ok_and(|v| v.arch.name == a))
            .collect(),
        None => x86_64()
            .chain(
                arm64::SCENARIOS
                    .iter()
                    .filter(|s| arm64::IN_DEFAULT.contains(&s.name)),
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
pub fn find(name: &str) -> Result<&'static Scenario> {
    all()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no scenario {name:?}").into())
}

/// The scenarios `s` compares itself with.
pub fn twins(s: &Scenario) -> impl Iterator<Item = &'static str> + '_ {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image;
    use std::collections::BTreeSet;

    #[test]
    fn the_boot_path_leaves_out_kunit_and_the_freed_sizes() {
        let r = Report {
            kernel: [
                "<6>Trying to unpack rootfs image as initramfs...",
                "<6>    # Subtest: initramfs_user_root",
                "<6>    ok 3 fs_type_follows_rootfs",
                "<6>ok 1 initramfs_user_root",
                "<6>Freeing unused kernel image (initmem) memory: 832K",
                "<6>Freeing initrd memory: 1016K",
            ]
            .map(String::from)
            .to_vec(),
            ..Report::default()
        };
        assert_eq!(
            boot_path(&r),
            [
                "<6>Trying to unpack rootfs image as initramfs...",
                "<6>Freeing unused kernel image",
                "<6>Freeing initrd memory: 1016K",
            ]
        );
    }

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
