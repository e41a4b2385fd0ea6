#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fake guest (tests/guest/vl-guest) against the IN-TREE vhost_scsi:
# this pins the in-tree module's behaviour, which vhost-lio is diffed
# against.  LIO + vhost_scsi, a fileio LUN 0 on tmpfs and an rd_mcp LUN 1
# by raw configfs, then `vl-guest suite` twice (QEMU-like defaults; then
# split memory, 4 queues, 256-entry rings, no EVENT_IDX, no INDIRECT_DESC)
# - every PASS/FAIL line it prints is a check - a 5 s bench that must print
# its result line, hotplug events seen by `vl-guest events`, and teardown
# down to rmmod.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000042          # the vhost WWPN
I=naa.5001405000000043          # the nexus (initiator) name
DEV=/dev/vhost-scsi

# Debian's 6.1 vhost_scsi corrupts kernel memory after a TMF LOGICAL UNIT
# RESET: it puts its reserve TMF back with list_add_tail()'s arguments
# swapped, which drops the TPG's other reserve TMFs from the list; unlinking
# the TPG's LUNs then runs the list dry and kfree()s a pointer 1144 bytes
# into the TPG (kmalloc-2k), and a later allocation faults (GPF in
# __kmem_cache_alloc_node).  Documentation/differential.md has the proof.
# So on 6.1 the suite runs without its LUN reset step.
# Both kernels' vhost_scsi offer VHOST_F_LOG_ALL but log only the used
# ring, not the data they write into the guest's buffers (a migration can
# then lose it): the suite's dirty-log step would fail, so it is left out
# and its result only shown further down.
SUITE_SKIP="--skip dirty-log"
case $VL_ABI in
6.1.*)
	SUITE_SKIP="--skip lun-reset,dirty-log"
	echo "INFO: $VL_ABI: TMF LOGICAL UNIT RESET left out of the suite" \
		"(--skip lun-reset): after one LUN reset on a TPG with two" \
		"LUNs, unlinking them makes this vhost_scsi kfree() a pointer" \
		"into the TPG and corrupt slab memory (Documentation/differential.md)"
	;;
esac

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi
same "vhost_lio is not loaded (it would own the vhost fabric)" \
	"$(grep -c '^vhost_lio ' /proc/modules)" 0
check "load target_core_mod" modprobe target_core_mod
check "load target_core_file" modprobe target_core_file
check "load the in-tree vhost_scsi" modprobe vhost_scsi
check "$DEV is a character device" test -c $DEV
check "configfs: fileio LUN 0, rd_mcp LUN 1, nexus" vlg_config vhost $W $I

start=$(date +%s)
"$VLG" --dev $DEV --wwpn $W --target 1 --lun 0 --expect-luns 0,1 $SUITE_SKIP \
	suite
same "vl-guest suite (defaults) exit status" $? 0
"$VLG" --dev $DEV --wwpn $W --target 1 --lun 1 --expect-luns 0,1 \
	--split-mem --queues 4 --ring 256 --no-event-idx --no-indirect \
	--label "[split,4q,256,no-eidx,no-ind] " $SUITE_SKIP suite
same "vl-guest suite (split memory, 4 queues, no EVENT_IDX/INDIRECT) exit status" $? 0
echo "suite runs took $(( $(date +%s) - start ))s"

vlg_bench $DEV $W

"$VLG" --dev $DEV --wwpn $W --target 1 --lun 0 --only dirty-log \
	--label "[dirty log] " suite 2>&1 | sed 's/^\(PASS\|FAIL\): /INFO: not a check: /'

# Hotplug: a LUN linked and unlinked while a guest is attached raises
# TRANSPORT_RESET events; with no event buffer posted at the time, the
# next event-queue kick must bring an EVENTS_MISSED event instead.
T=$CFS/vhost/$W/tpgt_1
H=$CFS/core/rd_mcp_7/vlg_hot
check "a third backstore for hotplug" vlg_mkhot $H
check "event watcher attached, LUN 2 linked and unlinked" \
	vlg_watch_events /tmp/vlg-ev1.out $T $H 1 --dev $DEV --wwpn $W --seconds 3
check "hotplug event: TRANSPORT_RESET, reason RESCAN, LUN 2" \
	grep -q '^EVENT: type=TRANSPORT_RESET missed=0 reason=RESCAN .* target=1 lun=2 ' /tmp/vlg-ev1.out
check "hot-unplug event: TRANSPORT_RESET, reason REMOVED, LUN 2" \
	grep -q '^EVENT: type=TRANSPORT_RESET missed=0 reason=REMOVED .* target=1 lun=2 ' /tmp/vlg-ev1.out
check "event watcher with buffers posted after LUN 2 was linked and unlinked" \
	vlg_watch_events /tmp/vlg-ev2.out $T $H 1 --dev $DEV --wwpn $W --seconds 4 \
		--late-events 3600000
check "events with no buffer posted come back as EVENTS_MISSED" \
	grep -q '^EVENT: .* missed=1 ' /tmp/vlg-ev2.out
sed 's/^/  ev1: /' /tmp/vlg-ev1.out
sed 's/^/  ev2: /' /tmp/vlg-ev2.out
check "remove the hotplug backstore" rmdir $H

check "tear down the configfs tree" vlg_teardown vhost $W
check "rmmod vhost_scsi" rmmod vhost_scsi
check "LIO core unloads too" lio_unload
