// SPDX-License-Identifier: GPL-2.0
//! The release: the series as users take it, at a path of the repository
//! that stays (`release/6.12.y/`), and the gates that keep it true.
//!
//! `make release` writes what is made from the tested tree: the numbered
//! patches and the cover letter exactly as `make series` writes them, a
//! quilt `series` file, and the same patches as one diff for `patch -p1`
//! (what NixOS's `boot.kernelPatches` and Arch's PKGBUILDs apply). The
//! change log and the configuration fragment beside them are written by
//! hand. The gates apply the committed files the ways users do, to fresh
//! copies of each 6.12 tree there is: `git am`, `quilt push` and `patch -p1`,
//! then the fragment and `olddefconfig`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::Toolchain;
use crate::error::{Result, Skip};
use crate::kconfig;
use crate::key::{Key, Kind, Stamp};
use crate::qemu::{Arch, ARM64, X86_64};
use crate::workspace::{run, step, unless_passed_before, Workspace};
use crate::{debian, kbuild, series, tree};

/// Where the release lives in the repository.
pub const DIR: &str = "release/6.12.y";
/// The configuration fragment, written by hand.
pub const FRAGMENT: &str = "initramfs-user-root.config";
/// The numbered patches as one diff.
const COMBINED: &str = "initramfs-user-root.patch";
/// quilt's list of the numbered patches, in order.
const QUILT_SERIES: &str = "series";
/// The line of the combined diff that names the tree it was made on.
const MADE_ON: &str = "Made on Linux ";
/// The README, whose recipes name the release's files.
const README: &str = "README.md";
/// The configurations the fragment is checked on: each architecture's
/// defconfig, with each toolchain.
const CONFIGURED: &[(&Arch, Toolchain)] = &[
    (&X86_64, Toolchain::Gcc),
    (&X86_64, Toolchain::Llvm),
    (&ARM64, Toolchain::Gcc),
    (&ARM64, Toolchain::Llvm),
];

/// The gates' own code, part of their keys: a stricter check runs again.
const CHECKS: &str = include_str!("release.rs");

/// Where the gates work, in the cache.
fn work(ws: &Workspace) -> PathBuf {
    ws.cache.join("release")
}

/// What `make release` writes, by file name: made from the series.
fn made(ws: &Workspace) -> Result<BTreeMap<String, Vec<u8>>> {
    let s = series::get(ws)?;
    let mut files = BTreeMap::new();
    let mut names = Vec::new();
    for path in std::iter::once(&s.cover).chain(&s.patches) {
        let name = path
            .file_name()
            .ok_or("a patch without a name")?
            .to_string_lossy()
            .into_owned();
        files.insert(name.clone(), fs::read(path)?);
        names.push(name);
    }
    let numbered = &names[1..];
    files.insert(
        QUILT_SERIES.into(),
        format!("{}\n", numbered.join("\n")).into(),
    );
    let git = series::git(ws)?;
    let range = format!("{}..{}", series::BASE, series::BRANCH);
    let version = series::version(ws)?;
    let header = format!(
        "initramfs user root v{} for Linux 6.12.y: patches 1-{} of this directory\n\
         as one diff, for `patch -p1` and NixOS's boot.kernelPatches.\n\
         {MADE_ON}{} as Debian 12 ships it ({}).\n\n---\n",
        version.number,
        numbered.len(),
        tree::version(ws)?,
        series::package_of(ws)?
    );
    let mut combined = header.into_bytes();
    combined.extend(git.run_bytes(&["diff", "--stat=72", "--summary", &range])?);
    combined.push(b'\n');
    combined.extend(git.run_bytes(&["diff", &range])?);
    files.insert(COMBINED.into(), combined);
    Ok(files)
}

/// `make release`: writes the made files into the checkout's release
/// directory (the hand-written ones stay) and returns it.
pub fn write(ws: &Workspace) -> Result<PathBuf> {
    let dir = ws.repo.join(DIR);
    let made = made(ws)?;
    for name in committed_made(&dir)? {
        if !made.contains_key(&name) {
            fs::remove_file(dir.join(name))?;
        }
    }
    for (name, content) in &made {
        fs::write(dir.join(name), content)?;
    }
    step(&format!(
        "release: {} files written; the change log and {FRAGMENT} are yours",
        made.len()
    ));
    Ok(dir)
}

