// SPDX-License-Identifier: GPL-2.0
//! Guest images from declarative recipes: initramfs images through the
//! kernel's own `usr/gen_init_cpio`, ext4 disks through `mke2fs -d`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::workspace::{run, Workspace};
use crate::{kbuild, Result};

/// Static busybox from Debian's busybox-static.
const BUSYBOX: &str = "/bin/busybox";

/// One thing in an image.
pub enum Entry {
    /// A directory.
    Dir(&'static str),
    /// `/dev/console`, which the kernel opens for init.
    Console,
    /// A program from `guest/` at this path: a script as it is, a `.c` file
    /// compiled static.
    Exec(&'static str, &'static str),
    /// A symbolic link: path, target.
    Symlink(&'static str, &'static str),
    /// A file of this many MiB of incompressible bytes.
    Filler(&'static str, u32),
    /// A directory of this many files of this many bytes each.
    ManyFiles(&'static str, u32, u32),
    /// The `filesystems/pivot_root` kselftest, built static, at this path.
    Kselftest(&'static str),
    /// A host program at its own path, with the shared libraries `ldd`
    /// lists for it.
    HostBinary(&'static str),
}

/// What is done to an initramfs after it is made.
#[derive(PartialEq)]
pub enum Damage {
    /// Nothing.
    Intact,
    /// The compressed archive is cut at 85 %, in the middle of its last
    /// file: everything before is unpacked, then unpacking fails.
    Truncated,
    /// Random bytes instead of an archive.
    Garbage,
}

/// Where an image goes.
#[derive(PartialEq)]
pub enum Kind {
    /// A gzip-compressed cpio archive: an external initramfs (`-initrd`), or
    /// built into a kernel (see [`crate::config::Variant::builtin_image`]).
    Initramfs,
    /// An ext4 filesystem on a virtio disk, for `root=/dev/vda`.
    Disk,
}

/// A recipe: [`BASE`] plus its own entries.
pub struct Image {
    /// Name, also the file name under the images directory.
    pub name: &'static str,
    /// Its format.
    pub kind: Kind,
    /// Entries on top of [`BASE`].
    pub entries: &'static [Entry],
    /// What is done to it afterwards.
    pub damage: Damage,
}

/// What every image holds: what the kernel and busybox expect. Static
/// busybox itself goes to `/bin/busybox` with `/bin/sh` linked to it.
pub const BASE: &[Entry] = &[
    Entry::Dir("/dev"),
    Entry::Dir("/root"),
    Entry::Dir("/proc"),
    Entry::Dir("/sys"),
    Entry::Dir("/tmp"),
    Entry::Dir("/bin"),
    Entry::Dir("/sbin"),
    Entry::Symlink("/bin/sh", "busybox"),
];

const STANDARD: Image = Image {
    name: "standard",
    kind: Kind::Initramfs,
    entries: &[Entry::Console, Entry::Exec("/init", "init.sh")],
    damage: Damage::Intact,
};

/// The image recipes.
pub const IMAGES: &[Image] = &[
    STANDARD,
    Image {
        name: "abs-symlink-init",
        entries: &[
            Entry::Console,
            Entry::Exec("/sbin/real-init", "init.sh"),
            Entry::Symlink("/init", "/sbin/real-init"),
        ],
        ..STANDARD
    },
    Image {
        name: "init-elsewhere",
        entries: &[Entry::Console, Entry::Exec("/sbin/test-init", "init.sh")],
        ..STANDARD
    },
    Image {
        name: "no-init",
        entries: &[Entry::Console],
        ..STANDARD
    },
    Image {
        name: "runc",
        entries: &[
            Entry::Console,
            Entry::Exec("/init", "init.sh"),
            Entry::HostBinary("/usr/sbin/runc"),
        ],
        ..STANDARD
    },
    Image {
        name: "kselftest",
        entries: &[
            Entry::Console,
            Entry::Exec("/init", "init.sh"),
            Entry::Kselftest("/bin/pivot_root_test"),
        ],
        ..STANDARD
    },
    Image {
        name: "truncated",
        entries: &[
            Entry::Console,
            Entry::Exec("/init", "init.sh"),
            Entry::Filler("/filler", 4),
        ],
        damage: Damage::Truncated,
        ..STANDARD
    },
    Image {
        name: "garbage",
        entries: &[],
        damage: Damage::Garbage,
        ..STANDARD
    },
    // `make bench`: the boot cost for three sizes of initramfs, then the
    // hand-off from a large one.
    Image {
        name: "bench-1-file",
        entries: &[Entry::Exec("/init", "timing-init.c")],
        ..STANDARD
    },
    Image {
        name: "bench-16M",
        entries: &[
            Entry::Exec("/init", "timing-init.c"),
            Entry::Filler("/filler", 16),
        ],
        ..STANDARD
    },
    Image {
        name: "bench-128M",
        entries: &[
            Entry::Exec("/init", "timing-init.c"),
            Entry::Filler("/filler", 128),
        ],
        ..STANDARD
    },
    Image {
        name: "bench-handoff",
        entries: &[
            Entry::Console,
            Entry::Exec("/init", "handoff.sh"),
            Entry::ManyFiles("/data", 10_000, 13_421),
        ],
        ..STANDARD
    },
    Image {
        name: "disk",
        kind: Kind::Disk,
        entries: &[Entry::Exec("/sbin/init", "init.sh")],
        damage: Damage::Intact,
    },
];

/// Looks an image recipe up by name.
pub fn find(name: &str) -> Result<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| format!("no image recipe {name:?}").into())
}

/// Builds an image for booting and returns its path.
pub fn build(ws: &Workspace, img: &Image) -> Result<PathBuf> {
    match img.kind {
        Kind::Initramfs => initramfs(ws, img),
        Kind::Disk => disk(ws, img),
    }
}

/// The gen_init_cpio list of an initramfs recipe. It is rewritten only when
/// it changes, so a kernel that builds it in is not relinked for nothing.
pub fn initramfs_list(ws: &Workspace, img: &Image) -> Result<PathBuf> {
    let mut list = format!("# {} initramfs, made by userroot\n", img.name);
    let mut sources = vec![PathBuf::from(BUSYBOX)];
    let mut dirs: std::collections::BTreeSet<PathBuf> = BASE
        .iter()
        .filter_map(|e| match e {
            Entry::Dir(p) => Some(PathBuf::from(p.trim_start_matches('/'))),
            _ => None,
        })
        .collect();
    for entry in BASE.iter().chain(img.entries) {
        match entry {
            Entry::Dir(p) => writeln!(list, "dir {p} 0755 0 0")?,
            Entry::Console => writeln!(list, "nod /dev/console 0600 0 0 c 5 1")?,
            Entry::Exec(p, name) => {
                let src = guest_program(ws, name)?;
                writeln!(list, "file {p} {} 0755 0 0", src.display())?;
                sources.push(src);
            }
            Entry::Symlink(p, t) => writeln!(list, "slink {p} {t} 0777 0 0")?,
            Entry::ManyFiles(dir, count, bytes) => {
                let src = sized_file(ws, u64::from(*bytes))?;
                writeln!(list, "dir {dir} 0755 0 0")?;
                for i in 0..*count {
                    writeln!(list, "file {dir}/f{i:05} {} 0644 0 0", src.display())?;
                }
            }
            Entry::Kselftest(p) => {
                let src = kbuild::kselftest(ws)?;
                writeln!(list, "file {p} {} 0755 0 0", src.display())?;
                sources.push(src);
            }
            Entry::HostBinary(p) => {
                for file in std::iter::once(p.to_string()).chain(shared_libraries(p)?) {
                    let mut dir = PathBuf::new();
                    for part in Path::new(&file)
                        .parent()
                        .into_iter()
                        .flat_map(Path::iter)
                        .skip(1)
                    {
                        dir.push(part);
                        if dirs.insert(dir.clone()) {
                            writeln!(list, "dir /{} 0755 0 0", dir.display())?;
                        }
                    }
                    writeln!(list, "file {file} {file} 0755 0 0")?;
                }
            }
            Entry::Filler(..) => {}
        }
    }
    writeln!(list, "file /bin/busybox {BUSYBOX} 0755 0 0")?;
    // Last, so that a truncated archive is cut inside it.
    for entry in img.entries {
        if let Entry::Filler(p, mib) = entry {
            writeln!(list, "file {p} {} 0644 0 0", filler(ws, *mib)?.display())?;
        }
    }
    // The list changes when a source does, so images follow edits.
    for src in sources {
        let mtime = fs::metadata(&src)?
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)?;
        writeln!(list, "# {} {}", src.display(), mtime.as_nanos())?;
    }
    let path = ws.images().join(format!("{}.list", img.name));
    fs::create_dir_all(ws.images())?;
    if fs::read_to_string(&path).ok().as_deref() != Some(&list) {
        fs::write(&path, list)?;
    }
    Ok(path)
}

/// A gzip-compressed initramfs, written by the default kernel's
/// `usr/gen_init_cpio`.
fn initramfs(ws: &Workspace, img: &Image) -> Result<PathBuf> {
    let path = ws.images().join(format!("{}.cpio.gz", img.name));
    if img.damage == Damage::Garbage {
        fs::create_dir_all(ws.images())?;
        fs::write(&path, random_bytes(1 << 20))?;
        return Ok(path);
    }
    let old_list = fs::read_to_string(ws.images().join(format!("{}.list", img.name))).ok();
    let list = initramfs_list(ws, img)?;
    let unchanged = old_list == fs::read_to_string(&list).ok();
    if unchanged && img.damage == Damage::Intact && path.exists() {
        return Ok(path);
    }
    let gen = ws.build("default").join("usr/gen_init_cpio");
    let cpio = run(Command::new(&gen).arg(&list))
        .map_err(|e| format!("{} (is the default kernel built?): {e}", gen.display()))?;
    let mut gzip = Command::new("gzip")
        .args(["-n", "-6"])
        .stdin(Stdio::piped())
        .stdout(fs::File::create(&path)?)
        .spawn()?;
    std::io::Write::write_all(gzip.stdin.as_mut().ok_or("gzip stdin")?, &cpio)?;
    drop(gzip.stdin.take());
    if !gzip.wait()?.success() {
        return Err("gzip failed".into());
    }
    if img.damage == Damage::Truncated {
        let len = fs::metadata(&path)?.len();
        fs::OpenOptions::new()
            .write(true)
            .open(&path)?
            .set_len(len * 85 / 100)?;
    }
    Ok(path)
}

/// An ext4 image populated from a staging directory (no root or loop
/// device needed).
fn disk(ws: &Workspace, img: &Image) -> Result<PathBuf> {
    let stage = ws.images().join(format!("{}.root", img.name));
    let _ = fs::remove_dir_all(&stage);
    let at = |p: &str| stage.join(p.trim_start_matches('/'));
    fs::create_dir_all(&stage)?;
    for entry in BASE.iter().chain(img.entries) {
        match entry {
            Entry::Dir(p) => fs::create_dir_all(at(p))?,
            Entry::Console => {} // The kernel opens rootfs's console, not the disk's.
            Entry::Exec(p, name) => copy_exec(&guest_program(ws, name)?, &at(p))?,
            Entry::Symlink(p, t) => std::os::unix::fs::symlink(t, at(p))?,
            Entry::Filler(p, mib) => {
                fs::copy(filler(ws, *mib)?, at(p))?;
            }
            Entry::ManyFiles(..) => return Err("ManyFiles is for initramfs images".into()),
            Entry::Kselftest(p) => copy_exec(&kbuild::kselftest(ws)?, &at(p))?,
            Entry::HostBinary(_) => return Err("HostBinary is for initramfs images".into()),
        }
    }
    copy_exec(Path::new(BUSYBOX), &at("/bin/busybox"))?;
    let path = ws.images().join(format!("{}.ext4", img.name));
    let _ = fs::remove_file(&path);
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-E", "root_owner=0:0", "-d"])
        .arg(&stage)
        .arg(&path)
        .arg("64M"))?;
    Ok(path)
}

/// A program from `guest/`: a script as it is; a `.c` file compiled static
/// into the images directory when it is newer than its binary.
fn guest_program(ws: &Workspace, name: &str) -> Result<PathBuf> {
    let src = ws.tool_dir().join("guest").join(name);
    let Some(stem) = name.strip_suffix(".c") else {
        return Ok(src);
    };
    let bin = ws.images().join(stem);
    let newer = |a: &Path, b: &Path| -> Result<bool> {
        Ok(fs::metadata(a)?.modified()? > fs::metadata(b)?.modified()?)
    };
    if !bin.exists() || newer(&src, &bin)? {
        fs::create_dir_all(ws.images())?;
        run(Command::new("cc")
            .args(["-static", "-Os", "-s", "-o"])
            .arg(&bin)
            .arg(&src))?;
    }
    Ok(bin)
}

/// The absolute paths of the shared libraries `ldd` lists for `program`,
/// the dynamic loader included.
fn shared_libraries(program: &str) -> Result<Vec<String>> {
    let out = run(Command::new("ldd").arg(program))?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with('/')))
        .map(str::to_string)
        .collect())
}

/// A file of `mib` MiB of incompressible bytes, made once.
fn filler(ws: &Workspace, mib: u32) -> Result<PathBuf> {
    sized_file(ws, u64::from(mib) << 20)
}

/// A file of `len` incompressible bytes, made once.
fn sized_file(ws: &Workspace, len: u64) -> Result<PathBuf> {
    let path = ws.images().join(format!("random-{len}.bin"));
    if fs::metadata(&path).map(|m| m.len()).ok() != Some(len) {
        fs::create_dir_all(ws.images())?;
        fs::write(&path, random_bytes(usize::try_from(len)?))?;
    }
    Ok(path)
}

/// Deterministic pseudo-random bytes (xorshift64), so images are
/// reproducible.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn copy_exec(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::copy(from, to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o755))?;
    Ok(())
}
