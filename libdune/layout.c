// SPDX-License-Identifier: BSD-3-Clause
/*
 * layout.c - virtual <-> guest-physical translation through the windows of
 * the module's layout (struct dune_layout in include/uapi/dune.h): an
 * address va inside a window has  gpa = va - hva_base + gpa_base.
 *
 * The windows are set once by dune_init() (before any thread is in Dune
 * mode) and read without locks afterwards.
 */
#include <string.h>

#include "internal.h"

static struct dune_layout layout;
static int identity;		/* host-side unit tests: gpa == va */

void dune_layout_set(const struct dune_layout *l)
{
	layout = *l;
	identity = 0;
}

void dune_layout_set_identity(void)
{
	memset(&layout, 0, sizeof(layout));
	identity = 1;
}

const struct dune_layout *dune_layout_get(void)
{
	return &layout;
}

uint64_t dune_va_to_pa(const void *p)
{
	uint64_t va = (uintptr_t)p;
	int i;

	if (identity)
		return va < (1ULL << 47) ? va : (uint64_t)-1;
	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		const struct dune_window *w = &layout.windows[i];

		if (w->size && va >= w->hva_base && va - w->hva_base < w->size)
			return va - w->hva_base + w->gpa_base;
	}
	return (uint64_t)-1;
}

void *dune_pa_to_va(uint64_t pa)
{
	int i;

	if (identity)
		return pa < (1ULL << 47) ? (void *)(uintptr_t)pa : NULL;
	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		const struct dune_window *w = &layout.windows[i];

		if (w->size && pa >= w->gpa_base && pa - w->gpa_base < w->size)
			return (void *)(uintptr_t)(pa - w->gpa_base + w->hva_base);
	}
	return NULL;
}
