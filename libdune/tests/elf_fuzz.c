/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target of the ELF loader's validation (libdune/elf.c).
 *
 * Two builds of the same file:
 *   - libFuzzer (clang -fsanitize=fuzzer,address -DDUNE_LIBFUZZER):
 *     LLVMFuzzerTestOneInput() validates the bytes with dune_elf_open_mem()
 *     and, when they pass, checks what validation promises.
 *   - standalone (gcc, ASan + UBSan, prints TAP): a built-in seed corpus
 *     (images generated here, plus /bin/true and the dynamic loader when
 *     readable) and a deterministic mutation loop: bit flips, byte sets,
 *     "interesting" values, mutations aimed at the ELF and program header
 *     fields, header swaps and copies, truncation.  Options: -t SECONDS
 *     (default 15), -n ITERATIONS (default: unbounded, the time decides),
 *     -s SEED.  Any sanitizer report or broken invariant aborts the
 *     process, which is the failure.
 *
 * Each input is an exact-size heap copy, so that a read past its end is a
 * heap-buffer-overflow report.  Validation never maps anything; every
 * ~1000th valid input is also really loaded (dune_elf_load) into a scratch
 * range that this program keeps reserved, compared with its bytes, and
 * unmapped; the range must then be entirely free again.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libdune.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define PG		4096UL
