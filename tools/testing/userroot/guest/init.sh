#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the userroot boot tests: /init in an initramfs, /sbin/init on
# a disk. Reports what / is and what pivot_root(2) does there as
# "UR: key=value" lines on the console, shows mountinfo as "UR| " lines for
# `make run`, then ends the guest (QEMU runs with -no-reboot).
#
# After a successful pivot_root this script runs again from the new root as
# "stage2", which unmounts the old root and measures the memory it gives
# back: nothing of the old root may stay open, not even this script.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
/bin/busybox --install -s /bin

say() { echo "UR: $1"; }
show_mounts() {
	echo "UR| $1"
	sed 's/^/UR|   /' /proc/self/mountinfo
}
# The mount on top at "/": id, parent id, filesystem type, source.
root_mount() {
	awk '$5 == "/" { id = $1; parent = $2; for (i = 7; $i != "-"; i++); fs = $(i + 1); src = $(i + 2) }
		END { print id, parent, fs, src }' /proc/self/mountinfo
}
meminfo_kb() { awk -v key="$1:" '$1 == key { print $2 }' /proc/meminfo; }
# The bytes of the files of one filesystem, in KiB.
files_kb() {
	find "$1" -xdev -type f -exec stat -c %s {} + |
		awk '{ s += $1 } END { print int((s + 1023) / 1024) }'
}
# Report what pivot_root printed: EINVAL where the kernel said so.
pivot_error() {
	case $2 in
	*"Invalid argument"*) say "$1=EINVAL" ;;
	*) say "$1=failed: $2" ;;
	esac
}

# Drivers a kernel built as modules (Debian's virtio_blk, for `make
# compare`), appended to the initramfs as /lib/modules/*.ko.
if [ "$1" != stage2 ]; then
	for m in /lib/modules/*.ko; do
		[ -e "$m" ] || continue
		if out=$(insmod "$m" 2>&1); then
			say "module=${m##*/}"
		else
			say "module=${m##*/} failed: $out"
		fi
	done
fi

# Stage 2, from the new root: drop the old root and see its memory come back.
if [ "$1" = stage2 ]; then
	exec 0</dev/console 1>/dev/console 2>&1
	mount -t proc proc /proc
	before=$(meminfo_kb Cached)
	if umount -l /old; then
		say "umount_old=ok"
	else
		say "umount_old=failed"
	fi
	freed=$((before - $(meminfo_kb Cached)))
	[ "$ur_probe" = loadpin ] && say "loadpin_after=$(/bin/finit /bin/test_module.ko)"
	say "old_root_kb=$2"
	say "old_root_freed_kb=$freed"
	# Pages hold whole files: at least nine tenths must come back.
	if [ "$freed" -ge $(($2 * 9 / 10)) ]; then
		say "old_root_freed=ok"
	else
		say "old_root_freed=only $freed of $2 kB"
	fi
	set -- $(root_mount)
	say "root_fs_after=$3"
	show_mounts "mountinfo after pivot_root and umount of the old root:"
	say "done"
	sync
	reboot -f
fi

mount -t proc proc /proc
say "init=$0"
say "mem_available_kb=$(meminfo_kb MemAvailable)"
# Free pages, those on the per-CPU lists included, which MemAvailable
# leaves out: pages freed just before vary it by a few hundred KiB.
say "free_pages=$(awk '/pages free/ { f += $3 } $1 == "count:" { c += $2 } END { print f + c }' /proc/zoneinfo)"
# The kselftest, as shipped, before anything here changes the root.
if [ -x /bin/pivot_root_test ]; then
	if [ -d /tmp ]; then
		(cd /tmp && pivot_root_test)
	else
		pivot_root_test
	fi
	say "kselftest=$?"
fi
say "root_mount=$(root_mount)"
set -- $(root_mount)
say "root_fs=$3"
say "root_source=$4"
say "root_parent_id=$2"
[ "$1" = "$2" ] && own_parent=yes || own_parent=no
say "root_own_parent=$own_parent"
# What container tools decide from "/" before they try pivot_root(2), each
# rule read as the tool reads it:
# - LXC, detect_ramfs_rootfs(): any mountinfo line whose mount point is "/"
#   with "- rootfs " after the first "-" past the mount point: chroot.
say "rule_lxc=$(awk '$5 == "/" { r = $0; for (k = 0; k < 5; k++) r = substr(r, index(r, " ") + 1)
	i = index(r, "-"); if (i && substr(r, i, 9) == "- rootfs ") f = 1 }
	END { print f ? "chroot" : "pivot" }' /proc/self/mountinfo)"
