// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_sys - system calls a sandboxed program must not get through.
 *
 *   attack_sys NAME            make that one system call (list below)
 *   attack_sys call NAME       a harmless call (getpid, getppid, getuid,
 *                              uname) and print its result: for policies
 *                              with "syscall NAME deny|kill"
 *   attack_sys exec PATH [ARG...]   execve(PATH, [PATH, ARG...]); on failure
 *                              print the errno name and exit 0
 *   attack_sys openat DIR PATH open DIR, then openat(that fd, PATH) and read
 *                              it: relative paths must be resolved against
 *                              the directory descriptor before the check
 *   attack_sys rename FROM TO  rename(FROM, TO) and print the errno name
 *
 * Prints "attack_sys NAME: trying" first.  A call that succeeds prints
 * "ESCAPED: NAME succeeded" (exit 0); a call that fails prints
 * "attack_sys NAME: -1 ERRNO-NAME" (exit 0), so that a test can tell a
 * refusal by the sandbox (EPERM, EACCES, ENOSYS) from a call that reached
 * the kernel (EINVAL, EBADF, EFAULT, ...).  Natively (as root) most of them
 * succeed or reach the kernel: that is what the sandbox is for.
 *
 * iopl and ioperm, when they succeed, go on to execute cli / outb: the
 * port or the interrupt flag must still be out of reach.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/reboot.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF)
	E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV)
	E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG)
	E(ENOSPC) E(ESPIPE) E(EROFS) E(ERANGE) E(ENOSYS) E(ESTALE) E(ENOKEY)
	E(ELOOP) E(ENAMETOOLONG) E(EOPNOTSUPP) E(ECONNREFUSED) E(ENETUNREACH)
	E(EHOSTUNREACH) E(EADDRNOTAVAIL) E(ETIMEDOUT) E(ENOTCONN)
#undef E
	}
	return "E?";
}

static const char *name;

