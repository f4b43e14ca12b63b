// SPDX-License-Identifier: GPL-2.0
//! Guest images from declarative recipes: initramfs images through the
//! kernel's own `usr/gen_init_cpio`, ext4 disks through `mke2fs -d`, for
//! each architecture.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use crate::damage::Damage;
use crate::damage::{self, random_bytes};
use crate::error::Result;
use crate::key::{self, unless_made, Key, Kind as KeyKind};
use crate::qemu::Arch;
use crate::workspace::{run, Workspace};

/// One thing in an image.
pub enum Entry {
    /// A directory.
    Dir(&'static str),
    /// A character device node: path, major, minor.
    Node(&'static str, u32, u32),
    /// Static busybox at `/bin/busybox`, from the architecture's
    /// busybox-static package.
    Busybox,
    /// A program from `guest/` at this path: a script as it is, a `.c` file
    /// compiled static with the kernel's nolibc.
    Exec(&'static str, &'static str),
    /// A symbolic link: path, target.
    Symlink(&'static str, &'static str),
    /// A file of this many MiB of incompressible bytes.
    Filler(&'static str, u32),
    /// A directory of this many files of this many bytes each.
    ManyFiles(&'static str, u32, u32),
    /// A file of this many bytes.
    File(&'static str, u32),
    /// A text file from `guest/`: path, name.
    Text(&'static str, &'static str),
    /// A file of this many bytes and its hard links.
    HardLinks(&'static str, u32, &'static [&'static str]),
    /// The `filesystems/pivot_root` kselftest, built static, at this path.
    Kselftest(&'static str),
    /// A program of the architecture's packages at its own path, with the
    /// shared libraries it needs.
    Program(&'static str),
    /// At this path, a module of a kernel variant's build, made with
    /// `make modules`: path, variant, the module's path in the build.
    KernelModule(&'static str, &'static str, &'static str),
    /// At this path, a container image as `docker save` writes one (a
    /// docker-archive tar, which `docker load` and `podman load` read),
    /// made on the host: busybox and the escape probe as its command.
    ContainerImage(&'static str),
}

/// Where an image goes.
#[derive(PartialEq)]
pub enum Kind {
    /// A gzip-compressed cpio archive: an external initramfs (`-initrd`), or
    /// built into a kernel (see [`crate::config::Variant::builtin_image`]).
    Initramfs,
    /// The same, not compressed.
    Cpio,
    /// An ext4 filesystem on a virtio disk, for `root=/dev/vda`.
    Disk,
    /// An initramfs made by Debian's initramfs-tools (`mkinitramfs`) for
    /// the [`GENERATED_FOR`] kernel, with the configuration in
    /// `generators/initramfs-tools`.
    InitramfsTools,
    /// An initramfs made by Debian's dracut with systemd in it, for the
    /// [`GENERATED_FOR`] kernel, with the hook in `generators/dracut`.
    Dracut,
}

/// The kernel variant the generators make their images for: it has
/// modules, and what systemd needs.
pub const GENERATED_FOR: &str = "distro";

/// A recipe: its base and its own entries.
pub struct Image {
    /// Name, also the file name under the images directory.
    pub name: &'static str,
    /// Its format.
    pub kind: Kind,
    /// What it has in common with other images.
    pub base: &'static [Entry],
    /// Its own entries.
    pub entries: &'static [Entry],
    /// What is done to it afterwards.
    pub damage: Damage,
}

/// What most images hold: what the kernel and busybox expect.
pub const BASE: &[Entry] = &[
    Entry::Dir("/dev"),
    Entry::Dir("/root"),
    Entry::Dir("/proc"),
    Entry::Dir("/sys"),
    Entry::Dir("/tmp"),
    Entry::Dir("/bin"),
    Entry::Dir("/sbin"),
    Entry::Busybox,
    Entry::Symlink("/bin/sh", "busybox"),
];

const STANDARD: Image = Image {
    name: "standard",
    kind: Kind::Initramfs,
    base: BASE,
    entries: &[
        Entry::Node("/dev/console", 5, 1),
        Entry::Exec("/init", "init.sh"),
    ],
    damage: Damage::Intact,
};

/// The image recipes.
pub const IMAGES: &[Image] = &[
    STANDARD,
    Image {
        name: "abs-symlink-init",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/sbin/real-init", "init.sh"),
            Entry::Symlink("/init", "/sbin/real-init"),
        ],
        ..STANDARD
    },
    Image {
        name: "init-elsewhere",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/sbin/test-init", "init.sh"),
        ],
        ..STANDARD
    },
    Image {
        name: "no-init",
        entries: &[Entry::Node("/dev/console", 5, 1)],
        ..STANDARD
    },
    Image {
        name: "runc",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Program("/usr/sbin/runc"),
        ],
        ..STANDARD
    },
    Image {
        name: "loadpin",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Exec("/bin/finit", "finit.c"),
            // Not in /lib/modules, which init.sh loads with insmod first.
            Entry::Dir("/ur"),
            Entry::KernelModule("/ur/test_module.ko", "distro", "lib/test_module.ko"),
        ],
        ..STANDARD
    },
    Image {
        name: "nix",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Dir("/usr"),
            Entry::Dir("/usr/bin"),
            Entry::Program("/usr/bin/nix"),
            Entry::Symlink("/usr/bin/nix-build", "nix"),
            // Nix starts its build hook for every build, remote builders
            // or not: the same program, under this name, as Debian has it.
            Entry::Dir("/usr/libexec"),
            Entry::Dir("/usr/libexec/nix"),
            Entry::Symlink("/usr/libexec/nix/build-remote", "../../bin/nix"),
        ],
        ..STANDARD
    },
    Image {
        name: "bwrap",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Program("/usr/bin/bwrap"),
        ],
        ..STANDARD
    },
    Image {
        name: "lxc",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Exec("/bin/ur-escape", "escape.c"),
            // Where lxc-start mounts the container's rootfs.
            Entry::Dir("/usr"),
            Entry::Dir("/usr/lib"),
            Entry::Dir("/usr/lib/x86_64-linux-gnu"),
            Entry::Dir("/usr/lib/x86_64-linux-gnu/lxc"),
            Entry::Dir("/usr/lib/x86_64-linux-gnu/lxc/rootfs"),
            Entry::Program("/usr/bin/lxc-start"),
        ],
        ..STANDARD
    },
    // Container engines as initramfs-only systems run them (LinuxKit,
    // minikube's ISO, appliances), from Debian 12's packages.
    Image {
        name: "docker",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Program("/usr/sbin/dockerd"),
            Entry::Program("/usr/bin/docker"),
            Entry::Program("/usr/bin/containerd"),
            Entry::Program("/usr/bin/containerd-shim-runc-v2"),
            Entry::Program("/usr/sbin/runc"),
            Entry::ContainerImage("/ur-image.tar"),
        ],
        ..STANDARD
    },
    Image {
        name: "podman",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Program("/usr/bin/podman"),
            Entry::Program("/usr/bin/conmon"),
            Entry::Program("/usr/bin/crun"),
            Entry::Dir("/etc"),
            Entry::Dir("/etc/containers"),
            Entry::Text("/etc/containers/policy.json", "policy.json"),
            Entry::ContainerImage("/ur-image.tar"),
        ],
        ..STANDARD
    },
    Image {
        name: "kselftest",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "init.sh"),
            Entry::Kselftest("/bin/pivot_root_test"),
        ],
        ..STANDARD
    },
    // Usermode helpers that log when they reach the initramfs.
    Image {
        name: "helpers",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Node("/dev/kmsg", 1, 11),
            Entry::Exec("/init", "init.sh"),
            Entry::Exec("/sbin/hotplug", "helper.sh"),
            Entry::Exec("/sbin/modprobe", "helper.sh"),
        ],
        ..STANDARD
    },
    // The same helpers without /init: a disk boot gives the user root up
    // while the boot's uevent helpers are forked.
    Image {
        name: "helpers-no-init",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Node("/dev/kmsg", 1, 11),
            Entry::Exec("/sbin/hotplug", "helper.sh"),
            Entry::Exec("/sbin/modprobe", "helper.sh"),
        ],
        ..STANDARD
    },
    // What distributions put before the initramfs: an uncompressed early
    // cpio with CPU microcode. Alone, it is the initramfs of a disk boot.
    Image {
        name: "microcode-only",
        kind: Kind::Cpio,
        base: &[],
        entries: &[
            Entry::Dir("/kernel"),
            Entry::Dir("/kernel/x86"),
            Entry::Dir("/kernel/x86/microcode"),
            Entry::File("/kernel/x86/microcode/GenuineIntel.bin", 4096),
        ],
        ..STANDARD
    },
    // A large initramfs without /init, for the memory of a fallback.
    Image {
        name: "no-init-large",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Filler("/filler", 64),
        ],
        ..STANDARD
    },
    // Hard links in an uncompressed archive that ends before its trailer,
    // and no /init: the archive is unpacked a second time, into rootfs,
    // where the uevent helper lists what it finds.
    Image {
        name: "hardlinks-no-trailer",
        kind: Kind::Cpio,
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Node("/dev/kmsg", 1, 11),
            Entry::Exec("/sbin/hotplug", "helper.sh"),
            Entry::Exec("/sbin/modprobe", "helper.sh"),
            Entry::Dir("/etc"),
            Entry::File("/etc/ur-list-root", 0),
            Entry::Dir("/data"),
            Entry::HardLinks("/data/a", 4096, &["/data/b", "/data/c"]),
        ],
        damage: Damage::NoTrailer,
        ..STANDARD
    },
    Image {
        name: "truncated",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
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
    // `make bench`: the boot cost for three sizes of initramfs, the
    // smallest one static /init and nothing else, then the hand-off from a
    // large one.
    Image {
        name: "bench-1-file",
        base: &[],
        entries: &[Entry::Exec("/init", "timing-init.c")],
        ..STANDARD
    },
    Image {
        name: "bench-16M",
        base: &[],
        entries: &[
            Entry::Exec("/init", "timing-init.c"),
            Entry::Filler("/filler", 16),
        ],
        ..STANDARD
    },
    Image {
        name: "bench-128M",
        base: &[],
        entries: &[
            Entry::Exec("/init", "timing-init.c"),
            Entry::Filler("/filler", 128),
        ],
        ..STANDARD
    },
    Image {
        name: "bench-handoff",
        entries: &[
            Entry::Node("/dev/console", 5, 1),
            Entry::Exec("/init", "handoff.sh"),
            Entry::Exec("/bin/copyroot", "copyroot.c"),
            Entry::ManyFiles("/data", 10_000, 13_421),
        ],
        ..STANDARD
    },
    Image {
        name: "disk",
        kind: Kind::Disk,
        entries: &[
            Entry::Exec("/sbin/init", "init.sh"),
            // systemd switches only into an OS tree.
            Entry::Dir("/etc"),
            Entry::Text("/etc/os-release", "os-release"),
        ],
        ..STANDARD
    },
    Image {
        name: "initramfs-tools",
        kind: Kind::InitramfsTools,
        base: &[],
        entries: &[],
        ..STANDARD
    },
    Image {
        name: "dracut",
        kind: Kind::Dracut,
        base: &[],
        entries: &[],
        ..STANDARD
    },
];

