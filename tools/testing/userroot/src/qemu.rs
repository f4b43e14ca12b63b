// SPDX-License-Identifier: GPL-2.0
//! Booting a kernel in QEMU: per-arch parameters as data, KVM only when a
//! probe boot shows it works, a hard timeout, the serial console to a log.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Result;

/// What differs between architectures, for kbuild and for QEMU.
#[derive(Debug)]
pub struct Arch {
    /// `ARCH=` for kbuild.
    pub name: &'static str,
    /// The QEMU binary.
    pub qemu: &'static str,
    /// Machine options.
    pub machine: &'static [&'static str],
    /// The serial console device in the guest.
    pub console: &'static str,
    /// The boot image in the build directory.
    pub kernel_image: &'static str,
    /// The target triple of user-space programs built for the guest.
    pub triple: &'static str,
    /// The Debian architecture of guest packages.
    pub debian: &'static str,
}

/// x86_64 on QEMU's `pc` machine.
pub static X86_64: Arch = Arch {
    name: "x86_64",
    qemu: "qemu-system-x86_64",
    machine: &["-machine", "pc"],
    console: "ttyS0",
    kernel_image: "arch/x86/boot/bzImage",
    triple: "x86_64-linux-gnu",
    debian: "amd64",
};

/// arm64 on QEMU's `virt` machine with a Cortex-A57.
pub static ARM64: Arch = Arch {
    name: "arm64",
    qemu: "qemu-system-aarch64",
    machine: &["-machine", "virt", "-cpu", "cortex-a57"],
    console: "ttyAMA0",
    kernel_image: "arch/arm64/boot/Image",
    triple: "aarch64-linux-gnu",
    debian: "arm64",
};

/// How QEMU runs the guest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Accel {
    /// Hardware virtualisation.
    Kvm,
    /// Software emulation: slow, always there.
    Tcg,
}

impl Accel {
    fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// One boot.
pub struct Boot<'a> {
    /// The architecture of the kernel.
    pub arch: &'a Arch,
    /// The kernel image.
    pub kernel: &'a Path,
    /// An external initramfs.
    pub initrd: Option<&'a Path>,
    /// A raw disk image for the first virtio disk.
    pub disk: Option<&'a Path>,
    /// Kernel command line after the console settings.
    pub cmdline: &'a str,
    /// Guest memory.
    pub mem_mib: u32,
    /// Virtual CPUs.
    pub cpus: u32,
    /// Where the serial console goes.
    pub log: &'a Path,
    /// When to give up and kill QEMU.
    pub timeout: Duration,
    /// Guest time counts instructions (`-icount shift=0`, 1 ns each):
    /// deterministic figures for benchmarks, whatever the host is doing.
    pub icount: bool,
}

/// How a boot ended.
#[derive(Clone)]
pub struct Booted {
    /// QEMU was killed at the timeout.
    pub timed_out: bool,
    /// Wall time of the boot.
    pub secs: f64,
}

/// Boots and waits for the guest to end (it reboots; QEMU has
/// `-no-reboot`) or for the timeout. The previous log is removed first, so
/// that a QEMU that dies early can never leave an older boot's log to be
/// read as this one's; a QEMU that exits with an error is an error, with
/// its stderr.
pub fn boot(accel: Accel, b: &Boot) -> Result<Booted> {
    let arch = b.arch;
    let mut cmd = Command::new(arch.qemu);
    cmd.args(arch.machine)
        .args(["-accel", accel.name(), "-m", &b.mem_mib.to_string()])
        .args(["-smp", &b.cpus.to_string()])
        .args([
            "-nodefaults",
            "-no-reboot",
            "-display",
            "none",
            "-monitor",
            "none",
        ])
        .arg("-serial")
        .arg(format!("file:{}", b.log.display()))
        .arg("-kernel")
        .arg(b.kernel)
        .arg("-append")
        .arg(format!("console={} panic=-1 {}", arch.console, b.cmdline));
    if b.icount {
        cmd.args(["-icount", "shift=0,sleep=off"]);
    }
    if let Some(initrd) = b.initrd {
        cmd.arg("-initrd").arg(initrd);
    }
    if let Some(disk) = b.disk {
        // Writes go to a temporary overlay: boots running side by side
        // share the image, and each finds it as it was made.
        cmd.arg("-drive").arg(format!(
            "file={},if=virtio,format=raw,snapshot=on",
            disk.display()
        ));
    }
    let err_path = b.log.with_extension("qemu.err");
    for stale in [b.log, &err_path] {
        match fs::remove_file(stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", stale.display()).into())
            }
            _ => {}
        }
    }
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&err_path)?)
        .spawn()
        .map_err(|e| format!("{}: {e}", arch.qemu))?;
    let (timed_out, status) = loop {
        if let Some(status) = child.try_wait()? {
            break (false, Some(status));
        }
        if start.elapsed() > b.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break (true, None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(status) = status.filter(|s| !s.success()) {
        let stderr = fs::read_to_string(&err_path).unwrap_or_default();
        return Err(format!("{} exited with {status}: {}", arch.qemu, stderr.trim()).into());
    }
    if !b.log.exists() {
        return Err(format!("{} wrote no serial log", arch.qemu).into());
    }
    Ok(Booted {
        timed_out,
        secs: start.elapsed().as_secs_f64(),
    })
}

/// Picks the accelerator and says why: `USERROOT_ACCEL` if set, else KVM
/// when `/dev/kvm` opens and `probe` (a boot under KVM) finishes, else TCG
/// with what failed.
pub fn choose_accel(
    probe: impl FnOnce(Accel) -> std::result::Result<(), String>,
) -> Result<(Accel, String)> {
    match std::env::var("USERROOT_ACCEL").as_deref() {
        Ok("kvm") => return Ok((Accel::Kvm, "USERROOT_ACCEL=kvm".into())),
        Ok("tcg") => return Ok((Accel::Tcg, "USERROOT_ACCEL=tcg".into())),
        Ok(other) => return Err(format!("USERROOT_ACCEL={other}: use kvm or tcg").into()),
        Err(_) => {}
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        return Ok((Accel::Tcg, format!("/dev/kvm does not open: {e}")));
    }
    Ok(match probe(Accel::Kvm) {
        Ok(()) => (Accel::Kvm, "a probe boot under KVM finished".into()),
        Err(why) => (Accel::Tcg, format!("a probe boot under KVM failed: {why}")),
    })
}

/// Fails, naming the package, when an architecture's QEMU is not installed:
/// one line before anything is built.
pub fn installed(arches: &[&Arch]) -> Result<()> {
    for arch in arches {
        let found = Command::new(arch.qemu)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!(
                "{} is not installed (package {}): run `make setup`",
                arch.qemu,
                match arch.name {
                    "x86_64" => "qemu-system-x86",
                    _ => "qemu-system-arm",
                }
            )
            .into());
        }
    }
    Ok(())
}
