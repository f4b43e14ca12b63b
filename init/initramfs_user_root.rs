// SPDX-License-Identifier: GPL-2.0

//! Initramfs user root: unpack the initramfs into a mount of its own.
//!
//! The initramfs is normally unpacked into rootfs, the first mount of the
//! tree. That mount has no parent, so `pivot_root(2)` from it fails with
//! `EINVAL` and the initramfs can never be unmounted: container runtimes fall
//! back to `MS_MOVE` + `chroot()`, and `switch_root` has to delete files.
//!
//! With `CONFIG_INITRAMFS_USER_ROOT`, `do_populate_rootfs()` first calls
//! [`initramfs_user_root_mount`]: before anything is unpacked, it mounts a
//! second instance of the filesystem rootfs has (tmpfs or ramfs), the "user
//! root", on `/root` and makes it the root and working directory of the
//! unpacking thread, so every name in the archives lands in it. After
//! unpacking, [`initramfs_user_root_finish`] either moves the user root onto
//! `/` and makes it the root of init and the kernel threads, as
//! `prepare_namespace()` does for a disk root, or, when there is no rdinit
//! program or unpacking failed, unmounts it so that the stock code unpacks
//! into rootfs exactly as before. Nothing here panics: every failure is
//! reported and falls back to stock behaviour.
//!
//! The inputs are read from a private copy of the command line, because the
//! rootfs mount has already consumed `initramfs_options=` in place and a
//! mount would likewise consume `rootflags=`, which `prepare_namespace()`
//! may still need.

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

use kernel::bindings;
use kernel::c_str;
use kernel::error::{code, to_result, Result};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::str::CStr;

const __LOG_PREFIX: &[u8] = b"initramfs\0";

/// Where the user root is mounted while the initramfs is unpacked into it.
const MOUNTPOINT: &CStr = c_str!("/root");
/// The user root's source in mountinfo: it holds what rootfs used to.
const SOURCE: &CStr = c_str!("rootfs");
/// The rdinit program when `rdinit=` is not given (see `init/main.c`).
const DEFAULT_RDINIT: &CStr = c_str!("/init");

/// `initramfs_user_root=`: on unless turned off on the command line.
#[link_section = ".init.data"]
static ENABLED: AtomicBool = AtomicBool::new(true);

/// What [`initramfs_user_root_mount`] leaves for
/// [`initramfs_user_root_finish`] while the initramfs is unpacked.
struct Pending {
    /// The rootfs root, to get back from the user root.
    rootfs: vfs::Path,
    /// The parsed command line, for `rdinit=`.
    cmdline: Cmdline,
}

/// Holds the [`Pending`] state between the two calls.
struct PendingCell(UnsafeCell<Option<Pending>>);

// SAFETY: It is only used by `initramfs_user_root_mount()` and
// `initramfs_user_root_finish()`, whose safety contracts require them to be
// called once each, in that order, by the one thread that unpacks the
// initramfs: never concurrently.
unsafe impl Sync for PendingCell {}

#[link_section = ".init.data"]
static PENDING: PendingCell = PendingCell(UnsafeCell::new(None));

/// The filesystem of the user root: the one rootfs has, so that the system
/// sees the same kind of root as without the user root.
enum FsType {
    /// rootfs is tmpfs (`CONFIG_TMPFS` and no `root=`, or `rootfstype=tmpfs`).
    Tmpfs,
    /// rootfs is ramfs.
    Ramfs,
}

impl FsType {
    /// The type of a filesystem with the superblock magic `magic`; rootfs is
    /// tmpfs or ramfs, nothing else.
    #[link_section = ".init.text"]
    fn from_magic(magic: u64) -> Self {
        if magic == u64::from(bindings::TMPFS_MAGIC) {
            FsType::Tmpfs
        } else {
            FsType::Ramfs
        }
    }

    /// The name `mount(2)` knows it by.
    #[link_section = ".init.text"]
    fn name(&self) -> &'static CStr {
        match self {
            FsType::Tmpfs => c_str!("tmpfs"),
            FsType::Ramfs => c_str!("ramfs"),
        }
    }
}

