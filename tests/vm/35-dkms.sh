#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installing with DKMS, as Documentation/admin-guide.md says: `make
# dkms-install` copies the sources to /usr/src/vhost-lio-<version>, dkms
# adds, builds (here, in the guest: the one slow step) and installs them
# with the alias file; the DKMS module is what modprobe finds, as vhost_lio
# and as tcm_vhost (what rtslib loads), and serves the vhost fabric; `make
# dkms-remove` leaves no module.  Afterwards the module scripts/vm-run.sh
# installed is there again for the tests after this one.
# About 2.5 to 3 min under TCG, nearly all of it the build.
. "$VL_REPO/tests/vm/lib.sh"

# The cached kernel's root, from the plan (guest-init.sh exports no
# VL_KROOT), as tests/vm/nested/lib.sh reads it.
[ -n "${VL_KROOT:-}" ] || VL_KROOT=$(. "${R:-/tmp/vl-results}/plan" && echo "$VL_KROOT")
K=$VL_ABI
M=/lib/modules/$K
H=$VL_KROOT/usr/src/linux-headers-$K    # the cached kernel's headers
W=naa.5001405000000035
V=$CFS/$VL_FABRIC
VER=$(sed -n 's/^#define VL_VERSION[[:space:]]*"\(.*\)"$/\1/p' "$VL_REPO/drivers/vhost_lio.h")
ARCH=$(uname -m)

command -v dkms >/dev/null || skip "no dkms on the host (scripts/install-deps.sh installs it)"
[ -d "$H" ] || skip "no headers at $H"
[ "$(uname -r)" = "$K" ] || skip "running $(uname -r), not $K"

# loaded MOD: MOD is in /proc/modules.
loaded() { grep -q "^$1 " /proc/modules; }
# took T0 WHAT: how long WHAT took since T0 (date +%s), not a check.
took() { echo "INFO: $2 took $(( $(date +%s) - $1 )) s"; }

# small_tree DIR: in DIR, this kernel's module tree cut down to what the
# test loads (LIO's core; the in-tree vhost_scsi, which also answers to
# tcm_vhost; crct10dif_generic, 6.1's softdep of crc-t10dif) and what
# they depend on by modules.dep, with the builtin lists; the modules'
# paths go to /tmp/vl35-mods.  dkms runs depmod -a twice: over the whole
# tree (4,000 modules read over 9p under TCG) a minute each, over this a
# second.  vm-run.sh's module in updates/ is left out, so the one
# vhost_lio modprobe finds is DKMS's.
small_tree() {
	awk -v want="drivers/target/target_core_mod drivers/vhost/vhost_scsi crypto/crct10dif_generic" '
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep["kernel/" w[i] ".ko"] = 1 }
	{ k = $1; sub(/:$/, "", k); sub(/\.ko.*$/, ".ko", k) }
	k in keep { sub(/:/, ""); for (i = 1; i <= NF; i++) print $i }' \
		"$M/modules.dep" | sort -u >/tmp/vl35-mods
	[ "$(grep -c -e target_core_mod -e vhost_scsi /tmp/vl35-mods)" = 2 ] || return 1
	while read -r f; do
		mkdir -p "$1/${f%/*}" && cp "$M/$f" "$1/$f" || return 1
	done </tmp/vl35-mods
	cp "$M"/modules.builtin* "$M/modules.order" "$1/" && mkdir "$1/updates"
}

# What a host has and the guest's root does not: /dev/fd (udev makes it;
# dkms's "< <(...)" needs it, and without it dkms status prints nothing),
# a writable /usr/src, and $M/build at this kernel's headers.  $M itself
# is the small tree, bind-mounted over the real one until the end.
[ -e /dev/fd ] || check "/dev/fd -> /proc/self/fd" ln -s /proc/self/fd /dev/fd
check "a writable /usr/src (tmpfs)" mount -t tmpfs tmpfs /usr/src
check "a tmpfs for a small module tree" \
	sh -c 'mkdir -p /tmp/vl35-tree && mount -t tmpfs tmpfs /tmp/vl35-tree'
