#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The real client: an unmodified QEMU (Debian's) boots a Linux guest with
# -device vhost-scsi-pci on vhost_lio, and that guest's virtio_scsi drives
# two disks: LUN 0 of tpgt_1 (iblock over a dm-delay device over a loop
# device on a file) and of tpgt_2 (rd_mcp) of one WWPN.
# The nested guest (tests/vm/nested/) checks INQUIRY, READ CAPACITY and
# REPORT LUNS, runs fio with crc32c verification on both disks and a
# second read-only verifying pass, and writes a marker to disk 1.  Target
# 1's LUN is limited to LIMIT1 commands in flight (attrib/lun_queue_depth)
# and its device delays every I/O by DELAY1_MS (the TCG guest submits so
# slowly that the limit would hardly ever be reached otherwise), while fio
# keeps NDEPTH in flight on each disk: the nested guest sees its
# disk 1's queue depth drop and disk 2's stay, asks for the limit to be
# lifted (a file in its /out), and sees disk 1's depth ramp back up; we
# lift it, take the delay away, and record lun_stats (TASK SET FULL counted on target 1 only).
# With one vCPU both disks' commands share a request queue.  Here we
# relay its checks, find the marker in the backing file, and check that
# QEMU ended the device cleanly (CLEAR_ENDPOINT at power-off: the TPGs
# come apart and the module unloads).  With strace on the host, QEMU's
# vhost ioctls are recorded and checked too.  Whole test: ~140 s.  The
# nested QEMU is stopped if it stalls (nested_boot, nested/lib.sh).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000060          # the vhost WWPN
I1=naa.5001405000000061         # nexus of tpgt_1
I2=naa.5001405000000062         # nexus of tpgt_2
V=$CFS/$VL_FABRIC
T1=$V/$W/tpgt_1
T2=$V/$W/tpgt_2
IMG=/tmp/nested-disk1.img
SIZE1=67108864                  # iblock, 64 MiB
RDPAGES=8192                    # rd_mcp, 32 MiB
SIZE2=$((RDPAGES * 4096))
FIOSIZE=1M                      # per disk: ~60 IOPS each two levels of TCG down
OFF=$((24 * 1048576 + 7 * 4096))  # inside both disks, past fio's area
BS1=$CFS/core/iblock_60/ndisk1
DM=vl_ndisk1
DELAY1_MS=200
BS2=$CFS/core/rd_mcp_60/ndisk2
LIMIT1=4                        # in flight on target 1's LUN
NDEPTH=8                        # the nested guest's depth, and fio's
MARK="vhost-lio nested marker $$.$(date +%s).$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"

t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - t_start ))s; }

config() {
	modprobe dm_delay && modprobe loop && modprobe target_core_iblock &&
	truncate -s $SIZE1 $IMG && LOOP=$(losetup -f --show $IMG) &&
	dmsetup create $DM --table "0 $(blockdev --getsz "$LOOP") delay $LOOP 0 $DELAY1_MS" &&
	{ [ -b /dev/mapper/$DM ] || dmsetup mknodes $DM; } &&
	mkdir -p $BS1 && put $BS1/control udev_path=/dev/mapper/$DM &&
	put $BS1/enable 1 &&
	bs_rdmcp 60 ndisk2 $RDPAGES &&
	mkdir -p $V/$W && mkdir $T1 $T2 &&
	lun_link $T1 0 $BS1 && lun_link $T2 0 $BS2 &&
	put $T1/nexus $I1 &&
	put $T2/nexus $I2
}

unlink_luns() {
	lun_unlink $T1 0 && lun_unlink $T2 0 &&
	put $T1/nexus NULL && put $T2/nexus NULL
}

