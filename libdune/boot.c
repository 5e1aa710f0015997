// SPDX-License-Identifier: BSD-3-Clause
/*
 * boot.c - moving a running process into Dune mode, and keeping it there.
 *
 * dune_init() opens /dev/dune, reads the guest-physical layout, builds the
 * page tables (dune_pgroot: the process's memory as supervisor RWX pages,
 * va -> dune_va_to_pa(va)) and the IDT.  dune_enter() gives the thread its
 * region (percpu.h: GDT, TSS, trap and host stacks), points GS base at it,
 * and enters (entry.S: __dune_enter): the thread's code continues in ring 0
 * while the thread's host side runs dune_host_loop() on the host stack,
 * re-entering after signals and ending the process the way the guest asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <cpuid.h>

#include "percpu.h"
#include "pte.h"

#define RFLAGS_IF	0x200ULL
#define CR4_FSGSBASE	(1ULL << 16)
#define CR4_PCIDE	(1ULL << 17)
#define CR3_NOFLUSH	(1ULL << 63)
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084
#define SZ_2M		(1UL << 21)
#define SZ_1G		(1UL << 30)

dune_pte_t *dune_pgroot;

static int dune_fd = -1;
static bool dune_ready;
static bool use_1g, has_pcid, auto_enter = true;
/* The IDT every thread starts from (each has its own copy, in its region). */
static struct dune_idt_gate idt[DUNE_NUM_VECTORS];
static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER;	/* init, regions, page tables */
static struct dune_percpu *regions;				/* every thread's region */
static __thread struct dune_percpu *dune_self __attribute__((tls_model("initial-exec")));

struct dune_percpu *dune_percpu(void)
{
	return dune_self;
}

bool dune_is_guest(void)
{
	return dune_self && dune_self->in_guest;
}

bool dune_set_auto_enter(bool on)
{
	bool old = auto_enter;

	auto_enter = on;
	return old;
}

bool dune_has_pcid(void)
{
	return has_pcid;
}

dune_pte_t *dune_current_root(void)
{
	return dune_is_guest() ? dune_self->root : NULL;
}