# - Kata's agent, get_mount_fs_type("/"): the first mountstats line
#   "device ... mounted on / with fstype T"; T equal to rootfs: no pivot.
say "rule_kata=$(awk '/^device .+ mounted on \/ with fstype .+/ { sub(/.* mounted on \/ with fstype /, ""); t = $0; exit }
	END { print t == "rootfs" ? "no-pivot" : "pivot" }' /proc/self/mountstats)"
# - minikube's provisioner, df --output=fstype /: the type of the last
#   mountinfo line whose mount point is "/" (coreutils' best match);
#   rootfs: DOCKER_RAMDISK, no pivot.
say "rule_minikube=$(awk '$5 == "/" { t = substr($0, index($0, " - ") + 3); split(t, a, " "); x = a[1] }
	END { print x == "rootfs" ? "no-pivot" : "pivot" }' /proc/self/mountinfo)"
# - LinuxKit's init: statfs("/") says ramfs or tmpfs: copy the initramfs
#   into a new tmpfs, MS_MOVE + chroot.
case $(stat -f -c %t /) in
858458f6 | 1021994) say "rule_linuxkit=copy" ;;
*) say "rule_linuxkit=pivot" ;;
esac
set -- $(stat -f -c '%b %S' /)
say "root_size_kb=$(($1 * $2 / 1024))"
# What the root holds and the tmpfs memory in use, before anything here
# writes: a fallback must leave what stock leaves.
say "rootfs_listing=$(find / -xdev | sort | md5sum | cut -c1-32)"
say "shmem_kb=$(meminfo_kb Shmem)"
# A user root that is not "/" must be gone: no tmpfs or ramfs of source
# "rootfs", nothing mounted on /root.
say "user_root_mounts=$(grep -cE ' - (tmpfs|ramfs) rootfs ' /proc/self/mountinfo)"
# Read, or said that it could not be: an unreadable mountinfo is not 0.
if [ -r /proc/self/mountinfo ]; then
	say "mounts_on_root_dir=$(awk '$5 == "/root"' /proc/self/mountinfo | wc -l)"
else
	say "mounts_on_root_dir=unreadable"
fi
show_mounts "mountinfo at boot:"

