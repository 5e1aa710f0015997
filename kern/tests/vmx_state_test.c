// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of the vCPU encoders and decisions (kern/vmx_state.h). */
#include "../vmx_state.h"
#include "../../test/harness.h"

TEST(ctl_adjust)
{
	u32 out = 0xdead;
	/* must-be-one 0x16, may-be-one 0xff16 */
	u64 msr = (0xff16ULL << 32) | 0x16;

	ASSERT_TRUE(vmx_ctl_adjust(msr, 0x100, 0, &out));
	EXPECT_EQ(out, 0x116);
	/* Optional bits are taken only where allowed. */
	ASSERT_TRUE(vmx_ctl_adjust(msr, 0x100, 0x10001, &out));
	EXPECT_EQ(out, 0x116);
	ASSERT_TRUE(vmx_ctl_adjust(msr, 0, 0x200, &out));
	EXPECT_EQ(out, 0x216);
	/* A wanted bit the CPU does not allow is an error. */
	EXPECT_FALSE(vmx_ctl_adjust(msr, 0x10000, 0, &out));
	EXPECT_EQ(out, 0);
	/* A must-be-one bit outside may-be-one (inconsistent MSR) is dropped. */
	ASSERT_TRUE(vmx_ctl_adjust((0xf0ULL << 32) | 0x1, 0x10, 0, &out));
	EXPECT_EQ(out, 0x10);
}

TEST(segment_access_rights)
{
	/* SDM 24.4.1: 64-bit ring-0 code is 0xa09b, flat data 0xc093. */
	EXPECT_EQ(DUNE_GUEST_CS_AR, 0xa09b);
	EXPECT_EQ(DUNE_GUEST_DS_AR, 0xc093);
	EXPECT_EQ(DUNE_GUEST_TR_AR, 0x8b);
	EXPECT_EQ(DUNE_GUEST_LDTR_AR, 0x10000);
}

TEST(rflags)
{
	EXPECT_TRUE(dune_rflags_valid(0x2));
	EXPECT_TRUE(dune_rflags_valid(0x202));		/* IF */
	EXPECT_TRUE(dune_rflags_valid(0x2 | 0x8d5 | 0x400));
	EXPECT_FALSE(dune_rflags_valid(0));		/* bit 1 clear */
	EXPECT_FALSE(dune_rflags_valid(0x2 | (1 << 3)));	/* reserved bit 3 */
	EXPECT_FALSE(dune_rflags_valid(0x2 | (1 << 15)));	/* reserved bit 15 */
	EXPECT_FALSE(dune_rflags_valid(0x2 | (1ULL << 22)));
	EXPECT_FALSE(dune_rflags_valid(0x2 | (1ULL << 63)));
	EXPECT_FALSE(dune_rflags_valid(0x2 | DUNE_RFLAGS_VM));
	/* A fork child's user flags keep arithmetic flags and DF only. */
	EXPECT_EQ(dune_user_rflags(0x2 | 0x1 | 0x100 | 0x3000 | 0x400), 0x2 | 0x1 | 0x200 | 0x400);
	EXPECT_EQ(dune_user_rflags(0x2), 0x202);
}

TEST(canonical)
{
	EXPECT_TRUE(dune_canonical(0, 48));
	EXPECT_TRUE(dune_canonical(0x00007fffffffffffULL, 48));
	EXPECT_FALSE(dune_canonical(0x0000800000000000ULL, 48));
	EXPECT_TRUE(dune_canonical(0xffff800000000000ULL, 48));
	EXPECT_FALSE(dune_canonical(0xfff0800000000000ULL, 48));
	EXPECT_TRUE(dune_canonical(0x00ffffffffffffffULL, 57));
	EXPECT_FALSE(dune_canonical(0x0100000000000000ULL, 57));
}

TEST(cr3)
{
	EXPECT_TRUE(dune_cr3_valid(0x1000, 40));
	EXPECT_TRUE(dune_cr3_valid((1ULL << 40) - 4096, 40));
	EXPECT_FALSE(dune_cr3_valid(1ULL << 40, 40));
	EXPECT_FALSE(dune_cr3_valid(~0ULL, 48));
}

