# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC2034 # VL_WATCH_WHY is for the callers
#
# Shell helpers shared by the test harness, sourced both on the host
# (scripts/test-all.sh, scripts/vm-run.sh, bash) and inside the first VM
# guest (tests/vm/guest-init.sh, tests/vm/nested/lib.sh, sh): POSIX sh
# only, names prefixed vl_ so they do not clash with a test's own.
#
#   vl_detail [N] FILE...       the last N (20) lines of each FILE, indented
#                               "    | " (how every FAIL shows its detail)
#   vl_watch NAME STALL CEILING WATCHED CMD...
#                               run CMD, kill it if WATCHED stops changing
#   vl_collect_mods DIR ROOT ABI MOD...
#                               modules and their dependencies, decompressed,
#                               into DIR (an initramfs's /mods) with DIR/order

# vl_detail [N] FILE...: the last N lines (default 20) of each FILE that
# exists, "\r" turned into line ends (fio's progress), each line indented
# "    | ", after a line naming the file.
vl_detail() {
	_vd_n=20
	case ${1:-} in [0-9]*) _vd_n=$1; shift ;; esac
	for _vd_f in "$@"; do
		[ -s "$_vd_f" ] || continue
		echo "    | --- the end of $_vd_f:"
		tr '\r' '\n' <"$_vd_f" | grep -v '^[[:space:]]*$' |
			tail -n "$_vd_n" | sed 's/^/    | /'
	done
}

# vl_sig PATH...: a signature that changes whenever a file in PATHs (files
# or directories, searched recursively) changes size or mtime.
vl_sig() {
	find "$@" -type f -exec stat -c '%n %s %y' {} + 2>/dev/null | cksum
}

# vl_watch NAME STALL CEILING WATCHED CMD...: run CMD (in the background
# under timeout(1), so that its whole process group can be killed) and
# watch the files and directories listed in WATCHED (space-separated).  As
# long as they keep changing CMD may run up to CEILING seconds (a last
# resort, generous); if they do not change for STALL seconds CMD is
# stalled.  Either way CMD is killed (TERM, KILL 10 s later) and
# vl_watch returns 124 with VL_WATCH_WHY saying what happened; otherwise it
# returns CMD's exit status.  Progress seen is passed up: if
# VL_HEARTBEAT names a file, it is rewritten whenever WATCHED changed, so
# that a watcher around this one (guest-init.sh around a test, vm-run.sh
# around the guest) sees the progress too.  Polls every VL_WATCH_POLL (5) s.
# VL_WATCH_READY="FILE SECONDS": CMD must also create FILE within SECONDS
# (output alone is no proof of life: a guest kernel hung in early boot
# under TCG keeps printing RCU stall reports); if it does not, CMD is
# killed and vl_watch returns 125.
vl_watch() {
	_vw_name=$1 _vw_stall=$2 _vw_ceil=$3 _vw_files=$4
	shift 4
	VL_WATCH_WHY=''
	timeout -k 10 "$_vw_ceil" "$@" &
	_vw_pid=$!
	_vw_t0=$(date +%s)
	_vw_last=$_vw_t0
	# shellcheck disable=SC2086 # WATCHED is a list
	_vw_sig=$(vl_sig $_vw_files)
	while kill -0 "$_vw_pid" 2>/dev/null; do
		sleep "${VL_WATCH_POLL:-5}"
		_vw_now=$(date +%s)
		# shellcheck disable=SC2086
		_vw_s=$(vl_sig $_vw_files)
		if [ "$_vw_s" != "$_vw_sig" ]; then
			_vw_sig=$_vw_s _vw_last=$_vw_now
			[ -n "${VL_HEARTBEAT:-}" ] &&
				echo "$_vw_name $_vw_now" >"$VL_HEARTBEAT"
		fi
		if [ -n "${VL_WATCH_READY:-}" ] &&
		     [ ! -e "${VL_WATCH_READY% *}" ] &&
		     [ $((_vw_now - _vw_t0)) -ge "${VL_WATCH_READY##* }" ] &&
		     kill -0 "$_vw_pid" 2>/dev/null; then
			VL_WATCH_WHY="$_vw_name: no ${VL_WATCH_READY% *} within ${VL_WATCH_READY##* }s, killed"
			kill -TERM "$_vw_pid" 2>/dev/null
			wait "$_vw_pid"
			return 125
		fi
		if [ $((_vw_now - _vw_last)) -ge "$_vw_stall" ] &&
		     kill -0 "$_vw_pid" 2>/dev/null; then
			VL_WATCH_WHY="$_vw_name: stalled: no progress for ${_vw_stall}s (nothing new in $_vw_files), killed after $((_vw_now - _vw_t0))s"
			kill -TERM "$_vw_pid" 2>/dev/null
			wait "$_vw_pid"
			return 124
		fi
	done
	wait "$_vw_pid"
	_vw_rc=$?
	# timeout(1) says 124, or 137 if it had to KILL after the ceiling.
	if [ $_vw_rc -eq 124 ] || { [ $_vw_rc -eq 137 ] &&
	   [ $(($(date +%s) - _vw_t0)) -ge "$_vw_ceil" ]; }; then
		_vw_rc=124
		VL_WATCH_WHY="$_vw_name: still running at the ${_vw_ceil}s ceiling (last progress seen $((_vw_last - _vw_t0))s after the start), killed"
	fi
	return $_vw_rc
}