/// The mount options of the user root.
///
/// `initramfs_options=` is meant for the initramfs root and wins. Without
/// it, `rootflags=` applies as in the 2021 patch, but only when no `root=` is
/// given: with `root=` those flags belong to the disk root.
#[link_section = ".init.text"]
fn mount_options<'a>(
    initramfs_options: Option<&'a CStr>,
    rootflags: Option<&'a CStr>,
    root_given: bool,
) -> Option<&'a CStr> {
    match (initramfs_options, rootflags) {
        (Some(options), _) => Some(options),
        (None, Some(flags)) if !root_given => Some(flags),
        _ => None,
    }
}

/// What happens to the user root once the initramfs is unpacked.
enum Outcome {
    /// It becomes `/`.
    Switch,
    /// There is no rdinit program: the kernel will mount `root=` as it would
    /// without the user root, so it goes.
    NoInit,
    /// Unpacking failed (corrupt, truncated, out of space): it goes and
    /// rootfs gets the archives, with the stock error handling.
    UnpackFailed,
}

impl Outcome {
    /// Decides from whether unpacking succeeded and the rdinit program exists.
    #[link_section = ".init.text"]
    fn decide(unpacked: bool, has_rdinit: bool) -> Self {
        match (unpacked, has_rdinit) {
            (false, _) => Outcome::UnpackFailed,
            (true, false) => Outcome::NoInit,
            (true, true) => Outcome::Switch,
        }
    }
}

/// Handles `initramfs_user_root=`, a boolean in `kstrtobool()` syntax.
///
/// The signature is exactly that of a `__setup()` handler, `int (*)(char *)`:
/// with `CONFIG_CFI_CLANG` an indirect call checks it. Returns 1, so the
/// parameter is never passed on to init, even when its value is rejected.
///
/// # Safety
///
/// `arg` is NULL or a NUL-terminated string.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn initramfs_user_root_setup(arg: *mut c_char) -> c_int {
    let mut on = false;
    // SAFETY: `arg` is a valid string by the caller's contract, `on` a valid
    // `bool`.
    if arg.is_null() || unsafe { bindings::kstrtobool(arg, &mut on) } != 0 {
        pr_warn!("initramfs_user_root= takes a boolean; ignored\n");
        return 1;
    }
    ENABLED.store(on, Ordering::Relaxed);
    1
}

/// Mounts the user root and enters it, before anything is unpacked.
///
/// Returns `true` when the caller must unpack the initramfs (built-in, then
/// external) into the current root and then call
/// [`initramfs_user_root_finish`]; `false` leaves rootfs untouched.
///
/// The root and working directory change for every thread that shares the
/// caller's `fs_struct`: the unpacking worker, init and the kernel threads.
/// A usermode helper forked meanwhile copies the user root as its root and
/// so finds the initramfs once it is unpacked, as it would in rootfs.
///
/// # Safety
///
/// Called once, before anything is unpacked, by the thread that unpacks the
/// initramfs; [`initramfs_user_root_finish`] must follow on the same thread
/// when this returns `true`.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn initramfs_user_root_mount() -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        pr_info!("user root disabled by initramfs_user_root=\n");
        return false;
    }
    let cmdline = match Cmdline::parse() {
        Ok(cmdline) => cmdline,
        Err(e) => {
            pr_err!(
                "user root: cannot read the command line: error {}; unpacking into rootfs\n",
                e.to_errno()
            );
            return false;
        }
    };
    let options = mount_options(
        cmdline.get(Param::InitramfsOptions),
        cmdline.get(Param::Rootflags),
        cmdline
            .get(Param::Root)
            .is_some_and(|root| !root.is_empty()),
    );
    match mount_and_enter(options) {
        Ok(rootfs) => {
            // SAFETY: By this function's contract nothing else uses it now.
            unsafe { *PENDING.0.get() = Some(Pending { rootfs, cmdline }) };
            true
        }
        Err(e) => {
            pr_err!(
                "cannot mount the user root: error {}; unpacking into rootfs\n",
                e.to_errno()
            );
            cmdline.free();
            false
        }
    }
}

