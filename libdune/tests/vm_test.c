/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side unit tests of libdune's page-table manager (vm.c), its entry
 * encoders (pte.h) and its page allocator (page.c).  There is no MMU here:
 * the tables are plain memory, guest-physical == virtual
 * (dune_layout_set_identity()), and tests/host_stubs.c stands in for the
 * current root and the TLB flushes.  Accessed/dirty bits are set by hand.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "internal.h"
#include "pte.h"
#include "../../test/harness.h"

extern dune_pte_t *host_stub_current_root;
extern unsigned long host_stub_flush_one, host_stub_flush_range, host_stub_flush_all;
extern const void *host_stub_last_va;
extern size_t host_stub_last_len;

#define PG	4096UL
#define SZ_2M	(1UL << 21)
#define SZ_1G	(1UL << 30)
#define NX	(1ULL << 63)

/* Test addresses: the tables are real, the leaves' pages mostly are not. */
#define VA(x)	((void *)(uintptr_t)(x))
#define TB	(1ULL << 40)

static size_t in_use(void)
{
	size_t n;

	dune_page_stats(&n, NULL);
	return n;
}

static size_t cached(void)
{
	size_t n;

	dune_page_stats(NULL, &n);
	return n;
}

static void reset_flushes(void)
{
	host_stub_flush_one = host_stub_flush_range = host_stub_flush_all = 0;
	host_stub_last_va = NULL;
	host_stub_last_len = 0;
}

static unsigned long flushes(void)
{
	return host_stub_flush_one + host_stub_flush_range + host_stub_flush_all;
}

/* The leaf for @va, asserting its level. */
static dune_pte_t *leaf(dune_pte_t *root, uintptr_t va, int want_level)
{
	dune_pte_t *p = NULL;
	int level = 0;

	ASSERT_EQ(dune_vm_lookup(root, VA(va), false, &p, &level), 0);
	ASSERT_EQ(level, want_level);
	return p;
}

/* The table that entry @e points to (identity layout). */
static dune_pte_t *table_of(dune_pte_t e)
{
	return (dune_pte_t *)(uintptr_t)(e & DUNE_PTE_ADDR);
}

static void *page_of(dune_pte_t e)
{
	return (void *)(uintptr_t)(e & DUNE_PTE_ADDR);
}

static void setup(void)
{
	dune_layout_set_identity();
	host_stub_current_root = NULL;
	reset_flushes();
}

/* ---- pte.h ---------------------------------------------------------------- */

TEST(pte_hardware_bits)
{
	/* Intel SDM Vol. 3A, table 4-19: the architectural positions. */
	EXPECT_EQ(DUNE_PTE_P, 1);
	EXPECT_EQ(DUNE_PTE_W, 2);
	EXPECT_EQ(DUNE_PTE_U, 4);
	EXPECT_EQ(DUNE_PTE_PWT, 8);
	EXPECT_EQ(DUNE_PTE_PCD, 0x10);
	EXPECT_EQ(DUNE_PTE_A, 0x20);
	EXPECT_EQ(DUNE_PTE_D, 0x40);
	EXPECT_EQ(DUNE_PTE_PS, 0x80);
	EXPECT_EQ(DUNE_PTE_G, 0x100);
	EXPECT_EQ(DUNE_PTE_AVAIL, 0xe00);
	EXPECT_TRUE(DUNE_PTE_NX == 1ULL << 63);
	EXPECT_EQ(DUNE_PTE_ADDR, 0x000ffffffffff000ULL);
	/* Software bits live where the CPU ignores them (58:52). */
	EXPECT_EQ(DUNE_PTE_COW >> 52, 1);
	EXPECT_EQ(DUNE_PTE_PAGE >> 52, 2);
	EXPECT_EQ(DUNE_PTE_PROTNONE >> 52, 4);
	EXPECT_EQ(DUNE_PTE_TABLE, 7);

	EXPECT_EQ(dune_pt_level_size(1), PG);
	EXPECT_EQ(dune_pt_level_size(2), SZ_2M);
	EXPECT_EQ(dune_pt_level_size(3), SZ_1G);
	EXPECT_EQ(dune_pt_level_size(4), 512 * SZ_1G);
	{
		uint64_t va = (5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12) | 0x123;

		EXPECT_EQ(dune_pt_index(va, 4), 5);
		EXPECT_EQ(dune_pt_index(va, 3), 6);
		EXPECT_EQ(dune_pt_index(va, 2), 7);
		EXPECT_EQ(dune_pt_index(va, 1), 8);
	}
}

TEST(pte_encoder)
{
	const dune_pte_t u1 = 1 << 9, u2 = 1 << 10, u3 = 1 << 11;

	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R, 1), 0x1 | NX);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_W, 1), 0x3 | NX);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_X, 1), 0x3);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_U, 1), 0x5);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_UC, 1), 0x19 | NX);
	/* COW: never W, the software bit instead. */
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_COW, 1),
		  0x1 | NX | DUNE_PTE_COW);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_USR1 | DUNE_PERM_USR2 | DUNE_PERM_USR3, 1),
		  0x1 | NX | u1 | u2 | u3);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_USR2, 1), 0x1 | NX | u2);
	/* Large leaves: PS at levels 2 and 3 (the BIG bits only pick the level). */
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_BIG, 2), 0x83 | NX);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_BIG_1GB, 3), 0x81);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_BIG, 1), 0x1 | NX);
	/* No R: not present, kept as a PROT_NONE mapping. */
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_NONE, 1), DUNE_PTE_PROTNONE);
	EXPECT_EQ(dune_perm_to_pte(DUNE_PERM_USR3, 2), DUNE_PTE_PROTNONE | u3 | 0x80);
	EXPECT_FALSE(dune_perm_to_pte(DUNE_PERM_NONE, 1) & DUNE_PTE_P);

	EXPECT_TRUE(dune_perm_valid(DUNE_PERM_NONE));
	EXPECT_TRUE(dune_perm_valid(DUNE_PERM_USR1));
	EXPECT_TRUE(dune_perm_valid(DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_BIG | DUNE_PERM_BIG_1GB));
	EXPECT_FALSE(dune_perm_valid(DUNE_PERM_W));
	EXPECT_FALSE(dune_perm_valid(DUNE_PERM_X));
	EXPECT_FALSE(dune_perm_valid(DUNE_PERM_U));
	EXPECT_FALSE(dune_perm_valid(DUNE_PERM_R | 0x40));
	EXPECT_FALSE(dune_perm_valid(DUNE_PERM_R | 0x10000));
}

TEST(pte_decoder_round_trip)
{
	static const int bits[] = { DUNE_PERM_W, DUNE_PERM_X, DUNE_PERM_U, DUNE_PERM_UC,
				    DUNE_PERM_COW, DUNE_PERM_USR1, DUNE_PERM_USR2, DUNE_PERM_USR3 };
	int n = sizeof(bits) / sizeof(bits[0]), mask, i, level;

	for (level = 1; level <= 3; level++) {
		for (mask = 0; mask < (1 << n); mask++) {
			int perm = DUNE_PERM_R, want, got;
			dune_pte_t e;

			for (i = 0; i < n; i++)
				if (mask & (1 << i))
					perm |= bits[i];
			e = dune_perm_to_pte(perm, level);
			got = dune_pte_to_perm(e, level);
			want = perm;
			if (want & DUNE_PERM_COW)
				want &= ~DUNE_PERM_W;
			if (level == 2)
				want |= DUNE_PERM_BIG;
			if (level == 3)
				want |= DUNE_PERM_BIG_1GB;
			EXPECT_EQ(got, want);
			EXPECT_EQ(dune_perm_to_pte(got, level), e);
			/* A table entry is never NX, a leaf without X always is. */
			EXPECT_EQ(!!(e & NX), !(perm & DUNE_PERM_X));
			EXPECT_TRUE(e & DUNE_PTE_P);
			EXPECT_EQ(!!(e & DUNE_PTE_PS), level > 1);
		}
	}
	EXPECT_EQ(dune_pte_to_perm(DUNE_PTE_PROTNONE | (1 << 10), 1), DUNE_PERM_USR2);
}

/* ---- the page allocator --------------------------------------------------- */

