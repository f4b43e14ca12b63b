// SPDX-License-Identifier: GPL-2.0
//! Debian's own prebuilt kernels, to boot the same scenarios as ours: what
//! a Debian 13 user runs today (6.12, stock) and what moving to mainline
//! gives (7.x from trixie-backports, with nullfs).
//!
//! They come from Debian's archive through an apt configuration of their
//! own in the cache (sources, lists, downloads), never the host's. A
//! package version is immutable in the archive, so what is unpacked is
//! kept per package and version; the lists are read again once a day, and
//! every result names the version it booted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::error::Result;
use crate::key::{unless_made, Key, Kind, Stamp};
use crate::qemu::{Arch, ARM64, X86_64};
use crate::workspace::{run, step, Workspace};

/// One of Debian's kernels.
pub struct DebianKernel {
    /// Name, as the runner shows it.
    pub name: &'static str,
    /// The column heading in `make compare`.
    pub heading: &'static str,
    /// The suite whose `linux-image-<flavour>-<arch>` is taken.
    pub suite: &'static str,
    /// The architecture.
    pub arch: &'static Arch,
}

/// The flavour: the smallest Debian builds for virtual machines, with
/// virtio and ext4; only virtio_blk is a module.
const FLAVOUR: &str = "cloud";
/// The suites the kernels come from, and the archive's source packages.
const SOURCES: &str = "\
deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
";
/// How old the lists may get before they are read again.
const LISTS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Modules a scenario's disk needs that Debian builds as modules; the
/// guest loads whatever it finds in /lib/modules first.
const DISK_MODULES: &[&str] = &["virtio_blk"];

/// Debian's kernels, per architecture.
pub const KERNELS: &[DebianKernel] = &[
    DebianKernel {
        name: "debian13",
        heading: "Debian 13 (6.12)",
        suite: "trixie",
        arch: &X86_64,
    },
    DebianKernel {
        name: "debian13-backports",
        heading: "Debian 13 backports (7.x, nullfs)",
        suite: "trixie-backports",
        arch: &X86_64,
    },
    DebianKernel {
        name: "debian13-arm64",
        heading: "Debian 13 (6.12)",
        suite: "trixie",
        arch: &ARM64,
    },
    DebianKernel {
        name: "debian13-backports-arm64",
        heading: "Debian 13 backports (7.x, nullfs)",
        suite: "trixie-backports",
        arch: &ARM64,
    },
];

/// A Debian kernel, unpacked.
pub struct Fetched {
    /// The image package and its version, e.g.
    /// `linux-image-6.12.117+deb13-cloud-amd64 6.12.117-1`.
    pub package: String,
    /// The boot image.
    pub image: PathBuf,
    /// An uncompressed archive of [`DISK_MODULES`] under /lib/modules, to
    /// append to an initramfs.
    pub modules: PathBuf,
    /// The kernel's `.config`, as Debian ships it.
    pub config: Option<PathBuf>,
    /// The kernel's release (`uname -r`), the name of its modules tree.
    pub release: String,
    /// The directory that holds the modules tree (`<release>/`).
    pub modules_dir: PathBuf,
    /// The kernel's own directory in the cache, for what is made for it.
    pub dir: PathBuf,
}

/// The apt configuration of the cache: its own sources, lists and
/// downloads.
fn apt(ws: &Workspace, tool: &str) -> Command {
    let dir = ws.cache.join("debian/apt");
    let mut cmd = Command::new(tool);
    for (key, value) in [
        ("Dir::Etc::SourceList", dir.join("sources.list")),
        ("Dir::Etc::SourceParts", dir.join("sources.list.d")),
        ("Dir::Etc::Preferences", dir.join("preferences")),
        ("Dir::Etc::PreferencesParts", dir.join("preferences.d")),
        ("Dir::State::Lists", dir.join("lists")),
        ("Dir::Cache", dir.join("cache")),
    ] {
        cmd.arg("-o").arg(format!("{key}={}", value.display()));
    }
    cmd.args([
        "-o",
        "APT::Architectures::=amd64",
        "-o",
        "APT::Architectures::=arm64",
        "-o",
        "Debug::NoLocking=1",
        "-o",
        "APT::Sandbox::User=root",
        "-qq",
    ]);
    cmd
}

