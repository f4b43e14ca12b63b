// SPDX-License-Identifier: GPL-2.0
//! Building a kernel variant: `make ARCH=<arch> O=<build dir>` with its
//! toolchain's variables (`LLVM=1`, or `CC=gcc`).
//!
//! Kbuild writes the absolute path of the build directory into the command
//! lines of the Rust crates and of objtool (`OBJTREE=`), and rebuilds
//! whatever command line changed. So every variant is built at one path,
//! `build/.work` in the cache: its directory is moved there for the build and
//! back afterwards. A variant derived from another starts as a copy of the
//! other's directory, and kbuild's own dependency tracking (fixdep records
//! which `CONFIG_` symbols each object uses) rebuilds only what its options
//! touch. The compiler runs under ccache with the cache directory as its
//! base, for what differs between configurations and between runs.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use crate::config::{self, Toolchain, Variant};
use crate::error::Result;
use crate::kconfig;
use crate::key::{self, unless_made, Key, Kind, Stamp};
use crate::qemu::Arch;
use crate::workspace::{elapsed, phase, run, step, Workspace};

/// How often a long build says it is still going.
const PROGRESS: Duration = Duration::from_secs(60);
/// Names the home of the build directory that is at the work path, so that
/// an interrupted run can put it back.
const HOME_MARK: &str = ".userroot-home";
/// Written after a successful build of the kernel image: what it was built
/// from.
const BUILT_STAMP: &str = "userroot.built";

/// What a kernel embeds as its built-in initramfs, made before it is built
/// (by `kernels::image_of`).
pub enum Embedded {
    /// An uncompressed archive, which goes in as it is, damage and all:
    /// usr/Makefile takes a `.cpio` source without rewriting it.
    Cpio(PathBuf),
    /// A gen_init_cpio list, which the kernel's own usr/Makefile turns into
    /// the built-in initramfs, rebuilt when a listed file changes.
    List(PathBuf),
}

/// Builds a variant's kernel image with what it embeds and returns its
/// path.
pub fn build(ws: &Workspace, v: &Variant, embedded: Option<&Embedded>) -> Result<PathBuf> {
    let start = Instant::now();
    let dir = ws.build(v.name);
    if v.builtin_image.is_some() != embedded.is_some() {
        return Err(format!(
            "kernel '{}': its built-in initramfs is {:?}, given {}",
            v.name,
            v.builtin_image,
            if embedded.is_some() { "one" } else { "none" }
        )
        .into());
    }
    if !dir.join(".config").exists() {
        if let Some(base) = v.derived_from {
            build(ws, config::variant(base)?, None)?;
            derive(ws, base, v.name)?;
        } else if v.fragments.contains(&"rust") {
            rust_available(ws, v)?;
        }
    }
    let (extra, builtin) = match embedded {
        Some(Embedded::Cpio(cpio)) => (
            format!(
                "CONFIG_INITRAMFS_SOURCE=\"{}\"\nCONFIG_INITRAMFS_COMPRESSION_NONE=y\n",
                cpio.display()
            ),
            Some(cpio.as_path()),
        ),
        Some(Embedded::List(list)) => (
            format!("CONFIG_INITRAMFS_SOURCE=\"{}\"\n", list.display()),
            Some(list.as_path()),
        ),
        None => (String::new(), None),
    };
    configure(ws, v, &extra)?;
    kconfig::can_warn(v.name, &dir.join(".config"))?;
    forget_incbin_objects(&dir)?;
    let image = dir.join(v.arch.kernel_image);
    // What the kernel is built from, but for the source tree's files, whose
    // timestamps are compared with the stamp's (see [`unchanged_since`]).
    let key = Key::new(Kind::Kernel)
        .files("configuration", &[&dir.join(".config")])?
        .bytes("linux source", ws.linux_source()?)
        .bytes("toolchain", toolchain(v.toolchain)?)
        .bytes("make line", make_line(v.arch, v.toolchain))
        .bytes(
            "built-in initramfs",
            match &builtin {
                Some(input) => key::files_digest(&[input])?,
                None => String::new(),
            },
        )
        .text()?;
    let stamp = Stamp::at(dir.join(BUILT_STAMP));
    if image.exists() && stamp.holds(&key) && unchanged_since(&ws.tree(), stamp.path())? {
        phase(
            &format!("kernel {}", v.name),
            start,
            "reused, nothing changed",
        );
        return Ok(image);
    }
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let before = mtime(&image);
    make(ws, v, &[image_target(v.arch)])?;
    // Written after the build, so its time is later than every source the
    // build read; any other make in the directory removes it (see
    // [`with_build_dir`]).
    stamp.write(&key)?;
    let what = if mtime(&image) == before {
        "reused"
    } else {
        "built"
    };
    phase(&format!("kernel {}", v.name), start, what);
    Ok(image)
}

