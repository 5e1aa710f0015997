// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of the EPT mirror of the process's memory: whatever the host
 * changes in the address space (munmap, mremap, mprotect, truncation, fork's
 * copy-on-write) reaches the guest at once, never as stale data; shared
 * mappings are shared with the host and with other processes; huge pages
 * work.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "guest.h"

/* ---- guest code ---------------------------------------------------------------------- */

struct fill {
	uint64_t *p;
	long n;		/* qwords */
	uint64_t v;	/* p[i] = v + i */
};

static GUEST_FN long g_fill(long arg)
{
	struct fill *f = (struct fill *)arg;
	long i;

	for (i = 0; i < f->n; i++)
		f->p[i] = f->v + (uint64_t)i;
	return 0;
}

/* How many qwords differ from v + i. */
static GUEST_FN long g_check(long arg)
{
	struct fill *f = (struct fill *)arg;
	long i, bad = 0;

	for (i = 0; i < f->n; i++)
		bad += f->p[i] != f->v + (uint64_t)i;
	return bad;
}

static GUEST_FN long g_read(long addr)
{
	return *(volatile long *)addr;
}

static GUEST_FN long g_write(long addr)
{
	*(volatile long *)addr = 0x77777777;
	return 0;
}

static GUEST_FN long g_munmap_then_read(long addr)
{
	long r = vmcall2(SYS_munmap, addr, 4096);

	if (r)
		return r;
	return *(volatile long *)addr;
}

static GUEST_FN long g_mmap_anon(long arg)
{
	struct fill *f = (struct fill *)arg;
	long p = vmcall6(SYS_mmap, 0, f->n * 8, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if ((unsigned long)p >= -4096UL)
		return p;
	f->p = (uint64_t *)p;
	return g_fill(arg);
}

static long cow_x = 1, cow_y = 1;

/* Fork from the guest: each side writes after the fork and must not see the other. */
static GUEST_FN long g_cow_fork(long arg)
{
	struct timespec ts = { 0, 300 * 1000000L };
	long pid, y;
	int status = 0;

	(void)arg;
	pid = vmcall0(SYS_fork);
	if (pid == 0) {		/* the child, on the host */
		cow_y = 5;
		native_syscall2(SYS_nanosleep, (long)&ts, 0);
		native_syscall1(SYS_exit_group, cow_x == 1 ? 0 : 1);
	}
	if (pid < 0)
		return pid;
	cow_x = 2;
	vmcall2(SYS_nanosleep, (long)&ts, 0);
	y = cow_y;
	if (vmcall4(SYS_wait4, pid, (long)&status, 0, 0) != pid)
		return -1000;
	return (y == 1 ? 0 : 1) | (status ? 2 : 0) | (cow_x == 2 ? 0 : 4);
}

/* ---- helpers --------------------------------------------------------------------------- */

static struct fill fill_of(void *p, size_t bytes, uint64_t v)
{
	struct fill f = { (uint64_t *)p, (long)(bytes / 8), v };

	return f;
}

static long host_check(const void *p, size_t bytes, uint64_t v)
{
	const uint64_t *q = p;
	long i, bad = 0;

	for (i = 0; i < (long)(bytes / 8); i++)
		bad += q[i] != v + (uint64_t)i;
	return bad;
}

static void host_fill(void *p, size_t bytes, uint64_t v)
{
	uint64_t *q = p;
	long i;

	for (i = 0; i < (long)(bytes / 8); i++)
		q[i] = v + (uint64_t)i;
}

static long guest_check(void *p, size_t bytes, uint64_t v)
{
	static struct fill f;

	f = fill_of(p, bytes, v);
	return guest_run(g_check, (long)&f);
}

static void guest_fill(void *p, size_t bytes, uint64_t v)
{
	static struct fill f;

	f = fill_of(p, bytes, v);
	ASSERT_EQ(guest_run(g_fill, (long)&f), 0);
}

/* Run fn(arg) in the guest, which must end in an EPT violation at va. */
#define ASSERT_EPT_FAULT_AT(fn, arg, va, write)                                 \
	do {                                                                    \
		struct dune_enter fe_;                                          \
		guest_setup(&fe_, fn, (long)(arg));                             \
		guest_enter_nosig(&fe_);                                        \
		ASSERT_EXIT(&fe_, DUNE_EXIT_EPT_VIOLATION);                     \
		EXPECT_EQ(fe_.guest_phys, va_to_gpa((void *)(va)));             \
		EXPECT_EQ(fe_.guest_linear, (uint64_t)(va));                    \
		if (write)                                                      \
			EXPECT_TRUE(fe_.exit_qual & EPT_QUAL_WRITE);            \
		else                                                            \
			EXPECT_TRUE(fe_.exit_qual & EPT_QUAL_READ);             \
	} while (0)

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	if (guest.cr3)
		ASSERT_EQ(guest_map(p, len), 0);
	return p;
}

