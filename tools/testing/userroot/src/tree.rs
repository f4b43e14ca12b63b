// SPDX-License-Identifier: GPL-2.0
//! The kernel source.
//!
//! Debian's linux-source-6.12 is unpacked once into `pristine`. The `tree`
//! is a copy of it with the project's kernel files applied: a file at a
//! kernel path is copied in, a `<file>.patch` is applied to the pristine
//! `<file>`. Only files whose content changes are written, so builds stay
//! incremental. `export` goes the other way: it turns edits made in the tree
//! into `<file>.patch` files and new files in the checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::error::Result;
use crate::key::{self, Key, Kind, Stamp};
use crate::workspace::{run, step, Workspace};

/// Debian's kernel source package and the tarball it installs. Its
/// version moves with Debian's updates: the project's patches are made
/// against whichever is installed, and everything built from the tree
/// names it.
pub const PACKAGE: &str = "linux-source-6.12";
const TARBALL: &str = "/usr/src/linux-source-6.12.tar.xz";
/// Written in the cache while the tree holds files other than the
/// checkout's (see [`borrow`]).
const BORROWED: &str = "tree-borrowed";
/// Checkout paths that are not part of the kernel patch: the tooling, the
/// release made from the patch, and the measured results.
const NOT_KERNEL: &[&str] = &["tools/testing/userroot/", "release/", "results/"];

/// Makes the tree match the checkout and returns the kernel version.
pub fn materialise(ws: &Workspace) -> Result<String> {
    let version = ensure_pristine(ws)?;
    // A series build that was interrupted left a commit's files here.
    give_back(ws)?;
    let tree = ws.tree();
    if !tree.join("Makefile").exists() {
        step(&format!(
            "copying the pristine source to {}",
            tree.display()
        ));
        let _ = fs::remove_dir_all(&tree);
        let _ = fs::remove_dir_all(ws.applied());
        run(Command::new("cp").arg("-a").arg(ws.pristine()).arg(&tree))?;
    }
    let wanted = wanted_files(ws)?;
    let applied = list_files(&ws.applied())?;

    // Edits made in the tree and not yet exported would be lost.
    for rel in applied.iter().chain(wanted.keys()) {
        let last = read_opt(&ws.applied().join(rel)).or_else(|| read_opt(&ws.pristine().join(rel)));
        let now = read_opt(&tree.join(rel));
        if now != last && now.as_ref() != wanted.get(rel) {
            return Err(format!(
                "{} has edits that are not in the checkout: run `make patches` to keep \
                 them, or restore the file to discard them",
                tree.join(rel).display()
            )
            .into());
        }
    }
    let mut changed = 0;
    for rel in applied.difference(&wanted.keys().cloned().collect()) {
        match read_opt(&ws.pristine().join(rel)) {
            Some(orig) => fs::write(tree.join(rel), orig)?,
            None => fs::remove_file(tree.join(rel))?,
        }
        fs::remove_file(ws.applied().join(rel))?;
        changed += 1;
    }
    for (rel, content) in &wanted {
        if read_opt(&tree.join(rel)).as_ref() != Some(content) {
            write(&tree.join(rel), content)?;
            changed += 1;
        }
        if read_opt(&ws.applied().join(rel)).as_ref() != Some(content) {
            write(&ws.applied().join(rel), content)?;
        }
    }
    step(&format!(
        "source: Linux {version} with {} project file(s), {changed} updated",
        wanted.len()
    ));
    Ok(version)
}

/// Writes the tree's differences from pristine back into the checkout.
pub fn export(ws: &Workspace) -> Result<()> {
    ensure_pristine(ws)?;
    let out = Command::new("diff")
        .args(["-rq", "--no-dereference"])
        .arg(ws.pristine())
        .arg(ws.tree())
        .output()?;
    let tree_prefix = format!("Only in {}", ws.tree().display());
    let (mut patched, mut new) = (0, 0);
    let mut kept = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(rest) = line.strip_prefix("Files ") {
            let a = rest.split(" and ").next().unwrap_or_default();
            let rel = Path::new(a).strip_prefix(ws.pristine())?.to_path_buf();
            let diff = unified_diff(ws, &rel)?;
            write(&ws.repo.join(patch_name(&rel)), &diff)?;
            patched += 1;
            kept.insert(patch_name(&rel));
            kept.insert(rel);
        } else if let Some(rest) = line.strip_prefix(&tree_prefix) {
            let (dir, name) = rest.split_once(": ").ok_or("unexpected diff output")?;
            let path = Path::new(&format!("{}{dir}", ws.tree().display())).join(name);
            for sub in list_files(&path)? {
                let rel = path.join(sub);
                let rel = rel
                    .strip_prefix(ws.tree())?
                    .components()
                    .collect::<PathBuf>();
                // A checkout file edited since it was last applied would be
                // lost: `make tree` brings it into the tree instead.
                let in_repo = read_opt(&ws.repo.join(&rel));
                if in_repo.is_some()
                    && in_repo != read_opt(&ws.applied().join(&rel))
                    && in_repo != read_opt(&ws.tree().join(&rel))
                {
                    return Err(format!(
                        "{} is edited in the checkout and in the tree; run `make tree` \
                         first or merge by hand",
                        rel.display()
                    )
                    .into());
                }
                fs::copy(ws.tree().join(&rel), ensure_parent(&ws.repo.join(&rel))?)?;
                new += 1;
                kept.insert(rel);
            }
        } else if line.starts_with("Only in") {
            return Err(format!("deleting upstream files is not supported: {line}").into());
        }
    }
    // Files in the checkout whose edits were undone in the tree.
    for rel in kernel_files(ws)? {
        if !kept.contains(&rel) {
            step(&format!("removing {} (no longer differs)", rel.display()));
            fs::remove_file(ws.repo.join(&rel))?;
        }
    }
    for rel in &kept {
        if ws.tree().join(rel).exists() {
            write(&ws.applied().join(rel), &fs::read(ws.tree().join(rel))?)?;
        }
    }
    step(&format!(
        "exported {patched} patch(es) and {new} new file(s) to the checkout"
    ));
    Ok(())
}

