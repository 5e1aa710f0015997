// SPDX-License-Identifier: BSD-3-Clause
/*
 * dune_boot.c - in-VM tests of libdune's boot (boot.c, entry.S): entering
 * Dune mode, glibc after entry (printf, malloc, files, vDSO time),
 * pthreads, fork, exit status, signals delivered to Dune-mode handlers.
 */
#include "dune_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <time.h>

#include "../../include/uapi/dune.h"

static uint64_t rdcr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

DUNE_TEST(enter_runs_in_ring0)
{
	pid_t pid = getpid();
	struct dune_stats st = { .size = sizeof(st) };

	ASSERT_FALSE(dune_is_guest());
	ASSERT_EQ(dune_enter(), -EINVAL);	/* before dune_init() */
	ASSERT_EQ(current_cpl(), 3);
	DUNE_ENTER_OR_FAIL();
	EXPECT_EQ(current_cpl(), 0);
	/* A privileged instruction works, and CR3 is libdune's root. */
	EXPECT_EQ(rdcr3() & ~0xfffULL, dune_va_to_pa(dune_pgroot));
	EXPECT_EQ(dune_enter(), -EBUSY);
	EXPECT_EQ(getpid(), pid);
	ASSERT_EQ(dune_get_stats(&st), 0);
	EXPECT_GT(st.entries, 0);
	EXPECT_GT(st.syscalls, 0);
	EXPECT_EQ(st.vcpus, 1);
}

DUNE_TEST(libc_works_after_entry)
{
	char path[] = "/tmp/dune_boot.XXXXXX", buf[64];
	struct timespec t0, t1, r0;
	struct timeval tv;
	FILE *f;
	char *big, *small[100];
	int fd, i;
	double x = 1.5;

	DUNE_ENTER_OR_FAIL();
	/* stdio, formatting with floats (SSE) */
	snprintf(buf, sizeof(buf), "%.3f %d %s", x * 2.25, 42, "dune");
	EXPECT_STREQ(buf, "3.375 42 dune");
	printf("# printf from ring 0: %s\n", buf);
	fflush(stdout);
	/* malloc: small chunks and an mmap'd big one */
	for (i = 0; i < 100; i++) {
		small[i] = malloc(32 + i * 7);
		ASSERT_TRUE(small[i] != NULL);
		memset(small[i], i, 32 + i * 7);
	}
	big = malloc(64 << 20);
	ASSERT_TRUE(big != NULL);
	for (i = 0; i < (64 << 20); i += 4096)
		big[i] = (char)i;
	for (i = 0; i < (64 << 20); i += 4096)
		ASSERT_EQ(big[i], (char)i);
	free(big);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(small[i][31 + i * 7], (char)i);
		free(small[i]);
	}
	/* files */
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	f = fdopen(fd, "w+");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "written in Dune mode %d\n", 7);
	rewind(f);
	ASSERT_TRUE(fgets(buf, sizeof(buf), f) != NULL);
	EXPECT_STREQ(buf, "written in Dune mode 7\n");
	fclose(f);
	unlink(path);
	/* time: the vDSO (no system call) and the real calls agree and move */
	ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	ASSERT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &r0), 0);
	usleep(20000);
	ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	EXPECT_GE((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec, 20000000LL);
	EXPECT_LT(llabs((r0.tv_sec - t0.tv_sec) * 1000000000LL + r0.tv_nsec - t0.tv_nsec),
		  1000000000LL);
	ASSERT_EQ(gettimeofday(&tv, NULL), 0);
	EXPECT_LT(llabs((long long)tv.tv_sec - (long long)time(NULL)), 2);
	/* A shell through posix_spawn (a CLONE_VM|CLONE_VFORK child runs in host mode). */
	EXPECT_EQ(system("exit 3"), 3 << 8);
	EXPECT_EQ(current_cpl(), 0);
}

static atomic_int thread_guest, thread_sum;
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn;

