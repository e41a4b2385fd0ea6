# SPDX-License-Identifier: GPL-2.0
# Helpers to boot a nested QEMU guest on vhost_lio from inside the first
# guest (sourced by tests/vm/60-qemu-guest.sh and tests/vm/demo.sh after
# tests/vm/lib.sh).  Nothing runs on the host: the nested initramfs is
# built here, from the host's static busybox, fio and sg3_utils with their
# libraries, and the cached kernel's modules, which the first guest sees at
# / and /lib/modules.

NESTED=${NESTED:-/tmp/nested}
# guest-init.sh exports VL_REPO and VL_ABI; the cached kernel's root is in
# the plan scripts/vm-run.sh wrote.
[ -n "${VL_KROOT:-}" ] || VL_KROOT=$(. "${R:-/tmp/vl-results}/plan" && echo "$VL_KROOT")

# What the nested guest runs besides busybox (dynamically linked).
NESTED_BINS="/usr/bin/fio /usr/bin/sg_inq /usr/bin/sg_readcap /usr/bin/sg_luns"

# nested_initrd: $NESTED/initramfs.cpio: busybox, tests/vm/nested/init,
# guest.sh, demo-guest.sh and migrate-guest.sh, tests/vm/lib.sh, $NESTED_BINS with every
# library ldd names, at the same paths (the stage holds symlinks, cpio -L
# stores the files), and the modules for virtio-pci, 9p over virtio,
# virtio_scsi and sd_mod (decompressed: busybox insmod cannot read .ko.xz)
# in dependency order.  Not compressed: ~90 MB (fio links ceph, gluster,
# rdma...), which the nested kernel copies faster than it could inflate
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
		"$VL_REPO/tests/vm/lib.sh" "$_s/vl/" ||
		return 1
	# shellcheck disable=SC2086
	for _b in $NESTED_BINS; do
		echo "$_b"
		ldd "$_b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	done | sort -u | while read -r _f; do
		mkdir -p "$_s${_f%/*}" && ln -s "$_f" "$_s$_f" || exit 1
	done || return 1
	modprobe -S "$VL_ABI" --show-depends -a virtio_pci 9pnet_virtio 9p \
		virtio_scsi sd_mod >"$NESTED/deps" || return 1
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$NESTED/deps" |
	while read -r _ko; do
		_n=${_ko##*/}
		case $_n in
		*.xz) xz -dc "$_ko" >"$_s/mods/${_n%.xz}" || exit 1; _n=${_n%.xz} ;;
		*.zst) zstd -qdc "$_ko" >"$_s/mods/${_n%.zst}" || exit 1; _n=${_n%.zst} ;;
		*) cp "$_ko" "$_s/mods/$_n" || exit 1 ;;
		esac
		echo "$_n" >>"$_s/mods/order"
	done || return 1
	grep -q '^virtio_scsi\.ko$' "$_s/mods/order" &&
	grep -q '^sd_mod\.ko$' "$_s/mods/order" || return 1
	# -L: the archive holds the files the symlinks above point to.
	(cd "$_s" && find . | cpio -o -H newc -L --quiet) >"$NESTED/initramfs.cpio"
}

# Kernel arguments that only shorten the nested boot (~60 s of guest time
# two levels of TCG down): no crypto self-tests, one legacy UART, no IPv6.
NESTED_BOOTARGS="cryptomgr.notests 8250.nr_uarts=1 ipv6.disable=1"

# nested_kernel: the cached kernel's image (the one the first guest runs).
nested_kernel() {
	for _k in "$VL_KROOT/boot/vmlinuz-$VL_ABI" "$VL_KROOT/../vmlinuz"; do
		[ -f "$_k" ] && { echo "$_k"; return 0; }
	done
	return 1
}

# nested_boot WWPN TIMEOUT [QEMU ARGS...]: boot the nested guest with
# -device vhost-scsi-pci,wwpn=WWPN,num_queues=2 (QEMU opens /dev/vhost-scsi
# itself) and $NESTED/out shared writable over 9p (the plan in, results
# out); console in $NESTED/console.log, QEMU's own output in
# $NESTED/qemu.log; if strace is there, QEMU's ioctls in $NESTED/strace.log.
# $NESTED_VHOST_OPTS, if set, is appended to the -device options.
# Returns QEMU's exit status (124: timed out).
nested_boot() {
	_w=$1 _to=$2
	shift 2
	_k=$(nested_kernel) || { echo "no kernel image under $VL_KROOT"; return 1; }
	_st=
	if command -v strace >/dev/null; then
		_st="strace -f -qq --seccomp-bpf -e trace=ioctl -e signal=none -o $NESTED/strace.log"
	fi
	# shellcheck disable=SC2086
	timeout -k 5 "$_to" $_st qemu-system-x86_64 \
		-accel tcg -cpu max -smp 1 -m 512M -nographic -no-reboot \
		-nic none -serial "file:$NESTED/console.log" -monitor none \
		-kernel "$_k" -initrd "$NESTED/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 rdinit=/init $NESTED_BOOTARGS" \
		-virtfs local,path="$NESTED/out",mount_tag=nout,security_model=none,multidevs=remap \
		-device vhost-scsi-pci,wwpn="$_w",num_queues=2${NESTED_VHOST_OPTS:+,$NESTED_VHOST_OPTS} \
		"$@" </dev/null >"$NESTED/qemu.log" 2>&1
}

# nested_vhost_ioctls: QEMU's ioctls on the vhost-scsi fd, one a line
# ("NAME = RESULT"), from $NESTED/strace.log.
nested_vhost_ioctls() {
	sed -n 's/^[0-9]* *ioctl([0-9]*, \(VHOST_[A-Z_]*\)\(, .*\)\{0,1\}) *= \(.*\)$/\1 = \3/p' \
		"$NESTED/strace.log"
}
