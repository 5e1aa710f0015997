/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure encoders and decisions behind a Dune virtual CPU, unit-tested on the
 * host (kern/tests/vmx_state_test.c): VMX control adjustment, the guest's
 * initial segment and control registers, input validation, and the
 * native-Linux rule for restarting a system call interrupted by a signal.
 * References: Intel SDM Vol. 3C chapter 26 (guest-state checks), Vol. 3D
 * appendix A (capability MSRs); arch/x86/kernel/signal.c for the restart rule.
 */
#ifndef DUNE_VMX_STATE_H
#define DUNE_VMX_STATE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
#endif

/*
 * A VMX control word from a capability MSR (low half: bits that must be 1,
 * high half: bits that may be 1).  @want must all be allowed, @optional are
 * taken where allowed.  Returns false (and *out = 0) if a wanted bit is not
 * allowed.
 */
static inline bool vmx_ctl_adjust(u64 msr, u32 want, u32 optional, u32 *out)
{
	u32 must = (u32)msr, may = (u32)(msr >> 32);

	if (want & ~may) {
		*out = 0;
		return false;
	}
	*out = (want | (optional & may) | must) & may;
	return true;
}

/* Segment access rights as the VMCS holds them (SDM 24.4.1, Table 24-2). */
#define DUNE_AR_TYPE_MASK	0xfU
#define DUNE_AR_S		(1U << 4)
#define DUNE_AR_DPL(d)		((u32)(d) << 5)
#define DUNE_AR_P		(1U << 7)
#define DUNE_AR_L		(1U << 13)
#define DUNE_AR_DB		(1U << 14)
#define DUNE_AR_G		(1U << 15)
#define DUNE_AR_UNUSABLE	(1U << 16)

/* The guest's initial segments: flat 64-bit ring 0. */
#define DUNE_GUEST_CS_SEL	0x08
#define DUNE_GUEST_DS_SEL	0x10
#define DUNE_GUEST_CS_AR	(0xbU | DUNE_AR_S | DUNE_AR_P | DUNE_AR_L | DUNE_AR_G)
#define DUNE_GUEST_DS_AR	(0x3U | DUNE_AR_S | DUNE_AR_P | DUNE_AR_DB | DUNE_AR_G)
#define DUNE_GUEST_TR_AR	(0xbU | DUNE_AR_P)	/* busy 64-bit TSS */
#define DUNE_GUEST_LDTR_AR	DUNE_AR_UNUSABLE

/* RFLAGS (SDM 3.4.3) */
#define DUNE_RFLAGS_FIXED	0x2ULL		/* bit 1 is always 1 */
#define DUNE_RFLAGS_VM		(1ULL << 17)
#define DUNE_RFLAGS_IF		(1ULL << 9)
#define DUNE_RFLAGS_TF		(1ULL << 8)
/* Bits a program may set: CF PF AF ZF SF TF IF DF OF IOPL NT RF AC VIF VIP ID. */
#define DUNE_RFLAGS_DEFINED	0x3f7fd5ULL
#define DUNE_RFLAGS_ARITH	0x8d5ULL	/* CF PF AF ZF SF OF */
#define DUNE_RFLAGS_DF		(1ULL << 10)

/* RFLAGS a guest may start with: bit 1 set, no reserved bits, not VM86. */
static inline bool dune_rflags_valid(u64 rflags)
{
	return (rflags & DUNE_RFLAGS_FIXED) && !(rflags & ~(DUNE_RFLAGS_DEFINED | DUNE_RFLAGS_FIXED)) &&
	       !(rflags & DUNE_RFLAGS_VM);
}

/* The host user-mode RFLAGS for a child of a guest's fork: its arithmetic
 * flags and DF, interrupts on, nothing privileged. */
static inline u64 dune_user_rflags(u64 guest)
{
	return (guest & (DUNE_RFLAGS_ARITH | DUNE_RFLAGS_DF)) | DUNE_RFLAGS_IF | DUNE_RFLAGS_FIXED;
}

/* Canonical for @va_bits-bit virtual addresses (48 or 57). */
static inline bool dune_canonical(u64 addr, unsigned int va_bits)
{
	int64_t s = (int64_t)(addr << (64 - va_bits)) >> (64 - va_bits);

	return (u64)s == addr;
}

/*
 * CR3 for a 4-level guest: the PML4's guest-physical address must lie
 * inside the guest-physical space; with CR4.PCIDE clear (how a guest
 * starts) bits 11:0 are PWT/PCD and ignored bits, kept as given.
 */
static inline bool dune_cr3_valid(u64 cr3, unsigned int guest_phys_bits)
{
	return !(cr3 >> guest_phys_bits);
}

/* Control-register bits (SDM 2.5). */
#define DUNE_CR0_PE	(1ULL << 0)
#define DUNE_CR0_MP	(1ULL << 1)
#define DUNE_CR0_EM	(1ULL << 2)
#define DUNE_CR0_TS	(1ULL << 3)
#define DUNE_CR0_ET	(1ULL << 4)
#define DUNE_CR0_NE	(1ULL << 5)
#define DUNE_CR0_WP	(1ULL << 16)
#define DUNE_CR0_AM	(1ULL << 18)
#define DUNE_CR0_NW	(1ULL << 29)
#define DUNE_CR0_CD	(1ULL << 30)
#define DUNE_CR0_PG	(1ULL << 31)

