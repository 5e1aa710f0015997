// SPDX-License-Identifier: BSD-3-Clause
/*
 * sys.c - the untrusted program's system calls: each one is checked
 * against the policy and its arguments, then forwarded to the host kernel
 * (from ring 0, through libdune's VMCALL path), emulated, or refused.
 *
 * Rules every call obeys:
 *   - A system call the sandbox has no rule for is a violation: it cannot
 *     tell what the call would let the program do.
 *   - Every pointer argument must lie, with the whole length the kernel
 *     will touch, inside the untrusted range [SB_LO, SB_HI); one outside is
 *     a violation.  The kernel then reads and writes only the program's
 *     memory, with the host's protections (EFAULT as natively).
 *   - What the sandbox itself reads from the program (paths, iovecs,
 *     socket addresses, argv) it copies first, with process_vm_readv (never
 *     a ring-0 dereference), checks the copy, and passes the copy on, so
 *     that nothing can change between the check and the use.
 *   - Paths are resolved (symlinks, "..") by the sandbox before the policy
 *     decides, and the resolved path is what the kernel gets; open() and
 *     openat() use openat2(RESOLVE_NO_SYMLINKS) on it, so a symlink swapped
 *     in after the check makes the open fail instead of escaping.
 *   - Descriptors >= SB_FD_MIN are the sandbox's (/dev/dune, its stderr):
 *     the program cannot name them, and never gets one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <arpa/inet.h>
#include <linux/futex.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef ARCH_SET_GS
#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004
#endif
#define NO_RETURN_VALUE	(-100000L)	/* tf already holds what ring 3 gets */
#define MAX_ARGV	(1 << 16)
#define MAX_ARGBYTES	(2UL << 20)

/* ---- access to the program's memory --------------------------------------------- */

/*
 * Whether the kernel may access [p, p+len) for the program: inside
 * [0, SB_HI).  Below SB_LO nothing is ever mapped (the sandbox never maps
 * there, nor does the host kernel: mmap_min_addr), so such a pointer gets
 * EFAULT from the kernel, as natively.
 */
bool sb_range_ok(uint64_t p, uint64_t len)
{
	if (!len)
		return true;
	return p < SB_HI && len <= SB_HI - p;
}

int sb_copy_in(void *dst, uint64_t src, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)src, len };

	if (!len)
		return 0;
	if (!sb_range_ok(src, len) || src < SB_LO)
		return -EFAULT;
	return process_vm_readv(sb.pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int sb_copy_out(uint64_t dst, const void *src, size_t len)
{
	struct iovec l = { (void *)src, len }, r = { (void *)dst, len };

	if (!len)
		return 0;
	if (!sb_range_ok(dst, len) || dst < SB_LO)
		return -EFAULT;
	return process_vm_writev(sb.pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* A NUL-terminated string of at most @max bytes (with the NUL): its length,
 * -EFAULT, -ENAMETOOLONG, or -ERANGE when it runs on past the program's
 * memory without a NUL (a string the kernel would read into the sandbox's). */
long sb_copy_str(char *dst, uint64_t src, size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t chunk = SB_PAGE - ((src + n) & (SB_PAGE - 1));
		char *z;

		if (chunk > max - n)
			chunk = max - n;
		if (src + n >= SB_HI && src < SB_HI)
			return -ERANGE;	/* runs on into the sandbox's memory */
		if (sb_copy_in(dst + n, src + n, chunk))
			return -EFAULT;
		z = memchr(dst + n, 0, chunk);
		if (z)
			return z - dst;
		n += chunk;
	}
	return -ENAMETOOLONG;
}

/* ---- the current call --------------------------------------------------------------- */

struct call {
	struct dune_tf *tf;
	int nr;
	const char *name;
	uint64_t a[6];
	char path[PATH_MAX];		/* the first path argument, resolved */
	char path2[PATH_MAX];		/* the second (rename, link) */
	const char *why;		/* why it was refused */
	int path_idx;			/* argument that held c->path, or -1 */
	int npins, pins[3];		/* O_PATH descriptors pinning the paths */
	char pinned[3][320];		/* "/proc/self/fd/N[/last]": what the kernel gets */
	bool probe;			/* stat/access/readlink: no note when refused */
};

static const char *call_name(int nr)
{
	const char *n = sb_syscall_name(nr);

	return n ? n : "?";
}

/* The call's name, looked up only when a message needs it. */
static const char *name_of(struct call *c)
{
	if (!c->name)
		c->name = call_name(c->nr);
	return c->name;
}

static void __attribute__((noreturn)) bad_pointer(struct call *c, int i)
{
	sb_violation("pointer argument outside the program's memory: %s(arg %d = %#lx)",
		     name_of(c), i + 1, (unsigned long)c->a[i]);
}

/* Argument @i points at @len bytes the kernel will read or write. */
static void need(struct call *c, int i, uint64_t len)
{
	if (len && !sb_range_ok(c->a[i], len))
		bad_pointer(c, i);
}

/* Argument @i is a descriptor the program may name. */
static int fd_ok(uint64_t fd)
{
	int f = (int)fd;

	return f >= SB_FD_MIN ? -EBADF : 0;
}

/* A descriptor the kernel returned: never one of the sandbox's numbers. */
static long new_fd(long r)
{
	if (r >= SB_FD_MIN) {
		close((int)r);
		return -EMFILE;
	}
	return r;
}

static long deny(struct call *c, long err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static long deny(struct call *c, long err, const char *fmt, ...)
{
	char buf[PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!sb.quiet)
		sb_note("%s: %s", name_of(c), buf);
	c->why = "denied";
	return err;
}

/* ---- paths ---------------------------------------------------------------------------- */

/* The directory @dirfd names (AT_FDCWD: the working directory). */
static int dir_of(int dirfd, char *out)
{
	char link[64];
	ssize_t n;

	if (dirfd == AT_FDCWD)
		return getcwd(out, PATH_MAX) ? 0 : -errno;
	if (dirfd < 0 || dirfd >= SB_FD_MIN)
		return -EBADF;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, out, PATH_MAX - 1);
	if (n < 0)
		return -EBADF;
	out[n] = 0;
	if (out[0] != '/')
		return -ENOTDIR;
	return 0;
}

/* @path resolved against the directory @dirfd names (see path.c). */
static int resolve(int dirfd, const char *path, bool follow, char *out)
{
	char base[PATH_MAX];
	int r;

	if (!path[0])
		return -ENOENT;
	base[0] = 0;
	if (path[0] != '/') {
		r = dir_of(dirfd, base);
		if (r)
			return r;
	}
	return sb_resolve(base, path, follow, out);
}

/*
 * Paths that no policy opens: a process's memory through /proc (of any
 * process: the sandbox's is the program's), the physical memory and I/O
 * devices, and /dev/dune.
 */
static bool always_refused(const char *p)
{
	static const char *const per_pid[] = { "mem", "pagemap", "map_files", "syscall", "stack" };
	static const char *const files[] = { "/dev/mem", "/dev/kmem", "/dev/port", "/proc/kcore",
					     "/dev/dune" };
	const char *q;
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(p, files[i]))
			return true;
	if (strncmp(p, "/proc/", 6))
		return false;
	q = p + 6;
	for (n = 0; q[n] >= '0' && q[n] <= '9'; n++)
		;
	if (!n || q[n] != '/')
		return false;
	q += n + 1;
	if (!strncmp(q, "task/", 5)) {
		q += 5;
		for (n = 0; q[n] >= '0' && q[n] <= '9'; n++)
			;
		if (!n || q[n] != '/')
			return false;
		q += n + 1;
	}
	n = strcspn(q, "/");
	for (i = 0; i < sizeof(per_pid) / sizeof(per_pid[0]); i++)
		if (strlen(per_pid[i]) == n && !strncmp(q, per_pid[i], n))
			return true;
	return false;
}

/* @fd moved to the sandbox's descriptors (>= SB_FD_MIN), or -errno. */
static int fd_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, SB_FD_MIN);
	int e = errno;

	close(fd);
	return hi < 0 ? -e : hi;
}

/*
 * Pin the resolved, checked path @path so that the kernel uses exactly what
 * was checked, whatever another process of the sandbox renames or swaps for
 * a symlink meanwhile: the object itself (for calls that follow the last
 * component, when it exists), or its parent directory, opened with
 * openat2(O_PATH, RESOLVE_NO_SYMLINKS), and named to the kernel through
 * /proc/self/fd/N (a magic link to that very inode).  @buf gets the string
 * the kernel will get.  Returns 0, or the error for the program (-EACCES
 * when a symlink appeared since the check).
 */
static int pin(struct call *c, const char *path, bool follow, char *buf, size_t len)
{
	struct open_how how;
	char parent[PATH_MAX];
	const char *last;
	int fd;

	if (c->npins >= 3)
		return -EINVAL;
	memset(&how, 0, sizeof(how));
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	if (follow) {
		how.flags = O_PATH | O_CLOEXEC;
		fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		if (fd >= 0) {
			fd = fd_high(fd);
			if (fd < 0)
				return fd;
			c->pins[c->npins++] = fd;
			snprintf(buf, len, "/proc/self/fd/%d", fd);
			return 0;
		}
		if (errno == ELOOP)
			goto changed;
		if (errno != ENOENT)
			return -errno;
	}
	if (!strcmp(path, "/")) {
		snprintf(buf, len, "/");
		return 0;
	}
	last = strrchr(path, '/') + 1;
	if (last - path == 1) {
		strcpy(parent, "/");
	} else {
		memcpy(parent, path, last - path - 1);
		parent[last - path - 1] = 0;
	}
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	fd = syscall(SYS_openat2, AT_FDCWD, parent, &how, sizeof(how));
	if (fd < 0) {
		if (errno == ELOOP)
			goto changed;
		return -errno;
	}
	fd = fd_high(fd);
	if (fd < 0)
		return fd;
	c->pins[c->npins++] = fd;
	if ((size_t)snprintf(buf, len, "/proc/self/fd/%d/%s", fd, last) >= len)
		return -ENAMETOOLONG;
	return 0;
changed:
	c->why = "path changed while it was checked";
	return -EACCES;
}

