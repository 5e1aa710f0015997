/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vma.h - the sandbox's record of the untrusted program's mappings: a
 * sorted list of disjoint [start, end) ranges with their protections, inside
 * [lo, hi).  Pure code (no system calls): unit-tested on the host.
 */
#ifndef SANDBOX_VMA_H
#define SANDBOX_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_vma {
	uintptr_t start, end;		/* page aligned, start < end */
	int prot;			/* PROT_* */
};

struct sb_vmas {
	struct sb_vma *v;		/* sorted by start, disjoint */
	size_t n, cap;
	uintptr_t lo, hi;		/* the range everything lies in */
};

/* An empty list for [lo, hi) (page aligned).  Returns 0 or -EINVAL. */
int sb_vma_init(struct sb_vmas *m, uintptr_t lo, uintptr_t hi);
void sb_vma_free(struct sb_vmas *m);
/* Forget every mapping. */
void sb_vma_clear(struct sb_vmas *m);

/* Record [start, end) with @prot, replacing whatever was there (adjacent
 * ranges with the same prot are merged).  -EINVAL (outside [lo, hi), not
 * aligned, empty) or -ENOMEM. */
int sb_vma_insert(struct sb_vmas *m, uintptr_t start, uintptr_t end, int prot);
/* Forget [start, end) (parts of ranges are cut).  -EINVAL or -ENOMEM. */
int sb_vma_remove(struct sb_vmas *m, uintptr_t start, uintptr_t end);
/* Whether every page of [start, end) is recorded. */
bool sb_vma_covered(const struct sb_vmas *m, uintptr_t start, uintptr_t end);
/* Whether any page of [start, end) is recorded. */
bool sb_vma_overlaps(const struct sb_vmas *m, uintptr_t start, uintptr_t end);
/* The range containing @addr, or NULL. */
const struct sb_vma *sb_vma_find(const struct sb_vmas *m, uintptr_t addr);
/*
 * A free, page-aligned range of @len bytes inside [lo, limit): the highest
 * one that ends at or below @limit (top-down, as Linux places mmaps),
 * keeping a free page below and above it when it can.  Returns its start,
 * or 0 when nothing fits.
 */
uintptr_t sb_vma_find_free(const struct sb_vmas *m, size_t len, uintptr_t limit);

#endif /* SANDBOX_VMA_H */
