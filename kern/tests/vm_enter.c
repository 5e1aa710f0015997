// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of DUNE_ENTER: every exit reason, the registers in and out,
 * CPUID, control registers, FPU and TLS state, the answers to bad input, and
 * DUNE_GET_STATS and the debugfs counters.
 *
 * This program is built non-PIE (see the Makefile): its code is in the low
 * window and the exec window is absent, which leaves a hole in the
 * guest-physical space for the EPT-violation test, and covers the other
 * layout (the other vm_* programs are PIE).
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "guest.h"

/* ---- guest code in assembly ------------------------------------------------------ */

__asm__(".text\n"
	/* guest_hlt_loop(n = rdi, counter = rsi): n times (++*counter, hlt); return 77. */
	".globl guest_hlt_loop, guest_hlt_loop_after\n"
	"guest_hlt_loop:\n"
	"1:	incq (%rsi)\n"
	"	hlt\n"
	"guest_hlt_loop_after:\n"
	"	decq %rdi\n"
	"	jnz 1b\n"
	"	mov $77, %eax\n"
	"	ret\n"

	/* ud2 with no IDT: #UD, #GP (no IDT), #DF, triple fault. */
	".globl guest_ud2\n"
	"guest_ud2:\n"
	"	ud2\n"

	/* Port I/O: out %al,$0x80, then in (%dx),%eax; returns eax. */
	".globl guest_io, guest_io_out, guest_io_out_end, guest_io_in, guest_io_in_end\n"
	"guest_io:\n"
	"	mov $0x5a, %eax\n"
	"guest_io_out:\n"
	"	outb %al, $0x80\n"
	"guest_io_out_end:\n"
	"	mov $0x3f8, %edx\n"
	"guest_io_in:\n"
	"	inl (%dx), %eax\n"
	"guest_io_in_end:\n"
	"	ret\n"

	/* rdmsr 0xc0010000 (an AMD MSR), then wrmsr IA32_EFER; returns rdmsr's edx:eax. */
	".globl guest_msr, guest_msr_rd, guest_msr_rd_end, guest_msr_wr, guest_msr_wr_end\n"
	"guest_msr:\n"
	"	mov $0xc0010000, %ecx\n"
	"guest_msr_rd:\n"
	"	rdmsr\n"
	"guest_msr_rd_end:\n"
	"	mov %rax, %r8\n"
	"	mov %rdx, %r9\n"
	"	mov $0xc0000080, %ecx\n"
	"	mov $0xd01, %eax\n"		/* SCE | LME | LMA | NXE */
	"	xor %edx, %edx\n"
	"guest_msr_wr:\n"
	"	wrmsr\n"
	"guest_msr_wr_end:\n"
	"	mov %r9, %rax\n"
	"	shl $32, %rax\n"
	"	mov %r8d, %r8d\n"
	"	or %r8, %rax\n"
	"	ret\n"

	/* CR0 writes: set CD, then clear PG; returns CR0 as read. */
	".globl guest_cr0, guest_cr0_cd, guest_cr0_cd_end, guest_cr0_pg, guest_cr0_pg_end\n"
	"guest_cr0:\n"
	"	mov %cr0, %rax\n"
	"	mov %rax, %rbx\n"
	"	or $0x40000000, %rbx\n"
	"guest_cr0_cd:\n"
	"	mov %rbx, %cr0\n"
	"guest_cr0_cd_end:\n"
	"	mov %rax, %rdx\n"
	"	and $0x7fffffff, %rdx\n"
	"guest_cr0_pg:\n"
	"	mov %rdx, %cr0\n"
	"guest_cr0_pg_end:\n"
	"	ret\n"

	/* Every GPR changed in a known way, then hlt (never resumed). */
	".globl guest_regs, guest_regs_end\n"
	"guest_regs:\n"
	"	not %rax\n	not %rbx\n	not %rcx\n	not %rdx\n"
	"	not %rsi\n	not %rdi\n	not %rbp\n"
	"	not %r8\n	not %r9\n	not %r10\n	not %r11\n"
	"	not %r12\n	not %r13\n	not %r14\n	not %r15\n"
	"	lea -0x100(%rsp), %rsp\n"
	"	cmc\n"
	"	hlt\n"
	"guest_regs_end:\n"
	"	jmp guest_regs_end\n"

	/* getpid through VMCALL, then hlt: every register but rax must survive. */
	".globl guest_vmcall_regs, guest_vmcall_regs_end\n"
	"guest_vmcall_regs:\n"
	"	mov $39, %eax\n"
	"	vmcall\n"
	"	hlt\n"
	"guest_vmcall_regs_end:\n"
	"	jmp guest_vmcall_regs_end\n");

extern char guest_hlt_loop[], guest_hlt_loop_after[], guest_ud2[];
extern char guest_io[], guest_io_out[], guest_io_out_end[], guest_io_in[], guest_io_in_end[];
extern char guest_msr[], guest_msr_rd[], guest_msr_rd_end[], guest_msr_wr[], guest_msr_wr_end[];
extern char guest_cr0[], guest_cr0_cd[], guest_cr0_cd_end[], guest_cr0_pg[], guest_cr0_pg_end[];
extern char guest_regs[], guest_regs_end[], guest_vmcall_regs[], guest_vmcall_regs_end[];

