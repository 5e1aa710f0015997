/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.h - the sandbox's policy: what an untrusted program may do.
 *
 * A policy is data: a small text file (format in apps/sandbox/POLICY.md),
 * parsed and validated here with line-numbered errors.  Pure code (no
 * libdune; paths are handled lexically, the only system calls are the
 * file reads of sb_policy_load()): unit-tested and fuzzed on the host.
 *
 * The format, one rule per line, '#' to the end of a line is a comment,
 * words separated by blanks:
 *
 *   default                 the built-in default rules, here
 *   read  PATH...           PATH (a file, or a directory and all under it)
 *                           may be read, listed, stat'ed and executed
 *   write PATH...           ... and also written, created, removed, renamed
 *   hide  PATH...           no access at all (carves holes in the above)
 *   net none                no network (the default)
 *   net connect ADDR:PORT   may connect / send to ADDR:PORT
 *   net bind ADDR:PORT      may bind ADDR:PORT
 *                           ADDR: an IPv4 literal, [IPv6 literal], or *;
 *                           PORT: 1-65535 or *
 *   procs N                 at most N processes at once (1: no fork), 1-4096
 *   syscall NAME allow      NAME: a system call name (e.g. "openat") or
 *   syscall NAME deny [E]   number; deny returns -E (an errno name such as
 *   syscall NAME kill       EPERM, or a number 1-4095; default EPERM); kill
 *                           stops the program with a violation report
 *
 * Paths: absolute, or relative to the working directory the sandbox was
 * started in (so "write ." is that directory); normalised lexically ("." and
 * ".." resolved, repeated and trailing '/' removed).  The rule with the
 * longest matching path wins (a rule for /a/b matches /a/b and /a/b/...,
 * not /a/bc); no rule: no access.  Later rules for the same path replace
 * earlier ones (so a file can override "default").
 */
#ifndef SANDBOX_POLICY_H
#define SANDBOX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SB_MAX_NR	512		/* system call numbers 0..SB_MAX_NR-1 */

/* Path access levels (ordered: each includes the ones before). */
enum sb_access {
	SB_ACC_NONE = 0,
	SB_ACC_READ = 1,		/* read, stat, list, execute */
	SB_ACC_WRITE = 2,		/* and write, create, remove, rename */
};

/* What to do with a system call. */
enum sb_action {
	SB_ALLOW = 0,
	SB_DENY = 1,			/* return -errno */
	SB_KILL = 2,			/* violation: stop the program */
};

enum sb_net_op {
	SB_NET_CONNECT = 1,		/* connect(), sendto()/sendmsg() with an address */
	SB_NET_BIND = 2,		/* bind() */
};

struct sb_path_rule {
	char *path;			/* normalised, absolute, no trailing '/' ("/" itself for the root) */
	int access;			/* enum sb_access */
	int line;			/* where it was given (0: built-in default) */
};

struct sb_net_rule {
	int op;				/* enum sb_net_op */
	int family;			/* AF_INET or AF_INET6; 0 for ADDR "*" (both) */
	uint8_t addr[16];		/* network byte order (4 bytes for IPv4) */
	int port;			/* 1-65535, or -1 for "*" */
	int line;
};

struct sb_policy {
	struct sb_path_rule *paths;
	size_t npaths;
	struct sb_net_rule *nets;
	size_t nnets;
	uint8_t sys_action[SB_MAX_NR];	/* enum sb_action, per system call number */
	uint16_t sys_errno[SB_MAX_NR];	/* for SB_DENY */
	int sys_line[SB_MAX_NR];	/* line of the rule, 0 if none */
	int max_procs;			/* default 64 */
};

/* The built-in default policy's text (what "default" includes):
 * read-only /usr, /lib, /lib64, /bin, /sbin and a few files of /etc that
 * dynamically linked programs read; the working directory read-write;
 * /dev/null read-write, /dev/zero, /dev/random and /dev/urandom readable;
 * no network;
 * procs 64; every system call the sandbox can check allowed. */
extern const char sb_default_policy[];

/*
 * sb_policy_parse - parse @text (@len bytes, need not be NUL-terminated)
 * into @p (which this initialises; free it with sb_policy_free()).  @name is
 * the file name used in messages, @cwd the absolute working directory that
 * relative paths are resolved against.  Returns 0, or -EINVAL with
 * "NAME:LINE: what is wrong" in @err (e.g. "p.policy:3: unknown rule
 * 'wirte'", "p.policy:7: procs: '0' is not a number from 1 to 4096"),
 * or -ENOMEM.  On failure @p holds nothing to free.
 */
int sb_policy_parse(struct sb_policy *p, const char *name, const char *text, size_t len,
		    const char *cwd, char *err, size_t errlen);

/* sb_policy_load - read the file @path and parse it (messages as above;
 * an unreadable file: "PATH: strerror", -errno; over 1 MiB: -EFBIG). */
int sb_policy_load(struct sb_policy *p, const char *path, const char *cwd, char *err,
		   size_t errlen);

/* sb_policy_default - the built-in default policy for @cwd. */
int sb_policy_default(struct sb_policy *p, const char *cwd, char *err, size_t errlen);

void sb_policy_free(struct sb_policy *p);

/*
 * sb_policy_path_access - the access (enum sb_access) the policy gives the
 * absolute, normalised path @path (the caller resolves symlinks first):
 * that of the longest rule matching it, SB_ACC_NONE if none does.
 */
int sb_policy_path_access(const struct sb_policy *p, const char *path);

/* sb_policy_net_allowed - whether @op to/at the address @sa (AF_INET or
 * AF_INET6; @len its length) is allowed.  Other families: false. */
bool sb_policy_net_allowed(const struct sb_policy *p, int op, const struct sockaddr *sa,
			   socklen_t len);

/*
 * sb_path_normalize - @path made absolute against @cwd (if relative) and
 * normalised lexically as above, into @out (@outlen bytes).  Returns 0,
 * -ENAMETOOLONG, or -EINVAL (empty path, or @cwd not absolute).
 */
int sb_path_normalize(const char *cwd, const char *path, char *out, size_t outlen);

/* ---- names (sysnames.c) ---- */

/* The x86-64 system call number of @name ("openat"), or -1. */
int sb_syscall_nr(const char *name);
/* The name of system call @nr, or NULL. */
const char *sb_syscall_name(int nr);
/* errno number of @name ("EPERM"), or -1; and the name of @err, or NULL. */
int sb_errno_nr(const char *name);
const char *sb_errno_name(int err);

#endif /* SANDBOX_POLICY_H */
