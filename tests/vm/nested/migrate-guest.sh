#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest's side of tests/vm/70-qemu-migrate.sh (/vl/ in its
# initramfs, named by the plan's NSCRIPT).  It writes 4 MiB of random data
# to the disk (LUN 0 of target 1 on vhost_lio), unmounts /out (a mounted
# virtio-9p share blocks migration) and says MIGRATE-READY on the console;
# the first guest then migrates it.  Meanwhile it keeps dropping the page
# cache and reading the disk back into it: those pages are written by the
# device, and only the device's dirty log tells QEMU to copy them again.
# Then it polls the disk (O_DIRECT reads, the device writing into guest
# memory all along) for the marker the first guest writes into the
# backing file once the source QEMU has quit: seeing it means running on
# the destination.  There it compares the disk as the page cache holds it
# with the data it wrote, mounts /out again and leaves its checks in
# /out/nested.log.
# /out/done says it ran to the end and how many checks it made ("ok N").
NOTE_LOG=/tmp/log
# shellcheck source=tests/vm/nested/common.sh
. /vl/common.sh

main() {
	note "migrate-guest.sh starts; kernel $(uname -r)"
	n=600
	set -- /sys/class/scsi_disk/*:0:1:0/device/block/*
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
		set -- /sys/class/scsi_disk/*:0:1:0/device/block/*
	done
	D=/dev/${1##*/}
	check "the disk (LUN 0 of target 1) is there" test -b "$D"
	dd if=/dev/urandom of=/tmp/ref bs=64k count=64 2>/dev/null
	check "4 MiB of random data written to the disk (O_DIRECT)" \
		dd if=/tmp/ref of="$D" bs=64k count=64 oflag=direct
	check "and read back the same (O_DIRECT)" \
		sh -c "dd if=$D bs=64k count=64 iflag=direct 2>/dev/null | cmp - /tmp/ref"
	umount /out
	note "MIGRATE-READY"
	# Page cache filled by the device, again and again, while QEMU copies
	# guest memory (~15 s of guest time; the first guest holds the
	# migration to 4 MiB/s, so it is still copying afterwards).
	i=0
	while [ $i -lt 5 ]; do
		echo 3 >/proc/sys/vm/drop_caches
		dd if="$D" of=/dev/null bs=64k count=64 2>/dev/null
		sleep 1
		i=$((i + 1))
	done
	note "reads done; polling the disk for the destination's marker"
	n=0
	until dd if="$D" bs=4096 skip=$((NMOFF / 4096)) count=1 iflag=direct \
		2>/dev/null | grep -q "$NMARK"; do
		sleep 1
		n=$((n + 1))
		[ $((n % 30)) -ne 0 ] || note "still polling ($n)"
		[ $n -lt 600 ] || break
	done
	note "marker seen after $n polls"
	check "the marker came (we run on the destination)" test $n -lt 600
	# Polled at least once without it: the page cache reads were over
	# while QEMU still copied memory on the source, so what the page
	# cache holds now came over by the migration.
	check "the page cache reads ended before the migration did ($n polls)" \
		test $n -gt 0
	check "the page cache still holds the data the device read into it" \
		sh -c "dd if=$D bs=64k count=64 2>/dev/null | cmp - /tmp/ref"
	check "the disk holds it too (O_DIRECT)" \
		sh -c "dd if=$D bs=64k count=64 iflag=direct 2>/dev/null | cmp - /tmp/ref"
	note "done"
}

mount_out() {
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 nout "$O"
}

main >/tmp/nested.log 2>&1
mount_out || note "cannot mount the share again"
cp /tmp/nested.log /tmp/log "$O/" 2>/dev/null
echo "ok $(($(wc -l <$VL_CHECKS_FILE)))" >"$O/done"
sync
note "powering off"
echo o >/proc/sysrq-trigger
sleep 10