/// The files of the release directory that `make release` makes (not the
/// hand-written ones).
fn committed_made(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".patch") || name == QUILT_SERIES {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The "Made on" line of a combined diff.
fn made_on(combined: &[u8]) -> Option<String> {
    String::from_utf8_lossy(combined)
        .lines()
        .find(|l| l.starts_with(MADE_ON))
        .map(String::from)
}

/// Gate: the committed release is what `make release` makes from the
/// tested tree, byte for byte, when both are made on the same Linux; on
/// another one (Debian moved its package) the text cannot be the same,
/// and `release-applies-debian12` shows whether it still gives the tested
/// tree. The README's recipes name files the release has.
pub fn is_the_series(ws: &Workspace) -> Result<Vec<String>> {
    let dir = ws.repo.join(DIR);
    let made = made(ws)?;
    let mut failures = Vec::new();
    let committed = fs::read(dir.join(COMBINED)).unwrap_or_default();
    let (was, now) = (made_on(&committed), made_on(&made[COMBINED]));
    if was.is_some() && was != now {
        println!(
            "# release: {}, the tree now: {}; `make release` would make it anew there",
            was.unwrap_or_default(),
            now.unwrap_or_default()
        );
    } else {
        for (name, content) in &made {
            if fs::read(dir.join(name)).ok().as_ref() != Some(content) {
                failures.push(format!(
                    "{DIR}/{name} is not what `make release` makes from the tested tree \
                     (run it; a version users have taken gets a new entry in CHANGELOG first)"
                ));
            }
        }
        for name in committed_made(&dir)? {
            if !made.contains_key(&name) {
                failures.push(format!("{DIR}/{name} is not made by `make release`"));
            }
        }
    }
    for name in [FRAGMENT, "CHANGELOG"] {
        if !dir.join(name).exists() {
            failures.push(format!("{DIR}/{name} is missing"));
        }
    }
    let readme = fs::read_to_string(ws.repo.join(README))?;
    let have: Vec<String> = fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    for (name, glob) in named_in(&readme) {
        let found = if glob {
            have.iter().any(|h| h.starts_with(&name))
        } else {
            have.contains(&name)
        };
        if !found {
            let star = if glob { "*" } else { "" };
            failures.push(format!(
                "{README} names {DIR}/{name}{star}, which the release lacks"
            ));
        }
    }
    Ok(failures)
}

/// The files of the release directory a text names (`release/6.12.y/x`),
/// each with whether it is the start of a shell pattern (`000[1-7]-*`).
fn named_in(text: &str) -> Vec<(String, bool)> {
    let mut names: Vec<(String, bool)> = text
        .match_indices(&format!("{DIR}/"))
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                .collect();
            let glob = rest[name.len()..].starts_with(['[', '*', '?']);
            (name.trim_end_matches('.').to_string(), glob)
        })
        .filter(|(n, _)| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One way users apply the release.
#[derive(Clone, Copy, Debug)]
enum Method {
    /// `git am` of the numbered patches on a git tree.
    GitAm,
    /// `quilt push -a` with the release's `series`, as Debian's source
    /// package applies `debian/patches`.
    Quilt,
    /// `patch -p1` of the combined diff (NixOS, Arch, a tarball).
    Patch,
}

const METHODS: [Method; 3] = [Method::GitAm, Method::Quilt, Method::Patch];

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::GitAm => "git am",
            Method::Quilt => "quilt push -a",
            Method::Patch => "patch -p1",
        }
    }

    /// Applies the committed release in `release` to the tree `dir`, as
    /// strictly as the tool allows (no fuzz).
    fn apply(self, release: &Path, dir: &Path) -> Result<()> {
        let git = |args: &[&str]| {
            run(Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "userroot")
                .env("GIT_AUTHOR_EMAIL", "userroot@localhost")
                .env("GIT_COMMITTER_NAME", "userroot")
                .env("GIT_COMMITTER_EMAIL", "userroot@localhost"))
        };
        match self {
            Method::GitAm => {
                git(&["init", "-q"])?;
                git(&["add", "-A", "-f"])?;
                git(&["commit", "-q", "--allow-empty", "-m", "base"])?;
                let list = fs::read_to_string(release.join(QUILT_SERIES))?;
                let mut args = vec!["am".to_string(), "-q".to_string()];
                args.extend(list.lines().map(|p| release.join(p).display().to_string()));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                git(&args)?;
                // What git keeps of its own is not the tree's.
                fs::remove_dir_all(dir.join(".git"))?;
            }
            Method::Quilt => {
                // No quiltrc: Debian's would point it at debian/patches.
                run(Command::new("quilt")
                    .args(["--quiltrc=-", "push", "-a", "-q", "--fuzz=0"])
                    .current_dir(dir)
                    .env("QUILT_PATCHES", release)
                    .env("QUILT_PC", ".pc"))?;
                fs::remove_dir_all(dir.join(".pc"))?;
            }
            Method::Patch => {
                run(Command::new("patch")
                    .args(["-p1", "--batch", "--forward", "--fuzz=0", "-s", "-d"])
                    .arg(dir)
                    .arg("-i")
                    .arg(release.join(COMBINED)))?;
            }
        }
        Ok(())
    }
}

