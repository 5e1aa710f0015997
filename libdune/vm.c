/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm.c - libdune's page-table manager: the process's own x86-64 4-level
 * page tables (entry format and permission encoding in pte.h).
 *
 * Tables are pages of the page allocator (page.c); a table entry holds the
 * guest-physical address of the next table, and the library reaches a table
 * through dune_pa_to_va().  Leaves map 4 KiB, 2 MiB or 1 GiB.  A 4 KiB leaf
 * with DUNE_PTE_PAGE holds one reference on an allocator page (made by
 * dune_vm_map_pages(), shared by dune_vm_clone(), replaced by a COW copy);
 * every other leaf maps memory that the library does not own (the process's
 * memory, dune_vm_map_phys() ranges) and is never released.  A software bit
 * rather than "is the address an allocator page" decides, because the
 * allocator's own regions are also mapped as the process's memory (by
 * dune_vm_map_self()), and those leaves must not drop references.
 *
 * Locking: one recursive lock for all roots serialises changes (a walk
 * callback, or the page-fault path reached from inside an operation, may
 * call back in).  Entries are read and written with atomic operations, so
 * lookups without create take no lock, and updates of leaves never lose
 * the A/D bits that the CPU sets concurrently (compare-and-swap loops).
 * Intermediate tables are freed only by dune_vm_free(), or when a large
 * mapping replaces a table: unmapping leaves empty tables in place, so a
 * lockless lookup of a neighbouring page never reads a freed table.
 *
 * TLB: changes are gathered (struct gather) and, when the root is the
 * calling thread's current one, flushed once at the end of the operation
 * (or when the gather fills up): one INVLPG when a single leaf changed
 * (INVLPG drops a large page's entries and the paging-structure caches
 * too), else dune_flush_tlb_range().  Pages and tables released by the
 * operation are freed only after that flush.  Splitting a large page needs
 * no flush: the 4 KiB entries translate exactly as the large one did.
 *
 * Nothing here blocks except on the lock and in the allocator's mmap and
 * madvise calls: the code runs in ring 0 with interrupts off too.  It is
 * not async-signal-safe: a signal or interrupt handler that changes page
 * tables while its thread is inside this file re-enters a half-done
 * operation (the page-fault path may, because a fault inside an operation
 * only comes from touching memory not mapped yet, which it then maps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "pte.h"

#define PGSIZE		DUNE_PGSIZE

/* ---- the lock ------------------------------------------------------------
 *
 * Recursive by pthread_self() rather than PTHREAD_MUTEX_RECURSIVE: in the
 * child of fork() the forking thread keeps its pthread_self() (but not its
 * TID, which glibc's recursive mutexes compare), so the pthread_atfork
 * handlers, and anything that runs in the child before them, can use it.
 */
static pthread_mutex_t vm_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_t vm_owner;	/* 0 when free; read racily, only compared with self */
static int vm_depth;		/* owner only */

static void vm_lock(void)
{
	pthread_t self = pthread_self();

	if (__atomic_load_n(&vm_owner, __ATOMIC_RELAXED) == self) {
		vm_depth++;
		return;
	}
	pthread_mutex_lock(&vm_mutex);
	__atomic_store_n(&vm_owner, self, __ATOMIC_RELAXED);
	vm_depth = 1;
}

static void vm_unlock(void)
{
	if (--vm_depth)
		return;
	__atomic_store_n(&vm_owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vm_mutex);
}

/* fork() while another thread changes page tables or allocates pages must
 * not leave the child with a lock held forever: hold both across it.  The
 * order is the nesting order (the allocator is called under vm_lock). */
static void vm_fork_prepare(void)
{
	vm_lock();
	dune_page_fork_prepare();
}

static void vm_fork_parent(void)
{
	dune_page_fork_parent();
	vm_unlock();
}

/* The forking thread holds both locks here; unlocking a default mutex
 * checks no owner, so the child's copy is simply released. */
static void vm_fork_child(void)
{
	dune_page_fork_child();
	vm_unlock();
}

/* Registered at load time, so that these child handlers run before any
 * registered later (by boot.c) that may use the page tables. */
__attribute__((constructor)) static void vm_register_atfork(void)
{
	pthread_atfork(vm_fork_prepare, vm_fork_parent, vm_fork_child);
}

/* ---- entries ------------------------------------------------------------- */

static inline dune_pte_t pte_get(dune_pte_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline dune_pte_t pte_xchg(dune_pte_t *p, dune_pte_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
}

/* On failure *@old gets the current value. */
static inline bool pte_cas(dune_pte_t *p, dune_pte_t *old, dune_pte_t v)
{
	return __atomic_compare_exchange_n(p, old, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* The table a table entry points to. */
static inline dune_pte_t *pte_table(dune_pte_t e)
{
	return dune_pa_to_va(e & DUNE_PTE_ADDR);
}

/* The allocator page a DUNE_PTE_PAGE leaf holds. */
static inline void *pte_page(dune_pte_t e)
{
	return dune_pa_to_va(dune_pte_addr(e, 1));
}

static bool range_ok(uintptr_t va, size_t len)
{
	return !(va & (PGSIZE - 1)) && !(len & (PGSIZE - 1)) && va < DUNE_VA_LIMIT &&
	       len <= DUNE_VA_LIMIT - va;
}

/* Ranges that may be mapped: never page 0, which guards libdune's SYSCALL
 * entry against a ring-3 GS selector (see entry.S). */
static bool map_range_ok(uintptr_t va, size_t len)
{
	return range_ok(va, len) && (!len || va >= PGSIZE);
}

/* ---- gathering TLB flushes and released pages ---------------------------- */

#define GATHER_PAGES	64
#define GATHER_TABLES	8

struct gather {
	dune_pte_t *root;
	uintptr_t start, end;		/* [start, end): translations that changed */
	int nchanged;			/* present leaves (or tables) changed */
	bool range;			/* one INVLPG at start is not enough */
	int npages, ntables;
	void *pages[GATHER_PAGES];	/* references to drop */
	struct {
		dune_pte_t *table;
		int level;
	} tables[GATHER_TABLES];	/* detached subtrees to free */
};

static void free_tree(dune_pte_t *table, int level);

static void gather_init(struct gather *g, dune_pte_t *root)
{
	g->root = root;
	g->start = g->end = 0;
	g->nchanged = 0;
	g->range = false;
	g->npages = g->ntables = 0;
}

static void gather_flush(struct gather *g)
{
	int i;

	if (g->nchanged && g->root == dune_current_root()) {
		if (g->nchanged == 1 && !g->range)
			dune_flush_tlb_one((void *)g->start);
		else
			dune_flush_tlb_range((void *)g->start, g->end - g->start);
	}
	g->nchanged = 0;
	g->range = false;
	for (i = 0; i < g->ntables; i++)
		free_tree(g->tables[i].table, g->tables[i].level);
	for (i = 0; i < g->npages; i++)
		dune_page_put(g->pages[i]);
	g->npages = g->ntables = 0;
}

/* A present entry mapping [va, va+size) changed; @one: a single INVLPG of
 * va covers it (a leaf; not a table, whose 4 KiB entries may be cached). */
static void gather_changed(struct gather *g, uintptr_t va, uint64_t size, bool one)
{
	if (!g->nchanged) {
		g->start = va;
		g->end = va + size;
	} else {
		if (va < g->start)
			g->start = va;
		if (va + size > g->end)
			g->end = va + size;
	}
	g->nchanged++;
	if (!one)
		g->range = true;
}

static void gather_page(struct gather *g, void *page)
{
	if (g->npages == GATHER_PAGES)
		gather_flush(g);
	g->pages[g->npages++] = page;
}

static void gather_table(struct gather *g, dune_pte_t *table, int level)
{
	if (g->ntables == GATHER_TABLES)
		gather_flush(g);
	g->tables[g->ntables].table = table;
	g->tables[g->ntables].level = level;
	g->ntables++;
}

/* @old was just replaced at @level for @va: flush it, release what it held. */
static void release_old(struct gather *g, dune_pte_t old, uintptr_t va, int level)
{
	if (!dune_pte_mapped(old))
		return;
	if (dune_pte_is_leaf(old, level)) {
		if (old & DUNE_PTE_P)
			gather_changed(g, va, dune_pt_level_size(level), true);
		if (old & DUNE_PTE_PAGE)
			gather_page(g, pte_page(old));
	} else {
		gather_changed(g, va, dune_pt_level_size(level), false);
		if (pte_table(old))
			gather_table(g, pte_table(old), level - 1);
	}
}

/* Free a table at @level, its subtables, and the references its leaves hold. */
static void free_tree(dune_pte_t *table, int level)
{
	int i;

	for (i = 0; i < DUNE_PT_ENTRIES; i++) {
		dune_pte_t e = table[i];

		if (!dune_pte_mapped(e))
			continue;
		if (dune_pte_is_leaf(e, level)) {
			if (e & DUNE_PTE_PAGE)
				dune_page_put(pte_page(e));
		} else if (pte_table(e)) {
			free_tree(pte_table(e), level - 1);
		}
	}
	dune_page_put(table);
}

/* ---- tables -------------------------------------------------------------- */

/* A zeroed table page and its guest-physical address. */
static dune_pte_t *alloc_table(uint64_t *pa)
{
	dune_pte_t *t = dune_page_alloc();

	if (!t)
		return NULL;
	*pa = dune_va_to_pa(t);
	if (*pa == (uint64_t)-1) {
		/* Outside the layout: unusable as a table (a broken setup). */
		dune_page_put(t);
		return NULL;
	}
	return t;
}

/* Link a new empty table at *@p, which holds the empty entry @old. */
static int install_table(dune_pte_t *p, dune_pte_t old)
{
	uint64_t pa;
	dune_pte_t *t = alloc_table(&pa);

	if (!t)
		return -ENOMEM;
	/* Filled meanwhile: a nested call (the page-fault path) did it. */
	if (!pte_cas(p, &old, pa | DUNE_PTE_TABLE))
		dune_page_put(t);
	return 0;
}

/*
 * Replace the large leaf at *@p (@level 2 or 3) with a table of 512 leaves
 * one level down with the same bits and consecutive addresses.  The CAS
 * keeps A/D bits that the CPU sets meanwhile.
 */
static int split_leaf(dune_pte_t *p, int level)
{
	uint64_t step = dune_pt_level_size(level - 1), pa, tpa;
	dune_pte_t old, flags, *t = alloc_table(&tpa);
	int i;

	if (!t)
		return -ENOMEM;
	old = pte_get(p);
	do {
		if (!dune_pte_mapped(old) || !dune_pte_is_leaf(old, level)) {
			dune_page_put(t);	/* changed by a nested call */
			return 0;
		}
		pa = dune_pte_addr(old, level);
		flags = old & DUNE_PTE_FLAGS & ~DUNE_PTE_PS;
		if (level - 1 > 1) {
			flags |= DUNE_PTE_PS | (old & DUNE_PTE_PAT_LARGE);
		} else if (old & DUNE_PTE_PAT_LARGE) {
			flags |= DUNE_PTE_PS;	/* bit 7 is the PAT bit of a 4 KiB entry */
		}
		for (i = 0; i < DUNE_PT_ENTRIES; i++)
			t[i] = (pa + i * step) | flags;
	} while (!pte_cas(p, &old, tpa | DUNE_PTE_TABLE));
	return 0;
}

/*
 * The entry for @va at @level, creating missing tables above it and
 * splitting larger leaves in the way.  Under vm_lock.
 */
static int descend_create(dune_pte_t *root, uintptr_t va, int target, dune_pte_t **out)
{
	dune_pte_t *t = root, *p, e;
	int level, ret;

	for (level = DUNE_PT_LEVELS; level > target; level--) {
		p = &t[dune_pt_index(va, level)];
		for (;;) {
			e = pte_get(p);
			if (dune_pte_mapped(e) && !dune_pte_is_leaf(e, level))
				break;
			ret = dune_pte_mapped(e) ? split_leaf(p, level) : install_table(p, e);
			if (ret)
				return ret;
		}
		t = pte_table(e);
		if (!t)
			return -EFAULT;
	}
	*out = &t[dune_pt_index(va, target)];
	return 0;
}

/* The mapped leaf for @va, without locks or changes. */
static int lookup_leaf(dune_pte_t *root, uintptr_t va, dune_pte_t **out, int *level_out)
{
	dune_pte_t *t = root, *p, e;
	int level;

	for (level = DUNE_PT_LEVELS; level >= 1; level--) {
		p = &t[dune_pt_index(va, level)];
		e = pte_get(p);
		if (!dune_pte_mapped(e))
			return -ENOENT;
		if (dune_pte_is_leaf(e, level)) {
			*out = p;
			*level_out = level;
			return 0;
		}
		t = pte_table(e);
		if (!t)
			return -ENOENT;
	}
	return -ENOENT;
}

/* ---- walking a range ----------------------------------------------------- */

#define WALK_CREATE	0x1	/* every 4 KiB entry, creating tables, splitting */
#define WALK_SPLIT	0x2	/* split large leaves that the range covers partly */

struct walk {
	unsigned int flags;
	int (*fn)(struct walk *w, dune_pte_t *p, uintptr_t va, int level);
	struct gather *g;
	int perm;			/* mprotect */
	dune_page_walk_cb cb;		/* dune_vm_page_walk */
	const void *arg;
};

/*
 * Call w->fn for the leaves of @table (at @level, mapping from @base) that
 * intersect [first, last] (inclusive), in address order.
 */
static int walk_range(struct walk *w, dune_pte_t *table, int level, uintptr_t base,
		      uintptr_t first, uintptr_t last)
{
	uint64_t size = dune_pt_level_size(level);
	unsigned int i, i0 = dune_pt_index(first, level), i1 = dune_pt_index(last, level);
	int ret;

	for (i = i0; i <= i1; i++) {
		uintptr_t va = base + i * size;
		uintptr_t lo = first > va ? first : va;
		uintptr_t hi = last < va + size - 1 ? last : va + size - 1;
		dune_pte_t *p = &table[i], e;
		bool whole;

retry:
		e = pte_get(p);
		if (!dune_pte_mapped(e)) {
			if (!(w->flags & WALK_CREATE))
				continue;
			if (level == 1) {
				ret = w->fn(w, p, va, level);
				if (ret)
					return ret;
				continue;
			}
			ret = install_table(p, e);
			if (ret)
				return ret;
			goto retry;
		}
		if (dune_pte_is_leaf(e, level)) {
			whole = lo == va && hi == va + size - 1;
			if (level == 1 || (!(w->flags & WALK_CREATE) &&
					   (whole || !(w->flags & WALK_SPLIT)))) {
				ret = w->fn(w, p, va, level);
				if (ret)
					return ret;
				continue;
			}
			ret = split_leaf(p, level);
			if (ret)
				return ret;
			goto retry;
		}
		if (!pte_table(e))
			continue;
		ret = walk_range(w, pte_table(e), level - 1, va, lo, hi);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- public API ---------------------------------------------------------- */

dune_pte_t *dune_vm_new_root(void)
{
	return dune_page_alloc();
}

int dune_vm_lookup(dune_pte_t *root, const void *va, bool create, dune_pte_t **pte_out,
		   int *level_out)
{
	uintptr_t a = (uintptr_t)va;
	dune_pte_t *p;
	int level = 1, ret;

	if (!root || !pte_out || a >= DUNE_VA_LIMIT)
		return -EINVAL;
	if (create) {
		vm_lock();
		ret = descend_create(root, a, 1, &p);
		vm_unlock();
	} else {
		ret = lookup_leaf(root, a, &p, &level);
	}
	if (ret)
		return ret;
	*pte_out = p;
	if (level_out)
		*level_out = level;
	return 0;
}

/* Can a leaf at @level map va (to pa) with [va, end) left to map?  @self:
 * pa moves with va only inside a window, so check the leaf's last byte. */
static bool leaf_fits(uintptr_t va, uint64_t pa, uintptr_t end, int level, bool self)
{
	uint64_t size = dune_pt_level_size(level);

	if ((va & (size - 1)) || (pa & (size - 1)) || end - va < size)
		return false;
	return !self || dune_va_to_pa((void *)(va + size - 1)) == pa + size - 1;
}

/* Map [va, va+len) to pa (or, with @self, to dune_va_to_pa(va)).  Under vm_lock. */
static int map_locked(dune_pte_t *root, uintptr_t va, size_t len, uint64_t pa, int perm,
		      bool self)
{
	uintptr_t end = va + len;
	struct gather g;
	dune_pte_t *p, old;
	int level, ret = 0;

	gather_init(&g, root);
	while (va < end) {
		if (self) {
			pa = dune_va_to_pa((void *)va);
			if (pa == (uint64_t)-1) {
				ret = -EINVAL;
				break;
			}
		}
		level = 1;
		if ((perm & DUNE_PERM_BIG_1GB) && leaf_fits(va, pa, end, 3, self))
			level = 3;
		else if ((perm & (DUNE_PERM_BIG | DUNE_PERM_BIG_1GB)) &&
			 leaf_fits(va, pa, end, 2, self))
			level = 2;
		ret = descend_create(root, va, level, &p);
		if (ret)
			break;
		old = pte_xchg(p, pa | dune_perm_to_pte(perm, level));
		release_old(&g, old, va, level);
		va += dune_pt_level_size(level);
		pa += dune_pt_level_size(level);
	}
	gather_flush(&g);
	return ret;
}

int dune_vm_map_phys(dune_pte_t *root, void *va, size_t len, uint64_t pa, int perm)
{
	int ret;

	if (!root || !map_range_ok((uintptr_t)va, len) || (pa & (PGSIZE - 1)) ||
	    pa > DUNE_PTE_ADDR + PGSIZE - len || !dune_perm_valid(perm))
		return -EINVAL;
	if (!len)
		return 0;
	vm_lock();
	ret = map_locked(root, (uintptr_t)va, len, pa, perm, false);
	vm_unlock();
	return ret;
}

int dune_vm_map_self(dune_pte_t *root, uintptr_t va, size_t len, bool use_1g)
{
	int perm = DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_X | DUNE_PERM_BIG;
	uint64_t pa;
	int ret;

	if (!root || !map_range_ok(va, len))
		return -EINVAL;
	if (!len)
		return 0;
	/* The whole range inside one window: refuse before changing anything. */
	pa = dune_va_to_pa((void *)va);
	if (pa == (uint64_t)-1 || dune_va_to_pa((void *)(va + len - 1)) != pa + len - 1)
		return -EINVAL;
	if (use_1g)
		perm |= DUNE_PERM_BIG_1GB;
	vm_lock();
	ret = map_locked(root, va, len, 0, perm, true);
	vm_unlock();
	return ret;
}

int dune_vm_map_pages(dune_pte_t *root, void *va, size_t len, int perm)
{
	uintptr_t a = (uintptr_t)va, end = a + len;
	struct gather g;
	dune_pte_t *p, old;
	uint64_t pa;
	void *page;
	int ret = 0;

	if (!root || !map_range_ok(a, len) || !dune_perm_valid(perm))
		return -EINVAL;
	perm &= ~(DUNE_PERM_BIG | DUNE_PERM_BIG_1GB);
	vm_lock();
	gather_init(&g, root);
	for (; a < end; a += PGSIZE) {
		/* Tables first: a failure then leaks no page. */
		ret = descend_create(root, a, 1, &p);
		if (ret)
			break;
		page = dune_page_alloc();
		if (!page) {
			ret = -ENOMEM;
			break;
		}
		pa = dune_va_to_pa(page);
		if (pa == (uint64_t)-1) {
			dune_page_put(page);
			ret = -ENOMEM;
			break;
		}
		old = pte_xchg(p, pa | dune_perm_to_pte(perm, 1) | DUNE_PTE_PAGE);
		release_old(&g, old, a, 1);
	}
	gather_flush(&g);
	vm_unlock();
	return ret;
}

static int mprotect_leaf(struct walk *w, dune_pte_t *p, uintptr_t va, int level)
{
	/* Kept: the address (with a large page's PAT bit), A/D, G, bit 7 (PS,
	 * or a 4 KiB entry's PAT bit) and the page reference. */
	const dune_pte_t keep = DUNE_PTE_ADDR | DUNE_PTE_A | DUNE_PTE_D | DUNE_PTE_G |
				DUNE_PTE_PS | DUNE_PTE_PAGE;
	dune_pte_t old = pte_get(p), new;
	int perm;

	do {
		perm = w->perm;
		/* A page shared with another root stays copy-on-write. */
		if ((old & DUNE_PTE_PAGE) && (perm & DUNE_PERM_W) && !(perm & DUNE_PERM_COW) &&
		    dune_page_refcount(pte_page(old)) > 1)
			perm |= DUNE_PERM_COW;
		new = (old & keep) | dune_perm_to_pte(perm, level);
	} while (old != new && !pte_cas(p, &old, new));
	if ((old & DUNE_PTE_P) && old != new)
		gather_changed(w->g, va, dune_pt_level_size(level), true);
	return 0;
}

int dune_vm_mprotect(dune_pte_t *root, void *va, size_t len, int perm)
{
	struct gather g;
	struct walk w = { .flags = WALK_SPLIT, .fn = mprotect_leaf, .g = &g };
	int ret;

	if (!root || !range_ok((uintptr_t)va, len) || !dune_perm_valid(perm))
		return -EINVAL;
	if (!len)
		return 0;
	w.perm = perm & ~(DUNE_PERM_BIG | DUNE_PERM_BIG_1GB);
	vm_lock();
	gather_init(&g, root);
	ret = walk_range(&w, root, DUNE_PT_LEVELS, 0, (uintptr_t)va, (uintptr_t)va + len - 1);
	gather_flush(&g);
	vm_unlock();
	return ret;
}

static int unmap_leaf(struct walk *w, dune_pte_t *p, uintptr_t va, int level)
{
	release_old(w->g, pte_xchg(p, 0), va, level);
	return 0;
}

int dune_vm_unmap(dune_pte_t *root, void *va, size_t len)
{
	struct gather g;
	struct walk w = { .flags = WALK_SPLIT, .fn = unmap_leaf, .g = &g };
	int ret;

	if (!root || !range_ok((uintptr_t)va, len))
		return -EINVAL;
	if (!len)
		return 0;
	vm_lock();
	gather_init(&g, root);
	ret = walk_range(&w, root, DUNE_PT_LEVELS, 0, (uintptr_t)va, (uintptr_t)va + len - 1);
	gather_flush(&g);
	vm_unlock();
	return ret;
}

static int walk_user(struct walk *w, dune_pte_t *p, uintptr_t va, int level)
{
	return w->cb(w->arg, p, (void *)va, level);
}

int dune_vm_page_walk(dune_pte_t *root, void *start, void *end, dune_page_walk_cb cb,
		      const void *arg, bool create)
{
	uintptr_t first = (uintptr_t)start & ~(PGSIZE - 1), last = (uintptr_t)end;
	struct walk w = { .flags = create ? WALK_CREATE : 0, .fn = walk_user, .cb = cb, .arg = arg };
	int ret;

	if (!root || !cb || first >= DUNE_VA_LIMIT || last < (uintptr_t)start)
		return -EINVAL;
	/* Only the lower half is ever mapped: (void *)-1 means "to the end". */
	if (last >= DUNE_VA_LIMIT)
		last = DUNE_VA_LIMIT - 1;
	vm_lock();
	ret = walk_range(&w, root, DUNE_PT_LEVELS, 0, first, last);
	vm_unlock();
	return ret;
}

/* Copy the table @src (at @level, mapping from @base) into the empty @dst. */
static int clone_table(struct gather *g, dune_pte_t *src, dune_pte_t *dst, int level,
		       uintptr_t base)
{
	uint64_t size = dune_pt_level_size(level), tpa;
	dune_pte_t e, ne, *t;
	int i, ret;

	for (i = 0; i < DUNE_PT_ENTRIES; i++) {
		uintptr_t va = base + i * size;

		if (level == DUNE_PT_LEVELS && i >= DUNE_PT_ENTRIES / 2)
			va |= 0xffff000000000000ULL;	/* canonical upper half */
		e = pte_get(&src[i]);
		if (!dune_pte_mapped(e))
			continue;
		if (!dune_pte_is_leaf(e, level)) {
			if (!pte_table(e))
				continue;
			t = alloc_table(&tpa);
			if (!t)
				return -ENOMEM;
			/* Linked first, so that dune_vm_free() of a partial
			 * copy finds everything. */
			dst[i] = tpa | (e & DUNE_PTE_FLAGS);
			ret = clone_table(g, pte_table(e), t, level - 1, va);
			if (ret)
				return ret;
			continue;
		}
		if (e & DUNE_PTE_PAGE) {
			dune_page_get(pte_page(e));
			/* Writable and now shared: copy-on-write in both roots. */
			while (e & DUNE_PTE_W) {
				ne = (e & ~DUNE_PTE_W) | DUNE_PTE_COW;
				if (pte_cas(&src[i], &e, ne)) {
					gather_changed(g, va, size, true);
					e = ne;
				}
			}
		}
		dst[i] = e;
	}
	return 0;
}

dune_pte_t *dune_vm_clone(dune_pte_t *root)
{
	struct gather g;
	dune_pte_t *copy;
	int ret;

	if (!root)
		return NULL;
	copy = dune_vm_new_root();
	if (!copy)
		return NULL;
	vm_lock();
	gather_init(&g, root);
	ret = clone_table(&g, root, copy, DUNE_PT_LEVELS, 0);
	gather_flush(&g);
	vm_unlock();
	if (ret) {
		dune_vm_free(copy);
		return NULL;
	}
	return copy;
}

void dune_vm_free(dune_pte_t *root)
{
	/* Never the tables the calling thread runs on. */
	if (!root || root == dune_current_root())
		return;
	vm_lock();
	free_tree(root, DUNE_PT_LEVELS);
	vm_unlock();
}

/* Does leaf @e allow the access described by the page-fault error code? */
static bool pte_allows(dune_pte_t e, uint64_t fec)
{
	if (!(e & DUNE_PTE_P))
		return false;
	if ((fec & DUNE_PF_W) && !(e & DUNE_PTE_W))
		return false;
	if ((fec & DUNE_PF_U) && !(e & DUNE_PTE_U))
		return false;
	if ((fec & DUNE_PF_I) && (e & DUNE_PTE_NX))
		return false;
	return true;
}

/* Make the COW 4 KiB leaf at *@p writable: take the page over when this
 * entry holds its only reference, else copy it into a new page. */
static int cow_break(struct gather *g, dune_pte_t *p, uintptr_t va)
{
	dune_pte_t old = pte_get(p), new;
	void *src = pte_page(old), *page;
	uint64_t pa;

	if ((old & DUNE_PTE_PAGE) && dune_page_refcount(src) == 1) {
		do {
			new = (old & ~DUNE_PTE_COW) | DUNE_PTE_W;
		} while (!pte_cas(p, &old, new));
		gather_changed(g, va, PGSIZE, true);
		return 0;
	}
	if (!src)
		return -EFAULT;
	page = dune_page_alloc();
	if (!page)
		return -ENOMEM;
	pa = dune_va_to_pa(page);
	if (pa == (uint64_t)-1) {
		dune_page_put(page);
		return -ENOMEM;
	}
	memcpy(page, src, PGSIZE);
	new = pa | (old & DUNE_PTE_FLAGS & ~DUNE_PTE_COW) | DUNE_PTE_W | DUNE_PTE_PAGE;
	release_old(g, pte_xchg(p, new), va, 1);
	return 0;
}

int dune_vm_default_pgflt_handler(dune_pte_t *root, uintptr_t addr, uint64_t fec)
{
	uintptr_t va = addr & ~(PGSIZE - 1);
	struct gather g;
	dune_pte_t *p, e;
	int level, ret;

	if (!root || addr >= DUNE_VA_LIMIT)
		return -EFAULT;
	vm_lock();
	gather_init(&g, root);
	ret = lookup_leaf(root, va, &p, &level);
	if (ret) {
		ret = -EFAULT;
		goto out;
	}
	e = pte_get(p);
	if (!(e & DUNE_PTE_P)) {
		ret = -EFAULT;
	} else if (!(e & DUNE_PTE_COW)) {
		/* Already allowed (another thread broke the COW, or a stale
		 * TLB entry): flush this thread's entry and retry the access. */
		if (pte_allows(e, fec))
			gather_changed(&g, va, PGSIZE, true);
		else
			ret = -EFAULT;
	} else {
		/* A COW large page: copy only the 4 KiB page written. */
		if (level > 1)
			ret = descend_create(root, va, 1, &p);
		if (!ret)
			ret = cow_break(&g, p, va);
	}
out:
	gather_flush(&g);
	vm_unlock();
	return ret;
}

int dune_vm_get_ad(dune_pte_t *root, const void *va)
{
	dune_pte_t *p;
	int level, ret;

	if (!root || (uintptr_t)va >= DUNE_VA_LIMIT)
		return -EINVAL;
	ret = lookup_leaf(root, (uintptr_t)va, &p, &level);
	if (ret)
		return ret;
	return (int)(pte_get(p) & (DUNE_PTE_A | DUNE_PTE_D));
}

int dune_vm_clear_ad(dune_pte_t *root, const void *va, uint64_t mask)
{
	dune_pte_t *p, old;
	int level, ret;

	if (!root || (uintptr_t)va >= DUNE_VA_LIMIT)
		return -EINVAL;
	ret = lookup_leaf(root, (uintptr_t)va, &p, &level);
	if (ret)
		return ret;
	old = __atomic_fetch_and(p, ~(mask & (DUNE_PTE_A | DUNE_PTE_D)), __ATOMIC_ACQ_REL);
	/* Without the flush the CPU would not set the bits again: it sets
	 * them only when it loads the entry into the TLB. */
	if ((old & DUNE_PTE_P) && root == dune_current_root())
		dune_flush_tlb_one(va);
	return 0;
}
