/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * interpose.c - the cost of intercepting a system call (the paper's
 * Table 3, where Dune wins): a monitor sees every system call of the code
 * it watches, and lets it through or refuses it.
 *
 *   syscall_interpose linux       ptrace, the way strace or a ptrace
 *                                 sandbox does it: a child under
 *                                 PTRACE_SYSCALL stops at the entry and at
 *                                 the exit of every system call; at the
 *                                 entry the parent reads the registers
 *                                 (PTRACE_GETREGS, to see the call) and
 *                                 resumes it, at the exit it just resumes.
 *   syscall_interpose dune        ring-3 code makes the SYSCALL; libdune's
 *                                 entry builds a trap frame and calls the
 *                                 handler registered with
 *                                 dune_register_syscall_handler(), which
 *                                 looks at the number and passes the call
 *                                 to the host with dune_passthrough_syscall()
 *                                 (VMCALL).
 *   syscall_interpose_deny linux  ptrace again, the call refused: at the
 *                                 entry stop the parent sets orig_rax to -1
 *                                 (the kernel skips the call), at the exit
 *                                 stop it sets rax to -EPERM.
 *   syscall_interpose_deny dune   the handler sets rax to -EPERM without
 *                                 reaching the host: the pure cost of the
 *                                 interposition (ring 3 -> ring 0 -> ring 3).
 *
 * The watched call is getpid, made with a raw SYSCALL instruction on both
 * sides.  One sample is one intercepted call, timed by the caller itself
 * around its SYSCALL (the child on Linux, writing into a MAP_SHARED buffer
 * that the parent reads once the child has exited; the ring-3 routine in
 * Dune mode, which may use RDTSC/RDTSCP since CR4.TSD is clear, writing
 * into a user-mapped buffer).  Every call's result is checked (the pid, or
 * -EPERM).  Default -n 1000.
 *
 * In the emulator (Bochs), TSC ticks count emulated instructions (of every
 * process: the ptrace parent's work is inside the child's samples), not
 * cycles.  On a VT-x host with dune.ko, they are cycles.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "bench.h"
#include "libdune.h"

#define DEFAULT_ITERS	1000
#define PG		4096UL

static int failed;

/* ---- Linux: ptrace ---------------------------------------------------------------- */

/* getpid with a raw SYSCALL instruction, as the ring-3 routine below does. */
static inline long raw_getpid(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_getpid) : "rcx", "r11", "memory");
	return ret;
}

/*
 * The traced child: stop so that the parent can set its options, then make
 * @n timed calls.  buf[0] counts wrong results, buf[1..n] are the samples.
 */
static void __attribute__((noreturn)) traced_child(uint64_t *buf, long n, long expect)
{
	long i;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
		perror("interpose: PTRACE_TRACEME");
		_exit(3);
	}
	raise(SIGSTOP);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		long r = raw_getpid();
		uint64_t t = bench_stop() - t0;

		buf[1 + i] = t;
		if (r != expect)
			buf[0]++;
	}
	_exit(0);
}

/*
 * The monitor: run the child with PTRACE_SYSCALL until it exits.  Syscall
 * stops alternate entry, exit (the first one after the SIGSTOP is an
 * entry: that stop happened on the way out of raise()'s tgkill).  Returns
 * 0 or -1 (with a message).
 */