TEST(page_alloc_basic)
{
	size_t u0 = in_use();
	unsigned char *p, *q;
	int i, stackvar = 0;
	void *m = malloc(64);

	p = dune_page_alloc();
	q = dune_page_alloc();
	ASSERT_TRUE(p && q);
	EXPECT_NE(p, q);
	EXPECT_EQ((uintptr_t)p & (PG - 1), 0);
	for (i = 0; i < (int)PG; i++)
		ASSERT_EQ(p[i], 0);
	EXPECT_EQ(in_use(), u0 + 2);
	EXPECT_TRUE(dune_page_is_managed(p));
	EXPECT_TRUE(dune_page_is_managed(p + 100));
	EXPECT_FALSE(dune_page_is_managed(&stackvar));
	EXPECT_FALSE(dune_page_is_managed(m));
	EXPECT_FALSE(dune_page_is_managed(NULL));
	EXPECT_EQ(dune_page_refcount(&stackvar), -EINVAL);
	EXPECT_EQ(dune_page_refcount(m), -EINVAL);

	EXPECT_EQ(dune_page_refcount(p), 1);
	dune_page_get(p);
	dune_page_get(p);
	EXPECT_EQ(dune_page_refcount(p), 3);
	dune_page_put(p);
	dune_page_put(p);
	EXPECT_EQ(dune_page_refcount(p), 1);
	EXPECT_EQ(in_use(), u0 + 2);
	dune_page_put(p);
	EXPECT_EQ(dune_page_refcount(p), 0);
	EXPECT_EQ(in_use(), u0 + 1);
	dune_page_put(q);
	EXPECT_EQ(in_use(), u0);
	/* Not allocator pages: ignored. */
	dune_page_get(&stackvar);
	dune_page_put(m);
	free(m);
}

TEST(page_reuse_is_zeroed)
{
	unsigned char *p = dune_page_alloc(), *q;
	size_t c0;
	int i;

	ASSERT_TRUE(p);
	memset(p, 0xa5, PG);
	c0 = cached();
	dune_page_put(p);
	EXPECT_EQ(cached(), c0 + 1);
	q = dune_page_alloc();
	EXPECT_EQ(q, p);		/* the cache is LIFO: warm pages first */
	EXPECT_EQ(cached(), c0);
	for (i = 0; i < (int)PG; i++)
		ASSERT_EQ(q[i], 0);
	dune_page_put(q);
}