check "the small tree: LIO's core, vhost_scsi, their dependencies" small_tree /tmp/vl35-tree
echo "INFO: the small tree's modules: $(tr '\n' ' ' </tmp/vl35-mods)"
check "$M is the small tree (a bind mount)" mount --bind /tmp/vl35-tree "$M"
check "depmod -a indexes it" depmod -a "$K"
check "$M/build points at the headers" ln -sfn "$H" "$M/build"
rm -f /etc/modprobe.d/vhost-lio.conf
check "VL_VERSION of drivers/vhost_lio.h: '$VER'" test -n "$VER"

# The install, its output (dkms prints a dot every 3 s while it builds)
# straight into this log, so the stall detector sees progress.
t0=$(date +%s)
make -C "$VL_REPO" dkms-install
rc=$?
took "$t0" "make dkms-install (copy, dkms add, build, install, depmod)"
same "make dkms-install exits 0" "$rc" 0
[ $rc -eq 0 ] || tail -n 30 /var/lib/dkms/vhost-lio/"$VER"/build/make.log 2>/dev/null

st=$(dkms status "vhost-lio/$VER" -k "$K")
same "dkms status says installed" "$st" "vhost-lio/$VER, $K, $ARCH: installed"
check "sources in /usr/src/vhost-lio-$VER" test -f "/usr/src/vhost-lio-$VER/dkms.conf"
mod=$(modinfo -n vhost_lio 2>&1)
case $mod in
"$M/updates/dkms/vhost_lio.ko"|"$M/updates/dkms/vhost_lio.ko".[gxz]*) pass "modinfo -n vhost_lio is DKMS's: $mod" ;;
*) fail "modinfo -n vhost_lio is DKMS's (got '$mod', want $M/updates/dkms/vhost_lio.ko[.xz])" ;;
esac
same "modinfo version" "$(modinfo -F version vhost_lio 2>&1)" "$VER"
check "alias file installed" cmp "$VL_REPO/scripts/vhost-lio.conf" /etc/modprobe.d/vhost-lio.conf

check "modprobe vhost_lio" modprobe vhost_lio
check "vhost_lio is loaded" loaded vhost_lio
check "rmmod vhost_lio" rmmod vhost_lio
check "modprobe tcm_vhost (what rtslib loads)" modprobe tcm_vhost
check "tcm_vhost loaded vhost_lio" loaded vhost_lio
check "tcm_vhost did not load vhost_scsi" sh -c '! grep -q "^vhost_scsi " /proc/modules'

# A quick configfs smoke: the DKMS module serves the vhost fabric.
check "mkdir a vhost WWPN and TPG" mkdir -p "$V/$W/tpgt_1"
check "fabric version names vhost-lio $VER" grep -q "vhost-lio $VER" "$V/version"
check "rmdir the TPG, WWPN and fabric" rmdir "$V/$W/tpgt_1" "$V/$W" "$V"
lio_unload
check "vhost_lio unloaded" sh -c '! grep -q "^vhost_lio " /proc/modules'

t0=$(date +%s)
make -C "$VL_REPO" dkms-remove
rc=$?
took "$t0" "make dkms-remove (dkms remove --all, depmod)"
same "make dkms-remove exits 0" "$rc" 0
same "dkms status has no vhost-lio" "$(dkms status vhost-lio 2>&1)" ""
check "nothing left in /var/lib/dkms" test ! -e /var/lib/dkms/vhost-lio
check "no module left in $M/updates/dkms" \
	sh -c "! ls $M/updates/dkms/vhost_lio.ko* 2>/dev/null"
check "no sources left in /usr/src" test ! -e "/usr/src/vhost-lio-$VER"
check "no alias file left" test ! -e /etc/modprobe.d/vhost-lio.conf

# The real tree comes back, as vm-run.sh left it, for the tests after
# this one.
check "umount the small tree from $M" umount "$M"
umount /tmp/vl35-tree
same "modprobe finds vm-run.sh's vhost_lio again, not DKMS's" \
	"$(modinfo -n vhost_lio 2>&1)" "$M/updates/vhost_lio.ko"
umount /usr/src
exit 0
