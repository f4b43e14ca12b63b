// SPDX-License-Identifier: GPL-2.0
//! Building a kernel variant: `make LLVM=1 ARCH=x86_64 O=<build dir>`.
//!
//! The compiler runs under ccache with the cache directory as its base, so
//! the variants, each in its own directory, share the objects they have in
//! common, and a warm CI run recompiles nothing.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{self, Variant};
use crate::workspace::{elapsed, step, Workspace};
use crate::{image, qemu, Result};

/// How often a long build says it is still going.
const PROGRESS: Duration = Duration::from_secs(60);

/// Builds a variant's bzImage and returns its path.
pub fn build(ws: &Workspace, v: &Variant) -> Result<PathBuf> {
    let dir = ws.build(v.name);
    if !dir.join(".config").exists() && v.fragments.contains(&"rust") {
        rust_available(ws, v)?;
    }
    let extra = match v.builtin_image {
        // The kernel's own usr/Makefile turns a gen_init_cpio list into the
        // built-in initramfs and rebuilds it when a listed file changes.
        Some(name) => {
            let list = image::initramfs_list(ws, image::find(name)?)?;
            format!("CONFIG_INITRAMFS_SOURCE=\"{}\"\n", list.display())
        }
        None => String::new(),
    };
    config::configure(ws, v, &extra)?;
    make(ws, v.name, &["bzImage"])?;
    Ok(dir.join(qemu::ARCH.kernel_image))
}

/// Builds the `filesystems/pivot_root` kselftest the kselftest way, against
/// the default kernel's headers, linked static for the initramfs guest, and
/// returns the binary. `O=` keeps the tree clean.
pub fn kselftest(ws: &Workspace) -> Result<PathBuf> {
    make(ws, "default", &["headers"])?;
    kselftest_in(&ws.tree(), &ws.build("default"))
}

/// [`kselftest`] for any source tree and build directory with headers.
pub fn kselftest_in(tree: &Path, out: &Path) -> Result<PathBuf> {
    let log = out.join("userroot-kselftest.log");
    let file = File::create(&log)?;
    let status = Command::new("make")
        .arg("-C")
        .arg(tree.join("tools/testing/selftests"))
        .arg(format!("O={}", out.display()))
        .args([
            "TARGETS=filesystems/pivot_root",
            "LDFLAGS=-static",
            "CC=gcc",
        ])
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()?;
    if !status.success() {
        return Err(format!("building the kselftest failed; log: {}", log.display()).into());
    }
    Ok(out.join("kselftest/filesystems/pivot_root/pivot_root_test"))
}

/// Checks the Rust toolchain before the first build; its message names the
/// missing piece.
fn rust_available(ws: &Workspace, v: &Variant) -> Result<()> {
    fs::create_dir_all(ws.build(v.name))?;
    make(ws, v.name, &["rustavailable"]).map_err(|e| {
        format!("the kernel's Rust toolchain check failed; run `make setup`\n{e}").into()
    })
}

/// Runs make in a variant's build directory, output to a log, a progress
/// line every minute, the log's tail on failure.
pub fn make(ws: &Workspace, variant: &str, targets: &[&str]) -> Result<()> {
    make_in(ws, &ws.tree(), &ws.build(variant), variant, targets)
}

/// [`make`] for any source tree and build directory; `label` names the
/// kernel in messages.
pub fn make_in(
    ws: &Workspace,
    tree: &Path,
    dir: &Path,
    label: &str,
    targets: &[&str],
) -> Result<()> {
    let log_path = dir.join("userroot-make.log");
    let log = File::create(&log_path)?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get() + 1);
    let start = Instant::now();
    let mut child = Command::new("make")
        .arg("-C")
        .arg(tree)
        .arg(format!("O={}", dir.display()))
        .args([
            "LLVM=1",
            "ARCH=x86_64",
            "CC=ccache clang",
            &format!("-j{jobs}"),
        ])
        .env("CCACHE_DIR", ws.cache.join("ccache"))
        .env("CCACHE_BASEDIR", &ws.cache)
        .env("CCACHE_NOHASHDIR", "1")
        .env("CCACHE_MAXSIZE", "4G")
        .args(targets)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let mut next = PROGRESS;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() >= next {
            let lines = fs::read_to_string(&log_path).map_or(0, |s| s.lines().count());
            step(&format!(
                "  kernel '{label}' {}: {} ({lines} lines of output)",
                targets.join(" "),
                elapsed(start)
            ));
            next += PROGRESS;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = fs::read_to_string(&log_path).unwrap_or_default();
    if !status.success() {
        let tail: Vec<_> = out.lines().rev().take(30).collect();
        let tail: Vec<_> = tail.into_iter().rev().collect();
        return Err(format!(
            "make {} for kernel '{label}' failed; log: {}\n{}",
            targets.join(" "),
            log_path.display(),
            tail.join("\n")
        )
        .into());
    }
    if start.elapsed() > Duration::from_secs(5) {
        step(&format!(
            "kernel '{label}' {} done in {}",
            targets.join(" "),
            elapsed(start)
        ));
    }
    Ok(())
}
