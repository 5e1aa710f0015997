/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.c - the sandbox's policy: parsing with line-numbered errors, and
 * the path and network checks (policy.h; the format: apps/sandbox/POLICY.md).
 *
 * Pure code: no global state, nothing printed, thread-safe; the only system
 * calls are sb_policy_load()'s open/read.  Every message is
 * "NAME:LINE: what is wrong", naming the offending word in quotes (escaped:
 * control and non-ASCII bytes as \xNN, cut after 64 bytes).  An error in
 * the built-in default included by "default" (only possible with an
 * unusable working directory) is reported at the line of the "default"
 * rule: "NAME:LINE: default, line K: ...".
 *
 * Rules are applied in order.  Path rules are gathered as given, then
 * sorted by path (and by order given) so that only the last rule of each
 * path is kept: the policy's paths[] is sorted by strcmp() and has no
 * duplicates.  The lookup does not depend on that order (a caller may add
 * rules): it scans every rule for the longest match, the last of equal ones.
 *
 * A rule for an IPv4-mapped IPv6 address ("[::ffff:1.2.3.4]:80") is stored
 * as the IPv4 rule it means (family AF_INET), and an IPv4-mapped address in
 * an AF_INET6 sockaddr is checked as the IPv4 address it is, so that IPv4
 * rules hold for programs that use dual-stack IPv6 sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

#define SB_LINE_MAX	4096		/* bytes in a line, without its end */
#define SB_FILE_MAX	(1 << 20)	/* sb_policy_load()'s limit */
#define SB_PROCS_MAX	4096
#define SB_ERRNO_MAX	4095
#define SB_DEFAULT_PROCS 64
#define SB_QUOTE_MAX	64		/* bytes of a word quoted in a message */
#define SB_QBUF		(SB_QUOTE_MAX * 4 + 8)

/* apps/sandbox/default.policy, byte for byte (a unit test compares them). */
const char sb_default_policy[] =
	"# The sandbox's built-in default policy (apps/sandbox/default.policy).\n"
	"#\n"
	"# This is what a policy file's \"default\" rule includes, and what the sandbox\n"
	"# uses when it is given no policy.  The same text is compiled into the\n"
	"# sandbox (sb_default_policy in policy.c; a unit test checks that the two\n"
	"# are identical).  The format is described in apps/sandbox/POLICY.md.\n"
	"#\n"
	"# To make your own policy, copy this file and edit it, or start yours with\n"
	"# \"default\" and add rules after it: the rule with the longest matching path\n"
	"# wins, and a later rule for the same path replaces an earlier one.\n"
	"#\n"
	"# Note: \"write .\" gives the directory the sandbox was started in, and\n"
	"# everything under it.  Started in / or in your home directory, that is a\n"
	"# lot: start it in the directory the program should work in.\n"
	"\n"
	"# Programs and their shared libraries: read and execute, never write.\n"
	"read /usr /lib /lib64 /bin /sbin\n"
	"\n"
	"# Files of /etc that the dynamic loader and the C library read: the loader's\n"
	"# cache and configuration, the time zone, users and groups, name service\n"
	"# and host name configuration, locale aliases, terminal descriptions and\n"
	"# readline's configuration.  Nothing else of /etc (no /etc/shadow).\n"
	"read /etc/ld.so.cache /etc/ld.so.preload /etc/ld.so.conf /etc/ld.so.conf.d\n"
	"read /etc/localtime /etc/passwd /etc/group /etc/nsswitch.conf\n"
	"read /etc/host.conf /etc/hosts /etc/locale.alias /etc/terminfo /etc/inputrc\n"
	"# Locale data, terminfo, zoneinfo (already readable as part of /usr).\n"
	"read /usr/share\n"
	"\n"
	"# The working directory: read and write, with everything under it.\n"
	"write .\n"
	"\n"
	"# Devices: the null device can be written; zeros and random bytes read.\n"
	"# No terminal (/dev/tty), no other device.\n"
	"write /dev/null\n"
	"read /dev/zero /dev/urandom /dev/random\n"
	"\n"
	"# No network at all.\n"
	"net none\n"
	"\n"
	"# At most 64 processes at once.\n"
	"procs 64\n"
	"\n"
	"# No \"syscall\" rules: every system call the sandbox can check is allowed,\n"
	"# within the limits above.\n";

