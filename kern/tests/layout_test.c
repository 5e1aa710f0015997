// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of the guest-physical layout (kern/layout.c). */
#include "../layout.h"
#include "../../test/harness.h"

#define GiB (1ULL << 30)
#define TASK 0x7ffffffff000ULL

/* Every invariant the uapi header promises about the windows. */
static void check_invariants(const struct dune_layout *l)
{
	u64 P = l->guest_phys_limit;
	int i, j;

	ASSERT_EQ(P, 1ULL << l->guest_phys_bits);
	ASSERT_LE(l->guest_phys_bits, 48);
	ASSERT_EQ(l->nr_windows, DUNE_MAX_WINDOWS);
	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		const struct dune_window *a = &l->windows[i];

		ASSERT_EQ(a->kind, (u32)i);
		ASSERT_EQ(a->reserved, 0);
		if (!a->size) {
			ASSERT_EQ(a->gpa_base, 0);
			ASSERT_EQ(a->hva_base, 0);
			continue;
		}
		ASSERT_EQ(a->gpa_base % GiB, 0);
		ASSERT_EQ(a->hva_base % GiB, 0);
		ASSERT_EQ(a->size % GiB, 0);
		ASSERT_LE(a->gpa_base + a->size, P);
		ASSERT_LE(a->hva_base + a->size, (TASK + GiB - 1) & ~(GiB - 1));
		for (j = 0; j < i; j++) {
			const struct dune_window *b = &l->windows[j];

			if (!b->size)
				continue;
			/* No overlap in either space. */
			EXPECT_TRUE(a->gpa_base + a->size <= b->gpa_base ||
				    b->gpa_base + b->size <= a->gpa_base);
			EXPECT_TRUE(a->hva_base + a->size <= b->hva_base ||
				    b->hva_base + b->size <= a->hva_base);
		}
	}
	/* Listed in increasing gpa order. */
	for (i = 1; i < DUNE_MAX_WINDOWS; i++)
		if (l->windows[i].size && l->windows[i - 1].size)
			EXPECT_LT(l->windows[i - 1].gpa_base, l->windows[i].gpa_base);
}

/* va must be reachable, and translate back through the gpa lookup. */
static void check_covered(const struct dune_layout *l, u64 va)
{
	const struct dune_window *w = dune_layout_find_va(l, va), *g;
	u64 gpa;

	if (!w)
		HARNESS_FAIL(1, "va 0x%llx is in no window", (unsigned long long)va);
	gpa = va - w->hva_base + w->gpa_base;
	ASSERT_LT(gpa, l->guest_phys_limit);
	g = dune_layout_find_gpa(l, gpa);
	ASSERT_TRUE(g == w);
}

static struct dune_layout compute(u32 bits, u64 code, u64 mmap_base, bool up, u64 stack)
{
	struct dune_layout l;
	struct dune_layout_input in = {
		.phys_addr_bits = bits, .task_size = TASK, .start_code = code,
		.mmap_base = mmap_base, .mmap_bottom_up = up, .stack_top = stack,
	};

	memset(&l, 0xa5, sizeof(l));
	if (dune_layout_compute(&in, &l))
		HARNESS_FAIL(1, "compute failed for %u bits", bits);
	check_invariants(&l);
	return l;
}

TEST(too_narrow_is_refused)
{
	struct dune_layout l;
	struct dune_layout_input in = { .phys_addr_bits = 35, .task_size = TASK,
		.start_code = 0x400000, .mmap_base = 0x7f0000000000ULL, .stack_top = 0x7ffe00000000ULL };

	ASSERT_EQ(dune_layout_compute(&in, &l), -1);
	in.phys_addr_bits = 32;
	ASSERT_EQ(dune_layout_compute(&in, &l), -1);
	in.phys_addr_bits = 36;
	ASSERT_EQ(dune_layout_compute(&in, &l), 0);
}

TEST(inconsistent_input_is_refused)
{
	struct dune_layout l;
	struct dune_layout_input in = { .phys_addr_bits = 39, .task_size = TASK,
		.start_code = 0x400000, .mmap_base = 0x7f0000000000ULL, .stack_top = TASK + 4096 };

	ASSERT_EQ(dune_layout_compute(&in, &l), -1);
	in.stack_top = 0x7ffe00000000ULL;
	in.task_size = 0;
	ASSERT_EQ(dune_layout_compute(&in, &l), -1);
}