#define DUNE_CR4_VME		(1ULL << 0)
#define DUNE_CR4_PVI		(1ULL << 1)
#define DUNE_CR4_TSD		(1ULL << 2)
#define DUNE_CR4_DE		(1ULL << 3)
#define DUNE_CR4_PSE		(1ULL << 4)
#define DUNE_CR4_PAE		(1ULL << 5)
#define DUNE_CR4_MCE		(1ULL << 6)
#define DUNE_CR4_PGE		(1ULL << 7)
#define DUNE_CR4_PCE		(1ULL << 8)
#define DUNE_CR4_OSFXSR		(1ULL << 9)
#define DUNE_CR4_OSXMMEXCPT	(1ULL << 10)
#define DUNE_CR4_UMIP		(1ULL << 11)
#define DUNE_CR4_LA57		(1ULL << 12)
#define DUNE_CR4_VMXE		(1ULL << 13)
#define DUNE_CR4_FSGSBASE	(1ULL << 16)
#define DUNE_CR4_PCIDE		(1ULL << 17)
#define DUNE_CR4_OSXSAVE	(1ULL << 18)
#define DUNE_CR4_SMEP		(1ULL << 20)
#define DUNE_CR4_SMAP		(1ULL << 21)

/*
 * The guest's CR0 is the host's paging/protection setup; the guest owns
 * the bits that only change its own behaviour (TS, MP, EM, WP, AM) and the
 * rest are the host's (a write that changes them exits to user space).
 */
#define DUNE_GUEST_CR0_INIT	(DUNE_CR0_PE | DUNE_CR0_MP | DUNE_CR0_ET | DUNE_CR0_NE | \
				 DUNE_CR0_WP | DUNE_CR0_AM | DUNE_CR0_PG)
#define DUNE_GUEST_CR0_OWNED	(DUNE_CR0_TS | DUNE_CR0_MP | DUNE_CR0_EM | DUNE_CR0_WP | DUNE_CR0_AM)

/*
 * The guest's CR4: 4-level paging with global pages, SSE, and XSAVE and
 * FSGSBASE when the host has them on (the XSAVE state is the thread's own,
 * with the host's XCR0).  The guest owns what affects only itself: TSD, DE,
 * PGE, PCE, UMIP, and PCIDE/SMEP/SMAP/FSGSBASE when the host CPU has them
 * (@host_cr4 says which are usable).  VMXE must be 1 in VMX operation (a
 * fixed bit) and is hidden from the guest by the read shadow.
 */
static inline u64 dune_guest_cr4(u64 host_cr4)
{
	return DUNE_CR4_PAE | DUNE_CR4_PGE | DUNE_CR4_OSFXSR | DUNE_CR4_OSXMMEXCPT |
	       DUNE_CR4_VMXE | (host_cr4 & (DUNE_CR4_OSXSAVE | DUNE_CR4_FSGSBASE | DUNE_CR4_MCE));
}

static inline u64 dune_guest_cr4_owned(bool pcid, bool smep, bool smap, bool fsgsbase)
{
	return DUNE_CR4_TSD | DUNE_CR4_DE | DUNE_CR4_PGE | DUNE_CR4_PCE |
	       (pcid ? DUNE_CR4_PCIDE : 0) | (smep ? DUNE_CR4_SMEP : 0) |
	       (smap ? DUNE_CR4_SMAP : 0) | (fsgsbase ? DUNE_CR4_FSGSBASE : 0);
}

/*
 * A system call interrupted by a signal returns one of the kernel's
 * internal restart codes.  What the thread sees depends on what the
 * signal's delivery does, exactly as arch/x86/kernel/signal.c decides:
 *   DUNE_RESTART_EINTR  the call returns -EINTR;
 *   DUNE_RESTART_AGAIN  the same call runs again (same number and arguments);
 *   DUNE_RESTART_BLOCK  restart_syscall runs (the call's restart block);
 *   DUNE_RESTART_NONE   not a restart code: the result stands.
 * @has_handler: a handler runs for the signal; @sa_restart: it has SA_RESTART.
 */
#define DUNE_ERESTARTSYS		512
#define DUNE_ERESTARTNOINTR		513
#define DUNE_ERESTARTNOHAND		514
#define DUNE_ERESTART_RESTARTBLOCK	516

enum dune_restart { DUNE_RESTART_NONE, DUNE_RESTART_EINTR, DUNE_RESTART_AGAIN, DUNE_RESTART_BLOCK };

static inline enum dune_restart dune_restart_decide(long ret, bool has_handler, bool sa_restart)
{
	switch (-ret) {
	case DUNE_ERESTART_RESTARTBLOCK:
		return has_handler ? DUNE_RESTART_EINTR : DUNE_RESTART_BLOCK;
	case DUNE_ERESTARTNOHAND:
		return has_handler ? DUNE_RESTART_EINTR : DUNE_RESTART_AGAIN;
	case DUNE_ERESTARTSYS:
		return has_handler && !sa_restart ? DUNE_RESTART_EINTR : DUNE_RESTART_AGAIN;
	case DUNE_ERESTARTNOINTR:
		return DUNE_RESTART_AGAIN;
	default:
		return DUNE_RESTART_NONE;
	}
}

#endif
