/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.h - support for the in-VM tests that run code in Dune mode through
 * the raw ioctls of include/uapi/dune.h (there is no libdune yet).
 *
 * A test runs plain C functions of its own image in the guest (VMX non-root
 * ring 0) at the same virtual addresses as on the host:
 *
 *   guest_init();                       open /dev/dune, get the layout, build
 *                                       the guest page tables, a guest stack
 *   long r = guest_run(fn, arg);        fn(arg) in the guest; asserts that it
 *                                       returned (DUNE_EXIT_HLT at the stub)
 *
 * or, to see every exit:
 *
 *   struct dune_enter e;
 *   guest_setup(&e, fn, arg);           rip = fn, rdi = arg, rsp = stack top
 *   ASSERT_EQ(guest_enter(&e), 0);      with a return address that HLTs
 *   ASSERT_EXIT(&e, DUNE_EXIT_HLT);
 *   ASSERT_EQ(guest_enter(&e), 0);      resumes where it stopped
 *
 * guest_enter() enters again after DUNE_EXIT_SIGNAL (see enter_nosig());
 * enter(fd, e) is the raw ioctl.
 *
 * Guest page tables.  A virtual address va inside a window of the layout is
 * mapped to gpa = va - hva_base + gpa_base, writable, supervisor, executable.
 * With 1 GiB pages (CPUID pdpe1gb) every window is mapped whole, in a few
 * table pages.  Without them (the emulated Ivy Bridge), 2 MiB pages map the
 * 1 GiB chunks of each window that hold something in /proc/self/maps, their
 * neighbours, and the 4 GiB below the lowest mapping of the mmap window
 * (where new mmaps go): that is about 20 table pages.  guest_map(va, len)
 * adds chunks for memory mapped later outside those; the tests call it after
 * every mmap they make once the tables exist.  Set DUNE_TEST_PT=2m in the
 * environment to use 2 MiB pages where 1 GiB pages exist.  The tables live in
 * the process's own memory (an mmap'd pool inside a window), so a forked
 * child has a copy at the same addresses; it calls guest_init() again, which
 * opens its own /dev/dune and builds new tables.
 *
 * Guest code rules: a guest function is `long fn(long)`, marked GUEST_FN
 * (noinline, noclone).  It may read and write any memory of the process, use
 * FPU/SSE/AVX and TLS (FS base is the thread's), and call libc functions that
 * make no system call (memcpy, strlen...); system calls go through vmcall*()
 * (SYSCALL in the guest is not forwarded).  After a fork/vfork/clone made by
 * the guest, the child runs on the host: it must use native_syscall*() (or
 * plain libc), never vmcall (#UD there).  The test programs are linked with
 * -z now, so no lazy PLT binding runs in the guest.
 */
#ifndef DUNE_TESTS_GUEST_H
#define DUNE_TESTS_GUEST_H

#include <cpuid.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "../../include/uapi/dune.h"
#include "../../test/harness.h"

#define GUEST_FN __attribute__((noinline, noclone, used))
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define GUEST_NO_SSP __attribute__((no_stack_protector))
#endif
#endif
#ifndef GUEST_NO_SSP
#define GUEST_NO_SSP
#endif

/* VMX basic exit reasons (SDM Vol. 3D, Appendix C) the tests look at. */
#define VMX_EXIT_EXTERNAL_INTERRUPT	1
#define VMX_EXIT_TRIPLE_FAULT		2
#define VMX_EXIT_CPUID			10
#define VMX_EXIT_HLT			12
#define VMX_EXIT_VMCALL			18
#define VMX_EXIT_CR_ACCESS		28
#define VMX_EXIT_IO			30
#define VMX_EXIT_RDMSR			31
#define VMX_EXIT_WRMSR			32
#define VMX_EXIT_EPT_VIOLATION		48

/* EPT-violation exit qualification bits. */
#define EPT_QUAL_READ		(1ULL << 0)
#define EPT_QUAL_WRITE		(1ULL << 1)
#define EPT_QUAL_FETCH		(1ULL << 2)

#define GPA_NONE	(~0ULL)
#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR	0x000ffffffffff000ULL

#define GUEST_STACK_SIZE	(256 * 1024)
#define GUEST_POOL_PAGES	1024		/* 4 MiB of address space, touched lazily */
#define GUEST_MAX_CHUNKS	512
#define GUEST_MMAP_SLACK_G	4		/* GiB mapped below the lowest mmap */

typedef long (*guest_fn_t)(long);

struct guest_state {
	int fd;				/* /dev/dune, opened by pid */
	pid_t pid;			/* the process that built the tables */
	struct dune_layout layout;
	int use_1g;			/* 1 GiB guest pages */
	uint64_t cr3;			/* gpa of the PML4 */
	uint64_t *pml4;
	char *pool;			/* table pages */
	unsigned int pool_used;
	uint64_t chunks[GUEST_MAX_CHUNKS];	/* 2 MiB mode: 1 GiB chunks mapped */
	unsigned int nchunks;
	char *stack;			/* the default guest stack */
	pthread_mutex_t lock;		/* guest_map() from several threads */
};

static struct guest_state guest = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* The return address of guest_setup()'s calls: returning from fn HLTs. */
__asm__(".text\n"
	".globl guest_hlt_stub\n"
	".type guest_hlt_stub, @function\n"
	"guest_hlt_stub:\n"
	"	hlt\n"
	"	jmp guest_hlt_stub\n"
	".size guest_hlt_stub, .-guest_hlt_stub\n");
extern char guest_hlt_stub[];

/* ---- system calls ---------------------------------------------------------- */

/*
 * vmcallN: a system call from the guest.  RCX and R11 are preserved by the
 * ABI; they are still listed as clobbered here so that a module bug there
 * shows up only in the register tests (vm_enter), not as random breakage.
 */
static inline long vmcall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("vmcall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}
static inline long vmcall0(long nr) { return vmcall6(nr, 0, 0, 0, 0, 0, 0); }
static inline long vmcall1(long nr, long a1) { return vmcall6(nr, a1, 0, 0, 0, 0, 0); }
static inline long vmcall2(long nr, long a1, long a2) { return vmcall6(nr, a1, a2, 0, 0, 0, 0); }
static inline long vmcall3(long nr, long a1, long a2, long a3)
{
	return vmcall6(nr, a1, a2, a3, 0, 0, 0);
}
static inline long vmcall4(long nr, long a1, long a2, long a3, long a4)
{
	return vmcall6(nr, a1, a2, a3, a4, 0, 0);
}

/* native_syscallN: the SYSCALL instruction, for host code that must not touch errno. */
static inline long native_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}
static inline long native_syscall0(long nr) { return native_syscall6(nr, 0, 0, 0, 0, 0, 0); }
static inline long native_syscall1(long nr, long a1) { return native_syscall6(nr, a1, 0, 0, 0, 0, 0); }
static inline long native_syscall2(long nr, long a1, long a2)
{
	return native_syscall6(nr, a1, a2, 0, 0, 0, 0);
}
static inline long native_syscall3(long nr, long a1, long a2, long a3)
{
	return native_syscall6(nr, a1, a2, a3, 0, 0, 0);
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ---- /dev/dune and the layout ---------------------------------------------- */

static inline int dune_open(void)
{
	int fd = open(DUNE_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		HARNESS_FAIL(1, "cannot open %s", DUNE_DEVICE_PATH);
	return fd;
}

static inline void dune_get_layout(int fd, struct dune_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	ASSERT_EQ(ioctl(fd, DUNE_GET_LAYOUT, l), 0);
}

static inline const struct dune_window *layout_window_va(const struct dune_layout *l, uint64_t va)
{
	int i;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++)
		if (l->windows[i].size && va >= l->windows[i].hva_base &&
		    va - l->windows[i].hva_base < l->windows[i].size)
			return &l->windows[i];
	return NULL;
}

static inline uint64_t layout_va_to_gpa(const struct dune_layout *l, uint64_t va)
{
	const struct dune_window *w = layout_window_va(l, va);

	return w ? va - w->hva_base + w->gpa_base : GPA_NONE;
}

static inline uint64_t layout_gpa_to_va(const struct dune_layout *l, uint64_t gpa)
{
	int i;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++)
		if (l->windows[i].size && gpa >= l->windows[i].gpa_base &&
		    gpa - l->windows[i].gpa_base < l->windows[i].size)
			return gpa - l->windows[i].gpa_base + l->windows[i].hva_base;
	return GPA_NONE;
}

/* The gpa of a virtual address of this process (GPA_NONE outside the windows). */
static inline uint64_t va_to_gpa(const void *va)
{
	return layout_va_to_gpa(&guest.layout, (uint64_t)va);
}

static inline int cpu_has_1g_pages(void)
{
	unsigned int a, b, c, d;
	const char *force = getenv("DUNE_TEST_PT");

	if (force && !strcmp(force, "2m"))
		return 0;
	if (!__get_cpuid(0x80000001, &a, &b, &c, &d))
		return 0;
	return !!(d & (1u << 26));	/* pdpe1gb */
}

/* ---- guest page tables ----------------------------------------------------- */

static inline uint64_t *guest_pt_alloc(uint64_t *gpa)
{
	uint64_t *p;

	if (guest.pool_used >= GUEST_POOL_PAGES)
		HARNESS_FAIL(1, "guest page-table pool exhausted (%u pages)", GUEST_POOL_PAGES);
	p = (uint64_t *)(guest.pool + (size_t)guest.pool_used++ * SZ_4K);
	memset(p, 0, SZ_4K);
	*gpa = va_to_gpa(p);
	if (*gpa == GPA_NONE)
		HARNESS_FAIL(1, "page-table page %p is outside every window", (void *)p);
	return p;
}

/* The table an entry points to (its gpa seen through the layout). */
static inline uint64_t *guest_pt_next(uint64_t e)
{
	uint64_t va = layout_gpa_to_va(&guest.layout, e & PTE_ADDR);

	return va == GPA_NONE ? NULL : (uint64_t *)va;
}

/* The table below *entry, made if absent.  Publishes it after it is zeroed. */
static inline uint64_t *guest_pt_walk_alloc(uint64_t *entry)
{
	uint64_t gpa, *t;

	if (*entry & PTE_P) {
		if (*entry & PTE_PS)
			HARNESS_FAIL(1, "guest page tables: a large page is in the way");
		return guest_pt_next(*entry);
	}
	t = guest_pt_alloc(&gpa);
	__atomic_store_n(entry, gpa | PTE_P | PTE_W, __ATOMIC_RELEASE);
	return t;
}

/* Map the 2 MiB page at va (2 MiB aligned) to gpa. */
static inline void guest_map_2m(uint64_t va, uint64_t gpa)
{
	uint64_t *pdpt = guest_pt_walk_alloc(&guest.pml4[(va >> 39) & 511]);
	uint64_t *pd = guest_pt_walk_alloc(&pdpt[(va >> 30) & 511]);

	__atomic_store_n(&pd[(va >> 21) & 511], (gpa & ~(SZ_2M - 1)) | PTE_P | PTE_W | PTE_PS,
			 __ATOMIC_RELEASE);
}

static inline int guest_chunk_mapped(uint64_t c)
{
	unsigned int i;

	for (i = 0; i < guest.nchunks; i++)
		if (guest.chunks[i] == c)
			return 1;
	return 0;
}

/* Map the 1 GiB chunk at va (1 GiB aligned, inside a window) with 2 MiB pages. */
static inline void guest_map_chunk(uint64_t c)
{
	uint64_t gpa = layout_va_to_gpa(&guest.layout, c), pd_gpa, *pdpt, *pd;
	int i;

	if (gpa == GPA_NONE || guest_chunk_mapped(c))
		return;
	if (guest.nchunks >= GUEST_MAX_CHUNKS)
		HARNESS_FAIL(1, "too many 1 GiB chunks in the guest page tables");
	pdpt = guest_pt_walk_alloc(&guest.pml4[(c >> 39) & 511]);
	if (pdpt[(c >> 30) & 511] & PTE_P)
		HARNESS_FAIL(1, "chunk %#llx already mapped", (unsigned long long)c);
	pd = guest_pt_alloc(&pd_gpa);
	for (i = 0; i < 512; i++)
		pd[i] = (gpa + (uint64_t)i * SZ_2M) | PTE_P | PTE_W | PTE_PS;
	__atomic_store_n(&pdpt[(c >> 30) & 511], pd_gpa | PTE_P | PTE_W, __ATOMIC_RELEASE);
	guest.chunks[guest.nchunks++] = c;
}

/* A chunk and its neighbours that lie in the same window. */
static inline void guest_map_chunk_and_neighbours(uint64_t c)
{
	const struct dune_window *w = layout_window_va(&guest.layout, c);

	if (!w)
		return;
	guest_map_chunk(c);
	if (c >= SZ_1G && c - SZ_1G >= w->hva_base)
		guest_map_chunk(c - SZ_1G);
	if (c + SZ_1G - w->hva_base < w->size)
		guest_map_chunk(c + SZ_1G);
}

/*
 * Make sure [va, va + len) is mapped by the guest page tables.  Returns 0, or
 * -1 if part of it is outside every window (then it cannot be reached).
 * Safe while other threads run in the guest (entries are only added).
 */
static inline int guest_map(const void *va, size_t len)
{
	uint64_t a = (uint64_t)va & ~(SZ_1G - 1), end = (uint64_t)va + len;
	int r = 0;

	pthread_mutex_lock(&guest.lock);
	for (; a < end; a += SZ_1G) {
		if (end > (1ULL << 47) || !layout_window_va(&guest.layout, a)) {
			r = -1;
			break;
		}
		if (!guest.use_1g)
			guest_map_chunk(a);
	}
	pthread_mutex_unlock(&guest.lock);
	return r;
}

/*
 * Build the guest page tables for this process (see the top of this file)
 * and return the CR3 gpa.  Needs guest.fd and guest.layout.
 */
static inline uint64_t guest_build_tables(void)
{
	const struct dune_layout *l = &guest.layout;
	uint64_t pml4_gpa, mmap_low = GPA_NONE;
	const struct dune_window *mw = &l->windows[DUNE_WINDOW_MMAP];
	char line[512];
	FILE *f;
	int i;

	if (guest.pool)
		munmap(guest.pool, (size_t)GUEST_POOL_PAGES * SZ_4K);
	guest.pool = mmap(NULL, (size_t)GUEST_POOL_PAGES * SZ_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (guest.pool == MAP_FAILED)
		HARNESS_FAIL(1, "cannot map the page-table pool");
	guest.pool_used = 0;
	guest.nchunks = 0;
	guest.use_1g = cpu_has_1g_pages();
	guest.pml4 = guest_pt_alloc(&pml4_gpa);

	if (guest.use_1g) {
		for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
			const struct dune_window *w = &l->windows[i];
			uint64_t off;

			for (off = 0; w->size && off < w->size; off += SZ_1G) {
				uint64_t va = w->hva_base + off;
				uint64_t *pdpt = guest_pt_walk_alloc(&guest.pml4[(va >> 39) & 511]);

				pdpt[(va >> 30) & 511] = (w->gpa_base + off) | PTE_P | PTE_W | PTE_PS;
			}
		}
		guest.cr3 = pml4_gpa;
		return guest.cr3;
	}

	f = fopen("/proc/self/maps", "r");
	if (!f)
		HARNESS_FAIL(1, "cannot read /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, c;

		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || hi > (1ULL << 47))
			continue;	/* [vsyscall] is not user memory */
		for (c = lo & ~(SZ_1G - 1); c < hi; c += SZ_1G) {
			if (!layout_window_va(l, c))
				continue;
			guest_map_chunk_and_neighbours(c);
			if (mw->size && c >= mw->hva_base && c - mw->hva_base < mw->size && c < mmap_low)
				mmap_low = c;
		}
	}
	fclose(f);
	/* Room for the mmaps to come: they go down from the lowest one. */
	for (i = 1; mmap_low != GPA_NONE && i <= GUEST_MMAP_SLACK_G; i++) {
		uint64_t c = mmap_low - (uint64_t)i * SZ_1G;

		if (c < mw->hva_base || mmap_low < (uint64_t)i * SZ_1G)
			break;
		guest_map_chunk(c);
	}
	guest.cr3 = pml4_gpa;
	return guest.cr3;
}

/*
 * Translate va through the guest page tables, in software: the gpa the
 * guest would reach, or GPA_NONE if it is not mapped.
 */
static inline uint64_t guest_pt_translate(uint64_t va)
{
	uint64_t *t = guest_pt_next(guest.cr3), e;

	if (!t)
		return GPA_NONE;
	e = t[(va >> 39) & 511];
	if (!(e & PTE_P) || !(t = guest_pt_next(e)))
		return GPA_NONE;
	e = t[(va >> 30) & 511];
	if (!(e & PTE_P))
		return GPA_NONE;
	if (e & PTE_PS)
		return (e & PTE_ADDR & ~(SZ_1G - 1)) + (va & (SZ_1G - 1));
	if (!(t = guest_pt_next(e)))
		return GPA_NONE;
	e = t[(va >> 21) & 511];
	if (!(e & PTE_P))
		return GPA_NONE;
	if (e & PTE_PS)
		return (e & PTE_ADDR & ~(SZ_2M - 1)) + (va & (SZ_2M - 1));
	return GPA_NONE;	/* this builder makes no 4 KiB pages */
}

/* A guest stack of size bytes (mapped in the guest page tables). */
static inline void *guest_stack_alloc(size_t size)
{
	void *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		HARNESS_FAIL(1, "cannot map a guest stack");
	if (guest.cr3 && guest_map(s, size))
		HARNESS_FAIL(1, "guest stack %p is outside every window", s);
	return s;
}

/*
 * Open /dev/dune for this process, get its layout, allocate the default
 * guest stack and build the page tables.  In a forked child, call it again:
 * it closes the parent's descriptor (EBADFD there), opens its own and
 * rebuilds (the stack is the child's copy, at the same address).
 */
static inline void guest_init(void)
{
	if (guest.fd >= 0 && guest.pid != getpid())
		close(guest.fd);
	guest.fd = dune_open();
	guest.pid = getpid();
	dune_get_layout(guest.fd, &guest.layout);
	if (!guest.stack) {
		guest.stack = mmap(NULL, GUEST_STACK_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guest.stack == MAP_FAILED)
			HARNESS_FAIL(1, "cannot map the guest stack");
	}
	guest_build_tables();
	if (guest_pt_translate((uint64_t)guest.stack) != va_to_gpa(guest.stack))
		HARNESS_FAIL(1, "the guest stack is not mapped by the guest page tables");
}

/* ---- entering ---------------------------------------------------------------- */

/* A struct dune_enter that calls fn(arg) on stack[0..size) and HLTs when fn returns. */
static inline void guest_setup_stack(struct dune_enter *e, uint64_t cr3, guest_fn_t fn, long arg,
				     void *stack, size_t size)
{
	uint64_t top = ((uint64_t)stack + size) & ~15ULL;

	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->cr3 = cr3;
	top -= 8;	/* the return address: at fn's entry, rsp + 8 is 16-byte aligned */
	*(uint64_t *)top = (uint64_t)guest_hlt_stub;
	e->regs.rsp = top;
	e->regs.rip = (uint64_t)fn;
	e->regs.rdi = (uint64_t)arg;
	e->regs.rflags = 0x2;
}

static inline void guest_setup(struct dune_enter *e, guest_fn_t fn, long arg)
{
	guest_setup_stack(e, guest.cr3, fn, arg, guest.stack, GUEST_STACK_SIZE);
}

/* DUNE_ENTER, raw: 0 when the entry ended (see e->exit_reason), else -1 and errno. */
static inline int enter(int fd, struct dune_enter *e)
{
	return ioctl(fd, DUNE_ENTER, e);
}

/*
 * DUNE_EXIT_SIGNAL does not only mean a signal: the module also ends an
 * entry for work the kernel does on the way to user space (task work, rseq
 * after a preemption or migration: glibc registers rseq in every thread), and
 * the caller is to enter again.  So the helpers below enter again after it,
 * and the tests that look for a real signal count their handler's runs.
 */
static long guest_signal_exits;		/* all DUNE_EXIT_SIGNAL seen by the helpers */

/* Like enter(), entering again after DUNE_EXIT_SIGNAL; returns how many in *nsig. */
static inline int enter_nosig(int fd, struct dune_enter *e, int *nsig)
{
	int r;

	if (nsig)
		*nsig = 0;
	for (;;) {
		r = enter(fd, e);
		if (r || e->exit_reason != DUNE_EXIT_SIGNAL)
			return r;
		__atomic_add_fetch(&guest_signal_exits, 1, __ATOMIC_RELAXED);
		if (nsig)
			(*nsig)++;
	}
}

/* enter_nosig() on this process's descriptor: 0, or -1 and errno. */
static inline int guest_enter(struct dune_enter *e)
{
	return enter_nosig(guest.fd, e, NULL);
}

static inline const char *dune_exit_name(uint32_t r)
{
	static const char *const names[] = {
		"0?", "EXIT", "SIGNAL", "HLT", "TRIPLE_FAULT", "EPT_VIOLATION", "ENTRY_FAILED",
		"UNHANDLED",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static inline void guest_diag_exit(const struct dune_enter *e)
{
	diag("exit %u (%s): hw reason %u, qual %#llx, gpa %#llx, gla %#llx, status %#llx",
	     e->exit_reason, dune_exit_name(e->exit_reason), e->hw_exit_reason,
	     (unsigned long long)e->exit_qual, (unsigned long long)e->guest_phys,
	     (unsigned long long)e->guest_linear, (unsigned long long)e->status);
	diag("  rip %#llx rsp %#llx rax %#llx rflags %#llx cr3 %#llx",
	     (unsigned long long)e->regs.rip, (unsigned long long)e->regs.rsp,
	     (unsigned long long)e->regs.rax, (unsigned long long)e->regs.rflags,
	     (unsigned long long)e->cr3);
}

/* The entry ended for this reason (prints the whole exit otherwise). */
#define GUEST_CHECK_EXIT(stop, e, reason)                                       \
	do {                                                                    \
		const struct dune_enter *gx_ = (e);                              \
		if (gx_->exit_reason != (uint32_t)(reason)) {                    \
			guest_diag_exit(gx_);                                    \
			HARNESS_FAIL(stop, "expected exit %s, got %s",          \
				     dune_exit_name(reason),                    \
				     dune_exit_name(gx_->exit_reason));          \
		}                                                               \
	} while (0)
#define ASSERT_EXIT(e, reason) GUEST_CHECK_EXIT(1, e, reason)
#define EXPECT_EXIT(e, reason) GUEST_CHECK_EXIT(0, e, reason)

/*
 * Enter, and enter again after every DUNE_EXIT_SIGNAL (the handler has run
 * by then); asserts that DUNE_ENTER succeeded.  Returns how many signal exits
 * there were.
 */
static inline int guest_enter_nosig(struct dune_enter *e)
{
	int n;

	if (enter_nosig(guest.fd, e, &n))
		HARNESS_FAIL(1, "DUNE_ENTER failed");
	return n;
}

/* The entry ended because fn returned to guest_hlt_stub. */
#define ASSERT_RETURNED(e)                                                      \
	do {                                                                    \
		ASSERT_EXIT(e, DUNE_EXIT_HLT);                                  \
		if ((e)->regs.rip != (uint64_t)guest_hlt_stub + 1) {            \
			guest_diag_exit(e);                                     \
			HARNESS_FAIL(1, "HLT exit, but not at the return stub (%p)", \
				     (void *)guest_hlt_stub);                   \
		}                                                               \
	} while (0)

/* fn(arg) in the guest, to completion (signal exits resumed); returns its value. */
static inline long guest_run(guest_fn_t fn, long arg)
{
	struct dune_enter e;

	guest_setup(&e, fn, arg);
	guest_enter_nosig(&e);
	ASSERT_RETURNED(&e);
	return (long)e.regs.rax;
}

/* ---- statistics and debugfs ---------------------------------------------------- */

static inline void dune_get_stats(int fd, struct dune_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	ASSERT_EQ(ioctl(fd, DUNE_GET_STATS, s), 0);
}

#define DUNE_DEBUGFS "/sys/kernel/debug/dune/"

/* A one-number file of /sys/kernel/debug/dune/ (-1 if it cannot be read). */
static inline long long dune_debugfs(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), DUNE_DEBUGFS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The count of VMX exit reason @reason in /sys/kernel/debug/dune/exits (-1: none). */
static inline long long dune_debugfs_exits(unsigned int reason)
{
	char line[256], name[64];
	unsigned int r;
	unsigned long long n;
	long long v = -1;
	FILE *f = fopen(DUNE_DEBUGFS "exits", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %63s %llu", &r, name, &n) == 3 && r == reason)
			v = (long long)n;
	fclose(f);
	return v;
}

static inline void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Wait up to timeout_ms for a debugfs counter to come back to @want (the
 * module may free things after the process is reaped, e.g. from an RCU
 * callback); returns the last value read.
 */
static inline long long dune_debugfs_wait(const char *name, long long want, long timeout_ms)
{
	long long v = dune_debugfs(name), deadline = now_ns() + timeout_ms * 1000000LL;

	while (v != want && now_ns() < deadline) {
		msleep(20);
		v = dune_debugfs(name);
	}
	return v;
}

/* ---- child processes -------------------------------------------------------- */

/* End a forked child of a test: status 0 if none of its checks failed. */
static inline void __attribute__((noreturn)) child_exit(void)
{
	fflush(stdout);
	_exit(harness_failed ? 1 : 0);
}

/* Reap a child and return its wait status. */
static inline int wait_status(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			HARNESS_FAIL(1, "waitpid(%d)", (int)pid);
	return st;
}

/* Reap a child that must exit with status 0. */
#define ASSERT_CHILD_OK(pid)                                                    \
	do {                                                                    \
		int st_ = wait_status(pid);                                     \
		if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0)                   \
			HARNESS_FAIL(1, "child %d: wait status %#x (%s %d)",    \
				     (int)(pid), st_,                           \
				     WIFSIGNALED(st_) ? "signal" : "exit",      \
				     WIFSIGNALED(st_) ? WTERMSIG(st_) : WEXITSTATUS(st_)); \
	} while (0)

/*
 * SIGALRM from a POSIX timer (alarm() is the harness's): timer_hits counts
 * the timer's signals; the harness's own alarm still times a test out.
 */
static volatile sig_atomic_t timer_hits __attribute__((unused));

static inline void timer_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code != SI_TIMER) {
		/* The harness's alarm(): time the test out as usual. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	timer_hits++;
}

/* A CLOCK_MONOTONIC timer raising SIGALRM, handled with or without SA_RESTART. */
static inline timer_t timer_new(int restart)
{
	struct sigaction sa;
	struct sigevent sev;
	timer_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = timer_handler;
	sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	ASSERT_EQ(timer_create(CLOCK_MONOTONIC, &sev, &t), 0);
	return t;
}

/* Fire @t after @first_ms, then every @interval_ms (0: once). */
static inline void timer_arm(timer_t t, long first_ms, long interval_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = first_ms / 1000;
	its.it_value.tv_nsec = (first_ms % 1000) * 1000000L;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
	ASSERT_EQ(timer_settime(t, 0, &its, NULL), 0);
}

static inline timer_t timer_start(int restart, long first_ms, long interval_ms)
{
	timer_t t = timer_new(restart);

	timer_arm(t, first_ms, interval_ms);
	return t;
}

#endif
