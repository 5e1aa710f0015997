/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side unit tests of the descriptor encoders (libdune/desc.h), against
 * the Intel SDM Vol. 3A formats: 3.4.5 (code/data segment descriptors),
 * 7.2.3 (64-bit TSS descriptor), 7.7 (64-bit TSS), 6.14.1 (64-bit IDT
 * gates).  Known constants come from the Linux kernel's GDT; the others are
 * worked out field by field in the comments.
 */
#include <stddef.h>
#include <string.h>

#include "desc.h"
#include "../../test/harness.h"

/* Bits hi..lo of @v, as the SDM figures number them. */
static uint64_t bits(uint64_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & (hi - lo == 63 ? ~0ULL : (1ULL << (hi - lo + 1)) - 1);
}

/* Reproducible pseudo-random inputs (test/harness.h). */
static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rng(void)
{
	return harness_rand64(&rng_state);
}

TEST(linux_gdt_constants)
{
	/*
	 * arch/x86/include/asm/segment.h + GDT_ENTRY_INIT in cpu/common.c:
	 * flags 0xa09b (__KERNEL_CS), 0xc093 (__KERNEL_DS), 0xa0fb
	 * (__USER_CS), 0xc0f3 (__USER_DS), 0xc09b (__KERNEL32_CS), all with
	 * base 0 and limit 0xfffff.
	 */
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_CODE_XR, 0, 1, 1), 0x00af9b000000ffffULL);
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_DATA_RW, 0, 0, 1), 0x00cf93000000ffffULL);
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_CODE_XR, 3, 1, 1), 0x00affb000000ffffULL);
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_DATA_RW, 3, 0, 1), 0x00cff3000000ffffULL);
	/* 32-bit code (compatibility mode): L=0, so D=1. */
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_CODE_XR, 0, 0, 1), 0x00cf9b000000ffffULL);
}

TEST(segment_worked_example)
{
	/*
	 * base 0x12345678, limit 0xabcde, data r/w, DPL 2, L=0, G=0:
	 *   15:0   limit 15:0          = 0xbcde
	 *   39:16  base 23:0           = 0x345678
	 *   47:40  P=1 DPL=10 S=1 0011 = 0xd3
	 *   55:48  G=0 D=1 L=0 AVL=0, limit 19:16 = 0xa -> 0100 1010 = 0x4a
	 *   63:56  base 31:24          = 0x12
	 */
	uint64_t d = desc_segment(0x12345678, 0xabcde, DESC_TYPE_DATA_RW, 2, 0, 0);
	uint8_t m[8];

	EXPECT_EQ(d, 0x124ad3345678bcdeULL);
	/* In memory (little endian), byte 5 is the access byte, byte 6 the
	 * flags nibble and limit 19:16, as in SDM figure 3-8. */
	memcpy(m, &d, sizeof(m));
	EXPECT_EQ(m[0], 0xde);
	EXPECT_EQ(m[1], 0xbc);
	EXPECT_EQ(m[2], 0x78);
	EXPECT_EQ(m[3], 0x56);
	EXPECT_EQ(m[4], 0x34);
	EXPECT_EQ(m[5], 0xd3);
	EXPECT_EQ(m[6], 0x4a);
	EXPECT_EQ(m[7], 0x12);
}

TEST(segment_fields_random)
{
	int i;

	for (i = 0; i < 100000; i++) {
		uint64_t x = rng(), y = rng();
		uint32_t base = (uint32_t)x, limit = (uint32_t)(x >> 32) & 0xfffff;
		unsigned int type = y & 1 ? DESC_TYPE_CODE_XR : DESC_TYPE_DATA_RW;
		unsigned int dpl = (y >> 1) & 3;
		int l = (y >> 3) & 1, g = (y >> 4) & 1;
		uint64_t d;

		if (type == DESC_TYPE_DATA_RW)
			l = 0;	/* L is reserved in data segments */
		d = desc_segment(base, limit, type, dpl, l, g);
		ASSERT_EQ(bits(d, 15, 0), limit & 0xffff);
		ASSERT_EQ(bits(d, 39, 16), base & 0xffffff);
		ASSERT_EQ(bits(d, 43, 40), type);
		ASSERT_EQ(bits(d, 44, 44), 1);			/* S: code/data */
		ASSERT_EQ(bits(d, 46, 45), dpl);
		ASSERT_EQ(bits(d, 47, 47), 1);			/* P */
		ASSERT_EQ(bits(d, 51, 48), limit >> 16);
		ASSERT_EQ(bits(d, 52, 52), 0);			/* AVL */
		ASSERT_EQ(bits(d, 53, 53), l);
		ASSERT_EQ(bits(d, 54, 54), !l);			/* D/B */
		ASSERT_EQ(bits(d, 55, 55), g);
		ASSERT_EQ(bits(d, 63, 56), base >> 24);
	}
}

