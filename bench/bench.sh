#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench/bench.sh: run the benchmark suite (the paper's Tables 2 and 3, Dune
# against Linux) where it can run, and turn the results into a table and
# figures.  `make bench` runs it after `make deps stage`.
#
#   bash bench/bench.sh [-n ITER] [--smoke] [--replot]
#
#   -n ITER   samples per benchmark (default: each program's own)
#   --smoke   a quick run of the whole pipeline: -n 10 (unless -n is given),
#             a smaller touch size (16 MiB) and fewer enter sizes, unless
#             DUNE_BENCH_TOUCH_MB / DUNE_BENCH_ENTER say otherwise
#   --replot  run nothing: remake the table and figures from the results
#             already in build/bench-results
#
# Where: on a host with VT-x and /dev/dune (dune.ko loaded), natively, in
# real TSC cycles; otherwise in the emulated machine (test/vm/run: Bochs,
# Ivy Bridge, 1 CPU, 2 GiB), where TSC ticks count emulated instructions.
# In the emulated machine transparent huge pages are set to "madvise" first
# (its kernel's default is "never"), so that touch_fresh_2m gets 2 MiB pages.
# Every DUNE_BENCH_* and BENCH_* variable of the environment is passed to
# the programs (e.g. DUNE_BENCH_TOUCH_MB=1024 for the paper-scale touch; see
# bench/README.md).  BENCH_VM_TIMEOUT: the emulator's watchdog in seconds
# (default 3000).
#
# Output, in build/bench-results/: results.tsv (name env min median p99
# samples unit), raw/NAME-ENV.tsv (raw samples), run.log (the run's output),
# table.txt (the table printed at the end), *.png (figures: ratio.png, the
# Dune/Linux ratios, ours against the paper's; cdf-NAME.png, the samples'
# distributions; enter_vs_size.png).  Exits non-zero if a program failed
# (the table and figures are still made from what was measured).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${DUNE_BUILD:-$top/build}
out=$build/bench-results
paper=$top/bench/paper.tsv
iters="" smoke=0 replot=0

die() { echo "bench: $*" >&2; exit 2; }
usage() { echo "usage: bash bench/bench.sh [-n ITER] [--smoke] [--replot]" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	-n) { [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]]; } || usage; iters=$2; shift 2 ;;
	--smoke) smoke=1; shift ;;
	--replot) replot=1; shift ;;
	-h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
if [ $smoke = 1 ]; then
	[ -n "$iters" ] || iters=10
	export DUNE_BENCH_TOUCH_MB=${DUNE_BENCH_TOUCH_MB:-16}
	export DUNE_BENCH_ENTER=${DUNE_BENCH_ENTER:-0:0,16:1,16:10,64:1,64:10}
fi
opts=()
[ -n "$iters" ] && opts=(-n "$iters")

[ -f "$paper" ] || die "missing $paper"

# ---- run ---------------------------------------------------------------------
# run_native / run_emulated: run run.sh over the programs; set status.
run_native() {
	cp "$top/bench/run.sh" "$build/bench/run.sh"
	sh "$build/bench/run.sh" "${opts[@]}" -o "$out" 2>&1 | tee "$out/run.log"
	status=${PIPESTATUS[0]}
}

