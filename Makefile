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
# The second rig kernel, Debian's 6.12 (test/vm/run --kernel 6.12): its
# headers are unpacked beside its image, not installed (tools/deps.sh).
RIG612_ABI  = $(shell cat $(BUILD)/kernel/ABI-6.12 2>/dev/null)
RIG612_KDIR = $(abspath $(BUILD)/kernel/$(RIG612_ABI)/usr/src/linux-headers-$(RIG612_ABI))

KERN_SRC := $(wildcard kern/*.c kern/*.h kern/*.S) kern/Kbuild include/uapi/dune.h

# libdune: static and shared library (soname libdune.so.1), a pkg-config file.
# Built with -mno-red-zone (its ring-0 code pushes below RSP in inline asm),
# frame pointers (fault reports walk them), no stack protector (the fatal
# trap path may run with ring 3's FS base).
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
LIBDUNE_VERSION := 1.0
LIBDUNE_C   := boot.c trap.c layout.c vm.c page.c elf.c insn.c util.c
LIBDUNE_HDR := $(wildcard libdune/*.h) include/uapi/dune.h
LIBDUNE_CFLAGS := $(CFLAGS) $(WARN) -Iinclude -fPIC -pthread -mno-red-zone \
	-fno-omit-frame-pointer -fno-stack-protector -fvisibility=default
LIBDUNE_OBJS := $(addprefix $(BUILD)/libdune/,$(LIBDUNE_C:.c=.o) entry.o)
LIBDUNE_A  := $(BUILD)/lib/libdune.a
LIBDUNE_SO := $(BUILD)/lib/libdune.so.$(LIBDUNE_VERSION)

# Host-side unit tests: pure code, built with ASan and UBSan.
UNIT_TESTS := $(BUILD)/unit/layout_test $(BUILD)/unit/vmx_caps_test $(BUILD)/unit/ept_test \
	$(BUILD)/unit/vmx_state_test $(BUILD)/unit/ibt_test $(BUILD)/unit/libdune_vm_test $(BUILD)/unit/libdune_elf_test \
	$(BUILD)/unit/libdune_elf_fuzz $(BUILD)/unit/libdune_insn_test $(BUILD)/unit/libdune_desc_test
# Programs that run in the emulated machine (or on a VT-x host).
# The ones that run code in Dune mode (kern/tests/guest.h): -pthread, and -z now
# so that no lazy PLT binding runs in the guest.  vm_enter is non-PIE on
# purpose (its code in the low window, a guest-physical hole for its tests).
GUEST_PROGS := $(BUILD)/tests/vm_enter $(BUILD)/tests/vm_syscall $(BUILD)/tests/vm_mem \
	$(BUILD)/tests/vm_threads $(BUILD)/tests/vm_lifecycle
# libdune's in-VM tests (libdune/tests/dune_*.c), linked with libdune.so.
LIBDUNE_TESTS := $(patsubst libdune/tests/%.c,$(BUILD)/tests/%,$(wildcard libdune/tests/dune_*.c))
VM_PROGS := $(BUILD)/tests/vm_ioctl $(BUILD)/tests/kvm_guest $(GUEST_PROGS) $(LIBDUNE_TESTS)
VM_SCRIPTS := $(wildcard kern/tests/vm_*.sh libdune/tests/dune_*.sh bench/tests/bench_*.sh)
TOOLS := $(BUILD)/bin/dune-info $(BUILD)/bin/dune-hello

include apps/sandbox/sandbox.mk

.PHONY: all deps module vm-module unit tests tools stage check check-unit check-vm stress \
	check-host run clean libdune install install-module bench-progs bench sandbox-stage

all: libdune tests tools unit
	@if [ -d "$(KDIR)" ]; then $(MAKE) module; \
	else echo "note: no headers at $(KDIR); dune.ko for the emulated machine is built by 'make stage'"; fi

deps:
	@bash tools/deps.sh

# dune.ko for the running kernel, built in place (kern/dune.ko).
module:
	$(MAKE) -C kern KDIR=$(KDIR)

# dune.ko for the emulated machine's kernels, built from a copy of the
# sources: build/vm-kern for 6.1, build/vm-kern-6.12 for 6.12 (when
# `make deps` fetched it).
vm-module: $(BUILD)/vm-kern/kern/dune.ko $(if $(RIG612_ABI),$(BUILD)/vm-kern-6.12/kern/dune.ko)
# $(1): the folder, $(2): the headers, $(3): the kernel's ABI.
define build_vm_module
	@test -n "$(3)" || { echo "no rig kernel: run 'make deps' first" >&2; exit 1; }
	@rm -rf $(1) && mkdir -p $(1)/kern $(1)/include/uapi
	@cp kern/*.c kern/*.h kern/*.S kern/Kbuild kern/Makefile $(1)/kern/
	@cp include/uapi/dune.h $(1)/include/uapi/
	@# W=1 and, where sparse is installed (make deps), C=1: any warning fails.
	@$(MAKE) -C $(2) M=$(abspath $(1)/kern) W=1 \
		$$(command -v sparse >/dev/null && echo C=1) modules >$(1)/build.log 2>&1 \
		|| { cat $(1)/build.log; exit 1; }
	@grep -v 'Skipping BTF' $(1)/build.log | grep -E 'warning:|error:' \
		&& { echo "dune.ko: warnings are errors" >&2; exit 1; } || true
	@echo "built $(1)/kern/dune.ko for $(3)"
endef
$(BUILD)/vm-kern/kern/dune.ko: $(KERN_SRC)
	$(call build_vm_module,$(BUILD)/vm-kern,$(RIG_KDIR),$(RIG_ABI))
$(BUILD)/vm-kern-6.12/kern/dune.ko: $(KERN_SRC)
	$(call build_vm_module,$(BUILD)/vm-kern-6.12,$(RIG612_KDIR),$(RIG612_ABI))

# The module's source for DKMS (kern/dkms.conf): /usr/src/dune-<version>, the
# uapi header copied in; then `dkms install dune/<version>` builds and installs
# dune.ko for the running kernel, and DKMS rebuilds it for every new one.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kern/dkms.conf)
DKMS_SRC ?= $(DESTDIR)/usr/src/dune-$(DKMS_VERSION)
install-module:
	rm -rf $(DKMS_SRC) && install -d $(DKMS_SRC)/uapi
	install -m 644 kern/*.c kern/*.h kern/*.S kern/Kbuild kern/Makefile kern/dkms.conf $(DKMS_SRC)/
	install -m 644 include/uapi/dune.h $(DKMS_SRC)/uapi/
	@echo "now: dkms install dune/$(DKMS_VERSION)"

libdune: $(LIBDUNE_A) $(LIBDUNE_SO) $(BUILD)/lib/libdune.pc
# The trap path (trap.c) runs before a handler of ring-3 code can save that
# code's FPU/SSE state: it must not touch those registers itself.
$(BUILD)/libdune/trap.o: LIBDUNE_CFLAGS += -mgeneral-regs-only
$(BUILD)/libdune/%.o: libdune/%.c $(LIBDUNE_HDR)
	@mkdir -p $(@D)
	$(CC) $(LIBDUNE_CFLAGS) -c -o $@ $<
$(BUILD)/libdune/entry.o: libdune/entry.S libdune/percpu.h
	@mkdir -p $(@D)
	$(CC) -D__ASSEMBLER__ -c -o $@ $<
$(LIBDUNE_A): $(LIBDUNE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
# Only the dune_* functions of libdune.h (and the pthread_create wrapper) are exported.
$(LIBDUNE_SO): $(LIBDUNE_OBJS) libdune/libdune.map
	@mkdir -p $(@D)
	$(CC) -shared -pthread -Wl,-soname,libdune.so.1 -Wl,--version-script=libdune/libdune.map \
		-Wl,-z,now -o $@ $(LIBDUNE_OBJS)
	ln -sf libdune.so.$(LIBDUNE_VERSION) $(BUILD)/lib/libdune.so.1
	ln -sf libdune.so.1 $(BUILD)/lib/libdune.so
$(BUILD)/lib/libdune.pc: libdune/libdune.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(LIBDUNE_VERSION)|' $< >$@

install: libdune
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/dune
	install -m 644 $(LIBDUNE_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBDUNE_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libdune.so.$(LIBDUNE_VERSION) $(DESTDIR)$(LIBDIR)/libdune.so.1
	ln -sf libdune.so.1 $(DESTDIR)$(LIBDIR)/libdune.so
	install -m 644 $(BUILD)/lib/libdune.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 libdune/libdune.h $(DESTDIR)$(INCDIR)/
	install -m 644 include/uapi/dune.h $(DESTDIR)$(INCDIR)/dune/uapi.h

unit: $(UNIT_TESTS)
$(BUILD)/unit/libdune_vm_test: libdune/tests/vm_test.c libdune/tests/host_stubs.c libdune/vm.c \
		libdune/page.c libdune/layout.c $(LIBDUNE_HDR) test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) -pthread $(SANITIZE) -Iinclude -Ilibdune -o $@ libdune/tests/vm_test.c \
		libdune/tests/host_stubs.c libdune/vm.c libdune/page.c libdune/layout.c
$(BUILD)/unit/libdune_elf_test $(BUILD)/unit/libdune_elf_fuzz: $(BUILD)/unit/libdune_%: \
		libdune/tests/%.c libdune/elf.c $(LIBDUNE_HDR) test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -Iinclude -Ilibdune -o $@ $< libdune/elf.c
$(BUILD)/unit/libdune_insn_test: libdune/tests/insn_test.c libdune/insn.c $(LIBDUNE_HDR) test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -Iinclude -Ilibdune -o $@ $< libdune/insn.c
$(BUILD)/unit/libdune_desc_test: libdune/tests/desc_test.c libdune/desc.h test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -Iinclude -Ilibdune -o $@ $<
$(BUILD)/unit/layout_test: kern/tests/layout_test.c kern/layout.c kern/layout.h test/harness.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -Iinclude -o $@ kern/tests/layout_test.c kern/layout.c
# Header-only encoders: one test program each, kern/tests/NAME_test.c.
$(BUILD)/unit/vmx_caps_test: kern/vmx_caps.h
$(BUILD)/unit/ept_test: kern/ept.h
$(BUILD)/unit/vmx_state_test: kern/vmx_state.h
$(BUILD)/unit/ibt_test: kern/ibt.h
$(BUILD)/unit/%_test: kern/tests/%_test.c test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -o $@ $<

tests: $(VM_PROGS)
$(BUILD)/tests/%: kern/tests/%.c test/harness.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<
$(BUILD)/tests/vm_enter: GUEST_PIE := -fno-pie -no-pie
$(GUEST_PROGS): $(BUILD)/tests/%: kern/tests/%.c kern/tests/guest.h test/harness.h test/procfs.h include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(GUEST_PIE) -pthread -Wl,-z,now -o $@ $<

$(LIBDUNE_TESTS): $(BUILD)/tests/%: libdune/tests/%.c libdune/tests/dune_test.h libdune/libdune.h \
		test/harness.h $(LIBDUNE_SO)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ilibdune -pthread -rdynamic -o $@ $< -L$(BUILD)/lib -ldune \
		-Wl,-rpath,'$$ORIGIN/../lib'

# The README's example, built the way a user would: against an installed
# copy (make install into a staging DESTDIR) through pkg-config.  The rpath
# ($ORIGIN/../lib) finds build/lib, or /dune/lib in the emulated machine.
EXAMPLE_DEST := $(abspath $(BUILD)/install-test)
$(BUILD)/bin/dune-hello: libdune/examples/hello.c $(LIBDUNE_A) $(LIBDUNE_SO) $(BUILD)/lib/libdune.pc
	@rm -rf $(EXAMPLE_DEST)
	@$(MAKE) --no-print-directory install DESTDIR=$(EXAMPLE_DEST) >/dev/null
	@mkdir -p $(@D)
	PKG_CONFIG_SYSROOT_DIR=$(EXAMPLE_DEST) PKG_CONFIG_PATH=$(EXAMPLE_DEST)$(LIBDIR)/pkgconfig \
		sh -c '$(CC) -O2 -Wall -Werror -o $@ $< $$(pkg-config --cflags --libs libdune) -Wl,-rpath,\$$ORIGIN/../lib'

# The benchmarks (bench/*.c, one program per benchmark family), linked with
# libdune.so; staged at /dune/bench with bench/run.sh.
BENCH_PROGS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
BENCH_SCRIPTS := $(patsubst bench/%.sh,$(BUILD)/bench/%.sh,$(filter-out bench/bench.sh,$(wildcard bench/*.sh)))
bench-progs: $(BENCH_PROGS) $(BENCH_SCRIPTS)
$(BENCH_SCRIPTS): $(BUILD)/bench/%.sh: bench/%.sh
	@mkdir -p $(@D)
	cp $< $@
$(BENCH_PROGS): $(BUILD)/bench/%: bench/%.c bench/bench.h test/procfs.h libdune/libdune.h $(LIBDUNE_SO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Iinclude -Ilibdune -pthread -o $@ $< -L$(BUILD)/lib -ldune \
		-Wl,-rpath,'$$ORIGIN/../lib'

tools: $(TOOLS) $(BUILD)/tools/serialcat $(BUILD)/tools/ptyrun $(BUILD)/tools/ksym
$(BUILD)/tools/ptyrun: test/vm/ptyrun.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<
$(BUILD)/tools/serialcat: test/vm/serialcat.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -o $@ $<
$(BUILD)/tools/ksym: test/vm/ksym.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -o $@ $<
$(BUILD)/bin/dune-info: tools/dune-info.c include/uapi/dune.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

# The tree the emulated machine sees at /dune (and a VT-x host can run from).
stage: vm-module libdune tests tools bench-progs sandbox
	@rm -rf $(BUILD)/root && mkdir -p $(BUILD)/root/dune/tests $(BUILD)/root/dune/bin
	@cp $(BUILD)/vm-kern/kern/dune.ko $(BUILD)/root/dune/
	@mkdir -p $(BUILD)/root/dune/lib && cp -P $(BUILD)/lib/libdune.so* $(BUILD)/root/dune/lib/
	@cp $(VM_PROGS) test/tap.sh test/vm/suite.sh test/vm/suite*.list test/vm/stress.sh test/vm/stress.list \
		$(BUILD)/root/dune/tests/
	@for s in $(VM_SCRIPTS); do cp $$s $(BUILD)/root/dune/tests/$$(basename $$s .sh); done
	@cp $(TOOLS) $(BUILD)/root/dune/bin/
	@mkdir -p $(BUILD)/root/dune/bench
	@if [ -n "$(BENCH_PROGS)$(BENCH_SCRIPTS)" ]; then cp $(BENCH_PROGS) $(BENCH_SCRIPTS) $(BUILD)/root/dune/bench/; fi
	@$(MAKE) --no-print-directory sandbox-stage
	@echo "staged $(BUILD)/root"

check-unit: unit
	@bash test/check.sh --unit-only

# The test command (README): set up, build, host-side unit tests, then the
# whole in-VM suite in the emulated machine.  Ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory stage unit
	@bash test/check.sh

# The 2-CPU stress boot (test/vm/stress.sh): the Dune-mode tests of
# test/vm/stress.list round after round, with their threads migrating
# between the CPUs, CPU 1 going offline and back and dune.ko reloaded
# between rounds.  STRESS_SECONDS is guest time: 248 guest seconds took 56
# minutes of wall time here, with three other emulators on the 2 cores
# (13.5 wall seconds each); the watchdog allows 20 per guest second.
STRESS_SECONDS ?= 240
stress: deps
	@$(MAKE) --no-print-directory stage
	@bash test/vm/run -c 2 -t $$(($(STRESS_SECONDS) * 20 + 600)) -- \
		/dune/tests/stress.sh $(STRESS_SECONDS)

# The same suite directly on a real VT-x host, with kern/dune.ko built for the
# running kernel (run as root; dune.ko is loaded and unloaded by the tests).
check-host: module libdune tests tools bench-progs sandbox
	@bash test/check-host.sh

# The benchmark suite (bench/README.md): in the emulated machine, or natively
# on a VT-x host with dune.ko loaded.  BENCH_ARGS: e.g. -n 1000, --smoke.
bench: deps
	@$(MAKE) --no-print-directory stage
	@bash bench/bench.sh $(BENCH_ARGS)

# The main job in the emulated machine: what dune.ko offers, the libdune
# example, the sandbox on Debian's bash and busybox and on an attack program
# (apps/sandbox/demo.sh), then the benchmark suite (its table and figures in
# build/bench-results/).
run: deps
	@$(MAKE) --no-print-directory stage
	@bash test/vm/run -- sh -c 'dune-info && dune-hello && sandbox-demo'
	@bash bench/bench.sh $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)/bench $(BUILD)/install-test $(BUILD)/unit $(BUILD)/tests $(BUILD)/bin $(BUILD)/tools $(BUILD)/vm-kern $(BUILD)/vm-kern-6.12 $(BUILD)/root $(BUILD)/vm \
		$(BUILD)/lib $(BUILD)/libdune
	-$(MAKE) -C kern clean KDIR=$(KDIR) 2>/dev/null
