// SPDX-License-Identifier: BSD-3-Clause
/*
 * dune_trap.c - in-VM tests of libdune's exception handling (trap.c,
 * entry.S): handlers that fix and resume, skip the instruction, or end the
 * process with a report; faults nobody handles never hang.
 */
#include "dune_test.h"

#include <pthread.h>
#include <x86intrin.h>

static volatile int hits;
static volatile uint64_t last_vector, last_err, last_rip;

static void fix_divisor(struct dune_tf *tf)
{
	hits++;
	last_vector = tf->vector;
	last_rip = tf->rip;
	tf->rcx = 7;		/* fix the cause: the DIV runs again */
}

static void skip_it(struct dune_tf *tf)
{
	hits++;
	last_vector = tf->vector;
	last_err = tf->err;
	last_rip = tf->rip;
	if (dune_skip_insn(tf) <= 0)
		dune_die(tf, "cannot skip the instruction");
}

static uint32_t divide(uint32_t a, uint32_t b)
{
	uint32_t q, r;

	/* "+c": a handler may fix the divisor in RCX. */
	__asm__ volatile("xorl %%edx, %%edx\n\tdivl %%ecx"
			 : "=a"(q), "=d"(r), "+c"(b) : "a"(a) : "cc");
	return q;
}

DUNE_TEST(divide_error_fixed_and_resumed)
{
	uint64_t t0, t1;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_DE, fix_divisor), 0);
	hits = 0;
	EXPECT_EQ(divide(700, 0), 100);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_vector, DUNE_T_DE);
	/* The handler ran on a frame below the red zone: our locals survive. */
	t0 = __rdtsc();
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(divide(7000 + 7 * i, 0), 1000 + i);
	t1 = __rdtsc();
	EXPECT_EQ(hits, 1001);
	/* In the emulator, TSC ticks count emulated instructions. */
	diag("#DE to a handler and back: %llu TSC ticks each (1000 faults)",
	     (unsigned long long)(t1 - t0) / 1000);
}

DUNE_TEST(divide_error_skipped)
{
	volatile uint32_t q = 5;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_DE, skip_it), 0);
	q = divide(1, 0);	/* skipped: EAX keeps the dividend */
	EXPECT_EQ(q, 1);
	EXPECT_EQ(hits, 1);
}

DUNE_TEST(invalid_opcode_breakpoint_gp_skipped)
{
	volatile uint64_t x = 0;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_UD, skip_it), 0);
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_GP, skip_it), 0);
	ASSERT_EQ(dune_register_intr_handler(DUNE_T_BP, fix_divisor), 0);
	__asm__ volatile("ud2");
	EXPECT_EQ(last_vector, DUNE_T_UD);
	EXPECT_EQ(hits, 1);
	/* int3 is a trap: RIP is already past it, the handler just returns. */
	__asm__ volatile("int3");
	EXPECT_EQ(last_vector, DUNE_T_BP);
	EXPECT_EQ(hits, 2);
	/* A non-canonical address: #GP with error code 0. */
	__asm__ volatile("movabs $0x8000000000000000, %%rax\n\tmovq (%%rax), %%rax"
			 ::: "rax", "memory");
	EXPECT_EQ(last_vector, DUNE_T_GP);
	EXPECT_EQ(last_err, 0);
	EXPECT_EQ(hits, 3);
	x = 1;
	EXPECT_EQ(x, 1);
	EXPECT_EQ(dune_register_intr_handler(256, skip_it), -EINVAL);
	EXPECT_EQ(dune_register_intr_handler(-1, skip_it), -EINVAL);
}

static volatile uintptr_t pf_addr;
static volatile uint64_t pf_fec;

static void pf_skip(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	pf_addr = addr;
	pf_fec = fec;
	hits++;
	dune_skip_insn(tf);
}

DUNE_TEST(page_fault_handler_sees_address)
{
	volatile int *bad;

	DUNE_ENTER_OR_FAIL();
	bad = (int *)((char *)unbacked_va(0) + 0x1234);	/* not mapped in the guest */
	ASSERT_EQ(dune_register_pgflt_handler(pf_skip), 0);
	hits = 0;
	(void)*bad;
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(pf_addr, (uintptr_t)bad);
	EXPECT_EQ(pf_fec & (DUNE_PF_P | DUNE_PF_W | DUNE_PF_U), 0);
	*bad = 1;
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(pf_fec & (DUNE_PF_W | DUNE_PF_U), DUNE_PF_W);
}

