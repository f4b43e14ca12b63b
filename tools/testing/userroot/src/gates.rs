// SPDX-License-Identifier: GPL-2.0
//! Checks other than the boot scenarios, each one TAP test in `make test`:
//! style and build gates as kernel maintainers run them, and the kselftest
//! under virtme-ng as kernel CI runs it.

use std::fs;
use std::process::{Command, Stdio};

use crate::workspace::Workspace;
use crate::{kbuild, qemu, Result};

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
    Gate {
        name: "vng-kselftest",
        run: vng_kselftest,
    },
];

/// The pivot_root kselftest on the default kernel under virtme-ng (`vng`,
/// the host's root over 9p, TCG), judged by vng's exit code, the test's
/// (vng reports 255 when the host lacks udevd: set-up installs udev). The
/// guest's root is no initramfs, so the two boot-root cases skip.
fn vng_kselftest(ws: &Workspace) -> Result<Vec<String>> {
    let kernel = ws.build("default").join(qemu::ARCH.kernel_image);
    let test = kbuild::kselftest(ws)?;
    // Set-up installs vng into a venv in the cache; vng runs the venv's
    // virtme-run through PATH.
    let venv_bin = ws.cache.join("venv/bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .arg("600")
        .arg(venv_bin.join("vng"))
        .env("PATH", path)
        .arg("--run")
        .arg(&kernel)
        .args(["--disable-kvm", "--force-9p", "--memory", "1G", "--"])
        .arg(format!("cd /tmp && {}", test.display()))
        .stdin(Stdio::null())
        .output()?;
    let log = ws.logs().join("vng-kselftest.log");
    fs::write(&log, [out.stdout, out.stderr].concat())?;
    let text = fs::read_to_string(&log)?;
    let want = "# Totals: pass:5 fail:0 xfail:0 xpass:0 skip:2 error:0";
    let mut failures = Vec::new();
    if !out.status.success() {
        failures.push(format!("vng exited with {}", out.status));
    }
    if !text.contains(want) {
        failures.push(format!("no {want:?}"));
    }
    if !failures.is_empty() {
        failures.push(format!("log: {}", log.display()));
    }
    Ok(failures)
}

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
