// SPDX-License-Identifier: GPL-2.0
//! Reading a serial log: the guest's `UR: key=value` results, its `UR| `
//! display lines, and signs of kernel trouble.

/// What one boot reported.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `UR: key=value` lines, in order.
    pub values: Vec<(String, String)>,
    /// The guest got to the end of its script (`UR: done`).
    pub done: bool,
    /// `UR| ` lines, for people.
    pub display: Vec<String>,
    /// Kernel lines that mean something went wrong (panic, oops, BUG,
    /// WARNING, any part of a splat, a failed KUnit case).
    pub trouble: Vec<String>,
    /// The kernel's own lines, without their timestamps; with
    /// `console_msg_format=syslog` each starts with its `<level>`.
    pub kernel: Vec<String>,
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

/// Kernel messages that fail any boot: the head of a report, and the lines
/// of a splat, so that a splat whose head was mangled by interleaved output
/// is still caught. x86 and arm64 word their splats differently.
const TROUBLE: &[&str] = &[
    "Kernel panic",
    "BUG:",
    "kernel BUG at",
    "Oops",
    "WARNING:",
    "UBSAN:",
    "general protection fault",
    "Internal error:",
    "Unable to handle kernel",
    "Call Trace:",
    "Call trace:",
    "---[ end trace",
    "RIP:",
    // Reports that clear on their own: a hung task, an RCU stall.
    "blocked for more than",
    "detected stalls on CPUs/tasks",
    "self-detected stall on CPU",
];

/// A KTAP failure, as KUnit prints it through printk.
const KTAP_FAILURE: &str = "not ok ";

/// Parses a serial log. Kernel messages can land in the middle of a guest
/// line, so every line is checked for trouble, guest lines included, and
/// markers are searched for anywhere in a line.
pub fn parse(log: &str) -> Report {
    let mut report = Report::default();
    for line in log.lines().map(|l| l.trim_end_matches('\r')) {
        if TROUBLE.iter().any(|t| line.contains(t)) || kernel_ktap_failure(line) {
            report.trouble.push(line.to_string());
        }
        if let Some(msg) = kernel_message(line) {
            report.kernel.push(msg);
        }
        if let Some(at) = line.find("UR: ") {
            // A kernel message that landed after a value is not part of it.
            let (kv, spliced) = split_at_printk(&line[at + 4..]);
            if let Some(msg) = spliced.and_then(kernel_message) {
                report.kernel.push(msg);
            }
            match kv.split_once('=') {
                Some((k, v)) => report.values.push((k.to_string(), v.to_string())),
                None if kv == "done" => report.done = true,
                None => {}
            }
        } else if let Some(at) = line.find("UR| ") {
            report.display.push(line[at + 4..].to_string());
        }
    }
    report
}

/// A kernel line's message with its `<level>`, if it has one, and without
/// its timestamp: `<6>[    1.234567] text` gives `<6>text`. Lines that do
/// not start as printk's do (guest output) give nothing.
fn kernel_message(line: &str) -> Option<String> {
    let (level, rest) = match line.strip_prefix('<') {
        Some(r) => {
            let (n, rest) = r.split_once('>')?;
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (&line[..n.len() + 2], rest)
        }
        None => ("", line),
    };
    let (stamp, msg) = rest.strip_prefix('[')?.split_once("] ")?;
    is_printk_stamp(stamp).then(|| format!("{level}{msg}"))
}

/// Splits a guest line where a kernel message starts in it (a printk
/// timestamp in brackets), if one does.
fn split_at_printk(text: &str) -> (&str, Option<&str>) {
    for (at, _) in text.match_indices('[') {
        let stamp = text[at + 1..].split_once(']').map(|(s, _)| s);
        if stamp.is_some_and(is_printk_stamp) {
            return (&text[..at], Some(&text[at..]));
        }
    }
    (text, None)
}

