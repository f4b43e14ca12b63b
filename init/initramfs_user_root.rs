// SPDX-License-Identifier: GPL-2.0

//! Initramfs user root: unpack the initramfs into a mount of its own.
//!
//! The initramfs is normally unpacked into rootfs, the first mount of the
//! tree. That mount has no parent, so `pivot_root(2)` from it fails with
//! `EINVAL` and the initramfs can never be unmounted: container runtimes fall
//! back to `MS_MOVE` + `chroot()`, and `switch_root` has to delete files.
//!
//! With `CONFIG_INITRAMFS_USER_ROOT`, `populate_rootfs()` first calls
//! [`initramfs_user_root_mount`], before it queues the unpacking work and
//! before it enables usermode helpers. That mounts a second instance of the
//! filesystem rootfs has (tmpfs or ramfs), the "user root", on top of the
//! rootfs root, where `prepare_namespace()` puts a disk root, and makes it the
//! root and working directory of init and the kernel threads, which share
//! one `fs_struct`. Nothing can copy that root meanwhile: helpers are still
//! disabled and init has not started user space. The archives are then
//! unpacked into the user root, and a usermode helper forked while they are
//! finds its program there once they are, as it would in rootfs.
//!
//! After unpacking, [`initramfs_user_root_finish`] leaves everything as it
//! is when the rdinit program is there: the user root is `/`. Otherwise, or
//! when unpacking failed, every task that has the user root as its root or
//! working directory (init, the kernel threads and the helpers forked
//! meanwhile) gets the rootfs root back, each task's pair in one step, as
//! `pivot_root(2)` does; then the user root is unmounted and freed, and the
//! stock code unpacks into rootfs exactly as before. Every failure after the
//! mount ends the same way, so the stock error handling runs as on a kernel
//! without the user root. Nothing here panics.
//!
//! No closure or generic function of this file is used on an init path:
//! `#[link_section]` does not reach their code, which would stay resident.
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
use kernel::ffi::{c_char, c_int, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::str::CStr;

const __LOG_PREFIX: &[u8] = b"initramfs\0";

/// The rdinit program when `rdinit=` is not given (see `init/main.c`).
const DEFAULT_RDINIT: &CStr = c_str!("/init");

/// `initramfs_user_root=`: on unless turned off on the command line.
#[link_section = ".init.data"]
static ENABLED: AtomicBool = AtomicBool::new(true);

/// What [`initramfs_user_root_mount`] leaves for
/// [`initramfs_user_root_finish`] while the initramfs is unpacked.
struct Pending {
    /// The mounted and entered user root.
    entered: Entered,
    /// The parsed command line, for `rdinit=` and the options.
    cmdline: Cmdline,
}

/// Holds the [`Pending`] state between the two calls.
struct PendingCell(UnsafeCell<Option<Pending>>);

// SAFETY: It is only used by `initramfs_user_root_mount()` and
// `initramfs_user_root_finish()`. Their contracts have init call the first
// once, before it queues the unpacking work, and that work call the second
// once: queueing the work orders the two, so they never run concurrently.
unsafe impl Sync for PendingCell {}

#[link_section = ".init.data"]
static PENDING: PendingCell = PendingCell(UnsafeCell::new(None));

/// The filesystem of the user root: the one rootfs has, so that the system
/// sees the same kind of root as without the user root.
#[derive(Clone, Copy)]
enum FsType {
    /// rootfs is tmpfs (`CONFIG_TMPFS` and no `root=`, or `rootfstype=tmpfs`).
    Tmpfs,
    /// rootfs is ramfs.
    Ramfs,
}

impl FsType {
    /// The type of the filesystem at the root, rootfs's.
    #[link_section = ".init.text"]
    fn of_root() -> Result<Self> {
        let root = vfs::Path::lookup(c_str!("/"))?;
        let fs = Self::from_magic(root.magic());
        root.put();
        Ok(fs)
    }

    /// The type of a filesystem with the superblock magic `magic`; rootfs is
    /// tmpfs or ramfs, nothing else.
    #[link_section = ".init.text"]
    fn from_magic(magic: c_ulong) -> Self {
        if magic == bindings::TMPFS_MAGIC as c_ulong {
            FsType::Tmpfs
        } else {
            FsType::Ramfs
        }
    }

    /// The name `mount(2)` knows it by.
    #[link_section = ".init.text"]
    fn name(self) -> &'static CStr {
        match self {
            FsType::Tmpfs => c_str!("tmpfs"),
            FsType::Ramfs => c_str!("ramfs"),
        }
    }
}