/// The files the series touches that a tree has, copied from `from` into
/// an empty `to`.
fn copy_touched(ws: &Workspace, from: &Path, to: &Path) -> Result<()> {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to)?;
    for file in &series::get(ws)?.touched {
        if let Ok(content) = fs::read(from.join(file)) {
            let dest = to.join(file);
            fs::create_dir_all(dest.parent().ok_or("no parent")?)?;
            fs::write(dest, content)?;
        }
    }
    Ok(())
}

/// Where a tree after `method` differs from what the tests build: each
/// touched file as the tested tree has it (a file the tree lacks, absent).
fn differs_from_tested(ws: &Workspace, dir: &Path) -> Result<Vec<String>> {
    let wanted = tree::wanted_files(ws)?;
    let mut differ = Vec::new();
    for file in &series::get(ws)?.touched {
        let want = match wanted.get(Path::new(file)) {
            Some(c) => Some(c.clone()),
            None => fs::read(ws.pristine().join(file)).ok(),
        };
        if fs::read(dir.join(file)).ok() != want {
            differ.push(file.clone());
        }
    }
    Ok(differ)
}

/// Gate: on Debian 12's `linux-source-6.12`, the tree the tests build,
/// the committed release applies by `git am`, `quilt push` and `patch -p1`
/// and each gives exactly the tested tree; on the whole tree patched by
/// `patch -p1`, the fragment merged into each architecture's defconfig
/// keeps every line through `olddefconfig`, with GCC and with LLVM.
pub fn applies_debian12(ws: &Workspace) -> Result<Vec<String>> {
    let key = Key::new(Kind::Gate).bytes("check", CHECKS).bytes(
        "inputs",
        format!(
            "{}\n{}\n{}\n{}",
            crate::key::files_digest(&[&ws.repo.join(DIR)])?,
            ws.linux_source()?,
            kbuild::toolchain(Toolchain::Gcc)?,
            kbuild::toolchain(Toolchain::Llvm)?,
        ),
    );
    unless_passed_before(ws, "release-applies-debian12", &key, || {
        applies_debian12_now(ws)
    })
}

