// SPDX-License-Identifier: GPL-2.0
//! The patch series for the mailing list: `make series`.
//!
//! The project's kernel files, split into the logical patches of
//! [`PATCHES`], are committed one by one in a git repository that holds the
//! files the series touches, starting from their pinned versions, and are
//! written out with `git format-patch` and a cover letter. Commit messages
//! live in `series/` next to this crate, one file per patch (subject line,
//! blank line, body). The gates that build every commit and run checkpatch
//! on every patch are in `gates`.
//!
//! Each commit is built in the main source tree: its versions of the
//! touched files are written there, in a build directory that starts as a
//! copy of the `kunit` kernel's, so that only what the series changes is
//! recompiled. Afterwards the tree gets the project's versions back with
//! their old timestamps, so that the other kernels see nothing changed. An
//! interrupted run leaves a note that the next one reads to do the same.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::tree::{self, PINNED};
use crate::workspace::{run, step, Workspace};
use crate::{config, debian, kbuild, Result};

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
                &[1],
            ),
        ],
    },
    Patch {
        message: "0006-documentation.txt",
        parts: &[
            Part::Hunks(
                "Documentation/admin-guide/kernel-parameters.txt.patch",
                &[2],
            ),
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

/// The cover letter in `series/`: subject line, blank line, body.
const COVER: &str = "0000-cover-letter.txt";
/// The tag of the pinned versions of the touched files.
const BASE: &str = "base";
/// The branch the series is committed on.
pub const BRANCH: &str = "userroot";

/// A written series.
pub struct Series {
    /// The `format-patch` output directory.
    pub dir: PathBuf,
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
        &format!("Linux {PINNED}: the files the series touches"),
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
    git.run(&[
        "format-patch",
        "-q",
        "--cover-letter",
        "--subject-prefix=PATCH 6.12.y",
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
    let trees = format!(
        "{}\n\n{}",
        trees_checked(ws, &git, &touched)?,
        trixie_checked(ws, &git, &touched)?
    );
    step(&format!("series: {trees}"));
    let letter = fs::read_to_string(msg_dir.join(COVER))?.replace("TREES_CHECKED", &trees);
    fill_cover(&cover, &letter)?;
    step(&format!(
        "series: {} patches on Linux {PINNED} in {}",
        patches.len(),
        out.display()
    ));
    Ok(Series {
        dir: out,
        commits,
        patches,
        touched,
    })
}

/// Establishes from Debian's own source package of the pinned kernel (its
/// patch list) whether Debian changed a file the series touches, and checks
/// that the series applies to kernel.org's versions of those files: the
/// pinned ones, with every Debian patch that touches them reversed. Fails
/// if it does not; returns what was checked, for the cover letter.
fn trees_checked(ws: &Workspace, git: &Git, touched: &[String]) -> Result<String> {
    let package = fs::read_to_string(ws.pristine().join(tree::STAMP))?;
    let patches = match debian_patches(ws, &package) {
        Ok(p) => p,
        // Not something the series can be blamed for: say it was not
        // checked, and why.
        Err(e) => {
            return Ok(format!(
                "Made on Debian's linux-source-6.12 {}, that is v{PINNED} with Debian's \
                 patches. Whether Debian changed a file this series touches could not be \
                 checked: its source package (the patch list) was not reachable \
                 ({}).",
                package.trim(),
                e.to_string().lines().last().unwrap_or("").trim()
            ))
        }
    };
    let mut overlap: Vec<(&str, &String)> = Vec::new();
    for (name, files) in &patches {
        for f in files.iter().filter(|f| touched.contains(f)) {
            overlap.push((name.as_str(), f));
        }
    }
    let checked = format!(
        "Made on Debian's linux-source-6.12 {package}, that is v{PINNED} with the {} \
         patches of Debian's linux-6.12 source package",
        patches.len()
    );
    if overlap.is_empty() {
        return Ok(format!(
            "{checked}. None of those patches touches a file this series changes \
             (checked against the package's debian/patches/series), so the series \
             applies to kernel.org's v{PINNED} as well, as far as these files show."
        ));
    }
    // kernel.org's versions: the pinned files with Debian's patches to them
    // reversed, newest first; then the series on top.
    let dir = root(ws).join("kernel.org");
    let _ = fs::remove_dir_all(&dir);
    for f in touched {
        if let Ok(c) = fs::read(ws.pristine().join(f)) {
            let dest = dir.join(f);
            fs::create_dir_all(dest.parent().ok_or("no parent")?)?;
            fs::write(dest, c)?;
        }
    }
    let debian = debian_dir(ws, &package);
    let mut names: Vec<&str> = overlap.iter().map(|(n, _)| *n).collect();
    names.dedup();
    for name in names.iter().rev() {
        run(Command::new("patch")
            .args([
                "-R",
                "-p1",
                "--batch",
                "--no-backup-if-mismatch",
                "-r",
                "-",
                "-d",
            ])
            .arg(&dir)
            .arg("-i")
            .arg(debian.join("debian/patches").join(name)))
        .map_err(|e| format!("series: reversing Debian's {name}: {e}"))?;
    }
    let diff = git.run_bytes(&["diff", BASE, BRANCH])?;
    let series_diff = root(ws).join("series.diff");
    fs::write(&series_diff, diff)?;
    run(Command::new("git")
        .args(["apply", "--check"])
        .arg(&series_diff)
        .current_dir(&dir))
    .map_err(|e| {
        format!("series: does not apply to kernel.org's v{PINNED} versions of its files: {e}")
    })?;
    let files: Vec<String> = overlap.iter().map(|(n, f)| format!("{f} ({n})")).collect();
    Ok(format!(
        "{checked}. Debian changes {}; the series also applies with those \
         changes reversed, i.e. to kernel.org's v{PINNED}, as far as these files show.",
        files.join(", ")
    ))
}

/// Checks the series against the tree Debian 13 users patch, trixie's
/// `linux` source package: it applies to the package's upstream tarball
/// (kernel.org's content) and to that tree with Debian's patches applied,
/// and says which Debian patches touch its files. Fails if it does not
/// apply; an archive that cannot be reached is said, not failed.
fn trixie_checked(ws: &Workspace, git: &Git, touched: &[String]) -> Result<String> {
    let patched = trixie_patched_checked(ws, git)?;
    let sp = match debian::source_package(ws, "linux", "trixie") {
        Ok(sp) => sp,
        Err(e) => {
            return Ok(format!(
                "{patched} Its source package (upstream tarball and patch list) could not \
                 be fetched ({}), so whether a Debian patch touches a file of the series \
                 was not checked.",
                e.to_string().lines().last().unwrap_or("").trim()
            ))
        }
    };
    let patches = patch_list(&sp.debian)?;
    let overlap: Vec<&(String, Vec<String>)> = patches
        .iter()
        .filter(|(_, files)| files.iter().any(|f| touched.contains(f)))
        .collect();
    // The files the series changes that exist before it, and every file
    // of the Debian patches that touch them.
    let base = git.run(&["ls-tree", "-r", "--name-only", BASE])?;
    let mut files: Vec<String> = base.lines().map(String::from).collect();
    for (_, f) in &overlap {
        files.extend(f.iter().cloned());
    }
    files.sort();
    files.dedup();
    let diff = root(ws).join("series.diff");
    fs::write(&diff, git.run_bytes(&["diff", BASE, BRANCH])?)?;
    let check = |dir: &Path, what: &str| -> Result<()> {
        run(Command::new("git")
            .args(["apply", "--check"])
            .arg(&diff)
            .current_dir(dir))
        .map(|_| ())
        .map_err(|e| format!("series: does not apply to {what} ({}): {e}", sp.package).into())
    };
    let orig = root(ws).join("trixie-orig");
    debian::extract_from_orig(&sp.orig, &files, &orig)?;
    check(&orig, "Debian 13's upstream tarball")?;
    let patched = root(ws).join("trixie-patched");
    let _ = fs::remove_dir_all(&patched);
    run(Command::new("cp").arg("-a").arg(&orig).arg(&patched))?;
    for (name, _) in &overlap {
        run(Command::new("patch")
            .args(["-p1", "--batch", "--no-backup-if-mismatch", "-r", "-", "-d"])
            .arg(&patched)
            .arg("-i")
            .arg(sp.debian.join("patches").join(name)))
        .map_err(|e| format!("series: applying Debian's {name}: {e}"))?;
    }
    check(&patched, "Debian 13's patched tree")?;
    let touching = if overlap.is_empty() {
        "none of them touches a file the series changes".to_string()
    } else {
        let names: Vec<&str> = overlap.iter().map(|(n, _)| n.as_str()).collect();
        format!("{} touch files it changes", names.join(", "))
    };
    Ok(format!(
        "Also checked against Debian 13's source package ({}): the series applies \
         to its upstream tarball (kernel.org's content) and to its tree with \
         Debian's {} patches applied; {touching}.",
        sp.package,
        patches.len()
    ))
}

/// The series applies to Debian 13's patched tree, as trixie's
/// `linux-source-6.12` ships it; fails if it does not.
fn trixie_patched_checked(ws: &Workspace, git: &Git) -> Result<String> {
    let (package, tarball) = debian::trixie_linux_source(ws)?;
    let base = git.run(&["ls-tree", "-r", "--name-only", BASE])?;
    let files: Vec<String> = base.lines().map(String::from).collect();
    let dir = root(ws).join("trixie-linux-source");
    debian::extract_from_orig(&tarball, &files, &dir)?;
    let diff = root(ws).join("series.diff");
    fs::write(&diff, git.run_bytes(&["diff", BASE, BRANCH])?)?;
    run(Command::new("git")
        .args(["apply", "--check"])
        .arg(&diff)
        .current_dir(&dir))
    .map_err(|e| format!("series: does not apply to Debian 13's patched tree ({package}): {e}"))?;
    Ok(format!(
        "Also checked against Debian 13: the series applies to its patched tree \
         ({package} from trixie)."
    ))
}

/// Where Debian's source package of the kernel is unpacked.
fn debian_dir(ws: &Workspace, package: &str) -> PathBuf {
    ws.cache.join("src/debian").join(package.trim())
}

/// Debian's patches of the pinned kernel, in the order of its series file,
/// with the files each changes. The package's debian.tar.xz is downloaded
/// once (apt-get source --print-uris names it and its checksum).
fn debian_patches(ws: &Workspace, package: &str) -> Result<Vec<(String, Vec<String>)>> {
    let dir = debian_dir(ws, package);
    let series_file = dir.join("debian/patches/series");
    if !series_file.exists() {
        step(&format!(
            "series: fetching Debian's patch list of linux-6.12 {}",
            package.trim()
        ));
        fs::create_dir_all(&dir)?;
        let uris = run(Command::new("apt-get").args([
            "source",
            "--print-uris",
            &format!("linux-6.12={}", package.trim()),
        ]))
        .map_err(|e| {
            format!("apt-get source --print-uris (is deb-src set up? run `make setup`): {e}")
        })?;
        let uris = String::from_utf8_lossy(&uris);
        let (url, sum) = uris
            .lines()
            .filter(|l| l.contains(".debian.tar."))
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Some((
                    f.first()?.trim_matches('\''),
                    f.get(3)?.strip_prefix("SHA256:")?,
                ))
            })
            .ok_or("apt-get source names no debian.tar")?;
        let tarball = dir.join("debian.tar.xz");
        debian::download_checked(url, &tarball, sum)?;
        run(Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir))?;
    }
    patch_list(&dir.join("debian"))
}

/// The patches of a `debian/` directory in the order of its series file,
/// each with the files it changes.
fn patch_list(debian: &Path) -> Result<Vec<(String, Vec<String>)>> {
    let mut patches = Vec::new();
    for line in fs::read_to_string(debian.join("patches/series"))?.lines() {
        let name = line
            .split('#')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        let Some(name) = name else {
            continue;
        };
        let text = fs::read(debian.join("patches").join(name))?;
        let files = String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|l| l.strip_prefix("+++ "))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|p| p.split_once('/').map(|(_, rest)| rest.to_string()))
            .collect();
        patches.push((name.to_string(), files));
    }
    Ok(patches)
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