TEST(page_double_put_aborts)
{
	pid_t pid = fork();
	int st;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		void *p = dune_page_alloc();

		dune_page_put(p);
		dune_page_put(p);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

/* Beyond the cache (256 pages), freed memory goes back to the host. */
TEST(page_release_beyond_cache)
{
	enum { N = 1024 };
	static unsigned char *pages[N];
	size_t u0 = in_use();
	int i, resident = 0, j;

	for (i = 0; i < N; i++) {
		pages[i] = dune_page_alloc();
		ASSERT_TRUE(pages[i]);
		memset(pages[i], 0x5a, PG);
	}
	EXPECT_EQ(in_use(), u0 + N);
	for (i = 0; i < N; i++)
		dune_page_put(pages[i]);
	EXPECT_EQ(in_use(), u0);
	EXPECT_EQ(cached(), 256);
	/* The first 256 freed stay (cached); the others are not resident. */
	for (i = 0; i < N; i++) {
		unsigned char vec = 0;

		ASSERT_EQ(mincore(pages[i], PG, &vec), 0);
		if (i < 256)
			EXPECT_TRUE(vec & 1);
		else
			resident += vec & 1;
	}
	EXPECT_EQ(resident, 0);
	/* All come back zeroed (the released ones without a memset). */
	for (i = 0; i < N; i++) {
		pages[i] = dune_page_alloc();
		ASSERT_TRUE(pages[i]);
		for (j = 0; j < (int)PG; j += 512)
			ASSERT_EQ(pages[i][j], 0);
	}
	EXPECT_EQ(cached(), 0);
	for (i = 0; i < N; i++)
		dune_page_put(pages[i]);
}

TEST(page_fail_after)
{
	void *a, *b;

	dune_page_fail_after(1);
	a = dune_page_alloc();
	b = dune_page_alloc();
	EXPECT_TRUE(a != NULL);
	EXPECT_TRUE(b == NULL);
	EXPECT_TRUE(dune_page_alloc() == NULL);
	dune_page_fail_after(-1);
	b = dune_page_alloc();
	EXPECT_TRUE(b != NULL);
	dune_page_put(a);
	dune_page_put(b);
}

static int hook_calls;
static uintptr_t hook_base[16];
static void *hook_page[16];

/* Stands in for boot.c mapping a new region: it allocates page tables. */
static int region_hook(void *base, size_t len)
{
	int i = hook_calls++;

	hook_base[i] = (uintptr_t)base;
	/* Not published yet: nothing of it is handed out before this returns. */
	if (dune_page_is_managed((char *)base + len / 2))
		return -EEXIST;
	hook_page[i] = dune_page_alloc();
	return hook_page[i] ? 0 : -ENOMEM;
}

TEST(page_region_growth)
{
	enum { N = 3000 };
	static void *pages[N];
	int i, k;

	/* 4 MiB regions: 2 pages of metadata, 1022 pages each. */
	ASSERT_EQ(dune_page_set_region_size(3 << 20), -EINVAL);
	ASSERT_EQ(dune_page_set_region_size(1 << 20), -EINVAL);
	ASSERT_EQ(dune_page_set_region_size(4 << 20), 0);
	dune_page_set_region_hook(region_hook);
	for (i = 0; i < N; i++) {
		pages[i] = dune_page_alloc();
		ASSERT_TRUE(pages[i]);
		*(int *)pages[i] = i;
	}
	EXPECT_GE(hook_calls, 2);
	for (k = 0; k < hook_calls; k++) {
		/* Regions are aligned to their size, and the hook's pages came
		 * from an older region. */
		EXPECT_EQ(hook_base[k] & ((4 << 20) - 1), 0);
		EXPECT_TRUE(dune_page_is_managed(hook_page[k]));
		EXPECT_FALSE((uintptr_t)hook_page[k] >= hook_base[k] &&
			     (uintptr_t)hook_page[k] < hook_base[k] + (4 << 20));
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(*(int *)pages[i], i);	/* no page handed out twice */
		ASSERT_TRUE(dune_page_is_managed(pages[i]));
		ASSERT_EQ(dune_page_refcount(pages[i]), 1);
	}
	for (i = 0; i < N; i++)
		dune_page_put(pages[i]);
	EXPECT_EQ(in_use(), (size_t)hook_calls);
}

static int failing_hook(void *base, size_t len)
{
	(void)base;
	(void)len;
	return -ENOMEM;
}

TEST(page_region_hook_failure)
{
	int n = 0;

	/* 2 MiB: one page of metadata, 511 pages; the next region is refused. */
	ASSERT_EQ(dune_page_set_region_size(2 << 20), 0);
	dune_page_set_region_hook(failing_hook);
	while (dune_page_alloc())
		n++;
	EXPECT_EQ(n, 511);
}

struct page_thread {
	int id;
	int fails;
};

static void *page_thread_fn(void *arg)
{
	struct page_thread *t = arg;
	enum { MAX_BATCH = 320, TOTAL = 100000 };
	/* Odd threads free more than the cache holds at once: released pages. */
	int batch = t->id & 1 ? MAX_BATCH : 16;
	uint64_t *pages[MAX_BATCH];
	int n, i;

	for (n = 0; n < TOTAL; n += batch) {
		for (i = 0; i < batch; i++) {
			pages[i] = dune_page_alloc();
			if (!pages[i] || pages[i][0] || pages[i][511]) {
				t->fails++;
				return NULL;
			}
			pages[i][0] = ((uint64_t)t->id << 32) | (uint64_t)(n + i);
			pages[i][511] = ~pages[i][0];
			if (i & 1) {
				dune_page_get(pages[i]);
				dune_page_put(pages[i]);
			}
		}
		for (i = 0; i < batch; i++) {
			if (pages[i][0] != (((uint64_t)t->id << 32) | (uint64_t)(n + i)) ||
			    pages[i][511] != ~pages[i][0] || dune_page_refcount(pages[i]) != 1)
				t->fails++;
			dune_page_put(pages[i]);
		}
	}
	return NULL;
}

TEST(page_threads)
{
	pthread_t th[8];
	struct page_thread t[8];
	size_t u0 = in_use();
	int i;

	for (i = 0; i < 8; i++) {
		t[i].id = i + 1;
		t[i].fails = 0;
		ASSERT_EQ(pthread_create(&th[i], NULL, page_thread_fn, &t[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(t[i].fails, 0);
	}
	EXPECT_EQ(in_use(), u0);
	EXPECT_LE(cached(), 256);
}

/* ---- page tables ---------------------------------------------------------- */

TEST(lookup_create_levels)
{
	size_t u0;
	dune_pte_t *root, *p, *p2, e4, e3, e2, *pdpt, *pd, *pt;
	uintptr_t va = 0x7f1234567000ULL;
	int level;

	setup();
	u0 = in_use();
	root = dune_vm_new_root();
	ASSERT_TRUE(root);
	EXPECT_EQ(in_use(), u0 + 1);
	EXPECT_EQ(dune_vm_lookup(root, VA(va), false, &p, &level), -ENOENT);

	ASSERT_EQ(dune_vm_lookup(root, VA(va), true, &p, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(*p, 0);
	EXPECT_EQ(in_use(), u0 + 4);	/* PDPT, PD, PT */
	/* Intermediate entries: P|W|U, never NX, the next table's address. */
	e4 = root[dune_pt_index(va, 4)];
	EXPECT_EQ(e4 & ~DUNE_PTE_ADDR, 7);
	pdpt = table_of(e4);
	EXPECT_TRUE(dune_page_is_managed(pdpt));
	e3 = pdpt[dune_pt_index(va, 3)];
	EXPECT_EQ(e3 & ~DUNE_PTE_ADDR, 7);
	pd = table_of(e3);
	e2 = pd[dune_pt_index(va, 2)];
	EXPECT_EQ(e2 & ~DUNE_PTE_ADDR, 7);
	pt = table_of(e2);
	EXPECT_EQ(p, &pt[dune_pt_index(va, 1)]);

	/* The entry is empty: not mapped without create. */
	EXPECT_EQ(dune_vm_lookup(root, VA(va), false, &p2, &level), -ENOENT);
	ASSERT_EQ(dune_vm_lookup(root, VA(va + 0x123), true, &p2, NULL), 0);
	EXPECT_EQ(p2, p);
	EXPECT_EQ(in_use(), u0 + 4);
	*p = 0x5000 | DUNE_PTE_P;
	EXPECT_EQ(leaf(root, va, 1), p);

	/* 2 MiB and 1 GiB leaves are found at their level. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), SZ_2M, 4 * SZ_2M,
				   DUNE_PERM_R | DUNE_PERM_BIG), 0);
	p = leaf(root, TB + SZ_2M + 5 * PG, 2);
	EXPECT_EQ(*p, 4 * SZ_2M | 0x81 | NX);
	ASSERT_EQ(dune_vm_map_phys(root, VA(2 * TB + SZ_1G), SZ_1G, 3 * SZ_1G,
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_BIG_1GB), 0);
	p = leaf(root, 2 * TB + SZ_1G + 12345 * PG, 3);
	EXPECT_EQ(*p, 3 * SZ_1G | 0x83 | NX);
	pdpt = table_of(root[dune_pt_index(2 * TB, 4)]);
	EXPECT_EQ(p, &pdpt[dune_pt_index(2 * TB + SZ_1G, 3)]);

	/* create through a 1 GiB leaf: split to 2 MiB, then to 4 KiB. */
	u0 = in_use();
	ASSERT_EQ(dune_vm_lookup(root, VA(2 * TB + SZ_1G + SZ_2M + 3 * PG), true, &p, &level), 0);
	EXPECT_EQ(level, 1);
	EXPECT_EQ(*p, (3 * SZ_1G + SZ_2M + 3 * PG) | 0x3 | NX);
	EXPECT_EQ(in_use(), u0 + 2);
	p = leaf(root, 2 * TB + SZ_1G + 7 * SZ_2M, 2);
	EXPECT_EQ(*p, (3 * SZ_1G + 7 * SZ_2M) | 0x83 | NX);

	dune_vm_free(root);
}

TEST(map_phys_4k)
{
	dune_pte_t *root, *p, *pt;
	uint64_t pa = 0x40000000;
	int perm = DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U | DUNE_PERM_USR1, i;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + 5 * PG), 3 * PG, pa, perm), 0);
	for (i = 0; i < 3; i++) {
		p = leaf(root, TB + (5 + i) * PG, 1);
		/* P, W, U, AVL bit 9, NX; nothing else. */
		EXPECT_EQ(*p, (pa + i * PG) | 0x1 | 0x2 | 0x4 | 0x200 | NX);
		EXPECT_EQ(*p, (pa + i * PG) | dune_perm_to_pte(perm, 1));
	}
	pt = leaf(root, TB + 5 * PG, 1) - 5;
	EXPECT_EQ(pt[4], 0);
	EXPECT_EQ(pt[8], 0);

	/* Executable, uncached, supervisor. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + 20 * PG), PG, 0xfee00000,
				   DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_UC), 0);
	EXPECT_EQ(*leaf(root, TB + 20 * PG, 1), 0xfee00000 | 0x1 | 0x8 | 0x10);
	/* DUNE_PERM_BIG where nothing is aligned: 4 KiB pages. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), SZ_2M, SZ_2M + PG,
				   DUNE_PERM_R | DUNE_PERM_BIG), 0);
	EXPECT_EQ(*leaf(root, TB + SZ_2M + SZ_2M - PG, 1), (2 * SZ_2M) | 0x1 | NX);
	/* Replacing: the newest wins. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + 5 * PG), PG, 0x1000, DUNE_PERM_R), 0);
	EXPECT_EQ(*leaf(root, TB + 5 * PG, 1), 0x1000 | 0x1 | NX);
	dune_vm_free(root);
}

TEST(map_phys_2m)
{
	dune_pte_t *root;
	uint64_t pa = 64 * SZ_2M;

	setup();
	root = dune_vm_new_root();
	/* Two 2 MiB leaves, then the 4 KiB tail. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), 2 * SZ_2M + PG, pa,
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U | DUNE_PERM_BIG), 0);
	EXPECT_EQ(*leaf(root, TB, 2), pa | 0x80 | 0x7 | NX);
	EXPECT_EQ(*leaf(root, TB + SZ_2M + 77 * PG, 2), (pa + SZ_2M) | 0x87 | NX);
	EXPECT_EQ(*leaf(root, TB + 2 * SZ_2M, 1), (pa + 2 * SZ_2M) | 0x7 | NX);
	EXPECT_EQ(*leaf(root, TB, 2), (pa) | dune_perm_to_pte(DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U, 2));
	/* Without BIG: 4 KiB only. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_1G), SZ_2M, pa, DUNE_PERM_R), 0);
	EXPECT_EQ(*leaf(root, TB + SZ_1G + SZ_2M - PG, 1), (pa + SZ_2M - PG) | 0x1 | NX);
	dune_vm_free(root);
}

TEST(map_phys_1g)
{
	dune_pte_t *root;
	uint64_t pa = 5 * SZ_1G;

	setup();
	root = dune_vm_new_root();
	/* BIG_1GB: 1 GiB leaves, then 2 MiB, then 4 KiB for what is left. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), SZ_1G + SZ_2M + PG, pa,
				   DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_BIG_1GB), 0);
	EXPECT_EQ(*leaf(root, TB + 12345 * PG, 3), pa | 0x81);
	EXPECT_EQ(*leaf(root, TB + SZ_1G, 2), (pa + SZ_1G) | 0x81);
	EXPECT_EQ(*leaf(root, TB + SZ_1G + SZ_2M, 1), (pa + SZ_1G + SZ_2M) | 0x1);
	/* va aligned to 1 GiB, pa only to 2 MiB: 2 MiB leaves. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(2 * TB), SZ_1G, SZ_2M,
				   DUNE_PERM_R | DUNE_PERM_BIG_1GB), 0);
	EXPECT_EQ(*leaf(root, 2 * TB + SZ_1G - PG, 2), (SZ_1G) | 0x81 | NX);
	dune_vm_free(root);
}

/* A 1 GiB leaf over existing small mappings frees their tables and pages. */
TEST(map_phys_big_replaces_tables)
{
	dune_pte_t *root;
	size_t u0;

	setup();
	root = dune_vm_new_root();
	u0 = in_use();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB + 3 * SZ_2M), 4 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + 9 * SZ_2M), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	EXPECT_EQ(in_use(), u0 + 3 + 4);	/* PDPT, PD, PT, 4 pages */
	host_stub_current_root = root;
	reset_flushes();
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), SZ_1G, SZ_1G, DUNE_PERM_R | DUNE_PERM_BIG_1GB), 0);
	EXPECT_EQ(in_use(), u0 + 1);		/* PDPT only */
	EXPECT_EQ(*leaf(root, TB + 3 * SZ_2M, 3), SZ_1G | 0x81 | NX);
	/* A table was replaced: its whole range is flushed. */
	EXPECT_EQ(host_stub_flush_range, 1);
	EXPECT_EQ(host_stub_flush_one, 0);
	EXPECT_EQ(host_stub_last_va, VA(TB));
	EXPECT_EQ(host_stub_last_len, SZ_1G);
	host_stub_current_root = NULL;
	dune_vm_free(root);
}

