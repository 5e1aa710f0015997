/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between kernel versions that dune.ko cares about lives
 * here, so that porting to a newer kernel is a change to this file (and to
 * the feature probes in Kbuild), not a hunt through the module.
 *
 * Tested on: Debian 6.1 (6.1.192, bookworm) and Debian 6.12 (6.12.95,
 * bookworm-backports, the series Debian 13 runs).  Kbuild checks the
 * kernel's headers for the features a version number does not tell
 * (DUNE_HAVE_*, DUNE_FOLLOW_PTE_VMA): a stable or distribution kernel may
 * have a change before the release that made it, and for the 6.10/6.11
 * steps below it is the headers, not a remembered version, that decide.
 *
 * Differences that needed no code here: pud_large()/pmd_large() are gone
 * in 6.12 (pud_leaf()/pmd_leaf(), which 6.1 already has, are used);
 * 6.12's <asm/vmx.h> defines VMX_BASIC_TRUE_CTLS (vmx_caps.h's own copy
 * is DUNE_VMX_BASIC_TRUE_CTLS); vmx_misc_preemption_timer_rate() exists
 * in both (6.12 dropped the mask macro behind it); vmx.c needed the
 * <linux/mm.h> it had been getting by accident.
 *
 * This header is also included by vmx_run.S: the C part is under
 * !__ASSEMBLY__.
 */
#ifndef DUNE_COMPAT_H
#define DUNE_COMPAT_H

/*
 * The host's NMI handler entry that a VMM calls, on the current stack,
 * for an NMI that caused a VM exit (vmx_run.S, __dune_do_nmi).  Called
 * directly, not through a pointer, so kernel IBT has no say in it.
 * 6.1 exports it as asm_exc_nmi_noist; later kernels renamed it
 * asm_exc_nmi_kvm_vmx (same job, still exported for kvm-intel).
 */
#ifdef DUNE_HAVE_NMI_KVM_VMX
#define DUNE_NMI_ENTRY asm_exc_nmi_kvm_vmx
#else
#define DUNE_NMI_ENTRY asm_exc_nmi_noist
#endif

#ifndef __ASSEMBLY__

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <asm/vmx.h>

/*
 * "asm goto" without outputs (VMX instructions with exception fixups).
 * 6.1 dropped asm_volatile_goto() after it became plain "asm goto".
 */
#define dune_asm_goto(x...) asm goto(x)

/* Secondary control "enable XSAVES/XRSTORS": 6.12's <asm/vmx.h> renamed it. */
#ifndef SECONDARY_EXEC_ENABLE_XSAVES
#define SECONDARY_EXEC_ENABLE_XSAVES SECONDARY_EXEC_XSAVES
#endif

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
 * The pfn that a VM_IO/VM_PFNMAP mapping @vma has at @addr, and whether the
 * host maps it writable, read under the page-table lock.  Returns 0, or
 * -errno when nothing is mapped there.  mmap lock held for reading.
 *
 * 6.1 has follow_pte(mm, ...); 6.10 made it follow_pte(vma, ...); 6.12
 * removed it for follow_pfnmap_start()/follow_pfnmap_end(), which also
 * see huge pfnmaps.
 */
static inline int dune_follow_pfn(struct vm_area_struct *vma, unsigned long addr,
				  unsigned long *pfn, bool *writable)
{
#ifdef DUNE_HAVE_FOLLOW_PFNMAP
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int r = follow_pfnmap_start(&args);

	if (r)
		return r;
	*pfn = args.pfn;
	*writable = args.writable;
	follow_pfnmap_end(&args);
	return 0;
#else
	spinlock_t *ptl;
	pte_t *ptep, pte;
#ifdef DUNE_FOLLOW_PTE_VMA
	int r = follow_pte(vma, addr, &ptep, &ptl);
#else
	int r = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
#endif

	if (r)
		return r;
	__acquire(ptl);		/* follow_pte() returned with it held (sparse) */
	pte = *ptep;
	pte_unmap_unlock(ptep, ptl);
	if (!pte_present(pte))
		return -EFAULT;
	*pfn = pte_pfn(pte);
	*writable = pte_write(pte);
	return 0;
#endif
}

/*
 * System call dispatch (syscall.c).  Up to 6.8, x86-64 called
 * sys_call_table[nr](regs) (entries take a struct pt_regs since 4.17).
 * The Branch History Injection fix (6.9, and the stable trees it was
 * backported to: Debian's 6.1 has it) made do_syscall_64 call
 * x64_sys_call(regs, nr), a switch of direct calls, so no indirect branch
 * picks its target by a number user space chose.  sys_call_table is still
 * built, with the same entries, for the syscall tracers.
 *
 * dune.ko prefers x64_sys_call wherever it can call it: then its one
 * indirect call has a fixed target.  On a kernel built with IBT (Debian's
 * 6.12), objtool sees that nothing takes x64_sys_call's address and seals
 * it (its ENDBR becomes a NOP), so an indirect call to it would fault on an
 * IBT CPU: there the table is used, whose entries keep their ENDBR because
 * the table takes their addresses.  syscall.c checks each at load time.
 * Both are looked up at run time, never by kernel version: through
 * kallsyms_lookup_name, or, where IBT sealed that too (Debian's 6.12),
 * through kprobes (syscall.c, kprobe_resolve).
 */
struct pt_regs;
typedef long (*dune_syscall_fn_t)(const struct pt_regs *);
typedef long (*dune_x64_sys_call_t)(const struct pt_regs *, unsigned int);

#endif /* !__ASSEMBLY__ */
#endif
