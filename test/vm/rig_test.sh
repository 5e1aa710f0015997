#!/usr/bin/env bash
# Self-tests of the rig (test/vm/run), run on the host by test/check.sh:
# a command's output and exit status come back, a hung guest is stopped by
# the watchdog (which dumps every CPU's state), and an emulator that cannot start is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
run=$here/run
plan 11

out=$("$run" -q -t 300 -f "$here/suite.list:/etc/probe" -- sh -c 'echo hello; wc -l </etc/probe; exit 7' 2>&1)
rc=$?
is "the command's exit status comes back" "$rc" 7
ok "its output comes back" has_line "$out" hello
ok "an extra file reaches the guest" has_line "$out" "$(wc -l <"$here/suite.list")"

# A guest that idles past its watchdog, on 2 CPUs, after init has reported
# its KASLR base: the dump names what every CPU runs, from the stack.
out=$("$run" -q -c 2 -t 120 -- sleep 1000 2>&1)
rc=$?
echo "$out" | sed -n '/the CPUs when the watchdog/,$p' | head -n 40 | sed 's/^/# /'
is "a hung guest is stopped by the watchdog (status 124)" "$rc" 124
ok "and the watchdog says so" has "$out" WATCHDOG
ok "the watchdog stop dumps CPU 0's state" has "$out" "CPU0: host kernel (ring 0), RFLAGS.IF="
ok "and CPU 1's" has "$out" "CPU1: host kernel (ring 0), RFLAGS.IF="
ok "with the stacks' kernel addresses named (an idle CPU is in do_idle)" has "$out" " do_idle+0x"

# The emulated screen is drained: a guest that keeps its VGA console busy
# for 6 guest-seconds (some 20 KB of curses output from Bochs's term
# display) finishes.  Before ptyrun drained the screen's own pty, Bochs
# blocked in write() here and the machine froze until the watchdog.
out=$("$run" -t 240 -- sh -c 'end=$(($(date +%s) + 6)); i=0
	while [ $(date +%s) -lt $end ]; do i=$((i + 1)); echo "screen line $i: 0123456789abcdef"; done >/dev/tty1
	echo "screen busy for 6 s: $i lines"' 2>&1)
rc=$?
echo "$out" | grep -E 'screen|drained' | sed 's/^/# /'
is "a guest that keeps the emulated screen busy finishes" "$rc" 0
ok "and ptyrun drained the screen's output" has "$out" "screen output drained:"

out=$("$run" -q -t 60 --cpu-model no_such_cpu -- true 2>&1)
rc=$?
diag "with a CPU model Bochs does not know: status $rc"
ok "an emulator that cannot start is a failure" [ "$rc" != 0 ]
done_testing
