// SPDX-License-Identifier: BSD-3-Clause
/*
 * dune_pgtable.c - in-VM tests of libdune's page tables (vm.c, page.c) with
 * the real MMU: demand paging and copy-on-write from a page-fault handler,
 * mprotect/fault/unprotect loops, accessed and dirty bits, large pages,
 * TLB flushes.
 */
#include "dune_test.h"

#include <x86intrin.h>

#define PG 4096UL

/*
 * Accesses that fault must happen where the test says: a plain store may be
 * moved past the (volatile) fault counter by the compiler.  These copy and
 * compare through volatile pointers.
 */
static void vstrcpy(char *dst, const char *src)
{
	volatile char *d = dst;

	do
		*d++ = *src;
	while (*src++);
}

static int vstreq(const char *a, const char *b)
{
	const volatile char *v = a;

	for (; *v == *b; v++, b++)
		if (!*b)
			return 1;
	return 0;
}

static volatile int faults;
static dune_pte_t *fault_root;

/* Demand paging: a fresh zeroed page wherever the handler is asked. */
static void demand_pager(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	if (fec & DUNE_PF_P) {
		/* present: a copy-on-write fault, or a real protection error */
		if (dune_vm_default_pgflt_handler(fault_root, addr, fec))
			dune_die(tf, "protection fault at %lx", (unsigned long)addr);
	} else if (dune_vm_map_pages(fault_root, (void *)(addr & ~(PG - 1)), PG,
				     DUNE_PERM_R | DUNE_PERM_W)) {
		dune_die(tf, "cannot map a page at %lx", (unsigned long)addr);
	}
	faults++;
}

DUNE_TEST(demand_paging)
{
	volatile char *base;
	size_t in_use0, in_use1, cached;
	int i;

	DUNE_ENTER_OR_FAIL();
	base = unbacked_va(0);
	ASSERT_TRUE(base != NULL);
	fault_root = dune_pgroot;
	ASSERT_EQ(dune_register_pgflt_handler(demand_pager), 0);
	dune_page_stats(&in_use0, &cached);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(base[i * PG + 5], 0);		/* a read faults the page in */
		base[i * PG + 5] = (char)i;
	}
	EXPECT_EQ(faults, 64);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(base[i * PG + 5], (char)i);
	EXPECT_EQ(faults, 64);
	dune_page_stats(&in_use1, &cached);
	EXPECT_GE(in_use1 - in_use0, 64);
	/* Unmapping gives the pages back, and a touch faults again (TLB flushed). */
	ASSERT_EQ(dune_vm_unmap(dune_pgroot, (void *)base, 64 * PG), 0);
	dune_page_stats(&in_use1, &cached);
	EXPECT_LE(in_use1, in_use0 + 3);	/* at most the new table pages stay */
	EXPECT_EQ(base[5], 0);
	EXPECT_EQ(faults, 65);
}

