/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * elf.c - the ELF loader: validate an ELF64 x86-64 executable (or the
 * interpreter it names) and map its PT_LOAD segments inside a range of the
 * process that the caller (the sandbox) owns, for running it in ring 3.
 *
 * The file is untrusted.  Every field of the ELF header and of every
 * program header is checked before anything is mapped, with unsigned 64-bit
 * arithmetic and an explicit overflow check before each addition (the
 * checks follow xv6's exec.c and Linux's binfmt_elf.c, made stricter).  A
 * refusal is -ENOEXEC with the field and its value in elf->err.
 *
 * Policies (the choices the contract leaves open):
 *   - Placement: ET_EXEC where it is linked, ET_DYN at the lowest
 *     page-aligned base >= hint (or lo).  There is no search for a free
 *     spot: the caller owns [lo, hi), so something mapped in the chosen span
 *     is the caller's bug, reported as -EEXIST, never clobbered.
 *   - Reservation: the whole span [image lo, image hi) is first reserved
 *     with one PROT_NONE mmap(MAP_FIXED_NOREPLACE) (atomic: no window in
 *     which a racing mmap() could land there), then segments are mapped
 *     over it with MAP_FIXED.  Holes between segments stay PROT_NONE, so
 *     after a success munmap(image.lo, image.hi - image.lo) releases it all,
 *     and a failure leaves nothing mapped.
 *   - W+X segments are allowed (mapped PROT_WRITE|PROT_EXEC, as Linux
 *     does): refusing them would refuse binaries that run natively, and
 *     what ring-3 code does with its own memory is the sandbox's business.
 *   - The interpreter (dune_elf_load_program) goes ELF_INTERP_GAP above
 *     the program (room for a brk heap) when the range allows, else one
 *     page above it, else below it; it must be ET_DYN without PT_INTERP.
 *   - Two PT_LOAD segments may not share a page (each page gets exactly
 *     one segment's protections and contents); only ld -N/-n images do
 *     that, none of the ELF files of a Debian 12 system.
 *   - e_entry must be in the file part of an executable PT_LOAD, so a
 *     shared library without an entry point is refused: this loads
 *     programs and interpreters only.
 *   - PT_LOAD segments with p_memsz 0 are ignored (as glibc's ld.so does).
 *   - No PT_GNU_STACK means a non-executable stack (x86-64 Linux since 5.8).
 *   - An in-memory image (dune_elf_open_mem) is loaded by copying into
 *     anonymous memory; a file is mapped MAP_PRIVATE.  A file changed
 *     between dune_elf_open() and dune_elf_load() is not detected (a
 *     truncated one gives SIGBUS on access, as with any mapped file).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdune.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define ELF_PG		((uint64_t)DUNE_PGSIZE)
#define ELF_MAX_PHNUM	256
/* Far beyond any real program, small enough that no span arithmetic on
 * lower-half addresses can overflow. */
#define ELF_MAX_SPAN	(1ULL << 40)
/* Lower half of the canonical address space: where user mappings live. */
#define ELF_USER_TOP	(1ULL << 47)
/* How much of a file dune_elf_open() keeps behind elf->buf. */
#define ELF_HEAD_MAX	4096
/* The interpreter goes this far above the program, when the range allows:
 * room for a brk heap right after the program's bss. */
#define ELF_INTERP_GAP	(16ULL << 20)

#define PG_DOWN(x)	((x) & ~(ELF_PG - 1))
#define PG_UP(x)	(((x) + ELF_PG - 1) & ~(ELF_PG - 1))	/* x < 2^63 only */

struct elf_state {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[ELF_MAX_PHNUM];
	unsigned int nload;
	unsigned short load[ELF_MAX_PHNUM];	/* indices of non-empty PT_LOADs */
	uint64_t first, end;	/* page-aligned vaddr span of the PT_LOADs */
	uint64_t phdr_vaddr;	/* where the phdr table is once loaded */
	bool have_phdr;
	bool stack_exec;
	char interp[256];
	uint8_t *head;		/* for a file: the copy elf->buf points at */
};

static int __attribute__((format(printf, 3, 4)))
elf_fail(struct dune_elf *elf, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(elf->err, sizeof(elf->err), fmt, ap);
	va_end(ap);
	return ret;
}

#define BAD(...)	elf_fail(elf, -ENOEXEC, __VA_ARGS__)

/* [a, a + n) inside [0, limit)?  Written so that nothing overflows. */
static bool fits(uint64_t a, uint64_t n, uint64_t limit)
{
	return a <= limit && n <= limit - a;
}

/* Read @len bytes at @off; the caller has checked they are inside the file. */
static int elf_read(struct dune_elf *elf, void *dst, size_t len, uint64_t off)
{
	uint8_t *p = dst;
	ssize_t n;
	int e;

	if (elf->fd < 0) {
		memcpy(dst, elf->buf + off, len);
		return 0;
	}
	while (len) {
		n = pread(elf->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			return elf_fail(elf, -e, "read at 0x%llx: %s",
					(unsigned long long)off, strerror(e));
		}
		if (n == 0)	/* the file shrank under us */
			return BAD("file truncated while reading at 0x%llx",
				   (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int check_ehdr(struct dune_elf *elf, const Elf64_Ehdr *eh)
{
	const unsigned char *id = eh->e_ident;
	uint64_t phsize, shcount;
	int i;

	if (memcmp(id, ELFMAG, SELFMAG))
		return BAD("not an ELF file (bad magic %02x %02x %02x %02x)",
			   id[0], id[1], id[2], id[3]);
	if (id[EI_CLASS] != ELFCLASS64)
		return BAD("EI_CLASS %u is not ELFCLASS64", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return BAD("EI_DATA %u is not little-endian", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return BAD("EI_VERSION %u is not EV_CURRENT", id[EI_VERSION]);
	if (id[EI_OSABI] != ELFOSABI_SYSV && id[EI_OSABI] != ELFOSABI_GNU)
		return BAD("EI_OSABI %u is neither SYSV nor GNU/Linux", id[EI_OSABI]);
	/* As glibc's ld.so: SYSV has ABI version 0; GNU counts its extensions
	 * (unique symbols, IFUNC, ...), a handful so far. */
	if (id[EI_OSABI] == ELFOSABI_SYSV ? id[EI_ABIVERSION] != 0 : id[EI_ABIVERSION] > 15)
		return BAD("EI_ABIVERSION %u is not supported", id[EI_ABIVERSION]);
	for (i = EI_PAD; i < EI_NIDENT; i++)
		if (id[i])
			return BAD("e_ident[%d] padding is 0x%02x, not 0", i, id[i]);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return BAD("e_type %u is neither ET_EXEC nor ET_DYN", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return BAD("e_machine %u is not x86-64 (%u)", eh->e_machine, EM_X86_64);
	if (eh->e_version != EV_CURRENT)
		return BAD("e_version %u is not EV_CURRENT", eh->e_version);
	/* x86-64 defines no e_flags. */
	if (eh->e_flags)
		return BAD("e_flags 0x%x is not 0", eh->e_flags);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr))
		return BAD("e_ehsize %u is not %zu", eh->e_ehsize, sizeof(Elf64_Ehdr));
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return BAD("e_phentsize %u is not %zu", eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == PN_XNUM)
		return BAD("e_phnum is PN_XNUM (extended numbering is not supported)");
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return BAD("e_phnum %u is not in 1..%d", eh->e_phnum, ELF_MAX_PHNUM);
	/* The table is handed to the program as an Elf64_Phdr array (AT_PHDR):
	 * it must be aligned, and it cannot share bytes with the ELF header. */
	if (eh->e_phoff < sizeof(Elf64_Ehdr))
		return BAD("e_phoff 0x%llx overlaps the ELF header",
			   (unsigned long long)eh->e_phoff);
	if (eh->e_phoff % 8)
		return BAD("e_phoff 0x%llx is not 8-byte aligned",
			   (unsigned long long)eh->e_phoff);
	phsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (!fits(eh->e_phoff, phsize, elf->size))
		return BAD("program headers [0x%llx, +0x%llx) beyond the file (0x%zx bytes)",
			   (unsigned long long)eh->e_phoff, (unsigned long long)phsize,
			   elf->size);
	/*
	 * Section headers are not used for loading, but they are header fields
	 * too: they must be absent (all zero) or describe a table inside the
	 * file.  e_shnum 0 with e_shoff set is extended numbering (the count
	 * is in section 0): at least that first entry must be there.
	 */
	if (!eh->e_shoff) {
		if (eh->e_shnum || eh->e_shstrndx != SHN_UNDEF)
			return BAD("e_shnum %u / e_shstrndx %u without section headers (e_shoff 0)",
				   eh->e_shnum, eh->e_shstrndx);
	} else {
		if (eh->e_shentsize != sizeof(Elf64_Shdr))
			return BAD("e_shentsize %u is not %zu", eh->e_shentsize,
				   sizeof(Elf64_Shdr));
		shcount = eh->e_shnum ? eh->e_shnum : 1;
		if (!fits(eh->e_shoff, shcount * sizeof(Elf64_Shdr), elf->size))
			return BAD("section headers [0x%llx, +0x%llx) beyond the file (0x%zx bytes)",
				   (unsigned long long)eh->e_shoff,
				   (unsigned long long)(shcount * sizeof(Elf64_Shdr)), elf->size);
		if (eh->e_shstrndx != SHN_UNDEF && eh->e_shstrndx != SHN_XINDEX &&
		    eh->e_shstrndx >= eh->e_shnum)
			return BAD("e_shstrndx %u is not below e_shnum %u", eh->e_shstrndx,
				   eh->e_shnum);
	}
	return 0;
}

/* Index of the PT_LOAD whose file part holds [off, off + n) mapped at
 * [va, va + n), or -1. */
static int load_holding(const struct elf_state *st, uint64_t off, uint64_t va, uint64_t n)
{
	unsigned int k;

	for (k = 0; k < st->nload; k++) {
		const Elf64_Phdr *p = &st->ph[st->load[k]];

		if (off >= p->p_offset && off - p->p_offset <= p->p_filesz &&
		    n <= p->p_filesz - (off - p->p_offset) &&
		    va >= p->p_vaddr && va - p->p_vaddr == off - p->p_offset)
			return (int)k;
	}
	return -1;
}

/* Index of the PT_LOAD whose memory holds [va, va + n), or -1. */
static int load_covering(const struct elf_state *st, uint64_t va, uint64_t n)
{
	unsigned int k;

	for (k = 0; k < st->nload; k++) {
		const Elf64_Phdr *p = &st->ph[st->load[k]];

		if (va >= p->p_vaddr && va - p->p_vaddr <= p->p_memsz &&
		    n <= p->p_memsz - (va - p->p_vaddr))
			return (int)k;
	}
	return -1;
}

/* Checks that hold for every program header, whatever its type.  (p_paddr
 * means nothing to a user-space loader and is not looked at.) */
static int check_phdr_common(struct dune_elf *elf, unsigned int i, const Elf64_Phdr *p)
{
	if (!fits(p->p_offset, p->p_filesz, elf->size))
		return BAD("program header %u: p_offset 0x%llx + p_filesz 0x%llx beyond the file (0x%zx bytes)",
			   i, (unsigned long long)p->p_offset,
			   (unsigned long long)p->p_filesz, elf->size);
	if (p->p_filesz > p->p_memsz)
		return BAD("program header %u: p_filesz 0x%llx > p_memsz 0x%llx", i,
			   (unsigned long long)p->p_filesz, (unsigned long long)p->p_memsz);
	if (p->p_vaddr >= ELF_USER_TOP || !fits(p->p_vaddr, p->p_memsz, ELF_USER_TOP))
		return BAD("program header %u: p_vaddr 0x%llx + p_memsz 0x%llx beyond the lower half (2^47)",
			   i, (unsigned long long)p->p_vaddr, (unsigned long long)p->p_memsz);
	if (p->p_align & (p->p_align - 1))
		return BAD("program header %u: p_align 0x%llx is not a power of two", i,
			   (unsigned long long)p->p_align);
	return 0;
}

static int check_load(struct dune_elf *elf, struct elf_state *st, unsigned int i,
		      const Elf64_Phdr *p)
{
	const Elf64_Phdr *prev;

	if (p->p_flags & ~(uint32_t)(PF_R | PF_W | PF_X))
		return BAD("program header %u: p_flags 0x%x has bits other than R/W/X", i,
			   p->p_flags);
	/* mmap() maps whole pages: file offset and address must agree in
	 * their page offset (and, per the ELF spec, modulo p_align). */
	if (p->p_vaddr % ELF_PG != p->p_offset % ELF_PG)
		return BAD("program header %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo the page size",
			   i, (unsigned long long)p->p_vaddr, (unsigned long long)p->p_offset);
	if (p->p_align > 1 && p->p_vaddr % p->p_align != p->p_offset % p->p_align)
		return BAD("program header %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo p_align 0x%llx",
			   i, (unsigned long long)p->p_vaddr, (unsigned long long)p->p_offset,
			   (unsigned long long)p->p_align);
	if (!p->p_memsz)
		return 0;
	if (st->nload) {
		prev = &st->ph[st->load[st->nload - 1]];
		if (p->p_vaddr < prev->p_vaddr)
			return BAD("program header %u: PT_LOAD p_vaddr 0x%llx below the previous one's 0x%llx (not sorted)",
				   i, (unsigned long long)p->p_vaddr,
				   (unsigned long long)prev->p_vaddr);
		if (p->p_vaddr < prev->p_vaddr + prev->p_memsz)
			return BAD("program header %u: PT_LOAD at 0x%llx overlaps program header %u (ends at 0x%llx)",
				   i, (unsigned long long)p->p_vaddr, st->load[st->nload - 1],
				   (unsigned long long)(prev->p_vaddr + prev->p_memsz));
		/* No overflow: both ends are below 2^47. */
		if (PG_DOWN(p->p_vaddr) < PG_UP(prev->p_vaddr + prev->p_memsz))
			return BAD("program header %u: PT_LOAD at 0x%llx shares a page with program header %u",
				   i, (unsigned long long)p->p_vaddr, st->load[st->nload - 1]);
	}
	st->load[st->nload++] = (unsigned short)i;
	return 0;
}

static int check_interp(struct dune_elf *elf, struct elf_state *st, unsigned int i,
			const Elf64_Phdr *p)
{
	int ret;

	if (st->interp[0])
		return BAD("program header %u: a second PT_INTERP", i);
	if (p->p_filesz < 2 || p->p_filesz > sizeof(st->interp))
		return BAD("program header %u: PT_INTERP p_filesz %llu is not in 2..%zu", i,
			   (unsigned long long)p->p_filesz, sizeof(st->interp));
	ret = elf_read(elf, st->interp, p->p_filesz, p->p_offset);
	if (ret)
		return ret;
	if (st->interp[p->p_filesz - 1] != '\0') {
		st->interp[0] = '\0';
		return BAD("program header %u: PT_INTERP path is not NUL-terminated", i);
	}
	if (strlen(st->interp) != p->p_filesz - 1) {
		st->interp[0] = '\0';
		return BAD("program header %u: PT_INTERP path has a NUL inside", i);
	}
	if (st->interp[0] != '/') {
		st->interp[0] = '\0';
		return BAD("program header %u: PT_INTERP path is not absolute", i);
	}
	return 0;
}

/* Validate everything; fills @st.  No side effect but reads. */
static int elf_check(struct dune_elf *elf, struct elf_state *st)
{
	const Elf64_Ehdr *eh = &st->eh;
	const Elf64_Phdr *p, *last;
	unsigned int i, n, nphdr = 0;
	uint64_t phsize;
	int ret, k;

	if (elf->size < sizeof(Elf64_Ehdr))
		return BAD("file too short (%zu bytes) for an ELF header", elf->size);
	ret = elf_read(elf, &st->eh, sizeof(st->eh), 0);
	if (ret)
		return ret;
	ret = check_ehdr(elf, eh);
	if (ret)
		return ret;
	n = eh->e_phnum;
	phsize = (uint64_t)n * sizeof(Elf64_Phdr);
	ret = elf_read(elf, st->ph, phsize, eh->e_phoff);
	if (ret)
		return ret;

	for (i = 0; i < n; i++) {
		p = &st->ph[i];
		ret = check_phdr_common(elf, i, p);
		if (ret)
			return ret;
		switch (p->p_type) {
		case PT_LOAD:
			ret = check_load(elf, st, i, p);
			break;
		case PT_INTERP:
			ret = check_interp(elf, st, i, p);
			break;
		case PT_PHDR:
			if (nphdr++)
				return BAD("program header %u: a second PT_PHDR", i);
			break;
		case PT_GNU_STACK:
			st->stack_exec = p->p_flags & PF_X;
			break;
		default:
			/* Other types (PT_DYNAMIC, PT_NOTE, PT_TLS, ...) are the
			 * program's business; placement checks follow. */
			break;
		}
		if (ret)
			return ret;
	}
	if (!st->nload)
		return BAD("no PT_LOAD segment");
	last = &st->ph[st->load[st->nload - 1]];
	st->first = PG_DOWN(st->ph[st->load[0]].p_vaddr);
	st->end = PG_UP(last->p_vaddr + last->p_memsz);	/* < 2^47: no overflow */
	if (st->end - st->first > ELF_MAX_SPAN)
		return BAD("PT_LOAD span [0x%llx, 0x%llx) is larger than 1 TiB",
			   (unsigned long long)st->first, (unsigned long long)st->end);

	/* Segments the program (or ld.so) reads through their p_vaddr must
	 * be where the loader puts something. */
	for (i = 0; i < n; i++) {
		p = &st->ph[i];
		switch (p->p_type) {
		case PT_PHDR:
			if (p->p_offset != eh->e_phoff || p->p_filesz != phsize)
				return BAD("program header %u: PT_PHDR [0x%llx, +0x%llx) is not the program header table [0x%llx, +0x%llx)",
					   i, (unsigned long long)p->p_offset,
					   (unsigned long long)p->p_filesz,
					   (unsigned long long)eh->e_phoff,
					   (unsigned long long)phsize);
			if (load_holding(st, p->p_offset, p->p_vaddr, p->p_filesz) < 0)
				return BAD("program header %u: PT_PHDR at 0x%llx is not loaded by a PT_LOAD",
					   i, (unsigned long long)p->p_vaddr);
			st->have_phdr = true;
			st->phdr_vaddr = p->p_vaddr;
			break;
		case PT_DYNAMIC:
		case PT_GNU_EH_FRAME:
			if (load_holding(st, p->p_offset, p->p_vaddr, p->p_filesz) < 0 ||
			    load_covering(st, p->p_vaddr, p->p_memsz) < 0)
				return BAD("program header %u: type 0x%x at 0x%llx is not inside a PT_LOAD",
					   i, p->p_type, (unsigned long long)p->p_vaddr);
			break;
		case PT_TLS:
			/* Only the initialization image is in memory: .tbss
			 * takes no address space (a .tbss-only PT_TLS may
			 * have any address at all). */
			if (p->p_filesz &&
			    load_holding(st, p->p_offset, p->p_vaddr, p->p_filesz) < 0)
				return BAD("program header %u: PT_TLS image at 0x%llx is not inside a PT_LOAD",
					   i, (unsigned long long)p->p_vaddr);
			break;
		case PT_GNU_RELRO:
			if (p->p_vaddr < st->first || p->p_vaddr + p->p_memsz > st->end)
				return BAD("program header %u: PT_GNU_RELRO [0x%llx, +0x%llx) is outside the PT_LOAD span",
					   i, (unsigned long long)p->p_vaddr,
					   (unsigned long long)p->p_memsz);
			break;
		}
	}
	if (!st->have_phdr) {
		/* As Linux: the table is where the PT_LOAD holding e_phoff
		 * maps it, if any does. */
		for (i = 0, k = -1; i < st->nload && k < 0; i++) {
			p = &st->ph[st->load[i]];
			if (eh->e_phoff >= p->p_offset && eh->e_phoff - p->p_offset <= p->p_filesz &&
			    phsize <= p->p_filesz - (eh->e_phoff - p->p_offset))
				k = (int)i;
		}
		if (k >= 0) {
			p = &st->ph[st->load[k]];
			st->have_phdr = true;
			st->phdr_vaddr = p->p_vaddr + (eh->e_phoff - p->p_offset);
		}
	}

	/* The entry point: code the file provides, in an executable segment. */
	for (i = 0, k = -1; i < st->nload && k < 0; i++) {
		p = &st->ph[st->load[i]];
		if ((p->p_flags & PF_X) && eh->e_entry >= p->p_vaddr &&
		    eh->e_entry - p->p_vaddr < p->p_filesz)
			k = (int)i;
	}
	if (k < 0)
		return BAD("e_entry 0x%llx is not inside the file part of an executable PT_LOAD",
			   (unsigned long long)eh->e_entry);
	return 0;
}

static void elf_release(struct dune_elf *elf)
{
	struct elf_state *st = elf->priv;

	if (elf->fd >= 0)
		close(elf->fd);
	if (st)
		free(st->head);
	free(st);
	elf->fd = -1;
	elf->priv = NULL;
	elf->buf = NULL;
	elf->size = 0;
}

/* Validate the image elf->fd/buf of elf->size bytes into elf->priv; on
 * failure elf holds nothing any more (but the message in err). */
static int elf_open_common(struct dune_elf *elf)
{
	int ret = elf_check(elf, elf->priv);

	if (ret)
		elf_release(elf);
	return ret;
}

static void elf_init(struct dune_elf *elf)
{
	elf->fd = -1;
	elf->buf = NULL;
	elf->size = 0;
	elf->priv = NULL;
	elf->err[0] = '\0';
}

int dune_elf_open_mem(struct dune_elf *elf, const void *buf, size_t len)
{
	struct elf_state *st;

	if (!elf)
		return -EINVAL;
	elf_init(elf);
	if (!buf && len)
		return elf_fail(elf, -EINVAL, "NULL image");
	st = calloc(1, sizeof(*st));
	if (!st)
		return elf_fail(elf, -ENOMEM, "out of memory");
	elf->priv = st;
	elf->buf = buf;
	elf->size = len;
	return elf_open_common(elf);
}

int dune_elf_open(struct dune_elf *elf, const char *path)
{
	struct elf_state *st;
	struct stat sb;
	size_t n;
	int ret;

	if (!elf)
		return -EINVAL;
	elf_init(elf);
	if (!path)
		return elf_fail(elf, -EINVAL, "NULL path");
	st = calloc(1, sizeof(*st));
	if (!st)
		return elf_fail(elf, -ENOMEM, "out of memory");
	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it
	 * (and it changes nothing for a regular file). */
	elf->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (elf->fd < 0) {
		ret = -errno;
		free(st);
		return elf_fail(elf, ret, "open: %s", strerror(-ret));
	}
	elf->priv = st;
	if (fstat(elf->fd, &sb)) {
		ret = -errno;
		elf_release(elf);
		return elf_fail(elf, ret, "fstat: %s", strerror(-ret));
	}
	/* As execve(): only regular files. */
	if (!S_ISREG(sb.st_mode)) {
		elf_release(elf);
		return elf_fail(elf, -EACCES, "not a regular file");
	}
	elf->size = (size_t)sb.st_size;
	n = elf->size < ELF_HEAD_MAX ? elf->size : ELF_HEAD_MAX;
	if (n) {
		st->head = malloc(n);
		if (!st->head) {
			elf_release(elf);
			return elf_fail(elf, -ENOMEM, "out of memory");
		}
		ret = elf_read(elf, st->head, n, 0);
		if (ret) {
			elf_release(elf);
			return ret;
		}
		elf->buf = st->head;
	}
	return elf_open_common(elf);
}

void dune_elf_close(struct dune_elf *elf)
{
	if (elf)
		elf_release(elf);
}

const char *dune_elf_error(const struct dune_elf *elf)
{
	return elf ? elf->err : "";
}

static int elf_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Map one PT_LOAD at @addr (its p_vaddr, relocated) inside the reservation. */
static int map_segment(struct dune_elf *elf, unsigned int i, const Elf64_Phdr *p, uint64_t addr)
{
	uint64_t page = PG_DOWN(addr), in_page = addr - page;
	uint64_t file_end = addr + p->p_filesz, mem_end = addr + p->p_memsz;
	uint64_t file_top = p->p_filesz ? PG_UP(file_end) : page;
	uint64_t mem_top = PG_UP(mem_end);
	int prot = elf_prot(p->p_flags), first_prot;
	/* The last file page is partly bss: it must be zeroed past the file
	 * part (which, in the file, holds whatever comes next). */
	bool partial = p->p_memsz > p->p_filesz && (file_end % ELF_PG);
	void *m;
	int ret;

	if (p->p_filesz) {
		if (elf->fd >= 0) {
			first_prot = prot | (partial ? PROT_WRITE : 0);
			m = mmap((void *)page, file_top - page, first_prot, MAP_PRIVATE | MAP_FIXED,
				 elf->fd, (off_t)(p->p_offset - in_page));
		} else {
			first_prot = PROT_READ | PROT_WRITE;
			m = mmap((void *)page, file_top - page, first_prot,
				 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
		}
		if (m == MAP_FAILED) {
			ret = -errno;
			return elf_fail(elf, ret, "program header %u: mmap 0x%llx+0x%llx: %s", i,
					(unsigned long long)page,
					(unsigned long long)(file_top - page), strerror(-ret));
		}
		if (elf->fd < 0)	/* as the file mapping would: from the page start */
			memcpy((void *)page, elf->buf + (p->p_offset - in_page),
			       in_page + p->p_filesz);
		if (partial)
			memset((void *)file_end, 0, file_top - file_end);
		if (first_prot != prot && mprotect((void *)page, file_top - page, prot)) {
			ret = -errno;
			return elf_fail(elf, ret, "program header %u: mprotect: %s", i,
					strerror(-ret));
		}
	}
	if (mem_top > file_top) {
		m = mmap((void *)file_top, mem_top - file_top, prot,
			 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			ret = -errno;
			return elf_fail(elf, ret, "program header %u: mmap bss 0x%llx+0x%llx: %s", i,
					(unsigned long long)file_top,
					(unsigned long long)(mem_top - file_top), strerror(-ret));
		}
	}
	return 0;
}

/* Where dune_elf_load() would put the image in [lo, hi) from @hint:
 * *base, or an error (with elf->err). */
static int elf_place(struct dune_elf *elf, uintptr_t lo, uintptr_t hi, uintptr_t hint,
		     uint64_t *base)
{
	struct elf_state *st;
	uint64_t span, start;

	if (!elf)
		return -EINVAL;
	st = elf->priv;
	if (!st)
		return elf_fail(elf, -EINVAL, "no validated image (dune_elf_open failed?)");
	if (lo >= hi || lo % ELF_PG || hi % ELF_PG || hi > ELF_USER_TOP)
		return elf_fail(elf, -EINVAL, "bad range [0x%llx, 0x%llx)",
				(unsigned long long)lo, (unsigned long long)hi);
	span = st->end - st->first;
	if (st->eh.e_type == ET_EXEC) {
		*base = st->first;
		if (*base < lo || st->end > hi)
			return elf_fail(elf, -ERANGE, "ET_EXEC span [0x%llx, 0x%llx) is not inside [0x%llx, 0x%llx)",
					(unsigned long long)st->first,
					(unsigned long long)st->end, (unsigned long long)lo,
					(unsigned long long)hi);
	} else {
		start = hint > lo ? hint : lo;
		/* start <= hi <= 2^47 before rounding: no overflow. */
		if (start > hi || PG_UP(start) > hi || hi - PG_UP(start) < span)
			return elf_fail(elf, -ERANGE, "image of 0x%llx bytes does not fit in [0x%llx, 0x%llx) from 0x%llx",
					(unsigned long long)span, (unsigned long long)lo,
					(unsigned long long)hi, (unsigned long long)start);
		*base = PG_UP(start);
	}
	return 0;
}

int dune_elf_fits(struct dune_elf *elf, uintptr_t lo, uintptr_t hi, uintptr_t hint)
{
	uint64_t base;

	return elf_place(elf, lo, hi, hint, &base);
}

int dune_elf_load(struct dune_elf *elf, uintptr_t lo, uintptr_t hi, uintptr_t hint,
		  struct dune_elf_image *out)
{
	struct elf_state *st;
	uint64_t span, base;
	unsigned int k;
	void *m;
	int ret;

	if (!elf)
		return -EINVAL;
	if (!out)
		return elf_fail(elf, -EINVAL, "no image to fill in");
	memset(out, 0, sizeof(*out));
	ret = elf_place(elf, lo, hi, hint, &base);
	if (ret)
		return ret;
	st = elf->priv;
	span = st->end - st->first;

	m = mmap((void *)base, span, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		return elf_fail(elf, ret, "reserving [0x%llx, 0x%llx): %s%s",
				(unsigned long long)base, (unsigned long long)(base + span),
				strerror(-ret), ret == -EEXIST ? " (something is mapped there)" : "");
	}
	if ((uint64_t)(uintptr_t)m != base) {
		/* A kernel older than 4.17 took the flag as a mere hint. */
		munmap(m, span);
		return elf_fail(elf, -EEXIST, "reserving [0x%llx, 0x%llx): something is mapped there",
				(unsigned long long)base, (unsigned long long)(base + span));
	}
	for (k = 0; k < st->nload; k++) {
		const Elf64_Phdr *p = &st->ph[st->load[k]];

		ret = map_segment(elf, st->load[k], p, base + (p->p_vaddr - st->first));
		if (ret) {
			munmap((void *)base, span);
			return ret;
		}
	}

	out->base = base - st->first;	/* the load bias; wraps for ET_DYN linked high */
	out->lo = base;
	out->hi = base + span;
	out->entry = base + (st->eh.e_entry - st->first);
	out->phdr = st->have_phdr ? base + (st->phdr_vaddr - st->first) : 0;
	out->phnum = st->eh.e_phnum;
	out->phent = st->eh.e_phentsize;
	out->brk = out->hi;
	out->stack_exec = st->stack_exec;
	memcpy(out->interp, st->interp, sizeof(out->interp));
	elf->err[0] = '\0';
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
report(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int load_interp(struct dune_elf *ie, uintptr_t lo, uintptr_t hi,
		       const struct dune_elf_image *prog, struct dune_elf_image *out)
{
	const struct elf_state *st = ie->priv;
	int ret = -ERANGE;

	if (st->eh.e_type != ET_DYN)
		return elf_fail(ie, -ENOEXEC, "the interpreter is not ET_DYN");
	if (st->interp[0])
		return elf_fail(ie, -ENOEXEC, "the interpreter has a PT_INTERP (%s)", st->interp);
	/* Above the program with room for a brk heap, else right above it
	 * (one unmapped page between), else below it. */
	if (hi - prog->hi > ELF_INTERP_GAP)
		ret = dune_elf_load(ie, lo, hi, prog->hi + ELF_INTERP_GAP, out);
	if (ret == -ERANGE && hi - prog->hi > ELF_PG)
		ret = dune_elf_load(ie, lo, hi, prog->hi + ELF_PG, out);
	if (ret == -ERANGE && prog->lo - lo > ELF_PG)
		ret = dune_elf_load(ie, lo, prog->lo - ELF_PG, 0, out);
	if (ret == -ERANGE)
		elf_fail(ie, -ERANGE, "no room for the interpreter in [0x%llx, 0x%llx) around the program [0x%llx, 0x%llx)",
			 (unsigned long long)lo, (unsigned long long)hi,
			 (unsigned long long)prog->lo, (unsigned long long)prog->hi);
	return ret;
}

int dune_elf_load_program(const char *path, uintptr_t lo, uintptr_t hi,
			  struct dune_elf_image *prog, struct dune_elf_image *interp_out,
			  char *err, size_t errlen)
{
	struct dune_elf_image dummy;
	struct dune_elf pe, ie;
	int ret;

	report(err, errlen, "%s", "");
	if (!path || !prog) {
		report(err, errlen, "NULL path or image");
		return -EINVAL;
	}
	if (!interp_out)
		interp_out = &dummy;
	memset(prog, 0, sizeof(*prog));
	memset(interp_out, 0, sizeof(*interp_out));

	ret = dune_elf_open(&pe, path);
	if (!ret)
		ret = dune_elf_load(&pe, lo, hi, 0, prog);
	if (ret) {
		report(err, errlen, "%s: %s", path, pe.err);
		dune_elf_close(&pe);
		return ret;
	}
	dune_elf_close(&pe);
	if (!prog->interp[0])
		return 0;

	ret = dune_elf_open(&ie, prog->interp);
	if (!ret)
		ret = load_interp(&ie, lo, hi, prog, interp_out);
	if (ret) {
		report(err, errlen, "%s: interpreter %s: %s", path, prog->interp, ie.err);
		munmap((void *)prog->lo, prog->hi - prog->lo);
		memset(prog, 0, sizeof(*prog));
		memset(interp_out, 0, sizeof(*interp_out));
	}
	dune_elf_close(&ie);
	return ret;
}