/// Enters the user root and returns the rootfs root to get back to; on
/// failure leaves everything as it was.
#[link_section = ".init.text"]
fn mount_and_enter(options: Option<&CStr>) -> Result<vfs::Path> {
    let rootfs = vfs::Path::lookup(c_str!("/"))?;
    match enter(&rootfs, options) {
        Ok(()) => Ok(rootfs),
        Err(e) => {
            rootfs.put();
            Err(e)
        }
    }
}

/// Mounts the user root on [`MOUNTPOINT`] and makes it the root and working
/// directory; on failure leaves everything as it was.
#[link_section = ".init.text"]
fn enter(rootfs: &vfs::Path, options: Option<&CStr>) -> Result {
    let fs = FsType::from_magic(rootfs.statfs_magic()?);
    pr_info!(
        "unpacking into a user root ({}, options \"{}\")\n",
        fs.name(),
        options.unwrap_or(c_str!(""))
    );
    match vfs::mkdir(MOUNTPOINT, 0o700) {
        Err(e) if e != code::EEXIST => return Err(e),
        _ => {}
    }
    // No relatime: rootfs, mounted by the kernel, has none either.
    let flags = bindings::MS_STRICTATIME as usize;
    if let Err(e) = vfs::mount(SOURCE, MOUNTPOINT, Some(fs.name()), flags, options) {
        let _ = vfs::rmdir(MOUNTPOINT);
        return Err(e);
    }
    let user_root = match vfs::Path::lookup(MOUNTPOINT) {
        Ok(user_root) => user_root,
        Err(e) => {
            leave();
            return Err(e);
        }
    };
    // Nothing can fail from here on.
    vfs::set_pwd(&user_root);
    vfs::set_root(&user_root);
    user_root.put();
    Ok(())
}

/// Finishes what [`initramfs_user_root_mount`] started, after unpacking.
///
/// `unpack_error` is the error message of the unpacking, or NULL. Returns
/// `true` when the user root is now `/`; `false` when it is gone and the
/// caller must unpack into rootfs as the stock kernel does.
///
/// # Safety
///
/// Called once, by the thread that called [`initramfs_user_root_mount`],
/// after unpacking. `unpack_error` is NULL or a NUL-terminated string; the
/// caller has closed every file it opened in the user root.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn initramfs_user_root_finish(unpack_error: *const c_char) -> bool {
    // SAFETY: By this function's contract `initramfs_user_root_mount()` is
    // done with it and nothing else uses it.
    let Some(Pending { rootfs, cmdline }) = (unsafe { (*PENDING.0.get()).take() }) else {
        return false;
    };
    let rdinit_name = cmdline.get(Param::Rdinit).unwrap_or(DEFAULT_RDINIT);
    // An absolute symlink at the rdinit path resolves inside the user root,
    // as it will for init.
    let has_rdinit = vfs::eaccess(rdinit_name).is_ok();

    let unpacked = unpack_error.is_null();
    let switched = match Outcome::decide(unpacked, has_rdinit) {
        Outcome::Switch => match switch(&rootfs) {
            Ok(()) => {
                pr_debug!("the user root is now /; pivot_root(2) works from it\n");
                true
            }
            Err(e) => {
                pr_err!(
                    "cannot make the user root /: error {}; unpacking into rootfs\n",
                    e.to_errno()
                );
                false
            }
        },
        Outcome::NoInit => {
            pr_info!(
                "no {} in the initramfs; unmounting the user root\n",
                rdinit_name
            );
            false
        }
        Outcome::UnpackFailed => {
            // SAFETY: Not NULL here, and a valid string by the caller's contract.
            let msg = unsafe { CStr::from_char_ptr(unpack_error) };
            pr_err!(
                "unpacking into the user root failed ({}); unpacking into rootfs\n",
                msg
            );
            false
        }
    };
    if !switched {
        vfs::set_root(&rootfs);
        vfs::set_pwd(&rootfs);
        leave();
    }
    rootfs.put();
    cmdline.free();
    switched
}

