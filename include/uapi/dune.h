/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause */
/*
 * dune.h - the whole ioctl ABI between dune.ko and its users (libdune, tests).
 *
 * This is the one header shared by the kernel module and user space.  Rules,
 * as in <linux/kvm.h>:
 *   - only fixed-width __u64/__u32 fields, naturally aligned, no pointers
 *     (user addresses travel as __u64), no bitfields, no "packed";
 *   - every struct that crosses the boundary starts with its own size, which
 *     both sides check against sizeof(), and the ioctl number encodes the size
 *     too (_IOR/_IOWR), so a mismatched library and module fail with -EINVAL
 *     or -ENOTTY instead of misreading each other;
 *   - reserved fields and unknown flags must be zero (-EINVAL otherwise);
 *   - new features are found with DUNE_CHECK_EXTENSION, not by versioned
 *     structs.  DUNE_API_VERSION changes only on an incompatible change.
 */
#ifndef _UAPI_DUNE_H
#define _UAPI_DUNE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DUNE_DEVICE_PATH	"/dev/dune"
#define DUNE_API_VERSION	1

/* ioctl "type" byte; 0xE9 is unused in Documentation/userspace-api/ioctl. */
#define DUNE_IOCTL_TYPE		0xE9

/*
 * DUNE_GET_API_VERSION: no argument.  Returns DUNE_API_VERSION (>= 0).
 */
#define DUNE_GET_API_VERSION	_IO(DUNE_IOCTL_TYPE, 0x00)

/*
 * DUNE_CHECK_EXTENSION: the argument is a DUNE_CAP_* number (by value).
 * Returns 1 if the capability is available, 0 if not (unknown numbers: 0).
 */
#define DUNE_CHECK_EXTENSION	_IO(DUNE_IOCTL_TYPE, 0x01)

#define DUNE_CAP_LAYOUT		1	/* DUNE_GET_LAYOUT */
#define DUNE_CAP_EPT_2M		2	/* EPT can map 2 MiB pages */
#define DUNE_CAP_EPT_1G		3	/* EPT can map 1 GiB pages */
#define DUNE_CAP_EPT_AD		4	/* EPT accessed/dirty bits */
#define DUNE_CAP_PCID		5	/* the guest may use CR4.PCIDE */

/*
 * Guest-physical layout.
 *
 * A Dune process's guest-physical address space is narrower than its
 * virtual address space: it has as many bits as the CPU's physical
 * addresses (CPUID 0x80000008 EAX[7:0], capped at 48 for 4-level EPT).  So
 * the module maps a few windows of the process's virtual address space to
 * guest-physical ranges, and libdune's page tables map each virtual address
 * inside a window to  gpa = va - hva_base + gpa_base.  Addresses outside all
 * windows cannot be used in Dune mode.
 *
 * Windows are 1 GiB aligned on both sides (so 2 MiB and 1 GiB mappings are
 * possible), never overlap in either space, and are listed in increasing
 * gpa order.  Their sizes are fractions of the guest-physical space, and
 * their virtual bases follow the process's own layout (its executable, its
 * mmap base and its stack), as seen when the layout was first computed.
 */
#define DUNE_WINDOW_LOW		0	/* identity: low fixed mappings, non-PIE code */
#define DUNE_WINDOW_EXEC	1	/* PIE executable and its brk heap */
#define DUNE_WINDOW_MMAP	2	/* the mmap area (libraries, thread stacks) */
#define DUNE_WINDOW_STACK	3	/* the main stack, top of the address space */
#define DUNE_MAX_WINDOWS	4

struct dune_window {
	__u64 gpa_base;
	__u64 hva_base;
	__u64 size;		/* 0: this window is absent */
	__u32 kind;		/* DUNE_WINDOW_* */
	__u32 reserved;
};

/*
 * DUNE_GET_LAYOUT: the caller sets .size = sizeof(struct dune_layout) and
 * leaves every other field zero; the module fills in the rest.
 * Errors: -EFAULT (bad pointer), -EINVAL (wrong size, non-zero fields).
 */
