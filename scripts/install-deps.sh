#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install, with apt-get, what building, testing and linting vhost-lio needs
# on a Debian 12 machine, if anything is missing.  Installs no kernel: the
# test kernels are unpacked into .cache/ by scripts/fetch-kernels.sh.
#
# Two sources, so the list cannot drift from the kernels we build against:
#  - the host tools below (qemu, targetcli, test and lint tools, what the
#    in-tree build of linux-source needs, dkms for test 35, libvirtd and
#    virsh for test 65: the guests run the host's binaries), written by
#    hand;
#  - each fetched kernel's build-depends, which fetch-kernels.sh reads from
#    the Pre-Depends/Depends of that kernel's linux-headers and linux-kbuild
#    packages (gcc-12, pahole, libelf1, ...).
#
# Usage: install-deps.sh              the host tools and every kernel
#                                     fetched so far ($VL_CACHE)
#        install-deps.sh --kernel DIR only DIR/build-depends (fetch-kernels.sh
#                                     calls this after each fetch)
#        install-deps.sh --ceph       the host tools, every kernel, and
#                                     Ceph's daemons and tools
# Not root, it installs nothing: it names each missing package on one line
# and fails.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VL_CACHE:-$top/.cache/kernels}

host_pkgs="build-essential bc bison flex libelf-dev libssl-dev kmod cpio gzip
xz-utils zstd busybox-static qemu-system-x86 qemu-utils
targetcli-fb python3-rtslib-fb dbus fio sg3-utils strace libcmocka-dev clang
libclang-rt-14-dev perl sparse shellcheck git dmsetup dkms libvirt-daemon
libvirt-clients"

# The single-node Ceph cluster of scripts/ceph.sh (tests/vm/ceph.sh):
# ceph-common has the ceph, rbd and monmaptool commands.
ceph_pkgs="ceph-mon ceph-mgr ceph-osd ceph-common"

# Lines "<needed by>: <alternative> [| <alternative>...]" on stdin.
wanted() {
	if [ "${1:-}" = --kernel ]; then
		[ $# -eq 2 ] || { echo "usage: $0 [--kernel DIR | --ceph]" >&2; exit 2; }
		cat "$2/build-depends"
		return
	fi
	if [ "${1:-}" = --ceph ]; then
		for p in $ceph_pkgs; do
			echo "ceph recipe: $p"
		done
	elif [ $# -gt 0 ]; then
		echo "usage: $0 [--kernel DIR | --ceph]" >&2
		exit 2
	fi
	for p in $host_pkgs; do
		echo "vhost-lio: $p"
	done
	for f in "$CACHE"/*/build-depends; do
		[ -f "$f" ] && cat "$f"
	done
	return 0
}

# Installed package names and what they provide, one a line.
installed() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Package},${Provides}\n' |
		sed -n 's/^ii *//p' | tr ',' '\n' |
		sed -e 's/([^)]*)//g' -e 's/:any//g' -e 's/[[:space:]]//g' |
		grep -v '^$' | sort -u
}

have=$(installed)
missing=
notes=
# Every line whose alternatives are all absent: install the first one.
lines=$(wanted "$@")
while IFS= read -r line; do
	[ -n "$line" ] || continue
	who=${line%%: *}
	alts=$(echo "${line#*: }" | tr '|' ' ')
	ok=
	for a in $alts; do
		if echo "$have" | grep -qxF "$a"; then
			ok=1
			break
		fi
	done
	[ -z "$ok" ] || continue
	# shellcheck disable=SC2086 # $alts is a list of names
	set -- $alts
	case " $missing " in
	*" $1 "*) ;;
	*)	missing="$missing $1"
		notes="$notes$1 (needed by $who)
" ;;
	esac
done <<EOT
$lines
EOT

[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	printf '%s' "$notes" | while IFS= read -r n; do
		echo "install-deps: missing package $n: run scripts/install-deps.sh as root"
	done >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086 # $missing is a list of names
if ! { apt-get update -qq &&
       apt-get install -y -qq --no-install-recommends $missing; } \
		>"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps: apt-get install$missing failed" >&2
	exit 1
fi