static void unpin(struct call *c)
{
	while (c->npins > 0)
		close(c->pins[--c->npins]);
}

/*
 * Path argument @i of the call (relative to @dirfd), needing @acc: copied,
 * resolved into @out, checked.  Returns 0, or the error for the program
 * (-EACCES when the policy refuses, with a note).
 */
static int path_arg_pin(struct call *c, int i, int dirfd, int acc, bool follow, char *out,
			bool pinned);

/*
 * Whether @path is a directory above something the policy lets the program
 * read ("/" and "/tmp" for "write /tmp/w"): its metadata is not the
 * program's business to hide, and programs stat them (GNU rm stats "/").
 * Only stat-like probes get this; listing and opening stay refused.
 */
static bool ancestor_of_allowed(const char *path)
{
	size_t n = strlen(path), i;

	for (i = 0; i < sb.pol.npaths; i++) {
		const char *r = sb.pol.paths[i].path;

		if (sb.pol.paths[i].access < SB_ACC_READ)
			continue;
		if (!strcmp(path, "/") ? r[1] != 0 :
		    !strncmp(r, path, n) && r[n] == '/')
			return true;
	}
	return false;
}

/* Argument @i: a path, checked and pinned (see pin()) for the kernel. */
static int path_arg(struct call *c, int i, int dirfd, int acc, bool follow, char *out)
{
	return path_arg_pin(c, i, dirfd, acc, follow, out, true);
}

static int path_arg_pin(struct call *c, int i, int dirfd, int acc, bool follow, char *out,
			bool pinned)
{
	char raw[PATH_MAX];
	long n = sb_copy_str(raw, c->a[i], sizeof(raw));
	int r;

	if (n < 0) {
		if (n == -ERANGE || (n == -EFAULT && !sb_range_ok(c->a[i], 1)))
			bad_pointer(c, i);
		return (int)n;
	}
	{
		/* The program's /proc/self/exe is its own executable, not the
		 * sandbox (busybox sh runs its applets through it). */
		char own[48];

		snprintf(own, sizeof(own), "/proc/%d/exe", (int)sb.pid);
		if (!strcmp(raw, "/proc/self/exe") || !strcmp(raw, own))
			snprintf(raw, sizeof(raw), "%s", sb.exe);
	}
	r = resolve(dirfd, raw, follow, out);
	if (r)
		return r;
	if (out == c->path)
		c->path_idx = i;
	if (sb_policy_path_access(&sb.pol, out) < acc && !(c->probe && ancestor_of_allowed(out))) {
		struct stat st;

		/* Probes (stat, access, ...) of paths that do not exist, such as
		 * a PATH search, are refused silently. */
		if ((!c->probe || lstat(out, &st) == 0) && !sb.quiet)
			sb_note("%s \"%s\"%s%s%s: %s not allowed by the policy", name_of(c), raw,
			strcmp(raw, out) ? " (" : "", strcmp(raw, out) ? out : "",
			strcmp(raw, out) ? ")" : "", acc == SB_ACC_WRITE ? "writing" : "reading");
		c->why = "path not allowed";
		return -EACCES;
	}
	if (always_refused(out)) {
		if (!c->probe && !sb.quiet)
			sb_note("%s \"%s\": never allowed (a process's memory, or a device of the machine's)",
				name_of(c), out);
		c->why = "never allowed";
		return -EACCES;
	}
	if (pinned) {
		char *buf = c->pinned[c->npins < 3 ? c->npins : 2];

		r = pin(c, out, follow, buf, sizeof(c->pinned[0]));
		if (r)
			return r;
		c->a[i] = (uint64_t)buf;
	} else {
		c->a[i] = (uint64_t)out;
	}
	return 0;
}

/* ---- the process table (procs N) ------------------------------------------------------ */

#define PROCS_MAX	4096
struct sb_procs {
	int max;
	int lock;
	pid_t pid[PROCS_MAX];		/* 0: free; -1: reserved for a fork */
};

static void procs_lock(void)
{
	while (__atomic_exchange_n(&sb.procs->lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void procs_unlock(void)
{
	__atomic_store_n(&sb.procs->lock, 0, __ATOMIC_RELEASE);
}

int sb_procs_init(int max)
{
	void *m = mmap(NULL, sizeof(struct sb_procs), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	sb.procs = m;
	sb.procs->max = max < 1 ? 1 : max > PROCS_MAX ? PROCS_MAX : max;
	sb.procs->pid[0] = getpid();
	return 0;
}

/* A slot for a new process, or -1 when the policy's limit is reached. */
static int procs_reserve(void)
{
	int i, n = 0, free_slot = -1;

	procs_lock();
	for (i = 0; i < PROCS_MAX; i++) {
		if (sb.procs->pid[i])
			n++;
		else if (free_slot < 0)
			free_slot = i;
	}
	if (n >= sb.procs->max || free_slot < 0)
		free_slot = -1;
	else
		sb.procs->pid[free_slot] = -1;
	procs_unlock();
	return free_slot;
}

static void procs_set(int slot, pid_t pid)
{
	procs_lock();
	sb.procs->pid[slot] = pid;
	procs_unlock();
}

static void procs_del(pid_t pid)
{
	int i;

	if (!sb.procs || pid <= 0)
		return;
	procs_lock();
	for (i = 0; i < PROCS_MAX; i++)
		if (sb.procs->pid[i] == pid)
			sb.procs->pid[i] = 0;
	procs_unlock();
}

static bool procs_has(pid_t pid)
{
	bool found = false;
	int i;

	if (pid <= 0)
		return false;
	procs_lock();
	for (i = 0; i < PROCS_MAX && !found; i++)
		found = sb.procs->pid[i] == pid;
	procs_unlock();
	return found;
}

void sb_procs_exit(void)
{
	procs_del(getpid());
}

/* ---- process calls ----------------------------------------------------------------------- */

static long do_fork(struct call *c, uint64_t flags, uint64_t newsp, uint64_t ctid)
{
	const uint64_t ok = CLONE_VM | CLONE_VFORK | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
			    CSIGNAL;
	int slot, sig = flags & CSIGNAL;
	pid_t pid;

	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return deny(c, -EAGAIN, "threads are not supported in the sandbox");
	if (flags & ~ok)
		return deny(c, -EINVAL, "clone flags %#lx are not supported", (unsigned long)flags);
	if (sig && sig != SIGCHLD)
		return -EINVAL;
	if ((flags & CLONE_CHILD_SETTID) && !sb_range_ok(ctid, 4))
		bad_pointer(c, c->nr == SYS_clone ? 3 : 0);
	if (newsp && !sb_range_ok(newsp - 1, 1))
		bad_pointer(c, 1);
	slot = procs_reserve();
	if (slot < 0)
		return deny(c, -EAGAIN, "more than %d processes (procs in the policy)", sb.procs->max);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		procs_set(slot, 0);
		return -e;
	}
	if (pid == 0) {
		pid_t me = getpid();

		sb.pid = me;
		procs_set(slot, me);
		if (flags & CLONE_CHILD_SETTID)
			sb_copy_out(ctid, &me, 4);
		if (newsp)
			c->tf->rsp = newsp;
		return 0;
	}
	procs_set(slot, pid);
	return pid;
}

static void close_cloexec(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) || fd >= SB_FD_MIN)
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			close(fd);
	}
	closedir(d);
}

/* Copy a NULL-terminated array of strings from the program. */
static char **copy_strv(struct call *c, int i, int *count, size_t *bytes, long *err)
{
	char **v = NULL;
	uint64_t up = c->a[i], p;
	int n = 0, cap = 0;

	*err = 0;
	if (!up) {
		*count = 0;
		return calloc(1, sizeof(char *));
	}
	for (;;) {
		char *s;
		long len;

		if (n >= MAX_ARGV) {
			*err = -E2BIG;
			break;
		}
		if (sb_copy_in(&p, up + 8UL * n, 8)) {
			if (!sb_range_ok(up + 8UL * n, 8))
				bad_pointer(c, i);
			*err = -EFAULT;
			break;
		}
		if (n + 1 >= cap) {
			char **nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(char *));
			if (!nv) {
				*err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n] = NULL;
		if (!p)
			break;
		s = malloc(128 << 10);
		if (!s) {
			*err = -ENOMEM;
			break;
		}
		len = sb_copy_str(s, p, 128 << 10);
		if (len < 0) {
			free(s);
			if (len == -ERANGE || (len == -EFAULT && !sb_range_ok(p, 1)))
				bad_pointer(c, i);
			*err = len == -ENAMETOOLONG ? -E2BIG : len;
			break;
		}
		*bytes += len + 1 + 8;
		if (*bytes > MAX_ARGBYTES) {
			free(s);
			*err = -E2BIG;
			break;
		}
		v[n++] = realloc(s, len + 1) ?: s;
		v[n] = NULL;
	}
	if (*err) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return NULL;
	}
	*count = n;
	return v;
}

