#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Ceph RBD recipe of Documentation/admin-guide.md ("A distributed
# backstore: Ceph RBD"), its blocks run as written (taken out of the
# guide by scripts/doc-blocks.sh, as tests/vm/25-doc-blocks.sh does): a
# single-node cluster on the loopback (monitor, manager, one BlueStore OSD
# on a 1 GiB sparse file), a pool and an image, the image mapped by the
# kernel's rbd driver and exported as an iblock LUN through vhost_lio,
# verified I/O by the fake guest, the shared-storage migration of a nested
# QEMU guest (below), and the teardown.  Not a [0-9]*.sh
# test: make check does not run it (Ceph under TCG takes minutes);
# scripts/ceph.sh (`make ceph`) does.  Two things are put before each
# block: `sudo` as a function that runs its arguments (we are root; also
# where /usr/bin/sudo exists, so that sudo's commands find the next
# function), and `rbd` with `-o noudev` for map and unmap (the VM has no
# udev, and rbd waits for its events otherwise: seen hanging).  A block's
# output goes to $R/ceph-<block>.out while it runs (visible from the host)
# and into the log after it.  Each phase prints "TIME <phase> <seconds>".
# shellcheck source=tests/vm/lib.sh
. "$VL_REPO/tests/vm/lib.sh"
# shellcheck source=tests/vm/nested/lib.sh
. "$VL_REPO/tests/vm/nested/lib.sh"

DB=$VL_REPO/scripts/doc-blocks.sh
GUIDE=Documentation/admin-guide.md
W=naa.5001405c7cf84d6a
T=$CFS/vhost/$W/tpgt_1
# The migration's destination, "host B" (see below).
WB=naa.5001405c7cf84d6c
TB=$CFS/vhost/$WB/tpgt_1
T0=$(date +%s)
TP=$T0

# phase NAME: the seconds since the last phase ended.
phase() {
	_now=$(date +%s)
	echo "TIME $1 $((_now - TP))"
	TP=$_now
}

# cblock NAME: run block NAME of the guide with sh -ex in the source tree,
# whatever its marker (test 25 only parses them: they need Ceph).
cblock() {
	_s=/tmp/ceph-$1.sh
	{
		# shellcheck disable=SC2016 # the block's text, not ours
		echo 'sudo() { "$@"; }'
		# shellcheck disable=SC2016 # the block's text, not ours
		echo 'rbd() { case $1 in map|unmap) command rbd "$@" -o noudev ;; *) command rbd "$@" ;; esac; }'
		"$DB" get "$VL_REPO/$GUIDE" "$1"
	} >"$_s" || { fail "$GUIDE: block $1 not found"; return 1; }
	echo "---- $GUIDE, block $1:"
	sed '1,2d; s/^/    $ /' "$_s"
	(cd "$VL_REPO" && sh -ex "$_s") >"$R/ceph-$1.out" 2>&1
	_r=$?
	sed 's/^/    | /' "$R/ceph-$1.out"
	same "$GUIDE: block $1 runs as written (exit status)" $_r 0
	phase "$1"
	return $_r
}

# pgs_clean: every PG of the cluster is active+clean ("9 pgs: 9
# active+clean; ..."), and health is HEALTH_OK.
pgs_clean() {
	ceph --connect-timeout 30 pg stat 2>/dev/null | grep -Eq '^([0-9]+) pgs: \1 active\+clean;' &&
		[ "$(ceph --connect-timeout 30 health 2>/dev/null)" = HEALTH_OK ]
}

# wait_clean: until pgs_clean, shown every 10 s; given up when neither
# `ceph pg stat` nor the OSD map changed for 300 s (no progress), not
# after a fixed time (TCG speed varies).
wait_clean() {
	_last='' _same=0
	while ! pgs_clean; do
		_st="$(ceph --connect-timeout 30 pg stat 2>&1 | cut -c1-200) | $(ceph --connect-timeout 30 osd stat 2>&1 | cut -c1-200)"
		if [ "$_st" = "$_last" ]; then
			_same=$((_same + 10))
		else
			echo "waiting: $_st"
			_last=$_st _same=0
		fi
		if [ $_same -ge 300 ]; then
			echo "no progress for 300 s: $_st"
			ceph -s 2>&1 | sed 's/^/    /'
			return 1
		fi
		sleep 10
	done
}

