// SPDX-License-Identifier: GPL-2.0
/*
 * Dune virtual CPUs: one VMCS and VPID per thread in Dune mode, the VM
 * entry loop, and the exits handled in the kernel.
 *
 * Run loop (dune_enter -> vcpu_run):
 *   - with preemption off, the VMCS is loaded on this CPU (VMCLEAR on the
 *     old CPU first if the thread moved; the per-CPU host fields rewritten);
 *   - with interrupts off: a pending signal or reschedule ends the inner
 *     loop; the thread's FPU state is put in the registers (the guest's FPU
 *     state IS the thread's); FS/GS bases are synchronised; VM entry;
 *   - after the exit, still with interrupts off, what the VM exit clobbered
 *     is restored (FS/GS bases, DEBUGCTL, DR7, TSS limit); enabling
 *     interrupts lets the host take the external interrupt that caused an
 *     exit (interrupts are not acknowledged on exit);
 *   - exits that need no sleeping (CPUID, CR8, MOV DR, emulated MSRs,
 *     interrupts, NMIs) are handled at once; for the others (system calls,
 *     EPT faults) the GDT limit is restored and preemption enabled first.
 *   - anything else ends the entry and goes back to user space with a
 *     reason: the guest can never make the module crash, hang or warn.
 *
 * A VMCS is "active" on at most one CPU.  Each CPU keeps a list of the
 * vCPUs whose VMCS it holds, so that CPU hotplug and vCPU teardown can
 * VMCLEAR them there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/entry-kvm.h>
#include <linux/hw_breakpoint.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>
#include <asm/fsgsbase.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/unistd.h>
#include <asm/vmx.h>

#include "dune.h"
#include "ept.h"
#include "vmcs.h"
#include "vmx_state.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

int __dune_vmx_run(struct dune_regs *regs, bool launched);
void __dune_do_nmi(void);
extern char __dune_vmx_exit[];

struct dune_vcpu {
	struct list_head link;		/* in vm->vcpus, under vm->lock */
	struct list_head cpu_link;	/* in loaded_vcpus of ->cpu, irqs off there */
	struct dune_vm *vm;
	struct task_struct *task;	/* the thread (reference held) */
	void *vmcs;
	u16 vpid;
	int cpu;			/* where the VMCS is active, or -1 */
	bool launched;
	bool setup;			/* the VMCS has been initialised */
	bool running;			/* inside DUNE_ENTER */
	bool done;			/* left Dune mode for good (exit, execve) */

	struct dune_regs regs;		/* rsp, rip, rflags: copies of the VMCS's */
	bool regs_dirty;		/* rsp/rip/rflags to be written to the VMCS */
	u64 cr3;
	bool cr3_dirty;

	/* Exit information, read while the VMCS is loaded. */
	u32 exit_reason;
	u64 exit_qual, guest_phys, guest_linear;
	u32 insn_len;
	u32 intr_info;

	/*
	 * Events for the guest.  @event: one to deliver on the next entry (an
	 * event whose delivery a VM exit interrupted, from the IDT-vectoring
	 * information, or a #UD for a VMCALL from ring 3).  @intr_req: the
	 * external interrupt user space asked for (DUNE_ENTER_F_INTR), or -1;
	 * it is injected when the guest can take it, with interrupt-window
	 * exiting on until then (SDM Vol. 3C, 26.6.5 and 27.2.4).
	 */
	bool event_pending;
	u32 event_info, event_err, event_len;
	int intr_req;
	bool intr_window;		/* interrupt-window exiting is on */

	/* Guest state VMX does not switch: kept here, emulated or swapped. */
	u64 kernel_gs_base;		/* swapped around each entry */
	u64 fs_base, gs_base;		/* last synchronised thread FS/GS bases */
	u64 guest_fs;			/* DUNE_ENTER_F_HOST_FS: the guest's FS base */
	bool guest_fs_valid;
	u64 cr8;			/* emulated (CR8 load/store exiting) */
	unsigned long dr[4], dr6, dr7;	/* emulated (MOV-DR exiting) */
	u64 star, lstar, cstar, sfmask;	/* guest values; switched when set */
	bool syscall_msrs;

	/* Host state cached in the VMCS. */
	unsigned long host_cr3, host_cr4;
};

/* VMX controls, computed once at load (dune_vcpu_module_init). */
static u32 pin_ctls, proc_ctls, proc2_ctls, exit_ctls, entry_ctls;
static u64 cr4_guest_owned;
static u32 preempt_timer;	/* VMX-preemption timer: about 1 ms */
static unsigned long *msr_bitmap;
static u64 host_star, host_lstar, host_cstar, host_sfmask;
static DEFINE_IDA(vpid_ida);

static DEFINE_PER_CPU(struct list_head, loaded_vcpus);
static DEFINE_PER_CPU(struct dune_vcpu *, current_vcpu);

void dune_vmx_insn_error(const char *insn, unsigned long field, unsigned long value)
{
	pr_err_ratelimited("%s of field 0x%lx (value 0x%lx) failed\n", insn, field, value);
}

/* ---- VMCS lifetime on CPUs ---------------------------------------------- */

/* VMCLEAR @v on this CPU, if it is active here.  Interrupts off. */
static void __vcpu_clear(struct dune_vcpu *v)
{
	if (READ_ONCE(v->cpu) != smp_processor_id())
		return;
	vmx_vmclear(__pa(v->vmcs));
	list_del(&v->cpu_link);
	if (this_cpu_read(current_vcpu) == v)
		this_cpu_write(current_vcpu, NULL);
	v->launched = false;
	/* The list update must be seen before another CPU loads @v. */
	smp_wmb();
	WRITE_ONCE(v->cpu, -1);
}

static void vcpu_clear_ipi(void *arg)
{
	__vcpu_clear(arg);
}

/* Make sure @v is active nowhere.  Preemptible or not; interrupts on. */
static void vcpu_clear(struct dune_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vcpu_clear_ipi, v, 1);
}

/* Hotplug: this CPU goes down; VMCLEAR every VMCS it holds. Interrupts off. */
void dune_vcpus_cpu_offline(void)
{
	struct list_head *head = this_cpu_ptr(&loaded_vcpus);
	struct dune_vcpu *v, *tmp;

	list_for_each_entry_safe(v, tmp, head, cpu_link)
		__vcpu_clear(v);
}

