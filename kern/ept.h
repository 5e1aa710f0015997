/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EPT entries and the EPT pointer: pure encoders, used by dune.ko and
 * unit-tested on the host.  Intel SDM Vol. 3C, 29.3.2 (EPT translation
 * structures), 29.3.3 (EPT violations), 24.6.11 (EPTP).
 *
 * An EPT paging-structure entry (4-level EPT, level 4 = PML4 ... 1 = PT):
 *
 *   63  62:52   51:12 (MAXPHYADDR-1:12)   11  10  9  8  7  6  5:3  2  1  0
 *   SVE ignored  physical address        ign UX  D  A  PS IPAT MT   X  W  R
 *
 *   R/W/X  read, write, (supervisor) execute      A/D  accessed, dirty
 *   PS     page size: this PDPTE (1 GiB) or PDE (2 MiB) maps a page
 *   MT     memory type of the page (leaf only): 6 = write-back
 *   IPAT   ignore the guest's PAT (leaf only)
 *
 * An entry with R=W=X=0 is not present.  A leaf maps a page of 4 KiB
 * (level 1), 2 MiB (level 2, PS) or 1 GiB (level 3, PS).
 */
#ifndef DUNE_EPT_H
#define DUNE_EPT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint64_t u64;
#endif

#define EPT_R		(1ULL << 0)
#define EPT_W		(1ULL << 1)
#define EPT_X		(1ULL << 2)
#define EPT_RWX		(EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT	3
#define EPT_MT_WB	6ULL
#define EPT_IPAT	(1ULL << 6)
#define EPT_PS		(1ULL << 7)
#define EPT_A		(1ULL << 8)
#define EPT_D		(1ULL << 9)
#define EPT_ADDR_MASK	0x000ffffffffff000ULL	/* bits 51:12 */

#define EPT_LEVELS	4
#define EPT_ENTRIES	512

/* Bytes mapped by one entry at @level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB, 4: 512 GiB). */
static inline u64 ept_level_size(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

/* Index of @gpa's entry in the table at @level. */
static inline unsigned int ept_index(u64 gpa, int level)
{
	return (unsigned int)((gpa >> (12 + 9 * (level - 1))) & (EPT_ENTRIES - 1));
}

static inline bool ept_present(u64 e)
{
	return (e & EPT_RWX) != 0;
}

/* Is @e, found at @level, a leaf (a page, not a table)? */
static inline bool ept_is_leaf(u64 e, int level)
{
	return level == 1 || (e & EPT_PS);
}

/* An entry pointing to the next-level table at host-physical @table. */
static inline u64 ept_make_table(u64 table)
{
	return (table & EPT_ADDR_MASK) | EPT_RWX;
}

/*
 * A leaf at @level mapping host-physical @hpa with permissions @perm (a
 * subset of EPT_RWX, not empty), write-back, guest PAT ignored.  Returns 0
 * (not present) for what the hardware would reject: a misaligned address,
 * a level without pages, write without read (SDM 29.3.3.1: an EPT
 * misconfiguration).
 */
static inline u64 ept_make_leaf(u64 hpa, int level, u64 perm)
{
	if (level < 1 || level > 3 || (perm & ~EPT_RWX) || !perm)
		return 0;
	if ((perm & EPT_W) && !(perm & EPT_R))
		return 0;
	if (hpa & (ept_level_size(level) - 1) || (hpa & ~EPT_ADDR_MASK))
		return 0;
	return hpa | perm | (EPT_MT_WB << EPT_MT_SHIFT) | EPT_IPAT | (level > 1 ? EPT_PS : 0);
}

/* Host-physical address mapped by leaf @e at @level, for @gpa inside it. */
static inline u64 ept_leaf_hpa(u64 e, int level, u64 gpa)
{
	u64 size = ept_level_size(level);

	return (e & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
}

/*
 * The EPT pointer (VMCS field EPT_POINTER, SDM 24.6.11): write-back
 * paging-structure memory type, page-walk length 4, accessed/dirty flags
 * enabled when @ad, PML4 table at host-physical @pml4.
 */
static inline u64 ept_make_eptp(u64 pml4, bool ad)
{
	return (pml4 & EPT_ADDR_MASK) | EPT_MT_WB | ((EPT_LEVELS - 1ULL) << 3) |
	       (ad ? 1ULL << 6 : 0);
}

/* Exit qualification of an EPT violation (SDM 28.2.1, Table 28-7). */
#define EPT_VIOL_READ		(1ULL << 0)
#define EPT_VIOL_WRITE		(1ULL << 1)
#define EPT_VIOL_FETCH		(1ULL << 2)
#define EPT_VIOL_READABLE	(1ULL << 3)
#define EPT_VIOL_WRITABLE	(1ULL << 4)
#define EPT_VIOL_EXECUTABLE	(1ULL << 5)
#define EPT_VIOL_GLA_VALID	(1ULL << 7)

#endif