static void free_strv(char **v)
{
	int i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* "#!interp [arg]" at the start of @path: fills @interp and @arg. */
static bool shebang(const char *path, char *interp, char *arg)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *e;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return false;
	buf[n] = 0;
	e = strchr(buf, '\n');
	if (!e)
		return false;
	*e = 0;
	for (p = buf + 2; *p == ' ' || *p == '\t'; p++)
		;
	n = strcspn(p, " \t");
	if (!n || n >= PATH_MAX)
		return false;
	memcpy(interp, p, n);
	interp[n] = 0;
	for (p += n; *p == ' ' || *p == '\t'; p++)
		;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = 0;
	strcpy(arg, p);
	return true;
}

static long do_execve(struct call *c, int dirfd, int pi, int ai, int ei, int flags)
{
	char **argv = NULL, **envp = NULL, err[512], interp[PATH_MAX], iarg[256], real[PATH_MAX];
	char exe[PATH_MAX];
	int argc = 0, envc = 0, r;
	size_t bytes = 0;
	struct stat st;
	long e;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = path_arg(c, pi, dirfd, SB_ACC_READ, !(flags & AT_SYMLINK_NOFOLLOW), c->path);
	if (r)
		return r;
	if ((flags & AT_SYMLINK_NOFOLLOW) && lstat(c->path, &st) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	/* From here on, the file is the pinned one (see pin()). */
	snprintf(real, sizeof(real), "%s", (const char *)c->a[pi]);
	snprintf(exe, sizeof(exe), "%s", c->path);
	if (access(real, X_OK))
		return -errno;
	argv = copy_strv(c, ai, &argc, &bytes, &e);
	if (!argv)
		return e;
	envp = copy_strv(c, ei, &envc, &bytes, &e);
	if (!envp) {
		free_strv(argv);
		return e;
	}
	r = sb_exec_check(real, err, sizeof(err));
	if (r == -ENOEXEC && shebang(real, interp, iarg)) {
		/* A script: its interpreter, with the script's path. */
		char **nv = calloc(argc + 4, sizeof(char *));
		int k = 0, j;

		r = resolve(AT_FDCWD, interp, true, exe);
		if (!r && (sb_policy_path_access(&sb.pol, exe) < SB_ACC_READ || always_refused(exe)))
			r = deny(c, -EACCES, "interpreter \"%s\" not allowed by the policy", interp);
		if (!r)
			r = pin(c, exe, true, c->pinned[c->npins < 3 ? c->npins : 2], sizeof(c->pinned[0]));
		if (!r)
			snprintf(real, sizeof(real), "%s", c->pinned[c->npins - 1]);
		if (!r && access(real, X_OK))
			r = -errno;
		if (!r)
			r = sb_exec_check(real, err, sizeof(err));
		if (!r && !nv)
			r = -ENOMEM;
		if (!r) {
			nv[k++] = strdup(interp);
			if (iarg[0])
				nv[k++] = strdup(iarg);
			nv[k++] = strdup(c->path);
			for (j = 1; j < argc; j++)
				nv[k++] = argv[j];
			if (argc > 0)
				free(argv[0]);
			free(argv);
			argv = nv;
			argc = k;
			nv = NULL;
		}
		free(nv);
	}
	if (r) {
		free_strv(argv);
		free_strv(envp);
		return r;
	}
	/* The point of no return: the old image goes. */
	strcpy(sb.exe, exe);
	sb_exec_reset_signals();
	close_cloexec();
	r = sb_load(real, argv, argc, envp, envc, c->tf, err, sizeof(err));
	free_strv(argv);
	free_strv(envp);
	if (r) {
		char msg[700];
		int n = snprintf(msg, sizeof(msg), "sandbox[%d]: exec failed after the old image was gone: %s\n",
				 (int)sb.pid, err);

		if (write(sb.out, msg, n) < 0)
			(void)0;
		sb_exit_group(127);
	}
	return NO_RETURN_VALUE;
}

/* ---- sockets -------------------------------------------------------------------------------- */

/* Check a socket address the program gives (connect, bind, sendto): copied
 * into @buf, which replaces argument @i.  Returns 0 or -errno. */
static int sockaddr_arg(struct call *c, int i, uint64_t len, int op, struct sockaddr_storage *buf)
{
	if (len > sizeof(*buf) || len < sizeof(sa_family_t))
		return -EINVAL;
	need(c, i, len);
	if (sb_copy_in(buf, c->a[i], len))
		return -EFAULT;
	switch (buf->ss_family) {
	case AF_UNIX: {
		struct sockaddr_un *u = (struct sockaddr_un *)buf;
		char p[sizeof(u->sun_path) + 1];
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		int r;

		if (n == 0 || u->sun_path[0] == 0)
			return deny(c, -EACCES, "abstract or unnamed unix socket address");
		memcpy(p, u->sun_path, n);
		p[n] = 0;
		r = resolve(AT_FDCWD, p, op != SB_NET_BIND, c->path2);
		if (r)
			return r;
		if (sb_policy_path_access(&sb.pol, c->path2) < SB_ACC_WRITE || always_refused(c->path2))
			return deny(c, -EACCES, "unix socket \"%s\" not allowed by the policy", p);
		/* Pinned (see pin()) when the pinned name fits the address given. */
		{
			char *pb = c->pinned[c->npins < 3 ? c->npins : 2];

			r = pin(c, c->path2, op != SB_NET_BIND, pb, sizeof(c->pinned[0]));
			if (r)
				return r;
			if (strlen(pb) < n) {
				memset(u->sun_path, 0, n);
				memcpy(u->sun_path, pb, strlen(pb));
			}
		}
		break;
	}
	case AF_INET:
	case AF_INET6:
		if (!sb_policy_net_allowed(&sb.pol, op, (struct sockaddr *)buf, len)) {
			char a[64] = "?";
			int port = 0;

			if (buf->ss_family == AF_INET) {
				struct sockaddr_in *s = (struct sockaddr_in *)buf;

				inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
				port = ntohs(s->sin_port);
			} else if (len >= sizeof(struct sockaddr_in6)) {
				struct sockaddr_in6 *s = (struct sockaddr_in6 *)buf;

				inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
				port = ntohs(s->sin6_port);
			}
			return deny(c, -EACCES, "%s %s port %d: not allowed by the policy",
				    op == SB_NET_BIND ? "bind to" : "connect to", a, port);
		}
		break;
	default:
		return deny(c, -EAFNOSUPPORT, "address family %d", buf->ss_family);
	}
	c->a[i] = (uint64_t)buf;
	return 0;
}

/* An address the kernel writes back (accept, getsockname, recvfrom): the
 * length at a[li], the buffer at a[bi]. */
static int sockaddr_out(struct call *c, int bi, int li)
{
	uint32_t len;

	if (!c->a[bi])
		return 0;
	need(c, li, 4);
	if (sb_copy_in(&len, c->a[li], 4))
		return -EFAULT;
	need(c, bi, len);
	return 0;
}

/* struct msghdr of sendmsg/recvmsg: copied with its iovec, and (sendmsg)
 * its control data (descriptors passed must be the program's). */
static long do_msg(struct call *c, bool send)
{
	struct msghdr m;
	struct iovec *iov = NULL;
	struct sockaddr_storage addr;
	void *ctl = NULL;
	long r;
	size_t k;

	need(c, 1, sizeof(m));
	if (sb_copy_in(&m, c->a[1], sizeof(m)))
		return -EFAULT;
	if (m.msg_iovlen > 1024)
		return -EMSGSIZE;
	if (m.msg_name && m.msg_namelen) {
		if (send) {
			c->a[4] = (uint64_t)m.msg_name;
			r = sockaddr_arg(c, 4, m.msg_namelen, SB_NET_CONNECT, &addr);
			if (r)
				return r;
			m.msg_name = &addr;
		} else if (!sb_range_ok((uint64_t)m.msg_name, m.msg_namelen)) {
			bad_pointer(c, 1);
		}
	}
	if (m.msg_iovlen) {
		iov = calloc(m.msg_iovlen, sizeof(*iov));
		if (!iov)
			return -ENOMEM;
		if (!sb_range_ok((uint64_t)m.msg_iov, m.msg_iovlen * sizeof(*iov)))
			bad_pointer(c, 1);
		if (sb_copy_in(iov, (uint64_t)m.msg_iov, m.msg_iovlen * sizeof(*iov))) {
			free(iov);
			return -EFAULT;
		}
		for (k = 0; k < m.msg_iovlen; k++)
			if (!sb_range_ok((uint64_t)iov[k].iov_base, iov[k].iov_len))
				bad_pointer(c, 1);
		m.msg_iov = iov;
	}
	if (m.msg_control && m.msg_controllen) {
		if (m.msg_controllen > 65536 || !sb_range_ok((uint64_t)m.msg_control, m.msg_controllen))
			bad_pointer(c, 1);
		if (send) {
			struct cmsghdr *cm;

			ctl = malloc(m.msg_controllen);
			if (!ctl || sb_copy_in(ctl, (uint64_t)m.msg_control, m.msg_controllen)) {
				free(ctl);
				free(iov);
				return ctl ? -EFAULT : -ENOMEM;
			}
			m.msg_control = ctl;
			for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
					int *fds = (int *)CMSG_DATA(cm);
					size_t nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int), j;

					for (j = 0; j < nf; j++)
						if (fds[j] >= SB_FD_MIN) {
							free(ctl);
							free(iov);
							return -EBADF;
						}
				}
			}
		}
	}
	if (send) {
		r = sendmsg((int)c->a[0], &m, (int)c->a[2]);
	} else {
		struct msghdr um;

		r = recvmsg((int)c->a[0], &m, (int)c->a[2] | MSG_CMSG_CLOEXEC);
		if (r >= 0) {
			if (sb_copy_in(&um, c->a[1], sizeof(um)) == 0) {
				um.msg_namelen = m.msg_namelen;
				um.msg_controllen = m.msg_controllen;
				um.msg_flags = m.msg_flags;
				sb_copy_out(c->a[1], &um, sizeof(um));
			}
		} else {
			r = -errno;
		}
		free(iov);
		return r;
	}
	free(ctl);
	free(iov);
	return r < 0 ? -errno : r;
}

