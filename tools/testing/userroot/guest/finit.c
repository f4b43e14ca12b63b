// SPDX-License-Identifier: GPL-2.0
/*
 * Loads a module the way LoadPin judges loads, with finit_module(2) on an
 * open file (busybox insmod falls back to init_module(2), which LoadPin in
 * enforcing mode refuses whatever the file), and prints "ok" or the errno
 * by name: EPERM is LoadPin's refusal, EEXIST a load it allowed of a
 * module that is already there.
 */
static const char *name_of(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	case ENOEXEC:
		return "ENOEXEC";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	int fd;
	long ret;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("%s\n", name_of(errno));
		return 1;
	}
	ret = my_syscall3(__NR_finit_module, fd, "", 0);
	printf("%s\n", ret ? name_of(-ret) : "ok");
	return ret != 0;
}