/* The host fields that differ between CPUs.  VMCS loaded, preemption off. */
static void vmcs_set_host_percpu(int cpu)
{
	struct desc_ptr gdt;
	u64 sysenter_esp;

	vmcs_writel(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	native_store_gdt(&gdt);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/* Load @v's VMCS on this CPU.  Preemption off, interrupts on. */
static void vcpu_load(struct dune_vcpu *v)
{
	int cpu = smp_processor_id();
	unsigned long flags;

	if (READ_ONCE(v->cpu) != cpu) {
		vcpu_clear(v);		/* IPI to the old CPU, if any */
		smp_rmb();
		local_irq_save(flags);
		list_add(&v->cpu_link, this_cpu_ptr(&loaded_vcpus));
		WRITE_ONCE(v->cpu, cpu);
		vmx_vmptrld(__pa(v->vmcs));
		this_cpu_write(current_vcpu, v);
		local_irq_restore(flags);
		vmcs_set_host_percpu(cpu);
		/* This CPU may hold stale translations tagged with our VPID. */
		if (dune_caps.invvpid_single)
			__invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, v->vpid, 0);
		else
			__invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0, 0);
		v->host_cr3 = v->host_cr4 = 0;	/* rewrite before entry */
	} else if (this_cpu_read(current_vcpu) != v) {
		vmx_vmptrld(__pa(v->vmcs));
		this_cpu_write(current_vcpu, v);
	}
}

/* ---- VMCS setup --------------------------------------------------------- */