static int ptrace_monitor(pid_t pid, int deny)
{
	int st, in_call = 0, sig = 0, denied = 0;
	struct user_regs_struct regs;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
		fprintf(stderr, "interpose: the traced child did not stop (status %#x)\n", st);
		return -1;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))) {
		perror("interpose: PTRACE_SETOPTIONS");
		return -1;
	}
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig)) {
			perror("interpose: PTRACE_SYSCALL");
			return -1;
		}
		sig = 0;
		if (waitpid(pid, &st, 0) != pid) {
			perror("interpose: waitpid");
			return -1;
		}
		if (WIFEXITED(st)) {
			if (WEXITSTATUS(st) == 0)
				return 0;
			fprintf(stderr, "interpose: the traced child exited with %d\n",
				WEXITSTATUS(st));
			return -1;
		}
		if (WIFSIGNALED(st)) {
			fprintf(stderr, "interpose: the traced child was killed by signal %d\n",
				WTERMSIG(st));
			return -1;
		}
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st);	/* a signal-delivery stop: deliver it */
			continue;
		}
		in_call = !in_call;
		if (in_call) {
			/* Entry: the monitor looks at the call (rax is -ENOSYS here). */
			if (ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
				perror("interpose: PTRACE_GETREGS");
				return -1;
			}
			if ((long)regs.rax != -ENOSYS) {
				fprintf(stderr, "interpose: lost track of system-call entries\n");
				return -1;
			}
			denied = deny && regs.orig_rax == SYS_getpid;
			if (denied) {
				regs.orig_rax = -1;	/* the kernel skips the call */
				if (ptrace(PTRACE_SETREGS, pid, NULL, &regs)) {
					perror("interpose: PTRACE_SETREGS");
					return -1;
				}
			}
		} else if (denied) {
			/* Exit of a refused call: its result is -EPERM. */
			if (ptrace(PTRACE_GETREGS, pid, NULL, &regs)) {
				perror("interpose: PTRACE_GETREGS");
				return -1;
			}
			regs.rax = -EPERM;
			if (ptrace(PTRACE_SETREGS, pid, NULL, &regs)) {
				perror("interpose: PTRACE_SETREGS");
				return -1;
			}
		}
	}
}

static void run_ptrace(struct bench *b, int deny)
{
	long i, n = b->iters + b->warmup;
	size_t len = (n + 1) * sizeof(uint64_t);
	uint64_t *buf;
	long expect;
	pid_t pid;
	int st;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("interpose: mmap");
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("interpose: fork");
		exit(1);
	}
	if (pid == 0) {
		expect = deny ? -EPERM : (long)getpid();
		traced_child(buf, n, expect);
	}
	if (ptrace_monitor(pid, deny)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "interpose: %s %s not measured\n", b->name, b->env);
		failed = 1;
		munmap(buf, len);
		return;
	}
	if (buf[0]) {
		fprintf(stderr, "interpose: %s %s: %llu calls returned the wrong result\n",
			b->name, b->env, (unsigned long long)buf[0]);
		failed = 1;
	} else {
		for (i = 0; i < n; i++)
			bench_sample(b, buf[1 + i]);
		bench_done(b);
	}
	munmap(buf, len);
}

/* ---- Dune: ring 3 and a system-call handler ----------------------------------------- */

/*
 * The ring-3 routine, position independent, copied to a user page:
 * %rdi = sample buffer, %rsi = number of calls, %rdx = expected result.
 * Each getpid is timed like bench_start()/bench_stop() do (LFENCE; RDTSC;
 * LFENCE ... RDTSCP; LFENCE), the difference stored in the buffer.  Then
 * exit(number of wrong results), which the handler turns into the return
 * value of dune_jump_to_user().
 */
__asm__(".pushsection .text\n"
	".globl ip_start, ip_end\n"
	"ip_start:\n"
	"	movq %rdi, %r12\n"		/* buffer */
	"	movq %rsi, %r13\n"		/* calls left */
	"	movq %rdx, %rbx\n"		/* expected result */
	"	xorl %r15d, %r15d\n"		/* wrong results */
	"1:	lfence\n"
	"	rdtsc\n"
	"	lfence\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	movq %rax, %r14\n"
	"	movl $39, %eax\n"		/* SYS_getpid */
	"	syscall\n"
	"	movq %rax, %r8\n"
	"	rdtscp\n"
	"	lfence\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	subq %r14, %rax\n"
	"	movq %rax, (%r12)\n"
	"	addq $8, %r12\n"
	"	cmpq %rbx, %r8\n"
	"	je 2f\n"
	"	incq %r15\n"
	"2:	decq %r13\n"
	"	jnz 1b\n"
	"	movq %r15, %rdi\n"
	"	movl $60, %eax\n"		/* SYS_exit */
	"	syscall\n"
	"	ud2\n"
	"ip_end:\n"
	".popsection\n");