/// Looks an image recipe up by name.
pub fn find(name: &str) -> Result<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| format!("no image recipe {name:?}").into())
}

/// What an image takes from the kernels, made for it beforehand (by
/// `kernels::image`): this stage builds no kernel and runs no make.
pub struct FromKernels {
    /// `usr/gen_init_cpio`, a host program: the x86_64 main kernel's
    /// serves every architecture.
    pub gen_init_cpio: PathBuf,
    /// The architecture's main kernel's UAPI headers (`usr/include`), for
    /// the guest programs, if [`Needs::headers`].
    pub headers: Option<PathBuf>,
    /// The pivot_root kselftest, if [`Needs::kselftest`].
    pub kselftest: Option<PathBuf>,
    /// The [`GENERATED_FOR`] kernel's modules installed in a directory of
    /// their own (its `lib/modules`), if [`Needs::modules_tree`].
    pub modules_tree: Option<PathBuf>,
}

/// What an image needs from the kernels besides gen_init_cpio.
#[derive(Default, Debug, PartialEq)]
pub struct Needs {
    /// Headers, for a guest program in C.
    pub headers: bool,
    /// The kselftest.
    pub kselftest: bool,
    /// Variants whose modules it holds.
    pub modules: Vec<&'static str>,
    /// The generator's kernel's installed modules.
    pub modules_tree: bool,
}