# Extra clients, chosen by ur_probe= on the kernel command line.
# What runc and bubblewrap do: a private mount namespace, a new root there,
# pivot_root, drop the old root. Prints the mounts the namespace has left
# (its new root and a proc), or what failed.
ns_pivot() {
	unshare -m sh -c '
		fail() { echo "step $1 failed"; exit 1; }
		mount --make-rprivate / || fail make-rprivate
		mkdir -p /tmp/ns && mount -t tmpfs -o size=1m ur-ns /tmp/ns || fail mount
		mkdir /tmp/ns/old /tmp/ns/bin /tmp/ns/proc && touch /tmp/ns/bin/busybox ||
			fail populate
		mount --bind /bin/busybox /tmp/ns/bin/busybox || fail bind
		cd /tmp/ns && pivot_root . old || exit 1
		/bin/busybox umount -l /old || fail umount
		/bin/busybox mount -t proc proc /proc || fail proc
		/bin/busybox wc -l </proc/self/mountinfo' 2>&1
}
# What switch_root tries first: pivot_root to the real root, then drop the
# initramfs; the disk's init reports from there, with what came back.
disk_handoff() {
	mount -t devtmpfs dev /dev
	# A disk driver loaded as a module probes in the background.
	i=0
	while ! [ -b /dev/vda ] && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	initramfs_kb=$(files_kb /)
	mkdir -p /newroot
	if ! mount -t ext4 /dev/vda /newroot; then
		say "disk_mount=failed"
		return
	fi
	say "disk_mount=ok"
	cd /newroot && mkdir -p old
	if err=$(pivot_root . old 2>&1); then
		busybox mount -t devtmpfs dev /dev
		busybox mount -t proc proc /proc
		exec 0</dev/console 1>/dev/console 2>&1
		busybox umount -l /old && say "initramfs_unmounted=ok"
		# This shell still runs from the initramfs: its pages come back
		# when the disk's init replaces it.
		export ur_initramfs_kb=$initramfs_kb ur_cached_before=$(meminfo_kb Cached)
		exec busybox chroot . /sbin/init
	fi
	pivot_error disk_handoff "$err"
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
# LXC (Debian's lxc-start) starts a busybox container that tries to reach
# the host's root. LXC chroots instead of pivoting when "/" shows as
# "rootfs" in mountinfo; its TRACE log names the pivot_root path only.
lxc_container() {
	mount -t devtmpfs dev /dev
	mount -t sysfs sys /sys
	mkdir -p /sys/fs/cgroup /run && mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t tmpfs run /run
	touch /ur-host-marker
	[ -e /ur-host-marker ] && say "host_marker=ok" || say "host_marker=missing"
	c=/tmp/lxc/ur
	mkdir -p $c/rootfs/bin $c/rootfs/proc $c/rootfs/dev $c/rootfs/sys $c/rootfs/tmp
	cp /bin/busybox /bin/ur-escape $c/rootfs/bin/ && ln -s busybox $c/rootfs/bin/sh
	cat >$c/config <<-EOF
	lxc.uts.name = ur
	lxc.rootfs.path = dir:$c/rootfs
	lxc.console.path = none
	lxc.net.0.type = none
	lxc.apparmor.profile = unconfined
	EOF
	lxc-start -n ur -P /tmp/lxc -F -l TRACE -o /tmp/lxc.log -- /bin/ur-escape 2>&1
	say "lxc_start=$?"
	if grep -q 'Changed into new rootfs' /tmp/lxc.log; then
		say "lxc_root_switch=pivot_root"
	else
		say "lxc_root_switch=chroot"
	fi
	grep -E 'ERROR|Changed into new rootfs' /tmp/lxc.log | sed 's/^/UR|   lxc: /'
}
# A container engine as initramfs-only systems run one: no network, an
# image loaded from a tar made on the host, the escape probe as the
# container, with what it needs to try (CAP_SYS_ADMIN, no seccomp filter).
engine_setup() {
	mount -t devtmpfs dev /dev
	# podman's locks are POSIX shared memory.
	mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
	mount -t sysfs sys /sys
	mkdir -p /sys/fs/cgroup /run && mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t tmpfs run /run
	touch /ur-host-marker
	[ -e /ur-host-marker ] && say "host_marker=ok" || say "host_marker=missing"
}
# Reports how "<engine> run" went: ok, EINVAL where the runtime's
# pivot_root(2) failed, or failed.
engine_result() {
	case $2 in
	*pivot_root*"nvalid argument"*) say "$1=EINVAL" ;;
	*) [ "$3" = 0 ] && say "$1=ok" || say "$1=failed" ;;
	esac
}
ENGINE_RUN="--rm --network none --cap-add SYS_ADMIN --security-opt seccomp=unconfined"
docker_engine() {
	engine_setup
	# LinuxKit's and minikube's way around rootfs: runc --no-pivot.
	[ -n "$ur_docker_ramdisk" ] && export DOCKER_RAMDISK=true
	dockerd --storage-driver vfs --iptables=false --ip6tables=false \
		--bridge=none --ip-forward=false --ip-masq=false \
		--userland-proxy=false >/tmp/dockerd.log 2>&1 &
	i=0
	until docker version >/dev/null 2>&1 || [ $i -ge 240 ]; do
		i=$((i + 1))
		sleep 0.5
	done
	docker load -i /ur-image.tar 2>&1 | sed 's/^/UR|   docker: /'
	out=$(docker run $ENGINE_RUN ur-escape:1 2>&1)
	st=$?
	echo "$out"
	engine_result docker_run "$out" $st
	grep -E 'level=(error|fatal|warning)' /tmp/dockerd.log | head -40 | sed 's/^/UR|   dockerd: /'
	# The daemons go, so that the old root can be unmounted and freed.
	kill $(pidof dockerd containerd containerd-shim-runc-v2) 2>/dev/null
	i=0
	while pidof dockerd containerd >/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
podman_engine() {
	engine_setup
	set -- --root /var/lib/containers/storage --runroot /run/containers/storage \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
		--runtime /usr/bin/crun
	mkdir -p /var/tmp
	podman "$@" load -i /ur-image.tar 2>&1 | sed 's/^/UR|   podman: /'
	# Loaded as localhost/...: no registry to resolve a short name with.
	out=$(podman "$@" run $ENGINE_RUN localhost/ur-escape:1 2>&1)
	st=$?
	echo "$out"
	engine_result podman_run "$out" $st
}
# Waits until no usermode helper of the boot runs and their count holds.
settle_helpers() {
	last=-1 i=0
	while [ $i -lt 150 ]; do
		n=$(dmesg | grep -c 'UR-HELPER ')
		[ "$n" = "$last" ] && [ -z "$(pidof hotplug modprobe)" ] && break
		last=$n i=$((i + 1))
		sleep 0.2
	done
}
# The disk's init, after disk_handoff: what the initramfs gave back.
if [ -n "$ur_cached_before" ]; then
	freed=$((ur_cached_before - $(meminfo_kb Cached)))
	say "initramfs_freed_kb=$freed"
	[ "$freed" -ge $((ur_initramfs_kb * 9 / 10)) ] && say "initramfs_freed=ok" ||
		say "initramfs_freed=only $freed of $ur_initramfs_kb kB"
fi
case $ur_probe in
unshare)
	out=$(ns_pivot)
	case $out in
	[0-9]*) say "unshare_pivot=ok" ;;
	*) pivot_error unshare_pivot "$out" ;;
	esac
	;;