TEST(mprotect_splits_2m)
{
	dune_pte_t *root, *p, *pt;
	uint64_t pa = 0x80000000;
	uintptr_t va = TB + 8 * SZ_2M;
	size_t u0;
	int i;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(va), SZ_2M, pa,
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U | DUNE_PERM_USR2 |
				   DUNE_PERM_BIG), 0);
	p = leaf(root, va, 2);
	*p |= DUNE_PTE_A | DUNE_PTE_D;		/* as the CPU would */
	u0 = in_use();
	host_stub_current_root = root;
	reset_flushes();

	ASSERT_EQ(dune_vm_mprotect(root, VA(va + 5 * PG), PG, DUNE_PERM_R), 0);
	EXPECT_EQ(in_use(), u0 + 1);		/* the new PT */
	pt = leaf(root, va, 1);
	for (i = 0; i < 512; i++) {
		dune_pte_t want = (pa + i * PG) | 0x7 | 0x400 | DUNE_PTE_A | DUNE_PTE_D | NX;

		if (i == 5)
			want = (pa + i * PG) | 0x1 | DUNE_PTE_A | DUNE_PTE_D | NX;
		ASSERT_EQ(pt[i], want);
	}
	/* One leaf changed; the split itself changes no translation. */
	EXPECT_EQ(host_stub_flush_one, 1);
	EXPECT_EQ(host_stub_flush_range, 0);
	EXPECT_EQ(host_stub_last_va, VA(va + 5 * PG));

	/* A range covering a whole 2 MiB leaf changes it in place. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(va + SZ_2M), SZ_2M, pa, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	u0 = in_use();
	ASSERT_EQ(dune_vm_mprotect(root, VA(va + SZ_2M), SZ_2M, DUNE_PERM_R | DUNE_PERM_X), 0);
	EXPECT_EQ(*leaf(root, va + SZ_2M, 2), pa | 0x81);
	EXPECT_EQ(in_use(), u0);
	/* Unmapped pages are skipped, nothing is created. */
	ASSERT_EQ(dune_vm_mprotect(root, VA(3 * TB), SZ_1G, DUNE_PERM_R), 0);
	EXPECT_EQ(in_use(), u0);
	EXPECT_EQ(dune_vm_lookup(root, VA(3 * TB), false, &p, NULL), -ENOENT);
	host_stub_current_root = NULL;
	dune_vm_free(root);
}

TEST(mprotect_splits_1g)
{
	dune_pte_t *root, *pd, *pt, *p;
	uint64_t pa = 3 * SZ_1G;
	uintptr_t va = 5 * SZ_1G;
	int i;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(va), SZ_1G, pa,
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_BIG_1GB), 0);
	/* The last 4 KiB page: 1 GiB -> 511 x 2 MiB + 1 table of 4 KiB. */
	ASSERT_EQ(dune_vm_mprotect(root, VA(va + SZ_1G - PG), PG, DUNE_PERM_R | DUNE_PERM_U), 0);
	pd = leaf(root, va, 2);
	for (i = 0; i < 511; i++)
		ASSERT_EQ(pd[i], (pa + i * SZ_2M) | 0x83 | NX);
	EXPECT_EQ(pd[511] & ~DUNE_PTE_ADDR, 7);
	pt = table_of(pd[511]);
	for (i = 0; i < 511; i++)
		ASSERT_EQ(pt[i], (pa + 511 * SZ_2M + i * PG) | 0x3 | NX);
	EXPECT_EQ(pt[511], (pa + SZ_1G - PG) | 0x5 | NX);
	p = leaf(root, va + SZ_1G - PG, 1);
	EXPECT_EQ(p, &pt[511]);
	dune_vm_free(root);
}

/* A large page's PAT bit (12) moves to bit 7 in 4 KiB entries. */
TEST(split_keeps_pat)
{
	dune_pte_t *root, *p, *pt;
	int i;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), SZ_2M, SZ_2M, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	p = leaf(root, TB, 2);
	*p |= DUNE_PTE_PAT_LARGE;
	ASSERT_EQ(dune_vm_mprotect(root, VA(TB), PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	pt = leaf(root, TB, 1);
	EXPECT_EQ(pt[0], SZ_2M | 0x83 | NX);
	for (i = 1; i < 512; i++)
		ASSERT_EQ(pt[i], (SZ_2M + i * PG) | 0x81 | NX);
	dune_vm_free(root);
}

TEST(unmap)
{
	dune_pte_t *root, *p;
	void *pages[8];
	size_t u0;
	int i;

	setup();
	root = dune_vm_new_root();
	u0 = in_use();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), 8 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_EQ(in_use(), u0 + 3 + 8);
	for (i = 0; i < 8; i++) {
		pages[i] = page_of(*leaf(root, TB + i * PG, 1));
		dune_page_get(pages[i]);	/* to watch them */
	}
	host_stub_current_root = root;
	reset_flushes();
	ASSERT_EQ(dune_vm_unmap(root, VA(TB + 2 * PG), 4 * PG), 0);
	EXPECT_EQ(host_stub_flush_range, 1);
	EXPECT_EQ(host_stub_flush_one, 0);
	EXPECT_EQ(host_stub_last_va, VA(TB + 2 * PG));
	EXPECT_EQ(host_stub_last_len, 4 * PG);
	for (i = 0; i < 8; i++) {
		bool gone = i >= 2 && i < 6;

		EXPECT_EQ(dune_vm_lookup(root, VA(TB + i * PG), false, &p, NULL), gone ? -ENOENT : 0);
		EXPECT_EQ(dune_page_refcount(pages[i]), gone ? 1 : 2);
	}
	reset_flushes();
	ASSERT_EQ(dune_vm_unmap(root, VA(TB), PG), 0);
	EXPECT_EQ(host_stub_flush_one, 1);
	EXPECT_EQ(host_stub_last_va, VA(TB));
	/* Unmapping nothing flushes nothing. */
	reset_flushes();
	ASSERT_EQ(dune_vm_unmap(root, VA(TB + 2 * PG), 4 * PG), 0);
	EXPECT_EQ(flushes(), 0);
	ASSERT_EQ(dune_vm_unmap(root, VA(TB), SZ_1G), 0);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(dune_page_refcount(pages[i]), 1);
		dune_page_put(pages[i]);
	}
	/* Empty tables stay until dune_vm_free(). */
	EXPECT_EQ(in_use(), u0 + 3);

	/* A 2 MiB leaf partly unmapped is split; a whole one just cleared. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), 2 * SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	ASSERT_EQ(dune_vm_unmap(root, VA(TB + SZ_2M + 7 * PG), PG), 0);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB + SZ_2M + 7 * PG), false, &p, NULL), -ENOENT);
	EXPECT_EQ(*leaf(root, TB + SZ_2M + 8 * PG, 1), (8 * PG) | 0x1 | NX);
	EXPECT_EQ(*leaf(root, TB + SZ_2M + 6 * PG, 1), (6 * PG) | 0x1 | NX);
	u0 = in_use();
	ASSERT_EQ(dune_vm_unmap(root, VA(TB + 2 * SZ_2M), SZ_2M), 0);
	EXPECT_EQ(in_use(), u0);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB + 2 * SZ_2M), false, &p, NULL), -ENOENT);
	host_stub_current_root = NULL;
	dune_vm_free(root);
}

struct rec {
	uintptr_t va;
	int level;
	dune_pte_t *pte;
	dune_pte_t e;
};

struct recs {
	int n, stop_at;
	struct rec r[2048];
};

static int collect(const void *arg, dune_pte_t *pte, void *va, int level)
{
	struct recs *rs = (struct recs *)(uintptr_t)arg;

	if (rs->n < 2048)
		rs->r[rs->n] = (struct rec){ (uintptr_t)va, level, pte, *pte };
	rs->n++;
	return rs->n == rs->stop_at ? 42 : 0;
}

TEST(page_walk)
{
	static struct recs rs;
	dune_pte_t *root;
	uintptr_t a = TB + 3 * PG, b = TB + 5 * SZ_2M, c = 2 * TB + 2 * SZ_1G, d = 3 * TB;
	uintptr_t top = (1ULL << 47) - PG;

	setup();
	root = dune_vm_new_root();
	/* Mapped out of order, with a PROT_NONE page, and the very last page. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(d), PG, 0x4000, DUNE_PERM_NONE), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(c), SZ_1G, 0, DUNE_PERM_R | DUNE_PERM_BIG_1GB), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(a), PG, 0x1000, DUNE_PERM_R), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(b), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(top), PG, 0x2000, DUNE_PERM_R), 0);

	memset(&rs, 0, sizeof(rs));
	ASSERT_EQ(dune_vm_page_walk(root, VA(0), VA(-1), collect, &rs, false), 0);
	ASSERT_EQ(rs.n, 5);
	EXPECT_EQ(rs.r[0].va, a);
	EXPECT_EQ(rs.r[0].level, 1);
	EXPECT_EQ(rs.r[0].pte, leaf(root, a, 1));
	EXPECT_EQ(rs.r[1].va, b);
	EXPECT_EQ(rs.r[1].level, 2);
	EXPECT_EQ(rs.r[1].pte, leaf(root, b, 2));
	EXPECT_EQ(rs.r[2].va, c);
	EXPECT_EQ(rs.r[2].level, 3);
	EXPECT_EQ(rs.r[3].va, d);
	EXPECT_EQ(rs.r[3].level, 1);
	EXPECT_EQ(rs.r[3].e, 0x4000 | DUNE_PTE_PROTNONE);
	EXPECT_EQ(rs.r[4].va, top);

	/* Inclusive end: [a+1, c] holds a (rounded down), b and c. */
	memset(&rs, 0, sizeof(rs));
	ASSERT_EQ(dune_vm_page_walk(root, VA(a + 1), VA(c), collect, &rs, false), 0);
	EXPECT_EQ(rs.n, 3);
	EXPECT_EQ(rs.r[2].va, c);
	/* A leaf partly in the range is reported whole, with its own va. */
	memset(&rs, 0, sizeof(rs));
	ASSERT_EQ(dune_vm_page_walk(root, VA(b + 7 * PG), VA(d - 1), collect, &rs, false), 0);
	EXPECT_EQ(rs.n, 2);
	EXPECT_EQ(rs.r[0].va, b);
	/* Early stop: the callback's value comes back. */
	memset(&rs, 0, sizeof(rs));
	rs.stop_at = 2;
	EXPECT_EQ(dune_vm_page_walk(root, VA(0), VA((1ULL << 47) - 1), collect, &rs, false), 42);
	EXPECT_EQ(rs.n, 2);
	/* Bad arguments. */
	EXPECT_EQ(dune_vm_page_walk(root, VA(d), VA(c), collect, &rs, false), -EINVAL);
	EXPECT_EQ(dune_vm_page_walk(root, VA(1ULL << 47), VA(-1), collect, &rs, false), -EINVAL);
	EXPECT_EQ(dune_vm_page_walk(root, VA(0), VA(-1), NULL, &rs, false), -EINVAL);
	dune_vm_free(root);
}

