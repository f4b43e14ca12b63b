// SPDX-License-Identifier: GPL-2.0
//! The engine that `make test`, `make run` and `make compare` share: builds
//! what the chosen [`scenarios`] need, runs the gates, boots through the
//! one [`pool`], checks each boot against its scenario.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::bench;
use crate::config;
use crate::error::Result;
use crate::gates;
use crate::image;
use crate::kernels;
use crate::parser::{self, Report};
use crate::pool::{self, PARALLEL};
use crate::printer::Tap;
use crate::qemu::{self, Accel, Boot, Booted};
use crate::scenarios::{
    all, boot_path, find, in_run, twins, Check, Scenario, FIRST, NEVER, POPULATE_ROOTFS, TIMEOUT,
};
use crate::workspace::{phase, phase_secs, phases, step, Workspace};

/// Builds what the chosen scenarios need, runs the gates, boots the
/// scenarios two at a time, prints TAP in order, the time of each phase and
/// the closing count; true when all passed.
pub fn run_all(ws: &Workspace, pattern: Option<&str>, arch: Option<&str>) -> Result<bool> {
    let matches = |name: &str| pattern.is_none_or(|p| name.contains(p));
    let chosen: Vec<&Scenario> = in_run(arch)
        .into_iter()
        .filter(|s| matches(s.name))
        .collect();
    // The gates check the series and the builds of every architecture:
    // a run for one architecture lists them as skipped.
    let gates: Vec<_> = gates::GATES.iter().filter(|g| matches(g.name)).collect();
    let (gates, skipped): (Vec<_>, Vec<_>) = gates.into_iter().partition(|_| arch.is_none());
    if chosen.is_empty() && gates.is_empty() {
        return Err(format!("nothing matches {pattern:?}; see `userroot list`").into());
    }
    // A scenario compared with another needs that one booted too.
    let mut booted: Vec<&Scenario> = Vec::new();
    for s in &chosen {
        for name in twins(s).chain([s.name]) {
            let t = find(name)?;
            if !booted.iter().any(|b| b.name == t.name) {
                booted.push(t);
            }
        }
    }
    booted.sort_by_key(|s| all().position(|x| x.name == s.name));

    let mut runner = Runner::new(ws)?;
    for s in &booted {
        runner.prepare(s)?;
    }
    for name in gates.iter().flat_map(|g| (g.kernels)()) {
        runner.kernel(name)?;
    }
    phase_secs("images", runner.images_time.as_secs(), "made or reused");
    // The probe boots a kernel: only when something is to be booted.
    let accel = if booted.is_empty() {
        Accel::Tcg
    } else {
        runner.accel()?
    };
    let mut tap = Tap::start(gates.len() + skipped.len() + chosen.len());
    // Debian's package moves under the project: every result names it.
    println!("# Linux source: {}", ws.linux_source()?.trim());
    for gate in skipped {
        tap.skip(
            gate.name,
            "a gate of every architecture: not run with --arch",
        );
    }
    for gate in gates {
        let start = Instant::now();
        let result = (gate.run)(ws);
        phase(&format!("gate {}", gate.name), start, "run");
        match result {
            Ok(failures) => tap.result(gate.name, &failures, "gate"),
            Err(e) => match e.downcast_ref::<crate::error::Skip>() {
                Some(why) => tap.skip(gate.name, &why.0),
                None => tap.result(gate.name, &[e.to_string()], "gate"),
            },
        }
    }

    let start = Instant::now();
    let jobs = runner.jobs(&booted);
    // Every scenario chosen and every twin is among the booted, by
    // construction above; a miss is a bug of the runner, not boot 0.
    let index = |name: &str| {
        booted
            .iter()
            .position(|b| b.name == name)
            .unwrap_or_else(|| panic!("{name} was not booted"))
    };
    pool::run(
        &jobs,
        |job| boot_job(job, accel),
        // Results in the order of the scenarios, each once its twins are
        // done.
        |outcomes| {
            for s in &chosen {
                let (failures, note) = match outcomes.wait(index(s.name)) {
                    Ok(out) => {
                        let twin_reports: BTreeMap<_, _> = twins(s)
                            .map(|t| (t, outcomes.wait(index(t)).ok().map(|o| o.report)))
                            .collect();
                        let mut failures = check(s, &out, &twin_reports);
                        // A twin booted only for this comparison has no TAP
                        // line of its own: its kernel trouble fails this one.
                        for (t, report) in &twin_reports {
                            if chosen.iter().all(|c| c.name != *t) {
                                for trouble in report.iter().flat_map(|r| &r.trouble) {
                                    failures.push(format!("{t}: kernel: {trouble}"));
                                }
                            }
                        }
                        (failures, format!("{:.1}s", out.booted.secs))
                    }
                    Err(e) => (vec![e], "not booted".into()),
                };
                tap.result(s.name, &failures, &note);
                if !failures.is_empty() {
                    println!("#   log: {}", runner.log(s).display());
                }
            }
        },
    );
    phase(
        &format!("{} boots", booted.len()),
        start,
        &format!("{PARALLEL} at a time"),
    );
    for line in phases() {
        println!("# time: {line}");
    }
    Ok(tap.finish())
}

