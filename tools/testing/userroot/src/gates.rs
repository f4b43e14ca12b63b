// SPDX-License-Identifier: GPL-2.0
//! Checks other than the boot scenarios, each one TAP test in `make test`:
//! style and build gates as kernel maintainers run them, and the kselftest
//! under virtme-ng as kernel CI runs it.

use std::fs;
use std::process::{Command, Stdio};

use crate::series::{self, Part, PATCHES};
use crate::workspace::{run, Workspace};
use crate::{kbuild, qemu, Result};

/// The Rust objects the patch adds, relative to the tree.
const RUST_OBJECTS: &[&str] = &["init/initramfs_user_root.o"];
/// The variant that compiles every line of them (the KUnit suite included).
pub const FULL_VARIANT: &str = "kunit";

/// One gate: a name and a check returning what it found wrong.
pub struct Gate {
    /// Name, as printed in TAP.
    pub name: &'static str,
    /// Runs the check; an empty list means it passed.
    pub run: fn(&Workspace) -> Result<Vec<String>>,
}

/// All gates, in the order they run.
pub const GATES: &[Gate] = &[
    Gate {
        name: "rustfmtcheck",
        run: rustfmtcheck,
    },
    Gate {
        name: "clippy-and-modpost",
        run: clippy_and_modpost,
    },
    Gate {
        name: "vng-kselftest",
        run: vng_kselftest,
    },
    Gate {
        name: "series-checkpatch",
        run: series_checkpatch,
    },
    Gate {
        name: "series-every-patch-builds",
        run: series_builds,
    },
    Gate {
        name: "series-w1-no-new-warnings",
        run: series_w1,
    },
    Gate {
        name: "series-rustdoc",
        run: series_rustdoc,
    },
    Gate {
        name: "series-docs",
        run: series_docs,
    },
];

/// The pivot_root kselftest on the default kernel under virtme-ng (`vng`,
/// the host's root over 9p, TCG), judged by vng's exit code, the test's
/// (vng reports 255 when the host lacks udevd: set-up installs udev). The
/// guest's root is no initramfs, so the two boot-root cases skip.
fn vng_kselftest(ws: &Workspace) -> Result<Vec<String>> {
    let kernel = ws.build("default").join(qemu::ARCH.kernel_image);
    let test = kbuild::kselftest(ws)?;
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
        .args(["--disable-kvm", "--force-9p", "--memory", "1G", "--"])
        .arg(format!("cd /tmp && {}", test.display()))
        .stdin(Stdio::null())
        .output()?;
    let log = ws.logs().join("vng-kselftest.log");
    fs::write(&log, [out.stdout, out.stderr].concat())?;
    let text = fs::read_to_string(&log)?;
    let want = "# Totals: pass:5 fail:0 xfail:0 xpass:0 skip:2 error:0";
    let mut failures = Vec::new();
    if !out.status.success() {
        failures.push(format!("vng exited with {}", out.status));
    }
    if !text.contains(want) {
        failures.push(format!("no {want:?}"));
    }
    if !failures.is_empty() {
        failures.push(format!("log: {}", log.display()));
    }
    Ok(failures)
}

/// `make LLVM=1 rustfmtcheck` over the whole tree, ours included.
fn rustfmtcheck(ws: &Workspace) -> Result<Vec<String>> {
    Ok(match kbuild::make(ws, FULL_VARIANT, &["rustfmtcheck"]) {
        Ok(()) => Vec::new(),
        Err(e) => vec![e.to_string()],
    })
}

/// Rebuilds our Rust objects with `CLIPPY=1` and relinks vmlinux so that
/// modpost runs. Fails on a rustc/clippy warning (only our objects are
/// compiled), a warning naming our files, or a section mismatch; the stock
/// build's objtool noise on vmlinux.o names neither.
fn clippy_and_modpost(ws: &Workspace) -> Result<Vec<String>> {
    for obj in RUST_OBJECTS {
        let _ = fs::remove_file(ws.build(FULL_VARIANT).join(obj));
    }
    let mut targets = RUST_OBJECTS.to_vec();
    targets.extend(["CLIPPY=1", "vmlinux"]);
    kbuild::make(ws, FULL_VARIANT, &targets)?;
    let log = fs::read_to_string(ws.build(FULL_VARIANT).join("userroot-make.log"))?;
    let mut failures: Vec<String> = log
        .lines()
        .filter(|l| {
            l.starts_with("warning")
                || l.contains("Section mismatch")
                || (l.contains("warning") && l.contains("initramfs_user_root"))
        })
        .map(|l| format!("{FULL_VARIANT}: {l}"))
        .collect();
    failures.extend(resident_text(ws)?);
    Ok(failures)
}

/// The Rust objects keep their code in `.init.text`, freed after boot. The
/// only `.text` allowed is core's 18-byte `Display` shim for `&CStr`; a
/// closure or an iterator adapter instantiated for us would land there too.
fn resident_text(ws: &Workspace) -> Result<Vec<String>> {
    const ALLOWED: u64 = 0x12;
    let mut failures = Vec::new();
    for obj in RUST_OBJECTS {
        let out = run(Command::new("llvm-objdump")
            .args(["-h"])
            .arg(ws.build(FULL_VARIANT).join(obj)))?;
        for line in String::from_utf8_lossy(&out).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(1) == Some(&".text") {
                let size = u64::from_str_radix(f.get(2).unwrap_or(&"0"), 16)?;
                if size > ALLOWED {
                    failures.push(format!(
                        "{obj}: {size} bytes of .text (allowed {ALLOWED}): see llvm-objdump -t"
                    ));
                }
            }
        }
    }
    Ok(failures)
}

