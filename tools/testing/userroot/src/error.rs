// SPDX-License-Identifier: GPL-2.0
//! The runner's error type, in a module of its own so that every stage
//! depends on it and not on the crate root.

/// Errors carry a message for the user; there is nothing to recover.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The error of a check that could not run here, and why (no network and
/// nothing cached): a TAP `# SKIP`, not a failure.
#[derive(Debug)]
pub struct Skip(pub String);

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Skip {}
