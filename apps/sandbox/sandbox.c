// SPDX-License-Identifier: BSD-3-Clause
/*
 * sandbox.c - run an untrusted, unmodified ELF program in ring 3 of a Dune
 * process, under a system-call policy (apps/sandbox/README.md).
 *
 *   sandbox [-p POLICY] [-t] -- PROGRAM [ARGS...]
 *
 * This file: options, loading a program (also for execve), its stack, the
 * faults and signals of ring 3, reports.  sys.c checks and forwards the
 * system calls; mm.c manages the program's memory; policy.c parses policies.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef SA_RESTORER
#define SA_RESTORER	0x04000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM	(1U << 31)
#endif

struct sb sb = { .out = 2 };
extern char **environ;

/* ---- reports ---------------------------------------------------------------- */

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "sandbox[%d]: %s", (int)sb.pid, kind);
	if (n < 0 || n >= (int)sizeof(buf))
		n = 0;
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(sb.out, buf, n) < 0)
		(void)0;
}

void sb_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("denied: ", fmt, ap);
	va_end(ap);
}

void sb_exit_group(int status)
{
	sb_procs_exit();
	for (;;)
		syscall(SYS_exit_group, status);
}

void sb_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("violation: ", fmt, ap);
	va_end(ap);
	sb_exit_group(SB_EXIT_VIOLATION);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("sandbox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(SB_EXIT_ERROR);
}

/* Die of @sig as the program would have natively (exit status, core). */
static void __attribute__((noreturn)) die_by_signal(int sig)
{
	sb_procs_exit();
	dune_kill_self(sig);
}

/* ---- FPU state of ring 3 ------------------------------------------------------ */

/* The program's FPU/SSE/AVX state is saved when ring 3 enters the sandbox
 * (the sandbox's own C code uses those registers) and put back on the way
 * out; a signal frame carries a copy (XSAVE layout, as Linux's does). */
static uint64_t xmask;			/* XCR0 components saved */
static uint32_t xsize = 512;		/* bytes of the save area */
static bool use_xsave;
static uint8_t *fpu_area;		/* 64-byte aligned */

static void fpu_init(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (c & (1u << 27)) {		/* OSXSAVE */
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xmask = ((uint64_t)hi << 32 | lo) & ~((1ULL << 17) | (1ULL << 18));	/* no AMX */
		__cpuid_count(0xd, 0, a, b, c, d);
		xsize = b > 512 + 64 ? b : 512 + 64;
		use_xsave = true;
	}
	xsize = (xsize + 63) & ~63u;
	fpu_area = aligned_alloc(64, xsize);
	if (!fpu_area)
		fatal("out of memory");
	memset(fpu_area, 0, xsize);
}

static void fpu_save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" :: "r"(area), "a"((uint32_t)xmask),
				 "d"((uint32_t)(xmask >> 32)) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" :: "r"(area) : "memory");
}

static void fpu_restore(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)" :: "r"(area), "a"((uint32_t)xmask),
				 "d"((uint32_t)(xmask >> 32)) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" :: "r"(area) : "memory");
}

/* Whether an FPU image from the program can be loaded without a fault:
 * MXCSR reserved bits clear, XSAVE header in the standard form. */
static bool fpu_valid(const uint8_t *area)
{
	uint32_t mxcsr, mask;

	memcpy(&mxcsr, area + 24, 4);
	memcpy(&mask, area + 28, 4);
	if (!mask)
		mask = 0xffbf;
	if (mxcsr & ~0xffffu)
		return false;
	if (mxcsr & ~mask)
		return false;
	if (use_xsave) {
		uint64_t bv, comp;
		size_t i;

		memcpy(&bv, area + 512, 8);
		memcpy(&comp, area + 520, 8);
		if (bv & ~xmask || comp)
			return false;
		for (i = 528; i < 576; i++)
			if (area[i])
				return false;
	}
	return true;
}

/* ---- signals --------------------------------------------------------------------- */

struct sb_sigframe {
	uint64_t pretcode;		/* sa_restorer: the handler returns there */
	ucontext_t uc;
	siginfo_t info;
};

static uint64_t host_blocked(void)
{
	uint64_t set = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &set, 8);
	return set;
}

static void host_set_blocked(uint64_t set)
{
	set &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8);
}

/* Run the program's handler for @sig on @tf (a ring-3 frame); false when the
 * frame cannot be written (the program then dies of SIGSEGV). */
