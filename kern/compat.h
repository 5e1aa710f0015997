/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between kernel versions that dune.ko cares about lives
 * here, so that porting to a newer kernel is a change to this file (and to
 * the feature probes in Kbuild), not a hunt through the module.
 *
 * Tested on: Debian 6.1 (6.1.192).
 */
#ifndef DUNE_COMPAT_H
#define DUNE_COMPAT_H

#include <linux/version.h>
#include <linux/mm_types.h>

/*
 * "asm goto" without outputs (VMX instructions with exception fixups).
 * 6.1 dropped asm_volatile_goto() after it became plain "asm goto".
 */
#define dune_asm_goto(x...) asm goto(x)

/* Does the mm use the legacy bottom-up mmap layout? */
static inline bool dune_mm_mmap_bottom_up(struct mm_struct *mm)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	return !test_bit(MMF_TOPDOWN, &mm->flags);
#else
	return mm->mmap_base == mm->mmap_legacy_base;
#endif
}

/*
 * System call dispatch.  Up to 6.8, x86-64 calls sys_call_table[nr](regs)
 * (entries take a struct pt_regs since 4.17).  6.9 replaced the indirect
 * call by x64_sys_call(regs, nr): there, syscall.c must look that function
 * up instead and call it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#error "dune.ko: syscall.c needs the x64_sys_call() path for Linux >= 6.9"
#endif
struct pt_regs;
typedef long (*dune_syscall_fn_t)(const struct pt_regs *);

#endif