/// The boots `make run` shows: the user root, then the same kernel with it
/// switched off (stock behaviour).
const DEMO: &[&str] = &["external-initramfs", "switch-off-external"];

/// `make run`: boot from an external initramfs with the user root on and
/// off and show, in a line each, what `/` is and what pivot_root(2) does
/// there. Each boot is checked as `make test` checks it, but for the
/// comparisons with boots that are not among these two.
pub fn demo(ws: &Workspace, version: &str) -> Result<bool> {
    let mut runner = Runner::new(ws)?;
    let chosen: Vec<&Scenario> = DEMO.iter().map(|n| find(n)).collect::<Result<_>>()?;
    for s in &chosen {
        runner.prepare(s)?;
    }
    let accel = runner.accel()?;
    let jobs = runner.jobs(&chosen);
    let ok = pool::run(
        &jobs,
        |job| boot_job(job, accel),
        |outcomes| -> Result<bool> {
            let reports: BTreeMap<&str, Option<Report>> = chosen
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name, outcomes.wait(i).ok().map(|o| o.report)))
                .collect();
            println!();
            println!(
                "Linux {version}, kernel 'default', booted from an external initramfs ({accel:?}):"
            );
            let mut ok = true;
            for (i, s) in chosen.iter().enumerate() {
                let out = outcomes.wait(i)?;
                let r = &out.report;
                let value = |k| r.get(k).unwrap_or("(not reported)");
                let root_line = r
                    .display
                    .iter()
                    .find(|l| l.contains(" / / "))
                    .map_or("(not reported)", |l| l.trim());
                let how = if s.cmdline.is_empty() {
                    "user root on"
                } else {
                    s.cmdline
                };
                println!("  {how}:");
                println!("    / in mountinfo:  {root_line}");
                print!("    pivot_root(\".\", \"old\"): {}", value("pivot_root"));
                if r.get("pivot_root") == Some("ok") {
                    print!(
                        "; old root unmounted: {}, {} kB given back",
                        value("umount_old"),
                        value("old_root_freed_kb")
                    );
                }
                println!();
                let twins: BTreeMap<&str, Option<Report>> = twins(s)
                    .filter_map(|t| Some((t, reports.get(t)?.clone())))
                    .collect();
                for f in check(s, &out, &twins) {
                    println!("    FAILED: {f}");
                    ok = false;
                }
            }
            Ok(ok)
        },
    )?;
    println!(
        "Serial logs: {}/{{{}}}.log",
        ws.logs().display(),
        DEMO.join(",")
    );
    println!("`make test` runs every check; `make list` names them.");
    Ok(ok)
}

/// One finished boot.
#[derive(Clone)]
pub struct Outcome {
    /// What the guest and kernel reported.
    pub report: Report,
    /// How the boot ended.
    pub booted: Booted,
    /// The whole serial log.
    pub log: String,
    /// How the kernel's `initcall_debug` lines name populate_rootfs, where
    /// a check asks ([`POPULATE_ROOTFS`]).
    pub populate_rootfs: Option<String>,
}

