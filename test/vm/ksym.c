// SPDX-License-Identifier: GPL-2.0
/*
 * ksym: name kernel text addresses, given as offsets from _text, with this
 * kernel's /proc/kallsyms.
 *
 *   ksym OFFSET...        (hex, e.g. 0x41a2f0)
 *
 * prints one line per offset: "OFFSET SYMBOL+0xOFF/0xSIZE", or
 * "OFFSET ?" where no text symbol covers it.  The rig (test/vm/run) uses it
 * after a watchdog stop: the hung guest reported where its _text was
 * (KASLR), so the offsets of its stack's addresses are the same in a fresh
 * boot of the same kernel, whose kallsyms names them.  Debian ships no
 * System.map outside its 280 MB debug package.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym {
	unsigned long long addr;
	char name[128];
};

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int main(int argc, char **argv)
{
	struct sym *syms = NULL;
	size_t n = 0, cap = 0;
	unsigned long long text = 0, addr;
	char type, name[256], line[512];
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f) {
		perror("ksym: /proc/kallsyms");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (strchr(line, '['))
			continue;	/* a module's symbol */
		if (!strcmp(name, "_text"))
			text = addr;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms) {
				fprintf(stderr, "ksym: out of memory\n");
				return 1;
			}
		}
		syms[n].addr = addr;
		snprintf(syms[n].name, sizeof(syms[n].name), "%.127s", name);
		n++;
	}
	fclose(f);
	if (!text || !n || !syms[0].addr) {
		fprintf(stderr, "ksym: no usable /proc/kallsyms (kptr_restrict?)\n");
		return 1;
	}
	qsort(syms, n, sizeof(*syms), by_addr);
	for (int i = 1; i < argc; i++) {
		unsigned long long off = strtoull(argv[i], NULL, 16);
		size_t lo = 0, hi = n;

		addr = text + off;
		while (hi - lo > 1) {	/* the last symbol at or below addr */
			size_t mid = (lo + hi) / 2;

			if (syms[mid].addr <= addr)
				lo = mid;
			else
				hi = mid;
		}
		if (syms[lo].addr > addr || lo + 1 >= n) {
			printf("%s ?\n", argv[i]);
			continue;
		}
		printf("%s %s+0x%llx/0x%llx\n", argv[i], syms[lo].name, addr - syms[lo].addr,
		       syms[lo + 1].addr - syms[lo].addr);
	}
	return 0;
}