/// Writes the variant's `.config` unless it is already made from the same
/// fragments with the same toolchain (Kconfig reads the compiler: its
/// version and what it supports are options too), checks that every
/// requested option made it in and that the result is what an empty build
/// directory gives. Returns whether it wrote a new one.
fn configure(ws: &Workspace, v: &Variant, extra: &str) -> Result<bool> {
    let dir = ws.build(v.name);
    let wanted = config::wanted(ws, v, extra)?;
    let key = Key::new(Kind::Configuration)
        .bytes("fragments", &wanted)
        .bytes("kconfig files", kconfig_digest(&ws.tree())?)
        .bytes("toolchain", toolchain(v.toolchain)?)
        .bytes("make line", make_line(v.arch, v.toolchain))
        .bytes("configuration code", kconfig::CODE)
        .text()?;
    let stamp = Stamp::at(dir.join("userroot.config"));
    if dir.join(".config").exists() && stamp.holds(&key) {
        return Ok(false);
    }
    step(&format!(
        "configuring kernel '{}' ({}, {}): tinyconfig + {} ({})",
        v.name,
        v.arch.name,
        v.toolchain.name(),
        config::fragments(v).join(" + "),
        stamp.changed(&key)
    ));
    fs::create_dir_all(&dir)?;
    // The stamp goes only after every step succeeded: an interrupted run
    // configures again rather than trust a half-made .config.
    stamp.forget();
    from_scratch(ws, v.name, v, &wanted)?;
    kconfig::check(&dir.join(".config"), &wanted)?;
    same_as_from_scratch(ws, v, &wanted)?;
    stamp.write(&key)?;
    Ok(true)
}

