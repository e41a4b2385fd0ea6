#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Observability (issue 10): the per-request-queue counters in debugfs
# (/sys/kernel/debug/vhost_lio/<owner pid>-<id>/queue_<n>) and the
# vhost_lio tracepoints.  The fake guest's bench runs on the LUNs of
# vlg_config; its device's queue files are read while it runs (each
# bench runs until the test has read what it needs, then gets SIGUSR1:
# --until-signal, so a slow kernel cannot end it first; a file
# read during I/O shows every count at most requests: vl_stats.c reads
# requests last), and the directory must be gone once it closed.  A
# second bench with guest RAM the kernel cannot pin (every buffer
# copied) and LUN 0 limited to 4 commands (TASK SET FULL beyond them)
# moves the copy_fallback and task_set_full counts.  Then, with the
# tracepoints on: a suite run with a LUN RESET and an ABORT TASK, a bench
# and a hotplug watcher; every command received must be completed, by
# tag, and the TMFs and events must show.  Last, the benchmarks' null
# mode (debugfs null_io): off after load, READs and WRITEs answered GOOD
# while on (other commands still by LIO), and a WRITE made then never
# reached the disk.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000521          # the vhost WWPN
I=naa.5001405000000522          # the nexus
T=$CFS/vhost/$W/tpgt_1
H=$CFS/core/rd_mcp_7/vlg_hot    # hotplug backstore (events)
DBG=/sys/kernel/debug
ROOT=$DBG/vhost_lio
TR=/sys/kernel/tracing
BS=4096
NAMES="requests bytes batches kicks signals task_set_full slots_exhausted copy_fallback poll_hits poll_misses ring_ns map_ns submit_ns answer_ns signal_ns"
COST="ring_ns map_ns submit_ns answer_ns signal_ns"

[ -x "$VLG" ] || { fail "tests/guest/vl-guest is built"; exit 1; }

mounted=''
if ! grep -q " $DBG debugfs " /proc/mounts; then
	mount -t debugfs debugfs $DBG || skip "no debugfs in this kernel"
	mounted="$DBG $mounted"
fi
if [ ! -e $TR/trace ]; then
	mount -t tracefs tracefs $TR || skip "no tracefs in this kernel"
	mounted="$TR $mounted"
fi

# val FILE NAME: the value on NAME's line of a queue file (a copy of it);
# num FILE NAME: the same, -1 if there is none (for arithmetic).
val() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
num() { _v=$(val "$1" "$2"); echo "${_v:--1}"; }
# devs: the device directories in $ROOT (not its file null_io).
devs() {
	for _e in "$ROOT"/*; do
		[ -d "$_e" ] && echo "${_e##*/}"
	done
}
# dev_dir PID: the debugfs directory of the device PID owns, if any.
dev_dir() { ls -d "$ROOT/$1"-* 2>/dev/null | head -n 1; }

# alive PID: the process runs (not ended, nor a zombie not yet waited for).
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# wait_taken PID MIN FILE...: wait, while PID runs, until each queue file
# (a name in PID's device directory) shows at least MIN requests; print
# the directory.  Bounded by PID's life, not by a clock.
wait_taken() {
	_p=$1 _min=$2
	shift 2
	while alive "$_p"; do
		_d=$(dev_dir "$_p") _ok=${_d:+1}
		for _f in "$@"; do
			[ -n "$_ok" ] || break
			_v=$(val "$_d/$_f" requests 2>/dev/null)
			[ -n "$_v" ] && [ "$_v" -ge "$_min" ] || _ok=''
		done
		[ -n "$_ok" ] && { echo "$_d"; return 0; }
		sleep 0.1
	done
	echo "process $_p ended before its device's queues $* took $_min requests each"
	return 1
}

# le WHAT A B: A <= B (numbers).  gt0 WHAT A: A > 0.
le() {
	if [ -n "$2" ] && [ -n "$3" ] && [ "$2" -le "$3" ]; then
		pass "$1"
	else
		fail "$1 (got '$2' and '$3')"
	fi
}
gt0() {
	if [ -n "$2" ] && [ "$2" -gt 0 ]; then
		pass "$1"
	else
		fail "$1 (got '$2')"
	fi
}