#define SCRATCH_SIZE	(1UL << 30)
/* 80 TiB: user space, and outside ASan's shadow and allocator regions. */
#define SCRATCH_AT	0x500000000000UL
#define LOAD_EVERY	1000

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("elf_fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- the scratch range for real loads ---------------------------------- */

static uintptr_t scratch;
static unsigned long loads_tried, loads_mapped;

static void scratch_reserve(void)
{
	void *m;

	if (!scratch) {
		/* A fixed place when free (the ET_EXEC seeds are linked in
		 * it, so a fixed place keeps runs reproducible), else any. */
		m = mmap((void *)SCRATCH_AT, SCRATCH_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (m != (void *)SCRATCH_AT) {
			if (m != MAP_FAILED)
				munmap(m, SCRATCH_SIZE);
			m = mmap(NULL, SCRATCH_SIZE, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		}
		if (m == MAP_FAILED)
			fail("cannot reserve a scratch range: %s", strerror(errno));
		scratch = (uintptr_t)m;
		return;
	}
	/* Whatever a load did, the range must be free again. */
	m = mmap((void *)scratch, SCRATCH_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != (void *)scratch)
		fail("scratch range [0x%lx, +0x%lx) not free after a load (%s)",
		     scratch, SCRATCH_SIZE, m == MAP_FAILED ? strerror(errno) : "moved");
}

/* ---- what a validated image promises ----------------------------------- */

static void check_valid(const uint8_t *d, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
	const Elf64_Phdr *ph;
	uint64_t prev_end = 0;
	bool entry_ok = false, any_load = false;
	unsigned int i, ninterp = 0;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		fail("bad ELF header accepted");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > 256 ||
	    eh->e_phoff > len || eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		fail("bad program header table accepted");
	ph = (const Elf64_Phdr *)(d + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr p;

		memcpy(&p, &ph[i], sizeof(p));
		if (p.p_offset > len || p.p_filesz > len - p.p_offset)
			fail("phdr %u: file part beyond the image accepted", i);
		if (p.p_filesz > p.p_memsz)
			fail("phdr %u: p_filesz > p_memsz accepted", i);
		if (p.p_vaddr >= (1ULL << 47) || p.p_memsz > (1ULL << 47) - p.p_vaddr)
			fail("phdr %u: non-canonical segment accepted", i);
		if (p.p_type == PT_INTERP) {
			ninterp++;
			if (p.p_filesz < 2 || p.p_filesz > 256 || d[p.p_offset] != '/' ||
			    strnlen((const char *)d + p.p_offset, p.p_filesz) != p.p_filesz - 1)
				fail("phdr %u: bad PT_INTERP accepted", i);
		}
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		if (p.p_vaddr % PG != p.p_offset % PG)
			fail("phdr %u: misaligned PT_LOAD accepted", i);
		/* Sorted, and no page shared with the previous one. */
		if (any_load && (p.p_vaddr & ~(PG - 1)) < ((prev_end + PG - 1) & ~(PG - 1)))
			fail("phdr %u: unsorted or overlapping PT_LOAD accepted", i);
		if ((p.p_flags & PF_X) && eh->e_entry >= p.p_vaddr &&
		    eh->e_entry - p.p_vaddr < p.p_filesz)
			entry_ok = true;
		prev_end = p.p_vaddr + p.p_memsz;
		any_load = true;
	}
	if (ninterp > 1)
		fail("two PT_INTERP accepted");
	if (!any_load)
		fail("no PT_LOAD accepted");
	if (!entry_ok)
		fail("e_entry 0x%llx outside executable code accepted",
		     (unsigned long long)eh->e_entry);
}

/* Really load a validated image into the scratch range, compare. */
static void check_load(struct dune_elf *elf, const uint8_t *d, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
	struct dune_elf_image im;
	unsigned int i;
	int ret;

	if (eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) > len)	/* check_valid() ran */
		fail("program headers beyond the image");
	if (!scratch)
		scratch_reserve();
	munmap((void *)scratch, SCRATCH_SIZE);
	ret = dune_elf_load(elf, scratch, scratch + SCRATCH_SIZE, 0, &im);
	loads_tried++;
	if (ret == 0) {
		loads_mapped++;
		if (im.lo < scratch || im.hi > scratch + SCRATCH_SIZE || im.lo >= im.hi)
			fail("image [0x%lx, 0x%lx) outside the range", im.lo, im.hi);
		if (im.entry < im.lo || im.entry >= im.hi)
			fail("entry 0x%lx outside the image", im.entry);
		for (i = 0; i < eh->e_phnum; i++) {
			Elf64_Phdr p;
			const uint8_t *m;
			uint64_t z, zend;

			memcpy(&p, d + eh->e_phoff + i * sizeof(p), sizeof(p));
			/* Unreadable segments are PROT_NONE: not looked at. */
			if (p.p_type != PT_LOAD || !p.p_memsz || !(p.p_flags & PF_R))
				continue;
			m = (const uint8_t *)(im.base + p.p_vaddr);	/* bias may wrap */
			if (memcmp(m, d + p.p_offset, p.p_filesz))
				fail("phdr %u: loaded bytes differ from the image", i);
			/* The bss: its first and last bytes (a 1 TiB one is
			 * not read through). */
			z = p.p_filesz;
			zend = p.p_memsz - z > 2 * PG ? z + PG : p.p_memsz;
			for (; z < zend; z++)
				if (m[z])
					fail("phdr %u: bss byte +0x%llx not zero", i,
					     (unsigned long long)z);
			if (p.p_memsz > p.p_filesz && m[p.p_memsz - 1])
				fail("phdr %u: last bss byte not zero", i);
		}
		if (munmap((void *)im.lo, im.hi - im.lo))
			fail("munmap: %s", strerror(errno));
	} else if (ret != -ERANGE && ret != -ENOMEM) {
		/* Too big for the range, or for memory (a huge bss): fine.
		 * Anything else is a loader bug: the range was free. */
		fail("dune_elf_load: unexpected %d (%s)", ret, dune_elf_error(elf));
	}
	scratch_reserve();
}

static unsigned long valid_count;

static int one_input(const uint8_t *data, size_t size)
{
	struct dune_elf elf;
	int ret;

	ret = dune_elf_open_mem(&elf, data, size);
	if (ret == 0) {
		check_valid(data, size);
		if (++valid_count % LOAD_EVERY == 1)
			check_load(&elf, data, size);
		dune_elf_close(&elf);
		return 1;
	}
	if (ret != -ENOEXEC && ret != -ENOMEM)
		fail("dune_elf_open_mem: unexpected %d", ret);
	if (ret == -ENOEXEC && (!elf.err[0] || !memchr(elf.err, 0, sizeof(elf.err))))
		fail("refusal without a message");
	if (elf.priv || elf.buf)
		fail("a refused image left state behind");
	dune_elf_close(&elf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_input(data, size);
	return 0;
}

#ifndef DUNE_LIBFUZZER

/* ---- seeds ------------------------------------------------------------- */

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob seeds[16];
static unsigned int nseeds;

static void add_seed(const void *data, size_t len)
{
	struct blob *b = &seeds[nseeds++];
	struct dune_elf elf;

	b->data = malloc(len);
	if (!b->data)
		fail("out of memory");
	memcpy(b->data, data, len);
	b->len = len;
	if (dune_elf_open_mem(&elf, b->data, b->len))
		fail("seed %u is not valid: %s", nseeds - 1, dune_elf_error(&elf));
	dune_elf_close(&elf);
	one_input(b->data, b->len);
}

static void add_file_seed(const char *path)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &sb) || sb.st_size <= 0 || sb.st_size > (64 << 20)) {
		close(fd);
		return;
	}
	buf = malloc(sb.st_size);
	if (buf && read(fd, buf, sb.st_size) == sb.st_size)
		add_seed(buf, sb.st_size);
	free(buf);
	close(fd);
}

