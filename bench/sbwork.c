/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sbwork.c - the sandbox benchmark's workload (apps/sandbox): an ordinary
 * Linux program, run once natively and once under `sandbox`, in ring 3 of a
 * Dune process, where every system call it makes traps to the sandbox in
 * ring 0, is checked against the policy and forwarded (or emulated).  It
 * never enters Dune itself: the Makefile links every bench program with
 * libdune, but this one calls nothing of it (bench.h's timing and output
 * are plain inline code; libdune's only load-time work is a
 * pthread_atfork()).
 *
 *   sbwork [-n ITER] [-w WARMUP] [-o OUTDIR] [-e ENV] MODE [ARGS...]
 *
 * ENV is the label of the RESULT lines: "linux" (the default) for the
 * native run, "dune" for the run under the sandbox (bench/run.sh passes
 * it).  Modes, one sample each:
 *
 *   syscall         sandbox_getppid: a raw getppid system call (checked and
 *                   forwarded by the sandbox); sandbox_write_null: write()
 *                   of 64 bytes to a descriptor open on /dev/null (the
 *                   sandbox checks the descriptor and the buffer's
 *                   pointer).  Default -n 10000.
 *   mmap            sandbox_mmap: mmap() of 64 KiB anonymous memory, one
 *                   write per 4 KiB page, munmap() (the sandbox manages the
 *                   address space itself: the calls are emulated, the
 *                   page faults are its own).  Default -n 1000.
 *   compute         sandbox_compute: one pass of an LZ77-style match finder
 *                   (a hash of every 4-byte window into a 16 K-entry table,
 *                   match extension, a running FNV-1a over the tokens) over
 *                   a fixed 256 KiB buffer of text; no system calls.  Each
 *                   pass's checksum is checked against a constant.
 *                   Default -n 50.
 *   kernel K        no measurement: K compute passes, then print the
 *                   checksum (the program whose whole run `spawn` times).
 *   spawn -N NAME [--] CMD [ARGS...]
 *                   NAME: CMD's whole run, from posix_spawnp() to waitpid()
 *                   (stdout to /dev/null, stdin and stderr inherited); CMD
 *                   must exit 0.  bench/run.sh times `/bin/busybox true`
 *                   and `sbwork kernel 8` directly (linux) and as
 *                   `sandbox -p POLICY -- CMD` (dune): the difference
 *                   includes the sandbox's start-up (dune_init_and_enter,
 *                   loading the ELF and its interpreter).  Default -n 20.
 *
 * Options as bench.h's (-n measured samples, -w warm-up samples dropped,
 * default n/10; -o where raw samples go, OUTDIR/NAME-ENV.tsv).  Timing as
 * bench.h: LFENCE;RDTSC;LFENCE ... RDTSCP;LFENCE (CR4.TSD is clear in Dune
 * mode, so ring 3 may read the TSC), minus the empty pair's median cost,
 * measured at start-up in the same environment.  Output: bench.h's RESULT
 * lines.  Under Bochs the TSC counts emulated instructions, not cycles.
 * Exits 0, 1 on a failure (a wrong result, a failed call), 2 on a usage
 * error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench.h"

extern char **environ;

#define COMPUTE_BYTES	(256 << 10)
#define COMPUTE_SUM	0x9a4d3975u	/* the checksum of one pass (fixed input) */
#define HASH_BITS	14
#define MMAP_BYTES	(64 << 10)
#define WRITE_BYTES	64

