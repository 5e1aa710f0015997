/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entry.S - the ways into and out of libdune's ring 0: entering Dune mode,
 * the SYSCALL entry, the 256 IDT vectors, and ring 3.
 *
 * Stacks (see percpu.h): every vector lands on the trampoline stack (IST1),
 * whose code moves the hardware frame to below the 128-byte red zone of the
 * interrupted ring-0 stack, or to the ring-3 trap stack (PC_KSTACK), and
 * builds a struct dune_tf there.  #DF runs on its own stack (IST2) and is
 * fatal.  A fault inside the entry code itself (a bad stack, a GS base
 * ring-3 code broke) is fatal too, and reported without glibc (FS may be
 * ring 3's there).
 */
#include "percpu.h"

#define GD_KT	0x08
#define GD_UD	0x1b
#define GD_UT	0x23

/* The general registers a trap frame holds, except RAX and RCX (which the
 * entry paths need first and save themselves); %rsp = the frame. */
	.macro SAVE_REGS
	movq	%rdi, TF_RDI(%rsp)
	movq	%rsi, TF_RSI(%rsp)
	movq	%rdx, TF_RDX(%rsp)
	movq	%r8, TF_R8(%rsp)
	movq	%r9, TF_R9(%rsp)
	movq	%r10, TF_R10(%rsp)
	movq	%r11, TF_R11(%rsp)
	movq	%rbx, TF_RBX(%rsp)
	movq	%rbp, TF_RBP(%rsp)
	movq	%r12, TF_R12(%rsp)
	movq	%r13, TF_R13(%rsp)
	movq	%r14, TF_R14(%rsp)
	movq	%r15, TF_R15(%rsp)
	.endm

	.text

/* The System V ABI's callee-saved registers (RBX, RBP, R12-R15), saved on
 * the stack by the two entry points that return to their caller later
 * (__dune_enter, __dune_jump_to_user) and restored in reverse order. */
.macro PUSH_CALLEE_SAVED
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm
.macro POP_CALLEE_SAVED
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
.endm

/* ---- Entering Dune mode ------------------------------------------------
 *
 * int __dune_enter(struct dune_percpu *pc)
 *
 * Saves the callee-saved registers on the caller's stack, points the
 * guest's first RIP/RSP at label 1 below and this stack, and runs the
 * DUNE_ENTER loop (dune_host_loop) on the thread's host stack.  The guest
 * starts at 1 in ring 0, with %rdi = pc, finishes booting (dune_guest_boot)
 * and returns its result from here.  If the very first entry fails, the
 * loop returns the error, and this returns it in host mode.
 */
	.globl __dune_enter
	.hidden __dune_enter
	.type __dune_enter, @function
__dune_enter:
	PUSH_CALLEE_SAVED
	subq	$8, %rsp			/* 16-byte alignment at the call below */
	movq	%rdi, %r12
	leaq	1f(%rip), %rax
	movq	%rax, PC_ENTER_RIP(%rdi)
	movq	%rsp, PC_ENTER_RSP(%rdi)
	movq	PC_HOST_STACK(%rdi), %rsp
	call	dune_host_loop			/* returns only if the first entry failed */
	movq	PC_ENTER_RSP(%r12), %rsp
	jmp	2f
1:	/* Dune mode, ring 0, %rdi = pc, interrupts off. */
	call	dune_guest_boot
2:	addq	$8, %rsp
	POP_CALLEE_SAVED
	ret
	.size __dune_enter, .-__dune_enter

/*
 * void __dune_unmap_and_exit(void *addr, size_t len, int status)
 * Host mode: free the thread's region (its own stack) and exit the thread,
 * with nothing on the stack after the munmap.
 */
	.globl __dune_unmap_and_exit
	.hidden __dune_unmap_and_exit
	.type __dune_unmap_and_exit, @function
__dune_unmap_and_exit:
	movl	$11, %eax			/* munmap(addr, len) */
	syscall
	movl	%edx, %edi
	movl	$60, %eax			/* exit(status) */
	syscall
	ud2
	.size __dune_unmap_and_exit, .-__dune_unmap_and_exit

/* ---- SYSCALL, ring 0 -----------------------------------------------------
 * glibc's system calls in ring 0: forward to the host with VMCALL, which
 * keeps RCX (return RIP) and R11 (RFLAGS).  SFMASK cleared IF, TF, DF, AC
 * and NT; interrupts are enabled again for the call when the caller had
 * them (so that a signal can interrupt a blocking call), after one more
 * instruction (the STI shadow must not cover the VMCALL, which the module
 * may restart).  Nothing is written below RSP: the red zone is the
 * caller's.  This part lies outside the fatal range below: it may be
 * interrupted.
 */
	.type __dune_syscall_ring0, @function
__dune_syscall_ring0:
	btl	$10, %r11d			/* DF */
	jnc	1f
	std
1:	btl	$9, %r11d			/* IF */
	jnc	2f
	sti
	nop
2:	vmcall
	jmp	*%rcx
	.size __dune_syscall_ring0, .-__dune_syscall_ring0

	.globl __dune_entry_start
	.hidden __dune_entry_start
__dune_entry_start:

/* ---- SYSCALL entry (IA32_LSTAR) ------------------------------------------
 * From ring 0 (glibc) or ring 3 (a program run with dune_jump_to_user): the
 * CPU tells them apart nowhere, so PC_USERMODE does.  Ring 3 cannot forge
 * it: it cannot write GS base (CR4.FSGSBASE is off, MSRs are privileged),
 * and a GS selector it loads gives base 0, where libdune never maps page 0.
 */
	.globl __dune_syscall
	.hidden __dune_syscall
	.type __dune_syscall, @function
__dune_syscall:
	testq	$1, %gs:PC_USERMODE
	jz	__dune_syscall_ring0
	/* Ring 3: SYSCALL did not switch stacks.  Build a trap frame. */
	movq	%rsp, %gs:PC_TMP
	movq	%gs:PC_KSTACK, %rsp
	pushq	$GD_UD				/* ss */
	pushq	%gs:PC_TMP			/* rsp */
	pushq	%r11				/* rflags */
	pushq	$GD_UT				/* cs */
	pushq	%rcx				/* rip */
	pushq	$0				/* err */
	pushq	$0x100				/* DUNE_VEC_SYSCALL */
	subq	$TF_VECTOR, %rsp
	movq	%rax, TF_RAX(%rsp)
	movq	%rcx, TF_RCX(%rsp)
	jmp	trap_save
	.size __dune_syscall, .-__dune_syscall

/* ---- The IDT vectors -------------------------------------------------- */

/* One 16-byte stub per vector; the CPU pushes an error code for 8, 10-14,
 * 17, 21, 29 and 30, and the others push a 0 in its place. */
	.altmacro
	.macro VEC v
	.balign 16
	.if !((\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
	pushq	$0
	.endif
	pushq	$\v
	.if \v == 8
	jmp	trap_df
	.else
	jmp	trap_tramp
	.endif
	.endm

	.balign 16
	.globl __dune_vectors
	.hidden __dune_vectors
__dune_vectors:
	.set v, 0
	.rept 256
	VEC %v
	.set v, v + 1
	.endr

/*
 * On IST1: [rsp] vector, err, rip, cs, rflags, rsp, ss.  Move the frame
 * to its stack and make a dune_tf of it.
 */
trap_tramp:
	pushq	%rax
	pushq	%rcx
	/* Now: 16 vector, 24 err, 32 rip, 40 cs, 48 rflags, 56 rsp, 64 ss. */
	testb	$3, 40(%rsp)
	jnz	1f
	/* From ring 0: a fault in the entry code means its stack or GS is bad. */
	leaq	__dune_entry_start(%rip), %rax
	cmpq	%rax, 32(%rsp)
	jb	2f
	leaq	__dune_entry_end(%rip), %rax
	cmpq	%rax, 32(%rsp)
	jb	tramp_fatal
2:	movq	56(%rsp), %rax
	subq	$128, %rax			/* skip the interrupted code's red zone */
	andq	$-16, %rax
	jmp	3f
1:	movq	%gs:PC_KSTACK, %rax		/* from ring 3: its trap stack */
3:	subq	$56, %rax
	.irp off, 0, 8, 16, 24, 32, 40, 48	/* vector, err, rip, cs, rflags, rsp, ss */
	movq	16+\off(%rsp), %rcx
	movq	%rcx, \off(%rax)
	.endr
	movq	(%rsp), %rcx
	movq	%rcx, TF_RCX-TF_VECTOR(%rax)
	movq	8(%rsp), %rcx
	movq	%rcx, TF_RAX-TF_VECTOR(%rax)
	leaq	-TF_VECTOR(%rax), %rsp
trap_save:
	SAVE_REGS
	cld
	movl	$MSR_FS_BASE, %ecx
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, TF_FS(%rsp)
	movq	$0, TF_ADDR(%rsp)
	cmpq	$14, TF_VECTOR(%rsp)		/* #PF: CR2 before anything can fault again */
	jne	6f
	movq	%cr2, %rax
	movq	%rax, TF_ADDR(%rsp)
6:	testb	$3, TF_CS(%rsp)
	jz	4f
	/* From ring 3: glibc's FS base back for the handler. */
	movq	$0, %gs:PC_USERMODE
	movq	%gs:PC_KFS, %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
4:	movq	%rsp, %rdi
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	dune_trap_dispatch
	movq	%rbx, %rsp
	.globl __dune_trap_return
	.hidden __dune_trap_return
__dune_trap_return:
	/* %rsp = the dune_tf to resume. */
	cli
	testb	$3, TF_CS(%rsp)
	jz	5f
	movl	$MSR_FS_BASE, %ecx
	movq	TF_FS(%rsp), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	movq	$1, %gs:PC_USERMODE
5:	movq	TF_RDI(%rsp), %rdi
	movq	TF_RSI(%rsp), %rsi
	movq	TF_RDX(%rsp), %rdx
	movq	TF_RCX(%rsp), %rcx
	movq	TF_R8(%rsp), %r8
	movq	TF_R9(%rsp), %r9
	movq	TF_R10(%rsp), %r10
	movq	TF_R11(%rsp), %r11
	movq	TF_RBX(%rsp), %rbx
	movq	TF_RBP(%rsp), %rbp
	movq	TF_R12(%rsp), %r12
	movq	TF_R13(%rsp), %r13
	movq	TF_R14(%rsp), %r14
	movq	TF_R15(%rsp), %r15
	movq	TF_RAX(%rsp), %rax
	addq	$TF_RIP, %rsp
	iretq

/* A fault inside the entry code: report it from the trampoline stack. */
tramp_fatal:
	popq	%rcx
	popq	%rax
	/* fall through: [rsp] = vector, err, rip, ... of the nested fault */
trap_df:
	subq	$TF_VECTOR, %rsp
	SAVE_REGS
	movq	%rcx, TF_RCX(%rsp)
	movq	%rax, TF_RAX(%rsp)
	movq	$0, TF_FS(%rsp)
	movq	%cr2, %rax
	movq	%rax, TF_ADDR(%rsp)
	cld
	movq	%rsp, %rdi
	andq	$-16, %rsp
	call	dune_trap_fatal
	ud2

/* ---- Ring 3 ---------------------------------------------------------------
 *
 * int __dune_jump_to_user(struct dune_tf *tf)   (tf: sanitized by the caller)
 * Saves the caller's context for dune_ret_from_user(), makes the stack
 * below it the ring-3 trap stack, and returns to ring 3 through the
 * common trap exit.
 */
	.globl __dune_jump_to_user
	.hidden __dune_jump_to_user
	.type __dune_jump_to_user, @function
__dune_jump_to_user:
	PUSH_CALLEE_SAVED
	pushfq
	cli
	movq	%rsp, %gs:PC_UJMP_RSP
	movq	%rdi, %rsi
	movl	$MSR_FS_BASE, %ecx
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, %gs:PC_KFS
	movq	%rsp, %rax
	subq	$64, %rax
	andq	$-16, %rax
	movq	%rax, %gs:PC_KSTACK
	subq	$TF_SIZE, %rax
	andq	$-16, %rax
	movq	%rax, %rsp
	movq	%rax, %rdi
	movl	$TF_SIZE, %ecx
	rep movsb
	jmp	__dune_trap_return
	.size __dune_jump_to_user, .-__dune_jump_to_user

	.globl __dune_entry_end
	.hidden __dune_entry_end
__dune_entry_end:

/*
 * void dune_ret_from_user(int ret): from a handler of ring-3 code (ring 0,
 * FS already glibc's), back to the dune_jump_to_user() caller.
 */
	.globl dune_ret_from_user
	.type dune_ret_from_user, @function
dune_ret_from_user:
	movslq	%edi, %rax
	movq	%gs:PC_UJMP_RSP, %rsp
	movq	$0, %gs:PC_UJMP_RSP
	movq	$0, %gs:PC_USERMODE
	popfq
	POP_CALLEE_SAVED
	ret
	.size dune_ret_from_user, .-dune_ret_from_user

	.section .note.GNU-stack, "", @progbits