/// The parameter whose value the user root is mounted with, if any.
///
/// `initramfs_options=` is meant for the initramfs root and wins. Without
/// it, `rootflags=` applies as in the 2021 patch, but only when no `root=` is
/// given: with `root=` those flags belong to the disk root.
#[link_section = ".init.text"]
fn options_param(initramfs_options: bool, rootflags: bool, root_given: bool) -> Option<Param> {
    if initramfs_options {
        Some(Param::InitramfsOptions)
    } else if rootflags && !root_given {
        Some(Param::Rootflags)
    } else {
        None
    }
}

/// Whether the comma-separated mount options `options` hold the `ro` flag,
/// which would make the user root read-only and unpacking into it fail.
#[link_section = ".init.text"]
fn has_ro_flag(options: &CStr) -> bool {
    let bytes = options.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i <= bytes.len() {
        if i == bytes.len() || bytes[i] == b',' {
            if i - start == 2 && bytes[start] == b'r' && bytes[start + 1] == b'o' {
                return true;
            }
            start = i + 1;
        }
        i += 1;
    }
    false
}

/// What happens to the user root once the initramfs is unpacked.
enum Outcome {
    /// It stays `/`.
    Keep,
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
            (true, true) => Outcome::Keep,
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

/// Mounts the user root on top of the rootfs root and makes it the root and
/// working directory of init and the kernel threads.
///
/// Returns `true` when the caller must unpack the initramfs (built-in, then
/// external) into the current root and then call
/// [`initramfs_user_root_finish`]; `false` leaves rootfs untouched.
///
/// # Safety
///
/// Called once, by init, before the unpacking work is queued and before
/// usermode helpers are enabled, so that no task can copy the root while it
/// changes; [`initramfs_user_root_finish`] must follow, from the unpacking
/// work, when this returns `true`.
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
                "user root: cannot read the command line: {:?}; unpacking into rootfs\n",
                e
            );
            return false;
        }
    };
    match Entered::enter(&cmdline) {
        Ok(entered) => {
            // SAFETY: By this function's contract nothing else uses it now.
            unsafe { *PENDING.0.get() = Some(Pending { entered, cmdline }) };
            true
        }
        Err(e) => {
            pr_err!(
                "cannot mount the user root: {:?}; unpacking into rootfs\n",
                e
            );
            cmdline.free();
            false
        }
    }
}

/// The user root while it is mounted and entered.
///
/// Released with [`Entered::release`] or [`Entered::leave`] rather than
/// `Drop`, as [`vfs::Path`].
struct Entered {
    /// The rootfs root, which it covers.
    below: vfs::Path,
    /// The root of the user root.
    root: vfs::Path,
    /// Its filesystem.
    fs: FsType,
    /// The parameter whose value it was mounted with.
    options: Option<Param>,
}

impl Entered {
    /// Mounts the user root on top of the rootfs root and makes it the root
    /// and working directory of init and the kernel threads, which share one
    /// `fs_struct`, with the options of [`options_param`]. `rootflags=` that
    /// would make it read-only or that its filesystem rejects are dropped
    /// with a warning: they were meant for a root the kernel mounts, and
    /// without `root=` it mounts none. `initramfs_options=` are always used.
    /// On failure nothing is mounted.
    #[link_section = ".init.text"]
    fn enter(cmdline: &Cmdline) -> Result<Self> {
        let fs = FsType::of_root()?;
        let mut options = options_param(
            cmdline.has(Param::InitramfsOptions),
            cmdline.has(Param::Rootflags),
            cmdline.has_root(),
        );
        if let Some(Param::Rootflags) = options {
            let flags = cmdline.value(Param::Rootflags);
            if has_ro_flag(flags) {
                pr_warn!(
                    "rootflags=\"{}\" would make the user root read-only; mounting it without them\n",
                    flags
                );
                options = None;
            }
        }
        match Self::mount(fs, options, cmdline) {
            Ok(entered) => Ok(entered),
            Err(e) => {
                let Some(Param::Rootflags) = options else {
                    return Err(e);
                };
                pr_warn!(
                    "rootflags=\"{}\" rejected by the user root ({}): {:?}; mounting it without them\n",
                    cmdline.value(Param::Rootflags),
                    fs.name(),
                    e
                );
                Self::mount(fs, None, cmdline)
            }
        }
    }

