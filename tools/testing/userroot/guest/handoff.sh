#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Hand-off benchmark, /init of a large initramfs: leave it for a new root the
# way $ur_handoff says (from the kernel command line), then report the time
# (printk timestamps of "UR-MARK" lines) and the memory given back.
#   pivot        pivot_root(2) + unmount of the old root (needs the user root)
#   switch_root  busybox switch_root: delete the initramfs, move, chroot
#   chroot       MS_MOVE + chroot, no cleanup (runc --no-pivot)
#   copy         LinuxKit's init: copy every file into a new tmpfs, removing
#                each once copied, then MS_MOVE + chroot (/bin/copyroot)
PATH=/bin
export PATH
/bin/busybox --install -s /bin
mount -t proc proc /proc
mknod /dev/kmsg c 1 11

mkdir -p /newroot
if [ "$ur_handoff" = copy ]; then
	# It takes the whole initramfs, as LinuxKit's "rootfs" tmpfs does.
	mount -t tmpfs rootfs /newroot
else
	mount -t tmpfs -o size=32m ur-newroot /newroot
fi
mkdir -p /newroot/bin /newroot/proc /newroot/dev /newroot/old
cp /bin/busybox /newroot/bin/busybox
ln -s busybox /newroot/bin/sh
mknod /newroot/dev/console c 5 1
mknod /newroot/dev/kmsg c 1 11
# The second stage, in the new root.
cat > /newroot/next <<'EOS'
#!/bin/sh
# The console inherited from the first stage pins the old root: reopen it.
exec 0</dev/console 1>/dev/console 2>&1
PATH=/bin
export PATH
/bin/busybox --install -s /bin
[ "$ur_handoff" = pivot ] && umount -l /old
mount -t proc proc /proc
echo "UR-MARK after" > /dev/kmsg
echo "UR: mem_after_kb=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)"
echo "UR: done"
sync
reboot -f
EOS
chmod 755 /newroot/next

sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
echo "UR: method=$ur_handoff"
set -- $(stat -f -c '%b %f %S' /)
echo "UR: initramfs_kb=$((($1 - $2) * $3 / 1024))"
echo "UR: mem_before_kb=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)"
# The copy reads MemAvailable as it goes; the others need no /proc.
[ "$ur_handoff" = copy ] || umount /proc
cd /newroot
echo "UR-MARK start" > /dev/kmsg
case $ur_handoff in
copy)
	# The copy removed the old root's programs: the new root's busybox
	# finishes, as LinuxKit's init finishes in the process that copied.
	/bin/copyroot /newroot && ./bin/busybox umount /proc &&
		./bin/busybox mount --move . / && exec ./bin/busybox chroot . /next
	;;
pivot)
	pivot_root . old && exec chroot . /next
	;;
switch_root)
	exec switch_root /newroot /next
	;;
chroot)
	mount --move . / && exec chroot . /next
	;;
esac
echo "UR: handoff=failed"
reboot -f
