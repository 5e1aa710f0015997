// SPDX-License-Identifier: GPL-2.0
/*
 * ptyrun: run a program on a pseudo-terminal of its own and throw away what
 * it writes there; exit with its status.
 *
 *   ptyrun PROGRAM [ARGS...]
 *
 * Bochs's only headless display library (term) draws the emulated screen
 * with curses.  Run without a terminal, it opens a pseudo-terminal that
 * nobody reads; once that fills up, every screen update blocks until a
 * one-second alarm interrupts it, and the emulation crawls (measured: a
 * suite taking 15 minutes instead of 4).  Under ptyrun the screen goes to a
 * pseudo-terminal that is always drained.  SIGTERM, SIGINT and SIGHUP to
 * ptyrun kill the program; so does ptyrun's own death (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 25, .ws_col = 80 };
	char buf[65536];
	int master, status;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: ptyrun PROGRAM [ARGS...]\n");
		return 2;
	}
	child = forkpty(&master, NULL, NULL, &ws);
	if (child < 0) {
		fprintf(stderr, "ptyrun: forkpty: %s\n", strerror(errno));
		return 2;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "ptyrun: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	signal(SIGTERM, forward);
	signal(SIGINT, forward);
	signal(SIGHUP, forward);
	for (;;) {
		n = read(master, buf, sizeof(buf));
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break;		/* EIO: the program and its children closed the terminal */
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
