#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of the cached Debian kernels under qemu (TCG), with this machine's
# root shared read-only over 9p, and run a batch of VM test scripts inside.
#
# Usage: scripts/vm-run.sh [-k 6.1|6.12] [-t SECONDS] [-m MEM] [-o DIR] TEST...
#   TEST      paths of scripts under tests/vm/, run in the order given
#   -k        kernel series (default 6.12); the ABI comes from fetch-kernels.sh
#   -t        whole-boot ceiling in seconds, a last resort (default: 1800
#             per test); the boot is stopped sooner if it stalls: no new
#             console output and no result file changed for VL_VM_STALL
#             seconds (default 900, longer than a test's own stall limit)
#   -m        guest memory (default 3G)
#   -o        results directory (default results/<abi>)
#
# The guest sees the host's / read-only with tmpfs overlays on /etc, /var,
# /root, /usr/lib (so /lib/modules can hold the cached kernel's modules),
# /tmp and /run, and the results directory writable at /tmp/vl-results.
# The module built for this kernel (build/<abi>/drivers/vhost_lio.ko) is
# installed in the guest's /lib/modules/<abi>/updates/ and indexed.
# tests/vm/guest-init.sh loads nothing by itself; each test does.  Results:
#   DIR/console.log      the serial console
#   DIR/<test>.log       each test's output
#   DIR/checks           "PASS <test>: <what>" / "FAIL <test>: <what>" lines
#   DIR/current          the test running (or last run)
#   DIR/booted           written by guest-init.sh when it starts
# A timeout or stall is a FAIL line in DIR/checks naming the test that was
# running, followed by "    | " lines: the end of its log and of the console.
# A boot that does not reach guest-init.sh within VL_BOOT_WAIT (600) s is
# retried once (VL_BOOT_TRIES=2).
# VL_SAFETY_* and VL_MALFORMED_* variables (knobs of tests 55 and 56) are
# passed on to the tests.
# Per test (tests/vm/guest-init.sh): VL_TEST_STALL (600) seconds without
# output, VL_TEST_TIMEOUT (3600) seconds in all; per nested QEMU (tests
# 60, 70, the demo): VL_NESTED_STALL (300) seconds without output.
# Exit status: 0 if every check passed and the guest powered off in time.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib-test.sh
. "$top/scripts/lib-test.sh"
series=6.12 timeout='' mem=3G out=''

while getopts k:t:m:o: opt; do
	case $opt in
	k) series=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "vm-run: no tests given" >&2; exit 2; }

# Never two guests at once on this machine: wait for any other run (before
# touching the results directory, which another run may be using).
exec 9>"${TMPDIR:-/tmp}/vhost-lio-vm.lock"
flock 9

read -r abi _ < <("$top/scripts/fetch-kernels.sh" "$series" | tail -n 1)
[ -n "${abi:-}" ] || { echo "vm-run: no kernel for $series" >&2; exit 2; }
kroot=$(readlink -f "$top/.cache/kernels/$abi/root")
out=${out:-$top/results/$abi}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

for t in "$@"; do
	[ -f "$top/$t" ] || { echo "vm-run: no such test $t" >&2; exit 2; }
done

# The initramfs: static busybox, the modules needed to mount the 9p root
# (decompressed: busybox insmod cannot read .ko.xz), and our /init.
initrd=$top/.cache/initramfs-$abi.cpio.gz
mkinitrd() {
	local stage=$top/.cache/initramfs-$abi
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,mods,proc,sys,dev,newroot,ovl}
	cp /bin/busybox "$stage/bin/busybox"
	vl_collect_mods "$stage/mods" "$kroot" "$abi" \
		virtio_pci 9pnet_virtio 9p overlay || return 1
	cp "$top/tests/vm/initramfs-init" "$stage/init"
	chmod +x "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
}
if [ ! -f "$initrd" ] || [ "$top/tests/vm/initramfs-init" -nt "$initrd" ] ||
   [ "$0" -nt "$initrd" ] || [ "$top/scripts/lib-test.sh" -nt "$initrd" ]; then
	mkinitrd || { echo "vm-run: initramfs build failed" >&2; exit 2; }
fi

# The nested guests (tests 60, 70, the demo) boot the same kernel, but for
# the debug build the stock kernel of its series: the host side, where
# vhost_lio runs, is what the debug kernel is for, and a KASAN kernel two
# levels of TCG down was still booting after 9 minutes.
nabi=$abi nkroot=$kroot
case $abi in
*-debug)
	read -r nabi _ < <("$top/scripts/fetch-kernels.sh" "${series%-debug}" | tail -n 1)
	[ -n "${nabi:-}" ] || { echo "vm-run: no ${series%-debug} kernel for the nested guests" >&2; exit 2; }
	nkroot=$(readlink -f "$top/.cache/kernels/$nabi/root") ;;
