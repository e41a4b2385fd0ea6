#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Safety under a slow disk and a hostile guest or VMM (issue 7): the fake
# guest's safety cases (vl-guest --case NAME safety, tests/guest/safety.c),
# each its own process so that it can be timed and killed, on LUN 0 = iblock
# over a device-mapper "delay" target (every I/O takes VL_SAFETY_DELAY_MS,
# VL_SAFETY_CASE_DELAY_MS for the cases that wait for their commands),
# LUN 1 = rd_mcp, LUN 2 = a second such slow device.  After each case the
# kernel log must be free of oopses, BUGs, WARNINGs and KASAN reports (from
# the case's marker line on).  The cases that crashed the host at 78020f6
# (teardown with commands in LIO) come last, so that a crash costs only
# them; each is bounded in time.  Each of them leaves a closed device whose
# commands LIO still owns, and a step of the configuration's teardown is
# tried right then (unlink the LUN, drop the nexus, rmdir the TPG or the
# WWPN, rmmod); once LIO gave the commands back, the whole teardown and a
# reload of vhost_lio must work.  Last, each teardown path runs LEAK_ROUNDS
# more times with a short delay, and unreclaimable slab must come back to
# where it was.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000552          # the vhost WWPN
I=naa.5001405000000553          # the nexus
T=$CFS/vhost/$W/tpgt_1
SLOW=$CFS/core/iblock_55/vl_slow
SLOW2=$CFS/core/iblock_55/vl_slow2
FAST=$CFS/core/rd_mcp_55/vl_fast
DM=vl_slow			# and vl_slow2; images in /tmp/<name>.img
# 15 s: long enough that "returns promptly" (under half of it) and
# "waits for the answers" cannot be confused on a busy TCG guest.  The
# teardown cases do not wait it out: once they saw what they look at
# while LIO holds the commands, release_held gives the commands back at
# once.  To show 78020f6's bounded 30 s drains for what they were, set it
# above 30000 (its results, in testing.md, used 35000).
DELAY_MS=${VL_SAFETY_DELAY_MS:-15000}
# The cases that run to their end in vl-guest (TMFs, quiescing ioctls,
# guest reset) wait for their slow commands themselves: they wait until
# the device holds them (QUERY TASK), then send their TMF or ioctl at
# once, so a delay of seconds keeps the commands in LIO long enough.
CASE_DELAY_MS=${VL_SAFETY_CASE_DELAY_MS:-5000}
DELAY_S=$(( (DELAY_MS + 999) / 1000 ))
# A case's slow commands all finish within one delay (dm-delay delays them
# in parallel; its verified I/O goes to the fast LUN 1): bound generously.
VLG_TIMEOUT=$(( 2 * DELAY_S + 10 ))
CASE_LIMIT=$(( 3 * DELAY_S + 30 ))
PROMPT_MS=$(( DELAY_MS / 2 ))	# "promptly": well under one delay
# The slab rounds (see there): a short delay, still well above the time
# from a case's last submission to its close or death (default: twice what
# the whole close case took, three times how long a SIGKILLed VMM took to
# be gone plus 1 s, at least 2 s: a KASAN kernel tears a process down
# slowly).
LEAK_ROUNDS=${VL_SAFETY_LEAK_ROUNDS:-10}
LEAK_TOL_KB=${VL_SAFETY_LEAK_TOL_KB:-40}

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi
command -v dmsetup >/dev/null ||
	skip "dmsetup is not installed (package dmsetup; scripts/install-deps.sh)"

KLOG_TAG=vl-55-safety     # klog_mark (lib.sh)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# fabric_config: the vhost side: TPG, LUN 0 (slow), LUN 1 (fast), LUN 2
# (slow, another backstore), nexus.
fabric_config() {
	mkdir -p $T/lun/lun_0 $T/lun/lun_1 $T/lun/lun_2 &&
	ln -s $SLOW $T/lun/lun_0/port0 && ln -s $FAST $T/lun/lun_1/port1 &&
	ln -s $SLOW2 $T/lun/lun_2/port2 &&
	put $T/nexus $I
}

