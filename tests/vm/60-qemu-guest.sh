#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The real client: an unmodified QEMU (Debian's) boots a Linux guest with
# -device vhost-scsi-pci,...,t10_pi=on on vhost_lio, and that guest's
# virtio_scsi drives three disks: LUN 0 of tpgt_1 (iblock over a dm-delay
# device over a loop device on a file), of tpgt_2 (rd_mcp) and of tpgt_3
# (fileio with T10 protection type 1) of one WWPN.  With t10_pi=on the
# guest negotiates VIRTIO_SCSI_F_T10_PI, and every command of every disk
# comes with the PI request header; disks 1 and 2 have no protection.
# The nested guest (tests/vm/nested/) checks INQUIRY, READ CAPACITY and
# REPORT LUNS, runs fio with crc32c verification on disks 1 and 2 and a
# second read-only verifying pass, and writes a marker to disk 1.  Target
# 1's LUN is limited to LIMIT1 commands in flight (attrib/lun_queue_depth)
# and its device delays every I/O by DELAY1_MS (the TCG guest submits so
# slowly that the limit would hardly ever be reached otherwise), while fio
# keeps NDEPTH in flight on each disk: the nested guest sees its
# disk 1's queue depth drop and disk 2's stay, asks for the limit to be
# lifted (a file in its /out), and sees disk 1's depth ramp back up; we
# lift it, take the delay away, and record lun_stats (TASK SET FULL counted on target 1 only).
# With one vCPU all disks' commands share a request queue.
# Then, in the same nested boot (one boot two levels of TCG down costs
# ~2 min), T10 protection information on disk 3 (issue 9 section 3;
# tests/vm/nested/pi-guest.sh): feature bit 3, the T10-DIF-TYPE1-CRC
# integrity profile, fio with verification through it; here we find the
# written blocks' tuples in the backing file's .protection.  And Linux's SCSI
# error handling on disk 1 (issue 9;
# tests/vm/nested/eh-guest.sh): with the limit lifted, the delay is 0
# but switchable: the nested guest asks through its /out (files "slow",
# "fast", "storm", "calm"), and we swap the table (dmsetup suspend, load, resume) to
# SLOW_MS, 0, STORM_MS, 0 and answer ("slow-done", ...).  There it times
# commands out (2 s timeout, held in the device until timed out twice),
# resets the LUN, target, bus and host with sg_reset, and runs fio with
# verification under a LUN reset a second.
# Here we relay its checks, find the marker in the backing file, and
# check that QEMU ended the device cleanly (CLEAR_ENDPOINT at power-off:
# the TPGs come apart and the module unloads).  With strace on the host,
# QEMU's vhost ioctls are recorded and checked too.  LIO started exactly
# as many LUN resets as the guest's sg_reset -d succeeded and the storm's
# aborted commands in flight (LIO's pr_debug lines, switched on through
# dynamic debug), and no ABORT TASK reached LIO (it logs every one:
# virtio_scsi never aborts); no BUG, WARNING or hung task in our kernel
# log.  Whole test: ~8 min on 6.1 (the PI phase ~40 s of it).  The
# nested QEMU is stopped if it stalls (nested_boot, nested/lib.sh).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000060          # the vhost WWPN
I1=naa.5001405000000061         # nexus of tpgt_1
I2=naa.5001405000000062         # nexus of tpgt_2
I3=naa.5001405000000063         # nexus of tpgt_3
V=$CFS/$VL_FABRIC
T1=$V/$W/tpgt_1
T2=$V/$W/tpgt_2
T3=$V/$W/tpgt_3
IMG=/tmp/nested-disk1.img
SIZE1=67108864                  # iblock, 64 MiB
RDPAGES=8192                    # rd_mcp, 32 MiB
SIZE2=$((RDPAGES * 4096))
IMG3=/tmp/nested-pi.img         # fileio, protection type 1
SIZE3=16777216
PIFIO=1048576                   # disk 3's fio, from its start
FIOSIZE=1M                      # per disk: ~60 IOPS each two levels of TCG down
OFF=$((24 * 1048576 + 7 * 4096))  # inside disks 1 and 2, past fio's area
BS1=$CFS/core/iblock_60/ndisk1
DM=vl_ndisk1
DELAY1_MS=200
BS2=$CFS/core/rd_mcp_60/ndisk2
BS3=$CFS/core/fileio_60/ndisk3
LIMIT1=4                        # in flight on target 1's LUN
NDEPTH=8                        # the nested guest's depth, and fio's
SLOW_MS=60000                   # held until the nested guest lifts it
# The storm's commands wait STORM_MS in the device, longer than a LUN
# reset takes from the nested guest to LIO (the guest holds new commands
# back meanwhile): with 100 ms, the resets of a run found no command in
# flight; with 1 s, 19 resets aborted 127.  fio keeps 8 in flight, but
# the resets' retries slow it to ~5 IOPS: 512 KiB is ~50 s of I/O.
STORM_MS=1000
EHFIO=512k
EHOFF=$((24 * 1048576))         # the error handling's I/O block, not the marker's
KLOG_TAG=vl-60-nested           # klog_mark (lib.sh)
MARK="vhost-lio nested marker $$.$(date +%s).$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"