/// Whether the text between `[` and `]` is a printk timestamp
/// (`    1.234567`).
fn is_printk_stamp(stamp: &str) -> bool {
    let stamp = stamp.trim();
    stamp.contains('.') && stamp.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Whether a KTAP `not ok` follows a printk timestamp: a kernel line, even
/// one that landed mid-line. A kselftest's own `not ok` lines come from user
/// space, without a timestamp, and are judged by its scenario.
fn kernel_ktap_failure(line: &str) -> bool {
    line.match_indices(KTAP_FAILURE).any(|(at, _)| {
        let before = line[..at].trim_end();
        before
            .strip_suffix(']')
            .and_then(|b| b.rsplit_once('['))
            .is_some_and(|(_, stamp)| is_printk_stamp(stamp))
    })
}

/// The printk timestamp of a kernel log line, in microseconds.
pub fn timestamp_us(line: &str) -> Option<f64> {
    let inner = line.split_once('[')?.1.split_once(']')?.0;
    inner.trim().parse::<f64>().ok().map(|s| s * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded on Debian's 7.3.4 (`make compare`, churn): the kernel's
    /// drop_caches message landed after the guest's value, in its line.
    #[test]
    fn kernel_message_after_a_value_is_not_the_value() {
        let r = parse("UR: churn_failures=0[   13.120467] init (1): drop_caches: 3\nUR: done\n");
        assert_eq!(r.get("churn_failures"), Some("0"));
        assert!(r.kernel.iter().any(|m| m == "init (1): drop_caches: 3"));
        // Brackets that are not a timestamp stay in the value.
        let r = parse("UR: roots=[12 2]\n");
        assert_eq!(r.get("roots"), Some("[12 2]"));
    }

    fn recorded(name: &str) -> Report {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        parse(&std::fs::read_to_string(path).unwrap())
    }

    #[test]
    fn hung_tasks_and_rcu_stalls_are_trouble() {
        for line in [
            "[  122.5] INFO: task kworker/u4:1:42 blocked for more than 120 seconds.",
            "[   21.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
            "[   21.0] rcu: INFO: rcu_preempt self-detected stall on CPU",
        ] {
            assert_eq!(parse(line).trouble, [line]);
        }
    }

    #[test]
    fn kernel_lines_lose_their_timestamps_and_keep_their_level() {
        let r = parse(
            "<6>[    1.250000] initramfs: hello\n[    2.5] plain\nUR: x=1\n<x>[ 1.0] no\n[abc] no\n",
        );
        assert_eq!(r.kernel, ["<6>initramfs: hello", "plain"]);
    }

    #[test]
    fn stock_initramfs_boot_shows_einval() {
        let r = recorded("stock-external-initramfs.log");
        assert!(r.done);
        assert_eq!(r.get("root_fs"), Some("rootfs"));
        assert_eq!(r.get("root_own_parent"), Some("yes"));
        assert_eq!(r.get("newroot_mount"), Some("ok"));
        assert_eq!(r.get("pivot_root"), Some("EINVAL"));
        assert_eq!(r.get("umount_old"), None);
        assert!(r.trouble.is_empty(), "{:?}", r.trouble);
        assert!(r.display.iter().any(|l| l.contains(" / / ")));
    }

    #[test]
    fn user_root_boot_pivots_unmounts_and_frees() {
        let r = recorded("user-root-external-initramfs.log");
        assert!(r.done);
        assert_eq!(r.get("root_fs"), Some("tmpfs"));
        assert_eq!(r.get("root_own_parent"), Some("no"));
        assert_eq!(r.get("pivot_root"), Some("ok"));
        assert_eq!(r.get("umount_old"), Some("ok"));
        assert_eq!(r.get("old_root_freed"), Some("ok"));
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
    fn two_stage_handoff_reports_the_final_state() {
        let r = recorded("user-root-disk-handoff.log");
        assert!(r.done);
        // The initramfs reported first, the disk's init last.
        assert_eq!(r.get("init"), Some("/sbin/init"));
        assert_eq!(r.get("root_fs"), Some("ext4"));
        assert_eq!(r.get("initramfs_unmounted"), Some("ok"));
        assert!(r.values.iter().any(|(k, v)| k == "init" && v == "/init"));
        assert!(r.trouble.is_empty(), "{:?}", r.trouble);
    }

    #[test]
    fn panic_is_trouble_and_not_done() {
        let r = recorded("panic-no-init.log");
        assert!(!r.done);
        assert!(r.trouble.iter().any(|l| l.contains("Kernel panic")));
    }

    #[test]
    fn warning_in_the_middle_of_guest_output_is_trouble() {
        // A real WARN_ONCE() (a throwaway build) while the guest was
        // reporting: between its lines, not inside one, as recorded; the
        // case inside a line is below.
        let r = recorded("warning-in-guest-output.log");
        assert!(r.done);
        assert!(r.trouble.iter().any(|l| l.contains("WARNING:")));
        assert!(r.trouble.iter().any(|l| l.contains("Call Trace:")));
        assert!(r.trouble.iter().any(|l| l.contains("---[ end trace")));
        // The guest's report around it is still read.
        assert_eq!(r.get("root_fs"), Some("tmpfs"));
    }

    #[test]
    fn bug_is_trouble() {
        let r = recorded("bug-oops.log");
        assert!(r.trouble.iter().any(|l| l.contains("BUG:")));
        assert!(r.trouble.iter().any(|l| l.contains("RIP:")));
    }

    #[test]
    fn kasan_report_is_trouble() {
        let r = recorded("kasan-report.log");
        assert!(r.trouble.iter().any(|l| l.contains("BUG: KASAN:")));
    }

    #[test]
    fn failed_kunit_case_is_trouble() {
        let r = recorded("kunit-not-ok.log");
        assert!(r.trouble.iter().any(|l| l.contains("not ok ")));
    }

    #[test]
    fn splat_lines_without_their_head_are_trouble() {
        for line in [
            "UR|   12 1 0:11 / / rw - tmpfs rootfs rw[    2.1] Call Trace:",
            "[    2.2] ---[ end trace 0000000000000000 ]---",
            "[    2.3] RIP: 0010:foo+0x1/0x2",
            "[    2.4] Call trace:",
        ] {
            assert_eq!(parse(line).trouble.len(), 1, "{line}");
        }
    }

    #[test]
    fn ktap_failures_only_from_the_kernel() {
        assert_eq!(parse("[    1.5]     not ok 2 case").trouble.len(), 1);
        assert_eq!(parse("UR| x[    1.5] not ok 1 suite").trouble.len(), 1);
        // A kselftest's own result line, from user space.
        assert!(parse("not ok 1 pivot_root.classic_success")
            .trouble
            .is_empty());
        assert!(parse("# [1] not ok 1 x").trouble.is_empty());
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
