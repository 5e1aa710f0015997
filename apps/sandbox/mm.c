// SPDX-License-Identifier: BSD-3-Clause
/*
 * mm.c - the untrusted program's memory: brk, mmap, munmap, mprotect,
 * mremap and madvise, emulated inside the untrusted range [SB_LO, SB_HI).
 *
 * Three views are kept in step: the host's mappings (what the host kernel,
 * and through it dune.ko's EPT, lets the process touch), the guest page
 * tables (DUNE_PERM_U entries: what ring 3 can reach), and sb.vmas (what
 * the program has mapped).  Wherever the program has nothing, the host
 * range stays reserved (PROT_NONE, MAP_NORESERVE) so that nothing of the
 * sandbox's own is ever placed there, and the guest tables map nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sandbox.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#define RESERVE_FLAGS	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED)

static int perm_of(int prot)
{
	int perm = DUNE_PERM_U | DUNE_PERM_R;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return DUNE_PERM_NONE;
	if (prot & PROT_WRITE)
		perm |= DUNE_PERM_W;
	if (prot & PROT_EXEC)
		perm |= DUNE_PERM_X;
	return perm;
}

/* The guest page tables for [a, b) as @prot says. */
static int guest_map(uintptr_t a, uintptr_t b, int prot)
{
	int perm = perm_of(prot);

	if (perm == DUNE_PERM_NONE)
		return dune_vm_unmap(dune_pgroot, (void *)a, b - a);
	return dune_vm_map_phys(dune_pgroot, (void *)a, b - a, dune_va_to_pa((void *)a),
				perm | DUNE_PERM_BIG);
}

static int reserve(uintptr_t a, uintptr_t b)
{
	void *m = mmap((void *)a, b - a, PROT_NONE, RESERVE_FLAGS, -1, 0);

	return m == MAP_FAILED ? -errno : 0;
}

int sb_mm_init(void)
{
	void *m = mmap((void *)SB_LO, SB_HI - SB_LO, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	if (m != (void *)SB_LO) {
		munmap(m, SB_HI - SB_LO);
		return -EEXIST;
	}
	return sb_vma_init(&sb.vmas, SB_LO, SB_HI);
}

/* Everything of the program gone (before loading one): the host range
 * free for the ELF loader, guest tables and the record empty.  The loader's
 * mappings are then recorded (sb_mm_sync), and what stays free reserved
 * again (sb_mm_reserve_gaps).  Returns 0 or -errno. */
int sb_mm_reset(void)
{
	int r;

	if (munmap((void *)SB_LO, SB_HI - SB_LO))
		return -errno;
	sb_vma_clear(&sb.vmas);
	sb.brk_start = sb.brk_cur = 0;
	r = dune_vm_unmap(dune_pgroot, (void *)SB_LO, SB_HI - SB_LO);
	dune_flush_tlb();
	return r;
}

/*
 * After the ELF loader mapped the program (host mmaps inside the range,
 * where the reservation had been lifted): record what /proc/self/maps shows
 * inside the range, except the reservation itself, and map it for ring 3.
 */
int sb_mm_sync(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int r = 0;

	if (!f)
		return -errno;
	while (!r && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		char perms[8], dev[16];
		int prot = 0, n = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perms, &off, dev, &ino, &n) < 6)
			continue;
		if (hi <= SB_LO || lo >= SB_HI)
			continue;
		if (lo < SB_LO || hi > SB_HI) {
			r = -EEXIST;	/* something straddles the range: not ours */
			break;
		}
		if (perms[0] == 'r')
			prot |= PROT_READ;
		if (perms[1] == 'w')
			prot |= PROT_WRITE;
		if (perms[2] == 'x')
			prot |= PROT_EXEC;
		(void)off;
		r = sb_vma_insert(&sb.vmas, lo, hi, prot);
		if (!r)
			r = guest_map(lo, hi, prot);
	}
	fclose(f);
	return r;
}

/* Reserve every gap of the range that holds nothing (after a load). */
int sb_mm_reserve_gaps(void)
{
	uintptr_t a = SB_LO;
	size_t i;

	for (i = 0; i <= sb.vmas.n; i++) {
		uintptr_t b = i < sb.vmas.n ? sb.vmas.v[i].start : SB_HI;

		if (b > a) {
			void *m = mmap((void *)a, b - a, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				       MAP_FIXED_NOREPLACE, -1, 0);

			if (m == MAP_FAILED)
				return -errno;
		}
		if (i < sb.vmas.n)
			a = sb.vmas.v[i].end;
	}
	return 0;
}

