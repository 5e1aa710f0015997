# Dune: top-level build.  See README.md for the two commands that matter:
#   make run     set up, then run the main job in the emulated machine
#   make check   set up, then build and run every test
BUILD    ?= build
CC       ?= gcc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
USER_CFLAGS := $(CFLAGS) $(WARN) -Iinclude

# The kernel dune.ko is built for: the running one (KDIR), and the Debian
# kernel the emulated machine boots (fetched by `make deps`).
KDIR     ?= /lib/modules/$(shell uname -r)/build
RIG_ABI   = $(shell cat $(BUILD)/kernel/ABI 2>/dev/null)
RIG_KDIR  = /usr/src/linux-headers-$(RIG_ABI)

KERN_SRC := $(wildcard kern/*.c kern/*.h kern/*.S) kern/Kbuild include/uapi/dune.h

# Host-side unit tests: pure code, built with ASan and UBSan.
UNIT_TESTS := $(BUILD)/unit/layout_test $(BUILD)/unit/vmx_caps_test $(BUILD)/unit/ept_test \
	$(BUILD)/unit/vmx_state_test
# Programs that run in the emulated machine (or on a VT-x host).
# The ones that run code in Dune mode (kern/tests/guest.h): -pthread, and -z now
# so that no lazy PLT binding runs in the guest.  vm_enter is non-PIE on
# purpose (its code in the low window, a guest-physical hole for its tests).
GUEST_PROGS := $(BUILD)/tests/vm_enter $(BUILD)/tests/vm_syscall $(BUILD)/tests/vm_mem \
	$(BUILD)/tests/vm_threads $(BUILD)/tests/vm_lifecycle
VM_PROGS := $(BUILD)/tests/vm_ioctl $(BUILD)/tests/kvm_guest $(GUEST_PROGS)
VM_SCRIPTS := $(wildcard kern/tests/vm_*.sh)
TOOLS := $(BUILD)/bin/dune-info

.PHONY: all deps module vm-module unit tests tools stage check check-unit check-vm \
	check-host run clean

all: tests tools unit
	@if [ -d "$(KDIR)" ]; then $(MAKE) module; \
	else echo "note: no headers at $(KDIR); dune.ko for the emulated machine is built by 'make stage'"; fi

deps:
	@bash tools/deps.sh

# dune.ko for the running kernel, built in place (kern/dune.ko).
module:
	$(MAKE) -C kern KDIR=$(KDIR)

# dune.ko for the emulated machine's kernel, built from a copy of the sources.
vm-module: $(BUILD)/vm-kern/kern/dune.ko
$(BUILD)/vm-kern/kern/dune.ko: $(KERN_SRC)
	@test -n "$(RIG_ABI)" || { echo "no rig kernel: run 'make deps' first" >&2; exit 1; }
	@mkdir -p $(BUILD)/vm-kern/kern $(BUILD)/vm-kern/include/uapi
	@cp kern/*.c kern/*.h kern/*.S kern/Kbuild kern/Makefile $(BUILD)/vm-kern/kern/
	@cp include/uapi/dune.h $(BUILD)/vm-kern/include/uapi/
	@# W=1 and, where sparse is installed (make deps), C=1: any warning fails.
	@$(MAKE) -C $(RIG_KDIR) M=$(abspath $(BUILD)/vm-kern/kern) W=1 \
		$$(command -v sparse >/dev/null && echo C=1) modules >$(BUILD)/vm-kern/build.log 2>&1 \
		|| { cat $(BUILD)/vm-kern/build.log; exit 1; }
	@grep -v 'Skipping BTF' $(BUILD)/vm-kern/build.log | grep -E 'warning:|error:' \
		&& { echo "dune.ko: warnings are errors" >&2; exit 1; } || true
	@echo "built $@ for $(RIG_ABI)"

unit: $(UNIT_TESTS)
$(BUILD)/unit/layout_test: kern/tests/layout_test.c kern/layout.c kern/layout.h test/harness.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -o $@ kern/tests/layout_test.c kern/layout.c
# Header-only encoders: one test program each, kern/tests/NAME_test.c.
$(BUILD)/unit/vmx_caps_test: kern/vmx_caps.h
$(BUILD)/unit/ept_test: kern/ept.h
$(BUILD)/unit/vmx_state_test: kern/vmx_state.h
$(BUILD)/unit/%_test: kern/tests/%_test.c test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -o $@ $<

tests: $(VM_PROGS)
$(BUILD)/tests/%: kern/tests/%.c test/harness.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<
$(BUILD)/tests/vm_enter: GUEST_PIE := -fno-pie -no-pie
$(GUEST_PROGS): $(BUILD)/tests/%: kern/tests/%.c kern/tests/guest.h test/harness.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(GUEST_PIE) -pthread -Wl,-z,now -o $@ $<

tools: $(TOOLS) $(BUILD)/tools/serialcat $(BUILD)/tools/ptyrun
$(BUILD)/tools/ptyrun: test/vm/ptyrun.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<
$(BUILD)/tools/serialcat: test/vm/serialcat.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -o $@ $<
$(BUILD)/bin/dune-info: tools/dune-info.c include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

# The tree the emulated machine sees at /dune (and a VT-x host can run from).
stage: vm-module tests tools
	@rm -rf $(BUILD)/root && mkdir -p $(BUILD)/root/dune/tests $(BUILD)/root/dune/bin
	@cp $(BUILD)/vm-kern/kern/dune.ko $(BUILD)/root/dune/
	@cp $(VM_PROGS) test/tap.sh test/vm/suite.sh test/vm/suite.list test/vm/suite-1cpu.list \
		$(BUILD)/root/dune/tests/
	@for s in $(VM_SCRIPTS); do cp $$s $(BUILD)/root/dune/tests/$$(basename $$s .sh); done
	@cp $(TOOLS) $(BUILD)/root/dune/bin/
	@echo "staged $(BUILD)/root"

check-unit: unit
	@bash test/check.sh --unit-only

# The test command (README): set up, build, host-side unit tests, then the
# whole in-VM suite in the emulated machine.  Ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory stage unit
	@bash test/check.sh

# The same suite directly on a real VT-x host, with kern/dune.ko built for the
# running kernel (run as root; dune.ko is loaded and unloaded by the tests).
check-host: module tests
	@bash test/check-host.sh

# The main job in the emulated machine.
run: deps
	@$(MAKE) --no-print-directory stage
	@bash test/vm/run -- /dune/bin/dune-info

clean:
	rm -rf $(BUILD)/unit $(BUILD)/tests $(BUILD)/bin $(BUILD)/tools $(BUILD)/vm-kern $(BUILD)/root $(BUILD)/vm
	-$(MAKE) -C kern clean KDIR=$(KDIR) 2>/dev/null
