# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The error-handling phases of the nested guest of tests/vm/60-qemu-guest.sh
# (/vl/ in its initramfs, sourced by guest.sh, which runs eh_main after its
# own work and pi_main, in the same boot and log): Linux's SCSI error
# handling on disk 1, LUN 0 of target 1 (iblock over a dm-delay device
# whose delay the first guest switches when asked through /out, once it
# lifted target 1's queue depth limit and delay for guest.sh).
#
# 1. Timeouts: with the disk's timeout at 2 s, reads wait in the slowed
#    device until the guest's block layer timed each out twice (the
#    scsi:scsi_dispatch_cmd_timeout tracepoint counts it); then the delay
#    goes and the reads must complete with the data written before.
#    virtio_scsi's eh_timed_out answers every timeout "reset the timer"
#    (the host is trusted to answer every command), so no ABORT TASK may
#    follow and the SCSI error handler must not run: no abort, reset or
#    offlining in the kernel log, the device stays "running".
# 2. sg_reset -d sends LOGICAL UNIT RESET (virtio_scsi's device reset
#    handler) and must succeed; -t, -b and -H have no handler in
#    virtio_scsi (no target, bus or host reset) and fail with EIO in this
#    kernel without sending anything.  Verified I/O works after each.
# 3. A reset storm: fio writes with crc32c verification while a loop
#    sends sg_reset -d every second, each I/O delayed 1 s in the device
#    meanwhile (the first guest's STORM_MS) so that the resets find
#    commands to abort; every reset and the verification must pass, with
#    no I/O error and no hung task.
# The plan gives NEHOFF (the block io_ok writes: not guest.sh's marker)
# and NEHFIO (the storm's fio size).  Checks go to guest.sh's log; the
# number of successful LUN resets is RESETS, which guest.sh writes to
# /out/resets (the first guest compares it with the LUN resets LIO
# started).

TR=/sys/kernel/tracing
NREADS=4                # phase 1's concurrent reads, 4 KiB each
RESETS=0                # successful sg_reset -d, all phases