static void *thread_fn(void *arg)
{
	long id = (long)arg;
	char *p = malloc(1 << 16);
	int i;

	if (dune_is_guest() && current_cpl() == 0)
		atomic_fetch_add(&thread_guest, 1);
	for (i = 0; i < 200; i++) {
		memset(p, (int)id, 1 << 16);
		atomic_fetch_add(&thread_sum, p[i] == (char)id);
		sched_yield();
	}
	free(p);
	/* A condition variable round robin: futex waits across threads. */
	pthread_mutex_lock(&mtx);
	while (turn != id)
		pthread_cond_wait(&cond, &mtx);
	turn++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
	return (void *)(id * 10);
}

DUNE_TEST(pthreads_enter_automatically)
{
	pthread_t t[4];
	void *ret;
	long i;

	DUNE_ENTER_OR_FAIL();
	for (i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, thread_fn, (void *)i), 0);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT_EQ((long)ret, i * 10);
	}
	EXPECT_EQ(atomic_load(&thread_guest), 4);
	EXPECT_EQ(atomic_load(&thread_sum), 800);
	EXPECT_EQ(turn, 4);
}

static void *short_thread(void *arg)
{
	return (void *)(long)(dune_is_guest() + (long)arg);
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

DUNE_TEST(thread_regions_freed_at_exit)
{
	int before, after, i;
	pthread_t t;
	void *ret;

	DUNE_ENTER_OR_FAIL();
	/* Warm up glibc's stack cache, then 100 threads come and go. */
	ASSERT_EQ(pthread_create(&t, NULL, short_thread, (void *)1), 0);
	ASSERT_EQ(pthread_join(t, &ret), 0);
	usleep(10000);
	before = count_maps();
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(pthread_create(&t, NULL, short_thread, (void *)1), 0);
		ASSERT_EQ(pthread_join(t, &ret), 0);
		ASSERT_EQ((long)ret, 2);
	}
	usleep(10000);
	after = count_maps();
	diag("mappings before %d, after 100 threads %d", before, after);
	EXPECT_LE(after, before + 2);
}

static int shared_var = 1;

DUNE_TEST(fork_child_enters)
{
	int status, p[2];
	char c = 0;
	pid_t pid;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The child: its own Dune process, with a copy of the memory. */
		shared_var = 2;
		c = (dune_is_guest() && current_cpl() == 0) ? 'g' : 'h';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		printf("# fork child %d in %s mode\n", getpid(), c == 'g' ? "Dune" : "host");
		fflush(stdout);
		exit(c == 'g' ? 7 : 4);
	}
	ASSERT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'g');
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 7);
	EXPECT_EQ(shared_var, 1);
	EXPECT_TRUE(dune_is_guest());
	/* fork in a loop: no leak, no stale VM state */
	for (int i = 0; i < 20; i++) {
		pid = fork();
		if (pid == 0)
			_exit(dune_is_guest() ? 0 : 1);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

DUNE_TEST(fork_child_without_auto_enter_stays_host)
{
	int status;
	pid_t pid;

	DUNE_ENTER_OR_FAIL();
	EXPECT_TRUE(dune_set_auto_enter(false));
	pid = fork();
	if (pid == 0)
		_exit(!dune_is_guest() && current_cpl() == 3 ? 0 : 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void exit_in_guest(void)
{
	if (dune_init_and_enter())
		_exit(99);
	exit(42);
}

static void *exit_from_thread(void *arg)
{
	usleep(10000);
	exit((int)(long)arg);	/* exit_group from a second thread */
}

static void exit_in_second_thread(void)
{
	pthread_t t;

	if (dune_init_and_enter())
		_exit(99);
	pthread_create(&t, NULL, exit_from_thread, (void *)9);
	pthread_join(t, NULL);
	_exit(98);
}

DUNE_TEST(exit_status_is_native)
{
	char out[256];
	int st;

	st = run_child_capture(exit_in_guest, out, sizeof(out));
	diag("exit(42): status 0x%x, stderr \"%s\"", st, out);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 42);
	st = run_child_capture(exit_in_second_thread, out, sizeof(out));
	diag("exit(9) in a second thread: status 0x%x, stderr \"%s\"", st, out);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 9);
}

static volatile int sig_count, sig_ring, sig_no;
static volatile uint64_t sig_rip;

static void on_signal(int signo, siginfo_t *info, struct dune_tf *tf)
{
	sig_no = signo;
	sig_ring = (int)(tf->cs & 3);
	sig_rip = tf->rip;
	if (info->si_signo == signo)
		sig_count++;
}

static volatile int host_handler_ran, host_handler_cpl = -1;

static void host_handler(int sig)
{
	(void)sig;
	host_handler_ran++;
	host_handler_cpl = current_cpl();
}

DUNE_TEST(signals_reach_dune_handlers)
{
	struct itimerval it = { .it_value = { 0, 200000 } };
	uint64_t spins = 0;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_signal_handler(SIGUSR1, on_signal), 0);
	ASSERT_EQ(dune_register_signal_handler(SIGKILL, on_signal), -EINVAL);
	ASSERT_EQ(dune_register_signal_handler(0, on_signal), -EINVAL);
	ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
	/* Delivered before kill() returns to us, or right after. */
	for (int i = 0; i < 1000 && !sig_count; i++)
		sched_yield();
	EXPECT_EQ(sig_count, 1);
	EXPECT_EQ(sig_no, SIGUSR1);
	EXPECT_EQ(sig_ring, 0);

	/* A timer interrupts a ring-0 loop that makes no system call. */
	ASSERT_EQ(dune_register_signal_handler(SIGALRM, on_signal), 0);
	ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	while (sig_no != SIGALRM && spins < (1ULL << 40))
		spins++;
	EXPECT_EQ(sig_no, SIGALRM);
	EXPECT_EQ(sig_count, 2);
	diag("SIGALRM stopped a ring-0 loop after %llu spins", (unsigned long long)spins);

	/* A plain sigaction() handler still runs (in host mode). */
	signal(SIGUSR2, host_handler);
	ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
	for (int i = 0; i < 1000 && !host_handler_ran; i++)
		sched_yield();
	EXPECT_EQ(host_handler_ran, 1);
	EXPECT_EQ(host_handler_cpl, 3);
	EXPECT_TRUE(dune_is_guest());
	EXPECT_EQ(current_cpl(), 0);
}