/* ---- iovecs ------------------------------------------------------------------------------------- */

static long do_iov(struct call *c, int vi, int ci)
{
	struct iovec *iov;
	uint64_t n = c->a[ci], k;
	long r;

	if (n > 1024)
		return -EINVAL;
	need(c, vi, n * sizeof(struct iovec));
	iov = calloc(n ? n : 1, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	if (sb_copy_in(iov, c->a[vi], n * sizeof(*iov))) {
		free(iov);
		return -EFAULT;
	}
	for (k = 0; k < n; k++)
		if (!sb_range_ok((uint64_t)iov[k].iov_base, iov[k].iov_len))
			sb_violation("pointer argument outside the program's memory: %s(arg %d = %#lx: "
				     "iov[%lu] = { %#lx, %lu })", name_of(c), vi + 1,
				     (unsigned long)c->a[vi], (unsigned long)k,
				     (unsigned long)iov[k].iov_base, (unsigned long)iov[k].iov_len);
	c->a[vi] = (uint64_t)iov;
	r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	free(iov);
	return r < 0 ? -errno : r;
}

/* ---- the dispatcher ---------------------------------------------------------------------------- */

static long forward(struct call *c)
{
	long r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);

	return r < 0 ? -errno : r;
}

/* Access a path needs for open flags @fl. */
static int open_access(uint64_t fl)
{
	if ((fl & O_ACCMODE) != O_RDONLY || (fl & (O_CREAT | O_TRUNC)))
		return SB_ACC_WRITE;
	return SB_ACC_READ;
}

static long do_open(struct call *c, int dirfd, int pi, uint64_t flags, uint64_t mode)
{
	struct open_how how;
	bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
	int r, fd;

	if (dirfd != AT_FDCWD && (r = fd_ok(dirfd)))
		return r;
	r = path_arg_pin(c, pi, dirfd, open_access(flags), follow, c->path, false);
	if (r)
		return r;
	memset(&how, 0, sizeof(how));
	how.flags = flags & (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
			     O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY |
			     O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE | FASYNC);
	how.flags |= O_LARGEFILE;
	if (flags & (O_CREAT | __O_TMPFILE))
		how.mode = mode & 07777;
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, AT_FDCWD, c->path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	return new_fd(fd);
}

/* *at() path calls: dirfd at @di (-1: none, AT_FDCWD), path at @pi, checked
 * and pinned into @out (c->path, or c->path2 for the second path of
 * rename/link). */
static long path_at(struct call *c, int di, int pi, int acc, bool follow, char *out)
{
	int dirfd = di >= 0 ? (int)c->a[di] : AT_FDCWD;
	int r;

	if (di >= 0 && dirfd != AT_FDCWD && (r = fd_ok(dirfd)))
		return r;
	r = path_arg(c, pi, dirfd, acc, follow, out);
	if (r)
		return r;
	if (di >= 0)
		c->a[di] = (uint64_t)AT_FDCWD;
	return 0;
}

static long path_call(struct call *c, int di, int pi, int acc, bool follow)
{
	return path_at(c, di, pi, acc, follow, c->path);
}

static long path_call2(struct call *c, int di, int pi, int acc, bool follow)
{
	return path_at(c, di, pi, acc, follow, c->path2);
}

/* stat-like calls on (dirfd, path, flags): "" with AT_EMPTY_PATH is the fd. */
static long stat_at(struct call *c, int di, int pi, int fi, size_t outsz, int oi)
{
	char first;
	long r;

	need(c, oi, outsz);
	if (sb_copy_in(&first, c->a[pi], 1) == 0 && first == 0 && (c->a[fi] & AT_EMPTY_PATH)) {
		if ((r = fd_ok(c->a[di])))
			return r;
		return forward(c);
	}
	r = path_call(c, di, pi, SB_ACC_READ, !(c->a[fi] & AT_SYMLINK_NOFOLLOW));
	return r ? r : forward(c);
}

static long do_ioctl(struct call *c)
{
	uint64_t req = c->a[1] & 0xffffffff;
	size_t sz;

	switch (req) {
	case TCGETS: sz = 36; break;
	case TCSETS: case TCSETSW: case TCSETSF: sz = 36; break;
	case TIOCGWINSZ: case TIOCSWINSZ: sz = 8; break;
	case TIOCGPGRP: case TIOCSPGRP: case FIONREAD: case FIONBIO: case TIOCGSID: sz = 4; break;
	case FIOCLEX: case FIONCLEX: case TCFLSH: case TCXONC: case TCSBRK: sz = 0; break;
	default:
		c->why = "ioctl not allowed";
		return -ENOTTY;
	}
	if (sz)
		need(c, 2, sz);
	return forward(c);
}

static long do_fcntl(struct call *c)
{
	switch ((int)c->a[1]) {
	case F_DUPFD: case F_DUPFD_CLOEXEC:
		if (c->a[2] >= SB_FD_MIN)
			return -EINVAL;
		return new_fd(forward(c));
	case F_SETOWN:
		/* SIGIO goes to the owner: only this process (kill()'s rule). */
		if ((int)c->a[2] != 0 && (int)c->a[2] != sb.pid)
			return deny(c, -EPERM, "SIGIO owner %d is not this process", (int)c->a[2]);
		return forward(c);
	case F_GETFD: case F_SETFD: case F_GETFL: case F_SETFL: case F_GETOWN:
	case F_SETPIPE_SZ: case F_GETPIPE_SZ: case F_ADD_SEALS: case F_GET_SEALS: case F_GETSIG:
		return forward(c);
	case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK:
	case F_OFD_SETLKW:
		need(c, 2, sizeof(struct flock));
		return forward(c);
	default:
		return -EINVAL;
	}
}

static bool kill_ok(struct call *c, long pid)
{
	if (pid == sb.pid || procs_has((pid_t)pid))
		return true;
	deny(c, 0, "signal to process %ld, which is not in the sandbox", pid);
	return false;
}

