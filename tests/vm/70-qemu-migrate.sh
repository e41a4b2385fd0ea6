#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Migration: an unmodified QEMU moves a running guest whose disk is on
# vhost_lio (-device vhost-scsi-pci,migratable=on) to a second QEMU, the
# way a local migration goes: the source streams its state into a file
# (QMP migrate "exec:"), stops (CLEAR_ENDPOINT) and quits; the destination
# starts from the file (-incoming) and takes the endpoint.  QEMU allows it
# only because vhost_lio offers VHOST_F_LOG_ALL, and while it copies guest
# memory it relies on the dirty log.  The nested guest
# (tests/vm/nested/migrate-guest.sh) keeps the device writing into its
# page cache meanwhile and checks, on the destination, that the page cache
# and the disk hold what it wrote.  Here: the migration completed, the
# source logged through VHOST_SET_LOG_BASE (strace, if installed), both
# QEMUs ended cleanly, the module unloads.  Whole test: ~4 min.  Each
# nested QEMU is stopped if it stalls (nested_boot, nested/lib.sh).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000070
I=naa.5001405000000071
V=$CFS/$VL_FABRIC
T=$V/$W/tpgt_1
IMG=/tmp/migrate-disk.img
MARK="vhost-lio migration marker $$.$(date +%s)"
MOFF=$((8 * 1048576))            # in the disk, past the guest's 4 MiB
BS=$CFS/core/fileio_70/mdisk
STATE=$NESTED/migration.state
QMP=$NESTED/qmp.sock

t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - t_start ))s; }

config() {
	bs_fileio 70 mdisk $IMG 16777216 &&
	mkdir -p $V/$W && mkdir $T && lun_link $T 0 $BS &&
	put $T/nexus $I
}

teardown() {
	lun_unlink $T 0 && put $T/nexus NULL &&
	rmdir $T $V/$W $V && bs_remove $BS
}

# qmp CMD...: QMP commands, one JSON object each, to the source QEMU;
# prints every answer.  "wait-migration" polls query-migrate until the
# migration has ended and prints its status; it gives up when the
# migration stops making progress (no more RAM transferred, the same
# status) for 120 s, and then prints the last answer.
qmp() {
	python3 - "$QMP" "$@" <<'EOF'
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
EOF
}

# Differential runs: VL_MIGRATE_MODULE=vhost_scsi serves the guest from
# the in-tree module instead (same fabric name, same configfs), and
# VL_MIGRATE_CPU replaces the nested guest's CPU model.
MOD=${VL_MIGRATE_MODULE:-vhost_lio}
# Without CMPXCHG16B: with it, about one migrated guest in three died on
# the destination within seconds, with the in-tree module as with ours,
# always in the slab allocator right after its 16-byte compare-exchange
# and with a pointer's low half in RFLAGS (QEMU 7.2's emulation of that
# instruction, two levels of TCG down, after a migration; see
# Documentation/testing.md).  The guest's kernel then does without it.
NESTED_CPU=${VL_MIGRATE_CPU:-max,-cx16}
check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
if [ "$MOD" = vhost_lio ]; then
	check "load vhost_lio" vl_load
else
	check "load $MOD (differential run)" modprobe "$MOD"
fi
check "configfs: $W tpgt_1 (fileio LUN 0), nexus" config

rm -rf "$NESTED"
mkdir -p "$NESTED/out"
check "nested initramfs" nested_initrd
{
	printf 'VL_REPO=%s\nNSCRIPT=migrate-guest.sh\n' "$VL_REPO"
	printf 'NMARK=%s\nNMOFF=%s\n' "'$MARK'" $MOFF
} >"$NESTED/out/plan"

# QEMU refuses to migrate a vhost-scsi device unless told the target side
# is taken care of (here: the same LIO LUN on the same host).
# shellcheck disable=SC2034 # read by nested_boot (nested/lib.sh)
NESTED_VHOST_OPTS=migratable=on

# The source, in the background, with a QMP socket.
nested_boot $W 1800 -qmp unix:$QMP,server=on,wait=off &
src=$!
echo "source QEMU started at $(elapsed)"
# Waits as long as the source runs (its own watcher stops it if it stalls).
if ! check "the guest is ready to migrate (MIGRATE-READY on its console)" \
	vlg_wait_line "$NESTED/console.log" MIGRATE-READY 3600 $src; then
	# What the source was doing: the CI log keeps only check lines.
	vl_detail 30 "$NESTED/console.log"
	vl_detail 10 "$NESTED/qemu.log"
fi
echo "guest ready at $(elapsed)"
qmp '{"execute": "migrate-set-parameters", "arguments": {"downtime-limit": 2000, "max-bandwidth": 4194304}}' \
    "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > $STATE\"}}" \
    wait-migration '{"execute": "quit"}' >"$NESTED/qmp.out" 2>&1
cat "$NESTED/qmp.out"
echo "migration ended at $(elapsed)"
wait $src
src_rc=$?
for f in console qemu strace; do
	[ -f "$NESTED/$f.log" ] && mv "$NESTED/$f.log" "$NESTED/$f-source.log"
done
check "QMP: the migration completed" grep -q '^migration status: completed$' "$NESTED/qmp.out"
same "the source QEMU quit cleanly" $src_rc 0
if [ -f "$NESTED/strace-source.log" ]; then
	check "the source logged dirty pages: VHOST_SET_LOG_BASE succeeded" \
		grep -q 'VHOST_SET_LOG_BASE.*= 0$' "$NESTED/strace-source.log"
	check "the source released the device: VHOST_SCSI_CLEAR_ENDPOINT succeeded" \
		grep -q 'VHOST_SCSI_CLEAR_ENDPOINT.*= 0$' "$NESTED/strace-source.log"
fi

# Tell the guest it runs on the destination: a marker in the disk, which
# it polls, written now that the source is gone.
check "the marker written into the backing file" \
	sh -c "printf '%s' '$MARK' | dd of=$IMG bs=4096 seek=$((MOFF / 4096)) conv=notrunc,sync 2>/dev/null && sync"

# The destination, from the file; the guest powers off when it is done.
# Without a completed migration there is nothing to start from: the
# destination's checks below then fail at once instead of after a stall.
if grep -q '^migration status: completed$' "$NESTED/qmp.out"; then
	nested_boot $W 1800 -incoming "exec:cat $STATE"
	dst_rc=$?
else
	echo "the migration did not complete: the destination is not started"
	dst_rc=1
fi
echo "destination QEMU exited $dst_rc at $(elapsed)"
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
if ! same "the destination QEMU ran the guest to its power-off" $dst_rc 0; then
	vl_detail 40 "$R/nested/console.log"
	vl_detail 10 "$R/nested/qemu.log" "$R/nested/qmp.out"
fi
check "tear down: LUN, nexus, TPG, WWPN, backstore" teardown
check "rmmod $MOD" rmmod "$MOD"
check "LIO core unloads" lio_unload
rm -f $IMG "$STATE"
