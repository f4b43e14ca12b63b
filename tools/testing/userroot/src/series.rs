// SPDX-License-Identifier: GPL-2.0
//! The patch series for the mailing list: `make series`.
//!
//! The project's kernel files, split into the logical patches of
//! [`PATCHES`], are committed one by one on top of the pinned source in a git
//! tree of their own and written out with `git format-patch` and a cover
//! letter. Commit messages live in `series/` next to this crate, one file
//! per patch (subject line, blank line, body). The gates that build every
//! commit and run checkpatch on every patch are in [`crate::gates`].
//!
//! The series tree and its build directory sit at `series/src/linux` and
//! `series/build/<name>` in the cache: the same relative layout as the main
//! tree and its builds, so that ccache's rewritten paths match and the C
//! objects the commits share with the main builds are cache hits.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::tree::{self, PINNED};
use crate::workspace::{run, step, Workspace};
use crate::{kbuild, Result};

/// What one patch of the series takes from the checkout.
pub enum Part {
    /// A new file, or a whole `<file>.patch`.
    File(&'static str),
    /// Some hunks of a `<file>.patch`, counted from 1.
    Hunks(&'static str, &'static [usize]),
}

/// One patch: its commit message file in `series/` and what it changes.
pub struct Patch {
    /// File name in `tools/testing/userroot/series/`.
    pub message: &'static str,
    /// The checkout's files and hunks it applies.
    pub parts: &'static [Part],
}

/// The series, in order. Every kernel file and hunk of the checkout is in
/// exactly one patch; [`write`] refuses anything else.
pub const PATCHES: &[Patch] = &[
    Patch {
        message: "0001-initramfs-close-half-written-file.txt",
        parts: &[Part::Hunks("init/initramfs.c.patch", &[1, 2])],
    },
    Patch {
        message: "0002-rust-bindings.txt",
        parts: &[Part::File("rust/bindings/bindings_helper.h.patch")],
    },
    Patch {
        message: "0003-init-user-root-in-rust.txt",
        parts: &[
            Part::File("init/initramfs_user_root.rs"),
            Part::File("init/Makefile.patch"),
            Part::File("init/do_mounts.h.patch"),
            Part::File("usr/Kconfig.patch"),
        ],
    },
    Patch {
        message: "0004-initramfs-unpack-into-user-root.txt",
        parts: &[
            Part::Hunks("init/initramfs.c.patch", &[3]),
            Part::Hunks("Documentation/admin-guide/kernel-parameters.txt.patch", &[1]),
        ],
    },
    Patch {
        message: "0005-documentation.txt",
        parts: &[
            Part::Hunks("Documentation/admin-guide/kernel-parameters.txt.patch", &[2]),
            Part::File("Documentation/filesystems/ramfs-rootfs-initramfs.rst.patch"),
        ],
    },
    Patch {
        message: "0006-selftests-pivot-root.txt",
        parts: &[
            Part::File("tools/testing/selftests/Makefile.patch"),
            Part::File("tools/testing/selftests/filesystems/pivot_root/.gitignore"),
            Part::File("tools/testing/selftests/filesystems/pivot_root/Makefile"),
            Part::File("tools/testing/selftests/filesystems/pivot_root/config"),
            Part::File("tools/testing/selftests/filesystems/pivot_root/pivot_root_test.c"),
        ],
    },
];

/// A checkpatch finding kept on purpose, and why.
pub struct Justified {
    /// The patch file name starts with this (`0003`).
    pub patch: &'static str,
    /// Text of the finding (`FILE_PATH_CHANGES`).
    pub finding: &'static str,
    /// Why it stays.
    pub why: &'static str,
}

/// checkpatch findings that stay, each explained.
pub const JUSTIFIED: &[Justified] = &[
    Justified {
        patch: "0003",
        finding: "FILE_PATH_CHANGES",
        why: "init/ has no MAINTAINERS entry (neither has init/initramfs.c); \
              get_maintainer.pl finds the VFS maintainers through git history",
    },
    Justified {
        patch: "0003",
        finding: "EMBEDDED_FILENAME",
        why: "6.12's kernel::kunit_assert! takes the file as a literal \
              ($file:literal), so file!() cannot be passed",
    },
    Justified {
        patch: "0006",
        finding: "FILE_PATH_CHANGES",
        why: "tools/testing/selftests/filesystems/ has no MAINTAINERS entry \
              in 6.12 except for fat/",
    },
];

/// The cover letter in `series/`: subject line, blank line, body.
const COVER: &str = "0000-cover-letter.txt";
/// The tag of the pinned source's commit.
const BASE: &str = "base";
/// The branch the series is committed on.
pub const BRANCH: &str = "userroot";

/// A written series.
pub struct Series {
    /// Its git tree.
    pub tree: PathBuf,
    /// The `format-patch` output directory.
    pub dir: PathBuf,
    /// The base commit, then one commit per patch.
    pub commits: Vec<String>,
    /// The patch files, cover letter excluded, in order.
    pub patches: Vec<PathBuf>,
}

/// Where the series lives in the cache.
fn root(ws: &Workspace) -> PathBuf {
    ws.cache.join("series")
}

/// The series tree: a git repository of the pinned source.
pub fn tree_dir(ws: &Workspace) -> PathBuf {
    root(ws).join("src/linux")
}

/// A build directory for the series tree.
pub fn build_dir(ws: &Workspace, name: &str) -> PathBuf {
    root(ws).join("build").join(name)
}

/// Writes the series once per process and returns it.
pub fn get(ws: &Workspace) -> Result<&'static Series> {
    static SERIES: OnceLock<Series> = OnceLock::new();
    if let Some(s) = SERIES.get() {
        return Ok(s);
    }
    let s = write(ws)?;
    Ok(SERIES.get_or_init(|| s))
}