struct dune_layout {
	__u32 size;
	__u32 flags;			/* none defined: must be 0 */
	__u32 phys_addr_bits;		/* the CPU's physical-address width */
	__u32 guest_phys_bits;		/* guest-physical width used (<= 48) */
	__u64 guest_phys_limit;		/* 1 << guest_phys_bits */
	__u32 nr_windows;		/* DUNE_MAX_WINDOWS */
	__u32 reserved;
	struct dune_window windows[DUNE_MAX_WINDOWS];	/* indexed by kind */
};

#define DUNE_GET_LAYOUT		_IOWR(DUNE_IOCTL_TYPE, 0x02, struct dune_layout)

/*
 * Dune mode: DUNE_ENTER.
 *
 * The calling thread runs, on its own virtual CPU (VMCS and VPID), in VMX
 * non-root 64-bit ring 0 with the registers below and CR3 = .cr3 (a
 * guest-physical address; see the layout above).  Its FPU/SSE/AVX state,
 * FS base and GS base are the thread's own, shared with host mode.  Its
 * initial descriptor tables are empty (GDTR and IDTR limit 0), so any
 * exception before the guest loads its own IDT is a triple fault.
 *
 * A VMCALL from ring 0 runs a system call for the thread on the host: number in RAX,
 * arguments in RDI RSI RDX R10 R8 R9, result in RAX, RCX and R11 preserved
 * (unlike SYSCALL).  Unknown numbers get -ENOSYS.  A VMCALL from ring 1-3
 * gets #UD in the guest, as on a CPU without VMX.  exit and exit_group are
 * not run: they end the entry with DUNE_EXIT_EXIT so that the caller can
 * finish (and the thread leaves Dune mode).  In a child of fork, vfork or
 * clone, the call returns 0 outside Dune mode: the child continues at the
 * instruction after the VMCALL, with the guest's registers, as an ordinary
 * process (it may open /dev/dune again and enter).  A successful execve
 * replaces the process, and ENTER does not return to the old image.
 *
 * DUNE_ENTER returns 0 when the entry ended, with .exit_reason and the
 * complete state at that point in .regs and .cr3: calling DUNE_ENTER again
 * with the same struct resumes exactly there, on the same virtual CPU.
 * It fails with -EINVAL (bad size, flags, reserved fields, non-canonical
 * RIP/RSP, reserved RFLAGS bits, CR3 outside guest-physical space), -EFAULT,
 * -EBUSY (called from Dune mode: a second enter from the same thread),
 * -EBADFD (the descriptor was opened by another process: open /dev/dune
 * again after fork), -ENOMEM, or the error of turning VMX on (-EBUSY when
 * another hypervisor holds it).
 */
struct dune_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* Why an entry ended (.exit_reason). */
#define DUNE_EXIT_EXIT		1  /* exit/exit_group: .status = the argument as passed (the
				    * kernel keeps its low 8 bits), .exit_qual = 1 for exit_group;
				    * the thread has left Dune mode (its vCPU is freed) */
#define DUNE_EXIT_SIGNAL	2  /* a signal is pending, or the kernel has work to do before
				    * the thread returns to user space (task work, rseq):
				    * it is done when ENTER returns; enter again to resume */
#define DUNE_EXIT_HLT		3  /* the guest ran HLT (RIP is past it) */
#define DUNE_EXIT_TRIPLE_FAULT	4  /* the guest's exception handling failed */
#define DUNE_EXIT_EPT_VIOLATION	5  /* access to guest-physical memory that maps nothing of
				    * the process: .guest_phys, .guest_linear, .exit_qual */
#define DUNE_EXIT_ENTRY_FAILED	6  /* VM entry failed: .status = VM-instruction error or
				    * exit reason, .hw_exit_reason, .exit_qual */
#define DUNE_EXIT_UNHANDLED	7  /* an exit only user space can handle (I/O, MSR, CR
				    * write, ...): .hw_exit_reason, .exit_qual (raw VMX
				    * qualification); RIP is at the instruction */