static bool setup_frame(struct dune_tf *tf, int sig, const siginfo_t *info)
{
	struct sb_sigact *a = &sb.act[sig];
	struct sb_sigframe f;
	uint64_t sp = tf->rsp, fp, frame;
	uint8_t *area = fpu_area;
	greg_t *g = f.uc.uc_mcontext.gregs;
	bool on_alt = sb.altstack_size && sp - sb.altstack_sp <= sb.altstack_size;

	if ((a->flags & SA_ONSTACK) && sb.altstack_size && !on_alt && !(sb.altstack_flags & SS_DISABLE))
		sp = sb.altstack_sp + sb.altstack_size;
	sp -= 128;				/* the red zone */
	fp = (sp - xsize) & ~63UL;
	frame = ((fp - sizeof(f)) & ~15UL) - 8;
	if (sp > SB_HI || !sb_range_ok(frame, sp - frame))
		sb_violation("signal %d's frame would go to %#lx, in the sandbox's memory (rsp %#lx)",
			     sig, (unsigned long)frame, (unsigned long)tf->rsp);
	memset(&f, 0, sizeof(f));
	f.pretcode = a->restorer;
	f.uc.uc_stack.ss_sp = (void *)sb.altstack_sp;
	f.uc.uc_stack.ss_size = sb.altstack_size;
	f.uc.uc_stack.ss_flags = sb.altstack_size ? (on_alt ? SS_ONSTACK : 0) : SS_DISABLE;
	g[REG_R8] = tf->r8; g[REG_R9] = tf->r9; g[REG_R10] = tf->r10; g[REG_R11] = tf->r11;
	g[REG_R12] = tf->r12; g[REG_R13] = tf->r13; g[REG_R14] = tf->r14; g[REG_R15] = tf->r15;
	g[REG_RDI] = tf->rdi; g[REG_RSI] = tf->rsi; g[REG_RBP] = tf->rbp; g[REG_RBX] = tf->rbx;
	g[REG_RDX] = tf->rdx; g[REG_RAX] = tf->rax; g[REG_RCX] = tf->rcx; g[REG_RSP] = tf->rsp;
	g[REG_RIP] = tf->rip; g[REG_EFL] = tf->rflags; g[REG_CSGSFS] = 0x33;
	g[REG_ERR] = tf->vector < 32 ? tf->err : 0;
	g[REG_TRAPNO] = tf->vector < 32 ? tf->vector : 0;
	g[REG_CR2] = tf->vector == DUNE_T_PF ? tf->addr : 0;
	g[REG_OLDMASK] = host_blocked();
	f.uc.uc_mcontext.fpregs = (void *)fp;
	memcpy(&f.uc.uc_sigmask, &g[REG_OLDMASK], 8);
	f.info = *info;
	if (frame < SB_LO || sp > SB_HI || sb_copy_out(fp, area, xsize) ||
	    sb_copy_out(frame, &f, sizeof(f)))
		return false;
	/* The handler runs with its mask, and (unless SA_NODEFER) @sig, blocked. */
	host_set_blocked(g[REG_OLDMASK] | a->mask |
			 ((a->flags & SA_NODEFER) ? 0 : 1ULL << (sig - 1)));
	if (a->flags & SA_RESETHAND) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		memset(a, 0, sizeof(*a));
		sigaction(sig, &sa, NULL);
	}
	tf->rip = a->handler;
	tf->rsp = frame;
	tf->rdi = sig;
	tf->rsi = frame + offsetof(struct sb_sigframe, info);
	tf->rdx = frame + offsetof(struct sb_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(0x100UL | 0x400UL);	/* TF, DF */
	return true;
}

/* A signal for the program, now, on the ring-3 frame @tf. */
static void deliver(struct dune_tf *tf, int sig, const siginfo_t *info)
{
	struct sb_sigact *a = &sb.act[sig];

	if (a->handler == (uint64_t)SIG_IGN)
		return;
	if (a->handler == (uint64_t)SIG_DFL) {
		/* Default action of a signal the host let through to us: a
		 * fault (forced), or one whose disposition just changed. */
		if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT)
			return;
		die_by_signal(sig);
	}
	if (!setup_frame(tf, sig, info))
		die_by_signal(SIGSEGV);
}

/* Signals caught while the sandbox ran (in a system call): deliver them
 * before ring 3 goes on.  Called with the ring-3 frame. */
void sb_deliver_pending(struct dune_tf *tf)
{
	while (sb.pending) {
		uint64_t blocked = host_blocked(), ready = sb.pending & ~blocked;
		int sig;

		if (!ready)
			return;
		sig = __builtin_ctzll(ready) + 1;
		sb.pending &= ~(1ULL << (sig - 1));
		deliver(tf, sig, &sb.pending_info[sig]);
	}
}

