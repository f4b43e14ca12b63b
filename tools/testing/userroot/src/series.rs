// SPDX-License-Identifier: GPL-2.0
//! The patch series for the mailing list: `make series`.
//!
//! The project's kernel files, split into the logical patches of
//! [`PATCHES`], are committed one by one in a git repository that holds the
//! files the series touches, starting from their versions in the installed
//! `linux-source-6.12`, and are written out with `git format-patch` and a
//! cover letter. Commit messages live in `series/` next to this crate, one
//! file per patch (subject line, blank line, body). The gates that build
//! every commit and run checkpatch on every patch are in `gates`, the
//! builds themselves in `series_builds`; what users take is written from
//! here by `release`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::error::Result;
use crate::tree;
use crate::workspace::{run, step, Workspace};

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
/// exactly one patch; [`write()`] refuses anything else.
pub const PATCHES: &[Patch] = &[
    Patch {
        message: "0001-initramfs-close-half-written-file.txt",
        parts: &[Part::Hunks("init/initramfs.c.patch", &[1, 2])],
    },
    Patch {
        message: "0002-fs-init-enter-leave-mount.txt",
        parts: &[
            // fail_initramfs_user_root=, with the __setup() that takes it.
            Part::Hunks(
                "Documentation/admin-guide/kernel-parameters.txt.patch",
                &[1],
            ),
            Part::File("fs/init.c.patch"),
            Part::File("fs/internal.h.patch"),
            Part::File("fs/namespace.c.patch"),
            Part::File("include/linux/init_syscalls.h.patch"),
        ],
    },
    Patch {
        message: "0003-rust-bindings.txt",
        parts: &[Part::File("rust/bindings/bindings_helper.h.patch")],
    },
    Patch {
        message: "0004-init-user-root-in-rust.txt",
        parts: &[
            Part::File("init/initramfs_user_root.rs"),
            Part::File("init/Makefile.patch"),
            Part::File("init/do_mounts.h.patch"),
            Part::File("usr/Kconfig.patch"),
            Part::Hunks("MAINTAINERS.patch", &[2]),
        ],
    },
    Patch {
        message: "0005-initramfs-unpack-into-user-root.txt",
        parts: &[
            Part::Hunks("init/initramfs.c.patch", &[3, 4]),
            Part::Hunks(
                "Documentation/admin-guide/kernel-parameters.txt.patch",
                &[2],
            ),
        ],
    },
    Patch {
        message: "0006-documentation.txt",
        parts: &[
            Part::Hunks(
                "Documentation/admin-guide/kernel-parameters.txt.patch",
                &[3],
            ),
            Part::File("Documentation/fault-injection/fault-injection.rst.patch"),
            Part::File("Documentation/filesystems/ramfs-rootfs-initramfs.rst.patch"),
        ],
    },
    Patch {
        message: "0007-selftests-pivot-root.txt",
        parts: &[
            Part::Hunks("MAINTAINERS.patch", &[1]),
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
    /// The patch file name starts with this (`0004`).
    pub patch: &'static str,
    /// The finding's type (`EMBEDDED_FILENAME`).
    pub kind: &'static str,
    /// Text of the line it flags, as checkpatch quotes it.
    pub flags: &'static str,
    /// How many findings it explains, exactly.
    pub count: usize,
    /// Why it stays.
    pub why: &'static str,
}

/// checkpatch findings that stay, each explained.
pub const JUSTIFIED: &[Justified] = &[Justified {
    patch: "0004",
    kind: "EMBEDDED_FILENAME",
    flags: "kernel::kunit_assert!($test, \"init/initramfs_user_root.rs\", 0, $cond)",
    count: 1,
    why: "6.12's kernel::kunit_assert! takes the file as a literal \
          ($file:literal), so file!() cannot be passed",
}];

/// The cover letter in `series/`: subject line, blank line, body; its
/// `BASE_AND_CHANGES` becomes the tree the series is made on and the
/// changes of this version.
const COVER: &str = "0000-cover-letter.txt";
/// The release's change log, newest version first: the version of the
/// series and what changed in it.
pub const CHANGELOG: &str = "release/6.12.y/CHANGELOG";

/// The version of the series, from the top of [`CHANGELOG`]: a line
/// `vN (YYYY-MM-DD)`, then what changed in it, indented, up to the next
/// such line.
pub struct Version {
    /// N.
    pub number: u32,
    /// Its date, `YYYY-MM-DD`: the date of its commits.
    pub date: String,
    /// The cover letter's "Changes in vN" paragraph.
    pub changes: String,
}

impl Version {
    /// `format-patch`'s subject prefix: `PATCH 6.12.y`, `PATCH v2 6.12.y`.
    pub fn subject_prefix(&self) -> String {
        match self.number {
            1 => "PATCH 6.12.y".to_string(),
            n => format!("PATCH v{n} 6.12.y"),
        }
    }
}

/// Reads the newest version from the change log.
pub fn version(ws: &Workspace) -> Result<Version> {
    let path = ws.repo.join(CHANGELOG);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_changelog(&text).ok_or_else(|| {
        format!(
            "{}: no version: its first line that is not a comment must read `vN (date)`",
            path.display()
        )
        .into()
    })
}

/// [`version`] of a change log's text.
fn parse_changelog(text: &str) -> Option<Version> {
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let head = lines.find(|l| !l.trim().is_empty())?;
    let (number, date) = head.strip_prefix('v')?.split_once(" (")?;
    let number = number.parse().ok()?;
    let date = date.strip_suffix(')')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match date.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => {}
        _ => return None,
    }
    let body: Vec<&str> = lines
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .map(str::trim)
        .collect();
    let body = body.join("\n").trim().to_string();
    Some(Version {
        number,
        date: date.to_string(),
        changes: format!("Changes in v{number}:\n{body}"),
    })
}

/// The series' author: the first maintainer (`M:`) that the project's
/// MAINTAINERS hunks add.
fn author(ws: &Workspace) -> Result<(String, String)> {
    let path = ws.repo.join("MAINTAINERS.patch");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| {
            let (name, rest) = l.strip_prefix("+M:")?.trim().split_once(" <")?;
            Some((name.to_string(), rest.strip_suffix('>')?.to_string()))
        })
        .ok_or_else(|| format!("{}: adds no `M:` line", path.display()).into())
}

