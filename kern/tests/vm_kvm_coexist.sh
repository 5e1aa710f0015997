#!/bin/sh
# dune.ko and kvm_intel share VMX: each turns it on only while it needs it.
# A KVM guest runs before and after dune.ko is loaded, and dune.ko loads and
# answers while a KVM VM is alive (holding VMX).
. "$(dirname "$0")/tap.sh"
ko=${DUNE_KO:-/dune/dune.ko}
kmods=/lib/modules/$(uname -r)
plan 12

loaded_here=""
load_kvm() {
	for m in irqbypass kvm kvm-intel; do
		mod=$(echo $m | tr - _)
		grep -q "^$mod " /proc/modules && continue
		loaded_here="$mod $loaded_here"
		if [ -f "$kmods/$m.ko" ]; then insmod "$kmods/$m.ko" || return 1
		else modprobe "$mod" || return 1; fi
	done
}

grep -q '^dune ' /proc/modules && rmmod dune
ok "dune.ko unloaded" sh -c '! grep -q "^dune " /proc/modules'
load_kvm
is "kvm_intel loads" "$?" 0
ok "a KVM guest runs before dune.ko is loaded" kvm_guest
ok "dune.ko loads beside kvm_intel" insmod "$ko"
ok "dune ioctls answer beside kvm_intel" vm_ioctl api_version layout_matches_cpu_and_process
ok "a KVM guest runs with dune.ko loaded" kvm_guest

# A live KVM VM holds VMX on; dune.ko must still load and answer.
rmmod dune
kvm_guest hold 4 >/tmp/kvm_hold.out 2>&1 &
pid=$!
for i in $(seq 100); do grep -q holding /tmp/kvm_hold.out && break; sleep 0.1; done
ok "a KVM VM is alive" grep -q holding /tmp/kvm_hold.out
ok "dune.ko loads while a KVM VM holds VMX" insmod "$ko"
ok "dune ioctls answer while a KVM VM holds VMX" vm_ioctl api_version check_extension
wait $pid
is "the held KVM guest ran and exited cleanly" "$?" 0
ok "a KVM guest runs after all that" kvm_guest
# Unload only what this test loaded (on a real host, KVM may be in use).
diag "unloading what this test loaded: $loaded_here"
ok "kvm modules this test loaded unload" sh -c "for m in $loaded_here; do rmmod \$m || exit 1; done"
done_testing
