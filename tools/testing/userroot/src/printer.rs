// SPDX-License-Identifier: GPL-2.0
//! Results as TAP 13, then the plain `N passed, N failed` line.

/// Counts results as they are printed.
#[derive(Default)]
pub struct Tap {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Tap {
    /// Prints the TAP header for `total` tests.
    pub fn start(total: usize) -> Self {
        println!("TAP version 13");
        println!("1..{total}");
        Self::default()
    }

    /// Prints one result; `failures` empty means it passed.
    pub fn result(&mut self, name: &str, failures: &[String], note: &str) {
        let n = self.passed + self.failed + self.skipped + 1;
        if failures.is_empty() {
            self.passed += 1;
            println!("ok {n} - {name} # {note}");
        } else {
            self.failed += 1;
            println!("not ok {n} - {name} # {note}");
            // Every line a TAP comment, a failure's own lines indented.
            for f in failures {
                for (i, line) in f.lines().enumerate() {
                    let indent = if i == 0 { "" } else { "  " };
                    println!("#   {indent}{line}");
                }
            }
        }
    }

    /// Prints a test that was not run, and why.
    pub fn skip(&mut self, name: &str, why: &str) {
        self.skipped += 1;
        let n = self.passed + self.failed + self.skipped;
        println!("ok {n} - {name} # SKIP {why}");
    }

    /// Prints the closing line, with the skipped ones if any; true when
    /// nothing failed.
    pub fn finish(&self) -> bool {
        if self.skipped == 0 {
            println!("{} passed, {} failed", self.passed, self.failed);
        } else {
            println!(
                "{} passed, {} failed, {} skipped",
                self.passed, self.failed, self.skipped
            );
        }
        self.failed == 0
    }
}