TEST(segment_out_of_range_args_do_not_spill)
{
	/* Too-large type/DPL/limit are cut to their fields, never into the
	 * neighbours (here: limit bit 20+ and DPL bit 2+ would hit AVL/P/S). */
	EXPECT_EQ(desc_segment(0, 0xfffffff, DESC_TYPE_DATA_RW, 7, 0, 1),
		  desc_segment(0, 0xfffff, DESC_TYPE_DATA_RW, 3, 0, 1));
	EXPECT_EQ(desc_segment(0, 0xfffff, 0x13, 0, 0, 1),
		  desc_segment(0, 0xfffff, 0x3, 0, 0, 1));
	/* Any non-zero flag value means set. */
	EXPECT_EQ(desc_segment(0, 0xfffff, DESC_TYPE_CODE_XR, 0, 42, 7), 0x00af9b000000ffffULL);
}

TEST(tss_descriptor)
{
	/*
	 * base 0xffff888012345678, limit 103 (0x67), available 64-bit TSS:
	 *   low slot:
	 *     15:0   limit 15:0            = 0x0067
	 *     39:16  base 23:0             = 0x345678
	 *     47:40  P=1 DPL=00 0 type 1001 = 0x89
	 *     55:48  G=0 AVL=0, limit 19:16 = 0x00
	 *     63:56  base 31:24            = 0x12
	 *   high slot: base 63:32 = 0xffff8880, bits 127:96 reserved (0)
	 */
	uint64_t d[2];

	desc_tss(d, 0xffff888012345678ULL, 103);
	EXPECT_EQ(d[0], 0x1200893456780067ULL);
	EXPECT_EQ(d[1], 0x00000000ffff8880ULL);
	EXPECT_EQ(desc_tss_base(d), 0xffff888012345678ULL);
	EXPECT_EQ(bits(d[0], 43, 40), DESC_TYPE_TSS64);
	EXPECT_EQ(bits(d[0], 44, 44), 0);		/* S=0: system descriptor */
	/* The struct the descriptor points at: limit = size - 1. */
	desc_tss(d, 0x1000, sizeof(struct dune_tss) - 1);
	EXPECT_EQ(bits(d[0], 15, 0), 103);
	EXPECT_EQ(bits(d[0], 51, 48), 0);
}

TEST(tss_fields_and_round_trip_random)
{
	int i;

	for (i = 0; i < 100000; i++) {
		uint64_t base = rng(), d[2];
		uint32_t limit = (uint32_t)rng() & 0xfffff;

		desc_tss(d, base, limit);
		ASSERT_EQ(desc_tss_base(d), base);
		ASSERT_EQ(bits(d[0], 15, 0), limit & 0xffff);
		ASSERT_EQ(bits(d[0], 39, 16), base & 0xffffff);
		ASSERT_EQ(bits(d[0], 43, 40), DESC_TYPE_TSS64);
		ASSERT_EQ(bits(d[0], 44, 44), 0);
		ASSERT_EQ(bits(d[0], 46, 45), 0);		/* DPL 0 */
		ASSERT_EQ(bits(d[0], 47, 47), 1);		/* P */
		ASSERT_EQ(bits(d[0], 51, 48), limit >> 16);
		ASSERT_EQ(bits(d[0], 55, 52), 0);		/* AVL, 0, 0, G */
		ASSERT_EQ(bits(d[0], 63, 56), (base >> 24) & 0xff);
		ASSERT_EQ(bits(d[1], 31, 0), base >> 32);
		ASSERT_EQ(bits(d[1], 63, 32), 0);		/* reserved, and type 0 */
	}
}

TEST(idt_gates)
{
	/*
	 * handler 0xffffffff81234567, selector 0x10, IST 1, interrupt gate,
	 * DPL 0:
	 *   15:0    offset 15:0                = 0x4567
	 *   31:16   selector                   = 0x0010
	 *   34:32   IST                        = 1
	 *   39:35   0
	 *   47:40   P=1 DPL=00 0 type 1110      = 0x8e
	 *   63:48   offset 31:16               = 0x8123
	 *   95:64   offset 63:32               = 0xffffffff
	 *   127:96  reserved                   = 0
	 */
	struct dune_idt_gate g = desc_idt_gate(0xffffffff81234567ULL, 0x10,
					       DESC_TYPE_INTR_GATE, 1, 0);

	EXPECT_EQ(g.lo, 0x81238e0100104567ULL);
	EXPECT_EQ(g.hi, 0x00000000ffffffffULL);
	EXPECT_EQ(desc_gate_offset(&g), 0xffffffff81234567ULL);

	/*
	 * int3 reachable from ring 3: trap gate, DPL 3, no IST, handler
	 * 0x0000555512345678, selector 0x08:
	 *   byte 5 = P=1 DPL=11 0 type 1111 = 0xef; byte 4 = 0 (IST 0)
	 *   lo = 0x1234 ef 00 0008 5678, hi = 0x5555
	 */
	g = desc_idt_gate(0x0000555512345678ULL, 0x08, DESC_TYPE_TRAP_GATE, 0, 3);
	EXPECT_EQ(g.lo, 0x1234ef0000085678ULL);
	EXPECT_EQ(g.hi, 0x0000000000005555ULL);
	EXPECT_EQ(desc_gate_offset(&g), 0x0000555512345678ULL);
}

