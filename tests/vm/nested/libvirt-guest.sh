#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The nested guest of tests/vm/65-libvirt.sh (/vl/libvirt-guest.sh in its
# initramfs, run by tests/vm/nested/init with busybox sh): a domain that
# libvirt started with <hostdev type='scsi_host'><source protocol='vhost'>
# on vhost_lio.  Busybox only: no fio, so the initramfs stays small and
# the domain boots twice within the test's budget.
#
# The plan (/out/plan) says which boot this is (NMODE):
#   destroy   find the disk, write /out/pattern1 at NOFF1, drop the page
#             cache, read it back and compare; then keep O_DIRECT reads in
#             flight and say so in /out/ready: the test destroys the domain
#             (virsh destroy) while the device is busy.
#   shutdown  pattern1 must still be at NOFF1 (written by the destroyed
#             domain), pattern2 is written at NOFF2 and compared the same
#             way; then busybox acpid waits for the ACPI power button and
#             /out/ready says so: the test runs `virsh shutdown`, the
#             button's handler marks it, this script writes /out/acpi and
#             powers off.
# Checks go to /out/nested.log, their count to /out/done ("ok N") before
# /out/ready is written; progress notes go to the console.
# shellcheck source=tests/vm/nested/common.sh
. /vl/common.sh

# The block device of the SCSI disk at 0:1:0 (target 1 = tpgt_1, LUN 0).
disk() {
	for b in /sys/class/scsi_disk/*:0:1:0/device/block/*; do
		[ -e "/dev/${b##*/}" ] && echo "/dev/${b##*/}"
	done
}

# verify DEV OFF FILE: FILE's bytes are at byte OFF of DEV, read through the
# page cache after it was dropped (so from the device).
verify() {
	echo 3 >/proc/sys/vm/drop_caches &&
	dd if="$1" of=/tmp/back bs=4096 skip=$(($2 / 4096)) \
		count=$(($(wc -c <"$3") / 4096)) 2>/dev/null &&
	cmp "$3" /tmp/back
}

# put_pattern N DEV OFF FILE: write FILE at byte OFF of DEV (buffered, then
# fsync), drop the page cache, read it back and compare.
put_pattern() {
	check "pattern $1: write $(wc -c <"$4") bytes at byte $3, fsync" \
		dd if="$4" of="$2" bs=4096 seek=$(($3 / 4096)) conv=fsync,notrunc
	check "pattern $1: dropped the page cache, read back from the disk, equal" \
		verify "$2" "$3" "$4"
}

main() {
	note "libvirt-guest.sh ($NMODE) starts; kernel $(uname -r)"
	n=600
	while [ -z "$(disk)" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	D=$(disk)
	note "disk: $D"
	check "the disk (target 1, LUN 0) is there" test -b "$D"
	# (no disk: a failed check, not a shell error that ends init)
	sectors=$(cat "/sys/class/block/${D#/dev/}/size" 2>/dev/null)
	same "disk size (sysfs)" "$(( ${sectors:-0} * 512 ))" "$NSIZE"
	case $NMODE in
	destroy)
		put_pattern 1 "$D" "$NOFF1" "$O/pattern1"
		;;
	shutdown)
		check "pattern 1 (written before virsh destroy) is still on the disk" \
			verify "$D" "$NOFF1" "$O/pattern1"
		put_pattern 2 "$D" "$NOFF2" "$O/pattern2"
		# busybox acpid runs <conf dir>/PWRF/00000080 for the
		# power button (evdev: KEY_POWER); button.ko and evdev.ko are
		# loaded by init, so the button's event device is there.
		mkdir -p /etc/acpi/PWRF
		printf '#!/bin/sh\n: >/tmp/power-button\n' >/etc/acpi/PWRF/00000080
		chmod +x /etc/acpi/PWRF/00000080
		check "acpid listens to the power button" \
			sh -c 'grep -qx "Power Button" /sys/class/input/input*/name &&
			       acpid -c /etc/acpi -l /tmp/acpid.log'
		;;
	esac
	dmesg >"$O/dmesg-$NMODE.txt"
	check "nested kernel log: no I/O error, SCSI error handling, BUG, WARNING or Oops" \
		sh -c "! grep -E 'I/O error|critical|Sense Key|FAILED Result|abort|reset|timing out|BUG:|WARNING:|Oops' $O/dmesg-$NMODE.txt |
		       grep -v 'WARNING: .* exc_debug_kernel'"
}

main >"$O/nested.log" 2>&1
echo "ok $(($(wc -l <$VL_CHECKS_FILE)))" >"$O/done"
D=$(disk)
case $NMODE in
destroy)
	# Reads in flight until QEMU is killed.
	while [ -b "$D" ]; do
		dd if="$D" of=/dev/null bs=65536 count=128 iflag=direct 2>/dev/null
	done &
	sync
	: >"$O/ready"
	note "ready: reading the disk until destroyed"
	while :; do sleep 60; done
	;;
shutdown)
	sync
	: >"$O/ready"
	note "ready: waiting for the ACPI power button"
	while [ ! -e /tmp/power-button ]; do
		sleep 0.2
	done
	note "ACPI power button pressed: powering off"
	cat /tmp/acpid.log >"$O/acpid.log" 2>/dev/null
	echo "power button" >"$O/acpi"
	sync
	poweroff -f
	;;
esac
sleep 30
