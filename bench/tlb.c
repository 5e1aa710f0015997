/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tlb.c - the cost of a TLB miss, i.e. of a page-table walk (the paper's
 * Table 2, "TLB miss"), native Linux against Dune mode, with 4 KiB and with
 * 2 MiB host pages.
 *
 *   tlb_walk_4k   a working set of 4 KiB pages (default 64 MiB: 16384 pages,
 *                 MADV_NOHUGEPAGE), one node per page.
 *   tlb_walk_2m   a working set of 2 MiB pages (default 128 MiB: 64 huge
 *                 pages), eight nodes per huge page, 256 KiB apart.
 *
 * The measurement is a pointer chase: each node holds the address of the
 * next, in the order of a precomputed pseudo-random cyclic permutation
 * (Sattolo's shuffle with a fixed seed, the same on both sides), so every
 * load depends on the one before and no prefetcher can guess the next page.
 * One sample is a chase of K = 1024 loads; the figure is cycles per access
 * (bench_set_unit "cycles/access", integer division by K).  Nodes sit at a
 * different cache-line offset in each page or slot (line (i * 67) mod the
 * lines of a slot), so the data spread over the cache sets instead of all
 * falling into the same one: the 4 KiB set touches 16384 lines (1 MiB), the
 * 2 MiB set 512 lines (32 KiB), so the data mostly hit the caches and the
 * cost above a cache hit is the translation.
 *
 * What misses.  4 KiB: 16384 pages are far beyond any TLB's reach (L1 DTLB
 * 64 entries, STLB 512-2048), so nearly every load walks the page tables.
 * 2 MiB: 64 huge pages are twice the reach of the 32-entry L1 DTLB for
 * 2 MiB pages, so about half the loads miss it; on Sandy/Ivy Bridge, whose
 * STLB holds no 2 MiB entries, they walk, while Haswell and later mostly
 * hit the STLB.  On real hardware, make the sets larger with the
 * environment variables BENCH_TLB_4K_MB and BENCH_TLB_2M_MB (e.g. 4096 for
 * the 2 MiB set, beyond a 1536-entry STLB); the defaults fit the emulated
 * machine's 256 MiB.
 *
 * 2 MiB pages: transparent huge pages first (a 2 MiB-aligned region with
 * MADV_HUGEPAGE), unless they are switched off ("[never]", as in the
 * emulated machine), checked in /proc/self/smaps (AnonHugePages must cover
 * the whole region); if THP gave fewer, hugetlbfs (MAP_HUGETLB, after
 * raising /proc/sys/vm/nr_hugepages when that is allowed, and lowering it
 * again as soon as the region is unmapped, so that the pool holds no memory
 * the next region needs).  If neither gives 2 MiB pages, the program says
 * so and prints no tlb_walk_2m figure (the 4 KiB ones still count: exit 0).
 * The Dune side starts from the kind that worked on the native side (and
 * is checked the same way).
 *
 * Dune mode: the same program after dune_init_and_enter(), on fresh
 * regions mapped there.  A TLB miss is then a two-dimensional walk: each
 * level of the guest page tables is itself translated through the EPT.
 * libdune maps the process's memory with 1 GiB or 2 MiB guest pages, so the
 * guest side of the walk is short (2-3 levels); the EPT side follows the
 * host's pages (dune.ko installs 2 MiB EPT leaves where the host maps THP
 * or hugetlb pages, 4 KiB leaves otherwise).  The TLB caches the combined
 * translation at the smaller of the two sizes: 4 KiB for tlb_walk_4k, 2 MiB
 * for tlb_walk_2m.  Building the chase touches every node before timing,
 * which takes the host faults, the EPT faults and libdune's on-demand
 * mappings out of the samples.  The program prints the guest page size it
 * found for each region.
 *
 * The emulator (Bochs) models no TLB timing and charges nothing for a
 * page walk: there TSC ticks count emulated instructions, so the figure is
 * the instruction count of the chase loop per access and Dune ~= Linux is
 * expected.  The benchmark is meant for real VT-x hardware, where the
 * figures are cycles.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "bench.h"
