// SPDX-License-Identifier: GPL-2.0
//! Where things live: the checkout (our files) and the cache outside it
//! (kernel source, build trees, images, logs), reused across runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::Result;
use crate::key::{Key, Stamp};

/// The checkout and the cache.
pub struct Workspace {
    /// Top of the project checkout.
    pub repo: PathBuf,
    /// Cache directory outside the checkout.
    pub cache: PathBuf,
}

impl Workspace {
    /// Finds the checkout from `USERROOT_REPO` (set by the Makefile) or this
    /// crate's build-time location, and the cache from `USERROOT_CACHE`,
    /// `XDG_CACHE_HOME` or `HOME`.
    pub fn discover() -> Result<Self> {
        let repo = match std::env::var_os("USERROOT_REPO") {
            Some(dir) => PathBuf::from(dir),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.."),
        };
        let repo = repo.canonicalize()?;
        let cache = match std::env::var_os("USERROOT_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
                .ok_or("set USERROOT_CACHE or HOME")?
                .join("linux-userroot"),
        };
        std::fs::create_dir_all(&cache)?;
        Ok(Self { repo, cache })
    }

    /// Our tooling directory in the checkout.
    pub fn tool_dir(&self) -> PathBuf {
        self.repo.join("tools/testing/userroot")
    }

    /// Debian's linux-source-6.12, unpacked and never modified.
    pub fn pristine(&self) -> PathBuf {
        self.cache.join("src/pristine")
    }

    /// The source tree the kernels are built from: pristine plus our files.
    pub fn tree(&self) -> PathBuf {
        self.cache.join("src/linux")
    }

    /// Which Linux source the tree is made from (version and Debian
    /// package), as the tree step recorded it: part of the key of
    /// everything built from the tree.
    pub fn linux_source(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.cache.join("src/VERSION"))?)
    }

    /// Copies of what was last written into the tree, to spot local edits.
    pub fn applied(&self) -> PathBuf {
        self.cache.join("src/applied")
    }

    /// The `O=` build directory of one kernel variant.
    pub fn build(&self, variant: &str) -> PathBuf {
        self.cache.join("build").join(variant)
    }

    /// Generated initramfs and disk images.
    pub fn images(&self) -> PathBuf {
        self.cache.join("images")
    }

    /// Serial logs of the boots, one per scenario.
    pub fn logs(&self) -> PathBuf {
        self.cache.join("logs")
    }

    /// Writes what `command` measured to `results/<name>` in the checkout,
    /// to be committed as measured: a title, then when, by what, of which
    /// commit and Linux, on which host, then `body`. Returns the path.
    pub fn write_results(
        &self,
        name: &str,
        command: &str,
        title: &str,
        body: &str,
    ) -> Result<PathBuf> {
        let git = |args: &[&str]| {
            run(Command::new("git").arg("-C").arg(&self.repo).args(args))
                .map(|o| String::from_utf8_lossy(&o).trim().to_string())
                .unwrap_or_default()
        };
        let commit = git(&["rev-parse", "--short=12", "HEAD"]);
        // The results files are what these commands write, not what they
        // measure.
        let changes = [
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!results",
        ];
        let dirty = if git(&changes).is_empty() {
            ""
        } else {
            " with uncommitted changes"
        };
        let date = run(Command::new("date").args(["-u", "+%Y-%m-%d"]))
            .map(|o| String::from_utf8_lossy(&o).trim().to_string())?;
        let text = format!(
            "# {title}\n\nMeasured on {date} by `{command}`, commit {commit}{dirty}, \
             Linux {}, on {}.\n\n{body}",
            self.linux_source()?.trim(),
            host()
        );
        let dir = self.repo.join("results");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

/// The host, in a phrase: system, CPU, cores, memory, QEMU.
fn host() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| {
                v.trim_start_matches([' ', '\t', ':', '='])
                    .trim_matches('"')
                    .to_string()
            })
            .unwrap_or_else(|| "?".into())
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = field(&read("/proc/meminfo"), "MemTotal")
        .trim_end_matches(" kB")
        .parse::<u64>()
        .map_or(0, |kb| (kb + (1 << 19)) >> 20);
    let qemu = run(Command::new("qemu-system-x86_64").arg("--version"))
        .map(|o| {
            String::from_utf8_lossy(&o)
                .lines()
                .next()
                .unwrap_or("")
                .replace("QEMU emulator version ", "QEMU ")
        })
        .unwrap_or_default();
    format!(
        "{}, {}, {cores} cores, {mem_gib} GiB, {qemu}",
        field(&read("/etc/os-release"), "PRETTY_NAME"),
        field(&read("/proc/cpuinfo"), "model name")
    )
}

