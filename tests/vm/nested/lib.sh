# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Helpers to boot a nested QEMU guest on vhost_lio from inside the first
# guest (sourced after tests/vm/lib.sh by the tests that do: 60, 61, 65,
# 70, tests/vm/demo.sh and tests/vm/ceph.sh).  Nothing runs on the host: the nested initramfs is
# built here, from the host's static busybox, fio and sg3_utils with their
# libraries, and the cached kernel's modules, which the first guest sees at
# / and /lib/modules.

# shellcheck source=scripts/lib-test.sh
. "$VL_REPO/scripts/lib-test.sh"

NESTED=${NESTED:-/tmp/nested}
# guest-init.sh exports VL_REPO and VL_ABI; the cached kernel's root is in
# the plan scripts/vm-run.sh wrote.
[ -n "${VL_KROOT:-}" ] || VL_KROOT=$(. "${R:-/tmp/vl-results}/plan" && echo "$VL_KROOT")
# The nested guest's kernel: the first guest's, or for the debug kernel
# the stock build of its series (the plan says; see scripts/vm-run.sh).
[ -n "${VL_NESTED_ABI:-}" ] ||
	VL_NESTED_ABI=$(. "${R:-/tmp/vl-results}/plan" && echo "${VL_NESTED_ABI:-$VL_ABI}")
[ -n "${VL_NESTED_KROOT:-}" ] ||
	VL_NESTED_KROOT=$(. "${R:-/tmp/vl-results}/plan" && echo "${VL_NESTED_KROOT:-$VL_KROOT}")

# What the nested guest runs besides busybox (dynamically linked).
NESTED_BINS="/usr/bin/fio /usr/bin/sg_inq /usr/bin/sg_readcap /usr/bin/sg_luns /usr/bin/sg_reset"

# nested_initrd: $NESTED/initramfs.cpio: busybox, tests/vm/nested/init,
# guest.sh (with the pi-guest.sh and eh-guest.sh it sources),
# demo-guest.sh, migrate-guest.sh and their common.sh, tests/vm/lib.sh,
# $NESTED_BINS (fio, sg3_utils' sg_inq, sg_readcap, sg_luns and sg_reset)
# with every library ldd names, at the same paths (the stage holds
# symlinks, cpio -L stores the files), and the modules for virtio-pci, 9p
# over virtio, virtio_scsi and sd_mod (decompressed: busybox insmod cannot
# read .ko.xz) in dependency order; on 6.1 sd_mod's dependencies include t10-pi and
# crc-t10dif with the CRC modules it asks for first (softdep: the
# crct10dif crypto driver), which test 60's T10 PI disk needs.
# Not compressed: ~90 MB (fio links ceph, gluster, rdma...), which the nested kernel copies faster than it could inflate
# it, and which spares it every exec over 9p (seconds each, two levels of
# TCG down).
nested_initrd() {
	_s=$NESTED/initramfs
	rm -rf "$_s"
	mkdir -p "$_s/bin" "$_s/usr/bin" "$_s/mods" "$_s/vl" "$_s/proc" \
		"$_s/sys" "$_s/dev" "$_s/tmp" "$_s/out" &&
	cp /bin/busybox "$_s/bin/busybox" &&
	cp "$VL_REPO/tests/vm/nested/init" "$_s/init" && chmod +x "$_s/init" &&
	cp "$VL_REPO/tests/vm/nested/guest.sh" "$VL_REPO/tests/vm/nested/demo-guest.sh" \
		"$VL_REPO/tests/vm/nested/migrate-guest.sh" \
		"$VL_REPO/tests/vm/nested/eh-guest.sh" \
		"$VL_REPO/tests/vm/nested/pi-guest.sh" \
		"$VL_REPO/tests/vm/nested/common.sh" \
		"$VL_REPO/tests/vm/lib.sh" "$_s/vl/" ||
		return 1
	# shellcheck disable=SC2086
	for _b in $NESTED_BINS; do
		echo "$_b"
		ldd "$_b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	done | sort -u | while read -r _f; do
		mkdir -p "$_s${_f%/*}" && ln -s "$_f" "$_s$_f" || exit 1
	done || return 1
	vl_collect_mods "$_s/mods" "$VL_NESTED_KROOT" "$VL_NESTED_ABI" virtio_pci 9pnet_virtio 9p \
		virtio_scsi sd_mod || return 1
	# -L: the archive holds the files the symlinks above point to.
	(cd "$_s" && find . | cpio -o -H newc -L --quiet) >"$NESTED/initramfs.cpio"
}