# slow_dev NAME SIZE: a dm-delay device NAME over a loop device on
# /tmp/NAME.img (its loop device in _loop).
slow_dev() {
	truncate -s "$2" /tmp/"$1".img && _loop=$(losetup -f --show /tmp/"$1".img) &&
	dmsetup create "$1" --table "0 $(blockdev --getsz "$_loop") delay $_loop 0 $DELAY_MS" &&
	{ [ -b /dev/mapper/"$1" ] || dmsetup mknodes "$1"; }
}

# slow_config: LUN 0 iblock over dm-delay over a loop device, LUN 1 rd_mcp,
# LUN 2 another (small) slow device.  DMBLK: LUN 0's dm device.
slow_config() {
	modprobe dm_delay && modprobe loop && modprobe target_core_iblock &&
	slow_dev $DM 64M && slow_dev ${DM}2 8M &&
	DMBLK=dm-$(dmsetup info -c --noheadings -o minor $DM | tr -d ' ') &&
	mkdir -p $SLOW $SLOW2 $FAST &&
	put $SLOW/control udev_path=/dev/mapper/$DM && put $SLOW/enable 1 &&
	put $SLOW2/control udev_path=/dev/mapper/${DM}2 && put $SLOW2/enable 1 &&
	put $FAST/control rd_pages=8192 && put $FAST/enable 1 &&
	fabric_config
}

# set_delay MS: every I/O of LUNs 0 and 2 takes MS from now on.  A
# suspend first sends what dm-delay holds on at once (its presuspend), so
# the devices should be idle.
set_delay() {
	for _d in $DM ${DM}2; do
		_t=$(dmsetup table $_d | awk -v ms="$1" '{ $NF = ms; print }') &&
		dmsetup suspend $_d && dmsetup reload $_d --table "$_t" &&
		dmsetup resume $_d || return 1
	done
}

# release_held: the commands the slow devices hold are sent on to the disk
# now, not when their delay ends (a suspend flushes dm-delay's queue; what
# comes during it waits for the resume).  For LIO it is the same: the
# backstore answers late.
release_held() {
	for _d in $DM ${DM}2; do
		dmsetup suspend $_d && dmsetup resume $_d || return 1
	done
}

# dm_inflight: I/Os the slow LUN's device still holds: dm-delay's queued
# bios (dmsetup status) or the block layer's in-flight count, the larger.
dm_inflight() {
	_h=$(dmsetup status $DM 2>/dev/null | awk '$3 == "delay" { print $4 + $5 + $6 }')
	_s=$(awk '{ print $1 + $2 }' /sys/block/"$DMBLK"/inflight 2>/dev/null)
	_h=${_h:-0} _s=${_s:-0}
	[ "$_s" -gt "$_h" ] && _h=$_s
	echo "$_h"
}

