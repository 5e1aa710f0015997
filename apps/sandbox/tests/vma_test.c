// SPDX-License-Identifier: BSD-3-Clause
/*
 * Host-side unit test of the sandbox's mapping record (apps/sandbox/vma.c):
 * insert/remove/split/merge, coverage queries, and the top-down search for
 * free space, checked against a page-by-page model under random operations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../../test/harness.h"
#include "vma.h"

#define PG	4096UL
#define LO	0x10000UL
#define HI	(LO + 512 * PG)

/* Every range sorted, disjoint, non-empty, aligned, inside, and merged. */
static void check_invariants(const struct sb_vmas *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		ASSERT_LT(m->v[i].start, m->v[i].end);
		ASSERT_EQ(m->v[i].start % PG, 0);
		ASSERT_EQ(m->v[i].end % PG, 0);
		ASSERT_GE(m->v[i].start, m->lo);
		ASSERT_LE(m->v[i].end, m->hi);
		if (i) {
			ASSERT_LE(m->v[i - 1].end, m->v[i].start);
			ASSERT_FALSE(m->v[i - 1].end == m->v[i].start && m->v[i - 1].prot == m->v[i].prot);
		}
	}
}

TEST(init_rejects_bad_ranges)
{
	struct sb_vmas m;

	EXPECT_EQ(sb_vma_init(&m, LO + 1, HI), -EINVAL);
	EXPECT_EQ(sb_vma_init(&m, HI, LO), -EINVAL);
	ASSERT_EQ(sb_vma_init(&m, LO, HI), 0);
	EXPECT_EQ(sb_vma_insert(&m, LO - PG, LO + PG, PROT_READ), -EINVAL);
	EXPECT_EQ(sb_vma_insert(&m, LO, HI + PG, PROT_READ), -EINVAL);
	EXPECT_EQ(sb_vma_insert(&m, LO + 1, LO + PG, PROT_READ), -EINVAL);
	EXPECT_EQ(sb_vma_insert(&m, LO + PG, LO + PG, PROT_READ), -EINVAL);
	EXPECT_EQ(m.n, 0);
	sb_vma_free(&m);
}

TEST(insert_split_merge)
{
	struct sb_vmas m;

	ASSERT_EQ(sb_vma_init(&m, LO, HI), 0);
	ASSERT_EQ(sb_vma_insert(&m, LO, LO + 10 * PG, PROT_READ), 0);
	ASSERT_EQ(m.n, 1);
	/* A different prot in the middle splits it in three. */
	ASSERT_EQ(sb_vma_insert(&m, LO + 4 * PG, LO + 6 * PG, PROT_READ | PROT_WRITE), 0);
	ASSERT_EQ(m.n, 3);
	check_invariants(&m);
	EXPECT_EQ(sb_vma_find(&m, LO + 5 * PG)->prot, PROT_READ | PROT_WRITE);
	EXPECT_EQ(sb_vma_find(&m, LO + 6 * PG)->prot, PROT_READ);
	/* The same prot again merges back into one. */
	ASSERT_EQ(sb_vma_insert(&m, LO + 4 * PG, LO + 6 * PG, PROT_READ), 0);
	EXPECT_EQ(m.n, 1);
	/* Removing the middle splits; the ends stay. */
	ASSERT_EQ(sb_vma_remove(&m, LO + 2 * PG, LO + 3 * PG), 0);
	EXPECT_EQ(m.n, 2);
	EXPECT_TRUE(sb_vma_find(&m, LO + 2 * PG) == NULL);
	EXPECT_FALSE(sb_vma_covered(&m, LO, LO + 10 * PG));
	EXPECT_TRUE(sb_vma_covered(&m, LO + 3 * PG, LO + 10 * PG));
	EXPECT_TRUE(sb_vma_overlaps(&m, LO + PG, LO + 3 * PG));
	EXPECT_FALSE(sb_vma_overlaps(&m, LO + 2 * PG, LO + 3 * PG));
	/* Removing across both. */
	ASSERT_EQ(sb_vma_remove(&m, LO, LO + 10 * PG), 0);
	EXPECT_EQ(m.n, 0);
	sb_vma_free(&m);
}

TEST(find_free_top_down)
{
	struct sb_vmas m;
	uintptr_t a;

	ASSERT_EQ(sb_vma_init(&m, LO, HI), 0);
	a = sb_vma_find_free(&m, 4 * PG, HI);
	EXPECT_EQ(a, HI - PG - 4 * PG);		/* a free page above it */
	ASSERT_EQ(sb_vma_insert(&m, a, a + 4 * PG, PROT_READ), 0);
	/* The next one goes below, leaving a page between. */
	EXPECT_EQ(sb_vma_find_free(&m, 4 * PG, HI), a - PG - 4 * PG);
	/* Below a limit. */
	EXPECT_EQ(sb_vma_find_free(&m, PG, LO + 8 * PG), LO + 6 * PG);
	/* Too big: nothing. */
	EXPECT_EQ(sb_vma_find_free(&m, 512 * PG, HI), 0);
	EXPECT_EQ(sb_vma_find_free(&m, 0, HI), 0);
	EXPECT_EQ(sb_vma_find_free(&m, PG + 1, HI), 0);
	/* Full range but one page: exactly that page. */
	ASSERT_EQ(sb_vma_insert(&m, LO, HI, PROT_READ), 0);
	ASSERT_EQ(sb_vma_remove(&m, LO + 7 * PG, LO + 8 * PG), 0);
	EXPECT_EQ(sb_vma_find_free(&m, PG, HI), LO + 7 * PG);
	EXPECT_EQ(sb_vma_find_free(&m, 2 * PG, HI), 0);
	sb_vma_free(&m);
}

/* Random operations against a page-by-page model. */
TEST(random_against_model)
{
	static int model[512];		/* -1: free, else prot */
	struct sb_vmas m;
	int i, p;

	srand(1234);
	for (p = 0; p < 512; p++)
		model[p] = -1;
	ASSERT_EQ(sb_vma_init(&m, LO, HI), 0);
	for (i = 0; i < 20000; i++) {
		int s = rand() % 512, n = 1 + rand() % 40, op = rand() % 3, prot = rand() % 4;

		if (s + n > 512)
			n = 512 - s;
		if (op < 2) {
			ASSERT_EQ(sb_vma_insert(&m, LO + s * PG, LO + (s + n) * PG, prot), 0);
			for (p = s; p < s + n; p++)
				model[p] = prot;
		} else {
			ASSERT_EQ(sb_vma_remove(&m, LO + s * PG, LO + (s + n) * PG), 0);
			for (p = s; p < s + n; p++)
				model[p] = -1;
		}
		check_invariants(&m);
		for (p = 0; p < 512; p++) {
			const struct sb_vma *v = sb_vma_find(&m, LO + p * PG);

			ASSERT_EQ(v ? v->prot : -1, model[p]);
		}
		{
			int len = 1 + rand() % 8;
			uintptr_t a = sb_vma_find_free(&m, len * PG, HI);

			if (a) {
				ASSERT_FALSE(sb_vma_overlaps(&m, a, a + len * PG));
				ASSERT_LE(a + len * PG, HI);
				ASSERT_GE(a, LO);
			} else {
				/* Then no run of len free pages exists. */
				int run = 0, best = 0;

				for (p = 0; p < 512; p++) {
					run = model[p] < 0 ? run + 1 : 0;
					best = run > best ? run : best;
				}
				ASSERT_LT(best, len);
			}
		}
	}
	sb_vma_free(&m);
}

TEST_MAIN()
