/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side unit tests of the ELF loader (libdune/elf.c).
 *
 * Most tests use small images generated here (so they do not depend on the
 * machine): a text segment with the headers and a few instructions, a
 * data segment that starts mid-page, ends mid-page in the file (followed by
 * garbage bytes that must read as zero) and has bss over two more pages.
 * Its code exits with 42 only if the data, the zeroed bss and a write to
 * the bss all behave.  Then real binaries of the machine (/bin/true and
 * friends, with the real /lib64/ld-linux-x86-64.so.2) are loaded and run
 * through their interpreter on a stack built here.  Each malformed-image
 * case corrupts one field of a valid image and checks the refusal.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "libdune.h"
#include "../../test/harness.h"

#ifndef EXPECT_STREQ	/* older harness.h */
#define EXPECT_STREQ(a, b)                                                      \
	do { const char *a_ = (a), *b_ = (b);                                   \
	     if (strcmp(a_, b_)) HARNESS_FAIL(0, "expected %s == %s: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
	} while (0)
#endif

#define PG		4096UL
#define INTERP_GAP	(16UL << 20)	/* ELF_INTERP_GAP of elf.c */
#define LDSO		"/lib64/ld-linux-x86-64.so.2"

/* ---- generated images ------------------------------------------------- */

enum { PH_PHDR, PH_INTERP, PH_TEXT, PH_DATA, PH_STACK, NPH };

#define IMG_LEN		0x1400
#define TEXT_SIZE	0x400
#define INTERP_OFF	0x180
#define CODE_OFF	0x200
#define DATA_OFF	0x1100
#define DATA_VOFF	0x2100	/* from the link base */
#define DATA_FILESZ	0x100
#define DATA_MEMSZ	0x3000
#define SPAN		0x6000	/* PG_UP(DATA_VOFF + DATA_MEMSZ) */
#define DATA_WORD	35

/*
 * lea rsi, [rip + data]; edi = [rsi] (35) + [rsi + 0x100] (first bss byte,
 * garbage in the file) + [rsi + 0x2f00] (anonymous bss page); [rsi + 0x2000]
 * = 7; edi += [rsi + 0x2000]; exit(edi) -> 42.  Position independent.
 */
static const uint8_t code[] = {
	0x48, 0x8d, 0x35, 0xf9, 0x1e, 0x00, 0x00,		/* lea rsi, [rip+0x1ef9] */
	0x8b, 0x3e,						/* mov edi, [rsi] */
	0x03, 0xbe, 0x00, 0x01, 0x00, 0x00,			/* add edi, [rsi+0x100] */
	0x03, 0xbe, 0x00, 0x2f, 0x00, 0x00,			/* add edi, [rsi+0x2f00] */
	0xc7, 0x86, 0x00, 0x20, 0x00, 0x00, 0x07, 0, 0, 0,	/* mov dword [rsi+0x2000], 7 */
	0x03, 0xbe, 0x00, 0x20, 0x00, 0x00,			/* add edi, [rsi+0x2000] */
	0xb8, 0x3c, 0x00, 0x00, 0x00,				/* mov eax, 60 (exit) */
	0x0f, 0x05,						/* syscall */
	0x0f, 0x0b,						/* ud2 */
};

struct img {
	uint8_t buf[IMG_LEN];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint64_t vbase;		/* link address of the text segment */
};

static void set_ph(Elf64_Phdr *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t va,
		   uint64_t filesz, uint64_t memsz, uint64_t align)
{
	*p = (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = va,
			   .p_paddr = va, .p_filesz = filesz, .p_memsz = memsz, .p_align = align };
}

/* A valid image of @type linked at @vbase, with PT_INTERP @interp or none
 * (a PT_NULL in its slot). */
static void build(struct img *im, int type, uint64_t vbase, const char *interp)
{
	Elf64_Ehdr *eh;

	memset(im, 0, sizeof(*im));
	im->len = IMG_LEN;
	im->vbase = vbase;
	im->eh = eh = (Elf64_Ehdr *)im->buf;
	im->ph = (Elf64_Phdr *)(im->buf + sizeof(Elf64_Ehdr));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = vbase + CODE_OFF;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = NPH;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	set_ph(&im->ph[PH_PHDR], PT_PHDR, PF_R, sizeof(Elf64_Ehdr), vbase + sizeof(Elf64_Ehdr),
	       NPH * sizeof(Elf64_Phdr), NPH * sizeof(Elf64_Phdr), 8);
	if (interp) {
		strcpy((char *)im->buf + INTERP_OFF, interp);
		set_ph(&im->ph[PH_INTERP], PT_INTERP, PF_R, INTERP_OFF, vbase + INTERP_OFF,
		       strlen(interp) + 1, strlen(interp) + 1, 1);
	}
	set_ph(&im->ph[PH_TEXT], PT_LOAD, PF_R | PF_X, 0, vbase, TEXT_SIZE, TEXT_SIZE, PG);
	set_ph(&im->ph[PH_DATA], PT_LOAD, PF_R | PF_W, DATA_OFF, vbase + DATA_VOFF, DATA_FILESZ,
	       DATA_MEMSZ, PG);
	set_ph(&im->ph[PH_STACK], PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	memcpy(im->buf + CODE_OFF, code, sizeof(code));
	memset(im->buf + DATA_OFF, 0x5a, DATA_FILESZ);
	*(uint32_t *)(im->buf + DATA_OFF) = DATA_WORD;
	/* What follows the data in the file must not leak into the bss. */
	memset(im->buf + DATA_OFF + DATA_FILESZ, 0xee, IMG_LEN - DATA_OFF - DATA_FILESZ);
}

/*
 * A directory for temporary files that may be mapped PROT_EXEC (not on a
 * noexec mount), with a short absolute path (they are PT_INTERP strings).
 */
static const char *tmp_dir(void)
{
	static const char *const dirs[] = { "/tmp", "/var/tmp", "/dev/shm" };
	const char *env = getenv("TMPDIR");
	struct statvfs sv;
	size_t i;

	if (env && env[0] == '/' && strlen(env) < 32 && !statvfs(env, &sv) &&
	    !(sv.f_flag & ST_NOEXEC) && !access(env, W_OK))
		return env;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!statvfs(dirs[i], &sv) && !(sv.f_flag & ST_NOEXEC) && !access(dirs[i], W_OK))
			return dirs[i];
	return "/tmp";
}

/* A temporary file with @len bytes of @buf; its path in @path. */
static void write_tmp(const void *buf, size_t len, char path[64])
{
	int fd;

	snprintf(path, 64, "%s/elf_test.XXXXXX", tmp_dir());
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, buf, len), (ssize_t)len);
	ASSERT_EQ(close(fd), 0);
	ASSERT_EQ(chmod(path, 0755), 0);
}

/* ---- the address space ------------------------------------------------ */

/*
 * A free range of @size bytes aligned to @align: reserved and released at
 * once, to be used right away (nothing here allocates address space in
 * between).  Under ASan, the kernel's choice is outside the shadow.
 */
