#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that vhost-lio builds in tree: unpack Debian's linux-source-6.1
# into .cache/intree (once), drop the committed sources in as
# drivers/vhost-lio with its Kconfig sourced and CONFIG_VHOST_LIO=m, take
# Debian's config, and build that directory with W=1.  Exit status 0 when
# it builds and none of our files warns.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/.cache/intree
mkdir -p "$work"
cd "$work"
read -r _ kdir < <("$top/scripts/fetch-kernels.sh" 6.1 | tail -n 1)
src=$work/linux-source-6.1
if [ ! -f "$src/.vl-unpacked" ]; then
	rm -rf "$src" root ./*.deb
	apt-get download -q -o APT::Sandbox::User=root linux-source-6.1 >/dev/null
	dpkg-deb -x linux-source-6.1_*.deb root
	tar xf root/usr/src/linux-source-6.1.tar.xz
	rm -rf root ./*.deb
	echo 'obj-$(CONFIG_VHOST_LIO) += vhost-lio/' >>"$src/drivers/Makefile"
	sed -i 's|^endmenu|source "drivers/vhost-lio/Kconfig"\n\nendmenu|' "$src/drivers/Kconfig"
	touch "$src/.vl-unpacked"
fi
cd "$src"
rm -rf drivers/vhost-lio
mkdir drivers/vhost-lio
git -C "$top" archive HEAD Kbuild Kconfig drivers include scripts | tar x -C drivers/vhost-lio
cp "$kdir/.config" .config
scripts/config --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	--module VHOST_LIO
make -s olddefconfig
grep -q '^CONFIG_VHOST_LIO=m$' .config
make -s -j2 modules_prepare
make -j2 W=1 drivers/vhost-lio/ >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; exit 1; }
if grep 'drivers/vhost-lio/.*warning:' "$work/build.log"; then
	exit 1
fi
test -f drivers/vhost-lio/drivers/vhost_lio.o
echo "in-tree build of $(git -C "$top" rev-parse --short HEAD) in linux-source-6.1: OK"