/// The Debian package the tree was unpacked from, `name version`
/// (written by `tree::materialise`).
pub fn package_of(ws: &Workspace) -> Result<String> {
    Ok(fs::read_to_string(ws.cache.join("src/PACKAGE"))?)
}

/// The tag of the unpatched versions of the touched files.
pub const BASE: &str = "base";
/// The branch the series is committed on.
pub const BRANCH: &str = "userroot";

/// A written series.
pub struct Series {
    /// The `format-patch` output directory.
    pub dir: PathBuf,
    /// The cover letter in it.
    pub cover: PathBuf,
    /// The base commit, then one commit per patch.
    pub commits: Vec<String>,
    /// The patch files, cover letter excluded, in order.
    pub patches: Vec<PathBuf>,
    /// The files the series touches, relative to the tree.
    pub touched: Vec<String>,
}

/// Where the series lives in the cache.
pub fn root(ws: &Workspace) -> PathBuf {
    ws.cache.join("series")
}

/// The git repository of the touched files.
fn repo(ws: &Workspace) -> PathBuf {
    root(ws).join("git")
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

/// The tree path a part changes.
fn target(part: &Part) -> &'static str {
    match part {
        Part::File(f) | Part::Hunks(f, _) => f.strip_suffix(".patch").unwrap_or(f),
    }
}

/// Commits the patches on the base and writes the series with
/// `git format-patch`.
fn write(ws: &Workspace) -> Result<Series> {
    let sources = sources(ws)?;
    let linux = tree::version(ws)?;
    let mut touched: Vec<String> = PATCHES
        .iter()
        .flat_map(|p| p.parts)
        .map(|p| target(p).to_string())
        .collect();
    touched.sort();
    touched.dedup();

    let dir = repo(ws);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let git = Git::new(ws, &dir)?;
    git.run(&["init", "-q", "-b", BRANCH])?;
    for file in &touched {
        if let Ok(content) = fs::read(ws.pristine().join(file)) {
            let dest = dir.join(file);
            fs::create_dir_all(dest.parent().ok_or("no parent")?)?;
            fs::write(dest, content)?;
        }
    }
    git.run(&["add", "-A", "-f"])?;
    git.run(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("Linux {linux}: the files the series touches"),
    ])?;
    git.run(&["tag", BASE])?;

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
    same_as_tree(ws, &dir)?;

    let out = root(ws).join("patches");
    let _ = fs::remove_dir_all(&out);
    let version = version(ws)?;
    git.run(&[
        "format-patch",
        "-q",
        "--cover-letter",
        &format!("--subject-prefix={}", version.subject_prefix()),
        "--no-signature",
        "-o",
        &out.to_string_lossy(),
        &format!("{BASE}..{BRANCH}"),
    ])?;
    let mut patches: Vec<PathBuf> = fs::read_dir(&out)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    patches.sort();
    let cover = patches.remove(0);
    let made_on = format!(
        "Made on Linux {linux} as Debian 12 ships it ({}).",
        package_of(ws)?
    );
    let letter = fs::read_to_string(msg_dir.join(COVER))?.replace(
        "BASE_AND_CHANGES",
        &format!("{made_on}\n\n{}", version.changes),
    );
    fill_cover(&cover, &letter)?;
    step(&format!(
        "series: v{} of {} patches on Linux {linux} in {}",
        version.number,
        patches.len(),
        out.display()
    ));
    Ok(Series {
        dir: out,
        cover,
        commits,
        patches,
        touched,
    })
}

