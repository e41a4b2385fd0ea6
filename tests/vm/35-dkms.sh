#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installing with DKMS, as Documentation/admin-guide.md says: `make
# dkms-install` copies the sources to /usr/src/vhost-lio-<version>, dkms
# adds, builds (here, in the guest: the one slow step) and installs them
# with the alias file; the DKMS module is what modprobe finds, as vhost_lio
# and as tcm_vhost (what rtslib loads), and serves the vhost fabric; `make
# dkms-remove` leaves no module.  Afterwards the module scripts/vm-run.sh
# installed is put back for the tests after this one.
# About 5 min under TCG: the build 2.5 min, each depmod 1 min.
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

# What a host has and the guest's root does not: /dev/fd (udev makes it;
# dkms's "< <(...)" needs it, and without it dkms status prints nothing),
# a writable /usr/src, and $M/build at this kernel's headers.  The module vm-run.sh
# put in updates/ goes (kept aside), so that the one modprobe finds is
# DKMS's.
[ -e /dev/fd ] || check "/dev/fd -> /proc/self/fd" ln -s /proc/self/fd /dev/fd
check "a writable /usr/src (tmpfs)" mount -t tmpfs tmpfs /usr/src
build_was=$(readlink "$M/build")
check "$M/build points at the headers" ln -sfn "$H" "$M/build"
cp "$M/updates/vhost_lio.ko" /tmp/vl35-saved.ko 2>/dev/null
rm -f "$M/updates/vhost_lio.ko" /etc/modprobe.d/vhost-lio.conf
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

# vm-run.sh's module goes back before the removal, whose depmod (a
# minute under TCG) then indexes it for the tests after this one.
[ -f /tmp/vl35-saved.ko ] && cp /tmp/vl35-saved.ko "$M/updates/vhost_lio.ko"
t0=$(date +%s)
make -C "$VL_REPO" dkms-remove
rc=$?
took "$t0" "make dkms-remove (dkms remove --all, depmod)"
same "make dkms-remove exits 0" "$rc" 0
same "dkms status has no vhost-lio" "$(dkms status vhost-lio 2>&1)" ""
check "nothing left in /var/lib/dkms" test ! -e /var/lib/dkms/vhost-lio
check "no module left in $M/updates/dkms" \
	sh -c "! ls $M/updates/dkms/vhost_lio.ko* 2>/dev/null"
if [ -f /tmp/vl35-saved.ko ]; then
	same "modprobe finds vm-run.sh's vhost_lio again, not DKMS's" \
		"$(modinfo -n vhost_lio 2>&1)" "$M/updates/vhost_lio.ko"
else
	check "modprobe finds no vhost_lio" sh -c '! modinfo vhost_lio'
fi
check "no sources left in /usr/src" test ! -e "/usr/src/vhost-lio-$VER"
check "no alias file left" test ! -e /etc/modprobe.d/vhost-lio.conf

[ -n "$build_was" ] && ln -sfn "$build_was" "$M/build"
umount /usr/src
exit 0