/// Unpacks the source package once; a new package version replaces it.
fn ensure_pristine(ws: &Workspace) -> Result<String> {
    let pkg = run(Command::new("dpkg-query").args(["-W", "-f=${Version}", PACKAGE]))
        .map_err(|_| format!("{PACKAGE} is not installed: run `make setup`"))?;
    let pkg = String::from_utf8_lossy(&pkg).into_owned();
    // Beside `pristine`, not in it: the tree is compared with it.
    let stamp = Stamp::at(ws.cache.join("src/pristine.key"));
    let key = Key::new(Kind::Pristine)
        .bytes("package version", &pkg)
        .text()?;
    if !stamp.holds(&key) {
        step(&format!(
            "unpacking {PACKAGE} {pkg} into {}",
            ws.pristine().display()
        ));
        for dir in [ws.pristine(), ws.tree(), ws.applied()] {
            let _ = fs::remove_dir_all(dir);
        }
        fs::create_dir_all(ws.pristine())?;
        run(Command::new("tar")
            .args(["-xf", TARBALL, "--strip-components=1", "-C"])
            .arg(ws.pristine()))?;
        stamp.write(&key)?;
    }
    let version = version(ws)?;
    fs::write(
        ws.cache.join("src/VERSION"),
        format!("{version} ({PACKAGE} {pkg})\n"),
    )?;
    fs::write(ws.cache.join("src/PACKAGE"), format!("{PACKAGE} {pkg}"))?;
    Ok(version)
}

/// The kernel version of the unpacked source, `6.12.118`, from its
/// Makefile.
pub fn version(ws: &Workspace) -> Result<String> {
    let makefile = fs::read_to_string(ws.pristine().join("Makefile"))?;
    let field = |name: &str| {
        makefile
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .trim()
                    .strip_prefix('=')
                    .map(str::trim)
            })
            .unwrap_or("?")
            .to_string()
    };
    Ok(format!(
        "{}.{}.{}",
        field("VERSION"),
        field("PATCHLEVEL"),
        field("SUBLEVEL")
    ))
}

/// What the tree must hold at each project path: new files as they are,
/// patched files as pristine plus the patch.
pub fn wanted_files(ws: &Workspace) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let scratch = ws.cache.join("src/scratch");
    let mut wanted = BTreeMap::new();
    for rel in kernel_files(ws)? {
        let Some(target) = rel.to_str().and_then(|s| s.strip_suffix(".patch")) else {
            wanted.insert(rel.clone(), fs::read(ws.repo.join(&rel))?);
            continue;
        };
        let target = PathBuf::from(target);
        let orig = ws.pristine().join(&target);
        let _ = fs::remove_dir_all(&scratch);
        let copy = ensure_parent(&scratch.join(&target))?;
        fs::copy(&orig, &copy).map_err(|e| format!("{}: {e}", orig.display()))?;
        run(Command::new("patch")
            .args([
                "-p1",
                "--forward",
                "--batch",
                "--no-backup-if-mismatch",
                "-r",
                "-",
                "-d",
            ])
            .arg(&scratch)
            .arg("-i")
            .arg(ws.repo.join(&rel)))
        .map_err(|e| {
            format!(
                "{} does not apply to {}: {e}",
                rel.display(),
                ws.pristine().display()
            )
        })?;
        wanted.insert(target, fs::read(&copy)?);
    }
    Ok(wanted)
}

/// The checkout's kernel files: tracked or new, not ignored, not tooling,
/// not top-level project files (a top-level `<file>.patch`, such as
/// MAINTAINERS.patch, is a kernel file).
pub fn kernel_files(ws: &Workspace) -> Result<Vec<PathBuf>> {
    let out = run(Command::new("git").arg("-C").arg(&ws.repo).args([
        "ls-files",
        "--cached",
        "--others",
        "--exclude-standard",
        "-z",
    ]))?;
    Ok(out
        .split(|&b| b == 0)
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter(|p| (p.contains('/') || p.ends_with(".patch")) && !p.starts_with('.'))
        .filter(|p| !NOT_KERNEL.iter().any(|t| p.starts_with(t)))
        .filter(|p| ws.repo.join(p).is_file())
        .map(PathBuf::from)
        .collect())
}