/// git in the series repository, as the checkout's author, at the
/// checkout's last commit date, so that an unchanged checkout gives the
/// same commits.
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
        let email = repo(&["config", "user.email"]).unwrap_or_else(|| "userroot@localhost".into());
        let date =
            repo(&["log", "-1", "--format=%cI"]).unwrap_or_else(|| "2026-01-01T00:00:00Z".into());
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

/// git in a written series' repository.
pub fn git(ws: &Workspace, _s: &Series) -> Result<Git> {
    Git::new(ws, &repo(ws))
}

/// The kernel configuration every commit is built with: the variant that
/// compiles every line of the feature, KUnit suite included.
const BUILD_VARIANT: &str = config::FULL_VARIANT;
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
    let series = get(ws)?;
    let git = git(ws, series)?;
    let v = config::variant(BUILD_VARIANT)?;
    kbuild::build(ws, v, None)?;
    let config = fs::read(ws.build(v.name).join(".config"))?;
    let salt = kbuild::toolchain()? + &ws.linux_source()?;
    let mut borrowed = false;
    let built = build_each(ws, series, &git, v, &config, &salt, &mut borrowed);
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
    salt: &str,
    borrowed: &mut bool,
) -> Result<Vec<CommitBuild>> {
    let results = root(ws).join("results");
    fs::create_dir_all(&results)?;
    let mut builds = Vec::new();
    for (i, commit) in series.commits.iter().enumerate() {
        let title = git.run(&["log", "-1", "--format=%h %s", commit])?;
        let key = {
            let mut h = DefaultHasher::new();
            git.run(&["rev-parse", &format!("{commit}^{{tree}}")])?
                .hash(&mut h);
            config.hash(&mut h);
            salt.hash(&mut h);
            results.join(format!("{:016x}", h.finish()))
        };
        // The base's kernel is kept beside its result: the unpatched
        // kernel the scenarios boot as stock.
        let image = (i == 0).then(|| unpatched_files(&key));
        let text = match fs::read_to_string(&key) {
            Ok(text) if image.as_ref().is_none_or(|(i, c)| i.exists() && c.exists()) => text,
            _ => {
                step(&format!("series: building {title}"));
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
                        fs::write(&key, &text)?;
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
    config::can_warn("unpatched", &config)?;
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

impl Git {
    /// Runs git and returns its output as it is.
    pub fn run_bytes(&self, args: &[&str]) -> Result<Vec<u8>> {
        run(Command::new("git").arg("-C").arg(&self.tree).args(args))
    }
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
        let make = |targets: &[&str]| kbuild::make_in(ws, &tree, work, name, v.arch, targets);
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
