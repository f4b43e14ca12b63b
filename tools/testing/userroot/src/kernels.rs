// SPDX-License-Identifier: GPL-2.0
//! A kernel variant's image, whatever it takes: the unpatched one comes
//! from the series check, a built-in initramfs is made before the kernel
//! that embeds it, every other variant is a plain [`kbuild`] build.

use std::path::PathBuf;

use crate::config::Variant;
use crate::error::Result;
use crate::kbuild::{self, Embedded};
use crate::workspace::Workspace;
use crate::{image, series_builds};

/// Builds (or reuses) the kernel of `v` and returns its image.
pub fn image_of(ws: &Workspace, v: &Variant) -> Result<PathBuf> {
    if v.unpatched {
        return Ok(series_builds::unpatched_kernel(ws)?.0);
    }
    let embedded = match v.builtin_image.map(image::find).transpose()? {
        Some(img) if img.kind == image::Kind::Cpio => {
            Some(Embedded::Cpio(image::build(ws, v.arch, img)?))
        }
        Some(img) => Some(Embedded::List(image::initramfs_list(ws, v.arch, img)?)),
        None => None,
    };
    kbuild::build(ws, v, embedded.as_ref())
}