TEST(page_walk_create)
{
	static struct recs rs;
	dune_pte_t *root;
	size_t u0;
	int i;

	setup();
	root = dune_vm_new_root();
	u0 = in_use();
	memset(&rs, 0, sizeof(rs));
	ASSERT_EQ(dune_vm_page_walk(root, VA(TB + SZ_2M - PG), VA(TB + SZ_2M + 2 * PG - 1),
				    collect, &rs, true), 0);
	/* Every 4 KiB entry, empty ones too, across two page tables. */
	ASSERT_EQ(rs.n, 3);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(rs.r[i].va, TB + SZ_2M - PG + i * PG);
		EXPECT_EQ(rs.r[i].level, 1);
		EXPECT_EQ(rs.r[i].e, 0);
	}
	EXPECT_EQ(in_use(), u0 + 4);	/* PDPT, PD, two PTs */
	/* Through a 2 MiB leaf: split, every page reported at level 1. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + 4 * SZ_2M), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	memset(&rs, 0, sizeof(rs));
	ASSERT_EQ(dune_vm_page_walk(root, VA(TB + 4 * SZ_2M + 10 * PG),
				    VA(TB + 4 * SZ_2M + 11 * PG), collect, &rs, true), 0);
	ASSERT_EQ(rs.n, 2);
	EXPECT_EQ(rs.r[0].e, (10 * PG) | 0x1 | NX);
	EXPECT_EQ(rs.r[1].level, 1);
	EXPECT_EQ(*leaf(root, TB + 4 * SZ_2M + 300 * PG, 1), (300 * PG) | 0x1 | NX);
	dune_vm_free(root);
}

TEST(clone_cow)
{
	dune_pte_t *root, *copy, *p, *q, e;
	uintptr_t va = TB + 16 * PG, shared = 2 * TB;
	char *pg0, *pg1, *npg;
	size_t u0, u1;
	static char buf[PG] __attribute__((aligned(4096)));

	setup();
	u0 = in_use();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_pages(root, VA(va), 2 * PG, DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U), 0);
	ASSERT_EQ(dune_vm_map_pages(root, VA(va + 4 * PG), PG, DUNE_PERM_R), 0);
	/* Memory that the allocator does not own: shared as it is. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(shared), PG, (uintptr_t)buf, DUNE_PERM_R | DUNE_PERM_W), 0);
	pg0 = page_of(*leaf(root, va, 1));
	pg1 = page_of(*leaf(root, va + PG, 1));
	strcpy(pg0, "hello");
	strcpy(pg1, "world");

	host_stub_current_root = root;
	reset_flushes();
	copy = dune_vm_clone(root);
	ASSERT_TRUE(copy);
	/* The two writable pages were write-protected in the current root. */
	EXPECT_EQ(host_stub_flush_range, 1);
	EXPECT_EQ(host_stub_last_va, VA(va));
	EXPECT_EQ(host_stub_last_len, 2 * PG);
	p = leaf(root, va, 1);
	q = leaf(copy, va, 1);
	EXPECT_NE(p, q);
	EXPECT_EQ(*p, *q);
	EXPECT_EQ(*p, (uintptr_t)pg0 | 0x5 | NX | DUNE_PTE_COW | DUNE_PTE_PAGE);
	EXPECT_EQ(dune_page_refcount(pg0), 2);
	EXPECT_EQ(dune_page_refcount(pg1), 2);
	/* Read-only allocator page: shared, not COW. */
	EXPECT_EQ(*leaf(copy, va + 4 * PG, 1), *leaf(root, va + 4 * PG, 1));
	EXPECT_FALSE(*leaf(copy, va + 4 * PG, 1) & DUNE_PTE_COW);
	EXPECT_EQ(dune_page_refcount(page_of(*leaf(root, va + 4 * PG, 1))), 2);
	EXPECT_EQ(*leaf(copy, shared, 1), (uintptr_t)buf | 0x3 | NX);
	EXPECT_EQ(*leaf(root, shared, 1), (uintptr_t)buf | 0x3 | NX);

	/* Write fault in the copy: a copy of the page. */
	host_stub_current_root = copy;
	reset_flushes();
	u1 = in_use();
	ASSERT_EQ(dune_vm_default_pgflt_handler(copy, va + 5, DUNE_PF_P | DUNE_PF_W | DUNE_PF_U), 0);
	EXPECT_EQ(in_use(), u1 + 1);
	e = *leaf(copy, va, 1);
	npg = page_of(e);
	EXPECT_NE(npg, pg0);
	EXPECT_EQ(e, (uintptr_t)npg | 0x7 | NX | DUNE_PTE_PAGE);
	EXPECT_STREQ(npg, "hello");
	EXPECT_EQ(dune_page_refcount(npg), 1);
	EXPECT_EQ(dune_page_refcount(pg0), 1);
	EXPECT_EQ(*leaf(root, va, 1), (uintptr_t)pg0 | 0x5 | NX | DUNE_PTE_COW | DUNE_PTE_PAGE);
	EXPECT_EQ(host_stub_flush_one, 1);
	EXPECT_EQ(host_stub_last_va, VA(va));
	strcpy(npg, "HELLO");
	EXPECT_STREQ(pg0, "hello");

	/* Write fault in the original, now the last reference: taken over. */
	u1 = in_use();
	ASSERT_EQ(dune_vm_default_pgflt_handler(root, va + 100, DUNE_PF_P | DUNE_PF_W), 0);
	EXPECT_EQ(in_use(), u1);
	EXPECT_EQ(*leaf(root, va, 1), (uintptr_t)pg0 | 0x7 | NX | DUNE_PTE_PAGE);
	EXPECT_EQ(dune_page_refcount(pg0), 1);

	/* Not COW: -EFAULT; writable already (a stale TLB entry): 0. */
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, va + 4 * PG, DUNE_PF_P | DUNE_PF_W), -EFAULT);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, va + 8 * PG, DUNE_PF_W), -EFAULT);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, 1ULL << 47, DUNE_PF_W), -EFAULT);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, va, DUNE_PF_P | DUNE_PF_W), 0);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, va, DUNE_PF_P | DUNE_PF_W | DUNE_PF_U), 0);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, va, DUNE_PF_P | DUNE_PF_I), -EFAULT);

	/* mprotect keeps a shared page copy-on-write. */
	ASSERT_EQ(dune_vm_mprotect(copy, VA(va + PG), PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_TRUE(*leaf(copy, va + PG, 1) & DUNE_PTE_COW);
	EXPECT_FALSE(*leaf(copy, va + PG, 1) & DUNE_PTE_W);

	host_stub_current_root = NULL;
	dune_vm_free(copy);
	EXPECT_EQ(dune_page_refcount(pg1), 1);
	/* The last reference: mprotect may make it writable again. */
	ASSERT_EQ(dune_vm_mprotect(root, VA(va + PG), PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_EQ(*leaf(root, va + PG, 1), (uintptr_t)pg1 | 0x3 | NX | DUNE_PTE_PAGE);
	EXPECT_STREQ(pg1, "world");
	dune_vm_free(root);
	EXPECT_EQ(in_use(), u0);
}

/* A COW large page of the process's memory: the written 4 KiB page is copied. */
TEST(cow_large_page)
{
	dune_pte_t *root, e;
	char *mem, *np;
	uintptr_t va = TB;
	size_t u0;

	setup();
	ASSERT_EQ(posix_memalign((void **)&mem, SZ_2M, SZ_2M), 0);
	memset(mem, 'a', SZ_2M);
	mem[3 * PG] = 'z';
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(va), SZ_2M, (uintptr_t)mem,
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_COW | DUNE_PERM_BIG), 0);
	EXPECT_EQ(*leaf(root, va, 2), (uintptr_t)mem | 0x81 | NX | DUNE_PTE_COW);
	u0 = in_use();
	ASSERT_EQ(dune_vm_default_pgflt_handler(root, va + 3 * PG + 9, DUNE_PF_P | DUNE_PF_W), 0);
	EXPECT_EQ(in_use(), u0 + 2);		/* the split's table, the copy */
	e = *leaf(root, va + 3 * PG, 1);
	np = page_of(e);
	EXPECT_EQ(e, (uintptr_t)np | 0x3 | NX | DUNE_PTE_PAGE);
	EXPECT_EQ(np[0], 'z');
	EXPECT_EQ(np[1], 'a');
	EXPECT_EQ(*leaf(root, va + 4 * PG, 1), ((uintptr_t)mem + 4 * PG) | 0x1 | NX | DUNE_PTE_COW);
	dune_vm_free(root);
	free(mem);
}

TEST(free_no_leaks)
{
	dune_pte_t *root, *c1, *c2;
	size_t u0;

	setup();
	u0 = in_use();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), 100 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_map_pages(root, VA(3 * TB + 7 * SZ_1G), 3 * PG, DUNE_PERM_R), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(2 * TB), 3 * SZ_1G, 0, DUNE_PERM_R | DUNE_PERM_BIG_1GB), 0);
	ASSERT_EQ(dune_vm_mprotect(root, VA(2 * TB + 5 * SZ_2M), PG, DUNE_PERM_NONE), 0);
	c1 = dune_vm_clone(root);
	ASSERT_TRUE(c1);
	c2 = dune_vm_clone(c1);
	ASSERT_TRUE(c2);
	ASSERT_EQ(dune_vm_default_pgflt_handler(c2, TB + 7 * PG, DUNE_PF_W), 0);
	ASSERT_EQ(dune_vm_map_pages(c1, VA(TB + 50 * PG), 10 * PG, DUNE_PERM_R), 0);
	dune_vm_free(root);
	dune_vm_free(c2);
	dune_vm_free(c1);
	EXPECT_EQ(in_use(), u0);
	/* The current root is never freed. */
	root = dune_vm_new_root();
	host_stub_current_root = root;
	dune_vm_free(root);
	EXPECT_EQ(dune_page_refcount(root), 1);
	host_stub_current_root = NULL;
	dune_vm_free(root);
	dune_vm_free(NULL);
	EXPECT_EQ(in_use(), u0);
}

