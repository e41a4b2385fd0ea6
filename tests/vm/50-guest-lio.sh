#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The data path: the fake guest (tests/guest/vl-guest) drives vhost_lio's
# /dev/vhost-scsi as QEMU would, over LUNs configured by raw configfs: the
# same suite that pins the in-tree vhost_scsi in 40-guest-intree.sh.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000052          # the vhost WWPN
I=naa.5001405000000053          # the nexus (initiator) name

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi
check "load target_core_mod and fileio" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
check "configfs: fileio LUN 0, rd_mcp LUN 1, nexus" vlg_config vhost $W $I

"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --expect-luns 0,1 suite
same "vl-guest suite (defaults) exit status" $? 0
"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 1 --expect-luns 0,1 \
	--split-mem --queues 4 --ring 256 --no-event-idx --no-indirect \
	--label "[split,4q,256,no-eidx,no-ind] " suite
same "vl-guest suite (split memory, 4 queues, no EVENT_IDX/INDIRECT) exit status" $? 0

"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 bench --queues 2 --depth 16 --bs 4k \
	--rw randrw --mix 70 --seconds 5 >/tmp/vlg-bench.out 2>&1
rc=$?
cat /tmp/vlg-bench.out
check "bench ran 5 s and printed a BENCH line (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q '^BENCH .* iops=[0-9]' /tmp/vlg-bench.out"

check "tear down" vlg_teardown vhost $W
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
