# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The T10 protection information phase of the nested guest of
# tests/vm/60-qemu-guest.sh (issue 9 section 3; /vl/ in its initramfs,
# sourced by guest.sh, which runs pi_main after its own work and before
# eh_main, in the same boot and log).  QEMU's vhost-scsi-pci has
# t10_pi=on, and disk 3, LUN 0 of target 3, is a fileio backstore with
# protection type 1 on the first guest's vhost_lio.  Checks that
# virtio_scsi negotiated VIRTIO_SCSI_F_T10_PI (feature bit 3), that disk
# 3 has the T10-DIF type 1 integrity profile with generation and
# verification on while disks 1 and 2 (no protection on the host) have
# none, and runs fio with crc32c verification through disk 3 (the block
# layer computes and checks the tuples, vhost_lio passes them, LIO's
# fileio checks and stores them: the first guest then reads them in the
# backing file's .protection).  The plan gives NPIFIO (fio's size).
# Checks go to guest.sh's log.

pi_main() {
	note "T10 PI phase starts"
	F=
	for v in /sys/bus/virtio/devices/*; do
		[ "$(cat "$v/device")" = 0x0008 ] && F=$(cat "$v/features")
	done
	same "virtio_scsi negotiated VIRTIO_SCSI_F_T10_PI (feature bit 3)" \
		"$(echo "$F" | cut -c4)" 1
	# The disk by its target number (guest.sh waited for all three).
	set -- /sys/class/scsi_disk/*:0:3:0/device/block/*
	B=${1##*/}
	check "disk 3 (LUN 0 of target 3, protection type 1) is a block device" \
		test -b "/dev/$B" || return 1
	note "disk 3 = /dev/$B"
	same "disk 3: integrity profile" \
		"$(cat /sys/block/"$B"/integrity/format 2>&1)" T10-DIF-TYPE1-CRC
	same "disk 3: the block layer generates the tuples on writes" \
		"$(cat /sys/block/"$B"/integrity/write_generate 2>&1)" 1
	same "disk 3: and verifies them on reads" \
		"$(cat /sys/block/"$B"/integrity/read_verify 2>&1)" 1
	for d in "$D1" "$D2"; do
		same "${d#/dev/} (no protection on the host): no integrity profile" \
			"$(cat /sys/block/"${d#/dev/}"/integrity/format 2>&1)" none
	done
	note "disk 3: fio"
	{
		fio --name=pi --filename="/dev/$B" --rw=randrw --bs=4k \
			--size="$NPIFIO" --ioengine=libaio --iodepth=4 --direct=1 \
			--verify=crc32c --verify_fatal=1 --verify_state_save=0 \
			--output="$O/fio-pi.txt" --eta=always --eta-interval=2
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	same "disk 3: fio with crc32c verification through the integrity profile: exit status" \
		"$(cat /tmp/fio.rc)" 0
	check "disk 3: fio: random reads and writes verified, no error" \
		grep -q '^pi: (groupid=0, jobs=1): err= 0' "$O/fio-pi.txt"
	dmesg >"$O/dmesg-pi.txt"
	# t10-pi reports a tuple that does not verify as "... tag error".
	check "nested kernel log: no I/O error, tag error, BUG, WARNING or Oops" \
		sh -c "! grep -E 'I/O error|tag error|Sense Key|FAILED Result|BUG:|WARNING:|Oops' $O/dmesg-pi.txt |
		       grep -v 'WARNING: .* exc_debug_kernel'"
	note "T10 PI phase done"
}
