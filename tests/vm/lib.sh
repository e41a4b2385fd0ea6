# SPDX-License-Identifier: GPL-2.0
# Helpers for VM test scripts (sourced; runs inside the guest as root).
# Each check prints one "PASS: what" or "FAIL: what" line; guest-init.sh
# collects them and the test command totals them.

CFS=/sys/kernel/config/target
VL_FABRIC=${VL_FABRIC:-vhost}
VL_DEV=${VL_DEV:-/dev/vhost-scsi}
_out=/tmp/vl-check.$$

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

# check WHAT CMD...: CMD must succeed.
check() {
	_what=$1; shift
	if "$@" >"$_out" 2>&1; then
		pass "$_what"
	else
		fail "$_what (exit $?)"
		sed 's/^/    | /' "$_out"
	fi
}

# refuse WHAT ERRTEXT CMD...: CMD must fail, and its message must contain
# ERRTEXT (the strerror text of the expected errno, e.g. "Invalid argument").
refuse() {
	_what=$1 _err=$2; shift 2
	if "$@" >"$_out" 2>&1; then
		fail "$_what (succeeded, expected: $_err)"
	elif grep -q "$_err" "$_out"; then
		pass "$_what"
	else
		fail "$_what (wrong error, expected: $_err)"
		sed 's/^/    | /' "$_out"
	fi
}

# same WHAT A B: strings A and B are equal.
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1 (got '$2', want '$3')"
	fi
}

# put FILE VALUE: write VALUE to a configfs attribute, as a script would.
put() { printf '%s\n' "$2" >"$1"; }

# vl_load: our module, installed where modprobe finds it (alias tcm_vhost).
vl_load() {
	mkdir -p "/lib/modules/$VL_ABI/updates"
	cp "$VL_REPO/build/$VL_ABI/drivers/vhost_lio.ko" "/lib/modules/$VL_ABI/updates/" &&
	depmod -a "$VL_ABI" && modprobe vhost_lio "$@"
}

# start_dbus: targetcli-fb needs a D-Bus system bus.
start_dbus() {
	[ -S /run/dbus/system_bus_socket ] && return 0
	mkdir -p /run/dbus
	dbus-daemon --system --fork
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
