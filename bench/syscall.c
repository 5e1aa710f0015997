/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syscall.c - the cost of a system call round trip (the paper's Table 2,
 * "syscall"), native Linux against Dune mode.
 *
 *   getpid linux         syscall(SYS_getpid) in a normal process: SYSCALL,
 *                        the host kernel's entry, getpid, SYSRET.
 *   getpid dune          the same syscall(SYS_getpid) after
 *                        dune_init_and_enter(): glibc's SYSCALL instruction
 *                        lands in libdune's ring-0 stub (LSTAR), which
 *                        forwards it with VMCALL; dune.ko runs it on the host
 *                        and resumes the guest.  So: SYSCALL + stub + VM exit
 *                        + the host system call + VM entry.
 *   getpid_vmcall dune   a raw inline VMCALL with rax = SYS_getpid: the
 *                        module's path alone (VM exit, dispatch, getpid, VM
 *                        entry), without the SYSCALL into libdune's stub.
 *
 * The raw system call is used on purpose: glibc's getpid() is a plain
 * system call today, but a cached one would measure nothing.  One sample
 * is one call.  Default -n 10000.
 *
 * In the emulator (Bochs), TSC ticks count emulated instructions, not
 * cycles: there the figures are instruction counts of each path (the VM
 * exit and entry themselves are single instructions to Bochs, the host's
 * exit handling is not).  On a VT-x host with dune.ko, they are cycles.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>

#include "bench.h"
#include "libdune.h"

#define DEFAULT_ITERS	10000

/* A system call straight to dune.ko (the ABI of libdune's stub: number in
 * rax, result in rax; RCX and R11 are preserved, listed as clobbered to be
 * safe).  Guest only: a VMCALL in host mode is #UD. */
static inline long vmcall0(long nr)
{
	long ret;

	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory", "cc");
	return ret;
}

static void run_getpid(struct bench *b, long pid)
{
	long i, n = b->iters + b->warmup;

	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		long r = syscall(SYS_getpid);
		uint64_t t = bench_stop() - t0;

		if (r != pid) {
			fprintf(stderr, "getpid %s: got %ld, expected %ld\n", b->env, r, pid);
			exit(1);
		}
		bench_sample(b, t);
	}
	bench_done(b);
}

static void run_vmcall(struct bench *b, long pid)
{
	long i, n = b->iters + b->warmup;

	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		long r = vmcall0(SYS_getpid);
		uint64_t t = bench_stop() - t0;

		if (r != pid) {
			fprintf(stderr, "getpid_vmcall: got %ld, expected %ld\n", r, pid);
			exit(1);
		}
		bench_sample(b, t);
	}
	bench_done(b);
}

int main(int argc, char **argv)
{
	struct bench b;
	long pid;

	bench_init(&b, "getpid", "linux", DEFAULT_ITERS, argc, argv);
	pid = syscall(SYS_getpid);

	/* Native first, in host mode. */
	run_getpid(&b, pid);

	if (bench_enter_dune(&b))
		return 1;

	bench_reset(&b, "getpid", "dune");
	run_getpid(&b, pid);

	bench_reset(&b, "getpid_vmcall", "dune");
	run_vmcall(&b, pid);
	return 0;
}
