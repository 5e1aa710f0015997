// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of the VMX capability decoder (kern/vmx_caps.h). */
#include "../vmx_caps.h"
#include "../../test/harness.h"

/* Shaped like a real Ivy Bridge's MSRs. */
#define BASIC_OK	0x00da040000000010ULL	/* Ivy Bridge: rev 0x10, 1 KiB, WB */
#define CTLS_OK		(0xfff9fffe0401e172ULL)
#define CTLS2_OK	(0x000000ff00000000ULL | ((u64)(SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID) << 32))
#define EPT_OK		(EPT_CAP_PWL4 | EPT_CAP_MEMTYPE_WB | EPT_CAP_2M | EPT_CAP_INVEPT | \
			 EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID | \
			 VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL | VPID_CAP_INVVPID_ADDR)

static const char *missing(u64 basic, u64 ctls, u64 ctls2, u64 ept)
{
	struct dune_vmx_caps c;
	bool ok = dune_vmx_caps_decode(basic, ctls, ctls2, ept, &c);

	if (ok != (c.missing == NULL))
		HARNESS_FAIL(1, "return value and .missing disagree");
	return c.missing;
}

TEST(usable_cpu)
{
	struct dune_vmx_caps c;

	ASSERT_TRUE(dune_vmx_caps_decode(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK, &c));
	EXPECT_EQ(c.revision_id, 0x10);
	EXPECT_EQ(c.region_size, 1024);
	EXPECT_TRUE(c.ept_2m);
	EXPECT_FALSE(c.ept_1g);
	EXPECT_FALSE(c.ept_ad);
	EXPECT_TRUE(c.invept_single);
	EXPECT_TRUE(c.invvpid_single);
	EXPECT_TRUE(c.invvpid_addr);
	ASSERT_TRUE(dune_vmx_caps_decode(BASIC_OK, CTLS_OK, CTLS2_OK,
					 EPT_OK | EPT_CAP_1G | EPT_CAP_AD, &c));
	EXPECT_TRUE(c.ept_1g);
	EXPECT_TRUE(c.ept_ad);
}

TEST(no_secondary_controls_means_no_ept)
{
	const char *m = missing(BASIC_OK, CTLS_OK & ~((u64)CPU_BASED_ACTIVATE_SECONDARY << 32),
				CTLS2_OK, EPT_OK);

	ASSERT_TRUE(m != NULL);
	EXPECT_TRUE(strstr(m, "EPT") != NULL);
}

TEST(no_ept)
{
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK & ~((u64)SECONDARY_ENABLE_EPT << 32), EPT_OK),
		     "EPT");
}

TEST(no_vpid)
{
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK & ~((u64)SECONDARY_ENABLE_VPID << 32), EPT_OK),
		     "VPID");
}

TEST(allowed0_half_is_ignored)
{
	/* Bits set only in the low (allowed-0) half do not make a feature usable. */
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID, EPT_OK),
		     "EPT");
}

TEST(ept_capabilities)
{
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK & ~EPT_CAP_PWL4), "4-level EPT page walks");
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK & ~EPT_CAP_MEMTYPE_WB),
		     "write-back EPT memory type");
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK & ~EPT_CAP_INVEPT), "INVEPT");
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK,
			     EPT_OK & ~(EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)), "INVEPT");
	ASSERT_STREQ(missing(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK & ~VPID_CAP_INVVPID), "INVVPID");
	ASSERT_TRUE(missing(BASIC_OK, CTLS_OK, CTLS2_OK, EPT_OK & ~EPT_CAP_INVEPT_SINGLE) == NULL);
}

TEST(vmx_basic)
{
	ASSERT_TRUE(missing(BASIC_OK & ~(0x1fffULL << 32), CTLS_OK, CTLS2_OK, EPT_OK) != NULL);
	ASSERT_TRUE(missing((BASIC_OK & ~(0x1fffULL << 32)) | (0x1001ULL << 32), CTLS_OK, CTLS2_OK, EPT_OK) != NULL);
	ASSERT_TRUE(missing(BASIC_OK | VMX_BASIC_32BIT_PHYS, CTLS_OK, CTLS2_OK, EPT_OK) != NULL);
	ASSERT_TRUE(missing(BASIC_OK & ~(0xfULL << 50), CTLS_OK, CTLS2_OK, EPT_OK) != NULL);
}

TEST_MAIN()