/* ---- privileged helpers (ring 0 only) ----------------------------------- */

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory");
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void dune_flush_tlb_one(const void *va)
{
	if (!dune_is_guest())
		return;
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

void dune_flush_tlb(void)
{
	if (!dune_is_guest())
		return;
	/* A CR3 write without the no-flush bit flushes the current PCID's entries. */
	write_cr3(read_cr3() & ~CR3_NOFLUSH);
}

void dune_flush_tlb_range(const void *va, size_t len)
{
	uintptr_t p = (uintptr_t)va & ~(DUNE_PGSIZE - 1), end = (uintptr_t)va + len;

	if (!dune_is_guest())
		return;
	if (len > 32 * DUNE_PGSIZE) {
		dune_flush_tlb();
		return;
	}
	for (; p < end; p += DUNE_PGSIZE)
		__asm__ volatile("invlpg (%0)" :: "r"(p) : "memory");
}

int dune_vm_activate(dune_pte_t *root, unsigned int pcid)
{
	uint64_t pa;
	bool noflush;

	if (!dune_is_guest())
		return -EPERM;
	pa = dune_va_to_pa(root);
	if (!root || ((uintptr_t)root & (DUNE_PGSIZE - 1)) || pa == (uint64_t)-1 || pcid > 4095)
		return -EINVAL;
	if (pcid && !has_pcid)
		return -EINVAL;
	/* Another PCID: keep the other address spaces' entries (the caller
	 * gives each root its own PCID).  The same PCID (always, without
	 * PCIDs): flush, or the old root's translations would stay. */
	noflush = has_pcid && pcid != dune_self->pcid;
	dune_self->root = root;
	dune_self->pcid = pcid;
	write_cr3(pa | pcid | (noflush ? CR3_NOFLUSH : 0));
	return 0;
}

/* ---- page tables of the process's own memory ------------------------------ */

/*
 * Map the 1 GiB chunk of [lo, hi) of the process's memory, skipping page 0
 * (which must never be mapped: it guards the SYSCALL entry, see entry.S).
 */
/* [excl_lo, excl_hi): never mapped by libdune itself (dune_vm_exclude). */
static uintptr_t excl_lo, excl_hi;

static int map_self_range(uintptr_t lo, uintptr_t hi)
{
	int r;

	if (excl_hi > excl_lo && lo < excl_hi && hi > excl_lo) {
		r = excl_lo > lo ? map_self_range(lo, excl_lo) : 0;
		if (!r && hi > excl_hi)
			r = map_self_range(excl_hi, hi);
		return r;
	}
	if (lo < SZ_2M)
		lo = SZ_2M;		/* below 2 MiB: on demand, 4 KiB pages, never page 0 */
	if (hi <= lo)
		return 0;
	return dune_vm_map_self(dune_pgroot, lo, hi - lo, use_1g);
}

/*
 * map_in_use() visits the same 1 GiB chunks for many lines of
 * /proc/self/maps: map each chunk once (the benchmarks found a process with
 * 100 mappings paying 100 times for the same few chunks).
 */
#define MAX_CHUNKS	1024
static uintptr_t chunks_done[MAX_CHUNKS];
static unsigned int nchunks_done;

static int map_chunks_once(uintptr_t lo, uintptr_t hi)
{
	uintptr_t a, end;
	unsigned int i;
	int r;

	for (a = lo; a < hi; a = end) {
		end = (a & ~(SZ_1G - 1)) + SZ_1G;
		if (end > hi)
			end = hi;
		for (i = 0; i < nchunks_done; i++)
			if (chunks_done[i] == (a & ~(SZ_1G - 1)))
				break;
		if (i < nchunks_done)
			continue;
		r = map_self_range(a, end);
		if (r)
			return r;
		if (nchunks_done < MAX_CHUNKS)
			chunks_done[nchunks_done++] = a & ~(SZ_1G - 1);
	}
	return 0;
}

/* The 1 GiB chunks that hold something of the process, their neighbours,
 * and 4 GiB below the lowest mapping of the mmap window (where new mmaps go). */
static int map_in_use(void)
{
	const struct dune_layout *l = dune_layout_get();
	uint64_t lowest_mmap = UINT64_MAX;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int r = 0, i;

	if (!f)
		return -errno;
	while (!r && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || lo >= (1UL << 47))
			continue;
		for (i = 0; i < DUNE_MAX_WINDOWS && !r; i++) {
			const struct dune_window *w = &l->windows[i];
			uint64_t wlo = w->hva_base, whi = w->hva_base + w->size, a, b;

			if (!w->size || hi <= wlo || lo >= whi)
				continue;
			a = (lo & ~(SZ_1G - 1));
			b = (hi + SZ_1G - 1) & ~(SZ_1G - 1);
			a = a >= wlo + SZ_1G ? a - SZ_1G : wlo;
			b = b + SZ_1G <= whi ? b + SZ_1G : whi;
			if (i == DUNE_WINDOW_MMAP && lo < lowest_mmap)
				lowest_mmap = lo;
			r = map_chunks_once(a, b);
		}
	}
	fclose(f);
	if (!r && lowest_mmap != UINT64_MAX) {
		const struct dune_window *w = &l->windows[DUNE_WINDOW_MMAP];
		uint64_t a = lowest_mmap & ~(SZ_1G - 1);

		a = a >= w->hva_base + 4 * SZ_1G ? a - 4 * SZ_1G : w->hva_base;
		r = map_chunks_once(a, lowest_mmap & ~(SZ_1G - 1));
	}
	return r;
}

