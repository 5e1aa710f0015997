/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - the measuring core every benchmark program shares.
 *
 *   struct bench b;
 *   bench_init(&b, "getpid", "linux", argc, argv);   parses -n ITER -w WARMUP -o DIR
 *   for (i = 0; i < b.iters + b.warmup; i++) {
 *           uint64_t t0 = bench_start();
 *           ... the operation ...
 *           bench_sample(&b, bench_stop() - t0);      warm-up samples are dropped
 *   }
 *   bench_done(&b);   subtracts the timer's own cost, sorts, prints the
 *                     RESULT line, writes DIR/<name>-<env>.tsv (raw samples)
 *
 * The process is pinned to the CPU it started on (bench_init), so both
 * environments run on the same CPU.
 *
 * Timing: bench_start() is LFENCE; RDTSC; LFENCE and bench_stop() is
 * RDTSCP; LFENCE (Intel's recommended pair, "How to Benchmark Code
 * Execution Times", 2010), so the measured instructions neither start
 * before the first read nor leave before the second.  The cost of an empty
 * start/stop pair is measured at bench_init() (median of 10,000) and
 * subtracted from every sample (never below 0).
 *
 * Output, one line per benchmark and environment (stdout; bench/run.sh
 * collects these):
 *
 *   RESULT <name> <env> <min> <median> <p99> <samples> <unit>
 *
 * <unit> is "cycles" (TSC ticks: real cycles on hardware at a fixed TSC
 * rate; emulated instructions under Bochs) or a custom unit given with
 * bench_set_unit() (e.g. "cycles/op" when one sample covers several
 * operations, divided with bench_set_divisor()).
 */
#ifndef DUNE_BENCH_H
#define DUNE_BENCH_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdune.h"

struct bench {
	const char *name;	/* e.g. "getpid" */
	const char *env;	/* "linux" or "dune" */
	const char *unit;
	const char *outdir;	/* raw samples go here, or NULL */
	long iters, warmup;	/* measured samples, and samples dropped first */
	long seen;		/* samples offered so far (warm-up included) */
	long n;			/* samples kept */
	uint64_t *s;
	uint64_t overhead;	/* cost of an empty start/stop pair */
	uint64_t divisor;	/* each sample covers this many operations */
};

static inline uint64_t bench_start(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t bench_stop(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static int bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline uint64_t bench_timer_overhead(void)
{
	enum { N = 10000 };
	static uint64_t t[N];
	int i;

	for (i = 0; i < N; i++) {
		uint64_t t0 = bench_start();

		t[i] = bench_stop() - t0;
	}
	qsort(t, N, sizeof(t[0]), bench_cmp);
	return t[N / 2];
}

static inline void bench_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n ITERATIONS] [-w WARMUP] [-o OUTDIR]\n", prog);
	exit(2);
}

/*
 * Parse -n (measured iterations), -w (warm-up iterations, default n/10,
 * at least 1) and -o (directory for raw samples).  @default_iters is the
 * program's own default.
 */
static inline void bench_init(struct bench *b, const char *name, const char *env,
			      long default_iters, int argc, char **argv)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->env = env;
	b->unit = "cycles";
	b->iters = default_iters;
	b->warmup = -1;
	b->divisor = 1;
	for (i = 1; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			bench_usage(argv[0]);
		if (!strcmp(argv[i], "-n")) {
			b->iters = strtol(argv[++i], &end, 10);
			if (*end || b->iters < 1)
				bench_usage(argv[0]);
		} else if (!strcmp(argv[i], "-w")) {
			b->warmup = strtol(argv[++i], &end, 10);
			if (*end || b->warmup < 0)
				bench_usage(argv[0]);
		} else if (!strcmp(argv[i], "-o")) {
			b->outdir = argv[++i];
		} else {
			bench_usage(argv[0]);
		}
	}
	if (b->warmup < 0)
		b->warmup = b->iters / 10 > 0 ? b->iters / 10 : 1;
	b->s = calloc(b->iters, sizeof(*b->s));
	if (!b->s) {
		perror("bench: calloc");
		exit(1);
	}
	/* Linux and Dune on the same CPU: stay where we started (threads and
	 * children the benchmarks create inherit it). */
	{
		int cpu = sched_getcpu();
		cpu_set_t set;

		CPU_ZERO(&set);
		if (cpu >= 0) {
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
	}
	b->overhead = bench_timer_overhead();
}

/*
 * The Dune side: enter Dune mode, and measure the empty start/stop pair
 * again there (VMX non-root), so that its own cost is what is subtracted.
 * Returns 0, or -errno after saying why on stderr.
 */
static inline int bench_enter_dune(struct bench *b)
{
	int r = dune_init_and_enter();

	if (r) {
		fprintf(stderr, "%s: dune_init_and_enter failed: %s%s\n", b->name, strerror(-r),
			r == -ENOENT ? " (no /dev/dune: is dune.ko loaded?)" : "");
		return r;
	}
	b->overhead = bench_timer_overhead();
	return 0;
}

/* A second benchmark in the same program: same options, new name/env. */
static inline void bench_reset(struct bench *b, const char *name, const char *env)
{
	b->name = name;
	b->env = env;
	b->seen = b->n = 0;
	b->unit = "cycles";
	b->divisor = 1;
}

static inline void bench_set_unit(struct bench *b, const char *unit, uint64_t divisor)
{
	b->unit = unit;
	b->divisor = divisor ? divisor : 1;
}

/* Whether the next sample is still wanted (for loops of unknown length). */
static inline int bench_more(const struct bench *b)
{
	return b->seen < b->warmup + b->iters;
}

static inline void bench_sample(struct bench *b, uint64_t ticks)
{
	if (b->seen++ < b->warmup || b->n >= b->iters)
		return;
	b->s[b->n++] = ticks > b->overhead ? ticks - b->overhead : 0;
}

static inline void bench_done(struct bench *b)
{
	uint64_t d = b->divisor, min, med, p99;
	long i;

	if (!b->n) {
		printf("RESULT %s %s - - - 0 %s\n", b->name, b->env, b->unit);
		return;
	}
	qsort(b->s, b->n, sizeof(b->s[0]), bench_cmp);
	min = b->s[0] / d;
	med = b->s[b->n / 2] / d;
	p99 = b->s[(b->n * 99) / 100 < b->n ? (b->n * 99) / 100 : b->n - 1] / d;
	printf("RESULT %s %s %llu %llu %llu %ld %s\n", b->name, b->env,
	       (unsigned long long)min, (unsigned long long)med, (unsigned long long)p99, b->n,
	       b->unit);
	fflush(stdout);
	if (b->outdir) {
		char path[512];
		FILE *f;

		mkdir(b->outdir, 0755);
		snprintf(path, sizeof(path), "%s/%s-%s.tsv", b->outdir, b->name, b->env);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
			return;
		}
		fprintf(f, "# %s %s: %ld samples, %s (timer overhead %llu subtracted)\n", b->name,
			b->env, b->n, b->unit, (unsigned long long)b->overhead);
		for (i = 0; i < b->n; i++)
			fprintf(f, "%llu\n", (unsigned long long)(b->s[i] / d));
		fclose(f);
	}
}

#endif /* DUNE_BENCH_H */
