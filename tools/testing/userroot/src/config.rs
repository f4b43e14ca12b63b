// SPDX-License-Identifier: GPL-2.0
//! Kernel variants: tinyconfig plus config fragments from `configs/`, and
//! the checks of a `.config` made from them (made by `kbuild`).
//!
//! Each variant has a build directory of its own, so building one never
//! dirties another. A variant that differs from another in a few options is
//! derived from it: its first build starts from a copy of the other's build
//! directory, and kbuild recompiles only what the changed options touch.
//! Its `.config` is still made from scratch (tinyconfig, the fragments,
//! olddefconfig) and checked against one made in an empty directory.

use std::fs;

use crate::error::Result;
use crate::qemu::{Arch, ARM64, X86_64};
use crate::workspace::Workspace;

/// What compiles a kernel's C and links it; its Rust is rustc's either
/// way, with bindgen reading the C headers through libclang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// clang, lld and LLVM's binutils (`LLVM=1`), as Android builds.
    Llvm,
    /// GCC and GNU binutils, as NixOS and Arch build their Rust kernels.
    Gcc,
}

impl Toolchain {
    /// The name the runner prints.
    pub fn name(self) -> &'static str {
        match self {
            Toolchain::Llvm => "LLVM",
            Toolchain::Gcc => "GCC",
        }
    }
}

/// One kernel configuration.
pub struct Variant {
    /// Name, also the build directory's name.
    pub name: &'static str,
    /// What the variant is for.
    pub about: &'static str,
    /// The architecture it is built for.
    pub arch: &'static Arch,
    /// What compiles its C.
    pub toolchain: Toolchain,
    /// Fragments from `configs/`, applied in order on top of tinyconfig.
    pub fragments: &'static [&'static str],
    /// An initramfs image (see `image::IMAGES`) built into the kernel.
    pub builtin_image: Option<&'static str>,
    /// The variant whose build directory this one's first build starts
    /// from.
    pub derived_from: Option<&'static str>,
    /// Built by the series check from its base, the unpatched tree (see
    /// `series::unpatched_kernel`), with `derived_from`'s
    /// configuration; `fragments` only say what that is.
    pub unpatched: bool,
}

const DEFAULT: Variant = Variant {
    name: "default",
    about: "the kernel under test (INITRAMFS_USER_ROOT=y)",
    arch: &X86_64,
    toolchain: Toolchain::Llvm,
    fragments: &["base", "rust", "containers", "disk", "virtio", "user-root"],
    builtin_image: None,
    derived_from: None,
    unpatched: false,
};

/// Shaped like a distribution kernel, and built as the distributions
/// that enable Rust build theirs: C by GCC. A full build of its own, as
/// nothing of an LLVM build directory serves it.
const DISTRO: Variant = Variant {
    name: "distro",
    about: "shaped like a distribution kernel, built by GCC: SMP, -O2, modules, uevent helper, debugfs, KUnit, hung-task detector",
    toolchain: Toolchain::Gcc,
    fragments: &[
        "base",
        "rust",
        "containers",
        "disk",
        "virtio",
        "user-root",
        "distro",
    ],
    derived_from: None,
    ..DEFAULT
};

/// The arm64 kernel under test.
const ARM64_MAIN: Variant = Variant {
    name: "arm64",
    about: "the kernel under test, for arm64",
    arch: &ARM64,
    toolchain: Toolchain::Llvm,
    fragments: &["base", "rust", "containers", "disk", "virtio", "user-root"],
    builtin_image: None,
    derived_from: None,
    unpatched: false,
};

/// The variant that compiles every line of the feature (its KUnit suite
/// included): the gates' build, and the series' configuration.
pub const FULL_VARIANT: &str = "distro";

/// The kernel variants the scenarios boot.
pub const VARIANTS: &[Variant] = &[
    DEFAULT,
    Variant {
        name: "builtin",
        about: "the same kernel with the test initramfs built in",
        builtin_image: Some("standard"),
        derived_from: Some("default"),
        ..DEFAULT
    },
    Variant {
        name: "nouserroot",
        about: "the same kernel with INITRAMFS_USER_ROOT=n: stock behaviour",
        fragments: &["base", "rust", "containers", "disk", "virtio", "no-user-root"],
        derived_from: Some("default"),
        ..DEFAULT
    },
    Variant {
        name: "kasan",
        // LLVM, as 6.12's Rust takes KASAN only from clang
        // (`depends on !KASAN || CC_IS_CLANG`). Only what its scenarios
        // boot: no container options, the costliest part of a KASAN build.
        about: "the same kernel without the container options, with KASAN, lockdep and the fault points, for the feature's memory accesses, locks and fallbacks",
        fragments: &["base", "rust", "disk", "user-root", "kasan"],
        derived_from: Some("default"),
        ..DEFAULT
    },
    Variant {
        name: "rustdebug",
        about: "the same kernel with Rust debug assertions",
        fragments: &["base", "rust", "containers", "disk", "virtio", "user-root", "rustdebug"],
        derived_from: Some("default"),
        ..DEFAULT
    },
    DISTRO,
    Variant {
        name: "unpatched",
        about: "stock: the series' base (Debian's source, unpatched) with the distro kernel's configuration",
        derived_from: Some("distro"),
        unpatched: true,
        ..DISTRO
    },
    Variant {
        name: "distro-hardlinks",
        about: "the distro kernel with an uncompressed archive built in: hard links, no trailer, no /init",
        builtin_image: Some("hardlinks-no-trailer"),
        derived_from: Some("distro"),
        ..DISTRO
    },
    ARM64_MAIN,
    Variant {
        name: "arm64-builtin",
        about: "the arm64 kernel with the test initramfs built in",
        builtin_image: Some("standard"),
        derived_from: Some("arm64"),
        ..ARM64_MAIN
    },
    Variant {
        name: "arm64-nouserroot",
        about: "the arm64 kernel with INITRAMFS_USER_ROOT=n: stock behaviour",
        fragments: &["base", "rust", "containers", "disk", "virtio", "no-user-root"],
        derived_from: Some("arm64"),
        ..ARM64_MAIN
    },
    Variant {
        name: "arm64-64k",
        about: "a small arm64 kernel with 64 KiB pages",
        fragments: &["base", "rust", "user-root", "pages-64k"],
        derived_from: Some("arm64"),
        ..ARM64_MAIN
    },
    Variant {
        name: "norust",
        about: "the same kernel without CONFIG_RUST (so without the feature)",
        fragments: &["base", "containers", "disk", "virtio"],
        derived_from: Some("default"),
        ..DEFAULT
    },
];

/// Looks a variant up by name.
pub fn variant(name: &str) -> Result<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name).ok_or_else(|| {
        let names: Vec<_> = VARIANTS.iter().map(|v| v.name).collect();
        format!(
            "no kernel variant {name:?}; there are: {}",
            names.join(", ")
        )
        .into()
    })
}

/// A variant's fragments, with its architecture's after `base`.
pub fn fragments(v: &Variant) -> Vec<&'static str> {
    let mut all = Vec::new();
    for frag in v.fragments {
        all.push(*frag);
        if *frag == "base" {
            all.push(v.arch.name);
        }
    }
    all
}

/// The configuration a variant asks for: its fragments, then `extra`.
pub fn wanted(ws: &Workspace, v: &Variant, extra: &str) -> Result<String> {
    let mut wanted = String::new();
    for frag in fragments(v) {
        let path = ws.tool_dir().join("configs").join(format!("{frag}.config"));
        wanted += &fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    wanted += extra;
    Ok(wanted)
}
