// SPDX-License-Identifier: GPL-2.0
//! Checks other than the boot scenarios, each one TAP test in `make test`:
//! style and build gates as kernel maintainers run them, and the kselftest
//! under virtme-ng as kernel CI runs it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::{self, FULL_VARIANT};
use crate::error::Result;
use crate::key::{self, Key, Kind};
use crate::series::{self, Part, PATCHES};
use crate::workspace::{self, run, Workspace};
use crate::{kbuild, release, series_builds};

/// The Rust object the patch adds, relative to the tree.
const RUST_OBJECT: &str = "init/initramfs_user_root.o";
/// The Rust file it is built from.
const RUST_SOURCE: &str = "init/initramfs_user_root.rs";
/// The builds whose copy of the Rust object must keep its code out of
/// resident memory, and whose vmlinux must have no section mismatch: every
/// variant with the feature that compiles it its own way (debug
/// assertions, KASAN, -O2, another architecture or page size may leave a
/// closure or a generic function out of line), so not one that only adds
/// a built-in initramfs to another's build, nor the unpatched kernel.
fn resident_variants() -> Vec<&'static str> {
    config::VARIANTS
        .iter()
        .filter(|v| !v.unpatched && v.builtin_image.is_none() && v.fragments.contains(&"user-root"))
        .map(|v| v.name)
        .collect()
}

/// [`Gate::kernels`] of the gates that read the [`FULL_VARIANT`] kernel.
fn full() -> Vec<&'static str> {
    vec![FULL_VARIANT]
}

/// [`Gate::kernels`] of the gates that read no kernel.
fn none() -> Vec<&'static str> {
    Vec::new()
}
/// [`unless_passed_before`]'s inputs: the whole tree.
const WHOLE_TREE: &[&str] = &[""];
/// What of the series `make rustdoc` does not read: `init/`, where our
/// file is (documented by [`rustdoc_own_file`]), the documentation and the
/// tests. The rest of the tree is the Linux source, part of every key.
const NOT_READ_BY_RUSTDOC: &[&str] = &["init", "Documentation", "tools"];

/// The runner's source of the gates and of the series they check, part
/// of every gate's key.
const CHECK_LOGIC: [&str; 2] = [include_str!("gates.rs"), include_str!("series.rs")];

/// One gate: a name, the kernels it reads, and a check returning what it
/// found wrong.
pub struct Gate {
    /// Name, as printed in TAP.
    pub name: &'static str,
    /// The kernel variants it needs built (made before the gates run, so
    /// that their build time is theirs, not the gate's).
    pub kernels: fn() -> Vec<&'static str>,
    /// Runs the check; an empty list means it passed; a [`crate::error::Skip`]
    /// error means it could not run here.
    pub run: fn(&Workspace) -> Result<Vec<String>>,
}

/// All gates, in the order they run.
pub const GATES: &[Gate] = &[
    Gate {
        name: "rustfmtcheck",
        kernels: full,
        run: rustfmtcheck,
    },
    Gate {
        name: "clippy",
        kernels: full,
        run: clippy,
    },
    Gate {
        name: "resident-text-and-modpost",
        kernels: resident_variants,
        run: resident_text_and_modpost,
    },
    Gate {
        name: "vng-kselftest",
        kernels: || vec!["default"],
        run: vng_kselftest,
    },
    Gate {
        name: "series-checkpatch",
        kernels: none,
        run: series_checkpatch,
    },
    Gate {
        name: "series-every-patch-builds",
        kernels: full,
        run: series_builds,
    },
    Gate {
        name: "series-w1-no-new-warnings",
        kernels: full,
        run: series_w1,
    },
    Gate {
        name: "series-rustdoc",
        kernels: full,
        run: series_rustdoc,
    },
    Gate {
        name: "series-docs",
        kernels: none,
        run: series_docs,
    },
    Gate {
        name: "release-is-the-series",
        kernels: none,
        run: release::is_the_series,
    },
    Gate {
        name: "release-applies-debian12",
        kernels: none,
        run: release::applies_debian12,
    },
    Gate {
        name: "release-applies-debian13",
        kernels: none,
        run: release::applies_debian13,
    },
];

