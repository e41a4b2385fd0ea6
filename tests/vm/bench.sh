#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark, not a test: not named [0-9]*.sh, so `make check` does not run
# it; scripts/bench.sh boots a VM with it and turns its RUN lines into a
# table (Documentation/performance.md).  Nothing here asserts a timing: the
# only checks are that the setup worked and that the runs did I/O without
# errors.
#
# In one boot, both modules side by side: the in-tree vhost_scsi owns
# fabric "vhost" and /dev/vhost-scsi, vhost_lio is loaded with
# fabric_name=vlio devname=vhost-lio.  Each exports its own rd_mcp
# backstore with rd_nullio=1 (no data copy: what is left is the vhost and
# LIO path) as LUN 0 of tpgt_1, and the same `vl-guest bench` commands run
# against both, interleaved (the order alternates from run to run), after
# an unrecorded warm-up run of each.
#
# Knobs (environment; scripts/bench.sh sets them through a wrapper):
#   VLB_RUNS     runs of every case on every module (3)
#   VLB_SECONDS  seconds per run, at least 4 (5)
#   VLB_CASES    cases, from the table in bench_args() ("1x1 2x32 2x32w 2x32-64k")
#   VLB_MODULES  modes, of "intree intree-pq lio lio-poll lio-null" (the
#                default; intree-pq only on 6.5+): see mod_base() below
#   VLB_POLL_US  vhost_lio's poll_us in lio-poll runs (50)
#   VLB_MEM      "Q:R ..." request queues and ring sizes of the memory
#                pass ("1:128 4:128 1:1024 4:1024"; "" skips it)
#   VLB_SUBMIT_TYPE  if set, written to both backstores' attrib/submit_type
#                (Linux 6.9+: 0 fabric default, 1 direct, 2 queued)
#
# Memory pass, after the runs: for each module and each Q:R, a device
# with Q request queues and rings of R is held open (a 3 s bench at depth
# 1) and the kernel's unreclaimable memory (SUnreclaim + VmallocUsed,
# empty slabs given back first) is read before it and 1.5 s into it:
#   MEM mod=M queues=Q ring=R kib=N
# N is what the device took (slab, kmalloc, vmalloc; its few pinned pages
# at depth 1 aside), give or take a few hundred KiB of other kernel users.
#
# Output: one line per run,
#   RUN mod=M case=C run=N <vl-guest's BENCH fields> window_s=..
#       win_busy_pct=.. ctxt_per_io=.. intr_per_io=.. wk_us_per_io=..
#       wk_slices_per_io=.. wk_threads=.. kw_us_per_io=.. kw_slices_per_io=..
# where the extra fields come from a window inside the run (from 1 s after
# its start to ~1.5 s before its end): system-wide busy share, context
# switches and interrupts per I/O; the CPU time per I/O and the times
# scheduled in per I/O (schedstat) of the module's vhost worker threads
# (in-tree: vhost-<pid>; ours: vhost-lio-<pid>.N; "-" if the window's two
# samples did not see the same number of them) and of all kworkers
# (LIO's submission and completion work); then, for vhost_lio's modes, its
# queue counters (debugfs) from the device's open to the window's end:
#       q_requests=.. kicks_per_req=.. signals_per_req=.. batches_per_req=..
#       poll_hits_per_req=.. poll_misses_per_req=..
. "$VL_REPO/tests/vm/lib.sh"

VLB_RUNS=${VLB_RUNS:-3}
VLB_SECONDS=${VLB_SECONDS:-5}
VLB_CASES=${VLB_CASES:-"1x1 2x32 2x32w 2x32-64k"}
VLB_MODULES=${VLB_MODULES:-"intree intree-pq lio lio-poll lio-null"}
VLB_POLL_US=${VLB_POLL_US:-50}
VLB_MEM=${VLB_MEM-"1:128 4:128 1:1024 4:1024"}
[ "$VLB_SECONDS" -ge 4 ] 2>/dev/null || VLB_SECONDS=4

W_INTREE=naa.5001405000000b01	# in-tree vhost_scsi's WWPN
W_LIO=naa.5001405000000b02	# vhost_lio's WWPN
NEXUS=naa.5001405000000b0f
RD_PAGES=262144			# 1 GiB of LBAs; nullio allocates nothing
LUN_DEPTH=1024			# vhost_lio's LUN limit, see export_lun

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (make -C tests/guest)"
	exit 1
