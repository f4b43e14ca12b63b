// SPDX-License-Identifier: GPL-2.0
/*
 * The whole initramfs of the boot-cost benchmark: one static /init, built
 * with the kernel's nolibc (tools/include/nolibc) so that the archive is a
 * few KiB, as the smallest real initramfs would be.
 *
 * It copies the kernel's timing lines to the console: initcall_debug prints
 * them at KERN_DEBUG, below the console level, naming the initcall by
 * address when there is no kallsyms, so the host passes that address as
 * ur_initcall= (an environment variable). Then it measures the floor the
 * user root's cost is compared with: a bare tmpfs mount and umount, timed
 * with CLOCK_MONOTONIC, which counts guest instructions under QEMU's
 * -icount. Then it ends the guest.
 */
#include <linux/reboot.h>

/* How many mount+umount pairs; the median is reported. */
#define FLOOR_SAMPLES 9

static char log[1 << 20];

static void put(const char *s)
{
	write(1, s, strlen(s));
}

static void put_u64(unsigned long long v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put(p);
}

static int contains(const char *s, const char *what)
{
	size_t n = strlen(what);

	for (; *s; s++)
		if (!strncmp(s, what, n))
			return 1;
	return 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	my_syscall2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sort(unsigned long long *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long long t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* A bare tmpfs mount + umount on /root, which the kernel's built-in list
 * always creates; and, to subtract, two clock reads with nothing between.
 */
static void floor_samples(void)
{
	unsigned long long pair[FLOOR_SAMPLES], clock[FLOOR_SAMPLES];

	for (int i = 0; i < FLOOR_SAMPLES; i++) {
		unsigned long long t0 = now_ns(), t1;

		t1 = now_ns();
		clock[i] = t1 - t0;
		t0 = now_ns();
		if (mount("ur-floor", "/root", "tmpfs", 0, 0) || umount2("/root", 0)) {
			put("UR: floor=failed\n");
			return;
		}
		t1 = now_ns();
		pair[i] = t1 - t0;
	}
	sort(pair, FLOOR_SAMPLES);
	sort(clock, FLOOR_SAMPLES);
	put("UR: floor_ns=");
	put_u64(pair[FLOOR_SAMPLES / 2] - clock[FLOOR_SAMPLES / 2]);
	put("\n");
}

int main(void)
{
	int len = my_syscall3(__NR_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, log,
			      sizeof(log) - 1);
	const char *initcall = getenv("ur_initcall");
	char *line = log, *end = log + (len > 0 ? len : 0);

	*end = '\0';
	while (line < end) {
		char *next = line;

		while (next < end && *next != '\n')
			next++;
		*next = '\0';
		if ((initcall && contains(line, initcall)) || contains(line, "Run /init")) {
			put("UR| ");
			put(line);
			put("\n");
		}
		line = next + 1;
	}
	floor_samples();
	put("UR: done\n");
	reboot(LINUX_REBOOT_CMD_RESTART);
	return 0;
}