/// What `img` needs from the kernels, read from its entries.
pub fn needs(img: &Image) -> Needs {
    let mut n = Needs {
        modules_tree: matches!(img.kind, Kind::InitramfsTools | Kind::Dracut),
        ..Needs::default()
    };
    for entry in img.base.iter().chain(img.entries) {
        match entry {
            Entry::Exec(_, name) if name.ends_with(".c") => n.headers = true,
            // Its probe is a guest program in C.
            Entry::ContainerImage(_) => n.headers = true,
            Entry::Kselftest(_) => n.kselftest = true,
            Entry::KernelModule(_, variant, _) => n.modules.push(variant),
            _ => {}
        }
    }
    n
}

/// Builds an image for booting, from what `k` holds, and returns its path.
pub fn build(ws: &Workspace, arch: &Arch, img: &Image, k: &FromKernels) -> Result<PathBuf> {
    match img.kind {
        Kind::Initramfs | Kind::Cpio => initramfs(ws, arch, img, k),
        Kind::Disk => disk(ws, arch, img, k),
        Kind::InitramfsTools | Kind::Dracut => generated(ws, arch, img, k),
    }
}

/// `what` of `k`, which [`needs`] asked for.
fn given<'a>(what: &'a Option<PathBuf>, name: &str) -> Result<&'a Path> {
    what.as_deref()
        .ok_or_else(|| format!("the image stage was not given {name}").into())
}

/// The images of one architecture.
fn images_dir(ws: &Workspace, arch: &Arch) -> PathBuf {
    ws.images().join(arch.name)
}

