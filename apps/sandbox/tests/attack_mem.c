// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_mem - touch the sandbox's memory from the sandboxed program, by
 * instruction or through system-call arguments.
 *
 *   attack_mem MODE
 *
 * The program's memory is [0x10000, 0x100000000); everything else belongs
 * to the sandbox.  The target is a mapping outside that range found in
 * /proc/self/maps (run it with a policy that adds "read /proc"): the
 * [heap] or another writable mapping for data, an executable one for exec;
 * if none is listed, a guessed address.  Each mode prints
 * "attack_mem MODE: trying ... 0xADDR ..." first (ADDR: the address the
 * violation report should name), and "ESCAPED: ..." if the access went
 * through.  Modes:
 *
 *   read, write, exec     ring-3 load / store / jump to the sandbox's memory
 *   stack                 point %rsp at the sandbox's memory and push
 *   syscall-read          write(1, ADDR, 16): the sandbox would leak memory
 *   syscall-write         read(0, ADDR, 16): ... or let it be overwritten
 *   getcwd                getcwd(ADDR, 64)
 *   writev, readv         an iovec inside the range whose iov_base is ADDR
 *   straddle              write(1, 0x100000000-8, 16): a buffer across the top
 *   straddle-str          openat(AT_FDCWD, "/tm" ending at 0xffffffff, no NUL)
 *   high                  write(1, 0xffff888000000000, 16) (a kernel address)
 *   execve-argv           execve("/bin/busybox", {"echo", ADDR, NULL}, ...)
 *   mmap-fixed            mmap(ADDR, MAP_FIXED) over the sandbox's memory
 *   munmap, mprotect, madvise, mremap
 *                         those on ADDR (madvise: MADV_DONTNEED)
 *   fs-high               arch_prctl(ARCH_SET_FS, ADDR), then read %fs:0
 *   procmem               pread(/proc/self/mem, ADDR): read it via the file
 * Not violations:
 *   nullish               *(long *)8: SIGSEGV (status 139), as natively
 *   unmapped              a page inside the range, unmapped: SIGSEGV
 *   mmap-hint             mmap(hint 0x7f0000000000): must land in the range
 *   mmap-exhaust          map 256 MiB PROT_NONE chunks until ENOMEM: every
 *                         one in the range, and they run out (stops at 64)
 *   brk-high              brk(0x200000000): must not move the break there
 *   layout                the program's stack, data, heap, mmap, argv,
 *                         environment all lie in the range
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attack.h"

static int in_range(unsigned long a, unsigned long len)
{
	return a >= LO && a < HI && len <= HI - a;
}

static const char *mode;

static void trying(const char *what, unsigned long addr)
{
	printf("attack_mem %s: trying %s 0x%lx\n", mode, what, addr);
	fflush(stdout);
}

static void escaped(const char *fmt, long v)
{
	printf("ESCAPED: ");
	printf(fmt, v);
	printf("\n");
	fflush(stdout);
	exit(0);
}

static unsigned long outside(int want)
{
	return attack_outside("attack_mem", want);
}