# The shared-storage migration, as between two hypervisors of one
# cluster (admin guide, "Several hypervisors, one Ceph cluster"), on one
# machine: the guide's export (/dev/rbd0, WWPN $W) is host A's; host B
# maps the same image again with a client of its own (rbd map -o noshare:
# another session with the cluster, as another machine would have; the
# kernel shares one per cluster otherwise) and exports it under its own
# WWPN $WB (on one machine it cannot take the same WWPN).  The image has
# no exclusive-lock (the guide creates it with layering only): with it the
# two mappings would pass the lock back and forth at every write.  A
# nested QEMU guest (migrate-guest.sh) writes its data on A, is migrated
# (migratable=on) to a second QEMU on B, and checks there that B's LUN
# holds what it wrote on A; the marker that tells it it runs on B is
# written through B's mapping.

# host_b_export: what host B does, the guide's ceph-export with B's names
# (the rbd map is the check before it).
host_b_export() {
	targetcli /backstores/block create name=rbd1 dev=/dev/rbd1 &&
	targetcli /vhost create $WB &&
	targetcli /vhost/$WB/tpg1/luns create /backstores/block/rbd1
}

# host_b_teardown: B's export and mapping taken down (before the guide's
# teardown, whose `rbd unmap rbd/disk0` must find one mapping), each step
# tried whatever failed before it.
host_b_teardown() {
	_r=0
	if [ -d "$CFS/vhost/$WB" ]; then targetcli /vhost delete $WB || _r=1; fi
	if [ -n "$(find "$CFS/core" -mindepth 2 -maxdepth 2 -name rbd1)" ]; then
		targetcli /backstores/block delete rbd1 || _r=1
	fi
	rbd unmap -o noudev /dev/rbd1 || _r=1
	return $_r
}

# rbd_sum DEV: the MD5 of DEV's first 16 MiB, read with O_DIRECT.
rbd_sum() {
	dd if="$1" bs=1M count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

# rbd_attr N ATTR: /sys/bus/rbd/devices/N/ATTR.
rbd_attr() { cat "/sys/bus/rbd/devices/$1/$2" 2>/dev/null; }

# migration: host B's mapping and export, the nested guest migrated from
# A to B, B taken down.
migration() {
	same "the image has no exclusive-lock (rbd info: features)" \
		"$(rbd info rbd/disk0 2>&1 | sed -n 's/^[[:space:]]*features: //p')" layering
	_d=$(rbd map -o noudev,noshare rbd/disk0 2>/tmp/ceph-map-b.err)
	sed 's/^/    | /' /tmp/ceph-map-b.err
	same "host B: the image mapped again with a client of its own (rbd map -o noshare): /dev/rbd1" \
		"$_d" /dev/rbd1 || return 1
	same "host B: /dev/rbd1 is the same image as /dev/rbd0 (image_id)" \
		"$(rbd_attr 1 name) $(rbd_attr 1 image_id)" "disk0 $(rbd_attr 0 image_id)"
	check "host B: a client of its own ($(rbd_attr 0 client_id), $(rbd_attr 1 client_id))" \
		test "$(rbd_attr 0 client_id)" != "$(rbd_attr 1 client_id)"
	same "the two mappings read the same data (16 MiB, O_DIRECT)" \
		"$(rbd_sum /dev/rbd1)" "$(rbd_sum /dev/rbd0)"
	if check "host B: targetcli: backstore rbd1 on /dev/rbd1, WWPN $WB, LUN 0" host_b_export; then
		check "$WB/tpgt_1/lun/lun_0 links the iblock backstore on /dev/rbd1" \
			sh -c "readlink $TB/lun/lun_0/* | grep -q 'core/iblock_[0-9]*/rbd1' &&
				grep -qx /dev/rbd1 $CFS/core/iblock_*/rbd1/udev_path"
		check "$WB/tpgt_1 has a nexus" test -s $TB/nexus
		phase host-b
		nested_migrate $W $WB \
			"the marker written into the image through host B's mapping (/dev/rbd1, O_DIRECT)" \
			sh -c "printf '%s' '$NESTED_MARK' | dd of=/dev/rbd1 bs=4096 seek=$((NESTED_MOFF / 4096)) conv=sync oflag=direct"
		phase migrate
	fi
	check "host B's side taken down: WWPN, backstore, /dev/rbd1 unmapped" host_b_teardown
}

# ceph_data_fs: /var/lib/ceph on a file system of its own, in RAM (the
# OSD's 1 GiB file is sparse): a tmpfs where tmpfs takes O_DIRECT (Linux
# 6.6 and later), else ext4 on a loop device over a file of a tmpfs.
# BlueStore opens its block file with O_DIRECT; tmpfs refuses that with
# EINVAL before 6.6 (on 6.1 ceph-osd --mkfs failed so).  CEPH_LOOP: the
# loop device, if any.
CEPH_LOOP=
ceph_data_fs() {
	mkdir -p /var/lib/ceph /run/ceph-disk &&
	mount -t tmpfs -o size=1536M ceph /var/lib/ceph || return 1
	if dd if=/dev/zero of=/var/lib/ceph/.odirect bs=4096 count=1 oflag=direct 2>/dev/null; then
		rm -f /var/lib/ceph/.odirect
		return 0
	fi
	umount /var/lib/ceph &&
	modprobe -a loop ext4 &&
	mount -t tmpfs -o size=1600M ceph-disk /run/ceph-disk &&
	truncate -s 1536M /run/ceph-disk/fs.img &&
	CEPH_LOOP=$(losetup -f --show /run/ceph-disk/fs.img) &&
	mkfs.ext4 -q "$CEPH_LOOP" && mount "$CEPH_LOOP" /var/lib/ceph
}

# ceph_procs: the Ceph daemons still running (zombies are not).
ceph_procs() {
	for _p in /proc/[0-9]*; do
		case $(cat "$_p/comm" 2>/dev/null) in
		ceph-mon|ceph-mgr|ceph-osd)
			grep -q '^State:[[:space:]]*Z' "$_p/status" 2>/dev/null ||
				echo "${_p#/proc/} $(cat "$_p/comm")" ;;
		esac
	done
}