/// Where the architecture's guest packages are unpacked: the host's root
/// for the host's architecture, else a directory set-up fills.
pub fn package_root(ws: &Workspace, arch: &Arch) -> PathBuf {
    if arch.debian == "amd64" {
        PathBuf::from("/")
    } else {
        ws.cache.join("packages").join(arch.debian)
    }
}

/// The gen_init_cpio list of an initramfs recipe. It is rewritten only when
/// it changes, so a kernel that builds it in is not relinked for nothing.
pub fn initramfs_list(
    ws: &Workspace,
    arch: &Arch,
    img: &Image,
    k: &FromKernels,
) -> Result<PathBuf> {
    let mut list = format!(
        "# {} initramfs for {}, made by userroot\n",
        img.name, arch.name
    );
    let mut sources = Vec::new();
    let mut dirs: BTreeSet<PathBuf> = img
        .base
        .iter()
        .chain(img.entries)
        .filter_map(|e| match e {
            Entry::Dir(p) => Some(PathBuf::from(p.trim_start_matches('/'))),
            _ => None,
        })
        .collect();
    let mut files = String::new();
    for entry in img.base.iter().chain(img.entries) {
        match entry {
            Entry::Dir(p) => writeln!(list, "dir {p} 0755 0 0")?,
            Entry::Node(p, major, minor) => writeln!(list, "nod {p} 0600 0 0 c {major} {minor}")?,
            Entry::Busybox => {
                let src = package_root(ws, arch).join("bin/busybox");
                writeln!(files, "file /bin/busybox {} 0755 0 0", src.display())?;
                sources.push(src);
            }
            Entry::Exec(p, name) => {
                let src = guest_program(ws, arch, name, k)?;
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
            Entry::File(p, bytes) => {
                let src = sized_file(ws, u64::from(*bytes))?;
                writeln!(list, "file {p} {} 0644 0 0", src.display())?;
            }
            Entry::Text(p, name) => {
                let src = guest_file(ws, arch, name)?;
                writeln!(list, "file {p} {} 0644 0 0", src.display())?;
                sources.push(src);
            }
            Entry::HardLinks(p, bytes, links) => {
                let src = sized_file(ws, u64::from(*bytes))?;
                writeln!(
                    list,
                    "file {p} {} 0644 0 0 {}",
                    src.display(),
                    links.join(" ")
                )?;
            }
            Entry::Kselftest(p) => {
                let src = given(&k.kselftest, "the kselftest")?.to_path_buf();
                writeln!(list, "file {p} {} 0755 0 0", src.display())?;
                sources.push(src);
            }
            Entry::Program(p) => {
                let root = package_root(ws, arch);
                for file in std::iter::once(p.to_string()).chain(needed_libraries(&root, arch, p)?)
                {
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
                    let src = root.join(file.trim_start_matches('/'));
                    writeln!(list, "file {file} {} 0755 0 0", src.display())?;
                    // A host upgrade changes the program: the image follows.
                    sources.push(src);
                }
            }
            Entry::ContainerImage(p) => {
                let src = container_image(ws, arch, k)?;
                writeln!(list, "file {p} {} 0644 0 0", src.display())?;
                sources.push(src);
            }
            Entry::KernelModule(p, variant, module) => {
                let src = ws.build(variant).join(module);
                writeln!(list, "file {p} {} 0644 0 0", src.display())?;
                sources.push(src);
            }
            Entry::Filler(..) => {}
        }
    }
    list += &files;
    // Last, so that a truncated archive is cut inside it.
    for entry in img.entries {
        if let Entry::Filler(p, mib) = entry {
            writeln!(list, "file {p} {} 0644 0 0", filler(ws, *mib)?.display())?;
        }
    }
    // The list changes when a source does, so images follow edits.
    for src in sources {
        writeln!(list, "# {} {}", src.display(), key::files_digest(&[&src])?)?;
    }
    let dir = images_dir(ws, arch);
    let path = dir.join(format!("{}.list", img.name));
    fs::create_dir_all(&dir)?;
    if fs::read_to_string(&path).ok().as_deref() != Some(&list) {
        fs::write(&path, list)?;
    }
    Ok(path)
}

/// A cpio archive written by `usr/gen_init_cpio`, gzip-compressed unless
/// the recipe says otherwise.
fn initramfs(ws: &Workspace, arch: &Arch, img: &Image, k: &FromKernels) -> Result<PathBuf> {
    let dir = images_dir(ws, arch);
    let suffix = if img.kind == Kind::Cpio {
        "cpio"
    } else {
        "cpio.gz"
    };
    let path = dir.join(format!("{}.{suffix}", img.name));
    // The archive is keyed by a stamp written after it is made, not by
    // the list: a kernel that builds the image in writes the list alone.
    let list = initramfs_list(ws, arch, img, k)?;
    let gen = &k.gen_init_cpio;
    let key = Key::new(KeyKind::Archive)
        .files("list", &[&list])?
        .files("gen_init_cpio", &[gen])
        .map_err(|e| format!("{e} (is the default kernel built?)"))?
        .bytes("compression", suffix)
        .bytes("damage", format!("{:?}", img.damage))
        .bytes("damage code", damage::CODE);
    unless_made(&path, &key, || {
        fs::create_dir_all(&dir)?;
        if img.damage == Damage::Garbage {
            fs::write(&path, random_bytes(damage::GARBAGE_LEN))?;
            return Ok(());
        }
        // One timestamp for every entry (6.12's release day), so that an
        // archive made again from the same files is the same archive.
        let mut cpio = run(Command::new(gen).args(["-t", "1731801600"]).arg(&list))?;
        damage::before_compression(&img.damage, &mut cpio)?;
        if img.kind == Kind::Cpio {
            // Rewritten only when it changes: a kernel may build it in.
            if fs::read(&path).ok().as_ref() != Some(&cpio) {
                fs::write(&path, &cpio)?;
            }
        } else {
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
        }
        damage::after_compression(&img.damage, &path)
    })?;
    Ok(path)
}

/// An ext4 image populated from a staging directory (no root or loop
/// device needed).
fn disk(ws: &Workspace, arch: &Arch, img: &Image, k: &FromKernels) -> Result<PathBuf> {
    let dir = images_dir(ws, arch);
    let stage = dir.join(format!("{}.root", img.name));
    let _ = fs::remove_dir_all(&stage);
    let at = |p: &str| stage.join(p.trim_start_matches('/'));
    fs::create_dir_all(&stage)?;
    for entry in img.base.iter().chain(img.entries) {
        match entry {
            Entry::Dir(p) => fs::create_dir_all(at(p))?,
            // The kernel opens rootfs's console, not the disk's.
            Entry::Node(..) => {}
            Entry::Busybox => copy_exec(
                &package_root(ws, arch).join("bin/busybox"),
                &at("/bin/busybox"),
            )?,
            Entry::Exec(p, name) => copy_exec(&guest_program(ws, arch, name, k)?, &at(p))?,
            Entry::Symlink(p, t) => std::os::unix::fs::symlink(t, at(p))?,
            Entry::Text(p, name) => {
                fs::copy(guest_file(ws, arch, name)?, at(p))?;
            }
            Entry::Filler(p, mib) => {
                fs::copy(filler(ws, *mib)?, at(p))?;
            }
            Entry::Kselftest(p) => copy_exec(given(&k.kselftest, "the kselftest")?, &at(p))?,
            Entry::ManyFiles(..)
            | Entry::File(..)
            | Entry::HardLinks(..)
            | Entry::Program(_)
            | Entry::KernelModule(..)
            | Entry::ContainerImage(_) => return Err("that entry is for initramfs images".into()),
        }
    }
    let path = dir.join(format!("{}.ext4", img.name));
    let _ = fs::remove_file(&path);
    run(Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-E", "root_owner=0:0", "-d"])
        .arg(&stage)
        .arg(&path)
        .arg("64M"))?;
    Ok(path)
}

/// How a guest program is compiled: small, static, without libc (nolibc
/// stands in), with nothing that varies between builds.
const GUEST_CFLAGS: &[&str] = &[
    "-Os",
    "-s",
    "-static",
    "-nostdlib",
    "-fno-asynchronous-unwind-tables",
    "-fno-ident",
];

/// A program from `guest/`: a script as it is (see [`guest_file`]); a `.c`
/// file compiled static against the kernel's nolibc and UAPI headers, again
/// only when it or the kernel source changed.
fn guest_program(ws: &Workspace, arch: &Arch, name: &str, k: &FromKernels) -> Result<PathBuf> {
    let Some(stem) = name.strip_suffix(".c") else {
        return guest_file(ws, arch, name);
    };
    let src = ws.tool_dir().join("guest").join(name);
    let dir = images_dir(ws, arch);
    let bin = dir.join(stem);
    let tree = ws.tree();
    let nolibc = tree.join("tools/include/nolibc");
    let compiler = || {
        if arch.debian == "amd64" {
            Command::new("gcc")
        } else {
            let mut c = Command::new("clang");
            c.arg(format!("--target={}", arch.triple))
                .arg("-fuse-ld=lld");
            c
        }
    };
    // The compiler is an input too: an upgrade builds the program again.
    let version = run(compiler().arg("--version"))?;
    let key = Key::new(KeyKind::GuestProgram)
        .files("source", &[&src])?
        .files("nolibc", &[&nolibc])?
        .bytes("linux source", ws.linux_source()?)
        .bytes("compiler", version)
        .bytes("flags", GUEST_CFLAGS.join(" "));
    let headers = given(&k.headers, "the kernel's headers")?;
    unless_made(&bin, &key, || {
        fs::create_dir_all(&dir)?;
        run(compiler()
            .args(GUEST_CFLAGS)
            .arg("-include")
            .arg(nolibc.join("nolibc.h"))
            .arg("-I")
            .arg(headers)
            .arg("-o")
            .arg(&bin)
            .arg(&src))?;
        Ok(())
    })?;
    Ok(bin)
}

/// A file from `guest/`, copied into the cache only when it changes: a
/// kernel that builds it in sees the same path and timestamp whatever the
/// checkout (a fresh clone's files are all new).
fn guest_file(ws: &Workspace, arch: &Arch, name: &str) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let src = ws.tool_dir().join("guest").join(name);
    let dir = images_dir(ws, arch).join("guest");
    let copy = dir.join(name);
    let content = fs::read(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mode = fs::metadata(&src)?.permissions().mode();
    if fs::read(&copy).ok().as_ref() != Some(&content)
        || fs::metadata(&copy).ok().map(|m| m.permissions().mode()) != Some(mode)
    {
        fs::create_dir_all(&dir)?;
        let _ = fs::remove_file(&copy);
        fs::write(&copy, content)?;
        fs::set_permissions(&copy, fs::Permissions::from_mode(mode))?;
    }
    Ok(copy)
}

/// The shared libraries a program of `root` needs, its dynamic loader
/// included, as absolute paths inside `root`: read from its ELF headers, so
/// that programs of any architecture can be packed.
fn needed_libraries(root: &Path, arch: &Arch, program: &str) -> Result<Vec<String>> {
    let dirs = [
        format!("/lib/{}", arch.triple),
        format!("/usr/lib/{}", arch.triple),
        "/lib".to_string(),
        "/usr/lib".to_string(),
    ];
    let mut found: Vec<String> = Vec::new();
    let mut todo = vec![program.to_string()];
    while let Some(file) = todo.pop() {
        let out = run(Command::new("llvm-readelf")
            .args(["--dynamic", "--program-headers"])
            .arg(root.join(file.trim_start_matches('/'))))?;
        let out = String::from_utf8_lossy(&out);
        // The object's own RUNPATH or RPATH comes first (Nix's libraries
        // are in /usr/lib/nix).
        let own: Vec<String> = out
            .lines()
            .filter_map(|l| {
                l.split(" runpath: [")
                    .nth(1)
                    .or(l.split(" rpath: [").nth(1))
            })
            .filter_map(|l| l.strip_suffix(']'))
            .flat_map(|l| l.split(':'))
            .map(String::from)
            .collect();
        let dirs: Vec<&String> = own.iter().chain(dirs.iter()).collect();
        for line in out.lines() {
            let wanted = if let Some(interp) = line.split("interpreter: ").nth(1) {
                interp.trim_end_matches(']').to_string()
            } else if let Some(lib) = line
                .split("Shared library: [")
                .nth(1)
                .and_then(|l| l.strip_suffix(']'))
            {
                dirs.iter()
                    .map(|d| format!("{d}/{lib}"))
                    .find(|p| root.join(p.trim_start_matches('/')).exists())
                    .ok_or_else(|| format!("{program}: {lib} not found under {}", root.display()))?
            } else {
                continue;
            };
            if !found.contains(&wanted) {
                found.push(wanted.clone());
                todo.push(wanted);
            }
        }
    }
    Ok(found)
}

/// The image name and tag [`Entry::ContainerImage`] loads as.
pub const CONTAINER_IMAGE_TAG: &str = "ur-escape:1";

/// A docker-archive tar of one layer, busybox and the escape probe, whose
/// command is the probe; made again when either changes. Its file times
/// and owners are fixed, so the same inputs give the same bytes.
fn container_image(ws: &Workspace, arch: &Arch, k: &FromKernels) -> Result<PathBuf> {
    let busybox = package_root(ws, arch).join("bin/busybox");
    let escape = guest_program(ws, arch, "escape.c", k)?;
    let dir = images_dir(ws, arch);
    let out = dir.join("container-image.tar");
    // Its layout is this module's code.
    let key = Key::new(KeyKind::ContainerImage)
        .files("busybox", &[&busybox])?
        .files("probe", &[&escape])?
        .bytes("image code", include_str!("image.rs"));
    unless_made(&out, &key, || {
        let stage = dir.join("container-image");
        let _ = fs::remove_dir_all(&stage);
        let rootfs = stage.join("rootfs");
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc"] {
            fs::create_dir_all(rootfs.join(d))?;
        }
        copy_exec(&busybox, &rootfs.join("bin/busybox"))?;
        copy_exec(&escape, &rootfs.join("bin/ur-escape"))?;
        std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh"))?;
        let tar = |dir: &Path, out: &Path| {
            run(Command::new("tar")
                .args([
                    "--sort=name",
                    "--mtime=@0",
                    "--owner=0",
                    "--group=0",
                    "--numeric-owner",
                    "-C",
                ])
                .arg(dir)
                .arg("-cf")
                .arg(out)
                .arg("."))
        };
        let image = stage.join("image");
        fs::create_dir_all(image.join("layer"))?;
        tar(&rootfs, &image.join("layer/layer.tar"))?;
        let sha = |p: &Path| -> Result<String> {
            let out = run(Command::new("sha256sum").arg(p))?;
            Ok(String::from_utf8_lossy(&out)
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string())
        };
        let diff_id = sha(&image.join("layer/layer.tar"))?;
        let config = format!(
            "{{\"architecture\":\"{}\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\",\
             \"config\":{{\"Cmd\":[\"/bin/ur-escape\"]}},\
             \"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"sha256:{diff_id}\"]}}}}",
            arch.debian
        );
        fs::write(image.join("config.json"), &config)?;
        let config_id = sha(&image.join("config.json"))?;
        fs::rename(
            image.join("config.json"),
            image.join(format!("{config_id}.json")),
        )?;
        fs::write(
            image.join("manifest.json"),
            format!(
                "[{{\"Config\":\"{config_id}.json\",\"RepoTags\":[\"{CONTAINER_IMAGE_TAG}\"],\
                 \"Layers\":[\"layer/layer.tar\"]}}]"
            ),
        )?;
        tar(&image, &out)?;
        Ok(())
    })?;
    Ok(out)
}

