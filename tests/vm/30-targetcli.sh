#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# targetcli (rtslib-fb, fabric "vhost") drives vhost_lio as it drives the
# in-tree module: backstores, a /vhost WWPN, LUNs and an ACL; saveconfig,
# clearconfig and restoreconfig give back the same tree.
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

check "clearconfig before unload" tc clearconfig confirm=True
check "remove the fabric directory" sh -c "test ! -d $CFS/vhost || rmdir $CFS/vhost"
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
