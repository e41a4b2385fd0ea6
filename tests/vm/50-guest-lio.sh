#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The data path: the fake guest (tests/guest/vl-guest) drives vhost_lio's
# /dev/vhost-scsi as QEMU would, over LUNs configured by raw configfs: the
# same suite that pins the in-tree vhost_scsi in 40-guest-intree.sh.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000052          # the vhost WWPN
I=naa.5001405000000053          # the nexus (initiator) name

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi
check "load target_core_mod and fileio" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
check "configfs: fileio LUN 0, rd_mcp LUN 1, nexus" vlg_config vhost $W $I

"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --expect-luns 0,1 \
	--extra-layouts suite >/tmp/vlg-suite.out 2>&1
rc=$?
cat /tmp/vlg-suite.out
same "vl-guest suite (defaults) exit status" $rc 0
# vl_io_trim_sgl(): fileio answers a READ into a longer buffer GOOD with a
# residual (the in-tree module gets LOGICAL UNIT COMMUNICATION FAILURE).
check "fileio LUN 0: READ into a buffer one block longer: GOOD, resid one block, data intact" \
	grep -q '^INFO: READ of 8 blocks into a 9-block buffer (LUN 0): response 0 OK, status 0000, resid 512, data intact$' /tmp/vlg-suite.out
"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 1 --expect-luns 0,1 \
	--split-mem --queues 4 --ring 256 --no-event-idx --no-indirect \
	--label "[split,4q,256,no-eidx,no-ind] " suite
same "vl-guest suite (split memory, 4 queues, no EVENT_IDX/INDIRECT) exit status" $? 0
# Guest RAM the kernel cannot pin (memfd_secret; the VM boots with
# secretmem.enable=1 for 6.1): every data buffer must go through the copy
# fallback, for reads and writes, in every layout.
"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --expect-luns 0,1 \
	--secret-mem --extra-layouts --label "[secretmem] " suite
same "vl-guest suite (memfd_secret guest RAM, data copied) exit status" $? 0

# A memory table that is not whole pages, as a VMM whose RAM ends mid-page
# sends it (the in-tree vhost takes any byte range): one entry split 0x1100
# bytes into the data, the last one ending 256 bytes into a page.
"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --expect-luns 0,1 \
	--split-mem --odd-mem --only rw,layouts --label "[odd-mem] " suite
same "vl-guest suite (memory table entries not whole pages) exit status" $? 0

vlg_bench "$VL_DEV" $W

# Hotplug events (drivers/device/vl_evt.c): a LUN linked and unlinked
# while a guest is attached raises TRANSPORT_RESET RESCAN, then REMOVED.
# Events raised before the guest posts buffers wait for them (up to 64);
# beyond that they are missed and the next event says so.  A guest that
# did not negotiate VIRTIO_SCSI_F_HOTPLUG gets none.
T=$CFS/vhost/$W/tpgt_1
H=$CFS/core/rd_mcp_7/vlg_hot
evs() { awk '/^EVENT:/ { printf "%s %s %s,", $3, $4, $7 }' "$1"; }
check "a third backstore for hotplug" vlg_mkhot $H
check "[events] watcher attached, LUN 2 linked and unlinked" \
	vlg_watch_events /tmp/vlg-ev1.out $T $H 1 --dev "$VL_DEV" --wwpn $W \
		--seconds 3
same "[events] TRANSPORT_RESET RESCAN then REMOVED, target 1 LUN 2" \
	"$(evs /tmp/vlg-ev1.out)" \
	"missed=0 reason=RESCAN lun=2,missed=0 reason=REMOVED lun=2,"
check "[events] used length 16, LUN address 01 01 00 02 (peripheral addressing)" \
	sh -c "[ \$(grep -c '^EVENT: .*lun_bytes=0101000200000000 .* used_len=16\$' /tmp/vlg-ev1.out) = 2 ]"
check "[events] watcher with its buffers posted after LUN 2 was linked and unlinked" \
	vlg_watch_events /tmp/vlg-ev2.out $T $H 1 --dev "$VL_DEV" --wwpn $W \
		--seconds 2 --late-events 3600000
