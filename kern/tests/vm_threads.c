// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of several threads in Dune mode: four threads, each on its own
 * virtual CPU, make system calls and FPU/SSE arithmetic for seconds side by
 * side (2 CPUs); a guest spinning in ring 0 is stopped promptly by a timer
 * signal and by a signal from another thread; a process spinning in ring 0
 * dies of SIGKILL and leaves no virtual CPU or EPT page behind.
 */
#define _GNU_SOURCE
#include <emmintrin.h>

#include "guest.h"

#define NTHREADS	4
#define WORKER_NS	(3 * 1000000000LL)	/* guest seconds per worker */
#define WSTACK		(64 * 1024)

/* ---- four workers --------------------------------------------------------------------- */

struct worker {
	int idx;
	long pid, tid;			/* the host thread's, for the guest to compare */
	int devnull, pipe[2];
	char *stack;
	struct dune_enter e;
	int enter_errno, sigs;
	/* written by the guest */
	long iters, errors, fpu_bad;
};

static struct worker workers[NTHREADS];

static GUEST_FN long g_worker(long arg)
{
	struct worker *w = (struct worker *)arg;
	struct timespec ts;
	long long end = 0, now;
	__m128d acc = _mm_setzero_pd(), half = _mm_set1_pd(0.5), exp;
	long double x87 = 0;
	long i, errors = 0, fpu_bad = 0, s;
	char c = 'w', r;

	for (i = 0;; i++) {
		double d, d2;

		if ((i & 7) == 0) {
			if (vmcall2(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts))
				errors++;
			now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			if (!end)
				end = now + WORKER_NS;
			else if (now >= end)
				break;
		}
		/* SSE (packed and scalar) and x87 values live across the VMCALLs. */
		d = (double)i * 1.5;
		acc = _mm_add_pd(acc, _mm_mul_pd(_mm_sqrt_pd(_mm_set_pd((double)(i + 1) * (i + 1),
									 (double)i * i)), half));
		x87 += (long double)i * 3;
		if (vmcall0(SYS_getpid) != w->pid)
			errors++;
		if (vmcall0(SYS_gettid) != w->tid)
			errors++;
		if (vmcall3(SYS_write, w->devnull, (long)&c, 1) != 1)
			errors++;
		if (vmcall3(SYS_write, w->pipe[1], (long)&c, 1) != 1)
			errors++;
		r = 0;
		if (vmcall3(SYS_read, w->pipe[0], (long)&r, 1) != 1 || r != c)
			errors++;
		d2 = d / 3.0 * 2.0;
		if (d2 != (double)i)
			fpu_bad++;
		c = (char)('a' + i % 26);
	}
	/* acc = (sum of i/2, sum of (i+1)/2) for i < iterations: exact. */
	s = i * (i - 1) / 2;
	exp = _mm_set_pd((double)(s + i) / 2, (double)s / 2);
	if (_mm_movemask_pd(_mm_cmpeq_pd(acc, exp)) != 3)
		fpu_bad++;
	if (x87 != (long double)s * 3)
		fpu_bad++;
	w->iters = i;
	w->errors = errors;
	w->fpu_bad = fpu_bad;
	vmcall1(SYS_exit, 10 + w->idx);
	return -1;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->tid = gettid();
	guest_setup_stack(&w->e, guest.cr3, g_worker, (long)w, w->stack, WSTACK);
	for (;;) {
		if (enter(guest.fd, &w->e)) {
			w->enter_errno = errno;
			break;
		}
		if (w->e.exit_reason != DUNE_EXIT_SIGNAL)
			break;
		w->sigs++;
	}
	return NULL;
}