# snap_checks LABEL FILE: what holds for any read of a queue file while
# its queue runs: the names in order, numbers, requests, batches, kicks
# and signals counted, and no count beyond what requests allow.
snap_checks() {
	_s=$2
	same "[$1] the counters, one 'name value' line each" \
		"$(awk '{ printf "%s ", $1 }' "$_s")" "$NAMES "
	check "[$1] every value is a number" \
		sh -c "awk 'NF != 2 || \$2 !~ /^[0-9]+\$/ { exit 1 }' $_s"
	_r=$(val "$_s" requests)
	gt0 "[$1] requests taken (not 0)" "$_r"
	gt0 "[$1] batches counted (not 0)" "$(val "$_s" batches)"
	le "[$1] batches <= requests" "$(val "$_s" batches)" "$_r"
	gt0 "[$1] kicks counted (not 0)" "$(val "$_s" kicks)"
	gt0 "[$1] guest signals counted (not 0)" "$(val "$_s" signals)"
	le "[$1] signals <= requests" "$(val "$_s" signals)" "$_r"
	le "[$1] bytes / $BS <= requests" $(($(num "$_s" bytes) / BS)) "$_r"
	le "[$1] slots_exhausted <= task_set_full" \
		"$(val "$_s" slots_exhausted)" "$(val "$_s" task_set_full)"
	le "[$1] task_set_full + copy_fallback <= requests" \
		$(($(num "$_s" task_set_full) + $(num "$_s" copy_fallback))) "$_r"
}

check "load vhost_lio" vl_load
check "configfs: fileio LUN 0, rd_mcp LUN 1, nexus" vlg_config vhost $W $I
check "$ROOT exists" test -d $ROOT
same "$ROOT: no device in it" "$(devs)" ""

# ---- counters of a bench: 2 queues x 16, 4k randrw on LUN 0 ----------------
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 bench --queues 2 --depth 16 \
	--bs 4k --rw randrw --mix 70 --seconds 2 --until-signal \
	>/tmp/vlg-c1.out 2>&1 &
P=$!
if D=$(wait_taken $P 200 queue_0 queue_1); then
	pass "[bench] the device's directory shows 200 requests on both queues"
	cat $D/queue_0 >/tmp/c1-q0; cat $D/queue_1 >/tmp/c1-q1
	# At once: the checks below are slow beside a bench using every CPU.
	_r0=$(val /tmp/c1-q0 requests)
	wait_taken $P $((_r0 + 1)) queue_0 >/tmp/c1-wait
	same "[bench] a later read shows more requests on queue 0" $? 0
	sed 's/^/queue_0: /' /tmp/c1-q0
	sed 's/^/queue_1: /' /tmp/c1-q1
	check "[bench] directory named <owner pid>-<number>" \
		sh -c "echo '$D' | grep -q '/vhost_lio/$P-[0-9][0-9]*\$'"
	same "[bench] one file per request queue" "$(ls $D | tr '\n' ' ')" \
		"queue_0 queue_1 "
	snap_checks "bench q0" /tmp/c1-q0
	snap_checks "bench q1" /tmp/c1-q1
	for _n in slots_exhausted task_set_full; do
		same "[bench] $_n is 0 (depth 16 of 128, no LUN limit)" \
			"$(val /tmp/c1-q0 $_n)/$(val /tmp/c1-q1 $_n)" 0/0
	done
	# The bench's 4k buffers are pinned; only its set-up's READ
	# CAPACITY (16) on queue 0, into 32 bytes (not whole sectors), is
	# copied.
	le "[bench] copy_fallback: at most 8 on queue 0 (set-up commands)" \
		"$(val /tmp/c1-q0 copy_fallback)" 8
	same "[bench] copy_fallback: none on queue 1" \
		"$(val /tmp/c1-q1 copy_fallback)" 0
else
	fail "[bench] its device's queues in debugfs ($D)"
fi
kill -USR1 $P 2>/dev/null
wait $P
_rc=$?
cat /tmp/vlg-c1.out
check "[bench] ran and printed its BENCH line (exit $_rc)" \
	sh -c "[ $_rc -eq 0 ] && grep -q '^BENCH .* errors=0 ' /tmp/vlg-c1.out"
same "[bench] closed: its directory is gone" "$(devs)" ""

# ---- workers: beyond the CPUs, request queues share them -----------------
# A worker thread per request queue up to the online CPUs, then queue N
# has worker 1 + N % CPUs (vl_vq.c, vl_vq_get_worker()); worker 0 serves
# the control and event queues.  Threads vhost-lio-<owner pid>.<id>
# (kthreads on 6.1, the VMM's own threads on 6.12; a long name is cut
# to 15 characters).  Six queues, each must be served.
NCPU=$(nproc)
NQ=6
WANT=$((1 + (NQ < NCPU ? NQ : NCPU)))
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 bench --queues $NQ --depth 4 \
	--bs 4k --rw randread --seconds 1 --until-signal >/tmp/vlg-c6.out 2>&1 &