same "[events] raised before the buffers came: delivered then, in order, none missed" \
	"$(evs /tmp/vlg-ev2.out)" \
	"missed=0 reason=RESCAN lun=2,missed=0 reason=REMOVED lun=2,"
check "[events] watcher with its buffers posted after LUN 2 was linked and unlinked 40 times" \
	vlg_watch_events /tmp/vlg-ev3.out $T $H 40 --dev "$VL_DEV" --wwpn $W \
		--seconds 3 --late-events 3600000
same "[events] 80 raised, 64 kept for the guest" \
	"$(grep -c '^EVENT:' /tmp/vlg-ev3.out)" 64
same "[events] the first one delivered says events were missed" \
	"$(evs /tmp/vlg-ev3.out | cut -d' ' -f1)" "missed=1"
same "[events] no other one says so" \
	"$(grep '^EVENT:' /tmp/vlg-ev3.out | grep -c 'missed=1')" 1
check "[events] watcher without VIRTIO_SCSI_F_HOTPLUG, LUN 2 linked and unlinked" \
	vlg_watch_events /tmp/vlg-ev4.out $T $H 1 --dev "$VL_DEV" --wwpn $W \
		--seconds 3 --no-hotplug
same "[events] no HOTPLUG negotiated: no event" \
	"$(grep -c '^EVENT:' /tmp/vlg-ev4.out)" 0
check "remove the hotplug backstore" rmdir $H

# Robustness: the sequence that corrupts slab memory in Debian 6.1's
# in-tree vhost_scsi (Documentation/differential.md): LUN resets on a TPG
# with two LUNs, a LUN unlinked, another LUN reset, every LUN unlinked and
# linked again, then allocations of every size.  vhost_lio must answer the
# resets and survive (a crash shows as a guest that did not finish).
T=$CFS/vhost/$W/tpgt_1
unlink_lun() { rm $T/lun/lun_$1/port$1 && rmdir $T/lun/lun_$1; }
unlink1_relink() {
	unlink_lun 1 && mkdir $T/lun/lun_0 $T/lun/lun_1 &&
	ln -s $CFS/core/fileio_7/vlg_file $T/lun/lun_0/port0 &&
	ln -s $CFS/core/rd_mcp_7/vlg_ram $T/lun/lun_1/port1
}
churn() {	# TPGs are kmalloc-2k objects, like the in-tree one
	for _i in $(seq 1 100); do
		mkdir -p $CFS/vhost/$1/tpgt_$_i &&
		rmdir $CFS/vhost/$1/tpgt_$_i || return 1
	done
	rmdir $CFS/vhost/$1 && find /usr/share/doc -xdev >/dev/null &&
	modprobe target_core_iblock && rmmod target_core_iblock
}
lun_reset() {	# LUN [ARGS]: vl-guest's LUN reset step alone (its setup
	_l=$1; shift	# checks only show up when they fail)
	"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun $_l "$@" \
		--only lun-reset --label "[reset+unlink LUN $_l] " suite \
		>/tmp/vlg-reset.out 2>&1
	same "[reset+unlink LUN $_l] vl-guest --only lun-reset exit status" $? 0
	grep -E '^FAIL|^PASS: \[[^]]*\] .*(RESET|reset)' /tmp/vlg-reset.out
}
taskset -cp 0 $$ >/dev/null 2>&1	# frees and allocations on one CPU
lun_reset 0
lun_reset 1
check "[reset+unlink] unlink LUN 0 after the LUN resets" unlink_lun 0
lun_reset 1 --expect-luns 1
check "[reset+unlink] unlink LUN 1, then link both LUNs again" unlink1_relink
check "[reset+unlink] allocations of every size afterwards (TPG churn, find, modprobe)" \
	churn naa.5001405000000059
taskset -cp "0-$(($(nproc --all) - 1))" $$ >/dev/null 2>&1

check "tear down" vlg_teardown vhost $W
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
