// SPDX-License-Identifier: GPL-2.0
//! Every commit of the series built, in order, and the unpatched kernel
//! (the series' base) that the scenarios boot as stock.
//!
//! Each commit is built in the main source tree: its versions of the
//! touched files are written there, in a build directory that starts as a
//! copy of the [`config::FULL_VARIANT`] kernel's, so that only what the
//! series changes is recompiled. Afterwards the tree gets the project's
//! versions back with their old timestamps, so that the other kernels see
//! nothing changed. An interrupted run leaves a note that the next one
//! reads to do the same.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::Result;
use crate::kconfig;
use crate::key::{Key, Kind, Stamp};
use crate::series::{self, Git, Series};
use crate::tree;
use crate::workspace::{step, Workspace};
use crate::{config, kbuild};

/// The kernel configuration every commit is built with: the variant that
/// compiles every line of the feature, KUnit suite included.
const BUILD_VARIANT: &str = config::FULL_VARIANT;
/// This module's text: how a commit is built and what is kept of it.
const CODE: &str = include_str!("series_builds.rs");
/// The build directory of the series' commits.
const BUILD_DIR: &str = "series";
/// The build directory of their `W=1` builds.
const W1_DIR: &str = "series-w1";
/// Objects of the files the series touches, compiled with `W=1` at every
/// commit and compared with the base (headers: objects that include them).
const W1_OBJECTS: &[&str] = &[
    "init/initramfs.o",
    "init/do_mounts.o",
    "init/do_mounts_initrd.o",
    "init/initramfs_user_root.o",
    "fs/init.o",
    "fs/namespace.o",
];
/// The kselftest directory the series adds.
const SELFTEST: &str = "tools/testing/selftests/filesystems/pivot_root";

/// What building one commit of the series gave.
pub struct CommitBuild {
    /// `git log --oneline` of the commit.
    pub title: String,
    /// Why the build failed, if it did.
    pub error: Option<String>,
    /// `W=1` warnings in [`W1_OBJECTS`], without line numbers, each as
    /// often as it was printed.
    pub w1: Vec<String>,
    /// The base commit's kernel image and `.config` (see
    /// [`unpatched_kernel`]).
    pub unpatched: Option<(PathBuf, PathBuf)>,
}

/// Builds the base and then every commit of the series, in order, in one
/// build directory (incremental). Results are kept per commit tree, kernel
/// configuration and toolchain, so an unchanged series is not built again.
pub fn build_all(ws: &Workspace) -> Result<&'static [CommitBuild]> {
    static BUILDS: OnceLock<Vec<CommitBuild>> = OnceLock::new();
    if let Some(b) = BUILDS.get() {
        return Ok(b);
    }
    let series = series::get(ws)?;
    let git = series::git(ws)?;
    let v = config::variant(BUILD_VARIANT)?;
    kbuild::build(ws, v, None)?;
    let config = fs::read(ws.build(v.name).join(".config"))?;
    let mut borrowed = false;
    let built = build_each(ws, series, &git, v, &config, &mut borrowed);
    if borrowed {
        tree::give_back(ws)?;
    }
    let builds = built?;
    Ok(BUILDS.get_or_init(|| builds))
}

/// The loop of [`build_all`]; sets `borrowed` once the main tree holds a
/// commit's files.
fn build_each(
    ws: &Workspace,
    series: &Series,
    git: &Git,
    v: &config::Variant,
    config: &[u8],
    borrowed: &mut bool,
) -> Result<Vec<CommitBuild>> {
    let results = series::root(ws).join("results");
    fs::create_dir_all(&results)?;
    let mut builds = Vec::new();
    for (i, commit) in series.commits.iter().enumerate() {
        let title = git.run(&["log", "-1", "--format=%h %s", commit])?;
        // Everything a commit's build reads but the tree's timestamps: a
        // result is the commit's, whatever was built before it.
        let key = Key::new(Kind::SeriesBuild)
            .bytes(
                "commit",
                git.run(&["rev-parse", &format!("{commit}^{{tree}}")])?,
            )
            .bytes("configuration", config)
            .bytes("toolchain", kbuild::toolchain(v.toolchain)?)
            .bytes("kselftest compiler", kbuild::selftest_cc_version(v.arch)?)
            .bytes("linux source", ws.linux_source()?)
            .bytes("make line", kbuild::make_line(v.arch, v.toolchain))
            .bytes("series code", CODE);
        let result = results.join(key.digest()?);
        let stamp = Stamp::of(&result);
        let key = key.text()?;
        // The base's kernel is kept beside its result: the unpatched
        // kernel the scenarios boot as stock.
        let image = (i == 0).then(|| unpatched_files(&result));
        let kept = if stamp.holds(&key) {
            fs::read_to_string(&result).ok()
        } else {
            None
        };
        let text = match kept {
            Some(text) if image.as_ref().is_none_or(|(i, c)| i.exists() && c.exists()) => text,
            _ => {
                step(&format!("series: building {title}"));
                stamp.forget();
                if !*borrowed {
                    tree::borrow(ws, &series.touched)?;
                    *borrowed = true;
                }
                let built =
                    check_out(ws, git, series, commit).and_then(|()| build_commit(ws, v, config));
                let built = match (built, &image) {
                    (Ok(w1), Some((image, config))) => {
                        let dir = ws.build(BUILD_DIR);
                        fs::copy(dir.join(v.arch.kernel_image), image)
                            .and_then(|_| fs::copy(dir.join(".config"), config))
                            .map(|_| w1)
                            .map_err(Into::into)
                    }
                    (built, _) => built,
                };
                match built {
                    // Only a success is kept: a failure may come from
                    // anything, and the next run tries again.
                    Ok(w1) => {
                        let text = format!("ok\n{}", w1.join("\n"));
                        fs::write(&result, &text)?;
                        stamp.write(&key)?;
                        text
                    }
                    Err(e) => format!("failed: {}", e.to_string().replace('\n', "\n# ")),
                }
            }
        };
        let (status, w1) = text.split_once('\n').unwrap_or((&text, ""));
        builds.push(CommitBuild {
            title,
            error: (status != "ok").then(|| status.to_string()),
            w1: w1.lines().map(String::from).collect(),
            unpatched: image.filter(|(i, c)| i.exists() && c.exists()),
        });
    }
    Ok(builds)
}