/// What a boot must show: no timeout, no kernel trouble, the guest script
/// finished, every check. `twins` holds the reports of the scenarios it is
/// compared with (None: that boot failed); a comparison with a scenario
/// that is not in it, not booted in this run, is left out.
fn check(s: &Scenario, out: &Outcome, twins: &BTreeMap<&str, Option<Report>>) -> Vec<String> {
    let (r, booted, log) = (&out.report, &out.booted, &out.log);
    let mut failures = Vec::new();
    if booted.timed_out {
        failures.push(format!("timed out after {:.0}s", booted.secs));
    }
    failures.extend(r.trouble.iter().map(|t| format!("kernel: {t}")));
    if !r.done {
        failures.push("the guest did not finish its script".into());
    }
    let number = |report: &Report, key: &str| report.get(key).and_then(|v| v.parse::<u64>().ok());
    for c in s.checks.iter().flat_map(|g| g.iter()) {
        let failure = match c {
            Check::Is(key, want) => match r.get(key) {
                Some(got) if got == *want => None,
                got => Some(format!(
                    "{key}: expected {want}, got {}",
                    got.unwrap_or("nothing")
                )),
            },
            Check::Logs(line) => {
                (!log.contains(line)).then(|| format!("kernel log lacks {line:?}"))
            }
            Check::NotLogs(line) => log
                .contains(line)
                .then(|| format!("kernel log has {line:?}")),
            Check::LogsInOrder(texts) => {
                let name = out.populate_rootfs.as_deref().unwrap_or("(no name)");
                let texts: Vec<String> = texts
                    .iter()
                    .map(|t| t.replace(POPULATE_ROOTFS, name))
                    .collect();
                let mut at = 0;
                texts.iter().find_map(|t| match log[at..].find(t.as_str()) {
                    Some(i) => {
                        at += i + t.len();
                        None
                    }
                    None => Some(format!("kernel log lacks {t:?} in the order {texts:?}")),
                })
            }
            Check::LogAsTwin(twin, ..)
            | Check::SameAs(_, twin)
            | Check::Differs(_, twin)
            | Check::Near(_, twin, _)
                if !twins.contains_key(twin) =>
            {
                None
            }
            Check::LogAsTwin(twin, here, there) => match twins.get(twin).and_then(Option::as_ref) {
                None => Some(format!(
                    "boot-path log: no report from {twin} to compare with"
                )),
                Some(t) => log_as_twin(r, t, twin, here, there),
            },
            Check::AtLeast(key, min) => match number(r, key) {
                Some(n) if n >= *min => None,
                got => Some(format!("{key}: expected at least {min}, got {got:?}")),
            },
            Check::SameAs(key, twin) | Check::Differs(key, twin) => {
                let same = matches!(c, Check::SameAs(..));
                match twins.get(twin).and_then(Option::as_ref) {
                    None => Some(format!("{key}: no report from {twin} to compare with")),
                    Some(t)
                        if r.get(key).is_some()
                            && t.get(key).is_some()
                            && (r.get(key) == t.get(key)) == same =>
                    {
                        None
                    }
                    Some(t) => Some(format!(
                        "{key}: {} here, {} in {twin}, expected {}",
                        r.get(key).unwrap_or("nothing"),
                        t.get(key).unwrap_or("nothing"),
                        if same { "the same" } else { "a difference" }
                    )),
                }
            }
            Check::Equal(a, b) | Check::Unequal(a, b) => {
                let equal = matches!(c, Check::Equal(..));
                match (r.get(a), r.get(b)) {
                    (Some(x), Some(y)) if (x == y) == equal => None,
                    (x, y) => Some(format!(
                        "{a} = {} and {b} = {}: expected {}",
                        x.unwrap_or("nothing"),
                        y.unwrap_or("nothing"),
                        if equal { "equal" } else { "different" }
                    )),
                }
            }
            Check::Near(key, twin, tolerance) => match twins.get(twin).and_then(Option::as_ref) {
                None => Some(format!("{key}: no report from {twin} to compare with")),
                Some(t) => match (number(r, key), number(t, key)) {
                    (Some(a), Some(b)) if a.abs_diff(b) <= *tolerance => None,
                    (a, b) => Some(format!(
                        "{key}: {a:?} here, {b:?} in {twin} (allowed difference {tolerance})"
                    )),
                },
            },
        };
        failures.extend(failure);
    }
    // The rule an init can read on any kernel: pivot_root(2) leaves "/"
    // when "/" is not its own parent. Wherever the guest tried, they agree.
    if matches!(r.get("pivot_root"), Some("ok" | "EINVAL")) && r.get("rule_agrees") != Some("yes") {
        failures.push(format!(
            "rule_agrees: expected yes (\"/\" its own parent: {}, pivot_root: {}), got {}",
            r.get("root_own_parent").unwrap_or("nothing"),
            r.get("pivot_root").unwrap_or("nothing"),
            r.get("rule_agrees").unwrap_or("nothing")
        ));
    }
    for line in NEVER {
        // Unless the scenario asks for it: a fault point makes it happen.
        let asked = s
            .checks
            .iter()
            .flat_map(|g| g.iter())
            .any(|c| matches!(c, Check::Logs(l) if l.contains(line)));
        if log.contains(line) && !asked {
            failures.push(format!("kernel log has {line:?}"));
        }
    }
    failures
}