static int map_full(void)
{
	const struct dune_layout *l = dune_layout_get();
	int i, r;

	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		const struct dune_window *w = &l->windows[i];

		if (!w->size)
			continue;
		r = map_self_range(w->hva_base, w->hva_base + w->size);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Demand mapping: a ring-0 access to an address of the process that the
 * tables do not map yet.  Map its 2 MiB chunk when no table covers it (4 KiB
 * pages below 2 MiB, and in a 2 MiB chunk someone already split).  Returns
 * 0 when it mapped something, -ENOENT when @addr is not ours to map.
 */
int dune_demand_map(uintptr_t addr)
{
	uint64_t *t = dune_pgroot;
	int level, r = -ENOENT;

	if (addr < DUNE_PGSIZE || addr >= (1UL << 47) || dune_va_to_pa((void *)addr) == (uint64_t)-1 ||
	    (addr >= excl_lo && addr < excl_hi))
		return -ENOENT;
	pthread_mutex_lock(&boot_lock);
	for (level = 4; level >= 1; level--) {
		unsigned int idx = (addr >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = t[idx];

		if (!dune_pte_mapped(e)) {
			uintptr_t base;
			size_t len;

			if (level >= 2 && addr >= SZ_2M) {
				base = addr & ~(SZ_2M - 1);
				len = SZ_2M;
			} else {
				base = addr & ~(DUNE_PGSIZE - 1);
				len = DUNE_PGSIZE;
			}
			if (dune_va_to_pa((void *)(base + len - 1)) - dune_va_to_pa((void *)base) != len - 1)
				break;
			r = dune_vm_map_self(dune_pgroot, base, len, false);
			break;
		}
		if (level == 1 || (e & DUNE_PTE_PS) || !(e & DUNE_PTE_P))
			break;	/* mapped: a protection fault, not ours */
		t = dune_pa_to_va(e & DUNE_PTE_ADDR);
		if (!t)
			break;
	}
	pthread_mutex_unlock(&boot_lock);
	if (!r)
		dune_flush_tlb_one((void *)addr);
	return r;
}

int dune_vm_exclude(uintptr_t lo, uintptr_t hi)
{
	if (lo >= hi || (lo & (DUNE_PGSIZE - 1)) || (hi & (DUNE_PGSIZE - 1)) || hi > (1UL << 47))
		return -EINVAL;
	pthread_mutex_lock(&boot_lock);
	if (dune_ready) {
		pthread_mutex_unlock(&boot_lock);
		return -EBUSY;
	}
	excl_lo = lo;
	excl_hi = hi;
	pthread_mutex_unlock(&boot_lock);
	return 0;
}

int dune_device_fd(void)
{
	return dune_fd;
}

/* Make sure [lo, hi) is mapped before a thread depends on it without a
 * working fault path (its stack, its region). */
static int ensure_mapped(uintptr_t lo, uintptr_t hi)
{
	uintptr_t a;
	int r;

	for (a = lo & ~(DUNE_PGSIZE - 1); a < hi; a += DUNE_PGSIZE) {
		dune_pte_t *pte;

		if (dune_vm_lookup(dune_pgroot, (void *)a, false, &pte, NULL) == 0 &&
		    (*pte & DUNE_PTE_P))
			continue;
		r = dune_demand_map(a);
		if (r)
			return r;
	}
	return 0;
}

/* ---- dune_init ---------------------------------------------------------------- */

static void build_idt(void)
{
	int v;

	for (v = 0; v < DUNE_NUM_VECTORS; v++) {
		uint64_t h = (uintptr_t)__dune_vectors + (uint64_t)v * DUNE_VECTOR_STUB;
		unsigned int ist = v == DUNE_T_DF ? 2 : 1;
		unsigned int dpl = (v == DUNE_T_BP || v == DUNE_T_OF) ? 3 : 0;

		idt[v] = desc_idt_gate(h, DUNE_GD_KT, DESC_TYPE_INTR_GATE, ist, dpl);
	}
}

static int cpu_has(unsigned int leaf, int reg, unsigned int bit)
{
	unsigned int r[4];

	if (!__get_cpuid(leaf, &r[0], &r[1], &r[2], &r[3]))
		return 0;
	return (r[reg] >> bit) & 1;
}

static int open_dune(void)
{
	int fd = open(DUNE_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, DUNE_GET_API_VERSION) != DUNE_API_VERSION) {
		close(fd);
		return -ENOTSUP;
	}
	/* Out of the way of the program's own descriptors: programs (and a
	 * sandboxed program's fork children, which reopen it) expect the low
	 * numbers to be theirs. */
	{
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, DUNE_DEVICE_FD_MIN);

		if (hi >= 0) {
			close(fd);
			fd = hi;
		}
	}
	return fd;
}

static int read_layout(int fd, struct dune_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	return ioctl(fd, DUNE_GET_LAYOUT, l) ? -errno : 0;
}

/* A new region of the page allocator: map it before anyone uses it. */
static int map_allocator_region(void *base, size_t len)
{
	if (!dune_pgroot)
		return 0;	/* the first one: map_in_use() finds it */
	return dune_vm_map_self(dune_pgroot, (uintptr_t)base, len, use_1g);
}

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