run_emulated() {
	local inject envs k v f thp cmd

	# This tree's programs and run.sh, whatever was staged before.
	inject=(-f "$top/bench/run.sh:/dune/bench/run.sh")
	for f in "${progs[@]}"; do inject+=(-f "$f:/dune/bench/$(basename "$f")"); done
	# The sandbox that sbwork runs under (run.sh: /dune/bin/sandbox).
	[ -x "$build/bin/sandbox" ] && inject+=(-f "$build/bin/sandbox:/dune/bin/sandbox")
	envs=""
	while IFS='=' read -r k v; do
		[[ "$k" =~ ^(DUNE_)?BENCH_[A-Z0-9_]+$ ]] || continue
		[[ "$k" =~ ^BENCH_(VM_TIMEOUT|ARGS)$ ]] && continue
		[[ "$v" != *"'"* ]] || die "$k: no single quotes, please"
		envs+=" $k='$v'"
	done < <(env)
	[ -n "$envs" ] && echo "bench: environment for the programs:$envs"
	thp=/sys/kernel/mm/transparent_hugepage/enabled
	cmd="[ -w $thp ] && echo madvise >$thp; exec env$envs sh /dune/bench/run.sh --emit -o /tmp/bench ${opts[*]}"
	# The console shows the run without the files it carries back.
	bash "$top/test/vm/run" -c 1 -m 2048 -t "${BENCH_VM_TIMEOUT:-3000}" "${inject[@]}" -- sh -c "$cmd" |
		tee "$out/run.log" |
		awk '/^BEGIN-FILE /{ skip = 1; n++; next } /^END-FILE$/{ skip = 0; next }
			!skip { print; fflush() }
			END { if (n) printf "bench: received %d files from the emulated machine\n", n }'
	status=${PIPESTATUS[0]}
	# Split the files out of the captured console output.
	awk -v out="$out" '
		/^BEGIN-FILE / {
			f = $2
			if (f !~ /^(results\.tsv|raw\/[A-Za-z0-9_.+-]+\.tsv)$/) { f = ""; next }
			f = out "/" f; printf "" >f; next
		}
		/^END-FILE$/ { if (f != "") close(f); f = ""; next }
		f != "" { print >>f }
	' "$out/run.log"
}

