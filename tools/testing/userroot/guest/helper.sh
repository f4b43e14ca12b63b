#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A usermode helper of the boot tests, installed as /sbin/hotplug (the
# uevent helper) and /sbin/modprobe: it logs to the kernel log that the
# kernel's call found it, which it can only where the helper's root is the
# initramfs. The first run also lists the root it found, for the scenarios
# that compare that root with stock's (/etc/ur-list-root in the image).
# Applets are called through busybox: without an /init, nothing installed
# their links.
b=/bin/busybox
name=${0##*/}
# The root it runs from, by device: rootfs, a user root, or the disk.
echo "UR-HELPER-ROOT $($b stat -c %d /)" >/dev/kmsg
if [ "$name" = hotplug ]; then
	echo "UR-HELPER hotplug $ACTION $DEVPATH" >/dev/kmsg
else
	echo "UR-HELPER $name $*" >/dev/kmsg
fi
if [ -e /etc/ur-list-root ] && $b mkdir /tmp/ur-listed 2>/dev/null; then
	echo "UR: helper_root_listing=$($b find / -xdev | $b sort | $b md5sum | $b cut -c1-32)" >/dev/kmsg
fi
# modprobe finds no module: the caller goes on as without one.
[ "$name" = hotplug ]
