/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sandbox.h - the sandbox's internals, shared by its files (design in
 * apps/sandbox/README.md).
 *
 * One untrusted program per sandbox process, single-threaded, in ring 3 of
 * a Dune process; the sandbox is its kernel, in ring 0.  The program's
 * memory is the "untrusted range" [SB_LO, SB_HI): the same addresses in the
 * host process and in the guest page tables (mapped there with DUNE_PERM_U,
 * mirroring the host protections), which the sandbox keeps reserved
 * (PROT_NONE) wherever the program has nothing.  Nothing else of the
 * process is reachable from ring 3, and every pointer a system call passes
 * to the host kernel must lie inside the range.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libdune.h"
#include "policy.h"
#include "path.h"
#include "vma.h"

#define SB_LO		0x10000UL		/* 64 KiB (mmap_min_addr) */
#define SB_HI		0x100000000UL		/* 4 GiB */
#define SB_STACK_TOP	(SB_HI - (16UL << 20))	/* the top 16 MiB: free */
#define SB_STACK_SIZE	(8UL << 20)
#define SB_PROG_BASE	0x400000UL		/* PIE programs load here ... */
#define SB_INTERP_BASE	0x40000000UL		/* ... their interpreter here (1 GiB) */
#define SB_FD_MIN	900			/* descriptors >= this are the sandbox's */

#define SB_EXIT_VIOLATION	100		/* the program broke the policy */
#define SB_EXIT_ERROR		101		/* the sandbox could not run it */

#define SB_PAGE		4096UL
#define SB_PAGE_UP(x)	(((x) + SB_PAGE - 1) & ~(SB_PAGE - 1))

struct sb_procs;

struct sb {
	struct sb_policy pol;
	bool trace;
	bool quiet;			/* no "denied" notes */
	int out;			/* the sandbox's stderr (reports, trace) */
	pid_t pid;			/* this process (updated in fork children) */
	char exe[PATH_MAX];		/* the program's resolved path (/proc/self/exe) */
	struct sb_vmas vmas;
	uintptr_t brk_start, brk_cur;
	/* signals */
	struct sb_sigact {
		uint64_t handler, flags, restorer, mask;
	} act[65];
	uint64_t pending;		/* signals caught in ring 0, to deliver */
	siginfo_t pending_info[65];
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;
	/* the shared table of the sandbox's processes (procs N) */
	struct sb_procs *procs;
};
extern struct sb sb;

/* sandbox.c */
void sb_violation(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void sb_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sb_load(const char *path, char *const *argv, int argc, char *const *envp, int envc,
	    struct dune_tf *tf, char *err, size_t errlen);
int sb_exec_check(const char *path, char *err, size_t errlen);
void sb_deliver_pending(struct dune_tf *tf);
void sb_force_signal(struct dune_tf *tf, int sig, int code, uint64_t addr);
long sb_sigaction(int sig, uint64_t act, uint64_t oact, size_t sz);
long sb_sigreturn(struct dune_tf *tf);
long sb_sigaltstack(uint64_t ss, uint64_t oss);
void sb_exec_reset_signals(void);
void sb_exit_group(int status) __attribute__((noreturn));

/* sys.c */
void sb_syscall(struct dune_tf *tf);
int sb_check_policy_syscalls(char *err, size_t errlen);
int sb_copy_in(void *dst, uint64_t src, size_t len);
int sb_copy_out(uint64_t dst, const void *src, size_t len);
long sb_copy_str(char *dst, uint64_t src, size_t max);
bool sb_range_ok(uint64_t p, uint64_t len);
int sb_procs_init(int max);
void sb_procs_exit(void);

/* mm.c */
int sb_mm_init(void);
int sb_mm_reset(void);
int sb_mm_sync(void);
int sb_mm_reserve_gaps(void);
long sb_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sb_munmap(uint64_t addr, uint64_t len);
long sb_mprotect(uint64_t addr, uint64_t len, int prot);
long sb_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t newaddr);
long sb_brk(uint64_t addr);
long sb_madvise(uint64_t addr, uint64_t len, int advice);

#endif /* SANDBOX_H */
