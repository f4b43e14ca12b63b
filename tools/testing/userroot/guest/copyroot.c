// SPDX-License-Identifier: GPL-2.0
/*
 * What LinuxKit's init does when "/" is a ramfs or tmpfs (pkg/init/cmd/init,
 * copyFS()), for the hand-off benchmark: copy every file of the initramfs
 * into the tmpfs mounted at argv[1], removing each regular file once it is
 * copied, recreate symbolic links and device nodes, then remove what is left
 * of the old root. The caller then moves the new root over "/" and chroots.
 * Built static with the kernel's nolibc, so that the copy is one process,
 * as LinuxKit's is, not a fork per file.
 *
 * Reports the lowest MemAvailable seen during the copy (sampled every 64
 * files) as "UR: copy_min_mem_kb=N", and "UR: copy=failed <path>" on an
 * error.
 */
#include <linux/stat.h>

#define SAMPLE_EVERY 64

static char buf[1 << 16];
static unsigned long long min_mem_kb = ~0ULL;
static unsigned long files;
static const char *newroot;
static unsigned long long root_dev;

static void put(const char *s)
{
	write(1, s, strlen(s));
}

static void put_u64(unsigned long long v)
{
	char num[24], *p = num + sizeof(num) - 1;

	*p = '\0';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put(p);
}

static void fail(const char *what, const char *path)
{
	put("UR: copy=failed ");
	put(what);
	put(" ");
	put(path);
	put("\n");
	exit(1);
}

/* MemAvailable, from /proc/meminfo. */
static void sample_memory(void)
{
	static const char key[] = "MemAvailable:";
	int fd = open("/proc/meminfo", O_RDONLY);
	long n;
	char *p;
	unsigned long long kb = 0;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; *p && strncmp(p, key, sizeof(key) - 1); p++)
		;
	if (!*p)
		return;
	for (p += sizeof(key) - 1; *p == ' '; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		kb = kb * 10 + (*p - '0');
	if (kb < min_mem_kb)
		min_mem_kb = kb;
}

static void join(char *out, const char *a, const char *b)
{
	size_t la = strlen(a);

	memcpy(out, a, la);
	if (la && a[la - 1] != '/')
		out[la++] = '/';
	strcpy(out + la, b);
}

static long readlink_at(const char *path, char *to, size_t size)
{
	return my_syscall4(__NR_readlinkat, AT_FDCWD, path, to, size);
}

/* Copies one regular file and removes it. */
static void copy_file(const char *from, const char *to, unsigned int mode)
{
	int in = open(from, O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode & 07777);
	long n;

	if (in < 0 || out < 0)
		fail("open", from);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			fail("write", to);
	if (n < 0)
		fail("read", from);
	close(in);
	close(out);
	unlink(from);
	if (++files % SAMPLE_EVERY == 0)
		sample_memory();
}

/*
 * Copies the directory `dir` (an absolute path of the old root) into the
 * new root; the second pass (`remove` set) removes what is left of it.
 */
static void walk(const char *dir, int remove)
{
	char entries[4096], path[4096], to[4096], target[4096];
	struct statx st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	long n, at;

	if (fd < 0)
		fail("opendir", dir);
	while ((n = getdents64(fd, (void *)entries, sizeof(entries))) > 0) {
		for (at = 0; at < n;) {
			struct linux_dirent64 *d = (void *)(entries + at);

			at += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			join(path, dir, d->d_name);
			if (!strcmp(path, newroot))
				continue;
			if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
				  STATX_BASIC_STATS, &st))
				fail("stat", path);
			/* Not into other filesystems (/proc). */
			if (((unsigned long long)st.stx_dev_major << 32 |
			     st.stx_dev_minor) != root_dev)
				continue;
			join(to, newroot, path + 1);
			if (remove) {
				if (S_ISDIR(st.stx_mode)) {
					walk(path, 1);
					rmdir(path);
				} else {
					unlink(path);
				}
				continue;
			}
			if (S_ISDIR(st.stx_mode)) {
				mkdir(to, st.stx_mode & 07777);
				walk(path, 0);
			} else if (S_ISREG(st.stx_mode)) {
				copy_file(path, to, st.stx_mode);
			} else if (S_ISLNK(st.stx_mode)) {
				long len = readlink_at(path, target,
						       sizeof(target) - 1);

				if (len < 0)
					fail("readlink", path);
				target[len] = '\0';
				symlink(target, to);
			} else {
				mknod(to, st.stx_mode,
				      makedev(st.stx_rdev_major,
					      st.stx_rdev_minor));
			}
		}
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct statx st;

	if (argc != 2 || statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &st))
		fail("usage", "copyroot NEWROOT");
	newroot = argv[1];
	root_dev = (unsigned long long)st.stx_dev_major << 32 | st.stx_dev_minor;
	sample_memory();
	walk("/", 0);
	walk("/", 1);
	sample_memory();
	put("UR: copy_files=");
	put_u64(files);
	put("\nUR: copy_min_mem_kb=");
	put_u64(min_mem_kb);
	put("\n");
	return 0;
}