/* ---- paths -------------------------------------------------------------- */

/* Walks the components of a path backwards, over up to two strings: the
 * path, then (for a relative path) the working directory it is under. */
struct comp_iter {
	const char *s[2];
	size_t end[2];
	int k, n;
};

static void comp_init(struct comp_iter *it, const char *cwd, const char *path)
{
	it->s[0] = path;
	it->end[0] = strlen(path);
	it->n = 1;
	it->k = 0;
	if (path[0] != '/') {
		it->s[1] = cwd;
		it->end[1] = strlen(cwd);
		it->n = 2;
	}
}

static int comp_prev(struct comp_iter *it, const char **c, size_t *len)
{
	while (it->k < it->n) {
		const char *s = it->s[it->k];
		size_t e = it->end[it->k], b;

		while (e > 0 && s[e - 1] == '/')
			e--;
		if (e == 0) {
			it->k++;
			continue;
		}
		for (b = e; b > 0 && s[b - 1] != '/'; b--)
			;
		it->end[it->k] = b;
		*c = s + b;
		*len = e - b;
		return 1;
	}
	return 0;
}

/* Whether the next component (backwards) is kept; "." and ".." are not,
 * and each ".." drops the next kept one (none left at the root). */
static int comp_next_kept(struct comp_iter *it, size_t *skip, const char **c, size_t *len)
{
	while (comp_prev(it, c, len)) {
		if (*len == 1 && (*c)[0] == '.')
			continue;
		if (*len == 2 && (*c)[0] == '.' && (*c)[1] == '.') {
			(*skip)++;
			continue;
		}
		if (*skip) {
			(*skip)--;
			continue;
		}
		return 1;
	}
	return 0;
}

int sb_path_normalize(const char *cwd, const char *path, char *out, size_t outlen)
{
	struct comp_iter it;
	const char *c;
	size_t len, skip = 0, total = 0, pos;

	if (!path || !path[0] || !out)
		return -EINVAL;
	if (path[0] != '/' && (!cwd || cwd[0] != '/'))
		return -EINVAL;
	/* Backwards, twice: the length, then the bytes from the end. */
	comp_init(&it, cwd, path);
	while (comp_next_kept(&it, &skip, &c, &len))
		total += 1 + len;
	if (!total) {
		if (outlen < 2)
			return -ENAMETOOLONG;
		memcpy(out, "/", 2);
		return 0;
	}
	if (total >= outlen)
		return -ENAMETOOLONG;
	comp_init(&it, cwd, path);
	skip = 0;
	pos = total;
	out[pos] = '\0';
	while (comp_next_kept(&it, &skip, &c, &len)) {
		pos -= len;
		memcpy(out + pos, c, len);
		out[--pos] = '/';
	}
	return 0;
}

/* Absolute and normalised: "/", or "/" and non-empty components other
 * than "." and "..", separated by single '/', no '/' at the end. */