int main(int argc, char **argv)
{
	unsigned long a;
	long r;

	if (argc < 2) {
		fprintf(stderr, "usage: attack_mem MODE\n");
		return 2;
	}
	mode = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "read")) {
		a = outside('r');
		trying("a load from", a);
		r = *(volatile long *)a;
		escaped("read the sandbox's memory: 0x%lx", r);
	} else if (!strcmp(mode, "write")) {
		a = outside('w');
		trying("a store to", a);
		r = *(volatile long *)a;
		*(volatile long *)a = r;
		escaped("wrote the sandbox's memory (value kept: 0x%lx)", r);
	} else if (!strcmp(mode, "exec")) {
		a = outside('x');
		trying("a jump to", a);
		((void (*)(void))a)();
		escaped("returned from a call into the sandbox's code at 0x%lx", a);
	} else if (!strcmp(mode, "stack")) {
		a = outside('w') + 4096;
		trying("a push with %rsp at", a - 8);
		__asm__ volatile("movq %%rsp, %%rdx\n\tmovq %0, %%rsp\n\tpushq $0x5a\n\tmovq %%rdx, %%rsp"
				 :: "r"(a) : "rdx", "memory");
		escaped("pushed onto the sandbox's memory at 0x%lx", a - 8);
	} else if (!strcmp(mode, "syscall-read")) {
		a = outside('r');
		trying("write(1, ADDR, 16) with ADDR", a);
		r = syscall(SYS_write, 1, a, 16);
		printf("\n");
		escaped("write(1, sandbox memory, 16) returned %ld", r);
	} else if (!strcmp(mode, "syscall-write")) {
		a = outside('w');
		trying("read(0, ADDR, 16) with ADDR", a);
		r = syscall(SYS_read, 0, a, 16);
		escaped("read(0, sandbox memory, 16) returned %ld", r);
	} else if (!strcmp(mode, "getcwd")) {
		a = outside('w');
		trying("getcwd(ADDR, 64) with ADDR", a);
		r = syscall(SYS_getcwd, a, 64);
		escaped("getcwd(sandbox memory, 64) returned %ld", r);
	} else if (!strcmp(mode, "writev") || !strcmp(mode, "readv")) {
		static struct iovec iov[2];
		static char ok[8] = "iov0\n";
		int rd = !strcmp(mode, "readv");

		a = outside(rd ? 'w' : 'r');
		iov[0].iov_base = ok;
		iov[0].iov_len = 5;
		iov[1].iov_base = (void *)a;
		iov[1].iov_len = 16;
		trying(rd ? "readv(0, iov) with iov[1].iov_base" : "writev(1, iov) with iov[1].iov_base", a);
		r = syscall(rd ? SYS_readv : SYS_writev, rd ? 0 : 1, iov, 2);
		printf("\n");
		if (r > 5)
			escaped("an iovec into the sandbox's memory: %ld bytes", r);
		printf("attack_mem %s: returned %ld (%s)\n", mode, r, r < 0 ? strerror(errno) : "");
		return 0;
	} else if (!strcmp(mode, "straddle") || !strcmp(mode, "straddle-str")) {
		void *p = mmap((void *)(HI - 4096), 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (p == MAP_FAILED) {
			printf("attack_mem %s: mmap(0x%lx, MAP_FIXED) failed: %s\n", mode, HI - 4096,
			       strerror(errno));
			return 3;
		}
		memset(p, 'A', 4096);
		if (!strcmp(mode, "straddle")) {
			trying("write(1, ADDR, 16) across the top of the range, ADDR", HI - 8);
			r = syscall(SYS_write, 1, HI - 8, 16);
			printf("\n");
			if (r >= 0)
				escaped("write(1, 0xfffffff8, 16) returned %ld", r);
			printf("attack_mem straddle: write returned -1 %s\n", strerror(errno));
			return 0;
		}
		memcpy((char *)HI - 3, "/tm", 3);
		trying("openat(AT_FDCWD, PATH) with a path that runs out of the range, PATH", HI - 3);
		r = syscall(SYS_openat, AT_FDCWD, HI - 3, O_RDONLY);
		if (r >= 0)
			escaped("openat of a path past the range returned %ld", r);
		printf("attack_mem %s: openat returned -1 %s\n", mode, strerror(errno));
		return 0;
	} else if (!strcmp(mode, "high")) {
		a = 0xffff888000000000UL;
		trying("write(1, ADDR, 16) with the kernel address ADDR", a);
		r = syscall(SYS_write, 1, a, 16);
		printf("\n");
		if (r >= 0)
			escaped("write(1, kernel address, 16) returned %ld", r);
		printf("attack_mem high: write returned -1 %s\n", strerror(errno));
		return 0;
	} else if (!strcmp(mode, "execve-argv")) {
		char *args[] = { "echo", NULL, NULL };
		char *env[] = { "PATH=/bin", NULL };

		a = outside('r');
		args[1] = (char *)a;
		trying("execve(\"/bin/busybox\", {\"echo\", ADDR}) with ADDR", a);
		r = syscall(SYS_execve, "/bin/busybox", args, env);
		printf("attack_mem execve-argv: execve returned %ld (%s)\n", r, strerror(errno));
		return 0;
	} else if (!strcmp(mode, "mmap-fixed")) {
		void *p;

		a = outside('w');
		trying("mmap(ADDR, 4096, MAP_FIXED) with ADDR", a);
		p = mmap((void *)a, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0);
		if (p != MAP_FAILED)
			escaped("mmap(MAP_FIXED) over the sandbox's memory returned 0x%lx", (long)p);
		printf("attack_mem mmap-fixed: refused: %s\n", strerror(errno));
		return 0;
	} else if (!strcmp(mode, "munmap") || !strcmp(mode, "mprotect") || !strcmp(mode, "madvise")) {
		a = outside('w');
		trying(!strcmp(mode, "munmap") ? "munmap(ADDR, 4096) with ADDR" :
		       !strcmp(mode, "mprotect") ? "mprotect(ADDR, 4096, PROT_NONE) with ADDR" :
		       "madvise(ADDR, 4096, MADV_DONTNEED) with ADDR", a);
		r = !strcmp(mode, "munmap") ? syscall(SYS_munmap, a, 4096) :
		    !strcmp(mode, "mprotect") ? syscall(SYS_mprotect, a, 4096, PROT_NONE) :
		    syscall(SYS_madvise, a, 4096, MADV_DONTNEED);
		if (r == 0)
			escaped("changed the sandbox's memory map (returned %ld)", r);
		printf("attack_mem %s: refused: %s\n", mode, strerror(errno));
		return 0;
	} else if (!strcmp(mode, "mremap")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		a = outside('w');
		trying("mremap(page, 4096, 4096, MREMAP_FIXED, ADDR) with ADDR", a);
		r = syscall(SYS_mremap, p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, a);
		if ((unsigned long)r == a)
			escaped("mremap moved a page over the sandbox's memory: 0x%lx", r);
		if (r != -1) {
			printf("attack_mem mremap: MREMAP_FIXED ignored: moved to 0x%lx\n", r);
			return 0;
		}
		printf("attack_mem mremap: refused: %s\n", strerror(errno));
		return 0;
	} else if (!strcmp(mode, "fs-high")) {
		unsigned long oldfs = 0;

		a = outside('r');
		syscall(SYS_arch_prctl, ARCH_GET_FS, &oldfs);
		trying("arch_prctl(ARCH_SET_FS, ADDR), then a load from %fs:0, with ADDR", a);
		r = syscall(SYS_arch_prctl, ARCH_SET_FS, a);
		if (r != 0) {
			printf("attack_mem fs-high: arch_prctl refused: %s\n", strerror(errno));
			return 0;
		}
		__asm__ volatile("movq %%fs:0, %0" : "=r"(r) :: "memory");
		syscall(SYS_arch_prctl, ARCH_SET_FS, oldfs);
		escaped("read the sandbox's memory through %%fs: 0x%lx", r);
	} else if (!strcmp(mode, "procmem")) {
		char buf[16];
		int fd;

		a = outside('r');
		trying("pread(/proc/self/mem, 16, ADDR) with ADDR", a);
		fd = open("/proc/self/mem", O_RDONLY);
		if (fd < 0) {
			printf("attack_mem procmem: open /proc/self/mem: %s\n", strerror(errno));
			return 0;
		}
		r = pread(fd, buf, sizeof(buf), (off_t)a);
		if (r > 0)
			escaped("read %ld bytes of the sandbox's memory through /proc/self/mem", r);
		printf("attack_mem procmem: pread: %s\n", r < 0 ? strerror(errno) : "0 bytes");
		return 0;
	} else if (!strcmp(mode, "nullish")) {
		printf("attack_mem nullish: trying a load from 0x8\n");
		fflush(stdout);
		r = *(volatile long *)8;
		printf("read 0x8: 0x%lx (no SIGSEGV)\n", r);
		return 0;
	} else if (!strcmp(mode, "unmapped")) {
		char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p + 4096, 4096)) {
			printf("attack_mem unmapped: mmap/munmap failed: %s\n", strerror(errno));
			return 3;
		}
		p[0] = 1;
		printf("attack_mem unmapped: trying a load from an unmapped page\n");
		fflush(stdout);
		r = *(volatile char *)(p + 4096);
		printf("read an unmapped page: %ld (no SIGSEGV)\n", r);
		return 0;
	} else if (!strcmp(mode, "mmap-hint")) {
		void *p = mmap((void *)0x7f0000000000UL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			printf("mmap-hint: mmap failed: %s\n", strerror(errno));
			return 3;
		}
		*(volatile char *)p = 1;
		printf("mmap-hint: %s\n", in_range((unsigned long)p, 4096) ? "in range" : "OUT OF RANGE");
		return 0;
	} else if (!strcmp(mode, "mmap-exhaust")) {
		int n, bad = 0;
		void *p = NULL;

		for (n = 0; n < 64; n++) {
			p = mmap(NULL, 256UL << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				 -1, 0);
			if (p == MAP_FAILED)
				break;
			if (!in_range((unsigned long)p, 256UL << 20)) {
				printf("mmap-exhaust: chunk %d at %p: OUT OF RANGE\n", n, p);
				bad++;
			}
		}
		printf("mmap-exhaust: %d chunks of 256 MiB, %s; %s\n", n,
		       bad ? "some OUT OF RANGE" : "all in range",
		       p == MAP_FAILED ? (errno == ENOMEM ? "then ENOMEM" : strerror(errno)) :
					 "never ran out");
		return 0;
	} else if (!strcmp(mode, "brk-high")) {
		unsigned long cur = syscall(SYS_brk, 0);

		r = syscall(SYS_brk, 0x200000000UL);
		printf("brk-high: %s\n", (unsigned long)r >= HI ? "OUT OF RANGE" :
		       (unsigned long)r == cur ? "refused" : "moved, in range");
		return 0;
	} else if (!strcmp(mode, "layout")) {
		static int data;
		int local, bad = 0;
		char *heap = malloc(100), *big = malloc(1 << 20);
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct { const char *what; const void *p; } v[] = {
			{ "stack", &local }, { "data", &data }, { "heap", heap },
			{ "malloc(1 MiB)", big }, { "mmap", m }, { "argv", argv },
			{ "argv[0]", argv[0] }, { "environ", environ },
			{ "code", (void *)main },
		};

		for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			if (!in_range((unsigned long)v[i].p, 1)) {
				printf("layout: %s at %p: OUT OF RANGE\n", v[i].what, v[i].p);
				bad++;
			}
		if (environ[0] && !in_range((unsigned long)environ[0], 1)) {
			printf("layout: environ[0] at %p: OUT OF RANGE\n", (void *)environ[0]);
			bad++;
		}
		if (!bad)
			printf("layout: all in range\n");
		return 0;
	}
	fprintf(stderr, "attack_mem: unknown mode '%s'\n", mode);
	return 2;
}