/// A digest of what Kconfig reads besides the fragments: every `Kconfig*`
/// file of the tree and the scripts it runs to ask the toolchain
/// (`scripts/Kconfig.include` and its neighbours).
fn kconfig_digest(tree: &Path) -> Result<String> {
    fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        for e in fs::read_dir(dir)? {
            let e = e?;
            let kind = e.file_type()?;
            if kind.is_dir() {
                collect(&e.path(), found)?;
            } else if kind.is_file() && e.file_name().to_string_lossy().starts_with("Kconfig") {
                found.push(e.path());
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    collect(tree, &mut files)?;
    for e in fs::read_dir(tree.join("scripts"))? {
        let e = e?;
        if e.file_type()?.is_file() {
            files.push(e.path());
        }
    }
    files.sort();
    files.dedup();
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    key::files_digest(&paths)
}

/// tinyconfig, the merged fragments, olddefconfig: the same steps in a
/// derived build directory as in an empty one. `tinyconfig` starts from no
/// `.config` at all, so nothing of the directory's earlier configuration
/// survives.
fn from_scratch(ws: &Workspace, name: &str, v: &Variant, wanted: &str) -> Result<()> {
    make_as(ws, name, v.arch, v.toolchain, &["tinyconfig"])?;
    let dir = ws.build(name);
    let fragments = dir.join("userroot.fragments");
    fs::write(&fragments, wanted)?;
    run(
        Command::new(ws.tree().join("scripts/kconfig/merge_config.sh"))
            .current_dir(ws.tree())
            .args(["-m", "-O"])
            .arg(&dir)
            .arg(dir.join(".config"))
            .arg(&fragments),
    )?;
    make_as(ws, name, v.arch, v.toolchain, &["olddefconfig"])
}

/// A derived variant's `.config` must be what configuring it in an empty
/// build directory gives; this configures it once more in a scratch
/// directory (kept per architecture and toolchain, so that kconfig's tools
/// are built once) and compares.
fn same_as_from_scratch(ws: &Workspace, v: &Variant, wanted: &str) -> Result<()> {
    if v.derived_from.is_none() {
        return Ok(());
    }
    let scratch = format!(
        ".config-check-{}-{}",
        v.arch.name,
        v.toolchain.name().to_lowercase()
    );
    let dir = ws.build(&scratch);
    fs::create_dir_all(&dir)?;
    from_scratch(ws, &scratch, v, wanted)?;
    let strip = |p: &Path| -> Result<Vec<String>> {
        Ok(fs::read_to_string(p)?
            .lines()
            .filter(|l| !l.starts_with("# Automatically generated") && !l.starts_with("# Linux/"))
            .map(String::from)
            .collect())
    };
    if strip(&ws.build(v.name).join(".config"))? != strip(&dir.join(".config"))? {
        return Err(format!(
            "kernel '{}': its .config differs from one made in an empty directory ({})",
            v.name,
            dir.join(".config").display()
        )
        .into());
    }
    Ok(())
}

/// Objects that embed another file by `.incbin`: the compressed kernel
/// and the built-in initramfs.
const INCBIN_OBJECTS: &[&str] = &["arch/x86/boot/compressed/piggy.o", "usr/initramfs_data.o"];
/// Marks a build directory whose [`INCBIN_OBJECTS`] were made without
/// ccache's depend mode.
const INCBIN_MARK: &str = "userroot.incbin-direct";

/// Once per build directory, removes the [`INCBIN_OBJECTS`] that ccache's
/// depend mode may have served stale (see [`make_in`]), so that they are
/// made again.
fn forget_incbin_objects(dir: &Path) -> Result<()> {
    if dir.join(INCBIN_MARK).exists() {
        return Ok(());
    }
    for o in INCBIN_OBJECTS {
        let _ = fs::remove_file(dir.join(o));
    }
    let _ = fs::remove_file(dir.join(BUILT_STAMP));
    fs::write(dir.join(INCBIN_MARK), "")?;
    Ok(())
}

/// Whether nothing under `tree` (files and directories, so a removed file
/// counts too) was modified after `stamp` was written.
fn unchanged_since(tree: &Path, stamp: &Path) -> Result<bool> {
    fn newest(p: &Path, than: SystemTime) -> Result<bool> {
        for e in fs::read_dir(p)? {
            let e = e?;
            let meta = e.metadata()?;
            if meta.modified()? > than || (meta.is_dir() && newest(&e.path(), than)?) {
                return Ok(true);
            }
        }
        Ok(false)
    }
    let Ok(than) = fs::metadata(stamp).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    Ok(fs::metadata(tree)?.modified()? <= than && !newest(tree, than)?)
}

/// The versions of a toolchain's compiler and linker, rustc and the
/// binding generator, which what a build makes depends on.
pub fn toolchain(tc: Toolchain) -> Result<String> {
    static VERSIONS: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let (slot, tools) = match tc {
        Toolchain::Llvm => (&VERSIONS[0], ["clang", "ld.lld"]),
        Toolchain::Gcc => (&VERSIONS[1], ["gcc", "ld"]),
    };
    if let Some(v) = slot.get() {
        return Ok(v.clone());
    }
    let mut all = String::new();
    for tool in tools.into_iter().chain(["rustc", "bindgen"]) {
        let out = run(Command::new(tool).arg("--version"))?;
        all += &String::from_utf8_lossy(&out);
    }
    Ok(slot.get_or_init(|| all).clone())
}

/// make's variables for a toolchain and architecture: `LLVM=1` builds
/// every architecture; GCC needs the cross compiler of a foreign one. The
/// C compiler runs under ccache.
pub fn toolchain_args(tc: Toolchain, arch: &Arch) -> Vec<String> {
    // The host is x86_64, as for the kselftest's compiler.
    let cross = if arch.name == "x86_64" {
        String::new()
    } else {
        format!("{}-", arch.triple)
    };
    match tc {
        Toolchain::Llvm => vec!["LLVM=1".into(), "CC=ccache clang".into()],
        Toolchain::Gcc if cross.is_empty() => vec!["CC=ccache gcc".into()],
        Toolchain::Gcc => vec![
            format!("CROSS_COMPILE={cross}"),
            format!("CC=ccache {cross}gcc"),
        ],
    }
}

/// The make target that builds an architecture's boot image.
fn image_target(arch: &Arch) -> &'static str {
    match arch.name {
        "arm64" => "Image",
        _ => "bzImage",
    }
}

/// Starts `name`'s build directory as a copy of `base`'s, timestamps kept.
pub fn derive(ws: &Workspace, base: &str, name: &str) -> Result<()> {
    let to = ws.build(name);
    step(&format!(
        "kernel '{name}': starting from a copy of '{base}''s build"
    ));
    let _ = fs::remove_dir_all(&to);
    run(Command::new("cp").arg("-a").arg(ws.build(base)).arg(&to))?;
    for stale in [
        "userroot.config",
        "userroot-make.log",
        HOME_MARK,
        BUILT_STAMP,
    ] {
        let _ = fs::remove_file(to.join(stale));
    }
    Ok(())
}

/// Builds the `filesystems/pivot_root` kselftest the kselftest way, against
/// the headers of the architecture's main kernel, linked static for the
/// initramfs guest, and returns the binary.
/// Built again only when its sources, the kernel source or the compiler
/// changed.
pub fn kselftest(ws: &Workspace, arch: &Arch) -> Result<PathBuf> {
    let v = main_variant(arch)?;
    let out = ws
        .build(v.name)
        .join("kselftest/filesystems/pivot_root/pivot_root_test");
    let key = Key::new(Kind::Kselftest)
        .bytes("linux source", ws.linux_source()?)
        .files(
            "test sources",
            &[&ws
                .tree()
                .join("tools/testing/selftests/filesystems/pivot_root")],
        )?
        .bytes("compiler", selftest_cc_version(arch)?)
        .bytes("make line", kselftest_make_line(arch).join(" "));
    unless_made(&out, &key, || {
        make(ws, v, &["headers"])?;
        with_build_dir(ws, v.name, |work| kselftest_in(&ws.tree(), work, arch)).map(|_| ())
    })?;
    Ok(out)
}

/// The C compiler the kselftest is built with: the host's gcc, or the
/// architecture's cross gcc.
fn selftest_cc(arch: &Arch) -> String {
    if arch.name == "x86_64" {
        "gcc".to_string()
    } else {
        format!("{}-gcc", arch.triple)
    }
}

/// The variant whose headers and `usr/gen_init_cpio` serve an architecture.
pub fn main_variant(arch: &Arch) -> Result<&'static Variant> {
    config::VARIANTS
        .iter()
        .find(|v| v.derived_from.is_none() && v.arch.name == arch.name)
        .ok_or_else(|| format!("no kernel variant for {}", arch.name).into())
}

