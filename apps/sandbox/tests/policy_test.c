/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side unit tests of the sandbox's policy (apps/sandbox/policy.c) and
 * of its name tables (sysnames.c): every rule, every refusal with its line
 * number and message, path normalisation, longest-prefix matching, the
 * network checks (IPv4-mapped IPv6 addresses included), and the built-in
 * default policy, which must be byte-identical to apps/sandbox/default.policy
 * (read from the repository root, where `make check` runs the unit tests).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "policy.h"
#include "../../../test/harness.h"

#define CWD	"/home/u/proj"
#define DEFAULT_FILE "apps/sandbox/default.policy"

static char err[512];

static int parse_cwd(struct sb_policy *p, const char *text, const char *cwd)
{
	memset(err, 0x5a, sizeof(err));
	return sb_policy_parse(p, "p.policy", text, strlen(text), cwd, err, sizeof(err));
}

static int parse(struct sb_policy *p, const char *text)
{
	return parse_cwd(p, text, CWD);
}

static int zeroed(const struct sb_policy *p)
{
	static const struct sb_policy zero;

	return !memcmp(p, &zero, sizeof(zero));
}

/*
 * @text must be refused with a message starting with @where ("p.policy:3: ")
 * and containing @what; the policy is left empty.
 */
static void refused(const char *text, const char *cwd, const char *where, const char *what,
		    int line)
{
	struct sb_policy p;
	int r = parse_cwd(&p, text, cwd);

	if (r != -EINVAL || strncmp(err, where, strlen(where)) || !strstr(err, what) ||
	    !zeroed(&p))
		HARNESS_FAIL(0, "line %d: expected -EINVAL and \"%s...%s\", got %d and \"%.200s\"",
			     line, where, what, r, r ? err : "");
	sb_policy_free(&p);
}
#define REFUSED(text, where, what) refused(text, CWD, where, what, __LINE__)

static int access_of(const char *text, const char *path)
{
	struct sb_policy p;
	int a;

	if (parse(&p, text)) {
		diag("unexpected refusal: %s", err);
		return -1;
	}
	a = sb_policy_path_access(&p, path);
	sb_policy_free(&p);
	return a;
}

static struct sockaddr_in sin4(const char *a, int port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	if (inet_pton(AF_INET, a, &s.sin_addr) != 1)
		abort();
	return s;
}

static struct sockaddr_in6 sin6(const char *a, int port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	if (inet_pton(AF_INET6, a, &s.sin6_addr) != 1)
		abort();
	return s;
}

static bool net4(const struct sb_policy *p, int op, const char *a, int port)
{
	struct sockaddr_in s = sin4(a, port);

	return sb_policy_net_allowed(p, op, (struct sockaddr *)&s, sizeof(s));
}

static bool net6(const struct sb_policy *p, int op, const char *a, int port)
{
	struct sockaddr_in6 s = sin6(a, port);

	return sb_policy_net_allowed(p, op, (struct sockaddr *)&s, sizeof(s));
}

/* The line of sb_default_policy that starts with @prefix (1-based), or 0. */
static int default_line_of(const char *prefix)
{
	const char *s = sb_default_policy;
	int line = 1;

	for (; *s; line++) {
		if (!strncmp(s, prefix, strlen(prefix)))
			return line;
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return 0;
}

/* ---- names -------------------------------------------------------------- */

TEST(syscall_names)
{
	int nr, n = 0;

	EXPECT_EQ(sb_syscall_nr("openat"), __NR_openat);
	EXPECT_EQ(sb_syscall_nr("execve"), __NR_execve);
	EXPECT_EQ(sb_syscall_nr("read"), __NR_read);
	EXPECT_EQ(sb_syscall_nr("read"), 0);
	EXPECT_EQ(sb_syscall_nr("execve"), 59);
	EXPECT_EQ(sb_syscall_nr("exit_group"), __NR_exit_group);
	EXPECT_EQ(sb_syscall_nr("clone3"), __NR_clone3);
	EXPECT_EQ(sb_syscall_nr("rt_sigreturn"), __NR_rt_sigreturn);
	EXPECT_STREQ(sb_syscall_name(__NR_openat), "openat");
	EXPECT_STREQ(sb_syscall_name(__NR_write), "write");
	EXPECT_EQ(sb_syscall_nr("opnat"), -1);
	EXPECT_EQ(sb_syscall_nr("OPENAT"), -1);
	EXPECT_EQ(sb_syscall_nr(""), -1);
	EXPECT_EQ(sb_syscall_nr(NULL), -1);
	EXPECT_TRUE(sb_syscall_name(-1) == NULL);
	EXPECT_TRUE(sb_syscall_name(SB_MAX_NR) == NULL);
	EXPECT_TRUE(sb_syscall_name(100000) == NULL);
	/* Every number has one name that gives it back; all below SB_MAX_NR. */
	for (nr = 0; nr < 4096; nr++) {
		const char *name = sb_syscall_name(nr);

		if (!name)
			continue;
		n++;
		EXPECT_LT(nr, SB_MAX_NR);
		EXPECT_EQ(sb_syscall_nr(name), nr);
	}
	EXPECT_GE(n, 300);
}

/* Every system call of the header this machine has, if it has it. */
TEST(syscall_names_match_header)
{
	FILE *f = fopen("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "r");
	char line[256], name[128];
	int nr, n = 0;

	if (!f)
		SKIP("no /usr/include/x86_64-linux-gnu/asm/unistd_64.h here");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "#define __NR_%127s %d", name, &nr) != 2)
			continue;
		n++;
		if (sb_syscall_nr(name) != nr)
			HARNESS_FAIL(0, "%s: %d in the header, %d in the table", name, nr,
				     sb_syscall_nr(name));
	}
	fclose(f);
	EXPECT_GE(n, 300);
}

