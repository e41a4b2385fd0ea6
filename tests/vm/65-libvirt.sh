#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# libvirt, the way most people start VMs: Debian's libvirtd (started by
# hand, no systemd) runs a nested QEMU domain (TCG, direct kernel boot of
# the same Debian kernel and a busybox initramfs) with
#   <hostdev mode='subsystem' type='scsi_host'>
#     <source protocol='vhost' wwpn='naa...'/></hostdev>
# on a vhost_lio WWPN (libvirt opens /dev/vhost-scsi and hands QEMU the fd:
# vhostfd=).  The domain boots twice (tests/vm/nested/libvirt-guest.sh):
#  1. it writes a pattern, drops its page cache, reads it back and
#     compares, then keeps reads in flight: `virsh destroy`; the domain is
#     "shut off (destroyed)", and the TPG is free: vl-guest attaches to it
#     afresh and does verified I/O;
#  2. pattern 1 is still there, a second pattern the same way, then busybox
#     acpid waits for the power button: `virsh shutdown --mode acpi`; the
#     guest powers itself off ("shut off (shutdown)"); both patterns are in
#     the backing file, the configuration comes apart (the TPG is free) and
#     vhost_lio unloads.
# What libvirtd needs without systemd is in lv_config (and the admin guide).
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

W=naa.5001405000000065          # the vhost WWPN of the hostdev
I=naa.5001405000000066          # its nexus
V=$CFS/$VL_FABRIC
T=$V/$W/tpgt_1
IMG=/tmp/lv-disk.img
SIZE=33554432                   # fileio, 32 MiB
BS=$CFS/core/fileio_65/lvdisk
OFF1=$((8 * 1048576))           # the patterns (vl-guest's rw step
OFF2=$((12 * 1048576))          # writes LBA 1 and the last LBAs)
PLEN=262144
DOM=vl65
LV=/tmp/lv                      # libvirtd's config, logs, the domain XML
QLOG=/var/log/libvirt/qemu/$DOM.log
PIDF=/run/libvirt/qemu/$DOM.pid
export LIBVIRT_DEFAULT_URI=qemu:///system

t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - t_start ))s; }

command -v libvirtd >/dev/null && command -v virsh >/dev/null ||
	skip "no libvirtd or virsh (scripts/install-deps.sh installs libvirt-daemon, libvirt-clients)"

config() {
	bs_fileio 65 lvdisk $IMG $SIZE &&
	mkdir -p $V/$W && mkdir $T &&
	lun_link $T 0 $BS &&
	put $T/nexus $I
}

# Whatever state a failure left, take it all down (no checks).
cleanup() {
	virsh destroy $DOM >/dev/null 2>&1
	virsh undefine $DOM >/dev/null 2>&1
	[ -n "${lvpid:-}" ] && kill "$lvpid" 2>/dev/null && wait "$lvpid" 2>/dev/null
	rm -f $T/lun/lun_0/port0 2>/dev/null
	rmdir $T/lun/lun_0 2>/dev/null
	put $T/nexus NULL 2>/dev/null
	rmdir $T $V/$W $V 2>/dev/null
	bs_remove $BS 2>/dev/null
}

# lv_config: libvirtd's and its QEMU driver's configuration for a root
# without systemd, polkit, cgroups or virtlogd (the test VM: its /etc,
# /var and /run are private tmpfs overlays, so libvirt's usual paths are
# ours alone).
lv_config() {
	# libvirtd resolves its built-in QEMU user and group (libvirt-qemu,
	# made by libvirt-daemon-system's postinst) before it reads
	# qemu.conf, and stops if they do not exist.
	{ grep -q '^libvirt-qemu:' /etc/group ||
		echo 'libvirt-qemu:x:64055:' >>/etc/group; } &&
	{ grep -q '^libvirt-qemu:' /etc/passwd ||
		echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >>/etc/passwd; } &&
	mkdir -p /etc/libvirt $LV /var/log/libvirt/qemu &&
	cat >$LV/libvirtd.conf <<-EOF &&
	# no polkitd: root's socket needs no authentication
	auth_unix_rw = "none"
	auth_unix_ro = "none"
	log_outputs = "3:file:$LV/libvirtd.log"
	EOF
	cat >/etc/libvirt/qemu.conf <<-EOF
	# QEMU runs as root (it opens nothing itself: libvirt passes the
	# vhost-scsi fd), and nothing is relabelled or chowned: the kernel
	# image is on the read-only 9p root.
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	# no cgroup controllers mounted, no systemd-machined
	cgroup_controllers = [ ]
	# no private /dev mount namespace for QEMU
	namespaces = [ ]
	# no virtlogd: QEMU's output goes straight to $QLOG
	stdio_handler = "file"
	EOF
}