extern char ip_start[], ip_end[];

static char *ucode, *ustack;
static uint64_t *ubuf;

/*
 * Ring 3's memory is the process's own, mapped a second time with the user
 * bit (as in libdune/tests/dune_ring3.c): one code page (read+execute), a
 * stack, and the sample buffer (read+write).
 */
static int setup_ring3(long n)
{
	size_t blen = ((n * sizeof(uint64_t)) + PG - 1) & ~(PG - 1);
	size_t len = 5 * PG + blen;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (mem == MAP_FAILED) {
		perror("interpose: mmap");
		return -1;
	}
	if ((size_t)(ip_end - ip_start) > PG) {
		fprintf(stderr, "interpose: the ring-3 routine does not fit a page\n");
		return -1;
	}
	memset(mem, 0, len);		/* populated on the host before it is used */
	ucode = mem;
	ustack = mem + PG;
	ubuf = (uint64_t *)(mem + 5 * PG);
	memcpy(ucode, ip_start, ip_end - ip_start);
	r = dune_vm_map_phys(dune_pgroot, ucode, PG, dune_va_to_pa(ucode),
			     DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_U);
	if (!r)
		r = dune_vm_map_phys(dune_pgroot, ustack, 4 * PG + blen, dune_va_to_pa(ustack),
				     DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U);
	if (r) {
		fprintf(stderr, "interpose: dune_vm_map_phys: %s\n", strerror(-r));
		return -1;
	}
	return 0;
}

/* The monitor that lets calls through. */
static void pass_handler(struct dune_tf *tf)
{
	if (tf->rax == SYS_exit)
		dune_ret_from_user((int)tf->rdi);
	dune_passthrough_syscall(tf);
}

/* The monitor that refuses getpid, without the host. */
static void deny_handler(struct dune_tf *tf)
{
	switch (tf->rax) {
	case SYS_exit:
		dune_ret_from_user((int)tf->rdi);
	case SYS_getpid:
		tf->rax = -EPERM;
		break;
	default:
		tf->rax = -ENOSYS;
	}
}

static void run_ring3(struct bench *b, dune_syscall_cb handler, long expect)
{
	long i, n = b->iters + b->warmup;
	struct dune_tf tf;
	int r;

	dune_register_syscall_handler(handler);
	memset(&tf, 0, sizeof(tf));
	tf.rip = (uintptr_t)ucode;
	tf.rsp = (uintptr_t)(ustack + 4 * PG - 64);
	tf.rdi = (uintptr_t)ubuf;
	tf.rsi = n;
	tf.rdx = expect;
	tf.rflags = 0x202;
	r = dune_jump_to_user(&tf);
	dune_register_syscall_handler(NULL);
	if (r) {
		fprintf(stderr, "interpose: %s %s: %s\n", b->name, b->env,
			r < 0 ? strerror(-r) : "calls returned the wrong result");
		failed = 1;
		return;
	}
	for (i = 0; i < n; i++)
		bench_sample(b, ubuf[i]);
	bench_done(b);
}

int main(int argc, char **argv)
{
	struct bench b;
	long pid;

	bench_init(&b, "syscall_interpose", "linux", DEFAULT_ITERS, argc, argv);
	run_ptrace(&b, 0);
	bench_reset(&b, "syscall_interpose_deny", "linux");
	run_ptrace(&b, 1);

	if (bench_enter_dune(&b))
		return 1;
	if (setup_ring3(b.iters + b.warmup))
		return 1;
	pid = getpid();
	bench_reset(&b, "syscall_interpose", "dune");
	run_ring3(&b, pass_handler, pid);
	bench_reset(&b, "syscall_interpose_deny", "dune");
	run_ring3(&b, deny_handler, -EPERM);
	return failed;
}