/// Moves the user root onto the rootfs root, where `prepare_namespace()`
/// moves a disk root. The user root stays the root throughout, so a thread
/// that copies the root meanwhile (a usermode helper being forked) never
/// sees rootfs: the mount at `/` (the user root) moves onto `.` (the rootfs
/// root, the working directory for the move), then the working directory
/// goes back. Either the move fails and nothing changed, or it is done.
#[link_section = ".init.text"]
fn switch(rootfs: &vfs::Path) -> Result {
    let user_root = vfs::Path::lookup(c_str!("/"))?;
    vfs::set_pwd(rootfs);
    let moved = vfs::mount(
        c_str!("/"),
        c_str!("."),
        None,
        bindings::MS_MOVE as usize,
        None,
    );
    vfs::set_pwd(&user_root);
    user_root.put();
    moved
}

/// Unmounts the user root and removes its mountpoint, so that rootfs looks
/// as if the user root had never been there.
#[link_section = ".init.text"]
fn leave() {
    if let Err(e) = vfs::umount(MOUNTPOINT, 0) {
        pr_warn!("user root busy: error {}; detaching it\n", e.to_errno());
        if let Err(e) = vfs::umount(MOUNTPOINT, bindings::MNT_DETACH as c_int) {
            pr_err!("cannot detach the user root: error {}\n", e.to_errno());
            return;
        }
    }
    if let Err(e) = vfs::rmdir(MOUNTPOINT) {
        pr_warn!("cannot remove {}: error {}\n", MOUNTPOINT, e.to_errno());
    }
}

/// The boot parameters the user root depends on.
#[derive(Clone, Copy)]
enum Param {
    Root,
    Rootflags,
    InitramfsOptions,
    Rdinit,
}

impl Param {
    /// How many there are.
    const COUNT: usize = 4;

    /// The parameter called `name`, if it is one of ours, compared as the
    /// kernel compares every parameter name (`-` and `_` are the same).
    #[link_section = ".init.text"]
    fn from_name(name: &CStr) -> Option<Self> {
        let is = |want: &CStr| {
            // SAFETY: Both are valid NUL-terminated strings.
            unsafe { bindings::parameq(name.as_char_ptr(), want.as_char_ptr()) }
        };
        if is(c_str!("root")) {
            Some(Param::Root)
        } else if is(c_str!("rootflags")) {
            Some(Param::Rootflags)
        } else if is(c_str!("initramfs_options")) {
            Some(Param::InitramfsOptions)
        } else if is(c_str!("rdinit")) {
            Some(Param::Rdinit)
        } else {
            None
        }
    }
}

/// A private, parsed copy of the kernel command line (bootconfig included).
///
/// Freed with [`Cmdline::free`] rather than `Drop`: the compiler's drop glue
/// would be in `.text` and call into `.init.text`, a section mismatch.
struct Cmdline {
    buf: *mut c_char,
    values: [*const c_char; Param::COUNT],
}

impl Cmdline {
    /// Parses a copy of the kernel command line (`saved_command_line`).
    #[link_section = ".init.text"]
    fn parse() -> Result<Self> {
        // SAFETY: `saved_command_line` is set up before any initcall runs
        // and never freed.
        Self::parse_from(unsafe { CStr::from_char_ptr(bindings::saved_command_line) })
    }

    /// Parses a copy of `src` with the kernel's own parser, so quoting and
    /// the `--` separator work as for every other parameter; as for the
    /// `__setup()` handlers, the last occurrence wins.
    #[link_section = ".init.text"]
    fn parse_from(src: &CStr) -> Result<Self> {
        // SAFETY: `src` is a valid string.
        let buf = unsafe { bindings::kstrdup(src.as_char_ptr(), bindings::GFP_KERNEL) };
        if buf.is_null() {
            return Err(code::ENOMEM);
        }
        let mut cmdline = Cmdline {
            buf,
            values: [ptr::null(); Param::COUNT],
        };
        // SAFETY: `buf` is a writable NUL-terminated copy that outlives the
        // call; `cmdline` is what `note_param` expects as its argument.
        unsafe {
            bindings::parse_args(
                c_str!("initramfs user root").as_char_ptr(),
                buf,
                ptr::null(),
                0,
                0,
                0,
                (&mut cmdline as *mut Cmdline).cast::<c_void>(),
                Some(note_param),
            )
        };
        Ok(cmdline)
    }