    /// Mounts an instance of `fs` on top of the root with the value of
    /// `options`, and enters it.
    // No `Option::map()`: its closure would be compiled outside `.init.text`.
    #[allow(clippy::manual_map)]
    #[link_section = ".init.text"]
    fn mount(fs: FsType, options: Option<Param>, cmdline: &Cmdline) -> Result<Self> {
        let data = match options {
            Some(param) => Some(cmdline.value(param)),
            None => None,
        };
        let (below, root) = vfs::enter_mount(fs.name(), data)?;
        Ok(Self {
            below,
            root,
            fs,
            options,
        })
    }

    /// Gives the user root up: every task whose root or working directory
    /// it is (init, the kernel threads, usermode helpers forked meanwhile
    /// and waiting for the initramfs) gets the rootfs root instead, each
    /// task's pair in one step; then it is unmounted and freed. Whatever
    /// fails, the tasks have the rootfs root afterwards, and the caller
    /// goes on as the stock kernel does.
    #[link_section = ".init.text"]
    fn leave(self) {
        match vfs::leave_mount(&self.below, self.root) {
            Ok(()) => {}
            Err(e) if e == code::EBUSY => {
                pr_warn!("the user root stayed in use; detached it lazily\n")
            }
            Err(e) if e.to_errno() == -(bindings::ESTALE as c_int) => {
                pr_warn!("the user root was unmounted by someone else\n")
            }
            Err(e) => pr_err!(
                "cannot unmount the user root: {:?}; rootfs is the root again\n",
                e
            ),
        }
        self.below.put();
    }

    /// Drops the references, keeping the user root as the root.
    #[link_section = ".init.text"]
    fn release(self) {
        self.root.put();
        self.below.put();
    }
}

/// Finishes what [`initramfs_user_root_mount`] started, after unpacking.
///
/// `unpack_error` is the error message of the unpacking, or NULL. Returns
/// `true` when the user root stays `/`; `false` when it is gone and the
/// caller must unpack into rootfs as the stock kernel does.
///
/// # Safety
///
/// Called once, by the unpacking work that [`initramfs_user_root_mount`]
/// preceded, after unpacking. `unpack_error` is NULL or a NUL-terminated
/// string; the caller has closed every file it opened in the user root.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn initramfs_user_root_finish(unpack_error: *const c_char) -> bool {
    // SAFETY: By this function's contract `initramfs_user_root_mount()` is
    // done with it and nothing else uses it.
    let Some(Pending { entered, cmdline }) = (unsafe { (*PENDING.0.get()).take() }) else {
        return false;
    };
    let rdinit_name = match cmdline.get(Param::Rdinit) {
        Some(name) => name,
        None => DEFAULT_RDINIT,
    };
    // An absolute symlink at the rdinit path resolves inside the user root,
    // as it will for init.
    let has_rdinit = matches!(vfs::eaccess(rdinit_name), Ok(()));

    let kept = match Outcome::decide(unpack_error.is_null(), has_rdinit) {
        Outcome::Keep => {
            match entered.options {
                Some(param) => pr_info!(
                    "/ is a user root ({}, {}): pivot_root(2) works from it\n",
                    entered.fs.name(),
                    cmdline.value(param)
                ),
                None => pr_info!(
                    "/ is a user root ({}): pivot_root(2) works from it\n",
                    entered.fs.name()
                ),
            }
            entered.release();
            true
        }
        // Info, not an error: the stock code that runs next reports the
        // error itself, as it would without the user root.
        Outcome::NoInit => {
            pr_info!(
                "no {} in the initramfs; unmounting the user root\n",
                rdinit_name
            );
            entered.leave();
            false
        }
        Outcome::UnpackFailed => {
            // SAFETY: Not NULL here, and a valid string by the caller's contract.
            let msg = unsafe { CStr::from_char_ptr(unpack_error) };
            pr_info!(
                "unpacking into the user root failed ({}); unpacking into rootfs\n",
                msg
            );
            entered.leave();
            false
        }
    };
    cmdline.free();
    kept
}