fi

# bench_args CASE: vl-guest bench options of a case.
bench_args() {
	case $1 in
	1x1)		echo "--queues 1 --depth 1 --bs 4k --rw randread" ;;
	2x16)		echo "--queues 2 --depth 16 --bs 4k --rw randread" ;;
	2x32)		echo "--queues 2 --depth 32 --bs 4k --rw randread" ;;
	2x32w)		echo "--queues 2 --depth 32 --bs 4k --rw randwrite" ;;
	2x32-64k)	echo "--queues 2 --depth 32 --bs 64k --rw randread" ;;
	4x32)		echo "--queues 4 --depth 32 --bs 4k --rw randread" ;;
	16x32)		echo "--queues 16 --depth 32 --bs 4k --rw randread" ;;
	2x16rw)		echo "--queues 2 --depth 16 --bs 4k --rw randrw --mix 70" ;;
	64k-read)	echo "--queues 1 --depth 8 --bs 64k --rw read" ;;
	64k-write)	echo "--queues 1 --depth 8 --bs 64k --rw write" ;;
	1m-read)	echo "--queues 1 --depth 8 --bs 1m --rw read" ;;
	1m-write)	echo "--queues 1 --depth 8 --bs 1m --rw write" ;;
	*)		return 1 ;;
	esac
}

# A mode is a module (intree, lio) driven one way: intree-pq is the
# in-tree device with a worker per request queue (vl-guest
# --worker-per-queue, as QEMU's worker_per_virtqueue=true; Linux 6.5+),
# lio-poll is vhost_lio with its module parameter poll_us at VLB_POLL_US
# (the worker busy-polls the rings after work), lio-null is vhost_lio
# with debugfs null_io on (every command answered GOOD without LIO: what
# is left is vhost_lio's own cost).
# mod_base / mod_fabric / mod_dev / mod_wwpn MODE
mod_base() { case $1 in intree*) echo intree ;; *) echo lio ;; esac; }
mod_fabric() { [ "$(mod_base "$1")" = intree ] && echo vhost || echo vlio; }
mod_dev() { [ "$(mod_base "$1")" = intree ] && echo /dev/vhost-scsi || echo /dev/vhost-lio; }
mod_wwpn() { [ "$(mod_base "$1")" = intree ] && echo $W_INTREE || echo $W_LIO; }
# mod_opts MODE: vl-guest options of the mode
mod_opts() { [ "$1" = intree-pq ] && echo --worker-per-queue; }
NULL_IO=/sys/kernel/debug/vhost_lio/null_io
# null_io 0|1: vhost_lio's null mode off or on
null_io() { echo "$1" >$NULL_IO; }
POLL_US=/sys/module/vhost_lio/parameters/poll_us
# mode_on / mode_off MODE: switch what the mode needs on or back off.
mode_on() {
	case $1 in
	lio-null) null_io 1 ;;
	lio-poll) echo "$VLB_POLL_US" >$POLL_US ;;
	esac
}
mode_off() {
	case $1 in
	lio-null) null_io 0 ;;
	lio-poll) echo 0 >$POLL_US ;;
	esac
}

# export_lun MODULE: rd_mcp nullio backstore as LUN 0 of FABRIC/WWPN/tpgt_1.
# vhost_lio answers commands beyond a LUN's limit TASK SET FULL, and the
# limit is by default the backstore's queue_depth (128 for rd_mcp), which
# 16 queues x 32 exceed; the in-tree module limits nothing.  So that both
# carry the same load, vhost_lio's LUN gets a limit of $LUN_DEPTH, above
# the deepest case.
export_lun() {
	_f=$CFS/$(mod_fabric "$1") _w=$(mod_wwpn "$1")
	_b=$CFS/core/rd_mcp_9/vlb_$1
	bs_rdmcp 9 "vlb_$1" "$RD_PAGES" rd_nullio=1 &&
	{ [ -z "${VLB_SUBMIT_TYPE:-}" ] ||
	  put "$_b/attrib/submit_type" "$VLB_SUBMIT_TYPE"; } &&
	mkdir -p "$_f/$_w/tpgt_1" &&
	{ [ "$(mod_base "$1")" = intree ] ||
	  put "$_f/$_w/tpgt_1/attrib/lun_queue_depth" "0:$LUN_DEPTH"; } &&
	lun_link "$_f/$_w/tpgt_1" 0 "$_b" &&
	put "$_f/$_w/tpgt_1/nexus" $NEXUS
}