/* libdune: a host signal the program has a handler for. */
static void on_signal(int sig, siginfo_t *info, struct dune_tf *tf)
{
	if (sig < 1 || sig > 64)
		return;
	if (dune_tf_is_user(tf)) {
		fpu_save(fpu_area);
		deliver(tf, sig, info);
		fpu_restore(fpu_area);
	} else {
		sb.pending |= 1ULL << (sig - 1);
		sb.pending_info[sig] = *info;
	}
}

/* A fault of ring 3 that Linux turns into a signal (called between
 * fpu_save() and fpu_restore(): see the handlers' wrappers below). */
void sb_force_signal(struct dune_tf *tf, int sig, int code, uint64_t addr)
{
	siginfo_t info;
	uint64_t bit = 1ULL << (sig - 1);

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.si_addr = (void *)addr;
	if (sb.act[sig].handler <= (uint64_t)SIG_IGN || (host_blocked() & bit))
		die_by_signal(sig);	/* as Linux: a blocked or ignored fault kills */
	deliver(tf, sig, &info);
}

long sb_sigaction(int sig, uint64_t act, uint64_t oact, size_t sz)
{
	struct sb_sigact n, old;
	int r;

	if (sig < 1 || sig > 64 || sz != 8)
		return -EINVAL;
	old = sb.act[sig];
	if (act) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		r = sb_copy_in(&n, act, sizeof(n));
		if (r)
			return r;
		if (n.handler > (uint64_t)SIG_IGN) {
			if (n.handler >= SB_HI || ((n.flags & SA_RESTORER) && n.restorer >= SB_HI))
				sb_violation("signal %d's handler %#lx or restorer %#lx is in the sandbox's "
					     "memory", sig, (unsigned long)n.handler,
					     (unsigned long)n.restorer);
			if (!(n.flags & SA_RESTORER))
				return -EINVAL;	/* Linux x86-64 needs one too */
			r = dune_register_signal_handler(sig, on_signal);
		} else {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = n.handler == (uint64_t)SIG_IGN ? SIG_IGN : SIG_DFL;
			r = dune_register_signal_handler(sig, NULL);
			if (!r && sigaction(sig, &sa, NULL))
				r = -errno;
		}
		if (r)
			return r;
		n.mask &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
		sb.act[sig] = n;
	}
	if (oact && (r = sb_copy_out(oact, &old, sizeof(old))))
		return r;
	return 0;
}

long sb_sigreturn(struct dune_tf *tf)
{
	struct sb_sigframe f;
	greg_t *g = f.uc.uc_mcontext.gregs;
	uint8_t *area = fpu_area;
	uint64_t frame = tf->rsp - 8, mask;

	if (!sb_range_ok(frame, sizeof(f)))
		sb_violation("rt_sigreturn with its frame at %#lx, in the sandbox's memory",
			     (unsigned long)frame);
	if (sb_copy_in(&f, frame, sizeof(f)))
		die_by_signal(SIGSEGV);
	if (f.uc.uc_mcontext.fpregs) {
		uint8_t *tmp = aligned_alloc(64, xsize);

		if (!tmp || sb_copy_in(tmp, (uint64_t)f.uc.uc_mcontext.fpregs, xsize) || !fpu_valid(tmp)) {
			free(tmp);
			die_by_signal(SIGSEGV);
		}
		memcpy(area, tmp, xsize);
		free(tmp);
	}
	tf->r8 = g[REG_R8]; tf->r9 = g[REG_R9]; tf->r10 = g[REG_R10]; tf->r11 = g[REG_R11];
	tf->r12 = g[REG_R12]; tf->r13 = g[REG_R13]; tf->r14 = g[REG_R14]; tf->r15 = g[REG_R15];
	tf->rdi = g[REG_RDI]; tf->rsi = g[REG_RSI]; tf->rbp = g[REG_RBP]; tf->rbx = g[REG_RBX];
	tf->rdx = g[REG_RDX]; tf->rax = g[REG_RAX]; tf->rcx = g[REG_RCX]; tf->rsp = g[REG_RSP];
	tf->rip = g[REG_RIP];
	tf->rflags = (tf->rflags & ~0xdd5UL) | (g[REG_EFL] & 0xdd5UL);
	memcpy(&mask, &f.uc.uc_sigmask, 8);
	host_set_blocked(mask);
	return (long)tf->rax;
}