/// A file of `mib` MiB of incompressible bytes, made once.
fn filler(ws: &Workspace, mib: u32) -> Result<PathBuf> {
    sized_file(ws, u64::from(mib) << 20)
}

/// A file of `len` incompressible bytes, made once.
fn sized_file(ws: &Workspace, len: u64) -> Result<PathBuf> {
    let path = ws.images().join(format!("random-{len}.bin"));
    let key = Key::new(KeyKind::Filler)
        .bytes("length", len.to_string())
        .bytes("generator code", damage::CODE);
    unless_made(&path, &key, || {
        fs::create_dir_all(ws.images())?;
        Ok(fs::write(&path, random_bytes(usize::try_from(len)?))?)
    })?;
    Ok(path)
}

fn copy_exec(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::copy(from, to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// A kernel as the generators see it: its release (`uname -r`), the
/// directory that holds its modules tree (`<modules>/<release>/`) and its
/// configuration.
pub struct ModulesTree<'a> {
    /// The kernel's release.
    pub release: &'a str,
    /// The directory of `<release>/`.
    pub modules: &'a Path,
    /// The kernel's `.config`.
    pub config: &'a Path,
}

impl Image {
    /// Whether a distribution's generator makes this image for a kernel.
    pub fn is_generated(&self) -> bool {
        matches!(self.kind, Kind::InitramfsTools | Kind::Dracut)
    }
}

/// The directory of a generator's configuration and hooks.
fn generator_dir(ws: &Workspace, img: &Image) -> PathBuf {
    ws.tool_dir().join("generators").join(img.name)
}

/// What of the host each generator reads beyond its packages' files
/// (which [`generated_key`] keys by version): its configuration under
/// /etc, and what it copies from there into the image.
fn host_configuration(kind: &Kind) -> &'static [&'static str] {
    match kind {
        Kind::InitramfsTools => &[
            "/etc/modprobe.d",
            "/etc/udev/udev.conf",
            "/etc/udev/rules.d",
        ],
        _ => &[
            "/etc/dracut.conf",
            "/etc/dracut.conf.d",
            "/etc/modprobe.d",
            "/etc/udev/udev.conf",
            "/etc/udev/rules.d",
            "/etc/systemd",
            "/etc/passwd",
            "/etc/group",
            "/etc/os-release",
        ],
    }
}