    /// The value of `param`, if it was given with one.
    #[link_section = ".init.text"]
    fn get(&self, param: Param) -> Option<&CStr> {
        let value = self.values[param as usize];
        // SAFETY: Values point into `buf`, which lives as long as `self`.
        (!value.is_null()).then(|| unsafe { CStr::from_char_ptr(value) })
    }

    /// Frees the copy.
    #[link_section = ".init.text"]
    fn free(self) {
        // SAFETY: `buf` came from `kstrdup()` and is not used after this.
        unsafe { bindings::kfree(self.buf.cast::<c_void>()) };
    }
}

/// `parse_args()` callback: notes the values of the parameters in [`Param`].
///
/// # Safety
///
/// `arg` points to the [`Cmdline`] being parsed and `param` is a string in
/// its buffer, as `Cmdline::parse_from()` arranges.
#[link_section = ".init.text"]
unsafe extern "C" fn note_param(
    param: *mut c_char,
    val: *mut c_char,
    _doing: *const c_char,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: `arg` is the `Cmdline` passed to `parse_args()`; `param` is a
    // NUL-terminated string in its buffer.
    let (cmdline, name) = unsafe { (&mut *arg.cast::<Cmdline>(), CStr::from_char_ptr(param)) };
    if let (Some(p), false) = (Param::from_name(name), val.is_null()) {
        cmdline.values[p as usize] = val;
    }
    0
}

/// Safe wrappers of the VFS calls used above. Each call resolves paths
/// against the calling thread's root and working directory.
mod vfs {
    use super::*;

    /// A looked-up path, holding references to its mount and dentry.
    ///
    /// Released with [`Path::put`] rather than `Drop`: the compiler's drop
    /// glue would be in `.text` and call into `.init.text`, a section
    /// mismatch. Forgetting it leaks, nothing worse.
    pub(super) struct Path(bindings::path);

    impl Path {
        /// Looks `name` up.
        #[link_section = ".init.text"]
        pub(super) fn lookup(name: &CStr) -> Result<Self> {
            let mut path = bindings::path {
                mnt: ptr::null_mut(),
                dentry: ptr::null_mut(),
            };
            // SAFETY: `name` is a valid string, `path` a valid out-parameter.
            to_result(unsafe { bindings::kern_path(name.as_char_ptr(), 0, &mut path) })?;
            Ok(Self(path))
        }

        /// Drops the references.
        #[link_section = ".init.text"]
        pub(super) fn put(self) {
            // SAFETY: `self.0` holds the references `kern_path()` took, and
            // `self` is consumed, so they are put once.
            unsafe { bindings::path_put(&self.0) };
        }

        /// The superblock magic of the filesystem here.
        #[link_section = ".init.text"]
        pub(super) fn statfs_magic(&self) -> Result<u64> {
            // SAFETY: All-zero is a valid `kstatfs`.
            let mut st: bindings::kstatfs = unsafe { core::mem::zeroed() };
            // SAFETY: `self.0` is a live path, `st` a valid out-parameter.
            to_result(unsafe { bindings::vfs_statfs(&self.0, &mut st) })?;
            Ok(st.f_type as u64)
        }
    }