long sb_sigaltstack(uint64_t ss, uint64_t oss)
{
	stack_t n, o;
	int r;

	o.ss_sp = (void *)sb.altstack_sp;
	o.ss_size = sb.altstack_size;
	o.ss_flags = sb.altstack_size ? sb.altstack_flags : SS_DISABLE;
	if (ss) {
		r = sb_copy_in(&n, ss, sizeof(n));
		if (r)
			return r;
		if (n.ss_flags & ~(SS_DISABLE | SS_AUTODISARM))
			return -EINVAL;
		if (n.ss_flags & SS_DISABLE) {
			sb.altstack_sp = sb.altstack_size = 0;
		} else {
			if (n.ss_size < 2048)
				return -ENOMEM;
			if (!sb_range_ok((uint64_t)n.ss_sp, n.ss_size))
				sb_violation("sigaltstack at %#lx, %lu bytes: in the sandbox's memory",
					     (unsigned long)n.ss_sp, (unsigned long)n.ss_size);
			sb.altstack_sp = (uint64_t)n.ss_sp;
			sb.altstack_size = n.ss_size;
		}
		sb.altstack_flags = n.ss_flags & ~SS_DISABLE;
	}
	if (oss && (r = sb_copy_out(oss, &o, sizeof(o))))
		return r;
	return 0;
}

/* execve: handlers go back to the default; ignored signals stay ignored. */
void sb_exec_reset_signals(void)
{
	int sig;

	for (sig = 1; sig <= 64; sig++) {
		if (sb.act[sig].handler > (uint64_t)SIG_IGN) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			dune_register_signal_handler(sig, NULL);
			sigaction(sig, &sa, NULL);
			memset(&sb.act[sig], 0, sizeof(sb.act[sig]));
		}
	}
	sb.pending = 0;
	sb.altstack_sp = sb.altstack_size = 0;
}

/* ---- faults of ring 3 ---------------------------------------------------------------- */

static bool loading;		/* the ELF loader runs */

static bool outside(uint64_t a)
{
	return a < SB_LO || a >= SB_HI;
}

static void pgflt(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	const struct sb_vma *v;

	if (!dune_tf_is_user(tf)) {
		/* The ELF loader (in ring 0, for execve) zeroing a segment's
		 * tail: a supervisor mapping until sb_mm_sync() maps the image
		 * for ring 3. */
		if (loading && !outside(addr) &&
		    dune_vm_map_phys(dune_pgroot, (void *)(addr & ~(SB_PAGE - 1)), SB_PAGE,
				     dune_va_to_pa((void *)(addr & ~(SB_PAGE - 1))),
				     DUNE_PERM_R | DUNE_PERM_W) == 0) {
			dune_flush_tlb_one((void *)addr);
			return;
		}
		dune_die(tf, "sandbox: page fault in the sandbox at %#lx", (unsigned long)addr);
	}
	if (addr >= SB_HI)
		sb_violation("access to sandbox memory at %#lx (%s) from %#lx", (unsigned long)addr,
			     (fec & DUNE_PF_I) ? "execute" : (fec & DUNE_PF_W) ? "write" : "read",
			     (unsigned long)tf->rip);
	v = sb_vma_find(&sb.vmas, addr);
	sb_force_signal(tf, SIGSEGV, v ? SEGV_ACCERR : SEGV_MAPERR, addr);
}

