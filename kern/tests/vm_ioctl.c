// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of /dev/dune's first ioctls: API version, capabilities and the
 * guest-physical layout, and the answers to bad input.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../../include/uapi/dune.h"
#include "../../test/harness.h"

static int open_dune(void)
{
	int fd = open(DUNE_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		HARNESS_FAIL(1, "cannot open %s", DUNE_DEVICE_PATH);
	return fd;
}

static struct dune_layout get_layout(int fd)
{
	struct dune_layout l;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	ASSERT_EQ(ioctl(fd, DUNE_GET_LAYOUT, &l), 0);
	return l;
}

/* The CPU's physical-address width as /proc/cpuinfo tells it. */
static unsigned int cpuinfo_phys_bits(void)
{
	char line[256];
	unsigned int bits = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "address sizes : %u bits physical", &bits) == 1)
			break;
	fclose(f);
	return bits;
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(stat(DUNE_DEVICE_PATH, &st), 0);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 10);	/* misc */
	EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(api_version)
{
	int fd = open_dune();

	EXPECT_EQ(ioctl(fd, DUNE_GET_API_VERSION, 0), DUNE_API_VERSION);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_API_VERSION, 1), EINVAL);
	close(fd);
}

TEST(check_extension)
{
	int fd = open_dune();

	EXPECT_EQ(ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_LAYOUT), 1);
	/* Bochs's Ivy Bridge has 2 MiB EPT pages; A/D bits came with Haswell. */
	EXPECT_EQ(ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_EPT_2M), 1);
	EXPECT_GE(ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_EPT_1G), 0);
	EXPECT_GE(ioctl(fd, DUNE_CHECK_EXTENSION, DUNE_CAP_EPT_AD), 0);
	EXPECT_EQ(ioctl(fd, DUNE_CHECK_EXTENSION, 0), 0);
	EXPECT_EQ(ioctl(fd, DUNE_CHECK_EXTENSION, 9999), 0);
	EXPECT_EQ(ioctl(fd, DUNE_CHECK_EXTENSION, -1L), 0);
	close(fd);
}

TEST(layout_matches_cpu_and_process)
{
	int fd = open_dune(), i, local = 0;
	struct dune_layout l = get_layout(fd);
	unsigned int bits = cpuinfo_phys_bits();
	void *heap = malloc(100), *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addrs[] = { (uint64_t)&local, (uint64_t)heap, (uint64_t)map,
			     (uint64_t)&open_dune, (uint64_t)&harness_tests, (uint64_t)&printf };

	diag("phys_addr_bits %u (cpuinfo %u), guest_phys_bits %u", l.phys_addr_bits, bits,
	     l.guest_phys_bits);
	ASSERT_NE(bits, 0);
	EXPECT_EQ(l.phys_addr_bits, bits);
	EXPECT_EQ(l.guest_phys_bits, bits > 48 ? 48 : bits);
	EXPECT_EQ(l.guest_phys_limit, 1ULL << l.guest_phys_bits);
	EXPECT_EQ(l.size, sizeof(l));
	EXPECT_EQ(l.flags, 0);
	EXPECT_EQ(l.nr_windows, DUNE_MAX_WINDOWS);
	for (i = 0; i < DUNE_MAX_WINDOWS; i++) {
		struct dune_window *w = &l.windows[i];

		diag("window %d: gpa %#llx hva %#llx size %#llx", w->kind,
		     (unsigned long long)w->gpa_base, (unsigned long long)w->hva_base,
		     (unsigned long long)w->size);
		EXPECT_EQ(w->kind, (unsigned)i);
		EXPECT_EQ(w->gpa_base & ((1 << 30) - 1), 0);
		EXPECT_EQ(w->hva_base & ((1 << 30) - 1), 0);
		EXPECT_LE(w->gpa_base + w->size, l.guest_phys_limit);
	}
	/* The process's stack, heap, mappings, code, data and libc are reachable. */
	for (i = 0; i < (int)(sizeof(addrs) / sizeof(addrs[0])); i++) {
		int j, found = 0;

		for (j = 0; j < DUNE_MAX_WINDOWS; j++)
			found += l.windows[j].size && addrs[i] >= l.windows[j].hva_base &&
				 addrs[i] - l.windows[j].hva_base < l.windows[j].size;
		if (found != 1)
			HARNESS_FAIL(0, "address %#llx is in %d windows", (unsigned long long)addrs[i], found);
	}
	close(fd);
}

TEST(layout_bad_size)
{
	int fd = open_dune();
	struct dune_layout l;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l) - 8;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	l.size = 0;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	l.size = 0xffffffff;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	/* The same request number with another size is another ioctl. */
	l.size = sizeof(l);
	EXPECT_ERRNO(ioctl(fd, _IOWR(DUNE_IOCTL_TYPE, 0x02, struct dune_window), &l), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOR(DUNE_IOCTL_TYPE, 0x02, struct dune_layout), &l), ENOTTY);
	close(fd);
}

TEST(layout_reserved_fields_must_be_zero)
{
	int fd = open_dune();
	struct dune_layout l;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.flags = 1;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.reserved = 1;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.windows[3].reserved = 0x80000000;
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, &l), EINVAL);
	close(fd);
}

TEST(layout_bad_pointers)
{
	int fd = open_dune();
	struct dune_layout *ro;
	char *p;

	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, (void *)1), EFAULT);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, (void *)0xffff880000000000ULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, (void *)-4096L), EFAULT);

	/* A struct that runs off the end of the last mapped page. */
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(munmap(p + 4096, 4096), 0);
	ro = (struct dune_layout *)(p + 4096 - 8);
	ro->size = sizeof(*ro);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, ro), EFAULT);

	/* A read-only struct: the input is fine, the answer cannot be written. */
	ro = (struct dune_layout *)p;
	memset(ro, 0, sizeof(*ro));
	ro->size = sizeof(*ro);
	ASSERT_EQ(mprotect(p, 4096, PROT_READ), 0);
	EXPECT_ERRNO(ioctl(fd, DUNE_GET_LAYOUT, ro), EFAULT);
	munmap(p, 4096);
	close(fd);
}

TEST(unknown_ioctls)
{
	int fd = open_dune();
	char buf[64] = { 0 };

	EXPECT_ERRNO(ioctl(fd, _IO(DUNE_IOCTL_TYPE, 0x7f), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR(DUNE_IOCTL_TYPE, 0x03, char[64]), buf), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IO('K', 0x00), 0), ENOTTY);	/* KVM_GET_API_VERSION's number */
	EXPECT_ERRNO(ioctl(fd, 0, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, 0xffffffff, buf), ENOTTY);
	close(fd);
}

TEST(other_file_operations)
{
	int fd = open_dune();
	char c;

	EXPECT_ERRNO(read(fd, &c, 1), EINVAL);
	EXPECT_ERRNO(write(fd, &c, 1), EINVAL);
	EXPECT_TRUE(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	close(fd);
}

TEST(many_opens)
{
	int fds[64], i;

	for (i = 0; i < 64; i++)
		fds[i] = open_dune();
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(ioctl(fds[i], DUNE_GET_API_VERSION, 0), DUNE_API_VERSION);
		close(fds[i]);
	}
}

TEST_MAIN()
