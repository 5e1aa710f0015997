#!/usr/bin/env bash
# Self-tests of the rig (test/vm/run), run on the host by test/check.sh:
# a command's output and exit status come back, a hung guest is stopped by
# the watchdog, and an emulator that cannot start is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
run=$here/run
plan 6

out=$("$run" -q -t 300 -f "$here/suite.list:/etc/probe" -- sh -c 'echo hello; wc -l </etc/probe; exit 7' 2>&1)
rc=$?
is "the command's exit status comes back" "$rc" 7
ok "its output comes back" has_line "$out" hello
ok "an extra file reaches the guest" has_line "$out" "$(wc -l <"$here/suite.list")"

out=$("$run" -q -t 12 -- sleep 1000 2>&1)
rc=$?
is "a hung guest is stopped by the watchdog (status 124)" "$rc" 124
ok "and the watchdog says so" has "$out" WATCHDOG

out=$("$run" -q -t 60 --cpu-model no_such_cpu -- true 2>&1)
rc=$?
diag "with a CPU model Bochs does not know: status $rc"
ok "an emulator that cannot start is a failure" [ "$rc" != 0 ]
done_testing
