#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Differential test against LIO's own initiator (issue 9 §5): the same
# backstores (fileio, rd_mcp, iblock over a loop device) exported through
# vhost_lio, driven by the fake guest (`vl-guest raw`: one CDB through a
# virtio-scsi request queue), and through LIO's loopback fabric tcm_loop,
# driven by SG_IO on its /dev/sgN (`vl-guest sgio`).  Every command of the
# list below goes both ways with the same buffers; the two RESULT lines
# (transport, SCSI status, sense, residual, data-in count and CRC; see
# tests/guest/raw.c) must be equal.  Mapped, documented differences
# (Documentation/differential.md, "LIO's loopback initiator"):
#   - transport: virtio response VIRTIO_SCSI_S_OK on one side, SG_IO host
#     and driver status 0 on the other, both print "transport=ok";
#   - sense: vhost-scsi returns the whole 96-byte sense buffer, SG_IO the
#     bytes the sense data counts: both print those;
#   - "nodata": data that names the target port or the fabric (VPD 0x83
#     port identifiers, VPD 0xb0 maximum transfer length from the fabric's
#     max_data_sg_nents) or counts the commands of both sides (persistent
#     reservation generation): count compared, contents not;
#   - "xlong": a READ into a buffer longer than its transfer: tcm_loop
#     hands LIO the whole buffer, and LIO's fileio then reads past the
#     CDB's range and fails the command, as iblock does for a buffer that
#     is not whole sectors; vhost_lio ends the scatterlist at the CDB's
#     length (vl_io_trim_sgl()) and gets GOOD with the excess as residual.
#     Accepted only in exactly that shape (tcm_loop 02/08/00, the same
#     residual).
# A group of commands ("=== name") runs on the vhost side, then the same
# on tcm_loop: a group that changes the LUN (COMPARE AND WRITE, persistent
# reservations) finds it as the other side did.
. "$VL_REPO/tests/vm/lib.sh"

W=naa.5001405000000581		# vhost WWPN
I=naa.5001405000000582		# its nexus
LW=naa.5001405000000583		# loopback WWPN
LI=naa.5001405000000584		# its nexus
VT=$CFS/vhost/$W/tpgt_1
LT=$CFS/loopback/$LW/tpgt_1
FIO=$CFS/core/fileio_58/vl58_file
RD=$CFS/core/rd_mcp_58/vl58_ram
IB=$CFS/core/iblock_58/vl58_blk
FIMG=/tmp/vl58-file.img
BIMG=/tmp/vl58-blk.img
BLOOP=

if [ ! -x "$VLG" ]; then
	fail "tests/guest/vl-guest is built (run 'make -C tests/guest' on the host before booting the VM)"
	exit 1
fi

klog_bad() {
	dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|KFENCE|general protection|refcount_t|use-after-free|INFO: task|soft lockup|rcu_sched self-detected|rcu: INFO'
}
KBAD0=$(klog_bad | wc -l)
klog_clean() {
	_bad=$(klog_bad | wc -l)
	[ "$_bad" -le "$KBAD0" ] && return 0
	klog_bad | tail -n $((_bad - KBAD0)) | head -n 20
	return 1
}