#define CR0_PE	(1ULL << 0)
#define CR0_ET	(1ULL << 4)
#define CR0_NE	(1ULL << 5)
#define CR0_WP	(1ULL << 16)
#define CR0_CD	(1ULL << 30)
#define CR0_PG	(1ULL << 31)
#define CR4_PAE	(1ULL << 5)
#define CR4_OSFXSR (1ULL << 9)

/* ---- guest code in C ---------------------------------------------------------------- */

static GUEST_FN long g_getpid(long arg)
{
	(void)arg;
	return vmcall0(SYS_getpid);
}

static GUEST_FN long g_exit(long code)
{
	vmcall1(SYS_exit, code);
	return -1000;	/* not reached: exit ends the entry */
}

static GUEST_FN long g_exit_group(long code)
{
	vmcall1(SYS_exit_group, code);
	return -1000;
}

static GUEST_FN long g_read(long addr)
{
	return *(volatile long *)addr;
}

static GUEST_FN long g_write(long addr)
{
	*(volatile long *)addr = 0x5eed;
	return 0;
}

/* Reads two pages: the second faults in the EPT-violation test. */
static GUEST_FN long g_read_two(long addr)
{
	long a = *(volatile long *)addr;

	return a + *(volatile long *)(addr + 4096);
}

static GUEST_FN long g_vmcalls(long n)
{
	long i, bad = 0, pid = vmcall0(SYS_getpid);

	for (i = 1; i < n; i++)
		bad += vmcall0(SYS_getpid) != pid;
	return bad;
}

struct cpuid_out {
	uint32_t r[2][4];	/* leaf 0, leaf 1: eax ebx ecx edx */
};
static struct cpuid_out guest_cpuid;

static GUEST_FN long g_cpuid(long arg)
{
	struct cpuid_out *o = (struct cpuid_out *)arg;
	uint32_t leaf;

	for (leaf = 0; leaf < 2; leaf++)
		__asm__ volatile("cpuid"
				 : "=a"(o->r[leaf][0]), "=b"(o->r[leaf][1]), "=c"(o->r[leaf][2]),
				   "=d"(o->r[leaf][3])
				 : "a"(leaf), "c"(0));
	return 0;
}

struct cregs {
	uint64_t cr0, cr3, cr4;
};

static GUEST_FN long g_cregs(long arg)
{
	struct cregs *c = (struct cregs *)arg;
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	c->cr0 = v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	c->cr3 = v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	c->cr4 = v;
	return 0;
}

static GUEST_FN long g_nested_enter(long arg)
{
	return vmcall3(SYS_ioctl, guest.fd, DUNE_ENTER, arg);
}

/* MXCSR and the x87 control word as the guest sees them, then a new rounding mode. */
struct fpu_out {
	uint32_t mxcsr_in;
	uint16_t fcw_in;
	uint32_t mxcsr_set;
};

static GUEST_FN long g_fpu_modes(long arg)
{
	struct fpu_out *o = (struct fpu_out *)arg;
	uint32_t m;

	__asm__ volatile("stmxcsr %0" : "=m"(o->mxcsr_in));
	__asm__ volatile("fnstcw %0" : "=m"(o->fcw_in));
	m = (o->mxcsr_in & ~0x6000u) | 0x4000u;	/* RC = round up */
	o->mxcsr_set = m;
	__asm__ volatile("ldmxcsr %0" :: "m"(m));
	return 0;
}

/* AVX in the guest: ymm1 survives a VMCALL; ymm0 = 2 * in. */
struct avx_io {
	double in[4], keep[4], out[4], kept[4];
	long pid;
};

static GUEST_FN long g_avx(long arg)
{
	struct avx_io *io = (struct avx_io *)arg;

	__asm__ volatile("vmovupd %0, %%ymm1" :: "m"(io->keep) : "xmm1");
	io->pid = vmcall0(SYS_getpid);
	__asm__ volatile("vmovupd %2, %%ymm0\n\t"
			 "vaddpd %%ymm0, %%ymm0, %%ymm0\n\t"
			 "vmovupd %%ymm0, %0\n\t"
			 "vmovupd %%ymm1, %1\n\t"
			 "vzeroupper"
			 : "=m"(io->out), "=m"(io->kept)
			 : "m"(io->in)
			 : "xmm0", "xmm1");
	return 0;
}

static __thread long tls_var = 1234;

static GUEST_FN long g_tls(long arg)
{
	long self;

	(void)arg;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	tls_var = tls_var * 2 + 1;
	return self;
}

/* ---- helpers ---------------------------------------------------------------------- */

static int cpu_has_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 28)) || !(c & (1u << 27)))	/* AVX, OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* A guest-physical GiB that no window covers (GPA_NONE if there is none). */
static uint64_t find_gpa_hole(void)
{
	uint64_t gpa;

	for (gpa = 0; gpa < guest.layout.guest_phys_limit; gpa += SZ_1G)
		if (layout_gpa_to_va(&guest.layout, gpa) == GPA_NONE)
			return gpa;
	return GPA_NONE;
}

