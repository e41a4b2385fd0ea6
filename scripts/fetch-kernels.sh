#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's own kernel images, modules and headers into a git-ignored
# cache, without installing anything on the host.  For each series:
#   $CACHE/<abi>/root        the unpacked image, modules, headers and kbuild
#   $CACHE/<abi>/vmlinuz     the bootable image
#   $CACHE/<abi>/kdir        the header tree to build against (KDIR)
#   $CACHE/<abi>/build-depends  what building against kdir needs installed:
#                            the Pre-Depends and Depends of the kbuild and
#                            headers packages, less the packages unpacked here
# and prints one "<abi> <kdir>" line per kernel.  Then it has
# scripts/install-deps.sh install (as root) or name (otherwise) whatever of
# build-depends is missing: Debian's linux-kbuild-6.12 needs pahole, for one.
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

# record_depends DIR DEB...: write DIR/build-depends, one dependency a line,
# "<package that needs it>: <alternatives separated by |>", versions dropped.
# Kernel packages are left out: this script unpacks them, apt installs none.
record_depends() {
	rdir=$1
	shift
	for deb in "$@"; do
		pkg=$(dpkg-deb -f "$deb" Package) || return 1
		{ dpkg-deb -f "$deb" Pre-Depends; dpkg-deb -f "$deb" Depends; } |
			tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/:any//g' \
				-e 's/[[:space:]]\{1,\}/ /g' -e 's/^ //' -e 's/ $//' |
			grep -v -e '^$' -e '\(^\|| \)linux-\(image\|headers\|kbuild\)-' |
			sed "s/^/$pkg: /"
	done >"$rdir/build-depends.new" || return 1
	mv "$rdir/build-depends.new" "$rdir/build-depends"
}

# build_debs ABI BASE KBUILD: the packages whose Depends build-depends lists.
build_debs() {
	echo "linux-headers-$1" "linux-headers-$2-common" "$3"
}

# redo_depends DIR ABI BASE KBUILD: build-depends for a kernel fetched
# before this file existed: download the small packages again, read them.
redo_depends() {
	tdir=$(mktemp -d) || return 1
	# shellcheck disable=SC2046 # build_debs prints a list of names
	(cd "$tdir" && apt-get download -q -o APT::Sandbox::User=root \
		$(build_debs "$2" "$3" "$4") >/dev/null) &&
		record_depends "$1" "$tdir"/*.deb
	rc=$?
	rm -rf "$tdir"
	return $rc
}

ensure_apt_lists() {
	if [ -z "$(abi_of linux-image-amd64)" ]; then
		apt-get update -qq >/dev/null || die "apt-get update failed"
	fi
}

# install_depends DIR: install (or, not root, name and fail on) what
# DIR/build-depends lists and the host lacks.  stdout carries our result.
install_depends() {
	"$top/scripts/install-deps.sh" --kernel "$1" >&2 ||
		die "$(basename "$1") cannot be built against until that is installed"
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
	flavour=${abi##*-}                  # amd64
	base=${abi%-"$flavour"}             # 6.1.0-56 or 6.12.117+deb12
	case $series in
	6.1)  kbuild=linux-kbuild-6.1 ;;
	6.12) kbuild=linux-kbuild-$base ;;
	esac
	if [ -f "$dir/.complete" ]; then
		[ -f "$dir/build-depends" ] ||
			redo_depends "$dir" "$abi" "$base" "$kbuild" ||
			die "cannot read the Depends of $abi's kbuild/headers packages"
		install_depends "$dir"
		echo "$abi $dir/kdir"
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	# shellcheck disable=SC2046 # build_debs prints a list of names
	(cd "$dir/debs" &&
	 apt-get download -q -o APT::Sandbox::User=root \
		"linux-image-$abi" $(build_debs "$abi" "$base" "$kbuild") \
		>/dev/null) ||
		die "apt-get download failed for $abi"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	record_depends "$dir" "$dir"/debs/linux-headers-*.deb \
		"$dir"/debs/linux-kbuild-*.deb ||
		die "cannot read the Depends of $abi's kbuild/headers packages"
	hdr=$dir/root/usr/src/linux-headers-$abi
	# The per-ABI Makefile includes the -common tree by absolute path.
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$hdr/Makefile"
	ln -sfn "root/usr/src/linux-headers-$abi" "$dir/kdir"
	ln -sfn "root/boot/vmlinuz-$abi" "$dir/vmlinuz"
	depmod -b "$dir/root" "$abi" || die "depmod failed for $abi"
	rm -rf "$dir/debs"
	echo "$abi" > "$dir/abi"
	touch "$dir/.complete"
	install_depends "$dir"
	echo "$abi $dir/kdir"
}

[ $# -gt 0 ] || set -- 6.1 6.12
for s in "$@"; do
	fetch_one "$s"
done