unexport_lun() {
	_f=$CFS/$(mod_fabric "$1") _w=$(mod_wwpn "$1")
	_t=$_f/$_w/tpgt_1
	rm -f "$_t/lun/lun_0/port0"
	rmdir "$_t/lun/lun_0" 2>/dev/null
	put "$_t/nexus" NULL 2>/dev/null
	rmdir "$_t" "$_f/$_w" "$_f" 2>/dev/null
	bs_remove "$CFS/core/rd_mcp_9/vlb_$1" 2>/dev/null
	[ ! -e "$_f" ]
}

# sample: one snapshot, "uptime busy total ctxt intr" from /proc/uptime
# and /proc/stat (busy: all but idle and iowait), then "run_ns slices
# threads" from /proc/<pid>/task/<tid>/schedstat summed over three sets
# of threads: the in-tree vhost workers (vhost-<pid>), ours
# (vhost-lio-<pid>.N), and all kworkers (where LIO queues submissions and
# completions).  One awk over grep -H output: threads may exit meanwhile.
sample() {
	{
		echo "U $(cat /proc/uptime)"
		cat /proc/stat
		grep -H '' /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null
		grep -H '' /proc/[0-9]*/task/[0-9]*/schedstat 2>/dev/null
	} | awk '
	function cls(c) {
		if (c ~ /^vhost-lio-/) return "lio"
		if (c ~ /^vhost-[0-9]/) return "intree"
		if (c ~ /^kworker\//) return "kw"
		return ""
	}
	/^\/proc\// {
		i = index($0, ":"); path = substr($0, 1, i - 1)
		val = substr($0, i + 1)
		if (path ~ /\/comm$/) {
			sub(/\/comm$/, "", path); comm[path] = val
		} else {
			sub(/\/schedstat$/, "", path); k = cls(comm[path])
			if (k != "") {
				split(val, v, " ")
				ns[k] += v[1]; sl[k] += v[3]; n[k]++
			}
		}
		next
	}
	$1 == "U" { up = $2 }
	$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; b = t - $5 - $6 }
	$1 == "ctxt" { c = $2 }
	$1 == "intr" { it = $2 }
	END {
		printf "%s %d %d %d %d", up, b, t, c, it
		split("intree lio kw", ks, " ")
		for (j = 1; j <= 3; j++)
			printf " %.0f %d %d", ns[ks[j]], sl[ks[j]], n[ks[j]]
		printf "\n"
	}'
}

