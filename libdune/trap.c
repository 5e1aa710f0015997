// SPDX-License-Identifier: BSD-3-Clause
/*
 * trap.c - what happens after entry.S saved a trap frame: dispatch to the
 * registered handlers, the default actions (report and die with the
 * matching signal), host signals for Dune-mode handlers, ring 3.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "percpu.h"
#include "syscall.h"

static dune_intr_cb intr_cbs[DUNE_NUM_VECTORS];
static dune_pgflt_cb pgflt_cb;
static dune_syscall_cb syscall_cb;
dune_signal_cb dune_signal_cbs[65];

static const char *const vector_names[32] = {
	"divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)", "overflow (#OF)",
	"bound range (#BR)", "invalid opcode (#UD)", "device not available (#NM)",
	"double fault (#DF)", "coprocessor segment overrun", "invalid TSS (#TS)",
	"segment not present (#NP)", "stack fault (#SS)", "general protection (#GP)",
	"page fault (#PF)", "reserved 15", "x87 error (#MF)", "alignment check (#AC)",
	"machine check (#MC)", "SIMD error (#XM)", "virtualization (#VE)",
	"control protection (#CP)",
};

static const char *vector_name(uint64_t v)
{
	if (v == DUNE_VEC_SYSCALL)
		return "system call";
	if (v == DUNE_VEC_SIGNAL)
		return "signal interrupt";
	if (v < 32 && vector_names[v])
		return vector_names[v];
	return v < 32 ? "reserved exception" : "interrupt";
}

/* The signal a native process would get for this vector. */
static int vector_signal(uint64_t v)
{
	switch (v) {
	case DUNE_T_DE: case DUNE_T_MF: case DUNE_T_XM:
		return SIGFPE;
	case DUNE_T_UD:
		return SIGILL;
	case DUNE_T_BP: case DUNE_T_DB:
		return SIGTRAP;
	case DUNE_T_AC:
		return SIGBUS;
	case DUNE_VEC_SYSCALL:
		return SIGSYS;
	default:
		return SIGSEGV;
	}
}

int dune_vector_signal(int vector)
{
	return vector_signal(vector);
}

/* ---- registration ------------------------------------------------------------ */

int dune_register_intr_handler(int vec, dune_intr_cb cb)
{
	if (vec < 0 || vec >= DUNE_NUM_VECTORS || vec == DUNE_VEC_SIGNAL)
		return -EINVAL;
	__atomic_store_n(&intr_cbs[vec], cb, __ATOMIC_RELEASE);
	return 0;
}

int dune_register_pgflt_handler(dune_pgflt_cb cb)
{
	__atomic_store_n(&pgflt_cb, cb, __ATOMIC_RELEASE);
	return 0;
}

int dune_register_syscall_handler(dune_syscall_cb cb)
{
	__atomic_store_n(&syscall_cb, cb, __ATOMIC_RELEASE);
	return 0;
}

/* A host signal for a Dune-mode handler: note it for the thread; the
 * DUNE_ENTER loop then asks the module to interrupt the guest. */