static long sb_dispatch(struct call *c)
{
	uint64_t *a = c->a;
	long r;

	switch (c->nr) {
	/* ---- memory: emulated inside the untrusted range */
	case SYS_brk: return sb_brk(a[0]);
	case SYS_mmap: return sb_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
	case SYS_munmap: return sb_munmap(a[0], a[1]);
	case SYS_mprotect: return sb_mprotect(a[0], a[1], (int)a[2]);
	case SYS_mremap: return sb_mremap(a[0], a[1], a[2], (int)a[3], a[4]);
	case SYS_madvise: return sb_madvise(a[0], a[1], (int)a[2]);
	case SYS_msync: case SYS_mincore: {
		/* Queries of the mappings (gnulib probes the stack with
		 * mincore): outside the program's mappings, -ENOMEM as for an
		 * unmapped range, whatever the sandbox has there. */
		uint64_t len = SB_PAGE_UP(a[1]);

		if (a[0] & (SB_PAGE - 1) || len < a[1])
			return -EINVAL;
		if (!len)
			return 0;
		if (a[0] < SB_LO || a[0] >= SB_HI || len > SB_HI - a[0] ||
		    !sb_vma_covered(&sb.vmas, a[0], a[0] + len))
			return -ENOMEM;
		if (c->nr == SYS_mincore)
			need(c, 2, len / SB_PAGE);
		return forward(c);
	}

	/* ---- descriptors and data */
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, a[2]);
		return forward(c);
	case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2:
	case SYS_pwritev2:
		if ((r = fd_ok(a[0])))
			return r;
		return do_iov(c, 1, 2);
	case SYS_close:
		if ((r = fd_ok(a[0])))
			return r;
		return forward(c);
	case SYS_close_range:
		if (a[0] >= SB_FD_MIN)
			return 0;
		if (a[1] >= SB_FD_MIN)
			a[1] = SB_FD_MIN - 1;
		return forward(c);
	case SYS_dup:
		if ((r = fd_ok(a[0])))
			return r;
		return new_fd(forward(c));
	case SYS_dup2: case SYS_dup3:
		if ((r = fd_ok(a[0])) || (r = fd_ok(a[1])))
			return r;
		return forward(c);
	case SYS_fcntl:
		if ((r = fd_ok(a[0])))
			return r;
		return do_fcntl(c);
	case SYS_ioctl:
		if ((r = fd_ok(a[0])))
			return r;
		return do_ioctl(c);
	case SYS_lseek: case SYS_fsync: case SYS_fdatasync: case SYS_flock: case SYS_ftruncate:
	case SYS_fchmod: case SYS_fchown: case SYS_fadvise64: case SYS_fallocate: case SYS_fchdir:
	case SYS_syncfs: case SYS_readahead: case SYS_listen: case SYS_shutdown:
		if ((r = fd_ok(a[0])))
			return r;
		return forward(c);
	case SYS_fstat:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, sizeof(struct stat));
		return forward(c);
	case SYS_fstatfs:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, 120);
		return forward(c);
	case SYS_getdents64: case SYS_getdents:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, a[2]);
		return forward(c);
	case SYS_sendfile:
		if ((r = fd_ok(a[0])) || (r = fd_ok(a[1])))
			return r;
		need(c, 2, a[2] ? 8 : 0);
		return forward(c);
	case SYS_copy_file_range: case SYS_splice:
		if ((r = fd_ok(a[0])) || (r = fd_ok(a[2])))
			return r;
		need(c, 1, a[1] ? 8 : 0);
		need(c, 3, a[3] ? 8 : 0);
		return forward(c);
	case SYS_tee:
		if ((r = fd_ok(a[0])) || (r = fd_ok(a[1])))
			return r;
		return forward(c);
	case SYS_pipe: case SYS_pipe2: {
		int fds[2];

		need(c, 0, 8);
		if (pipe2(fds, c->nr == SYS_pipe2 ? (int)a[1] : 0))
			return -errno;
		if (fds[0] >= SB_FD_MIN || fds[1] >= SB_FD_MIN || sb_copy_out(a[0], fds, 8)) {
			close(fds[0]);
			close(fds[1]);
			return fds[0] >= SB_FD_MIN || fds[1] >= SB_FD_MIN ? -EMFILE : -EFAULT;
		}
		return 0;
	}
	case SYS_eventfd2: case SYS_epoll_create1: case SYS_epoll_create: case SYS_inotify_init1:
	case SYS_timerfd_create:
		return new_fd(forward(c));
	case SYS_memfd_create: {
		char name[256];

		switch (sb_copy_str(name, a[0], sizeof(name))) {
		case -ERANGE:
			bad_pointer(c, 0);
		case -EFAULT: case -ENAMETOOLONG:
			need(c, 0, 1);
			return -EFAULT;
		}
		a[0] = (uint64_t)name;
		return new_fd(forward(c));
	}
	case SYS_timerfd_settime:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 2, 32);
		need(c, 3, a[3] ? 32 : 0);
		return forward(c);
	case SYS_timerfd_gettime:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, 32);
		return forward(c);
	case SYS_epoll_ctl:
		if ((r = fd_ok(a[0])) || (r = fd_ok(a[2])))
			return r;
		need(c, 3, a[3] ? 12 : 0);
		return forward(c);
	case SYS_epoll_wait: case SYS_epoll_pwait:
		if ((r = fd_ok(a[0])))
			return r;
		if ((int)a[2] <= 0 || a[2] > 65536)
			return -EINVAL;
		need(c, 1, a[2] * 12);
		if (c->nr == SYS_epoll_pwait)
			need(c, 4, a[4] ? 8 : 0);
		return forward(c);
	case SYS_poll: case SYS_ppoll:
		if (a[1] > 65536)
			return -EINVAL;
		need(c, 0, a[1] * 8);
		if (c->nr == SYS_ppoll) {	/* poll's third argument is an int */
			need(c, 2, a[2] ? 16 : 0);
			need(c, 3, a[3] ? 8 : 0);
		}
		return forward(c);
	case SYS_select: case SYS_pselect6:
		if (a[0] > 1024)
			return -EINVAL;
		need(c, 1, a[1] ? 128 : 0);
		need(c, 2, a[2] ? 128 : 0);
		need(c, 3, a[3] ? 128 : 0);
		need(c, 4, a[4] ? 16 : 0);
		if (c->nr == SYS_pselect6)	/* { const sigset_t *, size_t } */
			need(c, 5, a[5] ? 16 : 0);
		return forward(c);

	case SYS_mlock: case SYS_munlock:
		need(c, 0, a[1]);
		return forward(c);
	case SYS_mlockall: case SYS_munlockall:
		return -EPERM;
	case SYS_sync_file_range:
		if ((r = fd_ok(a[0])))
			return r;
		return forward(c);
	case SYS_inotify_add_watch:
		if ((r = fd_ok(a[0])))
			return r;
		r = path_call(c, -1, 1, SB_ACC_READ, !(a[2] & IN_DONT_FOLLOW));
		return r ? r : forward(c);
	case SYS_inotify_rm_watch:
		if ((r = fd_ok(a[0])))
			return r;
		return forward(c);
	case SYS_getxattr: case SYS_lgetxattr: case SYS_listxattr: case SYS_llistxattr:
	case SYS_fgetxattr: case SYS_flistxattr: {
		bool list = c->nr == SYS_listxattr || c->nr == SYS_llistxattr || c->nr == SYS_flistxattr;
		bool fdcall = c->nr == SYS_fgetxattr || c->nr == SYS_flistxattr;
		char name[256];

		need(c, list ? 1 : 2, list ? a[2] : a[3]);
		if (!list) {
			long n = sb_copy_str(name, a[1], sizeof(name));

			if (n == -ERANGE)
				bad_pointer(c, 1);
			if (n < 0) {
				need(c, 1, 1);
				return n == -ENAMETOOLONG ? -ERANGE : -EFAULT;
			}
			a[1] = (uint64_t)name;
		}
		if (fdcall) {
			if ((r = fd_ok(a[0])))
				return r;
			return forward(c);
		}
		r = path_call(c, -1, 0, SB_ACC_READ, c->nr == SYS_getxattr || c->nr == SYS_listxattr);
		return r ? r : forward(c);
	}

	/* ---- paths */
	case SYS_open: case SYS_creat:
		return do_open(c, AT_FDCWD, 0, c->nr == SYS_creat ? (O_CREAT | O_WRONLY | O_TRUNC) : a[1],
			       c->nr == SYS_creat ? a[1] : a[2]);
	case SYS_openat:
		return do_open(c, (int)a[0], 1, a[2], a[3]);
	case SYS_stat: case SYS_lstat:
		need(c, 1, sizeof(struct stat));
		r = path_call(c, -1, 0, SB_ACC_READ, c->nr == SYS_stat);
		return r ? r : forward(c);
	case SYS_newfstatat:
		return stat_at(c, 0, 1, 3, sizeof(struct stat), 2);
	case SYS_statx:
		return stat_at(c, 0, 1, 2, 256, 4);
	case SYS_statfs:
		need(c, 1, 120);
		r = path_call(c, -1, 0, SB_ACC_READ, true);
		return r ? r : forward(c);
	case SYS_access:
		r = path_call(c, -1, 0, SB_ACC_READ, true);
		return r ? r : forward(c);
	case SYS_faccessat: case SYS_faccessat2:
		r = path_call(c, 0, 1, SB_ACC_READ, !(c->nr == SYS_faccessat2 && (a[3] & AT_SYMLINK_NOFOLLOW)));
		return r ? r : forward(c);
	case SYS_readlink: case SYS_readlinkat: {
		int pi = c->nr == SYS_readlink ? 0 : 1;
		char raw[PATH_MAX];

		need(c, pi + 1, a[pi + 2]);
		if (sb_copy_str(raw, a[pi], sizeof(raw)) > 0 && !strcmp(raw, "/proc/self/exe")) {
			size_t n = strlen(sb.exe);

			if (n > a[pi + 2])
				n = a[pi + 2];
			return sb_copy_out(a[pi + 1], sb.exe, n) ? -EFAULT : (long)n;
		}
		r = path_call(c, pi ? 0 : -1, pi, SB_ACC_READ, false);
		return r ? r : forward(c);
	}
	case SYS_chdir:
		r = path_call(c, -1, 0, SB_ACC_READ, true);
		return r ? r : forward(c);
	case SYS_getcwd:
		need(c, 0, a[1]);
		return forward(c);
	case SYS_mkdir: case SYS_rmdir: case SYS_unlink:
		r = path_call(c, -1, 0, SB_ACC_WRITE, false);
		return r ? r : forward(c);
	case SYS_mkdirat: case SYS_unlinkat:
		r = path_call(c, 0, 1, SB_ACC_WRITE, false);
		return r ? r : forward(c);
	case SYS_chmod: case SYS_chown: case SYS_truncate: case SYS_utime: case SYS_utimes:
		r = path_call(c, -1, 0, SB_ACC_WRITE, true);
		if (!r && (c->nr == SYS_utime || c->nr == SYS_utimes))
			need(c, 1, a[1] ? 16 * (c->nr == SYS_utimes ? 2 : 1) : 0);
		return r ? r : forward(c);
	case SYS_lchown:
		r = path_call(c, -1, 0, SB_ACC_WRITE, false);
		return r ? r : forward(c);
	case SYS_fchmodat:
		r = path_call(c, 0, 1, SB_ACC_WRITE, true);
		return r ? r : forward(c);
	case SYS_fchownat:
		r = path_call(c, 0, 1, SB_ACC_WRITE, !(a[4] & AT_SYMLINK_NOFOLLOW));
		return r ? r : forward(c);
	case SYS_utimensat:
		need(c, 2, a[2] ? 32 : 0);
		if (!a[1]) {	/* futimens */
			if ((r = fd_ok(a[0])))
				return r;
			return forward(c);
		}
		r = path_call(c, 0, 1, SB_ACC_WRITE, !(a[3] & AT_SYMLINK_NOFOLLOW));
		return r ? r : forward(c);
	case SYS_rename: case SYS_link:
		r = path_call(c, -1, 0, SB_ACC_WRITE, false);
		if (!r)
			r = path_call2(c, -1, 1, SB_ACC_WRITE, false);
		return r ? r : forward(c);
	case SYS_renameat: case SYS_renameat2: case SYS_linkat:
		r = path_call(c, 0, 1, SB_ACC_WRITE, c->nr == SYS_linkat && (a[4] & AT_SYMLINK_FOLLOW));
		if (!r)
			r = path_call2(c, 2, 3, SB_ACC_WRITE, false);
		return r ? r : forward(c);
	case SYS_symlink: case SYS_symlinkat: {
		/* The target is the link's content: any string; the link itself
		 * must be in a writable place. */
		char tgt[PATH_MAX];
		int li = c->nr == SYS_symlink ? 1 : 2;

		switch (sb_copy_str(tgt, a[0], sizeof(tgt))) {
		case -ERANGE:
			bad_pointer(c, 0);
		case -EFAULT: case -ENAMETOOLONG:
			need(c, 0, 1);
			return -EFAULT;
		}
		r = c->nr == SYS_symlink ? path_call2(c, -1, 1, SB_ACC_WRITE, false) :
					   path_call2(c, 1, 2, SB_ACC_WRITE, false);
		(void)li;
		if (r)
			return r;
		a[0] = (uint64_t)tgt;
		return forward(c);
	}
	case SYS_mknod: case SYS_mknodat:
		return deny(c, -EPERM, "creating device nodes is not allowed");

	/* ---- processes */
	case SYS_fork: return do_fork(c, SIGCHLD, 0, 0);
	case SYS_vfork: return do_fork(c, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0);
	case SYS_clone: return do_fork(c, a[0], a[1], a[3]);
	case SYS_clone3: return -ENOSYS;	/* glibc falls back to clone() */
	case SYS_execve: return do_execve(c, AT_FDCWD, 0, 1, 2, 0);
	case SYS_execveat:
		if (a[0] != (uint64_t)AT_FDCWD && (r = fd_ok(a[0])))
			return r;
		return do_execve(c, (int)a[0], 1, 2, 3, (int)a[4]);
	case SYS_exit: case SYS_exit_group:
		sb_exit_group((int)a[0]);
	case SYS_wait4: {
		int status = 0;

		need(c, 1, a[1] ? 4 : 0);
		need(c, 3, a[3] ? sizeof(struct rusage) : 0);
		r = syscall(SYS_wait4, a[0], &status, a[2], a[3]);
		if (r < 0)
			return -errno;
		if (r > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
			procs_del((pid_t)r);
		if (a[1] && sb_copy_out(a[1], &status, 4))
			return -EFAULT;
		return r;
	}
	case SYS_waitid: {
		siginfo_t si;

		need(c, 2, a[2] ? sizeof(siginfo_t) : 0);
		need(c, 4, a[4] ? sizeof(struct rusage) : 0);
		memset(&si, 0, sizeof(si));
		r = syscall(SYS_waitid, a[0], a[1], &si, a[3], a[4]);
		if (r < 0)
			return -errno;
		if (si.si_pid && !(a[3] & WNOWAIT) && (si.si_code == CLD_EXITED ||
		    si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED))
			procs_del(si.si_pid);
		if (a[2] && sb_copy_out(a[2], &si, sizeof(si)))
			return -EFAULT;
		return r;
	}
	case SYS_kill:
		if ((long)a[0] <= 0)
			return deny(c, -EPERM, "signal to a process group or to every process");
		if (!kill_ok(c, (long)a[0]))
			return -EPERM;
		return forward(c);
	case SYS_tkill:
		if (!kill_ok(c, (long)a[0]))
			return -EPERM;
		return forward(c);
	case SYS_tgkill:
		if (!kill_ok(c, (long)a[0]))
			return -EPERM;
		return forward(c);
	case SYS_getpid: case SYS_getppid: case SYS_gettid: case SYS_getuid: case SYS_geteuid:
	case SYS_getgid: case SYS_getegid: case SYS_getpgrp: case SYS_setsid: case SYS_getsid:
	case SYS_getpgid: case SYS_setpgid: case SYS_umask: case SYS_sched_yield: case SYS_pause:
	case SYS_alarm: case SYS_sync: case SYS_getpriority: case SYS_sched_getscheduler:
	case SYS_sched_get_priority_max: case SYS_sched_get_priority_min:
	case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid: case SYS_setresuid:
	case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
		return forward(c);
	case SYS_set_tid_address:
		return gettid();
	case SYS_set_robust_list: case SYS_rseq: case SYS_get_robust_list:
		return -ENOSYS;
	case SYS_restart_syscall:
		return -EINTR;
	case SYS_setpriority:
		if (a[0] != PRIO_PROCESS || (a[1] && a[1] != (uint64_t)sb.pid))
			return -EPERM;
		return forward(c);
	case SYS_getresuid: case SYS_getresgid:
		need(c, 0, 4);
		need(c, 1, 4);
		need(c, 2, 4);
		return forward(c);
	case SYS_getgroups:
		if ((int)a[0] < 0 || a[0] > 65536)
			return -EINVAL;
		need(c, 1, a[0] * 4);
		return forward(c);
	case SYS_personality:
		if (a[0] != 0xffffffffUL && a[0] != 0)
			return -EPERM;
		return forward(c);
	case SYS_prctl:
		switch ((int)a[0]) {
		case PR_SET_NAME: case PR_GET_NAME:
			need(c, 1, 16);
			return forward(c);
		case PR_SET_PDEATHSIG: case PR_GET_DUMPABLE: case PR_SET_DUMPABLE:
			return forward(c);
		case PR_GET_PDEATHSIG:
			need(c, 1, 4);
			return forward(c);
		default:
			return -EINVAL;
		}
	case SYS_arch_prctl:
		switch ((int)a[0]) {
		case ARCH_SET_FS:
			if (!sb_range_ok(a[1], 1) && a[1])
				bad_pointer(c, 1);
			c->tf->fs_base = a[1];
			return 0;
		case ARCH_GET_FS:
			need(c, 1, 8);
			return sb_copy_out(a[1], &c->tf->fs_base, 8) ? -EFAULT : 0;
		case ARCH_SET_GS: case ARCH_GET_GS:
			sb_violation("arch_prctl(ARCH_%s_GS): the GS base is the sandbox's",
				     a[0] == ARCH_SET_GS ? "SET" : "GET");
		default:
			return -EINVAL;
		}

	/* ---- signals */
	case SYS_rt_sigaction:
		return sb_sigaction((int)a[0], a[1], a[2], a[3]);
	case SYS_rt_sigprocmask: {
		uint64_t set, old;

		if (a[3] != 8)
			return -EINVAL;
		if (a[1] && sb_copy_in(&set, a[1], 8)) {
			need(c, 1, 8);
			return -EFAULT;
		}
		need(c, 2, a[2] ? 8 : 0);
		r = syscall(SYS_rt_sigprocmask, a[0], a[1] ? &set : NULL, &old, 8);
		if (r)
			return -errno;
		if (a[2] && sb_copy_out(a[2], &old, 8))
			return -EFAULT;
		return 0;
	}
	case SYS_rt_sigreturn:
		sb_sigreturn(c->tf);
		return NO_RETURN_VALUE;
	case SYS_sigaltstack:
		return sb_sigaltstack(a[0], a[1]);
	case SYS_rt_sigpending:
		need(c, 0, a[1]);
		return forward(c);
	case SYS_rt_sigsuspend:
		need(c, 0, a[1]);
		return forward(c);
	case SYS_rt_sigtimedwait:
		need(c, 0, a[3]);
		need(c, 1, a[1] ? sizeof(siginfo_t) : 0);
		need(c, 2, a[2] ? 16 : 0);
		return forward(c);
	case SYS_signalfd4:
		if ((int)a[0] != -1 && (r = fd_ok(a[0])))
			return r;
		need(c, 1, a[2]);
		return new_fd(forward(c));
	case SYS_setitimer:
		need(c, 1, 32);
		need(c, 2, a[2] ? 32 : 0);
		return forward(c);
	case SYS_getitimer:
		need(c, 1, 32);
		return forward(c);

	/* ---- time, identity, limits */
	case SYS_clock_gettime: case SYS_clock_getres:
		need(c, 1, a[1] ? 16 : 0);
		return forward(c);
	case SYS_gettimeofday:
		need(c, 0, a[0] ? 16 : 0);
		need(c, 1, a[1] ? 8 : 0);
		return forward(c);
	case SYS_time:
		need(c, 0, a[0] ? 8 : 0);
		return forward(c);
	case SYS_nanosleep:
		need(c, 0, 16);
		need(c, 1, a[1] ? 16 : 0);
		return forward(c);
	case SYS_clock_nanosleep:
		need(c, 2, 16);
		need(c, 3, a[3] ? 16 : 0);
		return forward(c);
	case SYS_uname:
		need(c, 0, sizeof(struct utsname));
		return forward(c);
	case SYS_sysinfo:
		need(c, 0, 112);
		return forward(c);
	case SYS_times:
		need(c, 0, a[0] ? 32 : 0);
		return forward(c);
	case SYS_getrusage:
		need(c, 1, sizeof(struct rusage));
		return forward(c);
	case SYS_getrlimit:
		need(c, 1, 16);
		return forward(c);
	case SYS_prlimit64:
		if (a[0] && a[0] != (uint64_t)sb.pid)
			return -EPERM;
		if (a[2])
			return deny(c, -EPERM, "changing resource limits is not allowed");
		need(c, 3, a[3] ? 16 : 0);
		return forward(c);
	case SYS_setrlimit:
		return deny(c, -EPERM, "changing resource limits is not allowed");
	case SYS_getrandom:
		need(c, 0, a[1]);
		return forward(c);
	case SYS_getcpu:
		need(c, 0, a[0] ? 4 : 0);
		need(c, 1, a[1] ? 4 : 0);
		return forward(c);
	case SYS_sched_getaffinity:
		if (a[1] > 65536)
			return -EINVAL;
		need(c, 2, a[1]);
		return forward(c);
	case SYS_sched_setaffinity:
		if (a[0] && a[0] != (uint64_t)sb.pid)
			return -EPERM;
		if (a[1] > 65536)
			return -EINVAL;
		need(c, 2, a[1]);
		return forward(c);
	case SYS_futex:
		need(c, 0, 4);
		if ((a[1] & 0x7f) == FUTEX_WAIT || (a[1] & 0x7f) == FUTEX_WAIT_BITSET)
			need(c, 3, a[3] ? 16 : 0);
		else if ((a[1] & 0x7f) == FUTEX_WAKE || (a[1] & 0x7f) == FUTEX_WAKE_BITSET)
			;
		else
			return -ENOSYS;
		return forward(c);

	/* ---- sockets */
	case SYS_socket:
		/* Creating one is harmless: where it may go is checked at
		 * connect, bind and sendto.  Raw sockets need none of those to
		 * see or send traffic: never. */
		switch ((int)a[0]) {
		case AF_UNIX:
			break;
		case AF_INET: case AF_INET6:
			if ((a[1] & 0xf) == SOCK_RAW || (a[1] & 0xf) == SOCK_PACKET)
				return deny(c, -EPERM, "raw sockets are not allowed");
			break;
		default:
			return deny(c, -EAFNOSUPPORT, "socket family %d is not allowed", (int)a[0]);
		}
		return new_fd(forward(c));
	case SYS_socketpair: {
		int sv[2];

		if ((int)a[0] != AF_UNIX)
			return -EAFNOSUPPORT;
		need(c, 3, 8);
		if (socketpair((int)a[0], (int)a[1], (int)a[2], sv))
			return -errno;
		if (sv[0] >= SB_FD_MIN || sv[1] >= SB_FD_MIN || sb_copy_out(a[3], sv, 8)) {
			close(sv[0]);
			close(sv[1]);
			return -EMFILE;
		}
		return 0;
	}
	case SYS_connect: case SYS_bind: {
		struct sockaddr_storage ss;

		if ((r = fd_ok(a[0])))
			return r;
		r = sockaddr_arg(c, 1, a[2], c->nr == SYS_bind ? SB_NET_BIND : SB_NET_CONNECT, &ss);
		return r ? r : forward(c);
	}
	case SYS_sendto: {
		struct sockaddr_storage ss;

		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, a[2]);
		if (a[4]) {
			r = sockaddr_arg(c, 4, a[5], SB_NET_CONNECT, &ss);
			if (r)
				return r;
		}
		return forward(c);
	}
	case SYS_recvfrom:
		if ((r = fd_ok(a[0])))
			return r;
		need(c, 1, a[2]);
		if ((r = sockaddr_out(c, 4, 5)))
			return r;
		return forward(c);
	case SYS_accept: case SYS_accept4: case SYS_getsockname: case SYS_getpeername:
		if ((r = fd_ok(a[0])))
			return r;
		if ((r = sockaddr_out(c, 1, 2)))
			return r;
		r = forward(c);
		return c->nr == SYS_accept || c->nr == SYS_accept4 ? new_fd(r) : r;
	case SYS_sendmsg: case SYS_recvmsg:
		if ((r = fd_ok(a[0])))
			return r;
		return do_msg(c, c->nr == SYS_sendmsg);
	case SYS_setsockopt:
		if ((r = fd_ok(a[0])))
			return r;
		/* Options whose value holds a pointer the kernel follows (a BPF
		 * program: it could read the sandbox's memory into a filter
		 * that SO_GET_FILTER gives back). */
		if ((int)a[1] == SOL_SOCKET &&
		    ((int)a[2] == SO_ATTACH_FILTER || (int)a[2] == SO_ATTACH_BPF ||
		     (int)a[2] == SO_ATTACH_REUSEPORT_CBPF || (int)a[2] == SO_ATTACH_REUSEPORT_EBPF))
			return deny(c, -EPERM, "socket filters are not allowed");
		need(c, 3, a[4]);
		return forward(c);
	case SYS_getsockopt: {
		uint32_t len;

		if ((r = fd_ok(a[0])))
			return r;
		need(c, 4, 4);
		if (sb_copy_in(&len, a[4], 4))
			return -EFAULT;
		need(c, 3, len);
		return forward(c);
	}
	/* Harmless calls the sandbox does not implement, which libraries
	 * probe and do without (glibc's resolver falls back to sendto from
	 * sendmmsg, for instance): ENOSYS, not a violation. */
	case SYS_sendmmsg: case SYS_recvmmsg: case SYS_epoll_pwait2: case SYS_membarrier:
	case SYS_sched_getattr: case SYS_ioprio_get: case SYS_mlock2: case SYS_pkey_alloc:
	case SYS_pkey_free: case SYS_pkey_mprotect: case SYS_landlock_create_ruleset:
	case SYS_seccomp: case SYS_timer_create: case SYS_pidfd_open: case SYS_io_setup:
	case SYS_sched_setattr: case SYS_sched_setparam: case SYS_sched_setscheduler:
	case SYS_name_to_handle_at: case SYS_fanotify_init:
		c->why = "not supported in the sandbox";
		return -ENOSYS;
	}
	sb_violation("forbidden system call %s (%d)", name_of(c), c->nr);
}