static uintptr_t free_range(size_t size, size_t align)
{
	void *m = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	uintptr_t a;

	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(munmap(m, size + align), 0);
	a = ((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1);
	return a;
}

/* The permissions ("r-xp") of the mapping holding @addr, or "" if none. */
static void maps_perm(uintptr_t addr, char perm[5])
{
	unsigned long s, e;
	char line[512], p[5];
	FILE *f = fopen("/proc/self/maps", "r");

	ASSERT_TRUE(f != NULL);
	perm[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &s, &e, p) != 3)
			continue;
		if (addr >= s && addr < e) {
			strcpy(perm, p);
			break;
		}
	}
	fclose(f);
}

/* Nothing at all mapped in [lo, hi)? */
static bool range_unmapped(uintptr_t lo, uintptr_t hi)
{
	unsigned long s, e;
	char line[512];
	bool free = true;
	FILE *f = fopen("/proc/self/maps", "r");

	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			free = false;
	fclose(f);
	return free;
}

#define EXPECT_PERM(addr, want)                                                 \
	do {                                                                    \
		char p_[5];                                                     \
		maps_perm((uintptr_t)(addr), p_);                               \
		if (strcmp(p_, want))                                           \
			HARNESS_FAIL(0, "page 0x%lx: perm \"%s\", expected \"%s\"", \
				     (unsigned long)(addr), p_, want);          \
	} while (0)

/* ---- checks of a loaded generated image --------------------------------- */

static void check_generated(const struct img *im, const struct dune_elf_image *out, uintptr_t at)
{
	const uint8_t *m = (const uint8_t *)at;
	size_t i;

	EXPECT_EQ(out->lo, at);
	EXPECT_EQ(out->hi, at + SPAN);
	EXPECT_EQ(out->base, im->eh->e_type == ET_EXEC ? 0 : at - im->vbase);
	EXPECT_EQ(out->entry, at + CODE_OFF);
	EXPECT_EQ(out->phdr, at + sizeof(Elf64_Ehdr));
	EXPECT_EQ(out->phnum, NPH);
	EXPECT_EQ(out->phent, sizeof(Elf64_Phdr));
	EXPECT_EQ(out->brk, at + SPAN);
	EXPECT_EQ(out->stack_exec, 0);
	/* Text: the file's first page (headers, code); the rest of the page
	 * is the file's too (beyond EOF of the segment, not bss: 0 here). */
	ASSERT_EQ(memcmp(m, im->buf, TEXT_SIZE), 0);
	ASSERT_EQ(memcmp((void *)out->phdr, im->ph, NPH * sizeof(Elf64_Phdr)), 0);
	/* Data, then bss zeroed: the partial page and the anonymous pages. */
	ASSERT_EQ(memcmp(m + DATA_VOFF, im->buf + DATA_OFF, DATA_FILESZ), 0);
	for (i = DATA_VOFF + DATA_FILESZ; i < DATA_VOFF + DATA_MEMSZ; i++)
		if (m[i])
			HARNESS_FAIL(1, "bss byte at +0x%zx is 0x%02x", i, m[i]);
	/* The rest of the last page is zero too (anonymous memory). */
	for (; i < SPAN; i++)
		if (m[i])
			HARNESS_FAIL(1, "byte after bss at +0x%zx is 0x%02x", i, m[i]);
	EXPECT_PERM(at, "r-xp");
	EXPECT_PERM(at + 0x1000, "---p");	/* the hole between the segments */
	EXPECT_PERM(at + 0x2000, "rw-p");
	EXPECT_PERM(at + 0x3000, "rw-p");
	EXPECT_PERM(at + 0x5000, "rw-p");
	EXPECT_TRUE(range_unmapped(at + SPAN, at + SPAN + PG));
	if (at >= PG)
		EXPECT_TRUE(range_unmapped(at - PG, at));
}

/* Run the loaded generated code in a child: it exits with 42 when the
 * data and bss are right. */
static void run_generated(uintptr_t entry)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		((void (*)(void))entry)();
		_exit(99);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 42);
}

static void unload(const struct dune_elf_image *out)
{
	ASSERT_EQ(munmap((void *)out->lo, out->hi - out->lo), 0);
	EXPECT_TRUE(range_unmapped(out->lo, out->hi));
}

TEST(generated_images_are_valid)
{
	struct dune_elf elf;
	struct img im;

	build(&im, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	EXPECT_STREQ(dune_elf_error(&elf), "");
	EXPECT_EQ(elf.fd, -1);
	EXPECT_TRUE(elf.buf == im.buf);
	EXPECT_EQ(elf.size, IMG_LEN);
	dune_elf_close(&elf);
	dune_elf_close(&elf);	/* idempotent */
	build(&im, ET_EXEC, 0x400000, LDSO);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	dune_elf_close(&elf);
}

TEST(load_mem_dyn)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(64 << 20, PG);

	build(&im, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (64 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	check_generated(&im, &out, lo);
	EXPECT_STREQ(out.interp, "");
	run_generated(out.entry);
	unload(&out);
}

TEST(load_file_dyn)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	char path[64];
	uintptr_t lo;

	build(&im, ET_DYN, 0, LDSO);
	write_tmp(im.buf, im.len, path);
	ASSERT_EQ(dune_elf_open(&elf, path), 0);
	unlink(path);
	ASSERT_GE(elf.fd, 0);
	EXPECT_EQ(elf.size, IMG_LEN);
	ASSERT_EQ(memcmp(elf.buf, im.buf, sizeof(Elf64_Ehdr)), 0);
	lo = free_range(64 << 20, PG);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (64 << 20), 0, &out), 0);
	check_generated(&im, &out, lo);
	EXPECT_STREQ(out.interp, LDSO);
	run_generated(out.entry);
	unload(&out);
	/* The same open file loads again, elsewhere. */
	lo = free_range(64 << 20, PG);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (64 << 20), lo + 0x100000, &out), 0);
	check_generated(&im, &out, lo + 0x100000);
	unload(&out);
	dune_elf_close(&elf);
	EXPECT_EQ(elf.fd, -1);
}

TEST(load_exec_at_link_address)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	char path[64];
	uintptr_t v = free_range(4 << 20, 2 << 20);

	build(&im, ET_EXEC, v + 0x100000, NULL);
	write_tmp(im.buf, im.len, path);
	ASSERT_EQ(dune_elf_open(&elf, path), 0);
	unlink(path);
	ASSERT_EQ(dune_elf_load(&elf, v, v + (4 << 20), v + 0x200000 /* ignored */, &out), 0);
	dune_elf_close(&elf);
	check_generated(&im, &out, v + 0x100000);
	run_generated(out.entry);
	unload(&out);
}

TEST(load_exec_from_mem)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t v = free_range(4 << 20, 2 << 20);

	build(&im, ET_EXEC, v, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	/* Exactly the span is enough. */
	ASSERT_EQ(dune_elf_load(&elf, v, v + SPAN, 0, &out), 0);
	dune_elf_close(&elf);
	check_generated(&im, &out, v);
	run_generated(out.entry);
	unload(&out);
}

