// SPDX-License-Identifier: BSD-3-Clause
/*
 * dune_ring3.c - in-VM tests of ring 3 (dune_jump_to_user, the syscall
 * handler, faults and signals from ring 3): ring-3 code makes system calls
 * through a handler that counts, passes and refuses them; it cannot run
 * privileged instructions, touch ring-0 pages, VMCALL, or forge its way
 * into ring 0's system calls.
 */
#include "dune_test.h"

#include <sys/time.h>
#include <x86intrin.h>

/*
 * The ring-3 code: position-independent routines, copied to a user page.
 * Each starts with %rdi = its argument.
 */
__asm__(".pushsection .text\n"
	".globl r3_start, r3_syscalls, r3_cli, r3_hlt, r3_wrmsr, r3_cr3, r3_io, r3_lgdt\n"
	".globl r3_vmcall, r3_read, r3_touch, r3_int3, r3_spin, r3_forge_gs, r3_end\n"
	".globl r3_getpid_loop, r3_dr7, r3_xsetbv, r3_rdmsr, r3_vmread\n"
	"r3_start:\n"
	/* getpid; write(arg, msg); getuid (refused); exit(getuid's result) */
	"r3_syscalls:\n"
	"	movq %rdi, %r13\n"
	"	movl $39, %eax\n"
	"	syscall\n"
	"	movq %rax, %r12\n"
	"	movq %r13, %rdi\n"
	"	leaq r3_msg(%rip), %rsi\n"
	"	movl $18, %edx\n"
	"	movl $1, %eax\n"
	"	syscall\n"
	"	movl $102, %eax\n"
	"	syscall\n"
	"	movq %rax, %rdi\n"
	"	movl $60, %eax\n"
	"	syscall\n"
	"	ud2\n"
	"r3_msg: .ascii \"hello from ring 3\\n\"\n"
	"r3_cli: cli\n ud2\n"
	"r3_hlt: hlt\n ud2\n"
	"r3_wrmsr: movl $0x10, %ecx\n wrmsr\n ud2\n"
	"r3_cr3: movq %rdi, %cr3\n ud2\n"
	"r3_io: inb $0x80, %al\n ud2\n"
	"r3_lgdt: lgdt (%rsp)\n ud2\n"
	"r3_vmcall: movl $39, %eax\n vmcall\n ud2\n"
	"r3_dr7: xorl %eax, %eax\n movq %rax, %dr7\n ud2\n"
	"r3_xsetbv: xorl %ecx, %ecx\n xgetbv\n xsetbv\n ud2\n"
	"r3_rdmsr: movl $0xc0000080, %ecx\n rdmsr\n ud2\n"
	/* If it ran, the system call after it is counted (nsys). */
	"r3_vmread: xorl %eax, %eax\n vmread %rax, %rbx\n movl $39, %eax\n syscall\n ud2\n"
	/* read a word at arg, exit with it */
	"r3_read:\n"
	"	movq (%rdi), %rdi\n"
	"	movl $60, %eax\n"
	"	syscall\n"
	/* write 77 at arg, read it back, exit with it */
	"r3_touch:\n"
	"	movq $77, (%rdi)\n"
	"	movq (%rdi), %rdi\n"
	"	movl $60, %eax\n"
	"	syscall\n"
	"r3_int3: int3\n movl $5, %edi\n movl $60, %eax\n syscall\n"
	"r3_spin: jmp r3_spin\n"
	/* getpid arg times, then exit(0) */
	"r3_getpid_loop:\n"
	"	movq %rdi, %r12\n"
	"1:	movl $39, %eax\n"
	"	syscall\n"
	"	decq %r12\n"
	"	jnz 1b\n"
	"	xorl %edi, %edi\n"
	"	movl $60, %eax\n"
	"	syscall\n"
	/* a GS selector (base 0), then mkdir(arg): must never reach the host */
	"r3_forge_gs:\n"
	"	movl $0x1b, %eax\n"
	"	movw %ax, %gs\n"
	"	movl $83, %eax\n"
	"	movl $0755, %esi\n"
	"	syscall\n"
	"	movl $60, %eax\n"
	"	syscall\n"
	"r3_end:\n"
	".popsection\n");
extern char r3_start[], r3_syscalls[], r3_cli[], r3_hlt[], r3_wrmsr[], r3_cr3[], r3_io[];
extern char r3_dr7[], r3_xsetbv[], r3_rdmsr[], r3_vmread[];
extern char r3_lgdt[], r3_vmcall[], r3_read[], r3_touch[], r3_int3[], r3_spin[], r3_forge_gs[];
extern char r3_end[], r3_getpid_loop[];

#define PG 4096UL
static char *ucode, *ustack;

/*
 * Ring 3's memory is the process's own (so that the host kernel can read
 * the buffers of the system calls it passes through), mapped a second time
 * with the user bit: the code page read+execute, a stack read+write.
 */