/// [`kselftest`] for any source tree and build directory with headers.
pub fn kselftest_in(tree: &Path, out: &Path, arch: &Arch) -> Result<PathBuf> {
    let log = out.join("userroot-kselftest.log");
    let file = File::create(&log)?;
    let status = inherit_only_what_is_needed(Command::new("make").arg("-C"))
        .arg(tree.join("tools/testing/selftests"))
        .arg(format!("O={}", out.display()))
        .args(kselftest_make_line(arch))
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()?;
    if !status.success() {
        return Err(format!("building the kselftest failed; log: {}", log.display()).into());
    }
    Ok(out.join("kselftest/filesystems/pivot_root/pivot_root_test"))
}

/// The architecture's main kernel's UAPI headers (`make headers`), made
/// again only when their sources change: the directory to give `-I`.
pub fn headers(ws: &Workspace, arch: &Arch) -> Result<PathBuf> {
    let v = main_variant(arch)?;
    let out = ws.build(v.name).join("usr/include");
    let tree = ws.tree();
    let srcarch = match arch.name {
        "x86_64" => "x86",
        other => other,
    };
    let key = Key::new(Kind::Headers)
        .files(
            "uapi sources",
            &[
                &tree.join("include/uapi"),
                &tree.join(format!("arch/{srcarch}/include/uapi")),
                &tree.join("scripts/headers_install.sh"),
            ],
        )?
        .bytes("linux source", ws.linux_source()?)
        .bytes("make line", make_line(arch, v.toolchain));
    unless_made(&out, &key, || make(ws, v, &["headers"]))?;
    Ok(out)
}

