#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of the cached Debian kernels under qemu (TCG), with this machine's
# root shared read-only over 9p, and run a batch of VM test scripts inside.
#
# Usage: scripts/vm-run.sh [-k 6.1|6.12] [-t SECONDS] [-m MEM] [-o DIR] TEST...
#   TEST      paths of scripts under tests/vm/, run in the order given
#   -k        kernel series (default 6.12); the ABI comes from fetch-kernels.sh
#   -t        whole-boot timeout in seconds (default 1500)
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
# Exit status: 0 if every check passed and the guest powered off in time.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
series=6.12 timeout=1500 mem=3G out=

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

read -r abi kdir < <("$top/scripts/fetch-kernels.sh" "$series" | tail -n 1)
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
	modprobe -d "$kroot" -S "$abi" --show-depends -a \
		virtio_pci 9pnet_virtio 9p overlay 2>/dev/null |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r ko; do
		name=$(basename "$ko")
		case $name in
		*.xz) xz -dc "$ko" >"$stage/mods/${name%.xz}"; name=${name%.xz} ;;
		*.zst) zstd -qdc "$ko" >"$stage/mods/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$ko" "$stage/mods/$name" ;;
		esac
		echo "$name" >>"$stage/mods/order"
	done
	cp "$top/tests/vm/initramfs-init" "$stage/init"
	chmod +x "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
}
if [ ! -f "$initrd" ] || [ "$top/tests/vm/initramfs-init" -nt "$initrd" ] ||
   [ "$0" -nt "$initrd" ]; then
	mkinitrd || { echo "vm-run: initramfs build failed" >&2; exit 2; }
fi

# The plan the guest reads: shell assignments only.
{
	printf 'VL_REPO=%q\n' "$top"
	printf 'VL_ABI=%q\n' "$abi"
	printf 'VL_KROOT=%q\n' "$kroot"
	printf 'VL_TESTS=%q\n' "$*"
	printf 'VL_TEST_TIMEOUT=%q\n' "${VL_TEST_TIMEOUT:-600}"
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
start=$(date +%s)
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 2 -m "$mem" -nographic -no-reboot \
	-nic none -serial "file:$out/console.log" -monitor none \
	-kernel "$top/.cache/kernels/$abi/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 secretmem.enable=1 rdinit=/init" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$out",mount_tag=results,security_model=none,multidevs=remap \
	</dev/null >"$out/qemu.log" 2>&1
rc=$?
echo "vm-run: $abi finished in $(( $(date +%s) - start ))s (qemu exit $rc)"

if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL vm-$abi: guest timed out after ${timeout}s" >>"$out/checks"
elif [ ! -f "$out/done" ]; then
	echo "FAIL vm-$abi: guest did not finish its plan (see $out/console.log)" >>"$out/checks"
fi
touch "$out/checks"
cat "$out/checks"
! grep -q '^FAIL' "$out/checks"