static void setup_ring3(void)
{
	size_t len = r3_end - r3_start;
	char *mem = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(mem != MAP_FAILED);
	ASSERT_TRUE(len < PG);
	ucode = mem;
	ustack = mem + 4 * PG;
	memcpy(ucode, r3_start, len);
	ASSERT_EQ(dune_vm_map_phys(dune_pgroot, ucode, PG, dune_va_to_pa(ucode),
				   DUNE_PERM_R | DUNE_PERM_X | DUNE_PERM_U), 0);
	ASSERT_EQ(dune_vm_map_phys(dune_pgroot, ustack, 4 * PG, dune_va_to_pa(ustack),
				   DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U), 0);
}

static int run_user(char *routine, uint64_t arg)
{
	struct dune_tf tf;

	memset(&tf, 0, sizeof(tf));
	tf.rip = (uintptr_t)(ucode + (routine - r3_start));
	tf.rsp = (uintptr_t)(ustack + 4 * PG - 64);
	tf.rdi = arg;
	tf.rflags = 0x202;
	return dune_jump_to_user(&tf);
}

static volatile int nsys, refused;
static volatile uint64_t exit_arg, r3_pid;

static void sys_handler(struct dune_tf *tf)
{
	nsys++;
	if ((tf->cs & 3) != 3)
		dune_die(tf, "system-call handler called for ring %d", (int)(tf->cs & 3));
	switch (tf->rax) {
	case SYS_getuid:
		refused++;
		tf->rax = -EPERM;
		break;
	case SYS_exit:
		exit_arg = tf->rdi;
		r3_pid = tf->r12;
		dune_ret_from_user(1000 + nsys);
	default:
		dune_passthrough_syscall(tf);
	}
}

DUNE_TEST(ring3_syscalls_through_a_filtering_handler)
{
	int p[2], r;
	char buf[64] = { 0 };

	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(dune_register_syscall_handler(sys_handler), 0);
	r = run_user(r3_syscalls, p[1]);
	EXPECT_EQ(r, 1004);		/* four calls, the last one ended it */
	EXPECT_EQ(nsys, 4);
	EXPECT_EQ(refused, 1);
	EXPECT_EQ((int64_t)exit_arg, -EPERM);
	EXPECT_EQ(r3_pid, (uint64_t)getpid());
	ASSERT_EQ(read(p[0], buf, sizeof(buf) - 1), 18);
	EXPECT_STREQ(buf, "hello from ring 3\n");
	/* Back in ring 0, with glibc's TLS (errno lives there). */
	EXPECT_EQ(current_cpl(), 0);
	errno = 0;
	EXPECT_EQ(close(-1), -1);
	EXPECT_EQ(errno, EBADF);
	/* Again: the same ring-3 code, a second time. */
	nsys = 0;
	EXPECT_EQ(run_user(r3_syscalls, p[1]), 1004);
}

/*
 * Interposition's cost: getpid from ring 3 through the handler, which
 * passes it through, against getpid from ring 0 (the SYSCALL stub and a
 * VMCALL).  In the emulator TSC ticks count emulated instructions.
 */
DUNE_TEST(ring3_syscall_round_trip)
{
	uint64_t t0, t1, t2;
	int i;

	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(dune_register_syscall_handler(sys_handler), 0);
	nsys = 0;
	t0 = __rdtsc();
	EXPECT_EQ(run_user(r3_getpid_loop, 1000), 1000 + 1001);
	t1 = __rdtsc();
	for (i = 0; i < 1000; i++)
		syscall(SYS_getpid);
	t2 = __rdtsc();
	EXPECT_EQ(nsys, 1001);
	diag("getpid from ring 3 through a passing handler: %llu TSC ticks; from ring 0: %llu",
	     (unsigned long long)(t1 - t0) / 1000, (unsigned long long)(t2 - t1) / 1000);
}

static volatile uint64_t trap_vec, trap_cs, trap_err;

static void catch_and_return(struct dune_tf *tf)
{
	trap_vec = tf->vector;
	trap_cs = tf->cs;
	trap_err = tf->err;
	dune_ret_from_user(-(int)tf->vector - 1);
}

DUNE_TEST(ring3_privileged_instructions_caught)
{
	static struct { const char *name; char *fn; int vec; } cases[] = {
		{ "cli", r3_cli, DUNE_T_GP }, { "hlt", r3_hlt, DUNE_T_GP },
		{ "wrmsr", r3_wrmsr, DUNE_T_GP }, { "mov to cr3", r3_cr3, DUNE_T_GP },
		{ "in", r3_io, DUNE_T_GP }, { "lgdt", r3_lgdt, DUNE_T_GP },
		{ "vmcall", r3_vmcall, DUNE_T_UD },
		/* These exit to dune.ko under Bochs instead of faulting first:
		 * the module must fault them for ring 3 itself. */
		{ "mov to dr7", r3_dr7, DUNE_T_GP }, { "xsetbv", r3_xsetbv, DUNE_T_GP },
		{ "rdmsr", r3_rdmsr, DUNE_T_GP }, { "vmread", r3_vmread, DUNE_T_UD },
	};
	unsigned int i;

	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(dune_register_syscall_handler(sys_handler), 0);
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_GP, catch_and_return), 0);
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_UD, catch_and_return), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		trap_vec = 999;
		r = run_user(cases[i].fn, 0);
		diag("%s in ring 3: vector %llu, error code %llu", cases[i].name,
		     (unsigned long long)trap_vec, (unsigned long long)trap_err);
		EXPECT_EQ(r, -cases[i].vec - 1);
		EXPECT_EQ(trap_vec, (uint64_t)cases[i].vec);
		EXPECT_EQ(trap_cs & 3, 3);
	}
	EXPECT_EQ(nsys, 0);	/* the VMCALL ran nothing */
}

