// SPDX-License-Identifier: GPL-2.0
/*
 * A Dune process's memory: its EPT, filled lazily from the process's own
 * page tables, and kept coherent with them by an MMU notifier.
 *
 * EPT maps guest-physical addresses inside the layout's windows to the
 * pages backing the matching host-virtual addresses, and nothing else.  No
 * page is pinned: as in KVM, a fault looks the page up with
 * get_user_pages, installs it, and drops the reference, and the MMU
 * notifier removes the entry (with INVEPT on every CPU) before the host
 * frees, moves or remaps that page.  The sequence/in-progress pair
 * (mmu_seq, mmu_inv_count) closes the race between a fault's lookup and
 * a concurrent invalidation: a fault installs only if no invalidation
 * started or ran since it read mmu_seq.
 *
 * Locking: ept_lock (a spinlock) covers the tables and the sequence.
 * Table pages are allocated outside it and only freed when the VM goes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/hugetlb.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <asm/pgtable.h>

#include "compat.h"
#include "dune.h"
#include "ept.h"
#include "layout.h"
#include "vmcs.h"

atomic64_t dune_nr_vcpus, dune_nr_ept_pages, dune_nr_vms;
atomic64_t dune_exit_counts[DUNE_STATS_EXIT_REASONS];

static u64 *ept_alloc_table(struct dune_vm *vm)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!p)
		return NULL;
	atomic64_inc(&vm->ept_pages);
	atomic64_inc(&dune_nr_ept_pages);
	return page_address(p);
}

static void ept_free_table(struct dune_vm *vm, u64 *table)
{
	free_page((unsigned long)table);
	atomic64_dec(&vm->ept_pages);
	atomic64_dec(&dune_nr_ept_pages);
}

static void ept_free_tree(struct dune_vm *vm, u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < EPT_ENTRIES; i++) {
			u64 e = table[i];

			if (ept_present(e) && !ept_is_leaf(e, level))
				ept_free_tree(vm, __va(e & EPT_ADDR_MASK), level - 1);
		}
	}
	ept_free_table(vm, table);
}

/* INVEPT for this VM on every CPU: after entries were removed. */
static void ept_flush_one(void *eptp)
{
	if (dune_caps.invept_single)
		__invept(VMX_EPT_EXTENT_CONTEXT, *(u64 *)eptp);
	else
		__invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

static void ept_flush(struct dune_vm *vm)
{
	/*
	 * Every CPU has VMX on while this VM holds a VMX reference (and a CPU
	 * that comes online later has never cached this EPT).  Without the
	 * reference no vCPU has run, so nothing is cached.
	 */
	if (vm->vmx_ref)
		on_each_cpu(ept_flush_one, &vm->eptp, 1);
}

/*
 * Remove the EPT entries that map guest-physical [start, end).  A large
 * leaf that overlaps the range is removed whole (EPT is a cache: it
 * refaults).  Returns true if anything was removed.  ept_lock held.
 */
static bool ept_zap(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 size = ept_level_size(level);
	bool zapped = false;
	unsigned int i;

	for (i = ept_index(start > base ? start : base, level); i < EPT_ENTRIES; i++) {
		u64 lo = base + (u64)i * size, hi = lo + size;
		u64 e = table[i];

		if (lo >= end)
			break;
		if (hi <= start || !ept_present(e))
			continue;
		if (ept_is_leaf(e, level)) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= ept_zap(__va(e & EPT_ADDR_MASK), level - 1, lo, start, end);
		}
	}
	return zapped;
}

/* Zap host-virtual [start, end) in every window it meets.  ept_lock held. */
static bool ept_zap_hva(struct dune_vm *vm, unsigned long start, unsigned long end)
{
	bool zapped = false;
	int i;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		const struct dune_window *w = &vm->layout.windows[i];
		u64 s, e;

		if (!w->size || end <= w->hva_base || start >= w->hva_base + w->size)
			continue;
		s = max_t(u64, start, w->hva_base) - w->hva_base + w->gpa_base;
		e = min_t(u64, end, w->hva_base + w->size) - w->hva_base + w->gpa_base;
		zapped |= ept_zap(vm->ept_root, EPT_LEVELS, 0, s, e);
	}
	return zapped;
}

