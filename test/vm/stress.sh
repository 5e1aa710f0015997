#!/bin/sh
# The 2-CPU stress boot: the Dune-mode tests of stress.list, round after
# round for SECONDS of guest time, while a second loop migrates their
# threads between the CPUs every second and takes CPU 1 offline and back
# every few seconds, with dune.ko unloaded and loaded again between rounds.
# Each round is a run of suite.sh (its TAP points and kernel-log checks);
# each reload and each hotplug step that fails is a failed point too.
# Ends with "N passed, N failed".  Run in the emulated machine (make stress)
# or on a real VT-x host with dune.ko loaded.
#
#   stress.sh [-l LIST] SECONDS
here=$(cd "$(dirname "$0")" && pwd)
list=$here/stress.list
[ "${1:-}" = -l ] && { list=$2; shift 2; }
dur=${1:?usage: stress.sh [-l LIST] SECONDS}
ko=${DUNE_KO:-/dune/dune.ko}
cpu1=/sys/devices/system/cpu/cpu1/online
tmp=${TMPDIR:-/tmp}/dune-stress.$$
mkdir -p "$tmp"
names=$(awk '!/^#/ && NF {print $1}' "$list" | tr '\n' ' ')

# The chaos loop: every second, every thread of every running test moves to
# the other CPU (or to both); every fifth second CPU 1 goes offline for one
# second.  Failures are counted in a file (the loop is a subshell).
chaos() {
	i=0
	: >"$tmp/chaos.fail"
	while [ ! -e "$tmp/stop" ]; do
		sleep 1
		i=$((i + 1))
		case $((i % 3)) in 0) mask=1 ;; 1) mask=2 ;; *) mask=3 ;; esac
		for p in $(pidof $names 2>/dev/null); do
			for t in /proc/$p/task/*; do
				taskset -p $mask "${t##*/}" >/dev/null 2>&1
			done
		done
		if [ -w "$cpu1" ] && [ $((i % 5)) = 0 ]; then
			echo 0 >"$cpu1" 2>/dev/null || echo "cpu1 offline failed at ${i}s" >>"$tmp/chaos.fail"
			sleep 1
			echo 1 >"$cpu1" 2>/dev/null || echo "cpu1 online failed at ${i}s" >>"$tmp/chaos.fail"
		fi
	done
	[ -w "$cpu1" ] && echo 1 >"$cpu1" 2>/dev/null
}

chaos &
cpid=$!
start=$(date +%s)
round=0 passed=0 failed=0
while [ $(($(date +%s) - start)) -lt "$dur" ]; do
	round=$((round + 1))
	echo "# === stress round $round ($(($(date +%s) - start))s of ${dur}s)"
	# Streamed: the name of each test as it starts, every failed point.
	"$here/suite.sh" -l "$list" 2>&1 | tee "$tmp/round" |
		sed -n -e '/^# --- /p' -e "s/^not ok [0-9]* - /not ok - round $round: /p"
	p=$(grep -c '^ok ' "$tmp/round")
	f=$(grep -c '^not ok ' "$tmp/round")
	passed=$((passed + p)); failed=$((failed + f))
	echo "# round $round: $p passed, $f failed"
	# Reload dune.ko between rounds (nothing holds it now).
	if rmmod dune && insmod "$ko"; then
		passed=$((passed + 1))
	else
		echo "not ok - round $round: dune.ko unload and reload"
		failed=$((failed + 1))
	fi
done
touch "$tmp/stop"
wait $cpid
if [ -s "$tmp/chaos.fail" ]; then
	sed 's/^/not ok - hotplug: /' "$tmp/chaos.fail"
	failed=$((failed + $(wc -l <"$tmp/chaos.fail")))
fi
echo "# $round rounds in $(($(date +%s) - start)) guest seconds"
rm -rf "$tmp"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