# qsums NAME...: vhost_lio's queue counters NAME... (debugfs), each
# summed over every open device's request queues, on one line (zeros for
# the in-tree module, which has none; %.0f: mawk's %d stops at 2^31 - 1,
# which the _ns counters pass).
qsums() {
	cat /sys/kernel/debug/vhost_lio/*/queue_* 2>/dev/null |
	awk -v names="$*" '
	{ v[$1] += $2 }
	END {
		n = split(names, k, " ")
		for (i = 1; i <= n; i++)
			printf "%.0f%s", v[k[i]], i < n ? " " : "\n"
	}'
}

# qstats: "requests kicks signals batches poll_hits poll_misses".
qstats() { qsums requests kicks signals batches poll_hits poll_misses; }

# run_one MODE CASE RUN: one vl-guest bench run; prints its RUN line.
run_one() {
	_m=$1 _c=$2 _r=$3 _o=/tmp/vlb-$1-$2-$3.out
	if ! mode_on "$_m"; then
		echo "run $_m $_c $_r: cannot switch $_m on"
		return 1
	fi
	# shellcheck disable=SC2046 # bench_args is a list of options
	vlg --dev "$(mod_dev "$_m")" --wwpn "$(mod_wwpn "$_m")" --lun 0 \
		$(mod_opts "$_m") bench $(bench_args "$_c") \
		--seconds "$VLB_SECONDS" >"$_o" 2>&1 &
	_p=$!
	sleep 1
	_s0=$(sample)
	sleep "$((VLB_SECONDS - 3)).5"
	_s1=$(sample)
	_q=$(qstats)
	wait $_p
	_rc=$?
	if ! mode_off "$_m"; then
		echo "run $_m $_c $_r: cannot switch $_m off"
		return 1
	fi
	if [ $_rc -ne 0 ] || ! grep -q '^BENCH .* errors=0 ' "$_o"; then
		echo "run $_m $_c $_r: exit $_rc"
		sed 's/^/    | /' "$_o"
		return 1
	fi
	grep '^BENCH ' "$_o" | awk -v m="$_m" -v c="$_c" -v r="$_r" \
		-v s0="$_s0" -v s1="$_s1" -v q="$_q" '
	{
		sub(/^BENCH /, "")
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "iops")
				iops = kv[2]
		}
		split(s0, a, " "); split(s1, b, " ")
		dt = b[1] - a[1]
		ios = iops * dt
		if (ios <= 0)
			ios = 1
		w = m ~ /^intree/ ? 6 : 9	# the module worker fields
		split(q, qs, " ")		# since the device opened
		nq = qs[1] > 0 ? qs[1] : 1
		# Worker figures only when both samples saw the same worker
		# threads: a sample that missed some gave negative numbers.
		wk = a[w + 2] == b[w + 2] && b[w + 2] > 0
		wus = wk ? sprintf("%.2f", (b[w] - a[w]) / 1000 / ios) : "-"
		wsl = wk ? sprintf("%.3f", (b[w + 1] - a[w + 1]) / ios) : "-"
		printf "RUN mod=%s case=%s run=%s %s window_s=%.2f " \
		       "win_busy_pct=%.1f ctxt_per_io=%.2f intr_per_io=%.2f " \
		       "wk_us_per_io=%s wk_slices_per_io=%s wk_threads=%d " \
		       "kw_us_per_io=%.2f kw_slices_per_io=%.3f " \
		       "q_requests=%d kicks_per_req=%.3f signals_per_req=%.3f " \
		       "batches_per_req=%.3f poll_hits_per_req=%.3f " \
		       "poll_misses_per_req=%.3f\n",
		       m, c, r, $0, dt,
		       (b[3] > a[3] ? 100 * (b[2] - a[2]) / (b[3] - a[3]) : 0),
		       (b[4] - a[4]) / ios, (b[5] - a[5]) / ios,
		       wus, wsl, b[w + 2], (b[12] - a[12]) / 1000 / ios,
		       (b[13] - a[13]) / ios, qs[1], qs[2] / nq, qs[3] / nq,
		       qs[4] / nq, qs[5] / nq, qs[6] / nq
	}'
}

# ---- setup ----------------------------------------------------------------
for c in $VLB_CASES; do
	bench_args "$c" >/dev/null || { fail "unknown case $c"; exit 1; }
done
# The worker ioctls came in Linux 6.5: intree-pq only from there.
kv=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
if [ "$kv" -lt 605 ] && echo " $VLB_MODULES " | grep -q ' intree-pq '; then
	echo "bench: $(uname -r) has no VHOST_NEW_WORKER: no intree-pq runs"
	VLB_MODULES=$(echo " $VLB_MODULES " | sed 's/ intree-pq / /; s/^ *//; s/ *$//')
fi
BASES=
for m in $VLB_MODULES; do
	case $m in
	intree|intree-pq|lio|lio-poll|lio-null) ;;
	*) fail "unknown module $m"; exit 1 ;;
	esac
	b=$(mod_base "$m")
	case " $BASES " in *" $b "*) continue ;; esac
	BASES="$BASES $b"
done
check "load target_core_mod" modprobe target_core_mod
for b in $BASES; do
	case $b in
	intree) check "load the in-tree vhost_scsi (fabric vhost)" modprobe vhost_scsi ;;
	lio) check "load vhost_lio (fabric vlio, /dev/vhost-lio)" \
		vl_load fabric_name=vlio devname=vhost-lio ;;
	esac
	check "$b: rd_mcp nullio LUN 0 and nexus" export_lun "$b"
done
grep -q " /sys/kernel/debug debugfs " /proc/mounts ||
	mount -t debugfs debugfs /sys/kernel/debug
if echo " $VLB_MODULES " | grep -q ' lio-null '; then
	same "vhost_lio's null_io switch is there, off" "$(cat $NULL_IO 2>&1)" 0