P=$!
if D=$(wait_taken $P 50 queue_0 queue_1 queue_2 queue_3 queue_4 queue_5); then
	pass "[workers] all $NQ request queues served (50 requests each)"
	_n=$(cat /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null |
	     grep -cE "^vhost-lio-$P(\.[0-9]*)?\$")
	same "[workers] $NQ request queues on $NCPU CPUs: $WANT worker threads" \
		"$_n" "$WANT"
else
	fail "[workers] all $NQ request queues served ($D)"
fi
kill -USR1 $P 2>/dev/null
wait $P
_rc=$?
check "[workers] the bench ran without errors (exit $_rc)" \
	sh -c "[ $_rc -eq 0 ] && grep -q '^BENCH .* errors=0 ' /tmp/vlg-c6.out"
same "[workers] closed: its directory is gone" "$(devs)" ""

# The CPUs counted are those the owner may run on: a VMM bound to one CPU
# gets one request-queue worker for its 4 queues, and all are served.
taskset -c 0 "$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 bench --queues 4 \
	--depth 4 --bs 4k --rw randread --seconds 1 --until-signal \
	>/tmp/vlg-c4.out 2>&1 &
P=$!
if D=$(wait_taken $P 50 queue_0 queue_1 queue_2 queue_3); then
	pass "[workers] bound to CPU 0: all 4 request queues served"
	_n=$(cat /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null |
	     grep -cE "^vhost-lio-$P(\.[0-9]*)?\$")
	same "[workers] bound to CPU 0: 2 worker threads (control, requests)" \
		"$_n" 2
else
	fail "[workers] bound to CPU 0: all 4 request queues served ($D)"
fi
kill -USR1 $P 2>/dev/null
wait $P
_rc=$?
check "[workers] bound to CPU 0: the bench ran without errors (exit $_rc)" \
	sh -c "[ $_rc -eq 0 ] && grep -q '^BENCH .* errors=0 ' /tmp/vlg-c4.out"
same "[workers] bound to CPU 0: closed, its directory is gone" "$(devs)" ""

# ---- copy fallback and TASK SET FULL: memfd_secret RAM, LUN 0 limited ------
check "limit LUN 0 to 4 commands" put $T/attrib/lun_queue_depth 0:4
tsf0=$(sed -n 's/^lun_0 .*task_set_full=\([0-9]*\).*/\1/p' $T/lun_stats)
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 --secret-mem bench --queues 1 \
	--depth 16 --bs 4k --rw randrw --seconds 1 --until-signal \
	>/tmp/vlg-c2.out 2>&1 &
P=$!
if D=$(wait_taken $P 200 queue_0); then
	cat $D/queue_0 >/tmp/c2-q0
	sed 's/^/queue_0: /' /tmp/c2-q0
	snap_checks "copy+full" /tmp/c2-q0
	gt0 "[copy+full] copy_fallback counted (not 0)" "$(val /tmp/c2-q0 copy_fallback)"
	gt0 "[copy+full] task_set_full counted (not 0)" "$(val /tmp/c2-q0 task_set_full)"
	same "[copy+full] slots_exhausted is 0 (LUN limit 4, 128 slots)" \
		"$(val /tmp/c2-q0 slots_exhausted)" 0
	tsf=$(val /tmp/c2-q0 task_set_full)
else
	fail "[copy+full] its device's queue in debugfs ($D)"
	tsf=''
fi
kill -USR1 $P 2>/dev/null
wait $P
cat /tmp/vlg-c2.out
tsf1=$(sed -n 's/^lun_0 .*task_set_full=\([0-9]*\).*/\1/p' $T/lun_stats)
errs=$(sed -n 's/^BENCH .* errors=\([0-9]*\) .*/\1/p' /tmp/vlg-c2.out)
same "[copy+full] the guest's errors are lun_stats' TASK SET FULL answers" \
	"$errs" $((${tsf1:-0} - ${tsf0:-0}))
le "[copy+full] the queue's task_set_full read during the run <= them" \
	"$tsf" "$errs"
check "lift LUN 0's limit" put $T/attrib/lun_queue_depth 0:0
same "[copy+full] closed: its directory is gone" "$(devs)" ""

