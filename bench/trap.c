/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trap.c - delivering a fault to a handler in the program itself (the
 * paper's Table 3, "trap"): the exception, the handler, and the return to
 * the interrupted code, nothing else.
 *
 *   fault_to_handler linux   a write to a read-only page (mmap PROT_READ);
 *                            the SIGSEGV handler (SA_SIGINFO) skips the
 *                            faulting instruction by advancing REG_RIP in
 *                            the ucontext, so no mprotect is measured:
 *                            #PF, the kernel's fault path, signal delivery,
 *                            the handler, rt_sigreturn.
 *   fault_to_handler dune    the same write to an allocator page mapped
 *                            read-only in libdune's page tables (at an
 *                            address outside every window of the process,
 *                            so nothing else lives there); the handler
 *                            registered with dune_register_pgflt_handler()
 *                            advances tf->rip: #PF through libdune's IDT,
 *                            the handler, IRET, all in the guest.
 *   int3_to_handler linux    INT3 and a SIGTRAP handler that returns (the
 *                            saved RIP already points past the INT3).
 *   int3_to_handler dune     INT3 and a handler registered with
 *                            dune_register_intr_handler(DUNE_T_BP).
 *
 * The faulting instruction is a fixed encoding, c6 00 01 (movb $1,
 * (%rax)), 3 bytes; both handlers check those bytes and the fault address
 * before skipping them, and count the faults, which are checked at the
 * end.  One sample is one fault (or INT3) and its return.  Default -n 2000.
 *
 * In the emulator (Bochs), TSC ticks count emulated instructions, not
 * cycles.  On a VT-x host with dune.ko, they are cycles.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <ucontext.h>
#include <sys/mman.h>

#include "bench.h"
#include "libdune.h"

#define DEFAULT_ITERS	2000
#define PG		4096UL

static volatile char *ro_page;
static volatile long nfaults, ntraps;
static int failed;

/* movb $1, (%rax), spelled out so that its length is known to be 3. */
static inline void write_faulting(volatile char *p)
{
	__asm__ volatile(".byte 0xc6, 0x00, 0x01" : : "a"(p) : "memory");
}

static inline int is_the_write(uint64_t rip)
{
	const uint8_t *ip = (const uint8_t *)rip;

	return ip[0] == 0xc6 && ip[1] == 0x00 && ip[2] == 0x01;
}

static void check_count(const char *what, const char *env, long got, long want)
{
	if (got != want) {
		fprintf(stderr, "trap: %s %s: %ld handler calls, expected %ld\n", what, env, got,
			want);
		failed = 1;
	}
}

/* ---- Linux ------------------------------------------------------------------------- */

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	if (si->si_addr != (void *)ro_page || !is_the_write(uc->uc_mcontext.gregs[REG_RIP])) {
		signal(SIGSEGV, SIG_DFL);	/* not ours: the retry dies as it should */
		return;
	}
	uc->uc_mcontext.gregs[REG_RIP] += 3;
	nfaults++;
}

static void trap_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	(void)ctx;
	ntraps++;
}

static void run_linux(struct bench *b)
{
	struct sigaction sa;
	long i, n = b->iters + b->warmup;

	ro_page = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED) {
		perror("trap: mmap");
		exit(1);
	}
	(void)ro_page[0];		/* populated: the faults are protection faults */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("trap: sigaction");
		exit(1);
	}
	nfaults = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		write_faulting(ro_page);
		bench_sample(b, bench_stop() - t0);
	}
	signal(SIGSEGV, SIG_DFL);
	check_count(b->name, b->env, nfaults, n);
	if (nfaults == n)
		bench_done(b);
	munmap((void *)ro_page, PG);

	bench_reset(b, "int3_to_handler", "linux");
	sa.sa_sigaction = trap_handler;
	if (sigaction(SIGTRAP, &sa, NULL)) {
		perror("trap: sigaction");
		exit(1);
	}
	ntraps = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		__asm__ volatile("int3" ::: "memory");
		bench_sample(b, bench_stop() - t0);
	}
	signal(SIGTRAP, SIG_DFL);
	check_count(b->name, b->env, ntraps, n);
	if (ntraps == n)
		bench_done(b);
}

/* ---- Dune ------------------------------------------------------------------------- */

/* A 2 MiB-aligned address outside every window of the layout (as
 * libdune/tests/dune_test.h's unbacked_va(0)). */
static void *unbacked_va(void)
{
	uintptr_t a;

	for (a = 1ULL << 44; a < (1ULL << 47); a += 1ULL << 40)
		if (dune_va_to_pa((void *)a) == (uint64_t)-1 &&
		    dune_va_to_pa((void *)(a + (1ULL << 39))) == (uint64_t)-1)
			return (void *)a;
	return NULL;
}

static void pgflt_handler(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	if (addr != (uintptr_t)ro_page || (fec & (DUNE_PF_P | DUNE_PF_W)) != (DUNE_PF_P | DUNE_PF_W) ||
	    !is_the_write(tf->rip))
		dune_die(tf, "trap: unexpected page fault at %lx", (unsigned long)addr);
	tf->rip += 3;
	nfaults++;
}

static void bp_handler(struct dune_tf *tf)
{
	(void)tf;
	ntraps++;
}

static int run_dune(struct bench *b)
{
	long i, n = b->iters + b->warmup;
	int r;

	ro_page = unbacked_va();
	if (!ro_page) {
		fprintf(stderr, "trap: no free address outside the layout's windows\n");
		return -1;
	}
	r = dune_vm_map_pages(dune_pgroot, (void *)ro_page, PG, DUNE_PERM_R);
	if (r) {
		fprintf(stderr, "trap: dune_vm_map_pages: %s\n", strerror(-r));
		return -1;
	}
	dune_register_pgflt_handler(pgflt_handler);
	nfaults = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		write_faulting(ro_page);
		bench_sample(b, bench_stop() - t0);
	}
	dune_register_pgflt_handler(NULL);
	check_count(b->name, b->env, nfaults, n);
	if (nfaults == n)
		bench_done(b);
	dune_vm_unmap(dune_pgroot, (void *)ro_page, PG);

	bench_reset(b, "int3_to_handler", "dune");
	dune_register_intr_handler(DUNE_T_BP, bp_handler);
	ntraps = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		__asm__ volatile("int3" ::: "memory");
		bench_sample(b, bench_stop() - t0);
	}
	dune_register_intr_handler(DUNE_T_BP, NULL);
	check_count(b->name, b->env, ntraps, n);
	if (ntraps == n)
		bench_done(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "fault_to_handler", "linux", DEFAULT_ITERS, argc, argv);
	run_linux(&b);

	if (bench_enter_dune(&b))
		return 1;
	bench_reset(&b, "fault_to_handler", "dune");
	if (run_dune(&b))
		return 1;
	return failed;
}
