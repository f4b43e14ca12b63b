// SPDX-License-Identifier: GPL-2.0
//! `userroot`: build Linux 6.12 with the initramfs user root patch and
//! boot-test it in QEMU.
//!
//! One module per stage, after tools/testing/kunit: [`tree`] (kernel source),
//! [`config`] (kernel variants), [`kbuild`] (make), [`image`] (initramfs and
//! disk images), [`kernels`] (a variant's image, its inputs made first),
//! [`qemu`] (boot), [`parser`] (serial log), [`printer`] (TAP). No module
//! imports one that imports it back.
//! The boot scenarios are data, in [`scenarios`]; style and build checks
//! are in [`gates`]. Whatever the cache keeps is keyed one way, by [`key`];
//! every module's error type is [`error`]'s.

mod bench;
mod compare;
mod config;
mod damage;
mod debian;
mod engine;
mod error;
mod gates;
mod image;
mod kbuild;
mod kconfig;
mod kernels;
mod key;
mod parser;
mod pool;
mod printer;
mod qemu;
mod release;
mod scenarios;
mod series;
mod series_builds;
mod tree;
mod workspace;

use std::process::ExitCode;

use workspace::Workspace;

use error::Result;

const USAGE: &str = "\
usage: userroot COMMAND [ARGS]

  tree              unpack linux-source-6.12 and apply the project's files and patches
  patches           write the tree's edits back as <file>.patch and new files
  kernel [VARIANT]  build a kernel variant (default: default); last line: its image
  run               build, boot from an initramfs and show what pivot_root(2) does
  test [--arch A] [PATTERN]
                    gates and boot scenarios (x86_64 and arm64's main ones; with
                    --arch, all of that architecture's), or those matching
  bench [--arch A] [BOOTS]
                    boot cost and hand-off figures, side by side (default 3 boots)
  compare [--arch A]
                    the scenarios that need no switch on Debian 13's 6.12, this
                    series and Debian's 7.x (nullfs): one table
  debian            fetch Debian's kernels for `compare`; print their images
  list              list the boot scenarios
  series            write the patch series for the list; last line: its directory
  release           write the series into release/6.12.y/ (patches, quilt series,
                    one combined diff); last line: the directory

environment: USERROOT_CACHE (default ~/.cache/linux-userroot),
             USERROOT_ACCEL=tcg|kvm (default: probe KVM, fall back to TCG)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            let text = match Workspace::discover() {
                Ok(ws) => ws.explain(e.as_ref()),
                Err(_) => e.to_string(),
            };
            eprintln!("userroot: error: {text}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command; `Ok(false)` means it ran and something failed.
fn run(args: &[String]) -> Result<bool> {
    let ws = Workspace::discover()?;
    let arg = |i: usize| args.get(i).map(String::as_str);
    let _lock = match arg(0) {
        Some("list" | "-h" | "--help" | "help") | None => None,
        Some(_) => Some(ws.lock()?),
    };
    // What a boot needs, said before anything is built.
    let boots_on: &[&qemu::Arch] = match arg(0) {
        Some("test") => &[&qemu::X86_64, &qemu::ARM64],
        Some("run") => &[&qemu::X86_64],
        Some("bench" | "compare") => &[arch_of(arch_and_rest(&args[1..])?.0)],
        _ => &[],
    };
    if !boots_on.is_empty() {
        qemu::installed(boots_on)?;
        ws.has_room()?;
    }
    match arg(0) {
        Some("tree") => {
            tree::materialise(&ws)?;
            println!("{}", ws.tree().display());
        }
        Some("patches") => tree::export(&ws)?,
        Some("kernel") => {
            tree::materialise(&ws)?;
            let variant = config::variant(arg(1).unwrap_or("default"))?;
            let image = kernels::image_of(&ws, variant)?;
            println!("{}", image.display());
        }
        Some("run") => {
            let version = tree::materialise(&ws)?;
            return engine::demo(&ws, &version);
        }
        Some("test") => {
            let (arch, pattern) = arch_and_rest(&args[1..])?;
            let pattern = pattern.first().copied();
            workspace::phase_since_make("set-up, runner build and unit tests");
            let start = std::time::Instant::now();
            tree::materialise(&ws)?;
            workspace::phase("source", start, "materialised");
            return engine::run_all(&ws, pattern, arch);
        }
        Some("list") => scenarios::list(),
        Some("series") => {
            tree::materialise(&ws)?;
            println!("{}", series::get(&ws)?.dir.display());
        }
        Some("release") => {
            tree::materialise(&ws)?;
            println!("{}", release::write(&ws)?.display());
        }
        Some("bench") => {
            tree::materialise(&ws)?;
            let (arch, rest) = arch_and_rest(&args[1..])?;
            let arch = arch_of(arch);
            // Instruction-counted boots repeat (the kernel's part exactly);
            // more only show it.
            let boots = rest.first().map_or(Ok(3), |b| b.parse())?;
            return bench::run_bench(&ws, arch, boots);
        }
        Some("debian") => {
            for k in debian::KERNELS {
                let f = debian::fetch(&ws, k)?;
                println!("{} {}: {}", k.name, f.package, f.image.display());
            }
        }
        Some("compare") => {
            tree::materialise(&ws)?;
            let (arch, _) = arch_and_rest(&args[1..])?;
            return compare::run_compare(&ws, arch_of(arch));
        }
        Some("-h" | "--help" | "help") => println!("{USAGE}"),
        _ => return Err(format!("unknown command\n{USAGE}").into()),
    }
    Ok(true)
}

/// The architecture `--arch` named (checked by [`arch_and_rest`]), x86_64
/// without it.
fn arch_of(name: Option<&str>) -> &'static qemu::Arch {
    match name {
        Some("arm64") => &qemu::ARM64,
        _ => &qemu::X86_64,
    }
}

/// Splits `--arch NAME` off the arguments of `test` and `bench`.
fn arch_and_rest(args: &[String]) -> Result<(Option<&str>, Vec<&str>)> {
    let mut arch = None;
    let mut rest = Vec::new();
    let mut it = args.iter().map(String::as_str);
    while let Some(a) = it.next() {
        if a == "--arch" {
            let name = it.next().ok_or("--arch needs x86_64 or arm64")?;
            if !["x86_64", "arm64"].contains(&name) {
                return Err(format!("--arch {name}: use x86_64 or arm64").into());
            }
            arch = Some(name);
        } else if !a.is_empty() {
            rest.push(a);
        }
    }
    Ok((arch, rest))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The modules of the runner another module names: `crate::name` and the
    /// items of `use crate::{a, b::c}`, doc links included.
    fn imports(src: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for (i, _) in src.match_indices("crate::") {
            let rest = &src[i + "crate::".len()..];
            // `crate::{a, b::{x, y}}` names a and b; `crate::c::f` names c.
            let mut names = Vec::new();
            match rest.strip_prefix('{') {
                Some(group) => {
                    let (mut depth, mut start) = (0, 0);
                    for (j, c) in group.char_indices() {
                        match c {
                            '{' => depth += 1,
                            '}' if depth > 0 => depth -= 1,
                            '}' | ',' if depth == 0 => {
                                names.push(&group[start..j]);
                                start = j + 1;
                                if c == '}' {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                None => names.push(rest),
            }
            for name in names {
                let name = name.trim_start();
                let end = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(name.len());
                if modules.contains(&name[..end]) {
                    found.insert(name[..end].to_string());
                }
            }
        }
        found
    }

    /// A path of imports that comes back to where it started, if any.
    fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            m: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == m) {
                let mut c = path[at..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            if done.contains(m) {
                return None;
            }
            path.push(m.to_string());
            for next in graph.get(m).into_iter().flatten() {
                if let Some(c) = visit(next, graph, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(m.to_string());
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
    }

    /// No module imports one that imports it back, however far round.
    #[test]
    fn no_import_circle() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files: BTreeMap<String, String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        let modules: BTreeSet<String> = files.keys().cloned().collect();
        let graph = files
            .iter()
            .map(|(m, src)| {
                let mut uses = imports(src, &modules);
                uses.remove(m);
                (m.clone(), uses)
            })
            .collect();
        assert_eq!(circle(&graph), None, "an import circle");
    }

    #[test]
    fn imports_read_groups_and_paths() {
        let modules = ["a", "b", "c", "d"].map(String::from).into();
        let src = "use crate::{a, b::{x, y}, Result};\n/// [`crate::c::f`]\nuse crate::d;";
        let want: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
        assert_eq!(imports(src, &modules), want);
        let graph = [("a", "b"), ("b", "c"), ("c", "a")]
            .map(|(m, n)| (m.to_string(), [n.to_string()].into()))
            .into();
        assert_eq!(
            circle(&graph),
            Some(["a", "b", "c", "a"].map(String::from).to_vec())
        );
    }
}
