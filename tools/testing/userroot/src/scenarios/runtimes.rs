// SPDX-License-Identifier: GPL-2.0
//! Container engines from the initramfs: Docker and podman.

use super::*;

/// This area's scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
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
];
