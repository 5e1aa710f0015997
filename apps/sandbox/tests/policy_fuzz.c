/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target of the sandbox's policy parser (apps/sandbox/policy.c).
 *
 * Two builds of the same file:
 *   - libFuzzer (clang -fsanitize=fuzzer,address -DDUNE_LIBFUZZER):
 *     LLVMFuzzerTestOneInput() parses the bytes as a policy and checks
 *     what the parser promises.
 *   - standalone (gcc, ASan + UBSan, prints TAP): a built-in seed corpus of
 *     valid and invalid policies (the default policy among them) and a
 *     deterministic mutation loop: bit flips, bytes of interest, the
 *     format's words and numbers inserted or substituted, lines deleted,
 *     duplicated, swapped and spliced from other seeds, long runs,
 *     truncation.  Options: -t SECONDS (default 10), -n ITERATIONS
 *     (default: unbounded, the time decides), -s SEED.  Any sanitizer
 *     report or broken invariant aborts the process, which is the failure.
 *
 * Each input is an exact-size heap copy without a terminating NUL, so that
 * a read past its end is a heap-buffer-overflow report.  The working
 * directory (which relative paths are resolved against) is one of four,
 * chosen by the input's length: "/", a plain one, an unnormalised one and
 * (for 3 lengths in 16) one close to PATH_MAX long.
 *
 * Invariants, on every input:
 *   - the result is 0, -EINVAL or -ENOMEM; on failure the policy is all
 *     zero; on -EINVAL the message is "NAME:LINE: ..." with 1 <= LINE <= the
 *     input's number of lines, NUL-terminated within the buffer, and a
 *     smaller buffer gets a NUL-terminated prefix of it, nothing written
 *     past its end;
 *   - on success: 1 <= max_procs <= 4096; the path rules are absolute,
 *     normalised (normalising again is the identity), shorter than
 *     PATH_MAX, strictly sorted (so one per path), with an access level and
 *     a line in range; the access of a rule's own path is the rule's; for
 *     the rules' paths, their parents, children and siblings ("/a/bx" next
 *     to "/a/b") and a few fixed paths, sb_policy_path_access() agrees with
 *     a reference that walks up the path looking for exact matches;
 *     non-normalised paths get no access; every net rule is well formed
 *     (op, family, zero padding, no IPv4-mapped IPv6 rule, port) and
 *     allows a sockaddr made from it (and its IPv4-mapped form, and both
 *     families for "*"), and refuses one a byte too short; every system
 *     call rule is well formed (errno 1-4095 exactly for deny, line 0 only
 *     without a rule);
 *   - the first line of the input, as a path, normalises as a simple
 *     forward reference implementation does (or both say too long);
 *   - every 16th input is parsed twice and gives the same policy, and is
 *     freed twice (idempotent).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define NAME		"fz.policy"
#define FZ_MAX_INPUT	(64 * 1024)

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("policy_fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fail("out of memory");
	return p;
}

/* ---- working directories ------------------------------------------------ */

static char long_cwd[PATH_MAX];

static const char *pick_cwd(size_t len)
{
	switch (len % 16) {
	case 0:
	case 4:
	case 8:
	case 12:
		return "/";
	case 1:
	case 5:
	case 9:
	case 13:
	case 15:
		return "/home/fz/work";
	case 2:
	case 6:
	case 10:
	case 14:
		return "//home/./fz/../fz//work/";
	default:	/* 3, 7, 11: long paths are slow to check */
		if (!long_cwd[0]) {
			/* "/" and 4000 'd' in components of 100. */
			size_t i;

			for (i = 0; i < 4000; i++)
				long_cwd[i] = i % 100 ? 'd' : '/';
			long_cwd[4000] = '\0';
		}
		return long_cwd;
	}
}

/* ---- references --------------------------------------------------------- */

static size_t count_lines(const uint8_t *d, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += d[i] == '\n';
	return n + (len && d[len - 1] != '\n');
}