TEST(idt_gate_fields_and_round_trip_random)
{
	int i;

	for (i = 0; i < 100000; i++) {
		uint64_t h = rng(), y = rng();
		uint16_t sel = (uint16_t)y;
		unsigned int type = (y >> 16) & 1 ? DESC_TYPE_TRAP_GATE : DESC_TYPE_INTR_GATE;
		unsigned int ist = (y >> 17) & 7, dpl = (y >> 20) & 3;
		struct dune_idt_gate g = desc_idt_gate(h, sel, type, ist, dpl);

		ASSERT_EQ(desc_gate_offset(&g), h);
		ASSERT_EQ(bits(g.lo, 15, 0), h & 0xffff);
		ASSERT_EQ(bits(g.lo, 31, 16), sel);
		ASSERT_EQ(bits(g.lo, 34, 32), ist);
		ASSERT_EQ(bits(g.lo, 39, 35), 0);
		ASSERT_EQ(bits(g.lo, 43, 40), type);
		ASSERT_EQ(bits(g.lo, 44, 44), 0);
		ASSERT_EQ(bits(g.lo, 46, 45), dpl);
		ASSERT_EQ(bits(g.lo, 47, 47), 1);
		ASSERT_EQ(bits(g.lo, 63, 48), (h >> 16) & 0xffff);
		ASSERT_EQ(bits(g.hi, 31, 0), h >> 32);
		ASSERT_EQ(bits(g.hi, 63, 32), 0);
	}
	/* Out-of-range IST/DPL/type stay in their fields. */
	{
		struct dune_idt_gate a = desc_idt_gate(0, 0, 0x1e, 9, 7);
		struct dune_idt_gate b = desc_idt_gate(0, 0, 0xe, 1, 3);

		EXPECT_EQ(a.lo, b.lo);
		EXPECT_EQ(a.hi, b.hi);
	}
}

TEST(struct_layouts)
{
	/* SDM figure 7-11: the 64-bit TSS. */
	EXPECT_EQ(sizeof(struct dune_tss), 104);
	EXPECT_EQ(offsetof(struct dune_tss, rsp), 4);		/* RSP0 */
	EXPECT_EQ(offsetof(struct dune_tss, rsp[1]), 12);
	EXPECT_EQ(offsetof(struct dune_tss, rsp[2]), 20);
	EXPECT_EQ(offsetof(struct dune_tss, ist), 36);		/* IST1 */
	EXPECT_EQ(offsetof(struct dune_tss, ist[6]), 84);	/* IST7 */
	EXPECT_EQ(offsetof(struct dune_tss, iomap_base), 102);
	EXPECT_EQ(sizeof(struct dune_idt_gate), 16);
	EXPECT_EQ(offsetof(struct dune_idt_gate, lo), 0);
	EXPECT_EQ(offsetof(struct dune_idt_gate, hi), 8);
	/* LGDT/LIDT operand: 2-byte limit then 8-byte base, packed. */
	EXPECT_EQ(sizeof(struct dune_dtr), 10);
	EXPECT_EQ(offsetof(struct dune_dtr, base), 2);
}

TEST(tss_fields_land_at_sdm_offsets)
{
	struct dune_tss t;
	uint8_t *p = (uint8_t *)&t;
	uint64_t v;

	memset(&t, 0, sizeof(t));
	t.rsp[0] = 0x1111111111111111ULL;
	t.ist[0] = 0x2222222222222222ULL;
	t.ist[6] = 0x7777777777777777ULL;
	t.iomap_base = sizeof(t);
	memcpy(&v, p + 4, 8);
	EXPECT_EQ(v, 0x1111111111111111ULL);
	memcpy(&v, p + 36, 8);
	EXPECT_EQ(v, 0x2222222222222222ULL);
	memcpy(&v, p + 84, 8);
	EXPECT_EQ(v, 0x7777777777777777ULL);
	EXPECT_EQ(p[102] | p[103] << 8, 104);
}

TEST_MAIN()
