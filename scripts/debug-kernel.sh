#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build a debug kernel for the VM suite (KASAN, KFENCE, lockdep, debug
# objects, SLUB debugging, kmemleak: scripts/debug-kernel.config) from
# Debian's linux-source-6.12, and install it in the kernel cache with the
# layout of scripts/fetch-kernels.sh:
#   $CACHE/<abi>/root        boot/vmlinuz-<abi>, lib/modules/<abi>/, and
#                            usr/src/linux-headers-<abi> (the kbuild tree)
#   $CACHE/<abi>/vmlinuz     the bootable image
#   $CACHE/<abi>/kdir        the tree to build our module against (KDIR)
# The ABI is Debian's 6.12 one with "-debug" for "-amd64", e.g.
# 6.12.117+deb12-debug.  The configuration is Debian's for that ABI,
# trimmed by localmodconfig to the modules the VM suite loads (MODULES
# below), with the fragment merged over it.
#
# Idempotent: a kernel whose stamp (source version, fragment, module list)
# matches is reused; otherwise it is rebuilt in $BUILD (a
# git-ignored directory of this checkout, objects kept between runs) and
# installed only once complete.  Heavy steps run under nice -n 19.
# Prints "<abi> <kdir>" like fetch-kernels.sh, and nothing else unless it
# fails (scripts/test-all.sh reads fetch-kernels.sh's output, stderr
# included, as that list); progress goes to $BUILD/debug-kernel.log, and to
# stderr too when that is a terminal.
#
# Environment: VL_CACHE (kernel cache), VL_DEBUG_BUILD (build directory),
# VL_DEBUG_SRC (linux-source-6.12 version, default: the one matching the
# cached 6.12 ABI), VL_ABI_612 (as for fetch-kernels.sh), JOBS (nproc).
#
# Usage: scripts/debug-kernel.sh

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VL_CACHE:-$top/.cache/kernels}
BUILD=${VL_DEBUG_BUILD:-$top/.cache/debug-build}
FRAG=$top/scripts/debug-kernel.config
JOBS=${JOBS:-$(nproc)}

# Loaded by scripts/vm-run.sh, tests/vm/*.sh and tests/vm/nested/lib.sh
# (with their dependencies), and what the planned dm tests will need.
MODULES="virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev
9pnet 9pnet_virtio 9p netfs overlay configfs
target_core_mod target_core_file target_core_iblock target_core_pscsi
target_core_user uio tcm_loop vhost vhost_iotlb vhost_scsi
virtio_scsi scsi_mod scsi_common sd_mod sg scsi_debug loop
dm_mod dm_delay dm_flakey crc_t10dif crc64_rocksoft"

mkdir -p "$BUILD"
die() { echo "debug-kernel: $*" | tee -a "$BUILD/debug-kernel.log" >&2; exit 1; }
log() {
	echo "$(date -u +%T) debug-kernel: $*" >>"$BUILD/debug-kernel.log"
	[ ! -t 2 ] || echo "debug-kernel: $*" >&2
}

# The 6.12 ABI the suite uses (e.g. 6.12.117+deb12-amd64) names the source.
base_abi=$("$top/scripts/fetch-kernels.sh" 6.12 | tail -n 1 | cut -d' ' -f1)
[ -n "$base_abi" ] || die "no 6.12 kernel from fetch-kernels.sh"
base=${base_abi%-amd64}                  # 6.12.117+deb12
abi=$base-debug
upstream=${base%%+*}                     # 6.12.117

src_version() {
	[ -n "${VL_DEBUG_SRC:-}" ] && { echo "$VL_DEBUG_SRC"; return; }
	apt-cache madison linux-source-6.12 |
		awk -v u="$upstream" '$3 ~ "^" u "-" { print $3; exit }'
}
srcver=$(src_version)
[ -n "$srcver" ] || die "no linux-source-6.12 version for $upstream (apt-get update?)"

# What the kernel is made of (not this script's wording).
stamp=$( { echo "$srcver"; echo "$MODULES"; cat "$FRAG"; } | sha256sum | cut -d" " -f1)
dir=$CACHE/$abi
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$abi $dir/kdir"
	exit 0
fi

# (no "~" in paths given to make)
src=$BUILD/linux-source-$(echo "$srcver" | tr "~" _)
obj=$BUILD/obj