static void vmcs_setup(struct dune_vcpu *v)
{
	struct desc_ptr idt;
	u64 cr4 = cr4_read_shadow(), msr;

	/* Controls. */
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, pin_ctls);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc_ctls);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, proc2_ctls);
	vmcs_write32(VM_EXIT_CONTROLS, exit_ctls);
	vmcs_write32(VM_ENTRY_CONTROLS, entry_ctls);
	vmcs_write32(EXCEPTION_BITMAP, 1U << X86_TRAP_MC);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(MSR_BITMAP, __pa(msr_bitmap));
	vmcs_write64(EPT_POINTER, v->vm->eptp);
	vmcs_write16(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmcs_write64(VMCS_LINK_POINTER, -1ULL);
	vmcs_write32(TPR_THRESHOLD, 0);
	if (pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, preempt_timer);

	/* Control registers: what the guest owns, and what it reads. */
	vmcs_writel(CR0_GUEST_HOST_MASK, ~(unsigned long)DUNE_GUEST_CR0_OWNED);
	vmcs_writel(CR0_READ_SHADOW, DUNE_GUEST_CR0_INIT);
	vmcs_writel(GUEST_CR0, DUNE_GUEST_CR0_INIT);
	vmcs_writel(CR4_GUEST_HOST_MASK, ~(unsigned long)cr4_guest_owned);
	vmcs_writel(CR4_READ_SHADOW, dune_guest_cr4(cr4) & ~DUNE_CR4_VMXE);
	vmcs_writel(GUEST_CR4, dune_guest_cr4(cr4));
	vmcs_writel(GUEST_CR3, v->cr3);

	/* Guest segments: flat 64-bit ring 0; no descriptor tables yet. */
	vmcs_write16(GUEST_CS_SELECTOR, DUNE_GUEST_CS_SEL);
	vmcs_writel(GUEST_CS_BASE, 0);
	vmcs_write32(GUEST_CS_LIMIT, 0xffffffff);
	vmcs_write32(GUEST_CS_AR_BYTES, DUNE_GUEST_CS_AR);
#define DATA_SEG(S, sel)						\
	do {								\
		vmcs_write16(GUEST_##S##_SELECTOR, sel);		\
		vmcs_writel(GUEST_##S##_BASE, 0);			\
		vmcs_write32(GUEST_##S##_LIMIT, 0xffffffff);		\
		vmcs_write32(GUEST_##S##_AR_BYTES, DUNE_GUEST_DS_AR);	\
	} while (0)
	DATA_SEG(SS, DUNE_GUEST_DS_SEL);
	DATA_SEG(DS, DUNE_GUEST_DS_SEL);
	DATA_SEG(ES, DUNE_GUEST_DS_SEL);
	DATA_SEG(FS, 0);
	DATA_SEG(GS, 0);
#undef DATA_SEG
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_writel(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0x67);
	vmcs_write32(GUEST_TR_AR_BYTES, DUNE_GUEST_TR_AR);
	vmcs_write16(GUEST_LDTR_SELECTOR, 0);
	vmcs_writel(GUEST_LDTR_BASE, 0);
	vmcs_write32(GUEST_LDTR_LIMIT, 0);
	vmcs_write32(GUEST_LDTR_AR_BYTES, DUNE_GUEST_LDTR_AR);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0);

	vmcs_writel(GUEST_DR7, 0x400);	/* DR7 with no breakpoints */
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);

	/* Host state that is the same on every CPU. */
	vmcs_writel(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_writel(HOST_IDTR_BASE, idt.address);
	vmcs_writel(HOST_RIP, (unsigned long)__dune_vmx_exit);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write32(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, msr);
	v->fs_base = v->gs_base = ~0ULL;	/* force the first synchronisation */
}

/* ---- vCPU lifetime ------------------------------------------------------ */

static struct dune_vcpu *vcpu_create(struct dune_vm *vm)
{
	struct dune_vcpu *v;
	struct page *p;
	int vpid;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return ERR_PTR(-ENOMEM);
	p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!p) {
		kfree(v);
		return ERR_PTR(-ENOMEM);
	}
	v->vmcs = page_address(p);
	*(u32 *)v->vmcs = dune_caps.revision_id;
	vpid = ida_alloc_range(&vpid_ida, 1, 0xffff, GFP_KERNEL);
	if (vpid < 0) {
		free_page((unsigned long)v->vmcs);
		kfree(v);
		return ERR_PTR(vpid == -ENOSPC ? -EAGAIN : vpid);
	}
	v->vpid = vpid;
	v->cpu = -1;
	v->intr_req = -1;
	v->vm = vm;
	v->task = current;
	get_task_struct(current);
	INIT_LIST_HEAD(&v->cpu_link);
	atomic64_inc(&vm->nr_vcpus);
	atomic64_inc(&dune_nr_vcpus);
	return v;
}

static void vcpu_free(struct dune_vcpu *v)
{
	vcpu_clear(v);
	ida_free(&vpid_ida, v->vpid);
	free_page((unsigned long)v->vmcs);
	put_task_struct(v->task);
	atomic64_dec(&v->vm->nr_vcpus);
	atomic64_dec(&dune_nr_vcpus);
	kfree(v);
}

/* Free the vCPUs of threads that are gone.  vm->lock held. */
static void vm_reap_vcpus(struct dune_vm *vm)
{
	struct dune_vcpu *v, *tmp;

	list_for_each_entry_safe(v, tmp, &vm->vcpus, link) {
		if (!v->running && (v->done || (v->task->flags & PF_EXITING))) {
			list_del(&v->link);
			vcpu_free(v);
		}
	}
}

/* Free the vCPUs of threads that have exited, so that counts are exact. */
void dune_vm_reap_vcpus(struct dune_vm *vm)
{
	mutex_lock(&vm->lock);
	vm_reap_vcpus(vm);
	mutex_unlock(&vm->lock);
}

void dune_vm_free_vcpus(struct dune_vm *vm)
{
	struct dune_vcpu *v, *tmp;

	mutex_lock(&vm->lock);
	list_for_each_entry_safe(v, tmp, &vm->vcpus, link) {
		list_del(&v->link);
		vcpu_free(v);
	}
	mutex_unlock(&vm->lock);
}

/* ---- Exits -------------------------------------------------------------- */

enum exit_action {
	EXIT_RESUME,		/* handled, enter again */
	EXIT_SLOW,		/* needs the preemptible path (vcpu_handle_slow) */
	EXIT_USER,		/* end the entry: back to user space */
};

static void skip_insn(struct dune_vcpu *v)
{
	v->regs.rip += v->insn_len;
	v->regs_dirty = true;
}

static void user_exit(struct dune_enter *e, struct dune_vcpu *v, u32 reason)
{
	e->exit_reason = reason;
	e->hw_exit_reason = v->exit_reason;
	e->exit_qual = v->exit_qual;
	e->guest_phys = v->guest_phys;
	e->guest_linear = v->guest_linear;
}

static void handle_cpuid(struct dune_vcpu *v)
{
	u32 eax = v->regs.rax, ecx = v->regs.rcx, ebx, edx;

	native_cpuid(&eax, &ebx, &ecx, &edx);
	if (v->regs.rax == 1)
		ecx &= ~(1U << 5);	/* VMX: not for the guest */
	v->regs.rax = eax;
	v->regs.rbx = ebx;
	v->regs.rcx = ecx;
	v->regs.rdx = edx;
	skip_insn(v);
}

static u64 *guest_gpr(struct dune_vcpu *v, unsigned int n)
{
	switch (n) {
	case 0: return &v->regs.rax;
	case 1: return &v->regs.rcx;
	case 2: return &v->regs.rdx;
	case 3: return &v->regs.rbx;
	case 4: return &v->regs.rsp;
	case 5: return &v->regs.rbp;
	case 6: return &v->regs.rsi;
	case 7: return &v->regs.rdi;
	case 8: return &v->regs.r8;
	case 9: return &v->regs.r9;
	case 10: return &v->regs.r10;
	case 11: return &v->regs.r11;
	case 12: return &v->regs.r12;
	case 13: return &v->regs.r13;
	case 14: return &v->regs.r14;
	default: return &v->regs.r15;
	}
}

/* MOV to/from CR8 is emulated; other CR exits are for user space. */
static enum exit_action handle_cr(struct dune_vcpu *v)
{
	unsigned int cr = v->exit_qual & 15, type = (v->exit_qual >> 4) & 3;
	u64 *reg = guest_gpr(v, (v->exit_qual >> 8) & 15);

	if (cr != 8 || type > 1)
		return EXIT_USER;
	if (type == 0) {
		if (*reg & ~0xfULL)
			return EXIT_USER;	/* #GP natively */
		v->cr8 = *reg;
	} else {
		*reg = v->cr8;
	}
	skip_insn(v);
	return EXIT_RESUME;
}

/* Debug registers are the guest's own storage (host breakpoints stay put). */
static enum exit_action handle_dr(struct dune_vcpu *v)
{
	unsigned int dr = v->exit_qual & 7, to_reg = (v->exit_qual >> 4) & 1;
	u64 *reg = guest_gpr(v, (v->exit_qual >> 8) & 15);
	unsigned long *slot;

	switch (dr) {
	case 0: case 1: case 2: case 3: slot = &v->dr[dr]; break;
	case 6: slot = &v->dr6; break;
	case 7: slot = &v->dr7; break;
	default: return EXIT_USER;
	}
	if (to_reg)
		*reg = *slot;
	else
		*slot = *reg;
	skip_insn(v);
	return EXIT_RESUME;
}

static u64 *syscall_msr(struct dune_vcpu *v, u32 msr)
{
	switch (msr) {
	case MSR_STAR: return &v->star;
	case MSR_LSTAR: return &v->lstar;
	case MSR_CSTAR: return &v->cstar;
	case MSR_SYSCALL_MASK: return &v->sfmask;
	default: return NULL;
	}
}

/*
 * The MSRs a guest may use: the SYSCALL MSRs (its own, switched in while
 * it runs), and reads of EFER, PAT and the TSC.  Anything else is for user
 * space to decide.
 */
static enum exit_action handle_msr(struct dune_vcpu *v, bool write)
{
	u32 msr = v->regs.rcx;
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax, *slot = syscall_msr(v, msr);

	if (write) {
		if (!slot)
			return EXIT_USER;
		if (msr != MSR_STAR && !dune_canonical(val, 48))
			return EXIT_USER;
		*slot = val;
		v->syscall_msrs = true;
	} else {
		if (slot)
			val = v->syscall_msrs ? *slot : 0;
		else if (msr == MSR_EFER)
			rdmsrl(MSR_EFER, val);
		else if (msr == MSR_IA32_CR_PAT)
			rdmsrl(MSR_IA32_CR_PAT, val);
		else if (msr == MSR_IA32_TSC)
			val = rdtsc();
		else
			return EXIT_USER;
		v->regs.rax = (u32)val;
		v->regs.rdx = val >> 32;
	}
	skip_insn(v);
	return EXIT_RESUME;
}

static enum exit_action handle_xsetbv(struct dune_vcpu *v)
{
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;

	/* XCR0 is the thread's: only rewriting the same value is allowed. */
	if (v->regs.rcx != 0 || val != xgetbv(0))
		return EXIT_USER;
	skip_insn(v);
	return EXIT_RESUME;
}

static void handle_exception_nmi(struct dune_vcpu *v)
{
	u32 info = v->intr_info;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR) {
		/* The NMI was the host's: run its handler now. */
		__dune_do_nmi();
	} else if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC) {
		asm volatile("int $18");
	}
}

