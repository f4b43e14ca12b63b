// SPDX-License-Identifier: GPL-2.0
//! Keys of what the cache keeps: one mechanism for every kind of artefact.
//!
//! A cached artefact (a configuration, a kernel, an image, a guest program,
//! a series build, a passed check) is a claim that none of its inputs
//! changed since it was made. [`Kind::inputs`] names each kind's inputs, in
//! this one place; a [`Key`] is finished only when every one of them and
//! no other was given. A [`Stamp`] keeps it in one format, a line per
//! input (`input: digest`), written after the artefact is made and removed
//! before, so that an interrupted make leaves nothing to trust and a remake
//! can say which input changed. Digests are FNV-1a, which, unlike
//! `DefaultHasher`, no Rust release changes.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Result;

/// A kind of cached artefact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The unpacked `linux-source-6.12`.
    Pristine,
    /// A kernel variant's `.config`, checked against what it asked for.
    Configuration,
    /// A kernel variant's boot image (the tree's own files are compared by
    /// time, as make compares them).
    Kernel,
    /// The `pivot_root` kselftest binary.
    Kselftest,
    /// A kernel's UAPI headers, for guest programs.
    Headers,
    /// A kernel's modules installed into a directory of their own.
    ModulesTree,
    /// A static guest program compiled against nolibc.
    GuestProgram,
    /// A cpio archive from a file list, perhaps damaged on purpose.
    Archive,
    /// A file of incompressible bytes, to make an image large.
    Filler,
    /// The docker-archive image the runtimes load.
    ContainerImage,
    /// An initramfs made by initramfs-tools or dracut.
    Generated,
    /// A Debian package (a kernel and what it depends on, or a kernel
    /// source), unpacked.
    DebianPackage,
    /// A Debian kernel's disk modules as a cpio archive.
    DiskModules,
    /// An initramfs followed by a Debian kernel's disk modules.
    WithDiskModules,
    /// One commit of the series built, and its findings.
    SeriesBuild,
    /// The series' files of Debian 13's source, unpacked.
    Debian13Files,
    /// A check that passed, kept so that it is not run again.
    Gate,
}

impl Kind {
    /// Every kind, for the listing test.
    #[cfg(test)]
    pub const ALL: [Kind; 17] = [
        Kind::Pristine,
        Kind::Configuration,
        Kind::Kernel,
        Kind::Kselftest,
        Kind::Headers,
        Kind::ModulesTree,
        Kind::GuestProgram,
        Kind::Archive,
        Kind::Filler,
        Kind::ContainerImage,
        Kind::Generated,
        Kind::DebianPackage,
        Kind::DiskModules,
        Kind::WithDiskModules,
        Kind::SeriesBuild,
        Kind::Debian13Files,
        Kind::Gate,
    ];

    /// What an artefact of this kind is made from.
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            Kind::Pristine => &["package version"],
            Kind::Configuration => &[
                "fragments",
                "kconfig files",
                "toolchain",
                "make line",
                "configuration code",
            ],
            Kind::Kernel => &[
                "configuration",
                "linux source",
                "toolchain",
                "make line",
                "built-in initramfs",
            ],
            Kind::Kselftest => &["linux source", "test sources", "compiler", "make line"],
            Kind::Headers => &["uapi sources", "linux source", "make line"],
            Kind::ModulesTree => &["kernel", "make line"],
            Kind::GuestProgram => &["source", "nolibc", "linux source", "compiler", "flags"],
            Kind::Archive => &[
                "list",
                "gen_init_cpio",
                "compression",
                "damage",
                "damage code",
            ],
            Kind::Filler => &["length", "generator code"],
            Kind::ContainerImage => &["busybox", "probe", "image code"],
            Kind::Generated => &[
                "kernel",
                "our configuration and hooks",
                "host packages",
                "host configuration",
                "command line",
            ],
            Kind::DebianPackage => &["package"],
            Kind::DiskModules => &["modules", "kernel package"],
            Kind::WithDiskModules => &["initramfs", "disk modules", "joining"],
            Kind::SeriesBuild => &[
                "commit",
                "configuration",
                "toolchain",
                "kselftest compiler",
                "linux source",
                "make line",
                "series code",
            ],
            Kind::Debian13Files => &["package", "files"],
            Kind::Gate => &["check", "inputs"],
        }
    }

    /// Its name in a stamp.
    fn name(self) -> String {
        format!("{self:?}")
    }
}