/// Commits the patches on the base and writes the series with
/// `git format-patch`.
fn write(ws: &Workspace) -> Result<Series> {
    let tree = tree_dir(ws);
    ensure_base(ws, &tree)?;
    let git = Git::new(ws, &tree)?;
    git.run(&["checkout", "-q", "-f", "-B", BRANCH, BASE])?;
    git.run(&["clean", "-q", "-f", "-d"])?;

    let sources = sources(ws)?;
    let msg_dir = ws.tool_dir().join("series");
    let mut commits = vec![git.run(&["rev-parse", BASE])?];
    for patch in PATCHES {
        for part in patch.parts {
            apply(ws, &git, &sources, part)?;
        }
        git.run(&["add", "-A", "-f"])?;
        let msg = msg_dir.join(patch.message);
        git.run(&["commit", "-q", "-s", "-F", &msg.to_string_lossy()])?;
        commits.push(git.run(&["rev-parse", "HEAD"])?);
    }
    same_as_tree(ws, &tree)?;

    let dir = root(ws).join("patches");
    let _ = fs::remove_dir_all(&dir);
    git.run(&[
        "format-patch",
        "-q",
        "--cover-letter",
        "--subject-prefix=PATCH 6.12.y",
        "--no-signature",
        "-o",
        &dir.to_string_lossy(),
        &format!("{BASE}..{BRANCH}"),
    ])?;
    let mut patches: Vec<PathBuf> = fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    patches.sort();
    let cover = patches.remove(0);
    fill_cover(&cover, &fs::read_to_string(msg_dir.join(COVER))?)?;
    step(&format!(
        "series: {} patches on Linux {PINNED} in {}",
        patches.len(),
        dir.display()
    ));
    Ok(Series {
        tree,
        dir,
        commits,
        patches,
    })
}

/// Creates the series tree from the pristine source, once per source
/// package version.
fn ensure_base(ws: &Workspace, tree: &Path) -> Result<()> {
    let package = fs::read_to_string(ws.pristine().join(tree::STAMP))?;
    let stamp = tree.join(".git/userroot-base");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(package.as_str()) {
        return Ok(());
    }
    step(&format!(
        "creating the series tree (git) in {}",
        tree.display()
    ));
    let _ = fs::remove_dir_all(tree);
    fs::create_dir_all(tree.parent().ok_or("no parent")?)?;
    run(Command::new("cp").arg("-a").arg(ws.pristine()).arg(tree))?;
    fs::remove_file(tree.join(tree::STAMP))?;
    run(Command::new("git").arg("-C").arg(tree).args(["init", "-q"]))?;
    let git = Git::new(ws, tree)?;
    // Debian's top-level .gitignore ignores the whole tree.
    git.run(&["add", "-A", "-f"])?;
    git.run(&["commit", "-q", "-m", &format!("Linux {PINNED}")])?;
    git.run(&["tag", "-f", BASE])?;
    fs::write(stamp, package)?;
    Ok(())
}

