// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of the kernel-IBT entry check (kern/ibt.h). */
#include "../ibt.h"
#include "../../test/harness.h"

/* First bytes seen in Debian's 6.12 (IBT) kernel, in Bochs. */
static const u8 endbr[4] = { 0xf3, 0x0f, 0x1e, 0xfa };		/* __do_sys_getpid */
static const u8 sealed[4] = { 0x66, 0x0f, 0x1f, 0x00 };		/* x64_sys_call */
static const u8 fentry_nop[4] = { 0x0f, 0x1f, 0x44, 0x00 };	/* function + 4 */
/* Debian's 6.1 (no IBT): a function starts with its fentry NOP. */
static const u8 plain[4] = { 0x0f, 0x1f, 0x44, 0x00 };

TEST(endbr_is_callable)
{
	EXPECT_EQ(dune_ibt_classify(endbr), DUNE_IBT_ENDBR);
	EXPECT_TRUE(dune_ibt_callable(endbr, true));
	EXPECT_TRUE(dune_ibt_callable(endbr, false));
}

TEST(sealed_is_refused_on_an_ibt_kernel)
{
	EXPECT_EQ(dune_ibt_classify(sealed), DUNE_IBT_SEALED);
	EXPECT_FALSE(dune_ibt_callable(sealed, true));
	EXPECT_TRUE(strstr(dune_ibt_why(DUNE_IBT_SEALED), "sealed") != NULL);
}

TEST(no_endbr_is_refused_on_an_ibt_kernel)
{
	EXPECT_EQ(dune_ibt_classify(plain), DUNE_IBT_NO_ENDBR);
	EXPECT_FALSE(dune_ibt_callable(plain, true));
	EXPECT_TRUE(strstr(dune_ibt_why(DUNE_IBT_NO_ENDBR), "ENDBR64") != NULL);
}

TEST(nothing_to_check_without_ibt)
{
	EXPECT_TRUE(dune_ibt_callable(plain, false));
	EXPECT_TRUE(dune_ibt_callable(sealed, false));
}

/* ENDBR32 (f3 0f 1e fb) and near misses are not ENDBR64. */
TEST(near_misses)
{
	static const u8 endbr32[4] = { 0xf3, 0x0f, 0x1e, 0xfb };
	u8 b[4];
	int i;

	EXPECT_EQ(dune_ibt_classify(endbr32), DUNE_IBT_NO_ENDBR);
	for (i = 0; i < 4; i++) {
		memcpy(b, endbr, 4);
		b[i] ^= 0x01;
		EXPECT_NE(dune_ibt_classify(b), DUNE_IBT_ENDBR);
		memcpy(b, sealed, 4);
		b[i] ^= 0x80;
		EXPECT_NE(dune_ibt_classify(b), DUNE_IBT_SEALED);
	}
}

TEST(kprobe_address_after_endbr)
{
	static const u8 int3[4] = { 0xcc, 0xcc, 0xcc, 0xcc }, nop[4] = { 0x90, 0x90, 0x90, 0x90 };

	/* kallsyms_lookup_name's kprobe was at +4, after its sealed ENDBR. */
	EXPECT_EQ(dune_kprobe_entry_back(endbr, true), 4);
	EXPECT_EQ(dune_kprobe_entry_back(sealed, true), 4);
	/* Padding (int3, nop) before a function, or code: no move. */
	EXPECT_EQ(dune_kprobe_entry_back(int3, true), 0);
	EXPECT_EQ(dune_kprobe_entry_back(nop, true), 0);
	EXPECT_EQ(dune_kprobe_entry_back(fentry_nop, true), 0);
	/* Without IBT kprobes never move. */
	EXPECT_EQ(dune_kprobe_entry_back(endbr, false), 0);
}

TEST_MAIN()
