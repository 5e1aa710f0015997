#!/bin/sh
# The suite runs under KASLR: the kernel's text is not at its link address
# (0xffffffff81000000 for Debian's x86-64 kernels), and dune.ko works there
# (it uses no symbol addresses scraped at build time).
. "$(dirname "$0")/tap.sh"
plan 3
text=$(grep -w _text /proc/kallsyms | cut -d' ' -f1)
diag "_text at $text; command line: $(cat /proc/cmdline)"
ok "no nokaslr on the command line" sh -c '! grep -qw nokaslr /proc/cmdline'
ok "kernel text is randomized (KASLR on)" test "${text:-ffffffff81000000}" != ffffffff81000000
ok "dune.ko answers under KASLR" vm_ioctl api_version layout_matches_cpu_and_process
done_testing