# released: wait until the slow LUN's device holds no I/O (LIO had every
# command back from the disk), within CASE_LIMIT s; ms = how long.
released() {
	_t0=$(now_ms)
	_n=$((CASE_LIMIT * 5))
	while [ "$(dm_inflight)" -gt 0 ] && [ $_n -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	ms=$(( $(now_ms) - _t0 ))
	[ "$(dm_inflight)" -eq 0 ]
}

# until_ok CMD...: CMD again every 0.1 s until it succeeds, for at most
# 30 s (a closed device gives its TPG back within moments of LIO's last
# release); its last output is shown if it never did.
until_ok() {
	_u=300
	until "$@" >/tmp/vls-until.out 2>&1; do
		_u=$((_u - 1))
		if [ $_u -le 0 ]; then
			echo "never succeeded: $*"
			cat /tmp/vls-until.out
			return 1
		fi
		sleep 0.1
	done
}

# fabric_teardown: the vhost side undone in order: LUN links, LUNs, nexus,
# TPG, WWPN, the fabric directory; each step retried while a closed device
# still pins the TPG (an unlink waits in LIO for the LUN's commands).
# Stops at the first step that never succeeds.
fabric_teardown() {
	for _l in 0 1 2; do
		if [ -L $T/lun/lun_$_l/port$_l ]; then
			until_ok rm $T/lun/lun_$_l/port$_l || return 1
		fi
		if [ -d $T/lun/lun_$_l ]; then
			until_ok rmdir $T/lun/lun_$_l || return 1
		fi
	done
	if [ -n "$(cat $T/nexus 2>/dev/null)" ]; then
		until_ok put $T/nexus NULL || return 1
	fi
	for _d in $T $CFS/vhost/$W $CFS/vhost; do
		if [ -d $_d ]; then
			until_ok rmdir $_d || return 1
		fi
	done
}

# reload: fabric_teardown, vhost_lio unloaded and loaded again, the vhost
# side built again.
reload() {
	fabric_teardown && rmmod vhost_lio && vl_load && fabric_config
}

slow_teardown() {
	fabric_teardown
	rmdir $SLOW $SLOW2 $CFS/core/iblock_55 $FAST $CFS/core/rd_mcp_55 2>/dev/null
	for _d in $DM ${DM}2; do
		dmsetup remove $_d 2>/dev/null
		losetup -j /tmp/$_d.img | cut -d: -f1 | while read -r _l; do losetup -d "$_l"; done
		rm -f /tmp/$_d.img
	done
	[ ! -e $T ] && [ ! -e $SLOW ] && [ ! -e $SLOW2 ] && [ ! -e $FAST ]
}

# vlg_case NAME [ARGS...]: run one case to its end (bounded), output in
# /tmp/vls-NAME.out, shown; sets rc.
vlg_case() {
	_c=$1; shift
	klog_mark "$_c"
	vlg_run "$_c" "$@"
	sed 's/^/    /' /tmp/vls-"$_c".out
}

# vlg_run NAME [ARGS...]: vlg_case without the marker, output not shown.
vlg_run() {
	_c=$1; shift
	timeout -k 5 $CASE_LIMIT "$VLG" --dev "$VL_DEV" --wwpn $W --target 1 \
		--lun 0 --fast-lun 1 --timeout $VLG_TIMEOUT --label "[$_c] " \
		--case "$_c" \
		"$@" safety >/tmp/vls-"$_c".out 2>&1
	rc=$?
}

# case_ok NAME: the case's own checks passed and the kernel stayed clean.
case_ok() {
	same "[$1] vl-guest safety case exit status" $rc 0
	check "[$1] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
}

# time_of NAME WHAT: the TIME line of a case, in ms ("" if none).
time_of() { sed -n "s/^TIME: $2 \([0-9]*\) ms$/\1/p" /tmp/vls-"$1".out | tail -n 1; }


# bg_case NAME MARKER: start a case in the background; wait for MARKER.
# Four request queues, more than the VM's two CPUs: two workers serve
# two queues each (vl_vq_get_worker()), so SIGKILL and close meet shared
# workers too.
bg_case() {
	klog_mark "$1"
	"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --fast-lun 1 \
		--queues 4 --timeout $VLG_TIMEOUT --label "[$1] " --case "$1" safety \
		>/tmp/vls-"$1".out 2>&1 &
	bgpid=$!
	vlg_wait_line /tmp/vls-"$1".out "^$2" $((VLG_TIMEOUT + 10)) $bgpid
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -e /proc/"$1" ] && [ "$(cut -d' ' -f3 /proc/"$1"/stat 2>/dev/null)" != Z ]
}

# kill_time PID: SIGKILL it; ms = the ms until it is gone (bounded; a
# process stuck in the kernel is left and ms says how long we waited).
kill_time() {
	_t0=$(now_ms)
	kill -9 "$1"
	_n=$(( CASE_LIMIT * 10 ))
	while alive "$1" && [ $_n -gt 0 ]; do
		sleep 0.1
		_n=$((_n - 1))
	done
	ms=$(( $(now_ms) - _t0 ))
	alive "$1" || wait "$1" 2>/dev/null
}

# in_lio NAME: the case's process is gone and its slow commands are still
# in LIO (the slow LUN's device holds them): what is tried next meets them.
in_lio() {
	_f=$(dm_inflight)
	echo "    [$1] $_f slow I/O(s) in flight"
	if [ "$_f" -gt 0 ]; then
		pass "[$1] the closed device's slow commands are still in LIO"
	else
		fail "[$1] the closed device's slow commands are still in LIO (the slow disk has none left)"
	fi
}

# after_release NAME: the held commands released; once LIO had every
# command back, the whole vhost side comes apart in order, vhost_lio
# unloads and loads again, and the kernel log stayed clean.
after_release() {
	check "[$1] the slow devices send on what they hold" release_held
	check "[$1] the slow disk gives every command back (within $CASE_LIMIT s)" released
	echo "    [$1] the last slow I/O ended $ms ms later"
	check "[$1] then LUNs, nexus, TPG and WWPN come apart, vhost_lio unloads and loads again, the configuration is rebuilt" reload
	check "[$1] after the delay: no oops, BUG, WARNING or KASAN report" klog_clean
}

