// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_guest: run a tiny real-mode KVM guest and check its exits, to prove
 * that kvm_intel keeps working beside dune.ko.
 *
 *   kvm_guest            create a VM, run it: expect an OUT to port 0x3f8
 *                        carrying 'D', then HLT; exit 0 if so
 *   kvm_guest hold S     the same, then keep the VM (and so VMX) alive for
 *                        S seconds before exiting; prints "holding" first
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "kvm_guest: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	/* mov $0x3f8,%dx; mov $'D',%al; out %al,(%dx); hlt */
	static const uint8_t code[] = { 0xba, 0xf8, 0x03, 0xb0, 'D', 0xee, 0xf4 };
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, hold = 0;
	long run_size;
	uint8_t *mem;

	if (argc == 3 && !strcmp(argv[1], "hold"))
		hold = atoi(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: kvm_guest [hold SECONDS]\n");
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
		.userspace_addr = (uint64_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != 0x3f8 || *((char *)run + run->io.data_offset) != 'D') {
		fprintf(stderr, "kvm_guest: unexpected exit %u (want KVM_EXIT_IO)\n", run->exit_reason);
		return 1;
	}
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm_guest: unexpected exit %u (want KVM_EXIT_HLT)\n", run->exit_reason);
		return 1;
	}
	printf("kvm_guest: OUT 0x3f8 'D' then HLT: ok\n");
	if (hold) {
		printf("holding\n");
		fflush(stdout);
		sleep(hold);
	}
	return 0;
}
