#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, end to end on a fresh Debian 12 machine: install what is
# missing, fetch a Debian kernel, build vhost_lio.ko for it, boot it under
# qemu, load the module, export a LUN through targetcli, show it, run a
# guest's I/O through it (the userspace fake guest, tests/guest), then boot
# a real Linux guest on it with QEMU's vhost-scsi-pci and show what that
# guest saw (tests/vm/nested/).  About 3 minutes.
#
# Usage: scripts/demo.sh [6.1|6.12]   (default 6.12)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
series=${1:-6.12}
cd "$top" || exit 1
scripts/install-deps.sh || exit 1
read -r abi kdir < <(scripts/fetch-kernels.sh "$series" | tail -n 1)
[ -n "${abi:-}" ] || exit 1
make -s KDIR="$kdir" || exit 1
make -s -C tests/guest || exit 1
scripts/vm-run.sh -k "$series" -o "$top/results/demo-$abi" tests/vm/demo.sh >/dev/null
rc=$?
cat "$top/results/demo-$abi/demo.log"
echo
[ $rc -eq 0 ] && echo "demo: OK on $abi" || echo "demo: FAILED on $abi (see results/demo-$abi/)"
exit $rc
