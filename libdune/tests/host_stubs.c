/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * host_stubs.c - what vm.c needs from boot.c, for the host-side unit tests
 * (tests/vm_test.c): the current root is a variable the test sets, and the
 * TLB flushes (privileged instructions in the guest) only count their
 * calls, so that a test can check which operations flush.
 */
#include "internal.h"

dune_pte_t *host_stub_current_root;
unsigned long host_stub_flush_one;	/* dune_flush_tlb_one() calls */
unsigned long host_stub_flush_range;	/* dune_flush_tlb_range() calls */
unsigned long host_stub_flush_all;	/* dune_flush_tlb() calls */
const void *host_stub_last_va;		/* arguments of the last one/range call */
size_t host_stub_last_len;

dune_pte_t *dune_current_root(void)
{
	return __atomic_load_n(&host_stub_current_root, __ATOMIC_RELAXED);
}

void dune_flush_tlb_one(const void *va)
{
	__atomic_fetch_add(&host_stub_flush_one, 1, __ATOMIC_RELAXED);
	host_stub_last_va = va;
	host_stub_last_len = DUNE_PGSIZE;
}

void dune_flush_tlb_range(const void *va, size_t len)
{
	__atomic_fetch_add(&host_stub_flush_range, 1, __ATOMIC_RELAXED);
	host_stub_last_va = va;
	host_stub_last_len = len;
}

void dune_flush_tlb(void)
{
	__atomic_fetch_add(&host_stub_flush_all, 1, __ATOMIC_RELAXED);
}