#include "libdune.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << 26)
#endif

#define DEFAULT_ITERS	1000
#define K		1024		/* loads per sample */
#define PG		4096UL
#define HPG		(2UL << 20)
#define SLOT_2M		(256UL << 10)	/* eight nodes per 2 MiB page */
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

enum huge_kind { HUGE_NONE, HUGE_THP, HUGE_TLBFS };

struct region {
	char *base;
	size_t len;
	size_t map_len;		/* what to munmap from map_base */
	char *map_base;
};

static long hugetlb_orig = -1;	/* nr_hugepages before we raised it */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t env_mb(const char *name, size_t def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < 4 || v > 65536) {
		fprintf(stderr, "tlb: %s=%s: want a size in MiB, 4..65536\n", name, s);
		exit(2);
	}
	return (size_t)v;
}

/*
 * A field of the /proc/self/smaps entry of the mapping that holds @addr, in
 * bytes (e.g. "AnonHugePages"), or -1.
 */
static long long smaps_field(const void *addr, const char *field)
{
	uintptr_t a = (uintptr_t)addr;
	size_t flen = strlen(field);
	long long ret = -1;
	int inside = 0;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, kb;
		char c;

		if (sscanf(line, "%lx-%lx%c", &lo, &hi, &c) == 3 && c == ' ') {
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && !strncmp(line, field, flen) && line[flen] == ':' &&
		    sscanf(line + flen + 1, "%lu", &kb) == 1) {
			ret = (long long)kb * 1024;
			break;
		}
	}
	fclose(f);
	return ret;
}

static long read_long(const char *path)
{
	char buf[32];
	long v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 10);
	}
	close(fd);
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, r;

	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	r = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return r;
}

static void region_unmap(struct region *r)
{
	if (r->map_base)
		munmap(r->map_base, r->map_len);
	memset(r, 0, sizeof(*r));
}

/* 4 KiB pages only. */
static int map_4k(struct region *r, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->base == MAP_FAILED) {
		perror("tlb: mmap");
		return -1;
	}
	r->len = r->map_len = len;
	r->map_base = r->base;
	if (madvise(r->base, len, MADV_NOHUGEPAGE)) {
		perror("tlb: madvise(MADV_NOHUGEPAGE)");
		return -1;
	}
	return 0;
}

/* Transparent huge pages switched off altogether (MADV_HUGEPAGE is a no-op)? */
static int thp_never(void)
{
	char mode[128];
	FILE *f = fopen(THP_ENABLED, "re");
	int never = 0;

	if (!f)
		return 1;	/* no THP in this kernel */
	if (fgets(mode, sizeof(mode), f))
		never = strstr(mode, "[never]") != NULL;
	fclose(f);
	return never;
}

/* A 2 MiB-aligned region asking for transparent huge pages (not yet touched). */
static int map_thp(struct region *r, size_t len)
{
	char *p;

	memset(r, 0, sizeof(*r));
	p = mmap(NULL, len + HPG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("tlb: mmap");
		return -1;
	}
	r->map_base = p;
	r->map_len = len + HPG;
	r->base = (char *)(((uintptr_t)p + HPG - 1) & ~(HPG - 1));
	r->len = len;
	if (madvise(r->base, len, MADV_HUGEPAGE)) {
		perror("tlb: madvise(MADV_HUGEPAGE)");
		region_unmap(r);
		return -1;
	}
	return 0;
}

/* hugetlbfs pages, raising the pool if it is too small and we may. */
static int map_hugetlb(struct region *r, size_t len)
{
	long have = read_long(NR_HUGEPAGES), want = (long)(len / HPG);
	char *p;

	memset(r, 0, sizeof(*r));
	if (have >= 0 && have < want) {
		if (hugetlb_orig < 0)
			hugetlb_orig = have;
		if (write_long(NR_HUGEPAGES, want))
			fprintf(stderr, "tlb: cannot raise %s to %ld: %s\n", NR_HUGEPAGES, want,
				strerror(errno));
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "tlb: mmap(MAP_HUGETLB) of %zu MiB: %s (%s is %ld)\n", len >> 20,
			strerror(errno), NR_HUGEPAGES, read_long(NR_HUGEPAGES));
		return -1;
	}
	r->base = r->map_base = p;
	r->len = r->map_len = len;
	return 0;
}