TEST(map_pages_replaces)
{
	dune_pte_t *root;
	char *p1, *p2;
	size_t u0;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), PG, DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_X), 0);
	p1 = page_of(*leaf(root, TB, 1));
	EXPECT_EQ(*leaf(root, TB, 1), (uintptr_t)p1 | 0x3 | DUNE_PTE_PAGE);
	EXPECT_EQ(dune_page_refcount(p1), 1);
	p1[0] = 1;
	u0 = in_use();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), PG, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	p2 = page_of(*leaf(root, TB, 1));
	EXPECT_EQ(in_use(), u0);		/* one page in, one out */
	EXPECT_EQ(dune_page_refcount(p1), 0);
	EXPECT_EQ(p2[0], 0);
	/* map_phys over it releases it too. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0x1000, DUNE_PERM_R), 0);
	EXPECT_EQ(dune_page_refcount(p2), 0);
	EXPECT_EQ(in_use(), u0 - 1);
	/* Over a 2 MiB leaf: split, one 4 KiB entry replaced. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB + SZ_2M + PG), PG, DUNE_PERM_R), 0);
	EXPECT_TRUE(*leaf(root, TB + SZ_2M + PG, 1) & DUNE_PTE_PAGE);
	EXPECT_EQ(*leaf(root, TB + SZ_2M + 2 * PG, 1), (2 * PG) | 0x1 | NX);
	dune_vm_free(root);
}

TEST(mprotect_none_keeps_page)
{
	dune_pte_t *root, *p, e;
	char *pg;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), PG, DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_USR1), 0);
	pg = page_of(*leaf(root, TB, 1));
	pg[0] = 'x';
	host_stub_current_root = root;
	reset_flushes();
	ASSERT_EQ(dune_vm_mprotect(root, VA(TB), PG, DUNE_PERM_NONE), 0);
	EXPECT_EQ(host_stub_flush_one, 1);
	e = *leaf(root, TB, 1);		/* still mapped, not present */
	EXPECT_EQ(e, (uintptr_t)pg | DUNE_PTE_PROTNONE | DUNE_PTE_PAGE);
	EXPECT_EQ(dune_page_refcount(pg), 1);
	EXPECT_EQ(dune_vm_default_pgflt_handler(root, TB, DUNE_PF_W), -EFAULT);
	/* Present again, no flush needed from not-present. */
	reset_flushes();
	ASSERT_EQ(dune_vm_mprotect(root, VA(TB), PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_EQ(flushes(), 0);
	EXPECT_EQ(*leaf(root, TB, 1), (uintptr_t)pg | 0x3 | NX | DUNE_PTE_PAGE);
	EXPECT_EQ(pg[0], 'x');
	ASSERT_EQ(dune_vm_unmap(root, VA(TB), PG), 0);
	EXPECT_EQ(dune_page_refcount(pg), 0);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB), false, &p, NULL), -ENOENT);
	host_stub_current_root = NULL;
	dune_vm_free(root);
}

TEST(accessed_dirty)
{
	dune_pte_t *root, *p;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0x1000, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB)), 0);
	p = leaf(root, TB, 1);
	*p |= DUNE_PTE_A | DUNE_PTE_D;	/* what the CPU does on a write */
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB + 5)), DUNE_PTE_A | DUNE_PTE_D);
	host_stub_current_root = root;
	reset_flushes();
	EXPECT_EQ(dune_vm_clear_ad(root, VA(TB), DUNE_PTE_A | DUNE_PTE_W), 0);
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB)), DUNE_PTE_D);
	EXPECT_EQ(*p, 0x1000 | 0x3 | DUNE_PTE_D | NX);	/* W untouched */
	EXPECT_EQ(host_stub_flush_one, 1);
	EXPECT_EQ(host_stub_last_va, VA(TB));
	EXPECT_EQ(dune_vm_clear_ad(root, VA(TB), DUNE_PTE_D), 0);
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB)), 0);
	/* A large leaf. */
	p = leaf(root, TB + SZ_2M, 2);
	*p |= DUNE_PTE_A;
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB + SZ_2M + 99 * PG)), DUNE_PTE_A);
	EXPECT_EQ(dune_vm_clear_ad(root, VA(TB + SZ_2M + 99 * PG), DUNE_PTE_A | DUNE_PTE_D), 0);
	EXPECT_EQ(*p, 0x81 | NX);
	/* Not the current root: no flush. */
	host_stub_current_root = NULL;
	reset_flushes();
	EXPECT_EQ(dune_vm_clear_ad(root, VA(TB), DUNE_PTE_A), 0);
	EXPECT_EQ(flushes(), 0);
	EXPECT_EQ(dune_vm_get_ad(root, VA(TB + PG)), -ENOENT);
	EXPECT_EQ(dune_vm_clear_ad(root, VA(5 * TB), DUNE_PTE_A), -ENOENT);
	EXPECT_EQ(dune_vm_get_ad(root, VA(1ULL << 47)), -EINVAL);
	dune_vm_free(root);
}