/// FNV-1a, 64 bits, of `bytes`, as 16 hex digits: the same on every Rust
/// release and machine, for keys kept in the cache.
pub fn digest(bytes: impl AsRef<[u8]>) -> String {
    format!("{:016x}", fnv(FNV_OFFSET, bytes.as_ref()))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A digest of what files hold (a directory: every file under it, in
/// order, with its name). Contents, not timestamps: a fresh clone's files
/// are new but no change. Each part goes in with its length, so that no two
/// different sets of files give the same stream of bytes.
pub fn files_digest(paths: &[&Path]) -> Result<String> {
    fn add(p: &Path, h: &mut u64) -> Result<()> {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(p)?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()?;
            entries.sort();
            for e in entries {
                let name = e
                    .file_name()
                    .unwrap_or_default()
                    .as_encoded_bytes()
                    .to_vec();
                part(h, &name);
                add(&e, h)?;
            }
        } else {
            let content = fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            part(h, &content);
        }
        Ok(())
    }
    fn part(h: &mut u64, bytes: &[u8]) {
        *h = fnv(*h, &(bytes.len() as u64).to_le_bytes());
        *h = fnv(*h, bytes);
    }
    let mut h = FNV_OFFSET;
    for p in paths {
        add(p, &mut h)?;
    }
    Ok(format!("{h:016x}"))
}

/// The inputs of one artefact, digested.
#[derive(Debug)]
pub struct Key {
    kind: Kind,
    given: Vec<(&'static str, String)>,
}

impl Key {
    /// A key of `kind` with no input given yet.
    pub fn new(kind: Kind) -> Self {
        Key {
            kind,
            given: Vec::new(),
        }
    }

    /// Gives `input` as bytes (a text, a version, a command line).
    pub fn bytes(mut self, input: &'static str, bytes: impl AsRef<[u8]>) -> Self {
        self.given.push((input, digest(bytes)));
        self
    }

    /// Gives `input` as the content of files and directories.
    pub fn files(mut self, input: &'static str, paths: &[&Path]) -> Result<Self> {
        self.given.push((input, files_digest(paths)?));
        Ok(self)
    }

    /// The stamp text: the kind, then `input: digest` in the order
    /// [`Kind::inputs`] gives. An input not given, given twice or not
    /// declared is an error in the runner, said as such.
    pub fn text(&self) -> Result<String> {
        let declared = self.kind.inputs();
        if let Some((odd, _)) = self.given.iter().find(|(i, _)| !declared.contains(i)) {
            return Err(format!("key of {:?}: '{odd}' is not one of its inputs", self.kind).into());
        }
        let mut text = format!("kind: {}\n", self.kind.name());
        for input in declared {
            let mut given = self.given.iter().filter(|(i, _)| i == input);
            match (given.next(), given.next()) {
                (Some((_, d)), None) => text += &format!("{input}: {d}\n"),
                (None, _) => {
                    return Err(format!("key of {:?}: '{input}' not given", self.kind).into())
                }
                (Some(_), Some(_)) => {
                    return Err(format!("key of {:?}: '{input}' given twice", self.kind).into())
                }
            }
        }
        Ok(text)
    }

    /// A digest of the whole key, for a name.
    pub fn digest(&self) -> Result<String> {
        Ok(digest(self.text()?))
    }
}

/// Where a key is kept: beside its artefact as `<artefact>.key`, or where
/// the artefact's maker says.
pub struct Stamp(PathBuf);

impl Stamp {
    /// The stamp of `artefact`, beside it.
    pub fn of(artefact: &Path) -> Self {
        let mut p = artefact.as_os_str().to_owned();
        p.push(".key");
        Stamp(PathBuf::from(p))
    }

    /// A stamp at `path`.
    pub fn at(path: PathBuf) -> Self {
        Stamp(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Whether it holds `key`.
    pub fn holds(&self, key: &str) -> bool {
        fs::read_to_string(&self.0).ok().as_deref() == Some(key)
    }

    /// The inputs whose digests differ between the stamp and `key`, or
    /// "no stamp".
    pub fn changed(&self, key: &str) -> String {
        let Ok(old) = fs::read_to_string(&self.0) else {
            return "no stamp".into();
        };
        if !old.starts_with("kind: ") {
            return "a stamp of an older runner".into();
        }
        let changed: Vec<&str> = key
            .lines()
            .filter(|l| !old.lines().any(|o| o == *l))
            .filter_map(|l| l.split_once(": ").map(|(i, _)| i))
            .collect();
        if changed.is_empty() {
            "nothing changed".into()
        } else {
            format!("changed: {}", changed.join(", "))
        }
    }

    /// Removes it, before its artefact is made again.
    pub fn forget(&self) {
        let _ = fs::remove_file(&self.0);
    }

    /// Writes `key`, once the artefact is made.
    pub fn write(&self, key: &str) -> Result<()> {
        if let Some(dir) = self.0.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&self.0, key)?;
        Ok(())
    }
}

/// Calls `make` to make `out` unless `out` exists and its stamp holds
/// `key`. Returns whether it made it.
pub fn unless_made(out: &Path, key: &Key, make: impl FnOnce() -> Result<()>) -> Result<bool> {
    let text = key.text()?;
    let stamp = Stamp::of(out);
    if out.exists() && stamp.holds(&text) {
        return Ok(false);
    }
    stamp.forget();
    make()?;
    stamp.write(&text)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key of `kind` with every input given, `odd` as "b" and the rest
    /// as "a".
    fn all_given(kind: Kind, odd: Option<&str>) -> Key {
        kind.inputs().iter().fold(Key::new(kind), |k, i| {
            k.bytes(i, if Some(*i) == odd { "b" } else { "a" })
        })
    }

    #[test]
    fn kinds_are_listed_once_with_their_inputs() {
        let names: Vec<String> = Kind::ALL.iter().map(|k| k.name()).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} listed twice");
        }
        for kind in Kind::ALL {
            let inputs = kind.inputs();
            assert!(!inputs.is_empty(), "{kind:?} has no inputs");
            for (i, input) in inputs.iter().enumerate() {
                assert!(!inputs[..i].contains(input), "{kind:?}: {input} twice");
                assert!(!input.contains(':'), "{kind:?}: {input}");
            }
        }
    }

    #[test]
    fn each_input_changes_the_key() {
        for kind in Kind::ALL {
            let base = all_given(kind, None).text().unwrap();
            for input in kind.inputs() {
                let other = all_given(kind, Some(input)).text().unwrap();
                assert_ne!(base, other, "{kind:?}: {input} does not count");
            }
        }
    }

    #[test]
    fn a_missing_twice_given_or_unknown_input_is_an_error() {
        let kind = Kind::Archive;
        let missing = kind.inputs()[1..]
            .iter()
            .fold(Key::new(kind), |k, i| k.bytes(i, "a"));
        assert!(missing
            .text()
            .unwrap_err()
            .to_string()
            .contains("not given"));
        let twice = all_given(kind, None).bytes("list", "a");
        assert!(twice.text().unwrap_err().to_string().contains("twice"));
        let unknown = all_given(kind, None).bytes("weather", "a");
        assert!(unknown.text().unwrap_err().to_string().contains("weather"));
    }

    #[test]
    fn digests_are_stable() {
        // FNV-1a's published test vectors.
        assert_eq!(digest(""), "cbf29ce484222325");
        assert_eq!(digest("a"), "af63dc4c8601ec8c");
        assert_eq!(digest("foobar"), "85944171f73967e8");
    }

    #[test]
    fn file_sets_do_not_run_together() {
        let dir = std::env::temp_dir().join(format!("userroot-key-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        fs::write(&a, "ab").unwrap();
        fs::write(&b, "").unwrap();
        let one = files_digest(&[&a, &b]).unwrap();
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        let two = files_digest(&[&a, &b]).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_ne!(one, two);
    }

    #[test]
    fn a_stamp_says_which_input_changed() {
        let dir = std::env::temp_dir().join(format!("userroot-stamp-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("artefact");
        let stamp = Stamp::of(&out);
        let kind = Kind::GuestProgram;
        let made = unless_made(&out, &all_given(kind, None), || Ok(fs::write(&out, "x")?));
        assert!(made.unwrap());
        let same = unless_made(&out, &all_given(kind, None), || unreachable!());
        assert!(!same.unwrap());
        let flags = all_given(kind, Some("flags")).text().unwrap();
        assert_eq!(stamp.changed(&flags), "changed: flags");
        let failed = unless_made(&out, &all_given(kind, Some("flags")), || {
            Err("compiler failed".into())
        });
        assert!(failed.is_err());
        assert_eq!(stamp.changed(&flags), "no stamp");
        fs::write(stamp.path(), "made from something").unwrap();
        assert_eq!(stamp.changed(&flags), "a stamp of an older runner");
        fs::remove_dir_all(&dir).unwrap();
    }
}