# ask WHAT: ask the first guest for WHAT (slow, fast, storm, calm) and
# wait until it says it is done (/out/WHAT-done); the bound is generous
# (the first guest polls every 0.2 s).
ask() {
	: >"$O/$1"
	_n=0
	while [ ! -e "$O/$1-done" ] && [ $_n -lt 1200 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	check "the first guest switched the delay ($1)" test -e "$O/$1-done"
}

# timeouts: the disk's command timeouts so far (tracepoint).
timeouts() { grep -c 'scsi_dispatch_cmd_timeout:' $TR/trace; }

# io_ok WHAT: a fresh 4 KiB block written to the disk and read back.
io_ok() {
	dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null
	check "after $1: a 4 KiB write and read back (O_DIRECT)" \
		sh -c "dd if=/tmp/blk of=$D bs=4096 seek=$((NEHOFF / 4096)) count=1 oflag=direct 2>/dev/null &&
		       dd if=$D bs=4096 skip=$((NEHOFF / 4096)) count=1 iflag=direct 2>/dev/null | cmp - /tmp/blk"
	same "after $1: the device is running" "$(cat "$S/state")" running
}

# klog_new: kernel log lines since the last call.
KLOGN=0
klog_new() {
	dmesg >/tmp/dmesg
	sed -n "$((KLOGN + 1)),\$p" /tmp/dmesg
	KLOGN=$(wc -l </tmp/dmesg)
}

phase_timeout() {
	note "phase 1: timeouts"
	dd if=/dev/urandom of=/tmp/ref bs=4096 count=$NREADS 2>/dev/null
	check "reference data written (O_DIRECT)" \
		dd if=/tmp/ref of="$D" bs=4096 count=$NREADS oflag=direct
	check "command timeout 2 s" sh -c "echo 2 >$S/timeout"
	check "tracing: scsi_dispatch_cmd_timeout enabled" \
		sh -c "{ [ -d $TR/events ] || mount -t tracefs nodev $TR; } &&
		       echo 1 >$TR/events/scsi/scsi_dispatch_cmd_timeout/enable"
	klog_new >/dev/null
	t0=$(timeouts)
	ask slow
	i=0
	while [ $i -lt $NREADS ]; do
		{
			dd if="$D" of=/tmp/r$i bs=4096 skip=$i count=1 iflag=direct 2>/dev/null
			echo $? >/tmp/r$i.rc
		} &
		i=$((i + 1))
	done
	# Until every read timed out twice (the first timeout plus one
	# more after virtio_scsi reset the timer), or the reads ended
	# (then the delay did not hold them: a failure below).
	want=$((t0 + 2 * NREADS))
	n=0
	while [ "$(timeouts)" -lt $want ] && [ $n -lt 1200 ]; do
		set -- /tmp/r*.rc
		[ $# -lt $NREADS ] || [ ! -e "$1" ] || break
		sleep 0.1
		n=$((n + 1))
	done
	t1=$(timeouts)
	note "timeouts: $((t1 - t0)); lifting the delay"
	check "the guest timed the $NREADS reads out at least twice each ($((t1 - t0)) timeouts)" \
		[ "$t1" -ge $want ]
	set -- /tmp/r*.rc
	check "and they were still waiting in the device" test ! -e "$1"
	ask fast
	wait
	i=0
	while [ $i -lt $NREADS ]; do
		same "read $i: dd exit status" "$(cat /tmp/r$i.rc 2>/dev/null)" 0
		check "read $i: the data written before" \
			sh -c "dd if=/tmp/ref bs=4096 skip=$i count=1 2>/dev/null | cmp - /tmp/r$i"
		i=$((i + 1))
	done
	klog_new >"$O/dmesg-timeout.txt"
	check "kernel log: no abort, reset, offlining, error handling or I/O error" \
		sh -c "! grep -i -E 'abort|reset|offline|timing out|I/O error|FAILED|BUG:|WARNING:|Oops' $O/dmesg-timeout.txt"
	echo 0 >$TR/events/scsi/scsi_dispatch_cmd_timeout/enable
	check "command timeout 30 s again" sh -c "echo 30 >$S/timeout"
	io_ok "the timeouts"
}

phase_resets() {
	note "phase 2: sg_reset"
	for r in d t b H; do
		klog_new >/dev/null
		sg_reset -$r "$D" >/tmp/sg_reset.out 2>&1
		rc=$?
		sed "s/^/INFO: sg_reset -$r: /" /tmp/sg_reset.out
		klog_new >"$O/dmesg-reset-$r.txt"
		if [ $r = d ]; then
			same "sg_reset -d (LOGICAL UNIT RESET): exit status" $rc 0
			[ $rc -ne 0 ] || RESETS=$((RESETS + 1))
			same "sg_reset -d: virtio_scsi's device reset handler ran once" \
				"$(grep -c ': device reset$' "$O/dmesg-reset-$r.txt")" 1
		else
			# scsi_ioctl_reset() escalates -t to -b to -H and
			# finds no handler for any: EIO, nothing sent.
			check "sg_reset -$r: refused (virtio_scsi has no target, bus or host reset handler)" \
				[ $rc -ne 0 ]
			same "sg_reset -$r: no device reset" \
				"$(grep -c ': device reset$' "$O/dmesg-reset-$r.txt")" 0
		fi
		check "sg_reset -$r: no host reset, offlining or I/O error in the kernel log" \
			sh -c "! grep -i -E 'host reset|offline|I/O error|FAILED|BUG:|WARNING:|Oops' $O/dmesg-reset-$r.txt"
		io_ok "sg_reset -$r"
	done
}

# writes: the disk's completed writes (its stat file, the shell's read).
writes() {
	read -r _ _ _ _ _w _ <"/sys/block/${D#/dev/}/stat"
	echo "$_w"
}

phase_storm() {
	note "phase 3: fio with a LUN reset every second"
	klog_new >/dev/null
	rm -f /tmp/fio.done
	: >/tmp/storm.ok
	: >/tmp/storm.bad
	# From fio's first completed write on (its start, two levels of TCG
	# down, takes longer than its I/O) until it ends.
	ask storm
	w0=$(writes)
	(
		while [ "$(writes)" = "$w0" ] && [ ! -e /tmp/fio.done ]; do
			sleep 0.2
		done
		while [ ! -e /tmp/fio.done ]; do
			if sg_reset -d "$D" >/dev/null 2>&1; then
				echo >>/tmp/storm.ok
			else
				echo >>/tmp/storm.bad
			fi
			sleep 1
		done
	) &
	storm=$!
	{
		fio --output="$O/fio-storm.txt" --name=storm --filename="$D" \
			--rw=randwrite --bs=4k --size="$NEHFIO" --ioengine=libaio \
			--iodepth=8 --direct=1 --verify=crc32c --verify_state_save=0 \
			--randrepeat=1 --eta=always --eta-interval=2
		echo $? >/tmp/fio.rc
	} | fio_progress >/dev/console
	: >/tmp/fio.done
	wait $storm
	ask calm
	ok=$(wc -l </tmp/storm.ok)
	bad=$(wc -l </tmp/storm.bad)
	RESETS=$((RESETS + ok))
	note "storm: $ok resets, $bad failed"
	same "fio: exit status" "$(cat /tmp/fio.rc)" 0
	check "fio: random writes read back and verified, no error" \
		grep -q "^storm: (groupid=0, jobs=1): err= 0" "$O/fio-storm.txt"
	check "LUN resets while fio wrote and verified: $ok (at least 2)" [ "$ok" -ge 2 ]
	same "LUN resets that failed" "$bad" 0
	klog_new >"$O/dmesg-storm.txt"
	same "kernel log: a device reset line per LUN reset" \
		"$(grep -c ': device reset$' "$O/dmesg-storm.txt")" "$ok"
	check "kernel log: no host reset, offlining, I/O error, hung task" \
		sh -c "! grep -i -E 'host reset|offline|I/O error|FAILED|timing out|blocked for more than|BUG:|WARNING:|Oops' $O/dmesg-storm.txt"
	io_ok "the storm"
}

eh_main() {
	note "error handling phases start"
	n=600
	set -- /sys/class/scsi_disk/*:0:1:0/device/block/*
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
		set -- /sys/class/scsi_disk/*:0:1:0/device/block/*
	done
	D=/dev/${1##*/}
	S=/sys/block/${1##*/}/device
	check "the disk (LUN 0 of target 1) is there" test -b "$D"
	phase_timeout
	phase_resets
	phase_storm
	dmesg >"$O/dmesg-eh.txt"
	# See guest.sh: a TCG artifact, not ours.
	check "nested kernel log: no BUG, WARNING, Oops or hung task" \
		sh -c "! grep -E 'BUG:|WARNING:|Oops|blocked for more than|KFENCE' $O/dmesg-eh.txt |
		       grep -v 'WARNING: .* exc_debug_kernel'"
	note "error handling phases done"
}

