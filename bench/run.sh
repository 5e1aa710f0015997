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
# scale.  Each runs as `PROG [-n ITER] [-w WARMUP] -o OUTDIR/raw`; its
# output is shown as it comes and kept in OUTDIR/log/PROG.log, its exit
# status in OUTDIR/log/PROG.rc.
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
progs="syscall pagefault tlb interpose trap appel scale"
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
	{ $tmo "$prog" $opts -o "$out/raw" 2>&1 </dev/null; echo $? >"$out/log/$p.rc"; } |
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