/* The system calls sb_dispatch() has a rule for (a policy may only allow
 * those). */
static bool known(int nr);

int sb_check_policy_syscalls(char *err, size_t errlen)
{
	int nr;

	for (nr = 0; nr < SB_MAX_NR; nr++)
		if (sb.pol.sys_line[nr] && sb.pol.sys_action[nr] == SB_ALLOW && !known(nr)) {
			snprintf(err, errlen, "policy line %d: the sandbox cannot check '%s', so it "
				 "cannot allow it (it is always refused)", sb.pol.sys_line[nr],
				 call_name(nr));
			return -EINVAL;
		}
	return 0;
}

static const short known_nrs[] = {
	SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_msync,
	SYS_mincore, SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
	SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2, SYS_close, SYS_close_range, SYS_dup,
	SYS_dup2, SYS_dup3, SYS_fcntl, SYS_ioctl, SYS_lseek, SYS_fsync, SYS_fdatasync, SYS_flock,
	SYS_ftruncate, SYS_fchmod, SYS_fchown, SYS_fadvise64, SYS_fallocate, SYS_fchdir,
	SYS_syncfs, SYS_readahead, SYS_listen, SYS_shutdown, SYS_fstat, SYS_fstatfs,
	SYS_getdents64, SYS_getdents, SYS_sendfile, SYS_copy_file_range, SYS_splice, SYS_tee,
	SYS_pipe, SYS_pipe2, SYS_eventfd2, SYS_epoll_create1, SYS_epoll_create, SYS_inotify_init1,
	SYS_timerfd_create, SYS_memfd_create, SYS_timerfd_settime, SYS_timerfd_gettime,
	SYS_epoll_ctl, SYS_epoll_wait, SYS_epoll_pwait, SYS_poll, SYS_ppoll, SYS_select,
	SYS_pselect6, SYS_open, SYS_creat, SYS_openat, SYS_stat, SYS_lstat, SYS_newfstatat,
	SYS_statx, SYS_statfs, SYS_access, SYS_faccessat, SYS_faccessat2, SYS_readlink,
	SYS_readlinkat, SYS_chdir, SYS_getcwd, SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_mkdirat,
	SYS_unlinkat, SYS_chmod, SYS_chown, SYS_truncate, SYS_utime, SYS_utimes, SYS_lchown,
	SYS_fchmodat, SYS_fchownat, SYS_utimensat, SYS_rename, SYS_link, SYS_renameat,
	SYS_renameat2, SYS_linkat, SYS_symlink, SYS_symlinkat, SYS_mknod, SYS_mknodat, SYS_fork,
	SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat, SYS_exit, SYS_exit_group,
	SYS_wait4, SYS_waitid, SYS_kill, SYS_tkill, SYS_tgkill, SYS_getpid, SYS_getppid,
	SYS_gettid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getpgrp, SYS_setsid,
	SYS_getsid, SYS_getpgid, SYS_setpgid, SYS_umask, SYS_sched_yield, SYS_pause, SYS_alarm,
	SYS_sync, SYS_getpriority, SYS_sched_getscheduler, SYS_sched_get_priority_max,
	SYS_sched_get_priority_min, SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid,
	SYS_setresuid, SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_set_tid_address,
	SYS_set_robust_list, SYS_rseq, SYS_get_robust_list, SYS_restart_syscall, SYS_getresuid,
	SYS_getresgid, SYS_getgroups, SYS_personality, SYS_prctl, SYS_arch_prctl,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
	SYS_rt_sigpending, SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_signalfd4, SYS_setitimer,
	SYS_getitimer, SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_time,
	SYS_nanosleep, SYS_clock_nanosleep, SYS_uname, SYS_sysinfo, SYS_times, SYS_getrusage,
	SYS_getrlimit, SYS_prlimit64, SYS_setrlimit, SYS_getrandom, SYS_getcpu,
	SYS_sched_getaffinity, SYS_sched_setaffinity, SYS_futex, SYS_socket, SYS_socketpair,
	SYS_connect, SYS_bind, SYS_sendto, SYS_recvfrom, SYS_accept, SYS_accept4,
	SYS_getsockname, SYS_getpeername, SYS_sendmsg, SYS_recvmsg, SYS_setsockopt,
	SYS_getsockopt, SYS_mlock, SYS_munlock, SYS_mlockall, SYS_munlockall,
	SYS_sync_file_range, SYS_inotify_add_watch, SYS_inotify_rm_watch, SYS_getxattr,
	SYS_lgetxattr, SYS_listxattr, SYS_llistxattr, SYS_fgetxattr, SYS_flistxattr,
	SYS_setpriority,
};

