/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * percpu.h - libdune's per-thread state ("per-CPU" from the guest's point of
 * view: each thread is one virtual CPU).  GS base points at it in host and
 * Dune mode alike (glibc on x86-64 does not use GS), so the entry code can
 * reach it with %gs: addressing.  The PC_* offsets are used by entry.S.
 *
 * One mmap'd region per thread:
 *
 *   +--------------------+ region
 *   | struct dune_percpu |  IDT, GDT, TSS, the DUNE_ENTER argument, ...
 *   +--------------------+
 *   | guard (PROT_NONE)  |
 *   | trampoline stack   |  IST1: every vector lands here, then moves
 *   | guard              |
 *   | double-fault stack |  IST2: #DF, and fatal reports of bad stacks
 *   | guard              |
 *   | host stack         |  the DUNE_ENTER loop and host signal handlers
 *   +--------------------+ region + DUNE_REGION_SIZE
 *
 * Why every vector goes through a stack switch: user-space code (glibc, the
 * program) keeps data in the 128-byte red zone below RSP, which a CPU
 * exception in ring 0 would overwrite.  The trampoline moves the frame to
 * below the red zone of the interrupted stack (or to the ring-3 trap stack)
 * and runs the handler there, as Linux does for signal frames.
 */
#ifndef LIBDUNE_PERCPU_H
#define LIBDUNE_PERCPU_H

#define PC_SELF		0x00
#define PC_USERMODE	0x08	/* 1 while ring-3 code runs (SYSCALL stub) */
#define PC_TMP		0x10	/* scratch for the SYSCALL stub */
#define PC_KSTACK	0x18	/* ring-0 stack top for traps from ring 3 */
#define PC_KFS		0x20	/* ring-0 FS base (glibc's TLS) while ring 3 runs */
#define PC_UJMP_RSP	0x28	/* dune_jump_to_user()'s saved stack, or 0 */
#define PC_HOST_STACK	0x30	/* top of the host stack */
#define PC_ENTER_RIP	0x38	/* where the guest starts (entry.S sets it) */
#define PC_ENTER_RSP	0x40
#define PC_IST1_TOP	0x48	/* trampoline stack top */
#define PC_IST2_TOP	0x50	/* double-fault stack top */

#define TF_RDI		0x00
#define TF_RSI		0x08
#define TF_RDX		0x10
#define TF_RCX		0x18
#define TF_R8		0x20
#define TF_R9		0x28
#define TF_R10		0x30
#define TF_R11		0x38
#define TF_RBX		0x40
#define TF_RBP		0x48
#define TF_R12		0x50
#define TF_R13		0x58
#define TF_R14		0x60
#define TF_R15		0x68
#define TF_RAX		0x70
#define TF_FS		0x78
#define TF_ADDR		0x80
#define TF_VECTOR	0x88
#define TF_ERR		0x90
#define TF_RIP		0x98
#define TF_CS		0xa0
#define TF_RFLAGS	0xa8
#define TF_RSP		0xb0
#define TF_SS		0xb8
#define TF_SIZE		0xc0

#define MSR_FS_BASE	0xc0000100

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "desc.h"
#include "internal.h"

#define DUNE_IST_TRAMP_SIZE	(8 * 1024)
#define DUNE_IST_DF_SIZE	(32 * 1024)
#define DUNE_HOST_STACK_SIZE	(128 * 1024)
#define DUNE_GUARD		4096
#define DUNE_PERCPU_SIZE	(6 * 4096)
#define DUNE_REGION_SIZE	(DUNE_PERCPU_SIZE + DUNE_GUARD + DUNE_IST_TRAMP_SIZE + DUNE_GUARD + \
				 DUNE_IST_DF_SIZE + DUNE_GUARD + DUNE_HOST_STACK_SIZE)

#define DUNE_GDT_ENTRIES	8

struct dune_percpu {
	uint64_t self;
	uint64_t usermode;
	uint64_t tmp;
	uint64_t kstack;
	uint64_t kfs;
	uint64_t ujmp_rsp;
	uint64_t host_stack;
	uint64_t enter_rip;
	uint64_t enter_rsp;
	uint64_t ist1_top;
	uint64_t ist2_top;

