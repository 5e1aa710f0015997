/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syscall.h - raw system calls from ring 0 (VMCALL: the module runs them
 * on the host; RCX and R11 are kept).  For code that must not depend on
 * glibc (the fatal-fault path, whose FS base may be ring 3's).
 */
#ifndef LIBDUNE_SYSCALL_H
#define LIBDUNE_SYSCALL_H

static inline long dune_vmcall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("vmcall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "memory", "cc");
	return ret;
}

static inline long dune_vmcall3(long nr, long a1, long a2, long a3)
{
	return dune_vmcall6(nr, a1, a2, a3, 0, 0, 0);
}

#endif /* LIBDUNE_SYSCALL_H */