TEST(errno_names)
{
	int e;

	EXPECT_EQ(sb_errno_nr("EPERM"), EPERM);
	EXPECT_EQ(sb_errno_nr("ENOSYS"), ENOSYS);
	EXPECT_EQ(sb_errno_nr("EACCES"), EACCES);
	EXPECT_EQ(sb_errno_nr("EHWPOISON"), EHWPOISON);
	EXPECT_EQ(sb_errno_nr("EWOULDBLOCK"), EAGAIN);
	EXPECT_EQ(sb_errno_nr("EDEADLOCK"), EDEADLK);
	EXPECT_EQ(sb_errno_nr("ENOTSUP"), EOPNOTSUPP);
	EXPECT_EQ(sb_errno_nr("eperm"), -1);
	EXPECT_EQ(sb_errno_nr("EFOO"), -1);
	EXPECT_EQ(sb_errno_nr(NULL), -1);
	EXPECT_STREQ(sb_errno_name(EPERM), "EPERM");
	EXPECT_STREQ(sb_errno_name(ENOSYS), "ENOSYS");
	/* The usual name, not the alias. */
	EXPECT_STREQ(sb_errno_name(EAGAIN), "EAGAIN");
	EXPECT_STREQ(sb_errno_name(EDEADLK), "EDEADLK");
	EXPECT_STREQ(sb_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	EXPECT_TRUE(sb_errno_name(0) == NULL);
	EXPECT_TRUE(sb_errno_name(-1) == NULL);
	EXPECT_TRUE(sb_errno_name(4095) == NULL);
	/* 1 to 133 (EHWPOISON) all have names that give them back. */
	for (e = 1; e <= EHWPOISON; e++) {
		if (e == 41 || e == 58)		/* unused numbers */
			continue;
		if (!sb_errno_name(e) || sb_errno_nr(sb_errno_name(e)) != e)
			HARNESS_FAIL(0, "errno %d: name %s", e,
				     sb_errno_name(e) ? sb_errno_name(e) : "(none)");
	}
}

/* ---- normalisation ------------------------------------------------------ */

static void norm_is(const char *cwd, const char *path, const char *want, int line)
{
	char out[PATH_MAX];
	int r = sb_path_normalize(cwd, path, out, sizeof(out));

	if (r || strcmp(out, want))
		HARNESS_FAIL(0, "line %d: normalize(%s, %s): %d \"%s\", expected \"%s\"", line,
			     cwd ? cwd : "NULL", path, r, r ? "" : out, want);
}
#define NORM(cwd, path, want) norm_is(cwd, path, want, __LINE__)

TEST(normalize)
{
	NORM("/", "/", "/");
	NORM("/a/b", "c", "/a/b/c");
	NORM("/a/b", ".", "/a/b");
	NORM("/a/b", "./", "/a/b");
	NORM("/a/b", "..", "/a");
	NORM("/a/b", "../../..", "/");
	NORM("/a/b", "a/../../../..", "/");
	NORM("/x", "/..", "/");
	NORM("/x", "/../..//../a", "/a");
	NORM("/x", "//a//b//", "/a/b");
	NORM("/x", "/a/./b/.", "/a/b");
	NORM("/x", "/a/b/../c", "/a/c");
	NORM("/x", "/a/b/c/../../d/./e/..", "/a/d");
	NORM("/x/", "y/", "/x/y");
	NORM("//x//", "y", "/x/y");
	NORM("/a/../b", "c", "/b/c");
	NORM("/x", "...", "/x/...");
	NORM("/x", ".hidden/..x", "/x/.hidden/..x");
	NORM(NULL, "/abs", "/abs");
	NORM("relative", "/abs", "/abs");
}

TEST(normalize_errors_and_lengths)
{
	char out[PATH_MAX + 8], *longp;

	EXPECT_EQ(sb_path_normalize("/x", "", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(sb_path_normalize("/x", NULL, out, sizeof(out)), -EINVAL);
	EXPECT_EQ(sb_path_normalize("rel", "a", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(sb_path_normalize("", "a", out, sizeof(out)), -EINVAL);
	EXPECT_EQ(sb_path_normalize(NULL, "a", out, sizeof(out)), -EINVAL);
	/* "/abc" needs 5 bytes, "/" 2. */
	EXPECT_EQ(sb_path_normalize("/", "/abc", out, 4), -ENAMETOOLONG);
	EXPECT_EQ(sb_path_normalize("/", "/abc", out, 5), 0);
	EXPECT_STREQ(out, "/abc");
	EXPECT_EQ(sb_path_normalize("/", "/", out, 1), -ENAMETOOLONG);
	EXPECT_EQ(sb_path_normalize("/", "/", out, 0), -ENAMETOOLONG);
	EXPECT_EQ(sb_path_normalize("/", "/.", out, 2), 0);
	EXPECT_STREQ(out, "/");
	/* Long on the way, short in the end. */
	longp = malloc(3 * PATH_MAX);
	ASSERT_TRUE(longp != NULL);
	memset(longp, 'a', 3 * PATH_MAX);
	longp[0] = '/';
	strcpy(longp + 2 * PATH_MAX, "/../b");
	EXPECT_EQ(sb_path_normalize("/", longp, out, 3), 0);
	EXPECT_STREQ(out, "/b");
	/* PATH_MAX - 1 bytes fit in PATH_MAX, PATH_MAX do not. */
	longp[PATH_MAX - 1] = '\0';
	EXPECT_EQ(sb_path_normalize("/", longp, out, PATH_MAX), 0);
	EXPECT_EQ(strlen(out), PATH_MAX - 1);
	longp[PATH_MAX - 1] = 'a';
	longp[PATH_MAX] = '\0';
	EXPECT_EQ(sb_path_normalize("/", longp, out, PATH_MAX), -ENAMETOOLONG);
	free(longp);
}

/* ---- paths -------------------------------------------------------------- */

TEST(longest_prefix_and_hide)
{
	static const char t[] = "read /a/b\nwrite /a/b/c\nhide /a/b/c/secret\n";
	struct sb_policy p;

	ASSERT_EQ(parse(&p, t), 0);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/x"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/bc"), SB_ACC_NONE);	/* component boundary */
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/cd"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/a"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/c"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/c/d/e"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/c/secret"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/c/secret/x"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/c/secrets"), SB_ACC_WRITE);
	/* Only absolute, normalised paths are looked up; others get nothing. */
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/../../etc"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/."), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/b/"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/a//b"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "a/b"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, ""), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, NULL), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(NULL, "/a/b"), SB_ACC_NONE);
	/* Stored sorted, one rule per path, with its line. */
	ASSERT_EQ(p.npaths, 3);
	EXPECT_STREQ(p.paths[0].path, "/a/b");
	EXPECT_EQ(p.paths[0].line, 1);
	EXPECT_EQ(p.paths[2].access, SB_ACC_NONE);
	EXPECT_EQ(p.paths[2].line, 3);
	sb_policy_free(&p);
}

TEST(root_rules)
{
	EXPECT_EQ(access_of("read /\nhide /etc\n", "/usr/bin/ls"), SB_ACC_READ);
	EXPECT_EQ(access_of("read /\nhide /etc\n", "/"), SB_ACC_READ);
	EXPECT_EQ(access_of("read /\nhide /etc\n", "/etc/shadow"), SB_ACC_NONE);
	EXPECT_EQ(access_of("read /\nhide /etc\n", "/etcx"), SB_ACC_READ);
	EXPECT_EQ(access_of("hide /\nwrite /tmp\n", "/tmp/x"), SB_ACC_WRITE);
	EXPECT_EQ(access_of("hide /\nwrite /tmp\n", "/usr"), SB_ACC_NONE);
	EXPECT_EQ(access_of("write //\n", "/x"), SB_ACC_WRITE);
	EXPECT_EQ(access_of("write /..\n", "/x"), SB_ACC_WRITE);
	EXPECT_EQ(access_of("", "/x"), SB_ACC_NONE);
}