static void usage(void)
{
	fprintf(stderr,
		"usage: sbwork [-n ITER] [-w WARMUP] [-o OUTDIR] [-e ENV] MODE [ARGS...]\n"
		"  MODE: syscall | mmap | compute | kernel K | spawn -N NAME [--] CMD [ARGS...]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "sbwork: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- the compute kernel -------------------------------------------------- */

static uint8_t *cbuf;
static uint32_t ctab[1u << HASH_BITS];

/* Fixed pseudo-random text: words from a small dictionary, so that the
 * match finder finds matches of many lengths and distances. */
static void compute_setup(void)
{
	static const char *const words[] = {
		"the ", "sandbox ", "checks ", "every ", "system ", "call ", "of ", "a ",
		"program ", "in ", "ring ", "three ", "and ", "forwards ", "it ", "to ",
		"Linux ", "when ", "policy ", "allows ", "memory ", "page ", "table ", "dune ",
		"process ", "virtual ", "machine ", "exit ", "entry ", "fault ", "handler ", "\n",
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i = 0;

	cbuf = malloc(COMPUTE_BYTES);
	if (!cbuf)
		die("malloc");
	while (i < COMPUTE_BYTES) {
		const char *w;
		size_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w = words[x % (sizeof(words) / sizeof(words[0]))];
		n = strlen(w);
		if (n > COMPUTE_BYTES - i)
			n = COMPUTE_BYTES - i;
		memcpy(cbuf + i, w, n);
		i += n;
	}
}

static uint32_t compute_pass(const uint8_t *buf, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i = 0;

	memset(ctab, 0, sizeof(ctab));
	while (i + 4 <= len) {
		uint32_t v, k, cand;
		size_t m = 0;

		memcpy(&v, buf + i, 4);
		k = (v * 2654435761u) >> (32 - HASH_BITS);
		cand = ctab[k];
		ctab[k] = (uint32_t)i + 1;
		if (cand) {
			cand--;
			while (i + m < len && m < 258 && buf[cand + m] == buf[i + m])
				m++;
		}
		if (m >= 4) {
			h = (h ^ ((uint32_t)m << 16 | ((uint32_t)(i - cand) & 0xffff))) * 16777619u;
			i += m;
		} else {
			h = (h ^ buf[i]) * 16777619u;
			i++;
		}
	}
	while (i < len)
		h = (h ^ buf[i++]) * 16777619u;
	return h;
}

static void check_sum(uint32_t sum)
{
	if (COMPUTE_SUM && sum != COMPUTE_SUM) {
		fprintf(stderr, "sbwork: compute: checksum %#x, expected %#x\n", sum, COMPUTE_SUM);
		exit(1);
	}
}

/* ---- the modes ------------------------------------------------------------ */

static void run_syscall(struct bench *b, const char *env)
{
	static char msg[WRITE_BYTES];
	long i, n = b->iters + b->warmup;
	long ppid = getppid();
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("/dev/null");
	memset(msg, 'x', sizeof(msg));

	bench_reset(b, "sandbox_getppid", env);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		long r = syscall(SYS_getppid);
		uint64_t t = bench_stop() - t0;

		if (r != ppid) {
			fprintf(stderr, "sbwork: getppid: got %ld, expected %ld\n", r, ppid);
			exit(1);
		}
		bench_sample(b, t);
	}
	bench_done(b);

	bench_reset(b, "sandbox_write_null", env);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		long r = syscall(SYS_write, fd, msg, sizeof(msg));
		uint64_t t = bench_stop() - t0;

		if (r != (long)sizeof(msg)) {
			fprintf(stderr, "sbwork: write /dev/null: got %ld (%s), expected %zu\n", r,
				r < 0 ? strerror(errno) : "short", sizeof(msg));
			exit(1);
		}
		bench_sample(b, t);
	}
	bench_done(b);
	close(fd);
}

static void run_mmap(struct bench *b, const char *env)
{
	long i, n = b->iters + b->warmup;

	bench_reset(b, "sandbox_mmap", env);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		volatile char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t off;
		uint64_t t;

		if (p == MAP_FAILED)
			die("mmap");
		for (off = 0; off < MMAP_BYTES; off += 4096)
			p[off] = (char)off + 1;
		if (munmap((void *)p, MMAP_BYTES))
			die("munmap");
		t = bench_stop() - t0;
		bench_sample(b, t);
	}
	bench_done(b);
}