# vl_collect_mods DIR ROOT ABI MOD...: the modules MOD and everything they
# depend on, from ROOT/lib/modules/ABI (ROOT "/" for this system's), into
# DIR, decompressed (busybox insmod cannot read .ko.xz or .ko.zst), with
# their file names in load order in DIR/order ("?NAME": optional, a
# CPU-specific crypto module).  Fails if any MOD is neither found nor
# built into the kernel.
vl_collect_mods() {
	_cm_dir=$1 _cm_root=$2 _cm_abi=$3
	shift 3
	mkdir -p "$_cm_dir" || return 1
	: >"$_cm_dir/order"
	_cm_deps=$(modprobe -d "$_cm_root" -S "$_cm_abi" --show-depends -a "$@" 2>&1) || {
		echo "vl_collect_mods: $_cm_deps" >&2
		return 1
	}
	for _cm_m in "$@"; do
		echo "$_cm_deps" | grep -q -e "^builtin $_cm_m\$" \
			-e "^insmod .*/$_cm_m\.ko\(\.xz\|\.zst\)\{0,1\} *\$" || {
			echo "vl_collect_mods: module $_cm_m not found for $_cm_abi" >&2
			return 1
		}
	done
	for _cm_ko in $(echo "$_cm_deps" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'); do
		_cm_n=${_cm_ko##*/}
		case $_cm_n in
		*.xz) _cm_n=${_cm_n%.xz}; xz -dc "$_cm_ko" >"$_cm_dir/$_cm_n" ;;
		*.zst) _cm_n=${_cm_n%.zst}; zstd -qdc "$_cm_ko" >"$_cm_dir/$_cm_n" ;;
		*) cp "$_cm_ko" "$_cm_dir/$_cm_n" ;;
		esac || return 1
		# A CPU's own crypto implementation (a softdep such as
		# crct10dif-pclmul) refuses to load without its instructions
		# (QEMU's -cpu qemu64 has no PCLMULQDQ); the generic one still
		# serves: "?" marks it optional for the inits.
		case $_cm_ko in
		*/arch/*/crypto/*) _cm_n="?$_cm_n" ;;
		esac
		echo "$_cm_n" >>"$_cm_dir/order"
	done
}

# ---- totals (scripts/test-all.sh) ----
# vl_ok WHAT / vl_bad WHAT / vl_skip WHAT: one passed / failed / skipped
# check, printed "PASS: WHAT" etc. and counted in vl_npass, vl_nfail,
# vl_nskip.
vl_npass=0 vl_nfail=0 vl_nskip=0
vl_ok() { vl_npass=$((vl_npass + 1)); echo "PASS: $*"; }
vl_bad() { vl_nfail=$((vl_nfail + 1)); echo "FAIL: $*"; }
vl_skip() { vl_nskip=$((vl_nskip + 1)); echo "SKIP: $*"; }

# vl_step WHAT LOG CMD...: one check: CMD, its output in LOG, must succeed;
# if it fails, the end of LOG is shown.  Returns CMD's status.
vl_step() {
	_st_what=$1 _st_log=$2
	shift 2
	if "$@" >"$_st_log" 2>&1; then
		vl_ok "$_st_what"
	else
		_st_rc=$?
		vl_bad "$_st_what (exit $_st_rc; $_st_log)"
		vl_detail 30 "$_st_log"
		return $_st_rc
	fi
}

# vl_tally FILE [PREFIX]: count the checks listed in FILE, one a line:
# "PASS what", "FAIL what", "SKIP what" (also with a colon after the
# verdict, as lint and the tests print them), each shown and counted with
# PREFIX before "what"; the "    | " detail lines after a FAIL are shown,
# other lines ignored.  Returns 1 if FILE holds no check at all.
vl_tally() {
	_ta_n=0 _ta_show=''
	while IFS= read -r _ta_l; do
		case $_ta_l in
		"    |"*) [ -z "$_ta_show" ] || echo "$_ta_l"; continue ;;
		PASS:\ *|PASS\ *) vl_ok "${2:-}${_ta_l#PASS*\ }" ;;
		FAIL:\ *|FAIL\ *) vl_bad "${2:-}${_ta_l#FAIL*\ }"; _ta_show=1
			_ta_n=$((_ta_n + 1)); continue ;;
		SKIP:\ *|SKIP\ *) vl_skip "${2:-}${_ta_l#SKIP*\ }" ;;
		*) _ta_show=''; continue ;;
		esac
		_ta_show='' _ta_n=$((_ta_n + 1))
	done <"$1"
	[ $_ta_n -gt 0 ]
}

# vl_totals: the closing line, "N passed, N failed[, N skipped]"; returns
# 1 if anything failed.
vl_totals() {
	if [ "$vl_nskip" -gt 0 ]; then
		echo "$vl_npass passed, $vl_nfail failed, $vl_nskip skipped"
	else
		echo "$vl_npass passed, $vl_nfail failed"
	fi
	[ "$vl_nfail" -eq 0 ]
}
