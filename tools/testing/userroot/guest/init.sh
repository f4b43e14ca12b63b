#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the userroot boot tests: /init in an initramfs, /sbin/init on
# a disk. Reports what / is and what pivot_root(2) does there as
# "UR: key=value" lines on the console, shows mountinfo as "UR| " lines for
# `make run`, then ends the guest (QEMU runs with -no-reboot).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
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

# Extra clients, chosen by ur_probe= on the kernel command line.
# What runc and bubblewrap do: a private mount namespace, a new root there.
ns_pivot() {
	unshare -m sh -c '
		mount --make-rprivate / &&
		mkdir -p /tmp/ns && mount -t tmpfs ur-ns /tmp/ns &&
		mkdir /tmp/ns/old /tmp/ns/bin && cp /bin/busybox /tmp/ns/bin/ &&
		cd /tmp/ns && pivot_root . old &&
		/bin/busybox umount -l /old' 2>&1
}
# What switch_root tries first: pivot_root to the real root, then drop the
# initramfs; the disk's init reports from there.
disk_handoff() {
	mount -t devtmpfs dev /dev
	mkdir -p /newroot && mount -t ext4 /dev/vda /newroot && cd /newroot &&
		mkdir -p old
	if err=$(pivot_root . old 2>&1); then
		busybox mount -t devtmpfs dev /dev
		exec 0</dev/console 1>/dev/console 2>&1
		busybox umount -l /old && say "initramfs_unmounted=ok"
		exec busybox chroot . /sbin/init
	fi
	case $err in
	*"Invalid argument"*) say "disk_handoff=EINVAL" ;;
	*) say "disk_handoff=failed: $err" ;;
	esac
}
# A busybox container from a `runc spec` bundle, run the default way (with
# pivot_root, no --no-pivot).
runc_container() {
	mount -t devtmpfs dev /dev
	mount -t sysfs sys /sys
	mkdir -p /sys/fs/cgroup /run && mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t tmpfs run /run
	mkdir -p /tmp/bundle/rootfs/bin && cd /tmp/bundle &&
		cp /bin/busybox rootfs/bin/ && ln -s busybox rootfs/bin/sh &&
		runc spec || return 1
	sed -i 's/"terminal": true/"terminal": false/' config.json
	sed -i 's/^\(\s*\)"sh"$/\1"sh", "-c", "echo UR: container=ran"/' config.json
	runc run ur-test 2>&1
}
mem_kb() { awk '/MemAvailable/ { print $2 }' /proc/meminfo; }
case $ur_probe in
unshare)
	if err=$(ns_pivot); then
		say "unshare_pivot=ok"
	else
		case $err in
		*"Invalid argument"*) say "unshare_pivot=EINVAL" ;;
		*) say "unshare_pivot=failed: $err" ;;
		esac
	fi
	;;
churn)
	# Container start/stop, 200 times: nothing may leak.
	ns_pivot >/dev/null
	mounts=$(wc -l </proc/self/mountinfo) mem=$(mem_kb) bad=0
	i=0
	while [ $i -lt 200 ]; do
		ns_pivot >/dev/null || bad=$((bad + 1))
		i=$((i + 1))
	done
	sync
	say "churn_failures=$bad"
	say "churn_mounts_delta=$(($(wc -l </proc/self/mountinfo) - mounts))"
	say "churn_mem_lost_kb=$((mem - $(mem_kb)))"
	[ $((mem - $(mem_kb))) -lt 4096 ] && say "churn_memory=kept" ||
		say "churn_memory=lost $((mem - $(mem_kb))) kB"
	;;
runc)
	if err=$(runc_container); then
		echo "$err"
		say "runc=ok"
	else
		echo "$err"
		case $err in
		*"pivot_root .: invalid argument"*) say "runc=EINVAL" ;;
		*) say "runc=failed" ;;
		esac
	fi
	;;
disk)
	# The disk's init is this script again: only the initramfs hands off.
	[ "$0" = /init ] && disk_handoff
	;;
esac

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
