#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# smoke.sh: the benchmarks as a test (TAP), for the in-VM suite: run.sh -n 10
# over every program beside this script, then one point per program present:
#
#   ok N - bench PROG    it exited 0, printed RESULT lines with numeric
#                        min/median/p99 and a sample count, a Dune side for
#                        every benchmark, and both a Linux and a Dune side for
#                        the ones that have both (the paper's, the touches,
#                        thread_kmem, the sandbox's), and every benchmark the
#                        program must print (sbwork: all six sandbox_*)
#
# sbwork runs natively and under the sandbox (run.sh): its point fails when
# the sandbox is missing or any sandboxed run fails.
#
# POSIX sh (busybox).  Needs dune.ko loaded, and the sandbox (../bin/sandbox).
# Quick sizes unless the environment says otherwise: DUNE_BENCH_TOUCH_MB=8,
# DUNE_BENCH_ENTER=0:0,16:10.
# Output of the run: BENCH_SMOKE_OUT (default /tmp/bench-smoke).
here=$(cd "$(dirname "$0")" && pwd)
out=${BENCH_SMOKE_OUT:-/tmp/bench-smoke}
progs="syscall pagefault tlb interpose trap appel scale sbwork"
both="getpid pagefault tlb_walk_4k syscall_interpose fault_to_handler appel1 appel2
	touch_fresh_4k touch_fresh_2m touch_reused_2m thread_kmem
	sandbox_getppid sandbox_write_null sandbox_mmap sandbox_compute
	sandbox_startup_true sandbox_run_compute"
# Benchmarks a program must print (PROG:NAME ...).
need="sbwork:sandbox_getppid sbwork:sandbox_write_null sbwork:sandbox_mmap
	sbwork:sandbox_compute sbwork:sandbox_startup_true sbwork:sandbox_run_compute"
DUNE_BENCH_TOUCH_MB=${DUNE_BENCH_TOUCH_MB:-8}
DUNE_BENCH_ENTER=${DUNE_BENCH_ENTER:-0:0,16:10}
export DUNE_BENCH_TOUCH_MB DUNE_BENCH_ENTER

present=""
n=0
for p in $progs; do
	[ -x "$here/$p" ] && { present="$present $p"; n=$((n + 1)); }
done
if [ $n = 0 ]; then
	echo "1..0 # SKIP no benchmark programs in $here"
	exit 0
fi
echo "1..$n"
if [ ! -f "$here/run.sh" ]; then
	echo "# $here/run.sh is missing"
	i=0
	for p in $present; do i=$((i + 1)); echo "not ok $i - bench $p"; done
	exit 1
fi

start=$(date +%s)
sh "$here/run.sh" -n 10 -o "$out" >"$out.log" 2>&1
echo "# run.sh -n 10: exit status $? after $(($(date +%s) - start)) s (output: $out.log)"

# check PROG: prints what is wrong, one line each; silent when all is well.
check() {
	log=$out/log/$1.log
	rc=$(cat "$out/log/$1.rc" 2>/dev/null)
	[ "$rc" = 0 ] || echo "exit status ${rc:-unknown}"
	[ -f "$log" ] || { echo "no output ($log)"; return; }
	grep '^RESULT ' "$log" | awk -v both="$both" -v need="$need" -v prog="$1" '
		function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
		BEGIN {
			nb = split(both, b, /[ \t\n]+/); for (i = 1; i <= nb; i++) if (b[i] != "") want[b[i]] = 1
			nn = split(need, b, /[ \t\n]+/)
			for (i = 1; i <= nn; i++) if (index(b[i], prog ":") == 1) must[substr(b[i], length(prog) + 2)] = 1
		}
		{
			lines++
			if (NF != 8) { print "malformed: " $0; next }
			if ($3 != "linux" && $3 != "dune") { print "unknown environment: " $0; next }
			if (!num($4) || !num($5) || !num($6) || $7 !~ /^[1-9][0-9]*$/)
				print "not numeric: " $0
			env[$2, $3] = 1; names[$2] = 1
		}
		END {
			if (!lines) print "no RESULT lines"
			for (k in names) {
				if (!((k, "dune") in env)) print k ": no dune result"
				if ((k in want) && !((k, "linux") in env)) print k ": no linux result"
			}
			for (k in must) if (!(k in names)) print k ": missing"
		}'
}

i=0
failed=0
for p in $present; do
	i=$((i + 1))
	problems=$(check "$p")
	grep '^RESULT ' "$out/log/$p.log" 2>/dev/null | sed 's/^/# /'
	if [ -z "$problems" ]; then
		echo "ok $i - bench $p"
	else
		echo "$problems" | sed "s/^/# $p: /"
		tail -n 15 "$out/log/$p.log" 2>/dev/null | grep -v '^RESULT ' | sed "s/^/# $p| /"
		echo "not ok $i - bench $p"
		failed=$((failed + 1))
	fi
done
[ $failed = 0 ]
