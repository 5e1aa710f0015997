#!/usr/bin/env bash
# The whole test suite (run by `make check`, after `make deps stage unit`):
#   1. the host-side unit tests (pure code, ASan + UBSan builds);
#   2. the in-VM suite (test/vm/suite.list, suite-2.list, suite-3.list, and
#      the sandbox's suite-4.list, suite-5.list) in five boots of the
#      emulated 2-CPU Intel machine with dune.ko loaded;
#   3. two short boots on CPUs that cannot run Dune (a Core 2 with VMX but no
#      EPT, a Pentium 4 without VMX), where dune.ko must refuse to load;
#   4. self-tests of the rig: output and status come back, the watchdog
#      stops a hung guest, an emulator that cannot start is a failure.
# The boots run side by side (one core each).  Every TAP point counts; a
# program or boot that fails without saying which point failed counts as
# one failure.  Ends with "N passed, N failed"; exits 1 on any failure.
#
#   test/check.sh [--unit-only]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DUNE_BUILD:-$top/build}
cd "$top"

unit_only=0
[ "${1:-}" = --unit-only ] && unit_only=1
vm_cpus=${DUNE_VM_CPUS:-2}
main_timeout=${DUNE_VM_TIMEOUT:-900}
small_timeout=300

passed=0 failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# tally NAME LOGFILE EXIT-STATUS: count the TAP points of one section.
tally() {
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -aEc '^ok [0-9]+' "$log")
	f=$(grep -aEc '^not ok [0-9]+' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name: exited with status $rc without a failed test point"
		f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $name: ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

echo "# === host-side unit tests"
for t in "$build"/unit/*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	echo "# --- $name"
	"$t" >"$logs/unit.log" 2>&1
	rc=$?
	sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1$(basename "$t"): /" "$logs/unit.log"
	tally "$name" "$logs/unit.log" $rc
done

if [ $unit_only = 0 ]; then
	# The two refusal boots, one after the other, beside the main boot.
	(
		test/vm/run -q --no-module --cpu-model core2_penryn_t9600 -t $small_timeout \
			-- /dune/tests/vm_refuse "this CPU's VMX lacks EPT" >"$logs/noept.log" 2>&1
		echo $? >"$logs/noept.rc"
		test/vm/run -q --no-module --cpu-model p4_prescott_celeron_336 -t $small_timeout \
			-- /dune/tests/vm_refuse "VMX (VT-x) is not available" >"$logs/novmx.log" 2>&1
		echo $? >"$logs/novmx.rc"
		# Dune mode on a single CPU too (no migration, preemption by the
		# tests' own threads): the tests where the CPU count matters, and
		# the tests that unload and load dune.ko (see suite-1cpu.list).
		test/vm/run -q -c 1 -t 1500 -- /dune/tests/suite.sh -l /dune/tests/suite-1cpu.list \
			>"$logs/onecpu.log" 2>&1
		echo $? >"$logs/onecpu.rc"
		test/vm/rig_test.sh >"$logs/rig.log" 2>&1
		echo $? >"$logs/rig.rc"
	) &
	side=$!

	# The main suite in five boots of the 2-CPU machine (see suite.list:
	# long 2-CPU runs were seen to stall the emulator); the last two are the
	# sandbox's (apps/sandbox).
	for part in suite suite-2 suite-3 suite-4 suite-5; do
		echo "# === in-VM suite, $part.list: emulated Ivy Bridge, $vm_cpus CPUs (watchdog ${main_timeout}s)"
		start=$(date +%s)
		test/vm/run -c "$vm_cpus" -t "$main_timeout" -- /dune/tests/suite.sh \
			-l /dune/tests/$part.list 2>&1 | tee "$logs/main.log"
		rc=${PIPESTATUS[0]}
		echo "# in-VM suite, $part.list: $(($(date +%s) - start))s wall"
		tally "in-VM suite ($part.list)" "$logs/main.log" "$rc"
	done

	wait $side
	echo "# === dune.ko on a CPU with VMX but no EPT (Core 2 Penryn; watchdog ${small_timeout}s)"
	cat "$logs/noept.log"
	tally "no-EPT boot" "$logs/noept.log" "$(cat "$logs/noept.rc")"
	echo "# === dune.ko on a CPU without VMX (Pentium 4 Prescott; watchdog ${small_timeout}s)"
	cat "$logs/novmx.log"
	tally "no-VMX boot" "$logs/novmx.log" "$(cat "$logs/novmx.rc")"
	echo "# === a 1-CPU Ivy Bridge: test/vm/suite-1cpu.list"
	sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\11cpu: /" "$logs/onecpu.log"
	tally "1-CPU boot" "$logs/onecpu.log" "$(cat "$logs/onecpu.rc")"
	echo "# === the rig itself (test/vm/rig_test.sh)"
	cat "$logs/rig.log"
	tally "rig self-test" "$logs/rig.log" "$(cat "$logs/rig.rc")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