static void set_ph(Elf64_Phdr *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t va,
		   uint64_t filesz, uint64_t memsz, uint64_t align)
{
	*p = (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = va,
			   .p_paddr = va, .p_filesz = filesz, .p_memsz = memsz, .p_align = align };
}

/*
 * A small valid image: headers and code in an R+X segment, data + bss in an
 * RW one starting mid-page, optionally PT_INTERP, PT_TLS, PT_DYNAMIC,
 * PT_GNU_RELRO, and a section header table.
 */
static void gen_seed(int type, uint64_t vbase, bool interp, bool extras, bool sections)
{
	static const char ldso[] = "/lib64/ld-linux-x86-64.so.2";
	uint8_t buf[0x1400];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	Elf64_Shdr *sh;
	unsigned int n = 0;

	memset(buf, 0, sizeof(buf));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = extras ? ELFOSABI_GNU : ELFOSABI_SYSV;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = vbase + 0x300;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	set_ph(&ph[n++], PT_PHDR, PF_R, 0x40, vbase + 0x40, 0, 0, 8);
	if (interp) {
		memcpy(buf + 0x280, ldso, sizeof(ldso));
		set_ph(&ph[n++], PT_INTERP, PF_R, 0x280, vbase + 0x280, sizeof(ldso),
		       sizeof(ldso), 1);
	}
	set_ph(&ph[n++], PT_LOAD, PF_R | PF_X, 0, vbase, 0x400, 0x400, PG);
	set_ph(&ph[n++], PT_LOAD, PF_R | PF_W, 0x1100, vbase + 0x2100, 0x100, 0x3000, PG);
	if (extras) {
		set_ph(&ph[n++], PT_DYNAMIC, PF_R | PF_W, 0x1180, vbase + 0x2180, 0x40, 0x40, 8);
		set_ph(&ph[n++], PT_TLS, PF_R, 0x1140, vbase + 0x2140, 0x10, 0x100, 16);
		set_ph(&ph[n++], PT_GNU_RELRO, PF_R, 0x1100, vbase + 0x2100, 0x80, 0x80, 1);
		set_ph(&ph[n++], PT_GNU_EH_FRAME, PF_R, 0x340, vbase + 0x340, 0x20, 0x20, 4);
		set_ph(&ph[n++], PT_NOTE, PF_R, 0x360, vbase + 0x360, 0x20, 0x20, 4);
	}
	set_ph(&ph[n++], PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	ph[0].p_filesz = ph[0].p_memsz = n * sizeof(Elf64_Phdr);
	eh->e_phnum = n;
	/* mov eax, 60; xor edi, edi; syscall */
	memcpy(buf + 0x300, "\xb8\x3c\x00\x00\x00\x31\xff\x0f\x05", 9);
	memset(buf + 0x1100, 0x5a, 0x100);
	memset(buf + 0x1200, 0xee, 0x100);
	if (sections) {
		/* Two section headers at 0x1300: the null one and a
		 * .shstrtab-like one, e_shstrndx 1. */
		sh = (Elf64_Shdr *)(buf + 0x1300);
		sh[1].sh_type = SHT_STRTAB;
		sh[1].sh_offset = 0x1200;
		sh[1].sh_size = 0x10;
		eh->e_shoff = 0x1300;
		eh->e_shnum = 2;
		eh->e_shstrndx = 1;
	}
	add_seed(buf, sizeof(buf));
}

/* ---- mutations --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const uint64_t interesting[] = {
	0, 1, 2, 8, 0x38, 0x40, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0xffff,
	0x10000, 0x200000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7ffffffff000ULL, 0x800000000000ULL, 0x10000000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xfffffffffffff000ULL, 0xffffffffffffffffULL,
	0xfffffffffffffff8ULL,
};

static const uint32_t ptypes[] = {
	PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_SHLIB, PT_PHDR, PT_TLS,
	PT_GNU_EH_FRAME, PT_GNU_STACK, PT_GNU_RELRO, PT_GNU_PROPERTY, PT_LOOS, PT_HIPROC,
};

static void put(uint8_t *d, size_t len, uint64_t off, unsigned int width, uint64_t v)
{
	if (off > len || width > len - off)
		return;
	memcpy(d + off, &v, width);	/* little-endian */
}

