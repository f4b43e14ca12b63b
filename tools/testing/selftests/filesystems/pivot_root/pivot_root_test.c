// SPDX-License-Identifier: GPL-2.0
/*
 * pivot_root(2) from the boot root and in private mount namespaces.
 *
 * When the system runs from its initramfs, "/" used to be rootfs, the first
 * mount, which has no parent: pivot_root(2) failed with EINVAL and container
 * runtimes fell back to chroot. With CONFIG_INITRAMFS_USER_ROOT the
 * initramfs is a mount of its own on top of rootfs. The boot-root tests
 * SKIP when the system did not boot from an initramfs and FAIL when it did
 * and pivot_root(2) still returns EINVAL. The classic cases follow LTP's
 * pivot_root01. Every test works in a child with a private mount namespace,
 * so the system's own root is never changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"

static int sys_pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

struct root_mount {
	int id, parent;
	char fstype[64], source[64];
};

/* The mount the caller sees as "/", from its mountinfo. */
static int read_root_mount(struct root_mount *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char root[256], point[256], *dash;
		int id, parent;

		if (sscanf(line, "%d %d %*s %255s %255s", &id, &parent,
			   root, point) != 4 || strcmp(point, "/"))
			continue;
		dash = strstr(line, " - ");
		/* the last "/" line is the one on top */
		if (dash && sscanf(dash, " - %63s %63s", m->fstype, m->source) == 2) {
			m->id = id;
			m->parent = parent;
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* Booted from an initramfs: "/" is rootfs, or the user root made from it. */
static int booted_from_initramfs(const struct root_mount *m)
{
	return !strcmp(m->fstype, "rootfs") || !strcmp(m->source, "rootfs");
}

/*
 * A private mount namespace with a tmpfs on /tmp, so that nothing is left
 * in the system's /tmp, and a fresh tmpfs at dir with dir/old in it.
 */
static int enter_private_tmpfs(const char *dir)
{
	char old[256];

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("pivot-test-tmp", "/tmp", "tmpfs", 0, "size=1m"))
		return -1;
	if (mkdir(dir, 0755))
		return -1;
	if (mount("pivot-test", dir, "tmpfs", 0, "size=1m"))
		return -1;
	snprintf(old, sizeof(old), "%s/old", dir);
	return mkdir(old, 0755);
}

#define NEW_ROOT "/tmp/pivot-root-test"
#define OTHER "/tmp/pivot-root-other"

/*
 * Runs fn in a child and returns its exit status: 0 pass, 4 skip. The
 * child's mounts, and the directories it makes in them, go with its
 * namespace.
 */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

static int pivot_from_boot_root(void)
{
	struct root_mount m;

	if (read_root_mount(&m) || !booted_from_initramfs(&m))
		return 4;
	if (enter_private_tmpfs(NEW_ROOT) || chdir(NEW_ROOT))
		return 2;
	if (sys_pivot_root(".", "old")) {
		fprintf(stderr, "pivot_root from the initramfs root: %s\n",
			strerror(errno));
		return 1;
	}
	/* The old root, the initramfs with all under it, goes away. */
	if (chdir("/") || umount2("/old", MNT_DETACH) || rmdir("/old"))
		return 1;
	return 0;
}

TEST(boot_root_pivot_and_unmount)
{
	int ret;

	if (getuid())
		SKIP(return, "needs root");
	ret = in_child(pivot_from_boot_root);
	if (ret == 4)
		SKIP(return, "the system did not boot from an initramfs");
	ASSERT_EQ(0, ret);
}

TEST(boot_root_has_parent)
{
	struct root_mount m;

	ASSERT_EQ(0, read_root_mount(&m));
	if (!booted_from_initramfs(&m))
		SKIP(return, "the system did not boot from an initramfs");
	/* rootfs is its own parent; the user root has rootfs as parent. */
	EXPECT_NE(m.id, m.parent);
	EXPECT_STRNE("rootfs", m.fstype);
}

static int do_classic_success(void)
{
	if (enter_private_tmpfs(NEW_ROOT) || chdir(NEW_ROOT))
		return 2;
	if (sys_pivot_root(".", "old"))
		return 4; /* on an unpatched initramfs root: see the test */
	if (chdir("/") || umount2("/old", MNT_DETACH))
		return 1;
	return 0;
}

TEST(classic_success)
{
	int ret;

	if (getuid())
		SKIP(return, "needs root");
	ret = in_child(do_classic_success);
	if (ret == 4)
		SKIP(return, "pivot_root unavailable: / has no parent mount");
	ASSERT_EQ(0, ret);
}

static int pivot_errno(const char *new_root, const char *put_old)
{
	return sys_pivot_root(new_root, put_old) ? errno : 0;
}

static int do_classic_errors(void)
{
	struct root_mount m;
	int fd, err;

	if (enter_private_tmpfs(NEW_ROOT))
		return 2;
	/* put_old on another mount, not at or underneath new_root */
	if (mkdir(OTHER, 0755) || mount("pivot-other", OTHER, "tmpfs", 0, NULL))
		return 2;
	if (pivot_errno(NEW_ROOT, OTHER) != EINVAL)
		return 10;
	/* new_root is not a directory */
	fd = open(NEW_ROOT "/file", O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || close(fd))
		return 2;
	if (pivot_errno(NEW_ROOT "/file", NEW_ROOT "/old") != ENOTDIR)
		return 11;
	/* new_root is the current root: EBUSY. A stock rootfs root fails an
	 * earlier check with EINVAL, as the boot-root tests report.
	 */
	err = pivot_errno("/", "/");
	if (err != EBUSY &&
	    !(err == EINVAL && !read_root_mount(&m) && !strcmp(m.fstype, "rootfs"))) {
		fprintf(stderr, "pivot_root(\"/\", \"/\"): %s\n", strerror(err));
		return 12;
	}
	return 0;
}

TEST(classic_errors)
{
	if (getuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, in_child(do_classic_errors));
}

static int unprivileged_eperm(void)
{
	if (enter_private_tmpfs(NEW_ROOT) || chdir(NEW_ROOT))
		return 2;
	if (setgid(65534) || setuid(65534))
		return 2;
	return pivot_errno(".", "old") == EPERM ? 0 : 1;
}

TEST(classic_eperm_without_cap_sys_admin)
{
	if (getuid())
		SKIP(return, "needs root to set up");
	ASSERT_EQ(0, in_child(unprivileged_eperm));
}

static int pivot_dot_dot(void)
{
	if (enter_private_tmpfs(NEW_ROOT) || chdir(NEW_ROOT))
		return 2;
	/* The old root ends up stacked under the new one, then goes. */
	if (sys_pivot_root(".", "."))
		return 4;
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return 1;
	return 0;
}

TEST(pivot_dot_dot_then_detach)
{
	int ret;

	if (getuid())
		SKIP(return, "needs root");
	ret = in_child(pivot_dot_dot);
	if (ret == 4)
		SKIP(return, "pivot_root unavailable: / has no parent mount");
	ASSERT_EQ(0, ret);
}

/* Whether a sysctl that turns user namespaces off reads 0. */
static int sysctl_is_zero(const char *path)
{
	FILE *f = fopen(path, "r");
	int val = -1;

	if (f) {
		if (fscanf(f, "%d", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val == 0;
}

static int userns_locked_root(void)
{
	if (getuid() == 0 && (setgid(65534) || setuid(65534)))
		return 2;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) {
		/* No CONFIG_USER_NS, or user namespaces turned off. */
		if (errno == EINVAL || errno == ENOSPC ||
		    sysctl_is_zero("/proc/sys/user/max_user_namespaces") ||
		    sysctl_is_zero("/proc/sys/kernel/unprivileged_userns_clone"))
			return 4;
		/* EPERM otherwise: what a chrooted init gets. */
		fprintf(stderr, "unshare(CLONE_NEWUSER): %s\n", strerror(errno));
		return 1;
	}
	/* Mounts inherited from the boot namespace are locked together: the
	 * rootfs underneath cannot be revealed.
	 */
	if (umount2("/", MNT_DETACH) == 0 || errno != EINVAL)
		return 3;
	return 0;
}

TEST(unprivileged_userns_after_boot)
{
	int ret = in_child(userns_locked_root);

	if (ret == 4)
		SKIP(return, "user namespaces are not available");
	ASSERT_EQ(0, ret);
}

TEST_HARNESS_MAIN