impl Workspace {
    /// Takes the cache for this run: two runs on one cache would share its
    /// source tree, build directories, images and logs, and one could boot
    /// what the other built or read the other's log. The lock goes with the
    /// returned file, when the process ends.
    pub fn lock(&self) -> Result<std::fs::File> {
        use std::io::Write as _;
        let path = self.cache.join("run.lock");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                writeln!(
                    file,
                    "pid {} for {}",
                    std::process::id(),
                    self.repo.display()
                )?;
                Ok(file)
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "{} is in use by another run ({}): wait for it, or give this one a cache \
                 of its own with USERROOT_CACHE",
                self.cache.display(),
                std::fs::read_to_string(&path).unwrap_or_default().trim()
            )
            .into()),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }
}

/// Prints a step the way set-up does, on stderr: stdout is the TAP stream.
pub fn step(msg: &str) {
    eprintln!("==> {msg}");
}

/// Runs a command to completion; on failure the error names it and shows
/// its output.
pub fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(out.stdout)
}

/// Seconds since `start`, for progress lines.
pub fn elapsed(start: Instant) -> String {
    let s = start.elapsed().as_secs();
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Where the time of a run went: one line per phase, in order.
static PHASES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records that `what` took the time since `start` and ended `how`
/// ("built", "reused", ...).
pub fn phase(what: &str, start: Instant, how: &str) {
    phase_secs(what, start.elapsed().as_secs(), how);
}

/// Records that `what` took `secs` seconds.
pub fn phase_secs(what: &str, secs: u64, how: &str) {
    let line = format!("{what}: {}m{:02}s ({how})", secs / 60, secs % 60);
    PHASES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
}

/// Records the time from `USERROOT_T0` (when make started, set by the
/// Makefile) to now: set-up and building the runner.
pub fn phase_since_make(what: &str) {
    let Some(t0) = std::env::var("USERROOT_T0")
        .ok()
        .and_then(|t| t.parse::<u64>().ok())
    else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    phase_secs(what, now.saturating_sub(t0), "make");
}

/// The phases recorded so far, for the lines before the closing count.
pub fn phases() -> Vec<String> {
    PHASES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Free space below which a run stops before it starts: a warm run writes
/// logs, overlays and rebuilt objects; a cold one fills the cache (see
/// the README for its size).
const MIN_FREE_GIB: u64 = 4;

/// Bytes free on the file system that holds `path`, by `df`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

impl Workspace {
    /// Fails, naming the cache's path, when its file system has less than
    /// [`MIN_FREE_GIB`] free.
    pub fn has_room(&self) -> Result<()> {
        std::fs::create_dir_all(&self.cache)?;
        match free_bytes(&self.cache) {
            Some(free) if free < MIN_FREE_GIB << 30 => Err(format!(
                "{} has {:.1} GiB free, less than the {MIN_FREE_GIB} GiB a run needs: \
                 free some, or point USERROOT_CACHE elsewhere",
                self.cache.display(),
                free as f64 / f64::from(1u32 << 30)
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// `e`'s message, with the cache's path and free space where the disk
    /// filled up, since the tools' own messages name neither.
    pub fn explain(&self, e: &dyn std::error::Error) -> String {
        let text = e.to_string();
        if !text.contains("No space left on device") {
            return text;
        }
        let free = free_bytes(&self.cache).map_or("unknown".into(), |b| {
            format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30))
        });
        format!(
            "{text}\nthe disk is full: the cache is {} ({free} free now)",
            self.cache.display()
        )
    }
}

/// Runs a check unless it passed before with the same `key` (of kind
/// [`Kind::Gate`]: the check's own logic and the text of every input it
/// reads); only a pass is kept (a failure may come from anything, and runs
/// again). Says so in a line when it skips.
pub fn unless_passed_before(
    ws: &Workspace,
    name: &str,
    key: &Key,
    check: impl FnOnce() -> Result<Vec<String>>,
) -> Result<Vec<String>> {
    let passed = Stamp::at(
        ws.cache
            .join("gates")
            .join(format!("{name}-{}", key.digest()?)),
    );
    let text = key.text()?;
    if passed.holds(&text) {
        println!("# {name}: passed before with the same inputs");
        return Ok(Vec::new());
    }
    let failures = check()?;
    if failures.is_empty() {
        passed.write(&text)?;
    }
    Ok(failures)
}
