# TAP helpers for shell tests (busybox sh compatible). Source it, then:
#   plan N; ok "name" CMD...; is "name" GOT WANT; done_testing
# (has and has_line below are checks to use with ok).
# Every check prints "ok N - name" or "not ok N - name" with diagnostics.
_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
diag() { echo "# $*"; }
_tap_result() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}
# ok NAME CMD...: passes when CMD exits 0; its output becomes diagnostics.
ok() {
	_name=$1; shift
	_out=$("$@" 2>&1); _rc=$?
	[ $_rc = 0 ] || { [ -n "$_out" ] && echo "$_out" | sed 's/^/# /'; diag "'$*' exited $_rc"; }
	_tap_result $_rc "$_name"
}
# fails NAME CMD...: passes when CMD exits non-zero.
fails() {
	_name=$1; shift
	_out=$("$@" 2>&1); _rc=$?
	[ $_rc != 0 ] || diag "'$*' succeeded, expected failure"
	[ $_rc != 0 ]; _tap_result $? "$_name"
}
# is NAME GOT WANT
is() {
	[ "$2" = "$3" ] || diag "$1: got '$2', want '$3'"
	[ "$2" = "$3" ]; _tap_result $? "$1"
}
# has TEXT WORD: TEXT contains WORD; has_line TEXT LINE: a line of TEXT is LINE.
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
has_line() { printf '%s\n' "$1" | grep -qxF -- "$2"; }
done_testing() { [ $_tap_failed = 0 ]; exit $?; }