static bool known(int nr)
{
	size_t i;

	for (i = 0; i < sizeof(known_nrs) / sizeof(known_nrs[0]); i++)
		if (known_nrs[i] == nr)
			return true;
	return false;
}

/* ---- trace ---------------------------------------------------------------------------------------- */

/*
 * How --trace shows a call's arguments, strace-style: one letter per
 * argument.  d: int; u: unsigned; x: hex; p: pointer; f: directory fd
 * (AT_FDCWD); s: a path (the resolved one); o: open flags; m: octal mode.
 * Calls not listed show three arguments in hex.
 */
static const char *const trace_fmt[SB_MAX_NR] = {
	[SYS_read] = "dpu", [SYS_write] = "dpu", [SYS_open] = "som", [SYS_close] = "d",
	[SYS_stat] = "sp", [SYS_fstat] = "dp", [SYS_lstat] = "sp", [SYS_poll] = "pud",
	[SYS_lseek] = "ddd", [SYS_mmap] = "puxxdx", [SYS_mprotect] = "pux", [SYS_munmap] = "pu",
	[SYS_brk] = "p", [SYS_rt_sigaction] = "dppu", [SYS_rt_sigprocmask] = "dppu",
	[SYS_ioctl] = "dxp", [SYS_pread64] = "dpud", [SYS_pwrite64] = "dpud", [SYS_readv] = "dpu",
	[SYS_writev] = "dpu", [SYS_access] = "sx", [SYS_pipe] = "p", [SYS_dup] = "d",
	[SYS_dup2] = "dd", [SYS_getpid] = "", [SYS_getppid] = "", [SYS_gettid] = "",
	[SYS_getuid] = "", [SYS_geteuid] = "", [SYS_getgid] = "", [SYS_getegid] = "",
	[SYS_clone] = "xp", [SYS_fork] = "", [SYS_vfork] = "", [SYS_execve] = "spp",
	[SYS_exit] = "d", [SYS_exit_group] = "d", [SYS_wait4] = "dpxp", [SYS_kill] = "dd",
	[SYS_uname] = "p", [SYS_fcntl] = "ddx", [SYS_getdents64] = "dpu", [SYS_getcwd] = "pu",
	[SYS_chdir] = "s", [SYS_fchdir] = "d", [SYS_rename] = "sp", [SYS_mkdir] = "sm",
	[SYS_rmdir] = "s", [SYS_unlink] = "s", [SYS_readlink] = "spu", [SYS_chmod] = "sm",
	[SYS_umask] = "m", [SYS_arch_prctl] = "xp", [SYS_set_tid_address] = "p",
	[SYS_openat] = "fsom", [SYS_mkdirat] = "fsm", [SYS_newfstatat] = "fspx",
	[SYS_unlinkat] = "fsx", [SYS_readlinkat] = "fspu", [SYS_faccessat] = "fsx",
	[SYS_faccessat2] = "fsxx", [SYS_statx] = "fsxxp", [SYS_pipe2] = "px", [SYS_dup3] = "ddx",
	[SYS_prlimit64] = "ddpp", [SYS_getrandom] = "pux", [SYS_rt_sigreturn] = "",
	[SYS_socket] = "ddd", [SYS_connect] = "dpu", [SYS_bind] = "dpu", [SYS_sendto] = "dpuxpu",
	[SYS_recvfrom] = "dpuxpp", [SYS_nanosleep] = "pp", [SYS_clock_gettime] = "dp",
	[SYS_set_robust_list] = "pu", [SYS_rseq] = "pudx", [SYS_futex] = "pxdppd",
	[SYS_madvise] = "pud", [SYS_mremap] = "puuxp", [SYS_tgkill] = "ddd", [SYS_tkill] = "dd",
	[SYS_sigaltstack] = "pp", [SYS_prctl] = "dxxxx", [SYS_sysinfo] = "p",
};

