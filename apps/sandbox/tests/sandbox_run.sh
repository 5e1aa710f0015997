#!/bin/sh
# The sandbox runs ordinary Debian programs as natively: busybox applets,
# pipelines, gzip round trips, find, exit statuses and deaths by signal,
# and Debian's bash (dynamically linked, PIE, fork/exec/pipes/SIGCHLD).
# Each command runs natively and under the sandbox (default policy) in the
# same scratch directory under /tmp; stdout, stderr and the exit status must
# match.  Also: PATH search, stdin/arguments/environment, --trace, bad
# policy files and usage errors (status 101), and a clean kernel log.
# TAP output (test/tap.sh).  Staged as /dune/tests/sandbox_run.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
SB=${SANDBOX:-sandbox}
att=${SANDBOX_ATTACKS:-$here/sandbox}
BASH_BIN=${SANDBOX_BASH:-/dune/debian/bash}
[ -x "$BASH_BIN" ] || BASH_BIN=/bin/bash
BB=/bin/busybox
PATH=$PATH:/bin:/usr/bin
export PATH

plan 46
top=/tmp/sandbox_run.$$
work=$top/work
rm -rf "$top"
mkdir -p "$work/d/sub"
trap 'cd /; rm -rf "$top"' EXIT
k0=$(dmesg | wc -l)

# The prepared tree.
printf 'alpha\nbeta\n' >"$work/d/a"
printf 'gamma\n' >"$work/d/b"
printf 'deep\n' >"$work/d/sub/c"
ln -s a "$work/d/l"
seq 1 300 | sort -r >"$work/nums"
seq 1 12000 >"$work/data"			# about 60 KB
printf '#!/bin/sh\necho "script $1 $2"\nexit 4\n' >"$work/s.sh"
chmod +x "$work/s.sh"

# show FILE: its first lines as diagnostics.
show() { [ -s "$1" ] && head -n 15 "$1" | sed "s|^|#   $(basename "$1"): |"; }

# same NAME CMD...: CMD natively, then under the sandbox, in $work with
# stdin from /dev/null: stdout, stderr (but the sandbox's "denied" lines)
# and status must be the same.
same() {
	_n=$1; shift
	(cd "$work" && "$@") >"$top/n.out" 2>"$top/n.err" </dev/null
	_nrc=$?
	(cd "$work" && "$SB" -- "$@") >"$top/s.out" 2>"$top/s.all" </dev/null
	_src=$?
	# "denied" lines are the policy at work (bash probes /dev/tty and nscd):
	# the rest of stderr must be the program's own, as natively.
	grep -v '^sandbox\[[0-9]*\]: denied: ' "$top/s.all" >"$top/s.err"
	if [ "$_nrc" = "$_src" ] && diff "$top/n.out" "$top/s.out" >/dev/null &&
		diff "$top/n.err" "$top/s.err" >/dev/null; then
		_tap_result 0 "$_n"
	else
		diag "$*: native status $_nrc, sandboxed $_src"
		diff "$top/n.out" "$top/s.out" | head -n 20 | sed 's/^/#   stdout: /'
		diff "$top/n.err" "$top/s.err" | head -n 20 | sed 's/^/#   stderr: /'
		_tap_result 1 "$_n"
	fi
}

# sbx CMD...: CMD under the sandbox in $work; sets rc, out, err.
sbx() {
	(cd "$work" && "$SB" "$@") >"$top/s.out" 2>"$top/s.err" </dev/null
	rc=$?
	out=$(cat "$top/s.out")
	err=$(cat "$top/s.err")
}
# check NAME CONDITION...: a point from a shell condition, with the last
# sandboxed run's status and output as diagnostics when it fails.
check() {
	_n=$1; shift
	if eval "$*"; then
		_tap_result 0 "$_n"
	else
		diag "failed: $*"
		diag "status $rc"
		show "$top/s.out"
		show "$top/s.err"
		_tap_result 1 "$_n"
	fi
}