static void restore_hugetlb(void)
{
	if (hugetlb_orig >= 0 && write_long(NR_HUGEPAGES, hugetlb_orig))
		fprintf(stderr, "tlb: cannot restore %s to %ld\n", NR_HUGEPAGES, hugetlb_orig);
	hugetlb_orig = -1;
}

/*
 * Lay the chase out over @r: @n nodes, node i in slot i (@stride bytes
 * each) at cache line (i * 67) mod (stride / 64), linked in the order of a
 * cyclic permutation.  Writing the links touches every page: the faults
 * (host, EPT, libdune's demand mapping) all happen here.  Returns the
 * first node.
 */
static void *build_chase(struct region *r, size_t stride, size_t n, size_t *order)
{
	size_t lines = stride / 64, i;

	for (i = 0; i < n; i++)
		order[i] = i;
	/* Sattolo: a uniformly random permutation that is a single cycle. */
	rng = 0x9e3779b97f4a7c15ULL;
	for (i = n - 1; i > 0; i--) {
		size_t j = xorshift64() % i, t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
#define NODE(k) ((void **)(r->base + (k) * stride + ((k) * 67 % lines) * 64))
	for (i = 0; i < n; i++)
		*NODE(order[i]) = NODE(order[(i + 1) % n]);
	return NODE(order[0]);
#undef NODE
}

static void *chase(void *p, long k)
{
	while (k--)
		p = *(void **)p;
	return p;
}

/* Every page of @r backed as asked?  Returns 0, or -1 with a message. */
static int check_pages(const struct region *r, enum huge_kind kind, const char *name,
		       const char *env)
{
	long long v;

	switch (kind) {
	case HUGE_NONE:
		v = smaps_field(r->base, "AnonHugePages");
		if (v != 0) {
			fprintf(stderr, "%s %s: expected 4 KiB pages, smaps says AnonHugePages %lld\n",
				name, env, v);
			return -1;
		}
		return 0;
	case HUGE_THP:
		v = smaps_field(r->base, "AnonHugePages");
		if (v < (long long)r->len) {
			char mode[128] = "?";
			FILE *f = fopen(THP_ENABLED, "re");

			if (f) {
				if (!fgets(mode, sizeof(mode), f))
					strcpy(mode, "?");
				mode[strcspn(mode, "\n")] = 0;
				fclose(f);
			}
			fprintf(stderr, "%s %s: transparent huge pages cover %lld of %zu MiB (%s: %s)\n",
				name, env, v < 0 ? v : v >> 20, r->len >> 20, THP_ENABLED, mode);
			return -1;
		}
		return 0;
	case HUGE_TLBFS:
		v = smaps_field(r->base, "Private_Hugetlb");
		if (v < (long long)r->len) {
			fprintf(stderr, "%s %s: hugetlb pages cover %lld of %zu MiB\n", name, env,
				v < 0 ? v : v >> 20, r->len >> 20);
			return -1;
		}
		return 0;
	}
	return -1;
}

static void say_guest_page(const struct region *r, const char *name)
{
	dune_pte_t *pte;
	int level = 0;

	if (dune_vm_lookup(dune_pgroot, r->base, false, &pte, &level) || !(*pte & DUNE_PTE_P))
		level = 0;
	fprintf(stderr, "%s dune: libdune's guest page for the region: %s\n", name,
		level == 3 ? "1 GiB" : level == 2 ? "2 MiB" : level == 1 ? "4 KiB" : "none?");
}

/*
 * Map the region (@kind; for HUGE_THP, falling back to HUGE_TLBFS, which
 * *kind then says), build the chase, check the pages, time it.  Returns 0,
 * 1 when 2 MiB pages are unavailable (no RESULT line), -1 on failure.
 */
static int run(struct bench *b, enum huge_kind *kind, size_t len, size_t stride)
{
	size_t n = len / stride;
	struct region r;
	size_t *order;
	void *p;
	long i;

	order = malloc(n * sizeof(*order));
	if (!order) {
		perror("tlb: malloc");
		return -1;
	}
	if (*kind == HUGE_NONE) {
		if (map_4k(&r, len))
			goto fail;
	} else if (*kind == HUGE_THP && thp_never()) {
		fprintf(stderr, "%s %s: transparent huge pages are off (%s: [never])\n", b->name,
			b->env, THP_ENABLED);
		*kind = HUGE_TLBFS;
	} else if (*kind == HUGE_THP) {
		if (map_thp(&r, len))
			goto fail;
		p = build_chase(&r, stride, n, order);
		if (!check_pages(&r, HUGE_THP, b->name, b->env))
			goto built;
		region_unmap(&r);
		fprintf(stderr, "%s %s: trying hugetlbfs pages instead\n", b->name, b->env);
		*kind = HUGE_TLBFS;
	}
	if (*kind == HUGE_TLBFS && map_hugetlb(&r, len)) {
		fprintf(stderr, "%s %s: no 2 MiB pages available: this variant is not measured\n",
			b->name, b->env);
		free(order);
		return 1;
	}
	p = build_chase(&r, stride, n, order);
	if (check_pages(&r, *kind, b->name, b->env)) {
		region_unmap(&r);
		free(order);
		if (*kind == HUGE_NONE)
			return -1;
		fprintf(stderr, "%s %s: no 2 MiB pages: this variant is not measured\n", b->name,
			b->env);
		return 1;
	}
built:
	free(order);
	if (*kind != HUGE_NONE)
		fprintf(stderr, "%s %s: 2 MiB pages from %s\n", b->name, b->env,
			*kind == HUGE_THP ? "transparent huge pages" : "hugetlbfs");
	if (dune_is_guest())
		say_guest_page(&r, b->name);
	/* One full lap untimed: the caches and paging-structure caches
	 * settle as they will be during the samples. */
	p = chase(p, (long)n);
	bench_set_unit(b, "cycles/access", K);
	for (i = 0; i < b->iters + b->warmup; i++) {
		uint64_t t0 = bench_start();

		p = chase(p, K);
		bench_sample(b, bench_stop() - t0);
	}
	/* The chase must end on a node: keeps it from being optimised out. */
	if (!p || (char *)p < r.base || (char *)p >= r.base + r.len) {
		fprintf(stderr, "%s %s: chase left the region\n", b->name, b->env);
		region_unmap(&r);
		return -1;
	}
	bench_done(b);
	region_unmap(&r);
	/* Give the pool's pages back now: the next region needs the memory. */
	restore_hugetlb();
	return 0;
fail:
	free(order);
	return -1;
}

int main(int argc, char **argv)
{
	size_t len4k = env_mb("BENCH_TLB_4K_MB", 64) << 20;
	size_t len2m = env_mb("BENCH_TLB_2M_MB", 128) << 20;
	enum huge_kind kind4k = HUGE_NONE, kind2m = HUGE_THP;
	int have2m, r;
	struct bench b;

	len2m &= ~(HPG - 1);
	bench_init(&b, "tlb_walk_4k", "linux", DEFAULT_ITERS, argc, argv);

	/* Native first, in host mode. */
	if (run(&b, &kind4k, len4k, PG) < 0)
		goto fail;
	bench_reset(&b, "tlb_walk_2m", "linux");
	r = run(&b, &kind2m, len2m, SLOT_2M);
	if (r < 0)
		goto fail;
	have2m = r == 0;

	if (bench_enter_dune(&b)) {
		restore_hugetlb();
		return 1;
	}

	bench_reset(&b, "tlb_walk_4k", "dune");
	if (run(&b, &kind4k, len4k, PG) < 0)
		goto fail;
	if (have2m) {
		bench_reset(&b, "tlb_walk_2m", "dune");
		if (run(&b, &kind2m, len2m, SLOT_2M) < 0)
			goto fail;
	}
	restore_hugetlb();
	return 0;
fail:
	restore_hugetlb();
	return 1;
}