TEST(flush_only_current_root)
{
	dune_pte_t *r1, *r2;

	setup();
	r1 = dune_vm_new_root();
	r2 = dune_vm_new_root();
	/* Filling empty entries never needs a flush. */
	host_stub_current_root = r1;
	reset_flushes();
	ASSERT_EQ(dune_vm_map_phys(r1, VA(TB), 4 * PG, 0, DUNE_PERM_R), 0);
	ASSERT_EQ(dune_vm_map_pages(r1, VA(TB + 8 * PG), 4 * PG, DUNE_PERM_R), 0);
	ASSERT_EQ(dune_vm_map_phys(r2, VA(TB), 4 * PG, 0, DUNE_PERM_R), 0);
	EXPECT_EQ(flushes(), 0);
	/* Changes to another root: none. */
	host_stub_current_root = r2;
	ASSERT_EQ(dune_vm_map_phys(r1, VA(TB), 4 * PG, 0x10000, DUNE_PERM_R), 0);
	ASSERT_EQ(dune_vm_mprotect(r1, VA(TB), 4 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_unmap(r1, VA(TB), PG), 0);
	EXPECT_EQ(flushes(), 0);
	/* Same permissions again: nothing changes, nothing flushed. */
	host_stub_current_root = r1;
	ASSERT_EQ(dune_vm_mprotect(r1, VA(TB), 4 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_EQ(flushes(), 0);
	/* The current root: one page, then a range. */
	ASSERT_EQ(dune_vm_mprotect(r1, VA(TB + PG), PG, DUNE_PERM_R), 0);
	EXPECT_EQ(host_stub_flush_one, 1);
	EXPECT_EQ(host_stub_last_va, VA(TB + PG));
	ASSERT_EQ(dune_vm_map_pages(r1, VA(TB + 8 * PG), 4 * PG, DUNE_PERM_R), 0);
	EXPECT_EQ(host_stub_flush_range, 1);
	EXPECT_EQ(host_stub_last_va, VA(TB + 8 * PG));
	EXPECT_EQ(host_stub_last_len, 4 * PG);
	host_stub_current_root = NULL;
	dune_vm_free(r1);
	dune_vm_free(r2);
}

/* More than the gather holds: flushed before the pages go back. */
TEST(unmap_many_pages)
{
	dune_pte_t *root;
	size_t u0;

	setup();
	root = dune_vm_new_root();
	u0 = in_use();
	ASSERT_EQ(dune_vm_map_pages(root, VA(TB), 1000 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	EXPECT_EQ(in_use(), u0 + 1000 + 1 + 1 + 2);
	host_stub_current_root = root;
	reset_flushes();
	ASSERT_EQ(dune_vm_unmap(root, VA(TB), 1000 * PG), 0);
	EXPECT_EQ(in_use(), u0 + 4);
	EXPECT_GE(host_stub_flush_range, 1000 / 64);
	EXPECT_EQ(host_stub_flush_one, 0);
	host_stub_current_root = NULL;
	dune_vm_free(root);
}

TEST(map_self)
{
	dune_pte_t *root;
	uintptr_t va = 4 * TB - SZ_2M - PG;
	size_t len = PG + SZ_2M + 2 * SZ_1G + SZ_2M + PG;

	setup();
	root = dune_vm_new_root();
	ASSERT_EQ(dune_vm_map_self(root, va, len, true), 0);
	/* Supervisor RWX, gpa == va here: 4K, 2M, 1G, 1G, 2M, 4K. */
	EXPECT_EQ(*leaf(root, va, 1), va | 0x3);
	EXPECT_EQ(*leaf(root, va + PG, 2), (va + PG) | 0x83);
	EXPECT_EQ(*leaf(root, 4 * TB, 3), (4 * TB) | 0x83);
	EXPECT_EQ(*leaf(root, 4 * TB + SZ_1G + 5, 3), (4 * TB + SZ_1G) | 0x83);
	EXPECT_EQ(*leaf(root, 4 * TB + 2 * SZ_1G, 2), (4 * TB + 2 * SZ_1G) | 0x83);
	EXPECT_EQ(*leaf(root, 4 * TB + 2 * SZ_1G + SZ_2M, 1), (4 * TB + 2 * SZ_1G + SZ_2M) | 0x3);
	EXPECT_EQ(dune_vm_lookup(root, VA(va + len), false, &(dune_pte_t *){ NULL }, NULL), -ENOENT);
	/* Without 1 GiB pages: 2 MiB. */
	ASSERT_EQ(dune_vm_map_self(root, 5 * TB, SZ_1G, false), 0);
	EXPECT_EQ(*leaf(root, 5 * TB + SZ_1G - PG, 2), (5 * TB + SZ_1G - SZ_2M) | 0x83);
	EXPECT_EQ(dune_vm_map_self(root, 5 * TB + 1, PG, false), -EINVAL);
	EXPECT_EQ(dune_vm_map_self(root, 5 * TB, PG + 1, false), -EINVAL);
	EXPECT_EQ(dune_vm_map_self(root, (1ULL << 47) - PG, 2 * PG, false), -EINVAL);
	EXPECT_EQ(dune_vm_map_self(NULL, 5 * TB, PG, false), -EINVAL);
	dune_vm_free(root);
}

/* A real layout: pa = va - hva_base + gpa_base, inside a window only. */
TEST(map_self_window)
{
	struct dune_layout l;
	dune_pte_t *root;
	uintptr_t hva = 16 * TB, region;
	void *pg;

	setup();
	/* The allocator's (1 GiB, aligned) region gets a window of its own,
	 * so that the tables stay reachable through dune_pa_to_va(). */
	pg = dune_page_alloc();
	ASSERT_TRUE(pg);
	region = (uintptr_t)pg & ~(SZ_1G - 1);
	ASSERT_TRUE(region + SZ_1G <= hva || region >= hva + 4 * SZ_1G);
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.windows[DUNE_WINDOW_EXEC].hva_base = region;
	l.windows[DUNE_WINDOW_EXEC].gpa_base = 16 * SZ_1G;
	l.windows[DUNE_WINDOW_EXEC].size = SZ_1G;
	l.windows[DUNE_WINDOW_EXEC].kind = DUNE_WINDOW_EXEC;
	l.windows[DUNE_WINDOW_MMAP].hva_base = hva;
	l.windows[DUNE_WINDOW_MMAP].gpa_base = 4 * SZ_1G;
	l.windows[DUNE_WINDOW_MMAP].size = 4 * SZ_1G;
	l.windows[DUNE_WINDOW_MMAP].kind = DUNE_WINDOW_MMAP;
	dune_layout_set(&l);
	root = dune_vm_new_root();
	ASSERT_TRUE(root);
	EXPECT_EQ(dune_va_to_pa(root), (uintptr_t)root - region + 16 * SZ_1G);
	/* Crossing the window's end, or starting outside: refused. */
	EXPECT_EQ(dune_vm_map_self(root, hva + 3 * SZ_1G, 2 * SZ_1G, true), -EINVAL);
	EXPECT_EQ(dune_vm_map_self(root, hva - PG, 2 * PG, true), -EINVAL);
	ASSERT_EQ(dune_vm_map_self(root, hva + SZ_1G - SZ_2M, SZ_1G + SZ_2M + PG, true), 0);
	EXPECT_EQ(*leaf(root, hva + SZ_1G - SZ_2M, 2), (5 * SZ_1G - SZ_2M) | 0x83);
	EXPECT_EQ(*leaf(root, hva + SZ_1G, 3), (5 * SZ_1G) | 0x83);
	EXPECT_EQ(*leaf(root, hva + 2 * SZ_1G, 1), (6 * SZ_1G) | 0x3);
	dune_vm_free(root);
	dune_page_put(pg);
}

TEST(einval)
{
	dune_pte_t *root, *p;
	const int r = DUNE_PERM_R;
	const uintptr_t lim = 1ULL << 47;

	setup();
	root = dune_vm_new_root();
	EXPECT_EQ(dune_vm_map_phys(NULL, VA(TB), PG, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB + 1), PG, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG - 1, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0x800, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG, 1ULL << 52, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(lim), PG, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(lim - PG), 2 * PG, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(0xffff800000000000ULL), PG, 0, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0, DUNE_PERM_W), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0, r | 0x8000), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, VA(lim - PG), PG, 0, r), 0);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), 0, 0, r), 0);

	EXPECT_EQ(dune_vm_map_pages(NULL, VA(TB), PG, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB + 8), PG, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB), 10, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_pages(root, VA(lim), PG, r), -EINVAL);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB), PG, DUNE_PERM_X), -EINVAL);

	EXPECT_EQ(dune_vm_mprotect(root, VA(TB + 8), PG, r), -EINVAL);
	EXPECT_EQ(dune_vm_mprotect(root, VA(TB), 8, r), -EINVAL);
	EXPECT_EQ(dune_vm_mprotect(root, VA(lim), PG, r), -EINVAL);
	EXPECT_EQ(dune_vm_mprotect(root, VA(TB), PG, DUNE_PERM_U), -EINVAL);
	EXPECT_EQ(dune_vm_mprotect(NULL, VA(TB), PG, r), -EINVAL);

	EXPECT_EQ(dune_vm_unmap(root, VA(TB + 8), PG), -EINVAL);
	EXPECT_EQ(dune_vm_unmap(root, VA(TB), 8), -EINVAL);
	EXPECT_EQ(dune_vm_unmap(root, VA(lim - PG), 2 * PG), -EINVAL);
	EXPECT_EQ(dune_vm_unmap(NULL, VA(TB), PG), -EINVAL);

	EXPECT_EQ(dune_vm_lookup(root, VA(lim), false, &p, NULL), -EINVAL);
	EXPECT_EQ(dune_vm_lookup(root, VA(lim), true, &p, NULL), -EINVAL);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB), true, NULL, NULL), -EINVAL);
	EXPECT_EQ(dune_vm_lookup(NULL, VA(TB), false, &p, NULL), -EINVAL);
	EXPECT_TRUE(dune_vm_clone(NULL) == NULL);
	dune_vm_free(root);
}