/// `<file>.patch` for a kernel path.
fn patch_name(rel: &Path) -> PathBuf {
    PathBuf::from(format!("{}.patch", rel.display()))
}

/// Notes the content and timestamps of `files` (and of their directories)
/// before something else, a series commit, is written over them in the
/// tree; [`give_back`] restores the checkout's versions.
pub fn borrow(ws: &Workspace, files: &[String]) -> Result<()> {
    let mtime = |p: &Path| {
        fs::metadata(ws.tree().join(p))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    };
    let mut note = String::new();
    let mut dirs = std::collections::BTreeSet::new();
    for file in files {
        let digest = digest_of(fs::read(ws.tree().join(file)).ok().as_deref());
        note += &format!("{} {digest} {file}\n", mtime(Path::new(file)));
        dirs.extend(
            Path::new(file)
                .ancestors()
                .skip(1)
                .filter(|d| !d.as_os_str().is_empty()),
        );
    }
    // Their directories too: adding and removing files changes theirs,
    // and a kernel build is redone when anything in the tree is newer
    // than its stamp.
    for dir in dirs {
        note += &format!("D {} {}\n", mtime(dir), dir.display());
    }
    fs::write(ws.cache.join(BORROWED), note)?;
    Ok(())
}

/// Gives the tree the checkout's versions of borrowed files, if a note says
/// it holds others; a file whose content is what was borrowed gets its old
/// timestamp back, so make rebuilds nothing for it.
pub fn give_back(ws: &Workspace) -> Result<()> {
    let note_path = ws.cache.join(BORROWED);
    let Ok(note) = fs::read_to_string(&note_path) else {
        return Ok(());
    };
    let wanted = wanted_files(ws)?;
    let mut dirs = Vec::new();
    for line in note.lines() {
        if let Some(dir) = line.strip_prefix("D ") {
            dirs.push(dir);
            continue;
        }
        let mut fields = line.splitn(3, ' ');
        let (Some(mtime), Some(digest), Some(file)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err("bad tree-borrowed note".into());
        };
        let path = ws.tree().join(file);
        let content = match wanted.get(Path::new(file)) {
            Some(c) => Some(c.clone()),
            None => fs::read(ws.pristine().join(file)).ok(),
        };
        match content {
            Some(c) => {
                if fs::read(&path).ok().as_ref() != Some(&c) {
                    fs::write(&path, &c)?;
                }
                // The old timestamp only goes with the old content: a file
                // edited in the checkout since keeps the time it is written
                // now, newer than every build stamp.
                let nanos: u64 = mtime.parse()?;
                if nanos > 0 && digest_of(Some(&c)) == digest {
                    let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(nanos);
                    fs::File::options()
                        .write(true)
                        .open(&path)?
                        .set_modified(t)?;
                }
            }
            None => {
                let _ = fs::remove_file(&path);
            }
        }
    }
    // Last, after the files in them were put back.
    for line in dirs {
        let (mtime, dir) = line.split_once(' ').ok_or("bad tree-borrowed note")?;
        let nanos: u128 = mtime.parse()?;
        let path = ws.tree().join(dir);
        if nanos > 0 && path.is_dir() {
            let at = format!("@{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000);
            run(Command::new("touch").args(["-m", "-d", &at]).arg(&path))?;
        }
    }
    fs::remove_file(note_path)?;
    Ok(())
}

/// A file's content as a word for the tree-borrowed note (`-` for none).
fn digest_of(content: Option<&[u8]>) -> String {
    match content {
        Some(c) => key::digest(c),
        None => "-".into(),
    }
}

/// A `-p1` unified diff of one file, pristine against tree.
fn unified_diff(ws: &Workspace, rel: &Path) -> Result<Vec<u8>> {
    let out = Command::new("diff")
        .args(["-up", "--label"])
        .arg(Path::new("a").join(rel))
        .arg("--label")
        .arg(Path::new("b").join(rel))
        .arg(ws.pristine().join(rel))
        .arg(ws.tree().join(rel))
        .output()?;
    match out.status.code() {
        Some(1) => Ok(out.stdout),
        _ => Err(format!("diff of {} failed", rel.display()).into()),
    }
}

/// All regular files below `dir` (or `dir` itself), relative to it.
fn list_files(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut files = BTreeSet::new();
    if dir.is_file() {
        files.insert(PathBuf::new());
        return Ok(files);
    }
    let mut todo = vec![PathBuf::new()];
    while let Some(sub) = todo.pop() {
        let Ok(entries) = fs::read_dir(dir.join(&sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            let rel = sub.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                todo.push(rel);
            } else {
                files.insert(rel);
            }
        }
    }
    Ok(files)
}

fn read_opt(path: &Path) -> Option<Vec<u8>> {
    fs::read(path).ok()
}

fn ensure_parent(path: &Path) -> Result<PathBuf> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    Ok(path.to_path_buf())
}

fn write(path: &Path, content: &[u8]) -> Result<()> {
    fs::write(ensure_parent(path)?, content)?;
    Ok(())
}