/* The name of the privileged instruction at @rip, or NULL. */
static const char *privileged_insn(uint64_t rip)
{
	static char intn[32];
	uint8_t buf[15] = { 0 }, *b = buf;
	int n;

	for (n = 15; n > 0 && sb_copy_in(buf, rip, n); n--)
		;
	if (!n)
		return NULL;
	/* Legacy and REX prefixes. */
	while (b < buf + 14 && (*b == 0x66 || *b == 0x67 || *b == 0xf2 || *b == 0xf3 ||
				*b == 0x2e || *b == 0x36 || *b == 0x3e || *b == 0x26 ||
				*b == 0x64 || *b == 0x65 || *b == 0xf0 || (*b & 0xf0) == 0x40))
		b++;
	switch (b[0]) {
	case 0xfa: return "cli";
	case 0xfb: return "sti";
	case 0xf4: return "hlt";
	case 0xe4: case 0xe5: case 0xec: case 0xed: return "in";
	case 0xe6: case 0xe7: case 0xee: case 0xef: return "out";
	case 0x6c: case 0x6d: return "ins";
	case 0x6e: case 0x6f: return "outs";
	case 0xcf: return "iret to another privilege level";
	case 0xca: case 0xcb: return "far return to another privilege level";
	case 0xea: return "far jump";
	case 0x9a: return "far call";
	case 0x8e: return "mov to a segment register";
	case 0xcd:
		if (b[1] == 0x80)
			return "int 0x80 (32-bit system call)";
		snprintf(intn, sizeof(intn), "int 0x%02x", b[1]);
		return intn;
	case 0xff:
		if (((b[1] >> 3) & 7) == 3) return "far call";
		if (((b[1] >> 3) & 7) == 5) return "far jump";
		return NULL;
	case 0x0f:
		switch (b[1]) {
		case 0x01:
			if (b[2] >= 0xc0) {	/* mod 3: one instruction per byte */
				switch (b[2]) {
				case 0xc1: return "vmcall";
				case 0xc2: return "vmlaunch";
				case 0xc3: return "vmresume";
				case 0xc4: return "vmxoff";
				case 0xc8: return "monitor";
				case 0xc9: return "mwait";
				case 0xca: return "clac";
				case 0xcb: return "stac";
				case 0xd1: return "xsetbv";
				case 0xd4: return "vmfunc";
				case 0xf8: return "swapgs";
				}
				if (((b[2] >> 3) & 7) == 6) return "lmsw";
				return NULL;
			}
			switch ((b[2] >> 3) & 7) {
			case 2: return "lgdt";
			case 3: return "lidt";
			case 6: return "lmsw";
			case 7: return "invlpg";
			}
			return NULL;
		case 0x00: return ((b[2] >> 3) & 7) == 2 ? "lldt" : ((b[2] >> 3) & 7) == 3 ? "ltr" : NULL;
		case 0x06: return "clts";
		case 0x07: return "sysret";
		case 0x08: return "invd";
		case 0x09: return "wbinvd";
		case 0x20: return "mov from a control register";
		case 0x21: return "mov from a debug register";
		case 0x22: return (b[2] & 0x38) == 0x18 ? "mov to cr3" : "mov to a control register";
		case 0x23: return "mov to a debug register";
		case 0x30: return "wrmsr";
		case 0x32: return "rdmsr";
		case 0x33: return "rdpmc";
		case 0x34: return "sysenter";
		case 0x35: return "sysexit";
		case 0x78: return "vmread";
		case 0x79: return "vmwrite";
		case 0xc7:
			if (((b[2] >> 3) & 7) == 6) return "vmxon/vmclear/vmptrld";
			if (((b[2] >> 3) & 7) == 7 && b[2] < 0xc0) return "vmptrst";
			return NULL;
		case 0x38:
			if (b[2] == 0x80) return "invept";
			if (b[2] == 0x81) return "invvpid";
			if (b[2] == 0x82) return "invpcid";
			return NULL;
		}
	}
	return NULL;
}

static void gp(struct dune_tf *tf)
{
	const char *what;

	if (!dune_tf_is_user(tf))
		dune_die(tf, "sandbox: general protection fault in the sandbox");
	what = privileged_insn(tf->rip);
	if (what)
		sb_violation("privileged instruction (%s) at %#lx", what, (unsigned long)tf->rip);
	sb_force_signal(tf, SIGSEGV, SI_KERNEL, 0);
}

static void ud(struct dune_tf *tf)
{
	const char *what;

	if (!dune_tf_is_user(tf))
		dune_die(tf, "sandbox: invalid opcode in the sandbox");
	what = privileged_insn(tf->rip);
	if (what)
		sb_violation("privileged instruction (%s) at %#lx", what, (unsigned long)tf->rip);
	sb_force_signal(tf, SIGILL, ILL_ILLOPN, tf->rip);
}

static void trap(struct dune_tf *tf)
{
	if (!dune_tf_is_user(tf))
		dune_die(tf, "sandbox: exception %lu in the sandbox", (unsigned long)tf->vector);
	switch (tf->vector) {
	case DUNE_T_DE: sb_force_signal(tf, SIGFPE, FPE_INTDIV, tf->rip); break;
	case DUNE_T_DB: case DUNE_T_BP: sb_force_signal(tf, SIGTRAP, SI_KERNEL, 0); break;
	case DUNE_T_OF: case DUNE_T_BR: case DUNE_T_SS: case DUNE_T_NP: case DUNE_T_AC:
		sb_force_signal(tf, tf->vector == DUNE_T_AC ? SIGBUS : SIGSEGV, SI_KERNEL, 0);
		break;
	case DUNE_T_MF: case DUNE_T_XM: sb_force_signal(tf, SIGFPE, 0, tf->rip); break;
	case DUNE_T_NM: sb_force_signal(tf, SIGSEGV, SI_KERNEL, 0); break;
	default:
		/* An interrupt vector raised with INT n: as Linux, #GP. */
		gp(tf);
	}
}

/*
 * The handlers libdune calls.  libdune's trap path leaves the FPU/SSE
 * registers alone (trap.c is built without them), so ring 3's state is
 * still in them here: save it before any C code of the sandbox runs, and
 * put it (or what sigreturn/a signal frame made of it) back on the way out.
 * Ring-0 faults (the loader's, in a system call) must not save: fpu_area
 * holds the program's state then.
 */