static int dune_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);
	bool zapped;

	spin_lock(&vm->ept_lock);
	vm->mmu_inv_count++;
	zapped = ept_zap_hva(vm, range->start, range->end);
	spin_unlock(&vm->ept_lock);
	if (zapped) {
		atomic64_inc(&vm->ept_invalidations);
		ept_flush(vm);
	}
	return 0;
}

static void dune_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);

	spin_lock(&vm->ept_lock);
	vm->mmu_seq++;
	vm->mmu_inv_count--;
	spin_unlock(&vm->ept_lock);
}

/* The address space is going away: drop every mapping. */
static void dune_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);
	bool zapped;

	spin_lock(&vm->ept_lock);
	vm->dead = true;
	vm->mmu_seq++;
	zapped = ept_zap(vm->ept_root, EPT_LEVELS, 0, 0, ~0ULL);
	spin_unlock(&vm->ept_lock);
	if (zapped)
		ept_flush(vm);
}

static const struct mmu_notifier_ops dune_mmu_ops = {
	.invalidate_range_start = dune_mn_invalidate_range_start,
	.invalidate_range_end = dune_mn_invalidate_range_end,
	.release = dune_mn_release,
};

static bool dune_gpa_to_hva(struct dune_vm *vm, u64 gpa, unsigned long *hva)
{
	const struct dune_window *w = dune_layout_find_gpa(&vm->layout, gpa);

	if (!w)
		return false;
	*hva = gpa - w->gpa_base + w->hva_base;
	return true;
}

/*
 * How large a page the host maps at @hva (1: 4 KiB, 2: 2 MiB, 3: 1 GiB),
 * read locklessly as gup-fast does; the caller's mmu_seq check makes the
 * answer valid (any change to these entries is an invalidation).
 */
static int host_mapping_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_none(pmd) || !pmd_present(pmd))
		goto out;
	if (pmd_leaf(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * Map @gpa to host-physical @hpa (the 4 KiB page) with @perm, with a leaf
 * at @level if possible (the caller checked that the host maps the whole
 * aligned range that way).  Tables come from @spare (allocated by the
 * caller, outside the lock); used ones are set to NULL.  ept_lock held.
 */
static void ept_install(struct dune_vm *vm, u64 gpa, u64 hpa, int level, u64 perm,
			u64 **spare)
{
	u64 *table = vm->ept_root, *slot;
	int l;

	for (l = EPT_LEVELS; ; l--) {
		u64 e;

		slot = &table[ept_index(gpa, l)];
		e = *slot;
		if (l == level && !(ept_present(e) && !ept_is_leaf(e, l)))
			break;
		if (l == 1)
			break;
		if (ept_present(e) && ept_is_leaf(e, l)) {
			/*
			 * A larger leaf maps these same pages (no invalidation
			 * ran since): keep it, unless this fault needs write
			 * access it lacks; then it becomes a table (same pages,
			 * so no flush is needed).
			 */
			if (!(perm & EPT_W) || (e & EPT_W))
				return;
			WRITE_ONCE(*slot, 0);
			e = 0;
		}
		if (!ept_present(e)) {
			u64 *t = spare[l - 2];

			if (WARN_ON_ONCE(!t))
				return;
			spare[l - 2] = NULL;
			e = ept_make_table(__pa(t));
			WRITE_ONCE(*slot, e);
		}
		/* A table already sits where a large leaf would go: go below it. */
		if (l <= level)
			level = l - 1;
		table = __va(e & EPT_ADDR_MASK);
	}
	WRITE_ONCE(*slot, ept_make_leaf(hpa & ~(ept_level_size(l) - 1), l, perm));
}

/*
 * Memory that get_user_pages cannot return: VM_PFNMAP/VM_IO mappings, such
 * as the vDSO's data pages ([vvar]), which glibc's clock_gettime reads.
 * Fault the host entry in, and read its pfn under the page-table lock, as
 * KVM does for such memory.  Only pfns with a struct page (RAM) are
 * mapped, so device memory never gets a write-back EPT entry.  No
 * reference is held: the MMU notifier removes the entry when the host
 * mapping goes.  Returns 0 with *hpa and *writable, or -EFAULT.
 */
static int pfnmap_lookup(struct mm_struct *mm, unsigned long hva, bool write, u64 *hpa,
			 bool *writable)
{
	struct vm_area_struct *vma;
	unsigned long pfn;
	bool host_writable;
	int r = -EFAULT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, hva);
	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)) || !(vma->vm_flags & VM_READ) ||
	    (write && !(vma->vm_flags & VM_WRITE)))
		goto out;
	if (dune_follow_pfn(vma, hva, &pfn, &host_writable)) {
		if (fixup_user_fault(mm, hva, write ? FAULT_FLAG_WRITE : 0, NULL) ||
		    dune_follow_pfn(vma, hva, &pfn, &host_writable))
			goto out;
	}
	if ((write && !host_writable) || !pfn_valid(pfn))
		goto out;
	*hpa = (u64)pfn << PAGE_SHIFT;
	*writable = host_writable;
	r = 0;