/// The pivot_root kselftest on the default kernel under virtme-ng (`vng`,
/// the host's root over 9p, TCG), judged by vng's exit code, the test's
/// (vng reports 255 when the host lacks udevd: set-up installs udev). The
/// guest's root is a 9p mount on rootfs, so it has a parent and every test
/// runs. Booted twice: straight onto the 9p root, and through virtme's own
/// initramfs (`--force-initramfs`, whose busybox switch_root empties the
/// user root and moves the 9p root over it): the same result both ways.
fn vng_kselftest(ws: &Workspace) -> Result<Vec<String>> {
    let want = "# Totals: pass:6 fail:0 xfail:0 xpass:0 skip:0 error:0";
    let mut failures = Vec::new();
    for (name, extra) in [
        ("vng-kselftest", None),
        ("vng-kselftest-initramfs", Some("--force-initramfs")),
    ] {
        let (status, text, log) = vng_run(ws, name, extra)?;
        let mut found = Vec::new();
        if !status.success() {
            found.push(format!("{name}: vng exited with {status}"));
        }
        if !text.contains(want) {
            found.push(format!("{name}: no {want:?}"));
        }
        if !found.is_empty() {
            found.push(format!("log: {}", log.display()));
        }
        failures.extend(found);
    }
    Ok(failures)
}

