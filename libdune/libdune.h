/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libdune.h - the one public header of libdune, the library that moves a
 * running Linux process into Dune mode (VMX non-root ring 0, through
 * /dev/dune) and then acts as that process's own kernel: page tables, trap
 * and interrupt handlers, ring 3, and system-call interposition.
 *
 *   #include <libdune.h>          cc prog.c $(pkg-config --cflags --libs libdune)
 *
 *   static void pf(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
 *   { ... map the page ...; }          return: the faulting access is retried
 *
 *   int main(void)
 *   {
 *           if (dune_init_and_enter())  return 1;   now in Dune mode
 *           dune_register_pgflt_handler(pf);
 *           printf("hello from ring 0\n");          glibc keeps working
 *   }
 *
 * Conventions.  Every function that can fail returns 0 (or a value >= 0)
 * on success and a negative errno on failure; none of them sets errno.
 * Functions marked "guest only" may only be called from a thread in Dune
 * mode (they use privileged instructions); they return -EPERM (or do
 * nothing, for void functions) on a thread that is not.  Everything else in
 * the library is hidden (version script); only dune_* names are exported.
 *
 * What Dune mode is, for a program (details in libdune/README.md):
 *   - The thread runs in ring 0 with libdune's page tables, which map every
 *     address of the process (as supervisor, read/write/execute) to its own
 *     memory; the host kernel's EPT still enforces the host's permissions,
 *     so a write to read-only host memory kills the process with SIGSEGV.
 *   - System calls made by glibc with SYSCALL go to a libdune stub that
 *     forwards them to the host kernel (VMCALL).  Files, sockets, time (the
 *     vDSO), malloc, printf and pthreads keep working.
 *   - Exceptions go to libdune's IDT; a registered handler sees the trap
 *     frame.  An exception nobody handles prints a report (vector, error
 *     code, fault address, registers, backtrace) on stderr and kills the
 *     process with the matching signal (SIGSEGV, SIGILL, SIGFPE, SIGTRAP,
 *     SIGBUS), as a native fault would.
 *   - Signals: handlers installed with sigaction() run as usual, in host
 *     mode between two VM entries, on a libdune stack.  Handlers registered
 *     with dune_register_signal_handler() run in Dune mode, with the trap
 *     frame of the interrupted code (ring 0 or ring 3).
 *   - Threads created with pthread_create() by a thread in Dune mode enter
 *     Dune mode before their start routine runs.  The child of fork() enters
 *     Dune mode before fork() returns in it (it gets its own VM and a copy of
 *     the page tables).  vfork()/posix_spawn() children and threads made
 *     with a raw clone() run in host mode (they may call dune_enter()).
 *     execve() leaves Dune mode: the new image starts as a plain process.
 *   - Not supported in Dune mode: asynchronous pthread_cancel() (deferred
 *     cancellation works), setcontext() across threads, and 32-bit TLS
 *     (set_thread_area).
 */
#ifndef LIBDUNE_H
#define LIBDUNE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBDUNE_VERSION_MAJOR	1
#define LIBDUNE_VERSION_MINOR	0

/* ==== Boot ============================================================== */

/*
 * dune_init - open /dev/dune, read the guest-physical layout, and build the
 * process's page tables and IDT.  Call once per process, from any thread,
 * before dune_enter(); calling it again is a no-op returning 0.
 * @map_full: true maps every window of the layout up front (1 GiB or 2 MiB
 *	pages); false maps the parts in use and fills in the rest on demand
 *	(from the page-fault path).  Either way every address of the process
 *	is reachable in Dune mode.
 * Returns 0, -ENOENT (no /dev/dune: dune.ko not loaded), -EACCES, -ENOTSUP
 * (the module's API version differs from this library's), -ENOMEM, or the
 * module's error.
 */
int dune_init(bool map_full);

/*
 * dune_enter - move the calling thread into Dune mode.  Returns 0 in Dune
 * mode, with the thread's registers, stack, TLS and signal mask unchanged;
 * -EBUSY if the thread is already in Dune mode; -EINVAL if dune_init() was
 * not called; -ENOMEM; or the module's error (e.g. -EPERM under seccomp).
 * Each thread has its own GDT, TSS (with separate IST stacks for double
 * faults, NMIs and machine checks) and trap stacks, allocated here and
 * freed when the thread exits.
 */
int dune_enter(void);

/*
 * dune_vm_exclude - before dune_init(): libdune never maps [lo, hi) by
 * itself, neither at dune_init() nor on demand; the caller maps what it
 * wants there (e.g. with DUNE_PERM_U, for ring-3 code: the sandbox), and a
 * ring-0 fault there goes to the page-fault handler.  One range; a second
 * call replaces it.  lo and hi 4 KiB aligned.  Returns 0, -EINVAL, or
 * -EBUSY after dune_init().
 */
int dune_vm_exclude(uintptr_t lo, uintptr_t hi);

/*
 * The descriptor of /dev/dune that libdune holds (close-on-exec), or -1.
 * libdune keeps it at DUNE_DEVICE_FD_MIN or above when it can, out of the
 * way of a program's own descriptors; a fork child reopens it (another
 * number, maybe).
 */
#define DUNE_DEVICE_FD_MIN	960
int dune_device_fd(void);

/* dune_init(false) then dune_enter(). */
int dune_init_and_enter(void);

/* True when the calling thread runs in Dune mode. */
bool dune_is_guest(void);

/*
 * dune_set_auto_enter - whether threads created with pthread_create() by a
 * Dune-mode thread, and children of fork() of a Dune-mode process, enter
 * Dune mode automatically (the default: true).  Returns the old setting.
 */
bool dune_set_auto_enter(bool on);

/* ==== Trap frames and handlers ========================================= */

/*
 * The state of interrupted code, as saved by libdune's trap entry: the
 * general registers, then the hardware's interrupt frame.  A handler may
 * change any field; the interrupted code resumes with the new values
 * (for ring 3: cs and ss must stay ring-3 selectors, rflags may not set
 * IOPL; libdune enforces both).
 */
struct dune_tf {
	uint64_t rdi, rsi, rdx, rcx, r8, r9, r10, r11;
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rax;
	uint64_t fs_base;	/* the interrupted code's FS base */
	uint64_t addr;		/* page faults: the fault address (CR2) */
	uint64_t vector;	/* exception/interrupt vector; DUNE_VEC_SYSCALL for SYSCALL */
	uint64_t err;		/* hardware error code, or 0 */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Exception vectors (Intel SDM Vol. 3A, 6.3.1). */
#define DUNE_T_DE	0	/* divide error */
#define DUNE_T_DB	1	/* debug */
#define DUNE_T_NMI	2
#define DUNE_T_BP	3	/* breakpoint (int3) */
#define DUNE_T_OF	4
#define DUNE_T_BR	5
#define DUNE_T_UD	6	/* invalid opcode */
#define DUNE_T_NM	7
#define DUNE_T_DF	8	/* double fault */
#define DUNE_T_TS	10
#define DUNE_T_NP	11
#define DUNE_T_SS	12
#define DUNE_T_GP	13	/* general protection */
#define DUNE_T_PF	14	/* page fault */
#define DUNE_T_MF	16
#define DUNE_T_AC	17
#define DUNE_T_MC	18
#define DUNE_T_XM	19	/* SIMD floating point */
#define DUNE_T_VE	20
#define DUNE_T_CP	21
#define DUNE_NUM_VECTORS	256
/* Vector used to deliver host signals to dune_register_signal_handler(). */
#define DUNE_VEC_SIGNAL		0xf0
/* tf->vector of a ring-3 SYSCALL (not an IDT vector). */
#define DUNE_VEC_SYSCALL	0x100

/* Page-fault error code bits (tf->err for DUNE_T_PF). */
#define DUNE_PF_P	0x1	/* the page was present (protection fault) */
#define DUNE_PF_W	0x2	/* write access */
#define DUNE_PF_U	0x4	/* from ring 3 */
#define DUNE_PF_RSVD	0x8	/* reserved bit set in an entry */
#define DUNE_PF_I	0x10	/* instruction fetch */

/* Segment selectors of libdune's GDT. */
#define DUNE_GD_KT	0x08	/* ring-0 code */
#define DUNE_GD_KD	0x10	/* ring-0 data */
#define DUNE_GD_UD	0x1b	/* ring-3 data (0x18 | 3) */
#define DUNE_GD_UT	0x23	/* ring-3 code (0x20 | 3) */
#define DUNE_GD_TSS	0x28	/* TSS (two slots) */

/* Whether a trap frame is of ring-3 code. */
static inline bool dune_tf_is_user(const struct dune_tf *tf)
{
	return (tf->cs & 3) == 3;
}

typedef void (*dune_intr_cb)(struct dune_tf *tf);
typedef void (*dune_pgflt_cb)(uintptr_t addr, uint64_t fec, struct dune_tf *tf);
typedef void (*dune_syscall_cb)(struct dune_tf *tf);
typedef void (*dune_signal_cb)(int signo, siginfo_t *info, struct dune_tf *tf);

/*
 * dune_register_intr_handler - handle exception or interrupt vector @vec
 * (0-255, except DUNE_T_PF: see below, and DUNE_VEC_SIGNAL) from ring 0 and
 * ring 3, on every thread.  The handler runs in ring 0 with interrupts off.
 * Returning resumes the interrupted code at tf->rip: to retry a faulting
 * instruction, fix its cause; to skip it, dune_skip_insn(tf); to end the
 * process with a report, dune_die(tf, ...).  NULL removes the handler.
 * Returns 0 or -EINVAL.  Usable before dune_enter().
 */
int dune_register_intr_handler(int vec, dune_intr_cb cb);

/*
 * dune_register_pgflt_handler - handle page faults (ring 0 and ring 3)
 * with the faulting address (CR2) and error code (DUNE_PF_*).  Faults that
 * libdune handles itself (filling in its own on-demand mappings, see
 * dune_init()) never reach it.  NULL removes it.  Returns 0.
 */
int dune_register_pgflt_handler(dune_pgflt_cb cb);

/*
 * dune_register_syscall_handler - handle system calls made in ring 3 (with
 * SYSCALL).  tf->rax is the number, tf->rdi tf->rsi tf->rdx tf->r10 tf->r8
 * tf->r9 the arguments; set tf->rax to the result (e.g. -EPERM to refuse),
 * or call dune_passthrough_syscall(tf) to run it on the host as it is (or
 * after changing it).  The handler runs in ring 0 on the stack of the
 * dune_jump_to_user() caller, with interrupts on.  Without a handler, a
 * ring-3 system call kills the process with a report (SIGSYS).  NULL
 * removes it.  Returns 0.
 */
int dune_register_syscall_handler(dune_syscall_cb cb);

/*
 * dune_register_signal_handler - run @cb in Dune mode when host signal
 * @signum (1-64, not SIGKILL/SIGSTOP) arrives for a thread in Dune mode:
 * libdune catches it on the host, then interrupts the thread (vector
 * DUNE_VEC_SIGNAL) as soon as it runs with interrupts on, and calls @cb
 * with the interrupted code's frame.  A thread in host mode gets it on its
 * next entry.  The signal is blocked for the thread while @cb runs.  NULL
 * restores the default disposition.  Returns 0, -EINVAL, or the error of
 * sigaction().
 */
int dune_register_signal_handler(int signum, dune_signal_cb cb);

/*
 * dune_register_ept_handler - decide what an access to memory the host
 * cannot back ends in: an EPT violation (beyond the end of a mapped file, a
 * write to read-only host memory, a hole).  The guest cannot resume from
 * it; @cb runs in host mode with the guest-linear and guest-physical
 * addresses and the exit qualification, and returns the signal that ends
 * the process (as natively, without a report: e.g. SIGBUS for a file
 * mapping's end), or 0 for the default: a report and SIGSEGV.  NULL
 * removes it.  Returns 0.
 */
typedef int (*dune_ept_cb)(uint64_t guest_linear, uint64_t guest_phys, uint64_t exit_qual);
int dune_register_ept_handler(dune_ept_cb cb);

/*
 * dune_skip_insn - advance tf->rip past the instruction it points at
 * (decoded with dune_insn_len()).  Returns the length, or -EINVAL when the
 * bytes are not a valid instruction, -EFAULT when they cannot be read.
 */
int dune_skip_insn(struct dune_tf *tf);

/*
 * dune_insn_len - the length (1-15) of the x86-64 instruction in
 * @buf[0..@len), or -EINVAL (invalid/undecodable) or -ENODATA (truncated).
 * Pure: usable anywhere.
 */
int dune_insn_len(const uint8_t *buf, size_t len);

/*
 * dune_die - print "dune: " + the formatted message, then the report of
 * @tf (vector, error code, CR2 for page faults, registers, backtrace), and
 * kill the process with the signal matching tf->vector.  Never returns.
 */
void dune_die(struct dune_tf *tf, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* dune_dump_trap_frame - print the report part of dune_die() to stderr. */
void dune_dump_trap_frame(const struct dune_tf *tf);

/* ==== Ring 3 ============================================================ */

/*
 * dune_jump_to_user - run code in ring 3 from @tf (rip, rsp, rflags, the
 * general registers and fs_base; cs/ss are set to the ring-3 selectors)
 * until a handler calls dune_ret_from_user(); returns its argument.  Ring-3
 * code reaches only pages mapped with DUNE_PERM_U, cannot run privileged
 * instructions (#GP), and its SYSCALLs, exceptions and interrupts enter
 * ring 0 on the stack of this call's caller.  Guest only; -EBUSY if the
 * thread is already running ring-3 code.
 */
int dune_jump_to_user(struct dune_tf *tf);

/*
 * dune_ret_from_user - from a handler of ring-3 code: abandon the ring-3
 * context and return @ret from the dune_jump_to_user() call.  Never returns.
 */
void dune_ret_from_user(int ret) __attribute__((noreturn));

/*
 * dune_passthrough_syscall - run the system call in @tf (number tf->rax,
 * arguments rdi rsi rdx r10 r8 r9) on the host; the result goes to tf->rax.
 */
void dune_passthrough_syscall(struct dune_tf *tf);

/* ==== Page tables =======================================================
 *
 * 4-level x86-64 page tables.  A "root" is the virtual address of a PML4
 * page.  Physical addresses are guest-physical: dune_va_to_pa() gives the
 * one of any address of the process.  Table pages come from libdune's page
 * allocator (dune_page_alloc).  Page 0 (virtual addresses below 4096) can
 * never be mapped (-EINVAL): it guards the SYSCALL entry.  Functions that
 * change the current root's
 * mappings flush the calling thread's TLB (single pages, or the whole TLB
 * for large ranges); other threads that run on the same root must call
 * dune_flush_tlb() themselves (a guest has no IPIs).
 */
typedef uint64_t dune_pte_t;

#define DUNE_PERM_NONE		0
#define DUNE_PERM_R		0x0001	/* present, readable */
#define DUNE_PERM_W		0x0002	/* writable */
#define DUNE_PERM_X		0x0004	/* executable (otherwise NX) */
#define DUNE_PERM_U		0x0008	/* ring 3 may access */
#define DUNE_PERM_UC		0x0010	/* uncached */
#define DUNE_PERM_COW		0x0020	/* copy-on-write (read-only until a write fault) */
#define DUNE_PERM_USR1		0x1000	/* software bits, for the user of the library */
#define DUNE_PERM_USR2		0x2000
#define DUNE_PERM_USR3		0x4000
#define DUNE_PERM_BIG		0x0100	/* map with 2 MiB pages */
#define DUNE_PERM_BIG_1GB	0x0200	/* map with 1 GiB pages */

/* Page-table entry bits (Intel SDM Vol. 3A, 4.5). */
#define DUNE_PTE_P	(1ULL << 0)
#define DUNE_PTE_W	(1ULL << 1)
#define DUNE_PTE_U	(1ULL << 2)
#define DUNE_PTE_PWT	(1ULL << 3)
#define DUNE_PTE_PCD	(1ULL << 4)
#define DUNE_PTE_A	(1ULL << 5)
#define DUNE_PTE_D	(1ULL << 6)
#define DUNE_PTE_PS	(1ULL << 7)
#define DUNE_PTE_G	(1ULL << 8)
#define DUNE_PTE_AVAIL	(7ULL << 9)	/* software: USR1..USR3 */
#define DUNE_PTE_COW	(1ULL << 52)	/* software: copy-on-write */
#define DUNE_PTE_NX	(1ULL << 63)
#define DUNE_PTE_ADDR	0x000ffffffffff000ULL
#define DUNE_PTE_FLAGS	(~DUNE_PTE_ADDR)

#define DUNE_PGSIZE	4096UL
#define DUNE_PGSIZE_2M	(1UL << 21)
#define DUNE_PGSIZE_1G	(1UL << 30)

/* The root that dune_init() built and every thread starts on. */
extern dune_pte_t *dune_pgroot;

/*
 * dune_vm_lookup - find the entry for @va (the 4 KiB PTE, or the 2 MiB /
 * 1 GiB leaf that maps it).  With @create, missing tables are allocated
 * and a large leaf in the way is split into 4 KiB entries (same
 * permissions).  *@pte_out points at the entry (which may be empty).
 * Returns 0, -ENOENT (not mapped and !create), -ENOMEM, -EINVAL (va not
 * canonical).  @level_out, if not NULL, gets 1 (4 KiB), 2 (2 MiB) or 3 (1 GiB).
 */
int dune_vm_lookup(dune_pte_t *root, const void *va, bool create, dune_pte_t **pte_out,
		   int *level_out);

/*
 * dune_vm_map_phys - map [va, va+len) to guest-physical [pa, pa+len) with
 * @perm (DUNE_PERM_*; DUNE_PERM_BIG / BIG_1GB use large pages where va, pa
 * and len allow).  Existing mappings are replaced.  va, pa and len must be
 * 4 KiB aligned; len 0 does nothing.  No reference is taken on allocator
 * pages mapped this way.  Returns 0, -EINVAL, -ENOMEM (the range may then
 * be partly mapped).
 */
int dune_vm_map_phys(dune_pte_t *root, void *va, size_t len, uint64_t pa, int perm);

/*
 * dune_vm_map_pages - map fresh zeroed pages from the page allocator over
 * [va, va+len) with @perm (4 KiB pages).  Existing mappings are replaced
 * (their pages released).  Returns 0, -EINVAL, -ENOMEM (the range may
 * then be partly mapped).
 */
int dune_vm_map_pages(dune_pte_t *root, void *va, size_t len, int perm);

/*
 * dune_vm_mprotect - change the permissions of the mapped pages in
 * [va, va+len) (large pages partly covered are split).  Unmapped pages are
 * skipped.  DUNE_PERM_NONE keeps a page mapped but inaccessible (not
 * present; a later mprotect restores it; unmap still releases it); W, X,
 * U, UC or COW without R is -EINVAL.  Returns 0, -EINVAL, -ENOMEM.
 */
int dune_vm_mprotect(dune_pte_t *root, void *va, size_t len, int perm);

/* dune_vm_unmap - remove the mappings in [va, va+len), releasing pages that
 * came from the page allocator.  Returns 0 or -EINVAL (or -ENOMEM, when a
 * large page partly covered cannot be split). */
int dune_vm_unmap(dune_pte_t *root, void *va, size_t len);

/*
 * dune_vm_page_walk - call @cb for each leaf entry present in [start, end]
 * (inclusive end, so the whole 48-bit space is walkable), in increasing va
 * order, with the entry's address, the va it maps and its level (1, 2, 3).
 * A non-zero return from @cb stops the walk and is returned.  With @create,
 * the walk covers every 4 KiB page of the range, creating empty entries.
 */
typedef int (*dune_page_walk_cb)(const void *arg, dune_pte_t *pte, void *va, int level);
int dune_vm_page_walk(dune_pte_t *root, void *start, void *end, dune_page_walk_cb cb,
		      const void *arg, bool create);

/*
 * dune_vm_clone - a new root with the same mappings: table pages are
 * copied, pages from the page allocator are shared, and writable ones
 * become copy-on-write in both roots (the default page-fault path copies
 * them on a write).  Returns NULL on -ENOMEM.
 */
dune_pte_t *dune_vm_clone(dune_pte_t *root);

/* dune_vm_free - free a root made by dune_vm_clone() or dune_vm_new_root(),
 * its tables, and the references it holds on allocator pages.  The calling
 * thread's current root is left alone (switch away first). */
void dune_vm_free(dune_pte_t *root);

/* dune_vm_new_root - an empty root (the kernel half is not special).
 * Returns NULL on -ENOMEM. */
dune_pte_t *dune_vm_new_root(void);

/*
 * dune_vm_default_pgflt_handler - resolve a copy-on-write fault at @addr in
 * @root: copy the page (or take it over when it is the last reference) and
 * map it writable.  Returns 0 (also when the entry already allows the
 * access: a stale TLB entry, now flushed), -EFAULT when @addr is not a COW
 * page, or -ENOMEM when the copy cannot be allocated.
 */
int dune_vm_default_pgflt_handler(dune_pte_t *root, uintptr_t addr, uint64_t fec);

/* Accessed and dirty bits of the 4 KiB/large leaf that maps @va:
 * get returns a mask of DUNE_PTE_A|DUNE_PTE_D, or -ENOENT; clear clears
 * the bits in @mask and flushes the TLB entry (so the CPU sets them again
 * on the next access).  Returns 0 or -ENOENT; both -EINVAL for an address
 * outside the lower half. */
int dune_vm_get_ad(dune_pte_t *root, const void *va);
int dune_vm_clear_ad(dune_pte_t *root, const void *va, uint64_t mask);

/* Guest-physical address of @va (any address of the process inside the
 * layout's windows), or (uint64_t)-1.  dune_pa_to_va: the inverse, or NULL. */
uint64_t dune_va_to_pa(const void *va);
void *dune_pa_to_va(uint64_t pa);

/* ==== TLB =============================================================== */

/* Guest only.  Flush the calling thread's TLB entries for one page, for a
 * range (whole TLB above 32 pages), or all non-global entries of the
 * current address space (its PCID, when PCIDs are in use). */
void dune_flush_tlb_one(const void *va);
void dune_flush_tlb_range(const void *va, size_t len);
void dune_flush_tlb(void);

/*
 * dune_vm_activate - guest only: switch the calling thread to @root.  With
 * PCIDs (dune_has_pcid()), @pcid (1-4095) tags the root's TLB entries, and
 * switching keeps the entries of other PCIDs (no flush): the caller then
 * owns the choice of distinct PCIDs per root; pcid 0 is dune_pgroot's.
 * Returns 0, -EINVAL, -EPERM (not in Dune mode).
 */
int dune_vm_activate(dune_pte_t *root, unsigned int pcid);
bool dune_has_pcid(void);

/* ==== Page allocator ====================================================
 *
 * 4 KiB pages of the process's memory, for page tables and for
 * dune_vm_map_pages(); each has a reference count.  Thread-safe.  Freed
 * pages are reused, and memory beyond a small cache is returned to the
 * host (madvise MADV_DONTNEED).
 */
void *dune_page_alloc(void);			/* zeroed; NULL on ENOMEM */
void dune_page_get(void *page);			/* +1 reference */
void dune_page_put(void *page);			/* -1, freed at 0 */
/* get/put ignore pages that are not the allocator's, and abort() on a
 * page that is free (a double put): a use-after-free, never silent. */
int dune_page_refcount(const void *page);	/* -EINVAL: not an allocator page */
bool dune_page_is_managed(const void *page);	/* from this allocator? */
/* Pages in use, and pages held free (cached), for tests and statistics. */
void dune_page_stats(size_t *in_use, size_t *cached);

/* ==== ELF loader ========================================================
 *
 * Loads ELF64 x86-64 executables (ET_EXEC static, ET_DYN PIE) and their
 * interpreter into memory, for running them in ring 3 (the sandbox).  Every
 * header field is validated; malformed files are refused with -ENOEXEC and
 * a message in dune_elf_error().
 */
struct dune_elf {
	int fd;				/* -1 for an in-memory image */
	const uint8_t *buf;		/* the first bytes (headers), or the image */
	size_t size;			/* file size */
	void *priv;			/* loader state */
	char err[160];			/* why the last call failed */
};

/* What dune_elf_load() placed where (absolute addresses). */
struct dune_elf_image {
	uintptr_t base;			/* load bias (0 for ET_EXEC) */
	uintptr_t lo, hi;		/* the range the segments occupy */
	uintptr_t entry;		/* AT_ENTRY */
	uintptr_t phdr;			/* AT_PHDR (0 if not loaded) */
	uint64_t phnum, phent;		/* AT_PHNUM, AT_PHENT */
	uintptr_t brk;			/* page-aligned end of the last segment */
	int stack_exec;			/* PT_GNU_STACK has PF_X */
	char interp[256];		/* PT_INTERP path, or "" */
};

/* Open @path / an in-memory image, and validate the headers.
 * Returns 0, -ENOEXEC (see elf->err), or the open/read error. */
int dune_elf_open(struct dune_elf *elf, const char *path);
int dune_elf_open_mem(struct dune_elf *elf, const void *buf, size_t len);
void dune_elf_close(struct dune_elf *elf);
const char *dune_elf_error(const struct dune_elf *elf);

/*
 * dune_elf_load - map the PT_LOAD segments (MAP_FIXED, with the segments'
 * protections) inside [lo, hi): ET_EXEC files where they are linked (which
 * must lie inside the range), ET_DYN files at the lowest page-aligned base
 * >= @hint (or lo) inside the range.  Returns 0, -ENOEXEC (see err),
 * -ERANGE (does not fit), -ENOMEM, or the mmap error.
 */
int dune_elf_load(struct dune_elf *elf, uintptr_t lo, uintptr_t hi, uintptr_t hint,
		  struct dune_elf_image *out);

/*
 * dune_elf_fits - whether dune_elf_load(@elf, lo, hi, hint, ...) would find
 * room, without mapping anything: 0, -ERANGE (see elf->err), -EINVAL.
 * (Whether the space is free is only known when loading.)
 */
int dune_elf_fits(struct dune_elf *elf, uintptr_t lo, uintptr_t hi, uintptr_t hint);

/*
 * dune_elf_load_program - load the executable at @path and, if it names
 * one, its interpreter (placed after it) inside [lo, hi).  @interp_out
 * gets the interpreter's image (base 0 and entry 0 when there is none).
 * The program starts at interp_out->entry if set, else prog->entry.
 */
int dune_elf_load_program(const char *path, uintptr_t lo, uintptr_t hi,
			  struct dune_elf_image *prog, struct dune_elf_image *interp_out,
			  char *err, size_t errlen);

/* ==== Diagnostics ======================================================= */

/* The module's counters for this process (struct dune_stats of
 * <dune/uapi.h>); @size = sizeof(struct dune_stats).  Returns 0 or -errno. */
struct dune_stats;
int dune_get_stats(struct dune_stats *st);

/*
 * dune_kill_self - end the process with signal @sig as its default action
 * would (termination, core dump), as if the signal had come natively: the
 * disposition is reset and the signal unblocked first; exit status 128+sig
 * if the signal cannot end it.  In Dune mode or host mode.  Never returns.
 */
void dune_kill_self(int sig) __attribute__((noreturn));

/* A one-line description of a DUNE_EXIT_* reason. */
const char *dune_exit_reason_name(unsigned int reason);

#ifdef __cplusplus
}
#endif

#endif /* LIBDUNE_H */
