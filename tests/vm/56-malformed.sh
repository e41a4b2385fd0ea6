#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Malformed guests (issue 7): the fake guest's malformed cases
# (vl-guest --case NAME malformed, tests/guest/malformed.c) against
# vhost_lio on an rd_mcp LUN.  Every ring malformation the split-ring
# walker rejects must break only that queue: its error eventfd fires, no
# used entry, the bad chain not taken, the kernel log names the fault; the
# VMM's ring restart and a fresh open make it work again.  Requests the
# virtio-scsi parser rejects get their virtio-scsi answer and leave no
# kernel log line.  Well-formed CDBs that LIO refuses with a log line of
# its own get their CHECK CONDITION each, and the log grows at the rate
# vhost_lio's hold allows.  Repeated 1000 times, a malformation writes a
# bounded, rate-limited number of log lines.  Then a thread rewrites headers and
# descriptors the device is reading while commands run.  After each case
# the kernel log must be free of oopses, BUGs, WARNINGs and KASAN reports.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000561          # the vhost WWPN
I=naa.5001405000000562          # the nexus
REPEAT=${VL_MALFORMED_REPEAT:-1000}
FLIP_S=${VL_MALFORMED_FLIP_S:-3}

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi

klog_bad() {
	dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|KFENCE|general protection|refcount_t|use-after-free|INFO: task|soft lockup|rcu_sched self-detected|rcu: INFO'
}
klog_clean() {
	_bad=$(klog_bad | wc -l)
	[ "$_bad" -le "$KBAD0" ] && return 0
	klog_bad | tail -n $((_bad - KBAD0)) | head -n 20
	return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# mf NAME [ARGS...]: run one case (bounded); output in /tmp/vlm-NAME.out,
# shown; rc its exit status, new = the kernel log lines it added (in
# /tmp/vlm-NAME.klog), ms how long it took.
mf() {
	_c=$1; shift
	_l0=$(dmesg | wc -l)
	_t0=$(now_ms)
	timeout -k 5 120 "$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun 1 \
		--queues 2 --timeout "${MF_TIMEOUT:-10}" --label "[$_c] " --case "$_c" "$@" \
		malformed >/tmp/vlm-"$_c".out 2>&1
	rc=$?
	ms=$(( $(now_ms) - _t0 ))
	dmesg | tail -n +$((_l0 + 1)) >/tmp/vlm-"$_c".klog
	new=$(wc -l </tmp/vlm-"$_c".klog)
	sed 's/^/    /' /tmp/vlm-"$_c".out
	sed 's/^/    | /' /tmp/vlm-"$_c".klog | head -n 5
}

case_ok() {
	same "[$1] vl-guest malformed case exit status" $rc 0
	check "[$1] no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
}

check "load target_core_mod" modprobe target_core_mod
check "load vhost_lio" vl_load
check "configfs: fileio LUN 0, rd_mcp LUN 1, nexus" vlg_config vhost $W $I
KBAD0=$(klog_bad | wc -l)
same "kernel log clean before the cases" "$KBAD0" 0

# ---- each ring malformation once: the log names it ----
# The "queue broken" line is rate-limited (printk's default: 10 per 5 s):
# at most 9 cases per 5.2 s, so that none is suppressed.
"$VLG" --wwpn $W --case list malformed >/tmp/vlm-list
n=0
t_batch=$(now_ms)
while read -r kind name fault; do
	[ "$kind" = ring ] || continue
	if [ $n -eq 9 ]; then
		_w=$(( 5200 - ($(now_ms) - t_batch) ))
		[ $_w -gt 0 ] && sleep "$(printf '%d.%03d' $((_w / 1000)) $((_w % 1000)))"
		n=0
		t_batch=$(now_ms)
	fi
	n=$((n + 1))
	mf "$name"
	case_ok "$name"
	if grep -q "broken (-[0-9]*): $fault, value" /tmp/vlm-"$name".klog; then
		pass "[$name] the kernel log says: $fault"
	else
		fail "[$name] the kernel log says: $fault"
	fi
	same "[$name] the kernel log grew by one line" "$new" 1
done </tmp/vlm-list

# ---- requests the parser rejects: answered, no kernel log line ----
while read -r kind name _; do
	[ "$kind" = request ] || continue
	mf "$name" --repeat 10
	case_ok "$name"
	same "[$name] no kernel log line for 10 of them" "$new" 0
done </tmp/vlm-list

# ---- CDBs LIO refuses, logging each: answered, the log rate bounded ----
# LIO's CDB parser and emulation log a line (at most two) for each of
# these, unrate-limited; vhost_lio takes nothing new on a device once 50
# were answered ILLEGAL REQUEST in a 5 s window (VL_REFUSED_BURST): the
# bound follows the time the case took: 105 lines for a case done within
# 5 s.  Without the hold, 120 of them write 120 lines in under a second.
CDB_REPEAT=${VL_MALFORMED_CDB_REPEAT:-120}
while read -r kind name _; do
	[ "$kind" = cdb ] || continue
	mf "$name" --repeat "$CDB_REPEAT"
	case_ok "$name"
	bound=$(( 2 * 50 * (ms / 5000 + 1) + 5 ))
	info_l="$new lines in $ms ms"
	if [ "$new" -le "$bound" ]; then
		pass "[$name x$CDB_REPEAT] kernel log bounded: at most $bound lines ($info_l)"
	else
		fail "[$name x$CDB_REPEAT] kernel log bounded: at most $bound lines ($info_l)"
	fi
done </tmp/vlm-list

mf ring-addr
case_ok ring-addr

# ---- repeated: the kernel log stays bounded ----
# printk's rate limit lets 10 lines through per 5 s, plus one "callbacks
# suppressed" line: the bound follows the time the case took.
for c in next ctl-segs hdr-short; do
	sleep 5.2	# a fresh rate-limit window for this case alone
	mf $c --repeat "$REPEAT"
	case_ok "$c x$REPEAT"
	bound=$(( 11 * (ms / 5000 + 1) + 2 ))
	info_l="$new lines in $ms ms"
	if [ "$new" -le "$bound" ]; then
		pass "[$c x$REPEAT] kernel log bounded: at most $bound lines ($info_l)"
	else
		fail "[$c x$REPEAT] kernel log bounded: at most $bound lines ($info_l)"
	fi
done

# ---- buffers changed while the device reads them ----
mf flip --seconds "$FLIP_S"
case_ok flip
# LIO logs a command for a LUN the nexus does not map, or a WRITE to a
# read-only mapping, with an unrate-limited pr_err(): ~850 lines in 3 s
# of flipping LUN bytes, before vhost_lio answered those itself.  LIO's
# CDB parser logs others ("cmd exceeds last lba", "Rejecting SCSI DATA
# overflow", ...): ~1200 lines in 3 s before vhost_lio held a device's
# queues after 50 ILLEGAL REQUESTs in 5 s.  Bound: two lines for each of
# those 50 per window and for each of the 16 commands the flip keeps in
# flight (refused before the count catches up), plus printk's rate limit
# of vhost_lio's own lines.
echo "INFO: [flip] the kernel log grew by $new lines in $ms ms; most frequent:"
sed 's/^\[[ 0-9.]*\] //; s/0x[0-9a-f]*/X/g; s/[0-9][0-9]*/N/g' /tmp/vlm-flip.klog |
	sort | uniq -c | sort -rn | head -n 5 | sed 's/^/    /'
same "[flip] no LIO line for a LUN the nexus does not map (vhost_lio answers those)" \
	"$(grep -c 'NON_EXISTENT_LUN' /tmp/vlm-flip.klog)" 0
win=$(( ms / 5000 + 1 ))
bound=$(( 2 * (50 * win + 16) + 11 * win + 5 ))
if [ "$new" -le "$bound" ]; then
	pass "[flip] kernel log bounded: at most $bound lines ($new in $ms ms)"
else
	fail "[flip] kernel log bounded: at most $bound lines ($new in $ms ms)"
fi
lt_ok=$([ "$ms" -lt $(( (FLIP_S + 60) * 1000 )) ] && echo yes || echo "no: $ms ms")
same "[flip] ended within $((FLIP_S + 60)) s" "$lt_ok" yes

check "tear down (LUNs, nexus, TPG, backstores)" vlg_teardown vhost $W
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
check "at the end: no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean

# ---- differential, informational: Debian's in-tree vhost_scsi ----
# A few of the cases, INFO lines only (its queue does not stay broken, and
# it refuses SET_VRING_NUM/ADDR/BASE while the endpoint is set).
# Not under lockdep (the debug kernel): the in-tree module's SET_ENDPOINT
# earns a lockdep report (differential.md), which turns lockdep off for
# every test after this one.
if [ -e /proc/lockdep ]; then
	echo "INFO: lockdep kernel: no differential (the in-tree module's lockdep report would blind it)"
elif modprobe vhost_scsi 2>/dev/null && vlg_config vhost $W $I >/dev/null 2>&1; then
	MF_TIMEOUT=2	# it leaves some requests unanswered
	for c in next loop order mem-buf ind-nested hdr-short resp-short; do
		mf $c >/dev/null
		echo "INFO: [in-tree $c] exit $rc, $(grep -c '^FAIL' /tmp/vlm-$c.out) of its checks failed, kernel log +$new lines:"
		grep '^FAIL' /tmp/vlm-$c.out | sed 's/^/    /'
		sed 's/^/    | /' /tmp/vlm-$c.klog | head -n 3
	done
	vlg_teardown vhost $W >/dev/null 2>&1
	rmmod vhost_scsi 2>/dev/null
	lio_unload 2>/dev/null
else
	echo "INFO: in-tree vhost_scsi not loaded: no differential"
fi
