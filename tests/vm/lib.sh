# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Helpers for VM test scripts (sourced; runs inside the guest as root).
# Each check prints one "PASS: what" or "FAIL: what" line; guest-init.sh
# collects them and the test command totals them.  If VL_CHECKS_FILE is
# set, each check also adds a line there (the nested guest counts its
# checks so, apart from the log it hands over).

CFS=/sys/kernel/config/target
VL_FABRIC=${VL_FABRIC:-vhost}
VL_DEV=${VL_DEV:-/dev/vhost-scsi}
_out=/tmp/vl-check.$$

pass() { echo "PASS: $*"; _counted "$@"; }
fail() { echo "FAIL: $*"; _counted "$@"; }
_counted() { [ -z "${VL_CHECKS_FILE:-}" ] || echo "$*" >>"$VL_CHECKS_FILE"; }
# skip WHY: a test that cannot run here says why, makes no check, exits 0.
skip() { echo "SKIP: $*"; exit 0; }

# check WHAT CMD...: CMD must succeed.  check, refuse and same return
# non-zero when their check fails, for a caller that adds details.
check() {
	_what=$1; shift
	if "$@" >"$_out" 2>&1; then
		pass "$_what"
	else
		fail "$_what (exit $?)"
		sed 's/^/    | /' "$_out"
		return 1
	fi
}

# refuse WHAT ERRTEXT CMD...: CMD must fail, and its message must contain
# ERRTEXT (the strerror text of the expected errno, e.g. "Invalid argument").
refuse() {
	_what=$1 _err=$2; shift 2
	if "$@" >"$_out" 2>&1; then
		fail "$_what (succeeded, expected: $_err)"
		return 1
	elif grep -q "$_err" "$_out"; then
		pass "$_what"
	else
		fail "$_what (wrong error, expected: $_err)"
		sed 's/^/    | /' "$_out"
		return 1
	fi
}

# fio_progress: filter for fio's --eta=always output (lines ended by "\r"):
# one "fio: ..." line each time the share done changes, so that a hung
# fio, whose ETA line keeps coming with the same share, shows no progress
# to a stall detector reading it.
fio_progress() {
	awk 'BEGIN { RS = "\r" }
	match($0, /\[[0-9.]+%\]/) {
		p = substr($0, RSTART, RLENGTH)
		if (p != last) { print "fio: " $0; fflush(); last = p }
	}'
}

# same WHAT A B: strings A and B are equal.
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1 (got '$2', want '$3')"
		return 1
	fi
}

# put FILE VALUE: write VALUE to a configfs attribute, as a script would.
# (coreutils printf: dash's builtin reports every failed write as EIO.)
put() { /usr/bin/printf '%s\n' "$2" >"$1"; }

# ---- configfs set-up and teardown (each stops at the first failed step) ----
# bs_fileio HBA NAME FILE SIZE: FILE made SIZE bytes long, exported as the
# fileio backstore core/fileio_HBA/NAME.
bs_fileio() {
	truncate -s "$4" "$3" && mkdir -p "$CFS/core/fileio_$1/$2" &&
	put "$CFS/core/fileio_$1/$2/control" "fd_dev_name=$3,fd_dev_size=$4" &&
	put "$CFS/core/fileio_$1/$2/enable" 1
}

# bs_fileio_pi HBA NAME FILE SIZE: bs_fileio, then T10 protection type 1
# (tests 59 and 60): pi_prot_type 1 (LIO takes it only on an enabled
# backstore no LUN exports yet: call before lun_link), pi_prot_format 1
# (the tuples, escape tuples to begin with, in FILE.protection) and
# pi_prot_verify 1 (LIO checks the tuples a WRITE brings).
bs_fileio_pi() {
	bs_fileio "$@" &&
	put "$CFS/core/fileio_$1/$2/attrib/pi_prot_type" 1 &&
	put "$CFS/core/fileio_$1/$2/attrib/pi_prot_format" 1 &&
	put "$CFS/core/fileio_$1/$2/attrib/pi_prot_verify" 1
}

# bs_rdmcp HBA NAME PAGES [OPTIONS]: the rd_mcp backstore
# core/rd_mcp_HBA/NAME of PAGES 4 KiB pages (OPTIONS: more control
# settings, e.g. rd_nullio=1).
bs_rdmcp() {
	mkdir -p "$CFS/core/rd_mcp_$1/$2" &&
	put "$CFS/core/rd_mcp_$1/$2/control" "rd_pages=$3${4:+,$4}" &&
	put "$CFS/core/rd_mcp_$1/$2/enable" 1
}