out:
	mmap_read_unlock(mm);
	return r;
}

int dune_ept_fault(struct dune_vm *vm, u64 gpa, bool write)
{
	struct mm_struct *mm = vm->mm;
	u64 *spare[EPT_LEVELS - 1] = { NULL };
	unsigned long hva, seq;
	struct page *page;
	int level, i, r = 0;
	bool writable;
	u64 hpa;

	if (!dune_gpa_to_hva(vm, gpa, &hva))
		return -EFAULT;
	for (i = 0; i < EPT_LEVELS - 1; i++) {
		spare[i] = ept_alloc_table(vm);
		if (!spare[i]) {
			r = -ENOMEM;
			goto out;
		}
	}
retry:
	if (fatal_signal_pending(current)) {
		r = -EINTR;
		goto out;
	}
	seq = READ_ONCE(vm->mmu_seq);
	smp_rmb();
	if (get_user_pages_unlocked(hva & PAGE_MASK, 1, &page,
				    FOLL_HWPOISON | (write ? FOLL_WRITE : 0)) != 1) {
		if (pfnmap_lookup(mm, hva & PAGE_MASK, write, &hpa, &writable)) {
			r = -EFAULT;
			goto out;
		}
		page = NULL;
		level = 1;
		goto install;
	}
	writable = write;
	if (!write) {
		struct page *wp;

		/* Map writable at once if the host already has it writable. */
		if (get_user_page_fast_only(hva & PAGE_MASK, FOLL_WRITE, &wp)) {
			writable = wp == page;
			put_page(wp);
		}
	}
	level = host_mapping_level(mm, hva);
	if (level == 3 && !dune_caps.ept_1g)
		level = 2;
	if (level == 2 && !dune_caps.ept_2m)
		level = 1;
	/* The host-physical address of gpa's 4 KiB page, in a large page if any. */
	hpa = page_to_phys(page);
	if (level > 1 && (hpa & (ept_level_size(level) - 1)) !=
	    (gpa & (ept_level_size(level) - 1) & PAGE_MASK))
		level = 1;	/* not congruent: cannot happen with THP/hugetlb, be safe */

install:
	spin_lock(&vm->ept_lock);
	if (vm->dead) {
		spin_unlock(&vm->ept_lock);
		if (page)
			put_page(page);
		r = -EFAULT;
		goto out;
	}
	if (vm->mmu_inv_count || vm->mmu_seq != seq) {
		spin_unlock(&vm->ept_lock);
		if (page)
			put_page(page);
		cond_resched();
		goto retry;
	}
	ept_install(vm, gpa & PAGE_MASK, hpa, level, EPT_R | EPT_X | (writable ? EPT_W : 0), spare);
	spin_unlock(&vm->ept_lock);
	if (page)
		put_page(page);
	atomic64_inc(&vm->ept_faults);
out:
	for (i = 0; i < EPT_LEVELS - 1; i++)
		if (spare[i])
			ept_free_table(vm, spare[i]);
	return r;
}

