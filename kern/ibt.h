/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel IBT (Indirect Branch Tracking, CET): may dune.ko call this kernel
 * function through a pointer?  Pure functions of the function's first
 * bytes, used by syscall.c at load time and unit-tested on the host.
 *
 * With IBT on, an indirect CALL or JMP must land on an ENDBR64 (f3 0f 1e
 * fa), or the CPU raises #CP.  A kernel built with CONFIG_X86_KERNEL_IBT
 * starts every function with one; objtool then lists those whose address
 * nothing takes, and at boot the kernel "seals" them, overwriting the ENDBR
 * with a 4-byte NOP of its own, 66 0f 1f 00 (osp nopl (%rax), chosen to be
 * found only at former ENDBR sites).  It does so on every CPU, IBT or not
 * (seen in Bochs, whose CPU has none), so the check gives the same answer
 * on every machine that runs the same kernel.
 *
 * A kernel built without IBT has no ENDBR anywhere and nothing to check.
 */
#ifndef DUNE_IBT_H
#define DUNE_IBT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint8_t u8;
#endif

#define DUNE_ENDBR64		{ 0xf3, 0x0f, 0x1e, 0xfa }
#define DUNE_ENDBR_POISON	{ 0x66, 0x0f, 0x1f, 0x00 }

enum dune_ibt_entry {
	DUNE_IBT_ENDBR,		/* starts with ENDBR64: a valid indirect target */
	DUNE_IBT_SEALED,	/* its ENDBR was overwritten: direct calls only */
	DUNE_IBT_NO_ENDBR,	/* anything else (not a function start?) */
};

static inline bool dune_bytes_are(const u8 insn[4], const u8 want[4])
{
	return insn[0] == want[0] && insn[1] == want[1] && insn[2] == want[2] &&
	       insn[3] == want[3];
}

/* What the first 4 bytes of a function say about calling it indirectly. */
static inline enum dune_ibt_entry dune_ibt_classify(const u8 insn[4])
{
	static const u8 endbr[4] = DUNE_ENDBR64, poison[4] = DUNE_ENDBR_POISON;

	if (dune_bytes_are(insn, endbr))
		return DUNE_IBT_ENDBR;
	if (dune_bytes_are(insn, poison))
		return DUNE_IBT_SEALED;
	return DUNE_IBT_NO_ENDBR;
}

/*
 * May a function starting with @insn be called through a pointer on a
 * kernel built with (@ibt_kernel) or without IBT?
 */
static inline bool dune_ibt_callable(const u8 insn[4], bool ibt_kernel)
{
	return !ibt_kernel || dune_ibt_classify(insn) == DUNE_IBT_ENDBR;
}

/* Why not, for the error message. */
static inline const char *dune_ibt_why(enum dune_ibt_entry e)
{
	switch (e) {
	case DUNE_IBT_ENDBR:
		return "starts with ENDBR64";
	case DUNE_IBT_SEALED:
		return "is sealed (its ENDBR64 was overwritten: the kernel calls it directly only)";
	default:
		return "does not start with ENDBR64";
	}
}

/*
 * A kprobe on a function's symbol (offset 0) sits after the function's
 * ENDBR64, or after the NOP that sealed it (kprobes treat the two alike and
 * never probe them), so the probe's address is then the function's + 4.
 * @before: the 4 bytes before the probe's address.  Returns how far back
 * the function starts (0 or 4).
 */
static inline unsigned int dune_kprobe_entry_back(const u8 before[4], bool ibt_kernel)
{
	return ibt_kernel && dune_ibt_classify(before) != DUNE_IBT_NO_ENDBR ? 4 : 0;
}

#endif
