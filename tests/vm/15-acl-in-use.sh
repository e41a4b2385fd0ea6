#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Deleting the node ACL that the nexus session stands on.  LIO asks the
# fabric to close the session (close_session) and then waits, unkillable,
# until it is gone: vhost_lio drops the nexus, so the rmdir returns at once
# instead of hanging in D state.  By hand, right before removing the TPG,
# and with targetcli clearconfig (rtslib deletes ACLs before LUNs).
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000031          # our WWPN
I=naa.5001405000000032          # the nexus initiator, with an explicit ACL
J=naa.5001405000000033          # another initiator
WT=naa.5001405000000034         # targetcli's WWPN
V=$CFS/$VL_FABRIC
T=$V/$W/tpgt_1
T2=$V/$W/tpgt_2
A=$T/acls/$I
IMG=/tmp/acl15.img
BS=$CFS/core/fileio_15/acl15

# bounded WHAT SECONDS CMD...: CMD runs in the background and must succeed
# within SECONDS, a bound for a deadlock (which never ends), not a timing:
# 300 s, where the debug kernel took 14 s for targetcli clearconfig.  A
# process stuck in D state cannot be killed, so a
# regression would hang the whole test: instead this prints FAIL, shows
# where the command sleeps, and sets $stuck; the caller then stops touching
# configfs (bail).  Prints how long CMD took.
stuck=
bounded() {
	_what=$1 _secs=$2; shift 2
	_t0=$(date +%s%N)
	"$@" >"$_out" 2>&1 &
	_pid=$! _n=0
	while kill -0 $_pid 2>/dev/null; do
		if [ $_n -ge $((_secs * 10)) ]; then
			fail "$_what (still running after ${_secs}s: hung)"
			ps -eo pid=,stat=,args= | awk '$2 ~ /^D/' |
			while read -r _p _s _a; do
				echo "    | D state: $_a"
				sed 's/^/    |   /' /proc/$_p/stack 2>/dev/null
			done
			stuck=1
			return 1
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	wait $_pid
	_rc=$?
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	echo "time: $_what: ${_ms} ms"
	if [ $_rc -eq 0 ]; then
		pass "$_what"
	else
		fail "$_what (exit $_rc)"
		sed 's/^/    | /' "$_out"
	fi
	return $_rc
}

bail() {
	[ -n "$stuck" ] || return 0
	echo "a configfs operation is stuck in the kernel: skipping the rest"
	exit 1
}

# Kernel log lines since the last mark, without clearing the log (the
# kernel-log check of guest-init.sh reads all of it).
mark() { _mark=$(dmesg | wc -l); }
since_mark() { dmesg | tail -n +$((_mark + 1)); }
logged() { test "$(since_mark | grep -c "$1")" -eq "$2"; }

# A TPG whose nexus stands on an explicit ACL, with no LUN.
acl_nexus_tpg() { mkdir -p "$1/acls/$I" && put "$1/nexus" $I; }
# A nexus first (LIO makes a demo mode ACL), then an explicit ACL for it.
nexus_then_acl() { put $T/nexus $I && mkdir $A; }

build() {
	bs_fileio 15 acl15 $IMG 16777216 &&
	mkdir -p $V/$W &&
	mkdir $T &&
	lun_link $T 0 $BS &&
	mkdir -p $A/lun_0 &&
	ln -s $T/lun/lun_0 $A/lun_0/map0 &&
	put $T/nexus $I
}

check "load target_core_mod" modprobe target_core_mod
check "load target_core_file" modprobe target_core_file
check "load vhost_lio" vl_load
check "fabric directory" mkdir -p $V

# ---- by hand: explicit ACL with a mapped LUN, nexus to its initiator ----
check "build: fileio LUN, ACL for $I mapping it, nexus $I" build
same "nexus reads back" "$(cat $T/nexus)" "$I"
check "the ACL maps lun_0" test -L $A/lun_0/map0

# LIO's other close_session caller is a queue depth change, which only
# iSCSI's cmdsn_depth attribute makes: a vhost ACL has none (documented).
# Should it ever appear, changing it must reinstate the nexus, not hang.
if [ -e $A/cmdsn_depth ]; then
	bounded "change cmdsn_depth of the nexus ACL" 300 \
		timeout 600 sh -c "/usr/bin/printf '16\\n' >$A/cmdsn_depth"
	bail
	same "nexus reinstated after cmdsn_depth change" "$(cat $T/nexus)" "$I"