/* A 1 GiB-aligned virtual address outside every window and unmapped in the tables. */
static uint64_t find_unmapped_va(void)
{
	uint64_t va;

	for (va = 0x100000000000ULL; va < 0x700000000000ULL; va += 0x8000000000ULL)
		if (!layout_window_va(&guest.layout, va) &&
		    !layout_window_va(&guest.layout, va + SZ_1G - 1) &&
		    guest_pt_translate(va) == GPA_NONE)
			return va;
	return GPA_NONE;
}

/* ---- tests -------------------------------------------------------------------------- */

TEST(page_tables_translate)
{
	static long a_global;
	long local = 0;
	void *heap, *map;
	uint64_t addrs[8];
	int i;

	heap = malloc(1000);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	guest_init();
	diag("guest page tables: %s pages, %u table pages, %u GiB chunks, cr3 %#llx",
	     guest.use_1g ? "1 GiB" : "2 MiB", guest.pool_used, guest.nchunks,
	     (unsigned long long)guest.cr3);
	addrs[0] = (uint64_t)&local;
	addrs[1] = (uint64_t)&a_global;
	addrs[2] = (uint64_t)heap;
	addrs[3] = (uint64_t)map;
	addrs[4] = (uint64_t)&g_getpid;
	addrs[5] = (uint64_t)&memcpy;
	addrs[6] = (uint64_t)guest.stack + GUEST_STACK_SIZE - 8;
	addrs[7] = (uint64_t)guest.pml4;
	for (i = 0; i < 8; i++) {
		uint64_t gpa = layout_va_to_gpa(&guest.layout, addrs[i]);

		if (gpa == GPA_NONE)
			HARNESS_FAIL(0, "address %d (%#llx) is outside every window", i,
				     (unsigned long long)addrs[i]);
		EXPECT_EQ(guest_pt_translate(addrs[i]), gpa);
	}
	EXPECT_EQ(guest.cr3 & 0xfff, 0);
	EXPECT_LT(guest.cr3, guest.layout.guest_phys_limit);
	EXPECT_EQ(guest_pt_translate(0xffffffffff600000ULL), GPA_NONE);	/* vsyscall */
	free(heap);
}

TEST(exit_hlt_and_resume)
{
	struct dune_enter e;
	static long counter;
	int i;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_hlt_loop, 5);
	e.regs.rsi = (uint64_t)&counter;
	for (i = 1; i <= 5; i++) {
		ASSERT_EQ(guest_enter(&e), 0);
		ASSERT_EXIT(&e, DUNE_EXIT_HLT);
		EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_HLT);
		EXPECT_EQ(e.regs.rip, (uint64_t)guest_hlt_loop_after);
		EXPECT_EQ(counter, i);
		EXPECT_EQ(e.regs.rdi, (uint64_t)(6 - i));
		EXPECT_EQ(e.cr3, guest.cr3);
	}
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, 77);
	EXPECT_EQ(counter, 5);
	/* Resuming at the stub HLTs again, at the same place. */
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
}

TEST(exit_exit_and_exit_group)
{
	struct dune_enter e;
	static const long codes[] = { 0, 1, 42, 255 };
	unsigned int i;

	guest_init();
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		guest_setup(&e, g_exit, codes[i]);
		ASSERT_EQ(guest_enter(&e), 0);
		ASSERT_EXIT(&e, DUNE_EXIT_EXIT);
		EXPECT_EQ(e.status, codes[i]);
		EXPECT_EQ(e.exit_qual, 0);

		guest_setup(&e, g_exit_group, codes[i]);
		ASSERT_EQ(guest_enter(&e), 0);
		ASSERT_EXIT(&e, DUNE_EXIT_EXIT);
		EXPECT_EQ(e.status, codes[i]);
		EXPECT_EQ(e.exit_qual, 1);
	}
	/* The thread went on on the host; it can enter again. */
	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
}

TEST(exit_triple_fault)
{
	struct dune_enter e;
	uint64_t va;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_ud2, 0);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_TRIPLE_FAULT);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_TRIPLE_FAULT);

	/* A page fault (an address the guest page tables do not map) does the same. */
	va = find_unmapped_va();
	ASSERT_NE(va, GPA_NONE);
	guest_setup(&e, g_read, (long)va);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_TRIPLE_FAULT);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_TRIPLE_FAULT);

	/* A fresh entry of the same thread works afterwards. */
	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
}

TEST(exit_ept_violation_outside_windows)
{
	struct dune_enter e;
	uint64_t hole, va;

	guest_init();
	hole = find_gpa_hole();
	if (hole == GPA_NONE)
		HARNESS_FAIL(1, "no guest-physical hole: this program must be built non-PIE");
	va = find_unmapped_va();
	ASSERT_NE(va, GPA_NONE);
	diag("gpa %#llx (no window) mapped at va %#llx", (unsigned long long)hole,
	     (unsigned long long)va);
	guest_map_2m(va, hole);
	ASSERT_EQ(guest_pt_translate(va + 0x1238), hole + 0x1238);

	guest_setup(&e, g_read, (long)(va + 0x1238));
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_EPT_VIOLATION);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_EPT_VIOLATION);
	EXPECT_EQ(e.guest_phys, hole + 0x1238);
	EXPECT_EQ(e.guest_linear, va + 0x1238);
	EXPECT_TRUE(e.exit_qual & EPT_QUAL_READ);
	EXPECT_FALSE(e.exit_qual & EPT_QUAL_WRITE);

	guest_setup(&e, g_write, (long)(va + 0x2000));
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_EPT_VIOLATION);
	EXPECT_EQ(e.guest_phys, hole + 0x2000);
	EXPECT_TRUE(e.exit_qual & EPT_QUAL_WRITE);

	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
}