t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - t_start ))s; }

# set_delay MS: dm-delay's table swapped for one delaying by MS (the
# suspend sends what the old table held on at once).
set_delay() {
	dmsetup suspend $DM &&
	dmsetup load $DM --table "0 $(blockdev --getsz "$LOOP") delay $LOOP 0 $1" &&
	dmsetup resume $DM
}

config() {
	modprobe dm_delay && modprobe loop && modprobe target_core_iblock &&
	truncate -s $SIZE1 $IMG && LOOP=$(losetup -f --show $IMG) &&
	dmsetup create $DM --table "0 $(blockdev --getsz "$LOOP") delay $LOOP 0 $DELAY1_MS" &&
	{ [ -b /dev/mapper/$DM ] || dmsetup mknodes $DM; } &&
	mkdir -p $BS1 && put $BS1/control udev_path=/dev/mapper/$DM &&
	put $BS1/enable 1 &&
	bs_rdmcp 60 ndisk2 $RDPAGES &&
	bs_fileio_pi 60 ndisk3 $IMG3 $SIZE3 &&
	mkdir -p $V/$W && mkdir $T1 $T2 $T3 &&
	lun_link $T1 0 $BS1 && lun_link $T2 0 $BS2 && lun_link $T3 0 $BS3 &&
	put $T1/nexus $I1 &&
	put $T2/nexus $I2 &&
	put $T3/nexus $I3
}

unlink_luns() {
	lun_unlink $T1 0 && lun_unlink $T2 0 && lun_unlink $T3 0 &&
	put $T1/nexus NULL && put $T2/nexus NULL && put $T3/nexus NULL
}

# pi_tuples: "N M" of the tuples of disk 3's first PIFIO bytes in its
# .protection file (8 bytes per 512-byte block: guard, application tag,
# reference tag): N with application tag 0, those of the blocks fio wrote
# (the format wrote escape tuples, all 0xff), M of those whose reference
# tag is not their block number (type 1).  They are the guest's, passed
# through; LIO would generate the same ones for a guest that sent none
# (DOUT_INSERT): that the guest sent them, the nested guest's integrity
# profile checks show.
pi_tuples() {
	od -An -v -tx1 -w8 -N $((PIFIO / 512 * 8)) "$IMG3.protection" |
		awk '($3 $4) == "0000" { n++; if (($5 $6 $7 $8) != sprintf("%08x", NR - 1)) m++ }
		     END { print n + 0, m + 0 }'
}

# Whatever state a failure left, take it all down (no checks).
# LIO's pr_debug lines "LUN_RESET: TMR starting" (a LUN reset) and
# "LUN_RESET: ITT[...]" (a command it aborted) on; the dynamic debug
# control file is in /proc, or in debugfs on older kernels.
lun_reset_debug() {
	_c=/proc/dynamic_debug/control
	[ -w $_c ] || { _c=/sys/kernel/debug/dynamic_debug/control
		[ -w $_c ] || mount -t debugfs none /sys/kernel/debug; }
	echo 'func core_tmr_lun_reset +p' >$_c &&
	echo 'func core_tmr_drain_state_list +p' >$_c &&
	grep -q 'core_tmr_lun_reset =p' $_c &&
	grep -q 'core_tmr_drain_state_list =p' $_c
}

