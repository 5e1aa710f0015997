/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * page.c - libdune's page allocator: 4 KiB pages of the process's own
 * memory, for page tables and for dune_vm_map_pages(), each with a
 * reference count.
 *
 * Pages are carved from large anonymous regions (1 GiB, MAP_NORESERVE, so
 * only touched pages cost memory), aligned to 1 GiB so that the boot code
 * can map a region with one large page.  A region starts with its metadata
 * (one struct page_meta per page of the region), then the pages:
 *
 *   base                 data                                       end
 *   +--------------------+------------------------------------------+
 *   | page_meta[npages]  | pages: never used (bump) / in use / free |
 *   +--------------------+------------------------------------------+
 *
 * Keeping the metadata inside the region means that the allocator touches
 * no memory besides its regions and its static variables: once a region
 * is mapped in Dune mode, nothing here can fault.
 *
 * A page is in one of four states:
 *   never used   above the region's bump index; zero (fresh mmap memory)
 *   in use       ref >= 1
 *   cached       ref 0, on the cache stack (at most CACHE_MAX pages);
 *                dirty, so it is cleared again when handed out
 *   released     ref 0, on the region's released list (linked through
 *                page_meta.next); returned to the host with MADV_DONTNEED,
 *                which also makes it read as zero, so no memset is needed
 *
 * Allocation order: cache (warm pages), released pages, never-used pages,
 * and only then a new region.  A new region is reserved before the old ones
 * run dry (when fewer than grow_reserve() pages are left), because mapping
 * it in Dune mode (the hook that boot.c sets) needs page-table pages, which
 * must come from regions that are already mapped.
 *
 * Locking: one pthread mutex over the free lists and counters; reference
 * counts are atomic, so dune_page_get() and dune_page_put() take the lock
 * only when a page is freed.  The lock is never held across a system call
 * (mmap, madvise) or a memset.  The allocator is not async-signal-safe:
 * call it from a signal handler or from an exception handler that may have
 * interrupted it, and it can deadlock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define PGSIZE			4096UL
#define REGION_SIZE_DEFAULT	(1UL << 30)
#define REGION_ALIGN_MAX	(1UL << 30)
#define MAX_REGIONS		64
#define CACHE_MAX		256	/* free pages kept before returning memory */
#define GROW_RESERVE_MAX	1024	/* pages left when the next region is reserved */

struct page_meta {
	uint32_t ref;		/* references; 0: not in use */
	uint32_t next;		/* released list: index + 1 of the next page, 0 ends */
};

struct region {
	uintptr_t base;		/* start (the metadata), aligned */
	uintptr_t data;		/* first page handed out */
	uintptr_t end;
	struct page_meta *meta;	/* indexed by (page - base) / PGSIZE */
	size_t bump;		/* index of the first never-used page */
	size_t npages;		/* pages in the region, metadata included */
	uint32_t released;	/* head of the released list (index + 1), 0: empty */
};

static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * regions[0..nregions) never change once published (nregions is stored
 * with release semantics after the entry is filled), so lookups by address
 * need no lock; bump and released are protected by page_lock.
 */
static struct region regions[MAX_REGIONS];
static int nregions;

static void *cache[CACHE_MAX];		/* under page_lock */
static int ncache;
static size_t nin_use;			/* pages with ref >= 1 */
static size_t navail;			/* cached + released + never used */
static long fail_after = -1;		/* tests: allocations left before failing */
static size_t region_size = REGION_SIZE_DEFAULT;
static int (*region_hook)(void *base, size_t len);
static int growing;			/* one thread reserves a region at a time */

static struct region *find_region(uintptr_t p)
{
	int i, n = __atomic_load_n(&nregions, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++) {
		struct region *r = &regions[i];

		if (p >= r->data && p < r->end)
			return r;
	}
	return NULL;
}

static struct page_meta *page_meta(struct region *r, uintptr_t p)
{
	return &r->meta[(p - r->base) / PGSIZE];
}

/* Pages left when the next region is reserved: a quarter of a region, at
 * most GROW_RESERVE_MAX (enough page tables to map the next one). */
