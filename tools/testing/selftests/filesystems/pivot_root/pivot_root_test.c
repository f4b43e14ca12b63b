// SPDX-License-Identifier: GPL-2.0
/*
 * pivot_root(2) from the boot root and in private mount namespaces.
 *
 * When the system runs from its initramfs, "/" used to be rootfs, the first
 * mount, which is its own parent: pivot_root(2) fails with EINVAL and
 * container runtimes fall back to chroot. With CONFIG_INITRAMFS_USER_ROOT
 * the initramfs is a mount of its own on top of rootfs (and on kernels with
 * nullfs, rootfs is on top of nullfs). The tests that need "/" to have a
 * parent SKIP where it has none, and FAIL where it has one and pivot_root(2)
 * still fails. The classic cases follow LTP's pivot_root01. Every test works
 * in a child with a private mount namespace and a tmpfs of its own, so the
 * system's root and files are never changed.
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

/* What a child returns to SKIP instead of passing or failing. */
#define CHILD_SKIP 4

static int sys_pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

struct root_mount {
	int id, parent;
	char fstype[64], source[64];
};

/* The mount the caller sees as "/": the last "/" line of its mountinfo. */
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
		if (dash && sscanf(dash, " - %63s %63s", m->fstype, m->source) == 2) {
			m->id = id;
			m->parent = parent;
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/*
 * "/" is its own parent: the stock rootfs of a system that runs from its
 * initramfs, where pivot_root(2) cannot work.
 */
static int root_is_own_parent(void)
{
	struct root_mount m;

	return !read_root_mount(&m) && m.id == m.parent;
}

#define NO_PARENT_REASON \
	"/ is rootfs, its own parent: no CONFIG_INITRAMFS_USER_ROOT, or it is off"

/*
 * A directory to mount a scratch tmpfs on in the child's namespace: /tmp if
 * there is one; a minimal initramfs may have none.
 */
static const char *scratch_base(void)
{
	static const char *const candidates[] = { "/tmp", "/mnt", "/run", "/dev" };
	struct stat st;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(*candidates); i++)
		if (!stat(candidates[i], &st) && S_ISDIR(st.st_mode))
			return candidates[i];
	return NULL;
}

static char new_root[256], other[256];

/*
 * A private mount namespace with a tmpfs over the scratch directory, so that
 * nothing is left in the system's, and a fresh tmpfs at new_root with
 * new_root/old in it.
 */
static int enter_private_tmpfs(void)
{
	const char *base = scratch_base();
	char old[300];

	if (!base)
		return -1;
	snprintf(new_root, sizeof(new_root), "%s/pivot-root-test", base);
	snprintf(other, sizeof(other), "%s/pivot-root-other", base);
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("pivot-test-scratch", base, "tmpfs", 0, "size=1m"))
		return -1;
	if (mkdir(new_root, 0755))
		return -1;
	if (mount("pivot-test", new_root, "tmpfs", 0, "size=1m"))
		return -1;
	snprintf(old, sizeof(old), "%s/old", new_root);
	return mkdir(old, 0755);
}

/*
 * Runs fn in a child and returns its exit status: 0 pass, CHILD_SKIP skip.
 * The child's mounts, and the directories it makes in them, go with its
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
	if (enter_private_tmpfs() || chdir(new_root))
		return 2;
	if (sys_pivot_root(".", "old")) {
		fprintf(stderr, "pivot_root from the boot root: %s\n",
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
	if (getuid())
		SKIP(return, "needs root");
	if (root_is_own_parent())
		SKIP(return, NO_PARENT_REASON);
	ASSERT_EQ(0, in_child(pivot_from_boot_root));
}

static int do_classic_success(void)
{
	if (enter_private_tmpfs() || chdir(new_root))
		return 2;
	if (sys_pivot_root(".", "old")) {
		fprintf(stderr, "pivot_root: %s\n", strerror(errno));
		return 1;
	}
	if (chdir("/") || umount2("/old", MNT_DETACH))
		return 1;
	return 0;
}

TEST(classic_success)
{
	if (getuid())
		SKIP(return, "needs root");
	if (root_is_own_parent())
		SKIP(return, NO_PARENT_REASON);
	ASSERT_EQ(0, in_child(do_classic_success));
}

static int pivot_errno(const char *new, const char *put_old)
{
	return sys_pivot_root(new, put_old) ? errno : 0;
}

static int do_classic_errors(void)
{
	char path[300], put_old[300];
	int fd, err;

	if (enter_private_tmpfs())
		return 2;
	/* put_old on another mount, not at or underneath new_root */
	if (mkdir(other, 0755) || mount("pivot-other", other, "tmpfs", 0, NULL))
		return 2;
	if (pivot_errno(new_root, other) != EINVAL)
		return 10;
	/* new_root is not a directory */
	snprintf(path, sizeof(path), "%s/file", new_root);
	snprintf(put_old, sizeof(put_old), "%s/old", new_root);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || close(fd))
		return 2;
	if (pivot_errno(path, put_old) != ENOTDIR)
		return 11;
	/* new_root is the current root: EBUSY. A root that is its own parent
	 * fails an earlier check with EINVAL, as the boot-root test reports.
	 */
	err = pivot_errno("/", "/");
	if (err != EBUSY && !(err == EINVAL && root_is_own_parent())) {
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
	if (enter_private_tmpfs() || chdir(new_root))
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
	if (enter_private_tmpfs() || chdir(new_root))
		return 2;
	/* The old root ends up stacked under the new one, then goes. */
	if (sys_pivot_root(".", ".")) {
		fprintf(stderr, "pivot_root(\".\", \".\"): %s\n", strerror(errno));
		return 1;
	}
	if (umount2(".", MNT_DETACH) || chdir("/"))
		return 1;
	return 0;
}

TEST(pivot_dot_dot_then_detach)
{
	if (getuid())
		SKIP(return, "needs root");
	if (root_is_own_parent())
		SKIP(return, NO_PARENT_REASON);
	ASSERT_EQ(0, in_child(pivot_dot_dot));
}

/* Whether a sysctl reads this value. */
static int sysctl_is(const char *path, int want)
{
	FILE *f = fopen(path, "r");
	int val = -1;

	if (f) {
		if (fscanf(f, "%d", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val == want;
}

static int userns_locked_root(void)
{
	if (getuid() == 0 && (setgid(65534) || setuid(65534)))
		return 2;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) {
		/* No CONFIG_USER_NS, user namespaces turned off or forbidden
		 * to unprivileged users by policy (AppArmor, a sysctl, an LSM).
		 */
		if (errno == EINVAL || errno == ENOSPC || errno == EPERM ||
		    sysctl_is("/proc/sys/user/max_user_namespaces", 0) ||
		    sysctl_is("/proc/sys/kernel/unprivileged_userns_clone", 0) ||
		    sysctl_is("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 1)) {
			fprintf(stderr, "unshare(CLONE_NEWUSER): %s\n", strerror(errno));
			return CHILD_SKIP;
		}
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

	if (ret == CHILD_SKIP)
		SKIP(return, "unprivileged user namespaces are not available here");
	ASSERT_EQ(0, ret);
}

TEST_HARNESS_MAIN
