/* SPDX-License-Identifier: GPL-2.0 */
/* dune.ko internal interfaces. */
#ifndef DUNE_INTERNAL_H
#define DUNE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include "uapi/dune.h"	/* see Kbuild */
#include "vmx_caps.h"

/* vmx.c: VMX on every online CPU while anything needs it (reference counted). */
extern struct dune_vmx_caps dune_caps;
int dune_vmx_init(void);
void dune_vmx_exit(void);
int dune_vmx_get(void);
void dune_vmx_put(void);
unsigned int dune_vmx_users(void);

/*
 * A Dune process, as seen through one open /dev/dune: the address space it
 * was opened in, its guest-physical layout (fixed at open), its EPT, and the
 * virtual CPUs of its threads.
 */
struct dune_vm {
	struct mm_struct *mm;		/* mmgrab'ed at open */
	struct dune_layout layout;
	struct mutex lock;		/* vcpus, notifier registration, vmx_ref */
	struct list_head vcpus;
	bool vmx_ref;			/* holds a dune_vmx_get() */
	bool mn_registered;
	struct mmu_notifier mn;

	/* EPT: tables, and the invalidation sequence (as KVM's mmu_invalidate_seq). */
	spinlock_t ept_lock;
	u64 *ept_root;
	u64 eptp;
	unsigned long mmu_seq;
	long mmu_inv_count;
	bool dead;			/* the mm is gone (notifier release) */

	/* Counters (DUNE_GET_STATS). */
	atomic64_t entries, syscalls, ept_faults, ept_invalidations, nr_vcpus, ept_pages;
	atomic64_t exits[DUNE_STATS_EXIT_REASONS];
};

/* Global counters, for debugfs and the memory tests. */
extern atomic64_t dune_nr_vcpus, dune_nr_ept_pages, dune_nr_vms;
extern atomic64_t dune_exit_counts[DUNE_STATS_EXIT_REASONS];

/* vm.c */
struct dune_vm *dune_vm_create(void);
void dune_vm_destroy(struct dune_vm *vm);
int dune_vm_enable(struct dune_vm *vm);		/* notifier + VMX, at first entry */
/* Fill the EPT for @gpa.  0, -EFAULT (nothing of the process there), -EINTR. */
int dune_ept_fault(struct dune_vm *vm, u64 gpa, bool write);
void dune_vm_stats(struct dune_vm *vm, struct dune_stats *st);

/* vcpu.c */
int dune_vcpu_module_init(void);
void dune_vcpu_module_exit(void);
void dune_vcpus_cpu_offline(void);		/* hotplug: VMCLEAR what this CPU holds */
long dune_enter(struct dune_vm *vm, struct dune_enter __user *uarg);
void dune_vm_free_vcpus(struct dune_vm *vm);
void dune_vm_reap_vcpus(struct dune_vm *vm);

/* syscall.c */
extern const char *dune_syscall_dispatch;	/* which one (compat.h), for debugfs */
extern const char *dune_ksym_source;		/* how it was found */
int dune_syscall_init(void);
long dune_syscall(struct pt_regs *regs, unsigned long nr);

#endif