static void sleep_then_signal_handler(int signo, siginfo_t *info, struct dune_tf *tf)
{
	(void)info;
	(void)tf;
	sig_no = signo;
	sig_count++;
}

DUNE_TEST(signal_interrupts_blocking_call)
{
	struct itimerval it = { .it_value = { 0, 100000 } };
	struct timespec t0, t1;
	long long ns;
	int r;

	DUNE_ENTER_OR_FAIL();
	ASSERT_EQ(dune_register_signal_handler(SIGALRM, sleep_then_signal_handler), 0);
	ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = nanosleep(&(struct timespec){ 5, 0 }, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* As natively with a handler: the sleep ends early with EINTR, after
	 * the handler ran (in Dune mode). */
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, EINTR);
	EXPECT_EQ(sig_count, 1);
	EXPECT_EQ(sig_no, SIGALRM);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec;
	diag("nanosleep(5 s) interrupted after %lld ms", ns / 1000000);
	EXPECT_LT(ns, 4000000000LL);
	EXPECT_GE(ns, 90000000LL);
}

DUNE_TEST(map_full_boot)
{
	char *p;

	ASSERT_EQ(dune_init(true), 0);
	ASSERT_EQ(dune_enter(), 0);
	EXPECT_EQ(current_cpl(), 0);
	p = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	for (int i = 0; i < (8 << 20); i += 4096)
		p[i] = 1;
	EXPECT_EQ(p[(8 << 20) - 4096], 1);
	munmap(p, 8 << 20);
}

/* dune_vm_exclude(): libdune maps nothing there, at init or on demand; a
 * ring-0 access faults to the page-fault handler (which maps it here). */
static volatile uintptr_t excl_fault;

static void excl_pgflt(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	uintptr_t page = addr & ~(DUNE_PGSIZE - 1);

	(void)fec;
	if (excl_fault || dune_vm_map_phys(dune_pgroot, (void *)page, DUNE_PGSIZE,
					   dune_va_to_pa((void *)page),
					   DUNE_PERM_R | DUNE_PERM_W))
		dune_die(tf, "unexpected page fault at %#lx", (unsigned long)addr);
	excl_fault = addr;
	dune_flush_tlb_one((void *)addr);
}