churn)
	# Container start/stop, 200 times: nothing may fail or leak. A leaked
	# mount namespace holds a count against this limit, so leaking one per
	# cycle makes unshare fail within 32 cycles.
	echo 32 >/proc/sys/user/max_mnt_namespaces
	i=0
	while [ $i -lt 5 ]; do
		ns_pivot >/dev/null
		i=$((i + 1))
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
	mem=$(meminfo_kb MemAvailable) slab=$(meminfo_kb SUnreclaim)
	bad=0 wrong=0 i=0
	while [ $i -lt 200 ]; do
		# The namespace keeps its new root, the busybox bound into it
		# and a proc, nothing else.
		case $(ns_pivot) in
		3) ;;
		[0-9]*) wrong=$((wrong + 1)) ;;
		*) bad=$((bad + 1)) ;;
		esac
		i=$((i + 1))
	done
	sync
	echo 3 >/proc/sys/vm/drop_caches
	say "churn_failures=$bad"
	say "churn_ns_mounts_wrong=$wrong"
	slab=$(($(meminfo_kb SUnreclaim) - slab))
	mem=$((mem - $(meminfo_kb MemAvailable)))
	say "churn_unreclaimable_grown_kb=$slab"
	say "churn_mem_lost_kb=$mem"
	# One small tmpfs leaked per cycle costs over 1 MiB of unreclaimable
	# kernel memory in 200 cycles.
	[ "$slab" -lt 256 ] && say "churn_unreclaimable=kept" ||
		say "churn_unreclaimable=grown $slab kB"
	[ "$mem" -lt 1024 ] && say "churn_memory=kept" || say "churn_memory=lost $mem kB"
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
loadpin)
	# LoadPin pins the filesystem of the first module loaded: the
	# initramfs. The second load comes after pivot_root and the unmount of
	# the old root (stage 2) or, where pivot_root fails, from here.
	say "loadpin_first=$(finit /ur/test_module.ko)"
	;;
nix)
	# Nix's sandbox, as root with no build users: a derivation whose
	# builder is the sandbox's /bin/sh (busybox). The sandbox pivots into
	# the build's chroot.
	mount -t devtmpfs dev /dev 2>/dev/null
	# It talks to the builder through a pseudoterminal.
	mkdir -p /dev/pts
	mount -t devpts devpts /dev/pts
	[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
	# Nix asks who it runs as.
	mkdir -p /etc
	[ -e /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
	[ -e /etc/group ] || echo 'root:x:0:' >/etc/group
	out=$(HOME=/root USER=root NIX_REMOTE= nix-build --no-out-link \
		--option sandbox true --option build-users-group '' \
		--option sandbox-paths /bin/sh=/bin/busybox --option substituters '' \
		-E 'derivation { name = "ur"; system = builtins.currentSystem;
			builder = "/bin/sh"; args = [ "-c" "echo sandboxed > $out" ]; }' 2>&1)
	echo "$out"
	built=$(echo "$out" | tail -n 1)
	if [ -f "$built" ] && [ "$(cat "$built")" = sandboxed ]; then
		say "nix=ok"
	else
		case $out in
		*"cannot pivot old root directory onto"*"Invalid argument"*) say "nix=EINVAL" ;;
		*) say "nix=failed" ;;
		esac
	fi
	;;
