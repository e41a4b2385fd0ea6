#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README demo, inside the VM: load vhost_lio, export a LUN with
# targetcli, show what targetcli and configfs see, let the fake guest
# (tests/guest/vl-guest) do verified I/O through /dev/vhost-scsi, then boot
# a real Linux guest on it with QEMU's vhost-scsi-pci (tests/vm/nested/)
# and show what that guest saw: its kernel's lines about the disk, sg_inq,
# sg_readcap and a short verified fio run.
. "$VL_REPO/tests/vm/lib.sh"
W=naa.5001405deadbeef1

say() { echo; echo "### $*"; }

say "kernel $(uname -r); loading LIO and vhost_lio"
check "load LIO core and fileio" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
dmesg | grep vhost_lio | tail -n 2
start_dbus
truncate -s 64M /tmp/demo.img
say "targetcli: a 64 MiB fileio backstore exported on /vhost $W"
check "fileio backstore" targetcli /backstores/fileio create name=demo file_or_dev=/tmp/demo.img size=64M
check "vhost WWPN" targetcli /vhost create $W
check "LUN" targetcli /vhost/$W/tpg1/luns create /backstores/fileio/demo
say "targetcli ls"
targetcli ls
say "configfs"
for f in ../version tpgt_1/nexus; do
	printf '%s: %s\n' "$f" "$(cat $CFS/vhost/$W/$f)"
done
ls -l $CFS/vhost/$W/tpgt_1/lun/lun_0/
say "a guest does I/O: tests/guest/vl-guest drives /dev/vhost-scsi as QEMU would"
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 suite 2>&1 |
	grep -E 'INQUIRY standard|READ CAPACITY\(16\)|WRITE\(16\)/READ\(16\)|1 MiB in one|in flight at once' | head -n 8
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 bench --queues 1 --depth 16 --bs 4k \
	--rw randread --seconds 3 2>&1 | grep '^vl-guest bench'
say "a real guest: QEMU boots Linux with -device vhost-scsi-pci,wwpn=$W (about 90 s, TCG inside TCG)"
. "$VL_REPO/tests/vm/nested/lib.sh"
rm -rf "$NESTED"
mkdir -p "$NESTED/out"
echo NSCRIPT=demo-guest.sh >"$NESTED/out/plan"
check "nested initramfs (busybox, fio, sg3_utils)" nested_initrd
nested_boot $W 1800
rc=$?
cat "$NESTED/out/demo.txt" 2>/dev/null
cat "$NESTED/qemu.log"
same "QEMU exit status (the guest powered off)" $rc 0
check "the nested guest's fio verified its data" grep -q '^demo: .*err= 0' "$NESTED/out/demo.txt"
check "clear the config" tc_clear
check "unload" sh -c "rmdir $CFS/vhost 2>/dev/null; rmmod vhost_lio"