static uint64_t get(const uint8_t *d, size_t len, uint64_t off, unsigned int width)
{
	uint64_t v = 0;

	if (off > len || width > len - off)
		return 0;
	memcpy(&v, d + off, width);
	return v;
}

/* A new value for a field holding @old, in an image of @len bytes. */
static uint64_t field_value(uint64_t old, size_t len)
{
	switch (below(8)) {
	case 0:
	case 1:
		return interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
	case 2:
		return old + 1 + below(16);
	case 3:
		return old - 1 - below(16);
	case 4:
		return old + (below(2) ? PG : -PG) * (1 + below(4));
	case 5:
		return len - below(64);
	case 6:
		return old ^ (1ULL << below(64));
	default:
		return rnd();
	}
}

/* ELF header fields: offset, width. */
static const uint8_t ehdr_fields[][2] = {
	{ EI_CLASS, 1 }, { EI_DATA, 1 }, { EI_VERSION, 1 }, { EI_OSABI, 1 },
	{ EI_ABIVERSION, 1 }, { EI_PAD, 1 }, { 16, 2 }, { 18, 2 }, { 20, 4 }, { 24, 8 },
	{ 32, 8 }, { 40, 8 }, { 48, 4 }, { 52, 2 }, { 54, 2 }, { 56, 2 }, { 58, 2 },
	{ 60, 2 }, { 62, 2 },
};

/* Program header fields. */
static const uint8_t phdr_fields[][2] = {
	{ 0, 4 }, { 4, 4 }, { 8, 8 }, { 16, 8 }, { 24, 8 }, { 32, 8 }, { 40, 8 }, { 48, 8 },
};