TEST(later_rule_for_a_path_replaces)
{
	struct sb_policy p;

	ASSERT_EQ(parse(&p, "read /a\nwrite /a/\nread /b\n"), 0);
	EXPECT_EQ(sb_policy_path_access(&p, "/a/x"), SB_ACC_WRITE);
	ASSERT_EQ(p.npaths, 2);
	EXPECT_STREQ(p.paths[0].path, "/a");
	EXPECT_EQ(p.paths[0].line, 2);
	sb_policy_free(&p);
	EXPECT_EQ(access_of("write /a\nhide /a/./\n", "/a"), SB_ACC_NONE);
	EXPECT_EQ(access_of("hide /a\nread /x/../a\n", "/a/y"), SB_ACC_READ);
	/* The longest rule wins whatever the order. */
	EXPECT_EQ(access_of("read /a/b\nwrite /a\n", "/a/b/c"), SB_ACC_READ);
	EXPECT_EQ(access_of("write /a\nread /a/b\n", "/a/b/c"), SB_ACC_READ);
}

TEST(relative_and_several_paths)
{
	struct sb_policy p;

	ASSERT_EQ(parse(&p, "write out\nread ../lib . /x//y/ ./src/../doc\n"), 0);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/out/a.o"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/home/u/lib/libc.so"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/main.c"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/x/y"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/doc"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/home/u"), SB_ACC_NONE);
	EXPECT_EQ(p.npaths, 5);
	sb_policy_free(&p);
	/* A working directory with "." / ".." / "//" in it is normalised too. */
	ASSERT_EQ(parse_cwd(&p, "write x\n", "//home/./u/../v/"), 0);
	ASSERT_EQ(p.npaths, 1);
	EXPECT_STREQ(p.paths[0].path, "/home/v/x");
	sb_policy_free(&p);
	/* No working directory is needed for absolute paths. */
	EXPECT_EQ(parse_cwd(&p, "read /a\n", NULL), 0);
	sb_policy_free(&p);
}

TEST(comments_blanks_crlf)
{
	static const char t[] = "  # a comment\n\tread\t/a  # trailing\r\n\r\n\nwrite /b#x\n"
				"   \t  \nread /c\r";
	struct sb_policy p;

	ASSERT_EQ(parse(&p, t), 0);
	ASSERT_EQ(p.npaths, 3);
	EXPECT_STREQ(p.paths[0].path, "/a");
	EXPECT_EQ(p.paths[0].line, 2);
	EXPECT_STREQ(p.paths[1].path, "/b");
	EXPECT_EQ(p.paths[1].access, SB_ACC_WRITE);
	EXPECT_EQ(p.paths[1].line, 5);
	EXPECT_STREQ(p.paths[2].path, "/c");
	EXPECT_EQ(p.paths[2].line, 7);
	sb_policy_free(&p);
	/* A lone CR inside a line is part of a word. */
	REFUSED("read /a\nre\rad /b\n", "p.policy:2: ", "unknown rule 're\\x0dad'");
}

