# apps/sandbox: run untrusted ELF binaries in ring 3 under a system-call
# policy (apps/sandbox/README.md).  Included by the top-level Makefile.
#
#   apps/sandbox/*.c                the sandbox (build/bin/sandbox); the pure
#                                   parts (SANDBOX_PURE) also go into the
#                                   host-side unit tests
#   apps/sandbox/tests/*_test.c     host-side unit tests (ASan + UBSan), linked
#   apps/sandbox/tests/*_fuzz.c     with SANDBOX_PURE: build/unit/sandbox_NAME
#   apps/sandbox/tests/attack_*.c   programs that try to escape (static), for
#                                   the in-VM tests: /dune/tests/sandbox/
#   apps/sandbox/tests/sandbox_*.sh in-VM test scripts (TAP): /dune/tests/NAME
SANDBOX_PURE := apps/sandbox/policy.c apps/sandbox/vma.c apps/sandbox/sysnames.c apps/sandbox/path.c
SANDBOX_SRC  := $(wildcard apps/sandbox/*.c)
SANDBOX_HDR  := $(wildcard apps/sandbox/*.h)
SANDBOX      := $(BUILD)/bin/sandbox
SANDBOX_UNIT := $(patsubst apps/sandbox/tests/%.c,$(BUILD)/unit/sandbox_%,\
	$(wildcard apps/sandbox/tests/*_test.c apps/sandbox/tests/*_fuzz.c))
SANDBOX_ATTACKS := $(patsubst apps/sandbox/tests/%.c,$(BUILD)/tests/sandbox/%,\
	$(wildcard apps/sandbox/tests/attack_*.c))
SANDBOX_SCRIPTS := $(wildcard apps/sandbox/tests/sandbox_*.sh)

UNIT_TESTS += $(SANDBOX_UNIT)
VM_SCRIPTS += $(SANDBOX_SCRIPTS)

.PHONY: sandbox
sandbox: $(SANDBOX) $(SANDBOX_ATTACKS)

$(SANDBOX): $(SANDBOX_SRC) $(SANDBOX_HDR) libdune/libdune.h include/uapi/dune.h $(LIBDUNE_SO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Iinclude -Ilibdune -pthread -o $@ $(SANDBOX_SRC) \
		-L$(BUILD)/lib -ldune -Wl,-rpath,'$$ORIGIN/../lib'

$(SANDBOX_UNIT): $(BUILD)/unit/sandbox_%: apps/sandbox/tests/%.c $(SANDBOX_PURE) $(SANDBOX_HDR) \
		test/harness.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SANITIZE) -Iinclude -Iapps/sandbox -o $@ $< $(SANDBOX_PURE)

# Attack programs: static, so that they need nothing from the machine.
$(SANDBOX_ATTACKS): $(BUILD)/tests/sandbox/%: apps/sandbox/tests/%.c apps/sandbox/tests/attack.h
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -static -o $@ $<

# Staged by `make stage`: the sandbox, its default policy, the attack
# programs, and a larger dynamically linked Debian program (bash: the rig
# copies the shared libraries of everything staged).
sandbox-stage: sandbox
	@cp $(SANDBOX) $(BUILD)/root/dune/bin/
	@cp apps/sandbox/demo.sh $(BUILD)/root/dune/bin/sandbox-demo
	@mkdir -p $(BUILD)/root/dune/share/sandbox $(BUILD)/root/dune/tests/sandbox $(BUILD)/root/dune/debian
	@cp apps/sandbox/default.policy $(BUILD)/root/dune/share/sandbox/
	@if [ -n "$(SANDBOX_ATTACKS)" ]; then cp $(SANDBOX_ATTACKS) $(BUILD)/root/dune/tests/sandbox/; fi
	@cp /bin/bash $(BUILD)/root/dune/debian/bash
