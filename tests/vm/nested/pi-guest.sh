#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest's part of tests/vm/61-qemu-pi.sh (/vl/pi-guest.sh in
# its initramfs; the plan's NSCRIPT): a Linux guest whose QEMU has
# vhost-scsi-pci with t10_pi=on, on a LUN vhost_lio serves from a fileio
# backstore with protection type 1.  Checks that virtio_scsi negotiated
# VIRTIO_SCSI_F_T10_PI (feature bit 3), that the disk has the T10-DIF
# type 1 integrity profile with generation and verification on, and runs
# fio with crc32c verification through it (the block layer computes and
# checks the tuples, vhost_lio passes them, LIO's fileio stores and checks
# them).  Checks go to /out/nested.log, /out/done as guest.sh's.
# shellcheck source=tests/vm/nested/common.sh
. /vl/common.sh

disk() {
	for b in /sys/class/scsi_disk/*/device/block/*; do
		[ -e "/dev/${b##*/}" ] && { echo "${b##*/}"; return 0; }
	done
	return 1
}

main() {
	note "pi-guest.sh starts; kernel $(uname -r)"
	F=
	for v in /sys/bus/virtio/devices/*; do
		[ "$(cat "$v/device")" = 0x0008 ] && F=$(cat "$v/features")
	done
	echo "INFO: virtio-scsi features $F"
	same "virtio_scsi negotiated VIRTIO_SCSI_F_T10_PI (feature bit 3)" \
		"$(echo "$F" | cut -c4)" 1
	n=600
	until B=$(disk) || [ $n -eq 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	check "a SCSI disk appeared" test -n "$B"
	[ -n "$B" ] || return 1
	note "disk $B"
	same "the disk's integrity profile" \
		"$(cat /sys/block/"$B"/integrity/format 2>&1)" T10-DIF-TYPE1-CRC
	same "the block layer generates the tuples on writes" \
		"$(cat /sys/block/"$B"/integrity/write_generate 2>&1)" 1
	same "and verifies them on reads" \
		"$(cat /sys/block/"$B"/integrity/read_verify 2>&1)" 1
	note "fio"
	{
		fio --name=pi --filename="/dev/$B" --rw=randrw --bs=4k \
			--size="$NFIO" --ioengine=libaio --iodepth=4 --direct=1 \
			--verify=crc32c --verify_fatal=1 --verify_state_save=0 \
			--output=/tmp/fio.txt --eta=always --eta-interval=5
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	cat /tmp/fio.txt
	same "fio with crc32c verification through the integrity profile: exit status" \
		"$(cat /tmp/fio.rc)" 0
	check "fio: no error" grep -q 'err= 0' /tmp/fio.txt
	note "fio done"
	dmesg >"$O/dmesg.txt"
	# t10-pi reports a tuple that does not verify as "... tag error".
	check "nested kernel log: no I/O error, tag error, BUG, WARNING or Oops" \
		sh -c "! grep -E 'I/O error|tag error|Sense Key|FAILED Result|BUG:|WARNING:|Oops' $O/dmesg.txt |
		       grep -v 'WARNING: .* exc_debug_kernel'"
	note "done"
}

main >"$O/nested.log" 2>&1
echo "ok $(($(wc -l <$VL_CHECKS_FILE)))" >"$O/done"
sync
note "powering off" >/dev/null
echo o >/proc/sysrq-trigger
sleep 30