#define KNOWN_MAP_FLAGS	(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | \
			 MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | \
			 MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | \
			 MAP_NONBLOCK | MAP_FIXED_NOREPLACE)

long sb_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	uint64_t size = SB_PAGE_UP(len);
	uintptr_t at;
	void *m;
	int r;

	if (!len || size < len || size > SB_HI - SB_LO || (addr & (SB_PAGE - 1)) ||
	    (off & (SB_PAGE - 1)))
		return -EINVAL;
	if (flags & ~KNOWN_MAP_FLAGS)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && (fd < 0 || fd >= SB_FD_MIN))
		return -EBADF;
	flags &= ~(MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr < SB_LO)
			return -EPERM;	/* below mmap_min_addr, as natively */
		if (addr + size > SB_HI || addr + size < addr)
			sb_violation("mmap(MAP_FIXED) at %#lx, %#lx bytes: outside the program's memory",
				     (unsigned long)addr, (unsigned long)len);
		if ((flags & MAP_FIXED_NOREPLACE) && sb_vma_overlaps(&sb.vmas, addr, addr + size))
			return -EEXIST;
		at = addr;
	} else {
		at = 0;
		/* A hint is honoured when that space is free. */
		if (addr >= SB_LO && addr + size <= SB_HI && addr + size > addr &&
		    !sb_vma_overlaps(&sb.vmas, addr, addr + size))
			at = addr;
		if (!at)
			at = sb_vma_find_free(&sb.vmas, size, SB_STACK_TOP - SB_STACK_SIZE - SB_PAGE);
		if (!at)
			at = sb_vma_find_free(&sb.vmas, size, SB_HI);
		if (!at)
			return -ENOMEM;
	}
	flags = (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
	m = mmap((void *)at, size, prot, flags, (flags & MAP_ANONYMOUS) ? -1 : fd, off);
	if (m == MAP_FAILED) {
		r = -errno;
		/* A failed MAP_FIXED may have unmapped the old range: the
		 * record says what was there; reserve what is now free. */
		if (!sb_vma_overlaps(&sb.vmas, at, at + size))
			reserve(at, at + size);
		return r;
	}
	r = sb_vma_insert(&sb.vmas, at, at + size, prot);
	if (!r)
		r = guest_map(at, at + size, prot);
	if (r) {
		reserve(at, at + size);
		sb_vma_remove(&sb.vmas, at, at + size);
		dune_vm_unmap(dune_pgroot, (void *)at, size);
		return r;
	}
	dune_flush_tlb_range((void *)at, size);
	return (long)at;
}

static int check_range(uint64_t addr, uint64_t len, const char *what)
{
	uint64_t size = SB_PAGE_UP(len);

	if ((addr & (SB_PAGE - 1)) || size < len)
		return -EINVAL;
	if (addr + size <= SB_LO)
		return -EINVAL;	/* nothing is ever mapped there */
	if (addr < SB_LO || addr + size > SB_HI || addr + size < addr)
		sb_violation("%s(%#lx, %#lx): outside the program's memory", what,
			     (unsigned long)addr, (unsigned long)len);
	return 0;
}

long sb_munmap(uint64_t addr, uint64_t len)
{
	uint64_t size = SB_PAGE_UP(len);
	int r;

	if (!len)
		return -EINVAL;
	r = check_range(addr, len, "munmap");
	if (r)
		return r;
	r = reserve(addr, addr + size);
	if (r)
		return r;
	sb_vma_remove(&sb.vmas, addr, addr + size);
	dune_vm_unmap(dune_pgroot, (void *)addr, size);
	dune_flush_tlb_range((void *)addr, size);
	return 0;
}

long sb_mprotect(uint64_t addr, uint64_t len, int prot)
{
	uint64_t size = SB_PAGE_UP(len);
	int r;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	r = check_range(addr, len, "mprotect");
	if (r || !len)
		return r;
	if (!sb_vma_covered(&sb.vmas, addr, addr + size))
		return -ENOMEM;
	if (mprotect((void *)addr, size, prot))
		return -errno;
	r = sb_vma_insert(&sb.vmas, addr, addr + size, prot);
	if (!r)
		r = guest_map(addr, addr + size, prot);
	dune_flush_tlb_range((void *)addr, size);
	return r;
}

