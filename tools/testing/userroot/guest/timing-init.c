// SPDX-License-Identifier: GPL-2.0
/*
 * The whole initramfs of the boot-cost benchmark: one static /init that
 * copies the kernel's timing line for the initramfs step to the console,
 * then ends the guest. initcall_debug prints it at KERN_DEBUG, below the
 * console level, naming the initcall by address when there is no kallsyms:
 * the host passes that address as ur_initcall= (an environment variable).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <unistd.h>

static char log[1 << 20];

int main(void)
{
	int len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	const char *initcall = getenv("ur_initcall");
	char *line, *next;

	for (line = log; len > 0 && line < log + len; line = next + 1) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next = '\0';
		if ((initcall && strstr(line, initcall)) || strstr(line, "Run /init")) {
			write(1, "UR| ", 4);
			write(1, line, strlen(line));
			write(1, "\n", 1);
		}
	}
	write(1, "UR: done\n", 9);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
