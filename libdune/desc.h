/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * desc.h - pure encoders for x86-64 descriptors: GDT segment descriptors,
 * the 64-bit TSS and its 16-byte system descriptor, and IDT gates.  No
 * privileged instruction here; tested on the host (tests/desc_test.c).
 *
 * References: Intel SDM Vol. 3A, 3.4.5 (segment descriptors), 7.2.3 (TSS
 * descriptor in 64-bit mode), 7.7 (64-bit TSS), 6.14.1 (64-bit IDT gates).
 *
 * Code/data segment descriptor (8 bytes):
 *
 *  63      56 55 54 53 52 51   48 47 46 45 44 43  40 39       16 15      0
 * +----------+--+--+--+--+-------+--+-----+--+------+-----------+---------+
 * |base 31:24|G |DB|L |AV|lim19:16|P | DPL |S | type |base 23:0  |lim 15:0 |
 * +----------+--+--+--+--+-------+--+-----+--+------+-----------+---------+
 *
 * In 64-bit mode base and limit of CS/DS/ES/SS are ignored; CS needs L=1,
 * D=0.  IDT gate (16 bytes):
 *
 *  127          96 95               64 63        48 47 46 45 44 40 39 35 34 32 31     16 15      0
 * +---------------+-------------------+------------+--+-----+-----+-----+-----+---------+---------+
 * |   reserved    |   offset 63:32    |offset 31:16|P | DPL |0type| 0   | IST |selector |off 15:0 |
 * +---------------+-------------------+------------+--+-----+-----+-----+-----+---------+---------+
 */
#ifndef LIBDUNE_DESC_H
#define LIBDUNE_DESC_H

#include <stdint.h>

/* Segment types (S=1): code execute/read, data read/write; accessed set. */
#define DESC_TYPE_CODE_XR	0xb
#define DESC_TYPE_DATA_RW	0x3
/* System types (S=0). */
#define DESC_TYPE_TSS64		0x9	/* available 64-bit TSS */
#define DESC_TYPE_TSS64_BUSY	0xb
#define DESC_TYPE_INTR_GATE	0xe	/* IF cleared on entry */
#define DESC_TYPE_TRAP_GATE	0xf	/* IF kept */

/* The 64-bit TSS (104 bytes; no I/O bitmap: iomap_base = its size). */
struct dune_tss {
	uint32_t reserved0;
	uint64_t rsp[3];	/* stacks for CPL 0-2 */
	uint64_t reserved1;
	uint64_t ist[7];	/* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct dune_tss) == 104, "64-bit TSS is 104 bytes");

struct dune_idt_gate {
	uint64_t lo, hi;
};
_Static_assert(sizeof(struct dune_idt_gate) == 16, "IDT gate is 16 bytes");

/* Pseudo-descriptor for LGDT/LIDT. */
struct dune_dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/*
 * A code or data segment descriptor.  @type: DESC_TYPE_CODE_XR / _DATA_RW;
 * @dpl 0-3; @l: 64-bit code (then D/B is 0); @g: limit in 4 KiB units.
 */
static inline uint64_t desc_segment(uint32_t base, uint32_t limit, unsigned int type,
				    unsigned int dpl, int l, int g)
{
	uint64_t d = 0;

	d |= (uint64_t)(limit & 0xffff);
	d |= (uint64_t)(base & 0xffffff) << 16;
	d |= (uint64_t)(type & 0xf) << 40;
	d |= 1ULL << 44;				/* S: code/data */
	d |= (uint64_t)(dpl & 3) << 45;
	d |= 1ULL << 47;				/* P */
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(l ? 1 : 0) << 53;
	d |= (uint64_t)(l ? 0 : 1) << 54;		/* D/B: 32-bit for data */
	d |= (uint64_t)(g ? 1 : 0) << 55;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

/* The two 8-byte slots of a 64-bit TSS descriptor (DPL 0, present). */
static inline void desc_tss(uint64_t out[2], uint64_t base, uint32_t limit)
{
	out[0] = (uint64_t)(limit & 0xffff) |
		 (base & 0xffffff) << 16 |
		 (uint64_t)DESC_TYPE_TSS64 << 40 |
		 1ULL << 47 |
		 (uint64_t)((limit >> 16) & 0xf) << 48 |
		 ((base >> 24) & 0xff) << 56;
	out[1] = base >> 32;
}

/*
 * An IDT gate to @handler through code selector @sel.  @type:
 * DESC_TYPE_INTR_GATE or _TRAP_GATE; @ist 0 (none) to 7; @dpl: the
 * highest CPL allowed to raise it with INT n (3 for int3 from ring 3).
 */
static inline struct dune_idt_gate desc_idt_gate(uint64_t handler, uint16_t sel, unsigned int type,
						 unsigned int ist, unsigned int dpl)
{
	struct dune_idt_gate g;

	g.lo = (handler & 0xffff) |
	       (uint64_t)sel << 16 |
	       (uint64_t)(ist & 7) << 32 |
	       (uint64_t)(type & 0xf) << 40 |
	       (uint64_t)(dpl & 3) << 45 |
	       1ULL << 47 |
	       ((handler >> 16) & 0xffff) << 48;
	g.hi = handler >> 32;
	return g;
}

/* Decoders, for tests and reports. */
static inline uint64_t desc_gate_offset(const struct dune_idt_gate *g)
{
	return (g->lo & 0xffff) | ((g->lo >> 48) & 0xffff) << 16 | g->hi << 32;
}

static inline uint64_t desc_tss_base(const uint64_t d[2])
{
	return ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) & 0xff) << 24 | (d[1] & 0xffffffff) << 32;
}

#endif /* LIBDUNE_DESC_H */
