// SPDX-License-Identifier: GPL-2.0
/*
 * dune.ko: safe user-level access to privileged CPU features through VT-x
 * (Belay et al., OSDI 2012), for current Linux kernels.
 *
 * This file: module load/unload, /dev/dune and its ioctls.  Every ioctl
 * copies its argument into a stack struct, checks the size field and that
 * reserved fields are zero, and answers -EINVAL/-EFAULT/-ENOTTY rather than
 * guessing (the shape of virt/kvm/kvm_main.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <asm/vmx.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "compat.h"
#include "dune.h"
#include "layout.h"

static bool dune_probe_vmx = true;
module_param_named(probe_vmx, dune_probe_vmx, bool, 0444);
MODULE_PARM_DESC(probe_vmx,
		 "At load, turn VMX on and off once on every CPU to prove it works (default: on)");

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Permissions of /dev/dune (default: 0600, root only)");

static struct dentry *debugfs_dir;

static long dune_get_layout(struct dune_vm *vm, void __user *argp)
{
	struct dune_layout l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l))
		return -EINVAL;
	/* Everything after .size is output and must come in as zero. */
	if (memchr_inv((char *)&l + sizeof(l.size), 0, sizeof(l) - sizeof(l.size)))
		return -EINVAL;
	/* The layout was fixed when this process opened /dev/dune. */
	if (copy_to_user(argp, &vm->layout, sizeof(l)))
		return -EFAULT;
	return 0;
}

static long dune_get_stats(struct dune_vm *vm, void __user *argp)
{
	struct dune_stats st;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (st.size != sizeof(st))
		return -EINVAL;
	if (memchr_inv((char *)&st + sizeof(st.size), 0, sizeof(st) - sizeof(st.size)))
		return -EINVAL;
	dune_vm_stats(vm, &st);
	if (copy_to_user(argp, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long dune_check_extension(unsigned long cap)
{
	switch (cap) {
	case DUNE_CAP_LAYOUT:
		return 1;
	case DUNE_CAP_EPT_2M:
		return dune_caps.ept_2m;
	case DUNE_CAP_EPT_1G:
		return dune_caps.ept_1g;
	case DUNE_CAP_EPT_AD:
		return dune_caps.ept_ad;
	case DUNE_CAP_PCID:
		return boot_cpu_has(X86_FEATURE_PCID);
	default:
		return 0;
	}
}

static long dune_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case DUNE_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return DUNE_API_VERSION;
	case DUNE_CHECK_EXTENSION:
		return dune_check_extension(arg);
	case DUNE_GET_LAYOUT:
		return dune_get_layout(filp->private_data, argp);
	case DUNE_GET_STATS:
		return dune_get_stats(filp->private_data, argp);
	case DUNE_ENTER: {
		long r;

		/* A close() of this descriptor from the guest must not free
		 * the VM under the running vCPU. */
		get_file(filp);
		r = dune_enter(filp->private_data, argp);
		fput(filp);
		return r;
	}
	default:
		return -ENOTTY;
	}
}

/*
 * Each open of /dev/dune is one Dune process: the address space of the
 * opener, with its layout fixed now.  Its threads share the descriptor;
 * after fork, a child opens /dev/dune again.
 */
static int dune_dev_open(struct inode *inode, struct file *filp)
{
	struct dune_vm *vm = dune_vm_create();

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	filp->private_data = vm;
	return 0;
}

static int dune_dev_release(struct inode *inode, struct file *filp)
{
	dune_vm_destroy(filp->private_data);
	return 0;
}

static const struct file_operations dune_fops = {
	.owner = THIS_MODULE,
	.open = dune_dev_open,
	.release = dune_dev_release,
	.unlocked_ioctl = dune_dev_ioctl,
	.compat_ioctl = NULL,	/* 64-bit processes only */
	.llseek = noop_llseek,
};

static struct miscdevice dune_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dune",
	.fops = &dune_fops,
};

static int vmx_users_get(void *data, u64 *val)
{
	*val = dune_vmx_users();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vmx_users_fops, vmx_users_get, NULL, "%llu\n");