TEST(control_registers)
{
	u64 host = DUNE_CR4_PAE | DUNE_CR4_PGE | DUNE_CR4_VMXE | DUNE_CR4_OSXSAVE |
		   DUNE_CR4_SMEP | DUNE_CR4_SMAP | DUNE_CR4_FSGSBASE | DUNE_CR4_PCIDE |
		   DUNE_CR4_MCE | DUNE_CR4_OSFXSR;
	u64 g = dune_guest_cr4(host);

	/* Paging and SSE, XSAVE and FSGSBASE as the host; VMXE is fixed. */
	EXPECT_EQ(g, DUNE_CR4_PAE | DUNE_CR4_PGE | DUNE_CR4_OSFXSR | DUNE_CR4_OSXMMEXCPT |
		     DUNE_CR4_VMXE | DUNE_CR4_OSXSAVE | DUNE_CR4_FSGSBASE | DUNE_CR4_MCE);
	/* Never the host's SMEP/SMAP/PCIDE: the guest starts without them. */
	EXPECT_EQ(g & (DUNE_CR4_SMEP | DUNE_CR4_SMAP | DUNE_CR4_PCIDE | DUNE_CR4_LA57), 0);
	EXPECT_EQ(dune_guest_cr4(DUNE_CR4_PAE) & DUNE_CR4_OSXSAVE, 0);
	/* The guest owns what only affects itself, never PAE/VMXE/OSXSAVE. */
	u64 own = dune_guest_cr4_owned(true, true, true, true);

	EXPECT_TRUE(own & DUNE_CR4_PGE);
	EXPECT_TRUE(own & DUNE_CR4_PCIDE);
	EXPECT_EQ(own & (DUNE_CR4_PAE | DUNE_CR4_VMXE | DUNE_CR4_OSXSAVE | DUNE_CR4_LA57 |
			 DUNE_CR4_OSFXSR), 0);
	EXPECT_EQ(dune_guest_cr4_owned(false, false, false, false) &
		  (DUNE_CR4_PCIDE | DUNE_CR4_SMEP | DUNE_CR4_SMAP | DUNE_CR4_FSGSBASE), 0);
	/* CR0: protected mode with paging; the guest may not turn them off. */
	EXPECT_EQ(DUNE_GUEST_CR0_INIT & (DUNE_CR0_PE | DUNE_CR0_PG | DUNE_CR0_NE),
		  DUNE_CR0_PE | DUNE_CR0_PG | DUNE_CR0_NE);
	EXPECT_EQ(DUNE_GUEST_CR0_OWNED & (DUNE_CR0_PE | DUNE_CR0_PG | DUNE_CR0_CD | DUNE_CR0_NW), 0);
}

TEST(restart_rules)
{
	/* As arch/x86/kernel/signal.c: handle_signal() and the no-handler path. */
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTSYS, true, false), DUNE_RESTART_EINTR);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTSYS, true, true), DUNE_RESTART_AGAIN);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTSYS, false, false), DUNE_RESTART_AGAIN);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTNOINTR, true, false), DUNE_RESTART_AGAIN);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTNOINTR, false, false), DUNE_RESTART_AGAIN);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTNOHAND, true, true), DUNE_RESTART_EINTR);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTARTNOHAND, false, false), DUNE_RESTART_AGAIN);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTART_RESTARTBLOCK, true, true), DUNE_RESTART_EINTR);
	EXPECT_EQ(dune_restart_decide(-DUNE_ERESTART_RESTARTBLOCK, false, false), DUNE_RESTART_BLOCK);
	EXPECT_EQ(dune_restart_decide(-4 /* EINTR */, true, true), DUNE_RESTART_NONE);
	EXPECT_EQ(dune_restart_decide(0, false, false), DUNE_RESTART_NONE);
	EXPECT_EQ(dune_restart_decide(-515, false, false), DUNE_RESTART_NONE);
}

TEST_MAIN()