/// [`applies_debian12`], run.
fn applies_debian12_now(ws: &Workspace) -> Result<Vec<String>> {
    let release = ws.repo.join(DIR);
    let base = format!("Linux {} ({})", tree::version(ws)?, series::package_of(ws)?);
    let mut failures = Vec::new();
    for method in METHODS {
        let dir = work(ws).join("debian12-files");
        copy_touched(ws, &ws.pristine(), &dir)?;
        match method.apply(&release, &dir) {
            Err(e) => failures.push(format!("{}: does not apply to {base}: {e}", method.name())),
            Ok(()) => {
                let differ = differs_from_tested(ws, &dir)?;
                if !differ.is_empty() {
                    failures.push(format!(
                        "{}: gives what the tests do not build: {}",
                        method.name(),
                        differ.join(", ")
                    ));
                }
            }
        }
    }
    if !failures.is_empty() {
        return Ok(failures);
    }
    // The whole tree, for Kconfig: linked to the unpacked source, each file
    // the series touches a copy of its own, so that nothing written here
    // reaches the source.
    let full = work(ws).join("debian12-tree");
    let _ = fs::remove_dir_all(&full);
    run(Command::new("cp").arg("-al").arg(ws.pristine()).arg(&full))?;
    for file in &series::get(ws)?.touched {
        let path = full.join(file);
        if let Ok(content) = fs::read(&path) {
            fs::remove_file(&path)?;
            fs::write(&path, content)?;
        }
    }
    Method::Patch.apply(&release, &full)?;
    let fragment = fs::read_to_string(release.join(FRAGMENT))?;
    for (arch, tc) in CONFIGURED {
        let name = format!("release-{}-{}", arch.name, tc.name().to_lowercase());
        let out = work(ws).join(&name);
        fs::create_dir_all(&out)?;
        let make = |targets: &[&str]| kbuild::make_in(ws, &full, &out, &name, (arch, *tc), targets);
        make(&["defconfig"])?;
        run(Command::new(full.join("scripts/kconfig/merge_config.sh"))
            .current_dir(&full)
            .args(["-m", "-O"])
            .arg(&out)
            .arg(out.join(".config"))
            .arg(release.join(FRAGMENT)))?;
        make(&["olddefconfig"])?;
        match kconfig::check(&out.join(".config"), &fragment) {
            Ok(()) => println!("# {name}: defconfig + {FRAGMENT}: every line kept by olddefconfig"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    println!("# release: applies to {base} by git am, quilt and patch -p1");
    Ok(failures)
}

/// Gate: the committed release applies by `git am`, `quilt push` and
/// `patch -p1` to Debian 13's patched tree, as trixie's
/// `linux-source-6.12` ships it (downloaded once per version). Skipped
/// when that package cannot be had: no network and no copy.
pub fn applies_debian13(ws: &Workspace) -> Result<Vec<String>> {
    let (package, tarball) = debian::trixie_linux_source(ws).map_err(|e| {
        Skip(format!(
            "Debian 13's linux-source-6.12 is not to be had: {e}"
        ))
    })?;
    let files = work(ws).join("debian13-files");
    let stamp = Stamp::at(files.join(".userroot-package"));
    let touched = series::get(ws)?.touched.clone();
    let key = Key::new(Kind::Debian13Files)
        .bytes("package", &package)
        .bytes("files", touched.join("\n"))
        .text()?;
    if !stamp.holds(&key) {
        step(&format!(
            "release: unpacking the series' files of {package}"
        ));
        stamp.forget();
        // Only the files Debian 13's tree has: new files are the series'.
        let listed = run(Command::new("tar").arg("-tf").arg(&tarball))?;
        let listed = String::from_utf8_lossy(&listed);
        let present: Vec<String> = touched
            .iter()
            .filter(|f| listed.lines().any(|l| l.ends_with(&format!("/{f}"))))
            .cloned()
            .collect();
        debian::extract_from_orig(&tarball, &present, &files)?;
        stamp.write(&key)?;
    }
    let release = ws.repo.join(DIR);
    let mut failures = Vec::new();
    for method in METHODS {
        let dir = work(ws).join("debian13-applied");
        copy_touched(ws, &files, &dir)?;
        if let Err(e) = method.apply(&release, &dir) {
            failures.push(format!(
                "{}: does not apply to {package}: {e}",
                method.name()
            ));
        }
    }
    if failures.is_empty() {
        println!("# release: applies to {package} (Debian 13) by git am, quilt and patch -p1");
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_names_release_files() {
        let text = "take `release/6.12.y/initramfs-user-root.patch`, then\n\
                    release/6.12.y/series. Also release/6.12.y/000[1-7]-*.patch";
        let named = |n: &str, glob| (n.to_string(), glob);
        assert_eq!(
            named_in(text),
            [
                named("000", true),
                named("initramfs-user-root.patch", false),
                named("series", false)
            ]
        );
    }
}
