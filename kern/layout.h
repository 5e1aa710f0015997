/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical layout of a Dune process: pure computation, no kernel
 * state, compiled into dune.ko and into the host-side unit tests.
 */
#ifndef DUNE_LAYOUT_H
#define DUNE_LAYOUT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
typedef uint64_t u64;
typedef uint32_t u32;
#endif
#include "uapi/dune.h"	/* see Kbuild */

#define DUNE_LAYOUT_MIN_BITS	36	/* 64 GiB: every x86-64 CPU with EPT has more */
#define DUNE_LAYOUT_MAX_BITS	48	/* 4-level EPT */
#define DUNE_WINDOW_ALIGN	(1ULL << 30)

/* What the layout is computed from: the CPU and the process's own layout. */
struct dune_layout_input {
	u32 phys_addr_bits;	/* CPUID 0x80000008 EAX[7:0] */
	u64 task_size;		/* end of the user address space */
	u64 start_code;		/* mm->start_code: the executable */
	u64 mmap_base;		/* mm->mmap_base */
	bool mmap_bottom_up;	/* legacy layout: mmap grows up from mmap_base */
	u64 stack_top;		/* end of the VMA holding mm->start_stack */
};

/*
 * Fill @out (all fields but .size, which the caller owns) from @in.
 * Returns 0, or -1 when the CPU's physical-address width is below
 * DUNE_LAYOUT_MIN_BITS or the input is inconsistent.
 */
int dune_layout_compute(const struct dune_layout_input *in, struct dune_layout *out);

/* The window holding @va, or NULL.  Windows come from dune_layout_compute(). */
const struct dune_window *dune_layout_find_va(const struct dune_layout *l, u64 va);
/* The window holding guest-physical @gpa, or NULL. */
const struct dune_window *dune_layout_find_gpa(const struct dune_layout *l, u64 gpa);

#endif
