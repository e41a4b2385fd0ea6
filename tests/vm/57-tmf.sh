#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Task management functions vhost_lio runs from its own slots (issue 9):
# ABORT TASK SET, CLEAR TASK SET and I_T NEXUS RESET racing slow commands,
# CLEAR ACA, unknown subtypes and control types.  The fake guest's safety
# cases (tests/guest/safety.c) on LUN 0 = iblock over a device-mapper
# "delay" target, LUN 1 = rd_mcp, LUN 2 = a second delayed device.  The
# delay is short (VL_TMF_DELAY_MS, 2.5 s): long enough that the TMF
# reaches LIO while the commands are in the disk, shorter than the 5 s
# window of the TMF rate limit, which abort-task-set-many relies on.  After
# each case the kernel log must be free of oopses, BUGs, WARNINGs and
# KASAN reports.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000572          # the vhost WWPN
I=naa.5001405000000573          # the nexus
T=$CFS/vhost/$W/tpgt_1
SLOW=$CFS/core/iblock_57/vl_tslow
SLOW2=$CFS/core/iblock_57/vl_tslow2
FAST=$CFS/core/rd_mcp_57/vl_tfast
DM=vl_tslow			# and vl_tslow2; images in /tmp/<name>.img
DELAY_MS=${VL_TMF_DELAY_MS:-2500}
DELAY_S=$(( (DELAY_MS + 999) / 1000 ))
# The rate-limited case waits for one 5 s window past the delay.
VLG_TIMEOUT=$(( 2 * DELAY_S + 15 ))
CASE_LIMIT=$(( 3 * DELAY_S + 40 ))

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi
command -v dmsetup >/dev/null ||
	skip "dmsetup is not installed (package dmsetup; scripts/install-deps.sh)"

KLOG_TAG=vl-57-tmf        # klog_mark (lib.sh)

# slow_dev NAME SIZE: a dm-delay device NAME over a loop device on
# /tmp/NAME.img.
slow_dev() {
	truncate -s "$2" /tmp/"$1".img && _loop=$(losetup -f --show /tmp/"$1".img) &&
	dmsetup create "$1" --table "0 $(blockdev --getsz "$_loop") delay $_loop 0 $DELAY_MS" &&
	{ [ -b /dev/mapper/"$1" ] || dmsetup mknodes "$1"; }
}

config() {
	modprobe dm_delay && modprobe loop && modprobe target_core_iblock &&
	slow_dev $DM 16M && slow_dev ${DM}2 8M &&
	mkdir -p $SLOW $SLOW2 $FAST &&
	put $SLOW/control udev_path=/dev/mapper/$DM && put $SLOW/enable 1 &&
	put $SLOW2/control udev_path=/dev/mapper/${DM}2 && put $SLOW2/enable 1 &&
	put $FAST/control rd_pages=2048 && put $FAST/enable 1 &&
	mkdir -p $T/lun/lun_0 $T/lun/lun_1 $T/lun/lun_2 &&
	ln -s $SLOW $T/lun/lun_0/port0 && ln -s $FAST $T/lun/lun_1/port1 &&
	ln -s $SLOW2 $T/lun/lun_2/port2 &&
	put $T/nexus $I
}

teardown() {
	for _l in 0 1 2; do
		rm -f $T/lun/lun_$_l/port$_l
		rmdir $T/lun/lun_$_l 2>/dev/null
	done
	[ -n "$(cat $T/nexus 2>/dev/null)" ] && put $T/nexus NULL
	rmdir $T $CFS/vhost/$W $CFS/vhost 2>/dev/null
	rmdir $SLOW $SLOW2 $CFS/core/iblock_57 $FAST $CFS/core/rd_mcp_57 2>/dev/null
	for _d in $DM ${DM}2; do
		dmsetup remove $_d 2>/dev/null
		losetup -j /tmp/$_d.img | cut -d: -f1 | while read -r _l; do losetup -d "$_l"; done
		rm -f /tmp/$_d.img
	done
	[ ! -e $CFS/vhost ] && [ ! -e $SLOW ] && [ ! -e $SLOW2 ] && [ ! -e $FAST ]
}

# tcase NAME [ARGS...]: one safety case of vl-guest, bounded, output
# shown; its exit status and the kernel log checked.
tcase() {
	_c=$1; shift
	klog_mark "$_c"
	timeout -k 5 $CASE_LIMIT "$VLG" --dev "$VL_DEV" --wwpn $W --target 1 \
		--lun 0 --fast-lun 1 --other-lun 2 --timeout $VLG_TIMEOUT \
		--label "[$_c] " --case "$_c" "$@" safety >/tmp/vlt-"$_c".out 2>&1
	_rc=$?
	sed 's/^/    /' /tmp/vlt-"$_c".out
	same "[$_c] vl-guest safety case exit status" $_rc 0
	check "[$_c] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
}

check "load target_core_mod" modprobe target_core_mod
check "load vhost_lio" vl_load
check "configfs: LUN 0 and 2 delayed by $DELAY_MS ms (iblock on dm-delay), LUN 1 rd_mcp, nexus" config
KBAD0=$(klog_bad | wc -l)

# Answered without LIO: no kernel log line at all.
tcase tmf-other
same "[tmf-other] no kernel log line" "$(klog_since | wc -l)" 0
tcase abort-task-set
tcase clear-task-set
tcase nexus-reset
tcase abort-task-set-many --queues 2
# LIO logs two lines per ABORT TASK: bounded by the 50 the rate allows in
# a 5 s window, twice (the window the TMF started in and the next one).
lt "[abort-task-set-many] kernel log: at most 2 lines per rate-limited ABORT TASK" \
	"$(klog_since | wc -l)" 205

klog_mark end
check "tear down (LUNs, nexus, TPG, WWPN, fabric, dm-delay, loop)" teardown
check "rmmod vhost_lio" rmmod vhost_lio
same "no oops, BUG, WARNING or KASAN report in the whole run" "$(klog_bad | wc -l)" "$KBAD0"
