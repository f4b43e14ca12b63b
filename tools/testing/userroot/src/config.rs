// SPDX-License-Identifier: GPL-2.0
//! Kernel variants: tinyconfig plus config fragments from `configs/`.
//!
//! Each variant builds in its own `O=` directory, so building one never
//! dirties another; ccache (see [`crate::kbuild`]) makes what they share
//! cheap.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::workspace::{run, step, Workspace};
use crate::{kbuild, Result};

/// One kernel configuration.
pub struct Variant {
    /// Name, also the build directory's name.
    pub name: &'static str,
    /// What the variant is for.
    pub about: &'static str,
    /// Fragments from `configs/`, applied in order on top of tinyconfig.
    pub fragments: &'static [&'static str],
    /// An initramfs image (see [`crate::image`]) built into the kernel.
    pub builtin_image: Option<&'static str>,
}

const DEFAULT: Variant = Variant {
    name: "default",
    about: "the kernel under test (INITRAMFS_USER_ROOT=y)",
    fragments: &["base", "rust", "containers", "virtio", "user-root"],
    builtin_image: None,
};

/// The kernel variants the scenarios boot.
pub const VARIANTS: &[Variant] = &[
    DEFAULT,
    Variant {
        name: "builtin",
        about: "the same kernel with the test initramfs built in",
        builtin_image: Some("standard"),
        ..DEFAULT
    },
    Variant {
        name: "nouserroot",
        about: "the same kernel with INITRAMFS_USER_ROOT=n: stock behaviour",
        fragments: &["base", "rust", "containers", "virtio", "no-user-root"],
        ..DEFAULT
    },
    Variant {
        name: "kunit",
        about: "the same kernel with the feature's KUnit suite, run at boot",
        fragments: &["base", "rust", "containers", "virtio", "user-root", "kunit"],
        ..DEFAULT
    },
    Variant {
        name: "kasan",
        about: "the same kernel with KASAN, for the feature's memory accesses",
        fragments: &["base", "rust", "containers", "virtio", "user-root", "kasan"],
        ..DEFAULT
    },
    Variant {
        name: "norust",
        about: "the same kernel without CONFIG_RUST (so without the feature)",
        fragments: &["base", "containers", "virtio"],
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

/// Writes the variant's `.config` unless it is already made from the same
/// fragments, and checks that every requested option made it in.
pub fn configure(ws: &Workspace, v: &Variant, extra: &str) -> Result<()> {
    let dir = ws.build(v.name);
    let mut wanted = String::new();
    for frag in v.fragments {
        let path = ws.tool_dir().join("configs").join(format!("{frag}.config"));
        wanted += &fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    wanted += extra;
    let stamp = dir.join("userroot.config");
    if dir.join(".config").exists() && fs::read_to_string(&stamp).ok().as_ref() == Some(&wanted) {
        return Ok(());
    }
    step(&format!(
        "configuring kernel '{}': tinyconfig + {}",
        v.name,
        v.fragments.join(" + ")
    ));
    fs::create_dir_all(&dir)?;
    kbuild::make(ws, v.name, &["tinyconfig"])?;
    fs::write(&stamp, &wanted)?;
    run(
        Command::new(ws.tree().join("scripts/kconfig/merge_config.sh"))
            .current_dir(ws.tree())
            .args(["-m", "-O"])
            .arg(&dir)
            .arg(dir.join(".config"))
            .arg(&stamp),
    )?;
    kbuild::make(ws, v.name, &["olddefconfig"])?;
    check(&dir.join(".config"), &wanted)
}

/// Every `CONFIG_X=...` line asked for must be in the final `.config`; a
/// missing one names its unmet dependency the way kunit.py does.
fn check(config: &Path, wanted: &str) -> Result<()> {
    let have = fs::read_to_string(config)?;
    let missing: Vec<_> = wanted
        .lines()
        .filter(|l| {
            match l
                .strip_prefix("# ")
                .and_then(|l| l.strip_suffix(" is not set"))
            {
                Some(off) => have.lines().any(|h| h.starts_with(&format!("{off}="))),
                None => l.starts_with("CONFIG_") && !have.lines().any(|h| h == *l),
            }
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let hint = if missing.iter().any(|l| l.starts_with("CONFIG_RUST=")) {
        "\nCONFIG_RUST needs the Rust toolchain: see `make LLVM=1 rustavailable`, run `make setup`"
    } else {
        ""
    };
    Err(format!(
        "{}: options not as asked (unmet dependencies?):\n  {}{hint}",
        config.display(),
        missing.join("\n  ")
    )
    .into())
}