# fetch_source: Debian's tarball, unpacked once per version.
fetch_source() {
	[ -f "$src/.unpacked" ] && return
	log "fetching linux-source-6.12=$srcver"
	rm -rf "$src" "$BUILD/deb"
	mkdir -p "$BUILD/deb"
	(cd "$BUILD/deb" &&
	 apt-get download -q -o APT::Sandbox::User=root \
		"linux-source-6.12=$srcver" >/dev/null) || die "apt-get download failed"
	dpkg-deb --fsys-tarfile "$BUILD"/deb/linux-source-6.12_*.deb |
		tar -xOf - ./usr/src/linux-source-6.12.tar.xz |
		nice -n 19 tar -xJf - -C "$BUILD" || die "unpacking failed"
	mv "$BUILD/linux-source-6.12" "$src"
	rm -rf "$BUILD/deb"
	touch "$src/.unpacked"
}

kmake() {
	nice -n 19 make -C "$src" O="$obj" LOCALVERSION="${abi#"$upstream"}" "$@"
}

# configure: Debian's config, trimmed to $MODULES, the fragment over it;
# every line of the fragment must survive Kconfig.
configure() {
	mkdir -p "$obj"
	cp "$CACHE/$base_abi/root/boot/config-$base_abi" "$obj/.config" ||
		die "no config for $base_abi"
	{
		echo "Module Size Used by"
		for m in $MODULES; do echo "$m 0 0"; done
	} >"$obj/lsmod"
	kmake -s olddefconfig >/dev/null 2>&1 || die "olddefconfig failed"
	kmake -s LSMOD="$obj/lsmod" localmodconfig >"$obj/localmodconfig.log" 2>&1 ||
		die "localmodconfig failed (see $obj/localmodconfig.log)"
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m .config "$FRAG") \
		>"$obj/merge.log" 2>&1 || die "merge_config failed"
	kmake -s olddefconfig >/dev/null 2>&1 || die "olddefconfig failed"
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*) grep -qxF "$line" "$obj/.config" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$obj/.config" ;;
		*) continue ;;
		esac || { log "not in .config: $line"; bad=1; }
	done <"$FRAG"
	[ $bad -eq 0 ] || die "the fragment did not apply"
}

# install_tree STAGE: image, modules and kbuild tree in fetch-kernels.sh's
# layout, the module tree indexed.
install_tree() {
	st=$1
	rel=$(cat "$obj/include/config/kernel.release")
	[ "$rel" = "$abi" ] || die "built $rel, expected $abi"
	mkdir -p "$st/root/boot"
	cp "$obj/arch/x86/boot/bzImage" "$st/root/boot/vmlinuz-$abi"
	cp "$obj/.config" "$st/root/boot/config-$abi"
	cp "$obj/System.map" "$st/root/boot/System.map-$abi"
	kmake -s INSTALL_MOD_PATH="$st/root" DEPMOD=true modules_install \
		>>"$BUILD/debug-kernel.log" 2>&1 || die "modules_install failed"
	rm -f "$st/root/lib/modules/$abi/build"
	hdr=$st/root/usr/src/linux-headers-$abi
	(cd "$obj" && srctree=$src SRCARCH=x86 CC=gcc HOSTCC=gcc MAKE=make \
		sh "$src/scripts/package/install-extmod-build" "$hdr") \
		>>"$BUILD/debug-kernel.log" 2>&1 ||
		die "kbuild tree install failed"
	cp "$obj/.config" "$hdr/.config"
	ln -s "../../../usr/src/linux-headers-$abi" "$st/root/lib/modules/$abi/build"
	ln -s "root/usr/src/linux-headers-$abi" "$st/kdir"
	ln -s "root/boot/vmlinuz-$abi" "$st/vmlinuz"
	depmod -b "$st/root" "$abi" 2>>"$BUILD/debug-kernel.log" || die "depmod failed"
	for m in $MODULES; do
		modinfo -b "$st/root" -k "$abi" -F name "$m" >/dev/null 2>&1 ||
			tr - _ <"$st/root/lib/modules/$abi/modules.builtin" |
				grep -q "/$m.ko$" ||
			die "module $m is missing"
	done
	echo "$abi" >"$st/abi"
	echo "$stamp" >"$st/stamp"
}

fetch_source
log "configuring $abi from $srcver (objects in $obj)"
configure
log "building $abi with $JOBS jobs (log: $obj/build.log)"
t0=$(date +%s)
kmake -j"$JOBS" bzImage modules >"$obj/build.log" 2>&1 ||
	{ tail -n 30 "$obj/build.log" >&2; die "build failed (see $obj/build.log)"; }
log "built in $(( $(date +%s) - t0 ))s"

stage=$CACHE/.$abi.tmp
rm -rf "$stage"
mkdir -p "$stage"
install_tree "$stage"
touch "$stage/.complete"
rm -rf "$dir"
mv "$stage" "$dir"
echo "$abi $dir/kdir"