DUNE_TEST(copy_on_write_after_clone)
{
	dune_pte_t *clone;
	char *p;

	DUNE_ENTER_OR_FAIL();
	p = unbacked_va(0);
	ASSERT_EQ(dune_vm_map_pages(dune_pgroot, p, 4 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	vstrcpy(p, "original");
	vstrcpy(p + PG, "second");
	clone = dune_vm_clone(dune_pgroot);
	ASSERT_TRUE(clone != NULL);
	{
		dune_pte_t *pte;

		ASSERT_EQ(dune_vm_lookup(clone, p, false, &pte, NULL), 0);
		EXPECT_EQ(dune_page_refcount(dune_pa_to_va(*pte & DUNE_PTE_ADDR)), 2);
		EXPECT_FALSE(*pte & DUNE_PTE_W);
		EXPECT_EQ(dune_page_refcount(p), -EINVAL);	/* a virtual alias, not the page */
	}

	/* In the clone: a write faults, the default handler copies. */
	fault_root = clone;
	ASSERT_EQ(dune_register_pgflt_handler(demand_pager), 0);
	ASSERT_EQ(dune_vm_activate(clone, 0), 0);
	EXPECT_TRUE(vstreq(p, "original"));
	EXPECT_EQ(faults, 0);
	vstrcpy(p, "changed in the clone");
	EXPECT_EQ(faults, 1);
	EXPECT_TRUE(vstreq(p, "changed in the clone"));
	/* Back in the original: its page is untouched, and it is COW too. */
	ASSERT_EQ(dune_vm_activate(dune_pgroot, 0), 0);
	dune_flush_tlb();
	fault_root = dune_pgroot;
	EXPECT_TRUE(vstreq(p, "original"));
	vstrcpy(p + PG, "second, written");	/* shared with the clone: copied */
	EXPECT_EQ(faults, 2);
	EXPECT_TRUE(vstreq(p + PG, "second, written"));
	dune_vm_free(clone);
	EXPECT_TRUE(vstreq(p, "original"));
}

static volatile int prot_faults;
static char *prot_page;

static void unprotect(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	if (!(fec & DUNE_PF_P) || !(fec & DUNE_PF_W) ||
	    (addr & ~(PG - 1)) != (uintptr_t)prot_page)
		dune_die(tf, "unexpected fault at %lx", (unsigned long)addr);
	if (dune_vm_mprotect(dune_pgroot, prot_page, PG, DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_X))
		dune_die(tf, "mprotect failed");
	prot_faults++;
}

DUNE_TEST(mprotect_fault_unprotect_loop)
{
	volatile char *mem = aligned_alloc(PG, 4 * PG);
	dune_pte_t *pte;
	uint64_t t0, t1;
	int level, i;

	DUNE_ENTER_OR_FAIL();
	ASSERT_TRUE(mem != NULL);
	memset((void *)mem, 0, 4 * PG);
	prot_page = (char *)mem + PG;
	ASSERT_EQ(dune_register_pgflt_handler(unprotect), 0);
	/* The process's memory is mapped with large pages: the first mprotect splits. */
	t0 = __rdtsc();
	for (i = 0; i < 2000; i++) {
		ASSERT_EQ(dune_vm_mprotect(dune_pgroot, prot_page, PG, DUNE_PERM_R | DUNE_PERM_X), 0);
		((volatile char *)prot_page)[i % PG] = (char)i;	/* faults, unprotected, retried */
		ASSERT_EQ(((volatile char *)prot_page)[i % PG], (char)i);
	}
	t1 = __rdtsc();
	EXPECT_EQ(prot_faults, 2000);
	/* appel1's shape: protect a page, trap, unprotect (emulated TSC ticks). */
	diag("mprotect + write fault + unprotect: %llu TSC ticks each (2000 rounds)",
	     (unsigned long long)(t1 - t0) / 2000);
	ASSERT_EQ(dune_vm_lookup(dune_pgroot, prot_page, false, &pte, &level), 0);
	EXPECT_EQ(level, 1);
	/* The neighbours kept their mapping and contents. */
	mem[0] = 1;
	mem[3 * PG] = 3;
	EXPECT_EQ(mem[0] + mem[3 * PG], 4);
	EXPECT_EQ(prot_faults, 2000);
}

DUNE_TEST(accessed_and_dirty_bits)
{
	volatile char *p;
	char c;

	DUNE_ENTER_OR_FAIL();
	p = unbacked_va(0);
	ASSERT_EQ(dune_vm_map_pages(dune_pgroot, (void *)p, 2 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_clear_ad(dune_pgroot, (void *)p, DUNE_PTE_A | DUNE_PTE_D), 0);
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)p), 0);
	c = p[10];				/* read: accessed only */
	(void)c;
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)p), DUNE_PTE_A);
	p[10] = 1;				/* write: dirty */
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)p), DUNE_PTE_A | DUNE_PTE_D);
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)(p + PG)), 0);
	/* Cleared, with the TLB entry flushed: the CPU sets them again. */
	ASSERT_EQ(dune_vm_clear_ad(dune_pgroot, (void *)p, DUNE_PTE_A | DUNE_PTE_D), 0);
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)p), 0);
	p[11] = 2;
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, (void *)p), DUNE_PTE_A | DUNE_PTE_D);
	EXPECT_EQ(dune_vm_get_ad(dune_pgroot, unbacked_va(1)), -ENOENT);
}