/// Writes the sources and reads the lists if they are missing, older
/// than [`LISTS_MAX_AGE`] or of other sources. Lists that cannot be read
/// again (no network) are used as they are, said in a line; without any,
/// it fails.
pub fn update(ws: &Workspace) -> Result<()> {
    let dir = ws.cache.join("debian/apt");
    for d in [
        "sources.list.d",
        "preferences.d",
        "lists/partial",
        "cache/archives/partial",
    ] {
        fs::create_dir_all(dir.join(d))?;
    }
    let sources = dir.join("sources.list");
    let stamp = dir.join("lists/userroot.updated");
    let same_sources = fs::read_to_string(&sources).ok().as_deref() == Some(SOURCES);
    let age = fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    if same_sources && age.is_some_and(|age| age < LISTS_MAX_AGE) {
        return Ok(());
    }
    step("debian: reading trixie's and trixie-backports' package lists (an apt configuration of the cache's own)");
    fs::write(&sources, SOURCES)?;
    // apt-get update exits 0 when it could fetch nothing at all, and
    // keeps the old lists: what it says decides.
    let read: Result<()> = match apt(ws, "apt-get").arg("update").output() {
        Err(e) => Err(e.into()),
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr);
            match said
                .lines()
                .find(|l| l.starts_with("W:") || l.starts_with("E:"))
            {
                Some(l) => Err(l.into()),
                None if !out.status.success() => Err(format!("{}", out.status).into()),
                None if !has_lists(&dir.join("lists")) => Err("no Packages list came of it".into()),
                None => Ok(()),
            }
        }
    };
    match read {
        Ok(()) => fs::write(&stamp, "")?,
        Err(e) if same_sources && age.is_some() => step(&format!(
            "debian: the lists could not be read again ({}); using those of {} ago",
            e.to_string().lines().last().unwrap_or("").trim(),
            elapsed_words(age.unwrap_or_default())
        )),
        Err(e) => return Err(format!("debian: reading the package lists: {e}").into()),
    }
    Ok(())
}

/// Whether apt's list directory holds a package list: `apt-get update`
/// can exit 0 and print nothing with none.
fn has_lists(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with("_Packages"))
    })
}

/// A duration in hours or days, for a line.
fn elapsed_words(d: Duration) -> String {
    let h = d.as_secs() / 3600;
    if h < 48 {
        format!("{h} h")
    } else {
        format!("{} days", h / 24)
    }
}

/// Downloads `package` (`name/suite` or `name=version`) into `dir` and
/// returns the file; a file of that name already there with the
/// checksum apt names is the download. A fresh download goes into an
/// empty directory first, so that the file is the one apt-get just
/// fetched, whatever else `dir` holds.
fn download(ws: &Workspace, dir: &Path, package: &str) -> Result<PathBuf> {
    let uris = run(apt(ws, "apt-get").args(["download", "--print-uris", package]))?;
    let uris = String::from_utf8_lossy(&uris);
    // 'url' file size SHA256:sum
    let (name, sum) = uris
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((*f.get(1)?, f.get(3)?.strip_prefix("SHA256:")?))
        })
        .ok_or_else(|| format!("apt-get download --print-uris {package}: no file named"))?;
    let have = dir.join(name);
    if have.exists() {
        let got = run(Command::new("sha256sum").arg(&have))?;
        if String::from_utf8_lossy(&got).starts_with(sum) {
            return Ok(have);
        }
    }
    let fresh = dir.join("partial-download");
    let _ = fs::remove_dir_all(&fresh);
    fs::create_dir_all(&fresh)?;
    run(apt(ws, "apt-get")
        .current_dir(&fresh)
        .args(["download", package]))?;
    let found: Vec<PathBuf> = fs::read_dir(&fresh)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    let [deb] = found.as_slice() else {
        return Err(format!("apt-get download {package}: {} files", found.len()).into());
    };
    let to = dir.join(deb.file_name().ok_or("no file name")?);
    fs::rename(deb, &to)?;
    Ok(to)
}