# ---- static busybox applets -------------------------------------------------
same "busybox echo" $BB echo hello world
same "ls -la of a prepared directory" $BB ls -la d
same "ls -lR with a symlink" $BB ls -lR d
same "cat of two files" $BB cat d/a d/b
same "cat through a symlink" $BB cat d/l
same "cat of a missing file: status 1 and the message" $BB cat nope
same "md5sum of /bin/busybox (a 2 MB read)" $BB md5sum /bin/busybox
same "pipeline: echo | tr | sort -r" $BB sh -c 'echo a b c | tr " " "\n" | sort -r'
same "sort -n of a file" $BB sort -n nums
same "seq 1 5000 (many writes)" $BB seq 1 5000
same "find" $BB find d
same "find -type f | sort" $BB sh -c 'find d -type f | sort'
same "wc and head" $BB sh -c 'wc -l data; head -n 3 data'
same "sh -c 'exit 7'" $BB sh -c 'exit 7'
same "sh -c 'exit 255'" $BB sh -c 'exit 255'
same "killed by SIGTERM: 143" $BB sh -c 'kill -TERM $$'
same "killed by SIGSEGV: 139" $BB sh -c 'kill -SEGV $$'
same "a #! script run by sh (execve of a script)" $BB sh -c './s.sh one two'
same "date +%Y (the clock)" $BB date +%Y
same "the shell's own arguments" $BB sh -c 'echo "[$0] [$1] [$#]"' zero one

# ---- gzip round trip -----------------------------------------------------------
(cd "$work" && $BB gzip -c data >n.gz)
(cd "$work" && "$SB" -- $BB sh -c 'gzip -c data > s.gz') >"$top/s.out" 2>"$top/s.err"
rc=$?
check "gzip in the sandbox: status 0" '[ $rc = 0 ]'
is "gzip in the sandbox writes the same bytes as natively" \
	"$(cd "$work" && $BB md5sum <s.gz 2>&1)" "$(cd "$work" && $BB md5sum <n.gz)"
(cd "$work" && "$SB" -- $BB sh -c 'gunzip -c s.gz > s.data') >"$top/s.out" 2>"$top/s.err"
rc=$?
check "gunzip in the sandbox: status 0" '[ $rc = 0 ]'
is "gunzip gives the original bytes back" \
	"$(cd "$work" && $BB md5sum <s.data 2>&1)" "$(cd "$work" && $BB md5sum <data)"
sbx -- $BB sh -c 'cp data f && gzip f && test ! -e f && test -e f.gz && gunzip f.gz && md5sum <f'
check "gzip/gunzip in place (create, rename, unlink, chmod)" \
	'[ $rc = 0 ] && [ "$out" = "$(cd "$work" && $BB md5sum <data)" ]'

# ---- bash (dynamically linked, PIE) ----------------------------------------------
same "bash: loop, pipe, command substitution, arithmetic" \
	"$BASH_BIN" -c 'for i in 3 1 2; do echo $i; done | sort; x=$(echo hi); echo "$x" $((6*7))'
same "bash: functions, arrays, exit status 3" \
	"$BASH_BIN" -c 'f() { echo "f:$1"; }; f x; a=(3 1 2); echo ${#a[@]} ${a[1]}; exit 3'
same "bash: external programs, a pipe, \$?" \
	"$BASH_BIN" -c '/bin/busybox ls d | /bin/busybox wc -l; /bin/busybox false; echo "st $?"'
same "bash: background job, wait, SIGCHLD trap" \
	"$BASH_BIN" -c 'n=0; trap "n=\$((n+1))" CHLD; /bin/busybox true & wait; /bin/busybox true; echo "bg done"; [ $n -ge 1 ] && echo trapped'
same "bash: killed by SIGTERM: 143" "$BASH_BIN" -c 'kill -TERM $$'