static bool normal(const char *s)
{
	size_t i = 1, j;

	if (s[0] != '/')
		return false;
	if (!s[1])
		return true;
	for (;;) {
		for (j = i; s[j] && s[j] != '/'; j++)
			;
		if (j == i || (j - i == 1 && s[i] == '.') ||
		    (j - i == 2 && s[i] == '.' && s[i + 1] == '.'))
			return false;
		if (!s[j])
			return true;
		i = j + 1;
	}
}

/* Forward, with a stack: the obvious way.  Returns the malloc'ed result. */
static char *ref_normalize(const char *cwd, const char *path)
{
	size_t n = strlen(cwd) + strlen(path) + 2, o = 0, i, j;
	char *joined = xmalloc(n), *out = xmalloc(n + 1);

	if (path[0] == '/')
		snprintf(joined, n, "%s", path);
	else
		snprintf(joined, n, "%s/%s", cwd, path);
	for (i = 0; joined[i];) {
		while (joined[i] == '/')
			i++;
		for (j = i; joined[j] && joined[j] != '/'; j++)
			;
		if (j == i)
			break;
		if (j - i == 1 && joined[i] == '.') {
			/* nothing */
		} else if (j - i == 2 && joined[i] == '.' && joined[i + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, joined + i, j - i);
			o += j - i;
		}
		i = j;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

static int cmp_rule_path(const void *key, const void *rule)
{
	return strcmp(key, ((const struct sb_path_rule *)rule)->path);
}

/* The access of @q: walk up from @q to "/" looking for a rule for exactly
 * that path, by binary search (the rules are strictly sorted: checked
 * before). */
static int ref_access(const struct sb_policy *p, const char *q)
{
	const struct sb_path_rule *r;
	size_t n = strlen(q);
	char *b;
	int a = SB_ACC_NONE;

	if (!normal(q) || !p->npaths)
		return SB_ACC_NONE;
	b = xmalloc(n + 1);
	memcpy(b, q, n + 1);
	for (;;) {
		r = bsearch(b, p->paths, p->npaths, sizeof(*p->paths), cmp_rule_path);
		if (r) {
			a = r->access;
			break;
		}
		if (!strcmp(b, "/"))
			break;
		*strrchr(b, '/') = '\0';
		if (!b[0])
			strcpy(b, "/");
	}
	free(b);
	return a;
}

static void check_access(const struct sb_policy *p, const char *q)
{
	int a = sb_policy_path_access(p, q), want = ref_access(p, q);

	if (a != want)
		fail("access of '%.200s' is %d, the reference says %d", q, a, want);
}

/* ---- what a parsed policy promises -------------------------------------- */

static void check_net_rule(const struct sb_policy *p, const struct sb_net_rule *r, size_t k)
{
	static const uint8_t zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	int port = r->port == -1 ? 4242 : r->port;

	if (r->op != SB_NET_CONNECT && r->op != SB_NET_BIND)
		fail("net rule %zu: op %d", k, r->op);
	if (r->port != -1 && (r->port < 1 || r->port > 65535))
		fail("net rule %zu: port %d", k, r->port);
	if (r->family == 0 && memcmp(r->addr, zero, 16))
		fail("net rule %zu: '*' with an address", k);
	if (r->family == AF_INET && memcmp(r->addr + 4, zero, 12))
		fail("net rule %zu: IPv4 with bytes after the address", k);
	if (r->family == AF_INET6 && !memcmp(r->addr, mapped, 12))
		fail("net rule %zu: an IPv4-mapped IPv6 rule", k);
	if (r->family != 0 && r->family != AF_INET && r->family != AF_INET6)
		fail("net rule %zu: family %d", k, r->family);

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(port);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(port);
	if (r->family == AF_INET || r->family == 0) {
		memcpy(&s4.sin_addr, r->addr, 4);
		if (!sb_policy_net_allowed(p, r->op, (struct sockaddr *)&s4, sizeof(s4)))
			fail("net rule %zu: its own IPv4 address refused", k);
		if (sb_policy_net_allowed(p, r->op, (struct sockaddr *)&s4, sizeof(s4) - 1))
			fail("net rule %zu: a short sockaddr_in allowed", k);
		memcpy(s6.sin6_addr.s6_addr, mapped, 12);
		memcpy(s6.sin6_addr.s6_addr + 12, r->addr, 4);
		if (!sb_policy_net_allowed(p, r->op, (struct sockaddr *)&s6, sizeof(s6)))
			fail("net rule %zu: its IPv4-mapped address refused", k);
	}
	if (r->family == AF_INET6 || r->family == 0) {
		memcpy(s6.sin6_addr.s6_addr, r->addr, 16);
		if (!sb_policy_net_allowed(p, r->op, (struct sockaddr *)&s6, sizeof(s6)))
			fail("net rule %zu: its own IPv6 address refused", k);
		if (sb_policy_net_allowed(p, r->op, (struct sockaddr *)&s6, sizeof(s6) - 1))
			fail("net rule %zu: a short sockaddr_in6 allowed", k);
	}
}

static void check_valid(const struct sb_policy *p, const char *cwd, size_t nlines)
{
	char norm[PATH_MAX], *q;
	size_t i, n, step;
	int nr;

	if (p->max_procs < 1 || p->max_procs > 4096)
		fail("max_procs %d", p->max_procs);
	if ((p->npaths && !p->paths) || (p->nnets && !p->nets))
		fail("rules without an array");
	for (i = 0; i < p->npaths; i++) {
		const struct sb_path_rule *r = &p->paths[i];

		if (!r->path || r->path[0] != '/' || !normal(r->path))
			fail("path rule %zu: '%.200s' not absolute and normalised", i,
			     r->path ? r->path : "(null)");
		if (strlen(r->path) >= PATH_MAX)
			fail("path rule %zu: longer than PATH_MAX", i);
		if (sb_path_normalize(cwd, r->path, norm, sizeof(norm)) || strcmp(norm, r->path))
			fail("path rule %zu: '%.200s' normalises to something else", i, r->path);
		if (r->access < SB_ACC_NONE || r->access > SB_ACC_WRITE)
			fail("path rule %zu: access %d", i, r->access);
		if (r->line < 0 || (size_t)r->line > nlines)
			fail("path rule %zu: line %d of %zu", i, r->line, nlines);
		if (i && strcmp(p->paths[i - 1].path, r->path) >= 0)
			fail("path rules %zu and %zu not strictly sorted", i - 1, i);
	}
	/* Up to 256 rules, spread over all (each lookup scans them all). */
	step = p->npaths / 256 + 1;
	for (i = 0; i < p->npaths; i += step) {
		const char *path = p->paths[i].path;

		if (sb_policy_path_access(p, path) != p->paths[i].access)
			fail("path rule %zu: '%.200s' does not give its own access", i, path);
		check_access(p, path);
		n = strlen(path);
		q = xmalloc(n + 8);
		/* A child, a sibling with a longer name, the parent. */
		snprintf(q, n + 8, "%s/fz", n > 1 ? path : "");
		check_access(p, q);
		snprintf(q, n + 8, "%sx", path);
		check_access(p, q);
		/* Not normalised: nothing. */
		snprintf(q, n + 8, "%s/..", n > 1 ? path : "");
		if (sb_policy_path_access(p, q) != SB_ACC_NONE)
			fail("'%.200s' (not normalised) gets access", q);
		memcpy(q, path, n + 1);
		*strrchr(q, '/') = '\0';
		check_access(p, q[0] ? q : "/");
		free(q);
	}
	check_access(p, "/");
	check_access(p, "/etc/shadow");
	check_access(p, "/home/fz/work/x");
	for (i = 0; i < p->nnets; i++) {
		if (p->nets[i].line < 0 || (size_t)p->nets[i].line > nlines)
			fail("net rule %zu: line %d", i, p->nets[i].line);
		check_net_rule(p, &p->nets[i], i);
	}
	for (nr = 0; nr < SB_MAX_NR; nr++) {
		int a = p->sys_action[nr], e = p->sys_errno[nr], l = p->sys_line[nr];

		if (a != SB_ALLOW && a != SB_DENY && a != SB_KILL)
			fail("system call %d: action %d", nr, a);
		if ((a == SB_DENY) != (e >= 1 && e <= 4095) || (a != SB_DENY && e))
			fail("system call %d: action %d with errno %d", nr, a, e);
		if (l < 0 || (size_t)l > nlines || (!l && a != SB_ALLOW))
			fail("system call %d: action %d on line %d", nr, a, l);
	}
}

static bool same_policy(const struct sb_policy *a, const struct sb_policy *b)
{
	size_t i;

	if (a->npaths != b->npaths || a->nnets != b->nnets || a->max_procs != b->max_procs ||
	    memcmp(a->sys_action, b->sys_action, sizeof(a->sys_action)) ||
	    memcmp(a->sys_errno, b->sys_errno, sizeof(a->sys_errno)) ||
	    memcmp(a->sys_line, b->sys_line, sizeof(a->sys_line)))
		return false;
	for (i = 0; i < a->npaths; i++)
		if (strcmp(a->paths[i].path, b->paths[i].path) ||
		    a->paths[i].access != b->paths[i].access || a->paths[i].line != b->paths[i].line)
			return false;
	for (i = 0; i < a->nnets; i++)
		if (memcmp(&a->nets[i], &b->nets[i], sizeof(a->nets[i])))
			return false;
	return true;
}

static bool zeroed(const struct sb_policy *p)
{
	static const struct sb_policy zero;

	return !memcmp(p, &zero, sizeof(zero));
}

static void check_message(const char *err, size_t errlen, size_t nlines)
{
	const char *s;
	char *end;
	unsigned long line;

	if (!memchr(err, '\0', errlen))
		fail("message not NUL-terminated");
	if (strncmp(err, NAME ":", strlen(NAME ":")))
		fail("message '%.200s' does not start with the name", err);
	s = err + strlen(NAME ":");
	if (*s < '0' || *s > '9')
		fail("message '%.200s' without a line number", err);
	line = strtoul(s, &end, 10);
	if (*end != ':' || end[1] != ' ' || !end[2])
		fail("message '%.200s' not NAME:LINE: text", err);
	if (line < 1 || line > nlines)
		fail("message '%.200s': line %lu of %zu", err, line, nlines);
}

/* The first line of the input as a path, against the reference. */
static void check_normalize(const uint8_t *d, size_t len, const char *cwd)
{
	const uint8_t *nl = memchr(d, '\n', len);
	size_t n = nl ? (size_t)(nl - d) : len;
	char *path, *want, out[PATH_MAX];
	int r;

	if (!n || memchr(d, '\0', n))
		return;
	path = xmalloc(n + 1);
	memcpy(path, d, n);
	path[n] = '\0';
	r = sb_path_normalize(cwd, path, out, sizeof(out));
	want = ref_normalize(cwd, path);
	if (strlen(want) >= PATH_MAX) {
		if (r != -ENAMETOOLONG)
			fail("normalize '%.200s': %d, expected -ENAMETOOLONG", path, r);
	} else if (r || strcmp(out, want)) {
		fail("normalize '%.200s': %d '%.200s', expected '%.200s'", path, r, r ? "" : out,
		     want);
	}
	if (!r && !normal(out))
		fail("normalize '%.200s': '%.200s' is not normal", path, out);
	free(want);
	free(path);
}

static unsigned long n_inputs;

static int one_input(const uint8_t *data, size_t size)
{
	static char err[1024];
	const char *cwd = pick_cwd(size);
	size_t nlines = count_lines(data, size), small;
	struct sb_policy p, p2;
	char guard[80];
	int ret, ret2;

	n_inputs++;
	memset(err, 0x5a, sizeof(err));
	ret = sb_policy_parse(&p, NAME, (const char *)data, size, cwd, err, sizeof(err));
	check_normalize(data, size, cwd);
	if (ret == 0) {
		check_valid(&p, cwd, nlines);
		if (n_inputs % 16 == 0) {
			ret2 = sb_policy_parse(&p2, NAME, (const char *)data, size, cwd, NULL, 0);
			if (ret2 != 0 || !same_policy(&p, &p2))
				fail("parsed twice, different policies (%d)", ret2);
			sb_policy_free(&p2);
			sb_policy_free(&p2);
		}
		sb_policy_free(&p);
		if (!zeroed(&p))
			fail("sb_policy_free left something");
		sb_policy_free(&p);
		return 1;
	}
	if (ret != -EINVAL && ret != -ENOMEM)
		fail("sb_policy_parse: unexpected %d", ret);
	if (!zeroed(&p))
		fail("a refused policy left state behind");
	if (ret == -ENOMEM)
		return 0;
	check_message(err, sizeof(err), nlines);
	/* A smaller buffer: a NUL-terminated prefix, nothing past its end. */
	small = n_inputs % 48;
	memset(guard, 0x5a, sizeof(guard));
	ret2 = sb_policy_parse(&p2, NAME, (const char *)data, size, cwd, small ? guard : NULL,
			       small);
	if (ret2 != ret || !zeroed(&p2))
		fail("parsed twice, %d then %d", ret, ret2);
	if (small) {
		if (!memchr(guard, '\0', small) || strncmp(guard, err, strlen(guard)) ||
		    strlen(guard) != (strlen(err) < small ? strlen(err) : small - 1))
			fail("message in %zu bytes: '%s' for '%.200s'", small, guard, err);
	}
	for (; small < sizeof(guard); small++)
		if ((uint8_t)guard[small] != 0x5a)
			fail("message written past its buffer");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_input(data, size);
	return 0;
}

#ifndef DUNE_LIBFUZZER

/* ---- seeds -------------------------------------------------------------- */

struct blob {
	uint8_t *data;
	size_t len;
};

static const char *const seed_texts[] = {
	"",
	"default\n",
	"default\nwrite out\nhide .git\nprocs 1\n",
	"read /usr /lib /lib64\nwrite /tmp .\nhide /tmp/secret\n",
	"read /\nhide /etc /root /home\nwrite /tmp\n",
	"# comment only\n\n   \t\n",
	"read /a # trailing\r\nwrite ./b/../c//d/\r\n",
	"net connect 1.2.3.4:80\nnet bind *:8080\nnet connect [2001:db8::1]:443\n",
	"net connect [::ffff:10.0.0.1]:*\nnet connect *:*\nnet none\nnet bind 127.0.0.1:1\n",
	"syscall openat deny\nsyscall execve kill\nsyscall 0 deny EACCES\nsyscall write allow\n",
	"syscall ptrace deny ENOSYS\nsyscall 511 deny 4095\nsyscall mount deny EWOULDBLOCK\n",
	"procs 64\nprocs 4096\n",
	"default\nread /usr/bin/../../etc/./passwd\nwrite ../..\nread ...\n",
	"write /a/b\nread /a\nhide /a/b/c\nwrite /a/bc\nread /\n",
	/* Invalid ones. */
	"wirte /a\n",
	"read\n",
	"net\nnet maybe\n",
	"net connect 1.2.3.4\n",
	"net connect ::1:80\n",
	"net connect [::1]\n",
	"net connect [zz]:80\n",
	"net connect 256.0.0.1:65536\n",
	"procs 0\n",
	"procs 99999999999999999999999\n",
	"syscall opnat allow\n",
	"syscall 512 kill\n",
	"syscall openat deny EFOO\n",
	"syscall openat deny 4096 x\n",
	"default\ndefault\n",
	"default now\n",
	"../../../../../../x/./y//z/..\nread /\n",
	"a/b/../../..\n",
};

#define MAX_SEEDS 64
static struct blob seeds[MAX_SEEDS];
static unsigned int nseeds;

static void add_seed(const void *data, size_t len)
{
	struct blob *b;

	if (nseeds == MAX_SEEDS)
		fail("too many seeds");
	b = &seeds[nseeds++];
	b->data = xmalloc(len);
	memcpy(b->data, data, len);
	b->len = len;
	one_input(b->data, b->len);
}

static void add_seeds(void)
{
	size_t i;
	char *t;

	static const char nul[] = "read /a\nread /b\0c\n";

	for (i = 0; i < sizeof(seed_texts) / sizeof(seed_texts[0]); i++)
		add_seed(seed_texts[i], strlen(seed_texts[i]));
	add_seed(nul, sizeof(nul) - 1);
	add_seed(sb_default_policy, strlen(sb_default_policy));
	/* A line of 4096 bytes, and one of 4097. */
	t = xmalloc(4200);
	memcpy(t, "read /x\n#", 9);
	memset(t + 9, '#', 4095);
	t[9 + 4095] = '\n';
	add_seed(t, 9 + 4096);
	t[9 + 4095] = '#';
	t[9 + 4096] = '\n';
	add_seed(t, 9 + 4097);
	free(t);
}

/* ---- mutations ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const char *const tokens[] = {
	"read ", "write ", "hide ", "net ", "connect ", "bind ", "none", "procs ", "syscall ",
	"allow", "deny", "kill", "default", "#", "\n", "\r\n", "\r", "/", "..", ".", "//", "/..",
	"./", "*", ":", "[", "]", "::", "::ffff:", "::1", "1.2.3.4", "0.0.0.0", "*:*", ":80",
	":0", ":65535", ":65536", "0", "1", "4095", "4096", "511", "512", "-1", "+1",
	"99999999999999999999", "EPERM", "ENOSYS", "EWOULDBLOCK", "openat", "execve", "read",
	" ", "\t", "\t\t  ", "/usr", "/etc/shadow", "~", "\\", "\xff", "%eth0",
};

static const uint8_t bytes[] = {
	'\0', '\n', '\r', '\t', ' ', '#', '/', '.', ':', '[', ']', '*', '0', '9', 'a', 'E',
	0x7f, 0x80, 0xff,
};

struct buf {
	uint8_t *d;
	size_t len, cap;
};

static void insert(struct buf *b, size_t at, const void *s, size_t n)
{
	if (!n || b->len + n > FZ_MAX_INPUT)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->d = realloc(b->d, b->cap);
		if (!b->d)
			fail("out of memory");
	}
	memmove(b->d + at + n, b->d + at, b->len - at);
	memcpy(b->d + at, s, n);
	b->len += n;
}

static void erase(struct buf *b, size_t at, size_t n)
{
	if (at > b->len || n > b->len - at)
		return;
	memmove(b->d + at, b->d + at + n, b->len - at - n);
	b->len -= n;
}

/* The start and length of the line around @at. */
static void line_at(const struct buf *b, size_t at, size_t *start, size_t *n)
{
	size_t s = at, e = at;

	while (s > 0 && b->d[s - 1] != '\n')
		s--;
	while (e < b->len && b->d[e] != '\n')
		e++;
	*start = s;
	*n = e - s + (e < b->len);
}

static void mutate(struct buf *b)
{
	size_t at = below(b->len + 1), s, n, s2, n2;
	const char *t;
	char num[32];
	uint8_t *tmp;

	switch (below(12)) {
	case 0:		/* bit flip */
		if (b->len)
			b->d[below(b->len)] ^= (uint8_t)(1u << below(8));
		break;
	case 1:		/* a byte of interest, set or inserted */
		if (b->len && below(2))
			b->d[below(b->len)] = bytes[below(sizeof(bytes))];
		else
			insert(b, at, &bytes[below(sizeof(bytes))], 1);
		break;
	case 2:
	case 3:		/* a word of the format */
		t = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];
		insert(b, at, t, strlen(t));
		break;
	case 4:		/* replace a word by one of the format */
		if (!b->len)
			break;
		at = below(b->len);
		for (n = 0; at + n < b->len && b->d[at + n] != ' ' && b->d[at + n] != '\n'; n++)
			;
		erase(b, at, n);
		t = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];
		insert(b, at, t, strlen(t));
		break;
	case 5:		/* delete a range */
		if (b->len)
			erase(b, at < b->len ? at : b->len - 1, 1 + below(16));
		break;
	case 6:		/* duplicate, or delete, a line */
		if (!b->len)
			break;
		line_at(b, below(b->len), &s, &n);
		if (below(2)) {
			tmp = xmalloc(n);
			memcpy(tmp, b->d + s, n);
			insert(b, s, tmp, n);
			free(tmp);
		} else {
			erase(b, s, n);
		}
		break;
	case 7:		/* a line of another seed */
	{
		const struct blob *sb = &seeds[below(nseeds)];
		struct buf o = { sb->data, sb->len, 0 };

		if (!o.len)
			break;
		line_at(&o, below(o.len), &s2, &n2);
		tmp = xmalloc(n2);
		memcpy(tmp, o.d + s2, n2);
		if (b->len)
			line_at(b, below(b->len), &s, &n);
		else
			s = 0;
		insert(b, s, tmp, n2);
		free(tmp);
		break;
	}
	case 8:		/* a run: long words, long lines */
		n = below(3) ? 1 + below(64) : 4000 + below(200);
		tmp = xmalloc(n);
		memset(tmp, below(2) ? 'a' : bytes[below(sizeof(bytes))], n);
		insert(b, at, tmp, n);
		free(tmp);
		break;
	case 9:		/* a number */
		n = (size_t)snprintf(num, sizeof(num), "%llu",
				     (unsigned long long)(below(4) ? below(70000) : rnd()));
		insert(b, at, num, n);
		break;
	case 10:	/* swap two lines */
		if (!b->len)
			break;
		line_at(b, below(b->len), &s, &n);
		tmp = xmalloc(n);
		memcpy(tmp, b->d + s, n);
		erase(b, s, n);
		insert(b, below(b->len + 1), tmp, n);
		free(tmp);
		break;
	default:	/* truncation */
		b->len = below(2) ? below(b->len + 1) : b->len - below(b->len < 16 ? b->len + 1 : 16);
		break;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Valid mutants are kept (a few) as further starting points. */
#define POOL	64
static struct blob pool[POOL];

int main(int argc, char **argv)
{
	double seconds = 10, start, elapsed;
	unsigned long long iters = 0, n, valid = 0, seed = 1;
	struct buf b = { NULL, 0, 0 };
	struct blob *from;
	uint8_t *d;
	int opt, k, nm;

	while ((opt = getopt(argc, argv, "t:n:s:")) != -1) {
		switch (opt) {
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-t seconds] [-n iterations] [-s seed]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..1\n");
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (!rng_state)
		rng_state = 1;

	add_seeds();
	b.cap = 4096;
	b.d = xmalloc(b.cap);
	printf("# %u seeds, seed %llu, %g s, %llu iterations max\n", nseeds, seed, seconds, iters);

	start = now();
	for (n = 0; !iters || n < iters; n++) {
		if (!(n & 255) && now() - start >= seconds)
			break;
		k = (int)below(nseeds + POOL);
		from = k < (int)nseeds ? &seeds[k] : &pool[k - nseeds];
		if (!from->data)
			from = &seeds[below(nseeds)];
		b.len = 0;
		insert(&b, 0, from->data, from->len);
		for (nm = 1 + (int)below(4); nm; nm--)
			mutate(&b);
		/* Exact size, so that ASan sees any read past the end. */
		d = xmalloc(b.len);
		memcpy(d, b.d, b.len);
		if (one_input(d, b.len)) {
			valid++;
			k = (int)below(POOL);
			if (b.len <= 0x2000 && from != &pool[k]) {
				free(pool[k].data);
				pool[k].data = d;
				pool[k].len = b.len;
				d = NULL;
			}
		}
		free(d);
	}
	elapsed = now() - start;
	printf("ok 1 - policy_fuzz: %llu inputs in %.1f s, %llu valid, no crash\n", n, elapsed,
	       valid);
	for (k = 0; k < POOL; k++)
		free(pool[k].data);
	for (k = 0; k < (int)nseeds; k++)
		free(seeds[k].data);
	free(b.d);
	return 0;
}

#endif /* !DUNE_LIBFUZZER */