TEST(text_not_nul_terminated)
{
	static const char t[] = "read /a\nread /bcdef";
	char *buf = malloc(15);
	struct sb_policy p;

	/* Exactly "read /a\nread /b": ASan reports any read past it. */
	ASSERT_TRUE(buf != NULL);
	memcpy(buf, t, 15);
	ASSERT_EQ(sb_policy_parse(&p, "p", buf, 15, CWD, err, sizeof(err)), 0);
	ASSERT_EQ(p.npaths, 2);
	EXPECT_STREQ(p.paths[1].path, "/b");
	sb_policy_free(&p);
	/* Cut inside the rule name. */
	ASSERT_EQ(sb_policy_parse(&p, "p", buf, 10, CWD, err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "p:2: unknown rule 're'");
	free(buf);
	/* Nothing at all. */
	EXPECT_EQ(sb_policy_parse(&p, "p", NULL, 0, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(p.npaths, 0);
	EXPECT_EQ(p.max_procs, 64);
	sb_policy_free(&p);
}

/* ---- refusals ----------------------------------------------------------- */

TEST(errors_rules_and_paths)
{
	REFUSED("read /a\nwirte /b\n", "p.policy:2: ", "unknown rule 'wirte'");
	REFUSED("Read /a\n", "p.policy:1: ", "unknown rule 'Read'");
	REFUSED("wirte /a\nprocs 0\n", "p.policy:1: ", "unknown rule 'wirte'");
	REFUSED("\n\nread\n", "p.policy:3: ", "read: missing PATH");
	REFUSED("write   # /a\n", "p.policy:1: ", "write: missing PATH");
	REFUSED("hide\t\t\n", "p.policy:1: ", "hide: missing PATH");
	REFUSED("x\x01y\n", "p.policy:1: ", "unknown rule 'x\\x01y'");
	REFUSED("r\xc3\xa9\n", "p.policy:1: ", "unknown rule 'r\\xc3\\xa9'");
	REFUSED("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"p.policy:1: ",
		"unknown rule 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
	/* Relative paths need an absolute working directory. */
	refused("read /a\nread x\n", "rel", "p.policy:2: ",
		"read: relative path 'x', but the working directory is not absolute", __LINE__);
	refused("write .\n", NULL, "p.policy:1: ",
		"write: relative path '.', but the working directory is not absolute", __LINE__);
}

TEST(errors_nul_and_long_lines)
{
	static const char nul[] = "read /a\nread /b\0c\n";
	static const char nul_comment[] = "read /a # \0\n";
	struct sb_policy p;
	char *t;
	size_t n;

	ASSERT_EQ(sb_policy_parse(&p, "p.policy", nul, sizeof(nul) - 1, CWD, err, sizeof(err)),
		  -EINVAL);
	EXPECT_STREQ(err, "p.policy:2: NUL byte");
	EXPECT_TRUE(zeroed(&p));
	ASSERT_EQ(sb_policy_parse(&p, "p.policy", nul_comment, sizeof(nul_comment) - 1, CWD, err,
				  sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "p.policy:1: NUL byte");
	/* A 4096-byte line is fine (also with CRLF), 4097 is not. */
	t = malloc(3 * 4200);
	ASSERT_TRUE(t != NULL);
	n = (size_t)sprintf(t, "read /a\n#");
	memset(t + n, 'x', 4095);
	n += 4095;
	t[n++] = '\n';
	ASSERT_EQ(sb_policy_parse(&p, "p.policy", t, n, CWD, err, sizeof(err)), 0);
	sb_policy_free(&p);
	memcpy(t + n - 1, "\r\n", 2);
	n++;
	ASSERT_EQ(sb_policy_parse(&p, "p.policy", t, n, CWD, err, sizeof(err)), 0);
	sb_policy_free(&p);
	t[n - 2] = 'x';
	ASSERT_EQ(sb_policy_parse(&p, "p.policy", t, n, CWD, err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "p.policy:2: line longer than 4096 bytes");
	/* Also without a final newline. */
	ASSERT_EQ(sb_policy_parse(&p, "p.policy", t, n - 1, CWD, err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "p.policy:2: line longer than 4096 bytes");
	free(t);
}

TEST(errors_path_too_long)
{
	char *cwd = malloc(PATH_MAX), text[256];

	/* The working directory and the path together are too long. */
	ASSERT_TRUE(cwd != NULL);
	memset(cwd, 'c', PATH_MAX - 100);
	cwd[0] = '/';
	cwd[PATH_MAX - 100] = '\0';
	memset(text, 0, sizeof(text));
	memcpy(text, "read /ok\nwrite ", 15);
	memset(text + 15, 'p', 100);
	text[115] = '\n';
	refused(text, cwd, "p.policy:2: ", "write: path 'pppppppp", __LINE__);
	refused(text, cwd, "p.policy:2: ", "is longer than PATH_MAX (4096 bytes) once normalised",
		__LINE__);
	/* 98 bytes more fit: "/ccc.../" + 98 = 4095 bytes. */
	text[15 + 98] = '\n';
	text[15 + 99] = '\0';
	{
		struct sb_policy p;

		EXPECT_EQ(parse_cwd(&p, text, cwd), 0);
		ASSERT_EQ(p.npaths, 2);
		EXPECT_EQ(strlen(p.paths[0].path), PATH_MAX - 1);	/* "/c..." < "/ok" */
		sb_policy_free(&p);
	}
	free(cwd);
}

TEST(errors_procs)
{
	REFUSED("procs\n", "p.policy:1: ", "procs: missing N");
	REFUSED("read /a\nprocs 0\n", "p.policy:2: ", "procs: '0' is not a number from 1 to 4096");
	REFUSED("procs 4097\n", "p.policy:1: ", "procs: '4097' is not a number from 1 to 4096");
	REFUSED("procs -1\n", "p.policy:1: ", "procs: '-1' is not");
	REFUSED("procs +5\n", "p.policy:1: ", "procs: '+5' is not");
	REFUSED("procs 5x\n", "p.policy:1: ", "procs: '5x' is not");
	REFUSED("procs 0x10\n", "p.policy:1: ", "procs: '0x10' is not");
	REFUSED("procs 99999999999999999999999999\n", "p.policy:1: ",
		"procs: '99999999999999999999999999' is not");
	REFUSED("procs 18446744073709551617\n", "p.policy:1: ", "is not a number");
	REFUSED("procs 5 6\n", "p.policy:1: ", "procs: unexpected '6'");
}

TEST(errors_net)
{
	REFUSED("net\n", "p.policy:1: ", "net: missing 'none', 'connect ADDR:PORT' or 'bind ADDR:PORT'");
	REFUSED("net maybe\n", "p.policy:1: ", "net: unknown operation 'maybe'");
	REFUSED("net none x\n", "p.policy:1: ", "net none: unexpected 'x'");
	REFUSED("net connect\n", "p.policy:1: ", "net connect: missing ADDR:PORT");
	REFUSED("net bind # 1.2.3.4:80\n", "p.policy:1: ", "net bind: missing ADDR:PORT");
	REFUSED("net connect 1.2.3.4\n", "p.policy:1: ", "net connect: '1.2.3.4': missing ':PORT'");
	REFUSED("net connect *\n", "p.policy:1: ", "net connect: '*': missing ':PORT'");
	REFUSED("net connect 1.2.3.4:0\n", "p.policy:1: ",
		"net connect: port '0' is not a number from 1 to 65535 or '*'");
	REFUSED("net connect 1.2.3.4:65536\n", "p.policy:1: ", "port '65536' is not");
	REFUSED("net connect 1.2.3.4:-1\n", "p.policy:1: ", "port '-1' is not");
	REFUSED("net connect 1.2.3.4:80x\n", "p.policy:1: ", "port '80x' is not");
	REFUSED("net connect 1.2.3.4:\n", "p.policy:1: ", "port '' is not");
	REFUSED("net bind 1.2.3:80\n", "p.policy:1: ",
		"net bind: '1.2.3' is not an IPv4 address, [IPv6 address] or '*'");
	REFUSED("net connect 256.1.1.1:80\n", "p.policy:1: ", "'256.1.1.1' is not an IPv4 address");
	REFUSED("net connect example.com:80\n", "p.policy:1: ", "'example.com' is not an IPv4");
	REFUSED("net connect :80\n", "p.policy:1: ", "'' is not an IPv4 address");
	REFUSED("net connect ::1:80\n", "p.policy:1: ",
		"net connect: '::1:80': an IPv6 address goes in brackets ([ADDR]:PORT)");
	REFUSED("net connect [::1]\n", "p.policy:1: ", "'[::1]': missing ':PORT' after the address");
	REFUSED("net connect [::1]80\n", "p.policy:1: ", "missing ':PORT' after the address");
	REFUSED("net connect [::1:80\n", "p.policy:1: ", "'[::1:80': missing ']' after the IPv6 address");
	REFUSED("net connect [zz]:80\n", "p.policy:1: ", "net connect: 'zz' is not an IPv6 address");
	REFUSED("net connect [1.2.3.4]:80\n", "p.policy:1: ", "'1.2.3.4' is not an IPv6 address");
	REFUSED("net connect [*]:80\n", "p.policy:1: ", "'*' is not an IPv6 address");
	REFUSED("net connect [fe80::1%eth0]:80\n", "p.policy:1: ", "is not an IPv6 address");
	REFUSED("net connect 1.2.3.4:80 5.6.7.8:90\n", "p.policy:1: ",
		"net connect: unexpected '5.6.7.8:90'");
}

TEST(errors_syscall)
{
	REFUSED("syscall\n", "p.policy:1: ", "syscall: missing NAME");
	REFUSED("syscall opnat allow\n", "p.policy:1: ", "syscall: unknown system call 'opnat'");
	REFUSED("syscall 512 allow\n", "p.policy:1: ",
		"syscall: '512' is not a system call number from 0 to 511");
	REFUSED("syscall 1x allow\n", "p.policy:1: ", "syscall: '1x' is not a system call number");
	REFUSED("syscall openat\n", "p.policy:1: ",
		"syscall openat: missing action (allow, deny or kill)");
	REFUSED("syscall openat permit\n", "p.policy:1: ",
		"syscall openat: unknown action 'permit' (allow, deny or kill)");
	REFUSED("syscall openat allow now\n", "p.policy:1: ",
		"syscall openat allow: unexpected 'now'");
	REFUSED("syscall openat kill 9\n", "p.policy:1: ", "syscall openat kill: unexpected '9'");
	REFUSED("syscall openat deny EFOO\n", "p.policy:1: ",
		"syscall openat deny: unknown errno name 'EFOO'");
	REFUSED("syscall openat deny eperm\n", "p.policy:1: ", "unknown errno name 'eperm'");
	REFUSED("syscall openat deny 0\n", "p.policy:1: ",
		"syscall openat deny: '0' is not an errno from 1 to 4095");
	REFUSED("syscall openat deny 4096\n", "p.policy:1: ", "'4096' is not an errno");
	REFUSED("syscall openat deny 1e3\n", "p.policy:1: ", "'1e3' is not an errno");
	REFUSED("syscall openat deny EPERM x\n", "p.policy:1: ",
		"syscall openat deny: unexpected 'x'");
}

TEST(errors_default)
{
	char where[64];
	int line = default_line_of("write .");

	REFUSED("default\nread /a\n default # again\n", "p.policy:3: ",
		"default: given twice (first on line 1)");
	REFUSED("default now\n", "p.policy:1: ", "default: unexpected 'now'");
	/* Only an unusable working directory can make the default fail:
	 * reported at the "default" line, with the default's own line. */
	ASSERT_GT(line, 0);
	snprintf(where, sizeof(where), "p.policy:2: default, line %d: ", line);
	refused("read /a\ndefault\n", "not/absolute", where,
		"write: relative path '.', but the working directory is not absolute", __LINE__);
	snprintf(where, sizeof(where), "default:%d: ", line);
	{
		struct sb_policy p;

		EXPECT_EQ(sb_policy_default(&p, "rel", err, sizeof(err)), -EINVAL);
		EXPECT_EQ(strncmp(err, where, strlen(where)), 0);
		EXPECT_TRUE(zeroed(&p));
	}
}

TEST(error_buffer_sizes)
{
	struct sb_policy p;
	char small[8];

	memset(small, 'x', sizeof(small));
	EXPECT_EQ(sb_policy_parse(&p, "p.policy", "bad\n", 4, CWD, small, sizeof(small)), -EINVAL);
	EXPECT_STREQ(small, "p.polic");
	EXPECT_EQ(sb_policy_parse(&p, "p.policy", "bad\n", 4, CWD, small, 1), -EINVAL);
	EXPECT_STREQ(small, "");
	EXPECT_EQ(sb_policy_parse(&p, "p.policy", "bad\n", 4, CWD, NULL, 0), -EINVAL);
	EXPECT_EQ(sb_policy_parse(&p, NULL, "bad\n", 4, CWD, err, sizeof(err)), -EINVAL);
	EXPECT_STREQ(err, "policy:1: unknown rule 'bad'");
	EXPECT_EQ(sb_policy_parse(NULL, "p", "read /\n", 7, CWD, err, sizeof(err)), -EINVAL);
	EXPECT_EQ(sb_policy_parse(&p, "p", NULL, 5, CWD, err, sizeof(err)), -EINVAL);
	/* Success clears the message. */
	EXPECT_EQ(sb_policy_parse(&p, "p", "read /\n", 7, CWD, err, sizeof(err)), 0);
	EXPECT_STREQ(err, "");
	sb_policy_free(&p);
}

/* ---- network ------------------------------------------------------------ */

TEST(net_rules)
{
	static const char t[] = "net connect 1.2.3.4:80\n"
				"net bind *:8080\n"
				"net connect [2001:db8::1]:443\n"
				"net connect 10.0.0.1:*\n"
				"net connect [::ffff:5.6.7.8]:53\n"
				"net connect [::9.9.9.9]:53\n";
	static const uint8_t a5678[16] = { 5, 6, 7, 8 };
	struct sb_policy p;

	ASSERT_EQ(parse(&p, t), 0);
	ASSERT_EQ(p.nnets, 6);
	EXPECT_EQ(p.nets[0].op, SB_NET_CONNECT);
	EXPECT_EQ(p.nets[0].family, AF_INET);
	EXPECT_EQ(p.nets[0].port, 80);
	EXPECT_EQ(p.nets[0].line, 1);
	EXPECT_EQ(memcmp(p.nets[0].addr, "\x01\x02\x03\x04", 4), 0);
	EXPECT_EQ(p.nets[1].op, SB_NET_BIND);
	EXPECT_EQ(p.nets[1].family, 0);
	EXPECT_EQ(p.nets[1].port, 8080);
	EXPECT_EQ(p.nets[2].family, AF_INET6);
	EXPECT_EQ(p.nets[3].port, -1);
	/* A v4-mapped rule is the IPv4 rule it means. */
	EXPECT_EQ(p.nets[4].family, AF_INET);
	EXPECT_EQ(memcmp(p.nets[4].addr, a5678, 16), 0);
	EXPECT_EQ(p.nets[5].family, AF_INET6);	/* v4-compatible: not v4 */

	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "1.2.3.4", 80));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "1.2.3.4", 81));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "1.2.3.5", 80));
	EXPECT_FALSE(net4(&p, SB_NET_BIND, "1.2.3.4", 80));
	/* Through a dual-stack IPv6 socket: the same IPv4 rules. */
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "::ffff:1.2.3.4", 80));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "::ffff:1.2.3.4", 81));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "::ffff:1.2.3.5", 80));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "::1.2.3.4", 80));
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "5.6.7.8", 53));
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "::ffff:5.6.7.8", 53));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "9.9.9.9", 53));
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "::9.9.9.9", 53));
	/* "*" address: both families. */
	EXPECT_TRUE(net4(&p, SB_NET_BIND, "0.0.0.0", 8080));
	EXPECT_TRUE(net4(&p, SB_NET_BIND, "127.0.0.1", 8080));
	EXPECT_TRUE(net6(&p, SB_NET_BIND, "::", 8080));
	EXPECT_TRUE(net6(&p, SB_NET_BIND, "::ffff:127.0.0.1", 8080));
	EXPECT_FALSE(net4(&p, SB_NET_BIND, "127.0.0.1", 8081));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "127.0.0.1", 8080));
	/* IPv6. */
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "2001:db8::1", 443));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "2001:db8::2", 443));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "2001:db8::1", 80));
	/* "*" port, also port 0. */
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "10.0.0.1", 1));
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "10.0.0.1", 65535));
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "10.0.0.1", 0));
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "::ffff:10.0.0.1", 22));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "10.0.0.2", 22));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "1.2.3.4", 0));
	sb_policy_free(&p);
}