BUSY="busy"			# EBUSY: "Device or resource busy"
INUSE="in use\|busy\|temporarily"	# rmmod (kmod: "is in use")

check "load target_core_mod" modprobe target_core_mod
check "load vhost_lio" vl_load
check "configfs: LUNs 0 and 2 iblock over dm-delay ${DELAY_MS} ms, LUN 1 rd_mcp, nexus" slow_config
KBAD0=$(klog_bad | wc -l)
same "kernel log clean before the cases" "$KBAD0" 0

# ---- configuration: duplicate WWPNs (no commands) ----
dup_wwpn() {
	mkdir $CFS/vhost/naa.5001405000000554 || return 1
	mkdir $CFS/vhost/fc.naa.5001405000000554
	_r=$?
	rmdir $CFS/vhost/fc.naa.5001405000000554 2>/dev/null
	rmdir $CFS/vhost/naa.5001405000000554
	return $_r
}
dup_wwpn_rev() {
	mkdir $CFS/vhost/fc.naa.5001405000000555 || return 1
	mkdir $CFS/vhost/naa.5001405000000555
	_r=$?
	rmdir $CFS/vhost/naa.5001405000000555 2>/dev/null
	rmdir $CFS/vhost/fc.naa.5001405000000555
	return $_r
}
# LIO turns every error of a fabric's make_wwn into EINVAL; the kernel log
# says which it was.
taken() { dmesg | grep -c 'WWPN naa.500140500000055[45] is taken by another target port'; }
klog_mark dup-wwpn
t0=$(taken)
refuse "[dup-wwpn] mkdir fc.naa.X while naa.X exists is refused" "Invalid argument" dup_wwpn
refuse "[dup-wwpn] mkdir naa.X while fc.naa.X exists is refused" "Invalid argument" dup_wwpn_rev
same "[dup-wwpn] the kernel log says the WWPN is taken, once each" $(( $(taken) - t0 )) 2
check "[dup-wwpn] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean

# ---- guest input ----
vlg_case varlen --lun 1
case_ok varlen

vlg_case tmf-flood --lun 1
lines=$(klog_since | wc -l)
case_ok tmf-flood
lt "[tmf-flood] kernel log grew by at most 5 lines for 300 TMFs" "$lines" 6
[ "$lines" -gt 5 ] && klog_since | tail -n 5 | sed 's/^/    | /'

# ---- refused VMM ioctls leave the device usable ----
vlg_case refused-num --lun 1 --queues 2
case_ok refused-num
vlg_case refused-mem --lun 1 --queues 2
case_ok refused-mem

# ---- slow LUN: TMFs, quiescing ioctls during I/O, guest reset ----
# (each case waits for its slow commands: nothing is left in LIO after it)
check "slow LUNs' delay set to ${CASE_DELAY_MS} ms for the cases that wait for their commands" \
	set_delay $CASE_DELAY_MS
vlg_case abort-reset
case_ok abort-reset
vlg_case abort-other-lun --other-lun 2
case_ok abort-other-lun
# QUERY TASK (SET) never reaches LIO (which has no such TMR): no line.
vlg_case query-task
case_ok query-task
same "[query-task] no kernel log line" "$(klog_since | wc -l)" 0
for c in during-mem-table during-vring-num during-vring-base \
	 during-features during-log-base; do
	vlg_case $c
	case_ok $c
done
vlg_case guest-reset --queues 2
case_ok guest-reset
check "slow LUNs' delay set back to ${DELAY_MS} ms" set_delay $DELAY_MS

# ---- teardown with every queue full of slow commands (crashed at 78020f6) ----
# Each case leaves a closed device whose slow commands LIO still owns;
# then one step of the configuration's teardown is tried at once: it must
# be refused cleanly (the device pins its TPG until LIO gives the last
# command back) or wait for LIO, never crash.  Once LIO has them all back,
# the whole vhost side comes apart and vhost_lio unloads and loads again.

