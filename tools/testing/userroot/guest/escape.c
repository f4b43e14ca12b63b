// SPDX-License-Identifier: GPL-2.0
/*
 * Run as root inside a container: tries to reach the host's root through
 * the container's own mount namespace, as a privileged process in it can:
 * detach the container's "/" and enter the namespace again, which gives
 * the namespace's root (setns(2) follows the mounts stacked on it). After
 * LXC's chroot fallback that is the host's initramfs, which the host marks
 * with /ur-host-marker; after pivot_root(2) and the old root's unmount it
 * is an empty rootfs. Built with nolibc.
 */
#include <linux/sched.h>

/* umount2(2) flag, from <sys/mount.h>, which nolibc lacks. */
#define MNT_DETACH 2

static void put(const char *s)
{
	write(1, s, strlen(s));
}

int main(void)
{
	struct stat st;
	int ns;

	if (mount("proc", "/proc", "proc", 0, 0)) {
		put("UR: container_escape=not tried (proc)\n");
		return 1;
	}
	ns = open("/proc/self/ns/mnt", O_RDONLY);
	if (ns < 0 || umount2("/", MNT_DETACH) ||
	    my_syscall2(__NR_setns, ns, CLONE_NEWNS)) {
		put("UR: container_escape=not tried (setns)\n");
		return 1;
	}
	put(stat("/ur-host-marker", &st) ? "UR: container_escape=none\n"
					  : "UR: container_escape=host\n");
	return 0;
}