/// A field of a `.deb`'s control file.
fn field(deb: &Path, name: &str) -> Result<String> {
    let out = run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// The packages of `depends` whose names start with one of `prefixes`,
/// each as `name=version` from its `(= version)`.
fn exact_depends(depends: &str, prefixes: &[&str]) -> Vec<String> {
    depends
        .split(',')
        .filter_map(|d| {
            let d = d.trim();
            let (name, rest) = d.split_once(' ')?;
            let version = rest.strip_prefix("(= ")?.strip_suffix(')')?;
            prefixes
                .iter()
                .any(|p| name.starts_with(p))
                .then(|| format!("{name}={version}"))
        })
        .collect()
}

/// Fetches and unpacks a Debian kernel (once per package version).
pub fn fetch(ws: &Workspace, k: &DebianKernel) -> Result<Fetched> {
    update(ws)?;
    let downloads = ws.cache.join("debian/downloads");
    // The flavour's metapackage names the suite's current kernel.
    let meta = format!("linux-image-{FLAVOUR}-{}", k.arch.debian);
    let meta_deb = download(ws, &downloads, &format!("{meta}/{}", k.suite))?;
    let image_pkg = exact_depends(&field(&meta_deb, "Depends")?, &["linux-image-"])
        .pop()
        .ok_or_else(|| format!("{}: no linux-image- dependency", meta_deb.display()))?;
    let (name, version) = image_pkg.split_once('=').unwrap_or((&image_pkg, ""));
    let package = format!("{name} {version}");
    let dir = ws
        .cache
        .join("debian/kernels")
        .join(format!("{name}_{version}").replace(['~', '+'], "-"));
    let done = Stamp::at(dir.join("userroot.unpacked"));
    let unpacked = Key::new(Kind::DebianPackage)
        .bytes("package", &package)
        .text()?;
    if !done.holds(&unpacked) {
        step(&format!("debian: fetching {package} ({})", k.suite));
        let _ = fs::remove_dir_all(&dir);
        let root = dir.join("root");
        fs::create_dir_all(&root)?;
        let image_deb = download(ws, &downloads, &image_pkg)?;
        // From 7.x the image package only depends on the binary, the
        // modules and the base files (the config among them).
        let mut debs = vec![image_deb.clone()];
        for dep in exact_depends(
            &field(&image_deb, "Depends")?,
            &["linux-binary-", "linux-modules-", "linux-base-"],
        ) {
            debs.push(download(ws, &downloads, &dep)?);
        }
        for deb in &debs {
            run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root))?;
        }
        done.write(&unpacked)?;
    }
    let root = dir.join("root");
    let image = find_file(&root, |p| {
        let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
        f.starts_with("vmlinuz")
    })?
    .ok_or_else(|| format!("{package}: no vmlinuz in {}", root.display()))?;
    let modules = modules_archive(&root, &dir, &package)?;
    let config = find_file(&root, |p| {
        let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
        f == "config" || f.starts_with("config-")
    })?;
    // 6.12 and 7.x ship their tree under /usr/lib/modules.
    let modules_dir = root.join("usr/lib/modules");
    let release = fs::read_dir(&modules_dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .next()
        .ok_or_else(|| format!("{package}: no modules tree in {}", modules_dir.display()))?;
    Ok(Fetched {
        package,
        image,
        modules,
        config,
        release,
        modules_dir,
        dir,
    })
}

/// The first file under `dir` (depth first, sorted) that `wanted` takes.
fn find_file(dir: &Path, wanted: impl Fn(&Path) -> bool + Copy) -> Result<Option<PathBuf>> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for e in entries {
        if e.is_symlink() {
            continue;
        }
        if e.is_dir() {
            if let Some(f) = find_file(&e, wanted)? {
                return Ok(Some(f));
            }
        } else if wanted(&e) {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

/// An archive of [`DISK_MODULES`] as `/lib/modules/<name>.ko`,
/// decompressed for busybox's insmod; empty of modules where the kernel
/// has them built in.
fn modules_archive(root: &Path, dir: &Path, package: &str) -> Result<PathBuf> {
    let out = dir.join("disk-modules.cpio");
    let key = Key::new(Kind::DiskModules)
        .bytes("modules", DISK_MODULES.join(" "))
        .bytes("kernel package", package);
    unless_made(&out, &key, || pack_modules(root, dir, &out))?;
    Ok(out)
}

/// [`modules_archive`]'s making.
fn pack_modules(root: &Path, dir: &Path, out: &Path) -> Result<()> {
    let staging = dir.join("disk-modules");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(staging.join("lib/modules"))?;
    for m in DISK_MODULES {
        let found = find_file(root, |p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&format!("{m}.ko")))
        })?;
        let Some(ko) = found else { continue };
        let f = ko.to_string_lossy();
        let plain = if f.ends_with(".xz") {
            run(Command::new("xz").arg("-dc").arg(&ko))?
        } else if f.ends_with(".zst") {
            run(Command::new("zstd").arg("-dcq").arg(&ko))?
        } else if f.ends_with(".gz") {
            run(Command::new("gzip").arg("-dc").arg(&ko))?
        } else {
            fs::read(&ko)?
        };
        fs::write(staging.join(format!("lib/modules/{m}.ko")), plain)?;
    }
    let tmp = dir.join("disk-modules.cpio.tmp");
    run(Command::new("sh")
        .current_dir(&staging)
        .arg("-c")
        .arg(format!(
            "find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > '{}'",
            tmp.display()
        )))?;
    fs::rename(&tmp, out)?;
    Ok(())
}