# Kernel arguments that only shorten the nested boot (~60 s of guest time
# two levels of TCG down): no crypto self-tests, one legacy UART, no IPv6.
NESTED_BOOTARGS="cryptomgr.notests 8250.nr_uarts=1 ipv6.disable=1"

# nested_kernel: the nested guest's kernel image (see VL_NESTED_ABI).
nested_kernel() {
	for _k in "$VL_NESTED_KROOT/boot/vmlinuz-$VL_NESTED_ABI" "$VL_NESTED_KROOT/../vmlinuz"; do
		[ -f "$_k" ] && { echo "$_k"; return 0; }
	done
	return 1
}

# nested_boot WWPN CEILING [QEMU ARGS...]: boot the nested guest with
# -device vhost-scsi-pci,wwpn=WWPN,num_queues=2 (QEMU opens /dev/vhost-scsi
# itself) and $NESTED/out shared writable over 9p (the plan in, results
# out); console in $NESTED/console.log, QEMU's own output in
# $NESTED/qemu.log; if strace is there, QEMU's ioctls in $NESTED/strace.log.
# $NESTED_VHOST_OPTS, if set, is appended to the -device options;
# $NESTED_CPU, if set, replaces -cpu max.
# QEMU runs under vl_watch: it is stopped if nothing in $NESTED changed
# (the console, out/ with the guest's checks, strace's log, a migration's
# state file) for NESTED_STALL seconds (VL_NESTED_STALL, default 300), or
# at CEILING seconds in all (a last resort).  The kernel boots with
# loglevel=6 so that its boot (60 s on an idle machine, 280 s seen on a
# loaded one) shows progress; guest.sh notes each step and fio's share
# done on the console.  When stopped, a FAIL line says so, followed by
# what the guest was doing: the end of its console (fio's progress), of
# its checks so far, and of QEMU's output.
# Returns QEMU's exit status (124: stopped).
NESTED_STALL=${VL_NESTED_STALL:-300}
nested_boot() {
	_w=$1 _to=$2
	shift 2
	_k=$(nested_kernel) || { echo "no kernel image under $VL_NESTED_KROOT"; return 1; }
	_st=
	if command -v strace >/dev/null; then
		_st="strace -f -qq --seccomp-bpf -e trace=ioctl -e signal=none -o $NESTED/strace.log"
	fi
	# shellcheck disable=SC2086
	vl_watch "nested QEMU" "$NESTED_STALL" "$_to" \
		"$NESTED" \
		$_st qemu-system-x86_64 \
		-accel tcg -cpu "${NESTED_CPU:-max}" -smp 1 -m 512M -nographic -no-reboot \
		-nic none -serial "file:$NESTED/console.log" -monitor none \
		-kernel "$_k" -initrd "$NESTED/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=6 rdinit=/init $NESTED_BOOTARGS" \
		-virtfs local,path="$NESTED/out",mount_tag=nout,security_model=none,multidevs=remap \
		-device vhost-scsi-pci,wwpn="$_w",num_queues=2${NESTED_VHOST_OPTS:+,$NESTED_VHOST_OPTS} \
		"$@" </dev/null >"$NESTED/qemu.log" 2>&1
	_r=$?
	if [ $_r -eq 124 ]; then
		fail "$VL_WATCH_WHY"
		vl_detail 20 "$NESTED/console.log"
		vl_detail 10 "$NESTED/out/nested.log" "$NESTED/qemu.log"
	fi
	return $_r
}

# nested_checks_made: the number of checks the nested guest says it made
# (guest.sh and migrate-guest.sh count them apart from their log, with
# VL_CHECKS_FILE, and write "ok N" to /out/done when they end), or nothing
# if it did not get there.
nested_checks_made() {
	sed -n 's/^ok \([0-9][0-9]*\)$/\1/p' "$NESTED/out/done" 2>/dev/null
}