# ---- configuration: 16 MiB each, 512-byte blocks (32768 blocks) ----
backstores() {
	modprobe target_core_mod && modprobe target_core_file &&
	modprobe target_core_iblock && modprobe loop && modprobe sg &&
	bs_fileio 58 vl58_file $FIMG 16777216 && bs_rdmcp 58 vl58_ram 4096 &&
	truncate -s 16M $BIMG && BLOOP=$(losetup -f --show $BIMG) &&
	mkdir -p $IB && put $IB/control "udev_path=$BLOOP" && put $IB/enable 1
}
# tpg_luns TPG: LUN 0 fileio, 1 rd_mcp, 2 iblock.
tpg_luns() { lun_link "$1" 0 $FIO && lun_link "$1" 1 $RD && lun_link "$1" 2 $IB; }
# Both nexus first, then the LUNs: LIO lists a nexus's LUNs (REPORT LUNS)
# in the order they joined it.
vhost_config() {
	vl_load && mkdir -p $VT && put $VT/nexus $I && tpg_luns $VT
}
# tcm_loop adds a SCSI device per LUN as it is linked: its nexus first.
loop_config() {
	modprobe tcm_loop && mkdir -p $LT && put $LT/nexus $LI && tpg_luns $LT
}
check "backstores: fileio, rd_mcp, iblock over a loop device (16 MiB each)" backstores
# Where LIO keeps persistent reservation state (APTPL): without it a
# PERSISTENT RESERVE OUT REGISTER fails 02/08/00.
mkdir -p /etc/target/pr /var/target/pr
# UNMAP for real where the backstore can (rd_mcp cannot).
for b in $FIO $IB; do
	put $b/attrib/emulate_tpu 1 2>/dev/null ||
		echo "INFO: ${b##*/}: emulate_tpu not set"
done
check "vhost_lio: TPG with LUNs 0-2 and nexus" vhost_config
check "tcm_loop: TPG with nexus and LUNs 0-2" loop_config

