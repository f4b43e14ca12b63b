// SPDX-License-Identifier: GPL-2.0
//! Booting a kernel in QEMU: per-arch parameters as data, KVM only when a
//! probe boot shows it works, a hard timeout, the serial console to a log.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// What differs between architectures.
pub struct Arch {
    /// The QEMU binary.
    pub qemu: &'static str,
    /// Machine options.
    pub machine: &'static [&'static str],
    /// The serial console device in the guest.
    pub console: &'static str,
    /// The boot image in the build directory.
    pub kernel_image: &'static str,
}

/// The one architecture we boot.
pub const ARCH: Arch = Arch {
    qemu: "qemu-system-x86_64",
    machine: &["-machine", "pc", "-smp", "1"],
    console: "ttyS0",
    kernel_image: "arch/x86/boot/bzImage",
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
    /// The bzImage.
    pub kernel: &'a Path,
    /// An external initramfs.
    pub initrd: Option<&'a Path>,
    /// A raw disk image for the first virtio disk.
    pub disk: Option<&'a Path>,
    /// Kernel command line after the console settings.
    pub cmdline: &'a str,
    /// Guest memory.
    pub mem_mib: u32,
    /// Where the serial console goes.
    pub log: &'a Path,
    /// When to give up and kill QEMU.
    pub timeout: Duration,
    /// Guest time counts instructions (`-icount shift=0`, 1 ns each):
    /// deterministic figures for benchmarks, whatever the host is doing.
    pub icount: bool,
}

/// How a boot ended.
pub struct Booted {
    /// QEMU was killed at the timeout.
    pub timed_out: bool,
    /// Wall time of the boot.
    pub secs: f64,
}

/// Boots and waits for the guest to end (it reboots; QEMU has
/// `-no-reboot`) or for the timeout.
pub fn boot(accel: Accel, b: &Boot) -> Result<Booted> {
    let mut cmd = Command::new(ARCH.qemu);
    cmd.args(ARCH.machine)
        .args(["-accel", accel.name(), "-m", &b.mem_mib.to_string()])
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
        .arg(format!("console={} panic=-1 {}", ARCH.console, b.cmdline));
    if b.icount {
        cmd.args(["-icount", "shift=0,sleep=off"]);
    }
    if let Some(initrd) = b.initrd {
        cmd.arg("-initrd").arg(initrd);
    }
    if let Some(disk) = b.disk {
        cmd.arg("-drive")
            .arg(format!("file={},if=virtio,format=raw", disk.display()));
    }
    let stderr = File::create(b.log.with_extension("qemu.err"))?;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let timed_out = loop {
        if child.try_wait()?.is_some() {
            break false;
        }
        if start.elapsed() > b.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Booted {
        timed_out,
        secs: start.elapsed().as_secs_f64(),
    })
}

/// Picks the accelerator: `USERROOT_ACCEL` if set, else KVM when `/dev/kvm`
/// opens and `works` (a probe boot) says it boots, else TCG.
pub fn choose_accel(works: impl FnOnce(Accel) -> bool) -> Result<Accel> {
    match std::env::var("USERROOT_ACCEL").as_deref() {
        Ok("kvm") => return Ok(Accel::Kvm),
        Ok("tcg") => return Ok(Accel::Tcg),
        Ok(other) => return Err(format!("USERROOT_ACCEL={other}: use kvm or tcg").into()),
        Err(_) => {}
    }
    let kvm_opens = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    Ok(if kvm_opens && works(Accel::Kvm) {
        Accel::Kvm
    } else {
        Accel::Tcg
    })
}