/// The boot parameters the user root depends on.
#[derive(Clone, Copy, PartialEq)]
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
        // Each starts with 'r' or 'i': most names need no comparing.
        if !matches!(name.as_bytes().first(), Some(b'r' | b'i')) {
            return None;
        }
        if param_is(name, c_str!("root")) {
            Some(Param::Root)
        } else if param_is(name, c_str!("rootflags")) {
            Some(Param::Rootflags)
        } else if param_is(name, c_str!("initramfs_options")) {
            Some(Param::InitramfsOptions)
        } else if param_is(name, c_str!("rdinit")) {
            Some(Param::Rdinit)
        } else {
            None
        }
    }
}

/// Whether the parameter name `name` is `want`, as the kernel compares
/// parameter names.
#[link_section = ".init.text"]
fn param_is(name: &CStr, want: &CStr) -> bool {
    // SAFETY: Both are valid NUL-terminated strings.
    unsafe { bindings::parameq(name.as_char_ptr(), want.as_char_ptr()) }
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
        if value.is_null() {
            return None;
        }
        // SAFETY: Values point into `buf`, which lives as long as `self`.
        Some(unsafe { CStr::from_char_ptr(value) })
    }

    /// Whether `param` was given with a value.
    #[link_section = ".init.text"]
    fn has(&self, param: Param) -> bool {
        !self.values[param as usize].is_null()
    }

    /// The value of `param`, empty if it was not given with one.
    #[link_section = ".init.text"]
    fn value(&self, param: Param) -> &CStr {
        match self.get(param) {
            Some(value) => value,
            None => c_str!(""),
        }
    }

    /// Whether a non-empty `root=` was given.
    #[link_section = ".init.text"]
    fn has_root(&self) -> bool {
        !self.value(Param::Root).is_empty()
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
    if val.is_null() {
        return 0;
    }
    // SAFETY: `arg` is the `Cmdline` passed to `parse_args()`; `param` is a
    // NUL-terminated string in its buffer.
    let (cmdline, name) = unsafe { (&mut *arg.cast::<Cmdline>(), CStr::from_char_ptr(param)) };
    if let Some(p) = Param::from_name(name) {
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
        /// No path, to be filled in.
        const EMPTY: Self = Self(bindings::path {
            mnt: ptr::null_mut(),
            dentry: ptr::null_mut(),
        });

        /// Looks `name` up.
        #[link_section = ".init.text"]
        pub(super) fn lookup(name: &CStr) -> Result<Self> {
            let mut path = Self::EMPTY;
            // SAFETY: `name` is a valid string, `path` a valid out-parameter.
            to_result(unsafe { bindings::kern_path(name.as_char_ptr(), 0, &mut path.0) })?;
            Ok(path)
        }

        /// Drops the references.
        #[link_section = ".init.text"]
        pub(super) fn put(self) {
            // SAFETY: `self.0` holds the references taken for it, and `self`
            // is consumed, so they are put once.
            unsafe { bindings::path_put(&self.0) };
        }

        /// The magic number of the filesystem here, read from its
        /// superblock: what `statfs(2)` reports as `f_type`.
        #[link_section = ".init.text"]
        pub(super) fn magic(&self) -> c_ulong {
            // SAFETY: `self.0` is a live path: its dentry, and the
            // superblock the dentry belongs to, are pinned by it.
            unsafe { (*(*self.0.dentry).d_sb).s_magic }
        }
    }

    /// Mounts `fstype` on top of the root and enters it, with
    /// `init_enter_mount()`; returns the covered root and the new one.
    ///
    /// The options go in a zeroed page-sized copy: `path_mount()` takes them
    /// as a page, as `mount(2)` copies them, parses them in place and writes
    /// a NUL at `data[PAGE_SIZE - 1]` (`mount_root_generic()` does the same
    /// for `rootflags=`).
    #[link_section = ".init.text"]
    pub(super) fn enter_mount(fstype: &CStr, options: Option<&CStr>) -> Result<(Path, Path)> {
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
        let mut below = Path::EMPTY;
        let mut root = Path::EMPTY;
        // SAFETY: `fstype` is a valid string; `data` is NULL or a page-sized,
        // NUL-terminated copy that nothing else uses; the paths are valid
        // out-parameters, filled with references only on success.
        let ret = unsafe {
            bindings::init_enter_mount(fstype.as_char_ptr(), data.cast(), &mut below.0, &mut root.0)
        };
        // SAFETY: `data` is NULL or came from `krealloc()`; the mount keeps
        // no reference to it.
        unsafe { bindings::kfree(data.cast::<c_void>()) };
        to_result(ret)?;
        Ok((below, root))
    }

    /// Gives `below` back to every task that has `root` as its root or
    /// working directory and unmounts `root`'s mount, with
    /// `init_leave_mount()`: `Ok` when it is freed, `EBUSY` when it had to
    /// be detached lazily, `ESTALE` when someone else unmounted it.
    #[link_section = ".init.text"]
    pub(super) fn leave_mount(below: &Path, root: Path) -> Result {
        let mut root = root;
        // SAFETY: Both paths are live; the function drops `root`'s
        // references, which are not used after this.
        to_result(unsafe { bindings::init_leave_mount(&below.0, &mut root.0) })
    }

    /// Whether `name` exists and may be accessed, as `kernel_init` checks
    /// the rdinit program.
    #[link_section = ".init.text"]
    pub(super) fn eaccess(name: &CStr) -> Result {
        // SAFETY: `name` is a valid string.
        to_result(unsafe { bindings::init_eaccess(name.as_char_ptr()) })
    }
}

