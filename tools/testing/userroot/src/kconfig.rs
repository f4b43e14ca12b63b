// SPDX-License-Identifier: GPL-2.0
//! What a made `.config` must show: every option asked for, and a way to
//! print warnings. A module of its own: its text ([`CODE`]) is an input of
//! every configuration's key, so that a stricter check runs again.

use std::fs;
use std::path::Path;

use crate::error::Result;

/// This module's text, for the keys of the configurations it checks.
pub const CODE: &str = include_str!("kconfig.rs");

/// Every kernel that boots must be able to print a `WARN_ON()`:
/// tinyconfig compiles them out unless `CONFIG_BUG=y`, and a warning that
/// cannot print cannot fail a boot.
pub fn can_warn(name: &str, config: &Path) -> Result<()> {
    let text = fs::read_to_string(config).map_err(|e| format!("{}: {e}", config.display()))?;
    if text.lines().any(|l| l == "CONFIG_BUG=y") {
        return Ok(());
    }
    Err(format!(
        "kernel '{name}': {} lacks CONFIG_BUG=y, so its WARN_ON()s would print nothing",
        config.display()
    )
    .into())
}

/// Every `CONFIG_X=...` line asked for must be in the final `.config`; a
/// missing one names its unmet dependency the way kunit.py does.
pub fn check(config: &Path, wanted: &str) -> Result<()> {
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
