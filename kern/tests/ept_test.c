// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of the EPT encoders (kern/ept.h). */
#include "../ept.h"
#include "../../test/harness.h"

TEST(levels_and_indexes)
{
	u64 gpa = (5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12) | 0x123;

	EXPECT_EQ(ept_level_size(1), 4096);
	EXPECT_EQ(ept_level_size(2), 2ULL << 20);
	EXPECT_EQ(ept_level_size(3), 1ULL << 30);
	EXPECT_EQ(ept_level_size(4), 512ULL << 30);
	EXPECT_EQ(ept_index(gpa, 4), 5);
	EXPECT_EQ(ept_index(gpa, 3), 6);
	EXPECT_EQ(ept_index(gpa, 2), 7);
	EXPECT_EQ(ept_index(gpa, 1), 8);
	EXPECT_EQ(ept_index(~0ULL, 1), 511);
}

TEST(table_entries)
{
	u64 e = ept_make_table(0x12345000);

	EXPECT_EQ(e, 0x12345000 | 7);
	EXPECT_TRUE(ept_present(e));
	EXPECT_FALSE(ept_is_leaf(e, 3));
	EXPECT_FALSE(ept_is_leaf(e, 2));
	/* Low bits of the address never leak into the flags. */
	EXPECT_EQ(ept_make_table(0x12345fff), 0x12345000 | 7);
	EXPECT_FALSE(ept_present(0));
}

TEST(leaf_4k)
{
	u64 e = ept_make_leaf(0xabcdef000ULL, 1, EPT_RWX);

	/* RWX, memory type 6 (WB) in bits 5:3, IPAT, no PS. */
	EXPECT_EQ(e, 0xabcdef000ULL | 7 | (6 << 3) | (1 << 6));
	EXPECT_TRUE(ept_is_leaf(e, 1));
	EXPECT_EQ(ept_leaf_hpa(e, 1, 0x7777777123ULL), 0xabcdef123ULL);
	EXPECT_EQ(ept_make_leaf(0xabcdef000ULL, 1, EPT_R) & EPT_RWX, EPT_R);
	EXPECT_EQ(ept_make_leaf(0xabcdef000ULL, 1, EPT_R | EPT_X) & EPT_RWX, EPT_R | EPT_X);
}

TEST(large_leaves)
{
	u64 e2 = ept_make_leaf(0x40200000ULL, 2, EPT_RWX);
	u64 e3 = ept_make_leaf(0x80000000ULL, 3, EPT_R | EPT_W);

	EXPECT_TRUE(e2 & EPT_PS);
	EXPECT_TRUE(e3 & EPT_PS);
	EXPECT_TRUE(ept_is_leaf(e2, 2));
	EXPECT_TRUE(ept_is_leaf(e3, 3));
	EXPECT_EQ(ept_leaf_hpa(e2, 2, 0x1234567ULL), 0x40200000ULL + 0x34567);
	EXPECT_EQ(ept_leaf_hpa(e3, 3, 0x12345678ULL), 0x80000000ULL + 0x12345678);
	/* The flags in bits 11:0 never disturb the address. */
	EXPECT_EQ(ept_leaf_hpa(e3 | EPT_A | EPT_D, 3, 0), 0x80000000ULL);
}

TEST(rejected_leaves)
{
	EXPECT_EQ(ept_make_leaf(0x1000, 2, EPT_RWX), 0);		/* misaligned 2M */
	EXPECT_EQ(ept_make_leaf(0x200000, 3, EPT_RWX), 0);		/* misaligned 1G */
	EXPECT_EQ(ept_make_leaf(0x1800, 1, EPT_RWX), 0);		/* misaligned 4K */
	EXPECT_EQ(ept_make_leaf(0x1000, 4, EPT_RWX), 0);		/* no 512G pages */
	EXPECT_EQ(ept_make_leaf(0x1000, 0, EPT_RWX), 0);
	EXPECT_EQ(ept_make_leaf(0x1000, 1, 0), 0);			/* not present */
	EXPECT_EQ(ept_make_leaf(0x1000, 1, EPT_W), 0);		/* W without R */
	EXPECT_EQ(ept_make_leaf(0x1000, 1, EPT_W | EPT_X), 0);
	EXPECT_EQ(ept_make_leaf(0x1000, 1, EPT_A), 0);		/* not a permission */
	EXPECT_EQ(ept_make_leaf(1ULL << 52, 1, EPT_R), 0);		/* beyond 52 bits */
}

TEST(eptp)
{
	/* WB (6), walk length 4 (3 in bits 5:3), A/D in bit 6. */
	EXPECT_EQ(ept_make_eptp(0x5000, false), 0x5000 | 6 | (3 << 3));
	EXPECT_EQ(ept_make_eptp(0x5000, true), 0x5000 | 6 | (3 << 3) | (1 << 6));
	EXPECT_EQ(ept_make_eptp(0x5fff, false) & ~0xfffULL, 0x5000);
}

TEST_MAIN()