static size_t grow_reserve(void)
{
	size_t n = region_size / PGSIZE / 4;

	return n < GROW_RESERVE_MAX ? n : GROW_RESERVE_MAX;
}

/* Anonymous memory of @size bytes, aligned to min(@size, 1 GiB) (both
 * powers of two times 2 MiB): over-reserve, then trim the two ends. */
static void *reserve_aligned(size_t size)
{
	size_t align = size < REGION_ALIGN_MAX ? size : REGION_ALIGN_MAX;
	size_t len = size + align;
	uintptr_t p, a;
	void *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = (uintptr_t)m;
	a = (p + align - 1) & ~(align - 1);
	if (a > p)
		munmap(m, a - p);
	if (p + len > a + size)
		munmap((void *)(a + size), p + len - (a + size));
	return (void *)a;
}

/*
 * Reserve and publish one more region.  Only one thread grows at a time;
 * another one gets -EBUSY.  The hook (mapping the region in Dune mode) runs
 * before the region is published, so that the page tables it allocates
 * come from the regions that are already mapped.  The first region is not
 * passed to the hook: it is reserved by the very first allocation, which
 * comes before dune_init() builds (and maps) anything.
 */
static int grow(void)
{
	struct region *r;
	size_t size, meta_pages, npages;
	int (*hook)(void *, size_t);
	void *base;
	int n, ret = 0;

	if (__atomic_exchange_n(&growing, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	pthread_mutex_lock(&page_lock);
	size = region_size;
	hook = region_hook;
	n = nregions;
	pthread_mutex_unlock(&page_lock);
	if (n == MAX_REGIONS) {
		ret = -ENOMEM;
		goto out;
	}
	base = reserve_aligned(size);
	if (!base) {
		ret = -ENOMEM;
		goto out;
	}
	npages = size / PGSIZE;
	meta_pages = (npages * sizeof(struct page_meta) + PGSIZE - 1) / PGSIZE;
	if (hook && n > 0) {
		ret = hook(base, size);
		if (ret) {
			munmap(base, size);
			goto out;
		}
	}

	pthread_mutex_lock(&page_lock);
	r = &regions[n];
	r->base = (uintptr_t)base;
	r->data = r->base + meta_pages * PGSIZE;
	r->end = r->base + size;
	r->meta = base;
	r->bump = meta_pages;
	r->npages = npages;
	r->released = 0;
	navail += npages - meta_pages;
	__atomic_store_n(&nregions, n + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&page_lock);
out:
	__atomic_store_n(&growing, 0, __ATOMIC_RELEASE);
	return ret;
}

/* A free page, or NULL; *@zero tells whether it is known to be zero. */
static void *take_locked(bool *zero)
{
	int i, n = nregions;

	if (ncache) {
		*zero = false;
		navail--;
		return cache[--ncache];
	}
	for (i = 0; i < n; i++) {
		struct region *r = &regions[i];

		if (r->released) {
			uint32_t idx = r->released - 1;

			r->released = r->meta[idx].next;
			r->meta[idx].next = 0;
			*zero = true;
			navail--;
			return (void *)(r->base + idx * PGSIZE);
		}
	}
	for (i = 0; i < n; i++) {
		struct region *r = &regions[i];

		if (r->bump < r->npages) {
			*zero = true;
			navail--;
			return (void *)(r->base + r->bump++ * PGSIZE);
		}
	}
	return NULL;
}

void *dune_page_alloc(void)
{
	bool zero = false, low = false;
	void *p;
	int ret;

	for (;;) {
		pthread_mutex_lock(&page_lock);
		if (fail_after == 0) {
			pthread_mutex_unlock(&page_lock);
			return NULL;
		}
		p = take_locked(&zero);
		if (p) {
			if (fail_after > 0)
				fail_after--;
			nin_use++;
			__atomic_store_n(&page_meta(find_region((uintptr_t)p), (uintptr_t)p)->ref,
					 1, __ATOMIC_RELAXED);
			low = navail < grow_reserve();
		}
		pthread_mutex_unlock(&page_lock);
		if (p)
			break;
		ret = grow();
		if (ret == -EBUSY) {
			/*
			 * Another thread is reserving a region.  Without a hook
			 * it takes no other lock, so waiting is safe; with one,
			 * it may wait for a lock this thread holds (vm.c's),
			 * so give up: the grow reserve makes this rare.
			 */
			if (__atomic_load_n(&region_hook, __ATOMIC_RELAXED))
				return NULL;
			sched_yield();
		} else if (ret) {
			return NULL;
		}
	}
	if (!zero)
		memset(p, 0, PGSIZE);
	if (low)
		grow();		/* best effort: the next allocations still have the reserve */
	return p;
}

/* Called when the last reference went away. */
static void page_free(struct region *r, uintptr_t p)
{
	struct page_meta *m = page_meta(r, p);

	pthread_mutex_lock(&page_lock);
	nin_use--;
	if (ncache < CACHE_MAX) {
		cache[ncache++] = (void *)p;
		navail++;
		pthread_mutex_unlock(&page_lock);
		return;
	}
	pthread_mutex_unlock(&page_lock);

	/* Beyond the cache: give the memory back; the page then reads as 0. */
	if (madvise((void *)p, PGSIZE, MADV_DONTNEED))
		memset((void *)p, 0, PGSIZE);

	pthread_mutex_lock(&page_lock);
	m->next = r->released;
	r->released = (uint32_t)((p - r->base) / PGSIZE + 1);
	navail++;
	pthread_mutex_unlock(&page_lock);
}

void dune_page_get(void *page)
{
	struct region *r = find_region((uintptr_t)page);
	uint32_t old;

	if (!r)
		return;
	old = __atomic_fetch_add(&page_meta(r, (uintptr_t)page)->ref, 1, __ATOMIC_RELAXED);
	if (old == 0)
		abort();	/* a reference to a free page: memory is corrupt */
}

void dune_page_put(void *page)
{
	uintptr_t p = (uintptr_t)page & ~(PGSIZE - 1);
	struct region *r = find_region(p);
	uint32_t old;

	if (!r)
		return;
	/* Release: what this thread wrote to the page is done before a reuse. */
	old = __atomic_fetch_sub(&page_meta(r, p)->ref, 1, __ATOMIC_ACQ_REL);
	if (old == 0)
		abort();	/* put of a free page */
	if (old == 1)
		page_free(r, p);
}

int dune_page_refcount(const void *page)
{
	struct region *r = find_region((uintptr_t)page);

	if (!r)
		return -EINVAL;
	return (int)__atomic_load_n(&page_meta(r, (uintptr_t)page)->ref, __ATOMIC_RELAXED);
}

bool dune_page_is_managed(const void *page)
{
	return find_region((uintptr_t)page) != NULL;
}

void dune_page_stats(size_t *in_use, size_t *cached)
{
	pthread_mutex_lock(&page_lock);
	if (in_use)
		*in_use = nin_use;
	if (cached)
		*cached = (size_t)ncache;
	pthread_mutex_unlock(&page_lock);
}

/* ---- hidden: hooks for boot.c, vm.c and the tests ---------------------- */

void dune_page_fail_after(long n)
{
	pthread_mutex_lock(&page_lock);
	fail_after = n;
	pthread_mutex_unlock(&page_lock);
}

int dune_page_set_region_size(size_t bytes)
{
	/* A power of two, at least 2 MiB: reserve_aligned() aligns to it. */
	if (bytes < (2UL << 20) || (bytes & (bytes - 1)) || bytes > (1UL << 40))
		return -EINVAL;
	pthread_mutex_lock(&page_lock);
	region_size = bytes;
	pthread_mutex_unlock(&page_lock);
	return 0;
}

void dune_page_set_region_hook(int (*hook)(void *base, size_t len))
{
	__atomic_store_n(&region_hook, hook, __ATOMIC_RELEASE);
}

void dune_page_fork_prepare(void)
{
	pthread_mutex_lock(&page_lock);
}

void dune_page_fork_parent(void)
{
	pthread_mutex_unlock(&page_lock);
}

void dune_page_fork_child(void)
{
	/* Held by this thread since dune_page_fork_prepare() (a default
	 * mutex: unlocking in the child needs no owner check).  A region
	 * that another thread was reserving will never be published here. */
	pthread_mutex_unlock(&page_lock);
	growing = 0;
}