/*
 * .flags: DUNE_ENTER_F_INTR (in/out) asks for an external interrupt with
 * vector .intr_vector (32-255) to be delivered to the guest through its
 * IDT, at the first instruction boundary where it can take one (RFLAGS.IF
 * set, no STI/MOV-SS shadow); until then the guest runs as usual.  When
 * ENTER returns, the flag is still set if the interrupt was not delivered
 * (pass the struct again to keep it pending; without the flag the request
 * is dropped), and clear if it was.  libdune delivers host signals to
 * Dune-mode handlers this way.
 */
#define DUNE_ENTER_F_INTR	(1U << 0)
/*
 * DUNE_ENTER_F_HOST_FS (in): the thread's FS base in host mode differs
 * from the guest's (a guest running ring-3 code with its own TLS).  When
 * ENTER returns, the thread's FS base is .host_fs_base, so that host-mode
 * code (signal handlers, the caller) finds its own TLS; the guest's FS base
 * is kept and restored by the next ENTER with this flag.  Without the flag
 * (and .host_fs_base 0) the FS base is simply the thread's, in both modes.
 */
#define DUNE_ENTER_F_HOST_FS	(1U << 1)

struct dune_enter {
	__u32 size;		/* sizeof(struct dune_enter) */
	__u32 flags;		/* in/out: DUNE_ENTER_F_*, others must be 0 */
	__u64 cr3;		/* in/out: guest CR3 */
	struct dune_regs regs;	/* in/out */
	__u32 exit_reason;	/* out: DUNE_EXIT_* */
	__u32 hw_exit_reason;	/* out: VMX exit reason (SDM Vol. 3D App. C) */
	__u64 exit_qual;	/* out: exit qualification */
	__u64 guest_phys;	/* out: guest-physical address (EPT violation) */
	__u64 guest_linear;	/* out: guest-linear address, when the CPU gave one */
	__u64 status;		/* out: see DUNE_EXIT_* */
	__u32 intr_vector;	/* in: with DUNE_ENTER_F_INTR, the vector (32-255) */
	__u32 reserved32;	/* must be 0 */
	__u64 host_fs_base;	/* in: with DUNE_ENTER_F_HOST_FS, the host-mode FS base */
	__u64 reserved[1];	/* must be 0 */
};

#define DUNE_ENTER		_IOWR(DUNE_IOCTL_TYPE, 0x03, struct dune_enter)

/*
 * DUNE_GET_STATS: counters for the process that opened this descriptor,
 * over all its threads, past and present (vcpus: those alive; a thread's
 * vCPU is freed when it leaves Dune mode or exits).  The caller sets .size
 * and leaves the rest zero.  exits[] is indexed by VMX basic exit reason.
 */
#define DUNE_STATS_EXIT_REASONS	80
struct dune_stats {
	__u32 size;
	__u32 flags;			/* must be 0 */
	__u64 entries;			/* VM entries (VMLAUNCH/VMRESUME) */
	__u64 syscalls;			/* system calls run through VMCALL */
	__u64 ept_faults;		/* EPT violations filled from the host's pages */
	__u64 ept_invalidations;	/* host changes that removed EPT entries */
	__u64 vcpus;			/* virtual CPUs now alive */
	__u64 ept_pages;		/* pages now used for EPT tables */
	__u64 reserved[2];
	__u64 exits[DUNE_STATS_EXIT_REASONS];
};

#define DUNE_GET_STATS		_IOWR(DUNE_IOCTL_TYPE, 0x04, struct dune_stats)

/* The ABI's sizes, checked wherever this header is compiled. */
#ifndef __cplusplus
_Static_assert(sizeof(struct dune_window) == 32, "struct dune_window is 32 bytes");
_Static_assert(sizeof(struct dune_layout) == 160, "struct dune_layout is 160 bytes");
_Static_assert(sizeof(struct dune_regs) == 144, "struct dune_regs is 144 bytes");
_Static_assert(sizeof(struct dune_enter) == 224, "struct dune_enter is 224 bytes");
_Static_assert(sizeof(struct dune_stats) == 712, "struct dune_stats is 712 bytes");
#endif

#endif /* _UAPI_DUNE_H */
