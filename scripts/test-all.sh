#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test of vhost-lio, totalled: warning-free module builds for each
# kernel, the portable core's unit tests (ASan/UBSan) and fuzz smoke run,
# then one VM boot per kernel running every tests/vm/[0-9]*.sh in order.
# Last line: "N passed, N failed".  Exit status 0 only if nothing failed.
#
# Environment: VL_KERNELS="6.1 6.12" (which kernels), FUZZ_SECONDS (60),
# VL_VM_TESTS (a space-separated subset of tests/vm scripts).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
kernels=${VL_KERNELS:-6.1 6.12}
logs=$top/results/logs
mkdir -p "$logs"
npass=0 nfail=0 nskip=0

ok()  { npass=$((npass + 1)); echo "PASS: $*"; }
bad() { nfail=$((nfail + 1)); echo "FAIL: $*"; }
section() { echo; echo "== $*"; }

section "dependencies and kernels"
scripts/install-deps.sh || { bad "install dependencies"; echo "$npass passed, $nfail failed"; exit 1; }
if ! scripts/fetch-kernels.sh $kernels >"$logs/fetch.log" 2>&1; then
	cat "$logs/fetch.log"
	bad "fetch kernels $kernels"
	echo "$npass passed, $nfail failed"
	exit 1
fi
cat "$logs/fetch.log"

declare -A built
section "module builds (W=1, warnings are failures)"
while read -r abi kdir; do
	log=$logs/build-$abi.log
	if make KDIR="$kdir" W=1 >"$log" 2>&1; then
		built[$abi]=1
		if grep -E 'warning:|WARNING:' "$log" >"$log.warn"; then
			bad "build for $abi has warnings:"
			sed 's/^/    | /' "$log.warn"
		else
			ok "build for $abi, warning-free with W=1"
		fi
	else
		bad "build for $abi"
		tail -n 30 "$log" | sed 's/^/    | /'
	fi
done <"$logs/fetch.log"

section "in-tree build (Debian linux-source-6.1)"
if scripts/intree-check.sh >"$logs/intree.log" 2>&1; then
	ok "builds in tree (drivers/vhost-lio in linux-source-6.1, W=1, no warnings)"
else
	bad "in-tree build (see $logs/intree.log)"
	tail -n 20 "$logs/intree.log" | sed 's/^/    | /'
fi

section "make install (staged)"
while read -r abi kdir; do
	[ -n "${built[$abi]:-}" ] || continue
	stage=$top/results/install-$abi
	rm -rf "$stage"
	if make -s KDIR="$kdir" DESTDIR="$stage" install >"$logs/install-$abi.log" 2>&1 &&
	   grep -q '^alias tcm_vhost vhost_lio$' "$stage/lib/modules/$abi/modules.alias" &&
	   grep -q '^alias tcm_vhost vhost_lio$' "$stage/etc/modprobe.d/vhost-lio.conf"; then
		ok "make install for $abi: module in updates/, indexed, tcm_vhost alias"
	else
		bad "make install for $abi (see $logs/install-$abi.log)"
	fi
done <"$logs/fetch.log"

section "unit tests (userspace, ASan/UBSan)"
make -C tests/unit >"$logs/unit.log" 2>&1
urc=$?
up=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$logs/unit.log" | awk '{s+=$1} END {print s+0}')
uf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$logs/unit.log" | awk '{s+=$1} END {print s+0}')
grep -E '^\[  (FAILED|  ERROR) \]|runtime error|ERROR: AddressSanitizer' "$logs/unit.log" | sed 's/^/    | /'
npass=$((npass + up)) nfail=$((nfail + uf))
echo "unit: $up passed, $uf failed"
if [ $urc -ne 0 ] && [ "$uf" -eq 0 ]; then
	bad "unit test build or run (see $logs/unit.log)"
	tail -n 20 "$logs/unit.log" | sed 's/^/    | /'
elif [ "$up" -eq 0 ]; then
	bad "unit tests ran no test"
fi

section "fuzz smoke run (${FUZZ_SECONDS:-60}s)"
if make -C tests/fuzz run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >"$logs/fuzz.log" 2>&1; then
	ok "fuzzer ran ${FUZZ_SECONDS:-60}s with no finding"
else
	bad "fuzzer (see $logs/fuzz.log)"
	tail -n 30 "$logs/fuzz.log" | sed 's/^/    | /'
fi

section "userspace guest driver"
if [ -f tests/guest/Makefile ]; then
	if make -C tests/guest >"$logs/guest.log" 2>&1; then
		ok "tests/guest builds (-Werror)"
	else
		bad "tests/guest build (see $logs/guest.log)"
		tail -n 20 "$logs/guest.log" | sed 's/^/    | /'
	fi
fi

section "VM tests"
vmtests=${VL_VM_TESTS:-$(cd "$top" && ls tests/vm/[0-9]*.sh | sort)}
while read -r abi kdir; do
	if [ -z "${built[$abi]:-}" ]; then
		bad "VM tests on $abi skipped: the module did not build"
		continue
	fi
	series=${abi%%-*}
	case $series in 6.1.*) series=6.1 ;; esac
	case $abi in 6.12.*-debug) series=6.12-debug ;; 6.12.*) series=6.12 ;; esac
	# shellcheck disable=SC2086
	scripts/vm-run.sh -k "$series" -o "$top/results/$abi" $vmtests >"$logs/vm-$abi.log" 2>&1
	head -n 2 "$logs/vm-$abi.log"
	while read -r verdict rest; do
		case $verdict in
		PASS) ok "[$abi] $rest" ;;
		SKIP) nskip=$((nskip + 1)); echo "SKIP: [$abi] $rest" ;;
		FAIL) bad "[$abi] $rest"
		      t=${rest%%:*}
		      [ -f "$top/results/$abi/$t.log" ] &&
			grep -A8 -F "FAIL: ${rest#*: }" "$top/results/$abi/$t.log" | sed -n '2,9p' | grep '^    |' ;;
		esac
	done <"$top/results/$abi/checks"
done <"$logs/fetch.log"

echo
if [ "$nskip" -gt 0 ]; then
	echo "$npass passed, $nfail failed, $nskip skipped"
else
	echo "$npass passed, $nfail failed"
fi
[ "$nfail" -eq 0 ]