/* CPL = SS.DPL. */
static bool guest_cpl_nonzero(void)
{
	return vmcs_read32(GUEST_SS_AR_BYTES) & (3 << 5);
}

/* Fault the instruction that exited (it does not complete): @vec, with an
 * error code of 0 for #GP. */
static enum exit_action inject_fault(struct dune_vcpu *v, unsigned int vec)
{
	v->event_pending = true;
	v->event_info = vec | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
	if (vec == X86_TRAP_GP)
		v->event_info |= INTR_INFO_DELIVER_CODE_MASK;
	v->event_err = 0;
	v->event_len = 0;
	return EXIT_RESUME;
}

/* Handlers that run with preemption off, right after the exit. */
static enum exit_action handle_exit_fast(struct dune_vcpu *v)
{
	switch (v->exit_reason) {
	/*
	 * Privileged instructions from ring 1-3 fault (#GP) before they can
	 * exit on real hardware (SDM Vol. 3C, 26.1.1); an emulator was seen
	 * to exit first.  Never run them for ring 3, whatever the CPU does.
	 */
	case EXIT_REASON_HLT: case EXIT_REASON_INVD: case EXIT_REASON_INVLPG:
	case EXIT_REASON_RDPMC: case EXIT_REASON_CR_ACCESS: case EXIT_REASON_DR_ACCESS:
	case EXIT_REASON_MSR_READ: case EXIT_REASON_MSR_WRITE: case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION: case EXIT_REASON_GDTR_IDTR:
	case EXIT_REASON_LDTR_TR: case EXIT_REASON_WBINVD: case EXIT_REASON_XSETBV:
		if (guest_cpl_nonzero())
			return inject_fault(v, X86_TRAP_GP);
		break;
	/* VMX instructions: the guest has no VMX (CPUID says so): #UD. */
	case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMLAUNCH: case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST: case EXIT_REASON_VMREAD: case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE: case EXIT_REASON_VMOFF: case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT: case EXIT_REASON_INVVPID: case EXIT_REASON_VMFUNC:
		return inject_fault(v, X86_TRAP_UD);
	}
	switch (v->exit_reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return EXIT_RESUME;	/* taken when interrupts were enabled */
	case EXIT_REASON_PREEMPTION_TIMER:
		return EXIT_RESUME;	/* the loop checks for pending work */
	case EXIT_REASON_INTERRUPT_WINDOW:
		return EXIT_RESUME;	/* the next entry injects (inject_events) */
	case EXIT_REASON_EXCEPTION_NMI:
		if ((v->intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR ||
		    (v->intr_info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
			return EXIT_RESUME;
		return EXIT_USER;
	case EXIT_REASON_CPUID:
		handle_cpuid(v);
		return EXIT_RESUME;
	case EXIT_REASON_CR_ACCESS:
		return handle_cr(v);
	case EXIT_REASON_DR_ACCESS:
		return handle_dr(v);
	case EXIT_REASON_MSR_READ:
		return handle_msr(v, false);
	case EXIT_REASON_MSR_WRITE:
		return handle_msr(v, true);
	case EXIT_REASON_XSETBV:
		return handle_xsetbv(v);
	case EXIT_REASON_VMCALL:
		/* Not a system call from ring 3: #UD, as without VMX. */
		if (guest_cpl_nonzero())
			return inject_fault(v, X86_TRAP_UD);
		return EXIT_SLOW;
	case EXIT_REASON_EPT_VIOLATION:
		return EXIT_SLOW;
	default:
		return EXIT_USER;
	}
}

/* The signal the thread will take next, or 0 (as dequeue_signal picks). */
static int dune_next_signal(void)
{
	/* current's sighand cannot change under it. */
	struct sighand_struct *sh = rcu_dereference_raw(current->sighand);
	sigset_t pending;
	unsigned long sync;
	int sig = 0;

	spin_lock_irq(&sh->siglock);
	sigorsets(&pending, &current->pending.signal, &current->signal->shared_pending.signal);
	sigandnsets(&pending, &pending, &current->blocked);
	sync = pending.sig[0] & (sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) |
				 sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS));
	if (sync)
		sig = __ffs(sync) + 1;
	else if (pending.sig[0])
		sig = __ffs(pending.sig[0]) + 1;
	spin_unlock_irq(&sh->siglock);
	return sig;
}

/*
 * A system call returned a restart code: make the guest see what a native
 * caller would after the signal's delivery (signal.c's rules).
 */
static void syscall_restart(struct dune_vcpu *v, long ret, unsigned long nr)
{
	int sig = dune_next_signal();
	bool handler = false, sa_restart = false;

	if (sig) {
		struct k_sigaction *ka = &rcu_dereference_raw(current->sighand)->action[sig - 1];
		__sighandler_t h = ka->sa.sa_handler;

		handler = h != SIG_IGN && h != SIG_DFL;
		sa_restart = ka->sa.sa_flags & SA_RESTART;
	}
	switch (dune_restart_decide(ret, handler, sa_restart)) {
	case DUNE_RESTART_EINTR:
		v->regs.rax = -EINTR;
		break;
	case DUNE_RESTART_AGAIN:
		v->regs.rax = nr;
		v->regs.rip -= v->insn_len;
		break;
	case DUNE_RESTART_BLOCK:
		v->regs.rax = __NR_restart_syscall;
		v->regs.rip -= v->insn_len;
		break;
	case DUNE_RESTART_NONE:
		break;
	}
}

enum slow_result { SLOW_RESUME, SLOW_USER, SLOW_EXECVE };

/*
 * VMCALL: run the system call on the host.  The thread's user registers
 * (the DUNE_ENTER caller's) become the guest's for the call, so that calls
 * that use them behave natively: fork/clone children start at the guest's
 * next instruction with its registers and stack, sigaltstack sees its
 * stack, rt_sigreturn restores into it.
 */
static enum slow_result handle_vmcall(struct dune_vcpu *v, struct dune_enter *e)
{
	struct pt_regs *uregs = current_pt_regs(), saved = *uregs;
	unsigned long nr = v->regs.rax;
	long ret;