/// The key of a generated image: what of the kernel it is made from
/// (`kernel`: its configuration and module lists, not its code), our
/// configuration and hooks, every host package (the generators copy
/// programs and libraries of many: libc6, util-linux, kmod, systemd...,
/// and which ones is their hooks' choice), the host's configuration they
/// read and the command line that runs them.
fn generated_key(
    ws: &Workspace,
    img: &Image,
    kernel: &[&Path],
    tree: &ModulesTree,
    out: &Path,
) -> Result<Key> {
    let packages = run(Command::new("dpkg-query").args([
        "-W",
        "-f",
        "${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\n",
    ]))?;
    let mut etc = String::new();
    for p in host_configuration(&img.kind) {
        let p = Path::new(p);
        let digest = if p.exists() {
            key::files_digest(&[p])?
        } else {
            "absent".into()
        };
        etc += &format!("{} {digest}\n", p.display());
    }
    Ok(Key::new(KeyKind::Generated)
        .files("kernel", kernel)?
        .files("our configuration and hooks", &[&generator_dir(ws, img)])?
        .bytes("host packages", packages)
        .bytes("host configuration", etc)
        .bytes("command line", generator_script(ws, img, tree, out)))
}

/// An initramfs made by a distribution's generator for the
/// [`GENERATED_FOR`] kernel, remade when what it is made from changes
/// (the kernel's configuration, not its code).
fn generated(ws: &Workspace, arch: &Arch, img: &Image, k: &FromKernels) -> Result<PathBuf> {
    let v = crate::config::variant(GENERATED_FOR)?;
    if v.arch.name != arch.name {
        return Err(format!("{} images are made for {} only", img.name, v.arch.name).into());
    }
    let build = ws.build(v.name);
    let dir = images_dir(ws, arch);
    let out = dir.join(format!("{}.img", img.name));
    let release = fs::read_to_string(build.join("include/config/kernel.release"))?;
    let release = release.trim();
    let tree = ModulesTree {
        release,
        modules: given(&k.modules_tree, "the kernel's installed modules")?,
        config: &build.join(".config"),
    };
    let key = generated_key(
        ws,
        img,
        &[
            &build.join(".config"),
            &build.join("include/config/kernel.release"),
            &build.join("modules.builtin"),
            &build.join("modules.builtin.modinfo"),
        ],
        &tree,
        &out,
    )?;
    unless_made(&out, &key, || make_generated(ws, img, &tree, &out))?;
    Ok(out)
}