fi
if echo " $VLB_MODULES " | grep -q ' lio-poll '; then
	same "vhost_lio's poll_us is there, 0" "$(cat $POLL_US 2>&1)" 0
fi

echo "bench: $(uname -r), $(nproc) CPUs, runs=$VLB_RUNS seconds=$VLB_SECONDS${VLB_SUBMIT_TYPE:+ submit_type=$VLB_SUBMIT_TYPE}"
echo "bench: cases: $VLB_CASES; modules: $VLB_MODULES"
for c in $VLB_CASES; do
	echo "CASE $c $(bench_args "$c")"
done

# ---- runs -----------------------------------------------------------------
# The window's samples must come on time while the guest's threads and
# the workers keep both vCPUs busy: at 16 queues (33 busy threads) a
# sampling shell at their priority took its second sample after the run
# had ended.  So this shell runs at nice -10 and starts vl-guest through
# vlg, at nice 0 again, the workers' (kthreads, or vhost tasks of
# vl-guest's).
renice -n -10 -p $$ >/dev/null || echo "bench: renice failed: samples may be late"
vlg() { nice -n 10 "$VLG" "$@"; }
bad=0
for m in $VLB_MODULES; do		# warm-up, not recorded
	[ "$m" = lio-null ] && continue
	# shellcheck disable=SC2046 # mod_opts is a list of options
	vlg --dev "$(mod_dev "$m")" --wwpn "$(mod_wwpn "$m")" --lun 0 \
		$(mod_opts "$m") bench --queues 2 --depth 16 --seconds 1 \
		>/dev/null 2>&1 ||
		{ echo "warm-up on $m failed"; bad=$((bad + 1)); }
done
r=1
while [ $r -le "$VLB_RUNS" ]; do
	if [ $((r % 2)) -eq 1 ]; then order=$VLB_MODULES
	else order=$(echo "$VLB_MODULES" | awk '{ for (i = NF; i; i--) printf "%s ", $i }')
	fi
	for c in $VLB_CASES; do
		for m in $order; do
			run_one "$m" "$c" "$r" || bad=$((bad + 1))
		done
	done
	r=$((r + 1))
done
same "every bench run finished with no I/O error" "$bad" 0

# ---- probes (VLB_PROBES) --------------------------------------------------
# One more run per case and mode for each probe, after the recorded runs,
# so that a probe's own cost stays out of the table's figures.
#
# order (vhost_lio's modes): the tracepoints vl_cmd_received and
# vl_cmd_complete over ORDER_S seconds say how often a command is answered
# before one its guest queued earlier on the same request queue (tags
# grow per queue in vl-guest), and for how long VIRTIO_F_IN_ORDER (the
# device uses buffers in the order they were made available) would have
# to hold such an answer back:
#   ORDER mod=M case=C answers=N ahead_pct=P held_p50_us=.. held_p99_us=..
#       held_max_us=..
# (held_*: over the answers that would wait, 0 when none would.)
#
# split (vhost_lio's modes): the cost split (debugfs cost_split) on for
# the window: the worker's time per request in each step, beside its
# whole time and the kworkers' (schedstat, as in RUN lines):
#   SPLIT mod=M case=C ring_us=.. map_us=.. submit_us=.. answer_us=..
#       signal_us=.. steps_us=.. worker_us=.. kworker_us=..
# ring: taking chains and parsing them; map: pinning the data; submit:
# LIO's submission calls as far as they run in the worker; answer:
# responses, used entries, releasing slots and pages; signal: publishing
# the used ring and the call eventfd; steps: their sum (the rest of
# worker_us is the worker's loop, sleeping and waking, and the clock
# reads themselves).
VLB_PROBES=${VLB_PROBES:-}
COST_SPLIT=/sys/kernel/debug/vhost_lio/cost_split
ORDER_S=1
TRACE=/sys/kernel/tracing