# bs_remove DIR...: remove each backstore directory (core/TYPE_HBA/NAME),
# then each HBA directory left without a backstore; fails if any of them
# is left.
bs_remove() {
	rmdir "$@" || return 1
	for _b in "$@"; do
		_h=${_b%/*}
		[ -d "$_h" ] || continue
		[ -n "$(find "$_h" -mindepth 1 -maxdepth 1 -type d)" ] && continue
		rmdir "$_h" || return 1
	done
}

# lun_link TPG N BACKSTORE: LUN N of the TPG directory on BACKSTORE (its
# link named portN).  lun_unlink TPG N...: undo it for each N.
lun_link() { mkdir "$1/lun/lun_$2" && ln -s "$3" "$1/lun/lun_$2/port$2"; }
lun_unlink() {
	_t=$1
	shift
	for _l in "$@"; do
		rm "$_t/lun/lun_$_l/port$_l" && rmdir "$_t/lun/lun_$_l" || return 1
	done
}

# count_wwpns FABRIC-DIR: how many WWPN directories (naa, fc, iqn) are in
# it (0 if it does not exist).
count_wwpns() {
	find "$1" -mindepth 1 -maxdepth 1 -type d \
		\( -name 'naa*' -o -name 'fc*' -o -name 'iqn*' \) 2>/dev/null | wc -l
}

# vl_load [PARAM=VALUE...]: load our module; scripts/vm-run.sh installed it
# in /lib/modules/<abi>/updates/, so modprobe finds it (also as tcm_vhost).
vl_load() {
	modprobe vhost_lio "$@"
}

# vl_alias_conf: the modprobe.d file users install so that rtslib's
# "modprobe tcm_vhost" loads vhost_lio rather than the in-tree vhost_scsi
# (both declare the alias).
vl_alias_conf() {
	mkdir -p /etc/modprobe.d
	cp "$VL_REPO/scripts/vhost-lio.conf" /etc/modprobe.d/vhost-lio.conf
}

# lio_unload: unload LIO core and whatever uses it (backstores, and the
# fabrics rtslib loads when it lists them, whose empty configfs directories
# hold them), vhost_lio included.
lio_unload() {
	for _d in "$CFS"/*/; do
		case $_d in */core/) ;; *) rmdir "$_d" 2>/dev/null ;; esac
	done
	for _i in 1 2 3; do
		_users=$(awk '$1 == "target_core_mod" { gsub(",", " ", $4); print $4 }' /proc/modules)
		[ "$_users" = "-" ] && break
		for _m in $_users; do rmmod "$_m" 2>/dev/null; done
	done
	rmmod target_core_mod
}

# start_dbus: targetcli-fb needs a D-Bus system bus.
start_dbus() {
	[ -S /run/dbus/system_bus_socket ] && return 0
	mkdir -p /run/dbus
	dbus-daemon --system --fork
}

# lt WHAT A B: A is a number below B.
lt() {
	if [ -n "$2" ] && [ "$2" -lt "$3" ]; then
		pass "$1"
	else
		fail "$1 (got '$2', want below $3)"
	fi
}

# tc_clear: `targetcli clearconfig confirm=True`.  rtslib's
# clear_existing() deletes every target, then clears the iSCSI discovery
# settings, which loads iscsi_target_mod, then deletes the backstores.  The
# debug kernel (scripts/debug-kernel.sh) has no INET and so no iSCSI
# target: there the same deletions are made through rtslib without that
# one step (and an INFO line says so).
tc_clear() {
	if modinfo iscsi_target_mod >/dev/null 2>&1; then
		targetcli clearconfig confirm=True
		return
	fi
	echo "INFO: no iscsi_target_mod: rtslib's clear_existing() without its iSCSI discovery step"
	python3 -c '
from rtslib_fb import RTSRoot
r = RTSRoot()
for t in list(r.targets):
    t.delete()
for so in list(r.storage_objects):
    so.delete()
'
}

