#!/usr/bin/env bash
# The whole test suite (run by `make check`, after `make deps stage unit`):
#   1. the host-side unit tests (pure code, ASan + UBSan builds);
#   2. the in-VM suite (test/vm/suite.list, then the sandbox's
#      suite-sandbox.list) in two boots of the emulated 2-CPU Intel machine
#      with Debian's 6.1 kernel and dune.ko loaded;
#   3. beside it: two short boots on CPUs that cannot run Dune (a Core 2
#      with VMX but no EPT, a Pentium 4 without VMX), where dune.ko must
#      refuse to load; the Dune-mode tests on a 1-CPU machine
#      (suite-1cpu.list); self-tests of the rig (output and status come
#      back, the watchdog fires and dumps every CPU, a busy emulated screen
#      does not freeze the emulator, an emulator that cannot start is a
#      failure); and the whole in-VM suite again on Debian's 6.12 kernel
#      (suite.list in the other lane, suite-sandbox.list in the first).
# Every TAP point counts; a program or boot that fails without saying which
# point failed counts as one failure.  Ends with "N passed, N failed";
# exits 1 on any failure.
#
#   test/check.sh [--unit-only]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DUNE_BUILD:-$top/build}
cd "$top"

unit_only=0
[ "${1:-}" = --unit-only ] && unit_only=1
vm_cpus=${DUNE_VM_CPUS:-2}
main_timeout=${DUNE_VM_TIMEOUT:-3600}	# suite.list; the sandbox's boots 2/3 of it
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
	# boot NAME TITLE RUN-ARGS...: one boot of the emulated machine, its
	# output in $logs/NAME.log, its status in $logs/NAME.rc, its title and
	# wall time in $logs/NAME.title.
	boot() {
		local name=$1 title=$2 start
		shift 2
		start=$(date +%s)
		test/vm/run -q "$@" >"$logs/$name.log" 2>&1
		echo $? >"$logs/$name.rc"
		echo "$title, $(($(date +%s) - start))s wall" >"$logs/$name.title"
	}
	# Two lanes side by side (one core each), about equally long.  This
	# one: the refusal boots, Dune mode on one CPU, the rig's self-tests,
	# and suite.list on Debian's 6.12 kernel (2 CPUs).
	have612=0
	# Not run on 6.12 yet (issue 13): bench_smoke has never run there;
	# vm_reload's 100 unload/load cycles overran its 300 guest seconds on
	# 6.12 (172 s on 6.1, 2 CPUs): to be found out, not hidden.
	not612="vm_reload bench_smoke"
	[ -f "$build/kernel/ABI-6.12" ] && have612=1
	(
		boot noept "dune.ko on a CPU with VMX but no EPT (Core 2 Penryn)" \
			--no-module --cpu-model core2_penryn_t9600 -t $small_timeout \
			-- /dune/tests/vm_refuse "this CPU's VMX lacks EPT"
		boot novmx "dune.ko on a CPU without VMX (Pentium 4 Prescott)" \
			--no-module --cpu-model p4_prescott_celeron_336 -t $small_timeout \
			-- /dune/tests/vm_refuse "VMX (VT-x) is not available"
		boot onecpu "a 1-CPU Ivy Bridge: test/vm/suite-1cpu.list" -c 1 -t 1200 \
			-- /dune/tests/suite.sh -l /dune/tests/suite-1cpu.list
		start=$(date +%s)
		test/vm/rig_test.sh >"$logs/rig.log" 2>&1
		echo $? >"$logs/rig.rc"
		echo "the rig itself (test/vm/rig_test.sh), $(($(date +%s) - start))s wall" >"$logs/rig.title"
		if [ $have612 = 1 ]; then
			# All of suite.list but $not612: the tests not yet
			# run on 6.12 (issue 13), named in the title.
			names=$(awk -v no=" $not612 " '!/^#/ && NF && index(no, " " $1 " ") == 0 { print $1 }' \
				test/vm/suite.list | tr '\n' ' ')
			boot k612 "Debian 6.12, 2-CPU Ivy Bridge: suite.list${not612:+ but $not612 (see check.sh: issue 13)}" \
				--kernel 6.12 -c "$vm_cpus" -t "$main_timeout" \
				-- /dune/tests/suite.sh -l /dune/tests/suite.list $names
		else
			echo "not ok - the 6.12 kernel was not fetched (make deps)" >"$logs/k612.log"
			echo 1 >"$logs/k612.rc"; echo "Debian 6.12" >"$logs/k612.title"
		fi
	) &
	side=$!

	# This lane, shown as it runs: the whole suite on Debian 6.1 on the
	# 2-CPU Ivy Bridge in two boots (the sandbox's in its own), then the
	# sandbox's part on 6.12.
	for run in 6.1:suite 6.1:suite-sandbox 6.12:suite-sandbox; do
		kernel=${run%%:*} part=${run#*:}
		[ "$kernel" = 6.12 ] && [ $have612 = 0 ] && continue
		t=$main_timeout
		[ $part = suite-sandbox ] && t=$((main_timeout * 2 / 3))
		echo "# === in-VM suite, $part.list: emulated Ivy Bridge, $vm_cpus CPUs, Debian $kernel (watchdog ${t}s)"
		start=$(date +%s)
		prefix=""
		[ "$kernel" = 6.1 ] || prefix="$kernel: "
		test/vm/run --kernel "$kernel" -c "$vm_cpus" -t "$t" -- /dune/tests/suite.sh \
			-l /dune/tests/$part.list 2>&1 |
			sed -u "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1$prefix/" | tee "$logs/main.log"
		rc=${PIPESTATUS[0]}
		echo "# in-VM suite, $part.list, Debian $kernel: $(($(date +%s) - start))s wall"
		tally "in-VM suite ($part.list, $kernel)" "$logs/main.log" "$rc"
	done

	wait $side
	for name in noept novmx onecpu rig k612; do
		echo "# === $(cat "$logs/$name.title")"
		case $name in
		onecpu) sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\11cpu: /" "$logs/$name.log" ;;
		k612) sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\16.12: /" "$logs/$name.log" ;;
		*) cat "$logs/$name.log" ;;
		esac
		tally "$(cut -d, -f1 "$logs/$name.title")" "$logs/$name.log" "$(cat "$logs/$name.rc")"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