/// KUnit tests of the decisions above, run at boot before the init sections
/// are freed (`.kunit_init_test_suites`): 6.12 has no Rust KUnit suite macro,
/// so the suite is laid out by hand as `kunit_test_init_section_suites()`
/// does in C. As `include/kunit/test.h` asks, the suite and its cases are not
/// init data: debugfs keeps pointers to them for the `results` file, read
/// after the init sections are freed. The cases reference the test functions
/// in `.init.text`, so they are `__refdata` (`.ref.data`), as in
/// `lib/kunit/kunit-example-test.c`.
#[cfg(CONFIG_INITRAMFS_USER_ROOT_KUNIT_TEST)]
mod tests {
    use super::*;
    use bindings::{kunit, kunit_case, kunit_suite};
    use core::ptr::{addr_of, addr_of_mut};

    // 6.12 has no `#[kunit_tests]` (it came in 6.15) and nothing public
    // for an assertion in a suite laid out by hand: `kernel::kunit_assert!`
    // is the macro its doctests expand to, exported but `#[doc(hidden)]`.
    // It reports a failed case through the `kunit` the executor runs, as a
    // C `KUNIT_ASSERT_TRUE()` does. On 6.15 and later, `#[kunit_tests]`
    // and its `assert!` replace this macro and the hand-made suite below.
    macro_rules! check {
        ($test:literal, $cond:expr) => {
            kernel::kunit_assert!($test, "init/initramfs_user_root.rs", 0, $cond)
        };
    }

    #[link_section = ".init.text"]
    extern "C" fn options_precedence(_test: *mut kunit) {
        use Param::{InitramfsOptions, Rootflags};
        // initramfs_options= wins, with or without root=.
        check!(
            "options_precedence",
            options_param(true, true, false) == Some(InitramfsOptions)
        );
        check!(
            "options_precedence",
            options_param(true, true, true) == Some(InitramfsOptions)
        );
        // rootflags= only without root=, where it belongs to the disk.
        check!(
            "options_precedence",
            options_param(false, true, false) == Some(Rootflags)
        );
        check!(
            "options_precedence",
            options_param(false, true, true).is_none()
        );
        check!(
            "options_precedence",
            options_param(false, false, false).is_none()
        );
    }

