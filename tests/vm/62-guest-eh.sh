#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A real guest's SCSI error handling on vhost_lio (issue 9): an unmodified
# QEMU boots a Linux guest with -device vhost-scsi-pci whose disk is LUN 0
# of tpgt_1, iblock over a dm-delay device over a loop file.  The delay is
# 0 but switchable: the nested guest (tests/vm/nested/eh-guest.sh) asks
# through its /out (files "slow", "fast", "storm", "calm"), and we swap
# the table (dmsetup suspend, load, resume) to SLOW_MS, 0, STORM_MS, 0
# and answer ("slow-done", ...).  There it times commands out (2 s timeout,
# held in the device until timed out twice), resets the LUN, target, bus
# and host with sg_reset, and runs fio with verification under a LUN
# reset a second; see eh-guest.sh for what it checks.
# Here: QEMU ran the guest to its power-off; LIO started exactly as many
# LUN resets as the guest's sg_reset -d succeeded and that the storm's
# aborted commands in flight (LIO's pr_debug lines, switched on through
# dynamic debug), and no ABORT TASK reached LIO (it logs every one:
# virtio_scsi never aborts);
# no BUG, WARNING or hung task in our kernel log; the module and LIO
# unload.  Whole test: ~4 min; the nested QEMU is stopped if it stalls
# (nested_boot, nested/lib.sh).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000620          # the vhost WWPN
I=naa.5001405000000621          # the nexus
V=$CFS/$VL_FABRIC
T=$V/$W/tpgt_1
IMG=/tmp/eh-disk.img
SIZE=33554432                   # 32 MiB
BS=$CFS/core/iblock_62/ehdisk
DM=vl_ehdisk
SLOW_MS=60000                   # held until the guest lifts it
STORM_MS=100                    # the storm's commands wait in the device
FIOSIZE=1536k                   # ~30 s of fio I/O two levels of TCG down
OFF=$((24 * 1048576))           # a block past fio's area
KLOG_TAG=vl-62-eh               # klog_mark (lib.sh)

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
	truncate -s $SIZE $IMG && LOOP=$(losetup -f --show $IMG) &&
	dmsetup create $DM --table "0 $(blockdev --getsz "$LOOP") delay $LOOP 0 0" &&
	{ [ -b /dev/mapper/$DM ] || dmsetup mknodes $DM; } &&
	mkdir -p $BS && put $BS/control udev_path=/dev/mapper/$DM &&
	put $BS/enable 1 &&
	mkdir -p $V/$W && mkdir $T && lun_link $T 0 $BS &&
	put $T/nexus $I
}

teardown() {
	lun_unlink $T 0 && put $T/nexus NULL &&
	rmdir $T $V/$W $V && bs_remove $BS &&
	dmsetup remove $DM && losetup -d "$LOOP"
}

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

check "load target_core_mod" modprobe target_core_mod
check "load vhost_lio" vl_load
LOOP=
check "configfs: $W tpgt_1 (iblock over dm-delay LUN 0), nexus" config
check "LIO's LUN reset lines on (dynamic debug)" lun_reset_debug
klog_mark nested-guest

rm -rf "$NESTED"
mkdir -p "$NESTED/out"
check "nested initramfs" nested_initrd
{
	printf 'VL_REPO=%s\nNSCRIPT=eh-guest.sh\n' "$VL_REPO"
	printf 'NOFF=%s\nNFIO=%s\n' $OFF "$FIOSIZE"
} >"$NESTED/out/plan"
echo "setup done at $(elapsed); booting the nested guest"

# The delay switches the guest asks for, in its order; this loop ends
# with QEMU (killed below).
(
	for w in slow:$SLOW_MS fast:0 storm:$STORM_MS calm:0; do
		while [ ! -e "$NESTED/out/${w%:*}" ]; do sleep 0.2; done
		set_delay "${w#*:}" && : >"$NESTED/out/${w%:*}-done"
		echo "delay ${w#*:} ms at $(elapsed)"
	done
) &
switcher=$!
t_boot=$(date +%s)
nested_boot $W 1800
rc=$?
kill $switcher 2>/dev/null
echo "nested QEMU exited $rc after $(( $(date +%s) - t_boot ))s (test at $(elapsed))"
rm -rf "$R/nested"
cp -r "$NESTED/out" "$R/nested"
cp "$NESTED/console.log" "$NESTED/qemu.log" "$R/nested/" 2>/dev/null
echo "--- QEMU's output"
cat "$NESTED/qemu.log"
echo "--- the nested guest's checks and output"
nested_relay_checks "powered off"
same "QEMU exit status (the guest powered off, without stalling)" $rc 0

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

klog_mark teardown
check "tear down: LUN, nexus, TPG, WWPN, backstore, dm-delay, loop" teardown
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
check "no BUG or WARNING at teardown" klog_clean
rm -f $IMG
echo "test done at $(elapsed)"
