# SPDX-License-Identifier: GPL-2.0
#
# Entry points of the initramfs user root project; see README.md.
# Kernel source, builds, images and logs live in $(USERROOT_CACHE), outside
# the checkout.

TOOL_DIR := tools/testing/userroot
export USERROOT_CACHE ?= $(HOME)/.cache/linux-userroot
export USERROOT_REPO := $(CURDIR)
# One runner per checkout: the runner is built before it takes the cache's
# lock, so a shared target directory could hand one checkout the other's.
CHECKOUT_KEY := $(shell printf '%s' '$(CURDIR)' | sha256sum | cut -c1-12)
export CARGO_TARGET_DIR := $(USERROOT_CACHE)/cargo-target/$(CHECKOUT_KEY)
export PATH := $(HOME)/.cargo/bin:$(PATH)
# When make started, for the runner's account of where the time went.
export USERROOT_T0 := $(shell date +%s)
CARGO_ARGS := --quiet --release --manifest-path $(TOOL_DIR)/Cargo.toml
USERROOT := $(CARGO_TARGET_DIR)/release/userroot

.PHONY: help setup tool tree patches kernel run test list bench series release compare

help:
	@echo "make run      build the kernel, boot it from an initramfs, show what pivot_root does"
	@echo "make test     every test layer; ends with 'N passed, N failed'"
	@echo "make bench    boot cost and hand-off figures, user root on vs off (BOOTS=3)"
	@echo "make kernel   build the default kernel (VARIANT=name for another); prints its bzImage"
	@echo "make tree     unpack the kernel source and apply the project's files and patches"
	@echo "make patches  write edits made in the tree back as <file>.patch and new files"
	@echo "make series   write the patch series with a cover letter; prints its directory"
	@echo "make release  write the series into release/6.12.y/ (after a change to the kernel files)"
	@echo "make compare  the same boots on Debian 13's 6.12, this series and Debian's 7.x (nullfs)"
	@echo "make list     list kernel variants and boot scenarios"
	@echo "make setup    install packages and toolchain pieces (done by the others too)"
	@echo "cache: $(USERROOT_CACHE)"

setup:
	@$(TOOL_DIR)/setup.sh

tool: setup
	@echo "==> building the test runner" >&2
	@cargo build $(CARGO_ARGS)

tree patches run list series release: tool
	@$(USERROOT) $@

kernel: tool
	@$(USERROOT) kernel $(VARIANT)

# T=pattern runs only the matching gates and scenarios; ARCH=arm64 runs
# every arm64 scenario (plain `make test` runs the main ones).
test: tool
	@echo "==> unit tests and rustfmt check of the test runner" >&2
	@cargo test $(CARGO_ARGS)
	@cargo fmt --manifest-path $(TOOL_DIR)/Cargo.toml --check
	@$(USERROOT) test $(if $(ARCH),--arch $(ARCH)) $(T)

# Not part of `make test`: figures, not assertions.
bench: tool
	@$(USERROOT) bench $(if $(ARCH),--arch $(ARCH)) $(BOOTS)

# Not part of `make test`: a table of what Debian's own kernels do.
compare: tool
	@$(USERROOT) compare $(if $(ARCH),--arch $(ARCH))