TEST(dyn_placement_hint)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG), hi = lo + (16 << 20);

	build(&im, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	/* An unaligned hint: the next page. */
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, lo + 0x12345, &out), 0);
	EXPECT_EQ(out.lo, lo + 0x13000);
	EXPECT_EQ(out.entry, lo + 0x13000 + CODE_OFF);
	unload(&out);
	/* A hint below the range: lo. */
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, lo - 0x100000, &out), 0);
	EXPECT_EQ(out.lo, lo);
	unload(&out);
	/* The highest base that fits. */
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, hi - SPAN, &out), 0);
	EXPECT_EQ(out.hi, hi);
	unload(&out);
	/* One page higher does not fit. */
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, hi - SPAN + 1, &out), -ERANGE);
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, hi, &out), -ERANGE);
	ASSERT_EQ(dune_elf_load(&elf, lo, hi, UINTPTR_MAX, &out), -ERANGE);
	diag("%s", dune_elf_error(&elf));
	EXPECT_TRUE(range_unmapped(lo, hi));
	dune_elf_close(&elf);
}

TEST(dyn_linked_high)
{
	/* An ET_DYN whose first segment is not at 0 (prelinked style): the
	 * bias is base - first page, entry and phdr follow. */
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);

	build(&im, ET_DYN, 0x7000000000, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.base, lo - 0x7000000000);
	check_generated(&im, &out, lo);
	run_generated(out.entry);
	unload(&out);
}

TEST(erange_and_einval)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t v = free_range(4 << 20, 2 << 20);

	build(&im, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	EXPECT_EQ(dune_elf_load(&elf, v, v + SPAN - PG, 0, &out), -ERANGE);
	diag("%s", dune_elf_error(&elf));
	/* dune_elf_fits() answers the same, mapping nothing. */
	EXPECT_EQ(dune_elf_fits(&elf, v, v + SPAN - PG, 0), -ERANGE);
	EXPECT_EQ(dune_elf_fits(&elf, v, v + SPAN, 0), 0);
	EXPECT_EQ(dune_elf_fits(&elf, v, v + SPAN, v + PG), -ERANGE);
	EXPECT_EQ(dune_elf_fits(&elf, v, v, 0), -EINVAL);
	EXPECT_TRUE(range_unmapped(v, v + (4 << 20)));
	EXPECT_EQ(dune_elf_load(&elf, v, v, 0, &out), -EINVAL);
	EXPECT_EQ(dune_elf_load(&elf, v + 1, v + SPAN * 2, 0, &out), -EINVAL);
	EXPECT_EQ(dune_elf_load(&elf, v, v + SPAN * 2 + 1, 0, &out), -EINVAL);
	EXPECT_EQ(dune_elf_load(&elf, v, (1UL << 47) + PG, 0, &out), -EINVAL);
	EXPECT_EQ(dune_elf_load(&elf, v, v + SPAN, 0, NULL), -EINVAL);
	dune_elf_close(&elf);
	/* Not validated (closed, or a failed open): refused. */
	EXPECT_EQ(dune_elf_load(&elf, v, v + SPAN, 0, &out), -EINVAL);

	build(&im, ET_EXEC, v + 0x100000, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	/* The range must hold the link addresses: one page short either end. */
	EXPECT_EQ(dune_elf_load(&elf, v + 0x101000, v + (4 << 20), 0, &out), -ERANGE);
	diag("%s", dune_elf_error(&elf));
	EXPECT_EQ(dune_elf_load(&elf, v, v + 0x100000 + SPAN - PG, 0, &out), -ERANGE);
	EXPECT_EQ(dune_elf_load(&elf, v + 0x200000, v + (4 << 20), 0, &out), -ERANGE);
	EXPECT_EQ(dune_elf_fits(&elf, v + 0x101000, v + (4 << 20), 0), -ERANGE);
	EXPECT_EQ(dune_elf_fits(&elf, v, v + (4 << 20), 0), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(dune_elf_fits(&elf, v, v + (4 << 20), 0), -EINVAL);	/* closed */
	EXPECT_TRUE(range_unmapped(v, v + (4 << 20)));
}

TEST(eexist_when_occupied)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);
	uint8_t *busy;

	/* A page of someone else's where the hole between the segments
	 * would be: it must survive, and nothing else may stay mapped. */
	busy = mmap((void *)(lo + 0x1000), PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_TRUE(busy == (void *)(lo + 0x1000));
	memset(busy, 0xab, PG);
	build(&im, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	EXPECT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), -EEXIST);
	diag("%s", dune_elf_error(&elf));
	EXPECT_EQ(busy[0], 0xab);
	EXPECT_EQ(busy[PG - 1], 0xab);
	EXPECT_PERM(lo + 0x1000, "rw-p");
	EXPECT_TRUE(range_unmapped(lo, lo + 0x1000));
	EXPECT_TRUE(range_unmapped(lo + 0x2000, lo + (16 << 20)));
	/* Above the page: it loads. */
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), lo + 0x2000, &out), 0);
	EXPECT_PERM(lo + 0x1000, "rw-p");
	munmap(busy, PG);
	check_generated(&im, &out, lo + 0x2000);
	unload(&out);

	/* Same for an ET_EXEC over its last page. */
	build(&im, ET_EXEC, lo, NULL);
	busy = mmap((void *)(lo + SPAN - PG), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_TRUE(busy == (void *)(lo + SPAN - PG));
	dune_elf_close(&elf);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	EXPECT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), -EEXIST);
	EXPECT_TRUE(range_unmapped(lo, lo + SPAN - PG));
	EXPECT_PERM(lo + SPAN - PG, "r--p");
	munmap(busy, PG);
	dune_elf_close(&elf);
}

TEST(failure_midway_unmaps_everything)
{
	/* A segment whose mmap fails after the reservation and the first
	 * segment succeeded (bss larger than memory can hold: ENOMEM under
	 * overcommit heuristics, or PROT_EXEC refused...): nothing stays. */
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	char path[64];
	uintptr_t lo;
	int ret;

	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_DATA].p_memsz = 1ULL << 39;	/* 512 GiB of bss */
	write_tmp(im.buf, im.len, path);
	ASSERT_EQ(dune_elf_open(&elf, path), 0);
	unlink(path);
	lo = free_range((1UL << 39) + (1 << 20), PG);
	ret = dune_elf_load(&elf, lo, lo + (1UL << 39) + (1 << 20), 0, &out);
	if (ret == 0) {
		/* The kernel took it (overcommit_memory=1): still a valid
		 * load; the text is there. */
		EXPECT_EQ(memcmp((void *)out.lo, im.buf, TEXT_SIZE), 0);
		unload(&out);
	} else {
		diag("%d: %s", ret, dune_elf_error(&elf));
		EXPECT_EQ(ret, -ENOMEM);
	}
	EXPECT_TRUE(range_unmapped(lo, lo + (1UL << 39) + (1 << 20)));
	dune_elf_close(&elf);
}

TEST(stack_exec_and_wx)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);

	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_STACK].p_flags = PF_R | PF_W | PF_X;
	im.ph[PH_DATA].p_flags = PF_R | PF_W | PF_X;	/* W+X: allowed */
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.stack_exec, 1);
	EXPECT_PERM(lo + 0x2000, "rwxp");
	EXPECT_PERM(lo + 0x5000, "rwxp");
	run_generated(out.entry);
	unload(&out);

	/* No PT_GNU_STACK: a non-executable stack.  A segment without any
	 * permission maps PROT_NONE. */
	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_STACK].p_type = PT_NULL;
	im.ph[PH_DATA].p_flags = 0;
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.stack_exec, 0);
	EXPECT_PERM(lo + 0x2000, "---p");
	EXPECT_PERM(lo + 0x5000, "---p");
	unload(&out);
}