# tree_dump DIR: every attribute under a configfs tree with its value, and
# every symlink with its target, in a stable order (for before/after diffs).
tree_dump() {
	(cd "$1" && find . | LC_ALL=C sort | while read -r p; do
		if [ -L "$p" ]; then
			echo "$p -> $(readlink "$p" | sed 's|.*/target/core/|core/|')"
		elif [ -f "$p" ] && [ -r "$p" ]; then
			echo "$p = $(head -c 256 "$p" 2>/dev/null | tr '\n' ' ')"
		else
			echo "$p/"
		fi
	done)
}

# ---- vl-guest helpers (tests/guest; appended for tests/vm/4x-guest-*.sh) ----
# The fake guest binary: built on the host by `make -C tests/guest` before
# the VM boots (the guest sees the repository read-only).
VLG=$VL_REPO/tests/guest/vl-guest
VLG_IMG=/tmp/vlg-disk.img

# vlg_config FABRIC WWPN NEXUS: a fileio backstore on a 64 MiB tmpfs file
# (LUN 0) and a 32 MiB rd_mcp one (LUN 1) under FABRIC/WWPN/tpgt_1, with
# the nexus set last.  Stops at the first step that fails.
vlg_config() {
	_f=$CFS/$1 _t=$CFS/$1/$2/tpgt_1
	bs_fileio 7 vlg_file "$VLG_IMG" 67108864 &&
	bs_rdmcp 7 vlg_ram 8192 &&
	mkdir -p "$_f" && mkdir "$_f/$2" "$_t" &&
	lun_link "$_t" 0 $CFS/core/fileio_7/vlg_file &&
	lun_link "$_t" 1 $CFS/core/rd_mcp_7/vlg_ram &&
	put "$_t/nexus" "$3"
}

# vlg_teardown FABRIC WWPN: undo vlg_config in the documented order, also
# after a partial build; fails if anything is left.
vlg_teardown() {
	_f=$CFS/$1 _t=$CFS/$1/$2/tpgt_1
	rm -f "$_t/lun/lun_0/port0" "$_t/lun/lun_1/port1" 2>/dev/null
	rmdir "$_t/lun/lun_0" "$_t/lun/lun_1" 2>/dev/null
	[ -n "$(cat "$_t/nexus" 2>/dev/null)" ] && put "$_t/nexus" NULL
	rmdir "$_t" "$_f/$2" "$_f" 2>/dev/null
	bs_remove $CFS/core/fileio_7/vlg_file 2>/dev/null
	bs_remove $CFS/core/rd_mcp_7/vlg_ram 2>/dev/null
	rm -f "$VLG_IMG"
	[ ! -e "$_f" ] && [ ! -e $CFS/core/fileio_7 ] && [ ! -e $CFS/core/rd_mcp_7 ]
}

# vlg_exported WHAT WWPN [NEXUS]: what a recipe promises once it has
# exported a LUN (tests 25 and ceph.sh): LUN 0 of $VL_FABRIC/WWPN/tpgt_1
# linked to a backstore, a nexus (NEXUS, read back, if given), then
# verified I/O by the fake guest on target 1 LUN 0 (suite --only rw,
# shown).  Each check named "WHAT: ...".
vlg_exported() {
	_et=$CFS/$VL_FABRIC/$2/tpgt_1
	check "$1: $2/tpgt_1/lun/lun_0 links a backstore" \
		sh -c "[ -n \"\$(find $_et/lun/lun_0 -maxdepth 1 -type l)\" ]"
	if [ -n "${3:-}" ]; then
		same "$1: the nexus reads back" "$(cat "$_et/nexus" 2>/dev/null)" "$3"
	else
		check "$1: tpgt_1 has a nexus" test -s "$_et/nexus"
	fi
	"$VLG" --dev "$VL_DEV" --wwpn "$2" --target 1 --lun 0 --expect-luns 0 \
		--only rw --label "[$1] " suite >/tmp/vlg-exported.out 2>&1
	_r=$?
	cat /tmp/vlg-exported.out
	same "$1: vl-guest verified I/O on target 1 LUN 0 (suite --only rw) exit status" $_r 0
}

