// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability checks and VMXON/VMXOFF.
 *
 * dune.ko turns VMX on only while something needs it: dune_vmx_get() does
 * VMXON on every online CPU when the first user appears and dune_vmx_put()
 * does VMXOFF when the last one goes.  kvm_intel does the same (since 5.x it
 * enables VMX only while VMs exist), so the two modules share the CPU by
 * taking turns: whoever finds CR4.VMXE already set gets -EBUSY.  The check
 * and the VMXON run with interrupts off on the CPU concerned, as kvm_intel's
 * do, so the two cannot interleave on one CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "compat.h"
#include "dune.h"
#include "vmcs.h"

struct dune_vmx_caps dune_caps;

static DEFINE_MUTEX(vmx_lock);
static unsigned int vmx_users;		/* under vmx_lock and cpus_read_lock */
static DEFINE_PER_CPU(void *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_enabled);
static enum cpuhp_state hp_state;

static void vmxoff(void)
{
	dune_asm_goto("1: vmxoff\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : : "cc", "memory" : fault);
	return;
fault:
	pr_err_ratelimited("VMXOFF faulted on CPU %d\n", smp_processor_id());
}

/*
 * CR0 and CR4 must satisfy the VMX fixed-bit MSRs (SDM Vol. 3D A.7, A.8);
 * Linux's settings always do, but a hypervisor below us may say otherwise.
 */
static bool cr_fixed_ok(void)
{
	u64 f0, f1;
	unsigned long cr0 = read_cr0(), cr4 = cr4_read_shadow() | X86_CR4_VMXE;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, f1);
	if ((cr0 & f0) != f0 || (cr0 & ~f1))
		return false;
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, f0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, f1);
	return (cr4 & f0) == f0 && !(cr4 & ~f1);
}

/* Turn VMX on for this CPU; interrupts are off. */
static int vmx_cpu_on(void)
{
	void *region = this_cpu_read(vmxon_region);
	int r;

	if (this_cpu_read(vmx_enabled))
		return 0;
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor (kvm_intel) has VMX */
	if (!cr_fixed_ok())
		return -EIO;
	*(u32 *)region = dune_caps.revision_id;
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(__pa(region));	/* SDM Vol. 3C 30.3 */
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		return r;
	}
	this_cpu_write(vmx_enabled, true);
	return 0;
}

/* Turn VMX off for this CPU, if we turned it on; interrupts are off. */
static void vmx_cpu_off(void)
{
	if (!this_cpu_read(vmx_enabled))
		return;
	vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	this_cpu_write(vmx_enabled, false);
}

static void vmx_on_ipi(void *arg)
{
	int r = vmx_cpu_on();

	if (r)
		cmpxchg((int *)arg, 0, r);
}

static void vmx_off_ipi(void *arg)
{
	vmx_cpu_off();
}

/*
 * Reboot and kexec: leave VMX on every CPU, so that the next kernel (or the
 * firmware) finds the CPUs out of VMX operation, where INIT works.
 *
 * The kernel's emergency (crash) path has a single callback slot for this
 * (cpu_emergency_register_virt_callback, Linux 6.6, backported to 6.1.y),
 * which kvm_intel takes when it loads: taking it first would make
 * kvm_intel's registration WARN, so dune.ko does not.  A kernel crash while
 * dune.ko has VMX on therefore leaves VMX on for the crash kernel, unless
 * kvm_intel is loaded (its callback turns VMX off whoever turned it on).
 * Kernels without the slot turn VMX off in the crash path by themselves.
 */
static int vmx_reboot(struct notifier_block *nb, unsigned long code, void *unused)
{
	on_each_cpu(vmx_off_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

int dune_vmx_get(void)
{
	int r = 0;

	mutex_lock(&vmx_lock);
	cpus_read_lock();
	if (vmx_users == 0) {
		on_each_cpu(vmx_on_ipi, &r, 1);
		if (r) {
			on_each_cpu(vmx_off_ipi, NULL, 1);
			if (r == -EBUSY)
				pr_info_ratelimited("VMX is in use by another hypervisor\n");
			else
				pr_err_ratelimited("VMXON failed (%d)\n", r);
			goto out;
		}
	}
	vmx_users++;
out:
	cpus_read_unlock();
	mutex_unlock(&vmx_lock);
	return r;
}

void dune_vmx_put(void)
{
	mutex_lock(&vmx_lock);
	cpus_read_lock();
	if (!WARN_ON_ONCE(vmx_users == 0) && --vmx_users == 0)
		on_each_cpu(vmx_off_ipi, NULL, 1);
	cpus_read_unlock();
	mutex_unlock(&vmx_lock);
}

unsigned int dune_vmx_users(void)
{
	return READ_ONCE(vmx_users);
}

/*
 * CPU hotplug.  These run on the CPU coming up or going down, with the
 * hotplug lock held for writing, which excludes dune_vmx_get/put.
 */
static int vmx_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int r = 0;

	if (vmx_users) {
		local_irq_save(flags);
		r = vmx_cpu_on();
		local_irq_restore(flags);
	}
	return r;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	if (this_cpu_read(vmx_enabled))
		dune_vcpus_cpu_offline();	/* VMCLEAR what this CPU holds */
	vmx_cpu_off();
	local_irq_restore(flags);
	return 0;
}

static int read_caps(void)
{
	u64 basic, ctls, ctls2 = 0, ept_vpid = 0;

	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &basic) ||
	    rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS, &ctls))
		return -ENODEV;
	if ((ctls >> 32) & CPU_BASED_ACTIVATE_SECONDARY) {
		if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &ctls2))
			return -ENODEV;
		if (((ctls2 >> 32) & (SECONDARY_ENABLE_EPT | SECONDARY_ENABLE_VPID)) &&
		    rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &ept_vpid))
			return -ENODEV;
	}
	if (!dune_vmx_caps_decode(basic, ctls, ctls2, ept_vpid, &dune_caps)) {
		pr_err("this CPU's VMX lacks %s; Dune needs VMX with EPT and VPID\n",
		       dune_caps.missing);
		return -ENODEV;
	}
	return 0;
}

int dune_vmx_init(void)
{
	int cpu, r;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_ZHAOXIN &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_CENTAUR) {
		pr_err("not an Intel VT-x CPU; Dune needs VMX with EPT and VPID\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("VMX (VT-x) is not available: not supported by this CPU, disabled by the firmware, or hidden by the hypervisor\n");
		return -ENODEV;
	}
	r = read_caps();
	if (r) {
		if (!dune_caps.missing)
			pr_err("cannot read the VMX capability MSRs\n");
		return r;
	}

	for_each_possible_cpu(cpu) {
		struct page *p = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);

		if (!p) {
			r = -ENOMEM;
			goto out_free;
		}
		per_cpu(vmxon_region, cpu) = page_address(p);
	}

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "dune:online",
				      vmx_cpu_online, vmx_cpu_offline);
	if (r < 0)
		goto out_free;
	hp_state = r;
	register_reboot_notifier(&vmx_reboot_nb);
	return 0;

out_free:
	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	return r;
}

void dune_vmx_exit(void)
{
	int cpu;

	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state_nocalls(hp_state);
	WARN_ON_ONCE(vmx_users);
	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}