TEST(net_bad_sockaddrs)
{
	struct sb_policy p;
	struct sockaddr_in s4 = sin4("1.2.3.4", 80);
	struct sockaddr_in6 s6 = sin6("::ffff:1.2.3.4", 80);
	struct sockaddr_un su;
	struct sockaddr_storage ss;
	char odd[sizeof(struct sockaddr_in6) + 1];

	ASSERT_EQ(parse(&p, "net connect *:*\n"), 0);
	EXPECT_TRUE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&s4, sizeof(s4)));
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&s4,
					   sizeof(s4) - 1));
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&s4, 0));
	EXPECT_TRUE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&s6, sizeof(s6)));
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&s6, 24));
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_BIND, (struct sockaddr *)&s4, sizeof(s4)));
	EXPECT_FALSE(sb_policy_net_allowed(&p, 0, (struct sockaddr *)&s4, sizeof(s4)));
	EXPECT_FALSE(sb_policy_net_allowed(&p, 3, (struct sockaddr *)&s4, sizeof(s4)));
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, NULL, sizeof(s4)));
	EXPECT_FALSE(sb_policy_net_allowed(NULL, SB_NET_CONNECT, (struct sockaddr *)&s4,
					   sizeof(s4)));
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	strcpy(su.sun_path, "/tmp/s");
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&su, sizeof(su)));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	EXPECT_FALSE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)&ss, sizeof(ss)));
	/* Unaligned is fine (UBSan watches). */
	memcpy(odd + 1, &s4, sizeof(s4));
	EXPECT_TRUE(sb_policy_net_allowed(&p, SB_NET_CONNECT, (struct sockaddr *)(odd + 1),
					  sizeof(s4)));
	sb_policy_free(&p);
}