TEST(exit_ept_violation_unmapped_va_then_resume)
{
	struct dune_enter e;
	char *p;

	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	*(long *)p = 100;
	*(long *)(p + 4096) = 23;
	ASSERT_EQ(munmap(p + 4096, 4096), 0);
	guest_init();
	ASSERT_EQ(guest_map(p, 8192), 0);

	guest_setup(&e, g_read_two, (long)p);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_EPT_VIOLATION);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_EPT_VIOLATION);
	EXPECT_EQ(e.guest_phys, va_to_gpa(p + 4096));
	EXPECT_EQ(e.guest_linear, (uint64_t)(p + 4096));
	EXPECT_TRUE(e.exit_qual & EPT_QUAL_READ);

	/* The host maps the page, and resuming retries the access. */
	ASSERT_TRUE(mmap(p + 4096, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + 4096);
	*(long *)(p + 4096) = 900;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, 1000);
}

TEST(exit_unhandled_io)
{
	struct dune_enter e;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_io, 0);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_IO);
	/* Port 0x80, immediate operand, out, 1 byte. */
	EXPECT_EQ(e.exit_qual, (0x80ULL << 16) | (1 << 6));
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_io_out);	/* not executed */
	EXPECT_EQ(e.regs.rax & 0xff, 0x5a);

	/* User space emulates it: skip the instruction and resume. */
	e.regs.rip = (uint64_t)guest_io_out_end;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_IO);
	/* Port 0x3f8 in DX, in, 4 bytes. */
	EXPECT_EQ(e.exit_qual, (0x3f8ULL << 16) | (1 << 3) | 3);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_io_in);

	e.regs.rip = (uint64_t)guest_io_in_end;
	e.regs.rax = 0x1234abcd;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, 0x1234abcd);
}

TEST(exit_unhandled_msr)
{
	struct dune_enter e;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_msr, 0);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_RDMSR);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_msr_rd);
	EXPECT_EQ(e.regs.rcx, 0xc0010000ULL);

	e.regs.rip = (uint64_t)guest_msr_rd_end;
	e.regs.rax = 0x11;
	e.regs.rdx = 0x22;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_WRMSR);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_msr_wr);
	EXPECT_EQ(e.regs.rcx, 0xc0000080ULL);
	EXPECT_EQ(e.regs.rax, 0xd01);
	EXPECT_EQ(e.regs.rdx, 0);

	e.regs.rip = (uint64_t)guest_msr_wr_end;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, 0x2200000011ULL);
}

TEST(exit_unhandled_cr0_write)
{
	struct dune_enter e;
	uint64_t cr0;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_cr0, 0);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_CR_ACCESS);
	/* MOV to CR0 from RBX: CR number 0, access type 0, register 3. */
	EXPECT_EQ(e.exit_qual, 3 << 8);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_cr0_cd);
	cr0 = e.regs.rax;
	EXPECT_EQ(e.regs.rbx, cr0 | CR0_CD);

	e.regs.rip = (uint64_t)guest_cr0_cd_end;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_UNHANDLED);
	EXPECT_EQ(e.hw_exit_reason, VMX_EXIT_CR_ACCESS);
	EXPECT_EQ(e.exit_qual, 2 << 8);	/* from RDX */
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_cr0_pg);

	e.regs.rip = (uint64_t)guest_cr0_pg_end;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, cr0);
	diag("guest CR0 %#llx", (unsigned long long)cr0);
	EXPECT_EQ(cr0 & (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG),
		  CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
}

TEST(control_registers)
{
	static struct cregs c;

	guest_init();
	EXPECT_EQ(guest_run(g_cregs, (long)&c), 0);
	diag("guest CR0 %#llx CR3 %#llx CR4 %#llx", (unsigned long long)c.cr0,
	     (unsigned long long)c.cr3, (unsigned long long)c.cr4);
	EXPECT_EQ(c.cr0 & (CR0_PE | CR0_PG | CR0_WP | CR0_NE | CR0_ET),
		  CR0_PE | CR0_PG | CR0_WP | CR0_NE | CR0_ET);
	EXPECT_EQ(c.cr0 & CR0_CD, 0);
	EXPECT_EQ(c.cr3 & PTE_ADDR, guest.cr3);
	EXPECT_EQ(c.cr4 & (CR4_PAE | CR4_OSFXSR), CR4_PAE | CR4_OSFXSR);
}

TEST(cpuid_matches_host)
{
	unsigned int n[2][4];
	char gv[13] = { 0 }, hv[13] = { 0 };

	guest_init();
	__cpuid(0, n[0][0], n[0][1], n[0][2], n[0][3]);
	__cpuid(1, n[1][0], n[1][1], n[1][2], n[1][3]);
	memset(&guest_cpuid, 0, sizeof(guest_cpuid));
	EXPECT_EQ(guest_run(g_cpuid, (long)&guest_cpuid), 0);
	memcpy(gv, &guest_cpuid.r[0][1], 4);
	memcpy(gv + 4, &guest_cpuid.r[0][3], 4);
	memcpy(gv + 8, &guest_cpuid.r[0][2], 4);
	memcpy(hv, &n[0][1], 4);
	memcpy(hv + 4, &n[0][3], 4);
	memcpy(hv + 8, &n[0][2], 4);
	diag("vendor: guest \"%s\", host \"%s\"; leaf 1 eax: guest %#x, host %#x", gv, hv,
	     guest_cpuid.r[1][0], n[1][0]);
	EXPECT_TRUE(!strcmp(gv, hv));
	EXPECT_EQ(guest_cpuid.r[0][0], n[0][0]);
	EXPECT_EQ(guest_cpuid.r[1][0], n[1][0]);
}