DUNE_TEST(large_pages_alias_memory)
{
	const size_t sz2m = 2UL << 20;
	char *raw, *mem, *alias;
	dune_pte_t *pte;
	int level;

	DUNE_ENTER_OR_FAIL();
	raw = mmap(NULL, 2 * sz2m, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(raw != MAP_FAILED);
	mem = (char *)(((uintptr_t)raw + sz2m - 1) & ~(sz2m - 1));
	memset(mem, 0, sz2m);
	alias = unbacked_va(0);
	/* One 2 MiB leaf maps the same guest-physical memory at a second address. */
	ASSERT_EQ(dune_vm_map_phys(dune_pgroot, alias, sz2m, dune_va_to_pa(mem),
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_BIG), 0);
	ASSERT_EQ(dune_vm_lookup(dune_pgroot, alias + 12345, false, &pte, &level), 0);
	EXPECT_EQ(level, 2);
	EXPECT_TRUE(*pte & DUNE_PTE_PS);
	alias[sz2m - 1] = 42;
	mem[7] = 7;
	EXPECT_EQ(mem[sz2m - 1], 42);
	EXPECT_EQ(alias[7], 7);
	/* 1 GiB leaves: built and looked up; touched only where the CPU has them. */
	ASSERT_EQ(dune_vm_map_phys(dune_pgroot, unbacked_va(1), 1UL << 30,
				   dune_va_to_pa(mem) & ~((1UL << 30) - 1),
				   DUNE_PERM_R | DUNE_PERM_BIG_1GB), 0);
	ASSERT_EQ(dune_vm_lookup(dune_pgroot, unbacked_va(1), false, &pte, &level), 0);
	EXPECT_EQ(level, 3);
	ASSERT_EQ(dune_vm_unmap(dune_pgroot, unbacked_va(1), 1UL << 30), 0);
	ASSERT_EQ(dune_vm_unmap(dune_pgroot, alias, sz2m), 0);
	munmap(raw, 2 * sz2m);
}

/* Two roots that map one address to different pages, switched back and
 * forth: with PCIDs each keeps its own TLB entries (no flush on switch). */
DUNE_TEST(pcid_tagged_roots)
{
	volatile char *p;
	dune_pte_t *clone, *pte;
	unsigned int tag;
	int i;

	DUNE_ENTER_OR_FAIL();
	tag = dune_has_pcid() ? 1 : 0;
	diag("PCIDs %s", tag ? "in use" : "not available: roots switch with a flush");
	p = unbacked_va(0);
	ASSERT_EQ(dune_vm_map_pages(dune_pgroot, (void *)p, PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	p[0] = 'A';
	clone = dune_vm_clone(dune_pgroot);
	ASSERT_TRUE(clone != NULL);
	ASSERT_EQ(dune_vm_map_pages(clone, (void *)p, PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_lookup(clone, (void *)p, false, &pte, NULL), 0);
	*(volatile char *)dune_pa_to_va(*pte & DUNE_PTE_ADDR) = 'B';
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(dune_vm_activate(clone, tag), 0);
		ASSERT_EQ(p[0], 'B');
		ASSERT_EQ(dune_vm_activate(dune_pgroot, 0), 0);
		ASSERT_EQ(p[0], 'A');
	}
	EXPECT_EQ(dune_vm_activate(clone, 4096), -EINVAL);
	if (!tag)
		EXPECT_EQ(dune_vm_activate(clone, 1), -EINVAL);
	dune_vm_free(clone);
}

static int count_leaf(const void *arg, dune_pte_t *pte, void *va, int level)
{
	(void)pte;
	(void)va;
	((int *)arg)[level]++;
	return 0;
}

DUNE_TEST(walk_and_readonly_enforced)
{
	int counts[4] = { 0 };
	char *p;

	DUNE_ENTER_OR_FAIL();
	p = unbacked_va(0);
	ASSERT_EQ(dune_vm_map_pages(dune_pgroot, p, 8 * PG, DUNE_PERM_R | DUNE_PERM_W), 0);
	ASSERT_EQ(dune_vm_page_walk(dune_pgroot, p, p + 8 * PG - 1, count_leaf, counts, false), 0);
	EXPECT_EQ(counts[1], 8);
	/* Read-only takes effect at once (the TLB entry was flushed). */
	p[0] = 1;
	ASSERT_EQ(dune_vm_mprotect(dune_pgroot, p, PG, DUNE_PERM_R), 0);
	prot_page = p;
	prot_faults = 0;
	ASSERT_EQ(dune_register_pgflt_handler(unprotect), 0);
	{
		dune_pte_t *pte;

		ASSERT_EQ(dune_vm_lookup(dune_pgroot, p, false, &pte, NULL), 0);
		EXPECT_FALSE(*pte & DUNE_PTE_W);
	}
	((volatile char *)p)[1] = 2;
	EXPECT_EQ(prot_faults, 1);
	EXPECT_EQ(((volatile char *)p)[1], 2);
}

TEST_MAIN()