static volatile uint64_t pf_addr, pf_fec;

static void pf_from_user(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	pf_addr = addr;
	pf_fec = fec;
	if (!(fec & DUNE_PF_U))
		dune_die(tf, "ring-0 fault at %lx", (unsigned long)addr);
	if (fec & DUNE_PF_P)
		dune_ret_from_user(-100);	/* a protection fault: ring 0's page */
	/* not present: give ring 3 a page and let it retry */
	if (dune_vm_map_pages(dune_pgroot, (void *)(addr & ~(PG - 1)), PG,
			      DUNE_PERM_R | DUNE_PERM_W | DUNE_PERM_U))
		dune_die(tf, "map failed");
}

static uint64_t ring0_secret = 0x5ec2e7;

DUNE_TEST(ring3_cannot_touch_ring0_pages)
{
	char *heap = malloc(64);

	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(dune_register_syscall_handler(sys_handler), 0);
	ASSERT_EQ(dune_register_pgflt_handler(pf_from_user), 0);
	/* The process's own memory (supervisor): data, heap, the code itself. */
	EXPECT_EQ(run_user(r3_read, (uintptr_t)&ring0_secret), -100);
	EXPECT_EQ(pf_addr, (uintptr_t)&ring0_secret);
	EXPECT_EQ(pf_fec & (DUNE_PF_P | DUNE_PF_U | DUNE_PF_W), DUNE_PF_P | DUNE_PF_U);
	EXPECT_EQ(run_user(r3_read, (uintptr_t)heap), -100);
	EXPECT_EQ(run_user(r3_read, (uintptr_t)r3_syscalls), -100);
	/* A fault on a missing user page is fixed by the handler and retried. */
	nsys = 0;
	EXPECT_EQ(run_user(r3_touch, (uintptr_t)unbacked_va(0) + 8), 1001);
	EXPECT_EQ(exit_arg, 77);
	free(heap);
}

static volatile int bp_hits;

static void bp_handler(struct dune_tf *tf)
{
	if ((tf->cs & 3) == 3)
		bp_hits++;
}

DUNE_TEST(ring3_breakpoint_resumes)
{
	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(dune_register_syscall_handler(sys_handler), 0);
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_BP, bp_handler), 0);
	nsys = 0;
	EXPECT_EQ(run_user(r3_int3, 0), 1001);
	EXPECT_EQ(bp_hits, 1);
	EXPECT_EQ(exit_arg, 5);
}

static void alarm_in_ring3(int signo, siginfo_t *info, struct dune_tf *tf)
{
	(void)info;
	if ((tf->cs & 3) == 3)
		dune_ret_from_user(signo);
}

DUNE_TEST(signal_stops_a_ring3_loop)
{
	struct itimerval it = { .it_value = { 0, 200000 } };

	DUNE_ENTER_OR_FAIL();
	setup_ring3();
	ASSERT_EQ(dune_register_signal_handler(SIGALRM, alarm_in_ring3), 0);
	ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	EXPECT_EQ(run_user(r3_spin, 0), SIGALRM);
	EXPECT_EQ(current_cpl(), 0);
}

DUNE_TEST(jump_to_user_errors)
{
	struct dune_tf tf = { 0 };

	EXPECT_EQ(dune_jump_to_user(&tf), -EPERM);	/* host mode */
}

static const char *forge_dir = "/tmp/dune_ring3_escaped";

static void forge_gs(void)
{
	if (dune_init_and_enter())
		_exit(99);
	setup_ring3();
	dune_register_syscall_handler(sys_handler);
	strcpy(ustack, forge_dir);
	run_user(r3_forge_gs, (uintptr_t)ustack);
	_exit(98);
}

DUNE_TEST(ring3_cannot_forge_ring0_syscalls)
{
	static char out[8192];
	int st;

	rmdir(forge_dir);
	st = run_child_capture(forge_gs, out, sizeof(out));
	diag("report: %.*s", 400, out);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
	EXPECT_TRUE(strstr(out, "libdune:") != NULL);
	EXPECT_EQ(access(forge_dir, F_OK), -1);	/* the mkdir never ran */
}

TEST_MAIN()
