// SPDX-License-Identifier: GPL-2.0
//! Reading a serial log: the guest's `UR: key=value` results, its `UR| `
//! display lines, and signs of kernel trouble.

/// What one boot reported.
#[derive(Debug, Default)]
pub struct Report {
    /// `UR: key=value` lines, in order.
    pub values: Vec<(String, String)>,
    /// The guest got to the end of its script (`UR: done`).
    pub done: bool,
    /// `UR| ` lines, for people.
    pub display: Vec<String>,
    /// Kernel lines that mean something went wrong (panic, oops, BUG, WARNING).
    pub trouble: Vec<String>,
}

impl Report {
    /// The last value reported for `key`: the final state when a boot
    /// hands over to a second stage that reports again.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Kernel messages that fail any boot.
const TROUBLE: &[&str] = &[
    "Kernel panic",
    "BUG:",
    "Oops",
    "WARNING:",
    "general protection fault",
];
/// A KTAP failure from KUnit: a kernel (timestamped) line. A kselftest's
/// own "not ok" lines come from user space and are judged by its scenario.
const KTAP_FAILURE: &str = "not ok ";

/// Parses a serial log. A kernel message may land in the middle of a guest
/// line, so markers are searched for anywhere in a line.
pub fn parse(log: &str) -> Report {
    let mut report = Report::default();
    for line in log.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(at) = line.find("UR: ") {
            let kv = &line[at + 4..];
            match kv.split_once('=') {
                Some((k, v)) => report.values.push((k.to_string(), v.to_string())),
                None if kv == "done" => report.done = true,
                None => {}
            }
        } else if let Some(at) = line.find("UR| ") {
            report.display.push(line[at + 4..].to_string());
        } else if TROUBLE.iter().any(|t| line.contains(t))
            || (line.starts_with('[') && line.contains(KTAP_FAILURE))
        {
            report.trouble.push(line.to_string());
        }
    }
    report
}

/// The printk timestamp of a kernel log line, in microseconds.
pub fn timestamp_us(line: &str) -> Option<f64> {
    let inner = line.split_once('[')?.1.split_once(']')?.0;
    inner.trim().parse::<f64>().ok().map(|s| s * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> Report {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        parse(&std::fs::read_to_string(path).unwrap())
    }

    #[test]
    fn stock_initramfs_boot_shows_einval() {
        let r = recorded("stock-external-initramfs.log");
        assert!(r.done);
        assert_eq!(r.get("root_fs"), Some("rootfs"));
        assert_eq!(r.get("pivot_root"), Some("EINVAL"));
        assert_eq!(r.get("umount_old"), None);
        assert!(r.trouble.is_empty(), "{:?}", r.trouble);
        assert!(r.display.iter().any(|l| l.contains(" / / ")));
    }

    #[test]
    fn user_root_boot_pivots_and_unmounts() {
        let r = recorded("user-root-external-initramfs.log");
        assert!(r.done);
        assert_eq!(r.get("root_fs"), Some("tmpfs"));
        assert_eq!(r.get("pivot_root"), Some("ok"));
        assert_eq!(r.get("umount_old"), Some("ok"));
        assert!(r.trouble.is_empty(), "{:?}", r.trouble);
    }

    #[test]
    fn disk_boot_pivots() {
        let r = recorded("stock-disk-root.log");
        assert!(r.done);
        assert_eq!(r.get("root_fs"), Some("ext4"));
        assert_eq!(r.get("pivot_root"), Some("ok"));
        assert_eq!(r.get("umount_old"), Some("ok"));
    }

    #[test]
    fn panic_is_trouble_and_not_done() {
        let r = recorded("panic-no-init.log");
        assert!(!r.done);
        assert!(r.trouble.iter().any(|l| l.contains("Kernel panic")));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp_us("[    0.590903] Run /init as init process"),
            Some(590_903.0)
        );
        assert_eq!(
            timestamp_us("UR| <6>[   12.000001] UR-MARK start").map(f64::round),
            Some(12_000_001.0)
        );
        assert_eq!(timestamp_us("no stamp"), None);
    }

    #[test]
    fn marker_after_interleaved_kernel_message() {
        let r = parse("[    1.0] random: crng initUR: pivot_root=ok\r\nUR: done\r\n");
        assert_eq!(r.get("pivot_root"), Some("ok"));
        assert!(r.done);
    }
}