# kill_wait NAME IOCTL: a fatal signal during an ioctl that waits for LIO
# ends the process promptly.
kill_wait() {
	bg_case "$1" WAITING
	sleep 1
	if grep -q '^RETURNED' /tmp/vls-"$1".out; then
		fail "[$1] $2 still waits for LIO 1 s into a ${DELAY_MS} ms delay (it returned)"
	else
		pass "[$1] $2 still waits for LIO 1 s into a ${DELAY_MS} ms delay"
	fi
	kill_time $bgpid
	sed 's/^/    /' /tmp/vls-"$1".out
	lt "[$1] SIGKILL during $2: gone within ${PROMPT_MS} ms" "$ms" $PROMPT_MS
	check "[$1] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
	in_lio "$1"
}

kill_wait kill-wait CLEAR_ENDPOINT
refuse "[kill-wait] dropping the nexus is refused (LUNs linked): EBUSY" "$BUSY" \
	put $T/nexus NULL
refuse "[kill-wait] rmdir of the TPG is refused while the closed device pins it: EBUSY" \
	"$BUSY" rmdir $T
after_release kill-wait

kill_wait kill-features SET_FEATURES
refuse "[kill-features] rmdir of the WWPN is refused (its TPG is there): ENOTEMPTY" \
	"not empty" rmdir $CFS/vhost/$W
after_release kill-features

kill_wait kill-log-base SET_LOG_BASE
refuse "[kill-log-base] rmmod vhost_lio is refused (in use)" "$INUSE" rmmod vhost_lio
after_release kill-log-base

# unlink_bg N: unlink LUN N in the background (upid); LIO waits there for
# the LUN's commands.  Waits (bounded) until the unlink is asleep in the
# kernel or done; st = its state then.
unlink_bg() {
	rm $T/lun/lun_$1/port$1 2>/tmp/vls-unlink.err &
	upid=$!
	_n=100
	while :; do
		st=$(cut -d' ' -f3 /proc/$upid/stat 2>/dev/null)
		[ -z "$st" ] || [ "$st" = D ] || [ "$st" = Z ] || [ $_n -le 0 ] && break
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "    unlink of LUN $1: state '${st:-gone}' (D: LIO waits for its commands)"
}

# unlink_done NAME N: the background unlink of LUN N ends (bounded) and
# succeeds; then its LUN directory goes.
unlink_done() {
	_n=$(( CASE_LIMIT * 10 ))
	while alive $upid && [ $_n -gt 0 ]; do
		sleep 0.1
		_n=$((_n - 1))
	done
	if alive $upid; then
		fail "[$1] the unlink of LUN $2 ends once LIO has the commands back (still waiting after $CASE_LIMIT s)"
		return
	fi
	wait $upid
	_r=$?
	cat /tmp/vls-unlink.err
	same "[$1] the unlink of LUN $2 ends once LIO has the commands back: it succeeds" $_r 0
	check "[$1] rmdir of LUN $2" rmdir $T/lun/lun_$2
}

t0=$(now_ms)
vlg_case close --queues 2
close_ms=$(( $(now_ms) - t0 ))
case_ok close
lt "[close] close with every queue full of slow READs returns within ${PROMPT_MS} ms" \
	"$(time_of close close)" $PROMPT_MS
in_lio close
# A VMM started again meanwhile (QEMU after a crash) is told the TPG is
# busy, not that the target does not exist, and the log says why.
refuse "[close] meanwhile, a new device's SET_ENDPOINT is refused while the closed device pins the TPG: EBUSY" \
	"$BUSY" "$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 1 --timeout 10 suite
check "[close] the kernel log says the TPG is in use" \
	sh -c "dmesg | grep -q '$W: every TPG with a nexus is in use by another device'"
check "[close] unlink LUNs 1 and 2 (none of the commands there)" lun_unlink $T 1 2
unlink_bg 0
refuse "[close] meanwhile, dropping the nexus (no LUN linked) is refused while the closed device pins the TPG: EBUSY" \
	"$BUSY" put $T/nexus NULL
check "[close] the slow devices send on what they hold" release_held
unlink_done close 0
after_release close