    #[link_section = ".init.text"]
    extern "C" fn read_only_flag(_test: *mut kunit) {
        check!("read_only_flag", has_ro_flag(c_str!("ro")));
        check!("read_only_flag", has_ro_flag(c_str!("size=1m,ro")));
        check!("read_only_flag", has_ro_flag(c_str!("ro,size=1m")));
        check!("read_only_flag", has_ro_flag(c_str!("a,ro,b")));
        check!("read_only_flag", !has_ro_flag(c_str!("")));
        check!("read_only_flag", !has_ro_flag(c_str!("rw")));
        check!("read_only_flag", !has_ro_flag(c_str!("root=ro")));
        check!("read_only_flag", !has_ro_flag(c_str!("rox,xro")));
        check!("read_only_flag", !has_ro_flag(c_str!("subvol=@")));
    }

    #[link_section = ".init.text"]
    extern "C" fn fs_type_follows_rootfs(_test: *mut kunit) {
        let tmpfs = FsType::from_magic(bindings::TMPFS_MAGIC as c_ulong);
        let ramfs = FsType::from_magic(bindings::RAMFS_MAGIC as c_ulong);
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
            matches!(Outcome::decide(true, true), Outcome::Keep)
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

    /// The value of `param` in `cmdline`, as bytes.
    // No `Option::map()`: its closure would be compiled outside `.init.text`.
    #[allow(clippy::manual_map)]
    #[link_section = ".init.text"]
    fn value_of(cmdline: &Cmdline, param: Param) -> Option<&[u8]> {
        match cmdline.get(param) {
            Some(value) => Some(value.as_bytes()),
            None => None,
        }
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
        check!(
            "command_line_parsing",
            value_of(&cmdline, Param::Root) == Some(b"/dev/vda")
        );
        check!("command_line_parsing", cmdline.has_root());
        // The last one before `--` wins; what follows `--` is init's.
        check!(
            "command_line_parsing",
            value_of(&cmdline, Param::Rdinit) == Some(b"/b")
        );
        // Quotes are stripped and commas kept; `-` stands for `_`.
        check!(
            "command_line_parsing",
            value_of(&cmdline, Param::InitramfsOptions) == Some(b"size=1m,mode=0755")
        );
        // A parameter without a value has none.
        check!(
            "command_line_parsing",
            value_of(&cmdline, Param::Rootflags).is_none()
        );
        check!(
            "command_line_parsing",
            cmdline.value(Param::Rootflags).is_empty()
        );
        cmdline.free();

        // An empty root= is no root=.
        let Ok(cmdline) = Cmdline::parse_from(c_str!("root= quiet")) else {
            check!("command_line_parsing", false);
            return;
        };
        check!("command_line_parsing", !cmdline.has_root());
        cmdline.free();
    }

    /// What `KBUILD_MODNAME` is for this object, and what `KUNIT_CASE()`
    /// puts in every case of a C suite: `kunit.filter=module=...` reads it.
    const MODULE_NAME: &CStr = c_str!("initramfs_user_root");

    #[link_section = ".init.text"]
    const fn case(name: &'static CStr, run: extern "C" fn(*mut kunit)) -> kunit_case {
        // SAFETY: All-zero is a valid `kunit_case` (no parameters, no attributes).
        let mut case: kunit_case = unsafe { core::mem::zeroed() };
        case.run_case = Some(run);
        case.name = name.as_char_ptr();
        case.module_name = MODULE_NAME.as_char_ptr().cast_mut();
        case
    }

    #[link_section = ".ref.data"]
    static mut CASES: [kunit_case; 6] = [
        case(c_str!("options_precedence"), options_precedence),
        case(c_str!("read_only_flag"), read_only_flag),
        case(c_str!("fs_type_follows_rootfs"), fs_type_follows_rootfs),
        case(c_str!("outcome_decision"), outcome_decision),
        case(c_str!("command_line_parsing"), command_line_parsing),
        // SAFETY: The all-zero case ends the array.
        unsafe { core::mem::zeroed() },
    ];

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
