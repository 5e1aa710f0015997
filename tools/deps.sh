#!/usr/bin/env bash
# Set-up in one command: install every Debian package the build and the rig need,
# and fetch the Debian cloud kernel image (unpacked under build/kernel, not installed)
# with its exactly matching headers.  <ver> comes from the archive at run time.
# Also the second rig kernel, 6.12 from bookworm-backports (image and headers
# both unpacked under build/kernel/<abi>, nothing installed; see fetch_612).
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
	pahole dkms
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

# ---- the 6.12 kernel (test/vm/run --kernel 6.12) ------------------------------
# bookworm-backports is known to apt only inside this function: a sources file
# and a lists folder of our own (build/kernel/apt), passed to apt-get and
# apt-cache for these look-ups and downloads alone.  The system's sources stay
# as they are, so no install or upgrade ever sees the suite.  The headers
# package cannot be installed without the kernel image it depends on, and no
# kernel is ever installed on the host: all four packages are unpacked with
# dpkg -x beside each other, and the headers' Makefile, which includes its
# common half by an absolute /usr/src path, is pointed at the unpacked copy.
fetch_612() {
	local apt_dir=$out/apt uri codename a612 v612 t612 root hdr
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	# The mirror the system already uses for its main suite.
	uri=$(apt-cache policy | awk -v s="$codename/main" '$3 == s { print $2; exit }')
	[ -n "$uri" ] || { echo "deps: no apt source for $codename/main" >&2; return 1; }
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d"
	echo "deb $uri $codename-backports main" >"$apt_dir/sources.list"
	# Only this suite's lists: every candidate is a backports version.
	local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
		-o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root")
	if [ ! -f "$apt_dir/lists.stamp" ] || [ -n "$(find "$apt_dir/lists.stamp" -mmin +1440)" ]; then
		need_root
		say "apt-get update ($codename-backports, for the 6.12 kernel only)"
		apt-get "${opts[@]}" update -q >/dev/null
		touch "$apt_dir/lists.stamp"
	fi
	a612=$(apt-cache "${opts[@]}" depends --no-recommends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(6\.12\..*-cloud-amd64\)$/\1/p' | head -n1)
	[ -n "$a612" ] || { echo "deps: no 6.12 cloud kernel in $codename-backports" >&2; return 1; }
	v612=$(apt-cache "${opts[@]}" policy "linux-image-$a612" | sed -n 's/^ *Candidate: //p')
	root=$out/$a612
	hdr=$root/usr/src/linux-headers-$a612
	if [ -f "$out/$a612.stamp" ] && [ -f "$root/boot/vmlinuz-$a612" ] && [ -f "$hdr/Makefile" ]; then
		say "kernel $a612 ($v612) already fetched"
	else
		need_root
		# linux-headers-<abi> depends on -common and linux-kbuild-<ver> of the same version.
		local common kbuild
		common=$(apt-cache "${opts[@]}" show "linux-headers-$a612=$v612" |
			sed -n 's/^Depends:.*\(linux-headers-[^ ,]*-common\) (= .*/\1/p' | head -n1)
		kbuild=$(apt-cache "${opts[@]}" show "linux-headers-$a612=$v612" |
			sed -n 's/^Depends:.*\(linux-kbuild-[^ ,]*\).*/\1/p' | head -n1)
		[ -n "$common" ] && [ -n "$kbuild" ] || { echo "deps: cannot read linux-headers-$a612's dependencies" >&2; return 1; }
		say "fetching linux-image-$a612, linux-headers-$a612, $common, $kbuild ($v612)"
		t612=$(mktemp -d)
		(cd "$t612" && apt-get "${opts[@]}" download -q "linux-image-$a612=$v612" \
			"linux-headers-$a612=$v612" "$common=$v612" "$kbuild=$v612" >/dev/null)
		rm -rf "$root"
		for d in "$t612"/*.deb; do dpkg -x "$d" "$root"; done
		rm -rf "$t612"
		sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
		echo "$v612" >"$out/$a612.stamp"
	fi
	echo "$a612" >"$out/ABI-6.12"
	say "ok: kernel $a612, headers $hdr (unpacked, not installed)"
}
fetch_612
