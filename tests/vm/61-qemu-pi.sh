#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# T10 protection information with a real client (issue 9 section 3): an
# unmodified QEMU boots a Linux guest with -device
# vhost-scsi-pci,...,t10_pi=on on vhost_lio, whose LUN 0 is a fileio
# backstore with protection type 1 (as tests/vm/59-pi.sh sets it up).
# The nested guest (tests/vm/nested/pi-guest.sh) checks that its
# virtio_scsi negotiated VIRTIO_SCSI_F_T10_PI and its disk has the
# T10-DIF-TYPE1-CRC integrity profile, and runs fio with crc32c
# verification through it; here we relay its checks and take it apart.
#
# Behind a switch: a nested boot costs minutes of VM time; run it with
# VL_PI_NESTED=1 (scripts/vm-run.sh passes VL_PI_* into the VM).
# Run on 6.12: 18 checks pass, 170 s for the whole boot.
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

[ "${VL_PI_NESTED:-0}" = 1 ] ||
	skip "nested T10 PI guest: set VL_PI_NESTED=1 (a nested boot, minutes)"

W=naa.5001405000000611          # the vhost WWPN
I=naa.5001405000000612          # the nexus
T=$CFS/vhost/$W/tpgt_1
BS=$CFS/core/fileio_61/vl_npi
IMG=/tmp/vl-npi.img

config() {
	bs_fileio 61 vl_npi $IMG 67108864 &&
	put $BS/attrib/pi_prot_type 1 &&
	put $BS/attrib/pi_prot_format 1 &&
	put $BS/attrib/pi_prot_verify 1 &&
	mkdir -p $T && lun_link $T 0 $BS && put $T/nexus $I
}

teardown() {
	lun_unlink $T 0 && put $T/nexus NULL &&
	rmdir $T $CFS/vhost/$W $CFS/vhost &&
	bs_remove $BS && rm -f $IMG $IMG.protection
}

check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
check "configfs: fileio with pi_prot_type 1, formatted, LUN 0, nexus" config

rm -rf "$NESTED"
mkdir -p "$NESTED/out"
# crct10dif_generic: the CRC the guest's t10-pi needs (a module on 6.1).
NESTED_MODS_EXTRA=crct10dif_generic
check "nested initramfs: busybox, fio, the $VL_NESTED_ABI modules" nested_initrd
printf 'NSCRIPT=pi-guest.sh\nNFIO=1M\n' >"$NESTED/out/plan"
NESTED_VHOST_OPTS=t10_pi=on nested_boot $W 1800
rc=$?
rm -rf "$R/nested-pi"
cp -r "$NESTED/out" "$R/nested-pi"
cp "$NESTED/console.log" "$NESTED/qemu.log" "$R/nested-pi/" 2>/dev/null
echo "--- QEMU's output"
cat "$NESTED/qemu.log"
echo "--- the nested guest's checks and output"
nested_relay_checks "powered off"
same "QEMU exit status (the guest powered off, without stalling)" $rc 0
check "teardown in order (QEMU has closed the device)" teardown
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