TEST_TIMEOUT_S(four_threads_syscalls_and_fpu, 120)
{
	pthread_t th[NTHREADS];
	struct dune_stats s;
	long long t0;
	int i, devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	ASSERT_GE(devnull, 0);
	diag("%ld CPUs online", sysconf(_SC_NPROCESSORS_ONLN));
	for (i = 0; i < NTHREADS; i++) {
		workers[i].idx = i;
		workers[i].pid = getpid();
		workers[i].devnull = devnull;
		ASSERT_EQ(pipe(workers[i].pipe), 0);
		workers[i].stack = mmap(NULL, WSTACK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(workers[i].stack != MAP_FAILED);
	}
	guest_init();
	t0 = now_ns();
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, worker_thread, &workers[i]), 0);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(th[i], NULL), 0);
	diag("%d threads ran %.1f s", NTHREADS, (double)(now_ns() - t0) / 1e9);
	for (i = 0; i < NTHREADS; i++) {
		struct worker *w = &workers[i];

		diag("thread %d: %ld iterations, %ld errors, %ld FPU errors, %d signal exits", i,
		     w->iters, w->errors, w->fpu_bad, w->sigs);
		EXPECT_EQ(w->enter_errno, 0);
		EXPECT_EXIT(&w->e, DUNE_EXIT_EXIT);
		EXPECT_EQ(w->e.status, 10 + i);
		EXPECT_EQ(w->e.exit_qual, 0);	/* exit, not exit_group */
		EXPECT_GT(w->iters, 100);
		EXPECT_EQ(w->errors, 0);
		EXPECT_EQ(w->fpu_bad, 0);
	}
	dune_get_stats(guest.fd, &s);
	diag("entries %llu syscalls %llu, exits: ext-int %llu VMCALL %llu",
	     (unsigned long long)s.entries, (unsigned long long)s.syscalls,
	     (unsigned long long)s.exits[VMX_EXIT_EXTERNAL_INTERRUPT],
	     (unsigned long long)s.exits[VMX_EXIT_VMCALL]);
	EXPECT_GE(s.syscalls, (uint64_t)(workers[0].iters + workers[1].iters + workers[2].iters +
					 workers[3].iters) * 5);
	/* The threads are gone, and so are their virtual CPUs. */
	for (i = 0; i < 250 && s.vcpus; i++) {
		msleep(20);
		dune_get_stats(guest.fd, &s);
	}
	EXPECT_EQ(s.vcpus, 0);
}

/* ---- a spinning guest and signals -------------------------------------------------------- */

static volatile long spin_count;
static volatile int spin_stop;

static GUEST_FN long g_spin(long arg)
{
	(void)arg;
	while (!spin_stop)
		spin_count++;
	return 1;
}

TEST(spinning_guest_stopped_by_timer_signal)
{
	struct dune_enter e;
	timer_t t;
	int round;

	t = timer_new(0);
	guest_init();
	guest_setup(&e, g_spin, 0);
	for (round = 1; round <= 3; round++) {
		long long t0, ms;
		long c0 = spin_count;

		t0 = now_ns();
		timer_arm(t, 300, 0);
		/* The first entry, then resumes; other DUNE_EXIT_SIGNALs are not ours. */
		do
			ASSERT_EQ(enter(guest.fd, &e), 0);
		while (e.exit_reason == DUNE_EXIT_SIGNAL && timer_hits < round);
		ms = (now_ns() - t0) / 1000000;
		diag("round %d: DUNE_EXIT %s after %lld ms (timer at 300 ms), %ld loops", round,
		     dune_exit_name(e.exit_reason), ms, spin_count - c0);
		ASSERT_EXIT(&e, DUNE_EXIT_SIGNAL);
		EXPECT_EQ(timer_hits, round);	/* the handler ran on the way out */
		EXPECT_GT(spin_count, c0);
		EXPECT_GE(ms, 290);
		EXPECT_LT(ms, 2300);
	}
	spin_stop = 1;
	ASSERT_EQ(guest_enter(&e), 0);
	ASSERT_RETURNED(&e);
	EXPECT_EQ(e.regs.rax, 1);
	timer_delete(t);
}

static volatile pid_t usr1_tid;
static volatile int usr1_hits;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = gettid();
	usr1_hits++;
}

struct spinner {
	struct dune_enter e;
	pid_t tid;
	volatile int sigs;
	volatile long long t_sig;
	int enter_errno;
};