static void run_compute(struct bench *b, const char *env)
{
	long i, n = b->iters + b->warmup;

	compute_setup();
	bench_reset(b, "sandbox_compute", env);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start();
		uint32_t sum = compute_pass(cbuf, COMPUTE_BYTES);
		uint64_t t = bench_stop() - t0;

		check_sum(sum);
		bench_sample(b, t);
	}
	bench_done(b);
	printf("# sbwork: compute: %d bytes per pass, checksum %#x\n", COMPUTE_BYTES,
	       compute_pass(cbuf, COMPUTE_BYTES));
}

static int run_kernel(const char *arg)
{
	char *end;
	long k = strtol(arg, &end, 10), i;
	uint32_t sum = 0;

	if (*end || k < 1)
		usage();
	compute_setup();
	for (i = 0; i < k; i++) {
		sum = compute_pass(cbuf, COMPUTE_BYTES);
		check_sum(sum);
	}
	printf("sbwork: kernel: %ld passes of %d bytes, checksum %#x\n", k, COMPUTE_BYTES, sum);
	return 0;
}

static void run_spawn(struct bench *b, const char *name, const char *env, char **cmd)
{
	posix_spawn_file_actions_t fa;
	long i, n = b->iters + b->warmup;
	int r;

	r = posix_spawn_file_actions_init(&fa);
	if (!r)
		r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (r) {
		errno = r;
		die("posix_spawn_file_actions");
	}
	bench_reset(b, name, env);
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_start(), t;
		pid_t pid;
		int st;

		r = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
		if (r) {
			errno = r;
			die(cmd[0]);
		}
		if (waitpid(pid, &st, 0) != pid)
			die("waitpid");
		t = bench_stop() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "sbwork: spawn %s: %s %d\n", cmd[0],
				WIFEXITED(st) ? "exit status" : "killed by signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			exit(1);
		}
		bench_sample(b, t);
	}
	bench_done(b);
	posix_spawn_file_actions_destroy(&fa);
}

int main(int argc, char **argv)
{
	const char *env = "linux", *name = NULL, *mode;
	char *bargv[8];
	int bargc = 0, i;
	long defiters;
	struct bench b;

	bargv[bargc++] = argv[0];
	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-e")) {
			env = argv[i + 1];
		} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "-w") ||
			   !strcmp(argv[i], "-o")) {
			if (bargc > 6)
				usage();
			bargv[bargc++] = argv[i];
			bargv[bargc++] = argv[i + 1];
		} else {
			usage();
		}
	}
	bargv[bargc] = NULL;
	if (i >= argc)
		usage();
	mode = argv[i++];

	if (!strcmp(mode, "kernel")) {
		if (i + 1 != argc)
			usage();
		return run_kernel(argv[i]);
	}
	if (!strcmp(mode, "syscall"))
		defiters = 10000;
	else if (!strcmp(mode, "mmap"))
		defiters = 1000;
	else if (!strcmp(mode, "compute"))
		defiters = 50;
	else if (!strcmp(mode, "spawn"))
		defiters = 20;
	else
		usage();
	if (strcmp(mode, "spawn") && i != argc)
		usage();

	/* bench.h's options, CPU pinning and timer calibration; the name is
	 * set per benchmark below. */
	bench_init(&b, mode, env, defiters, bargc, bargv);

	if (!strcmp(mode, "syscall")) {
		run_syscall(&b, env);
	} else if (!strcmp(mode, "mmap")) {
		run_mmap(&b, env);
	} else if (!strcmp(mode, "compute")) {
		run_compute(&b, env);
	} else {
		if (i + 1 < argc && !strcmp(argv[i], "-N")) {
			name = argv[i + 1];
			i += 2;
		}
		if (i < argc && !strcmp(argv[i], "--"))
			i++;
		if (!name || i >= argc)
			usage();
		run_spawn(&b, name, env, argv + i);
	}
	return 0;
}