	skip_insn(v);
	if (nr == __NR_exit || nr == __NR_exit_group) {
		user_exit(e, v, DUNE_EXIT_EXIT);
		e->status = v->regs.rdi;
		e->exit_qual = nr == __NR_exit_group;
		v->done = true;
		return SLOW_USER;
	}

	uregs->ax = -ENOSYS;
	uregs->orig_ax = nr;
	uregs->bx = v->regs.rbx;
	uregs->cx = v->regs.rcx;
	uregs->dx = v->regs.rdx;
	uregs->si = v->regs.rsi;
	uregs->di = v->regs.rdi;
	uregs->bp = v->regs.rbp;
	uregs->r8 = v->regs.r8;
	uregs->r9 = v->regs.r9;
	uregs->r10 = v->regs.r10;
	uregs->r11 = v->regs.r11;
	uregs->r12 = v->regs.r12;
	uregs->r13 = v->regs.r13;
	uregs->r14 = v->regs.r14;
	uregs->r15 = v->regs.r15;
	uregs->ip = v->regs.rip;
	uregs->sp = v->regs.rsp;
	uregs->flags = dune_user_rflags(v->regs.rflags);

	ret = dune_syscall(uregs, nr);
	atomic64_inc(&v->vm->syscalls);

	if (current->mm != v->vm->mm) {
		/* execve replaced the process; uregs now start the new image. */
		v->done = true;
		return SLOW_EXECVE;
	}
	if (nr == __NR_rt_sigreturn) {
		v->regs.rbx = uregs->bx;
		v->regs.rcx = uregs->cx;
		v->regs.rdx = uregs->dx;
		v->regs.rsi = uregs->si;
		v->regs.rdi = uregs->di;
		v->regs.rbp = uregs->bp;
		v->regs.r8 = uregs->r8;
		v->regs.r9 = uregs->r9;
		v->regs.r10 = uregs->r10;
		v->regs.r11 = uregs->r11;
		v->regs.r12 = uregs->r12;
		v->regs.r13 = uregs->r13;
		v->regs.r14 = uregs->r14;
		v->regs.r15 = uregs->r15;
		v->regs.rip = uregs->ip;
		v->regs.rsp = uregs->sp;
		v->regs.rflags = (v->regs.rflags & ~(DUNE_RFLAGS_ARITH | DUNE_RFLAGS_DF)) |
				 (uregs->flags & (DUNE_RFLAGS_ARITH | DUNE_RFLAGS_DF));
	}
	*uregs = saved;
	v->regs.rax = ret;
	if (ret <= -DUNE_ERESTARTSYS && ret >= -DUNE_ERESTART_RESTARTBLOCK)
		syscall_restart(v, ret, nr);
	return SLOW_RESUME;
}

static enum slow_result handle_exit_slow(struct dune_vcpu *v, struct dune_enter *e)
{
	int r;

	if (v->exit_reason == EXIT_REASON_VMCALL)
		return handle_vmcall(v, e);

	/* EPT violation: fill from the process's memory, or report. */
	r = dune_ept_fault(v->vm, v->guest_phys, v->exit_qual & EPT_VIOL_WRITE);
	if (r == 0 || r == -EINTR)
		return SLOW_RESUME;	/* -EINTR: the fatal signal ends the loop */
	if (r == -ENOMEM) {
		user_exit(e, v, DUNE_EXIT_UNHANDLED);
		e->status = -ENOMEM;
		return SLOW_USER;
	}
	user_exit(e, v, DUNE_EXIT_EPT_VIOLATION);
	return SLOW_USER;
}

/* ---- The run loop ------------------------------------------------------- */

static void read_exit_info(struct dune_vcpu *v)
{
	v->exit_reason = vmcs_read32(VM_EXIT_REASON);
	v->exit_qual = vmcs_readl(EXIT_QUALIFICATION);
	v->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	v->intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	v->regs.rip = vmcs_readl(GUEST_RIP);
	v->regs.rsp = vmcs_readl(GUEST_RSP);
	v->regs.rflags = vmcs_readl(GUEST_RFLAGS);
	v->cr3 = vmcs_readl(GUEST_CR3);
	v->guest_phys = 0;
	v->guest_linear = 0;
	/*
	 * An event whose delivery caused the exit (say, an EPT violation on
	 * the guest's stack while it took a page fault): deliver it again on
	 * the next entry, as the CPU would have (SDM Vol. 3C, 27.2.4).
	 */
	if (!(v->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		u32 vec = vmcs_read32(IDT_VECTORING_INFO_FIELD);

		if (vec & VECTORING_INFO_VALID_MASK) {
			v->event_pending = true;
			v->event_info = vec & (VECTORING_INFO_VECTOR_MASK | VECTORING_INFO_TYPE_MASK |
					       VECTORING_INFO_DELIVER_CODE_MASK |
					       VECTORING_INFO_VALID_MASK);
			v->event_err = vmcs_read32(IDT_VECTORING_ERROR_CODE);
			v->event_len = v->insn_len;
		}
	}
	if ((u16)v->exit_reason == EXIT_REASON_EPT_VIOLATION) {
		v->guest_phys = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
		if (v->exit_qual & EPT_VIOL_GLA_VALID)
			v->guest_linear = vmcs_readl(GUEST_LINEAR_ADDRESS);
	}
}

static void set_intr_window(struct dune_vcpu *v, bool on)
{
	if (v->intr_window == on)
		return;
	v->intr_window = on;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
		     on ? proc_ctls | CPU_BASED_INTR_WINDOW_EXITING : proc_ctls);
}

/*
 * Events to deliver on this entry.  A re-delivered event goes first; the
 * requested interrupt waits for an open interrupt window (IF set, no
 * STI/MOV-SS blocking), which the CPU reports with an exit.
 */
static void inject_events(struct dune_vcpu *v)
{
	u32 block;

	if (v->event_pending) {
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->event_info);
		if (v->event_info & INTR_INFO_DELIVER_CODE_MASK)
			vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, v->event_err);
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, v->event_len);
		v->event_pending = false;
		set_intr_window(v, v->intr_req >= 0);
		return;
	}
	if (v->intr_req < 0) {
		set_intr_window(v, false);
		return;
	}
	block = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if ((v->regs.rflags & X86_EFLAGS_IF) && !block) {
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
			     v->intr_req | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
		v->intr_req = -1;	/* delivered, or re-delivered from IDT vectoring */
		set_intr_window(v, false);
	} else {
		set_intr_window(v, true);
	}
}

