/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * internal.h - what libdune's source files share and do not export.
 * Everything here has hidden visibility (libdune.map exports only dune_*
 * names of libdune.h).
 */
#ifndef LIBDUNE_INTERNAL_H
#define LIBDUNE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "libdune.h"
#include "../include/uapi/dune.h"

#define DUNE_HIDDEN __attribute__((visibility("hidden")))

/* ---- layout.c: the guest-physical windows ---------------------------------
 * dune_va_to_pa()/dune_pa_to_va() (public) translate with the windows set
 * here.  Until one of these is called, every translation fails. */
DUNE_HIDDEN void dune_layout_set(const struct dune_layout *l);
/* Host-side unit tests: guest-physical == virtual for the whole lower half. */
DUNE_HIDDEN void dune_layout_set_identity(void);
DUNE_HIDDEN const struct dune_layout *dune_layout_get(void);

/* ---- boot.c: per-thread state ---------------------------------------------
 * dune_current_root(): the root the calling thread's CR3 points at when it
 * runs in Dune mode, else NULL (vm.c flushes the TLB only for that root). */
DUNE_HIDDEN dune_pte_t *dune_current_root(void);

/* ---- vm.c / page.c --------------------------------------------------------
 * Map [va, va+len) of the process's own memory (va == the address it has
 * on the host) into @root as supervisor read/write/execute memory, with the
 * largest pages that fit (1 GiB where @use_1g, else 2 MiB, else 4 KiB).
 * Used by boot.c to build dune_pgroot.  Returns 0, -EINVAL, -ENOMEM. */
DUNE_HIDDEN int dune_vm_map_self(dune_pte_t *root, uintptr_t va, size_t len, bool use_1g);

/* ---- page.c / vm.c: page allocator hooks (section of page.c/vm.c's owner) --
 * dune_page_set_region_hook: @hook(base, len) is called when the allocator
 * reserves a region after its first one, before any page of it is handed
 * out or touched, outside the allocator's lock (it may allocate: pages then
 * come from the older regions).  boot.c sets it to map the region into
 * dune_pgroot (dune_vm_map_self), so that allocator pages never fault in
 * Dune mode.  A non-zero return discards the region (the allocation that
 * needed it fails with NULL).  The first region is reserved by the first
 * dune_page_alloc() (dune_vm_new_root() in dune_init()), before the tables
 * that map the process exist, and is not passed to the hook. */
DUNE_HIDDEN void dune_page_set_region_hook(int (*hook)(void *base, size_t len));
/* Tests: the next @n allocations succeed, then all fail (n < 0: never). */
DUNE_HIDDEN void dune_page_fail_after(long n);
/* Tests: size of the regions reserved from now on (power of two >= 2 MiB,
 * default 1 GiB).  Returns 0 or -EINVAL. */
DUNE_HIDDEN int dune_page_set_region_size(size_t bytes);
/* vm.c's pthread_atfork handlers take the allocator's lock after vm.c's
 * own (the order in which vm.c nests them). */
DUNE_HIDDEN void dune_page_fork_prepare(void);
DUNE_HIDDEN void dune_page_fork_parent(void);
DUNE_HIDDEN void dune_page_fork_child(void);
/* ---- end of page.c / vm.c hooks ------------------------------------------ */

/* ---- util.c ---------------------------------------------------------------
 * Messages from the library: "libdune: " + text on stderr, written with
 * one write() (no stdio locks: safe from handlers). */
DUNE_HIDDEN void dune_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
DUNE_HIDDEN void dune_vprintf(const char *fmt, va_list ap);

#endif /* LIBDUNE_INTERNAL_H */
