#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the userroot boot tests: /init in an initramfs, /sbin/init on
# a disk. Reports what / is and what pivot_root(2) does there as
# "UR: key=value" lines on the console, shows mountinfo as "UR| " lines for
# `make run`, then ends the guest (QEMU runs with -no-reboot).
PATH=/bin:/sbin
export PATH
/bin/busybox --install -s /bin

say() { echo "UR: $1"; }
show_mounts() {
	echo "UR| $1"
	sed 's/^/UR|   /' /proc/self/mountinfo
}
# The filesystem type of the topmost mount on "/".
root_fs() {
	awk '$5 == "/" { for (i = 7; $i != "-"; i++); fs = $(i + 1) } END { print fs }' \
		/proc/self/mountinfo
}

mount -t proc proc /proc
say "init=$0"
# The kselftest, as shipped, before anything here changes the root.
if [ -x /bin/pivot_root_test ]; then
	(cd /tmp && pivot_root_test)
	say "kselftest=$?"
fi
say "root_fs=$(root_fs)"
set -- $(stat -f -c '%b %S' /)
say "root_size_kb=$(($1 * $2 / 1024))"
show_mounts "mountinfo at boot:"

# What switch_root, runc and bubblewrap do: a new root, pivot into it, drop
# the old one.
mkdir -p /newroot
mount -t tmpfs -o size=16m ur-newroot /newroot
mkdir -p /newroot/old /newroot/bin /newroot/proc
cp /bin/busybox /newroot/bin/busybox
cd /newroot
if err=$(pivot_root . old 2>&1); then
	say "pivot_root=ok"
	cd /
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	if umount -l /old; then
		say "umount_old=ok"
	else
		say "umount_old=failed"
	fi
	say "root_fs_after=$(root_fs)"
	show_mounts "mountinfo after pivot_root and umount of the old root:"
else
	case $err in
	*"Invalid argument"*) say "pivot_root=EINVAL" ;;
	*) say "pivot_root=failed: $err" ;;
	esac
fi

say "done"
sync
reboot -f