/// A kernel's modules installed into a directory of their own (`make
/// modules_install`), for the initramfs generators: its `lib/modules`.
/// Installed again when the kernel's configuration or module lists change.
pub fn modules_tree(ws: &Workspace, v: &Variant) -> Result<PathBuf> {
    let build = ws.build(v.name);
    let stage = ws.cache.join("modules").join(v.name);
    let modules = stage.join("lib/modules");
    let key = Key::new(Kind::ModulesTree)
        .files(
            "kernel",
            &[
                &build.join(".config"),
                &build.join("include/config/kernel.release"),
                &build.join("modules.builtin"),
                &build.join("modules.builtin.modinfo"),
            ],
        )?
        .bytes("make line", make_line(v.arch, v.toolchain));
    unless_made(&modules, &key, || {
        let _ = fs::remove_dir_all(&stage);
        fs::create_dir_all(&stage)?;
        make(ws, v, &["modules"])?;
        let install = format!("INSTALL_MOD_PATH={}", stage.display());
        with_build_dir(ws, v.name, |work| {
            make_in(
                ws,
                &ws.tree(),
                work,
                v.name,
                (v.arch, v.toolchain),
                &["modules_install", &install],
            )
        })
    })?;
    Ok(modules)
}

/// The version of the kselftest's compiler, for keys.
pub fn selftest_cc_version(arch: &Arch) -> Result<String> {
    let out = run(Command::new(selftest_cc(arch)).arg("--version"))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The kselftest's make variables but for its output directory.
fn kselftest_make_line(arch: &Arch) -> Vec<String> {
    let mut line = vec![
        format!("ARCH={}", arch.name),
        "TARGETS=filesystems/pivot_root".into(),
        "LDFLAGS=-static".into(),
    ];
    if arch.name != "x86_64" {
        line.push(format!("CROSS_COMPILE={}-", arch.triple));
    }
    line.push(format!("CC={}", selftest_cc(arch)));
    line
}

/// What a make of ours inherits from the runner's environment: where
/// programs are and rustup's choice of toolchain, whose versions are in
/// every key (see [`toolchain`]). Nothing else: `KCFLAGS`, `KRUSTFLAGS`,
/// `CFLAGS` and the like would change what is built without changing a
/// key, and `MAKEFLAGS` would pass `make test`'s own variables down.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_HOME",
];

