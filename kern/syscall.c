// SPDX-License-Identifier: GPL-2.0
/*
 * Running a system call for a thread in Dune mode, in the kernel.
 *
 * The kernel's system call dispatch is not exported.  dune.ko finds it when
 * it loads, at run time, through kallsyms (whose own address a kprobe
 * gives), so it is always the running kernel's wherever KASLR put it;
 * nothing is read from System.map at build time.  Which dispatch is used,
 * x64_sys_call() or sys_call_table, and why: compat.h.
 *
 * Everything dune.ko calls through a pointer it found this way is checked
 * here before the first call: kallsyms_lookup_name, then x64_sys_call or
 * every entry of sys_call_table.  On a kernel built with IBT each must
 * start with ENDBR64 (ibt.h); one that does not is refused by name, and the
 * module does not load.  Debian's 6.12 has sealed kallsyms_lookup_name
 * itself: there kprobes look the two symbols up instead (kprobe_resolve).  (The host's NMI handler is called directly: see
 * vmx_run.S.)  Before trusting the table, the module also checks that a few
 * entries are the functions they must be (sprint_symbol).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/ptrace.h>
#include <asm/unistd.h>

#include "compat.h"
#include "dune.h"
#include "ibt.h"

typedef unsigned long (*dune_kln_t)(const char *);

static dune_kln_t kln;
static dune_x64_sys_call_t x64_call;		/* the dispatch: this, */
static dune_syscall_fn_t const *sys_table;	/* or this */
const char *dune_syscall_dispatch = "none";	/* for debugfs */
const char *dune_ksym_source = "none";

/*
 * May dune.ko call the kernel function at @addr (@what, for the message)
 * through a pointer?  On a kernel built with IBT, only if it starts with
 * ENDBR64.  @quiet when the caller has another way.
 */
static bool indirect_ok(const char *what, unsigned long addr, bool quiet)
{
	u8 insn[4];
	enum dune_ibt_entry e;

	if (!IS_ENABLED(CONFIG_X86_KERNEL_IBT))
		return true;
	if (copy_from_kernel_nofault(insn, (const void *)addr, sizeof(insn))) {
		pr_err("kernel IBT: cannot read the first instruction of %s (%px)\n", what,
		       (void *)addr);
		return false;
	}
	if (dune_ibt_callable(insn, true))
		return true;
	e = dune_ibt_classify(insn);
	if (!quiet)
		pr_err("kernel IBT: %s (%pS) %s, so dune.ko cannot call it through a pointer\n",
		       what, (void *)addr, dune_ibt_why(e));
	return false;
}

/*
 * The address of the kernel symbol @name, as kprobes resolve it (they call
 * kallsyms_lookup_name directly, which IBT allows), with a disabled probe
 * that arms nothing.  register_kprobe() stores the address in .addr before
 * it checks that the place may be probed, so a data symbol's comes back
 * too, with an error; a name kallsyms does not know leaves .addr NULL.  A
 * probe on a function sits after its ENDBR64 or sealing NOP: @function
 * steps back to the function itself (ibt.h).  Returns 0 if not found.
 * Whatever it returns is checked before use (callers).
 */
static unsigned long kprobe_resolve(const char *name, bool function)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	unsigned long addr;
	u8 before[4];

	if (register_kprobe(&kp) == 0)
		unregister_kprobe(&kp);
	addr = (unsigned long)kp.addr;
	if (addr && function &&
	    !copy_from_kernel_nofault(before, (const void *)(addr - 4), sizeof(before)))
		addr -= dune_kprobe_entry_back(before, IS_ENABLED(CONFIG_X86_KERNEL_IBT));
	return addr;
}

/*
 * kallsyms_lookup_name, if dune.ko may call it through a pointer; made sure
 * of by asking it for its own address.  Leaves kln NULL, and returns 0,
 * where it may not (sealed on an IBT kernel).
 */
static int find_kallsyms_lookup_name(void)
{
	unsigned long addr = kprobe_resolve("kallsyms_lookup_name", true);

	if (!addr) {
		pr_err("cannot find kallsyms_lookup_name (kprobes and kallsyms are needed)\n");
		return -ENODEV;
	}
	if (!indirect_ok("kallsyms_lookup_name", addr, true))
		return 0;
	kln = (dune_kln_t)addr;
	if (kln("kallsyms_lookup_name") != addr) {
		pr_err("kallsyms_lookup_name is not at %pS, where its kprobe pointed\n", (void *)addr);
		kln = NULL;
		return -ENODEV;
	}
	return 0;
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

/* sys_call_table, if it looks right and dune.ko may call each of its entries. */
static int use_sys_call_table(unsigned long table)
{
	char what[32];
	unsigned int nr;

	sys_table = (dune_syscall_fn_t const *)table;
	if (!sys_table) {
		pr_err("cannot find the system call table (kallsyms)\n");
		return -ENODEV;
	}
	if (!entry_is(__NR_getpid, "getpid") || !entry_is(__NR_read, "read") ||
	    !entry_is(__NR_clone3, "clone3") || !entry_is(__NR_exit_group, "exit_group")) {
		pr_err("the system call table does not look right; refusing to use it\n");
		goto fail;
	}
	for (nr = 0; nr < NR_syscalls; nr++) {
		snprintf(what, sizeof(what), "sys_call_table[%u]", nr);
		if (!indirect_ok(what, (unsigned long)sys_table[nr], false))
			goto fail;
	}
	return 0;
fail:
	sys_table = NULL;
	return -ENODEV;
}

int dune_syscall_init(void)
{
	static const char *const names[] = { "x64_sys_call", "sys_call_table" };
	unsigned long addrs[ARRAY_SIZE(names)] = { 0 };
	unsigned long x64;
	int r, i;

	r = find_kallsyms_lookup_name();
	if (r)
		return r;
	if (kln) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			addrs[i] = kln(names[i]);
		dune_ksym_source = "kallsyms_lookup_name";
	} else {
		addrs[0] = kprobe_resolve(names[0], true);
		addrs[1] = kprobe_resolve(names[1], false);
		dune_ksym_source = "kprobes (kallsyms_lookup_name has no ENDBR64)";
	}
	x64 = addrs[0];
	if (x64 && indirect_ok("x64_sys_call", x64, true)) {
		x64_call = (dune_x64_sys_call_t)x64;
		dune_syscall_dispatch = "x64_sys_call";
		return 0;
	}
	r = use_sys_call_table(addrs[1]);
	if (r)
		return r;
	dune_syscall_dispatch = x64 ? "sys_call_table (x64_sys_call has no ENDBR64)" : "sys_call_table";
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
	if (x64_call)
		return x64_call(regs, nr);
	return sys_table[nr](regs);
}