TEST(net_none_clears)
{
	struct sb_policy p;

	ASSERT_EQ(parse(&p, "net connect 1.2.3.4:80\nnet none\nnet connect 5.6.7.8:80\n"), 0);
	EXPECT_EQ(p.nnets, 1);
	EXPECT_EQ(p.nets[0].line, 3);
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "1.2.3.4", 80));
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "5.6.7.8", 80));
	sb_policy_free(&p);
	/* No rule: no network. */
	ASSERT_EQ(parse(&p, "read /\n"), 0);
	EXPECT_EQ(p.nnets, 0);
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "127.0.0.1", 80));
	EXPECT_FALSE(net6(&p, SB_NET_BIND, "::", 80));
	sb_policy_free(&p);
	/* Many rules (the array grows). */
	{
		char t[64 * 40];
		size_t n = 0;
		int i;

		for (i = 1; i <= 40; i++)
			n += (size_t)sprintf(t + n, "net connect 10.0.0.%d:%d\n", i, 1000 + i);
		ASSERT_EQ(parse(&p, t), 0);
		EXPECT_EQ(p.nnets, 40);
		EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "10.0.0.33", 1033));
		EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "10.0.0.33", 1034));
		sb_policy_free(&p);
	}
}

/* ---- procs and system calls --------------------------------------------- */

TEST(procs)
{
	struct sb_policy p;

	ASSERT_EQ(parse(&p, "read /\n"), 0);
	EXPECT_EQ(p.max_procs, 64);
	sb_policy_free(&p);
	ASSERT_EQ(parse(&p, "procs 1\n"), 0);
	EXPECT_EQ(p.max_procs, 1);
	sb_policy_free(&p);
	ASSERT_EQ(parse(&p, "procs 4096\n"), 0);
	EXPECT_EQ(p.max_procs, 4096);
	sb_policy_free(&p);
	ASSERT_EQ(parse(&p, "procs 10\nprocs 020\n"), 0);
	EXPECT_EQ(p.max_procs, 20);
	sb_policy_free(&p);
}

TEST(syscall_rules)
{
	static const char t[] = "syscall openat deny\n"
				"syscall execve kill\n"
				"syscall 0 deny EACCES\n"
				"syscall write deny 13\n"
				"syscall openat allow\n"
				"syscall ptrace deny ENOSYS\n"
				"syscall 511 kill\n"
				"syscall mount deny EWOULDBLOCK\n"
				"syscall kexec_load deny 4095\n"
				"syscall clone3 deny EPERM\n"
				"syscall clone3 deny ENOSYS\n";
	struct sb_policy p;
	int nr, rules = 0;

	ASSERT_EQ(parse(&p, t), 0);
	EXPECT_EQ(p.sys_action[__NR_openat], SB_ALLOW);
	EXPECT_EQ(p.sys_errno[__NR_openat], 0);
	EXPECT_EQ(p.sys_line[__NR_openat], 5);
	EXPECT_EQ(p.sys_action[__NR_execve], SB_KILL);
	EXPECT_EQ(p.sys_line[__NR_execve], 2);
	EXPECT_EQ(p.sys_action[__NR_read], SB_DENY);
	EXPECT_EQ(p.sys_errno[__NR_read], EACCES);
	EXPECT_EQ(p.sys_action[__NR_write], SB_DENY);
	EXPECT_EQ(p.sys_errno[__NR_write], 13);
	EXPECT_EQ(p.sys_errno[__NR_ptrace], ENOSYS);
	EXPECT_EQ(p.sys_action[511], SB_KILL);
	EXPECT_EQ(p.sys_line[511], 7);
	EXPECT_EQ(p.sys_errno[__NR_mount], EAGAIN);
	EXPECT_EQ(p.sys_errno[__NR_kexec_load], 4095);
	EXPECT_EQ(p.sys_errno[__NR_clone3], ENOSYS);
	EXPECT_EQ(p.sys_line[__NR_clone3], 11);
	EXPECT_EQ(p.sys_action[__NR_close], SB_ALLOW);
	EXPECT_EQ(p.sys_line[__NR_close], 0);
	for (nr = 0; nr < SB_MAX_NR; nr++)
		rules += p.sys_line[nr] != 0;
	EXPECT_EQ(rules, 9);
	sb_policy_free(&p);
	/* deny without an errno: EPERM. */
	ASSERT_EQ(parse(&p, "syscall ptrace deny # no errno\n"), 0);
	EXPECT_EQ(p.sys_action[__NR_ptrace], SB_DENY);
	EXPECT_EQ(p.sys_errno[__NR_ptrace], EPERM);
	sb_policy_free(&p);
}

/* ---- the default policy ------------------------------------------------- */