# ---- tracepoints -------------------------------------------------------------
EV=$TR/events/vhost_lio
same "the vhost_lio trace events" "$(ls -d $EV/vl_* 2>/dev/null | sed 's|.*/||' | tr '\n' ' ')" \
	"vl_cmd_complete vl_cmd_received vl_cmd_submit vl_event vl_tmf "
check "a hotplug backstore" vlg_mkhot $H
bufkb=$(sed 's/.*expanded: \([0-9]*\)).*/\1/' $TR/buffer_size_kb)
check "trace buffer 8 MiB per CPU (from $bufkb KiB), emptied" \
	sh -c "echo 8192 >$TR/buffer_size_kb && : >$TR/trace"
check "enable vhost_lio:*" put $EV/enable 1
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 --only lun-reset,abort-task \
	--label "[trace] " suite >/tmp/vlg-c3.out 2>&1
_rc=$?
same "[trace] vl-guest suite --only lun-reset,abort-task exit status" $_rc 0
[ $_rc -eq 0 ] || sed 's/^/    | /' /tmp/vlg-c3.out
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 1 bench --queues 2 --depth 4 \
	--bs 4k --rw randrw --seconds 1 >/tmp/vlg-c4.out 2>&1
_rc=$?
same "[trace] vl-guest bench (1 s, LUN 1) exit status" $_rc 0
sed 's/^/    | /' /tmp/vlg-c4.out
check "[trace] hotplug watcher: LUN 2 linked and unlinked" \
	vlg_watch_events /tmp/vlg-c5.out $T $H 1 --dev "$VL_DEV" --wwpn $W \
		--seconds 1
check "disable vhost_lio:*" put $EV/enable 0
cp $TR/trace /tmp/trace.txt
check "remove the hotplug backstore" rmdir $H
check "[trace] no event lost (overrun 0 on every CPU)" \
	sh -c "! grep -h '^overrun:' $TR/per_cpu/cpu*/stats | grep -vq ' 0\$'"
# keys EVENT: "dev queue tag" of each EVENT line, sorted.
keys() {
	sed -n "s/.* $1: dev=\([0-9]*\) queue=\([0-9]*\) tag=\([0-9]*\) .*/\1 \2 \3/p" \
		/tmp/trace.txt | sort
}
keys vl_cmd_received >/tmp/t-recv
keys vl_cmd_submit >/tmp/t-sub
keys vl_cmd_complete >/tmp/t-done
echo "INFO: trace: $(wc -l </tmp/t-recv) received, $(wc -l </tmp/t-sub) submitted, $(wc -l </tmp/t-done) completed"
le "[trace] at least 100 commands received (suite and bench)" 100 "$(wc -l </tmp/t-recv)"
check "[trace] each command received is completed once, by device, queue and tag" \
	cmp /tmp/t-recv /tmp/t-done
check "[trace] each command submitted to LIO was received" \
	sh -c "[ -z \"\$(comm -23 /tmp/t-sub /tmp/t-recv)\" ]"
check "[trace] the bench's commands completed GOOD by LIO on two queues" \
	sh -c "grep 'vl_cmd_complete: .* queue=1 .*response=0 status=0x00 resid=0 lio=1' /tmp/trace.txt | grep -q ."
check "[trace] the READs and WRITEs received, 4k each" \
	sh -c "grep -q 'vl_cmd_received: .* len=4096 dir=read' /tmp/trace.txt && grep -q 'vl_cmd_received: .* len=4096 dir=write' /tmp/trace.txt"
check "[trace] LUN RESET (subtype 5) of LUN 0 answered FUNCTION COMPLETE" \
	grep -q 'vl_tmf: dev=[0-9]* subtype=5 target=1 lun=0 tag=[0-9]* response=0$' /tmp/trace.txt
check "[trace] ABORT TASK (subtype 0) of tag 0xdead answered FUNCTION COMPLETE" \
	grep -q 'vl_tmf: dev=[0-9]* subtype=0 target=1 lun=0 tag=57005 response=0$' /tmp/trace.txt
same "[trace] events: TRANSPORT_RESET RESCAN, then REMOVED, of LUN 2" \
	"$(sed -n 's/.* vl_event: dev=[0-9]* //p' /tmp/trace.txt | tr '\n' ,)" \
	"event=0x1 reason=1 target=1 lun=2 delivered=1,event=0x1 reason=2 target=1 lun=2 delivered=1,"
