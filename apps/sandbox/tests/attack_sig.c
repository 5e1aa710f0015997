// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_sig - signals in the sandbox: attacks through signal frames, and
 * checks that faults and signals behave as natively.
 *
 *   attack_sig MODE
 *
 * Attacks (each prints "attack_sig MODE: trying ..." first and
 * "ESCAPED: ..." if it got through):
 *   sigreturn-cs     the handler sets the saved CS to 0x08 (ring 0); after
 *                    sigreturn the program must still run in ring 3 (or be
 *                    stopped)
 *   sigreturn-iopl   the handler sets IOPL 3 in the saved RFLAGS; then cli
 *   sigreturn-if     the handler clears IF in the saved RFLAGS
 *   sigreturn-rip    the handler sets the saved RIP to the sandbox's code
 *   sigreturn-rsp    the handler sets the saved RSP to the sandbox's memory
 *   sigreturn-frame  rt_sigreturn with %rsp in the sandbox's memory
 *   sigstack         kill(self, SIGUSR1) with %rsp in the sandbox's memory:
 *                    the signal frame would be written there
 *   sigaltstack      an alternate signal stack in the sandbox's memory
 *   handler          a signal handler at an address in the sandbox's code
 *   restorer         a sa_restorer in the sandbox's code
 *   segv-handler     a SIGSEGV handler, then a load from the sandbox's
 *                    memory: a violation, the handler must not run
 * Checks (exit 0 or the native signal status, same output natively):
 *   segv-recover     a SIGSEGV handler catches a load from an unmapped page
 *                    of the program (si_addr, si_code) and siglongjmps out
 *   div0, ud2, int3, bus, abort   die of SIGFPE, SIGILL, SIGTRAP, SIGBUS,
 *                    SIGABRT
 *   alarm            alarm(1) + pause(): the handler runs
 *   mask             a blocked signal stays pending, runs when unblocked
 *   sigchld          a SIGCHLD handler sees a child's exit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "attack.h"

static const char *mode;

static int in_range(unsigned long a)
{
	return a >= LO && a < HI;
}

static unsigned long outside(int want)
{
	return attack_outside("attack_sig", want);
}

static void trying(const char *what, unsigned long addr)
{
	printf("attack_sig %s: trying %s 0x%lx\n", mode, what, addr);
	fflush(stdout);
}

static unsigned long target;
static volatile int handled;

static void tamper(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;

	(void)sig;
	(void)si;
	handled = 1;
	if (!strcmp(mode, "sigreturn-cs"))
		g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x08;
	else if (!strcmp(mode, "sigreturn-iopl"))
		g[REG_EFL] |= 0x3000;
	else if (!strcmp(mode, "sigreturn-if"))
		g[REG_EFL] &= ~0x200L;
	else if (!strcmp(mode, "sigreturn-rip"))
		g[REG_RIP] = target;
	else if (!strcmp(mode, "sigreturn-rsp"))
		g[REG_RSP] = target + 4096;
}

static void on_frame(int sig)
{
	int local;

	(void)sig;
	handled = 1;
	if (!in_range((unsigned long)&local))
		printf("ESCAPED: a signal frame was written to 0x%lx, outside the program's memory\n",
		       (unsigned long)&local);
	else
		printf("attack_sig %s: the handler ran on the program's stack\n", mode);
	fflush(stdout);
}

static unsigned long rflags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static sigjmp_buf jb;
static void *fault_addr;
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	printf("segv-recover: caught signal %d, si_addr %s, si_code %s\n", sig,
	       si->si_addr == fault_addr ? "the faulting address" : "WRONG",
	       si->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : si->si_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other");
	fflush(stdout);
	siglongjmp(jb, 1);
}

static void on_segv_attack(int sig)
{
	(void)sig;
	printf("ESCAPED: the program's SIGSEGV handler ran after it touched the sandbox's memory\n");
	fflush(stdout);
	_exit(0);
}