static void on_pgflt(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	bool user = dune_tf_is_user(tf);

	if (user)
		fpu_save(fpu_area);
	pgflt(addr, fec, tf);
	if (user)
		fpu_restore(fpu_area);
}

#define WRAP(name, inner)					\
	static void name(struct dune_tf *tf)			\
	{							\
		bool user = dune_tf_is_user(tf);		\
								\
		if (user)					\
			fpu_save(fpu_area);			\
		inner(tf);					\
		if (user)					\
			fpu_restore(fpu_area);			\
	}
WRAP(on_gp, gp)
WRAP(on_ud, ud)
WRAP(on_trap, trap)

/* An access of ring 3 that the host cannot back (a file mapping beyond the
 * file's end): SIGBUS, as natively.  Anything else: libdune's report. */
static int on_ept(uint64_t linear, uint64_t phys, uint64_t qual)
{
	(void)phys;
	if (!(qual & (1 << 7)) || linear < SB_LO || linear >= SB_HI)
		return 0;
	sb_procs_exit();
	return SIGBUS;
}

/* ---- loading a program ------------------------------------------------------------- */

/* The bytes @n strings take with their NULs. */
static size_t strings_size(char *const *v, int n)
{
	size_t s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += strlen(v[i]) + 1;
	return s;
}

/*
 * The initial stack (System V x86-64 ABI, 3.4.1): argc, argv[], NULL,
 * envp[], NULL, auxv[], then the strings and AT_RANDOM's bytes.  Built in
 * sandbox memory, then copied out.  Returns the stack pointer, or 0.
 */
static uint64_t build_stack(uint64_t top, char *const *argv, int argc, char *const *envp, int envc,
			    const struct dune_elf_image *prog, const struct dune_elf_image *interp)
{
	size_t strs = strings_size(argv, argc) + strings_size(envp, envc) + strlen(sb.exe) + 1 + 16 + 16;
	size_t nwords = 1 + argc + 1 + envc + 1 + 2 * 24;
	size_t total = ((strs + 15) & ~15UL) + nwords * 8 + 16;
	uint64_t base, sp, strp, *w, at_random, at_platform, at_execfn;
	char *buf, *s;
	int i, k = 0;

	if (total > SB_STACK_SIZE / 4)
		return 0;
	buf = calloc(1, total);
	if (!buf)
		return 0;
	base = (top - total) & ~15UL;
	sp = base;
	w = (uint64_t *)buf;
	/* Strings after the words. */
	s = buf + nwords * 8 + 16;
	strp = base + nwords * 8 + 16;
#define PUT_STR(str) ({ size_t _l = strlen(str) + 1; memcpy(s, str, _l); s += _l; strp += _l; strp - _l; })
	w[k++] = argc;
	for (i = 0; i < argc; i++)
		w[k++] = PUT_STR(argv[i]);
	w[k++] = 0;
	for (i = 0; i < envc; i++)
		w[k++] = PUT_STR(envp[i]);
	w[k++] = 0;
	at_platform = PUT_STR("x86_64");
	at_execfn = PUT_STR(sb.exe);
	at_random = strp;
	for (i = 0; i < 16; i++)
		s[i] = (char)random();
	if (getrandom(s, 16, 0) != 16)
		(void)0;
	s += 16;
	strp += 16;
#undef PUT_STR
#define AUX(t, v) do { w[k++] = (t); w[k++] = (v); } while (0)
	AUX(AT_PHDR, prog->phdr);
	AUX(AT_PHENT, prog->phent);
	AUX(AT_PHNUM, prog->phnum);
	AUX(AT_PAGESZ, SB_PAGE);
	AUX(AT_BASE, interp->base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, prog->entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, at_random);
	AUX(AT_HWCAP, getauxval(AT_HWCAP));
	AUX(AT_HWCAP2, getauxval(AT_HWCAP2));
	AUX(AT_CLKTCK, getauxval(AT_CLKTCK));
	AUX(AT_PLATFORM, at_platform);
	AUX(AT_EXECFN, at_execfn);
#ifdef AT_MINSIGSTKSZ
	AUX(AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ));
#endif
	AUX(AT_NULL, 0);
#undef AUX
	if ((size_t)k > nwords || sb_copy_out(base, buf, total)) {
		free(buf);
		return 0;
	}
	free(buf);
	return sp;
}

/* Is @path an ELF file we can load?  For execve: checked before the old
 * image is torn down, so that a bad file gets -ENOEXEC, as natively. */