TEST(read_only_segment_with_bss)
{
	/* A read-only segment whose file part ends mid-page and has bss:
	 * the tail of the page must still be zeroed, then made read-only. */
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	char path[64];
	uintptr_t lo = free_range(16 << 20, PG);
	const uint8_t *m;
	size_t i;

	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_DATA].p_flags = PF_R;
	write_tmp(im.buf, im.len, path);
	ASSERT_EQ(dune_elf_open(&elf, path), 0);
	unlink(path);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	m = (const uint8_t *)lo;
	ASSERT_EQ(memcmp(m + DATA_VOFF, im.buf + DATA_OFF, DATA_FILESZ), 0);
	for (i = DATA_VOFF + DATA_FILESZ; i < SPAN; i++)
		if (m[i])
			HARNESS_FAIL(1, "bss byte at +0x%zx is 0x%02x", i, m[i]);
	EXPECT_PERM(lo + 0x2000, "r--p");
	EXPECT_PERM(lo + 0x4000, "r--p");
	unload(&out);
}

TEST(phdr_without_pt_phdr)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);

	/* Found in the PT_LOAD that maps e_phoff. */
	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_PHDR].p_type = PT_NULL;
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.phdr, lo + sizeof(Elf64_Ehdr));
	unload(&out);

	/* A table no segment maps (moved to the garbage after the data):
	 * AT_PHDR 0. */
	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_PHDR].p_type = PT_NULL;
	memcpy(im.buf + 0x1200, im.ph, NPH * sizeof(Elf64_Phdr));
	im.eh->e_phoff = 0x1200;
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.phdr, 0);
	EXPECT_EQ(out.phnum, NPH);
	unload(&out);

	/* In the data segment, after other data: the right address. */
	build(&im, ET_DYN, 0, NULL);
	im.ph[PH_PHDR].p_type = PT_NULL;
	im.ph[PH_DATA].p_filesz = 0x300;
	memcpy(im.buf + 0x1200, im.ph, NPH * sizeof(Elf64_Phdr));
	im.eh->e_phoff = 0x1200;
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.phdr, lo + 0x2200);
	EXPECT_EQ(memcmp((void *)out.phdr, im.buf + 0x1200, NPH * sizeof(Elf64_Phdr)), 0);
	unload(&out);
}

TEST(empty_load_and_unknown_types_ignored)
{
	struct dune_elf_image out;
	struct dune_elf elf;
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);

	/* A PT_LOAD of size 0 (even out of order) and a vendor type. */
	build(&im, ET_DYN, 0, NULL);
	set_ph(&im.ph[PH_STACK], PT_LOAD, PF_R, 0, 0x100000, 0, 0, PG);
	set_ph(&im.ph[PH_INTERP], PT_LOOS + 0x1234, PF_R, 0x10, 0x10, 0x10, 0x10, 1);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (16 << 20), 0, &out), 0);
	dune_elf_close(&elf);
	EXPECT_EQ(out.hi, lo + SPAN);
	unload(&out);
}

TEST(open_errors)
{
	struct dune_elf elf;

	EXPECT_EQ(dune_elf_open(&elf, "/nonexistent/elf"), -ENOENT);
	diag("%s", dune_elf_error(&elf));
	EXPECT_EQ(elf.fd, -1);
	EXPECT_EQ(dune_elf_open(&elf, "/"), -EACCES);
	EXPECT_EQ(dune_elf_open(&elf, "/dev/null"), -EACCES);
	{
		/* A FIFO without a writer: refused, not waited on. */
		char fifo[64];

		snprintf(fifo, sizeof(fifo), "%s/elf_test.fifo.%d", tmp_dir(), (int)getpid());
		ASSERT_EQ(mkfifo(fifo, 0600), 0);
		EXPECT_EQ(dune_elf_open(&elf, fifo), -EACCES);
		unlink(fifo);
	}
	EXPECT_EQ(dune_elf_open(&elf, NULL), -EINVAL);
	EXPECT_EQ(dune_elf_open(NULL, "/bin/true"), -EINVAL);
	EXPECT_EQ(dune_elf_open_mem(&elf, NULL, 0), -ENOEXEC);
	EXPECT_EQ(dune_elf_open_mem(&elf, NULL, 10), -EINVAL);
	dune_elf_close(&elf);
	dune_elf_close(NULL);
	EXPECT_STREQ(dune_elf_error(NULL), "");
}

/* ---- malformed images: one case per rule ------------------------------- */

/*
 * Corrupt a valid ET_DYN (with PT_INTERP) with @mutate: dune_elf_open_mem
 * and dune_elf_open must both refuse it with -ENOEXEC and a message
 * containing @what, and hold nothing afterwards.
 */
static void check_refused(void (*mutate)(struct img *), const char *what)
{
	struct dune_elf elf;
	struct img im;
	char path[64], err[sizeof(elf.err)];

	build(&im, ET_DYN, 0, LDSO);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	dune_elf_close(&elf);
	mutate(&im);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), -ENOEXEC);
	diag("%s", dune_elf_error(&elf));
	if (!strstr(dune_elf_error(&elf), what))
		HARNESS_FAIL(1, "message \"%s\" does not say \"%s\"", elf.err, what);
	EXPECT_TRUE(elf.priv == NULL);
	EXPECT_TRUE(elf.buf == NULL);
	strcpy(err, elf.err);
	dune_elf_close(&elf);

	write_tmp(im.buf, im.len, path);
	ASSERT_EQ(dune_elf_open(&elf, path), -ENOEXEC);
	unlink(path);
	EXPECT_STREQ(elf.err, err);
	EXPECT_EQ(elf.fd, -1);
	EXPECT_TRUE(elf.priv == NULL);
	dune_elf_close(&elf);
}