# sg_of LUN: the /dev/sgN of tcm_loop's LUN.
sg_of() {
	for _h in /sys/class/scsi_host/host*; do
		[ "$(cat "$_h/proc_name" 2>/dev/null)" = tcm_loopback ] || continue
		_n=${_h##*/host}
		for _g in /sys/class/scsi_device/"$_n":0:1:"$1"/device/scsi_generic/sg*; do
			[ -e "$_g" ] && echo "/dev/${_g##*/}" && return 0
		done
	done
	return 1
}
SG0=$(sg_of 0) SG1=$(sg_of 1) SG2=$(sg_of 2)
if [ -z "$SG0" ] || [ -z "$SG1" ] || [ -z "$SG2" ]; then
	fail "tcm_loop LUNs 0-2 have SCSI generic devices (got '$SG0' '$SG1' '$SG2')"
	ls -l /sys/class/scsi_generic/ /sys/class/scsi_device/ 2>&1 | sed 's/^/    | /'
	exit 1
fi
pass "tcm_loop LUNs 0-2 have SCSI generic devices: $SG0 $SG1 $SG2"

# ---- the commands: NAME|CDB|DATA-OUT|DATA-IN LENGTH|FLAGS ----
# DATA-OUT: vl-guest --dout (COUNTxBB items or hex).  The LUNs have 32768
# blocks of 512 bytes.
# PERSISTENT RESERVE OUT parameter lists: reservation key, service
# action key, 8 more bytes.
Z8=0000000000000000
PR_REG=$Z8${Z8%????}1234$Z8		# REGISTER key 0x1234
PR_KEY=${Z8%????}1234$Z8$Z8		# RESERVE, RELEASE, UNREGISTER: key 0x1234
# UNMAP parameter list: header, one descriptor: 8 blocks at 96.
UNMAP_P=0016001000000000${Z8%??}6000000008${Z8%????????}
cat >/tmp/vl58-cmds <<'EOF'
=== no data
TEST UNIT READY|000000000000|||
SYNCHRONIZE CACHE(10)|35000000000000000000|||
START STOP UNIT (start)|1b0000000100|||
SANITIZE BLOCK ERASE (expected unsupported)|48020000000000000000|||
SANITIZE OVERWRITE with its parameter list (expected unsupported)|48010000000000000800|8x00||
vendor opcode 0xd5 (unsupported)|d50000000000|||
LOG SENSE (unsupported by LIO)|4d00000000000000ff00||255|
=== inquiry
INQUIRY standard, 96|120000006000||96|
INQUIRY alloc 5 (odd)|120000000500||5|
INQUIRY alloc 96 into 200 bytes (buffer longer)|120000006000||200|
INQUIRY alloc 255 into 36 bytes (buffer shorter)|12000000ff00||36|
INQUIRY no buffer|120000006000|||
INQUIRY VPD 0x00|120100006000||96|
INQUIRY VPD 0x80|120180006000||96|
INQUIRY VPD 0x83 (port identifiers)|12018300ff00||255|nodata
INQUIRY VPD 0xb0 (fabric's max transfer)|1201b0004000||64|nodata
INQUIRY VPD 0xb1|1201b1004000||64|
INQUIRY VPD 0xb2|1201b2004000||64|
INQUIRY VPD 0x99 (no such page)|120199004000||64|
REQUEST SENSE|030000001200||18|
REPORT LUNS|a00000000000000001000000||256|
REPORT SUPPORTED OPERATION CODES|a30c00000000000002000000||512|
READ CAPACITY(10)|25000000000000000000||8|
READ CAPACITY(16)|9e100000000000000000000000200000||32|
READ CAPACITY(16) into 31 bytes (odd, shorter)|9e100000000000000000000000200000||31|
=== mode pages
MODE SENSE(6) all pages|1a003f00ff00||255|
MODE SENSE(6) all pages, alloc 4|1a003f000400||4|
MODE SENSE(6) alloc 255 into 4 bytes (buffer shorter)|1a003f00ff00||4|
MODE SENSE(6) alloc 4 into 255 bytes (buffer longer)|1a003f000400||255|
MODE SENSE(10) all pages|5a003f0000000000ff00||255|
MODE SENSE(6) caching page 0x08|1a000800ff00||255|
MODE SENSE(6) control page 0x0a|1a000a00ff00||255|
MODE SENSE(6) informational exceptions 0x1c|1a001c00ff00||255|
MODE SENSE(6) vendor page 0x3e (unsupported)|1a003e00ff00||255|
MODE SENSE(6) changeable values, caching|1a004800ff00||255|
=== writes
WRITE(10) 8 blocks at 16|2a000000001000000800|4096x5a||
WRITE(16) 8 blocks at 24|8a000000000000000018000000080000|4096xa5||
WRITE(10) 8 blocks, 512 bytes (data shorter)|2a000000001000000800|512x77||
WRITE(10) 8 blocks, 4608 bytes (data longer)|2a000000001000000800|4608x77||
WRITE(10) 8 blocks, 4095 bytes (odd, shorter)|2a000000001000000800|4095x77||
WRITE(10) 1 block, 513 bytes (odd, longer)|2a000000001000000100|513x77||
WRITE(10) 8 blocks, no data|2a000000001000000800|||
WRITE(10) past the last block|2a000000800000000100|512x77||
READ(10) 16 blocks at 16 (what the writes left)|28000000001000001000||8192|
=== reads
READ(10) 8 blocks|28000000001000000800||4096|
READ(16) 8 blocks|88000000000000000010000000080000||4096|
READ(6) 8 blocks|080000100800||4096|
READ(10) 8 blocks into 512 bytes (buffer shorter)|28000000001000000800||512|
READ(10) 8 blocks into 4095 bytes (odd, shorter)|28000000001000000800||4095|
READ(10) 8 blocks into 4608 bytes (buffer longer)|28000000001000000800||4608|xlong
READ(10) 8 blocks into 4097 bytes (odd, longer)|28000000001000000800||4097|xlong
READ(10) 8 blocks, no buffer|28000000001000000800|||
READ(10) 0 blocks|28000000001000000000|||
READ(10) past the last block|28000000800000000100||512|
READ(16) at LBA 2^48-16|88000000fffffffffff0000000200000||16384|
=== verify
VERIFY(10) BYTCHK=0, 8 blocks, no data|2f000000001000000800|||
VERIFY(10) BYTCHK=0, 8 blocks, 512 bytes out|2f000000001000000800|512x00||
VERIFY(10) BYTCHK=0, 1 block, 4096 bytes out|2f000000001000000100|4096x00||
VERIFY(10) BYTCHK=1, 8 blocks, 4096 bytes out|2f020000001000000800|4096x5a||
VERIFY(10) BYTCHK=1, 8 blocks, 4608 bytes out|2f020000001000000800|4608x5a||
VERIFY(16) BYTCHK=0, 8 blocks, no data|8f000000000000000010000000080000|||
VERIFY(16) BYTCHK=0, 1 block, 1024 bytes out|8f000000000000000010000000010000|1024x00||
VERIFY(10) past the last block|2f000000800000000100|||
=== write same
WRITE SAME(10) 8 blocks at 64|41000000004000000800|512x33||
WRITE SAME(10) 1024 bytes out (longer)|41000000004000000800|1024x33||
WRITE SAME(10) 256 bytes out (shorter)|41000000004000000800|256x33||
WRITE SAME(16) 8 blocks at 64|93000000000000000040000000080000|512x44||
WRITE SAME(16) UNMAP bit|93080000000000000040000000080000|512x00||
READ(10) 8 blocks at 64|28000000004000000800||4096|
=== unmap
UNMAP 8 blocks at 96|42000000000000001800|UNMAP_P||
UNMAP parameter list 8 of 24 bytes (data shorter)|42000000000000001800|0016001000000000||
UNMAP parameter list 24 bytes, 32 out (data longer)|42000000000000001800|UNMAP_P,8x00||
UNMAP no data|42000000000000001800|||
READ(10) 8 blocks at 96|28000000006000000800||4096|
=== compare and write
WRITE(10) 1 block at 80|2a000000005000000100|512x11||
COMPARE AND WRITE matching|89000000000000000050000000010000|512x11,512x22||
COMPARE AND WRITE again (miscompare)|89000000000000000050000000010000|512x11,512x22||
COMPARE AND WRITE 512 bytes out (shorter)|89000000000000000050000000010000|512x22||
COMPARE AND WRITE 1536 bytes out (longer)|89000000000000000050000000010000|512x22,512x33,512x44||
READ(10) 1 block at 80|28000000005000000100||512|
=== persistent reservations
PR IN REPORT CAPABILITIES|5e020000000000010000||256|
PR IN READ KEYS (none)|5e000000000000010000||256|nodata
PR OUT REGISTER key 0x1234|5f000000000000001800|PR_REG||
PR IN READ KEYS (one)|5e000000000000010000||256|nodata
PR OUT RESERVE write exclusive|5f010100000000001800|PR_KEY||
PR IN READ RESERVATION|5e010000000000010000||256|nodata
WRITE(10) by the holder|2a000000003000000100|512x66||
PR IN FULL STATUS|5e030000000000010000||256|nodata
PR OUT RELEASE|5f020100000000001800|PR_KEY||
PR OUT parameter list length 16|5f000000000000001000|16x00||
PR OUT 16 of 24 bytes (data shorter)|5f000000000000001800|16x00||
PR OUT 24 bytes, 32 out (data longer)|5f000000000000001800|PR_KEY,8x00||
PR OUT UNREGISTER|5f000000000000001800|PR_KEY||
PR IN READ KEYS, alloc 8 into 4 bytes (buffer shorter)|5e000000000000000800||4|
EOF
sed -i "s/|PR_REG|/|$PR_REG|/; s/|PR_KEY/|$PR_KEY/; s/|UNMAP_P/|$UNMAP_P/" /tmp/vl58-cmds

# run_group SIDE LUN SG FILE OUT: the commands of a group file, in one
# vl-guest process, a RESULT line each in OUT ("used=" of the vhost side
# dropped: SG_IO has no such count).
run_group() {
	if [ "$1" = vhost ]; then
		"$VLG" --dev "$VL_DEV" --wwpn $W --target 1 --lun "$2" \
			--mem 16 --cmds "$4" raw >"$5.all" 2>&1
	else
		"$VLG" --dev "$3" --cmds "$4" sgio >"$5.all" 2>&1
	fi
	_r=$?
	sed -n 's/^RESULT //p' "$5.all" | sed 's/ used=[0-9]*$//' >"$5"
	[ $_r -eq 0 ] || sed 's/^/    | '"$1"': /' "$5.all" | grep -v ' | [a-z_]*: RESULT'
}

nodata() { sed 's#data=\([0-9]*\)/[0-9a-f]*#data=\1/*#'; }

# xlong_ok VHOST TCM DIN CDB: the shape described at the top: vhost_lio
# GOOD with the excess as residual, tcm_loop NOT READY, LOGICAL UNIT
# COMMUNICATION FAILURE (02/08/00) with the same residual.
xlong_ok() {
	_want=$(( $3 - 512 * $(printf '%d' 0x"$(echo "$4" | cut -c15-18)") ))
	case $1 in "transport=ok status=0x00 sense=- resid=$_want data="*) ;;
		*) return 1 ;; esac
	case $2 in "transport=ok status=0x02 sense=70000200000000"??"0000000008"*" resid=$_want data=-") ;;
		*) return 1 ;; esac
}

