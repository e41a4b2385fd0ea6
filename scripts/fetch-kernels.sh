#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's own kernel images, modules and headers into a git-ignored
# cache, without installing anything on the host.  For each series:
#   $CACHE/<abi>/root        the unpacked image, modules, headers and kbuild
#   $CACHE/<abi>/vmlinuz     the bootable image
#   $CACHE/<abi>/kdir        the header tree to build against (KDIR)
# and prints one "<abi> <kdir>" line per kernel.
#
# Series: 6.1 (bookworm, meta-package linux-image-amd64) and 6.12
# (bookworm-security, linux-image-6.12-amd64).  Pin an ABI name with
# VL_ABI_61=6.1.0-NN-amd64 or VL_ABI_612=6.12.NNN+deb12-amd64.
#
# Series 6.12-debug is built by scripts/debug-kernel.sh (not a default).
#
# Usage: scripts/fetch-kernels.sh [6.1|6.12|6.12-debug ...]   (default: 6.1 6.12)

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VL_CACHE:-$top/.cache/kernels}
mkdir -p "$CACHE"

die() { echo "fetch-kernels: $*" >&2; exit 1; }

# abi_of META: the linux-image-* package a meta-package depends on.
abi_of() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n 1
}

ensure_apt_lists() {
	if [ -z "$(abi_of linux-image-amd64)" ]; then
		apt-get update -qq >/dev/null || die "apt-get update failed"
	fi
}

fetch_one() {
	series=$1
	case $series in
	6.1)  meta=linux-image-amd64;      abi=${VL_ABI_61:-} ;;
	6.12) meta=linux-image-6.12-amd64; abi=${VL_ABI_612:-} ;;
	# Built here, not fetched: KASAN, lockdep, kmemleak... (see the script).
	6.12-debug) "$top/scripts/debug-kernel.sh" || die "debug kernel failed"; return ;;
	*) die "unknown series '$series' (want 6.1 or 6.12)" ;;
	esac
	if [ -z "$abi" ]; then
		ensure_apt_lists
		abi=$(abi_of "$meta")
		[ -n "$abi" ] || die "cannot resolve $meta to an ABI name"
	fi
	dir=$CACHE/$abi
	if [ -f "$dir/.complete" ]; then
		echo "$abi $dir/kdir"
		return
	fi
	flavour=${abi##*-}                  # amd64
	base=${abi%-"$flavour"}             # 6.1.0-56 or 6.12.117+deb12
	case $series in
	6.1)  kbuild=linux-kbuild-6.1 ;;
	6.12) kbuild=linux-kbuild-$base ;;
	esac
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" &&
	 apt-get download -q -o APT::Sandbox::User=root \
		"linux-image-$abi" "linux-headers-$abi" \
		"linux-headers-$base-common" "$kbuild" >/dev/null) ||
		die "apt-get download failed for $abi"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	hdr=$dir/root/usr/src/linux-headers-$abi
	# The per-ABI Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$hdr/Makefile"
	ln -sfn "root/usr/src/linux-headers-$abi" "$dir/kdir"
	ln -sfn "root/boot/vmlinuz-$abi" "$dir/vmlinuz"
	depmod -b "$dir/root" "$abi" || die "depmod failed for $abi"
	rm -rf "$dir/debs"
	echo "$abi" > "$dir/abi"
	touch "$dir/.complete"
	echo "$abi $dir/kdir"
}

[ $# -gt 0 ] || set -- 6.1 6.12
for s in "$@"; do
	fetch_one "$s"
done
