// SPDX-License-Identifier: BSD-3-Clause
/* vma.c - the record of the untrusted program's mappings (see vma.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vma.h"

#define PG	4096UL

static bool aligned(uintptr_t x)
{
	return !(x & (PG - 1));
}

int sb_vma_init(struct sb_vmas *m, uintptr_t lo, uintptr_t hi)
{
	memset(m, 0, sizeof(*m));
	if (!aligned(lo) || !aligned(hi) || lo >= hi)
		return -EINVAL;
	m->lo = lo;
	m->hi = hi;
	return 0;
}

void sb_vma_free(struct sb_vmas *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

void sb_vma_clear(struct sb_vmas *m)
{
	m->n = 0;
}

static int reserve(struct sb_vmas *m, size_t n)
{
	struct sb_vma *v;
	size_t cap;

	if (n <= m->cap)
		return 0;
	cap = m->cap ? m->cap * 2 : 64;
	while (cap < n)
		cap *= 2;
	v = realloc(m->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->v = v;
	m->cap = cap;
	return 0;
}

static bool bad_range(const struct sb_vmas *m, uintptr_t start, uintptr_t end)
{
	return !aligned(start) || !aligned(end) || start >= end || start < m->lo || end > m->hi;
}

int sb_vma_remove(struct sb_vmas *m, uintptr_t start, uintptr_t end)
{
	size_t i;

	if (bad_range(m, start, end))
		return -EINVAL;
	if (reserve(m, m->n + 1))
		return -ENOMEM;
	for (i = 0; i < m->n; i++) {
		struct sb_vma *v = &m->v[i];

		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {
			/* Split in two. */
			memmove(&m->v[i + 2], &m->v[i + 1], (m->n - i - 1) * sizeof(*v));
			m->v[i + 1] = (struct sb_vma){ end, v->end, v->prot };
			v->end = start;
			m->n++;
			return 0;
		}
		if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->start = end;
		} else {
			memmove(v, v + 1, (m->n - i - 1) * sizeof(*v));
			m->n--;
			i--;
		}
	}
	return 0;
}

int sb_vma_insert(struct sb_vmas *m, uintptr_t start, uintptr_t end, int prot)
{
	size_t i;
	int r;

	if (bad_range(m, start, end))
		return -EINVAL;
	r = sb_vma_remove(m, start, end);
	if (r)
		return r;
	if (reserve(m, m->n + 1))
		return -ENOMEM;
	for (i = 0; i < m->n && m->v[i].start < start; i++)
		;
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
	m->v[i] = (struct sb_vma){ start, end, prot };
	m->n++;
	/* Merge with the neighbours. */
	if (i + 1 < m->n && m->v[i + 1].start == end && m->v[i + 1].prot == prot) {
		m->v[i].end = m->v[i + 1].end;
		memmove(&m->v[i + 1], &m->v[i + 2], (m->n - i - 2) * sizeof(m->v[0]));
		m->n--;
	}
	if (i > 0 && m->v[i - 1].end == start && m->v[i - 1].prot == prot) {
		m->v[i - 1].end = m->v[i].end;
		memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
		m->n--;
	}
	return 0;
}

const struct sb_vma *sb_vma_find(const struct sb_vmas *m, uintptr_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else if (m->v[mid].start > addr)
			hi = mid;
		else
			return &m->v[mid];
	}
	return NULL;
}

bool sb_vma_covered(const struct sb_vmas *m, uintptr_t start, uintptr_t end)
{
	const struct sb_vma *v;

	while (start < end) {
		v = sb_vma_find(m, start);
		if (!v)
			return false;
		start = v->end;
	}
	return true;
}

bool sb_vma_overlaps(const struct sb_vmas *m, uintptr_t start, uintptr_t end)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].start < end && m->v[i].end > start)
			return true;
	return false;
}

uintptr_t sb_vma_find_free(const struct sb_vmas *m, size_t len, uintptr_t limit)
{
	uintptr_t top, bottom;
	size_t i;

	if (!len || len & (PG - 1) || len > m->hi - m->lo)
		return 0;
	if (limit > m->hi)
		limit = m->hi;
	/* Gaps from the top down: [end of v[i-1], start of v[i]). */
	i = m->n;
	top = limit;
	for (;;) {
		while (i > 0 && m->v[i - 1].start >= top)
			i--;
		bottom = i > 0 ? m->v[i - 1].end : m->lo;
		if (bottom > top)
			bottom = top;
		/* Keep a free page on each side when the gap allows it. */
		if (top - bottom >= len + 2 * PG)
			return top - PG - len;
		if (top - bottom >= len)
			return top - len;
		if (i == 0)
			return 0;
		top = m->v[i - 1].start;
		i--;
	}
}