#define REFUSE(name, what, ...)                                                 \
	static void mutate_##name(struct img *im)                               \
	{                                                                       \
		Elf64_Ehdr *E = im->eh;                                         \
		Elf64_Phdr *P = im->ph;                                         \
		(void)E;                                                        \
		(void)P;                                                        \
		__VA_ARGS__;                                                    \
	}                                                                       \
	TEST(refuse_##name) { check_refused(mutate_##name, what); }

/* ELF header */
REFUSE(short_file, "too short", im->len = sizeof(Elf64_Ehdr) - 1)
REFUSE(empty_file, "too short", im->len = 0)
REFUSE(magic, "bad magic", E->e_ident[EI_MAG2] = 'X')
REFUSE(class32, "EI_CLASS 1", E->e_ident[EI_CLASS] = ELFCLASS32)
REFUSE(class_none, "EI_CLASS 0", E->e_ident[EI_CLASS] = ELFCLASSNONE)
REFUSE(big_endian, "EI_DATA 2", E->e_ident[EI_DATA] = ELFDATA2MSB)
REFUSE(ident_version, "EI_VERSION 0", E->e_ident[EI_VERSION] = EV_NONE)
REFUSE(osabi, "EI_OSABI 9", E->e_ident[EI_OSABI] = ELFOSABI_FREEBSD)
REFUSE(abiversion, "EI_ABIVERSION 1", E->e_ident[EI_ABIVERSION] = 1)
REFUSE(gnu_abiversion, "EI_ABIVERSION 200",
       E->e_ident[EI_OSABI] = ELFOSABI_GNU; E->e_ident[EI_ABIVERSION] = 200)
REFUSE(ident_padding, "e_ident[15] padding", E->e_ident[15] = 1)
REFUSE(type_rel, "e_type 1", E->e_type = ET_REL)
REFUSE(type_core, "e_type 4", E->e_type = ET_CORE)
REFUSE(type_none, "e_type 0", E->e_type = ET_NONE)
REFUSE(machine, "e_machine 3", E->e_machine = EM_386)
REFUSE(version, "e_version 2", E->e_version = 2)
REFUSE(flags, "e_flags 0x1", E->e_flags = 1)
REFUSE(ehsize, "e_ehsize 52", E->e_ehsize = 52)
REFUSE(phentsize, "e_phentsize 32", E->e_phentsize = 32)
REFUSE(phnum_zero, "e_phnum 0", E->e_phnum = 0)
REFUSE(phnum_xnum, "PN_XNUM", E->e_phnum = PN_XNUM)
REFUSE(phnum_too_many, "e_phnum 257", E->e_phnum = 257)
REFUSE(phoff_in_ehdr, "overlaps the ELF header", E->e_phoff = 8)
REFUSE(phoff_unaligned, "not 8-byte aligned", E->e_phoff = 0x44)
REFUSE(phoff_beyond, "program headers [0x13f8", E->e_phoff = IMG_LEN - 8)
REFUSE(phoff_overflow, "beyond the file", E->e_phoff = 0xfffffffffffffff8ULL)
REFUSE(phnum_beyond, "beyond the file", E->e_phnum = 100)
REFUSE(shnum_without_shoff, "without section headers", E->e_shnum = 3)
REFUSE(shstrndx_without_shoff, "without section headers", E->e_shstrndx = 1)
REFUSE(shentsize, "e_shentsize 40",
       E->e_shoff = 0x1200; E->e_shnum = 1; E->e_shentsize = 40)
REFUSE(shoff_beyond, "section headers [0x13e0",
       E->e_shoff = IMG_LEN - 32; E->e_shnum = 1)
REFUSE(shoff_overflow, "section headers",
       E->e_shoff = 0xffffffffffffffc0ULL; E->e_shnum = 2)
REFUSE(shnum_beyond, "section headers", E->e_shoff = 0x1200; E->e_shnum = 9)
REFUSE(shstrndx, "e_shstrndx 5", E->e_shoff = 0x1200; E->e_shnum = 2; E->e_shstrndx = 5)
/* Program headers, any type */
REFUSE(offset_beyond, "program header 3: p_offset 0x1100 + p_filesz 0x1000 beyond the file",
       P[PH_DATA].p_filesz = 0x1000)
REFUSE(offset_overflow, "program header 3: p_offset 0xfffffffffffff100",
       P[PH_DATA].p_offset = 0xfffffffffffff100ULL)
REFUSE(note_beyond, "program header 4: p_offset", P[PH_STACK].p_type = PT_NOTE;
       P[PH_STACK].p_offset = IMG_LEN; P[PH_STACK].p_filesz = 1; P[PH_STACK].p_memsz = 1)
REFUSE(filesz_gt_memsz, "program header 3: p_filesz 0x100 > p_memsz 0x80",
       P[PH_DATA].p_memsz = 0x80)
REFUSE(vaddr_upper_half, "beyond the lower half", P[PH_DATA].p_vaddr = 0xffff800000002100ULL)
REFUSE(vaddr_noncanonical, "beyond the lower half", P[PH_DATA].p_vaddr = 0x800000002100ULL)
REFUSE(vaddr_end_noncanonical, "beyond the lower half",
       P[PH_DATA].p_vaddr = 0x7ffffffff100ULL)
REFUSE(vaddr_overflow, "beyond the lower half", P[PH_DATA].p_memsz = 0xfffffffffffff000ULL)
REFUSE(align_not_pow2, "p_align 0x3000 is not a power of two", P[PH_TEXT].p_align = 0x3000)
REFUSE(stack_align, "program header 4: p_align", P[PH_STACK].p_align = 24)
/* PT_LOAD */
REFUSE(load_flags, "bits other than R/W/X", P[PH_TEXT].p_flags |= 0x100000)
REFUSE(vaddr_offset_page, "differ modulo the page size", P[PH_DATA].p_vaddr += 8)
REFUSE(vaddr_offset_align, "differ modulo p_align", P[PH_DATA].p_align = 0x200000)
REFUSE(unsorted, "not sorted", Elf64_Phdr t = P[PH_TEXT]; P[PH_TEXT] = P[PH_DATA];
       P[PH_DATA] = t)
REFUSE(overlap, "overlaps program header 2", P[PH_DATA].p_vaddr = 0x100)
REFUSE(share_page, "shares a page with program header 2", P[PH_TEXT].p_memsz = 0x2010)
REFUSE(span_too_big, "larger than 1 TiB", P[PH_DATA].p_memsz = 1ULL << 41)
REFUSE(no_load, "no PT_LOAD", P[PH_TEXT].p_type = PT_NULL; P[PH_DATA].p_type = PT_NULL)
REFUSE(only_empty_loads, "no PT_LOAD",
       P[PH_TEXT].p_memsz = P[PH_TEXT].p_filesz = 0; P[PH_DATA].p_memsz = P[PH_DATA].p_filesz = 0)
/* e_entry */
REFUSE(entry_outside, "e_entry 0x10000", E->e_entry = 0x10000)
REFUSE(entry_not_exec, "e_entry 0x2100", E->e_entry = DATA_VOFF)
REFUSE(entry_in_bss, "e_entry 0x2300",
       P[PH_DATA].p_flags |= PF_X; E->e_entry = DATA_VOFF + 0x200)
REFUSE(entry_zero_nx_text, "e_entry 0x200", P[PH_TEXT].p_flags = PF_R)
/* PT_INTERP */
REFUSE(interp_twice, "a second PT_INTERP", P[PH_STACK] = P[PH_INTERP])
REFUSE(interp_too_long, "PT_INTERP p_filesz 300", P[PH_INTERP].p_filesz = 300;
       P[PH_INTERP].p_memsz = 300)
REFUSE(interp_too_short, "PT_INTERP p_filesz 1", P[PH_INTERP].p_filesz = 1)
REFUSE(interp_not_terminated, "not NUL-terminated",
       im->buf[INTERP_OFF + sizeof(LDSO) - 1] = 'x')
REFUSE(interp_inner_nul, "NUL inside", im->buf[INTERP_OFF + 5] = 0)
REFUSE(interp_relative, "not absolute", im->buf[INTERP_OFF] = 'l')
REFUSE(interp_beyond, "program header 1: p_offset", P[PH_INTERP].p_offset = IMG_LEN - 4)
/* PT_PHDR and placement of the segments the program reads */
REFUSE(phdr_twice, "a second PT_PHDR", P[PH_STACK] = P[PH_PHDR])
REFUSE(phdr_size, "is not the program header table", P[PH_PHDR].p_filesz -= 56)
REFUSE(phdr_offset, "is not the program header table", P[PH_PHDR].p_offset = 0x48)
REFUSE(phdr_not_loaded, "PT_PHDR at 0x3000 is not loaded", P[PH_PHDR].p_vaddr = 0x3000;
       P[PH_PHDR].p_memsz = P[PH_PHDR].p_filesz)
REFUSE(phdr_vaddr_mismatch, "PT_PHDR at 0x48 is not loaded", P[PH_PHDR].p_vaddr = 0x48)
REFUSE(dynamic_outside, "type 0x2 at 0x10000 is not inside a PT_LOAD",
       set_ph(&P[PH_STACK], PT_DYNAMIC, PF_R | PF_W, 0x1100, 0x10000, 0x10, 0x10, 8))
REFUSE(dynamic_into_bss, "type 0x2 at 0x2100 is not inside a PT_LOAD",
       set_ph(&P[PH_STACK], PT_DYNAMIC, PF_R | PF_W, 0x1100, 0x2100, 0x200, 0x200, 8))
REFUSE(eh_frame_outside, "type 0x6474e550",
       set_ph(&P[PH_STACK], PT_GNU_EH_FRAME, PF_R, 0x200, 0x9200, 0x10, 0x10, 4))
REFUSE(tls_outside, "PT_TLS image at 0x10000",
       set_ph(&P[PH_STACK], PT_TLS, PF_R, 0x1100, 0x10000, 0x10, 0x20, 8))
REFUSE(relro_outside, "PT_GNU_RELRO",
       set_ph(&P[PH_STACK], PT_GNU_RELRO, PF_R, 0x300, 0x5100, 0x1000, 0x1000, 1))

/* What is fine: a .tbss-only PT_TLS may point anywhere (Go, nvcc...). */
TEST(tbss_only_tls_anywhere)
{
	struct dune_elf elf;
	struct img im;

	build(&im, ET_DYN, 0, NULL);
	set_ph(&im.ph[PH_STACK], PT_TLS, PF_R, 0x13ff, 0x9999, 0, 0x20, 8);
	ASSERT_EQ(dune_elf_open_mem(&elf, im.buf, im.len), 0);
	dune_elf_close(&elf);
}

/* ---- dune_elf_load_program with generated files ------------------------ */

struct prog_files {
	char prog[64], interp[64];
};

/* A program (@type at @vbase) whose interpreter is a generated ET_DYN
 * (mutated by @fix, if given). */
static void make_prog(struct prog_files *f, int type, uint64_t vbase, void (*fix)(struct img *))
{
	struct img pi, ii;

	build(&ii, ET_DYN, 0, NULL);
	if (fix)
		fix(&ii);
	write_tmp(ii.buf, ii.len, f->interp);
	build(&pi, type, vbase, f->interp);
	write_tmp(pi.buf, pi.len, f->prog);
}

static void remove_prog(struct prog_files *f)
{
	unlink(f->prog);
	unlink(f->interp);
}

TEST(program_with_generated_interp)
{
	struct dune_elf_image prog, interp;
	struct prog_files f;
	char err[256];
	struct img ref;
	uintptr_t lo = free_range(256 << 20, PG), hi = lo + (256 << 20);

	make_prog(&f, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_load_program(f.prog, lo, hi, &prog, &interp, err, sizeof(err)), 0);
	remove_prog(&f);
	EXPECT_STREQ(err, "");
	build(&ref, ET_DYN, 0, f.interp);
	check_generated(&ref, &prog, lo);
	EXPECT_STREQ(prog.interp, f.interp);
	/* The interpreter above the program, with room for a brk heap. */
	build(&ref, ET_DYN, 0, NULL);
	check_generated(&ref, &interp, prog.hi + INTERP_GAP);
	EXPECT_STREQ(interp.interp, "");
	run_generated(interp.entry);
	unload(&prog);
	unload(&interp);

	/* A tight range: right above the program (one page between). */
	make_prog(&f, ET_DYN, 0, NULL);
	ASSERT_EQ(dune_elf_load_program(f.prog, lo, lo + 3 * SPAN, &prog, &interp, err,
					sizeof(err)), 0);
	EXPECT_EQ(interp.lo, prog.hi + PG);
	unload(&prog);
	unload(&interp);

	/* Too tight for both: -ERANGE, and the program is gone again. */
	EXPECT_EQ(dune_elf_load_program(f.prog, lo, lo + 2 * SPAN, &prog, &interp, err,
					sizeof(err)), -ERANGE);
	diag("%s", err);
	EXPECT_TRUE(strstr(err, "no room for the interpreter") != NULL);
	EXPECT_EQ(prog.lo, 0);
	EXPECT_EQ(interp.lo, 0);
	EXPECT_TRUE(range_unmapped(lo, hi));
	remove_prog(&f);

	/* An ET_EXEC at the top of the range: the interpreter goes below. */
	make_prog(&f, ET_EXEC, lo + 0x100000, NULL);
	ASSERT_EQ(dune_elf_load_program(f.prog, lo, lo + 0x100000 + SPAN, &prog, &interp, err,
					sizeof(err)), 0);
	remove_prog(&f);
	EXPECT_EQ(prog.lo, lo + 0x100000);
	EXPECT_EQ(interp.lo, lo);
	run_generated(prog.entry);
	unload(&prog);
	unload(&interp);
}

TEST(program_without_interp)
{
	struct dune_elf_image prog, interp;
	char path[64], err[256];
	struct img im;
	uintptr_t lo = free_range(16 << 20, PG);

	build(&im, ET_DYN, 0, NULL);
	write_tmp(im.buf, im.len, path);
	memset(&interp, 0x55, sizeof(interp));
	ASSERT_EQ(dune_elf_load_program(path, lo, lo + (16 << 20), &prog, &interp, err,
					sizeof(err)), 0);
	unlink(path);
	EXPECT_EQ(interp.base, 0);
	EXPECT_EQ(interp.entry, 0);
	EXPECT_EQ(interp.lo, 0);
	check_generated(&im, &prog, lo);
	unload(&prog);
}

static void fix_make_exec(struct img *im)
{
	im->eh->e_type = ET_EXEC;
	im->eh->e_entry += 0x7000000000;
	im->ph[PH_TEXT].p_vaddr += 0x7000000000;
	im->ph[PH_DATA].p_vaddr += 0x7000000000;
	im->ph[PH_PHDR].p_vaddr += 0x7000000000;
}

static void fix_add_interp(struct img *im)
{
	strcpy((char *)im->buf + INTERP_OFF, LDSO);
	set_ph(&im->ph[PH_INTERP], PT_INTERP, PF_R, INTERP_OFF, INTERP_OFF, sizeof(LDSO),
	       sizeof(LDSO), 1);
}

static void fix_corrupt(struct img *im)
{
	im->ph[PH_DATA].p_memsz = 1;
}

static void check_interp_refused(void (*fix)(struct img *), int want, const char *what)
{
	struct dune_elf_image prog, interp;
	struct prog_files f;
	char err[256];
	uintptr_t lo = free_range(64 << 20, PG);

	make_prog(&f, ET_DYN, 0, fix);
	if (!fix)
		unlink(f.interp);
	EXPECT_EQ(dune_elf_load_program(f.prog, lo, lo + (64 << 20), &prog, &interp, err,
					sizeof(err)), want);
	remove_prog(&f);
	diag("%s", err);
	if (!strstr(err, what))
		HARNESS_FAIL(0, "message \"%s\" does not say \"%s\"", err, what);
	EXPECT_TRUE(strstr(err, f.prog) != NULL);
	EXPECT_EQ(prog.lo, 0);
	EXPECT_TRUE(range_unmapped(lo, lo + (64 << 20)));
}

TEST(refuse_interp_exec)
{
	check_interp_refused(fix_make_exec, -ENOEXEC, "not ET_DYN");
}

TEST(refuse_interp_with_interp)
{
	check_interp_refused(fix_add_interp, -ENOEXEC, "has a PT_INTERP");
}

TEST(refuse_interp_malformed)
{
	check_interp_refused(fix_corrupt, -ENOEXEC, "p_filesz 0x100 > p_memsz 0x1");
}

TEST(refuse_interp_missing)
{
	check_interp_refused(NULL, -ENOENT, "No such file");
}

TEST(program_errors)
{
	struct dune_elf_image prog, interp;
	char err[256];
	uintptr_t lo = free_range(16 << 20, PG);

	EXPECT_EQ(dune_elf_load_program("/nonexistent", lo, lo + (16 << 20), &prog, &interp,
					err, sizeof(err)), -ENOENT);
	EXPECT_TRUE(strstr(err, "/nonexistent") != NULL);
	EXPECT_EQ(dune_elf_load_program("/etc/passwd", lo, lo + (16 << 20), &prog, &interp,
					err, sizeof(err)), -ENOEXEC);
	diag("%s", err);
	EXPECT_EQ(dune_elf_load_program(NULL, lo, lo + (16 << 20), &prog, &interp, err,
					sizeof(err)), -EINVAL);
	/* A tiny error buffer is fine, and so is none. */
	EXPECT_EQ(dune_elf_load_program("/etc/passwd", lo, lo + (16 << 20), &prog, NULL,
					err, 4), -ENOEXEC);
	EXPECT_EQ(strlen(err), 3);
	EXPECT_EQ(dune_elf_load_program("/etc/passwd", lo, lo + (16 << 20), &prog, NULL,
					NULL, 0), -ENOEXEC);
	EXPECT_TRUE(range_unmapped(lo, lo + (16 << 20)));
}

/* ---- real binaries ----------------------------------------------------- */

/* Everything about a loaded real file that can be checked against it. */
static void check_real(const char *path, const struct dune_elf_image *im)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	uint8_t *file;
	struct stat sb;
	uintptr_t bias = im->base, a, first = UINTPTR_MAX, end = 0;
	int fd, i, nload = 0;
	char want[5];

	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &sb), 0);
	file = malloc(sb.st_size);
	ASSERT_TRUE(file != NULL);
	ASSERT_EQ(read(fd, file, sb.st_size), sb.st_size);
	close(fd);
	memcpy(&eh, file, sizeof(eh));
	ASSERT_LE(eh.e_phnum, 64);
	memcpy(ph, file + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));

	EXPECT_EQ(im->entry, bias + eh.e_entry);
	EXPECT_EQ(im->phnum, eh.e_phnum);
	EXPECT_EQ(im->phent, sizeof(Elf64_Phdr));
	EXPECT_TRUE(im->phdr != 0);
	EXPECT_EQ(memcmp((void *)im->phdr, ph, eh.e_phnum * sizeof(Elf64_Phdr)), 0);
	if (eh.e_type == ET_EXEC)
		EXPECT_EQ(bias, 0);
	else
		EXPECT_EQ(bias % PG, 0);
	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type == PT_PHDR)
			EXPECT_EQ(im->phdr, bias + p->p_vaddr);
		if (p->p_type == PT_INTERP)
			EXPECT_STREQ(im->interp, (char *)file + p->p_offset);
		if (p->p_type == PT_GNU_STACK)
			EXPECT_EQ(im->stack_exec, !!(p->p_flags & PF_X));
		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		nload++;
		if (bias + p->p_vaddr < first)
			first = bias + p->p_vaddr;
		end = bias + p->p_vaddr + p->p_memsz;
		ASSERT_EQ(memcmp((void *)(bias + p->p_vaddr), file + p->p_offset, p->p_filesz), 0);
		for (a = bias + p->p_vaddr + p->p_filesz; a < end; a++)
			if (*(uint8_t *)a)
				HARNESS_FAIL(1, "%s: bss byte 0x%lx is not 0", path, a);
		snprintf(want, sizeof(want), "%c%c%cp", p->p_flags & PF_R ? 'r' : '-',
			 p->p_flags & PF_W ? 'w' : '-', p->p_flags & PF_X ? 'x' : '-');
		for (a = (bias + p->p_vaddr) & ~(PG - 1); a < end; a += PG)
			EXPECT_PERM(a, want);
	}
	EXPECT_GT(nload, 0);
	EXPECT_EQ(im->lo, first & ~(PG - 1));
	EXPECT_EQ(im->hi, (end + PG - 1) & ~(PG - 1));
	EXPECT_EQ(im->brk, im->hi);
	free(file);
}

