#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest's work (/vl/guest.sh in its initramfs, run by
# tests/vm/nested/init with busybox sh): a Linux guest with virtio_scsi on
# QEMU's vhost-scsi-pci (with t10_pi=on), i.e. on vhost_lio in the first
# guest.  Finds the three disks (LUN 0 of targets 1, 2 and 3, by target
# number), asks disks 1 and 2 INQUIRY, READ CAPACITY and REPORT LUNS
# with sg3_utils, runs fio with crc32c verification on both (target 1's
# LUN limited to fewer commands in flight than fio sends: its depth must
# drop, disk 2's not) and, once the first guest lifted that limit, a
# second, read-only verifying pass (disk 1's depth must ramp back up),
# writes a marker to disk 1 for the first guest to find in the backing
# file, then, in the same boot, runs the T10 protection information
# phase on disk 3 (pi_main, tests/vm/nested/pi-guest.sh: the integrity
# profile, fio with verification) and the SCSI error-handling phases on
# disk 1 (eh_main, tests/vm/nested/eh-guest.sh: timeouts, sg_reset, a
# reset storm), and powers off.  Checks go to /out/nested.log as PASS:/FAIL: lines
# (tests/vm/60-qemu-guest.sh relays them); /out/done says it ran to the
# end and how many checks it made ("ok N"), /out/resets how many LUN
# resets the guest sent successfully.  /out is the first guest's
# $NESTED/out, over 9p.  Progress goes to the console (notes, fio's ETA
# every 5 s), which the first guest watches for stalls.
# shellcheck source=tests/vm/nested/common.sh
. /vl/common.sh
# shellcheck source=tests/vm/nested/pi-guest.sh
. /vl/pi-guest.sh
# shellcheck source=tests/vm/nested/eh-guest.sh
. /vl/eh-guest.sh

# "C:T:L blockdev" of each SCSI disk (the host number is whatever
# virtio_scsi got; channel, target and LUN are what vhost-scsi defines).
disks() {
	for d in /sys/class/scsi_disk/*; do
		for b in "$d"/device/block/*; do
			[ -e "/dev/${b##*/}" ] && echo "${d##*/[0-9]:} ${b##*/}"
		done
	done | sort
}