# compare LABEL LUN SG: every group on both sides, a PASS or FAIL per
# command.
NCMP=0 NMAP=0
compare() {
	_label=$1 _lun=$2 _sg=$3
	# Unit attentions of the configuration, on either nexus: not compared.
	printf 'TUR|000000000000|||\nTUR|000000000000|||\nTUR|000000000000|||\n' >/tmp/vl58-tur
	run_group vhost "$_lun" "$_sg" /tmp/vl58-tur /tmp/vl58-v
	run_group tcm "$_lun" "$_sg" /tmp/vl58-tur /tmp/vl58-t
	awk '/^=== / { f = sprintf("/tmp/vl58-g%02d", ++n); next } { print > f }' /tmp/vl58-cmds
	for _g in /tmp/vl58-g*; do
		run_group vhost "$_lun" "$_sg" "$_g" /tmp/vl58-v
		run_group tcm "$_lun" "$_sg" "$_g" /tmp/vl58-t
		exec 4</tmp/vl58-v 5</tmp/vl58-t
		while IFS='|' read -r _n _c _o _i _f; do
			IFS= read -r _v <&4 || _v="ERROR no answer"
			IFS= read -r _t <&5 || _t="ERROR no answer"
			NCMP=$((NCMP + 1))
			if [ "$_f" = nodata ]; then
				_v=$(echo "$_v" | nodata) _t=$(echo "$_t" | nodata)
			fi
			if [ "$_v" = "$_t" ] && [ "${_v#ERROR}" = "$_v" ]; then
				pass "[$_label] $_n: vhost_lio = tcm_loop: $_v"
			elif [ "$_f" = xlong ] && xlong_ok "$_v" "$_t" "$_i" "$_c"; then
				NMAP=$((NMAP + 1))
				pass "[$_label] $_n: mapped (LIO's $_label fails a buffer longer than the transfer from tcm_loop): vhost_lio $_v; tcm_loop $_t"
			else
				fail "[$_label] $_n: vhost_lio and tcm_loop differ"
				echo "    | cdb $_c, data-out '${_o:-none}', data-in ${_i:-0}"
				echo "    | vhost_lio: $_v"
				echo "    | tcm_loop:  $_t"
			fi
		done <"$_g"
		exec 4<&- 5<&-
		rm -f "$_g"
	done
}

T0=$(date +%s)
compare fileio 0 "$SG0"
compare rd_mcp 1 "$SG1"
compare iblock 2 "$SG2"
echo "INFO: $NCMP comparisons ($NMAP mapped) in $(( $(date +%s) - T0 )) s"

# ---- teardown ----
loop_teardown() {
	lun_unlink $LT 0 1 2 && put $LT/nexus NULL && rmdir $LT $CFS/loopback/$LW &&
	rmdir $CFS/loopback && rmmod tcm_loop
}
vhost_teardown() {
	lun_unlink $VT 0 1 2 && put $VT/nexus NULL && rmdir $VT $CFS/vhost/$W &&
	rmdir $CFS/vhost && rmmod vhost_lio
}
check "tear down tcm_loop" loop_teardown
check "tear down vhost_lio" vhost_teardown
check "remove the backstores" bs_remove $FIO $RD $IB
losetup -d "$BLOOP" 2>/dev/null
rm -f $FIMG $BIMG
check "LIO core unloads" lio_unload
check "no oops, BUG, WARNING or KASAN report in the kernel log" klog_clean
