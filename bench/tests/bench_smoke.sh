#!/bin/sh
# The benchmarks as an in-VM test: each program once with 10 iterations
# (bench/smoke.sh, TAP).  Staged in the tests folder; the benchmarks are in
# ../bench beside it (the emulated machine's /dune, or build/ on a host).
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../bench/smoke.sh"
