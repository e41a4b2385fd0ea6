#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The documentation's command blocks, as written: the ```sh blocks of
# README.md and Documentation/admin-guide.md marked `<!-- doc-test: NAME -->`
# are taken out of the files (scripts/doc-blocks.sh) and run with `sh -e`
# as root, in the source tree (where a newcomer types them), in the order
# a reader follows them; those marked `syntax` only get `sh -n`.  After
# each block the test checks what the text promises: the configfs tree
# and nexus, verified I/O by the fake guest on the LUN, the per-LUN
# limit, and after the teardown blocks that vhost_lio is gone and LIO core
# unloads.  Every marked block must be run here, and every unmarked ```sh
# block must be listed (by its first line) in Documentation/testing.md.
. "$VL_REPO/tests/vm/lib.sh"

DB=$VL_REPO/scripts/doc-blocks.sh
README=README.md
GUIDE=Documentation/admin-guide.md
W=naa.5001405c7cf84d6a
T=$CFS/vhost/$W/tpgt_1
IMG=/var/lib/disk0.img
RAN=

# targetcli's clearconfig-free blocks still list every fabric, and the
# guide's targetcli block ends with saveconfig, which goes through the
# iSCSI fabric: the debug kernel (no INET) has no iscsi_target_mod.
modinfo iscsi_target_mod >/dev/null 2>&1 ||
	skip "no iscsi_target_mod in this kernel: targetcli saveconfig needs it"
[ -x "$VLG" ] || { fail "tests/guest/vl-guest is built (make -C tests/guest on the host)"; exit 1; }

# block FILE NAME: run block NAME of FILE as written (its mode from the
# marker): shown, then run by sh -ex in the source tree, one check.  The
# only thing added before it: a `sudo` that runs its arguments, for
# root on a machine without sudo (the test VM).
block() {
	_mode=$("$DB" list "$VL_REPO/$1" | awk -v n="$2" '$1 == n { print $2 }')
	RAN="$RAN $2"
	_s=/tmp/doc-$2.sh
	{
		echo 'command -v sudo >/dev/null 2>&1 || sudo() { "$@"; }'
		"$DB" get "$VL_REPO/$1" "$2"
	} >"$_s" || { fail "$1: block $2 not found"; return 1; }
	echo "---- $1, block $2 ($_mode):"
	sed '1d; s/^/    $ /' "$_s"
	case $_mode in
	syntax) check "$1: block $2 parses (sh -n)" sh -n "$_s" ;;
	run) check "$1: block $2 runs as written" sh -c "cd '$VL_REPO' && sh -ex '$_s'" ;;
	*) fail "$1: block $2 has a marker (mode '$_mode')"; return 1 ;;
	esac
}

# gone WHAT: after a teardown block, nothing of it is left, vhost_lio is
# not loaded and LIO core unloads.
gone() {
	same "$1: no WWPN left" "$(count_wwpns $CFS/vhost)" 0
	same "$1: vhost_lio unloaded" "$(grep -c '^vhost_lio ' /proc/modules)" 0
	check "$1: $IMG removed" test ! -e $IMG
	check "$1: LIO core unloads" lio_unload
}

# scrub: best effort, silent: whatever a failed block left (a no-op after a
# clean teardown), so the next section starts from nothing.
scrub() {
	{
		rm -f "$T"/lun/lun_0/*
		rmdir "$T/lun/lun_0"
		[ -s $T/nexus ] && put $T/nexus NULL
		rmdir "$T" "$CFS/vhost/$W" "$CFS/vhost"
		rmdir "$CFS"/core/fileio_*/disk0 "$CFS"/core/fileio_*
		rmmod vhost_lio
		grep -q '^target_core_mod ' /proc/modules && lio_unload
		rm -f $IMG
	} >/dev/null 2>&1
	return 0
}

same "nothing of LIO or vhost loaded at the start" \
	"$(grep -c -e '^target_core_' -e '^vhost_lio ' -e '^vhost_scsi ' /proc/modules)" 0
check "start a D-Bus system bus for targetcli" start_dbus
rm -f $IMG

# ---- README: build, load with insmod, export with targetcli ----
# The module was built on the host for this kernel (build/<abi>/), as the
# build block does on a real host.
block $README readme-build
block $README readme-export && vlg_exported readme $W ""
block $GUIDE guide-teardown
gone "README + guide teardown"
scrub

# ---- admin guide: install, load, targetcli, queue depth, teardown ----
# scripts/vm-run.sh put the module in updates/ and ran depmod: what
# `make install` does, but for the alias file, installed here as it does.
block $GUIDE guide-build
check "install the modprobe.d alias file (as make install does)" vl_alias_conf
block $GUIDE guide-load
same "guide-load: vhost_lio loaded" "$(grep -c '^vhost_lio ' /proc/modules)" 1
check "guide-load: /dev/vhost-scsi exists" test -c /dev/vhost-scsi
same "guide-load: modprobe resolves tcm_vhost to vhost_lio (the alias file)" \
	"$(modprobe -R tcm_vhost 2>&1)" vhost_lio