/// [`Check::LogAsTwin`]: the boot-path lines of `r` and of `twin`'s report
/// `t`, compared as multisets; what only one has must be what is expected
/// there, one line per expected start.
fn log_as_twin(
    r: &Report,
    t: &Report,
    twin: &str,
    here: &[&str],
    there: &[&str],
) -> Option<String> {
    let mut only_here = boot_path(r);
    let mut only_there = Vec::new();
    for line in boot_path(t) {
        match only_here.iter().position(|l| *l == line) {
            Some(i) => {
                only_here.remove(i);
            }
            None => only_there.push(line),
        }
    }
    let mut unexpected = Vec::new();
    for (lines, expected, side) in [
        (&mut only_here, here, "here"),
        (&mut only_there, there, twin),
    ] {
        for start in expected {
            match lines.iter().position(|l| l.starts_with(start)) {
                Some(i) => {
                    lines.remove(i);
                }
                None => unexpected.push(format!("no line {start:?} {side}")),
            }
        }
        // A progress line (RAMDISK's spinner) can run to kilobytes.
        unexpected.extend(lines.iter().map(|l| {
            let cut: String = l.chars().take(160).collect();
            format!("only {side}: {cut:?}")
        }));
    }
    (!unexpected.is_empty())
        .then(|| format!("boot-path log against {twin}'s: {}", unexpected.join("; ")))
}

/// The outcome of one boot, or why it did not happen.
type BootResult = std::result::Result<Outcome, String>;

/// Builds kernels and images once per run and boots scenarios.
pub struct Runner<'a> {
    ws: &'a Workspace,
    kernels: BTreeMap<&'static str, PathBuf>,
    images: BTreeMap<(&'static str, &'static str), PathBuf>,
    /// Time spent making or checking images, kernels apart (each kernel
    /// has its own phase line).
    images_time: Duration,
}

/// What one boot needs, resolved before the boots start.
#[derive(Clone)]
pub struct Prepared {
    /// The guest's architecture.
    pub arch: &'static qemu::Arch,
    /// The kernel image.
    pub kernel: PathBuf,
    /// The external initramfs.
    pub initrd: Option<PathBuf>,
    /// The disk image.
    pub disk: Option<PathBuf>,
    /// The serial log.
    pub log: PathBuf,
    /// How the kernel's `initcall_debug` lines name populate_rootfs, if a
    /// check needs it.
    pub populate_rootfs: Option<String>,
}

impl<'a> Runner<'a> {
    /// A runner; builds the default kernel, whose gen_init_cpio makes
    /// every initramfs.
    pub fn new(ws: &'a Workspace) -> Result<Self> {
        fs::create_dir_all(ws.logs())?;
        let runner = Self {
            ws,
            kernels: BTreeMap::new(),
            images: BTreeMap::new(),
            images_time: Duration::ZERO,
        };
        Ok(runner)
    }

    fn kernel(&mut self, name: &'static str) -> Result<PathBuf> {
        // The default kernel's usr/gen_init_cpio makes every initramfs,
        // built-in ones too: it goes first, once anything is built.
        if name != "default" && !self.kernels.contains_key("default") {
            self.kernel("default")?;
        }
        if !self.kernels.contains_key(name) {
            let image = kernels::image_of(self.ws, config::variant(name)?)?;
            self.kernels.insert(name, image);
        }
        Ok(self.kernels[name].clone())
    }