int dune_init(bool full)
{
	struct dune_layout l;
	int fd, r;

	pthread_mutex_lock(&boot_lock);
	if (dune_ready) {
		pthread_mutex_unlock(&boot_lock);
		return 0;
	}
	fd = open_dune();
	if (fd < 0) {
		pthread_mutex_unlock(&boot_lock);
		return fd;
	}
	r = read_layout(fd, &l);
	if (r)
		goto fail;
	dune_layout_set(&l);
	use_1g = cpu_has(0x80000001, 3, 26) && ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_EPT_1G) == 1;
	has_pcid = cpu_has(1, 2, 17) && ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_PCID) == 1;
	dune_page_set_region_hook(map_allocator_region);
	dune_pgroot = dune_vm_new_root();
	r = -ENOMEM;
	if (!dune_pgroot)
		goto fail;
	pthread_mutex_unlock(&boot_lock);
	r = full ? map_full() : map_in_use();
	pthread_mutex_lock(&boot_lock);
	if (r)
		goto fail_root;
	build_idt();
	dune_fd = fd;
	dune_ready = true;
	pthread_mutex_unlock(&boot_lock);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	return 0;

fail_root:
	dune_vm_free(dune_pgroot);
	dune_pgroot = NULL;
fail:
	close(fd);
	pthread_mutex_unlock(&boot_lock);
	return r;
}

/* ---- dune_enter ------------------------------------------------------------- */

static struct dune_percpu *region_alloc(void)
{
	char *p = mmap(NULL, DUNE_REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dune_percpu *pc;
	char *ist1, *ist2, *host;

	if (p == MAP_FAILED)
		return NULL;
	pc = (struct dune_percpu *)p;
	ist1 = p + DUNE_PERCPU_SIZE + DUNE_GUARD;
	ist2 = ist1 + DUNE_IST_TRAMP_SIZE + DUNE_GUARD;
	host = ist2 + DUNE_IST_DF_SIZE + DUNE_GUARD;
	/* Guards: an overflow is an EPT violation, reported, never silent. */
	mprotect(p + DUNE_PERCPU_SIZE, DUNE_GUARD, PROT_NONE);
	mprotect(ist1 + DUNE_IST_TRAMP_SIZE, DUNE_GUARD, PROT_NONE);
	mprotect(ist2 + DUNE_IST_DF_SIZE, DUNE_GUARD, PROT_NONE);
	pc->self = (uintptr_t)pc;
	pc->ist1_top = (uintptr_t)(ist1 + DUNE_IST_TRAMP_SIZE);
	pc->ist2_top = (uintptr_t)(ist2 + DUNE_IST_DF_SIZE);
	pc->host_stack = (uintptr_t)(host + DUNE_HOST_STACK_SIZE);
	return pc;
}

static void region_link(struct dune_percpu *pc)
{
	pthread_mutex_lock(&boot_lock);
	pc->next = regions;
	regions = pc;
	pthread_mutex_unlock(&boot_lock);
}

static void region_unlink(struct dune_percpu *pc)
{
	struct dune_percpu **pp;

	pthread_mutex_lock(&boot_lock);
	for (pp = &regions; *pp; pp = &(*pp)->next)
		if (*pp == pc) {
			*pp = pc->next;
			break;
		}
	pthread_mutex_unlock(&boot_lock);
}

/* GDT and TSS of the thread (re)made from scratch. */
static void setup_descriptors(struct dune_percpu *pc)
{
	memset(pc->gdt, 0, sizeof(pc->gdt));
	pc->gdt[DUNE_GD_KT >> 3] = desc_segment(0, 0xfffff, DESC_TYPE_CODE_XR, 0, 1, 1);
	pc->gdt[DUNE_GD_KD >> 3] = desc_segment(0, 0xfffff, DESC_TYPE_DATA_RW, 0, 0, 1);
	pc->gdt[DUNE_GD_UD >> 3] = desc_segment(0, 0xfffff, DESC_TYPE_DATA_RW, 3, 0, 1);
	/* Execute-only (type 9): ring 3 cannot load it into GS. */
	pc->gdt[DUNE_GD_UT >> 3] = desc_segment(0, 0xfffff, 0x9, 3, 1, 1);
	memset(&pc->tss, 0, sizeof(pc->tss));
	pc->tss.rsp[0] = pc->ist1_top;
	pc->tss.ist[0] = pc->ist1_top;
	pc->tss.ist[1] = pc->ist2_top;
	pc->tss.iomap_base = sizeof(pc->tss);	/* no I/O bitmap: ring-3 I/O is #GP */
	desc_tss(&pc->gdt[DUNE_GD_TSS >> 3], (uintptr_t)&pc->tss, sizeof(pc->tss) - 1);
	memcpy(pc->idt, idt, sizeof(pc->idt));
}

/* The thread's stack, as the fault path cannot map it: a push that faults
 * there would need the very stack it cannot reach. */
static int ensure_stack_mapped(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	int r;

	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		r = pthread_attr_getstack(&a, &addr, &size);
		pthread_attr_destroy(&a);
		if (r == 0 && (uintptr_t)addr <= sp && sp < (uintptr_t)addr + size)
			return ensure_mapped((uintptr_t)addr, (uintptr_t)addr + size);
	}
	return ensure_mapped(sp - 256 * 1024, sp + 4096);
}

