/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scale.c - how Dune's costs grow with the process: the first entry
 * against the size of the address space, first touches of fresh memory
 * (4 KiB and 2 MiB pages), and the memory each Dune thread costs.
 *
 *   enter_<M>m_<K>maps  dune   cycles of dune_init() + dune_enter(), the
 *                              process's first entry, in a fresh child that
 *                              first mapped M MiB of touched anonymous memory
 *                              in K mappings.  Dune only: Linux has nothing
 *                              to compare it with.
 *   touch_fresh_4k      linux, dune   cycles per 4 KiB page of one write per
 *   touch_fresh_2m      linux, dune   page to fresh anonymous memory, with
 *                                     MADV_NOHUGEPAGE / MADV_HUGEPAGE.
 *   touch_reused_2m     linux, dune   touch_fresh_2m at addresses that had
 *                                     4 KiB pages before (memory reuse).
 *   thread_kmem         linux, dune   KiB of kernel memory per thread parked
 *                                     on a barrier: plain / Dune threads.
 *   module_mem_per_thread  dune       KiB per thread that a Dune thread costs
 *                                     the kernel beyond a plain one (dune.ko's
 *                                     vCPU, VMCS, EPT growth).
 *
 * Order: the Linux side first, in host mode (touches, plain threads), then
 * the enter children (the parent must still be in host mode to fork them),
 * then the parent enters Dune mode for the Dune side.
 *
 * Environment (the options are bench.h's -n -w -o):
 *   DUNE_BENCH_TOUCH_MB  MiB touched per touch_* sample (default 64, even;
 *                        the paper-scale run uses 1024, with -m 2048 for the
 *                        emulated machine)
 *   DUNE_BENCH_THREADS   threads per thread_kmem sample (default 16)
 *   DUNE_BENCH_ENTER     the enter configurations, "M:K,M:K,..." (default
 *                        "0:0,16:1,16:10,16:100,64:1,64:10,64:100")
 *
 * Under Bochs, TSC ticks are emulated instructions, not cycles.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <sys/wait.h>

#include "bench.h"
#include "../test/procfs.h"
#include "libdune.h"
#include "uapi/dune.h"

#define PAGE		4096UL
#define HUGE_2M		(2UL << 20)
#define DEF_ITERS	5

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "scale: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		die("%s=%s: want a number in %ld..%ld", name, s, lo, hi);
	return v;
}

/* ---- reading /proc --------------------------------------------------------- */

/* Resident memory of the process (smaps_rollup walks the page tables: exact). */
static long long rss_kib(void)
{
	char buf[4096];

	if (procfs_read("/proc/self/smaps_rollup", buf, sizeof(buf)) > 0)
		return procfs_field(buf, "Rss:");
	if (procfs_read("/proc/self/status", buf, sizeof(buf)) <= 0)
		die("cannot read /proc/self/status");
	return procfs_field(buf, "VmRSS:");
}

static long long slab_kib(void)
{
	char buf[8192];

	if (procfs_read("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	return procfs_field(buf, "Slab:");
}

/* AnonHugePages (KiB) of the mapping that starts at @addr, or -1. */
static long long anon_huge_kib(const void *addr)
{
	char want[32], *line = NULL;
	size_t cap = 0;
	long long v = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (getline(&line, &cap, f) > 0) {
		/* A mapping's header starts with its lowercase hex start address;
		 * field names ("Rss:", "AnonHugePages:") with a capital. */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))
			in = !strncmp(line, want, strlen(want));
		else if (in && !strncmp(line, "AnonHugePages:", 14)) {
			v = strtoll(line + 14, NULL, 10);
			break;
		}
	}
	free(line);
	fclose(f);
	return v;
}

static const char *thp_setting(void)
{
	static char buf[128];
	char *nl;

	if (procfs_read("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) <= 0)
		return "absent (kernel without THP)";
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return buf;
}

/* ---- signed results (memory deltas can come out negative) ------------------ */

static long long round_ll(double x)
{
	return (long long)(x < 0 ? x - 0.5 : x + 0.5);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The RESULT line and raw-sample file of bench_done(), for signed,
 * fractional samples (KiB per thread): rounded to whole units on the
 * RESULT line, one decimal in the file.
 */
static void report_signed(const struct bench *b, const char *name, const char *env, double *s,
			  long n, const char *unit, const char *how)
{
	long p = (n * 99) / 100 < n ? (n * 99) / 100 : n - 1;
	long i;

	if (!n) {
		printf("RESULT %s %s - - - 0 %s\n", name, env, unit);
		return;
	}
	qsort(s, n, sizeof(*s), cmp_double);
	printf("RESULT %s %s %lld %lld %lld %ld %s\n", name, env, round_ll(s[0]), round_ll(s[n / 2]),
	       round_ll(s[p]), n, unit);
	fflush(stdout);
	if (b->outdir) {
		char path[512];
		FILE *f;

		mkdir(b->outdir, 0755);
		snprintf(path, sizeof(path), "%s/%s-%s.tsv", b->outdir, name, env);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "scale: %s: %s\n", path, strerror(errno));
			return;
		}
		fprintf(f, "# %s %s: %ld samples, %s (%s)\n", name, env, n, unit, how);
		for (i = 0; i < n; i++)
			fprintf(f, "%.1f\n", s[i]);
		fclose(f);
	}
}

static int get_stats(struct dune_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return dune_get_stats(st);
}

/* Whether dune.ko can map 2 MiB EPT entries (DUNE_CAP_EPT_2M). */
static const char *ept_2m_cap(void)
{
	int fd = open(DUNE_DEVICE_PATH, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return "unknown";
	r = ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_EPT_2M);
	close(fd);
	return r == 1 ? "supported" : r == 0 ? "not supported" : "unknown";
}

/* ---- touch_fresh_4k / touch_fresh_2m / touch_reused_2m ---------------------- */

/*
 * Map @len bytes of fresh anonymous memory at a 2 MiB boundary (the extra
 * head and tail are unmapped, so the mapping is exactly [p, p+len)), with
 * MADV_HUGEPAGE or MADV_NOHUGEPAGE.
 */
static char *map_aligned(size_t len, bool huge)
{
	size_t span = len + HUGE_2M;
	char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (raw == MAP_FAILED)
		die("mmap of %zu MiB: %s", span >> 20, strerror(errno));
	p = (char *)(((uintptr_t)raw + HUGE_2M - 1) & ~(HUGE_2M - 1));
	if (p > raw)
		munmap(raw, p - raw);
	if (raw + span > p + len)
		munmap(p + len, raw + span - (p + len));
	if (madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) && huge)
		printf("# touch_fresh_2m: madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
	return p;
}

enum touch_kind { TOUCH_4K, TOUCH_2M, TOUCH_REUSED_2M };

static const char *const touch_names[] = {
	[TOUCH_4K] = "touch_fresh_4k",
	[TOUCH_2M] = "touch_fresh_2m",
	[TOUCH_REUSED_2M] = "touch_reused_2m",
};

/*
 * One sample: one write per 4 KiB page to @mb MiB of memory nobody touched
 * yet, timed as a whole.  Each first write faults: in host mode the
 * kernel's anonymous fault (a zeroed 4 KiB page, or a whole 2 MiB page on
 * the first write into it when THP applies); in Dune mode an EPT violation
 * first, which dune.ko fills by faulting the page in on the host (with a
 * 2 MiB EPT entry when the host maps a huge page there).
 *
 * TOUCH_REUSED_2M is TOUCH_2M at addresses where the process had 4 KiB
 * pages before (one per 2 MiB, mapped, touched and unmapped just before the
 * sample, untimed), as happens whenever memory is reused: dune.ko keeps the
 * EPT tables of unmapped 4 KiB entries, which measures whether a 2 MiB EPT
 * entry can still go there.  Linux is the same as TOUCH_2M.
 */
static void bench_touch(struct bench *b, const char *env, enum touch_kind kind, long mb)
{
	const char *name = touch_names[kind];
	bool huge = kind != TOUCH_4K;
	size_t len = (size_t)mb << 20, off;
	long long huge_kib = 0, ept_faults = -1, entries = -1, first_faults = -1;
	struct dune_stats st0, st1;

	bench_reset(b, name, env);
	bench_set_unit(b, "cycles/page", len / PAGE);
	while (bench_more(b)) {
		volatile char *p = (volatile char *)map_aligned(len, huge);
		bool stats;
		uint64_t t0;

		if (kind == TOUCH_REUSED_2M) {
			munmap((void *)p, len);
			if (mmap((void *)p, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
				die("mmap: %s", strerror(errno));
			madvise((void *)p, len, MADV_NOHUGEPAGE);
			for (off = 0; off < len; off += HUGE_2M)
				p[off] = 1;
			munmap((void *)p, len);
			if (mmap((void *)p, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
				die("mmap: %s", strerror(errno));
			madvise((void *)p, len, MADV_HUGEPAGE);
		}
		stats = dune_is_guest() && !get_stats(&st0);
		t0 = bench_start();
		for (off = 0; off < len; off += PAGE)
			p[off] = 1;
		bench_sample(b, bench_stop() - t0);
		if (stats && !get_stats(&st1)) {
			ept_faults = (long long)(st1.ept_faults - st0.ept_faults);
			entries = (long long)(st1.entries - st0.entries);
			if (first_faults < 0)
				first_faults = ept_faults;
		}
		huge_kib = anon_huge_kib((const void *)p);
		munmap((void *)p, len);
	}
	if (ept_faults >= 0)
		printf("# %s %s: %lld EPT faults and %lld VM entries in the last sample of %zu "
		       "pages (%lld EPT faults in the first; dune.ko's counters; EPT 2 MiB "
		       "entries: %s)\n", name, env, ept_faults, entries, len / PAGE, first_faults,
		       ept_2m_cap());
	if (huge) {
		printf("# %s %s: %lld of %zu KiB in huge pages (AnonHugePages, last sample); "
		       "transparent_hugepage/enabled: %s\n", name, env, huge_kib, len >> 10,
		       thp_setting());
		if (huge_kib <= 0)
			printf("# %s %s: THP was not available: these samples are 4 KiB faults\n",
			       name, env);
	} else if (huge_kib > 0) {
		printf("# %s %s: %lld KiB in huge pages despite MADV_NOHUGEPAGE\n", name, env,
		       huge_kib);
	}
	bench_done(b);
}

/* In this order: 2 MiB first, so that its guest-physical range is fresh. */
static void bench_touches(struct bench *b, const char *env, long mb)
{
	bench_touch(b, env, TOUCH_2M, mb);
	bench_touch(b, env, TOUCH_4K, mb);
	bench_touch(b, env, TOUCH_REUSED_2M, mb);
}

/* ---- thread_kmem / module_mem_per_thread ------------------------------------ */

struct memsnap {
	long long free, rss, slab;	/* KiB */
	struct dune_stats st;
};

static pthread_barrier_t bar_in, bar_out;
static atomic_int wrong_mode;
static bool want_guest;

/* A thread that only exists: it waits until it was counted, then ends. */
static void *parked(void *arg)
{
	(void)arg;
	if (dune_is_guest() != want_guest)
		atomic_fetch_add(&wrong_mode, 1);
	pthread_barrier_wait(&bar_in);
	pthread_barrier_wait(&bar_out);
	return NULL;
}

/*
 * Let the previous sample's threads finish dying before counting: their
 * task structs and kernel stacks (and dune.ko's vCPUs) are freed after an
 * RCU grace period, which would otherwise land inside the next sample and
 * hide part of its allocations.  MEMBARRIER_CMD_GLOBAL waits for a grace
 * period (synchronize_rcu()); the sleep lets the RCU callbacks and the
 * deferred frees run.
 */
static void settle(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		usleep(50000);
	}
}

static void snap(struct memsnap *m, bool stats)
{
	m->slab = slab_kib();
	m->rss = rss_kib();
	m->free = procfs_free_kib();
	if (m->free < 0)
		die("cannot read /proc/zoneinfo or /proc/meminfo");
	if (stats && get_stats(&m->st))
		die("dune_get_stats failed");
}

/*
 * Start @nt threads (Dune threads when @guest: created by a Dune-mode
 * thread with auto-enter on), wait until every one runs its start routine,
 * and return in @kib the kernel memory they hold: the drop in free memory
 * minus the growth of the process's resident memory (thread stacks,
 * libdune's per-thread regions: user memory, not the kernel's).  Page-table
 * pages, kernel stacks, task structs, dune.ko's vCPUs and EPT pages remain.
 */
static void thread_sample(int nt, bool guest, double *kib, struct memsnap *d)
{
	pthread_t *t = calloc(nt, sizeof(*t));
	struct memsnap a = { 0 }, z = { 0 };
	int i, r;

	if (!t)
		die("calloc: out of memory");
	want_guest = guest;
	atomic_store(&wrong_mode, 0);
	if (dune_is_guest())
		dune_set_auto_enter(guest);
	pthread_barrier_init(&bar_in, NULL, nt + 1);
	pthread_barrier_init(&bar_out, NULL, nt + 1);
	settle();
	snap(&a, dune_is_guest());
	for (i = 0; i < nt; i++) {
		r = pthread_create(&t[i], NULL, parked, NULL);
		if (r)
			die("pthread_create: %s", strerror(r));
	}
	pthread_barrier_wait(&bar_in);
	snap(&z, dune_is_guest());
	pthread_barrier_wait(&bar_out);
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar_in);
	pthread_barrier_destroy(&bar_out);
	free(t);
	if (dune_is_guest())
		dune_set_auto_enter(true);
	if (atomic_load(&wrong_mode))
		die("%d of %d threads did not run in %s mode", atomic_load(&wrong_mode), nt,
		    guest ? "Dune" : "host");
	*kib = (double)((a.free - z.free) - (z.rss - a.rss)) / nt;
	d->free = a.free - z.free;
	d->rss = z.rss - a.rss;
	d->slab = z.slab - a.slab;
	d->st.vcpus = z.st.vcpus - a.st.vcpus;
	d->st.ept_pages = z.st.ept_pages - a.st.ept_pages;
}

static const char kmem_how[] =
	"per thread: (drop of zoneinfo free+per-CPU pages) - (growth of smaps_rollup Rss)";

/* Host mode: plain threads. */
static void bench_threads_linux(struct bench *b, int nt)
{
	long i, n = 0, total = b->warmup + b->iters;
	double *s = calloc(b->iters, sizeof(*s)), v;
	struct memsnap d;

	if (!s)
		die("calloc: out of memory");
	for (i = 0; i < total; i++) {
		thread_sample(nt, false, &v, &d);
		if (i >= b->warmup)
			s[n++] = v;
	}
	if (procfs_stat_refresh_failed)
		printf("# thread_kmem: /proc/sys/vm/stat_refresh is not writable (not root): "
		       "the free-page counts may lag by the per-CPU counter drift\n");
	report_signed(b, "thread_kmem", "linux", s, n, "KiB/thread", kmem_how);
	free(s);
}

/*
 * Dune mode: alternately @nt plain threads (auto-enter off) and @nt Dune
 * threads, both from this Dune-mode process.  thread_kmem/dune is the Dune
 * threads' kernel memory; module_mem_per_thread is, per pair, the Dune
 * threads' minus the plain threads': what Dune mode adds per thread.
 */
static void bench_threads_dune(struct bench *b, int nt)
{
	long i, n = 0, total = b->warmup + b->iters;
	double *sd = calloc(b->iters, sizeof(*sd)), *sm = calloc(b->iters, sizeof(*sm));
	double *sp = calloc(b->iters, sizeof(*sp)), vp, vd;
	struct memsnap dp, dd;
	long long ept = 0, slab = 0, rss = 0;

	if (!sd || !sm || !sp)
		die("calloc: out of memory");
	for (i = 0; i < total; i++) {
		thread_sample(nt, false, &vp, &dp);
		thread_sample(nt, true, &vd, &dd);
		if ((long long)dd.st.vcpus != nt)
			die("dune.ko counts %lld new vCPUs for %d Dune threads",
			    (long long)dd.st.vcpus, nt);
		if (i < b->warmup)
			continue;
		sp[n] = vp;
		sd[n] = vd;
		sm[n++] = vd - vp;
		ept += (long long)dd.st.ept_pages;
		slab += dd.slab - dp.slab;
		rss += dd.rss - dp.rss;
	}
	qsort(sp, n, sizeof(*sp), cmp_double);
	printf("# thread_kmem: %d threads per sample; plain threads of the Dune process: "
	       "median %.1f KiB/thread\n", nt, sp[n / 2]);
	printf("# module_mem_per_thread: mean per Dune thread over plain: EPT pages +%.2f KiB "
	       "(dune.ko's counter), Slab %+.1f KiB, user memory (Rss, libdune's region) %+.1f KiB\n",
	       (double)ept * 4 / n / nt, (double)slab / n / nt, (double)rss / n / nt);
	report_signed(b, "thread_kmem", "dune", sd, n, "KiB/thread", kmem_how);
	report_signed(b, "module_mem_per_thread", "dune", sm, n, "KiB/thread",
		      "per thread: thread_kmem of Dune threads - thread_kmem of plain threads, "
		      "same Dune process, same sample pair");
	free(sd);
	free(sm);
	free(sp);
}

/* ---- enter_<M>m_<K>maps ----------------------------------------------------- */

struct enter_msg {
	int64_t err;
	uint64_t ticks;
};

/*
 * The child's address space: @mb MiB of touched anonymous memory in
 * @maps mappings, each followed by a PROT_NONE page so that they stay
 * separate VMAs (one line each in /proc/self/maps).  THP is off for the
 * process, so the memory is @mb * 256 present 4 KiB pages.
 */
static void setup_memory(long mb, long maps)
{
	size_t pages = (size_t)mb * (1 << 20) / PAGE, k;
	char *base, *p;

	if (!mb || !maps)
		return;
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	base = mmap(NULL, (pages + maps) * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("enter: reserving %ld MiB: %s", mb, strerror(errno));
	for (p = base, k = 0; k < (size_t)maps; k++) {
		size_t n = pages / maps + (k < pages % maps);

		if (mmap(p, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0) == MAP_FAILED)
			die("enter: mapping %zu pages: %s", n, strerror(errno));
		p += (n + 1) * PAGE;
	}
}

/* One sample, in a fresh child: dune_init() is once per process. */
static uint64_t enter_once(long mb, long maps)
{
	struct enter_msg m;
	int fd[2], status;
	ssize_t got;
	pid_t pid;

	if (pipe(fd))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		uint64_t t0;

		close(fd[0]);
		setup_memory(mb, maps);
		t0 = bench_start();
		m.err = dune_init_and_enter();
		m.ticks = bench_stop() - t0;
		if (write(fd[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	got = read(fd[0], &m, sizeof(m));
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (got != sizeof(m) || !WIFEXITED(status) || WEXITSTATUS(status))
		die("enter child (%ld MiB, %ld maps) failed: %s %d", mb, maps,
		    WIFSIGNALED(status) ? "killed by signal" : "exit status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (m.err)
		die("dune_init_and_enter failed: %s%s", strerror((int)-m.err),
		    m.err == -ENOENT ? " (no /dev/dune: is dune.ko loaded?)" : "");
	return m.ticks;
}

static void bench_enter(struct bench *b)
{
	const char *spec = getenv("DUNE_BENCH_ENTER");
	char name[64];
	const char *p;

	if (!spec || !*spec)
		spec = "0:0,16:1,16:10,16:100,64:1,64:10,64:100";
	for (p = spec; *p; ) {
		long mb, maps;
		char *end;

		mb = strtol(p, &end, 10);
		if (end == p || *end != ':' || mb < 0 || mb > 4096)
			die("DUNE_BENCH_ENTER=%s: want M:K[,M:K...] (MiB:mappings)", spec);
		maps = strtol(end + 1, &end, 10);
		if ((*end && *end != ',') || maps < 0 || maps > 30000 ||
		    (maps > 0 && (size_t)maps > ((size_t)mb << 20) / PAGE) || (mb && !maps))
			die("DUNE_BENCH_ENTER=%s: bad mapping count in '%.*s'", spec,
			    (int)(end - p), p);
		p = *end ? end + 1 : end;
		snprintf(name, sizeof(name), "enter_%ldm_%ldmaps", mb, maps);
		bench_reset(b, name, "dune");
		while (bench_more(b))
			bench_sample(b, enter_once(mb, maps));
		bench_done(b);
	}
}

int main(int argc, char **argv)
{
	long mb = env_long("DUNE_BENCH_TOUCH_MB", 64, 2, 1 << 20);
	int nt = (int)env_long("DUNE_BENCH_THREADS", 16, 1, 4096);
	struct bench b;

	if (mb % 2)
		die("DUNE_BENCH_TOUCH_MB=%ld: want an even number (whole 2 MiB pages)", mb);
	bench_init(&b, "scale", "linux", DEF_ITERS, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# scale: %ld samples each (%ld warm-up); touch %ld MiB; %d threads; "
	       "transparent_hugepage/enabled: %s\n", b.iters, b.warmup, mb, nt, thp_setting());

	/* Linux: host mode, before this process ever opens /dev/dune. */
	bench_touches(&b, "linux", mb);
	bench_threads_linux(&b, nt);

	/* The first entry, in fresh children (the parent is still in host mode). */
	printf("# enter_*: dune only (Linux has no equivalent); dune_init()+dune_enter() in a "
	       "fresh child with M MiB touched in K mappings, 4 KiB pages\n");
	bench_enter(&b);

	/* Dune. */
	if (bench_enter_dune(&b))
		return 1;
	bench_touches(&b, "dune", mb);
	bench_threads_dune(&b, nt);
	return 0;
}