/*
 * Enter the guest once.  Interrupts off, VMCS loaded.  Returns 0 after a
 * VM exit (v->exit_reason set), or the raw result of a failed entry.
 */
static int vcpu_enter_once(struct dune_vcpu *v)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	unsigned long debugctl = get_debugctlmsr();
	u64 fs, ugs, gfs, ggs, kgs;
	int r;

	if (unlikely(cr3 != v->host_cr3)) {
		vmcs_writel(HOST_CR3, cr3);
		v->host_cr3 = cr3;
	}
	if (unlikely(cr4 != v->host_cr4)) {
		vmcs_writel(HOST_CR4, cr4);
		v->host_cr4 = cr4;
	}
	if (v->regs_dirty) {
		vmcs_writel(GUEST_RIP, v->regs.rip);
		vmcs_writel(GUEST_RSP, v->regs.rsp);
		vmcs_writel(GUEST_RFLAGS, v->regs.rflags);
		v->regs_dirty = false;
	}
	if (v->cr3_dirty) {
		vmcs_writel(GUEST_CR3, v->cr3);
		v->cr3_dirty = false;
	}
	if (v->event_pending || v->intr_req >= 0 || v->intr_window)
		inject_events(v);

	/* The guest's FPU state is the thread's: have it in the registers. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	/* FS and GS bases are the thread's; KERNEL_GS_BASE is the guest's. */
	fs = x86_fsbase_read_cpu();
	if (fs != v->fs_base) {
		vmcs_writel(GUEST_FS_BASE, fs);
		vmcs_writel(HOST_FS_BASE, fs);
		v->fs_base = fs;
	}
	rdmsrl(MSR_KERNEL_GS_BASE, ugs);
	if (ugs != v->gs_base) {
		vmcs_writel(GUEST_GS_BASE, ugs);
		v->gs_base = ugs;
	}
	if (v->kernel_gs_base != ugs)
		wrmsrl(MSR_KERNEL_GS_BASE, v->kernel_gs_base);
	if (v->syscall_msrs) {
		wrmsrl(MSR_STAR, v->star);
		wrmsrl(MSR_LSTAR, v->lstar);
		wrmsrl(MSR_CSTAR, v->cstar);
		wrmsrl(MSR_SYSCALL_MASK, v->sfmask);
	}

	trace_dune_entry(v->vpid, v->regs.rip);
	r = __dune_vmx_run(&v->regs, v->launched);

	/* Restore what the VM exit (or the guest) changed. */
	if (v->syscall_msrs) {
		wrmsrl(MSR_STAR, host_star);
		wrmsrl(MSR_LSTAR, host_lstar);
		wrmsrl(MSR_CSTAR, host_cstar);
		wrmsrl(MSR_SYSCALL_MASK, host_sfmask);
	}
	rdmsrl(MSR_KERNEL_GS_BASE, kgs);
	v->kernel_gs_base = kgs;
	if (r == 0) {
		gfs = vmcs_readl(GUEST_FS_BASE);
		ggs = vmcs_readl(GUEST_GS_BASE);
		if (gfs != v->fs_base) {	/* the guest moved its FS base */
			x86_fsbase_write_cpu(gfs);
			vmcs_writel(HOST_FS_BASE, gfs);
			v->fs_base = gfs;
		}
		v->gs_base = ggs;
	} else {
		ggs = v->gs_base;
		x86_fsbase_write_cpu(v->fs_base);
	}
	if (kgs != ggs)
		wrmsrl(MSR_KERNEL_GS_BASE, ggs);
	if (debugctl)
		update_debugctlmsr(debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	invalidate_tss_limit();

	if (r == 0) {
		v->launched = true;
		read_exit_info(v);
		/* The host's NMI or machine check, handled as the CPU would: IRQs off. */
		if (v->exit_reason == EXIT_REASON_EXCEPTION_NMI)
			handle_exception_nmi(v);
		trace_dune_exit(v->vpid, v->exit_reason, v->regs.rip, v->exit_qual);
	}
	return r;
}

/* Leave the CPU: what must be right before preemption or user space. */
static void vcpu_put(void)
{
	/* A VM exit leaves the GDT limit at 0xffff. */
	load_fixmap_gdt(smp_processor_id());
	preempt_enable();
}