DUNE_TEST(exclude_range_and_device_fd)
{
	char *m = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *r;
	dune_pte_t *pte;

	ASSERT_TRUE(m != MAP_FAILED);
	r = (char *)(((uintptr_t)m + (2 << 20) - 1) & ~((2UL << 20) - 1));
	memset(r, 7, 5 << 20);
	EXPECT_EQ(dune_vm_exclude((uintptr_t)r + 1, (uintptr_t)r + (4 << 20)), -EINVAL);
	EXPECT_EQ(dune_vm_exclude((uintptr_t)r + (4 << 20), (uintptr_t)r), -EINVAL);
	ASSERT_EQ(dune_vm_exclude((uintptr_t)r, (uintptr_t)r + (4 << 20)), 0);
	EXPECT_EQ(dune_device_fd(), -1);
	ASSERT_EQ(dune_register_pgflt_handler(excl_pgflt), 0);
	DUNE_ENTER_OR_FAIL();
	EXPECT_GE(dune_device_fd(), DUNE_DEVICE_FD_MIN);
	EXPECT_EQ(dune_vm_exclude((uintptr_t)r, (uintptr_t)r + (4 << 20)), -EBUSY);
	/* Init mapped the neighbours, not the range. */
	EXPECT_EQ(dune_vm_lookup(dune_pgroot, r - 4096, false, &pte, NULL), 0);
	EXPECT_TRUE(*pte & DUNE_PTE_P);
	EXPECT_TRUE(dune_vm_lookup(dune_pgroot, r + (1 << 20), false, &pte, NULL) != 0 ||
		    !(*pte & DUNE_PTE_P));
	/* A ring-0 access there reaches the handler (never demand-mapped). */
	EXPECT_EQ(((volatile char *)r)[(1 << 20) + 5], 7);
	EXPECT_EQ(excl_fault, (uintptr_t)r + (1 << 20) + 5);
	EXPECT_EQ(r[(4 << 20) + 5], 7);		/* just above: libdune's */
	munmap(m, 8 << 20);
}

/* dune_kill_self(): a native death by the signal, whatever its disposition
 * and mask were. */
static void ignore_then_kill(void)
{
	sigset_t set;

	signal(SIGTERM, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (dune_init_and_enter())
		_exit(99);
	dune_kill_self(SIGTERM);
}

DUNE_TEST(kill_self_dies_natively)
{
	char out[256];
	int st = run_child_capture(ignore_then_kill, out, sizeof(out));

	diag("status 0x%x", st);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGTERM);
}

/* dune_register_ept_handler(): the signal it returns ends the process. */
static int ept_cb(uint64_t linear, uint64_t phys, uint64_t qual)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "ept at %#lx qual %#lx\n", (unsigned long)linear,
			 (unsigned long)qual);

	(void)phys;
	if (write(2, buf, n) < 0)
		return 0;
	return SIGBUS;
}

static char *ept_page;

static void touch_past_eof(void)
{
	char path[] = "/tmp/dune_ept.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "x", 1) != 1)
		_exit(97);
	unlink(path);
	ept_page = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (ept_page == MAP_FAILED)
		_exit(96);
	dune_register_ept_handler(ept_cb);
	if (dune_init_and_enter())
		_exit(99);
	fprintf(stderr, "byte %d\n", ept_page[0]);
	fprintf(stderr, "past the end %d\n", ((volatile char *)ept_page)[4096]);
	_exit(0);
}

DUNE_TEST(ept_handler_chooses_the_signal)
{
	char out[512];
	int st;

	st = run_child_capture(touch_past_eof, out, sizeof(out));
	diag("status 0x%x, stderr \"%s\"", st, out);
	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGBUS);
	EXPECT_TRUE(strstr(out, "byte 120") != NULL);
	EXPECT_TRUE(strstr(out, "past the end") == NULL);
	EXPECT_TRUE(strstr(out, "ept at 0x") != NULL);
	/* No report: the handler chose a native death. */
	EXPECT_TRUE(strstr(out, "access to memory the process does not have") == NULL);
}

TEST_MAIN()
