#!/bin/sh
# Part 2 of the sandbox's attack tests (see sandbox_attack.sh, which this
# runs): forbidden system calls, paths outside the policy, malformed ELF
# files, the network, processes and threads.  A boot of its own: the two
# parts together ran the emulated machine past the point where Bochs stalls.
# TAP output.  Staged as /dune/tests/sandbox_escape.
SANDBOX_ATTACK_PART=2
. "$(cd "$(dirname "$0")" && pwd)/sandbox_attack"
