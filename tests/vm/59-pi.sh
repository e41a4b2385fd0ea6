#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# T10 protection information (issue 9 section 3): a fileio backstore
# formatted with protection type 1 (attrib/pi_prot_type 1, its tuples in
# <file>.protection, attrib/pi_prot_format 1, attrib/pi_prot_verify 1),
# exported as LUN 0; the fake guest (vl-guest pi, tests/guest/pi.c)
# negotiates VIRTIO_SCSI_F_T10_PI and writes and reads protected blocks,
# sends a corrupted guard (CHECK CONDITION, ASC 0x10 ASCQ 0x01), a count
# that does not match its CDB and counts in the wrong place.
#
# About 3 s on 6.1 and on 6.12 (Documentation/testing.md).
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000591          # the vhost WWPN
I=naa.5001405000000592          # the nexus (initiator) name
T=$CFS/vhost/$W/tpgt_1
BS=$CFS/core/fileio_59/vl_pi
IMG=/tmp/vl-pi.img
OUT=/tmp/vlg-pi.out
KLOG_TAG=59-pi

[ -x "$VLG" ] || { fail "tests/guest/vl-guest is built"; exit 1; }

# The order LIO asks for (bs_fileio_pi, lib.sh): protection is set on an
# enabled backstore that no LUN exports yet; formatting writes the escape
# tuples (app tag 0xffff) over the whole device.
config() {
	bs_fileio_pi 59 vl_pi $IMG 16777216 &&
	mkdir -p $T && lun_link $T 0 $BS && put $T/nexus $I
}

teardown() {
	lun_unlink $T 0
	put $T/nexus NULL
	rmdir $T $CFS/vhost/$W $CFS/vhost &&
	bs_remove $BS && rm -f $IMG $IMG.protection
}

check "load target_core_mod and fileio" sh -c "modprobe target_core_mod && modprobe target_core_file"
vl_load || { fail "modprobe vhost_lio"; exit 1; }
klog_mark pi
check "configure: fileio with pi_prot_type 1, formatted, LUN 0, nexus" config
same "the backstore reads back protection type 1" "$(cat $BS/attrib/pi_prot_type)" 1
check "fileio keeps the tuples in <file>.protection" [ -f $IMG.protection ]

"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 pi >$OUT 2>&1
rc=$?
cat $OUT
same "vl-guest pi exit status" $rc 0
check "vl-guest pi ran its checks (no FAIL, at least 30 PASS)" \
	sh -c "! grep -q '^FAIL' $OUT && [ \$(grep -c '^PASS' $OUT) -ge 30 ]"
check "the kernel log is clean" klog_clean
check "teardown in order" teardown
