#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building CONFIG_RUST 6.12 kernels for x86_64 and arm64 and
# booting them in QEMU needs, on a bare Debian 12 machine. Idempotent: each
# step checks first and says what it is doing.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"

BINDGEN_VERSION=0.72.1
PACKAGES=(
	build-essential bc bison flex cpio xz-utils kmod
	libelf-dev libssl-dev
	# pahole, for BTF: make compare configures Debian's kernel, which
	# has it (with Rust only from pahole 1.24 on).
	dwarves
	clang lld llvm libclang-dev
	qemu-system-x86 busybox-static e2fsprogs ccache gnuplot-nox
	linux-source-6.12
	runc bubblewrap
	# Nix, whose build sandbox pivots (client-nix).
	nix-bin
	# virtme-ng's guest init names its exit-code port through udev;
	# it checks that busybox is static with `file`.
	udev file
	python3-venv
	# The series gates: git trees, rst syntax, checkpatch's SPDX check;
	# quilt, as Debian's source package applies patches.
	git python3-docutils python3-ply python3-git quilt
	# The distributions' own initramfs generators and LXC, booted as
	# they are (dracut-core is dracut without its conflict with
	# initramfs-tools).
	initramfs-tools dracut-core lxc
	# Container engines run from an initramfs: Docker (with containerd
	# and runc) and podman (with crun), copied into the guest images.
	docker.io podman crun
	# arm64: QEMU, and gcc with libc for the kselftest (the kernels are
	# built by clang).
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
# Guest userspace for arm64, from Debian's arm64 packages, unpacked into the
# cache rather than installed.
ARM64_PACKAGES=(busybox-static runc libseccomp2 libc6
	# Nix and the libraries it loads (apt-get download takes no
	# dependencies).
	nix-bin libacl1 libarchive13 libboost-context1.74.0 libbrotli1 libbsd0
	libbz2-1.0 libcom-err2 libcurl3-gnutls libffi8 libgc1 libgcc-s1 libgmp10
	libgnutls30 libgssapi-krb5-2 libhogweed6 libicu72 libidn2-0 libk5crypto3
	libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 liblz4-1 liblzma5
	libmd0 libnettle8 libnghttp2-14 libp11-kit0 libpsl5 libreadline8 librtmp1
	libsasl2-2 libsodium23 libsqlite3-0 libssh2-1 libssl3 libstdc++6
	libtasn1-6 libtinfo6 libunistring2 libxml2 libzstd1 zlib1g)
CACHE=${USERROOT_CACHE:-$HOME/.cache/linux-userroot}
# virtme-ng goes into a venv of Debian's python3 in the cache, whatever
# python3 a login shell would find.
VENV=$CACHE/venv

step() { printf '==> %s\n' "$*" >&2; }
# What this script cannot install, each reported in one line before
# anything is done.
missing_prerequisite() {
	printf 'userroot: %s\n' "$*" >&2
	exit 1
}
command -v apt-get >/dev/null ||
	missing_prerequisite "apt-get not found: the set-up installs Debian 12's packages"
for tool in rustup cargo; do
	command -v "$tool" >/dev/null ||
		missing_prerequisite "$tool not found in PATH or ~/.cargo/bin: install Rust with rustup (https://rustup.rs); the set-up adds rust-src, rustfmt and clippy to its toolchain"
done
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null ||
		missing_prerequisite "not root and no sudo: apt-get needs one of them"
	sudo=sudo
fi
start=$(date +%s)

# Debian's source package of the kernel (its patch list only), for
# checking that the series applies to kernel.org's tree too.
SRC_LIST=/etc/apt/sources.list.d/userroot-debian-src.sources
updated=yes
if ! [ -e "$SRC_LIST" ]; then
	step "apt: adding deb-src for bookworm-security (Debian's kernel patch list)"
	$sudo tee "$SRC_LIST" >/dev/null <<-EOF
	Types: deb-src
	URIs: http://deb.debian.org/debian-security
	Suites: bookworm-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	updated=
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	step "dpkg: adding the arm64 architecture (for downloading guest packages)"
	$sudo dpkg --add-architecture arm64
	updated=
fi
if ((${#missing[@]})) || [ -z "$updated" ]; then
	step "apt-get: installing ${missing[*]:-nothing new, reading the new lists}"
	$sudo apt-get update -qq
	# The engines' services must not start on this machine: only their
	# programs are used, in guests. A policy-rc.d of the machine's own is
	# left as it is; ours goes once apt is done.
	policy=
	if ! [ -e /usr/sbin/policy-rc.d ]; then
		step "apt-get: services of new packages not started (a temporary /usr/sbin/policy-rc.d)"
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
		policy=ours
		trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	if [ -n "$policy" ]; then
		$sudo rm -f /usr/sbin/policy-rc.d
		trap - EXIT
	fi
else
	step "apt-get: all ${#PACKAGES[@]} packages present"
fi

ARM64_ROOT=$CACHE/packages/arm64
want=$(apt-cache policy "${ARM64_PACKAGES[@]/%/:arm64}" | awk '/Candidate/ { print $2 }' | tr '\n' ' ')
if [ "$(cat "$ARM64_ROOT/.versions" 2>/dev/null)" != "$want" ]; then
	step "apt-get: unpacking arm64 ${ARM64_PACKAGES[*]} into $ARM64_ROOT"
	rm -rf "$ARM64_ROOT" "$CACHE/packages/debs"
	mkdir -p "$ARM64_ROOT" "$CACHE/packages/debs"
	(cd "$CACHE/packages/debs" && apt-get download -qq -o APT::Sandbox::User=root "${ARM64_PACKAGES[@]/%/:arm64}")
	for deb in "$CACHE"/packages/debs/*.deb; do
		dpkg-deb -x "$deb" "$ARM64_ROOT"
	done
	echo "$want" >"$ARM64_ROOT/.versions"
else
	step "apt-get: arm64 guest packages present in $ARM64_ROOT"
fi

# rust-src for the kernel's Rust; rustfmt and clippy for the gates and the
# runner's own check (a minimal rustup profile lacks them).
for component in rust-src rustfmt clippy; do
	if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
		step "rustup: adding $component"
		rustup component add "$component"
	else
		step "rustup: $component present"
	fi
done

if ! bindgen --version 2>/dev/null | grep -q "bindgen $BINDGEN_VERSION"; then
	step "cargo: installing bindgen-cli $BINDGEN_VERSION (a few minutes)"
	cargo install --quiet --locked --version "$BINDGEN_VERSION" bindgen-cli
else
	step "cargo: bindgen-cli $BINDGEN_VERSION present"
fi

if ! [ -x "$VENV/bin/vng" ]; then
	step "pip: installing virtme-ng into $VENV"
	/usr/bin/python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet virtme-ng
else
	step "pip: virtme-ng present in $VENV"
fi
step "set-up done in $(($(date +%s) - start)) s"