    /// `mount(2)` for the kernel. `init_mount()` takes the options as a
    /// page, as `mount(2)` copies them: it parses them in place and writes
    /// a NUL at `data[PAGE_SIZE - 1]`. So they go into a page-sized copy,
    /// as `mount_root_generic()` does for `rootflags=`.
    #[link_section = ".init.text"]
    pub(super) fn mount(
        source: &CStr,
        target: &CStr,
        fstype: Option<&CStr>,
        flags: usize,
        options: Option<&CStr>,
    ) -> Result {
        let fstype = fstype.map_or(ptr::null(), CStr::as_char_ptr);
        let mut data: *mut c_char = ptr::null_mut();
        if let Some(o) = options {
            let len = o.as_bytes().len();
            if len >= PAGE_SIZE {
                return Err(code::EINVAL);
            }
            // SAFETY: Allocating with no object to reallocate.
            data = unsafe {
                bindings::krealloc(
                    ptr::null(),
                    PAGE_SIZE,
                    bindings::GFP_KERNEL | bindings::__GFP_ZERO,
                )
            }
            .cast();
            if data.is_null() {
                return Err(code::ENOMEM);
            }
            // SAFETY: `o` has `len` bytes, `data` `PAGE_SIZE` zeroed ones, and
            // `len < PAGE_SIZE` leaves the copy NUL-terminated.
            unsafe { ptr::copy_nonoverlapping(o.as_char_ptr(), data, len) };
        }
        // SAFETY: The strings are valid; `data` is NULL or a page-sized,
        // NUL-terminated copy that nothing else uses.
        let ret = unsafe {
            bindings::init_mount(
                source.as_char_ptr(),
                target.as_char_ptr(),
                fstype,
                flags,
                data.cast(),
            )
        };
        // SAFETY: `data` is NULL or came from `krealloc()`; `init_mount()`
        // keeps no reference to it.
        unsafe { bindings::kfree(data.cast::<c_void>()) };
        to_result(ret)
    }

    /// `umount2(2)` for the kernel.
    #[link_section = ".init.text"]
    pub(super) fn umount(target: &CStr, flags: c_int) -> Result {
        // SAFETY: `target` is a valid string.
        to_result(unsafe { bindings::init_umount(target.as_char_ptr(), flags) })
    }

    /// `mkdir(2)` for the kernel.
    #[link_section = ".init.text"]
    pub(super) fn mkdir(name: &CStr, mode: u16) -> Result {
        // SAFETY: `name` is a valid string.
        to_result(unsafe { bindings::init_mkdir(name.as_char_ptr(), mode) })
    }

    /// `rmdir(2)` for the kernel.
    #[link_section = ".init.text"]
    pub(super) fn rmdir(name: &CStr) -> Result {
        // SAFETY: `name` is a valid string.
        to_result(unsafe { bindings::init_rmdir(name.as_char_ptr()) })
    }

    /// Whether `name` exists and may be accessed, as `kernel_init` checks
    /// the rdinit program.
    #[link_section = ".init.text"]
    pub(super) fn eaccess(name: &CStr) -> Result {
        // SAFETY: `name` is a valid string.
        to_result(unsafe { bindings::init_eaccess(name.as_char_ptr()) })
    }

    /// Sets the root of the calling thread, and so of init and the kernel
    /// threads, which share its `fs_struct`.
    #[link_section = ".init.text"]
    pub(super) fn set_root(path: &Path) {
        // SAFETY: `current` is valid and kernel threads always have `fs`;
        // `path` is live.
        unsafe { bindings::set_fs_root((*bindings::get_current()).fs, &path.0) };
    }

    /// Sets the working directory the same way.
    #[link_section = ".init.text"]
    pub(super) fn set_pwd(path: &Path) {
        // SAFETY: As for `set_root`.
        unsafe { bindings::set_fs_pwd((*bindings::get_current()).fs, &path.0) };
    }
}

/// KUnit tests of the decisions above, run at boot before the init sections
/// are freed (`.kunit_init_test_suites`): 6.12 has no Rust KUnit suite macro,
/// so the suite is laid out by hand as `kunit_test_init_section_suites()`
/// does in C.
#[cfg(CONFIG_INITRAMFS_USER_ROOT_KUNIT_TEST)]
mod tests {
    use super::*;
    use bindings::{kunit, kunit_case, kunit_suite};
    use core::ptr::{addr_of, addr_of_mut};

    macro_rules! check {
        ($test:literal, $cond:expr) => {
            kernel::kunit_assert!($test, "init/initramfs_user_root.rs", 0, $cond)
        };
    }

    #[link_section = ".init.text"]
    fn same(a: Option<&CStr>, b: Option<&CStr>) -> bool {
        a.map(CStr::as_bytes) == b.map(CStr::as_bytes)
    }