/// Runs the kselftest under vng with `extra` options; returns vng's exit
/// status, its output and where that was saved.
fn vng_run(
    ws: &Workspace,
    name: &str,
    extra: Option<&str>,
) -> Result<(std::process::ExitStatus, String, std::path::PathBuf)> {
    let v = config::variant("default")?;
    let kernel = ws.build(v.name).join(v.arch.kernel_image);
    let test = kbuild::kselftest(ws, v.arch)?;
    // Set-up installs vng into a venv in the cache; vng runs the venv's
    // virtme-run through PATH.
    let venv_bin = ws.cache.join("venv/bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .arg("600")
        .arg(venv_bin.join("vng"))
        .env("PATH", path)
        .arg("--run")
        .arg(&kernel)
        .args(["--disable-kvm", "--force-9p", "--memory", "1G"])
        .args(extra)
        .arg("--")
        .arg(format!("cd /tmp && {}", test.display()))
        .stdin(Stdio::null())
        .output()?;
    let log = ws.logs().join(format!("{name}.log"));
    fs::write(&log, [out.stdout, out.stderr].concat())?;
    Ok((out.status, fs::read_to_string(&log)?, log))
}

/// `make rustfmtcheck` over the whole tree, ours included.
fn rustfmtcheck(ws: &Workspace) -> Result<Vec<String>> {
    Ok(
        match kbuild::leaving_image(ws, FULL_VARIANT, || {
            kbuild::make(ws, config::variant(FULL_VARIANT)?, &["rustfmtcheck"])
        }) {
            Ok(()) => Vec::new(),
            Err(e) => vec![e.to_string()],
        },
    )
}

/// Rebuilds the Rust object with `CLIPPY=1` and relinks vmlinux. Fails on a
/// rustc or clippy warning (only our object is compiled) or a warning that
/// names our file.
fn clippy(ws: &Workspace) -> Result<Vec<String>> {
    println!("# clippy: on the {} kernel's build", built_by(FULL_VARIANT));
    unless_passed_before(ws, "clippy", WHOLE_TREE, clippy_now)
}

/// A kernel variant and what compiled its C, for the gates' lines: the
/// Rust object is rustc's either way, but its flags and the C around it
/// follow the toolchain.
fn built_by(name: &str) -> String {
    match config::variant(name) {
        Ok(v) => format!("{name} ({}, {})", v.toolchain.name(), v.arch.name),
        Err(_) => name.to_string(),
    }
}

/// [`clippy`], run.
fn clippy_now(ws: &Workspace) -> Result<Vec<String>> {
    let v = config::variant(FULL_VARIANT)?;
    let _ = fs::remove_file(ws.build(v.name).join(RUST_OBJECT));
    kbuild::make(ws, v, &[RUST_OBJECT, "CLIPPY=1", "vmlinux"])?;
    let log = fs::read_to_string(ws.build(v.name).join("userroot-make.log"))?;
    Ok(log
        .lines()
        .filter(|l| {
            l.starts_with("warning")
                || l.starts_with("error")
                || (l.contains("warning") && l.contains("initramfs_user_root"))
        })
        .map(|l| format!("{FULL_VARIANT}: {l}"))
        .collect())
}

/// Runs a gate on the [`FULL_VARIANT`] kernel's sources unless it passed
/// on the same ones before: the same `inputs` (parts of the series' last
/// commit, which is the project's tree, checked when it is written),
/// Linux source, configuration and toolchain give the same findings. Only
/// a pass is kept, as for the series' builds.
fn unless_passed_before(
    ws: &Workspace,
    name: &str,
    inputs: &[&str],
    check: impl FnOnce(&Workspace) -> Result<Vec<String>>,
) -> Result<Vec<String>> {
    let git = series::git(ws)?;
    let v = config::variant(FULL_VARIANT)?;
    kbuild::build(ws, v, None)?;
    let mut read = String::new();
    for part in inputs {
        read += &git.run(&["rev-parse", &format!("{}:{part}", series::BRANCH)])?;
    }
    read += &key::files_digest(&[&ws.build(v.name).join(".config")])?;
    read += &ws.linux_source()?;
    read += &kbuild::toolchain(v.toolchain)?;
    // The checks themselves: a stricter gate or justification list must
    // run again, not print "passed before".
    let key = Key::new(Kind::Gate)
        .bytes("check", CHECK_LOGIC.concat())
        .bytes("inputs", read);
    workspace::unless_passed_before(ws, name, &key, || check(ws))
}

/// For each build of [`resident_variants`]: the Rust object keeps its code
/// in `.init.text`, freed after boot, and modpost finds no section mismatch
/// in vmlinux.
fn resident_text_and_modpost(ws: &Workspace) -> Result<Vec<String>> {
    let mut failures = Vec::new();
    let mut levels = Vec::new();
    let names = resident_variants();
    for name in &names {
        let v = config::variant(name)?;
        kbuild::build(ws, v, None)?;
        levels.push(rust_opt_level(&ws.build(name).join(".config"))?);
        failures.extend(
            resident_text(&ws.build(name).join(RUST_OBJECT))?
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
        failures.extend(
            section_mismatches(ws, v)?
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    for wanted in ["-Os", "-O2"] {
        if !levels.contains(&wanted) {
            failures.push(format!("no build at {wanted} among {names:?}"));
        }
    }
    let covered: Vec<String> = names
        .iter()
        .zip(&levels)
        .map(|(name, level)| format!("{} {level}", built_by(name)))
        .collect();
    println!("# resident-text-and-modpost: {}", covered.join(", "));
    Ok(failures)
}

/// The optimisation level the kernel's Makefile gives rustc for a
/// `.config`: `-Copt-level=s` with `CC_OPTIMIZE_FOR_SIZE`, else `2`.
fn rust_opt_level(config: &Path) -> Result<&'static str> {
    let text = fs::read_to_string(config)?;
    Ok(
        if text.lines().any(|l| l == "CONFIG_CC_OPTIMIZE_FOR_SIZE=y") {
            "-Os"
        } else {
            "-O2"
        },
    )
}

/// Code that the compiler puts in the object and that may stay resident,
/// by a part of its name: core's `Display` shim of `&CStr` (18 bytes on
/// x86_64, 32 on arm64); with debug assertions,
/// `core::hint::unreachable_unchecked` and its precondition check, which
/// LLVM puts in `.text.unlikely.` (33 bytes on x86_64); with KASAN, the
/// sanitizer's constructor and destructor, which register the object's
/// globals and which every instrumented object has, C's alike.
const ALLOWED_RESIDENT: &[&[&str]] = &[
    &["4core3fmt", "4CStr", "7Display3fmt"],
    &["4core4hint21unreachable_unchecked"],
    &["asan.module_ctor"],
    &["asan.module_dtor"],
];

/// Every executable section of the object but `.init.text` (freed after
/// boot) holds only [`ALLOWED_RESIDENT`]: a closure or a generic function of
/// ours instantiated out of line would land there.
fn resident_text(object: &Path) -> Result<Vec<String>> {
    let sections = run(Command::new("llvm-readelf")
        .args(["-S", "--wide"])
        .arg(object))?;
    let symbols = run(Command::new("llvm-objdump").arg("-t").arg(object))?;
    let symbols = String::from_utf8_lossy(&symbols);
    let mut failures = Vec::new();
    for line in String::from_utf8_lossy(&sections).lines() {
        // [Nr] Name Type Address Off Size ES Flg Lk Inf Al
        let Some((_, rest)) = line.split_once(']') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let (Some(name), Some(size), Some(flags)) = (f.first(), f.get(4), f.get(6)) else {
            continue;
        };
        if !flags.contains('X') || name.starts_with(".init.text") {
            continue;
        }
        let size = u64::from_str_radix(size, 16)?;
        let mut allowed = 0;
        for sym in symbols.lines().filter(|l| l.contains(" F ")) {
            let f: Vec<&str> = sym.split_whitespace().collect();
            if f.len() < 5 || f[f.len() - 3] != *name {
                continue;
            }
            let symbol = f[f.len() - 1];
            if ALLOWED_RESIDENT
                .iter()
                .any(|parts| parts.iter().all(|p| symbol.contains(p)))
            {
                allowed += u64::from_str_radix(f[f.len() - 2], 16)?;
            } else {
                failures.push(format!("{name}: {symbol} stays resident"));
            }
        }
        if size > allowed && failures.is_empty() {
            failures.push(format!(
                "{name}: {} bytes of code that no allowed function accounts for",
                size - allowed
            ));
        }
    }
    Ok(failures
        .into_iter()
        .map(|f| format!("{RUST_OBJECT}: {f}"))
        .collect())
}

/// Runs modpost on vmlinux.o again, with the command kbuild last ran it
/// with, and returns its section mismatch reports. 6.12 prints them as
/// `WARNING: modpost: vmlinux: section mismatch in reference: ...` and, with
/// `SECTION_MISMATCH_WARN_ONLY=y`, goes on: only the text tells.
fn section_mismatches(ws: &Workspace, v: &config::Variant) -> Result<Vec<String>> {
    kbuild::leaving_image(ws, v.name, || {
        kbuild::with_build_dir(ws, v.name, modpost_again)
    })
}

/// Runs modpost in the build directory `dir` as kbuild last ran it.
fn modpost_again(dir: &Path) -> Result<Vec<String>> {
    let saved = fs::read_to_string(dir.join(".vmlinux.symvers.cmd"))?;
    let cmd = saved
        .lines()
        .find_map(|l| l.split_once(":= ").map(|(_, c)| c.to_string()))
        .ok_or("no modpost command in .vmlinux.symvers.cmd")?;
    let out = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()?;
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    if !out.status.success() {
        return Err(format!("modpost failed: {text}").into());
    }
    Ok(mismatch_lines(&text))
}

/// The lines of modpost's output that report a section mismatch, however
/// they are worded.
fn mismatch_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.to_ascii_lowercase().contains("section mismatch"))
        .map(String::from)
        .collect()
}

/// One checkpatch finding: its patch, level, type, message and the lines
/// it quotes.
#[derive(Debug)]
struct Finding {
    patch: String,
    kind: String,
    text: String,
}

/// Splits checkpatch `--show-types` output into findings: a head line, then
/// the lines it quotes, up to a blank line.
fn findings(patch: &str, out: &str) -> Vec<Finding> {
    let mut found: Vec<Finding> = Vec::new();
    let mut open = false;
    for line in out.lines() {
        let head = ["ERROR:", "WARNING:", "CHECK:"]
            .iter()
            .find_map(|k| line.strip_prefix(k));
        if let Some(rest) = head {
            let (kind, _) = rest.split_once(':').unwrap_or((rest, ""));
            found.push(Finding {
                patch: patch.to_string(),
                kind: kind.to_string(),
                text: line.to_string(),
            });
            open = true;
        } else if line.trim().is_empty() {
            open = false;
        } else if let (true, Some(last)) = (open, found.last_mut()) {
            last.text.push('\n');
            last.text.push_str(line);
        }
    }
    found
}

/// `scripts/checkpatch.pl --strict` on every patch of the series. Each
/// finding must be explained by an entry of [`series::JUSTIFIED`] for its
/// patch, type and the line it flags, and each entry must explain exactly
/// as many findings as it says. checkpatch not finishing fails too.
fn series_checkpatch(ws: &Workspace) -> Result<Vec<String>> {
    let s = series::get(ws)?;
    let mut failures = Vec::new();
    let mut all = Vec::new();
    for patch in &s.patches {
        let out = Command::new("perl")
            .current_dir(ws.tree())
            .args(["scripts/checkpatch.pl", "--strict", "--show-types"])
            .arg(patch)
            .output()?;
        let name = patch
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = String::from_utf8_lossy(&out.stdout);
        // checkpatch ends with its count unless it died on the way.
        if !text.contains(" lines checked") {
            failures.push(format!(
                "{name}: checkpatch did not finish ({}):\n{text}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        all.extend(findings(&name, &text));
    }
    let mut used = BTreeMap::new();
    for f in &all {
        match series::JUSTIFIED.iter().position(|j| {
            f.patch.starts_with(j.patch) && f.kind == j.kind && f.text.contains(j.flags)
        }) {
            Some(i) => {
                *used.entry(i).or_insert(0) += 1;
                println!(
                    "#   {}: {}\n#     kept: {}",
                    f.patch,
                    f.text.lines().next().unwrap_or(""),
                    series::JUSTIFIED[i].why
                );
            }
            None => failures.push(format!("{}: {}", f.patch, f.text)),
        }
    }
    for (i, j) in series::JUSTIFIED.iter().enumerate() {
        let n = used.get(&i).copied().unwrap_or(0);
        if n != j.count {
            failures.push(format!(
                "justification {} {} ({:?}) explains {n} finding(s), not {}",
                j.patch, j.kind, j.flags, j.count
            ));
        }
    }
    Ok(failures)
}

/// The base and every commit of the series build (the kernel image; the
/// kselftest from the commit that adds it).
fn series_builds(ws: &Workspace) -> Result<Vec<String>> {
    Ok(series_builds::build_all(ws)?
        .iter()
        .filter_map(|b| Some(format!("{}: {}", b.title, b.error.as_ref()?)))
        .collect())
}

/// No commit has a `W=1` warning in the touched files that the base does
/// not have, counted: a second instance of a base warning is a new one.
fn series_w1(ws: &Workspace) -> Result<Vec<String>> {
    println!(
        "# series-w1-no-new-warnings: every commit with the {} kernel's configuration and compiler",
        built_by(FULL_VARIANT)
    );
    let builds = series_builds::build_all(ws)?;
    let base = &builds[0].w1;
    Ok(builds[1..]
        .iter()
        .flat_map(|b| {
            new_findings(base, &b.w1)
                .into_iter()
                .map(move |w| format!("{}: {w}", b.title))
        })
        .collect())
}

/// What `after` has that `before` has not, as multisets.
pub fn new_findings(before: &[String], after: &[String]) -> Vec<String> {
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for b in before {
        *left.entry(b.as_str()).or_insert(0) += 1;
    }
    let mut new = Vec::new();
    for a in after {
        match left.get_mut(a.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => new.push(a.clone()),
        }
    }
    new
}

/// `make rustdoc` at the tip of the series, and rustdoc on the
/// feature's own file, which `make rustdoc` does not document: with the
/// flags kbuild compiles it with, private items included, every rustdoc
/// lint an error.
fn series_rustdoc(ws: &Workspace) -> Result<Vec<String>> {
    series_builds::build_all(ws)?;
    let top = series::git(ws)?.run(&["ls-tree", "--name-only", series::BRANCH])?;
    let read: Vec<&str> = top
        .lines()
        .filter(|name| !NOT_READ_BY_RUSTDOC.contains(name))
        .collect();
    let mut failures = unless_passed_before(ws, "make-rustdoc", &read, make_rustdoc)?;
    failures.extend(unless_passed_before(
        ws,
        "rustdoc-own-file",
        WHOLE_TREE,
        |ws| {
            kbuild::leaving_image(ws, FULL_VARIANT, || {
                kbuild::with_build_dir(ws, FULL_VARIANT, rustdoc_own_file)
            })
        },
    )?);
    Ok(failures)
}

/// `make rustdoc`: the documentation of the kernel's crates.
fn make_rustdoc(ws: &Workspace) -> Result<Vec<String>> {
    Ok(
        match kbuild::make(ws, config::variant(FULL_VARIANT)?, &["rustdoc"]) {
            Ok(()) => Vec::new(),
            Err(e) => vec![e.to_string()],
        },
    )
}

/// rustdoc on [`RUST_SOURCE`] with the command line kbuild compiled it with
/// (from its `.cmd` file), turned into a rustdoc one.
fn rustdoc_own_file(dir: &Path) -> Result<Vec<String>> {
    let cmd_file = dir.join("init/.initramfs_user_root.o.cmd");
    let saved = fs::read_to_string(&cmd_file)?;
    let cmd = saved
        .lines()
        .find_map(|l| l.split_once(":= ").map(|(_, c)| c.to_string()))
        .ok_or_else(|| format!("{}: no command", cmd_file.display()))?;
    let out_dir = dir.join("userroot-rustdoc");
    let _ = fs::remove_dir_all(&out_dir);
    let mut rustdoc = Vec::new();
    let mut words = cmd.split_whitespace();
    // `OBJTREE=... rustc <flags> <source>`, possibly followed by `; ...`:
    // rustc's flags less what only makes sense for code generation.
    while let Some(w) = words.next() {
        if w == ";" || w == "&&" {
            break;
        } else if w.ends_with("rustc") || w.ends_with("clippy-driver") {
            rustdoc.push("rustdoc".to_string());
        } else if w == "-o" || w == "--out-dir" {
            words.next();
        } else if !w.starts_with("--emit=") {
            rustdoc.push(w.to_string());
        }
    }
    rustdoc.extend(
        [
            "--document-private-items",
            "-Dwarnings",
            "-Drustdoc::all",
            "--output",
        ]
        .map(String::from),
    );
    rustdoc.push(out_dir.to_string_lossy().into_owned());
    let out = Command::new("sh")
        .arg("-c")
        .arg(rustdoc.join(" "))
        .current_dir(dir)
        // As kbuild sets it, for the unstable flags the kernel uses.
        .env("RUSTC_BOOTSTRAP", "1")
        .stdin(Stdio::null())
        .output()?;
    Ok(if out.status.success() && out.stderr.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "rustdoc {RUST_SOURCE}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )]
    })
}

/// The documentation the series touches: `scripts/kernel-doc` reports
/// nothing in the C files that it does not report at the base (compared
/// finding by finding, line numbers aside), and docutils parses the rst
/// files without a warning.
fn series_docs(ws: &Workspace) -> Result<Vec<String>> {
    let s = series::get(ws)?;
    let git = series::git(ws)?;
    let touched: Vec<&str> = PATCHES
        .iter()
        .flat_map(|p| p.parts)
        .map(|part| match part {
            Part::File(f) | Part::Hunks(f, _) => f.trim_end_matches(".patch"),
        })
        .collect();
    let scratch = series::root(ws).join("kernel-doc");
    fs::create_dir_all(&scratch)?;
    let kernel_doc = |rev: &str, file: &str| -> Result<Vec<String>> {
        // A file the series adds is empty at the base.
        let text = git
            .run(&["show", &format!("{rev}:{file}")])
            .unwrap_or_default();
        let copy = scratch.join(file.replace('/', "_"));
        fs::write(&copy, text)?;
        let out = Command::new("perl")
            .current_dir(ws.tree())
            .args(["scripts/kernel-doc", "-none", "-Wall"])
            .arg(&copy)
            .output()?;
        Ok(String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(series_builds::without_line_numbers)
            .collect())
    };
    let mut failures = Vec::new();
    for file in touched
        .iter()
        .filter(|f| f.ends_with(".c") || f.ends_with(".h"))
    {
        let before = kernel_doc(s.commits[0].as_str(), file)?;
        let after = kernel_doc(series::BRANCH, file)?;
        for f in new_findings(&before, &after) {
            failures.push(format!("kernel-doc {file}: {f}"));
        }
    }
    for file in touched.iter().filter(|f| f.ends_with(".rst")) {
        if let Err(e) = run(Command::new("rst2pseudoxml")
            .args(["--report=2", "--halt=2", "--no-generator"])
            .arg(ws.tree().join(file))
            .arg("/dev/null"))
        {
            failures.push(format!("{file}: {e}"));
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_findings_count_repeats() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(new_findings(&v(&["a", "b"]), &v(&["b", "a"])).is_empty());
        assert_eq!(new_findings(&v(&["a"]), &v(&["a", "a"])), v(&["a"]));
        assert_eq!(new_findings(&v(&[]), &v(&["c"])), v(&["c"]));
    }

    #[test]
    fn mismatch_lines_match_6_12_wording() {
        let out = "WARNING: modpost: vmlinux: section mismatch in reference: \
                   foo+0x1 (section: .text) -> bar (section: .init.text)\n\
                   WARNING: modpost: something else\n";
        assert_eq!(mismatch_lines(out).len(), 1);
        assert_eq!(
            mismatch_lines("Section mismatch in reference from").len(),
            1
        );
    }

    #[test]
    fn checkpatch_output_splits_into_findings() {
        let out = "WARNING:FILE_PATH_CHANGES: added, moved or deleted file(s)\n\
                   #12: \nnew file mode 100644\n\n\
                   WARNING:EMBEDDED_FILENAME: It's generally not useful\n\
                   #40: FILE: init/x.rs:3:\n+    kunit_assert!(\"init/x.rs\")\n\n\
                   total: 0 errors, 2 warnings, 10 lines checked\n";
        let f = findings("0003-x.patch", out);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].kind, "EMBEDDED_FILENAME");
        assert!(f[1].text.contains("kunit_assert!(\"init/x.rs\")"));
    }
}
