#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The LIO "vhost" fabric by raw configfs, as people script it by hand:
# build a config, dump it, tear it down in the documented order, build it
# again and compare; bad names and values are refused with the right errno;
# the module unloads afterwards and leaves nothing behind.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000001          # our WWPN
I=naa.5001405000000099          # an initiator
V=$CFS/$VL_FABRIC
T1=$V/$W/tpgt_1
T2=$V/$W/tpgt_2

# Each step must succeed (a chain, not set -e: check runs these in an
# if, where set -e does nothing).
build() {
	bs_fileio 0 disk1 /tmp/disk1.img 16777216 &&
	bs_rdmcp 1 ram1 2048 &&
	mkdir -p $V/$W &&
	mkdir $T1 $T2 &&
	lun_link $T1 0 $CFS/core/fileio_0/disk1 &&
	lun_link $T1 1 $CFS/core/rd_mcp_1/ram1 &&
	lun_link $T2 0 $CFS/core/rd_mcp_1/ram1 &&
	mkdir -p $T1/acls/$I/lun_0 &&
	ln -s $T1/lun/lun_0 $T1/acls/$I/lun_0/map0 &&
	put $T1/attrib/fabric_prot_type 1 &&
	put $T1/nexus $I &&
	put $T2/nexus naa.5001405000000098
}

# The order LIO needs: mappings and LUN links first (a nexus cannot be
# dropped while LUNs are linked), then nexuses, then ACLs and TPGs.
teardown() {
	rm $T1/acls/$I/lun_0/map0 &&
	rmdir $T1/acls/$I/lun_0 &&
	lun_unlink $T1 0 1 && lun_unlink $T2 0 &&
	put $T1/nexus NULL &&
	put $T2/nexus NULL &&
	rmdir $T1/acls/$I &&
	rmdir $T1 $T2 $V/$W &&
	bs_remove $CFS/core/fileio_0/disk1 $CFS/core/rd_mcp_1/ram1
}

# A configfs dump without counters and times, which change on their own.
dump() { tree_dump $V | grep -v -e '/statistics/' -e '/alua_' ; }

check "load target_core_mod" modprobe target_core_mod
check "load target_core_file" modprobe target_core_file
check "load target_core_iblock" modprobe target_core_iblock
check "load vhost_lio" vl_load
check "/dev/vhost-scsi is a character device" test -c "$VL_DEV"
check "/dev/vhost-scsi opens and closes" sh -c "exec 3<>$VL_DEV && exec 3>&-"
check "fabric directory $VL_FABRIC appears on mkdir" mkdir $V
check "build a config: 2 TPGs, 3 LUNs, an ACL, nexuses" build
check "fabric version names vhost-lio" grep -q vhost-lio $V/version
same "nexus reads back" "$(cat $T1/nexus)" "$I"
same "fabric_prot_type reads back" "$(cat $T1/attrib/fabric_prot_type)" 1
check "ACL maps lun_0" test -L $T1/acls/$I/lun_0/map0

dump >/tmp/before
check "tear down in order" teardown
same "nothing left under the fabric" "$(count_wwpns $V)" 0
check "build again" build
dump >/tmp/after
check "rebuilt tree equals the first one" diff -u /tmp/before /tmp/after

# Bad input: each refused with its errno, nothing half-created.
refuse "WWPN with unknown prefix" "Invalid argument" mkdir $V/eui.1234567890abcdef
refuse "WWPN without prefix" "Invalid argument" mkdir $V/bogus
refuse "WWPN of 250 chars" "Invalid argument" mkdir "$V/naa.$(printf '%0246d' 1)"
refuse "tpgt_300 (virtio target is one byte)" "Invalid argument" mkdir $V/$W/tpgt_300
refuse "tpgt_256" "Invalid argument" mkdir $V/$W/tpgt_256
refuse "tpgt_abc" "Invalid argument" mkdir $V/$W/tpgt_abc
refuse "tpg_1 (wrong prefix)" "Invalid argument" mkdir $V/$W/tpg_1
check "tpgt_255 is the largest target" mkdir $V/$W/tpgt_255
same "nexus with none reads empty" "$(cat $V/$W/tpgt_255/nexus)" ""
refuse "NULL nexus when there is none" "No such device" put $V/$W/tpgt_255/nexus NULL
refuse "nexus with foreign prefix" "Invalid argument" put $V/$W/tpgt_255/nexus iqn.2003-01.org.example:x
refuse "nexus with no prefix" "Invalid argument" put $V/$W/tpgt_255/nexus garbage
refuse "nexus of 300 chars" "Invalid argument" put $V/$W/tpgt_255/nexus "naa.$(printf '%0300d' 1)"
check "nexus on an empty TPG" put $V/$W/tpgt_255/nexus naa.5001405000000097
refuse "second nexus" "File exists" put $V/$W/tpgt_255/nexus naa.5001405000000096
check "drop nexus of an unused TPG" put $V/$W/tpgt_255/nexus NULL
check "remove an empty TPG" rmdir $V/$W/tpgt_255
refuse "drop nexus while LUNs are linked" "busy" put $T1/nexus NULL
same "nexus still there" "$(cat $T1/nexus)" "$I"
refuse "fabric_prot_type 2" "Invalid argument" put $T1/attrib/fabric_prot_type 2
refuse "fabric_prot_type junk" "Invalid argument" put $T1/attrib/fabric_prot_type x
check "fabric_prot_type 3" put $T1/attrib/fabric_prot_type 3
refuse "delete a TPG with linked LUNs" "not empty" rmdir $T1
refuse "write the read-only version" "denied\|Invalid\|not permitted" put $V/version x
check "fc. WWPN" mkdir $V/fc.20000000c9000001
check "iqn. WWPN" mkdir $V/iqn.2003-01.org.example:vl
check "fc. TPG" mkdir $V/fc.20000000c9000001/tpgt_1
refuse "naa nexus on an fc. WWPN" "Invalid argument" put $V/fc.20000000c9000001/tpgt_1/nexus $I
check "fc nexus on an fc. WWPN" put $V/fc.20000000c9000001/tpgt_1/nexus fc.21000000c9000002
check "remove fc. and iqn. WWPNs" sh -c "echo NULL > $V/fc.20000000c9000001/tpgt_1/nexus && rmdir $V/fc.20000000c9000001/tpgt_1 $V/fc.20000000c9000001 $V/iqn.2003-01.org.example:vl"
check "kernel logged the refusals, naming the value" sh -c "dmesg | grep -q tpgt_300 && dmesg | grep -q eui.1234567890abcdef"

# Unload: refused while anything holds the module, clean afterwards.
refuse "rmmod while the fabric is configured" "in use\|busy\|temporarily" rmmod vhost_lio
check "tear down" teardown
check "remove the fabric directory" rmdir $V
exec 3<>"$VL_DEV"
refuse "rmmod while /dev/vhost-scsi is open" "in use\|busy\|temporarily" rmmod vhost_lio
exec 3>&-
check "rmmod vhost_lio" rmmod vhost_lio
same "module gone" "$(grep -c '^vhost_lio ' /proc/modules)" 0
check "device node gone" test ! -e "$VL_DEV"
check "install the modprobe.d alias file" vl_alias_conf
check "load again, by its alias tcm_vhost" modprobe tcm_vhost
same "the alias loaded vhost_lio" "$(grep -c '^vhost_lio ' /proc/modules)" 1
check "unload again" rmmod vhost_lio
check "LIO core unloads too (no references left)" lio_unload
