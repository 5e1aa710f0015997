// SPDX-License-Identifier: GPL-2.0
/*
 * Running a system call for a thread in Dune mode, in the kernel.
 *
 * The x86-64 system call table is not exported.  dune.ko finds it when it
 * loads, at run time, through kallsyms (whose own address a kprobe gives),
 * so it is always the running kernel's table wherever KASLR put it; nothing
 * is read from System.map at build time.  Before trusting it, the module
 * checks that a few entries are the functions they must be (sprint_symbol),
 * and refuses to load otherwise.  Kernel-version differences in how system
 * calls are dispatched live in compat.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/ptrace.h>
#include <asm/unistd.h>

#include "compat.h"
#include "dune.h"

static dune_syscall_fn_t const *sys_table;

static unsigned long lookup_name(const char *name)
{
	typedef unsigned long (*kln_t)(const char *);
	/* Registered disabled: only the address is wanted, nothing is armed. */
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name", .flags = KPROBE_FLAG_DISABLED };
	kln_t kln;

	if (register_kprobe(&kp) < 0)
		return 0;
	kln = (kln_t)kp.addr;
	unregister_kprobe(&kp);
	return kln ? kln(name) : 0;
}

/*
 * Is table entry @nr the system call @want ("getpid")?  Its symbol is
 * __x64_sys_getpid, or an alias of it (__do_sys_getpid for calls without
 * arguments, __se_sys_* wrappers).
 */
static bool entry_is(unsigned long nr, const char *want)
{
	static const char * const prefixes[] = { "__x64_sys_", "__do_sys_", "__se_sys_" };
	char name[KSYM_SYMBOL_LEN];
	size_t n = strlen(want);
	int i;

	sprint_symbol(name, (unsigned long)sys_table[nr]);
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t p = strlen(prefixes[i]);

		if (!strncmp(name, prefixes[i], p) && !strncmp(name + p, want, n) &&
		    (name[p + n] == '+' || name[p + n] == '\0'))
			return true;
	}
	pr_err("system call %lu is %s, not %s\n", nr, name, want);
	return false;
}

int dune_syscall_init(void)
{
	if (cpu_feature_enabled(X86_FEATURE_IBT)) {
		/* Sealed (ENDBR-less) functions cannot be called indirectly. */
		pr_err("kernel IBT is on; calling system calls from a module is not supported there yet\n");
		return -ENODEV;
	}
	sys_table = (dune_syscall_fn_t const *)lookup_name("sys_call_table");
	if (!sys_table) {
		pr_err("cannot find the system call table (kprobes and kallsyms are needed)\n");
		return -ENODEV;
	}
	if (!entry_is(__NR_getpid, "getpid") || !entry_is(__NR_read, "read") ||
	    !entry_is(__NR_clone3, "clone3") || !entry_is(__NR_exit_group, "exit_group")) {
		pr_err("the system call table does not look right; refusing to use it\n");
		sys_table = NULL;
		return -ENODEV;
	}
	return 0;
}

/*
 * Run system call @nr with @regs (the thread's user registers, set up by
 * the caller to be the guest's).  Numbers outside the table, including
 * x32 ones, get -ENOSYS, as native calls on this kernel do.
 */
long dune_syscall(struct pt_regs *regs, unsigned long nr)
{
	if (nr >= NR_syscalls)
		return -ENOSYS;
	nr = array_index_nospec(nr, NR_syscalls);
	return sys_table[nr](regs);
}
