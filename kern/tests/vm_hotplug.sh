#!/bin/sh
# CPU hotplug with dune.ko loaded: CPUs go offline and come back, dune.ko
# loads while a CPU is offline (its load-time VMX probe covers the online
# ones), and everything keeps answering.  Needs 2 CPUs.
. "$(dirname "$0")/tap.sh"
ko=${DUNE_KO:-/dune/dune.ko}
cpu1=/sys/devices/system/cpu/cpu1/online
if [ ! -w "$cpu1" ]; then
	echo "1..0 # SKIP needs a second CPU that can go offline"
	exit 0
fi
plan 7
grep -q '^dune ' /proc/modules && rmmod dune
ok "cpu1 goes offline" sh -c "echo 0 >$cpu1"
ok "dune.ko loads with cpu1 offline" insmod "$ko"
ok "cpu1 comes back online with dune.ko loaded" sh -c "echo 1 >$cpu1"
ok "dune ioctls answer on cpu1" taskset 2 vm_ioctl api_version layout_matches_cpu_and_process
ok "cpu1 goes offline and online again" sh -c "echo 0 >$cpu1 && echo 1 >$cpu1"
ok "dune.ko unloads and reloads with both CPUs online" sh -c "rmmod dune && insmod $ko"
is "VMX is off when nothing uses it" "$(cat /sys/kernel/debug/dune/vmx_users)" 0
done_testing