static int result(long r)
{
	if (r >= 0) {
		printf("ESCAPED: %s succeeded (returned %ld)\n", name, r);
		return 0;
	}
	printf("attack_sys %s: -1 %s\n", name, ename(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	long r;

	if (argc < 2) {
		fprintf(stderr, "usage: attack_sys NAME | call NAME | exec PATH [ARG...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	name = argv[1];

	if (!strcmp(name, "call") && argc == 3) {
		const char *c = argv[2];
		struct utsname u;

		printf("attack_sys call %s: trying\n", c);
		errno = 0;
		r = !strcmp(c, "getpid") ? syscall(SYS_getpid) :
		    !strcmp(c, "getppid") ? syscall(SYS_getppid) :
		    !strcmp(c, "getuid") ? syscall(SYS_getuid) :
		    !strcmp(c, "uname") ? syscall(SYS_uname, &u) : -2;
		if (r == -2) {
			fprintf(stderr, "attack_sys: unknown call '%s'\n", c);
			return 2;
		}
		if (r < 0)
			printf("%s = -1 %s\n", c, ename(errno));
		else
			printf("%s = %s\n", c, r > 0 ? "positive" : "0");
		printf("attack_sys call %s: still running\n", c);
		return 0;
	}
	if (!strcmp(name, "exec") && argc >= 3) {
		printf("attack_sys exec %s: trying\n", argv[2]);
		execv(argv[2], argv + 2);
		printf("attack_sys exec: -1 %s\n", ename(errno));
		return 0;
	}

	if (!strcmp(name, "openat") && argc == 4) {
		int dfd, fd;

		printf("attack_sys openat %s %s: trying\n", argv[2], argv[3]);
		dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (dfd < 0) {
			printf("attack_sys openat: open %s: -1 %s\n", argv[2], ename(errno));
			return 0;
		}
		fd = openat(dfd, argv[3], O_RDONLY);
		if (fd < 0) {
			printf("attack_sys openat: -1 %s\n", ename(errno));
			return 0;
		}
		r = read(fd, buf, sizeof(buf) - 1);
		printf("ESCAPED: read %ld bytes of %s/%s\n", r, argv[2], argv[3]);
		return 0;
	}

	if (!strcmp(name, "rename") && argc == 4) {
		/* rename() itself, without a stat() first (busybox mv stats
		 * the destination, which the policy refuses silently). */
		printf("attack_sys rename %s %s: trying\n", argv[2], argv[3]);
		if (rename(argv[2], argv[3]))
			printf("attack_sys rename: -1 %s\n", ename(errno));
		else
			printf("ESCAPED: renamed %s to %s\n", argv[2], argv[3]);
		return 0;
	}

	printf("attack_sys %s: trying\n", name);
	if (!strcmp(name, "ptrace")) {
		return result(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0));
	} else if (!strcmp(name, "ptrace-attach")) {
		/* A child of its own (attaching to the parent would stop it). */
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, pid, 0, 0);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return result(r);
	} else if (!strcmp(name, "mount")) {
		mkdir("mnt", 0755);
		r = syscall(SYS_mount, "none", "mnt", "tmpfs", 0, "");
		result(r);
		if (r == 0)
			umount("mnt");
		rmdir("mnt");
		return 0;
	} else if (!strcmp(name, "init_module")) {
		return result(syscall(SYS_init_module, buf, 64UL, ""));
	} else if (!strcmp(name, "finit_module")) {
		return result(syscall(SYS_finit_module, 0, "", 0));
	} else if (!strcmp(name, "kexec_load")) {
		/* No segments: would unload a loaded kexec image (there is none). */
		return result(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
	} else if (!strcmp(name, "kexec_file_load")) {
		return result(syscall(SYS_kexec_file_load, -1, -1, 1UL, "", 0UL));
	} else if (!strcmp(name, "bpf")) {
		union bpf_attr a;

		memset(&a, 0, sizeof(a));
		a.map_type = BPF_MAP_TYPE_ARRAY;
		a.key_size = 4;
		a.value_size = 4;
		a.max_entries = 1;
		return result(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
	} else if (!strcmp(name, "process_vm_readv") || !strcmp(name, "process_vm_writev")) {
		static char src[16] = "secret", dst[16];
		struct iovec l = { dst, sizeof(dst) }, rm = { src, sizeof(src) };
		int w = !strcmp(name, "process_vm_writev");

		if (w) {
			l.iov_base = src;
			rm.iov_base = dst;
		}
		return result(syscall(w ? SYS_process_vm_writev : SYS_process_vm_readv, getpid(),
				      &l, 1UL, &rm, 1UL, 0UL));
	} else if (!strcmp(name, "arch-gs")) {
		/* libdune keeps its per-CPU data behind %gs. */
		unsigned long gs = 0;

		r = syscall(SYS_arch_prctl, ARCH_SET_GS, 0x12345000UL);
		syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
		if (r == 0)
			printf("ESCAPED: arch-gs succeeded: GS base now 0x%lx\n", gs);
		else
			printf("attack_sys arch-gs: -1 %s\n", ename(errno));
		return 0;
	} else if (!strcmp(name, "iopl")) {
		r = syscall(SYS_iopl, 3);
		printf("attack_sys iopl: iopl(3) = %ld; trying cli\n", r);
		__asm__ volatile("cli; sti" ::: "memory");
		printf("ESCAPED: cli after iopl(3) succeeded\n");
		return 0;
	} else if (!strcmp(name, "ioperm")) {
		r = syscall(SYS_ioperm, 0x80UL, 1UL, 1);
		printf("attack_sys ioperm: ioperm(0x80) = %ld; trying outb to 0x80\n", r);
		__asm__ volatile("outb %%al, $0x80" :: "a"(0) : "memory");
		printf("ESCAPED: outb after ioperm succeeded\n");
		return 0;
	} else if (!strcmp(name, "modify_ldt")) {
		struct user_desc d;

		memset(&d, 0, sizeof(d));
		d.entry_number = 0;
		d.limit = 0xfffff;
		d.seg_32bit = 1;
		d.limit_in_pages = 1;
		d.useable = 1;
		return result(syscall(SYS_modify_ldt, 1, &d, sizeof(d)));
	} else if (!strcmp(name, "io_uring_setup")) {
		/* io_uring runs openat, read, connect... in the kernel, around
		 * the sandbox's checks. */
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		return result(syscall(SYS_io_uring_setup, 4, &p));
	} else if (!strcmp(name, "userfaultfd")) {
		return result(syscall(SYS_userfaultfd, O_CLOEXEC));
	} else if (!strcmp(name, "open_by_handle_at")) {
		struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2 } };

		return result(syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
	} else if (!strcmp(name, "chroot")) {
		return result(syscall(SYS_chroot, "."));
	} else if (!strcmp(name, "unshare")) {
		return result(syscall(SYS_unshare, CLONE_NEWNS));
	} else if (!strcmp(name, "setns")) {
		return result(syscall(SYS_setns, 0, CLONE_NEWNS));
	} else if (!strcmp(name, "pivot_root")) {
		return result(syscall(SYS_pivot_root, ".", "."));
	} else if (!strcmp(name, "reboot")) {
		/* A wrong second magic number: the kernel says EINVAL. */
		return result(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL));
	} else if (!strcmp(name, "swapon")) {
		return result(syscall(SYS_swapon, "/dev/null", 0));
	} else if (!strcmp(name, "settimeofday")) {
		return result(syscall(SYS_settimeofday, NULL, NULL));
	} else if (!strcmp(name, "perf_event_open")) {
		static char attr[128];

		*(unsigned int *)(attr + 4) = sizeof(attr);	/* type 0 (hardware), size */
		return result(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0UL));
	}
	fprintf(stderr, "attack_sys: unknown call '%s'\n", name);
	return 2;
}