static int is_normal(const char *path)
{
	size_t i = 1, j;

	if (path[0] != '/')
		return 0;
	if (!path[1])
		return 1;
	for (;;) {
		for (j = i; path[j] && path[j] != '/'; j++)
			;
		if (j == i || (j - i == 1 && path[i] == '.') ||
		    (j - i == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 0;
		if (!path[j])
			return 1;
		i = j + 1;
	}
}

int sb_policy_path_access(const struct sb_policy *p, const char *path)
{
	size_t i, qlen, rlen, best_len = 0;
	int best = SB_ACC_NONE, found = 0;

	/* Anything but an absolute, normalised path: no access (a path with
	 * ".." would otherwise match a rule it is not under). */
	if (!p || !p->paths || !path || !is_normal(path))
		return SB_ACC_NONE;
	qlen = strlen(path);
	for (i = 0; i < p->npaths; i++) {
		const char *r = p->paths[i].path;

		if (!r || r[0] != '/')
			continue;
		rlen = strlen(r);
		if (rlen == 1)
			rlen = 0;	/* "/": a prefix of every path */
		else if (rlen > qlen || memcmp(r, path, rlen) ||
			 (path[rlen] != '\0' && path[rlen] != '/'))
			continue;
		if (!found || rlen >= best_len) {
			found = 1;
			best_len = rlen;
			best = p->paths[i].access;
		}
	}
	return best;
}

/* ---- network ------------------------------------------------------------ */

bool sb_policy_net_allowed(const struct sb_policy *p, int op, const struct sockaddr *sa,
			   socklen_t len)
{
	uint8_t addr[16];
	sa_family_t fam;
	size_t i, alen;
	int family, port;

	if (!p || !sa || (op != SB_NET_CONNECT && op != SB_NET_BIND) ||
	    len < sizeof(sa_family_t))
		return false;
	memcpy(&fam, (const char *)sa + offsetof(struct sockaddr, sa_family), sizeof(fam));
	if (fam == AF_INET) {
		struct sockaddr_in in;

		if (len < sizeof(in))
			return false;
		memcpy(&in, sa, sizeof(in));
		family = AF_INET;
		memcpy(addr, &in.sin_addr, 4);
		port = ntohs(in.sin_port);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 in6;

		if (len < sizeof(in6))
			return false;
		memcpy(&in6, sa, sizeof(in6));
		port = ntohs(in6.sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
			family = AF_INET;
			memcpy(addr, in6.sin6_addr.s6_addr + 12, 4);
		} else {
			family = AF_INET6;
			memcpy(addr, in6.sin6_addr.s6_addr, 16);
		}
	} else {
		return false;
	}
	alen = family == AF_INET ? 4 : 16;
	for (i = 0; p->nets && i < p->nnets; i++) {
		const struct sb_net_rule *r = &p->nets[i];

		if (r->op != op || (r->port != -1 && r->port != port))
			continue;
		if (r->family == 0 || (r->family == family && !memcmp(r->addr, addr, alen)))
			return true;
	}
	return false;
}

/* ---- the parser --------------------------------------------------------- */

struct tmp_rule {
	char *path;
	int access;
	int line;
	size_t seq;
};

struct parser {
	struct sb_policy *p;
	const char *name;
	const char *cwd;
	char *err;
	size_t errlen;
	struct tmp_rule *rules;
	size_t nrules, caprules, capnets;
	int line;		/* in the text being parsed */
	int outer_line;		/* in the default included by "default": where */
	int builtin;		/* parsing the built-in default: rules get line 0 */
	int default_line;	/* where "default" was, 0 if not yet */
};

/* @w in quotes, control and non-ASCII bytes escaped, cut if long. */
static const char *quote(char buf[SB_QBUF], const char *w)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	buf[o++] = '\'';
	for (i = 0; w[i] && i < SB_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c < 0x20 || c >= 0x7f || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (w[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static void vmsg(struct parser *ps, const char *fmt, va_list ap)
{
	int r;

	if (!ps->err || !ps->errlen)
		return;
	if (ps->outer_line)
		r = snprintf(ps->err, ps->errlen, "%s:%d: default, line %d: ", ps->name,
			     ps->outer_line, ps->line);
	else
		r = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
	if (r < 0)
		ps->err[0] = '\0';
	else if ((size_t)r < ps->errlen)
		vsnprintf(ps->err + r, ps->errlen - r, fmt, ap);
}

/* A message about the current line; returns -EINVAL. */
static int __attribute__((format(printf, 2, 3))) perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(ps, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int nomem(struct parser *ps)
{
	perr(ps, "out of memory");
	return -ENOMEM;
}

/* The next blank-separated word of the line, NUL-terminated in place. */
static char *next_word(char **cur)
{
	char *s = *cur, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*cur = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*cur = s;
	return w;
}

/* A decimal number from 0 to @max, digits only; -1 if it is not one. */
static long parse_num(const char *w, long max)
{
	long v = 0;

	if (!*w)
		return -1;
	for (; *w; w++) {
		if (*w < '0' || *w > '9')
			return -1;
		v = v * 10 + (*w - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static int line_of_rule(const struct parser *ps)
{
	return ps->builtin ? 0 : ps->line;
}

static int add_path(struct parser *ps, const char *rule, const char *w, int access)
{
	char norm[PATH_MAX], qb[SB_QBUF];
	struct tmp_rule *r;
	int ret;

	ret = sb_path_normalize(ps->cwd, w, norm, sizeof(norm));
	if (ret == -ENAMETOOLONG)
		return perr(ps, "%s: path %s is longer than PATH_MAX (%d bytes) once normalised",
			    rule, quote(qb, w), PATH_MAX);
	if (ret)
		return perr(ps, "%s: relative path %s, but the working directory is not absolute",
			    rule, quote(qb, w));
	if (ps->nrules == ps->caprules) {
		size_t cap = ps->caprules ? ps->caprules * 2 : 32;

		if (cap > SIZE_MAX / sizeof(*r))
			return nomem(ps);
		r = realloc(ps->rules, cap * sizeof(*r));
		if (!r)
			return nomem(ps);
		ps->rules = r;
		ps->caprules = cap;
	}
	r = &ps->rules[ps->nrules];
	r->path = strdup(norm);
	if (!r->path)
		return nomem(ps);
	r->access = access;
	r->line = line_of_rule(ps);
	r->seq = ps->nrules++;
	return 0;
}

static int rule_paths(struct parser *ps, char **cur, const char *rule, int access)
{
	char *w;
	int n = 0, ret;

	while ((w = next_word(cur))) {
		ret = add_path(ps, rule, w, access);
		if (ret)
			return ret;
		n++;
	}
	if (!n)
		return perr(ps, "%s: missing PATH", rule);
	return 0;
}

/* ADDR:PORT into @r: IPv4, [IPv6] or *, then 1-65535 or *. */
static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int parse_addr(struct parser *ps, const char *op, const char *w, struct sb_net_rule *r)
{
	char a[64], qb[SB_QBUF];
	const char *port, *colon, *end;
	size_t n;
	long v;

	if (w[0] == '[') {
		end = strchr(w, ']');
		if (!end)
			return perr(ps, "net %s: %s: missing ']' after the IPv6 address", op,
				    quote(qb, w));
		n = (size_t)(end - w - 1);
		if (n >= sizeof(a))
			n = sizeof(a) - 1;	/* quoted, cut, in the message */
		memcpy(a, w + 1, n);
		a[n] = '\0';
		if ((size_t)(end - w - 1) >= sizeof(a) || inet_pton(AF_INET6, a, r->addr) != 1)
			return perr(ps, "net %s: %s is not an IPv6 address", op, quote(qb, a));
		if (end[1] != ':')
			return perr(ps, "net %s: %s: missing ':PORT' after the address", op,
				    quote(qb, w));
		port = end + 2;
		if (!memcmp(r->addr, v4mapped, sizeof(v4mapped))) {
			r->family = AF_INET;
			memmove(r->addr, r->addr + 12, 4);
			memset(r->addr + 4, 0, 12);
		} else {
			r->family = AF_INET6;
		}
	} else {
		colon = strchr(w, ':');
		if (!colon)
			return perr(ps, "net %s: %s: missing ':PORT' (ADDR:PORT)", op, quote(qb, w));
		if (strchr(colon + 1, ':'))
			return perr(ps, "net %s: %s: an IPv6 address goes in brackets ([ADDR]:PORT)",
				    op, quote(qb, w));
		n = (size_t)(colon - w);
		if (n == 1 && w[0] == '*') {
			r->family = 0;
		} else {
			if (n >= sizeof(a))
				n = sizeof(a) - 1;
			memcpy(a, w, n);
			a[n] = '\0';
			if ((size_t)(colon - w) >= sizeof(a) || inet_pton(AF_INET, a, r->addr) != 1)
				return perr(ps, "net %s: %s is not an IPv4 address, [IPv6 address] or '*'",
					    op, quote(qb, a));
			r->family = AF_INET;
		}
		port = colon + 1;
	}
	if (!strcmp(port, "*")) {
		r->port = -1;
	} else {
		v = parse_num(port, 65535);
		if (v < 1)
			return perr(ps, "net %s: port %s is not a number from 1 to 65535 or '*'", op,
				    quote(qb, port));
		r->port = (int)v;
	}
	return 0;
}

static int rule_net(struct parser *ps, char **cur)
{
	struct sb_policy *p = ps->p;
	struct sb_net_rule r, *nets;
	char qb[SB_QBUF], *op, *w;
	int ret;

	op = next_word(cur);
	if (!op)
		return perr(ps, "net: missing 'none', 'connect ADDR:PORT' or 'bind ADDR:PORT'");
	if (!strcmp(op, "none")) {
		w = next_word(cur);
		if (w)
			return perr(ps, "net none: unexpected %s", quote(qb, w));
		p->nnets = 0;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	if (!strcmp(op, "connect"))
		r.op = SB_NET_CONNECT;
	else if (!strcmp(op, "bind"))
		r.op = SB_NET_BIND;
	else
		return perr(ps, "net: unknown operation %s (none, connect or bind)", quote(qb, op));
	w = next_word(cur);
	if (!w)
		return perr(ps, "net %s: missing ADDR:PORT", op);
	ret = parse_addr(ps, op, w, &r);
	if (ret)
		return ret;
	w = next_word(cur);
	if (w)
		return perr(ps, "net %s: unexpected %s", op, quote(qb, w));
	r.line = line_of_rule(ps);
	if (p->nnets == ps->capnets) {
		size_t cap = ps->capnets ? ps->capnets * 2 : 8;

		if (cap > SIZE_MAX / sizeof(r))
			return nomem(ps);
		nets = realloc(p->nets, cap * sizeof(r));
		if (!nets)
			return nomem(ps);
		p->nets = nets;
		ps->capnets = cap;
	}
	p->nets[p->nnets++] = r;
	return 0;
}

static int rule_procs(struct parser *ps, char **cur)
{
	char qb[SB_QBUF], *w;
	long v;

	w = next_word(cur);
	if (!w)
		return perr(ps, "procs: missing N");
	v = parse_num(w, SB_PROCS_MAX);
	if (v < 1)
		return perr(ps, "procs: %s is not a number from 1 to %d", quote(qb, w),
			    SB_PROCS_MAX);
	w = next_word(cur);
	if (w)
		return perr(ps, "procs: unexpected %s", quote(qb, w));
	ps->p->max_procs = (int)v;
	return 0;
}

static int rule_syscall(struct parser *ps, char **cur)
{
	struct sb_policy *p = ps->p;
	char qb[SB_QBUF], *name, *act, *w;
	int nr, action, err = 0;
	long v;

	name = next_word(cur);
	if (!name)
		return perr(ps, "syscall: missing NAME");
	if (name[0] >= '0' && name[0] <= '9') {
		v = parse_num(name, SB_MAX_NR - 1);
		if (v < 0)
			return perr(ps, "syscall: %s is not a system call number from 0 to %d",
				    quote(qb, name), SB_MAX_NR - 1);
		nr = (int)v;
	} else {
		nr = sb_syscall_nr(name);
		if (nr < 0)
			return perr(ps, "syscall: unknown system call %s", quote(qb, name));
		if (nr >= SB_MAX_NR)
			return perr(ps, "syscall: %s is number %d, not below %d", quote(qb, name),
				    nr, SB_MAX_NR);
	}
	act = next_word(cur);
	if (!act)
		return perr(ps, "syscall %s: missing action (allow, deny or kill)", name);
	if (!strcmp(act, "allow")) {
		action = SB_ALLOW;
	} else if (!strcmp(act, "kill")) {
		action = SB_KILL;
	} else if (!strcmp(act, "deny")) {
		action = SB_DENY;
		err = EPERM;
		w = next_word(cur);
		if (w && w[0] >= '0' && w[0] <= '9') {
			v = parse_num(w, SB_ERRNO_MAX);
			if (v < 1)
				return perr(ps, "syscall %s deny: %s is not an errno from 1 to %d",
					    name, quote(qb, w), SB_ERRNO_MAX);
			err = (int)v;
		} else if (w) {
			err = sb_errno_nr(w);
			if (err < 1 || err > SB_ERRNO_MAX)
				return perr(ps, "syscall %s deny: unknown errno name %s", name,
					    quote(qb, w));
		}
	} else {
		return perr(ps, "syscall %s: unknown action %s (allow, deny or kill)", name,
			    quote(qb, act));
	}
	w = next_word(cur);
	if (w)
		return perr(ps, "syscall %s %s: unexpected %s", name, act, quote(qb, w));
	p->sys_action[nr] = (uint8_t)action;
	p->sys_errno[nr] = (uint16_t)err;
	p->sys_line[nr] = line_of_rule(ps);
	return 0;
}

static int parse_text(struct parser *ps, const char *text, size_t len);

static int rule_default(struct parser *ps, char **cur)
{
	char qb[SB_QBUF], *w;
	int saved = ps->line, ret;

	w = next_word(cur);
	if (w)
		return perr(ps, "default: unexpected %s", quote(qb, w));
	if (ps->builtin)
		return perr(ps, "default: not allowed in the default policy");
	if (ps->default_line)
		return perr(ps, "default: given twice (first on line %d)", ps->default_line);
	ps->default_line = saved;
	ps->outer_line = saved;
	ps->builtin = 1;
	ret = parse_text(ps, sb_default_policy, sizeof(sb_default_policy) - 1);
	ps->builtin = 0;
	ps->outer_line = 0;
	ps->line = saved;
	return ret;
}

static int parse_line(struct parser *ps, char *buf)
{
	char qb[SB_QBUF], *cur = buf, *w;

	w = next_word(&cur);
	if (!w)
		return 0;
	if (!strcmp(w, "read"))
		return rule_paths(ps, &cur, w, SB_ACC_READ);
	if (!strcmp(w, "write"))
		return rule_paths(ps, &cur, w, SB_ACC_WRITE);
	if (!strcmp(w, "hide"))
		return rule_paths(ps, &cur, w, SB_ACC_NONE);
	if (!strcmp(w, "net"))
		return rule_net(ps, &cur);
	if (!strcmp(w, "procs"))
		return rule_procs(ps, &cur);
	if (!strcmp(w, "syscall"))
		return rule_syscall(ps, &cur);
	if (!strcmp(w, "default"))
		return rule_default(ps, &cur);
	return perr(ps, "unknown rule %s", quote(qb, w));
}

static int parse_text(struct parser *ps, const char *text, size_t len)
{
	char buf[SB_LINE_MAX + 1];
	const char *s, *nl, *hash;
	size_t pos = 0, n;
	int ret;

	ps->line = 0;
	while (pos < len) {
		s = text + pos;
		nl = memchr(s, '\n', len - pos);
		n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl != NULL);
		if (ps->line == INT_MAX)
			return perr(ps, "too many lines");
		ps->line++;
		if (memchr(s, '\0', n))
			return perr(ps, "NUL byte");
		if (n && s[n - 1] == '\r')
			n--;		/* CRLF */
		if (n > SB_LINE_MAX)
			return perr(ps, "line longer than %d bytes", SB_LINE_MAX);
		hash = memchr(s, '#', n);
		if (hash)
			n = (size_t)(hash - s);
		memcpy(buf, s, n);
		buf[n] = '\0';
		ret = parse_line(ps, buf);
		if (ret)
			return ret;
	}
	return 0;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct tmp_rule *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The gathered path rules into the policy: sorted, the last of each path. */
static int finish_paths(struct parser *ps)
{
	struct sb_policy *p = ps->p;
	size_t i, k = 0;

	if (!ps->nrules)
		return 0;
	qsort(ps->rules, ps->nrules, sizeof(*ps->rules), cmp_rule);
	p->paths = calloc(ps->nrules, sizeof(*p->paths));
	if (!p->paths)
		return nomem(ps);
	for (i = 0; i < ps->nrules; i++) {
		struct tmp_rule *r = &ps->rules[i];

		if (i + 1 < ps->nrules && !strcmp(r->path, r[1].path)) {
			free(r->path);
			continue;
		}
		p->paths[k].path = r->path;
		p->paths[k].access = r->access;
		p->paths[k].line = r->line;
		k++;
	}
	p->npaths = k;
	free(ps->rules);
	ps->rules = NULL;
	ps->nrules = ps->caprules = 0;
	return 0;
}

static int parse_top(struct sb_policy *p, const char *name, const char *text, size_t len,
		     const char *cwd, char *err, size_t errlen, int builtin)
{
	struct parser ps;
	size_t i;
	int ret;

	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.name = name ? name : "policy";
	ps.cwd = cwd;
	ps.err = err;
	ps.errlen = errlen;
	ps.builtin = builtin;
	if (err && errlen)
		err[0] = '\0';
	if (!p)
		return perr(&ps, "no policy to fill in");
	memset(p, 0, sizeof(*p));
	p->max_procs = SB_DEFAULT_PROCS;
	if (!text && len)
		return perr(&ps, "no text");
	ret = parse_text(&ps, text ? text : "", len);
	if (!ret)
		ret = finish_paths(&ps);
	if (ret) {
		for (i = 0; i < ps.nrules; i++)
			free(ps.rules[i].path);
		free(ps.rules);
		sb_policy_free(p);
	}
	return ret;
}

int sb_policy_parse(struct sb_policy *p, const char *name, const char *text, size_t len,
		    const char *cwd, char *err, size_t errlen)
{
	return parse_top(p, name, text, len, cwd, err, errlen, 0);
}

int sb_policy_default(struct sb_policy *p, const char *cwd, char *err, size_t errlen)
{
	return parse_top(p, "default", sb_default_policy, sizeof(sb_default_policy) - 1, cwd,
			 err, errlen, 1);
}

static int load_error(char *err, size_t errlen, const char *path, int e, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what ? what : strerror(e));
	return -e;
}

int sb_policy_load(struct sb_policy *p, const char *path, const char *cwd, char *err,
		   size_t errlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap;
	ssize_t r;
	int fd, e, ret;

	if (err && errlen)
		err[0] = '\0';
	if (p)
		memset(p, 0, sizeof(*p));
	if (!p || !path)
		return load_error(err, errlen, path ? path : "(null)", EINVAL, NULL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return load_error(err, errlen, path, errno, NULL);
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return load_error(err, errlen, path, e, NULL);
	}
	if (S_ISREG(st.st_mode) && st.st_size > SB_FILE_MAX) {
		close(fd);
		return load_error(err, errlen, path, EFBIG, "larger than 1 MiB");
	}
	/* Read to the end (a pipe has no size), one byte past the limit. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	for (;;) {
		if (len == cap || !buf) {
			if (buf)
				cap = cap * 2 > SB_FILE_MAX + 1 ? SB_FILE_MAX + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return load_error(err, errlen, path, ENOMEM, NULL);
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			free(buf);
			close(fd);
			return load_error(err, errlen, path, e, NULL);
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SB_FILE_MAX) {
			free(buf);
			close(fd);
			return load_error(err, errlen, path, EFBIG, "larger than 1 MiB");
		}
	}
	close(fd);
	ret = sb_policy_parse(p, path, buf, len, cwd, err, errlen);
	free(buf);
	return ret;
}

void sb_policy_free(struct sb_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->paths && i < p->npaths; i++)
		free(p->paths[i].path);
	free(p->paths);
	free(p->nets);
	memset(p, 0, sizeof(*p));
}