/// An initramfs made by a distribution's generator for a kernel that is
/// not ours (Debian's, in `make compare`), into `dir`; remade when the
/// kernel's configuration or module lists, our configuration and hooks, or
/// the host's packages change.
pub fn generated_for(
    ws: &Workspace,
    img: &Image,
    tree: &ModulesTree,
    dir: &Path,
) -> Result<PathBuf> {
    let out = dir.join(format!("{}.img", img.name));
    let lists = tree.modules.join(tree.release);
    let key = generated_key(
        ws,
        img,
        &[
            tree.config,
            &lists.join("modules.order"),
            &lists.join("modules.builtin"),
            &lists.join("modules.builtin.modinfo"),
        ],
        tree,
        &out,
    )?;
    unless_made(&out, &key, || make_generated(ws, img, tree, &out))?;
    Ok(out)
}

/// The shell command that runs an image's generator for the kernel `tree`
/// into `out`, in a private mount namespace in which the kernel's modules
/// and config are at `/lib/modules/<release>` and `/boot/config-<release>`,
/// where both tools look, so nothing of the host's is touched.
fn generator_script(ws: &Workspace, img: &Image, tree: &ModulesTree, out: &Path) -> String {
    let release = tree.release;
    let confdir = generator_dir(ws, img);
    let generate = match img.kind {
        Kind::InitramfsTools => format!(
            "mkinitramfs -d {} -c gzip -o {} {release}",
            confdir.display(),
            out.display()
        ),
        _ => format!(
            "dracut --quiet --no-hostonly --force --kver {release} \\
             --kmoddir /lib/modules/{release} --add 'systemd-initrd dracut-systemd' \\
             --include {} /lib/dracut/hooks/pre-pivot/99-ur-report.sh {}",
            confdir.join("ur-report.sh").display(),
            out.display()
        ),
    };
    // A distribution's package ships no modules.dep (its postinst makes
    // it): depmod, where the tree lacks one, writes it into the tree.
    format!(
        "mount --make-rprivate / && \\
         mount --bind {modules} /lib/modules && mount --bind {boot} /boot && \\
         {{ [ -e /lib/modules/{release}/modules.dep ] || depmod {release}; }} && {generate}",
        modules = tree.modules.display(),
        boot = out.with_extension("boot").display(),
    )
}

/// Runs an image's generator ([`generator_script`]).
fn make_generated(ws: &Workspace, img: &Image, tree: &ModulesTree, out: &Path) -> Result<()> {
    let boot = out.with_extension("boot");
    let _ = fs::remove_dir_all(&boot);
    fs::create_dir_all(&boot)?;
    fs::copy(tree.config, boot.join(format!("config-{}", tree.release)))?;
    // /boot and /lib/modules may be missing on a container host; the
    // mounts below need them as mount points.
    for point in ["/boot", "/lib/modules"] {
        fs::create_dir_all(point)?;
    }
    let script = generator_script(ws, img, tree, out);
    run(Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ))
    .map_err(|e| format!("making the {} image: {e}", img.name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each image gets from the kernels what its entries need, no more.
    #[test]
    fn needs_follow_the_entries() {
        let of = |name| needs(find(name).unwrap());
        assert_eq!(of("standard"), Needs::default());
        assert!(of("kselftest").kselftest);
        assert!(of("initramfs-tools").modules_tree && !of("initramfs-tools").headers);
        let loadpin = of("loadpin");
        assert!(loadpin.headers && !loadpin.kselftest);
        assert_eq!(loadpin.modules, ["distro"]);
        assert!(of("docker").headers);
    }
}