/// Clears `cmd`'s environment but for [`INHERITED`].
fn inherit_only_what_is_needed(cmd: &mut Command) -> &mut Command {
    cmd.env_clear();
    for var in INHERITED {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd
}

/// The make line of a kernel build but for its directories, targets and
/// job count, which change nothing that is built: a key's input.
pub fn make_line(arch: &Arch, tc: Toolchain) -> String {
    format!(
        "make ARCH={} {} (environment: {} only)",
        arch.name,
        toolchain_args(tc, arch).join(" "),
        INHERITED.join(" ")
    )
}

/// Checks the Rust toolchain before the first build; its message names the
/// missing piece.
fn rust_available(ws: &Workspace, v: &Variant) -> Result<()> {
    fs::create_dir_all(ws.build(v.name))?;
    make(ws, v, &["rustavailable"]).map_err(|e| {
        format!("the kernel's Rust toolchain check failed; run `make setup`\n{e}").into()
    })
}

/// Runs make for a variant.
pub fn make(ws: &Workspace, v: &Variant, targets: &[&str]) -> Result<()> {
    make_as(ws, v.name, v.arch, v.toolchain, targets)
}

/// Runs `f`, which works in build directory `name` but writes nothing its
/// kernel image is built from (`make rustfmtcheck`, modpost run again): the
/// image's stamp stays as it was, timestamp included.
pub fn leaving_image<T>(ws: &Workspace, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let stamp = ws.build(name).join(BUILT_STAMP);
    let kept = fs::read(&stamp)
        .ok()
        .zip(fs::metadata(&stamp).and_then(|m| m.modified()).ok());
    let result = f()?;
    if let Some((content, mtime)) = kept {
        fs::write(&stamp, content)?;
        File::options()
            .write(true)
            .open(&stamp)?
            .set_modified(mtime)?;
    }
    Ok(result)
}

/// Runs make in the build directory `name` for `arch` with `tc`.
pub fn make_as(
    ws: &Workspace,
    name: &str,
    arch: &Arch,
    tc: Toolchain,
    targets: &[&str],
) -> Result<()> {
    with_build_dir(ws, name, |work| {
        make_in(ws, &ws.tree(), work, name, (arch, tc), targets)
    })
}

/// Runs `f` with build directory `name` moved to the work path, which it is
/// given, and moves it back afterwards, whatever `f` returned.
pub fn with_build_dir<T>(
    ws: &Workspace,
    name: &str,
    f: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let home = ws.build(name);
    let work = ws.build(".work");
    let lock = File::create(ws.build(".work.lock"))?;
    lock.lock()?;
    // An interrupted run may have left another directory at the work path.
    put_back(&work)?;
    fs::create_dir_all(&home)?;
    // Whatever make does here, the kernel image's stamp no longer vouches
    // for the directory; `build` writes it again.
    let _ = fs::remove_file(home.join(BUILT_STAMP));
    fs::write(home.join(HOME_MARK), home.to_string_lossy().as_bytes())?;
    fs::rename(&home, &work)?;
    let result = f(&work);
    let back = put_back(&work);
    result.and_then(|r| back.map(|()| r))
}

/// Moves the build directory at the work path back to its home, if one is
/// there (after `f` above, or after an interrupted run).
fn put_back(work: &Path) -> Result<()> {
    if !work.exists() {
        return Ok(());
    }
    let home = PathBuf::from(fs::read_to_string(work.join(HOME_MARK)).map_err(|e| {
        format!(
            "{}: no {HOME_MARK} ({e}); remove it by hand",
            work.display()
        )
    })?);
    // An empty one is what an interrupted run made before it moved in.
    let _ = fs::remove_dir(&home);
    if home.exists() {
        return Err(format!(
            "{} is at the work path and at {}; remove one by hand",
            home.display(),
            home.display()
        )
        .into());
    }
    fs::rename(work, &home)?;
    Ok(())
}

/// Runs make in one build directory for any source tree, for an
/// architecture with a toolchain; output to a log, a progress line every
/// minute, the log's tail on failure. `label` names the kernel in
/// messages.
pub fn make_in(
    ws: &Workspace,
    tree: &Path,
    dir: &Path,
    label: &str,
    (arch, tc): (&Arch, Toolchain),
    targets: &[&str],
) -> Result<()> {
    let log_path = dir.join("userroot-make.log");
    let log = File::create(&log_path)?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get() + 1);
    let start = Instant::now();
    let mut child = inherit_only_what_is_needed(Command::new("make").arg("-C"))
        .arg(tree)
        .arg(format!("O={}", dir.display()))
        .arg(format!("ARCH={}", arch.name))
        .args(toolchain_args(tc, arch))
        .arg(format!("-j{jobs}"))
        .env("CCACHE_DIR", ws.cache.join("ccache"))
        .env("CCACHE_BASEDIR", &ws.cache)
        .env("CCACHE_NOHASHDIR", "1")
        // Not depend mode (CCACHE_DEPEND is not inherited): ccache 4.7
        // does not look for `.incbin` there, and served a piggy.o holding
        // an older kernel (arch/x86/boot/compressed/piggy.S includes the
        // compressed vmlinux by `.incbin`; its text changes only with the
        // sizes). Direct mode preprocesses on a miss, sees the `.incbin`
        // and does not cache such an object.
        .env("CCACHE_MAXSIZE", "8G")
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
