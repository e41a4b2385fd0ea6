#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Per-LUN queue depth (issue 9 section 1): commands in flight on a LUN are
# limited to its backstore's attrib/queue_depth, or to the TPG's
# attrib/lun_queue_depth for that LUN, changeable while the LUN is
# exported; beyond it the LUN alone answers TASK SET FULL, and
# tpgt_N/lun_stats shows in_flight, limit and task_set_full per LUN.
# One device, two targets: target 1's LUN 0 is iblock over a device-mapper
# linear device that the test suspends, so that its commands stay in LIO
# for as long as the checks need (no timing); target 2's LUN 0 is rd_mcp.
# The fake guest (vl-guest depth, tests/guest/depth.c) sends 16 READs to
# each on one request queue.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000541          # the vhost WWPN
I=naa.5001405000000542          # the nexus of both TPGs
T1=$CFS/vhost/$W/tpgt_1
T2=$CFS/vhost/$W/tpgt_2
HELD_BS=$CFS/core/iblock_54/vl_held
FAST_BS=$CFS/core/rd_mcp_54/vl_fast
DM=vl_held
N=16
OUT=/tmp/vlg-depth.out

[ -x "$VLG" ] || { fail "tests/guest/vl-guest is built"; exit 1; }
command -v dmsetup >/dev/null ||
	skip "dmsetup is not installed (package dmsetup; scripts/install-deps.sh)"

config() {
	modprobe dm_mod && modprobe loop && modprobe target_core_iblock &&
	truncate -s 16M /tmp/$DM.img && LOOP=$(losetup -f --show /tmp/$DM.img) &&
	dmsetup create $DM --table "0 $(blockdev --getsz "$LOOP") linear $LOOP 0" &&
	{ [ -b /dev/mapper/$DM ] || dmsetup mknodes $DM; } &&
	mkdir -p $HELD_BS $FAST_BS &&
	put $HELD_BS/control udev_path=/dev/mapper/$DM && put $HELD_BS/enable 1 &&
	put $FAST_BS/control rd_pages=4096 && put $FAST_BS/enable 1 &&
	mkdir -p $T1/lun/lun_0 $T2/lun/lun_0 &&
	ln -s $HELD_BS $T1/lun/lun_0/port0 && ln -s $FAST_BS $T2/lun/lun_0/port0 &&
	put $T1/nexus $I && put $T2/nexus $I
}

teardown() {
	dmsetup resume $DM 2>/dev/null
	for _t in $T1 $T2; do
		rm -f $_t/lun/lun_0/port0; rmdir $_t/lun/lun_0
		put $_t/nexus NULL; rmdir $_t
	done
	rmdir $CFS/vhost/$W $CFS/vhost &&
	bs_remove $HELD_BS $FAST_BS &&
	dmsetup remove $DM && losetup -d "$LOOP" && rm -f /tmp/$DM.img
}

# stat_of TPG: the lun_0 line of the TPG's lun_stats.
stat_of() { grep '^lun_0 ' "$1/lun_stats"; }

# held_round WHAT LIMIT: the guest's 16 + 16 READs with target 1's device
# suspended; at HELD, lun_stats must show LIMIT (or all 16) in flight and
# 16 - LIMIT TASK SET FULL answers more than before; then resume.
held_round() {
	_tsf0=$(stat_of $T1 | sed -n 's/.*task_set_full=\([0-9]*\).*/\1/p')
	check "[$1] suspend target 1's device" dmsetup suspend $DM
	"$VLG" --wwpn $W --target 1 --lun 0 --other-target 2 --other-lun 0 \
		--depth $N --limit "$2" --timeout 120 depth >$OUT 2>&1 &
	_pid=$!
	if vlg_wait_line $OUT '^HELD' 120 $_pid >/tmp/depth-wait 2>&1; then
		_in=$2 _full=$((N - $2))
		[ "$2" -eq 0 ] && _in=$N _full=0
		same "[$1] lun_stats of target 1's LUN while held" \
			"$(stat_of $T1 | sed 's/ limit=[0-9]*//')" \
			"lun_0 in_flight=$_in task_set_full=$((_tsf0 + _full))"
		same "[$1] target 2's LUN: nothing in flight, no TASK SET FULL" \
			"$(stat_of $T2 | sed 's/ limit=[0-9]*//')" \
			"lun_0 in_flight=0 task_set_full=0"
	else
		fail "[$1] the guest's commands are held ($(cat /tmp/depth-wait))"
	fi
	check "[$1] resume target 1's device" dmsetup resume $DM
	wait $_pid
	_rc=$?
	sed "s/^\(PASS\|FAIL\): /&[$1] /" $OUT
	same "[$1] vl-guest depth exit status" $_rc 0
	same "[$1] nothing in flight after the guest" \
		"$(stat_of $T1 | sed -n 's/.*\(in_flight=[0-9]*\).*/\1/p')" in_flight=0
}

vl_load || { fail "modprobe vhost_lio"; exit 1; }
check "configure: 2 TPGs, iblock over dm-linear and rd_mcp" config

# ---- the attribute and the counters -----------------------------------------
QD=$(cat $HELD_BS/attrib/queue_depth)
check "the backstore's queue_depth ($QD) is above the $N commands sent" [ "$QD" -ge $N ]
same "lun_stats shows the backstore's queue_depth as the limit" \
	"$(stat_of $T1)" "lun_0 in_flight=0 limit=$QD task_set_full=0"
same "no LUN has a limit of its own at first" "$(cat $T1/attrib/lun_queue_depth)" ""
check "set LUN 0's limit to 4 while it is exported" put $T1/attrib/lun_queue_depth 0:4
same "attrib/lun_queue_depth reads back" "$(cat $T1/attrib/lun_queue_depth)" "0:4"
same "lun_stats shows the new limit" "$(stat_of $T1)" "lun_0 in_flight=0 limit=4 task_set_full=0"
check "a limit for a LUN not linked yet, and several at once" \
	put $T1/attrib/lun_queue_depth "7:32 9:1"
same "all of them read back, by LUN" "$(cat $T1/attrib/lun_queue_depth)" "0:4 7:32 9:1"
check "0 takes a LUN's own limit away" put $T1/attrib/lun_queue_depth "7:0,9:0"
same "only LUN 0's is left" "$(cat $T1/attrib/lun_queue_depth)" "0:4"
for _bad in "4" "0:x" "16384:1" "0:65536" "-1:3" "0:4 junk"; do
	refuse "refused: lun_queue_depth '$_bad'" "Invalid argument" \
		put $T1/attrib/lun_queue_depth "$_bad"
done
same "a refused write changes nothing" "$(cat $T1/attrib/lun_queue_depth)" "0:4"
_many=$(seq 100 356 | sed 's/$/:1/' | tr '\n' ' ')
refuse "refused: more than 256 LUNs with a limit" "No space left" \
	put $T1/attrib/lun_queue_depth "$_many"
same "and it changed nothing" "$(cat $T1/attrib/lun_queue_depth)" "0:4"
refuse "backstore's own queue_depth stays LIO's (read-only while exported)" \
	"Invalid argument" put $HELD_BS/attrib/queue_depth 4

# ---- the guest --------------------------------------------------------------
held_round limit-4 4
check "lift the limit at run time" put $T1/attrib/lun_queue_depth 0:0
same "lun_stats: the backstore's limit again" \
	"$(stat_of $T1 | sed 's/ task_set_full=[0-9]*//')" "lun_0 in_flight=0 limit=$QD"
held_round lifted 0
check "tear down" teardown
check "rmmod vhost_lio" rmmod vhost_lio