grep -m 3 'vl_cmd_' /tmp/trace.txt
grep 'vl_tmf\|vl_event' /tmp/trace.txt
check "trace buffer emptied, back to $bufkb KiB" \
	sh -c ": >$TR/trace && echo $bufkb >$TR/buffer_size_kb"
same "[trace] closed: no device directory left" "$(devs)" ""

# ---- null mode (benchmarks only): answered GOOD, nothing reaches LIO -------
NULL=$ROOT/null_io
# raw_lun1 ARGS...: one CDB on LUN 1 (rd_mcp); its RESULT line, less
# "RESULT ".
raw_lun1() {
	"$VLG" --dev "$VL_DEV" --wwpn $W --lun 1 "$@" raw 2>&1 |
		sed -n 's/^RESULT //p'
}
WR10=2a000000006400000100	# WRITE(10) / READ(10) of LBA 100, 1 block
RD10=28000000006400000100
same "null_io is 0 after load" "$(cat $NULL 2>&1)" 0
check "null_io refuses 2 (the write fails, it stays 0)" \
	sh -c "! echo 2 2>/dev/null >$NULL && [ \"\$(cat $NULL)\" = 0 ]"
klog_mark null-io
# LUN 1's unit attentions (the hotplug above changed the LUN inventory)
# taken by TEST UNIT READY until GOOD.
_n=0
until [ "$(raw_lun1 --cdb 000000000000)" = "transport=ok status=0x00 sense=- resid=0 data=- used=0" ] ||
	[ $_n -ge 5 ]; do
	_n=$((_n + 1))
done
_w=$(raw_lun1 --cdb $WR10 --dout 512xab)
same "[null] null_io off: WRITE of 0xab to LUN 1 is GOOD" "$_w" \
	"transport=ok status=0x00 sense=- resid=0 data=- used=0"
_r0=$(raw_lun1 --cdb $RD10 --din 512)
check "[null] null_io off: READ of it is GOOD, 512 bytes ($_r0)" \
	sh -c "echo '$_r0' | grep -q '^transport=ok status=0x00 sense=- resid=0 data=512/.* used=512\$'"
RC10=25000000000000000000	# READ CAPACITY (10)
_c0=$(raw_lun1 --cdb $RC10 --din 8)
check "null_io on" put $NULL 1
same "[null] null_io on: READ CAPACITY still answered by LIO ($_c0)" \
	"$(raw_lun1 --cdb $RC10 --din 8)" "$_c0"
same "[null] null_io on: WRITE of 0xcd is answered GOOD" \
	"$(raw_lun1 --cdb $WR10 --dout 512xcd)" \
	"transport=ok status=0x00 sense=- resid=0 data=- used=0"
_rn=$(raw_lun1 --cdb $RD10 --din 512)
echo "INFO: READ with null_io on: $_rn; off: $_r0"
check "[null] null_io on: READ GOOD, 512 bytes counted, not the disk's" \
	sh -c "echo '$_rn' | grep -q '^transport=ok status=0x00 sense=- resid=0 data=512/.* used=512\$' && [ '$_rn' != '$_r0' ]"
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 1 bench --queues 2 --depth 8 \
	--bs 4k --rw randrw --seconds 1 >/tmp/vlg-c6.out 2>&1
check "[null] a 1 s bench with null_io on: no error" \
	grep -q '^BENCH .* errors=0 ' /tmp/vlg-c6.out || sed 's/^/    | /' /tmp/vlg-c6.out
check "null_io off" put $NULL 0
same "[null] null_io off again: the WRITE of 0xcd never reached the disk" \
	"$(raw_lun1 --cdb $RD10 --din 512)" "$_r0"
same "[null] the kernel log says null_io went on, then off" \
	"$(klog_since | sed -n 's/.*vhost_lio: \(null_io o[nf]*\):.*/\1/p' | tr '\n' ,)" \
	"null_io on,null_io off,"

# ---- busy polling (module parameter poll_us) --------------------------------
PU=/sys/module/vhost_lio/parameters/poll_us
same "poll_us is 0 after load" "$(cat $PU 2>&1)" 0
check "poll_us refuses 1001 (the write fails, it stays 0)" \
	sh -c "! echo 1001 2>/dev/null >$PU && [ \"\$(cat $PU)\" = 0 ]"
