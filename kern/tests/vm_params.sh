#!/bin/sh
# dune.ko's module parameters: dev_mode sets /dev/dune's permissions and is
# checked; probe_vmx=0 skips the load-time VMX probe.
. "$(dirname "$0")/tap.sh"
ko=${DUNE_KO:-/dune/dune.ko}
plan 7
grep -q '^dune ' /proc/modules && rmmod dune
ok "loads with dev_mode=0666" insmod "$ko" dev_mode=0666
is "/dev/dune is 0666" "$(stat -c %a /dev/dune)" 666
is "the parameter reads back" "$(cat /sys/module/dune/parameters/dev_mode)" 438
rmmod dune
k0=$(dmesg | wc -l)
fails "refuses dev_mode=01777" insmod "$ko" dev_mode=01777
ok "and says why" sh -c "dmesg | tail -n +$((k0 + 1)) | grep -q 'dev_mode=1777 is not a permission mode'"
ok "loads with probe_vmx=0" insmod "$ko" probe_vmx=0
ok "and reloads with the defaults" sh -c "rmmod dune && insmod $ko && test \"\$(stat -c %a /dev/dune)\" = 600"
done_testing