# What a "targetcli clearconfig" does, while a killed VMM's commands are
# in LIO: every step at once; none may wait behind the blocked unlink.
bg_case hold READY
kill_time $bgpid
hold_ms=$ms
echo "    [hold] gone $hold_ms ms after SIGKILL"
sed 's/^/    /' /tmp/vls-hold.out
lt "[hold] SIGKILL with every queue full of slow READs: gone within ${PROMPT_MS} ms" "$ms" $PROMPT_MS
in_lio hold
check "[hold] unlink LUNs 1 and 2" lun_unlink $T 1 2
unlink_bg 0
t0=$(now_ms)
refuse "[hold] meanwhile: dropping the nexus is refused: EBUSY" "$BUSY" put $T/nexus NULL
refuse "[hold] meanwhile: rmdir of the TPG is refused: EBUSY" "$BUSY" rmdir $T
refuse "[hold] meanwhile: rmdir of the WWPN is refused: ENOTEMPTY" "not empty" rmdir $CFS/vhost/$W
refuse "[hold] meanwhile: rmmod vhost_lio is refused" "$INUSE" rmmod vhost_lio
lt "[hold] each of them returned at once: all four within ${PROMPT_MS} ms" \
	$(( $(now_ms) - t0 )) $PROMPT_MS
check "[hold] the slow devices send on what they hold" release_held
unlink_done hold 0
after_release hold

# ---- unreclaimable slab back to baseline ----
# Three teardown paths again, LEAK_ROUNDS times each after a warm-up, with
# a short delay: it keeps the commands in LIO across the teardown (held
# counts the rounds where it did) and lets the rounds go quickly (the
# SIGKILL rounds release what is held once it was counted).  A round
# ends once LIO gave every command back and the TPG is free again.
# A device's memory is all kvmalloc'ed, in large pieces: its vl_dev (11 KiB,
# a 16 KiB allocation), a slot array per queue (92 KiB for a ring of 128)
# and 96 KiB per slot (segment, scatterlist and page arrays), some 25 MiB
# with two rings of 128.  kvmalloc tries kmalloc, which above 8 KiB comes
# from the page allocator and counts in SUnreclaim as slabs do, and falls
# back to vmalloc (VmallocUsed) when no free block is that large: the
# measure is their sum.  It wanders by some 300 KiB from round to round
# (other kernel users), so the smallest of the first three readings is
# compared with the smallest of the last three: a leak of a slot array or
# more per round exceeds LEAK_TOL_KB per round.  SUnreclaim, the large
# kmallocs alone (SUnreclaim and SReclaimable less the slab caches' pages
# in /proc/slabinfo) and VmallocUsed are shown too.
LEAK_MS=$(( close_ms > 1000 ? 2 * close_ms : 2000 ))
[ $LEAK_MS -lt $(( 3 * hold_ms + 1000 )) ] && LEAK_MS=$(( 3 * hold_ms + 1000 ))
LEAK_MS=${VL_SAFETY_LEAK_DELAY_MS:-$LEAK_MS}
check "[slab] slow LUN delay set to ${LEAK_MS} ms (the close case took $close_ms ms, a SIGKILLed VMM was gone after $hold_ms ms)" \
	set_delay $LEAK_MS
# A kernel with kmemleak (the debug kernel) finds leaks itself: guest-init
# scans after the tests.  Its own bookkeeping and SLUB debugging's make
# the sum a poor measure there: the comparison is only shown.
KMEMLEAK=$(grep -c '^kmemleak_object ' /proc/slabinfo)