cleanup() {
	for _t in $T1 $T2 $T3; do
		rm -f $_t/lun/lun_0/port0 2>/dev/null
		rmdir $_t/lun/lun_0 2>/dev/null
		put $_t/nexus NULL 2>/dev/null
	done
	rmdir $T1 $T2 $T3 $V/$W $V 2>/dev/null
	bs_remove $BS1 2>/dev/null; bs_remove $BS2 2>/dev/null
	bs_remove $BS3 2>/dev/null; rm -f $IMG3 $IMG3.protection
	dmsetup remove $DM 2>/dev/null; [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
}

check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
LOOP=
check "configfs: $W tpgt_1 (iblock over dm-delay LUN 0), tpgt_2 (rd_mcp LUN 0), tpgt_3 (fileio, protection type 1, LUN 0), nexuses" config
check "tpgt_1: LUN 0 limited to $LIMIT1 commands in flight" put $T1/attrib/lun_queue_depth 0:$LIMIT1
check "LIO's LUN reset lines on (dynamic debug)" lun_reset_debug
klog_mark nested-guest

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
	printf 'NEHOFF=%s\nNEHFIO=%s\n' $EHOFF "$EHFIO"
	printf 'NPIFIO=%s\n' $PIFIO
} >"$NESTED/out/plan"
echo "setup done at $(elapsed); booting the nested guest"

# The nested guest asks (out/lift) for target 1's limit to go once it has
# seen its depth drop; lun_stats is kept from that moment.  Then come the
# delay switches its error handling phases ask for, in their order.  This
# loop ends with QEMU (killed below).
(
	while [ ! -e "$NESTED/out/lift" ]; do sleep 0.2; done
	cat $T1/lun_stats $T2/lun_stats >"$NESTED/out/lun_stats"
	set_delay 0 && put $T1/attrib/lun_queue_depth 0:0 &&
		: >"$NESTED/out/lifted"
	echo "limit and delay lifted at $(elapsed)"
	for w in slow:$SLOW_MS fast:0 storm:$STORM_MS calm:0; do
		while [ ! -e "$NESTED/out/${w%:*}" ]; do sleep 0.2; done
		set_delay "${w#*:}" && : >"$NESTED/out/${w%:*}-done"
		echo "delay ${w#*:} ms at $(elapsed)"
	done
) &
switcher=$!
t_boot=$(date +%s)
NESTED_VHOST_OPTS=t10_pi=on nested_boot $W 1800
rc=$?
kill $switcher 2>/dev/null
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

# Disk 3: fileio stored the tuples of the blocks fio wrote.
_pt=$(pi_tuples)
check "disk 3's .protection holds written tuples (application tag 0) for ${_pt%% *} of its first $((PIFIO / 512)) blocks" \
	[ "${_pt%% *}" -gt 0 ]
same "each of them has its block number as reference tag" "${_pt#* }" 0

# What reached LIO: LUN resets (counted) and ABORT TASKs (none).
_lr=$(klog_since | grep -c 'LUN_RESET: TMR starting')
_gr=$(cat "$NESTED/out/resets" 2>/dev/null)
echo "INFO: LIO started $_lr LUN resets; the guest's sg_reset -d succeeded ${_gr:-?} times"
same "LIO started a LUN reset for each of the guest's sg_reset -d, no more" "$_lr" "${_gr:-none}"
# The storm's resets found commands in the disk (delayed by STORM_MS):
# LIO aborted them, vhost_lio answered them RESET, the guest retried.
_v=$(klog_since | grep -c 'LUN_RESET: ITT\[')
check "LIO's LUN resets aborted commands in flight ($_v), which the guest retried" [ "$_v" -gt 0 ]
same "no ABORT TASK reached LIO" "$(klog_since | grep -c 'ABORT_TASK')" 0
check "no BUG, WARNING, hung task or KASAN report in the kernel log" klog_clean

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
klog_mark teardown
check "unlink the LUNs and drop the nexuses" unlink_luns
check "remove tpgt_1, tpgt_2 and tpgt_3 (unpinned after QEMU's exit)" rmdir $T1 $T2 $T3
check "remove the WWPN and the fabric directory" rmdir $V/$W $V
check "remove the backstores" bs_remove $BS1 $BS2 $BS3
check "remove the dm-delay and loop devices" sh -c "dmsetup remove $DM && losetup -d $LOOP"
cleanup
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
check "no BUG or WARNING at teardown" klog_clean
rm -f $IMG
echo "test done at $(elapsed)"
