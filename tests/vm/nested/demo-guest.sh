#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest's part of the README demo (tests/vm/demo.sh): what a
# Linux guest on QEMU's vhost-scsi-pci sees of the LUN vhost_lio serves,
# written to /out/demo.txt for the first guest to print: the kernel's lines
# about the disk, sg_inq and sg_readcap, and a short fio run with crc32c
# verification.  Then power off.  Runs in the nested initramfs like
# guest.sh (busybox, fio and sg3_utils there; /out over 9p).
O=/out
export PATH=/bin:/usr/bin
# shellcheck source=tests/vm/lib.sh
. /vl/lib.sh

disk() {
	for b in /sys/class/scsi_disk/*/device/block/*; do
		[ -e "/dev/${b##*/}" ] && { echo "/dev/${b##*/}"; return 0; }
	done
	return 1
}

main() {
	n=600
	until D=$(disk) || [ $n -eq 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	echo "# the nested guest's kernel log (virtio_scsi, the disk):"
	dmesg | grep -E 'virtio_scsi|scsi host|scsi [0-9]|sd [0-9]' | sed 's/^\[[ 0-9.]*\] //'
	[ -n "$D" ] || { echo "no disk"; return 1; }
	echo
	echo "# sg_inq $D"
	sg_inq "$D" | grep -E 'identification|revision level|Peripheral device type'
	echo
	echo "# sg_readcap $D"
	sg_readcap "$D" | grep -E 'Last LBA|block length|Device size'
	echo
	echo "# fio: 4k random read/write, 1 MiB, crc32c verify, O_DIRECT, libaio iodepth 4"
	{
		fio --name=demo --filename="$D" --rw=randrw --bs=4k --size=1M \
			--ioengine=libaio --iodepth=4 --direct=1 --verify=crc32c \
			--verify_state_save=0 --output=/tmp/fio.txt \
			--eta=always --eta-interval=2
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	echo "fio exit status $(cat /tmp/fio.rc)"
	grep -E 'err=|read: IOPS|write: IOPS|READ:|WRITE:' /tmp/fio.txt | sed 's/: pid=.*//'
}

main >"$O/demo.txt" 2>&1
echo ok >"$O/done"
sync
echo o >/proc/sysrq-trigger
sleep 30