# probe_run MODE CASE FN: a bench run with FN_start called 1 s into it
# with the window's length in seconds, and FN_report, after a run that
# ended with no error, with MODE CASE WINDOW_S BENCH_OUT.  FN_on before
# vl-guest starts and FN_off after it ended switch what the probe needs
# for the run.
probe_run() {
	_m=$1 _c=$2 _fn=$3 _o=/tmp/vlb-probe.out _w=$((VLB_SECONDS - 3))
	mode_on "$_m" || return 1
	"${_fn}_on" || { mode_off "$_m"; return 1; }
	# shellcheck disable=SC2046 # bench_args is a list of options
	vlg --dev "$(mod_dev "$_m")" --wwpn "$(mod_wwpn "$_m")" --lun 0 \
		$(mod_opts "$_m") bench $(bench_args "$_c") \
		--seconds "$VLB_SECONDS" >"$_o" 2>&1 &
	_p=$!
	sleep 1
	"${_fn}_start" "$_w"
	wait $_p
	_rc=$?
	"${_fn}_off" && mode_off "$_m" || return 1
	if [ $_rc -ne 0 ] || ! grep -q '^BENCH .* errors=0 ' "$_o"; then
		echo "probe $_fn $_m $_c: exit $_rc"
		sed 's/^/    | /' "$_o"
		return 1
	fi
	"${_fn}_report" "$_m" "$_c" "$_w" "$_o"
}

order_events() {
	for _e in vl_cmd_received vl_cmd_complete; do
		echo "$1" >$TRACE/events/vhost_lio/$_e/enable || return 1
	done
}

# The events are on for all the order runs (order_events, around them),
# the ring buffer only for each window (tracing_on is a flag).  Enabling
# a tracepoint patches code; done while vhost_lio's workers or LIO's
# completions ran, it crashed TCG guests (an int3 of the patch executed
# after it, "Oops: int3" in vl_stats_answer(); QEMU's TCG only, where
# this bench runs), so the events change only with no device left
# (settle).
order_on() { echo 0 >$TRACE/tracing_on && echo >$TRACE/trace; }
order_off() { :; }

order_start() {
	echo 1 >$TRACE/tracing_on
	sleep $ORDER_S
	echo 0 >$TRACE/tracing_on
}

# order_report MODE CASE WINDOW_S BENCH_OUT: per queue, the answers in
# the order written, each against the oldest command of that queue
# received in the window and not yet answered; under in-order use an
# answer is held until every earlier command is answered.
order_report() {
	awk '
	function field(name,   i, kv) {
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2 && kv[1] == name)
				return kv[2]
		return ""
	}
	function stamp(   i) {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/)
				return substr($i, 1, length($i) - 1) * 1e6
		return 0
	}
	/ vl_cmd_received: / {
		q = field("dev") "/" field("queue"); t = field("tag")
		rcv[q, ++nr[q]] = t; idx[q, t] = 1
		if (!(q in lo))
			lo[q] = 1
		next
	}
	/ vl_cmd_complete: / {
		q = field("dev") "/" field("queue"); t = field("tag")
		if (!((q, t) in idx))
			next		# received before the window
		now = stamp(); n++
		if (rcv[q, lo[q]] != t)
			ahead++
		done[q, t] = now
		while (lo[q] <= nr[q] && ((q, rcv[q, lo[q]]) in done)) {
			h = now - done[q, rcv[q, lo[q]]]
			if (h > 0)
				print h >"/tmp/vlb-held"
			lo[q]++
		}
	}
	END { printf "%d %d\n", n, ahead }' $TRACE/trace >/tmp/vlb-order
	touch /tmp/vlb-held
	sort -n /tmp/vlb-held | awk -v m="$1" -v c="$2" -v s="$(cat /tmp/vlb-order)" '
	{ v[++n] = $1 }
	END {
		split(s, a, " ")
		printf "ORDER mod=%s case=%s answers=%d ahead_pct=%.2f " \
		       "held_p50_us=%.1f held_p99_us=%.1f held_max_us=%.1f\n",
		       m, c, a[1], a[1] ? 100 * a[2] / a[1] : 0,
		       n ? v[int((n + 1) * 0.5)] : 0,
		       n ? v[int((n - 1) * 0.99) + 1] : 0, n ? v[n] : 0
	}'
	rm -f /tmp/vlb-held /tmp/vlb-order
	echo >$TRACE/trace
	echo 1 >$TRACE/tracing_on
}

# cost_sums: "requests ring map submit answer signal" (the _ns counters).
cost_sums() { qsums requests ring_ns map_ns submit_ns answer_ns signal_ns; }

split_on() { echo 1 >$COST_SPLIT; }
split_off() { echo 0 >$COST_SPLIT; }

split_start() {
	_c0=$(cost_sums) _s0=$(sample)
	sleep "$1"
	_c1=$(cost_sums) _s1=$(sample)
}