TEST(registers_round_trip)
{
	struct dune_enter e, in;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_regs, 0);
	e.regs.rax = 0x0101010101010101ULL;
	e.regs.rbx = 0x0202020202020202ULL;
	e.regs.rcx = 0x0303030303030303ULL;
	e.regs.rdx = 0x0404040404040404ULL;
	e.regs.rsi = 0x0505050505050505ULL;
	e.regs.rdi = 0x0606060606060606ULL;
	e.regs.rbp = 0x0707070707070707ULL;
	e.regs.r8 = 0x0808080808080808ULL;
	e.regs.r9 = 0x0909090909090909ULL;
	e.regs.r10 = 0x1010101010101010ULL;
	e.regs.r11 = 0x1111111111111111ULL;
	e.regs.r12 = 0x1212121212121212ULL;
	e.regs.r13 = 0x1313131313131313ULL;
	e.regs.r14 = 0x1414141414141414ULL;
	e.regs.r15 = 0x1515151515151515ULL;
	e.regs.rsp -= 0x1000;
	e.regs.rflags = 0x2 | 0x1 | 0x4 | 0x80;	/* CF PF SF */
	in = e;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_HLT);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_regs_end);
	EXPECT_EQ(e.regs.rax, ~in.regs.rax);
	EXPECT_EQ(e.regs.rbx, ~in.regs.rbx);
	EXPECT_EQ(e.regs.rcx, ~in.regs.rcx);
	EXPECT_EQ(e.regs.rdx, ~in.regs.rdx);
	EXPECT_EQ(e.regs.rsi, ~in.regs.rsi);
	EXPECT_EQ(e.regs.rdi, ~in.regs.rdi);
	EXPECT_EQ(e.regs.rbp, ~in.regs.rbp);
	EXPECT_EQ(e.regs.r8, ~in.regs.r8);
	EXPECT_EQ(e.regs.r9, ~in.regs.r9);
	EXPECT_EQ(e.regs.r10, ~in.regs.r10);
	EXPECT_EQ(e.regs.r11, ~in.regs.r11);
	EXPECT_EQ(e.regs.r12, ~in.regs.r12);
	EXPECT_EQ(e.regs.r13, ~in.regs.r13);
	EXPECT_EQ(e.regs.r14, ~in.regs.r14);
	EXPECT_EQ(e.regs.r15, ~in.regs.r15);
	EXPECT_EQ(e.regs.rsp, in.regs.rsp - 0x100);
	/* cmc cleared CF; PF and SF stay; IF stays clear; bit 1 is set. */
	EXPECT_EQ(e.regs.rflags & 0x8d5, 0x84);
	EXPECT_EQ(e.regs.rflags & 0x202, 0x2);
	EXPECT_EQ(e.cr3, in.cr3);
}

TEST(vmcall_preserves_registers)
{
	struct dune_enter e, in;

	guest_init();
	guest_setup(&e, (guest_fn_t)guest_vmcall_regs, 0);
	e.regs.rbx = 0xb0b0b0b0b0b0b0b0ULL;
	e.regs.rcx = 0xc0c0c0c0c0c0c0c0ULL;
	e.regs.rdx = 0xd0d0d0d0d0d0d0d0ULL;
	e.regs.rsi = 0x5151515151515151ULL;
	e.regs.rdi = 0xd1d1d1d1d1d1d1d1ULL;
	e.regs.rbp = 0xb9b9b9b9b9b9b9b9ULL;
	e.regs.r8 = 0x0808080808080808ULL;
	e.regs.r9 = 0x0909090909090909ULL;
	e.regs.r10 = 0x1010101010101010ULL;
	e.regs.r11 = 0x1111111111111111ULL;
	e.regs.r12 = 0x1212121212121212ULL;
	e.regs.r13 = 0x1313131313131313ULL;
	e.regs.r14 = 0x1414141414141414ULL;
	e.regs.r15 = 0x1515151515151515ULL;
	in = e;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_HLT);
	EXPECT_EQ(e.regs.rip, (uint64_t)guest_vmcall_regs_end);
	EXPECT_EQ(e.regs.rax, getpid());
	EXPECT_EQ(e.regs.rcx, in.regs.rcx);
	EXPECT_EQ(e.regs.r11, in.regs.r11);
	EXPECT_EQ(e.regs.rbx, in.regs.rbx);
	EXPECT_EQ(e.regs.rdx, in.regs.rdx);
	EXPECT_EQ(e.regs.rsi, in.regs.rsi);
	EXPECT_EQ(e.regs.rdi, in.regs.rdi);
	EXPECT_EQ(e.regs.rbp, in.regs.rbp);
	EXPECT_EQ(e.regs.r8, in.regs.r8);
	EXPECT_EQ(e.regs.r9, in.regs.r9);
	EXPECT_EQ(e.regs.r10, in.regs.r10);
	EXPECT_EQ(e.regs.r12, in.regs.r12);
	EXPECT_EQ(e.regs.r13, in.regs.r13);
	EXPECT_EQ(e.regs.r14, in.regs.r14);
	EXPECT_EQ(e.regs.r15, in.regs.r15);
	EXPECT_EQ(e.regs.rsp, in.regs.rsp);
}