TEST(default_policy_file_is_identical)
{
	size_t want = strlen(sb_default_policy), n = 0;
	char *buf = malloc(want + 2);
	FILE *f = fopen(DEFAULT_FILE, "rb");

	ASSERT_TRUE(buf != NULL);
	if (!f)
		HARNESS_FAIL(1, "cannot open %s (run from the repository root)", DEFAULT_FILE);
	n = fread(buf, 1, want + 2, f);
	fclose(f);
	EXPECT_EQ(n, want);
	if (n == want && memcmp(buf, sb_default_policy, want))
		HARNESS_FAIL(0, "%s differs from sb_default_policy", DEFAULT_FILE);
	free(buf);
}

TEST(default_policy)
{
	struct sb_policy p;
	size_t i;
	int nr;

	ASSERT_EQ(sb_policy_default(&p, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(sb_policy_path_access(&p, "/usr/bin/x"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/lib/x86_64-linux-gnu/libc.so.6"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/lib64/ld-linux-x86-64.so.2"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/etc/ld.so.cache"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/etc/ld.so.conf.d/libc.conf"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/etc/passwd"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/x"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, CWD), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/dev/null"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/dev/urandom"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/dev/zero"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/etc/shadow"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/etc"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/root"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/root/.ssh/id_rsa"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/home/u"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/home/u/proj2"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/dev/tty"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/dev/sda"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/proc/self/mem"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/usr"), SB_ACC_READ);
	EXPECT_EQ(p.max_procs, 64);
	EXPECT_EQ(p.nnets, 0);
	for (nr = 0; nr < SB_MAX_NR; nr++)
		if (p.sys_action[nr] != SB_ALLOW || p.sys_line[nr])
			HARNESS_FAIL(0, "system call %d has a rule", nr);
	for (i = 0; i < p.npaths; i++)
		if (p.paths[i].line != 0)
			HARNESS_FAIL(0, "%s: line %d, not 0", p.paths[i].path, p.paths[i].line);
	EXPECT_GE(p.npaths, 20);
	sb_policy_free(&p);
}

TEST(default_include_and_override)
{
	static const char t[] = "default\n"
				"hide /usr/bin/su\n"
				"write /tmp\n"
				"read .\n"
				"procs 8\n"
				"net connect 1.2.3.4:443\n";
	struct sb_policy p, d;
	size_t i, j;

	ASSERT_EQ(parse(&p, t), 0);
	EXPECT_EQ(sb_policy_path_access(&p, "/usr/bin/su"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/usr/bin/ls"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/tmp/x"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/x"), SB_ACC_READ);	/* replaced */
	EXPECT_EQ(sb_policy_path_access(&p, "/etc/shadow"), SB_ACC_NONE);
	EXPECT_EQ(p.max_procs, 8);
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "1.2.3.4", 443));
	/* Lines: 0 for the default's rules, the file's for the others. */
	for (i = 0; i < p.npaths; i++) {
		if (!strcmp(p.paths[i].path, CWD))
			EXPECT_EQ(p.paths[i].line, 4);
		else if (!strcmp(p.paths[i].path, "/usr"))
			EXPECT_EQ(p.paths[i].line, 0);
		else if (!strcmp(p.paths[i].path, "/usr/bin/su"))
			EXPECT_EQ(p.paths[i].line, 2);
	}
	/* Same rules as sb_policy_default(), plus /usr/bin/su and /tmp. */
	ASSERT_EQ(sb_policy_default(&d, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(p.npaths, d.npaths + 2);
	for (i = j = 0; i < d.npaths; i++) {
		while (j < p.npaths && strcmp(p.paths[j].path, d.paths[i].path) < 0)
			j++;
		if (j == p.npaths || strcmp(p.paths[j].path, d.paths[i].path))
			HARNESS_FAIL(0, "%s missing after \"default\"", d.paths[i].path);
	}
	sb_policy_free(&d);
	sb_policy_free(&p);
	/* The default is included where it is: its procs and "net none" win
	 * over rules given before it. */
	ASSERT_EQ(parse(&p, "procs 8\nnet connect 1.2.3.4:443\ndefault\n"), 0);
	EXPECT_EQ(p.max_procs, 64);
	EXPECT_EQ(p.nnets, 0);
	sb_policy_free(&p);
	/* The default's rules then replace earlier ones for the same paths. */
	EXPECT_EQ(access_of("write /usr\ndefault\n", "/usr/x"), SB_ACC_READ);
	EXPECT_EQ(access_of("default\nwrite /usr\n", "/usr/x"), SB_ACC_WRITE);
	/* The default's text parsed as a file gives the same policy. */
	ASSERT_EQ(sb_policy_parse(&p, "default", sb_default_policy, strlen(sb_default_policy), CWD,
				  err, sizeof(err)), 0);
	ASSERT_EQ(sb_policy_default(&d, CWD, err, sizeof(err)), 0);
	ASSERT_EQ(p.npaths, d.npaths);
	for (i = 0; i < p.npaths; i++) {
		EXPECT_STREQ(p.paths[i].path, d.paths[i].path);
		EXPECT_EQ(p.paths[i].access, d.paths[i].access);
	}
	EXPECT_EQ(p.max_procs, d.max_procs);
	sb_policy_free(&d);
	sb_policy_free(&p);
}

/* ---- loading and freeing ------------------------------------------------ */

static char *write_tmp(const char *data, size_t len)
{
	char *path = strdup("/tmp/sb_policy_test.XXXXXX");
	int fd;

	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

TEST(load)
{
	struct sb_policy p;
	char want[PATH_MAX + 64], *path, *big;
	size_t n;

	path = write_tmp("default\nwrite out\n", 18);
	ASSERT_TRUE(path != NULL);
	EXPECT_EQ(sb_policy_load(&p, path, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/out/x"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/x"), SB_ACC_WRITE);
	sb_policy_free(&p);
	unlink(path);
	free(path);

	/* Messages name the file. */
	path = write_tmp("read /a\nwirte /b\n", 17);
	ASSERT_TRUE(path != NULL);
	EXPECT_EQ(sb_policy_load(&p, path, CWD, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown rule 'wirte'", path);
	EXPECT_STREQ(err, want);
	EXPECT_TRUE(zeroed(&p));
	unlink(path);
	free(path);

	EXPECT_EQ(sb_policy_load(&p, "/nonexistent/p.policy", CWD, err, sizeof(err)), -ENOENT);
	EXPECT_STREQ(err, "/nonexistent/p.policy: No such file or directory");
	EXPECT_EQ(sb_policy_load(&p, "/tmp", CWD, err, sizeof(err)), -EISDIR);
	EXPECT_STREQ(err, "/tmp: Is a directory");

	/* 1 MiB is fine, one byte more is not. */
	n = 1 << 20;
	big = malloc(n + 1);
	ASSERT_TRUE(big != NULL);
	memset(big, '#', n + 1);
	for (size_t i = 1000; i < n; i += 1000)
		big[i] = '\n';
	memcpy(big, "read /a\n", 8);
	path = write_tmp(big, n);
	ASSERT_TRUE(path != NULL);
	EXPECT_EQ(sb_policy_load(&p, path, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(p.npaths, 1);
	sb_policy_free(&p);
	unlink(path);
	free(path);
	path = write_tmp(big, n + 1);
	ASSERT_TRUE(path != NULL);
	EXPECT_EQ(sb_policy_load(&p, path, CWD, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	EXPECT_STREQ(err, want);
	unlink(path);
	free(path);
	free(big);
}

TEST(load_from_a_pipe)
{
	struct sb_policy p;
	int fds[2];
	char path[64];

	ASSERT_EQ(pipe(fds), 0);
	ASSERT_EQ(write(fds[1], "write /w\n", 9), 9);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	EXPECT_EQ(sb_policy_load(&p, path, CWD, err, sizeof(err)), 0);
	EXPECT_EQ(sb_policy_path_access(&p, "/w/x"), SB_ACC_WRITE);
	sb_policy_free(&p);
	close(fds[0]);
}

TEST(free_is_safe)
{
	struct sb_policy p;

	memset(&p, 0, sizeof(p));
	sb_policy_free(&p);
	sb_policy_free(&p);
	sb_policy_free(NULL);
	ASSERT_EQ(parse(&p, "read /a /b\nnet connect *:1\n"), 0);
	sb_policy_free(&p);
	EXPECT_TRUE(zeroed(&p));
	sb_policy_free(&p);
	EXPECT_TRUE(zeroed(&p));
}

TEST(many_rules)
{
	/* Thousands of rules, with repeats: one per path, sorted. */
	size_t cap = 1 << 20, n = 0, i;
	char *t = malloc(cap);
	struct sb_policy p;
	int k, last = -1;

	ASSERT_TRUE(t != NULL);
	for (k = 0; k < 20000; k++) {
		n += (size_t)snprintf(t + n, cap - n, "%s /d%d/f%d\n", k & 1 ? "write" : "read",
				      k % 5000, k % 7);
		if (k % 5000 == 1 && k % 7 == 1)
			last = k;
	}
	ASSERT_GE(last, 0);
	ASSERT_EQ(sb_policy_parse(&p, "p", t, n, CWD, err, sizeof(err)), 0);
	for (i = 1; i < p.npaths; i++)
		if (strcmp(p.paths[i - 1].path, p.paths[i].path) >= 0)
			HARNESS_FAIL(1, "paths not sorted at %zu", i);
	EXPECT_LE(p.npaths, 20000);
	EXPECT_GE(p.npaths, 5000);
	/* /d1/f1: the last rule given for it. */
	EXPECT_EQ(sb_policy_path_access(&p, "/d1/f1/x"), last & 1 ? SB_ACC_WRITE : SB_ACC_READ);
	/* /d4999/f0: only k = 19999 (19999 % 7 == 0; odd: write). */
	EXPECT_EQ(sb_policy_path_access(&p, "/d4999/f0"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, "/d4999/f2"), SB_ACC_NONE);	/* no k */
	sb_policy_free(&p);
	free(t);
}

/* The examples of apps/sandbox/POLICY.md: an indented block that starts
 * with "    # NAME", unindented; NULL if not found. */
static char *doc_example(const char *name)
{
	FILE *f = fopen("apps/sandbox/POLICY.md", "r");
	char line[512], head[128], *out;
	size_t n = 0;
	int in = 0;

	if (!f)
		return NULL;
	out = calloc(1, 8192);
	snprintf(head, sizeof(head), "    # %s\n", name);
	while (out && fgets(line, sizeof(line), f)) {
		if (!in && strcmp(line, head))
			continue;
		if (in && strncmp(line, "    ", 4))
			break;
		in = 1;
		n += (size_t)snprintf(out + n, 8192 - n, "%s", line + 4);
	}
	fclose(f);
	if (out && !in) {
		free(out);
		out = NULL;
	}
	return out;
}

TEST(policy_md_examples)
{
	char *build = doc_example("build.policy"), *client = doc_example("client.policy");
	struct sb_policy p;

	if (!build || !client)
		HARNESS_FAIL(1, "no examples in apps/sandbox/POLICY.md (run from the repository root)");
	ASSERT_EQ(parse(&p, build), 0);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/main.c"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/out"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/out/main.o"), SB_ACC_WRITE);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/outside"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/.git/config"), SB_ACC_NONE);
	EXPECT_EQ(sb_policy_path_access(&p, "/usr/bin/cc"), SB_ACC_READ);
	EXPECT_EQ(sb_policy_path_access(&p, "/tmp/cc123.s"), SB_ACC_NONE);
	EXPECT_EQ(p.max_procs, 16);
	EXPECT_EQ(p.sys_action[__NR_ptrace], SB_DENY);
	EXPECT_EQ(p.sys_errno[__NR_ptrace], EPERM);
	EXPECT_EQ(p.nnets, 0);
	sb_policy_free(&p);

	ASSERT_EQ(parse(&p, client), 0);
	EXPECT_TRUE(net4(&p, SB_NET_CONNECT, "192.0.2.10", 443));
	EXPECT_TRUE(net6(&p, SB_NET_CONNECT, "::ffff:192.0.2.10", 443));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "192.0.2.10", 80));
	EXPECT_FALSE(net4(&p, SB_NET_CONNECT, "192.0.2.11", 443));
	EXPECT_FALSE(net4(&p, SB_NET_BIND, "192.0.2.10", 443));
	EXPECT_FALSE(net6(&p, SB_NET_CONNECT, "2001:db8::10", 443));
	EXPECT_EQ(p.max_procs, 1);
	EXPECT_EQ(p.sys_action[__NR_execve], SB_KILL);
	EXPECT_EQ(p.sys_action[__NR_execveat], SB_KILL);
	EXPECT_EQ(sb_policy_path_access(&p, CWD "/x"), SB_ACC_WRITE);
	sb_policy_free(&p);
	free(build);
	free(client);
}

/* The messages quoted in POLICY.md are the parser's. */
TEST(policy_md_messages)
{
	REFUSED("read /a\n\nwirte /b\n", "p.policy:3: ", "unknown rule 'wirte'");
	REFUSED("\n\n\n\n\n\nprocs 0\n", "p.policy:7: ", "procs: '0' is not a number from 1 to 4096");
	REFUSED("net connect example.com:443\n", "p.policy:1: ",
		"net connect: 'example.com' is not an IPv4 address, [IPv6 address] or '*'");
	REFUSED("syscall openat deny EPREM\n", "p.policy:1: ",
		"syscall openat deny: unknown errno name 'EPREM'");
}

TEST_MAIN()
