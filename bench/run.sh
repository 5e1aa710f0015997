#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run.sh: run every benchmark program found beside this script, collect
# their RESULT lines into one table, and keep their raw samples.
#
#   run.sh [-n ITER] [-w WARMUP] [-o OUTDIR] [--emit]
#
# POSIX sh (busybox sh in the emulated machine, or bash/dash on a VT-x host
# with dune.ko loaded).  Programs, in this order, each skipped with a
# message when it is missing: syscall pagefault tlb interpose trap appel
# scale sbwork.  Each runs as `PROG [-n ITER] [-w WARMUP] -o OUTDIR/raw`; its
# output is shown as it comes and kept in OUTDIR/log/PROG.log, its exit
# status in OUTDIR/log/PROG.rc.
#
# sbwork (the sandbox's overhead, apps/sandbox) runs several times instead,
# each mode natively (-e linux) and under the sandbox (-e dune):
#   sbwork MODE                          and  sandbox -p P -- sbwork MODE
#     for MODE in syscall, mmap, compute;
#   sbwork spawn -N sandbox_startup_true -- busybox true
#                                        and  ... -- sandbox -p P -- busybox true
#   sbwork spawn -N sandbox_run_compute -- sbwork kernel 4
#                                        and  ... -- sandbox -p P -- sbwork kernel 4
# The sandbox is ../bin/sandbox beside this folder (/dune/bin/sandbox in the
# emulated machine, build/bin/sandbox on a host), else `sandbox` in PATH;
# without one sbwork fails.  Its policy P (OUTDIR/sandbox.policy) is the
# default one, plus reading this folder and ../lib (sbwork is linked with
# libdune.so) and writing OUTDIR/raw (the raw samples).
#
# OUTDIR (default /tmp/bench) gets:
#   results.tsv   every RESULT line, tab-separated:
#                 name env min median p99 samples unit
#   raw/NAME-ENV.tsv   the raw samples (one per line, '#' comments)
#   log/          the programs' output and exit statuses
#
# --emit also prints results.tsv and every raw file on stdout, each between
# a line "BEGIN-FILE <file>" and a line "END-FILE" (raw files as
# raw/NAME-ENV.tsv): the emulated machine's only way back to the host is its
# serial console (bench/bench.sh splits them out again).
#
# Environment: BENCH_TIMEOUT (seconds per program, default 3600; needs a
# `timeout` command), and whatever the programs read (DUNE_BENCH_*).
# Exits 1 if any program failed, 2 on a usage error.
here=$(cd "$(dirname "$0")" && pwd)
progs="syscall pagefault tlb interpose trap appel scale sbwork"
out=/tmp/bench
emit=0
opts=""

usage() {
	echo "usage: $0 [-n ITER] [-w WARMUP] [-o OUTDIR] [--emit]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	-n|-w)
		[ $# -ge 2 ] || usage
		case "$2" in ''|*[!0-9]*) usage ;; esac
		opts="$opts $1 $2"; shift 2 ;;
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	--emit) emit=1; shift ;;
	-h|--help) sed -n '3,/^# Exits/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done

rm -rf "$out/raw" "$out/log" "$out/results.tsv"
mkdir -p "$out/raw" "$out/log" || exit 1
tmo=""
command -v timeout >/dev/null 2>&1 && tmo="timeout ${BENCH_TIMEOUT:-3600}"

# run_sbwork PROG: the sandbox benchmark (see above); its exit status is 1
# if any run failed.  Output on stdout and stderr, as the programs'.
run_sbwork() {
	sb=$here/../bin/sandbox
	[ -x "$sb" ] || sb=$(command -v sandbox 2>/dev/null)
	if [ -z "$sb" ] || [ ! -x "$sb" ]; then
		echo "sbwork: no sandbox ($here/../bin/sandbox or sandbox in PATH): 'make sandbox' builds it"
		return 1
	fi
	# An absolute path (busybox sh's `command -v` names its applets bare).
	for bb in /bin/busybox /usr/bin/busybox /bin/true; do [ -x "$bb" ] && break; done
	o=$(cd "$out" && pwd -P) || return 1
	raw=$o/raw pol=$o/sandbox.policy
	lib=$(cd "$here/../lib" 2>/dev/null && pwd -P)
	{
		echo "# bench/run.sh: the sandbox benchmark's policy"
		echo "default"
		echo "read $(cd "$here" && pwd -P)${lib:+ $lib}"
		echo "write $raw"
	} >"$pol" || return 1
	echo "# sbwork: sandbox $sb, policy $pol:"
	grep -v '^#' "$pol" | sed 's/^/#   /'
	src=0
	for m in syscall mmap compute; do
		echo "# sbwork: $m, natively"
		# shellcheck disable=SC2086
		$tmo "$1" $opts -o "$raw" -e linux "$m" || src=1
		echo "# sbwork: $m, under the sandbox"
		# shellcheck disable=SC2086
		$tmo "$sb" -p "$pol" -- "$1" $opts -o "$raw" -e dune "$m" || src=1
	done
	echo "# sbwork: whole runs of $bb true and of sbwork kernel 4, natively and under the sandbox"
	# shellcheck disable=SC2086
	{
		$tmo "$1" $opts -o "$raw" -e linux spawn -N sandbox_startup_true -- "$bb" true || src=1
		$tmo "$1" $opts -o "$raw" -e dune spawn -N sandbox_startup_true -- \
			"$sb" -p "$pol" -- "$bb" true || src=1
		$tmo "$1" $opts -o "$raw" -e linux spawn -N sandbox_run_compute -- "$1" kernel 4 || src=1
		$tmo "$1" $opts -o "$raw" -e dune spawn -N sandbox_run_compute -- \
			"$sb" -p "$pol" -- "$1" kernel 4 || src=1
	}
	return $src
}

echo "# bench: $(uname -srm); $(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: *//')"
failed=""
ran=0
for p in $progs; do
	prog=$here/$p
	if [ ! -x "$prog" ]; then
		echo "# bench: $p: not built ($prog missing), skipped"
		continue
	fi
	ran=$((ran + 1))
	echo "# bench: --- $p$opts"
	start=$(date +%s)
	# The exit status through a file: a POSIX pipeline gives only tee's.
	# shellcheck disable=SC2086
	{
		if [ "$p" = sbwork ]; then
			run_sbwork "$prog" 2>&1 </dev/null
		else
			$tmo "$prog" $opts -o "$out/raw" 2>&1 </dev/null
		fi
		echo $? >"$out/log/$p.rc"
	} |
		tee "$out/log/$p.log"
	rc=$(cat "$out/log/$p.rc")
	echo "# bench: $p: exit status $rc after $(($(date +%s) - start)) s"
	[ "$rc" = 0 ] || failed="$failed $p"
	grep '^RESULT ' "$out/log/$p.log" |
		awk 'NF == 8 { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $2, $3, $4, $5, $6, $7, $8 }' \
		>>"$out/results.tsv"
done
[ -f "$out/results.tsv" ] || : >"$out/results.tsv"

if [ $emit = 1 ]; then
	echo "BEGIN-FILE results.tsv"
	cat "$out/results.tsv"
	echo "END-FILE"
	for f in "$out"/raw/*.tsv; do
		[ -f "$f" ] || continue
		echo "BEGIN-FILE raw/$(basename "$f")"
		cat "$f"
		echo "END-FILE"
	done
fi

if [ $ran = 0 ]; then
	echo "# bench: no benchmark program found in $here" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "# bench: FAILED:$failed (see $out/log)" >&2
	exit 1
fi
echo "# bench: $ran programs, results in $out/results.tsv"
exit 0