esac

# The plan the guest reads: shell assignments only.
{
	printf 'VL_REPO=%q\n' "$top"
	printf 'VL_ABI=%q\n' "$abi"
	printf 'VL_KROOT=%q\n' "$kroot"
	printf 'VL_NESTED_ABI=%q\n' "$nabi"
	printf 'VL_NESTED_KROOT=%q\n' "$nkroot"
	printf 'VL_TESTS=%q\n' "$*"
	printf 'VL_TEST_TIMEOUT=%q\n' "${VL_TEST_TIMEOUT:-3600}"
	printf 'VL_TEST_STALL=%q\n' "${VL_TEST_STALL:-600}"
	printf 'VL_NESTED_STALL=%q\n' "${VL_NESTED_STALL:-300}"
	# Knobs of single tests (VL_SAFETY_DELAY_MS of test 55, VL_TMF_DELAY_MS
	# of test 57, VL_MIGRATE_MODULE of test 70...), passed on.
	for v in $(compgen -e | grep -E '^VL_(SAFETY|MALFORMED|TMF|MIGRATE)_'); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
} >"$out/plan"

# Our freshly built module goes into the cached kernel's updates/ and the
# host indexes it (depmod in a TCG guest takes a minute; here, seconds), so
# "modprobe vhost_lio" and rtslib's "modprobe tcm_vhost" find it in the guest.
moddir=$kroot/lib/modules/$abi
rm -f "$moddir/updates/vhost_lio.ko"
if [ -f "$top/build/$abi/drivers/vhost_lio.ko" ]; then
	mkdir -p "$moddir/updates"
	cp "$top/build/$abi/drivers/vhost_lio.ko" "$moddir/updates/"
fi
depmod -b "$kroot" "$abi" || { echo "vm-run: depmod failed" >&2; exit 2; }

echo "vm-run: booting $abi for: $*"
timeout=${timeout:-$((1800 * $#))}
stall=${VL_VM_STALL:-900}
unset VL_HEARTBEAT
boot() {
	vl_watch "vm-$abi" "$stall" "$timeout" "$out" qemu-system-x86_64 \
		-accel tcg -cpu "${VL_VM_CPU:-max}" -smp 2 -m "$mem" -nographic -no-reboot \
		-nic none -serial "file:$out/console.log" -monitor none \
		-kernel "$top/.cache/kernels/$abi/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 secretmem.enable=1 rdinit=/init" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$out",mount_tag=results,security_model=none,multidevs=remap \
		</dev/null >"$out/qemu.log" 2>&1
}
# A boot that never reaches guest-init.sh (it writes DIR/booted first
# thing) within VL_BOOT_WAIT (600) s is a hung boot: TCG guests very
# rarely hang in early boot (seen once: "rcu_preempt kthread timer wakeup
# didn't happen", no init after 8 min), before any of our code runs.  It
# is retried, up to VL_BOOT_TRIES (2) boots in all; the hung boot's
# console is kept as console-hung-N.log.
start=$(date +%s) try=1
while :; do
	VL_WATCH_READY="$out/booted ${VL_BOOT_WAIT:-600}" boot
	rc=$?
	[ $rc -eq 125 ] && [ "$try" -lt "${VL_BOOT_TRIES:-2}" ] || break
	echo "vm-run: $VL_WATCH_WHY: boot $try hung, booting again"
	mv "$out/console.log" "$out/console-hung-$try.log"
	try=$((try + 1))
done
echo "vm-run: $abi finished in $(( $(date +%s) - start ))s (qemu exit $rc, boot $try)"

# What the guest was doing: the test it ran last, the end of that test's
# log and of the console.
doing() {
	local t
	t=$(cat "$out/current" 2>/dev/null)
	echo "    | running: ${t:-(no test started)}"
	[ -n "$t" ] && vl_detail 15 "$out/$t.log"
	vl_detail 15 "$out/console.log" "$out/qemu.log"
}
if [ $rc -eq 125 ]; then
	echo "FAIL vm-$abi: $VL_WATCH_WHY: the guest did not reach guest-init.sh in $try boots" >>"$out/checks"
	doing >>"$out/checks"
elif [ $rc -eq 124 ]; then
	echo "FAIL vm-$abi: $VL_WATCH_WHY, while running $(cat "$out/current" 2>/dev/null || echo its set-up)" >>"$out/checks"
	doing >>"$out/checks"
elif [ ! -f "$out/done" ]; then
	echo "FAIL vm-$abi: guest did not finish its plan (qemu exit $rc; see $out/console.log)" >>"$out/checks"
	doing >>"$out/checks"
fi
touch "$out/checks"
cat "$out/checks"
! grep -q '^FAIL' "$out/checks"
