/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP test harness in the spirit of kselftest_harness.h, used by the
 * host-side unit tests and by the programs that run in the emulated machine.
 *
 *   TEST(name) { ASSERT_EQ(1, 1); EXPECT_TRUE(x); }
 *   TEST_MAIN()
 *
 * Each test runs in its own forked child with a timeout (TEST_TIMEOUT
 * seconds, default 60; TEST_TIMEOUT_S(name, s) for one test), so a crash or
 * a hang fails that test only.  ASSERT_* stops the test, EXPECT_* records a
 * failure and goes on.  A failed check prints file:line, the expression, the
 * values, and errno.  Output is TAP ("1..N", "ok N - name", "not ok N -
 * name", diagnostics behind "# "), which prove(1) reads.  Arguments name
 * tests to run (default: all); -l lists them.  Exit status: 0 when all
 * passed, 1 otherwise.  SKIP(reason) ends a test as "ok N - name # SKIP",
 * for conditions that honestly cannot be tested where it runs; it is never
 * used for a failure.
 */
#ifndef DUNE_TEST_HARNESS_H
#define DUNE_TEST_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TEST_TIMEOUT
#define TEST_TIMEOUT 60
#endif
#define HARNESS_MAX_TESTS 256

struct harness_test {
	const char *name;
	void (*fn)(void);
	int timeout;
};

static struct harness_test harness_tests[HARNESS_MAX_TESTS];
static int harness_ntests;
static int harness_failed;	/* in the child: this test failed */

static inline void harness_register(const char *name, void (*fn)(void), int timeout)
{
	if (harness_ntests < HARNESS_MAX_TESTS)
		harness_tests[harness_ntests++] = (struct harness_test){ name, fn, timeout };
}

#define TEST_TIMEOUT_S(name, secs)                                              \
	static void test_##name(void);                                          \
	__attribute__((constructor)) static void harness_reg_##name(void)       \
	{                                                                       \
		harness_register(#name, test_##name, secs);                     \
	}                                                                       \
	static void test_##name(void)
#define TEST(name) TEST_TIMEOUT_S(name, TEST_TIMEOUT)

/* Diagnostics: always behind "# " so that TAP readers skip them. */
static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#define HARNESS_FAIL(stop, fmt, ...)                                            \
	do {                                                                    \
		int e_ = errno;                                                 \
		diag("%s:%d: " fmt " (errno %d: %s)", __FILE__, __LINE__,       \
		     ##__VA_ARGS__, e_, strerror(e_));                          \
		harness_failed = 1;                                             \
		if (stop)                                                       \
			_exit(1);                                               \
	} while (0)

/* sa, sb: the expressions as written (stringified before macro expansion). */
#define HARNESS_CMP(stop, a, op, b, sa, sb)                                     \
	do {                                                                    \
		long long a_ = (long long)(a), b_ = (long long)(b);             \
		if (!(a_ op b_))                                                \
			HARNESS_FAIL(stop, "expected %s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
				     sa, #op, sb, a_, (unsigned long long)a_, b_,  \
				     (unsigned long long)b_);                   \
	} while (0)

#define ASSERT_EQ(a, b) HARNESS_CMP(1, a, ==, b, #a, #b)
#define ASSERT_NE(a, b) HARNESS_CMP(1, a, !=, b, #a, #b)
#define ASSERT_LT(a, b) HARNESS_CMP(1, a, <, b, #a, #b)
#define ASSERT_LE(a, b) HARNESS_CMP(1, a, <=, b, #a, #b)
#define ASSERT_GT(a, b) HARNESS_CMP(1, a, >, b, #a, #b)
#define ASSERT_GE(a, b) HARNESS_CMP(1, a, >=, b, #a, #b)
#define EXPECT_EQ(a, b) HARNESS_CMP(0, a, ==, b, #a, #b)
#define EXPECT_NE(a, b) HARNESS_CMP(0, a, !=, b, #a, #b)
#define EXPECT_LT(a, b) HARNESS_CMP(0, a, <, b, #a, #b)
#define EXPECT_LE(a, b) HARNESS_CMP(0, a, <=, b, #a, #b)
#define EXPECT_GT(a, b) HARNESS_CMP(0, a, >, b, #a, #b)
#define EXPECT_GE(a, b) HARNESS_CMP(0, a, >=, b, #a, #b)
#define ASSERT_TRUE(x)                                                          \
	do { if (!(x)) HARNESS_FAIL(1, "expected %s", #x); } while (0)
#define EXPECT_TRUE(x)                                                          \
	do { if (!(x)) HARNESS_FAIL(0, "expected %s", #x); } while (0)
#define ASSERT_FALSE(x) ASSERT_TRUE(!(x))
#define EXPECT_FALSE(x) EXPECT_TRUE(!(x))
#define ASSERT_STREQ(a, b)                                                      \
	do { const char *a_ = (a), *b_ = (b);                                   \
	     if (strcmp(a_, b_)) HARNESS_FAIL(1, "expected %s == %s: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
	} while (0)
#define EXPECT_STREQ(a, b)                                                      \
	do { const char *a_ = (a), *b_ = (b);                                   \
	     if (strcmp(a_, b_)) HARNESS_FAIL(0, "expected %s == %s: \"%s\" vs \"%s\"", #a, #b, a_, b_); \
	} while (0)
/* xorshift64*: reproducible pseudo-random numbers for tests (state != 0). */
static inline uint64_t harness_rand64(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}
/* A call that must fail with -1 and the given errno. */
#define ASSERT_ERRNO(call, err)                                                 \
	do { errno = 0; long r_ = (long)(call);                                 \
	     if (r_ != -1 || errno != (err))                                    \
		HARNESS_FAIL(1, "expected %s to fail with %s, got %ld", #call, #err, r_); \
	} while (0)
#define EXPECT_ERRNO(call, err)                                                 \
	do { errno = 0; long r_ = (long)(call);                                 \
	     if (r_ != -1 || errno != (err))                                    \
		HARNESS_FAIL(0, "expected %s to fail with %s, got %ld", #call, #err, r_); \
	} while (0)
#define SKIP(fmt, ...)                                                          \
	do { printf("# SKIP " fmt "\n", ##__VA_ARGS__); fflush(stdout); _exit(77); } while (0)

static inline int harness_run_one(int n, const struct harness_test *t)
{
	int status, skipped = 0, ok;
	pid_t pid;
	time_t start = time(NULL);

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d - %s # fork failed: %s\n", n, t->name, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		alarm(t->timeout);
		harness_failed = 0;
		t->fn();
		fflush(stdout);
		_exit(harness_failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		skipped = 1;
	ok = skipped || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGALRM)
			diag("%s: timed out after %d s", t->name, t->timeout);
		else
			diag("%s: killed by signal %d (%s)", t->name, WTERMSIG(status),
			     strsignal(WTERMSIG(status)));
	}
	printf("%sok %d - %s%s\n", ok ? "" : "not ", n, t->name, skipped ? " # SKIP" : "");
	if (!ok)
		diag("%s failed after %ld s", t->name, (long)(time(NULL) - start));
	fflush(stdout);
	return !ok;
}

static inline int harness_main(int argc, char **argv)
{
	int i, j, n = 0, failed = 0, want;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (i = 0; i < harness_ntests; i++)
			printf("%s\n", harness_tests[i].name);
		return 0;
	}
	for (i = 0; i < harness_ntests; i++) {
		want = argc < 2;
		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], harness_tests[i].name);
		n += want;
	}
	printf("1..%d\n", n);
	n = 0;
	for (i = 0; i < harness_ntests; i++) {
		want = argc < 2;
		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], harness_tests[i].name);
		if (want)
			failed += harness_run_one(++n, &harness_tests[i]);
	}
	return failed ? 1 : 0;
}

#define TEST_MAIN()                                                             \
	int main(int argc, char **argv) { return harness_main(argc, argv); }

#endif