int sb_exec_check(const char *path, char *err, size_t errlen)
{
	struct dune_elf e;
	int r = dune_elf_open(&e, path);

	if (r) {
		snprintf(err, errlen, "%s", r == -ENOEXEC ? dune_elf_error(&e) : strerror(-r));
		return r;
	}
	/* It must fit the program's memory, where sb_load() will put it. */
	r = dune_elf_fits(&e, SB_LO, SB_STACK_TOP - SB_STACK_SIZE - SB_PAGE, SB_PROG_BASE);
	if (r) {
		snprintf(err, errlen, "does not fit the sandbox's program memory [%#lx, %#lx): %s",
			 SB_LO, SB_STACK_TOP - SB_STACK_SIZE - SB_PAGE, dune_elf_error(&e));
		r = -ENOEXEC;
	}
	dune_elf_close(&e);
	return r;
}

static int load_one(const char *path, uintptr_t hint, struct dune_elf_image *img, char *err,
		    size_t errlen)
{
	struct dune_elf e;
	int r = dune_elf_open(&e, path);

	if (!r)
		r = dune_elf_load(&e, SB_LO, SB_STACK_TOP - SB_STACK_SIZE - SB_PAGE, hint, img);
	if (r)
		snprintf(err, errlen, "%s: not a valid ELF executable: %s", path,
			 r == -ENOEXEC ? dune_elf_error(&e) : strerror(-r));
	dune_elf_close(&e);
	return r;
}

/*
 * Replace whatever the program had with the ELF at @path (resolved) and its
 * interpreter, a fresh stack holding @argv and @envp, and registers to
 * start it; @tf gets them.  After a failure the old image is gone.
 */
int sb_load(const char *path, char *const *argv, int argc, char *const *envp, int envc,
	    struct dune_tf *tf, char *err, size_t errlen)
{
	struct dune_elf_image prog, interp;
	uint64_t sp;
	int r;

