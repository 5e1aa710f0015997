/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading /proc for the tests and benchmarks that measure the kernel's
 * memory: a small file whole, a number after a key, and free memory
 * counted as exactly as user space can.  Header-only; include once.
 */
#ifndef DUNE_TEST_PROCFS_H
#define DUNE_TEST_PROCFS_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole of a small file, NUL-terminated, in @buf; its length or -1. */
static ssize_t procfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return len;
}

/* The number after "@key" at the start of a line of @text, or -1. */
static long long procfs_field(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl))
			return strtoll(p + kl, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Set when /proc/sys/vm/stat_refresh could not be written (not root). */
static bool procfs_stat_refresh_failed;

/*
 * Free memory in KiB, counted as exactly as user space can: the kernel's
 * per-CPU counter deltas are folded first (/proc/sys/vm/stat_refresh, root
 * only; skipped otherwise), then every zone's free pages plus the pages
 * parked on its per-CPU free lists (/proc/zoneinfo "count:"), which
 * MemFree leaves out.  Those lists move in batches of dozens of pages, and
 * since Linux 6.7 their size follows the load, so that on 6.12 MemFree
 * alone moved by -2456..+1112 KiB between rounds of 200 plain processes
 * (vm_lifecycle's control).  Falls back to MemFree when /proc/zoneinfo is
 * unreadable.
 */
static long long procfs_free_kib(void)
{
	static char zbuf[1 << 17];
	long long pages = 0;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	char *p;

	if (fd < 0) {
		procfs_stat_refresh_failed = true;
	} else {
		/* A failure is not fatal: the counters are then a little stale. */
		if (write(fd, "1\n", 2) < 0)
			procfs_stat_refresh_failed = true;
		close(fd);
	}
	if (procfs_read("/proc/zoneinfo", zbuf, sizeof(zbuf)) <= 0) {
		if (procfs_read("/proc/meminfo", zbuf, sizeof(zbuf)) <= 0)
			return -1;
		return procfs_field(zbuf, "MemFree:");
	}
	for (p = zbuf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, "pages free", 10))
			pages += strtoll(p + 10, NULL, 10);
		else if (!strncmp(p, "count:", 6))
			pages += strtoll(p + 6, NULL, 10);
	}
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif
