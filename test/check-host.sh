#!/usr/bin/env bash
# The in-VM suite, run directly on a real VT-x Linux host (no emulator), with
# kern/dune.ko built for the running kernel (`make check-host` builds it).
# Run as root: the tests load and unload dune.ko (and kvm_intel, if it is
# not loaded; a kvm_intel that was loaded before is left loaded).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DUNE_BUILD:-$top/build}
ko=$top/kern/dune.ko

die() { echo "check-host: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root: the tests load and unload dune.ko"
grep -qw vmx /proc/cpuinfo || die "this CPU has no VMX (VT-x); run 'make check' to test in the emulated machine"
[ -f "$ko" ] || die "no $ko: run 'make module' first"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug || true

dir=$build/host-tests
rm -rf "$dir" && mkdir -p "$dir"
cp -r "$build"/tests/* "$top"/test/tap.sh "$top"/test/vm/suite.sh "$top"/test/vm/suite.list "$dir"/
for s in "$top"/kern/tests/vm_*.sh "$top"/libdune/tests/dune_*.sh "$top"/bench/tests/bench_*.sh \
	"$top"/apps/sandbox/tests/sandbox_*.sh; do cp "$s" "$dir/$(basename "$s" .sh)"; done
cp "$build"/bin/dune-hello "$dir"/	# libdune's example (dune_example runs it)

export DUNE_KO=$ko
# The sandbox (suite-sandbox.list) from the build tree; its attack programs are
# in $dir/sandbox (copied above), and bash is the host's own.
PATH=$build/bin:$PATH
export PATH
grep -q '^dune ' /proc/modules && rmmod dune
insmod "$ko" || die "insmod $ko failed (see dmesg)"
# The whole suite, then the sandbox's part, as make check runs them.
{ "$dir/suite.sh" -d "$dir"; echo "suite-rc $?"
  "$dir/suite.sh" -d "$dir" -l "$top/test/vm/suite-sandbox.list"; echo "suite-rc $?"; } 2>&1 |
	tee "$dir/out.log"
rc=0
grep -q '^suite-rc [^0]' "$dir/out.log" && rc=1
grep -q '^dune ' /proc/modules && rmmod dune
exit $rc
