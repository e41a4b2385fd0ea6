#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Migration: an unmodified QEMU moves a running guest whose disk is on
# vhost_lio (-device vhost-scsi-pci,migratable=on) to a second QEMU, the
# way a local migration goes: the source streams its state into a file
# (QMP migrate "exec:"), stops (CLEAR_ENDPOINT) and quits; the destination
# starts from the file (-incoming) and takes the endpoint.  QEMU allows it
# only because vhost_lio offers VHOST_F_LOG_ALL, and while it copies guest
# memory it relies on the dirty log.  The nested guest
# (tests/vm/nested/migrate-guest.sh) keeps the device writing into its
# page cache meanwhile and checks, on the destination, that the page cache
# and the disk hold what it wrote.  Here: the migration completed, the
# source logged through VHOST_SET_LOG_BASE (strace, if installed), both
# QEMUs ended cleanly, the module unloads.  Whole test: ~4 min.  Each
# nested QEMU is stopped if it stalls (nested_boot, nested/lib.sh).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000070
I=naa.5001405000000071
V=$CFS/$VL_FABRIC
T=$V/$W/tpgt_1
IMG=/tmp/migrate-disk.img
BS=$CFS/core/fileio_70/mdisk

config() {
	bs_fileio 70 mdisk $IMG 16777216 &&
	mkdir -p $V/$W && mkdir $T && lun_link $T 0 $BS &&
	put $T/nexus $I
}

teardown() {
	lun_unlink $T 0 && put $T/nexus NULL &&
	rmdir $T $V/$W $V && bs_remove $BS
}

# Differential runs: VL_MIGRATE_MODULE=vhost_scsi serves the guest from
# the in-tree module instead (same fabric name, same configfs), and
# VL_MIGRATE_CPU replaces the nested guest's CPU model (default and why:
# NESTED_MIGRATE_CPU, nested/lib.sh).
MOD=${VL_MIGRATE_MODULE:-vhost_lio}
check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
if [ "$MOD" = vhost_lio ]; then
	check "load vhost_lio" vl_load
else
	check "load $MOD (differential run)" modprobe "$MOD"
fi
check "configfs: $W tpgt_1 (fileio LUN 0), nexus" config

# The migration on one LUN: the destination takes the same WWPN; the
# marker goes into the backing file.
nested_migrate $W $W "the marker written into the backing file" \
	sh -c "printf '%s' '$NESTED_MARK' | dd of=$IMG bs=4096 seek=$((NESTED_MOFF / 4096)) conv=notrunc,sync 2>/dev/null && sync"
check "tear down: LUN, nexus, TPG, WWPN, backstore" teardown
check "rmmod $MOD" rmmod "$MOD"
check "LIO core unloads" lio_unload
rm -f $IMG
