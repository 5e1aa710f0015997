/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pte.h - x86-64 4-level page-table entries for libdune's own page tables:
 * pure encoders between DUNE_PERM_* and entry bits, used by vm.c and tested
 * on the host (tests/vm_test.c).  Intel SDM Vol. 3A, 4.5 (4-level paging),
 * tables 4-15 to 4-20 (PML4E, PDPTE, PDE, PTE formats).
 *
 * A leaf entry (a 4 KiB PTE, a 2 MiB PDE or a 1 GiB PDPTE, PS=1):
 *
 *   63 62:59 58:55 54 53 52 51        12 11:9 8 7  6 5 4   3   2 1 0
 *  +--+-----+-----+--+--+--+------------+----+-+--+-+-+---+---+-+-+-+
 *  |NX| PK  | ign |NO|PG|CW| phys addr  |AVL |G|PS|D|A|PCD|PWT|U|W|P|
 *  +--+-----+-----+--+--+--+------------+----+-+--+-+-+---+---+-+-+-+
 *
 *   P   present            W   writable          U   ring 3 may access
 *   PWT/PCD  write-through / cache disable (both: uncached with the reset PAT)
 *   A/D accessed, dirty (set by the CPU)         G   global
 *   PS  in a PDE/PDPTE: the entry maps a 2 MiB/1 GiB page (bit 12 is then
 *       that page's PAT bit, and the address is 2 MiB/1 GiB aligned);
 *       in a 4 KiB PTE bit 7 is the PAT bit (never set here)
 *   AVL USR1..USR3 (DUNE_PERM_USR*), ignored by the CPU
 *   CW  DUNE_PTE_COW: copy-on-write (then W is clear)
 *   PG  DUNE_PTE_PAGE: the entry holds one reference on a page of the page
 *       allocator (dune_vm_map_pages, COW copies); unmap releases it
 *   NO  DUNE_PTE_PROTNONE: with P clear, a mapping kept without access
 *       (DUNE_PERM_NONE): address and bits stay, so mprotect can restore it
 *   PK  protection key (only with CR4.PKE; unused, kept 0)
 *   NX  no execute (EFER.NXE is set by the boot code)
 *
 * A table entry (PML4E, or a PDPTE/PDE with PS=0) is P|W|U|address: never
 * NX, so that the leaf alone decides the access rights.
 *
 * An entry is "mapped" when P or PROTNONE is set, and empty otherwise (the
 * library writes empty entries as 0).
 */
#ifndef LIBDUNE_PTE_H
#define LIBDUNE_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include "libdune.h"

/* Software bits of libdune's own (bits 58:52 are ignored by the CPU). */
#define DUNE_PTE_PAGE		(1ULL << 53)	/* holds a page-allocator reference */
#define DUNE_PTE_PROTNONE	(1ULL << 54)	/* mapped, no access (P clear) */
#define DUNE_PTE_PAT_LARGE	(1ULL << 12)	/* PAT bit of a 2 MiB/1 GiB leaf */

/* Bits of a table entry (PML4E, PDPTE or PDE pointing to a table). */
#define DUNE_PTE_TABLE		(DUNE_PTE_P | DUNE_PTE_W | DUNE_PTE_U)

#define DUNE_PT_LEVELS		4
#define DUNE_PT_ENTRIES		512
/* The lower half of the address space: the only one libdune maps. */
#define DUNE_VA_LIMIT		(1ULL << 47)

/* Every DUNE_PERM_* bit. */
#define DUNE_PERM_ALL (DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_X | DUNE_PERM_U |	\
		       DUNE_PERM_UC | DUNE_PERM_COW | DUNE_PERM_USR1 |		\
		       DUNE_PERM_USR2 | DUNE_PERM_USR3 | DUNE_PERM_BIG |	\
		       DUNE_PERM_BIG_1GB)
/* Permissions that need a present (readable) page. */
#define DUNE_PERM_ACCESS (DUNE_PERM_W | DUNE_PERM_X | DUNE_PERM_U | DUNE_PERM_UC |	\
			  DUNE_PERM_COW)