# lv_wait: until libvirtd answers (it probes QEMU's capabilities first).
lv_wait() {
	n=0
	until virsh version >$LV/version 2>&1; do
		kill -0 "$lvpid" 2>/dev/null || { echo "libvirtd exited"; return 1; }
		[ $n -ge 300 ] && { echo "libvirtd not answering after ${n}s"; return 1; }
		sleep 1
		n=$((n + 1))
	done
	cat $LV/version
}

# lv_domain_xml: the domain (direct kernel boot, the hostdev, the results
# share over 9p, the console in a file; on_poweroff destroy: a guest's
# power-off ends QEMU).  libvirt has no attribute for the vhost-scsi
# device's num_queues or migratable: <qemu:override> (libvirt >= 8.2) sets
# them on the device libvirt names hostdev0.
lv_domain_xml() {
	cat <<-EOF
	<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
	  <name>$DOM</name>
	  <memory unit='MiB'>256</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$(nested_kernel)</kernel>
	    <initrd>$NESTED/initramfs.cpio</initrd>
	    <cmdline>console=ttyS0 panic=-1 oops=panic loglevel=6 rdinit=/init $NESTED_BOOTARGS</cmdline>
	  </os>
	  <features><acpi/></features>
	  <cpu mode='maximum'/>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <hostdev mode='subsystem' type='scsi_host'>
	      <source protocol='vhost' wwpn='$W'/>
	    </hostdev>
	    <filesystem type='mount' accessmode='passthrough'>
	      <source dir='$NESTED/out'/>
	      <target dir='nout'/>
	    </filesystem>
	    <serial type='file'>
	      <source path='$NESTED/console.log'/>
	      <target port='0'/>
	    </serial>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	  </devices>
	  <qemu:override>
	    <qemu:device alias='hostdev0'>
	      <qemu:frontend>
	        <qemu:property name='num_queues' type='unsigned' value='2'/>
	        <qemu:property name='migratable' type='bool' value='true'/>
	      </qemu:frontend>
	    </qemu:device>
	  </qemu:override>
	</domain>
	EOF
}

# lv_initrd: the nested initramfs: busybox, tests/vm/nested/init,
# libvirt-guest.sh with its common.sh and tests/vm/lib.sh, and the modules for virtio-pci, 9p,
# virtio_scsi, sd_mod, the ACPI power button and its event device.
lv_initrd() {
	_s=$NESTED/initramfs
	rm -rf "$_s"
	mkdir -p "$_s/bin" "$_s/mods" "$_s/vl" "$_s/proc" "$_s/sys" "$_s/dev" \
		"$_s/tmp" "$_s/out" "$_s/etc" &&
	cp /bin/busybox "$_s/bin/busybox" &&
	cp "$VL_REPO/tests/vm/nested/init" "$_s/init" && chmod +x "$_s/init" &&
	cp "$VL_REPO/tests/vm/nested/libvirt-guest.sh" "$VL_REPO/tests/vm/nested/common.sh" \
		"$VL_REPO/tests/vm/lib.sh" "$_s/vl/" &&
	vl_collect_mods "$_s/mods" "$VL_NESTED_KROOT" "$VL_NESTED_ABI" virtio_pci \
		9pnet_virtio 9p virtio_scsi sd_mod evdev button &&
	(cd "$_s" && find . | cpio -o -H newc --quiet) >"$NESTED/initramfs.cpio"
}

# plan MODE: the nested guest's plan for this boot; its results cleared.
plan() {
	rm -f "$NESTED/out/ready" "$NESTED/out/done" "$NESTED/out/nested.log" \
		"$NESTED/out/acpi" "$NESTED/console.log"
	{
		printf 'VL_REPO=%s\nNSCRIPT=libvirt-guest.sh\nNMODE=%s\n' "$VL_REPO" "$1"
		printf 'NSIZE=%s\nNOFF1=%s\nNOFF2=%s\n' $SIZE $OFF1 $OFF2
	} >"$NESTED/out/plan"
}