static int enter_thread(struct dune_percpu *pc)
{
	int r;

	r = ensure_mapped((uintptr_t)pc, (uintptr_t)pc + DUNE_REGION_SIZE);
	if (!r)
		r = ensure_stack_mapped();
	if (r)
		return r;
	setup_descriptors(pc);
	pc->usermode = 0;
	pc->ujmp_rsp = 0;
	pc->in_guest = 0;
	pc->sig_pending = 0;
	pc->tid = gettid();
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &pc->host_fs) ||
	    syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)pc))
		return -errno;
	dune_self = pc;
	r = __dune_enter(pc);
	if (r)
		dune_self = NULL;
	return r;
}

int dune_enter(void)
{
	struct dune_percpu *pc;
	int r;

	if (!dune_ready)
		return -EINVAL;
	if (dune_self && dune_self->in_guest)
		return -EBUSY;
	pc = dune_self ? dune_self : region_alloc();
	if (!pc)
		return -ENOMEM;
	if (!dune_self)
		region_link(pc);
	r = enter_thread(pc);
	if (r) {
		region_unlink(pc);
		munmap(pc, DUNE_REGION_SIZE);
	}
	return r;
}

int dune_init_and_enter(void)
{
	int r = dune_init(false);

	return r ? r : dune_enter();
}

/*
 * The guest's first steps (entry.S jumps here in ring 0, interrupts off, on
 * the dune_enter() caller's stack): descriptor tables, segments, the
 * SYSCALL entry, CR4.
 */
int dune_guest_boot(struct dune_percpu *pc)
{
	struct dune_dtr gdtr = { sizeof(pc->gdt) - 1, (uintptr_t)pc->gdt };
	struct dune_dtr idtr = { sizeof(pc->idt) - 1, (uintptr_t)pc->idt };
	uint64_t cr4;

	__asm__ volatile("lgdt %0" :: "m"(gdtr));
	__asm__ volatile("lidt %0" :: "m"(idtr));
	/* CS and SS from the new GDT (libdune is built with -mno-red-zone). */
	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "pushq %[ss]\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:"
			 :: [ss] "i"(DUNE_GD_KD), [cs] "i"(DUNE_GD_KT) : "rax", "memory");
	__asm__ volatile("movw %w0, %%ds\n\tmovw %w0, %%es" :: "r"(0));
	__asm__ volatile("ltr %w0" :: "r"(DUNE_GD_TSS));

	/* SYSCALL: CS/SS from STAR[47:32] (0x08, 0x10); flags masked: IF TF DF AC NT. */
	wrmsr(MSR_STAR, ((uint64_t)DUNE_GD_KT << 32) | ((uint64_t)(DUNE_GD_UD - 8) << 48));
	wrmsr(MSR_LSTAR, (uintptr_t)__dune_syscall);
	wrmsr(MSR_SFMASK, 0x200 | 0x100 | 0x400 | 0x40000 | 0x4000);

	/* No WRGSBASE for ring 3 (it could forge GS, see entry.S); PCIDs if any. */
	cr4 = read_cr4() & ~CR4_FSGSBASE;
	if (has_pcid)
		cr4 |= CR4_PCIDE;
	write_cr4(cr4);

	pc->root = dune_pgroot;
	pc->pcid = 0;
	pc->in_guest = 1;
	__asm__ volatile("sti" ::: "memory");
	return 0;
}