/// The checkout's kernel files by path.
fn sources(ws: &Workspace) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for rel in tree::kernel_files(ws)? {
        files.insert(rel.to_string_lossy().into_owned(), fs::read(ws.repo.join(&rel))?);
    }
    let mut used: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for part in PATCHES.iter().flat_map(|p| p.parts) {
        match part {
            Part::File(f) => used.entry(f).or_default().push(0),
            Part::Hunks(f, h) => used.entry(f).or_default().extend(*h),
        }
    }
    for (file, content) in &files {
        let mut got = used.remove(file.as_str()).unwrap_or_default();
        got.sort_unstable();
        let by_hunk = file.ends_with(".patch")
            && got == (1..=hunks(content)?.1.len()).collect::<Vec<_>>();
        if got != [0] && !by_hunk {
            return Err(format!(
                "series: {file} must be in exactly one patch, or each of its hunks in \
                 exactly one; it is used as {got:?} (0: whole file)"
            )
            .into());
        }
    }
    if let Some(file) = used.keys().next() {
        return Err(format!("series: {file} is not a kernel file of the checkout").into());
    }
    Ok(files)
}

/// A unified diff's file header and hunks.
fn hunks(diff: &[u8]) -> Result<(String, Vec<String>)> {
    let text = std::str::from_utf8(diff)?;
    let mut parts = text.split_inclusive('\n');
    let mut header = String::new();
    let mut hunks: Vec<String> = Vec::new();
    for line in &mut parts {
        if line.starts_with("@@") {
            hunks.push(line.to_string());
        } else if let Some(last) = hunks.last_mut() {
            last.push_str(line);
        } else {
            header.push_str(line);
        }
    }
    Ok((header, hunks))
}

/// Applies one part to the series tree.
fn apply(ws: &Workspace, git: &Git, sources: &BTreeMap<String, Vec<u8>>, part: &Part) -> Result<()> {
    let (file, wanted) = match part {
        Part::File(f) => (*f, None),
        Part::Hunks(f, h) => (*f, Some(*h)),
    };
    let content = &sources[file];
    if !file.ends_with(".patch") {
        let dest = git.tree.join(file);
        fs::create_dir_all(dest.parent().ok_or("no parent")?)?;
        fs::write(dest, content)?;
        return Ok(());
    }
    let (header, all) = hunks(content)?;
    let mut diff = header;
    for (i, hunk) in all.iter().enumerate() {
        if wanted.is_none_or(|w| w.contains(&(i + 1))) {
            diff += hunk;
        }
    }
    let scratch = root(ws).join("part.diff");
    fs::write(&scratch, diff)?;
    git.run(&["apply", "--recount", &scratch.to_string_lossy()])
        .map_err(|e| format!("series: {file} does not apply: {e}"))?;
    Ok(())
}

/// The series' last commit must hold exactly what the project's tree holds.
fn same_as_tree(ws: &Workspace, tree: &Path) -> Result<()> {
    for (rel, content) in tree::wanted_files(ws)? {
        if fs::read(tree.join(&rel)).ok().as_ref() != Some(&content) {
            return Err(format!(
                "series: {} differs from the project's tree",
                rel.display()
            )
            .into());
        }
    }
    Ok(())
}

/// Puts the cover letter's subject and blurb into `format-patch`'s template.
fn fill_cover(cover: &Path, text: &str) -> Result<()> {
    let (subject, blurb) = text.split_once("\n\n").ok_or("cover letter: no subject line")?;
    let letter = fs::read_to_string(cover)?
        .replace("*** SUBJECT HERE ***", subject.trim())
        .replace("*** BLURB HERE ***", blurb.trim_end());
    fs::write(cover, letter)?;
    Ok(())
}

