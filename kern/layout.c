// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-physical windows (see struct dune_layout in include/uapi/dune.h).
 *
 * The guest-physical space of P = 2^bits bytes is split in fixed fractions:
 *
 *   gpa 0        P/8          P/4                     7P/8          P
 *       | LOW    | EXEC       |  MMAP (5P/8)           | STACK (P/8) |
 *
 * and each window maps a 1 GiB aligned range of the process's virtual
 * space.  The virtual ranges are placed by priority: the stack window ends at
 * the top of the stack VMA; the mmap window ends where the mmap area starts
 * growing (or begins there, for the legacy bottom-up layout); the low window
 * is the identity map of the bottom of the address space (non-PIE programs,
 * fixed low mappings); the exec window starts at a PIE executable.  A
 * lower-priority window is clipped where it would overlap a higher one, and
 * dropped (size 0) if nothing is left: the addresses it would cover are then
 * reachable through another window.
 *
 * The width of 36 bits is the smallest this works for; the original Dune
 * broke there (its fixed-size windows left nothing for low memory).
 */
#include "layout.h"

#define G DUNE_WINDOW_ALIGN

static u64 round_down_g(u64 x) { return x & ~(G - 1); }
static u64 round_up_g(u64 x) { return (x + G - 1) & ~(G - 1); }
static u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }

/*
 * Shrink the virtual range [*lo, *hi) until it overlaps none of the windows
 * placed so far.  A top-anchored range gives up its bottom part first, a
 * bottom-anchored one its top part.
 */
static void clip(const struct dune_layout *l, u64 *lo, u64 *hi, bool keep_top)
{
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < DUNE_MAX_WINDOWS && *lo < *hi; i++) {
			const struct dune_window *w = &l->windows[i];
			u64 ws = w->hva_base, we = w->hva_base + w->size;

			if (!w->size || we <= *lo || ws >= *hi)
				continue;
			if (keep_top ? we < *hi : ws <= *lo)
				*lo = we;
			else
				*hi = ws;
		}
	}
	if (*lo > *hi)
		*lo = *hi;
}

/*
 * Place window @kind over the virtual range [lo, hi), clipped against the
 * windows already placed, inside its fixed guest-physical slot
 * [slot, slot + hi - lo): at the slot's top when @keep_top.
 */
static void place(struct dune_layout *l, u32 kind, u64 slot, u64 lo, u64 hi, bool keep_top)
{
	struct dune_window *w = &l->windows[kind];
	u64 slot_size = hi - lo;

	clip(l, &lo, &hi, keep_top);
	w->kind = kind;
	w->reserved = 0;
	w->size = hi - lo;
	w->hva_base = w->size ? lo : 0;
	w->gpa_base = w->size ? (keep_top ? slot + slot_size - w->size : slot) : 0;
}

int dune_layout_compute(const struct dune_layout_input *in, struct dune_layout *out)
{
	u32 bits = in->phys_addr_bits, i;
	u64 P, top, lo, vlimit;

	if (bits < DUNE_LAYOUT_MIN_BITS)
		return -1;
	if (bits > DUNE_LAYOUT_MAX_BITS)
		bits = DUNE_LAYOUT_MAX_BITS;
	if (!in->task_size || in->stack_top > in->task_size ||
	    in->mmap_base > in->task_size || in->start_code >= in->task_size)
		return -1;

	P = 1ULL << bits;
	vlimit = round_up_g(in->task_size);
	out->flags = 0;
	out->phys_addr_bits = in->phys_addr_bits;
	out->guest_phys_bits = bits;
	out->guest_phys_limit = P;
	out->nr_windows = DUNE_MAX_WINDOWS;
	out->reserved = 0;
	for (i = 0; i < DUNE_MAX_WINDOWS; i++)
		out->windows[i] = (struct dune_window){ .kind = i };

	/* Stack: ends at the top of the stack VMA. */
	top = round_up_g(in->stack_top);
	place(out, DUNE_WINDOW_STACK, P / 8 * 7, top - min_u64(top, P / 8), top, true);

	/* Mmap area: where it starts growing, down (or up, for the legacy layout). */
	if (in->mmap_bottom_up) {
		lo = round_down_g(in->mmap_base);
		place(out, DUNE_WINDOW_MMAP, P / 4, lo, min_u64(lo + P / 8 * 5, vlimit), false);
	} else {
		top = round_up_g(in->mmap_base);
		place(out, DUNE_WINDOW_MMAP, P / 4, top - min_u64(top, P / 8 * 5), top, true);
	}

	/* Low: the identity map of the bottom of the address space. */
	place(out, DUNE_WINDOW_LOW, 0, 0, P / 8, false);

	/* Executable and brk heap: up from the code (absent when it is low). */
	lo = round_down_g(in->start_code);
	place(out, DUNE_WINDOW_EXEC, P / 8, lo, min_u64(lo + P / 8, vlimit), false);
	return 0;
}

static bool in_range(u64 x, u64 base, u64 size)
{
	return size && x >= base && x - base < size;
}

const struct dune_window *dune_layout_find_va(const struct dune_layout *l, u64 va)
{
	u32 i;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++)
		if (in_range(va, l->windows[i].hva_base, l->windows[i].size))
			return &l->windows[i];
	return NULL;
}

const struct dune_window *dune_layout_find_gpa(const struct dune_layout *l, u64 gpa)
{
	u32 i;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++)
		if (in_range(gpa, l->windows[i].gpa_base, l->windows[i].size))
			return &l->windows[i];
	return NULL;
}