static void *spinner_thread(void *arg)
{
	struct spinner *s = arg;
	int seen = 0;

	s->tid = gettid();
	for (;;) {
		if (enter(guest.fd, &s->e)) {
			s->enter_errno = errno;
			break;
		}
		if (s->e.exit_reason != DUNE_EXIT_SIGNAL)
			break;
		/* Only the exits after which our handler ran count. */
		if (usr1_hits != seen) {
			seen = usr1_hits;
			s->t_sig = now_ns();
			__atomic_store_n(&s->sigs, seen, __ATOMIC_SEQ_CST);
		}
	}
	return NULL;
}

TEST(spinning_guest_stopped_by_pthread_kill)
{
	static struct spinner s;
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pthread_t th;
	int k;

	ASSERT_TRUE(signal(SIGUSR1, on_usr1) != SIG_ERR);
	guest_init();
	guest_setup_stack(&s.e, guest.cr3, g_spin, 0, stack, sizeof(stack));
	ASSERT_EQ(pthread_create(&th, NULL, spinner_thread, &s), 0);
	for (k = 1; k <= 3; k++) {
		long c = spin_count;
		long long t0, deadline = now_ns() + 10000000000LL;

		/* Wait until the spinner is (back) in the guest. */
		while (spin_count == c && now_ns() < deadline)
			msleep(5);
		ASSERT_NE(spin_count, c);
		msleep(50);
		t0 = now_ns();
		ASSERT_EQ(pthread_kill(th, SIGUSR1), 0);
		while (s.sigs < k && now_ns() < deadline)
			msleep(1);
		ASSERT_EQ(s.sigs, k);
		diag("signal %d: DUNE_EXIT_SIGNAL %lld us after pthread_kill", k,
		     (s.t_sig - t0) / 1000);
		EXPECT_LT(s.t_sig - t0, 1000000000LL);
		EXPECT_EQ(usr1_hits, k);
		EXPECT_EQ(usr1_tid, s.tid);	/* the handler ran in the spinning thread */
	}
	spin_stop = 1;
	ASSERT_EQ(pthread_join(th, NULL), 0);
	EXPECT_EQ(s.enter_errno, 0);
	ASSERT_RETURNED(&s.e);
}

static GUEST_FN long g_spin_forever(long arg)
{
	volatile long *c = (volatile long *)arg;

	for (;;)
		(*c)++;
	return 0;
}

TEST(sigkill_of_process_spinning_in_guest)
{
	long long vcpus0, pages0, ctx0, t0;
	volatile long *count;
	pid_t pid;
	int st;

	vcpus0 = dune_debugfs("vcpus");
	pages0 = dune_debugfs("ept_pages");
	ctx0 = dune_debugfs("contexts");
	ASSERT_GE(vcpus0, 0);
	ASSERT_GE(pages0, 0);
	ASSERT_GE(ctx0, 0);
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(count != MAP_FAILED);
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		guest_init();
		guest_run(g_spin_forever, (long)count);
		_exit(3);	/* not reached */
	}
	t0 = now_ns();
	while (*count < 1000 && now_ns() - t0 < 20000000000LL)
		msleep(10);
	ASSERT_GE(*count, 1000);
	diag("the child spins in the guest (%ld loops); vcpus %lld, ept_pages %lld, contexts %lld",
	     *count, dune_debugfs("vcpus"), dune_debugfs("ept_pages"), dune_debugfs("contexts"));
	EXPECT_GE(dune_debugfs("vcpus"), vcpus0 + 1);
	msleep(100);
	t0 = now_ns();
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	st = wait_status(pid);
	diag("reaped %lld ms after SIGKILL", (now_ns() - t0) / 1000000);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGKILL);
	EXPECT_EQ(dune_debugfs_wait("vcpus", vcpus0, 5000), vcpus0);
	EXPECT_EQ(dune_debugfs_wait("ept_pages", pages0, 5000), pages0);
	EXPECT_EQ(dune_debugfs_wait("contexts", ctx0, 5000), ctx0);
}

TEST_MAIN()
