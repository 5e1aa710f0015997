/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appel.c - the virtual-memory primitives of Appel and Li ("Virtual Memory
 * Primitives for User Programs", ASPLOS 1991), as the paper's Table 3 uses
 * them: what a garbage collector, a distributed shared memory or a
 * checkpointer pays to watch its own memory.
 *
 *   appel1  "prot1 + trap + unprot": protect one page read-only, write to
 *           it, and the fault handler makes it writable again (the write
 *           is then retried and succeeds).  One sample is that whole round.
 *   appel2  "protN + trap + unprot": protect N = 100 pages read-only with
 *           one call, then write to each; each fault's handler makes only
 *           the faulting page writable.  One sample is one round of N
 *           pages, reported per page (cycles/op, divisor N): protN / N +
 *           one fault + one unprotect.
 *
 *   linux  mprotect() and a SIGSEGV handler (SA_SIGINFO) that calls
 *          mprotect() on the faulting page.
 *   dune   dune_vm_mprotect() on libdune's page tables (the calling thread's
 *          TLB entries are flushed: one page, or the whole TLB for the
 *          100-page protN) and a handler registered with
 *          dune_register_pgflt_handler() that dune_vm_mprotect()s the page
 *          back: no system call and no VM exit on the path.
 *
 * The pages are the process's own memory (one mmap, touched first, so that
 * the host has populated them and every fault is a protection fault).
 * libdune maps the process's memory with large pages: the first
 * dune_vm_mprotect() of the region splits them into 4 KiB entries, which
 * is done once before the measurement.  The writes are volatile, so they
 * stay between the timer reads and after the protection.  Both handlers
 * check the fault address and count the faults, checked after each run.
 * Default -n 1000 for appel1 and -n 100 rounds (10,000 faults) for appel2;
 * -n sets both.
 *
 * In the emulator (Bochs), TSC ticks count emulated instructions, not
 * cycles.  On a VT-x host with dune.ko, they are cycles.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>

#include "bench.h"
#include "libdune.h"

#define APPEL1_ITERS	1000
#define APPEL2_ROUNDS	100
#define NPAGES		100
#define PG		4096UL

static char *region;			/* NPAGES pages */
static volatile long nfaults;
static int dune_rw;			/* the region's permissions in libdune's tables */
static int failed;

static inline void touch(char *p, char v)
{
	*(volatile char *)p = v;
}

static inline int in_region(uintptr_t a)
{
	return a >= (uintptr_t)region && a < (uintptr_t)region + NPAGES * PG;
}

static int check_count(struct bench *b, long want)
{
	if (nfaults != want) {
		fprintf(stderr, "appel: %s %s: %ld faults handled, expected %ld\n", b->name,
			b->env, (long)nfaults, want);
		failed = 1;
		return -1;
	}
	return 0;
}

/*
 * The two benchmarks over one pair of protect/unprotect primitives: @prot
 * makes [p, p+len) read-only; the fault handler of the environment makes
 * the faulting page writable.
 */
static void appel1(struct bench *b, void (*prot)(void *p, size_t len))
{
	long i, n = b->iters + b->warmup;

	nfaults = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		prot(region, PG);
		touch(region, (char)i);		/* faults, unprotected, retried */
		bench_sample(b, bench_stop() - t0);
	}
	if (!check_count(b, n))
		bench_done(b);
}

static void appel2(struct bench *b, void (*prot)(void *p, size_t len))
{
	long i, j, n = b->iters + b->warmup;

	bench_set_unit(b, "cycles/op", NPAGES);
	nfaults = 0;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();

		prot(region, NPAGES * PG);
		for (j = 0; j < NPAGES; j++)
			touch(region + j * PG, (char)i);
		bench_sample(b, bench_stop() - t0);
	}
	if (!check_count(b, n * NPAGES))
		bench_done(b);
}

/* ---- Linux ------------------------------------------------------------------------- */

static void linux_prot(void *p, size_t len)
{
	if (mprotect(p, len, PROT_READ)) {
		perror("appel: mprotect");
		exit(1);
	}
}

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)sig;
	(void)ctx;
	if (!in_region(a) || mprotect((void *)(a & ~(PG - 1)), PG, PROT_READ | PROT_WRITE)) {
		signal(SIGSEGV, SIG_DFL);	/* not ours: the retry dies as it should */
		return;
	}
	nfaults++;
}

/* ---- Dune ------------------------------------------------------------------------- */

static void dune_prot(void *p, size_t len)
{
	int r = dune_vm_mprotect(dune_pgroot, p, len, dune_rw & ~DUNE_PERM_W);

	if (r) {
		fprintf(stderr, "appel: dune_vm_mprotect: %s\n", strerror(-r));
		exit(1);
	}
}

static void pgflt_handler(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	if (!in_region(addr) || (fec & (DUNE_PF_P | DUNE_PF_W)) != (DUNE_PF_P | DUNE_PF_W))
		dune_die(tf, "appel: unexpected page fault at %lx", (unsigned long)addr);
	if (dune_vm_mprotect(dune_pgroot, (void *)(addr & ~(PG - 1)), PG, dune_rw))
		dune_die(tf, "appel: dune_vm_mprotect failed");
	nfaults++;
}

/*
 * Split the region's large pages once, and learn its permissions in
 * libdune's tables (read/write, and execute unless the entry has NX), to
 * restore them exactly.
 */
static int dune_prepare(void)
{
	dune_pte_t *pte;
	int r, level;

	memset(region, 0, NPAGES * PG);		/* mapped in the guest's tables too */
	r = dune_vm_lookup(dune_pgroot, region, false, &pte, &level);
	if (r || !(*pte & DUNE_PTE_P)) {
		fprintf(stderr, "appel: the region is not mapped in libdune's tables (%d)\n", r);
		return -1;
	}
	dune_rw = DUNE_PERM_R | DUNE_PERM_W | ((*pte & DUNE_PTE_NX) ? 0 : DUNE_PERM_X);
	r = dune_vm_mprotect(dune_pgroot, region, NPAGES * PG, dune_rw);
	if (!r)
		r = dune_vm_lookup(dune_pgroot, region + (NPAGES - 1) * PG, false, &pte, &level);
	if (r || level != 1) {
		fprintf(stderr, "appel: splitting the region's large pages failed (%d, level %d)\n",
			r, level);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b1, b2;
	struct sigaction sa;

	bench_init(&b1, "appel1", "linux", APPEL1_ITERS, argc, argv);
	bench_init(&b2, "appel2", "linux", APPEL2_ROUNDS, argc, argv);
	region = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (region == MAP_FAILED) {
		perror("appel: mmap");
		return 1;
	}
	memset(region, 0, NPAGES * PG);		/* populated: protection faults only */

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("appel: sigaction");
		return 1;
	}
	appel1(&b1, linux_prot);
	appel2(&b2, linux_prot);
	signal(SIGSEGV, SIG_DFL);

	if (bench_enter_dune(&b1))
		return 1;
	b2.overhead = b1.overhead;
	if (dune_prepare())
		return 1;
	dune_register_pgflt_handler(pgflt_handler);
	bench_reset(&b1, "appel1", "dune");
	appel1(&b1, dune_prot);
	bench_reset(&b2, "appel2", "dune");
	appel2(&b2, dune_prot);
	dune_register_pgflt_handler(NULL);
	return failed;
}