	memset(&interp, 0, sizeof(interp));
	r = sb_mm_reset();
	if (r) {
		snprintf(err, errlen, "cannot reset the program's memory: %s", strerror(-r));
		return r;
	}
	loading = true;
	r = load_one(path, SB_PROG_BASE, &prog, err, errlen);
	if (!r && prog.interp[0]) {
		if (sb_policy_path_access(&sb.pol, prog.interp) < SB_ACC_READ) {
			char real[PATH_MAX];

			if (!realpath(prog.interp, real) ||
			    sb_policy_path_access(&sb.pol, real) < SB_ACC_READ) {
				snprintf(err, errlen, "%s: interpreter %s: not allowed by the policy",
					 path, prog.interp);
				r = -EACCES;
			}
		}
		if (!r)
			r = load_one(prog.interp, SB_INTERP_BASE, &interp, err, errlen);
	}
	if (!r)
		r = sb_mm_sync();
	loading = false;
	if (!r) {
		long m = sb_mmap(SB_STACK_TOP - SB_STACK_SIZE, SB_STACK_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		r = m < 0 ? (int)m : 0;
	}
	if (!r)
		r = sb_mm_reserve_gaps();
	if (r) {
		if (!err[0])
			snprintf(err, errlen, "%s: cannot load: %s", path, strerror(-r));
		return r;
	}
	sb.brk_start = sb.brk_cur = prog.brk;
	sp = build_stack(SB_STACK_TOP, argv, argc, envp, envc, &prog, &interp);
	if (!sp) {
		snprintf(err, errlen, "%s: arguments and environment too large", path);
		return -E2BIG;
	}
	memset(tf, 0, sizeof(*tf));
	tf->rip = interp.entry ? interp.entry : prog.entry;
	tf->rsp = sp;
	tf->rflags = 0x202;
	/* A clean FPU for the new image. */
	memset(fpu_area, 0, xsize);
	fpu_area[0] = 0x7f;	/* FCW 0x037f */
	fpu_area[1] = 0x03;
	fpu_area[24] = 0x80;	/* MXCSR 0x1f80 */
	fpu_area[25] = 0x1f;
	if (use_xsave)
		fpu_area[512] = 3;	/* XSTATE_BV: x87, SSE */
	return 0;
}

/* ---- the system-call path's FPU handling ------------------------------------------- */

static void on_syscall(struct dune_tf *tf)
{
	fpu_save(fpu_area);
	sb_syscall(tf);
	sb_deliver_pending(tf);
	fpu_restore(fpu_area);
}

/* ---- main -------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: sandbox [options] -- PROGRAM [ARGS...]\n"
	      "Run PROGRAM (an x86-64 ELF executable, static or dynamically linked) in ring 3\n"
	      "of a Dune process, every system call checked against a policy.\n\n"
	      "  -p, --policy FILE   the policy (default: the built-in one; see\n"
	      "                      apps/sandbox/POLICY.md, or --print-default)\n"
	      "  -t, --trace         print each system call and its result on stderr\n"
	      "  -q, --quiet         no \"denied\" lines for refused paths, sockets, forks\n"
	      "                      (violations are still reported)\n"
	      "      --print-default print the built-in policy and exit\n"
	      "  -h, --help          this text\n\n"
	      "Exit status: the program's (killed by a signal: the same signal); 100 when\n"
	      "the program broke the policy or tried to escape (one line on stderr says\n"
	      "what it tried); 101 when the sandbox could not run it.\n", f);
}

/* PROGRAM as execvp would find it. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save;

	if (strchr(name, '/')) {
		if (!realpath(name, out))
			return -errno;
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];

		if (snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".", name) >= (int)sizeof(cand))
			continue;
		if (access(cand, X_OK) == 0 && realpath(cand, out) && strlen(out) < len) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "trace", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "print-default", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL;
	char cwd[PATH_MAX], err[512];
	struct dune_tf tf;
	int c, r, envc;

	while ((c = getopt_long(argc, argv, "+p:tqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 't': sb.trace = true; break;
		case 'q': sb.quiet = true; break;
		case 'D': fputs(sb_default_policy, stdout); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return SB_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return SB_EXIT_ERROR;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		fatal("cannot get the working directory: %s", strerror(errno));
	r = policy ? sb_policy_load(&sb.pol, policy, cwd, err, sizeof(err)) :
		     sb_policy_default(&sb.pol, cwd, err, sizeof(err));
	if (r)
		fatal("%s", err);
	if (sb_check_policy_syscalls(err, sizeof(err)))
		fatal("%s", err);
	if (!policy && sb_policy_path_access(&sb.pol, "/etc/shadow") >= SB_ACC_READ)
		fprintf(stderr, "sandbox: warning: the working directory is %s, and the default policy "
			"lets the program write all of it\n", cwd);
	r = find_program(argv[optind], sb.exe, sizeof(sb.exe));
	if (r)
		fatal("%s: %s", argv[optind], strerror(-r));
	if (sb_exec_check(sb.exe, err, sizeof(err)))
		fatal("%s: not a valid ELF executable: %s", argv[optind], err);

	/* The sandbox's own descriptors: out of the program's way. */
	sb.out = fcntl(2, F_DUPFD_CLOEXEC, SB_FD_MIN);
	if (sb.out < 0)
		fatal("cannot duplicate stderr: %s", strerror(errno));
	sb.pid = getpid();
	r = sb_procs_init(sb.pol.max_procs);
	if (r)
		fatal("cannot set up the process table: %s", strerror(-r));
	r = sb_mm_init();
	if (r)
		fatal("cannot reserve the program's memory [%#lx, %#lx): %s", SB_LO, SB_HI,
		      strerror(-r));
	r = dune_vm_exclude(SB_LO, SB_HI);
	if (!r)
		r = dune_init(false);
	if (r)
		fatal("cannot start Dune: %s%s", strerror(-r),
		      r == -ENOENT ? " (is dune.ko loaded? /dev/dune is missing)" : "");
	if (dune_va_to_pa((void *)SB_LO) != SB_LO || dune_va_to_pa((void *)(SB_HI - 1)) != SB_HI - 1)
		fatal("the guest-physical layout does not cover [%#lx, %#lx) one to one", SB_LO, SB_HI);
	fpu_init();
	dune_register_pgflt_handler(on_pgflt);
	dune_register_intr_handler(DUNE_T_GP, on_gp);
	dune_register_intr_handler(DUNE_T_UD, on_ud);
	for (c = 0; c < 32; c++)
		if (c != DUNE_T_PF && c != DUNE_T_GP && c != DUNE_T_UD && c != DUNE_T_DF &&
		    c != DUNE_T_NMI && c != DUNE_T_MC)
			dune_register_intr_handler(c, on_trap);
	for (c = 32; c < DUNE_NUM_VECTORS; c++)
		if (c != DUNE_VEC_SIGNAL)
			dune_register_intr_handler(c, on_trap);
	dune_register_syscall_handler(on_syscall);
	dune_register_ept_handler(on_ept);
	r = dune_enter();
	if (r)
		fatal("cannot enter Dune mode: %s", strerror(-r));

	for (envc = 0; environ[envc]; envc++)
		;
	r = sb_load(sb.exe, argv + optind, argc - optind, environ, envc, &tf, err, sizeof(err));
	if (r)
		fatal("%s", err);
	fpu_restore(fpu_area);
	r = dune_jump_to_user(&tf);
	/* Not reached: the program ends with exit_group(). */
	fatal("ring 3 returned %d", r);
}