command -v ceph-osd >/dev/null ||
	skip "no ceph-osd: run scripts/install-deps.sh --ceph on the host"
[ -x "$VLG" ] || { fail "tests/guest/vl-guest is built (make -C tests/guest on the host)"; exit 1; }
same "nothing of LIO, vhost or rbd loaded at the start" \
	"$(grep -c -e '^target_core_' -e '^vhost_lio ' -e '^vhost_scsi ' -e '^rbd ' /proc/modules)" 0
check "start a D-Bus system bus for targetcli" start_dbus
# A host's loopback is up; the VM's init leaves it down (-nic none).
check "the loopback is up (the cluster's network)" ip link set lo up
check "install the modprobe.d alias file (as make install does)" vl_alias_conf
# The VM's /var is an overlay on a 1 GiB tmpfs shared with /etc, /tmp...:
# Ceph's data gets a file system of its own (ceph_data_fs).
check "a file system in RAM for /var/lib/ceph" ceph_data_fs
echo "/var/lib/ceph: $(awk '$2 == "/var/lib/ceph" { print $3 }' /proc/mounts) ${CEPH_LOOP:-}"
phase setup

if cblock ceph-cluster && cblock ceph-image; then
	check "the cluster is healthy: every PG active+clean, HEALTH_OK" wait_clean
	phase healthy
	ceph -s
	same "rbd ls: the image" "$(rbd ls rbd 2>&1)" disk0
	same "no rbd_data object yet (nothing written)" \
		"$(rados -p rbd ls 2>&1 | grep -c '^rbd_data\.')" 0
	if cblock ceph-export; then
		same "rbd mapped as /dev/rbd0" "$(cat /sys/bus/rbd/devices/0/name 2>/dev/null)" disk0
		check "$W/tpgt_1/lun/lun_0 links the iblock backstore" \
			sh -c "readlink $T/lun/lun_0/* | grep -q 'core/iblock_[0-9]*/rbd0'"
		same "the backstore's device is /dev/rbd0" \
			"$(cat $CFS/core/iblock_*/rbd0/udev_path 2>/dev/null)" /dev/rbd0
		vlg_exported ceph-export $W
		phase io
		_n=$(rados -p rbd ls 2>&1 | grep -c '^rbd_data\.')
		lt "the guest's writes reached the OSD: rbd_data objects in the pool ($_n)" 0 "$_n"
		ceph df 2>&1 | head -n 12
		migration
	fi
fi

cblock ceph-teardown
same "no WWPN left" "$(count_wwpns $CFS/vhost)" 0
same "vhost_lio unloaded" "$(grep -c '^vhost_lio ' /proc/modules)" 0
same "no rbd device left" \
	"$(find /sys/bus/rbd/devices -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" 0
same "no Ceph daemon left running" "$(ceph_procs)" ""
check "LIO core unloads" lio_unload
check "rbd and libceph unload" sh -c 'rmmod rbd && rmmod libceph'
# Best effort, whatever failed above: nothing may outlive the test.
{
	ceph_procs | while read -r _p _c; do kill -9 "$_p"; done
	umount /var/lib/ceph
	[ -z "$CEPH_LOOP" ] || losetup -d "$CEPH_LOOP"
	umount /run/ceph-disk
} >/dev/null 2>&1
echo "TIME total $(($(date +%s) - T0))"