# ---- the sandbox's interface --------------------------------------------------------
sbx -- busybox echo found in PATH
check "PROGRAM without a '/' is searched in PATH" '[ $rc = 0 ] && [ "$out" = "found in PATH" ]'
out=$(cd "$work" && printf 'x\ny\nz\n' | "$SB" -- $BB wc -l 2>"$top/s.err")
rc=$?
check "stdin reaches the program" '[ $rc = 0 ] && [ "$out" = 3 ]'
out=$(cd "$work" && FOO=bar "$SB" -- $BB sh -c 'echo "$FOO"' 2>"$top/s.err")
rc=$?
check "the environment reaches the program" '[ $rc = 0 ] && [ "$out" = bar ]'
out=$(cd "$work" && "$att/attack_fork" wait "$SB" -- $BB sh -c 'kill -TERM $$' 2>"$top/s.err")
check "a program killed by SIGTERM kills the sandbox with SIGTERM" '[ "$out" = "killed by signal 15" ]'
sbx -t -- $BB cat /etc/shadow
printf '%s\n' "$err" | grep -E 'shadow|^sandbox\[[0-9]+\]: open' | head -n 4 | sed 's/^/#   trace: /'
check "--trace: openat of /etc/shadow shows = -EACCES, cat fails" \
	'[ $rc != 0 ] && printf "%s\n" "$err" | grep -qE "^sandbox\[[0-9]+\]: openat\(AT_FDCWD, \"/etc/shadow\", O_RDONLY[^)]*\) = -EACCES"'
sbx -t -- $BB echo traced
check "--trace: write(1, ...) = 7 and the output unchanged" \
	'[ $rc = 0 ] && [ "$out" = traced ] && printf "%s\n" "$err" | grep -qE "^sandbox\[[0-9]+\]: write\(1, .*\) = 7"'
printf 'default\nwirte /tmp\n' >"$work/bad1.policy"
sbx -p bad1.policy -- $BB true
check "a policy with an unknown rule: 101 and FILE:LINE:" \
	'[ $rc = 101 ] && has "$err" "bad1.policy:2:"'
printf '# comment\ndefault\nprocs 0\n' >"$work/bad2.policy"
sbx -p bad2.policy -- $BB true
check "a policy with procs 0: 101 and FILE:LINE:" '[ $rc = 101 ] && has "$err" "bad2.policy:3:"'
sbx -p no-such.policy -- $BB true
check "a missing policy file: 101" '[ $rc = 101 ] && has "$err" "no-such.policy"'
printf 'default\nread /proc\n' >"$work/proc.policy"
same_proc() { (cd "$work" && "$SB" -p proc.policy -- $BB head -n 1 /proc/version) 2>&1; }
is "a policy file (default + read /proc) is used" "$(same_proc)" "$(head -n 1 /proc/version)"
sbx
check "no arguments: 101" '[ $rc = 101 ]'
sbx --no-such-option -- $BB true
check "an unknown option: 101" '[ $rc = 101 ]'
sbx -- /no/such/program
check "a program that does not exist: 101" '[ $rc = 101 ]'
sbx -h
check "-h: status 0 and a usage text" '[ $rc = 0 ] && printf "%s\n" "$out$err" | grep -qi usage'
if [ -e /dev/dune ]; then
	mv /dev/dune /dev/dune.sandbox_run
	sbx -- $BB true
	mv /dev/dune.sandbox_run /dev/dune
	check "no /dev/dune: 101" '[ $rc = 101 ]'
else
	_tap_result 1 "no /dev/dune: 101 (there is no /dev/dune to hide)"
fi

# ---- the kernel log ---------------------------------------------------------------
bad='Oops|BUG:|kernel BUG|WARNING:|general protection fault|scheduling while atomic|lockdep|possible recursive locking|circular locking|KASAN|UBSAN|blocked for more than|soft lockup|hard LOCKUP|rcu_.*stall|Call Trace|refcount_t:|double fault|kernel NULL pointer|unable to handle'
klog=$(dmesg | tail -n +$((k0 + 1)))
if printf '%s\n' "$klog" | grep -qE "$bad"; then
	printf '%s\n' "$klog" | head -n 40 | sed 's/^/#   kernel: /'
	_tap_result 1 "the kernel log stayed clean"
else
	_tap_result 0 "the kernel log stayed clean"
fi
done_testing