# vlg_wait_line FILE REGEX [SECONDS] [PID]: wait until a background
# process has written a line matching REGEX to FILE (default: within 10 s);
# with PID, give up as soon as that process has ended without it.
vlg_wait_line() {
	_n=$(( ${3:-10} * 10 ))
	while [ $_n -gt 0 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -q "$2" "$1" 2>/dev/null && return 0
			echo "process $4 ended without writing '$2' to $1"
			return 1
		fi
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "no '$2' in $1 after ${3:-10} s"
	return 1
}

# vlg_bench DEV WWPN: a 5 s randrw benchmark on LUN 0 (2 queues x 16, 4k),
# shown; the check is that it ran and printed its BENCH line.
vlg_bench() {
	"$VLG" --dev "$1" --wwpn "$2" --lun 0 bench --queues 2 --depth 16 \
		--bs 4k --rw randrw --mix 70 --seconds 5 >/tmp/vlg-bench.out 2>&1
	_r=$?
	cat /tmp/vlg-bench.out
	check "bench ran 5 s and printed a BENCH line (exit $_r)" \
		sh -c "[ $_r -eq 0 ] && grep -q '^BENCH .* iops=[0-9]' /tmp/vlg-bench.out"
}

# ---- hotplug (tests 40 and 50) ----
# vlg_mkhot BACKSTORE: a small rd_mcp backstore (a configfs path) to link
# and unlink while a guest is attached.
vlg_mkhot() { mkdir -p "$1" && put "$1/control" rd_pages=256 && put "$1/enable" 1; }

# vlg_hotplug TPG BACKSTORE [N]: link LUN 2 of the TPG directory to the
# backstore and unlink it again, N times (1); with N=1 it stays linked
# half a second.  The link's failure wins over the unlink's.
vlg_hotplug() {
	_i=${3:-1} _r=0
	while [ $_i -gt 0 ] && [ $_r -eq 0 ]; do
		mkdir "$1/lun/lun_2" && ln -s "$2" "$1/lun/lun_2/port2" &&
			{ [ "${3:-1}" -gt 1 ] || sleep 0.5; }
		_r=$?
		rm -f "$1/lun/lun_2/port2"
		rmdir "$1/lun/lun_2" || _r=1
		_i=$((_i - 1))
	done
	return $_r
}

# vlg_watch_events OUT TPG BACKSTORE N VLG-ARGS...: run `vl-guest VLG-ARGS
# --until-signal events` in the background (output in OUT), do vlg_hotplug
# TPG BACKSTORE N once it is READY, then send it SIGUSR1 (a watcher started
# with --late-events posts its buffers now), wait for it to end and show
# its output.  The watcher's --seconds count from the signal and from each
# event after it, so a slow kernel's LUN changes cannot outrun it; its own
# --timeout bounds each of its waits (READY: until it ends).
vlg_watch_events() {
	_o=$1 _wt=$2 _wb=$3 _wn=$4
	shift 4
	"$VLG" "$@" --until-signal events >"$_o" 2>&1 &
	_p=$!
	vlg_wait_line "$_o" '^READY' 3600 $_p && vlg_hotplug "$_wt" "$_wb" "$_wn"
	_r=$?
	kill -USR1 $_p 2>/dev/null
	wait $_p || _r=1
	cat "$_o"
	return $_r
}

# ---- the kernel log, per case (tests 55 and 57) ----
# KLOG_BAD: kernel log lines that mean the kernel is hurt.
KLOG_BAD='BUG:|WARNING:|Oops|KASAN|KFENCE|general protection|refcount_t|use-after-free|INFO: task|soft lockup'
klog_bad() { dmesg | grep -E "$KLOG_BAD"; }

# klog_mark NAME: a marker line in the kernel log as case NAME starts; its
# checks then look at what came after it only, so that a report is pinned
# on the case that caused it.  KLOG_TAG (the test's name) prefixes it.
KLOG_MARKED=none
klog_mark() {
	KLOG_MARKED=$1
	echo "${KLOG_TAG:-vl-test}: case $1 starts" >/dev/kmsg
}

# klog_since: the kernel log after the last marker.
klog_since() {
	dmesg | awk -v m="${KLOG_TAG:-vl-test}: case $KLOG_MARKED starts" '
		{ l[NR] = $0 }
		index($0, m) { n = NR }
		END { for (i = n + 1; i <= NR; i++) print l[i] }'
}

# klog_clean: no KLOG_BAD line since the marker (shown).
klog_clean() {
	_bad=$(klog_since | grep -E "$KLOG_BAD")
	[ -z "$_bad" ] && return 0
	echo "since the marker of case $KLOG_MARKED:"
	echo "$_bad" | head -n 20
	return 1
}
