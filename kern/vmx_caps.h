/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the VMX capability MSRs: pure functions of the MSR values,
 * used by dune.ko at load time and unit-tested on the host.
 * Bit positions: Intel SDM Vol. 3D, Appendix A (A.1 basic, A.3.2 primary and
 * A.3.3 secondary processor-based controls, A.10 EPT/VPID capabilities).
 */
#ifndef DUNE_VMX_CAPS_H
#define DUNE_VMX_CAPS_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
typedef uint64_t u64;
typedef uint32_t u32;
#endif

#define DUNE_MSR_IA32_VMX_BASIC			0x480
#define DUNE_MSR_IA32_VMX_PROCBASED_CTLS	0x482
#define DUNE_MSR_IA32_VMX_PROCBASED_CTLS2	0x48b
#define DUNE_MSR_IA32_VMX_EPT_VPID_CAP		0x48c

/* IA32_VMX_BASIC (A.1) */
#define VMX_BASIC_REVISION_MASK		0x7fffffffULL
#define VMX_BASIC_REGION_SIZE(b)	(((b) >> 32) & 0x1fff)	/* bits 44:32 */
#define VMX_BASIC_32BIT_PHYS		(1ULL << 48)	/* addresses limited to 32 bits */
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)	/* bits 53:50 */
#define VMX_BASIC_MEMTYPE_WB		6
#define DUNE_VMX_BASIC_TRUE_CTLS	(1ULL << 55)

/* Primary processor-based controls: allowed-1 settings are the high 32 bits. */
#define CPU_BASED_ACTIVATE_SECONDARY	(1U << 31)
/* Secondary processor-based controls (A.3.3). */
#define SECONDARY_ENABLE_EPT		(1U << 1)
#define SECONDARY_ENABLE_VPID		(1U << 5)
#define SECONDARY_ENABLE_INVPCID	(1U << 12)

/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define EPT_CAP_PWL4			(1ULL << 6)
#define EPT_CAP_MEMTYPE_WB		(1ULL << 14)
#define EPT_CAP_2M			(1ULL << 16)
#define EPT_CAP_1G			(1ULL << 17)
#define EPT_CAP_INVEPT			(1ULL << 20)
#define EPT_CAP_AD			(1ULL << 21)
#define EPT_CAP_INVEPT_SINGLE		(1ULL << 25)
#define EPT_CAP_INVEPT_ALL		(1ULL << 26)
#define VPID_CAP_INVVPID		(1ULL << 32)
#define VPID_CAP_INVVPID_ADDR		(1ULL << 40)
#define VPID_CAP_INVVPID_SINGLE		(1ULL << 41)
#define VPID_CAP_INVVPID_ALL		(1ULL << 42)

struct dune_vmx_caps {
	u32 revision_id;
	u32 region_size;
	bool ept_2m, ept_1g, ept_ad;
	bool invept_single, invvpid_single, invvpid_addr;
	bool invpcid;
	const char *missing;	/* NULL when usable, else what is missing */
};

/*
 * Decode the capability MSRs.  @procbased is IA32_VMX_PROCBASED_CTLS (the
 * allowed-1 half is what matters), @procbased2 IA32_VMX_PROCBASED_CTLS2 (only
 * meaningful when secondary controls can be activated) and @ept_vpid
 * IA32_VMX_EPT_VPID_CAP (only meaningful when EPT or VPID can be enabled).
 * Returns true when Dune can run on this CPU; otherwise caps->missing names
 * the first thing that is missing, for a clear load-time message.
 */
static inline bool dune_vmx_caps_decode(u64 basic, u64 procbased, u64 procbased2,
					 u64 ept_vpid, struct dune_vmx_caps *caps)
{
	u32 allowed1 = (u32)(procbased >> 32);
	u32 allowed1_2 = (u32)(procbased2 >> 32);

	caps->revision_id = (u32)(basic & VMX_BASIC_REVISION_MASK);
	caps->region_size = (u32)VMX_BASIC_REGION_SIZE(basic);
	caps->missing = NULL;
	caps->ept_2m = caps->ept_1g = caps->ept_ad = false;
	caps->invept_single = caps->invvpid_single = caps->invvpid_addr = false;
	caps->invpcid = false;

	if (caps->region_size == 0 || caps->region_size > 4096)
		caps->missing = "a VMXON/VMCS region of at most 4 KiB";
	else if (basic & VMX_BASIC_32BIT_PHYS)
		caps->missing = "64-bit VMX physical addresses";
	else if (VMX_BASIC_MEMTYPE(basic) != VMX_BASIC_MEMTYPE_WB)
		caps->missing = "write-back VMCS memory type";
	else if (!(allowed1 & CPU_BASED_ACTIVATE_SECONDARY))
		caps->missing = "secondary processor-based controls (so no EPT)";
	else if (!(allowed1_2 & SECONDARY_ENABLE_EPT))
		caps->missing = "EPT";
	else if (!(allowed1_2 & SECONDARY_ENABLE_VPID))
		caps->missing = "VPID";
	else if (!(ept_vpid & EPT_CAP_PWL4))
		caps->missing = "4-level EPT page walks";
	else if (!(ept_vpid & EPT_CAP_MEMTYPE_WB))
		caps->missing = "write-back EPT memory type";
	else if (!(ept_vpid & EPT_CAP_INVEPT) ||
		 !(ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		caps->missing = "INVEPT";
	else if (!(ept_vpid & VPID_CAP_INVVPID) ||
		 !(ept_vpid & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL)))
		caps->missing = "INVVPID";
	if (caps->missing)
		return false;

	caps->ept_2m = !!(ept_vpid & EPT_CAP_2M);
	caps->ept_1g = !!(ept_vpid & EPT_CAP_1G);
	caps->ept_ad = !!(ept_vpid & EPT_CAP_AD);
	caps->invept_single = !!(ept_vpid & EPT_CAP_INVEPT_SINGLE);
	caps->invvpid_single = !!(ept_vpid & VPID_CAP_INVVPID_SINGLE);
	caps->invvpid_addr = !!(ept_vpid & VPID_CAP_INVVPID_ADDR);
	caps->invpcid = !!(allowed1_2 & SECONDARY_ENABLE_INVPCID);
	return true;
}

#endif
