#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# targetcli (rtslib-fb, fabric "vhost") drives vhost_lio as it drives the
# in-tree module: backstores, a /vhost WWPN, LUNs and an ACL; saveconfig,
# clearconfig and restoreconfig give back the same tree; after saveconfig,
# an unload of vhost_lio and LIO core and a fresh load, `targetctl restore`
# (the boot-time restore) gives it back too, attributes included, and a
# fake guest does verified I/O on it.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405aaaaaaaa1
I=naa.5001405bbbbbbbb2
J=/etc/rtslib-fb-target/saveconfig.json

tc() { targetcli "$@"; }

# rtslib's saveconfig and clearconfig go through the iSCSI fabric (its
# discovery settings) and load iscsi_target_mod, which the debug kernel
# (no INET) does not have: this test is about rtslib, not about what the
# debug kernel finds, so it does not run there.
modinfo iscsi_target_mod >/dev/null 2>&1 ||
	skip "no iscsi_target_mod in this kernel: targetcli saveconfig and clearconfig need it"

# The JSON config with volatile fields left out, keys sorted.
norm() {
	python3 - "$1" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
# rtslib lists objects in configfs order, which a restore may change: sort
# every list.
def canon(x):
    if isinstance(x, dict):
        return {k: canon(v) for k, v in x.items()}
    if isinstance(x, list):
        return sorted((canon(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    return x
cfg = canon(cfg)
print(json.dumps(cfg, sort_keys=True, indent=1))
PY
}

check "load LIO core and backstores" sh -c "modprobe target_core_mod && modprobe target_core_file && modprobe target_core_iblock"
check "load vhost_lio" vl_load
check "start a D-Bus system bus for targetcli" start_dbus
truncate -s 32M /tmp/tc-disk1.img
check "fileio backstore" tc /backstores/fileio create name=disk1 file_or_dev=/tmp/tc-disk1.img size=32M
check "ramdisk backstore" tc /backstores/ramdisk create name=ram1 size=8M
check "create /vhost WWPN" tc /vhost create $W
check "targetcli made tpg1 with a nexus" test -s $CFS/vhost/$W/tpgt_1/nexus
check "LUN 0 on fileio" tc /vhost/$W/tpg1/luns create /backstores/fileio/disk1
check "LUN 1 on ramdisk" tc /vhost/$W/tpg1/luns create /backstores/ramdisk/ram1
check "ACL" tc /vhost/$W/tpg1/acls create $I
check "LUNs are in configfs" test -d $CFS/vhost/$W/tpgt_1/lun/lun_1
check "ACL is in configfs" test -d $CFS/vhost/$W/tpgt_1/acls/$I
check "ACL maps both LUNs" test -d $CFS/vhost/$W/tpgt_1/acls/$I/lun_1
check "ls shows the WWPN" sh -c "targetcli ls /vhost | grep -q $W"
refuse "targetcli refuses an iqn WWPN on vhost" "WWN\|wwn\|Invalid\|not valid" tc /vhost create iqn.2003-01.org.example:x

check "saveconfig" tc saveconfig
cp $J /tmp/saved.json
# rtslib numbers HBAs anew on restore and saves no vhost nexus (it makes a
# new random one), so those two are normalised away.
cfs_dump() {
	tree_dump $CFS/vhost | grep -v -e /statistics/ -e /alua_ |
		sed -e 's|core/\([a-z_]*\)_[0-9]*/|core/\1/|' \
		    -e 's|/nexus = naa\.[0-9a-f]* $|/nexus = (set)|'
}
cfs_dump >/tmp/tree-before
check "clearconfig" tc clearconfig confirm=True
same "cleared: no WWPN left" "$(count_wwpns $CFS/vhost)" 0
check "restoreconfig" tc restoreconfig /tmp/saved.json
cfs_dump >/tmp/tree-after
check "restored configfs tree equals the saved one" diff -u /tmp/tree-before /tmp/tree-after
check "saveconfig after restore" tc saveconfig /tmp/restored.json
norm /tmp/saved.json >/tmp/saved.norm
norm /tmp/restored.json >/tmp/restored.norm
check "restored JSON equals the saved JSON" diff -u /tmp/saved.norm /tmp/restored.norm
check "restored TPG has a nexus again" test -s $CFS/vhost/$W/tpgt_1/nexus

# ---- a host that reboots: save, unload everything, `targetctl restore` ----
# What rtslib-fb-targetctl.service does at boot: after a fresh load of LIO
# core, `targetctl restore` reads the saved JSON and loads the fabric with
# `modprobe tcm_vhost`, which the modprobe.d alias file makes vhost_lio.
# Non-default attributes first, so the restore is seen to carry them: a
# backstore's (emulate_tpu) and our TPG's (fabric_prot_type, and LUN 0's
# lun_queue_depth, set before rtslib makes the LUNs on restore).  The tree
# dump covers the vhost tree only; backstores are compared through the
# JSON and their attributes read back.
FIO=$(echo $CFS/core/fileio_*/disk1)
check "set backstore attribute emulate_tpu=1" \
	tc /backstores/fileio/disk1 set attribute emulate_tpu=1
check "set TPG attribute fabric_prot_type=1" \
	tc /vhost/$W/tpg1 set attribute fabric_prot_type=1
check "set TPG attribute lun_queue_depth=0:64" \
	tc /vhost/$W/tpg1 set attribute lun_queue_depth=0:64
same "emulate_tpu is 1 in configfs" "$(cat "$FIO/attrib/emulate_tpu")" 1
same "fabric_prot_type is 1 in configfs" \
	"$(cat $CFS/vhost/$W/tpgt_1/attrib/fabric_prot_type)" 1
check "saveconfig to the boot-time file" tc saveconfig
cp $J /tmp/boot.json
cfs_dump >/tmp/tree-boot-before
check "clearconfig before the reboot" tc clearconfig confirm=True
check "remove the fabric directory before the reboot" \
	sh -c "test ! -d $CFS/vhost || rmdir $CFS/vhost"
check "rmmod vhost_lio before the reboot" rmmod vhost_lio
check "LIO core unloads before the reboot" lio_unload
same "nothing of LIO or vhost loaded" \
	"$(grep -c -e '^target_core_' -e '^vhost_lio ' -e '^vhost_scsi ' /proc/modules)" 0
check "install the modprobe.d alias file (tcm_vhost is us)" vl_alias_conf
# targetctl exits 0 whatever happens: it prints the errors rtslib skipped
# (and "No saved config file" if there is none) and carries on, so any
# output is a failure.
targetctl_restore() {
	targetctl restore >/tmp/targetctl.out 2>&1 || return 1
	cat /tmp/targetctl.out
	test ! -s /tmp/targetctl.out
}
check "targetctl restore: exit 0, no error printed" targetctl_restore
same "lsmod: vhost_lio loaded" "$(lsmod | grep -c '^vhost_lio ')" 1
same "lsmod: vhost_scsi not loaded" "$(lsmod | grep -c '^vhost_scsi ')" 0
cfs_dump >/tmp/tree-boot-after
check "restored after reload: configfs tree equals the saved one" \
	diff -u /tmp/tree-boot-before /tmp/tree-boot-after
check "saveconfig after the boot-time restore" tc saveconfig /tmp/boot-restored.json
norm /tmp/boot.json >/tmp/boot.norm
norm /tmp/boot-restored.json >/tmp/boot-restored.norm
check "restored after reload: JSON equals the saved JSON" \
	diff -u /tmp/boot.norm /tmp/boot-restored.norm
FIO=$(echo $CFS/core/fileio_*/disk1)
same "restored after reload: emulate_tpu is 1" "$(cat "$FIO/attrib/emulate_tpu")" 1
same "restored after reload: fabric_prot_type is 1" \
	"$(cat $CFS/vhost/$W/tpgt_1/attrib/fabric_prot_type)" 1
same "restored after reload: lun_queue_depth is 0:64" \
	"$(cat $CFS/vhost/$W/tpgt_1/attrib/lun_queue_depth)" 0:64
same "restored after reload: LUN 0's limit in force is 64" \
	"$(sed -n 's/^lun_0 .*\(limit=[0-9]*\).*/\1/p' $CFS/vhost/$W/tpgt_1/lun_stats)" limit=64
check "restored after reload: the TPG has a nexus" test -s $CFS/vhost/$W/tpgt_1/nexus
# A fake guest on the restored TPG: verified WRITE/READ on both LUNs, and
# the buffer layouts on the fileio LUN 0.
check "tests/guest/vl-guest is built (make -C tests/guest on the host)" test -x "$VLG"
"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --expect-luns 0,1 \
	--only rw,layouts --label "[restored] " suite >/tmp/vlg-restored.out 2>&1
rc=$?
cat /tmp/vlg-restored.out
same "vl-guest verified I/O on the restored LUNs (suite --only rw,layouts) exit status" $rc 0

check "clearconfig before unload" tc clearconfig confirm=True
check "remove the fabric directory" sh -c "test ! -d $CFS/vhost || rmdir $CFS/vhost"
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
