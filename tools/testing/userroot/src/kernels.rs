// SPDX-License-Identifier: GPL-2.0
//! What the other stages take from one another, made in order: a kernel
//! variant's image (the unpacked one from the series check, a built-in
//! initramfs made before the kernel that embeds it, every other variant a
//! plain [`kbuild`] build), and an image with what it needs from the
//! kernels made first, so that the image stage builds no kernel.

use std::path::PathBuf;

use crate::config::{self, Variant};
use crate::error::Result;
use crate::image::{self, FromKernels, Image};
use crate::kbuild::{self, Embedded};
use crate::qemu::{Arch, X86_64};
use crate::series_builds;
use crate::workspace::Workspace;

/// Builds (or reuses) the kernel of `v` and returns its image.
pub fn image_of(ws: &Workspace, v: &Variant) -> Result<PathBuf> {
    if v.unpatched {
        return Ok(series_builds::unpatched_kernel(ws)?.0);
    }
    let embedded = match v.builtin_image.map(image::find).transpose()? {
        Some(img) if img.kind == image::Kind::Cpio => Some(Embedded::Cpio(image(ws, v.arch, img)?)),
        Some(img) => Some(Embedded::List(image::initramfs_list(
            ws,
            v.arch,
            img,
            &from_kernels(ws, v.arch, img)?,
        )?)),
        None => None,
    };
    kbuild::build(ws, v, embedded.as_ref())
}

/// Makes (or reuses) `img` for `arch` and returns its path.
pub fn image(ws: &Workspace, arch: &Arch, img: &Image) -> Result<PathBuf> {
    image::build(ws, arch, img, &from_kernels(ws, arch, img)?)
}

/// What `img` takes from the kernels ([`image::needs`]), made.
fn from_kernels(ws: &Workspace, arch: &Arch, img: &Image) -> Result<FromKernels> {
    let needs = image::needs(img);
    for variant in &needs.modules {
        kbuild::make(ws, config::variant(variant)?, &["modules"])?;
    }
    Ok(FromKernels {
        gen_init_cpio: ws
            .build(kbuild::main_variant(&X86_64)?.name)
            .join("usr/gen_init_cpio"),
        headers: needs
            .headers
            .then(|| kbuild::headers(ws, arch))
            .transpose()?,
        kselftest: needs
            .kselftest
            .then(|| kbuild::kselftest(ws, arch))
            .transpose()?,
        modules_tree: needs
            .modules_tree
            .then(|| kbuild::modules_tree(ws, config::variant(image::GENERATED_FOR)?))
            .transpose()?,
    })
}