block $GUIDE guide-targetcli && vlg_exported guide-targetcli $W ""
if block $GUIDE guide-queue-depth; then
	same "guide-queue-depth: attrib/lun_queue_depth reads back" \
		"$(cat $T/attrib/lun_queue_depth)" 0:4
	same "guide-queue-depth: lun_stats gives LUN 0 the limit 4" \
		"$(sed -n 's/^lun_0 .*\(limit=[0-9]*\).*/\1/p' $T/lun_stats)" limit=4
	vlg_exported guide-queue-depth $W ""
fi
block $GUIDE guide-teardown
gone "guide teardown"
scrub

# ---- admin guide: beside the in-tree module ----
# vlg_config (lib.sh): fileio LUN 0 and rd_mcp LUN 1 under the fabric the
# block made, with a nexus; the fake guest's verified I/O through
# /dev/vhost-lio; beside_down takes them down, leaving the fabric
# directory to the teardown block.
BW=naa.5001405000000251
beside_down() {
	_t=$CFS/vlio/$BW/tpgt_1
	rm -f "$_t/lun/lun_0/port0" "$_t/lun/lun_1/port1"
	rmdir "$_t/lun/lun_0" "$_t/lun/lun_1"
	put "$_t/nexus" NULL
	rmdir "$_t" "$CFS/vlio/$BW"
	bs_remove $CFS/core/fileio_7/vlg_file
	bs_remove $CFS/core/rd_mcp_7/vlg_ram
	rm -f "$VLG_IMG"
	[ ! -e "$CFS/vlio/$BW" ] && [ ! -e $CFS/core/fileio_7 ] && [ ! -e $CFS/core/rd_mcp_7 ]
}
if block $GUIDE guide-beside; then
	same "guide-beside: vhost_scsi and vhost_lio loaded" \
		"$(grep -c -e '^vhost_scsi ' -e '^vhost_lio ' /proc/modules)" 2
	check "guide-beside: /dev/vhost-scsi and /dev/vhost-lio are there" \
		sh -c "test -c /dev/vhost-scsi && test -c /dev/vhost-lio"
	same "guide-beside: the fabric vlio is vhost_lio's" \
		"$(cut -d' ' -f1 $CFS/vlio/version 2>/dev/null)" vhost-lio
	check "guide-beside: a fileio LUN 0 and a nexus under vlio/$BW" \
		vlg_config vlio $BW naa.5001405000000252
	"$VLG" --dev /dev/vhost-lio --wwpn $BW --target 1 --lun 0 \
		--only rw --label "[guide-beside] " suite >/tmp/doc-vlg.out 2>&1
	_r=$?
	cat /tmp/doc-vlg.out
	same "guide-beside: vl-guest verified I/O through /dev/vhost-lio exit status" $_r 0
	check "guide-beside: the LUNs, nexus and WWPN taken down" beside_down
fi
block $GUIDE guide-beside-teardown
same "guide-beside-teardown: vhost_scsi and vhost_lio unloaded" \
	"$(grep -c -e '^vhost_scsi ' -e '^vhost_lio ' /proc/modules)" 0
check "guide-beside-teardown: LIO core unloads" lio_unload
{ rmmod vhost_lio; rmmod vhost_scsi; rmdir $CFS/vlio; } >/dev/null 2>&1

# ---- admin guide: the configfs example, by hand ----
block $GUIDE guide-load
block $GUIDE configfs-setup && vlg_exported configfs-setup $W naa.5001405c7cf84d6b
block $GUIDE configfs-teardown
same "configfs-teardown: no backstore left" "$(find $CFS/core -maxdepth 1 -name 'fileio_*' | wc -l)" 0
gone "configfs teardown"
scrub
rm -f /etc/modprobe.d/vhost-lio.conf /etc/rtslib-fb-target/saveconfig.json

# ---- admin guide: the Ceph RBD recipe ----
# They need a Ceph cluster: tests/vm/ceph.sh (make ceph) runs them; here
# their syntax only.
for n in ceph-install ceph-cluster ceph-image ceph-export ceph-teardown; do
	block $GUIDE $n
done

# ---- nothing marked is left out, nothing unmarked is unexplained ----
for f in $README $GUIDE; do
	left=
	for n in $("$DB" list "$VL_REPO/$f" | awk '{ print $1 }'); do
		case " $RAN " in *" $n "*) ;; *) left="$left $n" ;; esac
	done
	same "$f: every marked block is run by this test (left out:$left)" "$left" ""
	# The first line of each unmarked block, without a comment or a
	# trailing backslash, must be in testing.md as `...`.
	"$DB" unmarked "$VL_REPO/$f" | while read -r line first; do
		key=$(echo "$first" | sed -e 's/[[:space:]]*#.*//' -e 's/[[:space:]]*\\$//')
		check "$f:$line: unmarked block \`$key\` is listed in testing.md" \
			grep -qF "\`$key\`" "$VL_REPO/Documentation/testing.md"
	done
done