bwrap)
	# bubblewrap as a distribution runs it: it always pivots, first into
	# a tmpfs of its own, whatever it is asked to bind.
	out=$(bwrap --bind / / /bin/sh -c 'echo sandboxed' 2>&1)
	echo "$out"
	case $out in
	sandboxed) say "bwrap=ok" ;;
	*"pivot_root: Invalid argument"*) say "bwrap=EINVAL" ;;
	*) say "bwrap=failed" ;;
	esac
	;;
disk)
	# The disk's init is this script again: only the initramfs hands off.
	[ "$0" = /init ] && disk_handoff
	;;
helpers)
	# Every usermode helper run of the boot (uevent helper, modprobe)
	# logs a UR-HELPER line from the initramfs; count them once they are
	# all done, and which they were.
	settle_helpers
	for h in hotplug modprobe; do
		say "${h}_runs=$(dmesg | grep -c "UR-HELPER $h ")"
		# Input devices are numbered in the order they register, which
		# with 2 vCPUs is a race between the i8042 ports on any kernel.
		say "${h}_calls=$(dmesg | sed -n "s/.*UR-HELPER $h //p" |
			sed 's/\(input\|event\|mouse\)[0-9][0-9]*/\1N/g' | sort | md5sum | cut -c1-32)"
	done
	say "helper_roots=$(dmesg | sed -n 's/.*UR-HELPER-ROOT //p' | sort -u | tr '\n' ' ')"
	;;
lxc)
	lxc_container
	;;
docker)
	docker_engine
	;;
podman)
	podman_engine
	;;
kunit-debugfs)
	# The results of the boot-time suite, read after the init sections
	# are freed.
	mount -t sysfs sys /sys
	mount -t debugfs debugfs /sys/kernel/debug
	results=/sys/kernel/debug/kunit/initramfs_user_root/results
	sed 's/^/UR|   /' $results
	grep -q '^ok 1 initramfs_user_root' $results && say "kunit_debugfs=ok" ||
		say "kunit_debugfs=failed"
	;;
esac

# What switch_root, runc and bubblewrap do: a new root, pivot into it, drop
# the old one (in stage 2). The new root must be mounted for pivot_root's
# answer to mean anything.
mkdir -p /newroot
if ! mount -t tmpfs -o size=16m ur-newroot /newroot; then
	say "newroot_mount=failed"
	say "done"
	reboot -f
fi
say "newroot_mount=ok"
old_kb=$(files_kb /)
mkdir -p /newroot/old /newroot/bin /newroot/proc /newroot/dev
cp /bin/busybox /newroot/bin/busybox
cp "$0" /newroot/bin/ur-init
[ "$ur_probe" = loadpin ] && cp /bin/finit /ur/test_module.ko /newroot/bin/
mknod /newroot/dev/console c 5 1
cd /newroot
# The rule an init or a runtime can read instead of a filesystem type:
# pivot_root(2) can leave "/" when "/" is not its own parent in mountinfo.
if err=$(pivot_root . old 2>&1); then
	say "pivot_root=ok"
	[ "$own_parent" = no ] && say "rule_agrees=yes" || say "rule_agrees=no"
	exec /bin/busybox sh /bin/ur-init stage2 "$old_kb"
fi
pivot_error pivot_root "$err"
[ "$ur_probe" = loadpin ] && say "loadpin_after=$(finit /ur/test_module.ko)"
case $err in
*"Invalid argument"*)
	[ "$own_parent" = yes ] && say "rule_agrees=yes" || say "rule_agrees=no"
	;;
esac
say "done"
sync
reboot -f