/// git in the series tree, as the checkout's author, at the checkout's
/// last commit date, so that an unchanged checkout gives the same commits.
pub struct Git {
    tree: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Git {
    fn new(ws: &Workspace, tree: &Path) -> Result<Self> {
        let repo = |args: &[&str]| {
            run(Command::new("git").arg("-C").arg(&ws.repo).args(args))
                .ok()
                .map(|o| String::from_utf8_lossy(&o).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let name = repo(&["config", "user.name"]).unwrap_or_else(|| "userroot".into());
        let email =
            repo(&["config", "user.email"]).unwrap_or_else(|| "userroot@localhost".into());
        let date = repo(&["log", "-1", "--format=%cI"])
            .unwrap_or_else(|| "2026-01-01T00:00:00Z".into());
        Ok(Self {
            tree: tree.to_path_buf(),
            env: vec![
                ("GIT_AUTHOR_NAME", name.clone()),
                ("GIT_AUTHOR_EMAIL", email.clone()),
                ("GIT_COMMITTER_NAME", name),
                ("GIT_COMMITTER_EMAIL", email),
                ("GIT_AUTHOR_DATE", date.clone()),
                ("GIT_COMMITTER_DATE", date),
            ],
        })
    }

    /// Runs git and returns its trimmed output.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.tree).args(args);
        cmd.env("GIT_CONFIG_NOSYSTEM", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = run(&mut cmd)?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }
}

/// git in a written series' tree.
pub fn git(ws: &Workspace, s: &Series) -> Result<Git> {
    Git::new(ws, &s.tree)
}

/// The kernel configuration every commit is built with: the variant that
/// compiles every line of the feature, KUnit suite included.
const BUILD_VARIANT: &str = crate::gates::FULL_VARIANT;
/// Objects of the files the series touches, compiled with `W=1` at every
/// commit and compared with the base (headers: objects that include them).
const W1_OBJECTS: &[&str] = &[
    "init/initramfs.o",
    "init/do_mounts.o",
    "init/do_mounts_initrd.o",
    "init/initramfs_user_root.o",
];

/// What building one commit of the series gave.
pub struct CommitBuild {
    /// `git log --oneline` of the commit.
    pub title: String,
    /// Why the build failed, if it did.
    pub error: Option<String>,
    /// `W=1` warnings in [`W1_OBJECTS`], without line numbers.
    pub w1: Vec<String>,
}

/// Builds the base and then every commit of the series, in order, in one
/// build directory (incremental). Results are kept per commit tree, so
/// an unchanged series is not built again.
pub fn build_all(ws: &Workspace) -> Result<&'static [CommitBuild]> {
    static BUILDS: OnceLock<Vec<CommitBuild>> = OnceLock::new();
    if let Some(b) = BUILDS.get() {
        return Ok(b);
    }
    let series = get(ws)?;
    let git = git(ws, series)?;
    let dir = build_dir(ws, BUILD_VARIANT);
    let results = dir.join("userroot-results");
    fs::create_dir_all(&results)?;
    let config = ws.build(BUILD_VARIANT).join(".config");
    let mut builds = Vec::new();
    for commit in &series.commits {
        let title = git.run(&["log", "-1", "--format=%h %s", commit])?;
        let key = results.join(git.run(&["rev-parse", &format!("{commit}^{{tree}}")])?);
        let text = match fs::read_to_string(&key) {
            Ok(text) => text,
            Err(_) => {
                step(&format!("series: building {title}"));
                git.run(&["checkout", "-q", "-f", commit])?;
                fs::copy(&config, dir.join(".config"))?;
                let text = match build_commit(ws, &series.tree, &dir) {
                    Ok(w1) => format!("ok\n{}", w1.join("\n")),
                    Err(e) => format!("failed: {}", e.to_string().replace('\n', "\n# ")),
                };
                fs::write(&key, &text)?;
                text
            }
        };
        let (status, w1) = text.split_once('\n').unwrap_or((&text, ""));
        builds.push(CommitBuild {
            title,
            error: (status != "ok").then(|| status.to_string()),
            w1: w1.lines().map(String::from).collect(),
        });
    }
    git.run(&["checkout", "-q", "-f", BRANCH])?;
    Ok(BUILDS.get_or_init(|| builds))
}

/// Builds the checked-out commit: bzImage, the kselftest if the commit
/// has it, then [`W1_OBJECTS`] again with `W=1`; returns those warnings.
fn build_commit(ws: &Workspace, tree: &Path, dir: &Path) -> Result<Vec<String>> {
    let make = |targets: &[&str]| kbuild::make_in(ws, tree, dir, "series", targets);
    make(&["olddefconfig"])?;
    make(&["bzImage"])?;
    if tree.join(SELFTEST).exists() {
        make(&["headers"])?;
        kbuild::kselftest_in(tree, dir)?;
    }
    let objects: Vec<&str> = W1_OBJECTS
        .iter()
        .filter(|o| {
            let stem = o.trim_end_matches(".o");
            ["c", "rs"]
                .iter()
                .any(|ext| tree.join(format!("{stem}.{ext}")).exists())
                && dir.join(o).exists()
        })
        .copied()
        .collect();
    for o in &objects {
        fs::remove_file(dir.join(o))?;
    }
    let mut targets = objects.clone();
    targets.push("W=1");
    make(&targets)?;
    let log = fs::read_to_string(dir.join("userroot-make.log"))?;
    let mut warnings: Vec<String> = log
        .lines()
        .filter(|l| l.contains("warning:"))
        .map(without_line_numbers)
        .collect();
    warnings.sort();
    warnings.dedup();
    Ok(warnings)
}

/// The kselftest directory the series adds.
const SELFTEST: &str = "tools/testing/selftests/filesystems/pivot_root";

/// `file:12:3: warning: x` becomes `file: warning: x`, so that a warning
/// that only moved is not a new one.
fn without_line_numbers(line: &str) -> String {
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