# nested_relay_checks WHAT: relay the nested guest's PASS:/FAIL: lines
# (in $NESTED/out/nested.log, shown prefixed "nested guest: ") and check
# that it ran to its end, made at least one check, and that every check it
# says it made arrived.
nested_relay_checks() {
	sed 's/^\(PASS\|FAIL\): /\1: nested guest: /' "$NESTED/out/nested.log" 2>/dev/null
	echo "---"
	_n=$(nested_checks_made)
	check "the nested guest ran to its end ($1) and made ${_n:-no} checks" \
		test "${_n:-0}" -gt 0
	same "every check the nested guest made arrived" \
		"$(grep -c '^\(PASS\|FAIL\): ' "$NESTED/out/nested.log" 2>/dev/null)" "${_n:-none}"
}

# nested_vhost_ioctls: QEMU's ioctls on the vhost-scsi fd, one a line
# ("NAME = RESULT"), from $NESTED/strace.log.
nested_vhost_ioctls() {
	sed -n 's/^[0-9]* *ioctl([0-9]*, \(VHOST_[A-Z_]*\)\(, .*\)\{0,1\}) *= \(.*\)$/\1 = \3/p' \
		"$NESTED/strace.log"
}

# ---- migration (tests/vm/70-qemu-migrate.sh, tests/vm/ceph.sh) ----
# The nested guest runs migrate-guest.sh; the marker that tells it it runs
# on the destination is NESTED_MARK, at byte NESTED_MOFF of its disk (past
# the 4 MiB it writes).
NESTED_QMP=$NESTED/qmp.sock
NESTED_STATE=$NESTED/migration.state
NESTED_MARK="vhost-lio migration marker $$.$(date +%s)"
NESTED_MOFF=$((8 * 1048576))

# Without CMPXCHG16B: with it, about one migrated guest in three died on
# the destination within seconds, with the in-tree module as with ours,
# always in the slab allocator right after its 16-byte compare-exchange
# and with a pointer's low half in RFLAGS (QEMU 7.2's emulation of that
# instruction, two levels of TCG down, after a migration; see
# Documentation/testing.md).  The guest's kernel then does without it.
# VL_MIGRATE_CPU replaces it.
NESTED_MIGRATE_CPU=${VL_MIGRATE_CPU:-max,-cx16}

# nested_qmp CMD...: QMP commands, one JSON object each, to the QEMU
# listening on $NESTED_QMP; prints every answer.  "wait-migration" polls
# query-migrate until the migration has ended and prints its status; it
# gives up when the migration stops making progress (no more RAM
# transferred, the same status) for 120 s, and then prints the last answer.
nested_qmp() {
	python3 - "$NESTED_QMP" "$@" <<'PYEOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def ask(obj):
    f.write(json.dumps(obj) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())                    # greeting
ask({"execute": "qmp_capabilities"})
for cmd in sys.argv[2:]:
    if cmd == "wait-migration":
        last, since = None, time.time()
        while True:
            r = ask({"execute": "query-migrate"})["return"]
            st = r.get("status")
            if st in ("completed", "failed", "cancelled"):
                break
            now = (st, r.get("ram", {}).get("transferred"))
            if now != last:
                last, since = now, time.time()
            elif time.time() - since > 120:
                print("migration stalled: no progress for 120 s:", json.dumps(r))
                break
            time.sleep(0.5)
        print("migration status:", st)
    else:
        print(json.dumps(ask(json.loads(cmd))))
PYEOF
}