# Whatever state a failure left, take it all down (no checks).
cleanup() {
	rm -f $T1/lun/lun_0/port0 $T2/lun/lun_0/port0 2>/dev/null
	rmdir $T1/lun/lun_0 $T2/lun/lun_0 2>/dev/null
	put $T1/nexus NULL 2>/dev/null; put $T2/nexus NULL 2>/dev/null
	rmdir $T1 $T2 $V/$W $V 2>/dev/null
	bs_remove $BS1 2>/dev/null; bs_remove $BS2 2>/dev/null
	dmsetup remove $DM 2>/dev/null; [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
}

check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
LOOP=
check "configfs: $W tpgt_1 (iblock over dm-delay LUN 0) and tpgt_2 (rd_mcp LUN 0), nexuses" config
check "tpgt_1: LUN 0 limited to $LIMIT1 commands in flight" put $T1/attrib/lun_queue_depth 0:$LIMIT1

rm -rf "$NESTED"
mkdir -p "$NESTED/out"
check "nested initramfs: busybox, fio, sg3_utils, the $VL_NESTED_ABI modules" nested_initrd
ls -l "$NESTED/initramfs.cpio"
echo "initramfs built at $(elapsed)"
{
	printf 'VL_REPO=%s\n' "$VL_REPO"
	printf 'NM=%s\n' "'$MARK'"
	printf 'NOFF=%s\nNFIO=%s\n' $OFF "$FIOSIZE"
	printf 'NSIZE1=%s\nNPROD1=%s\n' $SIZE1 IBLOCK
	printf 'NSIZE2=%s\nNPROD2=%s\n' $SIZE2 RAMDISK-MCP
	printf 'NLIMIT=%s\nNDEPTH=%s\n' $LIMIT1 $NDEPTH
} >"$NESTED/out/plan"
echo "setup done at $(elapsed); booting the nested guest"

# The nested guest asks (out/lift) for target 1's limit to go once it has
# seen its depth drop; lun_stats is kept from that moment.
(
	while [ ! -e "$NESTED/out/lift" ]; do sleep 0.2; done
	cat $T1/lun_stats $T2/lun_stats >"$NESTED/out/lun_stats"
	dmsetup suspend $DM &&
	dmsetup reload $DM --table "0 $(blockdev --getsz "$LOOP") delay $LOOP 0 0" &&
	dmsetup resume $DM &&
	put $T1/attrib/lun_queue_depth 0:0 && : >"$NESTED/out/lifted"
) &
lifter=$!
t_boot=$(date +%s)
nested_boot $W 1800
rc=$?
kill $lifter 2>/dev/null
t_end=$(date +%s)
echo "nested QEMU exited $rc after $(( t_end - t_boot ))s (test at $(elapsed))"
# Everything the nested guest left, for the record: results/<abi>/nested/.
rm -rf "$R/nested"
cp -r "$NESTED/out" "$R/nested"
cp "$NESTED/console.log" "$NESTED/qemu.log" "$R/nested/" 2>/dev/null
[ -f "$NESTED/strace.log" ] && cp "$NESTED/strace.log" "$R/nested/"
echo "--- QEMU's output"
cat "$NESTED/qemu.log"
echo "--- the nested guest's checks and output"
nested_relay_checks "powered off"
same "QEMU exit status (the guest powered off, without stalling)" $rc 0
echo "--- lun_stats when the nested guest asked for the limit to go"
cat "$NESTED/out/lun_stats" 2>/dev/null
_tsf1=$(sed -n '1s/.*task_set_full=\([0-9]*\).*/\1/p' "$NESTED/out/lun_stats" 2>/dev/null)
check "target 1's LUN answered TASK SET FULL beyond its limit (lun_stats: ${_tsf1:-none})" \
	[ "${_tsf1:-0}" -gt 0 ]
same "target 2's LUN: no TASK SET FULL" \
	"$(sed -n '2s/.*\(task_set_full=[0-9]*\).*/\1/p' "$NESTED/out/lun_stats" 2>/dev/null)" task_set_full=0
same "target 1's limit is the backstore's again" \
	"$(sed -n 's/.* \(limit=[0-9]*\) .*/\1/p' $T1/lun_stats)" "limit=$(cat $BS1/attrib/queue_depth)"

if [ -f "$NESTED/strace.log" ]; then
	nested_vhost_ioctls >"$NESTED/ioctls"
	echo "--- QEMU's vhost ioctls (strace)"
	cat "$NESTED/ioctls"
	check "QEMU: VHOST_SCSI_SET_ENDPOINT succeeded" grep -qx 'VHOST_SCSI_SET_ENDPOINT = 0' "$NESTED/ioctls"
	same "QEMU: the last endpoint ioctl (at power-off) is a successful CLEAR_ENDPOINT" \
		"$(grep ENDPOINT "$NESTED/ioctls" | tail -n 1)" "VHOST_SCSI_CLEAR_ENDPOINT = 0"
	# QEMU probes VHOST_GET_BACKEND_FEATURES, which vhost-scsi lacks.
	same "QEMU: every other vhost ioctl succeeded" \
		"$(grep -v -e ' = 0$' -e '^VHOST_GET_BACKEND_FEATURES = -1 ENOTTY' "$NESTED/ioctls")" ""
fi

same "the marker is in disk 1's backing file at byte $OFF" \
	"$(dd if=$IMG bs=4096 skip=$((OFF / 4096)) count=1 2>/dev/null | head -c ${#MARK})" "$MARK"

# QEMU has closed the device: nothing holds the TPGs any more.
check "unlink the LUNs and drop both nexuses" unlink_luns
check "remove tpgt_1 and tpgt_2 (unpinned after QEMU's exit)" rmdir $T1 $T2
check "remove the WWPN and the fabric directory" rmdir $V/$W $V
check "remove the backstores" bs_remove $BS1 $BS2
check "remove the dm-delay and loop devices" sh -c "dmsetup remove $DM && losetup -d $LOOP"
cleanup
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
rm -f $IMG
echo "test done at $(elapsed)"