else
	check "vhost ACLs have no cmdsn_depth (iSCSI's attribute)" \
		sh -c "test -z \"\$(find $A -name cmdsn_depth)\""
fi

check "unmap lun_0 from the ACL" rm $A/lun_0/map0
bounded "rmdir the ACL's mapped LUN" 300 timeout 600 rmdir $A/lun_0
bail
mark
bounded "rmdir the ACL the nexus uses (LUN still linked)" 300 timeout 600 rmdir $A
bail
check "ACL directory gone" test ! -e $A
same "nexus dropped: reads empty" "$(cat $T/nexus)" ""
check "kernel logged one line saying why the nexus went" \
	logged "node ACL $I deleted while the nexus used it: nexus dropped (1 LUN(s) linked)" 1
check "the LUN is still linked" test -L $T/lun/lun_0/port0

# The TPG still works: a new nexus (demo mode ACL), the usual rules.
check "new nexus $J" put $T/nexus $J
same "new nexus reads back" "$(cat $T/nexus)" "$J"
refuse "dropping it while the LUN is linked is still refused" "busy" put $T/nexus NULL
check "unlink the LUN" lun_unlink $T 0
check "drop the new nexus" put $T/nexus NULL
same "nexus reads empty again" "$(cat $T/nexus)" ""

# The ACL goes with the nexus still on it and the TPG right after: the
# close work may still be running when the TPG is freed.
check "second TPG: ACL for $I and nexus $I, no LUN" acl_nexus_tpg $T2
bounded "rmdir the nexus ACL, then at once its TPG" 300 \
	timeout 600 sh -c "rmdir $T2/acls/$I && rmdir $T2"
bail
check "second TPG gone" test ! -e $T2

# And the same ACL again on the first TPG: a nexus to an ACL made after it.
check "nexus $I, then an ACL for it (LIO converts the demo mode ACL)" \
	nexus_then_acl
mark
bounded "rmdir that ACL" 300 timeout 600 rmdir $A
bail
same "nexus dropped again" "$(cat $T/nexus)" ""
check "and logged" logged "node ACL $I deleted while the nexus used it" 1

tear_down() { rmdir $T $V/$W && bs_remove $BS && rm -f $IMG; }
check "tear down by hand" tear_down

# ---- targetcli: an ACL named after the nexus, then clearconfig ----
check "install the modprobe.d alias file (tcm_vhost is us)" vl_alias_conf
check "start a D-Bus system bus for targetcli" start_dbus
truncate -s 16M /tmp/acl15-tc.img
check "targetcli fileio backstore" \
	targetcli /backstores/fileio create name=acl15tc file_or_dev=/tmp/acl15-tc.img size=16M
check "targetcli /vhost create $WT" targetcli /vhost create $WT
N=$(cat $CFS/vhost/$WT/tpgt_1/nexus 2>/dev/null)
check "targetcli set a nexus ($N)" test -n "$N"
check "targetcli LUN" targetcli /vhost/$WT/tpg1/luns create /backstores/fileio/acl15tc
check "targetcli ACL for the nexus initiator" targetcli /vhost/$WT/tpg1/acls create $N
check "the ACL maps the LUN" test -d $CFS/vhost/$WT/tpgt_1/acls/$N/lun_0
mark
bounded "targetcli clearconfig" 300 timeout 600 sh -c ". $VL_REPO/tests/vm/lib.sh; tc_clear"
bail
same "cleared: no WWPN left" "$(count_wwpns $CFS/vhost)" 0
same "cleared: no backstore left" "$(ls -d $CFS/core/fileio_*/acl15tc 2>/dev/null)" ""
check "the nexus was dropped for the ACL's deletion" \
	logged "node ACL $N deleted while the nexus used it" 1
rm -f /tmp/acl15-tc.img

check "remove the fabric directory" sh -c "test ! -d $V || rmdir $V"
check "rmmod vhost_lio" rmmod vhost_lio
check "LIO core unloads" lio_unload