    #[link_section = ".init.text"]
    extern "C" fn options_precedence(_test: *mut kunit) {
        let io = Some(c_str!("size=48m"));
        let rf = Some(c_str!("size=64m"));
        check!("options_precedence", same(mount_options(io, rf, false), io));
        check!("options_precedence", same(mount_options(io, rf, true), io));
        check!(
            "options_precedence",
            same(mount_options(None, rf, false), rf)
        );
        check!(
            "options_precedence",
            mount_options(None, rf, true).is_none()
        );
        check!(
            "options_precedence",
            mount_options(None, None, false).is_none()
        );
    }

    #[link_section = ".init.text"]
    extern "C" fn fs_type_follows_rootfs(_test: *mut kunit) {
        let tmpfs = FsType::from_magic(bindings::TMPFS_MAGIC.into());
        let ramfs = FsType::from_magic(bindings::RAMFS_MAGIC.into());
        check!(
            "fs_type_follows_rootfs",
            tmpfs.name().as_bytes() == b"tmpfs"
        );
        check!(
            "fs_type_follows_rootfs",
            ramfs.name().as_bytes() == b"ramfs"
        );
    }

    #[link_section = ".init.text"]
    extern "C" fn outcome_decision(_test: *mut kunit) {
        check!(
            "outcome_decision",
            matches!(Outcome::decide(true, true), Outcome::Switch)
        );
        check!(
            "outcome_decision",
            matches!(Outcome::decide(true, false), Outcome::NoInit)
        );
        check!(
            "outcome_decision",
            matches!(Outcome::decide(false, true), Outcome::UnpackFailed)
        );
        check!(
            "outcome_decision",
            matches!(Outcome::decide(false, false), Outcome::UnpackFailed)
        );
    }

    #[link_section = ".init.text"]
    extern "C" fn command_line_parsing(_test: *mut kunit) {
        let line = c_str!(
            "root=/dev/vda rdinit=/a initramfs-options=\"size=1m,mode=0755\" rootfstype=ramfs \
             rdinit=/b rootflags -- rdinit=/c"
        );
        let Ok(cmdline) = Cmdline::parse_from(line) else {
            check!("command_line_parsing", false);
            return;
        };
        let get = |p| cmdline.get(p).map(CStr::as_bytes);
        check!(
            "command_line_parsing",
            get(Param::Root) == Some(b"/dev/vda")
        );
        // The last one before `--` wins; what follows `--` is init's.
        check!("command_line_parsing", get(Param::Rdinit) == Some(b"/b"));
        // Quotes are stripped and commas kept; `-` stands for `_`.
        check!(
            "command_line_parsing",
            get(Param::InitramfsOptions) == Some(b"size=1m,mode=0755")
        );
        // A parameter without a value has none.
        check!("command_line_parsing", get(Param::Rootflags).is_none());
        cmdline.free();
    }

    #[link_section = ".init.text"]
    const fn case(name: &'static CStr, run: extern "C" fn(*mut kunit)) -> kunit_case {
        // SAFETY: All-zero is a valid `kunit_case` (no parameters, no attributes).
        let mut case: kunit_case = unsafe { core::mem::zeroed() };
        case.run_case = Some(run);
        case.name = name.as_char_ptr();
        case
    }

    #[link_section = ".init.data"]
    static mut CASES: [kunit_case; 5] = [
        case(c_str!("options_precedence"), options_precedence),
        case(c_str!("fs_type_follows_rootfs"), fs_type_follows_rootfs),
        case(c_str!("outcome_decision"), outcome_decision),
        case(c_str!("command_line_parsing"), command_line_parsing),
        // SAFETY: The all-zero case ends the array.
        unsafe { core::mem::zeroed() },
    ];

    #[link_section = ".init.data"]
    static mut SUITE: kunit_suite = {
        // SAFETY: All-zero is a valid `kunit_suite` to fill in.
        let mut suite: kunit_suite = unsafe { core::mem::zeroed() };
        let name = b"initramfs_user_root";
        let mut i = 0;
        while i < name.len() {
            suite.name[i] = name[i];
            i += 1;
        }
        suite.test_cases = addr_of_mut!(CASES).cast();
        suite
    };

    /// What the KUnit executor finds, like `kunit_test_init_section_suites()`.
    #[used]
    #[link_section = ".kunit_init_test_suites"]
    static mut SUITE_ENTRY: *const kunit_suite = addr_of!(SUITE);
}
