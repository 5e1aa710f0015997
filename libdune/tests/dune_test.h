/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dune_test.h - support for libdune's in-VM tests (dune_*.c): the TAP
 * harness, plus a kernel-log check around every test.
 *
 *   DUNE_TEST(name) { ...; }     a harness TEST whose body runs between
 *                                 klog_mark() and klog_check(): the test
 *                                 fails if the kernel log gained an Oops,
 *                                 BUG, WARNING, lockdep, KASAN, ... line.
 *
 * Each test runs in its own forked child (test/harness.h), which calls
 * dune_init_and_enter() itself: a fresh Dune process per test.
 */
#ifndef DUNE_TEST_H
#define DUNE_TEST_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <regex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "libdune.h"
#include "../../test/harness.h"

static int klog_fd = -1;

static inline void klog_mark(void)
{
	klog_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (klog_fd >= 0)
		lseek(klog_fd, 0, SEEK_END);
}

/* The kernel-log lines since klog_mark(); fails the test on a bad one. */
static inline void klog_check(void)
{
	static const char *bad = "Oops|BUG:|kernel BUG|WARNING:|general protection fault|"
		"scheduling while atomic|lockdep|possible recursive locking|circular locking|"
		"KASAN|UBSAN|blocked for more than|soft lockup|hard LOCKUP|rcu_.*stall|"
		"Call Trace|list_add corruption|list_del corruption|refcount_t:|double fault|"
		"kernel NULL pointer|unable to handle";
	regex_t re;
	char rec[2048];
	ssize_t n;
	int bad_lines = 0;

	ASSERT_TRUE(klog_fd >= 0);
	ASSERT_EQ(regcomp(&re, bad, REG_EXTENDED | REG_NOSUB), 0);
	for (;;) {
		n = read(klog_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (!regexec(&re, rec, 0, NULL, 0)) {
			diag("kernel log: %s", rec);
			bad_lines++;
		}
	}
	regfree(&re);
	close(klog_fd);
	klog_fd = -1;
	EXPECT_EQ(bad_lines, 0);
}

#define DUNE_TEST_TIMEOUT(name, secs)                                           \
	static void dune_body_##name(void);                                     \
	TEST_TIMEOUT_S(name, secs)                                              \
	{                                                                       \
		klog_mark();                                                    \
		dune_body_##name();                                             \
		klog_check();                                                   \
	}                                                                       \
	static void dune_body_##name(void)
#define DUNE_TEST(name) DUNE_TEST_TIMEOUT(name, TEST_TIMEOUT)

/* Enter Dune mode (the default way), or fail the test. */
#define DUNE_ENTER_OR_FAIL()                                                    \
	do {                                                                    \
		int r_ = dune_init_and_enter();                                 \
		if (r_)                                                         \
			errno = -r_;                                            \
		ASSERT_EQ(r_, 0);                                               \
		ASSERT_TRUE(dune_is_guest());                                   \
	} while (0)

/* A 2 MiB-aligned address outside every window of the layout: nothing of
 * the process can be there, so the page tables may put anything there. */
static inline void *unbacked_va(int nth)
{
	uintptr_t a;

	for (a = 1ULL << 44; a < (1ULL << 47); a += 1ULL << 40)
		if (dune_va_to_pa((void *)a) == (uint64_t)-1 &&
		    dune_va_to_pa((void *)(a + (1ULL << 39))) == (uint64_t)-1 && nth-- == 0)
			return (void *)a;
	return NULL;
}

/* CPL of the caller: 0 in Dune mode. */
static inline int current_cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

/*
 * Run @fn in a forked child and collect its stderr: for the tests whose
 * child must die (a fault nobody handles).  Returns the wait status.
 */
static inline int run_child_capture(void (*fn)(void), char *out, size_t outlen)
{
	int p[2], status = 0;
	pid_t pid;
	size_t got = 0;
	ssize_t n;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (got + 1 < outlen && (n = read(p[0], out + got, outlen - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

#endif /* DUNE_TEST_H */