status=0
native=0
if [ $replot = 1 ]; then
	[ -s "$out/results.tsv" ] || die "no results in $out to replot: run bench/bench.sh first"
	where=$(cat "$out/where.txt" 2>/dev/null || echo "unknown")
	[[ "$where" == "this host"* ]] && native=1
	rm -rf "$out/plot" "$out"/*.png
else
	progs=()
	for f in "$build"/bench/*; do
		[ -f "$f" ] && [ -x "$f" ] && [[ "$f" != *.sh ]] && progs+=("$f")
	done
	[ ${#progs[@]} -gt 0 ] ||
		die "no benchmark programs in $build/bench: run 'make stage' (or 'make bench') first"
	rm -rf "$out"
	mkdir -p "$out/raw" || die "cannot create $out"
	if grep -qw vmx /proc/cpuinfo 2>/dev/null && [ -c /dev/dune ]; then
		native=1
		cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
		where="this host: $cpu, TSC cycles"
		echo "bench: running natively on $cpu (dune.ko loaded)"
		run_native
	else
		where="emulated Ivy Bridge (Bochs): figures are emulated instruction counts, not real-hardware cycles"
		echo "bench: no VT-x here (or no /dev/dune): running in the emulated machine"
		run_emulated
	fi
	echo "$where" >"$out/where.txt"
fi
# Without the emitted table (the run died before the end), use the RESULT lines seen.
if [ ! -s "$out/results.tsv" ]; then
	grep -a '^RESULT ' "$out/run.log" |
		awk 'NF == 8 { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $2, $3, $4, $5, $6, $7, $8 }' \
		>"$out/results.tsv"
fi
[ "$status" = 0 ] || echo "bench: the run failed (exit status $status); the table below holds what was measured" >&2

# ---- table -------------------------------------------------------------------
table() {
	echo "Measured on: $where"
	echo
	awk -F'\t' '
		function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
		function ratio(d, l,  r) {
			if (!num(d) || !num(l) || l + 0 == 0) return "-"
			r = d / l
			return sprintf(r < 0.1 && r > -0.1 ? "%.3f" : "%.2f", r)
		}
		FNR == NR {
			if ($0 ~ /^#/ || NF < 3) next
			order[++n] = $1; pl[$1] = $2; pd[$1] = $3; inpaper[$1] = 1
			next
		}
		$0 !~ /^#/ && NF >= 7 {
			if (!(($1) in seen)) { seen[$1] = 1; if (!($1 in inpaper)) order[++n] = $1 }
			med[$1, $2] = $4; unit[$1] = $7; cnt[$1] = $6
		}
		END {
			fmt = "%-24s %11s %11s %7s | %11s %11s %7s  %s\n"
			printf fmt, "benchmark", "paper Linux", "paper Dune", "D/L", "our Linux", "our Dune", "D/L", "unit (ours)"
			for (i = 1; i <= n; i++) {
				k = order[i]
				l = ((k, "linux") in med) ? med[k, "linux"] : "-"
				d = ((k, "dune") in med) ? med[k, "dune"] : "-"
				if (!(k in seen) && !num(pl[k])) continue
				u = (k in unit) ? unit[k] : "(not run)"
				printf fmt, k, (num(pl[k]) ? pl[k] : "-"), (num(pd[k]) ? pd[k] : "-"),
					ratio(pd[k], pl[k]), l, d, ratio(d, l), u
			}
		}' "$paper" "$out/results.tsv"
	echo
	echo "Ours: medians; D/L = Dune median / Linux median.  Raw samples: $out/raw."
	echo "Paper: Belay et al., OSDI 2012, Tables 2 and 3 (Xeon E3-1230 v2 Ivy Bridge, Linux 3.2,"
	echo "cycles): APPROXIMATE figures, recalled rather than copied from the paper (bench/paper.tsv:"
	echo "midpoints where only a range is remembered; appel1/appel2 in the paper's own units)."
	echo "\"-\": not reported by the paper, or not measured here (enter_* and module_mem_per_thread"
	echo "have no Linux equivalent)."
	echo "sandbox_*: an ordinary program (bench/sbwork) natively (\"Linux\") and under apps/sandbox in"
	echo "ring 3 of a Dune process (\"Dune\"): D/L = sandboxed / native; startup_true and run_compute"
	echo "are whole runs (spawn to exit), including the sandbox's start-up."
	if [ $native = 0 ]; then
		echo "Emulated machine: TSC ticks count emulated instructions (Bochs), not cycles; a VM exit or"
		echo "a TLB miss costs only the instructions software runs for it.  Compare ratios, not cycles."
	fi
}
table | tee "$out/table.txt"

# ---- figures -----------------------------------------------------------------
if ! command -v gnuplot >/dev/null; then
	echo "bench: gnuplot is missing ('make deps' installs gnuplot-nox): no figures" >&2
	exit $((status ? status : 1))
fi
term="png size 900,560"
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 && term="pngcairo size 900,560 font 'Sans,10'"
pd=$out/plot
mkdir -p "$pd"
# gnuplot's warnings (e.g. about a constant set of samples) go to a log.
gnuplot() { command gnuplot "$@" 2>>"$pd/gnuplot.log" || { tail -n 5 "$pd/gnuplot.log" >&2; return 1; }; }
pngs=()
subtitle=$([ $native = 1 ] && echo "this host, TSC cycles" || echo "emulated Ivy Bridge (Bochs): instruction counts")

# (a) Dune/Linux median ratio per benchmark, ours against the paper's.
awk -F'\t' '
	function num(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?$/ }
	FNR == NR { if ($0 !~ /^#/ && NF >= 3) { pl[$1] = $2; pd[$1] = $3; order[++n] = $1; inp[$1] = 1 } next }
	$0 !~ /^#/ && NF >= 7 { med[$1, $2] = $4; if (!($1 in inp) && !($1 in seen)) { order[++n] = $1 } seen[$1] = 1 }
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]; l = med[k, "linux"]; d = med[k, "dune"]
			if (!num(l) || !num(d) || l <= 0 || d <= 0) continue
			p = (num(pl[k]) && num(pd[k]) && pl[k] > 0) ? pd[k] / pl[k] : "NaN"
			printf "\"%s\" %g %s\n", k, d / l, p
		}
	}' "$paper" "$out/results.tsv" >"$pd/ratio.dat"
if [ -s "$pd/ratio.dat" ]; then
	# The y range starts a decade at or below the smallest ratio.
	ymin=$(awk '{ for (i = 2; i <= 3; i++) if ($i != "NaN" && (m == "" || $i < m)) m = $i }
		END { e = 1; while (e > m / 1.5 && e > 1e-6) e /= 10; print e }' "$pd/ratio.dat")
	gnuplot <<EOF && pngs+=("$out/ratio.png")
set terminal $term noenhanced
set output '$out/ratio.png'
set title "Dune / Linux, median per benchmark ($subtitle)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y
set yrange [$ymin:*]
set ylabel 'Dune / Linux (log scale)'
set xtics rotate by -40 left nomirror
set grid ytics
set key outside top center horizontal
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'
set bmargin 8
plot '$pd/ratio.dat' using 2:xtic(1) title 'ours' lc rgb '#3070b0', \
     '' using 3 title 'paper (approx.)' lc rgb '#d08030'
EOF
fi

# (b) CDFs of the raw samples, Linux against Dune, one figure per benchmark.
for name in $(for f in "$out"/raw/*.tsv; do basename "$f"; done |
		sed -n 's/-\(linux\|dune\)\.tsv$//p' | sort -u); do
	files=() titles=()
	for env in linux dune; do
		f=$out/raw/$name-$env.tsv
		[ -s "$f" ] && grep -qv '^#' "$f" && { files+=("$f"); titles+=("$env"); }
	done
	[ ${#files[@]} -gt 0 ] || continue
	unit=$(awk -F'\t' -v n="$name" '$1 == n { print $7; exit }' "$out/results.tsv")
	logx=$(cat "${files[@]}" | awk '!/^#/ && $1 <= 0 { bad = 1 } END { print bad ? "" : "set logscale x" }')
	plot="" sep=""
	for i in "${!files[@]}"; do
		# The empirical CDF: sorted samples, each with the fraction at or
		# below it, from 0 at the smallest.
		grep -v '^#' "${files[$i]}" | sort -g |
			awk '{ v[++n] = $1 } END { if (n) print v[1], 0; for (i = 1; i <= n; i++) print v[i], i / n }' \
			>"$pd/cdf-$name-${titles[$i]}.dat"
		plot+="$sep'$pd/cdf-$name-${titles[$i]}.dat' using 1:2 with steps lw 2 title '${titles[$i]}'"
		sep=", "
	done
	gnuplot <<EOF && pngs+=("$out/cdf-$name.png")
set terminal $term noenhanced
set output '$out/cdf-$name.png'
set title "$name: distribution of the samples ($subtitle)"
set xlabel '${unit:-cycles}'
set ylabel 'fraction of samples'
set yrange [0:1.02]
set grid
set key below horizontal
$logx
plot $plot
EOF
done

# (c) The first entry against the process's size.
awk -F'\t' '$2 == "dune" && $1 ~ /^enter_[0-9]+m_[0-9]+maps$/ && $4 ~ /^[0-9]+$/ {
	split($1, a, /[_m]/); mb = a[2] + 0; k = $1; sub(/^enter_[0-9]+m_/, "", k); sub(/maps$/, "", k)
	print mb, k + 0, $3 / 1e6, $4 / 1e6, $5 / 1e6
}' "$out/results.tsv" | sort -k1,1n -k2,2n >"$pd/enter.dat"
if [ -s "$pd/enter.dat" ]; then
	# Mapping counts as categories (0, 1, 10, 100, ...), one line per size.
	ks=$(awk '{ print $2 }' "$pd/enter.dat" | sort -n -u | tr '\n' ' ')
	xt=$(awk -v ks="$ks" 'BEGIN { n = split(ks, k, " "); for (i = 1; i <= n; i++) printf "%s\"%s\" %d", (i > 1 ? ", " : ""), k[i], i - 1 }')
	plot="" sep="" j=0
	mbs=$(awk '{ print $1 }' "$pd/enter.dat" | sort -n -u)
	nm=$(wc -l <<<"$mbs")
	for mb in $mbs; do
		# Each size a little to the side, so that equal lines stay visible.
		awk -v ks="$ks" -v mb="$mb" -v dx="$(awk -v j="$j" -v n="$nm" 'BEGIN { print (j - (n - 1) / 2) * 0.04 }')" '
			BEGIN { n = split(ks, k, " "); for (i = 1; i <= n; i++) idx[k[i]] = i - 1 }
			$1 == mb { print idx[$2] + dx, $3, $4, $5 }' "$pd/enter.dat" >"$pd/enter-$mb.dat"
		j=$((j + 1))
		plot+="$sep'$pd/enter-$mb.dat' using 1:3:2:4 with yerrorlines lw 2 pt 7 title '$mb MiB'"
		sep=", "
	done
	gnuplot <<EOF && pngs+=("$out/enter_vs_size.png")
set terminal $term noenhanced
set output '$out/enter_vs_size.png'
set title "dune_init() + dune_enter(), a process's first entry ($subtitle)"
set xlabel 'separate mappings (VMAs) holding the memory'
set ylabel 'millions of cycles (median; bars: min to p99)'
set xtics ($xt)
set offsets 0.3, 0.3, 0, 0
set yrange [0:*]
set grid
set key top left
plot $plot
EOF
fi

echo
echo "bench: results in $out (results.tsv, raw/, table.txt, run.log)"
for p in "${pngs[@]}"; do echo "bench: figure $p"; done
exit "$status"