/* 36 bits: where the original Dune left nothing for low memory. */
TEST(pie_process_36_bits)
{
	u64 code = 0x555555554000ULL, mm = 0x7f1234567000ULL, stack = 0x7ffd12345000ULL;
	struct dune_layout l = compute(36, code, mm, false, stack);
	u64 P = 1ULL << 36;

	EXPECT_EQ(l.windows[DUNE_WINDOW_LOW].size, P / 8);
	EXPECT_EQ(l.windows[DUNE_WINDOW_LOW].hva_base, 0);
	EXPECT_EQ(l.windows[DUNE_WINDOW_EXEC].size, P / 8);
	EXPECT_EQ(l.windows[DUNE_WINDOW_EXEC].hva_base, code & ~(GiB - 1));
	EXPECT_EQ(l.windows[DUNE_WINDOW_MMAP].size, P / 8 * 5);
	EXPECT_EQ(l.windows[DUNE_WINDOW_STACK].size, P / 8);
	EXPECT_EQ(l.windows[DUNE_WINDOW_STACK].gpa_base + P / 8, P);
	check_covered(&l, 0x400000);
	check_covered(&l, code);
	check_covered(&l, code + 32 * 1024 * 1024);	/* the brk heap */
	check_covered(&l, mm - 1);
	check_covered(&l, mm - 30 * GiB);
	check_covered(&l, stack - 8);
	check_covered(&l, stack - 1 * GiB);
}

TEST(non_pie_has_no_exec_window)
{
	struct dune_layout l = compute(39, 0x400000, 0x7f1234567000ULL, false, 0x7ffd12345000ULL);

	EXPECT_EQ(l.windows[DUNE_WINDOW_EXEC].size, 0);
	check_covered(&l, 0x400000);
	check_covered(&l, 0x600000 + 100 * 1024 * 1024);
}

TEST(wide_addresses_are_capped_at_48_bits)
{
	struct dune_layout l = compute(52, 0x555555554000ULL, 0x7f1234567000ULL, false,
				       0x7ffd12345000ULL);

	EXPECT_EQ(l.guest_phys_bits, 48);
	EXPECT_EQ(l.phys_addr_bits, 52);
	check_covered(&l, 0x555555554000ULL);
	check_covered(&l, 0x7f1234567000ULL - 1);
	check_covered(&l, 0x7ffd12345000ULL - 1);
	check_covered(&l, 0x10000);
}

TEST(legacy_bottom_up_mmap)
{
	u64 base = 0x2aaaaaaab000ULL + 0x123456000ULL;
	struct dune_layout l = compute(39, 0x555555554000ULL, base, true, 0x7ffd12345000ULL);

	EXPECT_EQ(l.windows[DUNE_WINDOW_MMAP].hva_base, base & ~(GiB - 1));
	check_covered(&l, base);
	check_covered(&l, base + 20 * GiB);
	check_covered(&l, 0x555555554000ULL);
	check_covered(&l, 0x7ffd12345000ULL - 1);
}

TEST(stack_close_to_mmap_base)
{
	/* The smallest gap Linux leaves (128 MiB) inside one GiB. */
	u64 stack = 0x7ffd40000000ULL - 4096, mm = stack - 128 * 1024 * 1024;
	struct dune_layout l = compute(40, 0x555555554000ULL, mm, false, stack);

	check_covered(&l, stack - 1);
	check_covered(&l, mm - 1);
	check_covered(&l, mm - 2 * GiB);
}

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ASLR-like inputs, as Linux places them, over every supported width. */
TEST(randomized_layouts)
{
	u64 seed = 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < 20000; i++) {
		u32 bits = 36 + rnd(&seed) % 17;
		u64 stack = TASK - (rnd(&seed) % (16 * GiB)) - 4096 * (rnd(&seed) % 16);
		u64 gap = 128 * 1024 * 1024 + rnd(&seed) % (17 * GiB);
		u64 mm = (stack - gap - (rnd(&seed) % (1ULL << 40))) & ~4095ULL;
		bool pie = rnd(&seed) % 4 != 0;
		u64 code = pie ? 0x555555554000ULL + ((rnd(&seed) % (1ULL << 28)) << 12) : 0x400000;
		bool up = rnd(&seed) % 8 == 0;
		struct dune_layout l;

		if (up)
			mm = 0x2aaaaaaab000ULL + ((rnd(&seed) % (1ULL << 28)) << 12);
		l = compute(bits, code, mm, up, stack);
		check_covered(&l, stack - 1);
		check_covered(&l, code);
		check_covered(&l, up ? mm : mm - 1);
		check_covered(&l, 0x1000);
		if (harness_failed) {
			diag("bits %u code %llx mmap %llx up %d stack %llx", bits,
			     (unsigned long long)code, (unsigned long long)mm, up,
			     (unsigned long long)stack);
			return;
		}
	}
}

TEST(find_outside_windows)
{
	struct dune_layout l = compute(36, 0x555555554000ULL, 0x7f1234567000ULL, false,
				       0x7ffd12345000ULL);

	EXPECT_TRUE(dune_layout_find_gpa(&l, l.guest_phys_limit) == NULL);
	EXPECT_TRUE(dune_layout_find_gpa(&l, ~0ULL) == NULL);
	EXPECT_TRUE(dune_layout_find_va(&l, 0x300000000000ULL) == NULL);
	EXPECT_TRUE(dune_layout_find_va(&l, 0xffff800000000000ULL) == NULL);
}

TEST_MAIN()