check "poll_us 1000" put $PU 1000
# Verified I/O on two queues while the workers poll; then a bench whose
# queue files, read while it runs, show poll windows.
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 0 --queues 2 \
	--only rw,each-queue,concurrent,abort-task --label "[poll] " suite \
	>/tmp/vlg-p1.out 2>&1
_rc=$?
same "[poll] vl-guest suite (rw, each-queue, concurrent, abort-task) exit status" $_rc 0
[ $_rc -eq 0 ] || sed 's/^/    | /' /tmp/vlg-p1.out
# poll_bench on|off: a 3 s bench, 2 queues x 32; its queue files, summed,
# in /tmp/poll-on|off ("name value" lines).
poll_bench() {
	"$VLG" --dev "$VL_DEV" --wwpn $W --lun 1 bench --queues 2 --depth 32 \
		--bs 4k --rw randread --seconds 1 --until-signal \
		>/tmp/vlg-p2.out 2>&1 &
	_p=$!
	if _d=$(wait_taken $_p 500 queue_0 queue_1); then
		cat "$_d"/queue_* | awk '{ v[$1] += $2 } END { for (n in v) print n, v[n] }' \
			>/tmp/poll-$1
	else
		: >/tmp/poll-$1
	fi
	kill -USR1 $_p 2>/dev/null
	wait $_p
	_rc=$?
	check "[poll $1] bench ran with no error (exit $_rc)" \
		sh -c "[ $_rc -eq 0 ] && grep -q '^BENCH .* errors=0 ' /tmp/vlg-p2.out"
	echo "INFO: [poll $1] $(tr '\n' ' ' </tmp/poll-$1)"
}
poll_bench on
# How many requests a window catches depends on the guest's speed (the
# window shrinks to poll_us/64 after misses): only that windows were
# opened and ended is checked, hits are reported.
gt0 "[poll on] poll windows counted (poll_hits + poll_misses)" \
	$(($(num /tmp/poll-on poll_hits) + $(num /tmp/poll-on poll_misses)))
echo "INFO: [poll on] requests found by polling: $(val /tmp/poll-on poll_hits)"
check "poll_us 0" put $PU 0
poll_bench off
gt0 "[poll off] requests taken" "$(val /tmp/poll-off requests)"
same "[poll off] no polling: poll_hits and poll_misses 0" \
	"$(val /tmp/poll-off poll_hits)/$(val /tmp/poll-off poll_misses)" 0/0
gt0 "[poll off] kicks counted" "$(val /tmp/poll-off kicks)"

# ---- the cost split (debugfs cost_split, benchmarks only) ------------------
# Off after load: the first bench's _ns counters stayed 0.  On: a bench
# moves all five (the worker's time taking, mapping, submitting,
# answering, signalling).
CS=$ROOT/cost_split
same "cost_split is 0 after load" "$(cat $CS 2>&1)" 0
same "[cost off] the first bench's $COST" \
	"$(for _n in $COST; do val /tmp/c1-q0 $_n; done | tr '\n' ' ')" "0 0 0 0 0 "
check "cost_split refuses 2 (the write fails, it stays 0)" \
	sh -c "! echo 2 2>/dev/null >$CS && [ \"\$(cat $CS)\" = 0 ]"
check "cost_split 1" put $CS 1
"$VLG" --dev "$VL_DEV" --wwpn $W --lun 1 bench --queues 1 --depth 8 \
	--bs 4k --rw randrw --seconds 1 --until-signal >/tmp/vlg-c7.out 2>&1 &
P=$!
if D=$(wait_taken $P 200 queue_0); then
	cat $D/queue_0 >/tmp/c7-q0
else
	fail "[cost on] its device's queue in debugfs ($D)"
	: >/tmp/c7-q0
fi
kill -USR1 $P 2>/dev/null
wait $P
_rc=$?
check "[cost on] the bench ran without errors (exit $_rc)" \
	sh -c "[ $_rc -eq 0 ] && grep -q '^BENCH .* errors=0 ' /tmp/vlg-c7.out"
check "cost_split 0" put $CS 0
for _n in $COST; do
	gt0 "[cost on] $_n counted" "$(val /tmp/c7-q0 $_n)"
done
echo "INFO: [cost on] $(tr '\n' ' ' </tmp/c7-q0)"

check "tear down" vlg_teardown vhost $W
check "rmmod vhost_lio" rmmod vhost_lio
check "rmmod removed $ROOT" test ! -e $ROOT
check "LIO core unloads" lio_unload
for _m in $mounted; do umount "$_m"; done