# nested_migrate SRC DST WHAT CMD...: a local migration of a running guest
# whose disk is on vhost_lio (-device vhost-scsi-pci,migratable=on, CPU
# $NESTED_MIGRATE_CPU).  The nested guest (migrate-guest.sh) boots on WWPN
# SRC with a QMP socket and writes its data; once it says MIGRATE-READY,
# QMP migrates it into a file ("exec:", at most 4 MiB/s, so that the
# guest's page-cache reads overlap the copy), then quits the source.
# Then the check WHAT runs CMD, which must write $NESTED_MARK at byte
# $NESTED_MOFF of the disk as the destination sees it; the destination
# boots from the file (-incoming) on WWPN DST (SRC again for a migration
# on one LUN), and the guest checks there that its page cache and the
# disk hold what it wrote.  Checks here: the guest got ready, the
# migration completed, the source quit cleanly, the source logged dirty
# pages and released the device (if strace is installed), the marker,
# the nested guest's checks (relayed), the destination ran the guest to
# its power-off.  Logs and the guest's results in $R/nested/.  Returns
# non-zero if the destination did not run to its end.
nested_migrate() {
	_mg_src=$1 _mg_dst=$2 _mg_what=$3
	shift 3
	_mg_t0=$(date +%s)
	rm -rf "$NESTED"
	mkdir -p "$NESTED/out"
	check "nested initramfs" nested_initrd
	{
		printf 'VL_REPO=%s\nNSCRIPT=migrate-guest.sh\n' "$VL_REPO"
		printf 'NMARK=%s\nNMOFF=%s\n' "'$NESTED_MARK'" $NESTED_MOFF
	} >"$NESTED/out/plan"
	NESTED_CPU=$NESTED_MIGRATE_CPU
	# QEMU refuses to migrate a vhost-scsi device unless told the target
	# side is taken care of (the same LUN, or the same shared storage).
	NESTED_VHOST_OPTS=migratable=on

	# The source, in the background, with a QMP socket.
	nested_boot "$_mg_src" 1800 -qmp unix:$NESTED_QMP,server=on,wait=off &
	_mg_pid=$!
	echo "source QEMU started at $(($(date +%s) - _mg_t0))s"
	# Waits as long as the source runs (its own watcher stops it if it
	# stalls).
	if ! check "the guest is ready to migrate (MIGRATE-READY on its console)" \
		vlg_wait_line "$NESTED/console.log" MIGRATE-READY 3600 $_mg_pid; then
		# What the source was doing: the CI log keeps only check lines.
		vl_detail 30 "$NESTED/console.log"
		vl_detail 10 "$NESTED/qemu.log"
	fi
	echo "guest ready at $(($(date +%s) - _mg_t0))s"
	nested_qmp '{"execute": "migrate-set-parameters", "arguments": {"downtime-limit": 2000, "max-bandwidth": 4194304}}' \
	    "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > $NESTED_STATE\"}}" \
	    wait-migration '{"execute": "quit"}' >"$NESTED/qmp.out" 2>&1
	cat "$NESTED/qmp.out"
	echo "migration ended at $(($(date +%s) - _mg_t0))s"
	wait $_mg_pid
	_mg_rc=$?
	for _mg_f in console qemu strace; do
		[ -f "$NESTED/$_mg_f.log" ] && mv "$NESTED/$_mg_f.log" "$NESTED/$_mg_f-source.log"
	done
	check "QMP: the migration completed" grep -q '^migration status: completed$' "$NESTED/qmp.out"
	same "the source QEMU quit cleanly" $_mg_rc 0
	if [ -f "$NESTED/strace-source.log" ]; then
		check "the source logged dirty pages: VHOST_SET_LOG_BASE succeeded" \
			grep -q 'VHOST_SET_LOG_BASE.*= 0$' "$NESTED/strace-source.log"
		check "the source released the device: VHOST_SCSI_CLEAR_ENDPOINT succeeded" \
			grep -q 'VHOST_SCSI_CLEAR_ENDPOINT.*= 0$' "$NESTED/strace-source.log"
	fi

	# Tell the guest it runs on the destination: the marker, which it
	# polls, written now that the source is gone.
	check "$_mg_what" "$@"

	# The destination, from the file; the guest powers off when it is
	# done.  Without a completed migration there is nothing to start
	# from: the destination's checks below then fail at once instead of
	# after a stall.
	if grep -q '^migration status: completed$' "$NESTED/qmp.out"; then
		nested_boot "$_mg_dst" 1800 -incoming "exec:cat $NESTED_STATE"
		_mg_rc=$?
	else
		echo "the migration did not complete: the destination is not started"
		_mg_rc=1
	fi
	echo "destination QEMU exited $_mg_rc at $(($(date +%s) - _mg_t0))s"
	rm -rf "$R/nested"
	cp -r "$NESTED/out" "$R/nested"
	cp "$NESTED"/*.log "$NESTED/qmp.out" "$R/nested/" 2>/dev/null
	echo "--- the source's console"
	tail -5 "$NESTED/console-source.log"
	echo "--- the destination's console and QEMU output"
	tail -5 "$NESTED/console.log"
	cat "$NESTED/qemu.log"
	echo "--- the nested guest's notes"
	cat "$NESTED/out/log" 2>/dev/null
	echo "--- the nested guest's checks and output"
	nested_relay_checks "on the destination"
	rm -f "$NESTED_STATE"
	if ! same "the destination QEMU ran the guest to its power-off" $_mg_rc 0; then
		vl_detail 40 "$R/nested/console.log"
		vl_detail 10 "$R/nested/qemu.log" "$R/nested/qmp.out"
		return 1
	fi
}
