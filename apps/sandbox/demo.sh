#!/bin/sh
# sandbox-demo: the sandbox's part of `make run`, in the emulated machine
# (or on a VT-x host with dune.ko loaded and the staged tree): Debian's bash
# and busybox run unmodified in ring 3 under the default policy, one of them
# tries to read /etc/shadow, and an attack program tries a privileged
# instruction.  Exits non-zero if anything does not behave as it should.
set -u
dir=/tmp/sandbox-demo
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
bash=/dune/debian/bash
[ -x "$bash" ] || bash=/bin/bash
fail=0

show() { echo; echo "\$ $*"; }

show sandbox -- bash -c '...'
sandbox -- "$bash" -c 'echo "hello from ring 3: bash $BASH_VERSION, pid $$"
	for i in 3 1 2; do echo $i; done | sort -r | tr "\n" " "; echo
	echo "applets in /bin: $(ls /bin | wc -l)"
	printf "some text\n" > notes.txt && gzip notes.txt && gunzip -c notes.txt.gz
	cat /etc/shadow || echo "(cat /etc/shadow failed, as the policy says)"'
rc=$?
echo "exit status: $rc"
[ $rc = 0 ] || fail=1

show sandbox -- attack_priv cli
sandbox -- /dune/tests/sandbox/attack_priv cli
rc=$?
echo "exit status: $rc (100: stopped for a violation)"
[ $rc = 100 ] || fail=1

show sandbox --trace -- busybox true
sandbox --trace -- /bin/busybox true 2>&1 | tail -n 4
exit $fail
