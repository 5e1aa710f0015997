// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_fork - processes and threads in the sandbox.
 *
 *   attack_fork bomb [CAP]      a bounded fork bomb: every process forks
 *                               until fork() fails, then waits for its
 *                               children and exits.  At most CAP (default
 *                               200) successful forks in all, so that it
 *                               ends natively too.  Prints a summary: forks,
 *                               the peak of live processes (this one
 *                               included), EAGAIN and other failures.
 *   attack_fork bomb3 [CAP]     the same with raw clone3(exit_signal
 *                               SIGCHLD) instead of fork()
 *   attack_fork thread          pthread_create (clone3 or clone with
 *                               CLONE_VM): the sandbox refuses threads with
 *                               EAGAIN; prints the result
 *   attack_fork spawn PROG ARG...   posix_spawn (clone3 with CLONE_VM |
 *                               CLONE_VFORK), then wait: "child exited N"
 *   attack_fork vfork PROG ARG...   vfork + execv, then wait
 *   attack_fork child           a child (fork) tries mkdir outside the
 *                               writable directory, then cli: the policy and
 *                               the ring-3 rules hold there too; the parent
 *                               prints how the child ended and goes on
 *   attack_fork wait PROG ARG...    a helper, not an attack: run PROG and
 *                               print "exited N" or "killed by signal N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char escape_dir[] = "/tmp/sandbox_escape_dir";

static int ev[2];	/* events: '+' a process started, '-' it ends, 'E' EAGAIN, 'O' other, 'C' cap */
static int tok[2];	/* CAP tokens: one per fork */
static int use_clone3;

static void event(char c)
{
	if (write(ev[1], &c, 1) != 1)
		_exit(3);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pid_t do_fork(void)
{
	if (use_clone3) {
		struct clone_args ca;

		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		return syscall(SYS_clone3, &ca, sizeof(ca));
	}
	return fork();
}

/* Fork until it fails; every child does the same.  Then wait, and exit. */
static void bomb_loop(void)
{
	int top = 1;

	for (;;) {
		char t;
		pid_t pid;

		if (read(tok[0], &t, 1) != 1) {
			event('C');
			break;
		}
		pid = do_fork();
		if (pid < 0) {
			event(errno == EAGAIN ? 'E' : 'O');
			if (errno != EAGAIN)
				fprintf(stderr, "attack_fork: fork: %s\n", strerror(errno));
			break;
		}
		if (pid == 0) {
			top = 0;
			event('+');
			continue;
		}
	}
	/* Give the children just made time to say they started. */
	msleep(100);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (!top) {
		event('-');
		_exit(0);
	}
}

static int bomb(int cap)
{
	int forks = 0, live = 1, peak = 1, eagain = 0, other = 0, capped = 0;
	char c;

	alarm(300);
	if (pipe(ev) || pipe2(tok, O_NONBLOCK)) {
		perror("attack_fork: pipe");
		return 1;
	}
	for (int i = 0; i < cap; i++)
		if (write(tok[1], "t", 1) != 1)
			return 1;
	printf("attack_fork %s: forking (cap %d)\n", use_clone3 ? "bomb3" : "bomb", cap);
	fflush(stdout);
	bomb_loop();
	fcntl(ev[0], F_SETFL, O_NONBLOCK);
	while (read(ev[0], &c, 1) == 1) {
		switch (c) {
		case '+': forks++; live++; break;
		case '-': live--; break;
		case 'E': eagain++; break;
		case 'O': other++; break;
		case 'C': capped++; break;
		}
		if (live > peak)
			peak = live;
	}
	printf("attack_fork %s: forks %d, peak %d live processes, EAGAIN %d, other errors %d, cap reached %d\n",
	       use_clone3 ? "bomb3" : "bomb", forks, peak, eagain, other, capped);
	return 0;
}

static void *thread_fn(void *arg)
{
	(void)arg;
	printf("attack_fork thread: a thread runs\n");
	fflush(stdout);
	if (mkdir(escape_dir, 0755) == 0)
		printf("ESCAPED: a thread made %s\n", escape_dir);
	return NULL;
}

static int report(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		printf("waitpid: %s\n", strerror(errno));
		return 1;
	}
	if (WIFEXITED(st))
		printf("child exited %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("child killed by signal %d\n", WTERMSIG(st));
	return 0;
}

int main(int argc, char **argv)
{
	const char *m;

	if (argc < 2) {
		fprintf(stderr, "usage: attack_fork bomb|bomb3 [CAP] | thread | spawn|vfork|wait PROG ARG... | child\n");
		return 2;
	}
	m = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "bomb") || !strcmp(m, "bomb3")) {
		use_clone3 = !strcmp(m, "bomb3");
		return bomb(argc > 2 ? atoi(argv[2]) : 200);
	}
	if (!strcmp(m, "thread")) {
		pthread_t t;
		int e;

		printf("attack_fork thread: trying pthread_create\n");
		fflush(stdout);
		e = pthread_create(&t, NULL, thread_fn, NULL);
		if (e) {
			printf("attack_fork thread: pthread_create: %s\n",
			       e == EAGAIN ? "EAGAIN" : strerror(e));
			return 0;
		}
		pthread_join(t, NULL);
		printf("attack_fork thread: pthread_create: ok\n");
		return 0;
	}
	if (!strcmp(m, "spawn") && argc > 2) {
		pid_t pid;
		int e = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);

		if (e) {
			printf("posix_spawn: %s\n", strerror(e));
			return 1;
		}
		return report(pid);
	}
	if (!strcmp(m, "vfork") && argc > 2) {
		pid_t pid = vfork();

		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0) {
			printf("vfork: %s\n", strerror(errno));
			return 1;
		}
		return report(pid);
	}
	if (!strcmp(m, "wait") && argc > 2) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			execvp(argv[2], argv + 2);
			perror(argv[2]);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid) {
			perror("attack_fork wait");
			return 1;
		}
		if (WIFEXITED(st))
			printf("exited %d\n", WEXITSTATUS(st));
		else
			printf("killed by signal %d\n", WTERMSIG(st));
		return 0;
	}
	if (!strcmp(m, "child")) {
		pid_t pid;

		printf("attack_fork child: forking\n");
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			if (mkdir(escape_dir, 0755) == 0)
				printf("ESCAPED: the child made %s\n", escape_dir);
			else
				printf("attack_fork child: mkdir %s: %s\n", escape_dir,
				       errno == EACCES ? "EACCES" : strerror(errno));
			printf("attack_fork child: trying cli\n");
			fflush(stdout);
			__asm__ volatile("cli; sti" ::: "memory");
			printf("ESCAPED: cli in the child\n");
			_exit(0);
		}
		if (pid < 0) {
			printf("fork: %s\n", strerror(errno));
			return 1;
		}
		report(pid);
		printf("attack_fork child: the parent goes on\n");
		return 0;
	}
	fprintf(stderr, "attack_fork: unknown mode '%s'\n", m);
	return 2;
}
