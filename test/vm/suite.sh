#!/bin/sh
# The in-VM test suite runner (also runs directly on a real VT-x host with
# dune.ko loaded: see the README).  Reads "name timeout-seconds" lines from
# the list file (default: suite.list beside this script), runs each test
# program from the tests folder with its own timeout, re-emits its TAP
# points prefixed with its name, and adds one point per program: it exited
# 0 in time and the kernel log gained no Oops, BUG, WARNING, general
# protection fault, "scheduling while atomic", lockdep, KASAN, UBSAN or
# hung-task report while it ran.  Ends with the TAP plan and a line
# "N passed, N failed"; exits 1 if anything failed.
#
#   suite.sh [-l LIST] [-d TESTDIR] [NAME...]
here=$(cd "$(dirname "$0")" && pwd)
list=$here/suite.list
dir=$here
while [ $# -gt 0 ]; do
	case "$1" in
	-l) list=$2; shift 2 ;;
	-d) dir=$2; shift 2 ;;
	*) break ;;
	esac
done
only="$*"
PATH=$dir:$PATH
export PATH

bad='Oops|BUG:|kernel BUG|WARNING:|general protection fault|scheduling while atomic|lockdep|possible recursive locking|circular locking|KASAN|UBSAN|blocked for more than|soft lockup|hard LOCKUP|rcu_.*stall|Call Trace|list_add corruption|list_del corruption|refcount_t:|double fault|kernel NULL pointer|unable to handle'
n=0
failed=0
tmp=${TMPDIR:-/tmp}/dune-suite.$$
mkdir -p "$tmp"

klog_lines() { dmesg 2>/dev/null | wc -l; }

point() {	# point OK|NOTOK description
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

while read -r name secs rest; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ -n "$only" ]; then
		case " $only " in *" $name "*) ;; *) continue ;; esac
	fi
	prog=$dir/$name
	echo "# --- $name (timeout ${secs}s)"
	# In the rig, where dune.ko's text is now (tests reload it): the rig
	# names a hung guest's stack addresses with it.
	if [ -n "${DUNE_VM_RIG:-}" ]; then
		for f in /sys/module/dune/sections/.*text*; do
			[ -r "$f" ] && echo "@@DUNE-VM-SYMS dune ${f##*/} $(cat "$f")"
		done
	fi
	if [ ! -x "$prog" ]; then
		point NOTOK "$name: test program missing ($prog)"
		continue
	fi
	before=$(klog_lines)
	start=$(date +%s)
	timeout -s KILL "$secs" "$prog" >"$tmp/out" 2>&1 </dev/null
	rc=$?
	took=$(($(date +%s) - start))
	# Re-number the program's own TAP points; everything else is a comment.
	awk -v name="$name" -v base="$n" '
		/^(not )?ok [0-9]+/ {
			notok = ($1 == "not")
			line = $0
			sub(/^(not )?ok [0-9]+ *-? */, "", line)
			base++
			printf "%sok %d - %s: %s\n", notok ? "not " : "", base, name, line
			next
		}
		/^1\.\.[0-9]+/ { next }
		/^#/ { print; next }
		{ print "# " $0 }
	' "$tmp/out"
	sub=$(grep -cE '^(not )?ok [0-9]+' "$tmp/out")
	subfail=$(grep -E '^not ok [0-9]+' "$tmp/out" | grep -vc '# TODO')
	n=$((n + sub))
	failed=$((failed + subfail))
	dmesg 2>/dev/null | tail -n +$((before + 1)) >"$tmp/klog"
	if grep -qE "$bad" "$tmp/klog"; then
		echo "# kernel log while $name ran:"
		sed 's/^/#   /' "$tmp/klog" | head -n 60
		point NOTOK "$name: kernel log clean"
	elif [ $rc = 137 ] || [ $rc = 124 ]; then
		point NOTOK "$name: finished within ${secs}s (killed by the timeout)"
	elif [ $rc != 0 ]; then
		point NOTOK "$name: exit status 0 (got $rc after ${took}s)"
	else
		point OK "$name: exit status 0, kernel log clean (${took}s)"
	fi
done <"$list"
rm -rf "$tmp"
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed = 0 ]
