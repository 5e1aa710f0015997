// SPDX-License-Identifier: GPL-2.0
/*
 * ptyrun: run a program on a pseudo-terminal of its own, drain every
 * terminal it writes to, and exit with its status.
 *
 *   ptyrun PROGRAM [ARGS...]
 *
 * Bochs's only headless display library (term) draws the emulated screen
 * with curses, and must never block doing so: a Bochs blocked in write()
 * stops the whole emulated machine (every CPU, its clock), so nothing in
 * the guest, not even a timeout, can notice.  Two terminals need draining:
 *
 *   - its own (stdin/stdout/stderr): given here, read and thrown away.
 *     Without one, the screen once went to a terminal nobody read, and
 *     every update stalled until a one-second alarm (a suite took 15
 *     minutes instead of 4).
 *   - the screen's: a Bochs built with its debugger, as Debian's is, keeps
 *     its own terminal for the debugger and draws the screen on a new
 *     pseudo-terminal that it opens itself (/dev/ptmx), printing "Bochs
 *     connected to screen /dev/pts/N".  Nobody opens that pts, so the
 *     screen's output piles up in its input queue until the queue is full
 *     (about 20 KB: cursor on/off sequences, a few bytes per screen
 *     update, accumulate at a rate set by emulated time); then Bochs blocks
 *     in curses' write() for good.  That was the "2-CPU hang" (issue 12):
 *     both CPUs frozen, the clock stopped, watchdog after 900 s.  ptyrun
 *     finds that pts through the child's /proc fds (the ptmx it holds and
 *     its tty-index) and reads it as long as it exists.
 *
 * At exit ptyrun reports on stderr how much of the screen it drained.
 * SIGTERM, SIGINT and SIGHUP to ptyrun kill the program; so does ptyrun's
 * own death (PR_SET_PDEATHSIG).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

/*
 * The pts of a pty master that @pid holds other than @own (ours), or -1:
 * an fd linking to /dev/ptmx whose fdinfo names its tty-index.
 */
static int find_screen_pts(pid_t pid, int own)
{
	char path[PATH_MAX], link[64], line[128];
	struct dirent *d;
	int found = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (found < 0 && (d = readdir(dir))) {
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "/dev/ptmx") && strcmp(link, "/dev/pts/ptmx"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			int idx;

			if (sscanf(line, "tty-index: %d", &idx) == 1 && idx != own)
				found = idx;
		}
		fclose(f);
	}
	closedir(dir);
	return found;
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 25, .ws_col = 80 };
	unsigned long long drained = 0;
	char buf[65536], screen_name[32] = "";
	int master, status, own = -1, screen = -1, looks = 0;

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
	{
		unsigned int n;

		if (ioctl(master, TIOCGPTN, &n) == 0)
			own = (int)n;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = master, .events = POLLIN },
				       { .fd = screen, .events = POLLIN } };
		ssize_t n;
		int r = poll(p, screen >= 0 ? 2 : 1, 100);

		if (r < 0 && errno != EINTR)
			break;
		/* Look for the screen's terminal until found (10 s at most: a
		 * program that opens none, such as Bochs without a debugger). */
		if (screen == -1 && looks < 100) {
			int idx = find_screen_pts(child, own);

			looks++;
			if (idx >= 0) {
				struct termios t;

				snprintf(screen_name, sizeof(screen_name), "/dev/pts/%d", idx);
				screen = open(screen_name, O_RDONLY | O_NOCTTY | O_NONBLOCK);
				/* Raw and without echo, so that nothing flows back
				 * to the program as keyboard input. */
				if (screen >= 0 && tcgetattr(screen, &t) == 0) {
					cfmakeraw(&t);
					tcsetattr(screen, TCSANOW, &t);
				}
			}
		}
		if (r <= 0)
			continue;
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0 && !(n < 0 && errno == EINTR))
				break;	/* EIO: the program and its children closed the terminal */
		}
		if (screen >= 0 && p[1].revents) {
			n = read(screen, buf, sizeof(buf));
			if (n > 0) {
				drained += n;
			} else if (!(n < 0 && (errno == EINTR || errno == EAGAIN))) {
				close(screen);	/* the program closed its master */
				screen = -2;
			}
		}
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (screen_name[0])
		fprintf(stderr, "ptyrun: drained %llu bytes of the screen on %s\n", drained,
			screen_name);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