static long vcpu_run(struct dune_vcpu *v, struct dune_enter *e)
{
	struct dune_vm *vm = v->vm;
	enum exit_action act;
	enum slow_result sr;
	int r;

	for (;;) {
		/*
		 * Signals, and work the kernel does on the way back to user
		 * space (task work such as the last fput of a file the guest
		 * closed, rseq updates), end the entry: the caller enters again.
		 */
		if (read_thread_flags() & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL | _TIF_NOTIFY_RESUME)) {
			e->exit_reason = DUNE_EXIT_SIGNAL;
			return 0;
		}
		cond_resched();

		preempt_disable();
		vcpu_load(v);
		for (;;) {
			local_irq_disable();
			if (__xfer_to_guest_mode_work_pending()) {
				local_irq_enable();
				act = EXIT_RESUME;
				break;
			}
			r = vcpu_enter_once(v);
			local_irq_enable();	/* the host takes its interrupt here */
			atomic64_inc(&vm->entries);
			if (r) {
				v->exit_reason = r == 1 ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;
				vcpu_put();
				e->exit_reason = DUNE_EXIT_ENTRY_FAILED;
				e->hw_exit_reason = 0;
				e->status = v->exit_reason;
				pr_info_ratelimited("VM entry failed (VM-instruction error %u)\n",
						    v->exit_reason);
				return 0;
			}
			if ((u16)v->exit_reason < DUNE_STATS_EXIT_REASONS) {
				atomic64_inc(&vm->exits[(u16)v->exit_reason]);
				atomic64_inc(&dune_exit_counts[(u16)v->exit_reason]);
			}
			if (v->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
				act = EXIT_USER;
				break;
			}
			act = handle_exit_fast(v);
			if (act != EXIT_RESUME)
				break;
			if (__xfer_to_guest_mode_work_pending())
				break;
		}
		vcpu_put();

		if (act == EXIT_RESUME)
			continue;
		if (act == EXIT_USER) {
			u32 reason = DUNE_EXIT_UNHANDLED;

			if (v->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
				reason = DUNE_EXIT_ENTRY_FAILED;
				e->status = v->exit_reason;
				pr_info_ratelimited("VM entry failed (exit reason 0x%x, qualification 0x%llx)\n",
						    v->exit_reason, v->exit_qual);
			} else if (v->exit_reason == EXIT_REASON_TRIPLE_FAULT) {
				reason = DUNE_EXIT_TRIPLE_FAULT;
			} else if (v->exit_reason == EXIT_REASON_HLT) {
				reason = DUNE_EXIT_HLT;
				skip_insn(v);
			}
			user_exit(e, v, reason);
			return 0;
		}
		sr = handle_exit_slow(v, e);
		if (sr == SLOW_USER)
			return 0;
		if (sr == SLOW_EXECVE)
			return 1;
	}
}

/* ---- DUNE_ENTER --------------------------------------------------------- */

static int check_enter(struct dune_vm *vm, const struct dune_enter *e)
{
	if (e->size != sizeof(*e) || (e->flags & ~(DUNE_ENTER_F_INTR | DUNE_ENTER_F_HOST_FS)))
		return -EINVAL;
	if ((e->flags & DUNE_ENTER_F_HOST_FS) ? !dune_canonical(e->host_fs_base, 48) : e->host_fs_base)
		return -EINVAL;
	if (memchr_inv(e->reserved, 0, sizeof(e->reserved)) || e->reserved32)
		return -EINVAL;
	if ((e->flags & DUNE_ENTER_F_INTR) && (e->intr_vector < 32 || e->intr_vector > 255))
		return -EINVAL;
	if (!(e->flags & DUNE_ENTER_F_INTR) && e->intr_vector)
		return -EINVAL;
	if (!dune_canonical(e->regs.rip, 48) || !dune_canonical(e->regs.rsp, 48))
		return -EINVAL;
	if (!dune_rflags_valid(e->regs.rflags))
		return -EINVAL;
	if (!dune_cr3_valid(e->cr3, vm->layout.guest_phys_bits))
		return -EINVAL;
	return 0;
}

/* Set the thread's FS base (selector 0), as arch_prctl(ARCH_SET_FS) does. */
static void set_thread_fs(u64 base)
{
	preempt_disable();
	current->thread.fsbase = base;
	x86_fsbase_write_cpu(base);
	preempt_enable();
}

/* The calling thread's vCPU, created on its first entry.  vm->lock held. */
static struct dune_vcpu *vm_get_vcpu(struct dune_vm *vm)
{
	struct dune_vcpu *v;

	list_for_each_entry(v, &vm->vcpus, link)
		if (v->task == current && !v->done)
			return v;
	vm_reap_vcpus(vm);
	v = vcpu_create(vm);
	if (!IS_ERR(v))
		list_add(&v->link, &vm->vcpus);
	return v;
}

long dune_enter(struct dune_vm *vm, struct dune_enter __user *uarg)
{
	struct dune_enter e;
	struct dune_vcpu *v;
	bool first;
	unsigned short fs_sel, gs_sel;
	long r;

	if (copy_from_user(&e, uarg, sizeof(e)))
		return -EFAULT;
	r = check_enter(vm, &e);
	if (r)
		return r;
	if (current->mm != vm->mm)
		return -EBADFD;
	if (current->seccomp.mode != SECCOMP_MODE_DISABLED)
		return -EPERM;	/* forwarded calls would bypass the filter */
	savesegment(fs, fs_sel);
	savesegment(gs, gs_sel);
	if (fs_sel || gs_sel)
		return -EINVAL;	/* 32-bit TLS selectors: not kept across exits */

	r = dune_vm_enable(vm);
	if (r)
		return r;

	mutex_lock(&vm->lock);
	v = vm_get_vcpu(vm);
	if (IS_ERR(v)) {
		mutex_unlock(&vm->lock);
		return PTR_ERR(v);
	}
	if (v->running) {
		mutex_unlock(&vm->lock);
		return -EBUSY;	/* DUNE_ENTER from inside Dune mode */
	}
	v->running = true;
	first = !v->setup;
	v->setup = true;
	mutex_unlock(&vm->lock);

	v->regs = e.regs;
	v->regs_dirty = true;
	v->cr3 = e.cr3;
	v->cr3_dirty = true;
	v->intr_req = (e.flags & DUNE_ENTER_F_INTR) ? (int)e.intr_vector : -1;
	if ((e.flags & DUNE_ENTER_F_HOST_FS) && v->guest_fs_valid)
		set_thread_fs(v->guest_fs);	/* the guest's, kept at the last return */
	if (first) {
		preempt_disable();
		vcpu_load(v);
		vmcs_setup(v);
		preempt_enable();
	}

	e.exit_reason = 0;
	e.hw_exit_reason = 0;
	e.exit_qual = 0;
	e.guest_phys = 0;
	e.guest_linear = 0;
	e.status = 0;
	r = vcpu_run(v, &e);

	e.regs = v->regs;
	e.cr3 = v->cr3;
	if ((e.flags & DUNE_ENTER_F_HOST_FS) && r != 1) {
		v->guest_fs = x86_fsbase_read_cpu();
		v->guest_fs_valid = true;
		set_thread_fs(e.host_fs_base);
	}
	if (v->intr_req < 0)
		e.flags &= ~DUNE_ENTER_F_INTR;
	v->intr_req = -1;
	mutex_lock(&vm->lock);
	v->running = false;
	if (v->done) {		/* exit, exit_group, execve: out of Dune mode */
		list_del(&v->link);
		vcpu_free(v);
	}
	mutex_unlock(&vm->lock);

	if (r == 1)
		return 0;	/* execve: the old image and its struct are gone */
	if (copy_to_user(uarg, &e, sizeof(e)))
		return -EFAULT;
	return 0;
}

