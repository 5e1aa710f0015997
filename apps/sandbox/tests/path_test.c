// SPDX-License-Identifier: BSD-3-Clause
/*
 * Host-side unit test of the sandbox's path resolution (apps/sandbox/path.c)
 * on a scratch tree of directories and symlinks: the policy must judge the
 * file the kernel will use, so ".." after a symlink, absolute and relative
 * targets, dangling links (O_CREAT follows them), loops and nofollow must
 * all resolve as the kernel resolves them; existing paths must agree with
 * realpath(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../test/harness.h"
#include "path.h"

static char root[PATH_MAX / 2];		/* the scratch tree, resolved */

static void mk(const char *rel, const char *link_to)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (link_to) {
		ASSERT_EQ(symlink(link_to, p), 0);
	} else if (rel[strlen(rel) - 1] == '/') {
		ASSERT_EQ(mkdir(p, 0755), 0);
	} else {
		FILE *f = fopen(p, "w");

		ASSERT_TRUE(f != NULL);
		fclose(f);
	}
}

static void setup(void)
{
	char tmpl[] = "/tmp/sb_path_test.XXXXXX";

	ASSERT_TRUE(mkdtemp(tmpl) != NULL);
	{
		char r[PATH_MAX];

		ASSERT_TRUE(realpath(tmpl, r) != NULL);
		ASSERT_LT(strlen(r), sizeof(root));
		strcpy(root, r);
	}
	mk("a/", NULL);
	mk("a/b/", NULL);
	mk("a/b/c", NULL);
	mk("rel", "a/b");
	mk("abs", "/etc");
	mk("loop1", "loop2");
	mk("loop2", "loop1");
	mk("up", "..");
	mk("dang", "/nonexistent-sb-dir/f");
	mk("chain", "rel");
	mk("a/b/back", "../../rel");
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		(void)0;
}

/* Resolve @path relative to the scratch root; compare with @want (relative
 * to the root when it does not start with '/', or "=" + absolute). */
static void expect(const char *path, bool follow, const char *want)
{
	char out[PATH_MAX], w[PATH_MAX + 64];
	int r = sb_resolve(root, path, follow, out);

	if (want[0] == '=')
		snprintf(w, sizeof(w), "%s", want + 1);
	else if (!want[0])
		snprintf(w, sizeof(w), "%s", root);
	else
		snprintf(w, sizeof(w), "%s/%s", root, want);
	if (r)
		printf("# %s: error %d\n", path, r);
	ASSERT_EQ(r, 0);
	EXPECT_STREQ(out, w);
}

TEST(plain_and_lexical)
{
	setup();
	expect("a/b/c", true, "a/b/c");
	expect("a//b/./c/", true, "a/b/c");
	expect("./a/../a/b", true, "a/b");
	expect("nonexistent/x/../y", true, "nonexistent/y");
	expect("/", true, "=/");
	expect("/..//../", true, "=/");
	teardown();
}

TEST(symlinks_as_the_kernel)
{
	char etc[PATH_MAX], want[PATH_MAX + 8];

	setup();
	ASSERT_TRUE(realpath("/etc", etc) != NULL);
	expect("rel/c", true, "a/b/c");
	expect("chain/c", true, "a/b/c");
	/* ".." after a symlink: the parent of its target, not lexical. */
	expect("rel/..", true, "a");
	expect("a/b/back/c", true, "a/b/c");
	snprintf(want, sizeof(want), "=%s/passwd", etc);
	expect("abs/passwd", true, want);
	snprintf(want, sizeof(want), "=%s", etc);
	expect("abs/", true, want);
	/* "up" -> "..": the tree's parent. */
	{
		char parent[PATH_MAX + 8];

		snprintf(parent, sizeof(parent), "=%s", root);
		*strrchr(parent, '/') = 0;
		if (!parent[1])
			strcpy(parent, "=/");
		expect("up", true, parent);
	}
	teardown();
}

TEST(last_component_follow_or_not)
{
	setup();
	expect("rel", false, "rel");
	expect("rel", true, "a/b");
	expect("abs", false, "abs");
	/* A dangling link: followed, it names its target (what O_CREAT
	 * would create), which the policy must judge. */
	expect("dang", true, "=/nonexistent-sb-dir/f");
	expect("dang", false, "dang");
	/* Not the last component: always followed. */
	expect("rel/c", false, "a/b/c");
	teardown();
}

TEST(errors)
{
	char out[PATH_MAX], *big;

	setup();
	EXPECT_EQ(sb_resolve(root, "loop1", true, out), -ELOOP);
	EXPECT_EQ(sb_resolve(root, "loop1/x", false, out), -ELOOP);
	EXPECT_EQ(sb_resolve(root, "loop1", false, out), 0);
	EXPECT_EQ(sb_resolve(root, "", true, out), -ENOENT);
	EXPECT_EQ(sb_resolve("relative", "x", true, out), -EINVAL);
	big = malloc(3 * PATH_MAX);
	ASSERT_TRUE(big != NULL);
	memset(big, 'a', 3 * PATH_MAX - 1);
	big[3 * PATH_MAX - 1] = 0;
	EXPECT_EQ(sb_resolve(root, big, true, out), -ENAMETOOLONG);
	/* A component longer than NAME_MAX. */
	big[NAME_MAX + 1] = 0;
	EXPECT_EQ(sb_resolve(root, big, true, out), -ENAMETOOLONG);
	/* Many short components that add up past PATH_MAX. */
	{
		size_t i;

		for (i = 0; i + 2 < 3 * PATH_MAX - 1; i += 2) {
			big[i] = 'x';
			big[i + 1] = '/';
		}
		big[i] = 0;
		EXPECT_EQ(sb_resolve("/", big + 3000, true, out), -ENAMETOOLONG);
	}
	free(big);
	teardown();
}

/* Existing paths, followed: the same answer as realpath(3). */
TEST(agrees_with_realpath)
{
	static const char *const paths[] = {
		"/etc/passwd", "/usr/bin/env", "/bin/sh", "/lib64/ld-linux-x86-64.so.2",
		"/proc/self", "/usr/lib/../bin/./true", "/dev/null", "/tmp/",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char a[PATH_MAX], b[PATH_MAX];

		if (!realpath(paths[i], a))
			continue;
		ASSERT_EQ(sb_resolve("/", paths[i], true, b), 0);
		if (!strncmp(paths[i], "/proc/self", 10))
			continue;	/* a magic link: /proc/<pid> either way */
		EXPECT_STREQ(b, a);
	}
}

TEST_MAIN()