/* ---- the host side ------------------------------------------------------------ */

void dune_kill_self(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, getpid(), gettid(), sig);
	/* In Dune mode the signal ends the entry on the next exit; be sure. */
	for (;;) {
		syscall(SYS_tgkill, getpid(), gettid(), sig);
		syscall(SYS_exit_group, 128 + sig);
	}
}

static void report_exit(const struct dune_enter *e, const char *what)
{
	const struct dune_regs *g = &e->regs;

	dune_printf("%s (thread %d): exit reason %s, VMX reason %u, qualification 0x%llx,\n"
		    "  guest-physical 0x%llx, guest-linear 0x%llx, status 0x%llx\n"
		    "  rip %016llx rsp %016llx rflags %016llx cr3 %016llx\n"
		    "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		    "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
		    "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n"
		    "  r13 %016llx r14 %016llx r15 %016llx\n",
		    what, gettid(), dune_exit_reason_name(e->exit_reason), e->hw_exit_reason,
		    (unsigned long long)e->exit_qual, (unsigned long long)e->guest_phys,
		    (unsigned long long)e->guest_linear, (unsigned long long)e->status,
		    (unsigned long long)g->rip, (unsigned long long)g->rsp,
		    (unsigned long long)g->rflags, (unsigned long long)e->cr3,
		    (unsigned long long)g->rax, (unsigned long long)g->rbx,
		    (unsigned long long)g->rcx, (unsigned long long)g->rdx,
		    (unsigned long long)g->rsi, (unsigned long long)g->rdi,
		    (unsigned long long)g->rbp, (unsigned long long)g->r8,
		    (unsigned long long)g->r9, (unsigned long long)g->r10,
		    (unsigned long long)g->r11, (unsigned long long)g->r12,
		    (unsigned long long)g->r13, (unsigned long long)g->r14,
		    (unsigned long long)g->r15);
}

static dune_ept_cb ept_cb;

int dune_register_ept_handler(dune_ept_cb cb)
{
	__atomic_store_n(&ept_cb, cb, __ATOMIC_RELEASE);
	return 0;
}

/* The DUNE_ENTER loop, on the host stack (entry.S). */
long dune_host_loop(struct dune_percpu *pc)
{
	struct dune_enter *e = &pc->enter;
	bool first = true;

	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->cr3 = dune_va_to_pa(dune_pgroot);
	e->regs.rip = pc->enter_rip;
	e->regs.rsp = pc->enter_rsp;
	e->regs.rdi = (uintptr_t)pc;
	e->regs.rflags = 0x2;
	/* Ring-3 code has its own FS base: host mode always gets glibc's back. */
	e->flags = DUNE_ENTER_F_HOST_FS;
	e->host_fs_base = pc->host_fs;
	for (;;) {
		if (pc->sig_pending) {
			e->flags |= DUNE_ENTER_F_INTR;
			e->intr_vector = DUNE_VEC_SIGNAL;
		} else if (!(e->flags & DUNE_ENTER_F_INTR)) {
			e->intr_vector = 0;
		}
		if (ioctl(dune_fd, DUNE_ENTER, e)) {
			int err = errno;

			if (first)
				return -err;
			dune_printf("DUNE_ENTER failed in thread %d: %s\n", gettid(), strerror(err));
			dune_kill_self(SIGKILL);
		}
		first = false;
		switch (e->exit_reason) {
		case DUNE_EXIT_SIGNAL:		/* host handlers ran: go on */
		case DUNE_EXIT_HLT:		/* nothing to wait for: go on */
			continue;
		case DUNE_EXIT_EXIT:
			pc->in_guest = 0;
			if (e->exit_qual)
				syscall(SYS_exit_group, (int)e->status);
			dune_self = NULL;
			region_unlink(pc);
			__dune_unmap_and_exit(pc, DUNE_REGION_SIZE, (int)e->status);
		case DUNE_EXIT_EPT_VIOLATION: {
			dune_ept_cb cb = __atomic_load_n(&ept_cb, __ATOMIC_ACQUIRE);
			int sig = cb ? cb(e->guest_linear, e->guest_phys, e->exit_qual) : 0;

			if (sig > 0 && sig < 65)
				dune_kill_self(sig);
			report_exit(e, "access to memory the process does not have, or a write to read-only memory");
			dune_kill_self(SIGSEGV);
		}
		case DUNE_EXIT_TRIPLE_FAULT:
			report_exit(e, "triple fault (the IDT or a trap stack is unusable)");
			dune_kill_self(SIGSEGV);
		case DUNE_EXIT_UNHANDLED:
			report_exit(e, "instruction the module does not emulate (I/O, MSR or CR access)");
			dune_kill_self(SIGILL);
		default:
			report_exit(e, "VM entry failed");
			dune_kill_self(SIGKILL);
		}
	}
}

/* ---- threads and fork ---------------------------------------------------------- */

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_start(void *p)
{
	struct thread_start s = *(struct thread_start *)p;
	int r;

	free(p);
	r = dune_enter();
	if (r)
		dune_printf("thread %d runs in host mode: dune_enter failed: %s\n", gettid(), strerror(-r));
	return s.fn(s.arg);
}

/*
 * pthread_create() of a Dune-mode thread: the new thread (which starts in
 * host mode, as the child of the clone system call) enters Dune mode
 * before its start routine.
 */
int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	struct thread_start *s;
	int r;

	if (!real) {
		real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
			dlsym(RTLD_NEXT, "pthread_create");
		if (!real)
			return EAGAIN;
	}
	if (!auto_enter || !dune_is_guest())
		return real(t, attr, fn, arg);
	s = malloc(sizeof(*s));
	if (!s)
		return EAGAIN;
	s->fn = fn;
	s->arg = arg;
	r = real(t, attr, thread_start, s);
	if (r)
		free(s);
	return r;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&boot_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&boot_lock);
}

/*
 * The child of fork() runs in host mode, with a copy of the parent's memory:
 * its page tables (same addresses, same layout), and the regions of every
 * thread.  Keep the calling thread's region, free the others, open
 * /dev/dune again (the parent's VM is not the child's) and enter.
 */
static void atfork_child(void)
{
	struct dune_percpu *pc = dune_self, *r, *next;
	struct dune_layout l;
	bool was_guest = pc && pc->in_guest;
	uint64_t ujmp;
	int fd;

	pthread_mutex_init(&boot_lock, NULL);
	for (r = regions; r; r = next) {
		next = r->next;
		if (r != pc)
			munmap(r, DUNE_REGION_SIZE);
	}
	regions = pc;
	if (!pc)
		return;
	pc->next = NULL;
	pc->in_guest = 0;
	if (dune_fd >= 0)
		close(dune_fd);
	dune_fd = -1;
	if (!was_guest || !auto_enter)
		return;
	fd = open_dune();
	if (fd < 0 || read_layout(fd, &l) ||
	    memcmp(&l.windows, &dune_layout_get()->windows, sizeof(l.windows))) {
		dune_printf("fork child %d stays in host mode: cannot open /dev/dune or its layout differs\n",
			    getpid());
		if (fd >= 0)
			close(fd);
		dune_ready = false;
		return;
	}
	dune_fd = fd;
	/* A fork from a handler of ring-3 code (a sandbox's system-call
	 * handler) goes on in that handler: its dune_jump_to_user() frame is
	 * the child's too. */
	ujmp = pc->ujmp_rsp;
	fd = dune_enter();
	if (!fd)
		pc->ujmp_rsp = ujmp;
	if (fd)
		dune_printf("fork child %d stays in host mode: dune_enter failed: %s\n", getpid(),
			    strerror(-fd));
}

/* ---- diagnostics ------------------------------------------------------------------ */

int dune_get_stats(struct dune_stats *st)
{
	if (dune_fd < 0)
		return -EINVAL;
	return ioctl(dune_fd, DUNE_GET_STATS, st) ? -errno : 0;
}

const char *dune_exit_reason_name(unsigned int reason)
{
	static const char *const names[] = {
		[DUNE_EXIT_EXIT] = "exit",
		[DUNE_EXIT_SIGNAL] = "signal",
		[DUNE_EXIT_HLT] = "hlt",
		[DUNE_EXIT_TRIPLE_FAULT] = "triple fault",
		[DUNE_EXIT_EPT_VIOLATION] = "EPT violation",
		[DUNE_EXIT_ENTRY_FAILED] = "entry failed",
		[DUNE_EXIT_UNHANDLED] = "unhandled",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}