TEST(fpu_state_is_the_threads)
{
	static struct fpu_out o;
	static struct avx_io io = {
		.in = { 1.5, -2.25, 1e300, 3.0 },
		.keep = { 7.0, 8.5, -9.25, 1e-300 },
	};
	uint32_t host_mxcsr, after, saved;
	uint16_t host_fcw;
	int i;

	guest_init();
	/* Round toward zero on the host; the guest sees it and sets round-up. */
	__asm__ volatile("stmxcsr %0" : "=m"(saved));
	host_mxcsr = saved | 0x6000;
	__asm__ volatile("ldmxcsr %0" :: "m"(host_mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(host_fcw));
	EXPECT_EQ(guest_run(g_fpu_modes, (long)&o), 0);
	__asm__ volatile("stmxcsr %0" : "=m"(after));
	__asm__ volatile("ldmxcsr %0" :: "m"(saved));
	diag("MXCSR: host %#x, guest saw %#x, guest set %#x, host after %#x", host_mxcsr,
	     o.mxcsr_in, o.mxcsr_set, after);
	/* Control bits only: the exception flags (bits 0-5) are sticky. */
	EXPECT_EQ(o.mxcsr_in & ~0x3fu, host_mxcsr & ~0x3fu);
	EXPECT_EQ(o.fcw_in, host_fcw);
	EXPECT_EQ(after & ~0x3fu, o.mxcsr_set & ~0x3fu);
	EXPECT_EQ(after & 0x6000, 0x4000);

	if (!cpu_has_avx()) {
		diag("no AVX here: the AVX part is not run");
		return;
	}
	EXPECT_EQ(guest_run(g_avx, (long)&io), 0);
	EXPECT_EQ(io.pid, getpid());
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(io.out[i] == io.in[i] * 2);
		EXPECT_TRUE(io.kept[i] == io.keep[i]);
	}
}

TEST(fs_base_and_tls)
{
	long self;

	guest_init();
	tls_var = 20;
	self = guest_run(g_tls, 0);
	EXPECT_EQ(self, (long)pthread_self());
	EXPECT_EQ(tls_var, 41);
}

/* Set FS base (the MSR passes through), stop, then report FS base. */
static GUEST_FN GUEST_NO_SSP long g_fs_roundtrip(long fs)
{
	uint32_t lo, hi;

	__asm__ volatile("wrmsr" :: "c"(0xc0000100), "a"((uint32_t)fs), "d"((uint32_t)(fs >> 32)));
	__asm__ volatile("hlt");
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000100));
	return ((long)hi << 32) | lo;
}

/*
 * DUNE_ENTER_F_HOST_FS: a guest with an FS base of its own (libdune's ring 3);
 * host mode gets .host_fs_base back at each return, the guest its own FS
 * base at each entry.  Without the flag, host code here would run on the
 * guest's bogus TLS and crash.
 */
TEST(enter_host_fs_base)
{
	struct dune_enter e;
	unsigned long host_fs = 0, fs = 0;

	guest_init();
	ASSERT_EQ(syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &host_fs), 0);
	guest_setup(&e, g_fs_roundtrip, 0x12345000);
	e.flags = DUNE_ENTER_F_HOST_FS;
	e.host_fs_base = host_fs;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_HLT);
	ASSERT_EQ(syscall(SYS_arch_prctl, 0x1003, &fs), 0);
	EXPECT_EQ(fs, host_fs);
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_EXIT(&e, DUNE_EXIT_HLT);
	EXPECT_EQ(e.regs.rax, 0x12345000);
	EXPECT_EQ(e.flags, DUNE_ENTER_F_HOST_FS);
}