/// `scripts/checkpatch.pl --strict` on every patch of the series. A finding
/// passes only if [`series::JUSTIFIED`] explains it for that patch.
fn series_checkpatch(ws: &Workspace) -> Result<Vec<String>> {
    let s = series::get(ws)?;
    let mut failures = Vec::new();
    for patch in &s.patches {
        let out = Command::new("perl")
            .current_dir(&s.tree)
            .args(["scripts/checkpatch.pl", "--strict", "--show-types", "--no-summary"])
            .arg(patch)
            .output()?;
        let name = patch.file_name().unwrap_or_default().to_string_lossy();
        let text = String::from_utf8_lossy(&out.stdout);
        for finding in text
            .lines()
            .filter(|l| ["ERROR:", "WARNING:", "CHECK:"].iter().any(|k| l.starts_with(k)))
        {
            match series::JUSTIFIED
                .iter()
                .find(|j| name.starts_with(j.patch) && finding.contains(j.finding))
            {
                Some(j) => println!("#   {name}: {finding}\n#     kept: {}", j.why),
                None => failures.push(format!("{name}: {finding}")),
            }
        }
        if !out.status.success() && failures.is_empty() && !text.contains("WARNING:") {
            failures.push(format!("{name}: checkpatch failed:\n{text}"));
        }
    }
    Ok(failures)
}

/// The base and every commit of the series build (bzImage; the kselftest
/// from the commit that adds it).
fn series_builds(ws: &Workspace) -> Result<Vec<String>> {
    Ok(series::build_all(ws)?
        .iter()
        .filter_map(|b| Some(format!("{}: {}", b.title, b.error.as_ref()?)))
        .collect())
}

/// No commit has a `W=1` warning in the touched files that the base does
/// not have.
fn series_w1(ws: &Workspace) -> Result<Vec<String>> {
    let builds = series::build_all(ws)?;
    let base = &builds[0].w1;
    Ok(builds[1..]
        .iter()
        .flat_map(|b| {
            b.w1.iter()
                .filter(|w| !base.contains(w))
                .map(move |w| format!("{}: {w}", b.title))
        })
        .collect())
}

/// `make LLVM=1 rustdoc` on the series' last commit, once per tree.
fn series_rustdoc(ws: &Workspace) -> Result<Vec<String>> {
    let s = series::get(ws)?;
    series::build_all(ws)?;
    let dir = series::build_dir(ws, FULL_VARIANT);
    let tree = series::git(ws, s)?.run(&["rev-parse", "HEAD^{tree}"])?;
    let stamp = dir.join(format!("userroot-results/rustdoc-{tree}"));
    if stamp.exists() {
        return Ok(Vec::new());
    }
    Ok(
        match kbuild::make_in(ws, &s.tree, &dir, "series", &["rustdoc"]) {
            Ok(()) => {
                fs::write(stamp, "ok\n")?;
                Vec::new()
            }
            Err(e) => vec![e.to_string()],
        },
    )
}

/// The documentation the series touches: `scripts/kernel-doc` finds no
/// more in the C files than at the base, and docutils parses the rst
/// files without a warning.
fn series_docs(ws: &Workspace) -> Result<Vec<String>> {
    let s = series::get(ws)?;
    let git = series::git(ws, s)?;
    let touched: Vec<&str> = PATCHES
        .iter()
        .flat_map(|p| p.parts)
        .map(|part| match part {
            Part::File(f) | Part::Hunks(f, _) => f.trim_end_matches(".patch"),
        })
        .collect();
    // kernel-doc reads the file as of a commit, without a checkout that
    // would make the next build recompile it.
    let scratch = series::build_dir(ws, "kernel-doc");
    fs::create_dir_all(&scratch)?;
    let kernel_doc = |rev: &str, file: &str| -> Result<String> {
        // A file the series adds is empty at the base.
        let text = git.run(&["show", &format!("{rev}:{file}")]).unwrap_or_default();
        let copy = scratch.join(file.replace('/', "_"));
        fs::write(&copy, text)?;
        let out = Command::new("perl")
            .current_dir(&s.tree)
            .args(["scripts/kernel-doc", "-none", "-Wall"])
            .arg(&copy)
            .output()?;
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let mut failures = Vec::new();
    for file in touched.iter().filter(|f| f.ends_with(".c") || f.ends_with(".h")) {
        let before = kernel_doc(s.commits[0].as_str(), file)?;
        let after = kernel_doc(series::BRANCH, file)?;
        if after.lines().count() > before.lines().count() {
            failures.push(format!("kernel-doc {file}:\n{after}"));
        }
    }
    for file in touched.iter().filter(|f| f.ends_with(".rst")) {
        if let Err(e) = run(Command::new("rst2pseudoxml")
            .args(["--report=2", "--halt=2", "--no-generator"])
            .arg(s.tree.join(file))
            .arg("/dev/null"))
        {
            failures.push(format!("{file}: {e}"));
        }
    }
    Ok(failures)
}
