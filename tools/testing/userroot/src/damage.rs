// SPDX-License-Identifier: GPL-2.0
//! What is done to an initramfs after it is made, for the scenarios of bad
//! input. A module of its own: its text ([`CODE`]) is an input of every
//! archive's key, so that a change here remakes them.

use std::fs;
use std::path::Path;

use crate::error::Result;

/// This module's text, for the keys of what it makes.
pub const CODE: &str = include_str!("damage.rs");

/// What is done to an initramfs after it is made.
#[derive(PartialEq, Debug)]
pub enum Damage {
    /// Nothing.
    Intact,
    /// The compressed archive is cut at [`TRUNCATED_PERCENT`] of its
    /// length, in the middle of its last file: everything before is
    /// unpacked, then unpacking fails.
    Truncated,
    /// The uncompressed archive ends right before its `TRAILER!!!`: the
    /// kernel unpacks it all and takes it as complete, with its hard-link
    /// table still filled.
    NoTrailer,
    /// [`GARBAGE_LEN`] random bytes instead of an archive.
    Garbage,
}

/// Where [`Damage::Truncated`] cuts.
const TRUNCATED_PERCENT: u64 = 85;

/// The length of a [`Damage::Garbage`] archive.
pub const GARBAGE_LEN: usize = 1 << 20;

/// Damage done to the uncompressed archive.
pub fn before_compression(damage: &Damage, cpio: &mut Vec<u8>) -> Result<()> {
    if *damage == Damage::NoTrailer {
        // The last one: busybox's cpio applet holds the string too.
        let at = cpio
            .windows(10)
            .rposition(|w| w == b"TRAILER!!!")
            .ok_or("gen_init_cpio wrote no TRAILER!!!")?;
        // The trailer's header (110 bytes of "070701..." text) precedes
        // its name.
        cpio.truncate(at - 110);
    }
    Ok(())
}

/// Damage done to the archive as written.
pub fn after_compression(damage: &Damage, path: &Path) -> Result<()> {
    if *damage == Damage::Truncated {
        let len = fs::metadata(path)?.len();
        fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(len * TRUNCATED_PERCENT / 100)?;
    }
    Ok(())
}

/// Deterministic pseudo-random bytes (xorshift64), so that images are
/// reproducible.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