/// Where the base commit's kernel image and `.config` are kept, beside its
/// result `key`.
fn unpatched_files(key: &Path) -> (PathBuf, PathBuf) {
    (key.with_extension("image"), key.with_extension("config"))
}

/// The unpatched kernel: the series' base (the pristine files the series
/// touches) built with [`BUILD_VARIANT`]'s configuration, which olddefconfig
/// strips of the feature's options. Returns its image and `.config`.
pub fn unpatched_kernel(ws: &Workspace) -> Result<(PathBuf, PathBuf)> {
    let builds = build_all(ws)?;
    let base = builds.first().ok_or("the series has no base commit")?;
    if let Some(e) = &base.error {
        return Err(format!("the unpatched kernel (the series' base) did not build: {e}").into());
    }
    let (image, config) = base
        .unpatched
        .clone()
        .ok_or("the series' base kept no kernel")?;
    kconfig::can_warn("unpatched", &config)?;
    Ok((image, config))
}

/// Writes a commit's versions of the touched files into the main tree;
/// files the commit does not have are removed. Unchanged files are left
/// alone, so make sees only what the commit changes.
fn check_out(ws: &Workspace, git: &Git, series: &Series, commit: &str) -> Result<()> {
    for file in &series.touched {
        let path = ws.tree().join(file);
        match git.run_bytes(&["show", &format!("{commit}:{file}")]) {
            Ok(content) => {
                if fs::read(&path).ok().as_ref() != Some(&content) {
                    fs::create_dir_all(path.parent().ok_or("no parent")?)?;
                    fs::write(&path, content)?;
                }
            }
            Err(_) => {
                let _ = fs::remove_file(&path);
            }
        }
    }
    Ok(())
}

/// Builds the commit the main tree holds: the kernel image, the kselftest
/// if the commit has it, then [`W1_OBJECTS`] again with `W=1`; returns those
/// warnings. The `W=1` builds have a directory of their own: in the image's
/// directory their command lines would make every commit's image build
/// compile those objects again.
fn build_commit(ws: &Workspace, v: &config::Variant, config: &[u8]) -> Result<Vec<String>> {
    let tree = ws.tree();
    let objects = in_copy_of(ws, v, BUILD_DIR, config, |make, work| {
        make(&["bzImage"])?;
        // A checkout removes a commit's files, not their directories.
        if tree.join(SELFTEST).join("pivot_root_test.c").exists() {
            make(&["headers"])?;
            kbuild::kselftest_in(&tree, work, v.arch)?;
        }
        // The objects of the commit's files this configuration builds.
        Ok(W1_OBJECTS
            .iter()
            .filter(|o| {
                let stem = o.trim_end_matches(".o");
                ["c", "rs"]
                    .iter()
                    .any(|ext| tree.join(format!("{stem}.{ext}")).exists())
                    && work.join(o).exists()
            })
            .copied()
            .collect::<Vec<&str>>())
    })?;
    in_copy_of(ws, v, W1_DIR, config, |make, work| {
        for o in &objects {
            let _ = fs::remove_file(work.join(o));
        }
        let mut targets = objects.clone();
        targets.push("W=1");
        make(&targets)?;
        let log = fs::read_to_string(work.join("userroot-make.log"))?;
        let mut warnings: Vec<String> = log
            .lines()
            .filter(|l| l.contains("warning:"))
            .map(without_line_numbers)
            .collect();
        warnings.sort();
        Ok(warnings)
    })
}

/// Runs `f` in build directory `name` (first made as a copy of `v`'s
/// build) with `config` as its configuration, after `olddefconfig`; `f`
/// gets a make for that directory and its work path.
fn in_copy_of<T>(
    ws: &Workspace,
    v: &config::Variant,
    name: &str,
    config: &[u8],
    f: impl FnOnce(&dyn Fn(&[&str]) -> Result<()>, &Path) -> Result<T>,
) -> Result<T> {
    let dir = ws.build(name);
    if !dir.join(".config").exists() {
        kbuild::derive(ws, v.name, name)?;
    }
    fs::write(dir.join(".config"), config)?;
    let tree = ws.tree();
    kbuild::with_build_dir(ws, name, |work| {
        let make = |targets: &[&str]| {
            kbuild::make_in(ws, &tree, work, name, (v.arch, v.toolchain), targets)
        };
        make(&["olddefconfig"])?;
        f(&make, work)
    })
}

/// `file:12:3: warning: x` becomes `file: warning: x`, so that a warning
/// that only moved is not a new one.
pub fn without_line_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && rest[digits..].starts_with(':') {
            rest = &rest[digits..];
        } else {
            out.push(':');
        }
    }
    out.push_str(rest);
    out
}
