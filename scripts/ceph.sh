#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Ceph RBD recipe of Documentation/admin-guide.md, tested: install
# Ceph's packages if missing (install-deps.sh --ceph), build vhost_lio for
# the kernel, boot it under qemu and run tests/vm/ceph.sh there: a
# single-node cluster on the loopback, an RBD image mapped by the kernel's
# rbd driver, exported as an iblock LUN through vhost_lio, verified I/O by
# the fake guest, a nested QEMU guest migrated (migratable=on) between two
# exports of the image, the teardown.  Not part of make check: Ceph and
# the nested guests under TCG take minutes (Documentation/testing.md,
# "make ceph").  4 GiB for the VM: the Ceph daemons beside a nested
# QEMU and its migration state.
#
# Usage: scripts/ceph.sh [6.12|6.1]   (default 6.12)
# Results in results/ceph-<abi>/ (ceph.log: the test's output, with a
# "TIME <phase> <seconds>" line per phase).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
series=${1:-6.12}
cd "$top" || exit 1
scripts/install-deps.sh --ceph || exit 1
read -r abi kdir < <(scripts/fetch-kernels.sh "$series" | tail -n 1)
[ -n "${abi:-}" ] || exit 1
make -s KDIR="$kdir" || exit 1
make -s -C tests/guest || exit 1
out=$top/results/ceph-$abi
scripts/vm-run.sh -k "$series" -m 4G -t "${VL_CEPH_TIMEOUT:-2400}" -o "$out" tests/vm/ceph.sh
rc=$?
grep '^TIME ' "$out/ceph.log" 2>/dev/null
[ $rc -eq 0 ] && echo "ceph: OK on $abi" || echo "ceph: FAILED on $abi (see $out/)"
exit $rc