# slab_kb: "SUnreclaim+VmallocUsed SUnreclaim large VmallocUsed" in KiB,
# after SLUB gave back its empty slabs (large: kmalloc from the page
# allocator, as computed above).
slab_kb() {
	for _s in /sys/kernel/slab/*/shrink; do
		echo 1 >"$_s"
	done 2>/dev/null
	awk -v pk=$(( $(getconf PAGESIZE) / 1024 )) '
		FILENAME == "/proc/meminfo" && $1 == "SUnreclaim:" { u = $2 }
		FILENAME == "/proc/meminfo" && $1 == "SReclaimable:" { r = $2 }
		FILENAME == "/proc/meminfo" && $1 == "VmallocUsed:" { v = $2 }
		FILENAME == "/proc/slabinfo" && $13 == "slabdata" { p += $15 * $6 * pk }
		END { print u + v, u, u + r - p, v }' /proc/meminfo /proc/slabinfo
}

# tpg_free: no device pins the TPG (its rmdir says "not empty", its LUN
# directories being there, not "busy").
tpg_free() { rmdir $T 2>&1 | grep -q "not empty"; }

# held: the commands were in LIO at the teardown: counted in nheld.
held() { [ "$(dm_inflight)" -gt 0 ] && nheld=$((nheld + 1)); return 0; }

# show_fail NAME: the case's output, after a failed round.
show_fail() { sed 's/^/    | /' /tmp/vls-"$1".out | tail -n 20; }

# The rounds: each ends with nothing in LIO and the TPG free.
round_hold() {
	"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 0 --fast-lun 1 \
		--queues 2 --timeout $VLG_TIMEOUT --case hold safety \
		>/tmp/vls-hold.out 2>&1 &
	bgpid=$!
	vlg_wait_line /tmp/vls-hold.out "^READY" $((VLG_TIMEOUT + 10)) $bgpid ||
		return 1
	kill_time $bgpid
	held && release_held && released && until_ok tpg_free
}
round_reset() {
	vlg_run guest-reset --queues 2 && until_ok tpg_free
}
# close with full queues, then the whole teardown while LIO has them
round_config() {
	vlg_run close --queues 2 && held && reload
}

# growth LIST: the smallest of the last three numbers of LIST less the
# smallest of the first three ("" if LIST has fewer than six).
growth() {
	echo "$1" | awk 'NF >= 6 {
		a = $1; for (i = 2; i <= 3; i++) if ($i < a) a = $i
		b = $NF; for (i = NF - 2; i < NF; i++) if ($i < b) b = $i
		print b - a }'
}

# leak_check NAME ROUND CASE: ROUND (running vl-guest's CASE) once to
# warm up, then LEAK_ROUNDS times, reading slab_kb after each.
leak_check() {
	klog_mark "$1"
	nheld=0
	if ! $2; then
		fail "[$1] warm-up round"
		show_fail "$3"
		return
	fi
	_sum="" _su="" _lk="" _vm=""
	_i=0 _ok=0
	while :; do
		read -r _a _b _c _d <<-EOF
		$(slab_kb)
		EOF
		_sum="$_sum $_a" _su="$_su $_b" _lk="$_lk $_c" _vm="$_vm $_d"
		[ $_i -ge "$LEAK_ROUNDS" ] && break
		if $2; then
			_ok=$((_ok + 1))
		else
			show_fail "$3"
		fi
		_i=$((_i + 1))
	done
	echo "    [$1] SUnreclaim+VmallocUsed KiB after the warm-up and after each round:$_sum"
	echo "    [$1] SUnreclaim KiB, the same:$_su"
	echo "    [$1] large kmalloc KiB, the same:$_lk"
	echo "    [$1] VmallocUsed KiB, the same:$_vm"
	same "[$1] $LEAK_ROUNDS rounds ran" $_ok "$LEAK_ROUNDS"
	_g=$(growth "$_sum")
	_what="[$1] SUnreclaim+VmallocUsed back to baseline: grew by at most $((LEAK_TOL_KB * LEAK_ROUNDS)) KiB over $LEAK_ROUNDS rounds (smallest of the last three readings against the first three)"
	if [ "$KMEMLEAK" -gt 0 ]; then
		echo "INFO: $_what: grew by $_g KiB; not a check under kmemleak (guest-init's scan is)"
	elif [ -n "$_g" ] && [ "$_g" -le $((LEAK_TOL_KB * LEAK_ROUNDS)) ]; then
		pass "$_what: $_g KiB"
	else
		fail "$_what: ${_g:-no readings} KiB"
	fi
	check "[$1] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
}

leak_check hold-slab round_hold hold
same "[hold-slab] the commands were in LIO at every SIGKILL" $nheld $((LEAK_ROUNDS + 1))
leak_check reset-slab round_reset guest-reset
leak_check config-slab round_config close
same "[config-slab] the commands were in LIO at every close and teardown" $nheld $((LEAK_ROUNDS + 1))

klog_mark end
check "tear down (LUNs, nexus, TPG, dm-delay, loop)" slow_teardown
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
check "at the end: no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
same "no oops, BUG, WARNING or KASAN report in the whole run" "$(klog_bad | wc -l)" "$KBAD0"