static volatile int soft_hits;
static volatile uint64_t soft_vec;

static void soft_intr(struct dune_tf *tf)
{
	soft_hits++;
	soft_vec = tf->vector;
}

DUNE_TEST(interrupt_vector_handlers)
{
	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_intr_handler(0x80, soft_intr), 0);
	ASSERT_EQ(dune_register_intr_handler(200, soft_intr), 0);
	EXPECT_EQ(dune_register_intr_handler(DUNE_VEC_SIGNAL, soft_intr), -EINVAL);
	__asm__ volatile("int $0x80" ::: "memory");
	EXPECT_EQ(soft_hits, 1);
	EXPECT_EQ(soft_vec, 0x80);
	__asm__ volatile("int $200" ::: "memory");
	EXPECT_EQ(soft_hits, 2);
	EXPECT_EQ(soft_vec, 200);
	/* Removed again: the vector is unhandled (tested below for exceptions). */
	ASSERT_EQ(dune_register_intr_handler(200, NULL), 0);
}

/* ---- faults nobody handles: report and the native signal -------------------- */

void null_deref(void);
void null_deref(void)
{
	if (dune_init_and_enter())
		_exit(99);
	*(volatile int *)0 = 1;
	_exit(98);
}

void ud_unhandled(void);
void ud_unhandled(void)
{
	if (dune_init_and_enter())
		_exit(99);
	__asm__ volatile("ud2");
	_exit(98);
}

static void div_unhandled(void)
{
	if (dune_init_and_enter())
		_exit(99);
	divide(1, 0);
	_exit(98);
}

static void die_from_handler(struct dune_tf *tf)
{
	dune_die(tf, "test handler gives up on vector %llu", (unsigned long long)tf->vector);
}

static void handler_dies(void)
{
	if (dune_init_and_enter())
		_exit(99);
	dune_register_intr_handler(DUNE_T_BP, die_from_handler);
	__asm__ volatile("int3");
	_exit(98);
}

static int recurse(int n)
{
	volatile char buf[4096];

	buf[0] = (char)n;
	return n ? recurse(n - 1) + buf[0] : 0;
}

static void *overflow_thread(void *arg)
{
	(void)arg;
	recurse(1 << 20);
	return NULL;
}

static void stack_overflow(void)
{
	pthread_t t;
	pthread_attr_t a;

	if (dune_init_and_enter())
		_exit(99);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 256 * 1024);
	pthread_create(&t, &a, overflow_thread, NULL);
	pthread_join(t, NULL);
	_exit(98);
}

static void expect_death(void (*fn)(void), int sig, const char *const *needles)
{
	static char out[16384];
	int st = run_child_capture(fn, out, sizeof(out));

	diag("report: %.*s", 600, out);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), sig);
	for (; *needles; needles++)
		if (!strstr(out, *needles)) {
			diag("missing from the report: \"%s\"", *needles);
			EXPECT_TRUE(0);
		}
}

DUNE_TEST(unhandled_page_fault_reports_and_segfaults)
{
	static const char *const n[] = { "page fault", "fault address 0000000000000000",
					 "not present, write, ring 0", "rip ", "backtrace:",
					 "null_deref", NULL };

	expect_death(null_deref, SIGSEGV, n);
}

DUNE_TEST(unhandled_invalid_opcode_sigill)
{
	static const char *const n[] = { "invalid opcode (#UD)", "ud_unhandled", NULL };

	expect_death(ud_unhandled, SIGILL, n);
}

DUNE_TEST(unhandled_divide_error_sigfpe)
{
	static const char *const n[] = { "divide error (#DE)", "divide", NULL };

	expect_death(div_unhandled, SIGFPE, n);
}

DUNE_TEST(handler_can_end_the_process)
{
	static const char *const n[] = { "test handler gives up on vector 3", "breakpoint", NULL };

	expect_death(handler_dies, SIGTRAP, n);
}

DUNE_TEST_TIMEOUT(stack_overflow_dies_cleanly, 120)
{
	static const char *const n[] = { "libdune:", NULL };

	expect_death(stack_overflow, SIGSEGV, n);
}

TEST_MAIN()
