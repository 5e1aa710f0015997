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

/* The ABI's sizes, checked wherever this header is compiled. */
#ifndef __cplusplus
_Static_assert(sizeof(struct dune_window) == 32, "struct dune_window is 32 bytes");
_Static_assert(sizeof(struct dune_layout) == 160, "struct dune_layout is 160 bytes");
#endif

#endif /* _UAPI_DUNE_H */
