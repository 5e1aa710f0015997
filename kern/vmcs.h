/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX instructions used on a loaded VMCS: typed VMREAD/VMWRITE accessors,
 * VMPTRLD, VMCLEAR, INVEPT and INVVPID (Intel SDM Vol. 3C, chapter 31).
 *
 * The width of a field is encoded in bits 14:13 of its encoding (SDM 24.11.2):
 * 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width.  The typed accessors
 * check it at compile time, so a 32-bit field cannot be written as 64-bit by
 * mistake.  A VMfail on VMREAD/VMWRITE is a bug in this module (a field the
 * CPU does not know, or no current VMCS): it is reported, rate-limited, and
 * the read returns 0.  A fault (#UD/#GP: VMX is off) is caught the same way.
 */
#ifndef DUNE_VMCS_H
#define DUNE_VMCS_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

#include "compat.h"

void dune_vmx_insn_error(const char *insn, unsigned long field, unsigned long value);

#define VMCS_FIELD_WIDTH(f)	(((f) >> 13) & 3)
#define VMCS_W16		0
#define VMCS_W64		1
#define VMCS_W32		2
#define VMCS_WNAT		3

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value = 0;
	u8 fail = 1;

	asm volatile("1: vmread %[f], %[v]\n\t"
		     "setna %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [v] "+r"(value), [fail] "+qm"(fail)
		     : [f] "r"(field)
		     : "cc");
	if (unlikely(fail))
		dune_vmx_insn_error("vmread", field, 0);
	return value;
}

static __always_inline void __vmcs_write(unsigned long field, unsigned long value)
{
	u8 fail = 1;

	asm volatile("1: vmwrite %[v], %[f]\n\t"
		     "setna %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm"(fail)
		     : [f] "r"(field), [v] "rm"(value)
		     : "cc");
	if (unlikely(fail))
		dune_vmx_insn_error("vmwrite", field, value);
}

#define vmcs_check(field, w) BUILD_BUG_ON(VMCS_FIELD_WIDTH(field) != (w))

#define vmcs_read16(f)	({ vmcs_check(f, VMCS_W16); (u16)__vmcs_read(f); })
#define vmcs_read32(f)	({ vmcs_check(f, VMCS_W32); (u32)__vmcs_read(f); })
#define vmcs_read64(f)	({ vmcs_check(f, VMCS_W64); (u64)__vmcs_read(f); })
#define vmcs_readl(f)	({ vmcs_check(f, VMCS_WNAT); __vmcs_read(f); })
#define vmcs_write16(f, v) do { vmcs_check(f, VMCS_W16); __vmcs_write(f, (u16)(v)); } while (0)
#define vmcs_write32(f, v) do { vmcs_check(f, VMCS_W32); __vmcs_write(f, (u32)(v)); } while (0)
#define vmcs_write64(f, v) do { vmcs_check(f, VMCS_W64); __vmcs_write(f, (u64)(v)); } while (0)
#define vmcs_writel(f, v) do { vmcs_check(f, VMCS_WNAT); __vmcs_write(f, (unsigned long)(v)); } while (0)

/*
 * VMXON, VMCLEAR, VMPTRLD: the VMX instructions that take the physical
 * address of a region in memory.  0, or -EIO on VMfail, -EFAULT on a fault
 * (#UD/#GP: VMX off, or a hypervisor below that refuses).
 */
#define DUNE_VMX_PA_INSN(name, insn)					\
static inline int name(u64 pa)						\
{									\
	dune_asm_goto("1: " insn " %[pa]\n\t"				\
		      "jbe %l[fail]\n\t"					\
		      _ASM_EXTABLE(1b, %l[fault])			\
		      : : [pa] "m"(pa) : "cc", "memory" : fail, fault);	\
	return 0;							\
fail:									\
	return -EIO;							\
fault:									\
	return -EFAULT;							\
}
DUNE_VMX_PA_INSN(vmx_vmxon, "vmxon")
DUNE_VMX_PA_INSN(vmx_vmclear, "vmclear")
DUNE_VMX_PA_INSN(vmx_vmptrld, "vmptrld")
#undef DUNE_VMX_PA_INSN

static inline int __invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	dune_asm_goto("1: invept %[desc], %[type]\n\t"
		      "jbe %l[fail]\n\t"
		      _ASM_EXTABLE(1b, %l[fail])
		      : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static inline int __invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct { u64 vpid : 16; u64 rsvd : 48; u64 gva; } desc = { vpid, 0, gva };

	dune_asm_goto("1: invvpid %[desc], %[type]\n\t"
		      "jbe %l[fail]\n\t"
		      _ASM_EXTABLE(1b, %l[fail])
		      : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

#endif