# split_report MODE CASE: from split_start's two snapshots.
split_report() {
	echo "$_c0|$_c1|$_s0|$_s1" | awk -F'|' -v m="$1" -v c="$2" '
	{
		split($1, a, " "); split($2, b, " ")
		split($3, s, " "); split($4, t, " ")
		n = b[1] - a[1]
		if (n <= 0)
			n = 1
		for (i = 2; i <= 6; i++) {
			d[i] = (b[i] - a[i]) / 1000 / n
			sum += d[i]
		}
		printf "SPLIT mod=%s case=%s ring_us=%.2f map_us=%.2f " \
		       "submit_us=%.2f answer_us=%.2f signal_us=%.2f " \
		       "steps_us=%.2f worker_us=%.2f kworker_us=%.2f\n",
		       m, c, d[2], d[3], d[4], d[5], d[6], sum,
		       (t[9] - s[9]) / 1000 / n, (t[12] - s[12]) / 1000 / n
	}'
}

# settle: wait until vhost_lio has no device left (its debugfs directory
# has none: every device closed; at most 30 s), then a second for late
# completions.
settle() {
	_n=0
	while [ -n "$(find /sys/kernel/debug/vhost_lio -mindepth 1 -type d)" ]; do
		[ $_n -lt 150 ] || { echo "bench: a vhost_lio device is still open"; break; }
		_n=$((_n + 1))
		sleep 0.2
	done
	sleep 1
}

pbad=0
for p in $VLB_PROBES; do
	case $p in
	order)
		[ -d $TRACE/events ] || mount -t tracefs tracefs $TRACE ||
			{ echo "bench: no tracefs: no order probe"; continue; }
		echo 32768 >$TRACE/buffer_size_kb
		settle
		order_events 1 || { echo "bench: cannot enable the events"; continue; } ;;
	split)
		[ -e $COST_SPLIT ] ||
			{ echo "bench: no $COST_SPLIT: no split probe"; continue; } ;;
	*) echo "bench: unknown probe $p"; pbad=$((pbad + 1)); continue ;;
	esac
	for c in $VLB_CASES; do
		for m in $VLB_MODULES; do
			[ "$(mod_base "$m")" = lio ] || continue
			probe_run "$m" "$c" "$p" || pbad=$((pbad + 1))
		done
	done
	[ "$p" = order ] && settle && order_events 0
done
[ -z "$VLB_PROBES" ] || same "every probe run finished with no I/O error" "$pbad" 0

# ---- memory per device ----------------------------------------------------
# unrecl_kb: SUnreclaim + VmallocUsed in KiB, after SLUB gave back its
# empty slabs.
unrecl_kb() {
	for _s in /sys/kernel/slab/*/shrink; do
		echo 1 >"$_s"
	done 2>/dev/null
	awk '$1 == "SUnreclaim:" || $1 == "VmallocUsed:" { t += $2 }
	     END { print t }' /proc/meminfo
}
mbad=0
for b in $BASES; do
	for qr in $VLB_MEM; do
		_q=${qr%:*} _r=${qr#*:}
		_k0=$(unrecl_kb)
		vlg --dev "$(mod_dev "$b")" --wwpn "$(mod_wwpn "$b")" \
			--lun 0 --queues "$_q" --ring "$_r" bench --depth 1 \
			--seconds 3 >/tmp/vlb-mem.out 2>&1 &
		_p=$!
		sleep 1.5
		_k1=$(unrecl_kb)
		if wait $_p; then
			echo "MEM mod=$b queues=$_q ring=$_r kib=$((_k1 - _k0))"
		else
			echo "memory pass $b $qr failed:"
			sed 's/^/    | /' /tmp/vlb-mem.out
			mbad=$((mbad + 1))
		fi
	done
done
same "every memory pass device ran" "$mbad" 0

# ---- teardown -------------------------------------------------------------
for m in $BASES; do
	check "$m: tear down the LUN" unexport_lun "$m"
done
rmdir $CFS/core/rd_mcp_9 2>/dev/null
for m in $BASES; do
	case $m in
	intree) check "rmmod vhost_scsi" rmmod vhost_scsi ;;
	lio) check "rmmod vhost_lio" rmmod vhost_lio ;;
	esac
done
check "LIO core unloads" lio_unload
