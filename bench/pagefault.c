/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pagefault.c - the cost of the first touch of a fresh anonymous page (the
 * paper's Table 2, "page fault"), native Linux against Dune mode.
 *
 *   pagefault linux   one write to a page of a fresh anonymous mapping
 *                     (MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, with
 *                     MADV_NOHUGEPAGE so that every touch is one 4 KiB
 *                     fault): #PF, the host kernel allocates and zeroes a
 *                     page and fills the PTE, IRET, the write retires.
 *   pagefault dune    the same after dune_init_and_enter(), on another
 *                     fresh mapping made in Dune mode.  libdune's page
 *                     tables already map the region (see below), so the
 *                     guest walk succeeds and the write hits a missing EPT
 *                     entry: an EPT violation exit, dune.ko faults the page
 *                     in on the host (get_user_pages: the same allocation
 *                     and zeroing as the native fault) and installs the
 *                     4 KiB EPT entry, VM entry, the write retires.
 *
 * One sample is one write to the next untouched page; the pages are used
 * in address order, each once (-w warm-up pages first, then -n measured
 * ones; default -n 2000, so about 9 MiB per side).  Each side unmaps its
 * region afterwards.
 *
 * Guest page tables in Dune mode: libdune maps the process's memory with
 * 1 GiB / 2 MiB guest pages, the 1 GiB chunks in use (and some around them)
 * at dune_init(), anything else on demand from its own #PF path, one 2 MiB
 * chunk at a time.  That on-demand #PF would be charged to the first timed
 * write of a chunk, and does not exist on the native side, so before timing
 * every 2 MiB chunk of the region is looked up in dune_pgroot
 * (dune_vm_lookup, which touches no memory of the region); a chunk not
 * mapped yet gets one write to a scratch page of its own (its first page in
 * the region), which is then left out of the measured pages.  Usually the
 * region lies inside the chunks mapped at dune_init() and no scratch page is
 * needed; the program says how many it used.
 *
 * In the emulator (Bochs), TSC ticks count emulated instructions, not
 * cycles: there the figures are the instruction counts of the two fault
 * paths.  On a VT-x host with dune.ko, they are cycles.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "bench.h"
#include "libdune.h"

#define DEFAULT_ITERS	2000
#define PG		4096UL
#define CHUNK		(2UL << 20)

struct region {
	char *base;
	size_t npages;
	unsigned char *skip;	/* scratch pages, not timed */
};

static int region_map(struct region *r, size_t npages)
{
	r->npages = npages;
	r->base = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->base == MAP_FAILED) {
		perror("pagefault: mmap");
		return -1;
	}
	if (madvise(r->base, npages * PG, MADV_NOHUGEPAGE)) {
		perror("pagefault: madvise(MADV_NOHUGEPAGE)");
		return -1;
	}
	r->skip = calloc(npages, 1);
	if (!r->skip) {
		perror("pagefault: calloc");
		return -1;
	}
	return 0;
}

static void region_unmap(struct region *r)
{
	munmap(r->base, r->npages * PG);
	free(r->skip);
}

/* Whether libdune's page tables map @va (a present leaf). */
static int guest_mapped(const void *va)
{
	dune_pte_t *pte;

	return dune_vm_lookup(dune_pgroot, va, false, &pte, NULL) == 0 && (*pte & DUNE_PTE_P);
}

/*
 * Dune mode: make sure libdune's page tables map every page of @r, so that
 * a timed write meets only the EPT fault.  Returns the number of scratch
 * pages used, or -1 when a page stays unmapped.
 */
static long premap_guest(struct region *r)
{
	uintptr_t lo = (uintptr_t)r->base, hi = lo + r->npages * PG, c;
	long scratch = 0;
	size_t i;

	for (c = lo & ~(CHUNK - 1); c < hi; c += CHUNK) {
		uintptr_t first = c > lo ? c : lo;

		if (guest_mapped((void *)first))
			continue;
		/* libdune's demand mapping (its #PF path) maps the chunk. */
		*(volatile char *)first = 1;
		r->skip[(first - lo) / PG] = 1;
		scratch++;
	}
	for (i = 0; i < r->npages; i++) {
		if (!guest_mapped(r->base + i * PG)) {
			fprintf(stderr, "pagefault: %p is not mapped by libdune's page tables\n",
				(void *)(r->base + i * PG));
			return -1;
		}
	}
	return scratch;
}

static int run(struct bench *b, struct region *r)
{
	size_t i;

	for (i = 0; i < r->npages && bench_more(b); i++) {
		volatile char *p = r->base + i * PG;
		uint64_t t0;

		if (r->skip[i])
			continue;
		t0 = bench_start();
		*p = 1;
		bench_sample(b, bench_stop() - t0);
	}
	if (bench_more(b)) {
		fprintf(stderr, "pagefault %s: ran out of pages\n", b->env);
		return -1;
	}
	bench_done(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct region r;
	struct bench b;
	size_t npages;
	long scratch;

	bench_init(&b, "pagefault", "linux", DEFAULT_ITERS, argc, argv);
	/* The samples, plus room for scratch pages (one per 2 MiB chunk). */
	npages = b.iters + b.warmup;
	npages += npages / (CHUNK / PG) + 2;

	/* Native first, in host mode. */
	if (region_map(&r, npages) || run(&b, &r))
		return 1;
	region_unmap(&r);

	if (bench_enter_dune(&b))
		return 1;

	bench_reset(&b, "pagefault", "dune");
	if (region_map(&r, npages))
		return 1;
	scratch = premap_guest(&r);
	if (scratch < 0)
		return 1;
	fprintf(stderr, "pagefault dune: %ld scratch page(s) written before timing "
		"(2 MiB chunks libdune's page tables did not map yet)\n", scratch);
	if (run(&b, &r))
		return 1;
	region_unmap(&r);
	return 0;
}
