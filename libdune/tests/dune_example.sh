#!/bin/sh
# The README's example (libdune/examples/hello.c), built against an
# installed copy of libdune (make install DESTDIR=..., then pkg-config):
# it must print its line and exit 0.  TAP output.
echo "1..2"
out=$(dune-hello 2>&1)
rc=$?
echo "# $out"
[ "$rc" = 0 ] && echo "ok 1 - hello exits 0" || echo "not ok 1 - hello exits 0 (got $rc)"
[ "$out" = "hello from ring 0: *p = 42" ] && echo "ok 2 - hello prints its line" ||
	echo "not ok 2 - hello prints its line"