TEST(enter_bad_struct)
{
	struct dune_enter e, good;
	char *p;

	guest_init();
	guest_setup(&good, g_getpid, 0);

	memset(&e, 0xa5, sizeof(e));
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e = good;
	e.size = sizeof(e) - 8;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.size = 0;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.size = sizeof(e) + 8;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e = good;
	e.flags = 1;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.flags = 0x80000000u;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e = good;
	e.reserved[0] = 1ULL << 20;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	/* A host FS base: canonical, and only with its flag. */
	e = good;
	e.host_fs_base = 0x1000;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.flags = DUNE_ENTER_F_HOST_FS;
	e.host_fs_base = 0x8000000000000000ULL;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e = good;
	e.reserved32 = 1;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	/* An interrupt request: vectors 32-255 only, and a vector needs the flag. */
	e = good;
	e.flags = DUNE_ENTER_F_INTR;
	e.intr_vector = 31;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.intr_vector = 256;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.flags = 0;
	e.intr_vector = 40;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	EXPECT_ERRNO(enter(guest.fd, NULL), EFAULT);
	EXPECT_ERRNO(enter(guest.fd, (struct dune_enter *)1), EFAULT);
	EXPECT_ERRNO(enter(guest.fd, (struct dune_enter *)0xffff880000000000ULL), EFAULT);

	/* A struct that runs off the end of the last mapped page. */
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(munmap(p + 4096, 4096), 0);
	memcpy(p + 4096 - 64, &good, 64);
	EXPECT_ERRNO(enter(guest.fd, (struct dune_enter *)(p + 4096 - 64)), EFAULT);

	/* Another size in the request number is another ioctl. */
	e = good;
	EXPECT_ERRNO(ioctl(guest.fd, _IOWR(DUNE_IOCTL_TYPE, 0x03, struct dune_regs), &e), ENOTTY);
	EXPECT_ERRNO(ioctl(guest.fd, _IOW(DUNE_IOCTL_TYPE, 0x03, struct dune_enter), &e), ENOTTY);

	/* The output fields are not checked on input (a resume passes them back). */
	e = good;
	e.exit_reason = 99;
	e.hw_exit_reason = 1234;
	e.exit_qual = ~0ULL;
	e.guest_phys = ~0ULL;
	e.guest_linear = ~0ULL;
	e.status = ~0ULL;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, getpid());
}

TEST(enter_bad_registers)
{
	struct dune_enter e, good;
	static const uint64_t noncanon[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL, 0x8000000000000000ULL,
		0x00ff000000001000ULL,
	};
	static const uint64_t bad_flags[] = {
		0,			/* bit 1 clear */
		0x2 | (1 << 3),		/* reserved bit 3 */
		0x2 | (1 << 5),		/* reserved bit 5 */
		0x2 | (1 << 15),	/* reserved bit 15 */
		0x2 | (1 << 22),	/* reserved bit 22 */
		0x2 | (1ULL << 32),	/* upper half */
	};
	unsigned int i;

	guest_init();
	guest_setup(&good, g_getpid, 0);
	for (i = 0; i < sizeof(noncanon) / sizeof(noncanon[0]); i++) {
		e = good;
		e.regs.rip = noncanon[i];
		EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
		e = good;
		e.regs.rsp = noncanon[i];
		EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	}
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		e = good;
		e.regs.rflags = bad_flags[i];
		EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	}
	e = good;
	e.cr3 = guest.layout.guest_phys_limit;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	e.cr3 = 1ULL << 52;
	EXPECT_ERRNO(enter(guest.fd, &e), EINVAL);
	/* None of that broke anything. */
	e = good;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, getpid());
}

TEST(enter_nested_is_ebusy)
{
	static struct dune_enter inner;
	static char inner_stack[16384] __attribute__((aligned(16)));

	guest_init();
	guest_setup_stack(&inner, guest.cr3, g_getpid, 0, inner_stack, sizeof(inner_stack));
	EXPECT_EQ(guest_run(g_nested_enter, (long)&inner), -EBUSY);
	/* The thread is fine afterwards, and the inner struct works from the host. */
	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
	ASSERT_EQ(guest_enter(&inner), 0);
	ASSERT_RETURNED(&inner);
	EXPECT_EQ(inner.regs.rax, getpid());
}

TEST(enter_with_parents_fd_is_ebadfd)
{
	struct dune_enter e;
	pid_t pid;

	guest_init();
	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		guest_setup(&e, g_getpid, 0);
		ASSERT_ERRNO(guest_enter(&e), EBADFD);
		/* Its own descriptor and tables work. */
		guest_init();
		ASSERT_EQ(guest_run(g_getpid, 0), getpid());
		child_exit();
	}
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
}

TEST(unknown_ioctl)
{
	char buf[512] = { 0 };

	guest_init();
	EXPECT_ERRNO(ioctl(guest.fd, _IOWR(DUNE_IOCTL_TYPE, 0x05, struct dune_enter), buf), ENOTTY);
	EXPECT_ERRNO(ioctl(guest.fd, _IOWR(DUNE_IOCTL_TYPE, 0x04, char[512]), buf), ENOTTY);
	EXPECT_ERRNO(ioctl(guest.fd, _IOWR(DUNE_IOCTL_TYPE, 0x03, char[512]), buf), ENOTTY);
}

TEST(stats_bad_arguments)
{
	struct dune_stats s;
	int fd = dune_open();

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s) - 8;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, &s), EINVAL);
	s.size = 0;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, &s), EINVAL);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = 1;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, &s), EINVAL);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.reserved[1] = 1;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, &s), EINVAL);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.exits[7] = 1;		/* output fields must come in as zero */
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, &s), EINVAL);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_STATS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, _IOWR(DUNE_IOCTL_TYPE, 0x04, struct dune_layout), &s), ENOTTY);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	EXPECT_EQ(ioctl(fd, DUNE_GET_STATS, &s), 0);
	EXPECT_EQ(s.size, sizeof(s));
	close(fd);
}

