// SPDX-License-Identifier: BSD-3-Clause
/*
 * path.c - resolve a path as the kernel would, so that the policy judges
 * the file the kernel will really use (see sandbox.h: sb_resolve).  Only
 * lstat() and readlink(): unit-tested on the host (tests/path_test.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"

int sb_resolve(const char *base, const char *path, bool follow, char *out)
{
	char rest[2 * PATH_MAX], res[PATH_MAX], tgt[PATH_MAX];
	size_t rl;
	int links = 0;

	if (!path[0])
		return -ENOENT;
	if (path[0] == '/') {
		res[0] = 0;
	} else {
		if (base[0] != '/' || strlen(base) >= sizeof(res))
			return -EINVAL;
		strcpy(res, base);
		/* No trailing '/': the root is "" while resolving. */
		while (res[0] && res[strlen(res) - 1] == '/')
			res[strlen(res) - 1] = 0;
	}
	if (strlen(path) >= sizeof(rest))
		return -ENAMETOOLONG;
	strcpy(rest, path);
	while (rest[0]) {
		char *p = rest, comp[NAME_MAX + 1], cand[PATH_MAX];
		size_t n;
		struct stat st;
		bool last;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		while (*p == '/')
			p++;
		last = !*p;
		memmove(rest, p, strlen(p) + 1);
		if (!n || !strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *s = strrchr(res, '/');

			if (s)
				*s = 0;
			continue;
		}
		if (snprintf(cand, sizeof(cand), "%s/%s", res, comp) >= (int)sizeof(cand))
			return -ENAMETOOLONG;
		if ((!last || follow) && lstat(cand, &st) == 0 && S_ISLNK(st.st_mode)) {
			ssize_t tl;

			if (++links > 40)
				return -ELOOP;
			tl = readlink(cand, tgt, sizeof(tgt) - 1);
			if (tl <= 0)
				return -ENOENT;
			tgt[tl] = 0;
			rl = strlen(rest);
			if ((size_t)tl + 1 + rl >= sizeof(rest))
				return -ENAMETOOLONG;
			memmove(rest + tl + 1, rest, rl + 1);
			memcpy(rest, tgt, tl);
			rest[tl] = '/';
			if (!rl)
				rest[tl] = 0;
			if (tgt[0] == '/')
				res[0] = 0;
			continue;
		}
		strcpy(res, cand);
	}
	if (!res[0])
		strcpy(res, "/");
	strcpy(out, res);
	return 0;
}