static int tmpfile_of(size_t len)
{
	char path[] = "/tmp/dune-mem.XXXXXX";
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(ftruncate(fd, (off_t)len), 0);
	return fd;
}

static void send_byte(int fd, char c)
{
	ASSERT_EQ(write(fd, &c, 1), 1);
}

static char recv_byte(int fd)
{
	char c = 0;

	ASSERT_EQ(read(fd, &c, 1), 1);
	return c;
}

/* AnonHugePages of the mapping that starts at p, in KiB (-1: not found). */
static long anon_huge_kb(const void *p)
{
	char line[256];
	unsigned long lo, hi;
	long kb = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = lo <= (unsigned long)p && (unsigned long)p < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* ---- tests -------------------------------------------------------------------------------- */

TEST(munmap_then_guest_access_faults)
{
	struct dune_stats s0, s1;
	char *p = map_anon(8192);

	host_fill(p, 8192, 0x1000);
	guest_init();
	EXPECT_EQ(guest_check(p, 8192, 0x1000), 0);
	dune_get_stats(guest.fd, &s0);
	ASSERT_EQ(munmap(p, 8192), 0);
	ASSERT_EPT_FAULT_AT(g_read, p, p, 0);
	ASSERT_EPT_FAULT_AT(g_read, p + 4096 + 8, p + 4096 + 8, 0);
	dune_get_stats(guest.fd, &s1);
	diag("ept_invalidations %llu -> %llu", (unsigned long long)s0.ept_invalidations,
	     (unsigned long long)s1.ept_invalidations);
	EXPECT_GT(s1.ept_invalidations, s0.ept_invalidations);

	/* New memory at the same address: the guest sees it, not the old pages. */
	ASSERT_TRUE(mmap(p, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == p);
	EXPECT_EQ(guest_check(p, 8192, 0), 8192 / 8 - 1);	/* zeros: only p[0] == 0 + 0 */
	host_fill(p, 8192, 0x2000);
	EXPECT_EQ(guest_check(p, 8192, 0x2000), 0);
}

TEST(munmap_from_guest_then_access_faults)
{
	char *p = map_anon(8192);

	host_fill(p, 8192, 0x3000);
	guest_init();
	EXPECT_EQ(guest_check(p, 8192, 0x3000), 0);
	ASSERT_EPT_FAULT_AT(g_munmap_then_read, p, p, 0);
	/* The other page is still there, for both. */
	EXPECT_EQ(guest_check(p + 4096, 4096, 0x3000 + 512), 0);
	EXPECT_EQ(host_check(p + 4096, 4096, 0x3000 + 512), 0);
}

TEST(mremap_moves_what_the_guest_sees)
{
	char *p = map_anon(8192), *q;

	host_fill(p, 8192, 0x4000);
	q = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(q != MAP_FAILED);
	guest_init();
	ASSERT_EQ(guest_map(q, 8192), 0);
	EXPECT_EQ(guest_check(p, 8192, 0x4000), 0);
	ASSERT_TRUE(mremap(p, 8192, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, q) == q);
	EXPECT_EQ(guest_check(q, 8192, 0x4000), 0);
	ASSERT_EPT_FAULT_AT(g_read, p, p, 0);
	ASSERT_EPT_FAULT_AT(g_read, p + 4096, p + 4096, 0);
	/* Shrinking in place drops the tail. */
	ASSERT_TRUE(mremap(q, 8192, 4096, 0) == q);
	EXPECT_EQ(guest_check(q, 4096, 0x4000), 0);
	ASSERT_EPT_FAULT_AT(g_read, q + 4096, q + 4096, 0);
}

TEST(mprotect_is_enforced)
{
	char *p = map_anon(4096);

	host_fill(p, 4096, 0x5000);
	guest_init();
	EXPECT_EQ(guest_check(p, 4096, 0x5000), 0);
	guest_fill(p, 4096, 0x6000);

	ASSERT_EQ(mprotect(p, 4096, PROT_NONE), 0);
	ASSERT_EPT_FAULT_AT(g_read, p + 64, p + 64, 0);

	ASSERT_EQ(mprotect(p, 4096, PROT_READ), 0);
	EXPECT_EQ(guest_check(p, 4096, 0x6000), 0);
	ASSERT_EPT_FAULT_AT(g_write, p + 128, p + 128, 1);
	EXPECT_EQ(host_check(p, 4096, 0x6000), 0);	/* the write did not happen */

	ASSERT_EQ(mprotect(p, 4096, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(guest_run(g_write, (long)(p + 128)), 0);
	EXPECT_EQ(*(long *)(p + 128), 0x77777777);
}

/*
 * map (2 pages, MAP_SHARED, of file fd or anonymous when fd < 0): written by
 * the guest, seen by the host and by a forked process; written by those, seen
 * by the guest.
 */
static void shared_mapping_test(char *map, int fd)
{
	int p2c[2], c2p[2];
	uint64_t buf[512];
	pid_t pid;

	ASSERT_EQ(pipe(p2c), 0);
	ASSERT_EQ(pipe(c2p), 0);
	guest_init();
	ASSERT_EQ(guest_map(map, 8192), 0);
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint64_t v = 0xcccc0000;

		recv_byte(p2c[0]);
		/* Step 1: the guest's writes are here. */
		EXPECT_EQ(host_check(map, 8192, 0xa0000), 0);
		if (fd >= 0) {
			ASSERT_EQ(pread(fd, buf, 4096, 4096), 4096);
			EXPECT_EQ(host_check(buf, 4096, 0xa0000 + 512), 0);
		}
		/* Page 1 through the mapping, one qword of page 0 through the file. */
		host_fill(map + 4096, 4096, 0xb0000);
		if (fd >= 0)
			ASSERT_EQ(pwrite(fd, &v, 8, 800), 8);
		else
			*(uint64_t *)(map + 800) = v;
		send_byte(c2p[1], harness_failed ? 'F' : 'k');
		recv_byte(p2c[0]);
		child_exit();
	}
	guest_fill(map, 8192, 0xa0000);
	EXPECT_EQ(host_check(map, 8192, 0xa0000), 0);
	if (fd >= 0) {
		ASSERT_EQ(pread(fd, buf, 4096, 0), 4096);
		EXPECT_EQ(host_check(buf, 4096, 0xa0000), 0);
	}
	send_byte(p2c[1], '1');
	EXPECT_EQ(recv_byte(c2p[0]), 'k');
	EXPECT_EQ(guest_check(map + 4096, 4096, 0xb0000), 0);
	EXPECT_EQ(guest_run(g_read, (long)(map + 800)), 0xcccc0000);
	/* The host writes; the guest sees it. */
	if (fd >= 0) {
		uint64_t v = 0xdddd0000;

		ASSERT_EQ(pwrite(fd, &v, 8, 1600), 8);
	} else {
		*(uint64_t *)(map + 1600) = 0xdddd0000;
	}
	EXPECT_EQ(guest_run(g_read, (long)(map + 1600)), 0xdddd0000);
	EXPECT_EQ(guest_run(g_read, (long)(map + 8)), 0xa0001);
	send_byte(p2c[1], '2');
	ASSERT_CHILD_OK(pid);
}

TEST(shared_file_mapping)
{
	int fd = tmpfile_of(8192);
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	ASSERT_TRUE(map != MAP_FAILED);
	shared_mapping_test(map, fd);
}

TEST(shared_anonymous_mapping)
{
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(map != MAP_FAILED);
	shared_mapping_test(map, -1);
}

TEST(private_file_mapping_copy_on_write)
{
	int fd = tmpfile_of(8192);
	uint64_t buf[512];
	char *map;

	host_fill(buf, 4096, 0x7000);
	ASSERT_EQ(pwrite(fd, buf, 4096, 0), 4096);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	guest_init();
	ASSERT_EQ(guest_map(map, 8192), 0);
	EXPECT_EQ(guest_check(map, 4096, 0x7000), 0);	/* the file's page, read-only */
	guest_fill(map, 4096, 0x8000);			/* now a private copy */
	EXPECT_EQ(host_check(map, 4096, 0x8000), 0);
	ASSERT_EQ(pread(fd, buf, 4096, 0), 4096);
	EXPECT_EQ(host_check(buf, 4096, 0x7000), 0);	/* the file did not change */
	EXPECT_EQ(guest_check(map, 4096, 0x8000), 0);
}

TEST(cow_after_host_fork)
{
	long *p = map_anon(16 * 4096);
	int p2c[2], c2p[2];
	pid_t pid;

	ASSERT_EQ(pipe(p2c), 0);
	ASSERT_EQ(pipe(c2p), 0);
	host_fill(p, 16 * 4096, 100);
	guest_init();
	guest_fill(p, 16 * 4096, 200);		/* the guest has them writable */
	fflush(stdout);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		recv_byte(p2c[0]);
		/* The parent's guest wrote 300s after the fork: not here. */
		EXPECT_EQ(host_check(p, 16 * 4096, 200), 0);
		host_fill(p, 16 * 4096, 400);
		send_byte(c2p[1], harness_failed ? 'F' : 'k');
		child_exit();
	}
	guest_fill(p, 16 * 4096, 300);
	EXPECT_EQ(host_check(p, 16 * 4096, 300), 0);
	send_byte(p2c[1], 'g');
	EXPECT_EQ(recv_byte(c2p[0]), 'k');
	/* And the child's writes are not in the parent's guest. */
	EXPECT_EQ(guest_check(p, 16 * 4096, 300), 0);
	ASSERT_CHILD_OK(pid);
	/* The guest's own stack and page tables went through the same: it still runs. */
	guest_fill(p, 16 * 4096, 500);
	EXPECT_EQ(host_check(p, 16 * 4096, 500), 0);
}

TEST(cow_after_guest_fork)
{
	guest_init();
	cow_x = 1;
	cow_y = 1;
	/* The guest had these pages writable before the fork. */
	guest_fill(&cow_x, 8, 1);
	guest_fill(&cow_y, 8, 1);
	EXPECT_EQ(guest_run(g_cow_fork, 0), 0);
	EXPECT_EQ(cow_x, 2);
	EXPECT_EQ(cow_y, 1);
}

TEST(guest_mmap_anonymous)
{
	static struct fill f;

	guest_init();
	f.n = 64 * 1024 / 8;
	f.v = 0x9000;
	EXPECT_EQ(guest_run(g_mmap_anon, (long)&f), 0);
	ASSERT_TRUE(f.p != NULL);
	EXPECT_EQ(host_check(f.p, 64 * 1024, 0x9000), 0);
	EXPECT_EQ(munmap(f.p, 64 * 1024), 0);
}

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* The current transparent-hugepage mode ("always", "madvise", "never"; "" if none). */
static void thp_mode(char *mode, size_t size)
{
	char line[128] = "", *a, *b;
	FILE *f = fopen(THP_ENABLED, "r");

	mode[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) && (b = strchr(a, ']'))) {
		*b = 0;
		snprintf(mode, size, "%s", a + 1);
	}
	fclose(f);
}

static void thp_set(const char *mode)
{
	FILE *f = fopen(THP_ENABLED, "w");

	if (f) {
		fputs(mode, f);
		fclose(f);
	}
}

TEST_TIMEOUT_S(hugepage_region, 90)
{
	char *raw, *r, was[32], now[32];
	struct dune_stats st0, st1;
	int mr;
	long kb;

	/* The guest kernel's default is "never": allow madvised regions for this test. */
	thp_mode(was, sizeof(was));
	if (!strcmp(was, "never"))
		thp_set("madvise");
	thp_mode(now, sizeof(now));
	raw = map_anon(4 * SZ_2M);
	r = (char *)(((uint64_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	mr = madvise(r, SZ_2M, MADV_HUGEPAGE);
	diag("transparent hugepages: %s (was %s); madvise(MADV_HUGEPAGE): %d", now, was, mr);
	guest_init();
	dune_get_stats(guest.fd, &st0);
	guest_fill(r, SZ_2M, 0xa00000);		/* first touched by the guest */
	dune_get_stats(guest.fd, &st1);
	kb = anon_huge_kb(r);
	diag("AnonHugePages of the region after the guest touched it: %ld kB%s; EPT faults %llu",
	     kb, kb >= 2048 ? " (a huge page)" : " (4 KiB pages)",
	     (unsigned long long)(st1.ept_faults - st0.ept_faults));
	/*
	 * Backed by a huge page, the 512 pages take one 2 MiB EPT entry: one
	 * fault besides the run's own (code, stack, tables: about 8 in a
	 * fresh process), where 4 KiB entries would take 512 more.
	 */
	if (kb >= 2048)
		EXPECT_LT(st1.ept_faults - st0.ept_faults, 64);
	if (strcmp(was, now))
		thp_set(was);
	EXPECT_EQ(host_check(r, SZ_2M, 0xa00000), 0);
	host_fill(r, SZ_2M, 0xb00000);
	EXPECT_EQ(guest_check(r, SZ_2M, 0xb00000), 0);
	/* Punch a page out of the middle: it faults, its neighbours stay right. */
	ASSERT_EQ(munmap(r + SZ_2M / 2, 4096), 0);
	ASSERT_EPT_FAULT_AT(g_read, r + SZ_2M / 2, r + SZ_2M / 2, 0);
	EXPECT_EQ(guest_check(r, SZ_2M / 2, 0xb00000), 0);
	EXPECT_EQ(guest_check(r + SZ_2M / 2 + 4096, SZ_2M / 2 - 4096,
			      0xb00000 + (SZ_2M / 2 + 4096) / 8), 0);
	EXPECT_EQ(host_check(r + SZ_2M / 2 + 4096, SZ_2M / 2 - 4096,
			     0xb00000 + (SZ_2M / 2 + 4096) / 8), 0);
}

/*
 * A hugetlbfs page (reserved for the test): the guest's first touch maps it
 * with one 2 MiB EPT entry, both sides see each other's writes, and
 * unmapping it on the host takes it away from the guest.
 */
TEST_TIMEOUT_S(hugetlb_page_is_one_ept_entry, 90)
{
	struct dune_stats st0, st1;
	char old[32] = "0";
	FILE *f;
	char *p;

	f = fopen("/proc/sys/vm/nr_hugepages", "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_TRUE(fgets(old, sizeof(old), f) != NULL);
	fclose(f);
	old[strcspn(old, "\n")] = 0;
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "%d\n", atoi(old) + 2);
	fclose(f);
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		 -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ((uint64_t)p & (SZ_2M - 1), 0);
	guest_init();
	ASSERT_EQ(guest_map(p, SZ_2M), 0);
	dune_get_stats(guest.fd, &st0);
	guest_fill(p, SZ_2M, 0x7700000);
	dune_get_stats(guest.fd, &st1);
	diag("2 MiB hugetlb page filled by the guest: %llu EPT faults",
	     (unsigned long long)(st1.ept_faults - st0.ept_faults));
	/* One for the page besides the run's own (about 8), not 512. */
	EXPECT_GE(st1.ept_faults - st0.ept_faults, 1);
	EXPECT_LT(st1.ept_faults - st0.ept_faults, 64);
	EXPECT_EQ(host_check(p, SZ_2M, 0x7700000), 0);
	host_fill(p, SZ_2M, 0x7800000);
	EXPECT_EQ(guest_check(p, SZ_2M, 0x7800000), 0);
	ASSERT_EQ(munmap(p, SZ_2M), 0);
	ASSERT_EPT_FAULT_AT(g_read, p + SZ_2M - 8, p + SZ_2M - 8, 0);
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fprintf(f, "%s\n", old);
		fclose(f);
	}
}

TEST(ftruncate_shrink_then_guest_access_faults)
{
	int fd = tmpfile_of(4 * 4096);
	char *map;
	uint64_t zero = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t buf[512];

		host_fill(buf, 4096, 0xc000 + 512 * i);
		ASSERT_EQ(pwrite(fd, buf, 4096, i * 4096), 4096);
	}
	map = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	guest_init();
	ASSERT_EQ(guest_map(map, 4 * 4096), 0);
	EXPECT_EQ(guest_check(map, 4 * 4096, 0xc000), 0);
	ASSERT_EQ(ftruncate(fd, 4096), 0);
	EXPECT_EQ(guest_check(map, 4096, 0xc000), 0);
	ASSERT_EPT_FAULT_AT(g_read, map + 3 * 4096, map + 3 * 4096, 0);
	ASSERT_EPT_FAULT_AT(g_read, map + 4096 + 16, map + 4096 + 16, 0);
	/* Grown again: zeros, not the old data. */
	ASSERT_EQ(ftruncate(fd, 4 * 4096), 0);
	EXPECT_EQ(guest_run(g_read, (long)(map + 3 * 4096)), 0);
	EXPECT_EQ(guest_run(g_read, (long)(map + 4096 + 16)), 0);
	EXPECT_EQ(pread(fd, &zero, 8, 3 * 4096), 8);
	EXPECT_EQ(zero, 0);
}

TEST_TIMEOUT_S(many_pages, 90)
{
	const size_t len = 8 << 20;
	char *p = map_anon(len);
	struct dune_stats s;

	guest_init();
	guest_fill(p, len, 0xe0000000);
	EXPECT_EQ(host_check(p, len, 0xe0000000), 0);
	ASSERT_EQ(munmap(p + len / 2, len / 2), 0);
	EXPECT_EQ(guest_check(p, len / 2, 0xe0000000), 0);
	ASSERT_EPT_FAULT_AT(g_read, p + len / 2, p + len / 2, 0);
	ASSERT_EPT_FAULT_AT(g_read, p + len - 8, p + len - 8, 0);
	dune_get_stats(guest.fd, &s);
	diag("8 MiB touched: ept_faults %llu, ept_pages %llu, ept_invalidations %llu",
	     (unsigned long long)s.ept_faults, (unsigned long long)s.ept_pages,
	     (unsigned long long)s.ept_invalidations);
	EXPECT_GE(s.ept_faults, 1);
}

TEST_MAIN()