static volatile int count;
static void on_count(int sig)
{
	(void)sig;
	count++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc != 2) {
		fprintf(stderr, "usage: attack_sig MODE\n");
		return 2;
	}
	mode = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));

	if (!strncmp(mode, "sigreturn-", 10) && strcmp(mode, "sigreturn-frame")) {
		unsigned short cs;

		if (!strcmp(mode, "sigreturn-rip"))
			target = outside('x');
		else if (!strcmp(mode, "sigreturn-rsp"))
			target = outside('w');
		sa.sa_sigaction = tamper;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		if (!strcmp(mode, "sigreturn-cs"))
			trying("a saved CS of 0x08 (ring 0); the handler is at", (unsigned long)tamper);
		else if (!strcmp(mode, "sigreturn-iopl"))
			trying("a saved RFLAGS with IOPL 3; the handler is at", (unsigned long)tamper);
		else if (!strcmp(mode, "sigreturn-if"))
			trying("a saved RFLAGS without IF; the handler is at", (unsigned long)tamper);
		else if (!strcmp(mode, "sigreturn-rip"))
			trying("a saved RIP of", target);
		else
			trying("a saved RSP of", target + 4096);
		raise(SIGUSR1);
		/* Back from the handler (the rsp case faults on the first push,
		 * the rip case never comes back). */
		__asm__ volatile("mov %%cs, %0" : "=r"(cs));
		if ((cs & 3) != 3) {
			printf("ESCAPED: running with CS 0x%x after sigreturn\n", cs);
			return 0;
		}
		if (!strcmp(mode, "sigreturn-iopl")) {
			printf("attack_sig sigreturn-iopl: IOPL now %lu; trying cli\n", (rflags() >> 12) & 3);
			fflush(stdout);
			__asm__ volatile("cli; sti" ::: "memory");
			printf("ESCAPED: cli after a sigreturn with IOPL 3\n");
			return 0;
		}
		if (!strcmp(mode, "sigreturn-if")) {
			unsigned long f = rflags();

			if (!(f & 0x200))
				printf("ESCAPED: running in ring 3 with IF clear after sigreturn\n");
			else
				printf("attack_sig sigreturn-if: IF still set\n");
			return 0;
		}
		printf("attack_sig %s: back from the handler in ring 3 (handler ran: %d)\n", mode, handled);
		return 0;
	}
	if (!strcmp(mode, "sigreturn-frame")) {
		target = outside('w');
		trying("rt_sigreturn with %rsp at", target + 2048);
		__asm__ volatile("movq %0, %%rsp\n\tmovl $15, %%eax\n\tsyscall"
				 :: "r"(target + 2048) : "rax", "rcx", "r11", "memory");
		printf("ESCAPED: rt_sigreturn came back\n");
		return 0;
	}
	if (!strcmp(mode, "sigstack")) {
		target = outside('w') + 4096;
		sa.sa_handler = on_frame;
		sigaction(SIGUSR1, &sa, NULL);
		trying("kill(self, SIGUSR1) with %rsp at", target);
		__asm__ volatile("movq %%rsp, %%r12\n\tmovq %0, %%rsp\n\tmovl $62, %%eax\n\tsyscall\n\t"
				 "movq %%r12, %%rsp"
				 :: "r"(target), "D"((long)getpid()), "S"((long)SIGUSR1)
				 : "rax", "rcx", "r11", "r12", "memory");
		printf("attack_sig sigstack: back (handler ran: %d)\n", handled);
		return 0;
	}
	if (!strcmp(mode, "sigaltstack")) {
		stack_t ss = { .ss_sp = (void *)outside('w'), .ss_size = 65536, .ss_flags = 0 };

		trying("sigaltstack with ss_sp", (unsigned long)ss.ss_sp);
		if (sigaltstack(&ss, NULL)) {
			printf("attack_sig sigaltstack: sigaltstack: %s\n", strerror(errno));
			return 0;
		}
		sa.sa_handler = on_frame;
		sa.sa_flags = SA_ONSTACK;
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		printf("attack_sig sigaltstack: back (handler ran: %d)\n", handled);
		return 0;
	}
	if (!strcmp(mode, "handler")) {
		target = outside('x');
		sa.sa_handler = (void (*)(int))target;
		trying("a SIGUSR1 handler at", target);
		if (sigaction(SIGUSR1, &sa, NULL)) {
			printf("attack_sig handler: sigaction: %s\n", strerror(errno));
			return 0;
		}
		raise(SIGUSR1);
		printf("ESCAPED: came back from a handler in the sandbox's code\n");
		return 0;
	}
	if (!strcmp(mode, "restorer")) {
		/* The kernel's struct sigaction: handler, flags, restorer, mask. */
		struct { void *h; unsigned long flags; void *restorer; unsigned long mask; } k;

		target = outside('x');
		k.h = (void *)on_count;
		k.flags = 0x04000000UL;	/* SA_RESTORER */
		k.restorer = (void *)target;
		k.mask = 0;
		trying("a SIGUSR1 sa_restorer at", target);
		if (syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 8UL)) {
			printf("attack_sig restorer: rt_sigaction: %s\n", strerror(errno));
			return 0;
		}
		raise(SIGUSR1);
		printf("ESCAPED: came back through a restorer in the sandbox's code\n");
		return 0;
	}
	if (!strcmp(mode, "segv-handler")) {
		long v;

		target = outside('w');
		sa.sa_handler = on_segv_attack;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		trying("a load (with a SIGSEGV handler) from", target);
		v = *(volatile long *)target;
		printf("ESCAPED: read the sandbox's memory: 0x%lx\n", v);
		return 0;
	}

	/* ---- checks ---- */
	if (!strcmp(mode, "segv-recover")) {
		char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p + 4096, 4096))
			return 3;
		fault_addr = p + 4096 + 8;
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		if (!sigsetjmp(jb, 1)) {
			(void)*(volatile long *)fault_addr;
			printf("segv-recover: no fault\n");
			return 1;
		}
		printf("segv-recover: recovered\n");
		return 0;
	}
	if (!strcmp(mode, "div0")) {
		volatile int a = 1, b = 0;

		printf("div0: dividing\n");
		fflush(stdout);
		return a / b;
	}
	if (!strcmp(mode, "ud2")) {
		printf("ud2: executing\n");
		fflush(stdout);
		__asm__ volatile("ud2");
		return 0;
	}
	if (!strcmp(mode, "int3")) {
		printf("int3: executing\n");
		fflush(stdout);
		__asm__ volatile("int3");
		return 0;
	}
	if (!strcmp(mode, "abort")) {
		printf("abort: calling abort()\n");
		fflush(stdout);
		abort();
	}
	if (!strcmp(mode, "bus")) {
		int fd = open("attack_sig.bus", O_RDWR | O_CREAT | O_TRUNC, 0644);
		char *p;

		if (fd < 0 || write(fd, "x", 1) != 1) {
			perror("bus: attack_sig.bus");
			return 3;
		}
		p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
		unlink("attack_sig.bus");
		if (p == MAP_FAILED) {
			perror("bus: mmap");
			return 3;
		}
		printf("bus: reading past the end of the file\n");
		fflush(stdout);
		return *(volatile char *)(p + 4096);
	}
	if (!strcmp(mode, "alarm")) {
		sa.sa_handler = on_count;
		sigaction(SIGALRM, &sa, NULL);
		alarm(1);
		while (!count)
			pause();
		printf("alarm: the handler ran\n");
		return 0;
	}
	if (!strcmp(mode, "mask")) {
		sigset_t s;

		sa.sa_handler = on_count;
		sigaction(SIGUSR2, &sa, NULL);
		sigemptyset(&s);
		sigaddset(&s, SIGUSR2);
		sigprocmask(SIG_BLOCK, &s, NULL);
		raise(SIGUSR2);
		printf("mask: after raise while blocked: %d\n", count);
		sigpending(&s);
		printf("mask: pending: %d\n", sigismember(&s, SIGUSR2));
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		printf("mask: after unblock: %d\n", count);
		return 0;
	}
	if (!strcmp(mode, "sigchld")) {
		pid_t pid;
		int st;

		sa.sa_handler = on_count;
		sigaction(SIGCHLD, &sa, NULL);
		pid = fork();
		if (pid == 0)
			_exit(5);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		for (int i = 0; i < 100 && !count; i++)
			usleep(10000);
		printf("sigchld: handler ran %d time(s), child exited %d\n", count, WEXITSTATUS(st));
		return 0;
	}
	fprintf(stderr, "attack_sig: unknown mode '%s'\n", mode);
	return 2;
}