/// The checkout's kernel files by path, each used by exactly one patch (or
/// each of its hunks by exactly one).
fn sources(ws: &Workspace) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for rel in tree::kernel_files(ws)? {
        files.insert(
            rel.to_string_lossy().into_owned(),
            fs::read(ws.repo.join(&rel))?,
        );
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
        let by_hunk =
            file.ends_with(".patch") && got == (1..=hunks(content)?.1.len()).collect::<Vec<_>>();
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

/// Applies one part to the series repository.
fn apply(
    ws: &Workspace,
    git: &Git,
    sources: &BTreeMap<String, Vec<u8>>,
    part: &Part,
) -> Result<()> {
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
fn same_as_tree(ws: &Workspace, repo: &Path) -> Result<()> {
    for (rel, content) in tree::wanted_files(ws)? {
        if fs::read(repo.join(&rel)).ok().as_ref() != Some(&content) {
            return Err(
                format!("series: {} differs from the project's tree", rel.display()).into(),
            );
        }
    }
    Ok(())
}

/// Puts the cover letter's subject and blurb into `format-patch`'s template.
fn fill_cover(cover: &Path, text: &str) -> Result<()> {
    let (subject, blurb) = text
        .split_once("\n\n")
        .ok_or("cover letter: no subject line")?;
    let letter = fs::read_to_string(cover)?
        .replace("*** SUBJECT HERE ***", subject.trim())
        .replace("*** BLURB HERE ***", blurb.trim_end());
    fs::write(cover, letter)?;
    Ok(())
}

/// git in the series repository, as the maintainer the series' MAINTAINERS
/// entry names, on the date of its version in the change log: the same
/// files and version give the same commits, whoever and whenever makes
/// them.
pub struct Git {
    tree: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Git {
    fn new(ws: &Workspace, tree: &Path) -> Result<Self> {
        let (name, email) = author(ws)?;
        let date = format!("{}T00:00:00Z", version(ws)?.date);
        Ok(Self {
            tree: tree.to_path_buf(),
            env: vec![
                ("GIT_AUTHOR_NAME", name.clone()),
                ("GIT_AUTHOR_EMAIL", email.clone()),
                ("GIT_COMMITTER_NAME", name),
                ("GIT_COMMITTER_EMAIL", email),
                ("GIT_AUTHOR_DATE", date.clone()),
                ("GIT_COMMITTER_DATE", date),
                // Nobody's git configuration changes what is written.
                ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
                ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ],
        })
    }

    /// Runs git and returns its trimmed output.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.tree).args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = run(&mut cmd)?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }
}

/// git in a written series' repository.
pub fn git(ws: &Workspace) -> Result<Git> {
    get(ws)?;
    Git::new(ws, &repo(ws))
}

impl Git {
    /// Runs git and returns its output as it is.
    pub fn run_bytes(&self, args: &[&str]) -> Result<Vec<u8>> {
        run(Command::new("git")
            .arg("-C")
            .arg(&self.tree)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_gives_the_newest_version() {
        let text = "# comment\nv2 (2027-01-02)\n  - Fixed a thing.\n  - And another.\n\n\
                    v1 (2026-12-07)\n  - First release.\n";
        let v = parse_changelog(text).unwrap();
        assert_eq!(v.number, 2);
        assert_eq!(v.date, "2027-01-02");
        assert_eq!(v.subject_prefix(), "PATCH v2 6.12.y");
        assert_eq!(
            v.changes,
            "Changes in v2:\n- Fixed a thing.\n- And another."
        );
        assert!(parse_changelog("# only comments\n").is_none());
        assert!(parse_changelog("version 1\n").is_none());
        assert!(parse_changelog("v1 (Dec 7)\n").is_none());
    }
}
