/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: load the guest's general registers, VMLAUNCH or
 * VMRESUME, and on the VM exit store them back.
 *
 *   int __dune_vmx_run(struct dune_regs *regs, bool launched)
 *
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VMfail: the VM
 * instruction error is in the VMCS) and 2 if HOST_RSP could not be written.
 * Called with interrupts off and the VMCS loaded; RSP, RIP and RFLAGS of
 * the guest live in the VMCS, the rest in *regs (struct dune_regs, uapi).
 *
 * HOST_RIP is __dune_vmx_exit, which is also where a failed VMLAUNCH or
 * VMRESUME falls through: a VM exit arrives there with RFLAGS = 0x2 and RSP
 * = HOST_RSP (written below to this very stack position), a VMfail with CF
 * or ZF set and the same RSP, so one path serves both and the unwinder and
 * objtool see ordinary straight-line code.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>

#include "compat.h"

#define VMCS_HOST_RSP	0x6c14

/* Offsets in struct dune_regs. */
#define R_AX	0
#define R_BX	8
#define R_CX	16
#define R_DX	24
#define R_SI	32
#define R_DI	40
#define R_BP	48
#define R_8	64
#define R_9	72
#define R_10	80
#define R_11	88
#define R_12	96
#define R_13	104
#define R_14	112
#define R_15	120

	.text
SYM_FUNC_START(__dune_vmx_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* regs, found again at 8(%rsp) after the exit */

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lhost_rsp_failed

	test	%sil, %sil		/* launched?  Flags survive the movs below. */
	mov	R_AX(%rdi), %rax
	mov	R_BX(%rdi), %rbx
	mov	R_CX(%rdi), %rcx
	mov	R_DX(%rdi), %rdx
	mov	R_SI(%rdi), %rsi
	mov	R_BP(%rdi), %rbp
	mov	R_8(%rdi), %r8
	mov	R_9(%rdi), %r9
	mov	R_10(%rdi), %r10
	mov	R_11(%rdi), %r11
	mov	R_12(%rdi), %r12
	mov	R_13(%rdi), %r13
	mov	R_14(%rdi), %r14
	mov	R_15(%rdi), %r15
	mov	R_DI(%rdi), %rdi
	jnz	.Lresume
	vmlaunch
	jmp	__dune_vmx_exit
.Lresume:
	vmresume

SYM_INNER_LABEL(__dune_vmx_exit, SYM_L_GLOBAL)
	/*
	 * An ENDBR where the VM exit lands, as KVM has at vmx_vmexit: HOST_RIP
	 * takes this label's address, and objtool on an IBT kernel requires
	 * one at every address-taken code location.  (Empty without IBT.)
	 */
	ENDBR
	/* Guest registers are live (or, after a VMfail, what was loaded). */
	push	%rdi
	mov	8(%rsp), %rdi
	mov	%rax, R_AX(%rdi)
	mov	%rbx, R_BX(%rdi)
	mov	%rcx, R_CX(%rdi)
	mov	%rdx, R_DX(%rdi)
	mov	%rsi, R_SI(%rdi)
	mov	%rbp, R_BP(%rdi)
	mov	%r8, R_8(%rdi)
	mov	%r9, R_9(%rdi)
	mov	%r10, R_10(%rdi)
	mov	%r11, R_11(%rdi)
	mov	%r12, R_12(%rdi)
	mov	%r13, R_13(%rdi)
	mov	%r14, R_14(%rdi)
	mov	%r15, R_15(%rdi)
	pop	R_DI(%rdi)
	setbe	%bl			/* VMfail: CF or ZF; a VM exit clears both */
	movzbl	%bl, %ebx

	/* Leave no guest values in registers the C code does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	/* The guest may have filled the return stack buffer: overwrite it. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	mov	%ebx, %eax
	jmp	.Lout

.Lhost_rsp_failed:
	mov	$2, %eax
.Lout:
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__dune_vmx_run)

/*
 * void __dune_do_nmi(void)
 *
 * Run the host's NMI handler (DUNE_NMI_ENTRY, compat.h) for an NMI that
 * caused a VM exit, on a synthetic interrupt frame, as the CPU would have
 * delivered it; its IRET also ends the NMI blocking the exit left behind.
 * A direct call: no indirect branch into the kernel for IBT to check.
 */
SYM_FUNC_START(__dune_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	DUNE_NMI_ENTRY
	/* IRET has already restored RSP; say so for objtool. */
	mov	%rbp, %rsp
	pop	%rbp
	RET
SYM_FUNC_END(__dune_do_nmi)