static void mutate(uint8_t *d, size_t *lenp)
{
	size_t len = *lenp;
	uint64_t phoff = get(d, len, 32, 8), off, v;
	unsigned int phnum = (unsigned int)get(d, len, 56, 2), i, j, w;
	uint8_t tmp[sizeof(Elf64_Phdr)];

	if (!len)
		return;
	if (phoff > len || phnum > 256)
		phnum = 0;
	switch (below(12)) {
	case 0:		/* bit flip */
		off = below(len);
		d[off] ^= 1u << below(8);
		break;
	case 1:		/* byte set, mostly in the headers */
		off = below(below(2) ? (len < 512 ? len : 512) : len);
		d[off] = (uint8_t)rnd();
		break;
	case 2:		/* an interesting value anywhere */
		w = 1u << below(4);
		put(d, len, below(len), w, interesting[below(sizeof(interesting) /
							     sizeof(interesting[0]))]);
		break;
	case 3:
	case 4:		/* an ELF header field */
		i = below(sizeof(ehdr_fields) / 2);
		v = get(d, len, ehdr_fields[i][0], ehdr_fields[i][1]);
		put(d, len, ehdr_fields[i][0], ehdr_fields[i][1], field_value(v, len));
		break;
	case 5:
	case 6:
	case 7:		/* a program header field */
		if (!phnum)
			break;
		i = below(phnum);
		j = below(sizeof(phdr_fields) / 2);
		off = phoff + i * sizeof(Elf64_Phdr) + phdr_fields[j][0];
		v = get(d, len, off, phdr_fields[j][1]);
		if (j == 0 && below(2))
			v = ptypes[below(sizeof(ptypes) / sizeof(ptypes[0]))];
		else
			v = field_value(v, len);
		put(d, len, off, phdr_fields[j][1], v);
		break;
	case 8:		/* swap or copy two program headers */
		if (phnum < 2 || phoff + phnum * sizeof(Elf64_Phdr) > len)
			break;
		i = below(phnum);
		j = below(phnum);
		memcpy(tmp, d + phoff + i * sizeof(tmp), sizeof(tmp));
		memcpy(d + phoff + i * sizeof(tmp), d + phoff + j * sizeof(tmp), sizeof(tmp));
		if (below(2))
			memcpy(d + phoff + j * sizeof(tmp), tmp, sizeof(tmp));
		break;
	case 9:		/* truncation */
		*lenp = below(2) ? below(len) : len - below(len < 64 ? len : 64);
		break;
	case 10:	/* e_phnum +- 1 */
		put(d, len, 56, 2, get(d, len, 56, 2) + (below(2) ? 1 : -1));
		break;
	default:	/* a run of random bytes */
		off = below(len);
		for (i = below(32); i && off < len; i--, off++)
			d[off] = (uint8_t)rnd();
		break;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Valid mutants are kept (a few) as further starting points. */
#define POOL	64
static struct blob pool[POOL];

int main(int argc, char **argv)
{
	double seconds = 15, start, elapsed;
	unsigned long long iters = 0, n, valid = 0, seed = 1;
	struct blob *from;
	uint8_t *d;
	size_t len;
	int opt, k, nm;

	while ((opt = getopt(argc, argv, "t:n:s:")) != -1) {
		switch (opt) {
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-t seconds] [-n iterations] [-s seed]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..1\n");
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (!rng_state)
		rng_state = 1;

	scratch_reserve();
	gen_seed(ET_DYN, 0, true, false, false);
	gen_seed(ET_DYN, 0, false, true, true);
	gen_seed(ET_DYN, 0x400000, true, true, false);
	/* Linked inside the scratch range: really loadable. */
	gen_seed(ET_EXEC, scratch + 0x100000, false, false, true);
	gen_seed(ET_EXEC, scratch + 0x200000, true, true, false);
	add_file_seed("/bin/true");
	add_file_seed("/lib64/ld-linux-x86-64.so.2");
	printf("# %u seeds, seed %llu, %g s, %llu iterations max\n", nseeds, seed, seconds, iters);

	start = now();
	for (n = 0; !iters || n < iters; n++) {
		if (!(n & 255) && now() - start >= seconds)
			break;
		k = below(nseeds + POOL);
		from = k < (int)nseeds ? &seeds[k] : &pool[k - nseeds];
		if (!from->data)
			from = &seeds[below(nseeds)];
		len = from->len;
		d = malloc(len ? len : 1);
		if (!d)
			fail("out of memory");
		memcpy(d, from->data, len);
		for (nm = 1 + below(4); nm; nm--)
			mutate(d, &len);
		if (len != from->len) {
			/* Exact size, so that ASan sees any read past the end. */
			uint8_t *t = malloc(len ? len : 1);

			if (!t)
				fail("out of memory");
			memcpy(t, d, len);
			free(d);
			d = t;
		}
		if (one_input(d, len)) {
			valid++;
			k = below(POOL);
			if (len <= 0x10000 && from != &pool[k]) {
				free(pool[k].data);
				pool[k].data = d;
				pool[k].len = len;
				d = NULL;
			}
		}
		free(d);
	}
	elapsed = now() - start;
	printf("ok 1 - elf_fuzz: %llu inputs in %.1f s, %llu valid, no crash\n", n, elapsed,
	       valid);
	printf("# %lu real loads, %lu mapped (the others did not fit the scratch range)\n",
	       loads_tried, loads_mapped);
	for (k = 0; k < POOL; k++)
		free(pool[k].data);
	for (k = 0; k < (int)nseeds; k++)
		free(seeds[k].data);
	munmap((void *)scratch, SCRATCH_SIZE);
	return 0;
}

#endif /* !DUNE_LIBFUZZER */