/* Bytes mapped by one entry at @level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB, 4: 512 GiB). */
static inline uint64_t dune_pt_level_size(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

/* Index of @va's entry in the table at @level. */
static inline unsigned int dune_pt_index(uint64_t va, int level)
{
	return (unsigned int)((va >> (12 + 9 * (level - 1))) & (DUNE_PT_ENTRIES - 1));
}

static inline bool dune_pte_mapped(dune_pte_t e)
{
	return (e & (DUNE_PTE_P | DUNE_PTE_PROTNONE)) != 0;
}

/* Is the mapped entry @e, found at @level, a leaf (a page, not a table)?
 * A PML4E has no PS (the bit is reserved there). */
static inline bool dune_pte_is_leaf(dune_pte_t e, int level)
{
	return level == 1 || (level <= 3 && (e & DUNE_PTE_PS));
}

/* Physical address of the page a leaf at @level maps (or of the table a
 * table entry points to, with @level 1). */
static inline uint64_t dune_pte_addr(dune_pte_t e, int level)
{
	return e & DUNE_PTE_ADDR & ~(dune_pt_level_size(level) - 1);
}

/*
 * Is @perm a valid permission set?  Unknown bits are refused, and so are
 * access bits without DUNE_PERM_R: x86 has no write-only or execute-only
 * pages, and a not-present page has no rights to describe.
 */
static inline bool dune_perm_valid(int perm)
{
	if (perm & ~DUNE_PERM_ALL)
		return false;
	if (!(perm & DUNE_PERM_R) && (perm & DUNE_PERM_ACCESS))
		return false;
	return true;
}

/*
 * The flag bits of a leaf at @level (1, 2, 3) with @perm; the caller adds
 * the address.  Without DUNE_PERM_R the leaf is not present (PROTNONE).
 * PS is set for levels 2 and 3: DUNE_PERM_BIG/BIG_1GB only choose the level.
 * COW wins over W: a copy-on-write page is read-only until the write fault.
 */
static inline dune_pte_t dune_perm_to_pte(int perm, int level)
{
	dune_pte_t e = 0;

	if (level > 1)
		e |= DUNE_PTE_PS;
	if (perm & DUNE_PERM_USR1)
		e |= 1ULL << 9;
	if (perm & DUNE_PERM_USR2)
		e |= 1ULL << 10;
	if (perm & DUNE_PERM_USR3)
		e |= 1ULL << 11;
	if (!(perm & DUNE_PERM_R))
		return e | DUNE_PTE_PROTNONE;
	e |= DUNE_PTE_P;
	if (perm & DUNE_PERM_COW)
		e |= DUNE_PTE_COW;
	else if (perm & DUNE_PERM_W)
		e |= DUNE_PTE_W;
	if (!(perm & DUNE_PERM_X))
		e |= DUNE_PTE_NX;
	if (perm & DUNE_PERM_U)
		e |= DUNE_PTE_U;
	if (perm & DUNE_PERM_UC)
		e |= DUNE_PTE_PCD | DUNE_PTE_PWT;
	return e;
}

/*
 * The inverse: the DUNE_PERM_* of leaf @e at @level (BIG for a 2 MiB leaf,
 * BIG_1GB for a 1 GiB one).  A COW leaf gives R|COW (no W: it is read-only
 * until the fault), which dune_perm_to_pte() encodes back to the same bits.
 */
static inline int dune_pte_to_perm(dune_pte_t e, int level)
{
	int perm = 0;

	if (e & (1ULL << 9))
		perm |= DUNE_PERM_USR1;
	if (e & (1ULL << 10))
		perm |= DUNE_PERM_USR2;
	if (e & (1ULL << 11))
		perm |= DUNE_PERM_USR3;
	if (level == 2)
		perm |= DUNE_PERM_BIG;
	else if (level == 3)
		perm |= DUNE_PERM_BIG_1GB;
	if (!(e & DUNE_PTE_P))
		return perm;
	perm |= DUNE_PERM_R;
	if (e & DUNE_PTE_COW)
		perm |= DUNE_PERM_COW;
	if (e & DUNE_PTE_W)
		perm |= DUNE_PERM_W;
	if (!(e & DUNE_PTE_NX))
		perm |= DUNE_PERM_X;
	if (e & DUNE_PTE_U)
		perm |= DUNE_PERM_U;
	if ((e & (DUNE_PTE_PCD | DUNE_PTE_PWT)) == (DUNE_PTE_PCD | DUNE_PTE_PWT))
		perm |= DUNE_PERM_UC;
	return perm;
}

#endif /* LIBDUNE_PTE_H */
