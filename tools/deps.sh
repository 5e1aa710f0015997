#!/usr/bin/env bash
# Set-up in one command: install every Debian package the build and the rig need,
# and fetch the Debian cloud kernel image (unpacked under build/kernel, not installed)
# with its exactly matching headers.  <ver> comes from the archive at run time.
# Running it twice is harmless and fast (a stamp records what was fetched).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${DUNE_BUILD:-$top/build}/kernel
mkdir -p "$out"

say() { printf 'deps: %s\n' "$*"; }
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps: must run as root (apt-get install)" >&2
		exit 1
	fi
}

PKGS=(
	build-essential bc bison flex libelf-dev kmod cpio gzip xz-utils zstd sparse
	bochs bochs-term bochsbios vgabios busybox-static
	isolinux syslinux-common xorriso
	gnuplot-nox perl pkg-config gdb
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done

# The apt lists are refreshed at most once per run of this script, and only when
# something is missing or the kernel version is not known yet.
updated=0
apt_update() {
	[ $updated = 1 ] && return 0
	need_root
	say "apt-get update"
	apt-get update -q >/dev/null
	updated=1
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	say "installing ${missing[*]}"
	apt_install "${missing[@]}"
fi

# The kernel: the newest linux-image-<abi>-cloud-amd64 the cloud meta-package points to.
find_abi() {
	apt-cache depends --no-recommends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*-cloud-amd64\)$/\1/p' | head -n1
}
# Lists older than a day may name a kernel the archive no longer has.
lists_age=$(( $(date +%s) - $(stat -c %Y /var/lib/apt/lists/partial 2>/dev/null || echo 0) ))
abi=$(find_abi || true)
if [ -z "$abi" ] || { [ ! -f "$out/$abi.stamp" ] && [ "$lists_age" -gt 86400 ]; }; then
	apt_update
	abi=$(find_abi)
fi
[ -n "$abi" ] || { echo "deps: cannot find linux-image-cloud-amd64 in the archive" >&2; exit 1; }
ver=$(apt-cache policy "linux-image-$abi" | sed -n 's/^ *Candidate: //p')

stamp="$out/$abi.stamp"
if [ -f "$stamp" ] && [ -d "/usr/src/linux-headers-$abi" ] && [ -f "$out/$abi/boot/vmlinuz-$abi" ]; then
	say "kernel $abi ($ver) already fetched"
else
	need_root
	if ! dpkg-query -W -f='${Status}\n' "linux-headers-$abi" 2>/dev/null | grep -q '^install ok installed'; then
		apt_update
		say "installing linux-headers-$abi ($ver)"
		apt_install "linux-headers-$abi=$ver"
	fi
	hver=$(dpkg-query -W -f='${Version}' "linux-headers-$abi")
	[ "$hver" = "$ver" ] || { echo "deps: headers $hver do not match image $ver" >&2; exit 1; }
	say "fetching linux-image-$abi ($ver)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-image-$abi=$ver" >/dev/null)
	rm -rf "$out/$abi"
	dpkg -x "$tmp"/linux-image-*.deb "$out/$abi"
	echo "$ver" >"$stamp"
fi
ln -sfn "$abi" "$out/current"
echo "$abi" >"$out/ABI"
say "ok: kernel $abi, headers /usr/src/linux-headers-$abi"
