// SPDX-License-Identifier: GPL-2.0
//! `userroot`: build Linux 6.12 with the initramfs user root patch and
//! boot-test it in QEMU.
//!
//! One module per stage, after tools/testing/kunit: [`tree`] (kernel source),
//! [`config`] (kernel variants), [`kbuild`] (make), [`image`] (initramfs and
//! disk images), [`qemu`] (boot), [`parser`] (serial log), [`printer`] (TAP).
//! The boot scenarios are data, in [`scenarios`]; style and build checks
//! are in [`gates`].

mod bench;
mod config;
mod gates;
mod image;
mod kbuild;
mod parser;
mod printer;
mod qemu;
mod scenarios;
mod series;
mod tree;
mod workspace;

use std::process::ExitCode;

use workspace::Workspace;

/// Errors carry a message for the user; there is nothing to recover.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "\
usage: userroot COMMAND [ARGS]

  tree              unpack linux-source-6.12 and apply the project's files and patches
  patches           write the tree's edits back as <file>.patch and new files
  kernel [VARIANT]  build a kernel variant (default: default); last line: its bzImage
  run               build, boot from an initramfs and show what pivot_root(2) does
  test [PATTERN]    build what the scenarios need and boot them all (or those matching)
  list              list the boot scenarios
  series            write the patch series for the list; last line: its directory
  bench [BOOTS]     boot cost and hand-off figures, side by side (default 3 boots)

environment: USERROOT_CACHE (default ~/.cache/linux-userroot),
             USERROOT_ACCEL=tcg|kvm (default: probe KVM, fall back to TCG)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("userroot: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command; `Ok(false)` means it ran and something failed.
fn run(args: &[String]) -> Result<bool> {
    let ws = Workspace::discover()?;
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("tree") => {
            tree::materialise(&ws)?;
            println!("{}", ws.tree().display());
        }
        Some("patches") => tree::export(&ws)?,
        Some("kernel") => {
            tree::materialise(&ws)?;
            let variant = config::variant(arg(1).unwrap_or("default"))?;
            let bzimage = kbuild::build(&ws, variant)?;
            println!("{}", bzimage.display());
        }
        Some("run") => {
            let version = tree::materialise(&ws)?;
            return scenarios::demo(&ws, &version);
        }
        Some("test") => {
            tree::materialise(&ws)?;
            return scenarios::run_all(&ws, arg(1));
        }
        Some("list") => scenarios::list(),
        Some("series") => {
            tree::materialise(&ws)?;
            println!("{}", series::get(&ws)?.dir.display());
        }
        Some("bench") => {
            tree::materialise(&ws)?;
            // Instruction-counted boots repeat exactly; more only show it.
            let boots = arg(1).map_or(Ok(3), str::parse)?;
            return bench::run_bench(&ws, boots);
        }
        Some("-h" | "--help" | "help") => println!("{USAGE}"),
        _ => return Err(format!("unknown command\n{USAGE}").into()),
    }
    Ok(true)
}
