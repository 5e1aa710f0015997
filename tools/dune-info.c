// SPDX-License-Identifier: BSD-3-Clause
/*
 * dune-info: ask the loaded dune.ko what it offers: API version,
 * capabilities and this process's guest-physical layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../include/uapi/dune.h"

static const char *window_names[DUNE_MAX_WINDOWS] = { "low", "exec", "mmap", "stack" };

int main(int argc, char **argv)
{
	struct dune_layout l;
	int fd, v, i;
	static const struct { int cap; const char *name; } caps[] = {
		{ DUNE_CAP_LAYOUT, "layout" }, { DUNE_CAP_EPT_2M, "ept-2m" },
		{ DUNE_CAP_EPT_1G, "ept-1g" }, { DUNE_CAP_EPT_AD, "ept-ad" },
		{ DUNE_CAP_PCID, "pcid" },
	};

	if (argc > 1) {
		fprintf(stderr, "usage: %s\n(prints what the loaded dune.ko offers)\n", argv[0]);
		return 2;
	}
	fd = open(DUNE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		fprintf(stderr, "dune-info: cannot open %s: %s\n", DUNE_DEVICE_PATH, strerror(e));
		if (e == ENOENT)
			fprintf(stderr, "dune-info: is dune.ko loaded? (sudo insmod kern/dune.ko; "
					"on a CPU without VT-x, see 'make run')\n");
		else if (e == EACCES)
			fprintf(stderr, "dune-info: %s is root-only by default "
					"(module parameter dev_mode)\n", DUNE_DEVICE_PATH);
		return 1;
	}
	v = ioctl(fd, DUNE_GET_API_VERSION, 0);
	if (v != DUNE_API_VERSION) {
		fprintf(stderr, "dune-info: dune.ko speaks API version %d, this tool %d\n",
			v, DUNE_API_VERSION);
		return 1;
	}
	printf("api-version: %d\ncapabilities:", v);
	for (i = 0; i < (int)(sizeof(caps) / sizeof(caps[0])); i++)
		if (ioctl(fd, DUNE_CHECK_EXTENSION, caps[i].cap) > 0)
			printf(" %s", caps[i].name);
	printf("\n");
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	if (ioctl(fd, DUNE_GET_LAYOUT, &l)) {
		fprintf(stderr, "dune-info: DUNE_GET_LAYOUT: %s\n", strerror(errno));
		return 1;
	}
	printf("physical-address-bits: %u (guest-physical: %u bits, %llu GiB)\n",
	       l.phys_addr_bits, l.guest_phys_bits,
	       (unsigned long long)(l.guest_phys_limit >> 30));
	printf("windows of this process (virtual -> guest-physical):\n");
	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		struct dune_window *w = &l.windows[i];

		if (!w->size) {
			printf("  %-5s  (none)\n", window_names[i]);
			continue;
		}
		printf("  %-5s  0x%012llx-0x%012llx -> 0x%010llx  (%llu GiB)\n", window_names[i],
		       (unsigned long long)w->hva_base,
		       (unsigned long long)(w->hva_base + w->size),
		       (unsigned long long)w->gpa_base, (unsigned long long)(w->size >> 30));
	}
	close(fd);
	return 0;
}