/*
 * Run a loaded program as execve() would: a fresh stack with argc, argv,
 * envp and the auxiliary vector, then a jump to the interpreter's entry
 * (or the program's), in a child whose stdout is a pipe.  Returns the
 * wait status; the output goes to @out.
 */
static void __attribute__((noreturn)) jump_to(uintptr_t entry, uintptr_t sp)
{
	/* rdx = 0: no function for atexit() (the x86-64 psABI's _start). */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%1"
			 : : "D"(sp), "S"(entry) : "memory");
	__builtin_unreachable();
}

static void child_exec(const struct dune_elf_image *prog, const struct dune_elf_image *interp,
		       const char *const *argv, const char *const *envp)
{
	const size_t size = 1 << 20;
	uint64_t vec[256], *sp;
	uintptr_t strp[64] = { 0 }, random_at, platform_at, execfn_at;
	char *top, *s;
	int argc, envc, i, n = 0, sig;
	stack_t ss = { .ss_flags = SS_DISABLE };

	/* The sanitizers' handlers and stacks belong to this image, not to
	 * the program. */
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigaltstack(&ss, NULL);

	top = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (top == MAP_FAILED)
		_exit(98);
	s = top + size;
	for (argc = 0; argv[argc]; argc++)
		;
	for (envc = 0; envp[envc]; envc++)
		;
	for (i = 0; i < argc + envc; i++) {
		const char *str = i < argc ? argv[i] : envp[i - argc];

		s -= strlen(str) + 1;
		strcpy(s, str);
		strp[i] = (uintptr_t)s;
	}
	s -= 16;
	for (i = 0; i < 16; i++)
		s[i] = (char)(i * 37 + 11);
	random_at = (uintptr_t)s;
	s -= sizeof("x86_64");
	strcpy(s, "x86_64");
	platform_at = (uintptr_t)s;
	execfn_at = strp[0];

	vec[n++] = argc;
	for (i = 0; i < argc; i++)
		vec[n++] = strp[i];
	vec[n++] = 0;
	for (i = 0; i < envc; i++)
		vec[n++] = strp[argc + i];
	vec[n++] = 0;
#define AUX(t, v) do { vec[n++] = (t); vec[n++] = (uint64_t)(v); } while (0)
	AUX(AT_SYSINFO_EHDR, getauxval(AT_SYSINFO_EHDR));
	AUX(AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ));
	AUX(AT_HWCAP, getauxval(AT_HWCAP));
	AUX(AT_PAGESZ, PG);
	AUX(AT_CLKTCK, getauxval(AT_CLKTCK));
	AUX(AT_PHDR, prog->phdr);
	AUX(AT_PHENT, prog->phent);
	AUX(AT_PHNUM, prog->phnum);
	AUX(AT_BASE, interp ? interp->base : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, prog->entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_at);
	AUX(AT_HWCAP2, getauxval(AT_HWCAP2));
	AUX(AT_EXECFN, execfn_at);
	AUX(AT_PLATFORM, platform_at);
	AUX(AT_NULL, 0);