long sb_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, int flags, uint64_t newaddr)
{
	const struct sb_vma *v;
	uint64_t osz = SB_PAGE_UP(oldlen), nsz = SB_PAGE_UP(newlen);
	uintptr_t at;
	void *m;
	int r, prot;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED))
		return -EINVAL;	/* MREMAP_DONTUNMAP: not emulated */
	r = check_range(old, oldlen ? oldlen : 1, "mremap");
	if (r)
		return r;
	if (!oldlen || !newlen || nsz < newlen || nsz > SB_HI - SB_LO)
		return -EINVAL;
	v = sb_vma_find(&sb.vmas, old);
	if (!v || v->end < old + osz)
		return -EFAULT;
	prot = v->prot;
	if (flags & MREMAP_FIXED) {
		if (!(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		r = check_range(newaddr, newlen, "mremap");
		if (r)
			return r;
		if (newaddr < old + osz && old < newaddr + nsz)
			return -EINVAL;		/* overlapping, as Linux */
	}
	if (nsz <= osz && !(flags & MREMAP_FIXED)) {
		if (nsz < osz)
			sb_munmap(old + nsz, osz - nsz);
		return (long)old;
	}
	if (flags & MREMAP_FIXED) {
		at = newaddr;
		/* Whatever the program had there goes, as with MAP_FIXED. */
		sb_vma_remove(&sb.vmas, at, at + nsz);
		dune_vm_unmap(dune_pgroot, (void *)at, nsz);
	} else if (!sb_vma_overlaps(&sb.vmas, old + osz, old + nsz) && old + nsz <= SB_HI) {
		at = old;	/* grows in place */
	} else if (flags & MREMAP_MAYMOVE) {
		at = sb_vma_find_free(&sb.vmas, nsz, SB_STACK_TOP - SB_STACK_SIZE - SB_PAGE);
		if (!at)
			return -ENOMEM;
	} else {
		return -ENOMEM;
	}
	if (at == old) {
		/* Lift the reservation above, then grow in place. */
		if (munmap((void *)(old + osz), nsz - osz))
			return -errno;
		m = mremap((void *)old, osz, nsz, 0);
	} else {
		m = mremap((void *)old, osz, nsz, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)at);
	}
	if (m == MAP_FAILED) {
		r = -errno;
		if (at == old)
			reserve(old + osz, old + nsz);
		return r;
	}
	if (at != old) {
		reserve(old, old + osz);
		sb_vma_remove(&sb.vmas, old, old + osz);
		dune_vm_unmap(dune_pgroot, (void *)old, osz);
		dune_flush_tlb_range((void *)old, osz);
	}
	r = sb_vma_insert(&sb.vmas, at, at + nsz, prot);
	if (!r)
		r = guest_map(at, at + nsz, prot);
	dune_flush_tlb_range((void *)at, nsz);
	return r ? r : (long)at;
}

long sb_brk(uint64_t addr)
{
	uintptr_t cur = SB_PAGE_UP(sb.brk_cur), want = SB_PAGE_UP(addr);

	if (!addr || addr < sb.brk_start || want < addr || want > SB_HI)
		return (long)sb.brk_cur;
	if (want > cur) {
		if (sb_vma_overlaps(&sb.vmas, cur, want))
			return (long)sb.brk_cur;
		if (mmap((void *)cur, want - cur, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return (long)sb.brk_cur;
		if (sb_vma_insert(&sb.vmas, cur, want, PROT_READ | PROT_WRITE) ||
		    guest_map(cur, want, PROT_READ | PROT_WRITE)) {
			reserve(cur, want);
			sb_vma_remove(&sb.vmas, cur, want);
			dune_vm_unmap(dune_pgroot, (void *)cur, want - cur);
			return (long)sb.brk_cur;
		}
		dune_flush_tlb_range((void *)cur, want - cur);
	} else if (want < cur) {
		sb_munmap(want, cur - want);
	}
	sb.brk_cur = addr;
	return (long)addr;
}

long sb_madvise(uint64_t addr, uint64_t len, int advice)
{

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP: case MADV_DODUMP:
		break;
	default:
		return -EINVAL;
	}
	if ((addr & (SB_PAGE - 1)) || SB_PAGE_UP(len) < len)
		return -EINVAL;
	if (!len)
		return 0;
	/* Advice that throws pages away, aimed at the sandbox's memory. */
	if ((advice == MADV_DONTNEED || advice == MADV_FREE) &&
	    (addr >= SB_HI || SB_PAGE_UP(len) > SB_HI - addr))
		sb_violation("madvise(%#lx, %#lx, %s) on the sandbox's memory", (unsigned long)addr,
			     (unsigned long)len, advice == MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED");
	/* Advice only: outside the program's mappings, -ENOMEM as natively. */
	if (addr < SB_LO || addr >= SB_HI || SB_PAGE_UP(len) > SB_HI - addr ||
	    !sb_vma_covered(&sb.vmas, addr, addr + SB_PAGE_UP(len)))
		return -ENOMEM;
	return madvise((void *)addr, len, advice) ? -errno : 0;
}
