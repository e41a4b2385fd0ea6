#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install, with apt-get, what building and testing vhost-lio needs on a
# Debian 12 machine, if anything is missing.  Installs no kernel: the test
# kernels are unpacked into .cache/ by scripts/fetch-kernels.sh.
set -eu
pkgs="build-essential bc bison flex libelf-dev libssl-dev kmod cpio gzip
xz-utils zstd busybox-static qemu-system-x86 qemu-utils
targetcli-fb python3-rtslib-fb dbus fio sg3-utils strace libcmocka-dev clang
libclang-rt-14-dev"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
