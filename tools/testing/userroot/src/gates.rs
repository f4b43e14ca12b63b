// SPDX-License-Identifier: GPL-2.0
//! Style and build gates, as kernel maintainers would run them; each is one
//! TAP test in `make test`.

use std::fs;

use crate::kbuild;
use crate::workspace::Workspace;
use crate::Result;

/// The Rust objects the patch adds, relative to the tree.
const RUST_OBJECTS: &[&str] = &["init/initramfs_user_root.o"];
/// The variant that compiles every line of them (the KUnit suite included).
pub const FULL_VARIANT: &str = "kunit";

/// One gate: a name and a check returning what it found wrong.
pub struct Gate {
    /// Name, as printed in TAP.
    pub name: &'static str,
    /// Runs the check; an empty list means it passed.
    pub run: fn(&Workspace) -> Result<Vec<String>>,
}

/// All gates, in the order they run.
pub const GATES: &[Gate] = &[
    Gate {
        name: "rustfmtcheck",
        run: rustfmtcheck,
    },
    Gate {
        name: "clippy-and-modpost",
        run: clippy_and_modpost,
    },
];

/// `make LLVM=1 rustfmtcheck` over the whole tree, ours included.
fn rustfmtcheck(ws: &Workspace) -> Result<Vec<String>> {
    Ok(match kbuild::make(ws, FULL_VARIANT, &["rustfmtcheck"]) {
        Ok(()) => Vec::new(),
        Err(e) => vec![e.to_string()],
    })
}

/// Rebuilds our Rust objects with `CLIPPY=1` and relinks vmlinux so that
/// modpost runs. Fails on a rustc/clippy warning (only our objects are
/// compiled), a warning naming our files, or a section mismatch; the stock
/// build's objtool noise on vmlinux.o names neither.
fn clippy_and_modpost(ws: &Workspace) -> Result<Vec<String>> {
    for obj in RUST_OBJECTS {
        let _ = fs::remove_file(ws.build(FULL_VARIANT).join(obj));
    }
    let mut targets = RUST_OBJECTS.to_vec();
    targets.extend(["CLIPPY=1", "vmlinux"]);
    kbuild::make(ws, FULL_VARIANT, &targets)?;
    let log = fs::read_to_string(ws.build(FULL_VARIANT).join("userroot-make.log"))?;
    Ok(log
        .lines()
        .filter(|l| {
            l.starts_with("warning")
                || l.contains("Section mismatch")
                || (l.contains("warning") && l.contains("initramfs_user_root"))
        })
        .map(|l| format!("{FULL_VARIANT}: {l}"))
        .collect())
}
