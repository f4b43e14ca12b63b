#!/bin/sh
# userroot scenarios, a dracut pre-pivot hook: what "/" is just before
# systemd switches root, so that the disk's init can tell what was left
# beneath it. dracut's image has bash, not always awk.
while read -r id parent _ _ point rest; do
	[ "$point" = / ] || continue
	fs=${rest#* - }
	fs=${fs%% *}
	last="$id $parent $fs"
done </proc/self/mountinfo
set -- $last
{
	echo "UR: handoff_root_fs=$3"
	echo "UR: handoff_root_id=$1"
	[ "$1" = "$2" ] && echo "UR: handoff_root_own_parent=yes" ||
		echo "UR: handoff_root_own_parent=no"
} >/dev/kmsg