TEST(enomem)
{
	dune_pte_t *root, *c, *p;
	size_t u0, u1;
	int i;

	setup();
	u0 = in_use();
	root = dune_vm_new_root();
	dune_page_fail_after(0);
	EXPECT_TRUE(dune_vm_new_root() == NULL);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB), PG, DUNE_PERM_R), -ENOMEM);
	EXPECT_EQ(dune_vm_map_phys(root, VA(TB), PG, 0, DUNE_PERM_R), -ENOMEM);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB), true, &p, NULL), -ENOMEM);
	EXPECT_EQ(in_use(), u0 + 1);
	/* Two of the three tables, then the failure: no page is leaked. */
	dune_page_fail_after(2);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB), 4 * PG, DUNE_PERM_R), -ENOMEM);
	EXPECT_EQ(in_use(), u0 + 3);
	/* Tables, then two pages. */
	dune_page_fail_after(3);
	EXPECT_EQ(dune_vm_map_pages(root, VA(TB), 4 * PG, DUNE_PERM_R), -ENOMEM);
	EXPECT_EQ(in_use(), u0 + 6);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB + PG), false, &p, NULL), 0);
	EXPECT_EQ(dune_vm_lookup(root, VA(TB + 2 * PG), false, &p, NULL), -ENOENT);
	dune_page_fail_after(-1);

	/* A split that cannot get its table changes nothing. */
	ASSERT_EQ(dune_vm_map_phys(root, VA(TB + SZ_2M), SZ_2M, 0, DUNE_PERM_R | DUNE_PERM_BIG), 0);
	dune_page_fail_after(0);
	EXPECT_EQ(dune_vm_mprotect(root, VA(TB + SZ_2M), PG, DUNE_PERM_R | DUNE_PERM_W), -ENOMEM);
	EXPECT_EQ(dune_vm_unmap(root, VA(TB + SZ_2M), PG), -ENOMEM);
	EXPECT_EQ(*leaf(root, TB + SZ_2M, 2), 0x81 | NX);
	dune_page_fail_after(-1);

	/* Clone runs out half way: NULL, and every reference it took is back. */
	ASSERT_EQ(dune_vm_map_pages(root, VA(2 * TB), 8 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	u1 = in_use();
	for (i = 0; i < 8; i++) {
		dune_page_fail_after(i);
		c = dune_vm_clone(root);
		dune_page_fail_after(-1);
		if (c) {
			dune_vm_free(c);
			continue;
		}
		EXPECT_EQ(in_use(), u1);
		EXPECT_EQ(dune_page_refcount(page_of(*leaf(root, 2 * TB, 1))), 1);
	}
	/* The COW copy cannot be made. */
	c = dune_vm_clone(root);
	ASSERT_TRUE(c);
	dune_page_fail_after(0);
	EXPECT_EQ(dune_vm_default_pgflt_handler(c, 2 * TB, DUNE_PF_W), -ENOMEM);
	dune_page_fail_after(-1);
	EXPECT_TRUE(*leaf(c, 2 * TB, 1) & DUNE_PTE_COW);
	dune_vm_free(c);
	dune_vm_free(root);
	EXPECT_EQ(in_use(), u0);
}

/* ---- concurrency ---------------------------------------------------------- */

static dune_pte_t *shared_root;

struct vm_thread {
	int id;
	int fails;
};

static void *vm_thread_fn(void *arg)
{
	struct vm_thread *t = arg;
	/* Distinct 2 MiB chunks, sharing the PDPT and PD. */
	uintptr_t base = TB + (uintptr_t)t->id * SZ_2M;
	dune_pte_t *p;
	int round, i;

	for (round = 0; round < 400; round++) {
		if (dune_vm_map_pages(shared_root, VA(base), 16 * PG, DUNE_PERM_R | DUNE_PERM_W)) {
			t->fails++;
			break;
		}
		for (i = 0; i < 16; i++) {
			if (dune_vm_lookup(shared_root, VA(base + i * PG), false, &p, NULL)) {
				t->fails++;
				continue;
			}
			*(uint64_t *)page_of(*p) = (uint64_t)t->id << 32 | (uint64_t)i;
		}
		if (dune_vm_mprotect(shared_root, VA(base), 8 * PG, DUNE_PERM_R))
			t->fails++;
		for (i = 0; i < 16; i++) {
			if (dune_vm_lookup(shared_root, VA(base + i * PG), false, &p, NULL) ||
			    *(uint64_t *)page_of(*p) != ((uint64_t)t->id << 32 | (uint64_t)i) ||
			    !!(*p & DUNE_PTE_W) != (i >= 8))
				t->fails++;
		}
		if (dune_vm_unmap(shared_root, VA(base), 16 * PG))
			t->fails++;
		if (dune_vm_lookup(shared_root, VA(base), false, &p, NULL) != -ENOENT)
			t->fails++;
	}
	return NULL;
}

TEST(vm_threads)
{
	pthread_t th[16];
	struct vm_thread vt[8];
	struct page_thread pt[8];
	size_t u0;
	int i;

	setup();
	u0 = in_use();
	shared_root = dune_vm_new_root();
	host_stub_current_root = shared_root;	/* flushes from every thread */
	for (i = 0; i < 8; i++) {
		vt[i] = (struct vm_thread){ i, 0 };
		pt[i] = (struct page_thread){ i + 100, 0 };
		ASSERT_EQ(pthread_create(&th[i], NULL, vm_thread_fn, &vt[i]), 0);
		ASSERT_EQ(pthread_create(&th[8 + i], NULL, page_thread_fn, &pt[i]), 0);
	}
	for (i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(vt[i].fails, 0);
		EXPECT_EQ(pt[i].fails, 0);
	}
	/* What is left: the root and its tables (PDPT, PD, 8 PTs). */
	EXPECT_EQ(in_use(), u0 + 1 + 2 + 8);
	host_stub_current_root = NULL;
	dune_vm_free(shared_root);
	EXPECT_EQ(in_use(), u0);
}

static int stop_busy;

static void *busy_fn(void *arg)
{
	uintptr_t base = TB + (uintptr_t)arg * SZ_1G;

	while (!__atomic_load_n(&stop_busy, __ATOMIC_RELAXED)) {
		dune_vm_map_pages(shared_root, VA(base), 64 * PG, DUNE_PERM_R | DUNE_PERM_W);
		dune_vm_unmap(shared_root, VA(base), 64 * PG);
	}
	return NULL;
}

/* fork() while other threads hold the locks: the child can still use both. */
TEST(fork_while_busy)
{
	pthread_t th[2];
	int i, st, bad = 0;

	setup();
	shared_root = dune_vm_new_root();
	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, busy_fn, (void *)(uintptr_t)i), 0);
	for (i = 0; i < 30; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			dune_pte_t *r;

			alarm(5);
			r = dune_vm_clone(shared_root);
			if (!r || dune_vm_map_pages(r, VA(5 * TB), 4 * PG, DUNE_PERM_R))
				_exit(2);
			dune_vm_free(r);
			_exit(0);
		}
		ASSERT_EQ(waitpid(pid, &st, 0), pid);
		bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	__atomic_store_n(&stop_busy, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(bad, 0);
}

/* Page 0 guards libdune's SYSCALL entry: nothing may map it. */
TEST(page_zero_never_mapped)
{
	dune_pte_t *root;

	dune_layout_set_identity();
	root = dune_vm_new_root();
	ASSERT_TRUE(root != NULL);
	EXPECT_EQ(dune_vm_map_phys(root, NULL, DUNE_PGSIZE, 0x200000, DUNE_PERM_R), -EINVAL);
	EXPECT_EQ(dune_vm_map_pages(root, NULL, 2 * DUNE_PGSIZE, DUNE_PERM_R | DUNE_PERM_W), -EINVAL);
	EXPECT_EQ(dune_vm_map_phys(root, NULL, 0, 0x200000, DUNE_PERM_R), 0);	/* empty: no-op */
	EXPECT_EQ(dune_vm_map_phys(root, (void *)DUNE_PGSIZE, DUNE_PGSIZE, 0x200000, DUNE_PERM_R), 0);
	dune_vm_free(root);
}

TEST_MAIN()