ndisks() {
	set -- /sys/class/scsi_disk/*/device/block/*
	[ -e "$1" ] && echo $# || echo 0
}

main() {
	note "guest.sh starts; kernel $(uname -r)"
	# What QEMU offered and the driver took: feature bits, bit 0 first
	# (bit 1 is VIRTIO_SCSI_F_HOTPLUG, bit 3 VIRTIO_SCSI_F_T10_PI: with
	# it every command of every disk has the PI header).
	for v in /sys/bus/virtio/devices/*; do
		[ "$(cat "$v/device")" = 0x0008 ] &&
			echo "INFO: virtio-scsi features $(cat "$v/features")"
	done
	n=600
	while [ "$(ndisks)" -lt 3 ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	disks
	same "three SCSI disks: LUN 0 of targets 1, 2 and 3" \
		"$(disks | cut -d' ' -f1 | tr '\n' ' ')" "0:1:0 0:2:0 0:3:0 "
	D1=/dev/$(disks | awk '$1 == "0:1:0" { print $2 }')
	D2=/dev/$(disks | awk '$1 == "0:2:0" { print $2 }')
	note "disks: target 1 = $D1, target 2 = $D2"
	check "disk 1 is a block device" test -b "$D1"
	check "disk 2 is a block device" test -b "$D2"

	for i in 1 2; do
		if [ $i = 1 ]; then
			d=$D1 want_prod=$NPROD1 want_size=$NSIZE1
		else
			d=$D2 want_prod=$NPROD2 want_size=$NSIZE2
		fi
		note "disk $i: sg_inq, sg_readcap, sg_luns"
		sg_inq "$d" >"$O/sg_inq-$i.txt" 2>&1
		sg_readcap "$d" >"$O/sg_readcap-$i.txt" 2>&1
		sg_luns "$d" >"$O/sg_luns-$i.txt" 2>&1
		same "disk $i: INQUIRY vendor" \
			"$(sed -n 's/^ *Vendor identification: *\([^ ]*\).*/\1/p' "$O/sg_inq-$i.txt")" LIO-ORG
		same "disk $i: INQUIRY product" \
			"$(sed -n 's/^ *Product identification: *\([^ ]*\).*/\1/p' "$O/sg_inq-$i.txt")" "$want_prod"
		same "disk $i: READ CAPACITY size" \
			"$(sed -n 's/^ *Device size: \([0-9]*\) bytes.*/\1/p' "$O/sg_readcap-$i.txt")" "$want_size"
		same "disk $i: REPORT LUNS lists LUN 0 only" \
			"$(grep -E '^ +[0-9a-f]{16}( |$)' "$O/sg_luns-$i.txt" | awk '{ print $1 }' | tr '\n' ' ')" \
			"0000000000000000 "
		same "disk $i: the kernel's size (sysfs)" \
			"$(( $(cat /sys/class/block/${d#/dev/}/size 2>/dev/null || echo 0) * 512 ))" "$want_size"
	done
	note "sg3_utils done"

	# Per-LUN queue depth: target 1's LUN is limited to $NLIMIT commands
	# in flight on the host (attrib/lun_queue_depth), target 2's is not.
	# Both disks start at depth $NDEPTH with fio keeping $NDEPTH in
	# flight: virtio_scsi tracks queue depth, so the TASK SET FULL
	# answers beyond the limit make the SCSI midlayer lower disk 1's
	# depth (by one per 11 of them, 16 jiffies apart), while disk 2's
	# stays.  Then the first guest lifts the limit (we ask through
	# /out/lift) and disk 1's depth ramps back up, one step per
	# queue_ramp_up_period (100 ms from then on) with I/O completing.
	q1=/sys/block/${D1#/dev/}/device
	q2=/sys/block/${D2#/dev/}/device
	# A ramp-up period shorter than the gaps between counted TASK SET
	# FULLs would undo each step down: 10 minutes until the limit goes.
	for q in $q1 $q2; do
		check "depth $NDEPTH, ramp-up period 10 min: ${q#/sys/block/}" \
			sh -c "echo $NDEPTH >$q/queue_depth && echo 600000 >$q/queue_ramp_up_period"
	done
	# Sampled once a second with the shell's own read: every process
	# costs dearly two levels of TCG down.
	while :; do
		read -r d1 <$q1/queue_depth
		read -r d2 <$q2/queue_depth
		echo "$d1 $d2"
		sleep 1
	done >/tmp/depths &
	sampler=$!

	# Both disks at once, one job each: random 4k writes, each block read
	# back and verified (crc32c) after the job; then, with the limit
	# lifted, a second fio run that only reads and verifies.  O_DIRECT
	# throughout, so every read is the device's.  fio's progress goes to
	# the console whenever its share done changes (checked every 2 s):
	# the first guest sees a slow fio progress, and a hung one stop.
	fio_args="--rw=randwrite --bs=4k --size=$NFIO --ioengine=libaio \
		--iodepth=$NDEPTH --direct=1 --verify=crc32c --verify_state_save=0 \
		--randrepeat=1"
	note "fio starts"
	# shellcheck disable=SC2086
	{
		fio --output="$O/fio.txt" $fio_args \
			--eta=always --eta-interval=2 \
			--name=disk1 --filename="$D1" --name=disk2 --filename="$D2"
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	same "fio: exit status" "$(cat /tmp/fio.rc)" 0
	for j in disk1 disk2; do
		check "fio $j: random writes, read back and verified, no error" \
			grep -q "^$j: (groupid=0, jobs=1): err= 0" "$O/fio.txt"
	done
	min1=$(awk 'NR == 1 || $1 < m { m = $1 } END { print m }' /tmp/depths)
	min2=$(awk 'NR == 1 || $2 < m { m = $2 } END { print m }' /tmp/depths)
	echo "INFO: disk depths sampled every second during fio: $(awk '{ print $1 "/" $2 }' /tmp/depths | uniq | tr '\n' ' ')"
	check "disk 1 (limit $NLIMIT on the host): the guest lowered its depth from $NDEPTH (to $min1)" \
		[ "${min1:-$NDEPTH}" -lt "$NDEPTH" ]
	same "disk 2 (no limit): its depth stayed $NDEPTH" "$min2" "$NDEPTH"

	note "asking the first guest to lift the limit"
	: >"$O/lift"
	n=0
	while [ ! -e "$O/lifted" ] && [ $n -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "the first guest lifted the limit" test -e "$O/lifted"
	check "disk 1: ramp-up period 100 ms" sh -c "echo 100 >$q1/queue_ramp_up_period"
	# shellcheck disable=SC2086
	{
		fio --output="$O/fio-verify.txt" $fio_args --verify_only \
			--eta=always --eta-interval=2 \
			--name=verify1 --filename="$D1" --name=verify2 --filename="$D2"
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	same "fio verify pass: exit status" "$(cat /tmp/fio.rc)" 0
	for j in verify1 verify2; do
		check "fio $j: verified again by a read-only pass, no error" \
			grep -q "^$j: (groupid=0, jobs=1): err= 0" "$O/fio-verify.txt"
	done
	# Ramp-up goes on while reads complete: read on until disk 1 is
	# back at $NDEPTH, a read at a time (a bound of 600 reads, where a
	# step takes a few).
	n=0
	while [ "$(cat $q1/queue_depth)" -lt "$NDEPTH" ] && [ $n -lt 600 ]; do
		dd if="$D1" of=/dev/null bs=4096 count=1 skip=$n iflag=direct 2>/dev/null
		n=$((n + 1))
	done
	kill $sampler
	same "disk 1: depth ramped back up to $NDEPTH once the limit was lifted ($n more reads)" \
		"$(cat $q1/queue_depth)" "$NDEPTH"
	note "fio done"

	# The marker, for the first guest to find in disk 1's backing file.
	printf '%s' "$NM" >/tmp/marker
	note "marker"
	check "dd the marker to disk 1 at byte $NOFF" dd if=/tmp/marker of="$D1" \
		bs=4096 seek=$((NOFF / 4096)) count=1 conv=sync oflag=direct
	check "sync" sync
	same "marker reads back from disk 1" \
		"$(dd if="$D1" bs=4096 skip=$((NOFF / 4096)) count=1 iflag=direct 2>/dev/null | head -c ${#NM})" "$NM"
	check "disk 2 does not have it (the targets are different LUNs)" \
		sh -c "dd if=$D2 of=/tmp/d2 bs=4096 skip=$((NOFF / 4096)) count=1 iflag=direct &&
		       [ \$(wc -c </tmp/d2) = 4096 ] && ! grep -q '$NM' /tmp/d2"
	note "marker done"
	dmesg >"$O/dmesg.txt"
	# TCG inside TCG now and then leaks a single-step #DB into this
	# kernel (exc_debug_kernel WARNs "DR_STEP set", as with QEMU's gdb
	# stub): an emulator artifact at boot, not ours; it is shown, not
	# counted.
	grep 'WARNING: .* exc_debug_kernel' $O/dmesg.txt |
		sed 's/^/INFO: TCG artifact, ignored: /'
	check "nested kernel log: no I/O error, SCSI error handling, BUG, WARNING or Oops" \
		sh -c "! grep -E 'I/O error|critical|Sense Key|FAILED Result|abort|reset|timing out|BUG:|WARNING:|Oops|KFENCE' $O/dmesg.txt |
		       grep -v 'WARNING: .* exc_debug_kernel'"
	note "done"
}

{
	main
	pi_main
	eh_main
} >"$O/nested.log" 2>&1
echo "$RESETS" >"$O/resets"
echo "ok $(($(wc -l <$VL_CHECKS_FILE)))" >"$O/done"
sync
note "powering off" >/dev/null
echo o >/proc/sysrq-trigger
sleep 30
