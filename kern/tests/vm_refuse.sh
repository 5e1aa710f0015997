#!/bin/sh
# On a CPU that cannot run Dune, dune.ko refuses to load with a clean error
# (ENODEV) and one clear kernel message, and leaves nothing behind.
#   vm_refuse "TEXT"   TEXT: what the kernel message must say
. "$(dirname "$0")/tap.sh"
ko=${DUNE_KO:-/dune/dune.ko}
want=$1
plan 5
grep -q '^dune ' /proc/modules && rmmod dune
k0=$(dmesg | wc -l)
out=$(insmod "$ko" 2>&1); rc=$?
diag "insmod: $out"
ok "insmod fails" [ $rc != 0 ]
ok "with ENODEV (No such device)" has "$out" "No such device"
# busybox insmod tries finit_module and then init_module: one message each.
msgs=$(dmesg | tail -n +$((k0 + 1)) | grep 'dune:' | grep -v 'taints kernel\|module verification failed' |
	sed 's/^\[[^]]*\] //')
printf '%s\n' "$msgs" | sed 's/^/# /'
is "one kernel message per attempt" "$(printf '%s\n' "$msgs" | sort -u | grep -c .)" 1
ok "saying: $want" has "$msgs" "$want"
ok "no /dev/dune and no module left" sh -c '! test -e /dev/dune && ! grep -q "^dune " /proc/modules'
done_testing