/// An initramfs followed by a Debian kernel's disk modules (the kernel
/// unpacks concatenated archives in turn), made once per pair.
pub fn with_modules(fetched: &Fetched, initrd: &Path) -> Result<PathBuf> {
    let dir = &fetched.dir;
    let name = initrd
        .file_name()
        .ok_or("initramfs without a name")?
        .to_string_lossy();
    let out = dir.join(format!("{name}+disk-modules"));
    // How they are joined is part of the key: a file joined the old way is
    // not reused.
    let key = Key::new(Kind::WithDiskModules)
        .files("initramfs", &[initrd])?
        .files("disk modules", &[&fetched.modules])?
        .bytes("joining", "modules at a 4-byte offset");
    unless_made(&out, &key, || {
        let mut bytes = fs::read(initrd)?;
        // The kernel takes an uncompressed archive after a compressed one
        // only at a 4-byte offset (its zero padding is skipped); anywhere
        // else it says "invalid magic at start of compressed archive".
        bytes.resize(bytes.len().next_multiple_of(4), 0);
        bytes.extend(fs::read(&fetched.modules)?);
        fs::write(&out, bytes)?;
        Ok(())
    })?;
    Ok(out)
}

/// Debian 13's patched kernel tree as its `linux-source-6.12` package
/// ships it (the binary package: reachable where the source package's
/// tarballs are not). Returns `name version` and the tree's tarball,
/// unpacked from the package once per version.
pub fn trixie_linux_source(ws: &Workspace) -> Result<(String, PathBuf)> {
    update(ws)?;
    let downloads = ws.cache.join("debian/downloads");
    let deb = download(ws, &downloads, "linux-source-6.12/trixie")?;
    let version = field(&deb, "Version")?;
    let dir = ws
        .cache
        .join("debian/source")
        .join(format!("linux-source-6.12_{version}"));
    let tarball = dir.join("usr/src/linux-source-6.12.tar.xz");
    let key = Key::new(Kind::DebianPackage).files("package", &[&deb])?;
    unless_made(&tarball, &key, || {
        step(&format!(
            "debian: unpacking linux-source-6.12 {version} (trixie)"
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir))?;
        Ok(())
    })?;
    Ok((format!("linux-source-6.12 {version}"), tarball))
}

/// Extracts `files` (paths in the kernel tree) from an upstream tarball
/// into `into`, whatever the tarball's top directory is called.
pub fn extract_from_orig(orig: &Path, files: &[String], into: &Path) -> Result<()> {
    let _ = fs::remove_dir_all(into);
    fs::create_dir_all(into)?;
    let mut cmd = Command::new("tar");
    cmd.arg("-xf").arg(orig).arg("-C").arg(into).args([
        "--strip-components=1",
        "--wildcards",
        "--no-wildcards-match-slash",
    ]);
    for f in files {
        cmd.arg(format!("*/{f}"));
    }
    run(&mut cmd).map_err(|e| format!("{}: {e}", orig.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_depends_takes_versions() {
        let d = "linux-base-cloud-amd64 (= 7.3.4-1~bpo13+1), \
                 linux-image-7.3.4+deb13-cloud-amd64 (= 7.3.4-1~bpo13+1), \
                 dracut | initramfs-tools (>= 0.120+deb8u2)";
        assert_eq!(
            exact_depends(d, &["linux-image-"]),
            ["linux-image-7.3.4+deb13-cloud-amd64=7.3.4-1~bpo13+1"]
        );
        assert!(exact_depends(d, &["dracut"]).is_empty());
    }
}