qemu_pid() { cat $PIDF 2>/dev/null; }

# wait_ready: until the nested guest wrote out/ready (fails if QEMU ends
# first); wait_gone: until QEMU has ended.  Both under vl_watch: stopped
# when nothing in $NESTED (its console, out/) changes for NESTED_STALL s.
wait_ready() {
	vl_watch "domain $DOM ($1)" "$NESTED_STALL" 1800 "$NESTED" sh -c "
		while [ ! -e $NESTED/out/ready ]; do
			p=\$(cat $PIDF 2>/dev/null)
			[ -n \"\$p\" ] && kill -0 \"\$p\" 2>/dev/null ||
				{ echo 'QEMU ended before the guest was ready'; exit 1; }
			sleep 1
		done"
}
wait_gone() {
	_p=$(qemu_pid)
	vl_watch "domain $DOM ($1)" "$NESTED_STALL" 1800 "$NESTED" sh -c "
		while [ -n '$_p' ] && kill -0 '$_p' 2>/dev/null; do sleep 1; done"
}

# after_boot MODE: keep what the nested guest left, relay its checks.
after_boot() {
	rm -rf "$R/libvirt-$1"
	cp -r "$NESTED/out" "$R/libvirt-$1"
	cp "$NESTED/console.log" "$QLOG" "$R/libvirt-$1/" 2>/dev/null
	nested_relay_checks "$1"
	mv "$NESTED/out/nested.log" "$NESTED/out/nested-$1.log" 2>/dev/null
}

# show WHAT CMD...: check, showing CMD's output when it passes too.
# shellcheck disable=SC2154 # _out: tests/vm/lib.sh's check output
show() { check "$@"; sed 's/^/    /' "$_out"; }

rm -rf "$NESTED" $LV
mkdir -p "$NESTED/out" $LV
# libvirtd first: it probes QEMU while the rest is set up.
check "libvirt configuration (libvirtd.conf, qemu.conf)" lv_config
libvirtd --config $LV/libvirtd.conf >$LV/libvirtd.out 2>&1 &
lvpid=$!
check "load target_core_mod, target_core_file" sh -c "modprobe target_core_mod && modprobe target_core_file"
check "load vhost_lio" vl_load
check "configfs: $W tpgt_1 (fileio LUN 0), nexus" config

check "nested initramfs: busybox, the $VL_NESTED_ABI modules" lv_initrd
ls -l "$NESTED/initramfs.cpio"
head -c $PLEN /dev/urandom >"$NESTED/out/pattern1"
head -c $PLEN /dev/urandom >"$NESTED/out/pattern2"

# bail: what follows needs what just failed: show libvirtd's log, take
# everything down, stop.
bail() {
	echo "--- libvirtd's log"
	cat $LV/libvirtd.out $LV/libvirtd.log 2>/dev/null | tail -n 30
	vl_detail 30 "$QLOG" "$NESTED/console.log"
	cleanup
	rmmod vhost_lio
	lio_unload
	exit 1
}
if lv_wait >$LV/wait.out 2>&1; then
	pass "libvirtd (started by hand) answers virsh"
	cat $LV/wait.out
else
	fail "libvirtd (started by hand) answers virsh"
	vl_detail $LV/wait.out
	bail
fi
echo "libvirtd up at $(elapsed)"
lv_domain_xml >$LV/$DOM.xml
cat $LV/$DOM.xml
virsh define $LV/$DOM.xml >$LV/define.out 2>&1 || { fail "virsh define"; vl_detail $LV/define.out; bail; }
pass "virsh define"

# ---- boot 1: verified I/O, then virsh destroy with reads in flight ----
plan destroy
virsh start $DOM >$LV/start.out 2>&1 || { fail "virsh start (boot 1)"; vl_detail $LV/start.out; bail; }
pass "virsh start (boot 1)"
echo "boot 1 started at $(elapsed)"
show "libvirt's QEMU command line has vhost-scsi-pci with wwpn=$W and a vhostfd" \
	sh -c "grep -o '[^ ]*vhost-scsi-pci[^ ]*' $QLOG | grep '$W' | grep vhostfd"
show "libvirt's QEMU has /dev/vhost-scsi open" \
	sh -c "ls -l /proc/$(qemu_pid)/fd | grep /dev/vhost-scsi"
# qom_get PROP: the hostdev's QEMU property, as QMP returns it.
qom_get() {
	virsh qemu-monitor-command $DOM \
		"{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/hostdev0\",\"property\":\"$1\"}}" |
		sed -n 's/.*"return": *\([^,}]*\).*/\1/p'
}
same "<qemu:override>: the hostdev's num_queues (QMP qom-get)" "$(qom_get num_queues)" 2
same "<qemu:override>: the hostdev's migratable (QMP qom-get)" "$(qom_get migratable)" true
wait_ready destroy
rc=$?
[ $rc -eq 124 ] && fail "$VL_WATCH_WHY"
same "boot 1: the nested guest is ready (its I/O checked, reads in flight)" $rc 0
[ $rc -eq 0 ] || { nested_relay_checks destroy; bail; }
echo "boot 1 ready at $(elapsed)"
check "virsh destroy" virsh destroy $DOM
wait_gone destroy
same "virsh domstate --reason after destroy" \
	"$(virsh domstate --reason $DOM 2>&1)" "shut off (destroyed)"
after_boot destroy
check "pattern 1 is in the backing file" \
	sh -c "dd if=$IMG bs=4096 skip=$((OFF1 / 4096)) count=$((PLEN / 4096)) 2>/dev/null |
	       cmp - $NESTED/out/pattern1"

# The TPG is free again: a new device attaches to it and does verified I/O.
"$VLG" --wwpn $W --target 1 --lun 0 --expect-luns 0 --only rw \
	--label "[after virsh destroy] " suite >$LV/vlg.out 2>&1
rc=$?
cat $LV/vlg.out
same "[after virsh destroy] vl-guest on the same TPG: exit status" $rc 0

# ---- boot 2: pattern 1 still there, pattern 2, then virsh shutdown ----
plan shutdown
virsh start $DOM >$LV/start.out 2>&1 || { fail "virsh start (boot 2)"; vl_detail $LV/start.out; bail; }
pass "virsh start (boot 2)"
echo "boot 2 started at $(elapsed)"
wait_ready shutdown
rc=$?
[ $rc -eq 124 ] && fail "$VL_WATCH_WHY"
same "boot 2: the nested guest is ready (waiting for the power button)" $rc 0
[ $rc -eq 0 ] || { nested_relay_checks shutdown; bail; }
echo "boot 2 ready at $(elapsed)"
check "virsh shutdown --mode acpi" virsh shutdown --mode acpi $DOM
wait_gone shutdown
rc=$?
[ $rc -eq 124 ] && { fail "$VL_WATCH_WHY"; vl_detail 20 "$NESTED/console.log"; }
same "the guest powered itself off after the ACPI power button" \
	"$(cat "$NESTED/out/acpi" 2>/dev/null)" "power button"
same "virsh domstate --reason after shutdown" \
	"$(virsh domstate --reason $DOM 2>&1)" "shut off (shutdown)"
after_boot shutdown
for i in 1 2; do
	off=$OFF1
	[ $i = 1 ] || off=$OFF2
	check "pattern $i is in the backing file" \
		sh -c "dd if=$IMG bs=4096 skip=$((off / 4096)) count=$((PLEN / 4096)) 2>/dev/null |
		       cmp - $NESTED/out/pattern$i"
done
check "virsh undefine" virsh undefine $DOM
echo "--- libvirtd's log"
cat $LV/libvirtd.out $LV/libvirtd.log 2>/dev/null | tail -n 30
kill "$lvpid" && wait "$lvpid"
lvpid=

# Nothing holds the TPG any more: the configuration comes apart.
unlink_lun() { lun_unlink $T 0 && put $T/nexus NULL; }
check "unlink the LUN and drop the nexus" unlink_lun
check "remove tpgt_1 (free after virsh shutdown)" rmdir $T
check "remove the WWPN and the fabric directory" rmdir $V/$W $V
check "remove the backstore" bs_remove $BS
cleanup
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
rm -f $IMG
echo "test done at $(elapsed)"
