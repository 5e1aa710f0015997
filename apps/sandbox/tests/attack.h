/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attack.h - what the attack programs share: the sandbox's untrusted range
 * (apps/sandbox/sandbox.h: SB_LO, SB_HI) and a way to find the sandbox's own
 * memory from inside (run them with a policy that adds "read /proc").
 */
#ifndef SANDBOX_ATTACK_H
#define SANDBOX_ATTACK_H

#include <stdio.h>
#include <string.h>

#define LO	0x10000UL		/* the program's memory: [LO, HI) */
#define HI	0x100000000UL

/*
 * A mapping outside the program's range, from /proc/self/maps: want 'w' (a
 * writable one: [heap] first, then any but the stack), 'x' (executable, not
 * [vdso]/[vsyscall] if another exists), or 'r' (any readable).  Returns its
 * start, or a guess (said on stdout, as @prog) if none is listed.
 */
static inline unsigned long attack_outside(const char *prog, int want)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perms[8], path[256];
	unsigned long s, e, best = 0;
	int bestscore = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			int score = 0;

			path[0] = 0;
			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &s, &e, perms, path) < 3)
				continue;
			if (s >= LO && e <= HI)
				continue;	/* the program's own */
			if (s < LO && e > HI)
				continue;
			if (perms[0] != 'r')
				continue;
			if (want == 'w' && perms[1] == 'w')
				score = !strcmp(path, "[heap]") ? 4 : strcmp(path, "[stack]") ? 3 : 1;
			else if (want == 'x' && perms[2] == 'x')
				score = path[0] == '[' ? 1 : 3;
			else if (want == 'r')
				score = !strcmp(path, "[vsyscall]") ? 1 : 2;
			if (score > bestscore) {
				bestscore = score;
				best = s < HI && e > HI ? HI : s;	/* the part outside */
			}
		}
		fclose(f);
	}
	if (!best) {
		best = 0x7f0000000000UL;
		printf("%s: no mapping outside the range in /proc/self/maps, guessing 0x%lx\n",
		       prog, best);
	}
	return best;
}

#endif /* SANDBOX_ATTACK_H */