static int trace_arg(char *b, size_t len, struct call *c, int i, char k, uint64_t v)
{
	static const struct { int bit; const char *name; } ofl[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" },
	};
	const char *sep = i ? ", " : "";
	int n;
	size_t j;

	switch (k) {
	case 's':
		if (i == c->path_idx && c->path[0])
			return snprintf(b, len, "%s\"%s\"", sep, c->path);
		return snprintf(b, len, "%s%#lx", sep, (unsigned long)v);
	case 'f':
		if ((int)v == AT_FDCWD)
			return snprintf(b, len, "%sAT_FDCWD", sep);
		return snprintf(b, len, "%s%d", sep, (int)v);
	case 'd':
		return snprintf(b, len, "%s%d", sep, (int)v);
	case 'u':
		return snprintf(b, len, "%s%lu", sep, (unsigned long)v);
	case 'm':
		return snprintf(b, len, "%s%#o", sep, (unsigned int)v);
	case 'p':
		return v ? snprintf(b, len, "%s%#lx", sep, (unsigned long)v) :
			   snprintf(b, len, "%sNULL", sep);
	case 'o':
		n = snprintf(b, len, "%s%s", sep, (v & O_ACCMODE) == O_RDONLY ? "O_RDONLY" :
			     (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "O_RDWR");
		for (j = 0; j < sizeof(ofl) / sizeof(ofl[0]) && n < (int)len; j++)
			if ((v & ofl[j].bit) == (uint64_t)ofl[j].bit)
				n += snprintf(b + n, len - n, "|%s", ofl[j].name);
		return n;
	default:
		return snprintf(b, len, "%s%#lx", sep, (unsigned long)v);
	}
}

static void trace(struct call *c, const uint64_t *orig, long r)
{
	char buf[PATH_MAX + 512];
	const char *fmt = c->nr >= 0 && c->nr < SB_MAX_NR ? trace_fmt[c->nr] : NULL;
	int n, i;

	if (!fmt)
		fmt = "xxx";
	n = snprintf(buf, sizeof(buf), "sandbox[%d]: %s(", (int)sb.pid, name_of(c));
	for (i = 0; fmt[i] && i < 6 && n < (int)sizeof(buf) - 128; i++) {
		/* open's mode only matters with O_CREAT/O_TMPFILE. */
		if (fmt[i] == 'm' && i > 0 && fmt[i - 1] == 'o' && !(orig[i - 1] & (O_CREAT | __O_TMPFILE)))
			break;
		n += trace_arg(buf + n, sizeof(buf) - n, c, i, fmt[i], orig[i]);
	}
	if (r == NO_RETURN_VALUE)
		n += snprintf(buf + n, sizeof(buf) - n, ") = ?");
	else if (r < 0 && r > -4096)
		n += snprintf(buf + n, sizeof(buf) - n, ") = -%s%s%s%s", sb_errno_name((int)-r) ?: "E?",
			      c->why ? " (" : "", c->why ? c->why : "", c->why ? ")" : "");
	else if (r >= 0x10000)
		n += snprintf(buf + n, sizeof(buf) - n, ") = %#lx", r);
	else
		n += snprintf(buf + n, sizeof(buf) - n, ") = %ld", r);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(sb.out, buf, n) < 0)
		(void)0;
}

/* libdune's ring-3 system-call handler (through sandbox.c's on_syscall). */
void sb_syscall(struct dune_tf *tf)
{
	struct call c;
	uint64_t orig[6];
	long r;
	int act;

	c.tf = tf;
	c.nr = (int)tf->rax;
	c.name = NULL;
	c.path[0] = c.path2[0] = 0;
	c.why = NULL;
	c.path_idx = -1;
	c.npins = 0;
	c.probe = false;
	switch (c.nr) {
	case SYS_stat: case SYS_lstat: case SYS_newfstatat: case SYS_statx: case SYS_access:
	case SYS_faccessat: case SYS_faccessat2: case SYS_readlink: case SYS_readlinkat:
	case SYS_statfs:
		c.probe = true;
	}
	c.a[0] = tf->rdi; c.a[1] = tf->rsi; c.a[2] = tf->rdx;
	c.a[3] = tf->r10; c.a[4] = tf->r8; c.a[5] = tf->r9;
	memcpy(orig, c.a, sizeof(orig));
	if (tf->rax >= SB_MAX_NR)
		sb_violation("forbidden system call %lu", (unsigned long)tf->rax);
	act = sb.pol.sys_action[c.nr];
	if (act == SB_KILL)
		sb_violation("system call %s, which the policy forbids", name_of(&c));
	if (act == SB_DENY) {
		r = -(long)(sb.pol.sys_errno[c.nr] ? sb.pol.sys_errno[c.nr] : EPERM);
		c.why = "policy";
	} else {
		if (sb.trace && (c.nr == SYS_exit || c.nr == SYS_exit_group))
			trace(&c, orig, NO_RETURN_VALUE);
		r = sb_dispatch(&c);
		unpin(&c);
	}
	/* Interrupted by a signal the program handles with SA_RESTART: run
	 * the handler, then the call again (as Linux's -ERESTARTSYS). */
	if (r == -EINTR && sb.pending && c.nr != SYS_pause && c.nr != SYS_rt_sigsuspend &&
	    c.nr != SYS_nanosleep && c.nr != SYS_clock_nanosleep) {
		int sig = __builtin_ctzll(sb.pending) + 1;

		if (sb.act[sig].flags & SA_RESTART) {
			tf->rip -= 2;	/* the SYSCALL instruction */
			tf->rax = (uint64_t)c.nr;
			if (sb.trace)
				trace(&c, orig, r);
			return;
		}
	}
	if (sb.trace)
		trace(&c, orig, r);
	if (r != NO_RETURN_VALUE)
		tf->rax = (uint64_t)r;
}