    fn image(&mut self, arch: &'static qemu::Arch, name: &'static str) -> Result<PathBuf> {
        let key = (arch.name, name);
        if !self.images.contains_key(&key) {
            self.kernel("default")?;
            let start = Instant::now();
            let path = kernels::image(self.ws, arch, image::find(name)?)?;
            self.images_time += start.elapsed();
            self.images.insert(key, path);
        }
        Ok(self.images[&key].clone())
    }

    fn log(&self, s: &Scenario) -> PathBuf {
        self.ws.logs().join(format!("{}.log", s.name))
    }

    /// Builds the kernel and images of a scenario.
    pub fn prepare(&mut self, s: &Scenario) -> Result<Prepared> {
        let arch = config::variant(s.kernel)?.arch;
        let kernel = self.kernel(s.kernel)?;
        let names_populate = s.checks.iter().flat_map(|g| g.iter()).any(|c| {
            matches!(c, Check::LogsInOrder(texts) if texts.iter().any(|t| t.contains(POPULATE_ROOTFS)))
        });
        let build = self.ws.build(s.kernel);
        Ok(Prepared {
            arch,
            kernel,
            initrd: s.initrd.map(|i| self.image(arch, i)).transpose()?,
            disk: s.disk.map(|d| self.image(arch, d)).transpose()?,
            log: self.log(s),
            populate_rootfs: names_populate
                .then(|| {
                    bench::populate_rootfs_name(
                        &build.join(".config"),
                        Some(&build.join("System.map")),
                    )
                })
                .transpose()?,
        })
    }

    /// The pool's jobs for `list`: each scenario with its kernel and images.
    pub fn jobs(&mut self, list: &[&'static Scenario]) -> Vec<Job> {
        list.iter()
            .map(|s| (*s, self.prepare(s).map_err(|e| e.to_string())))
            .collect()
    }

    /// KVM if a probe boot of the first scenario finishes under it.
    fn accel(&mut self) -> Result<Accel> {
        let mut probe = self.prepare(FIRST)?;
        // Its own log: a probe that fails must not wipe the scenario's.
        probe.log = self.ws.logs().join("kvm-probe.log");
        let (accel, why) = qemu::choose_accel(|accel| match boot(FIRST, &probe, accel) {
            Err(e) => Err(e.to_string()),
            Ok(out) if out.booted.timed_out => {
                Err(format!("timed out; log: {}", probe.log.display()))
            }
            Ok(out) if !out.report.done => Err(format!(
                "the guest did not finish; log: {}",
                probe.log.display()
            )),
            Ok(_) => Ok(()),
        })?;
        step(&format!("QEMU accelerator: {accel:?} ({why})"));
        Ok(accel)
    }
}

/// A boot for the pool: a scenario and what it boots, or why that could
/// not be made.
pub type Job = (&'static Scenario, std::result::Result<Prepared, String>);

/// Boots a job; other architectures than the host's run under TCG.
fn boot_job((s, prepared): &Job, accel: Accel) -> BootResult {
    let p = prepared.as_ref().map_err(Clone::clone)?;
    let accel = if p.arch.debian == "amd64" {
        accel
    } else {
        Accel::Tcg
    };
    boot(s, p, accel).map_err(|e| e.to_string())
}

/// One boot of a prepared scenario.
pub fn boot(s: &Scenario, p: &Prepared, accel: Accel) -> Result<Outcome> {
    let timeout = if accel == Accel::Kvm {
        Duration::from_secs(20)
    } else {
        TIMEOUT
    };
    let booted = qemu::boot(
        accel,
        &Boot {
            arch: p.arch,
            kernel: &p.kernel,
            initrd: p.initrd.as_deref(),
            disk: p.disk.as_deref(),
            cmdline: s.cmdline,
            mem_mib: s.mem_mib,
            cpus: s.cpus,
            log: &p.log,
            timeout,
            icount: false,
        },
    )?;
    let log = String::from_utf8_lossy(&fs::read(&p.log)?).into_owned();
    Ok(Outcome {
        report: parser::parse(&log),
        booted,
        log,
        populate_rootfs: p.populate_rootfs.clone(),
    })
}