/* ---- Module setup ------------------------------------------------------- */

static int adjust(const char *what, u32 msr_plain, u32 msr_true, u32 want, u32 optional, u32 *out)
{
	u64 basic, v;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	rdmsrl((basic & DUNE_VMX_BASIC_TRUE_CTLS) && msr_true ? msr_true : msr_plain, v);
	if (!vmx_ctl_adjust(v, want, optional, out)) {
		pr_err("the CPU lacks VMX %s controls 0x%x\n", what, want & ~(u32)(v >> 32));
		return -ENODEV;
	}
	return 0;
}

static void msr_bitmap_allow(u32 msr)
{
	unsigned long *read_lo = msr_bitmap, *read_hi = msr_bitmap + 1024 / sizeof(long);
	unsigned long *write_lo = msr_bitmap + 2048 / sizeof(long);
	unsigned long *write_hi = msr_bitmap + 3072 / sizeof(long);

	if (msr <= 0x1fff) {
		__clear_bit(msr, read_lo);
		__clear_bit(msr, write_lo);
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		__clear_bit(msr & 0x1fff, read_hi);
		__clear_bit(msr & 0x1fff, write_hi);
	}
}

int dune_vcpu_module_init(void)
{
	u32 proc2_opt = 0;
	int cpu, r;

	if (boot_cpu_has(X86_FEATURE_RDTSCP))
		proc2_opt |= SECONDARY_EXEC_ENABLE_RDTSCP;
	if (boot_cpu_has(X86_FEATURE_INVPCID))
		proc2_opt |= SECONDARY_EXEC_ENABLE_INVPCID;
	if (boot_cpu_has(X86_FEATURE_XSAVES))
		proc2_opt |= SECONDARY_EXEC_ENABLE_XSAVES;

	r = adjust("pin-based", MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		   PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
		   PIN_BASED_VMX_PREEMPTION_TIMER, &pin_ctls);
	if (!r)
		r = adjust("processor-based", MSR_IA32_VMX_PROCBASED_CTLS,
			   MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
			   CPU_BASED_HLT_EXITING | CPU_BASED_CR8_LOAD_EXITING |
			   CPU_BASED_CR8_STORE_EXITING | CPU_BASED_MOV_DR_EXITING |
			   CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_MSR_BITMAPS |
			   CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
			   CPU_BASED_RDPMC_EXITING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			   0, &proc_ctls);
	/* CR3 accesses must not exit: the guest owns its page tables. */
	proc_ctls &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		       CPU_BASED_INVLPG_EXITING | CPU_BASED_RDTSC_EXITING);
	if (!r)
		r = adjust("secondary", MSR_IA32_VMX_PROCBASED_CTLS2, 0,
			   SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
			   SECONDARY_EXEC_WBINVD_EXITING, proc2_opt, &proc2_ctls);
	if (!r)
		r = adjust("VM-exit", MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
			   VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_DEBUG_CONTROLS, 0, &exit_ctls);
	if (!r)
		r = adjust("VM-entry", MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS,
			   VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_DEBUG_CONTROLS, 0, &entry_ctls);
	if (r)
		return r;
	/* Must-be-one bits may not switch things we do not handle. */
	if ((exit_ctls & (VM_EXIT_ACK_INTR_ON_EXIT | VM_EXIT_LOAD_IA32_EFER |
			  VM_EXIT_LOAD_IA32_PAT)) ||
	    (entry_ctls & (VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT)) ||
	    (proc_ctls & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING))) {
		pr_err("the CPU forces VMX controls Dune does not support\n");
		return -ENODEV;
	}

	/*
	 * External interrupts alone guarantee that the host gets the CPU back
	 * from a guest that loops with interrupts off; the VMX-preemption
	 * timer (counting at the TSC rate >> IA32_VMX_MISC[4:0], reloaded at
	 * every entry) is a backstop for emulators that do not deliver them
	 * as VM exits then (Bochs 2.7).
	 */
	if (pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc;

		rdmsrl(MSR_IA32_VMX_MISC, misc);
		preempt_timer = min_t(u64, (u64)tsc_khz >> vmx_misc_preemption_timer_rate(misc),
				      0xffffffffULL);
		if (!preempt_timer)
			preempt_timer = 1000000;
	}

	cr4_guest_owned = dune_guest_cr4_owned(boot_cpu_has(X86_FEATURE_PCID),
					       boot_cpu_has(X86_FEATURE_SMEP),
					       boot_cpu_has(X86_FEATURE_SMAP),
					       boot_cpu_has(X86_FEATURE_FSGSBASE));

	msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!msr_bitmap)
		return -ENOMEM;
	memset(msr_bitmap, 0xff, PAGE_SIZE);
	msr_bitmap_allow(MSR_FS_BASE);
	msr_bitmap_allow(MSR_GS_BASE);
	msr_bitmap_allow(MSR_KERNEL_GS_BASE);

	rdmsrl(MSR_STAR, host_star);
	rdmsrl(MSR_LSTAR, host_lstar);
	rdmsrl(MSR_CSTAR, host_cstar);
	rdmsrl(MSR_SYSCALL_MASK, host_sfmask);

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(loaded_vcpus, cpu));
	return 0;
}

void dune_vcpu_module_exit(void)
{
	free_page((unsigned long)msr_bitmap);
	ida_destroy(&vpid_ida);
}
