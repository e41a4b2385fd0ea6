#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs as the guest's init after the initramfs (tests/vm/initramfs-init) has
# built the root: runs each planned test with a timeout, records its checks
# in /tmp/vl-results/checks, looks at the kernel log, and powers off.
R=/tmp/vl-results
. "$R/plan"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root VL_REPO VL_ABI R
hostname vlguest 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
modprobe configfs && mount -t configfs configfs /sys/kernel/config
mkdir -p /etc/target

echo "guest-init: $VL_ABI, tests: $VL_TESTS"
for t in $VL_TESTS; do
	name=$(basename "$t" .sh)
	echo "guest-init: running $name"
	timeout -k 5 "$VL_TEST_TIMEOUT" sh "$VL_REPO/$t" >"$R/$name.log" 2>&1
	rc=$?
	sed -n "s/^\(PASS\|FAIL\): /\1 $name: /p" "$R/$name.log" >>"$R/checks"
	if [ $rc -eq 124 ]; then
		echo "FAIL $name: timed out after ${VL_TEST_TIMEOUT}s" >>"$R/checks"
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

# Whatever the tests did, the kernel must not have complained.
dmesg >"$R/dmesg.txt"
if grep -E 'BUG:|WARNING:|Oops|KFENCE|corruption|general protection|refcount_t|use-after-free|hung_task|INFO: task' "$R/dmesg.txt" >"$R/dmesg-bad.txt"; then
	echo "FAIL kernel-log: kernel reported problems (see dmesg.txt)" >>"$R/checks"
	cat "$R/dmesg-bad.txt"
else
	echo "PASS kernel-log: no BUG, WARNING, Oops or KFENCE report" >>"$R/checks"
fi
echo ok >"$R/done"
sync
echo o >/proc/sysrq-trigger
sleep 30
