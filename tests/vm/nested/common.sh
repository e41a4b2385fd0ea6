# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The start every nested-guest script shares (guest.sh, with the
# pi-guest.sh and eh-guest.sh it sources, migrate-guest.sh, libvirt-guest.sh: /vl/ in the
# nested initramfs, sourced from there): the plan the first guest left in /out, PATH,
# tests/vm/lib.sh with each check also counted in /tmp/checks (the
# scripts write that count to /out/done), and note: a progress line on
# the console, which the first guest watches for stalls, and in the
# script's own log: standard output, or the file NOTE_LOG names.
O=/out
# shellcheck source=/dev/null
. "$O/plan"
export PATH=/bin:/usr/bin
# shellcheck source=tests/vm/lib.sh
. /vl/lib.sh
VL_CHECKS_FILE=/tmp/checks
: >$VL_CHECKS_FILE

up() { cut -d' ' -f1 /proc/uptime; }
note() {
	echo "nested: [$(up)] $*" >/dev/console
	if [ -n "${NOTE_LOG:-}" ]; then
		echo "[$(up)] $*" >>"$NOTE_LOG"
	else
		echo "[$(up)] $*"
	fi
}