static int layout_of(struct mm_struct *mm, struct dune_layout *l)
{
	struct dune_layout_input in;
	struct vm_area_struct *vma;

	in.phys_addr_bits = boot_cpu_data.x86_phys_bits;
	in.task_size = TASK_SIZE;
	mmap_read_lock(mm);
	in.start_code = mm->start_code;
	in.mmap_base = mm->mmap_base;
	in.mmap_bottom_up = dune_mm_mmap_bottom_up(mm);
	vma = find_vma(mm, mm->start_stack);
	in.stack_top = vma ? vma->vm_end : mm->start_stack;
	mmap_read_unlock(mm);
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	return dune_layout_compute(&in, l) ? -EOPNOTSUPP : 0;
}

struct dune_vm *dune_vm_create(void)
{
	struct dune_vm *vm;
	int r;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	r = layout_of(current->mm, &vm->layout);
	if (r) {
		kfree(vm);
		return ERR_PTR(r);
	}
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->vcpus);
	spin_lock_init(&vm->ept_lock);
	vm->ept_root = ept_alloc_table(vm);
	if (!vm->ept_root) {
		kfree(vm);
		return ERR_PTR(-ENOMEM);
	}
	vm->eptp = ept_make_eptp(__pa(vm->ept_root), false);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	atomic64_inc(&dune_nr_vms);
	return vm;
}

/* At the first entry: follow the address space, and hold VMX. */
int dune_vm_enable(struct dune_vm *vm)
{
	int r = 0;

	mutex_lock(&vm->lock);
	if (!vm->vmx_ref) {
		r = dune_vmx_get();
		if (r)
			goto out;
		vm->vmx_ref = true;
	}
	if (!vm->mn_registered) {
		vm->mn.ops = &dune_mmu_ops;
		r = mmu_notifier_register(&vm->mn, vm->mm);
		if (r)
			goto out;
		vm->mn_registered = true;
	}
out:
	mutex_unlock(&vm->lock);
	return r;
}

void dune_vm_destroy(struct dune_vm *vm)
{
	dune_vm_free_vcpus(vm);
	if (vm->mn_registered)
		mmu_notifier_unregister(&vm->mn, vm->mm);
	/* No vCPU can use the EPT now; flush it from every CPU's caches. */
	ept_flush(vm);
	ept_free_tree(vm, vm->ept_root, EPT_LEVELS);
	if (vm->vmx_ref)
		dune_vmx_put();
	mmdrop(vm->mm);
	atomic64_dec(&dune_nr_vms);
	kfree(vm);
}

void dune_vm_stats(struct dune_vm *vm, struct dune_stats *st)
{
	int i;

	dune_vm_reap_vcpus(vm);
	st->entries = atomic64_read(&vm->entries);
	st->syscalls = atomic64_read(&vm->syscalls);
	st->ept_faults = atomic64_read(&vm->ept_faults);
	st->ept_invalidations = atomic64_read(&vm->ept_invalidations);
	st->vcpus = atomic64_read(&vm->nr_vcpus);
	st->ept_pages = atomic64_read(&vm->ept_pages);
	for (i = 0; i < DUNE_STATS_EXIT_REASONS; i++)
		st->exits[i] = atomic64_read(&vm->exits[i]);
}