#undef AUX
	sp = (uint64_t *)(((uintptr_t)s - n * sizeof(uint64_t)) & ~15UL);
	memcpy(sp, vec, n * sizeof(uint64_t));
	jump_to(interp && interp->entry ? interp->entry : prog->entry, (uintptr_t)sp);
}

static int run_real(const struct dune_elf_image *prog, const struct dune_elf_image *interp,
		    const char *const *argv, const char *const *envp, char *out, size_t outlen)
{
	int pfd[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	ASSERT_EQ(pipe(pfd), 0);
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], 1) != 1)
			_exit(97);
		close(pfd[1]);
		child_exec(prog, interp, argv, envp);
	}
	close(pfd[1]);
	while (got + 1 < outlen && (r = read(pfd[0], out + got, outlen - 1 - got)) > 0)
		got += r;
	out[got] = '\0';
	close(pfd[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		diag("%s: status 0x%x, output \"%s\"", argv[0], status, out);
	return status;
}

/* Load @path with its interpreter, check both against their files, run it
 * with @argv and @envp; returns the wait status. */
static int load_and_run(const char *path, const char *const *argv, const char *const *envp,
			char *out, size_t outlen)
{
	struct dune_elf_image prog, interp;
	char err[256];
	uintptr_t lo;
	int status;

	if (access(path, R_OK))
		SKIP("%s is not there", path);
	lo = free_range(1UL << 30, 2 << 20);
	ASSERT_EQ(dune_elf_load_program(path, lo, lo + (1UL << 30), &prog, &interp, err,
					sizeof(err)), 0);
	check_real(path, &prog);
	if (prog.interp[0]) {
		ASSERT_GT(interp.entry, 0);
		ASSERT_GE(interp.lo, prog.hi);
		check_real(prog.interp, &interp);
	}
	status = run_real(&prog, &interp, argv, envp, out, outlen);
	unload(&prog);
	if (prog.interp[0])
		unload(&interp);
	return status;
}

TEST(real_bin_true)
{
	const char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };
	struct dune_elf_image prog, interp;
	char out[64], err[256];
	uintptr_t lo = free_range(1UL << 30, PG);
	int status;

	ASSERT_EQ(dune_elf_load_program("/bin/true", lo, lo + (1UL << 30), &prog, &interp, err,
					sizeof(err)), 0);
	EXPECT_STREQ(prog.interp, LDSO);
	EXPECT_EQ(prog.lo, lo);
	EXPECT_EQ(interp.lo, prog.hi + INTERP_GAP);
	EXPECT_EQ(interp.base, interp.lo);
	EXPECT_STREQ(interp.interp, "");
	unload(&prog);
	unload(&interp);

	status = load_and_run("/bin/true", argv, envp, out, sizeof(out));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(real_bin_false)
{
	const char *argv[] = { "/bin/false", NULL }, *envp[] = { NULL };
	char out[64];
	int status = load_and_run("/bin/false", argv, envp, out, sizeof(out));

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(real_echo_argv)
{
	const char *argv[] = { "/bin/echo", "hello", "from", "the loader", NULL };
	const char *envp[] = { NULL };
	char out[256];
	int status = load_and_run("/bin/echo", argv, envp, out, sizeof(out));

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_STREQ(out, "hello from the loader\n");
}

TEST(real_env_envp)
{
	const char *argv[] = { "/usr/bin/env", NULL };
	const char *envp[] = { "DUNE_ELF=1", "B=two words", NULL };
	char out[256];
	int status = load_and_run("/usr/bin/env", argv, envp, out, sizeof(out));

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_STREQ(out, "DUNE_ELF=1\nB=two words\n");
}

TEST(real_ldso_as_program)
{
	/* The interpreter alone, as an ET_DYN program that then loads
	 * /bin/echo itself. */
	const char *argv[] = { LDSO, "/bin/echo", "via", "ld.so", NULL }, *envp[] = { NULL };
	struct dune_elf_image prog;
	struct dune_elf elf;
	char out[256];
	uintptr_t lo = free_range(64 << 20, PG);
	int status;

	ASSERT_EQ(dune_elf_open(&elf, LDSO), 0);
	ASSERT_EQ(dune_elf_load(&elf, lo, lo + (64 << 20), 0, &prog), 0);
	dune_elf_close(&elf);
	check_real(LDSO, &prog);
	EXPECT_STREQ(prog.interp, "");
	status = run_real(&prog, NULL, argv, envp, out, sizeof(out));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_STREQ(out, "via ld.so\n");
	unload(&prog);
}

/* Real static binaries, when this machine can build them. */
static void static_binary(const char *flags, bool at_link_address)
{
	static const char src[] =
		"#include <stdio.h>\n#include <stdlib.h>\n"
		"__thread int tls = 5;\n"
		"int main(int c, char **v) { char *p = malloc(100);\n"
		"  printf(\"%s %d %d\\n\", v[1], c, tls + (p != 0)); return 7; }\n";
	const char *envp[] = { NULL };
	struct dune_elf_image prog, interp;
	char dir[64], cpath[96], bpath[96], cmd[384], err[256];
	char out[256];
	const char *argv[] = { bpath, "static", NULL };
	uintptr_t lo, hi;
	int status;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/elf_test.XXXXXX", tmp_dir());
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(cpath, sizeof(cpath), "%s/s.c", dir);
	snprintf(bpath, sizeof(bpath), "%s/s", dir);
	f = fopen(cpath, "w");
	ASSERT_TRUE(f != NULL);
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc %s -O1 -o %s %s >/dev/null 2>&1", flags, bpath, cpath);
	status = system(cmd);
	unlink(cpath);
	if (status) {
		rmdir(dir);
		SKIP("cannot build a static binary here (gcc %s)", flags);
	}
	if (at_link_address) {
		/* Linked at 0x400000, which a PIE test program leaves free. */
		lo = 0x400000;
		hi = lo + (256 << 20);
		if (!range_unmapped(lo, hi))
			SKIP("0x400000 is taken");
	} else {
		lo = free_range(256 << 20, PG);
		hi = lo + (256 << 20);
	}
	ASSERT_EQ(dune_elf_load_program(bpath, lo, hi, &prog, &interp, err, sizeof(err)), 0);
	check_real(bpath, &prog);
	unlink(bpath);
	rmdir(dir);
	EXPECT_STREQ(prog.interp, "");
	EXPECT_EQ(interp.entry, 0);
	status = run_real(&prog, NULL, argv, envp, out, sizeof(out));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 7);
	EXPECT_STREQ(out, "static 2 6\n");
	unload(&prog);
}

TEST(real_static_exec)
{
	static_binary("-static -no-pie", true);
}

TEST(real_static_pie)
{
	static_binary("-static-pie", false);
}

TEST_MAIN()
