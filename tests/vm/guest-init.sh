#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs as the guest's init after the initramfs (tests/vm/initramfs-init) has
# built the root: runs each planned test under a stall detector, records
# its checks in /tmp/vl-results/checks, looks at the kernel log, and powers
# off.  A test is stopped when neither its log nor its heartbeat
# ($R/<test>.beat, rewritten by the watchers inside it, e.g. around a nested
# QEMU) changed for VL_TEST_STALL seconds, or at VL_TEST_TIMEOUT seconds in
# all; its FAIL line then ends with the last lines of its log.
R=/tmp/vl-results
# shellcheck source=/dev/null
. "$R/plan"
: >"$R/booted"	# vm-run.sh's boot watchdog waits for it
# shellcheck source=scripts/lib-test.sh
. "$VL_REPO/scripts/lib-test.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root VL_REPO VL_ABI R VL_NESTED_STALL
hostname vlguest 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
modprobe configfs && mount -t configfs configfs /sys/kernel/config
mkdir -p /etc/target

# relay NAME: the PASS:/FAIL: lines of test NAME's log as "PASS NAME: ..."
# check lines, each FAIL with the (up to 40) "    | " detail lines after it.
relay() {
	awk -v n="$1" '
	/^(PASS|FAIL): / {
		v = substr($0, 1, 4)
		print v " " n ": " substr($0, 7)
		d = v == "FAIL" ? 40 : 0
		next
	}
	d > 0 && /^    \|/ { print; d--; next }
	{ d = 0 }'
}

unset VL_HEARTBEAT	# ours would feed itself: only the tests beat
echo "guest-init: $VL_ABI, tests: $VL_TESTS"
for t in $VL_TESTS; do
	name=$(basename "$t" .sh)
	echo "guest-init: running $name"
	echo "$name" >"$R/current"
	: >"$R/$name.beat"
	vl_watch "$name" "$VL_TEST_STALL" \
		"$VL_TEST_TIMEOUT" "$R/$name.log $R/$name.beat" \
		env VL_HEARTBEAT="$R/$name.beat" sh "$VL_REPO/$t" >"$R/$name.log" 2>&1
	rc=$?
	relay "$name" <"$R/$name.log" >>"$R/checks"
	if [ $rc -eq 124 ]; then
		echo "FAIL $name: $VL_WATCH_WHY" >>"$R/checks"
		vl_detail 25 "$R/$name.log" >>"$R/checks"
	elif [ $rc -ne 0 ] && ! grep -q '^FAIL:' "$R/$name.log"; then
		echo "FAIL $name: exited $rc without a failed check" >>"$R/checks"
	elif ! grep -q '^\(PASS\|FAIL\):' "$R/$name.log"; then
		if grep -q '^SKIP:' "$R/$name.log"; then
			sed -n "s/^SKIP: /SKIP $name: /p" "$R/$name.log" >>"$R/checks"
		else
			echo "FAIL $name: made no checks" >>"$R/checks"
		fi
	fi
done

# On a kernel with kmemleak (the debug kernel), nothing may be left
# unreferenced: two scans, as kmemleak reports an object only when it was
# seen unreferenced twice.
K=/sys/kernel/debug/kmemleak
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -w "$K" ]; then
	echo "kernel-kmemleak" >"$R/current"
	echo scan >"$K"; sleep 6; echo scan >"$K"
	cat "$K" >"$R/kmemleak.txt"
	leaks=$(grep -c '^unreferenced object' "$R/kmemleak.txt")
	if [ "$leaks" -gt 0 ]; then
		echo "FAIL kernel-kmemleak: $leaks unreferenced objects (see kmemleak.txt)" >>"$R/checks"
		head -n 40 "$R/kmemleak.txt"
	else
		echo "PASS kernel-kmemleak: no unreferenced object after two scans" >>"$R/checks"
	fi
fi

# Whatever the tests did, the kernel must not have complained.  (SLUB's
# own reports read "BUG kmalloc-64 (Not tainted): ...", with no colon.)
echo "kernel-log" >"$R/current"
dmesg >"$R/dmesg.txt"
if grep -E 'BUG:|BUG [^ ]+ \(|WARNING:|Oops|KFENCE|corruption|general protection|refcount_t|use-after-free|hung_task|INFO: task' "$R/dmesg.txt" >"$R/dmesg-bad.txt"; then
	echo "FAIL kernel-log: kernel reported problems (see dmesg.txt)" >>"$R/checks"
	cat "$R/dmesg-bad.txt"
else
	echo "PASS kernel-log: no BUG, WARNING, Oops or KFENCE report" >>"$R/checks"
fi
echo ok >"$R/done"
sync
echo o >/proc/sysrq-trigger
sleep 30