static void host_signal(int sig, siginfo_t *info, void *uc)
{
	struct dune_percpu *pc = dune_percpu();	/* FS is glibc's: the module restores it */

	(void)uc;
	if (!pc)
		return;
	pc->siginfo[sig - 1] = *info;
	__atomic_or_fetch(&pc->sig_pending, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
}

int dune_register_signal_handler(int signum, dune_signal_cb cb)
{
	struct sigaction sa;

	if (signum < 1 || signum > 64 || signum == SIGKILL || signum == SIGSTOP)
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	if (cb) {
		sa.sa_sigaction = host_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	} else {
		sa.sa_handler = SIG_DFL;
	}
	sigemptyset(&sa.sa_mask);
	__atomic_store_n(&dune_signal_cbs[signum], cb, __ATOMIC_RELEASE);
	if (sigaction(signum, &sa, NULL))
		return -errno;
	return 0;
}

/* ---- reports -------------------------------------------------------------------- */

/* Whether [p, p+len) is mapped readable in the current page tables. */
static bool readable(uintptr_t p, size_t len)
{
	dune_pte_t *root = dune_current_root(), *pte;
	uintptr_t a;

	if (!root)
		return false;
	for (a = p & ~(DUNE_PGSIZE - 1); a < p + len; a += DUNE_PGSIZE) {
		if (a < DUNE_PGSIZE || a >= (1UL << 47))
			return false;
		if (dune_vm_lookup(root, (void *)a, false, &pte, NULL) || !(*pte & DUNE_PTE_P))
			return false;
	}
	return true;
}

static void print_symbol(const char *prefix, uint64_t addr)
{
	Dl_info info;

	if (dladdr((void *)addr, &info) && info.dli_fname) {
		if (info.dli_sname)
			dune_printf("    %s%016llx %s+0x%llx (%s)\n", prefix, (unsigned long long)addr,
				    info.dli_sname, (unsigned long long)(addr - (uintptr_t)info.dli_saddr),
				    info.dli_fname);
		else
			dune_printf("    %s%016llx %s+0x%llx\n", prefix, (unsigned long long)addr,
				    info.dli_fname,
				    (unsigned long long)(addr - (uintptr_t)info.dli_fbase));
	} else {
		dune_printf("    %s%016llx\n", prefix, (unsigned long long)addr);
	}
}

void dune_dump_trap_frame(const struct dune_tf *tf)
{
	uint64_t rbp = tf->rbp;
	int i;

	dune_printf("%s in ring %d, thread %d: vector %llu, error code 0x%llx%s",
		    vector_name(tf->vector), (int)(tf->cs & 3), gettid(),
		    (unsigned long long)tf->vector, (unsigned long long)tf->err, "\n");
	if (tf->vector == DUNE_T_PF)
		dune_printf("  fault address %016llx (%s, %s, %s)\n", (unsigned long long)tf->addr,
			    tf->err & DUNE_PF_P ? "protection" : "not present",
			    tf->err & DUNE_PF_I ? "fetch" : tf->err & DUNE_PF_W ? "write" : "read",
			    tf->err & DUNE_PF_U ? "ring 3" : "ring 0");
	dune_printf("  rip %016llx cs %04llx rflags %016llx rsp %016llx ss %04llx\n"
		    "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		    "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
		    "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
		    "  r13 %016llx r14 %016llx r15 %016llx fs  %016llx\n",
		    (unsigned long long)tf->rip, (unsigned long long)tf->cs,
		    (unsigned long long)tf->rflags, (unsigned long long)tf->rsp,
		    (unsigned long long)tf->ss, (unsigned long long)tf->rax,
		    (unsigned long long)tf->rbx, (unsigned long long)tf->rcx,
		    (unsigned long long)tf->rdx, (unsigned long long)tf->rsi,
		    (unsigned long long)tf->rdi, (unsigned long long)tf->rbp,
		    (unsigned long long)tf->r8, (unsigned long long)tf->r9,
		    (unsigned long long)tf->r10, (unsigned long long)tf->r11,
		    (unsigned long long)tf->r12, (unsigned long long)tf->r13,
		    (unsigned long long)tf->r14, (unsigned long long)tf->r15,
		    (unsigned long long)tf->fs_base);
	/* Backtrace: the frame-pointer chain, as far as it is readable. */
	dune_printf("  backtrace:\n");
	print_symbol("", tf->rip);
	for (i = 0; i < 16 && rbp && !(rbp & 7) && readable(rbp, 16); i++) {
		uint64_t next = ((uint64_t *)rbp)[0], ret = ((uint64_t *)rbp)[1];

		if (!ret)
			break;
		print_symbol("", ret);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

void dune_die(struct dune_tf *tf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dune_vprintf(fmt, ap);
	va_end(ap);
	dune_printf("\n");
	dune_dump_trap_frame(tf);
	dune_kill_self(vector_signal(tf->vector));
}

/*
 * A fault in the entry code or a double fault: the stack or GS base is bad,
 * and FS may be ring 3's, so no glibc here: raw VMCALLs, hex by hand.
 */
static void raw_puts(const char *s)
{
	dune_vmcall3(SYS_write, 2, (long)s, strlen(s));
}

static void raw_hex(const char *name, uint64_t v)
{
	char buf[32];
	int i;

	raw_puts(name);
	for (i = 0; i < 16; i++)
		buf[i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	buf[16] = ' ';
	buf[17] = 0;
	raw_puts(buf);
}

void dune_trap_fatal(struct dune_tf *tf)
{
	static int dying;
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } sa = { 0 };

	if (__atomic_exchange_n(&dying, 1, __ATOMIC_SEQ_CST) == 0) {
		raw_puts(tf->vector == DUNE_T_DF ?
			 "libdune: double fault (a stack overflow, or a trap stack that is not mapped)\n" :
			 "libdune: fault inside the trap entry (bad stack, or GS base changed by ring 3)\n");
		raw_hex("  vector ", tf->vector);
		raw_hex("err ", tf->err);
		raw_hex("rip ", tf->rip);
		raw_hex("cs ", tf->cs);
		raw_hex("\n  rsp ", tf->rsp);
		raw_hex("rbp ", tf->rbp);
		raw_hex("cr2 ", tf->addr);
		raw_puts("\n");
	}
	dune_vmcall6(SYS_rt_sigaction, SIGSEGV, (long)&sa, 0, 8, 0, 0);
	for (;;) {
		dune_vmcall3(SYS_tgkill, dune_vmcall3(SYS_getpid, 0, 0, 0),
			     dune_vmcall3(SYS_gettid, 0, 0, 0), SIGSEGV);
		dune_vmcall3(SYS_exit_group, 128 + SIGSEGV, 0, 0);
	}
}

/* ---- dispatch ------------------------------------------------------------------- */

static void deliver_signals(struct dune_tf *tf)
{
	struct dune_percpu *pc = dune_percpu();
	uint64_t pending = __atomic_exchange_n(&pc->sig_pending, 0, __ATOMIC_SEQ_CST);

	while (pending) {
		int sig = __builtin_ctzll(pending) + 1;
		dune_signal_cb cb = __atomic_load_n(&dune_signal_cbs[sig], __ATOMIC_ACQUIRE);
		siginfo_t info = pc->siginfo[sig - 1];

		pending &= pending - 1;
		if (cb)
			cb(sig, &info, tf);
	}
}

/* Ring-3 frames leave with ring-3 selectors, IF set, IOPL 0. */
static void sanitize_user(struct dune_tf *tf)
{
	tf->cs = DUNE_GD_UT;
	tf->ss = DUNE_GD_UD;
	tf->rflags = (tf->rflags & 0x0cd5ULL) | 0x200 | 0x2;	/* arith flags, TF, DF; IF */
}

void dune_trap_dispatch(struct dune_tf *tf)
{
	bool user = dune_tf_is_user(tf);
	uint64_t v = tf->vector;
	dune_intr_cb cb;

	if (v == DUNE_T_PF) {
		uint64_t addr = tf->addr;
		dune_pgflt_cb pf = __atomic_load_n(&pgflt_cb, __ATOMIC_ACQUIRE);

		if (!user && !(tf->err & DUNE_PF_P) && dune_demand_map(addr) == 0)
			return;
		if (pf)
			pf(addr, tf->err, tf);
		else if ((cb = __atomic_load_n(&intr_cbs[v], __ATOMIC_ACQUIRE)))
			cb(tf);
		else
			dune_die(tf, "unhandled page fault at %016llx", (unsigned long long)addr);
	} else if (v == DUNE_VEC_SYSCALL) {
		dune_syscall_cb sc = __atomic_load_n(&syscall_cb, __ATOMIC_ACQUIRE);

		if (!sc)
			dune_die(tf, "system call %llu from ring 3, and no system-call handler",
				 (unsigned long long)tf->rax);
		__asm__ volatile("sti" ::: "memory");
		sc(tf);
		__asm__ volatile("cli" ::: "memory");
	} else if (v == DUNE_VEC_SIGNAL) {
		deliver_signals(tf);
	} else if (v < DUNE_NUM_VECTORS && (cb = __atomic_load_n(&intr_cbs[v], __ATOMIC_ACQUIRE))) {
		cb(tf);
	} else {
		dune_die(tf, "unhandled %s", vector_name(v));
	}
	if (user)
		sanitize_user(tf);
}

/* ---- ring 3 and system calls ------------------------------------------------------ */

DUNE_HIDDEN int __dune_jump_to_user(struct dune_tf *tf);

int dune_jump_to_user(struct dune_tf *tf)
{
	struct dune_percpu *pc = dune_percpu();
	struct dune_tf t;

	if (!pc || !pc->in_guest)
		return -EPERM;
	if (pc->ujmp_rsp)
		return -EBUSY;
	t = *tf;
	sanitize_user(&t);
	t.vector = 0;
	t.err = 0;
	t.addr = 0;
	return __dune_jump_to_user(&t);
}

void dune_passthrough_syscall(struct dune_tf *tf)
{
	tf->rax = dune_vmcall6(tf->rax, tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
}

int dune_skip_insn(struct dune_tf *tf)
{
	uint8_t buf[15];
	size_t n = 15;
	int len;

	/* Up to 15 bytes, or to the end of the last readable page. */
	while (n && !readable(tf->rip, n))
		n = n > 1 && ((tf->rip + n) & (DUNE_PGSIZE - 1)) ?
		    n - ((tf->rip + n) & (DUNE_PGSIZE - 1)) : n - 1;
	if (!n)
		return -EFAULT;
	memcpy(buf, (const void *)tf->rip, n);
	len = dune_insn_len(buf, n);
	if (len < 0)
		return len == -ENODATA ? -EFAULT : len;
	tf->rip += len;
	return len;
}
