#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building a CONFIG_RUST 6.12 kernel and booting it in QEMU
# needs, on a bare Debian 12 machine. Idempotent: each step checks first and
# says what it is doing.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"

BINDGEN_VERSION=0.72.1
PACKAGES=(
	build-essential bc bison flex cpio xz-utils kmod
	libelf-dev libssl-dev
	clang lld llvm libclang-dev
	qemu-system-x86 busybox-static e2fsprogs ccache gnuplot-nox
	linux-source-6.12
	runc
	# virtme-ng's guest init names its exit-code port through udev.
	udev
	python3-venv
	# The series gates: git trees, rst syntax, checkpatch's SPDX check.
	git python3-docutils python3-ply python3-git
)
# virtme-ng goes into a venv of Debian's python3 in the cache, whatever
# python3 a login shell would find.
VENV=${USERROOT_CACHE:-$HOME/.cache/linux-userroot}/venv

step() { printf '==> %s\n' "$*"; }

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	step "apt-get: installing ${missing[*]}"
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
else
	step "apt-get: all ${#PACKAGES[@]} packages present"
fi

if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	step "rustup: adding rust-src"
	rustup component add rust-src
else
	step "rustup: rust-src present"
fi

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
step "set-up done"