TEST(stats_counters)
{
	struct dune_stats s0, s1, s2;
	struct dune_enter e;
	static long counter;
	const long K = 50, M = 10;
	uint64_t sum = 0;
	int i;

	guest_init();
	dune_get_stats(guest.fd, &s0);
	diag("fresh process: entries %llu syscalls %llu vcpus %llu ept_pages %llu",
	     (unsigned long long)s0.entries, (unsigned long long)s0.syscalls,
	     (unsigned long long)s0.vcpus, (unsigned long long)s0.ept_pages);
	EXPECT_EQ(s0.entries, 0);
	EXPECT_EQ(s0.syscalls, 0);
	EXPECT_EQ(s0.vcpus, 0);

	EXPECT_EQ(guest_run(g_vmcalls, K), 0);
	guest_setup(&e, (guest_fn_t)guest_hlt_loop, M);
	e.regs.rsi = (uint64_t)&counter;
	for (i = 0; i <= M; i++) {
		ASSERT_EQ(guest_enter(&e), 0);
		ASSERT_EXIT(&e, DUNE_EXIT_HLT);
	}
	ASSERT_RETURNED(&e);

	dune_get_stats(guest.fd, &s1);
	for (i = 0; i < DUNE_STATS_EXIT_REASONS; i++)
		sum += s1.exits[i];
	diag("entries %llu syscalls %llu ept_faults %llu ept_invalidations %llu vcpus %llu "
	     "ept_pages %llu; exits: HLT %llu VMCALL %llu EPT %llu ext-int %llu, all %llu",
	     (unsigned long long)s1.entries, (unsigned long long)s1.syscalls,
	     (unsigned long long)s1.ept_faults, (unsigned long long)s1.ept_invalidations,
	     (unsigned long long)s1.vcpus, (unsigned long long)s1.ept_pages,
	     (unsigned long long)s1.exits[VMX_EXIT_HLT], (unsigned long long)s1.exits[VMX_EXIT_VMCALL],
	     (unsigned long long)s1.exits[VMX_EXIT_EPT_VIOLATION],
	     (unsigned long long)s1.exits[VMX_EXIT_EXTERNAL_INTERRUPT], (unsigned long long)sum);
	EXPECT_EQ(s1.syscalls, K);
	EXPECT_EQ(s1.exits[VMX_EXIT_VMCALL], K);
	EXPECT_EQ(s1.exits[VMX_EXIT_HLT], M + 2);
	EXPECT_GE(s1.entries, K + M + 2);
	EXPECT_EQ(sum, s1.entries);	/* every entry ended in one exit */
	EXPECT_GE(s1.ept_faults, 1);
	EXPECT_EQ(s1.vcpus, 1);
	EXPECT_GE(s1.ept_pages, 1);

	EXPECT_EQ(guest_run(g_getpid, 0), getpid());
	dune_get_stats(guest.fd, &s2);
	EXPECT_EQ(s2.syscalls, s1.syscalls + 1);
	EXPECT_GT(s2.entries, s1.entries);
	EXPECT_GE(s2.ept_faults, s1.ept_faults);
	for (i = 0; i < DUNE_STATS_EXIT_REASONS; i++)
		EXPECT_GE(s2.exits[i], s1.exits[i]);
}

TEST(debugfs_counters)
{
	long long vcpus0, pages0, ctx0, hlt0, vcpus1, pages1, ctx1, hlt1;
	int go[2], ready[2];
	char c;
	pid_t pid;

	vcpus0 = dune_debugfs("vcpus");
	pages0 = dune_debugfs("ept_pages");
	ctx0 = dune_debugfs("contexts");
	hlt0 = dune_debugfs_exits(VMX_EXIT_HLT);
	diag("before: vcpus %lld ept_pages %lld contexts %lld HLT exits %lld", vcpus0, pages0,
	     ctx0, hlt0);
	ASSERT_GE(vcpus0, 0);
	ASSERT_GE(pages0, 0);
	ASSERT_GE(ctx0, 0);
	ASSERT_GE(hlt0, 0);
	ASSERT_EQ(pipe(go), 0);
	ASSERT_EQ(pipe(ready), 0);
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct dune_enter e;
		static long counter;

		guest_init();
		guest_setup(&e, (guest_fn_t)guest_hlt_loop, 3);
		e.regs.rsi = (uint64_t)&counter;
		ASSERT_EQ(guest_enter(&e), 0);
		ASSERT_EXIT(&e, DUNE_EXIT_HLT);
		ASSERT_EQ(write(ready[1], "r", 1), 1);
		ASSERT_EQ(read(go[0], &c, 1), 1);
		child_exit();
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	vcpus1 = dune_debugfs("vcpus");
	pages1 = dune_debugfs("ept_pages");
	ctx1 = dune_debugfs("contexts");
	hlt1 = dune_debugfs_exits(VMX_EXIT_HLT);
	diag("a Dune process alive: vcpus %lld ept_pages %lld contexts %lld HLT exits %lld",
	     vcpus1, pages1, ctx1, hlt1);
	EXPECT_GE(vcpus1, vcpus0 + 1);
	EXPECT_GE(pages1, pages0 + 1);
	EXPECT_GE(ctx1, ctx0 + 1);
	EXPECT_GE(hlt1, hlt0 + 1);
	ASSERT_EQ(write(go[1], "g", 1), 1);
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(dune_debugfs_wait("vcpus", vcpus0, 5000), vcpus0);
	EXPECT_EQ(dune_debugfs_wait("ept_pages", pages0, 5000), pages0);
	EXPECT_EQ(dune_debugfs_wait("contexts", ctx0, 5000), ctx0);
}

TEST_MAIN()