static int counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(counter_fops, counter_get, NULL, "%llu\n");

static const struct { u32 reason; const char *name; } exit_names[] = { VMX_EXIT_REASONS };

/* Exits by VMX reason, all Dune processes since load: "REASON NAME COUNT". */
static int exits_show(struct seq_file *m, void *unused)
{
	int i, j;

	for (i = 0; i < DUNE_STATS_EXIT_REASONS; i++) {
		u64 n = atomic64_read(&dune_exit_counts[i]);
		const char *name = "UNKNOWN";

		if (!n)
			continue;
		for (j = 0; j < ARRAY_SIZE(exit_names); j++)
			if (exit_names[j].reason == i)
				name = exit_names[j].name;
		seq_printf(m, "%d %s %llu\n", i, name, n);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exits);

/* How system calls from Dune mode reach the kernel (compat.h, syscall.c). */
static int syscall_dispatch_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "dispatch: %s\nsymbols: %s\n", dune_syscall_dispatch, dune_ksym_source);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(syscall_dispatch);

static int __init dune_init(void)
{
	int r;

	if (dev_mode & ~0777) {
		pr_err("dev_mode=%o is not a permission mode\n", dev_mode);
		return -EINVAL;
	}
	r = dune_vmx_init();
	if (r)
		return r;

	if (boot_cpu_data.x86_phys_bits < DUNE_LAYOUT_MIN_BITS) {
		pr_err("physical addresses are %u bits wide; Dune needs at least %u\n",
		       boot_cpu_data.x86_phys_bits, DUNE_LAYOUT_MIN_BITS);
		r = -ENODEV;
		goto out_vmx;
	}

	r = dune_syscall_init();
	if (r)
		goto out_vmx;
	r = dune_vcpu_module_init();
	if (r)
		goto out_vmx;

	if (dune_probe_vmx) {
		r = dune_vmx_get();
		if (r == 0)
			dune_vmx_put();
		else if (r != -EBUSY) {
			pr_err("VMX does not work on this CPU (VMXON failed: %d)\n", r);
			r = -ENODEV;
			goto out_vmx;
		}
		/* -EBUSY: another hypervisor has VMX right now; that is fine. */
	}

	dune_dev.mode = dev_mode;
	r = misc_register(&dune_dev);
	if (r) {
		pr_err("cannot register /dev/dune (%d)\n", r);
		goto out_vmx;
	}

	debugfs_dir = debugfs_create_dir("dune", NULL);
	debugfs_create_file_unsafe("vmx_users", 0444, debugfs_dir, NULL, &vmx_users_fops);
	debugfs_create_file_unsafe("vcpus", 0444, debugfs_dir, &dune_nr_vcpus, &counter_fops);
	debugfs_create_file_unsafe("ept_pages", 0444, debugfs_dir, &dune_nr_ept_pages, &counter_fops);
	debugfs_create_file_unsafe("contexts", 0444, debugfs_dir, &dune_nr_vms, &counter_fops);
	debugfs_create_file("exits", 0444, debugfs_dir, NULL, &exits_fops);
	debugfs_create_file("syscall_dispatch", 0444, debugfs_dir, NULL, &syscall_dispatch_fops);
	return 0;

out_vmx:
	dune_vcpu_module_exit();
	dune_vmx_exit();
	return r;
}

static void __exit dune_exit(void)
{
	debugfs_remove_recursive(debugfs_dir);
	misc_deregister(&dune_dev);
	dune_vcpu_module_exit();
	dune_vmx_exit();
}

module_init(dune_init);
module_exit(dune_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The Dune reproduction authors");
MODULE_DESCRIPTION("Dune: safe user-level access to privileged CPU features (VT-x)");
/* The kernels it was tested on (compat.h); `modinfo dune.ko` shows them. */
MODULE_INFO(tested_kernels, "Debian 6.1 (6.1.192), Debian 6.12 (6.12.95 bookworm-backports)");