	/* Not used by entry.S. */
	uint64_t host_fs;		/* the thread's FS base in host mode (glibc's TLS) */
	int in_guest;			/* the thread runs in Dune mode */
	int tid;
	dune_pte_t *root;		/* what CR3 points at */
	unsigned int pcid;
	volatile uint64_t sig_pending;	/* host signals for Dune-mode handlers (bit signo-1) */
	siginfo_t siginfo[64];
	struct dune_enter enter;	/* the DUNE_ENTER argument */
	struct dune_percpu *next;	/* all regions (fork child cleanup) */
	struct dune_idt_gate idt[256] __attribute__((aligned(4096)));
	uint64_t gdt[DUNE_GDT_ENTRIES] __attribute__((aligned(16)));
	struct dune_tss tss __attribute__((aligned(16)));
};

_Static_assert(__builtin_offsetof(struct dune_percpu, usermode) == PC_USERMODE, "PC_USERMODE");
_Static_assert(__builtin_offsetof(struct dune_percpu, tmp) == PC_TMP, "PC_TMP");
_Static_assert(__builtin_offsetof(struct dune_percpu, kstack) == PC_KSTACK, "PC_KSTACK");
_Static_assert(__builtin_offsetof(struct dune_percpu, kfs) == PC_KFS, "PC_KFS");
_Static_assert(__builtin_offsetof(struct dune_percpu, ujmp_rsp) == PC_UJMP_RSP, "PC_UJMP_RSP");
_Static_assert(__builtin_offsetof(struct dune_percpu, host_stack) == PC_HOST_STACK, "PC_HOST_STACK");
_Static_assert(__builtin_offsetof(struct dune_percpu, enter_rip) == PC_ENTER_RIP, "PC_ENTER_RIP");
_Static_assert(__builtin_offsetof(struct dune_percpu, enter_rsp) == PC_ENTER_RSP, "PC_ENTER_RSP");
_Static_assert(__builtin_offsetof(struct dune_percpu, ist1_top) == PC_IST1_TOP, "PC_IST1_TOP");
_Static_assert(__builtin_offsetof(struct dune_percpu, ist2_top) == PC_IST2_TOP, "PC_IST2_TOP");
_Static_assert(sizeof(struct dune_percpu) <= DUNE_PERCPU_SIZE, "percpu fits");
_Static_assert(__builtin_offsetof(struct dune_tf, rip) == TF_RIP, "TF_RIP");
_Static_assert(__builtin_offsetof(struct dune_tf, fs_base) == TF_FS, "TF_FS");
_Static_assert(__builtin_offsetof(struct dune_tf, rax) == TF_RAX, "TF_RAX");
_Static_assert(__builtin_offsetof(struct dune_tf, addr) == TF_ADDR, "TF_ADDR");
_Static_assert(__builtin_offsetof(struct dune_tf, vector) == TF_VECTOR, "TF_VECTOR");
_Static_assert(sizeof(struct dune_tf) == TF_SIZE, "TF_SIZE");

/* entry.S */
DUNE_HIDDEN int __dune_enter(struct dune_percpu *pc);
DUNE_HIDDEN void __dune_syscall(void);
DUNE_HIDDEN extern const char __dune_vectors[];	/* 256 stubs, DUNE_VECTOR_STUB bytes apart */
DUNE_HIDDEN extern const char __dune_entry_start[], __dune_entry_end[];
DUNE_HIDDEN void __dune_unmap_and_exit(void *addr, size_t len, int status) __attribute__((noreturn));
DUNE_HIDDEN void __dune_fatal_stack(void);
#define DUNE_VECTOR_STUB	16

/* boot.c */
DUNE_HIDDEN struct dune_percpu *dune_percpu(void);	/* the calling thread's, or NULL */
DUNE_HIDDEN long dune_host_loop(struct dune_percpu *pc);
DUNE_HIDDEN int dune_guest_boot(struct dune_percpu *pc);
DUNE_HIDDEN int dune_demand_map(uintptr_t addr);

/* trap.c */
DUNE_HIDDEN void dune_trap_dispatch(struct dune_tf *tf);
DUNE_HIDDEN void dune_trap_fatal(struct dune_tf *tf);
DUNE_HIDDEN int dune_vector_signal(int vector);
DUNE_HIDDEN extern dune_signal_cb dune_signal_cbs[65];

#endif /* __ASSEMBLER__ */
#endif /* LIBDUNE_PERCPU_H */
