#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The static checks, each one counted check printing exactly one line,
# "PASS: lint <name>" or "FAIL: lint <name>", a failure followed by its
# findings as lines starting "    | ".  Exit status 0 only when all pass.
#
#   checkpatch      checkpatch.pl --strict on drivers/ and include/
#   kernel-doc      kernel-doc -Wall on the same files
#   (shellcheck)    shellcheck -S warning on every shell script in scripts/
#                   and tests/ (*.sh, and files with a sh/bash shebang)
#   sparse <abi>    sparse (C=2, -Wbitwise: endianness) per kernel
#   W=12 <abi>      gcc with W=12 per kernel: no warning in our files
#
# checkpatch.pl and kernel-doc come from Debian's linux-source-6.12, fetched
# once into .cache/lint-tools.  The kernels are those fetch-kernels.sh
# gives for $VL_KERNELS (default "6.1 6.12").  Findings accepted on purpose
# are listed, each with its reason, in scripts/lint-exceptions.
#
# Usage: scripts/lint.sh [checkpatch|kernel-doc|shellcheck|kernels]...
#        (default: all; "kernels" is the sparse and W=12 builds)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tools=$top/.cache/lint-tools
exceptions=$top/scripts/lint-exceptions
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nfail=0

# report NAME FINDINGS-FILE: PASS when the file is empty.
report() {
	if [ -s "$2" ]; then
		echo "FAIL: lint $1"
		sed 's/^/    | /' "$2"
		nfail=$((nfail + 1))
	else
		echo "PASS: lint $1"
	fi
}

# Our C sources, as paths relative to $top.
c_files() {
	find drivers include -name '*.[ch]' | sort
}

# Shell scripts in scripts/ and tests/: *.sh, and any other file whose
# first line is a sh, bash or busybox sh shebang.
shell_files() {
	find scripts tests -type f ! -path '*/out/*' | sort | while read -r f; do
		case $f in
		*.sh) echo "$f" ;;
		*) head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba)?sh( |$)' &&
			echo "$f" ;;
		esac
	done
}

# fetch_tools: checkpatch.pl, its data files and kernel-doc from the
# linux-source-6.12 package into $tools/scripts, once.
fetch_tools() {
	[ -f "$tools/.complete" ] && return 0
	local dl=$tmp/dl
	rm -rf "$tools" && mkdir -p "$tools" "$dl" || return 1
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root \
		linux-source-6.12 >/dev/null 2>&1) || {
		echo "apt-get download linux-source-6.12 failed"
		return 1
	}
	dpkg-deb -f "$dl"/linux-source-6.12_*.deb Version >"$tools/version"
	dpkg-deb --fsys-tarfile "$dl"/linux-source-6.12_*.deb |
		tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$tools" --strip-components=1 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch' '*/scripts/kernel-doc' ||
		{ echo "cannot extract the scripts from linux-source-6.12"; return 1; }
	touch "$tools/.complete"
}

# need TOOL PACKAGE: say which package is missing.
need() {
	command -v "$1" >/dev/null && return 0
	echo "$1 not found: install $2 (scripts/install-deps.sh does)"
	return 1
}

# except CHECK: filter "<file>:<line>: <TYPE>: ..." findings on stdin
# through the exceptions for CHECK.  An exception is "CHECK FILE TYPE N
# reason": exactly N findings of TYPE in FILE are expected.  More, and all
# of them are shown; fewer, and the exception is stale and shown.
except() {
	awk -v check="$1" -v exfile="$exceptions" '
	BEGIN {
		while ((getline l < exfile) > 0) {
			if (l ~ /^[ \t]*(#|$)/)
				continue
			split(l, f, /[ \t]+/)
			if (f[1] != check)
				continue
			key = f[2] " " f[3]
			want[key] = f[4]
		}
	}
	!/^[^: ]+:[0-9]+: [A-Z]+:[A-Z0-9_]+:/ {
		other[++nother] = $0	# not a finding: the tool complains
		next
	}
	{
		split($0, p, ":")
		type = $0
		sub(/^[^:]*:[0-9]+: *[A-Z]+:/, "", type)
		sub(/:.*/, "", type)
		key = p[1] " " type
		n[key]++
		line[key, n[key]] = $0
		keys[key] = 1
	}
	END {
		for (i = 1; i <= nother; i++)
			print other[i]
		for (k in keys) {
			if (n[k] == want[k])
				continue
			for (i = 1; i <= n[k]; i++)
				print line[k, i]
			if (k in want)
				printf "%s: %d findings, scripts/lint-exceptions expects %d\n", k, n[k], want[k]
		}
		for (k in want)
			if (!(k in keys))
				printf "%s: stale entry in scripts/lint-exceptions (no such finding now)\n", k
	}' | sort
}

lint_checkpatch() {
	local out=$tmp/checkpatch
	if need perl perl >"$out" && fetch_tools >"$out"; then
		# shellcheck disable=SC2046 # one argument per file
		perl "$tools/scripts/checkpatch.pl" --strict --no-tree --terse \
			--show-types --no-summary --color=never -f $(c_files) \
			2>&1 | except checkpatch >"$out"
		# its CamelCase cache, named after our last include/ commit
		rm -f "$top"/.checkpatch-camelcase.*
	fi
	report checkpatch "$out"
}

lint_kernel_doc() {
	local out=$tmp/kernel-doc
	if need perl perl >"$out" && fetch_tools >"$out"; then
		# shellcheck disable=SC2046 # one argument per file
		perl "$tools/scripts/kernel-doc" -Wall -none $(c_files) \
			>"$out" 2>&1
	fi
	report kernel-doc "$out"
}

lint_shellcheck() {
	local out=$tmp/shellcheck
	if need shellcheck shellcheck >"$out"; then
		# shellcheck disable=SC2046 # one argument per file
		shellcheck -S warning -f gcc $(shell_files) >"$out" 2>&1
	fi
	report shellcheck "$out"
}

# ours BUILD: the diagnostics on stdin located in our files (under BUILD,
# the mirror of our sources kbuild compiles), with sparse's "expected/got"
# lines, and modpost's warnings (it sees only our module).  Diagnostics
# located in the kernel's own headers are not ours even when our code
# expands the macro: W=2 trips <linux/bits.h> (-Wtype-limits),
# wait_event*() (-Wshadow, on purpose in <linux/wait.h>) and, on 6.12,
# <linux/virtio_config.h> (-Wmissing-field-initializers).
ours() {
	awk -v b="$1/" '
	/^[^ ]+:[0-9]+:([0-9]+:)? (warning|error):/ {
		keep = index($0, b) == 1
		if (keep)
			print substr($0, length(b) + 1)
		next
	}
	/^WARNING: modpost:/ { print; keep = 0; next }
	/^[^ \t]/ { keep = 0; next }
	keep && /^[ \t]+(expected|got) / { print }'
}

# lint_kernel SERIES: one build with C=2 (sparse) and W=12 in
# build/lint/<abi>, apart from the build the VM tests use.
lint_kernel() {
	local series=$1 abi kdir build log=$tmp/build-$1.log
	local sp=$tmp/sparse-$1 w12=$tmp/w12-$1
	if ! read -r abi kdir < <("$top/scripts/fetch-kernels.sh" "$series" \
			2>"$tmp/fetch" | tail -n 1) || [ -z "${kdir:-}" ]; then
		cat "$tmp/fetch" >"$sp"
		echo "scripts/fetch-kernels.sh $series failed" >>"$sp"
		cp "$sp" "$w12"
		report "sparse $series" "$sp"
		report "W=12 $series" "$w12"
		return
	fi
	build=$top/build/lint/$abi
	: >"$tmp/sparse.log"
	# W=2's -Wshadow reaches sparse too, which reports the kernel's own
	# "explicit shadow" in wait_event*() at our call: shadowing is left
	# to gcc's W=2, which puts that one in <linux/wait.h>.
	printf '#!/bin/sh\nexec sparse -Wbitwise "$@" -Wno-shadow 2>>"%s"\n' \
		"$tmp/sparse.log" >"$tmp/sparse"
	chmod +x "$tmp/sparse"
	: >"$sp"
	need sparse sparse >>"$sp"
	if ! make -s -j2 KDIR="$kdir" BUILD="$build" W=12 C=2 \
			CHECK="$tmp/sparse" >"$log" 2>&1; then
		tail -n 30 "$log" >"$w12"
		echo "make KDIR=$kdir W=12 C=2 failed" >>"$w12"
	else
		ours "$build" <"$log" >"$w12"
	fi
	ours "$build" <"$tmp/sparse.log" >>"$sp"
	report "sparse $abi" "$sp"
	report "W=12 $abi" "$w12"
}

[ $# -gt 0 ] || set -- checkpatch kernel-doc shellcheck kernels
for c in "$@"; do
	case $c in
	checkpatch) lint_checkpatch ;;
	kernel-doc) lint_kernel_doc ;;
	shellcheck) lint_shellcheck ;;
	kernels)
		for s in ${VL_KERNELS:-6.1 6.12}; do
			lint_kernel "$s"
		done ;;
	*) echo "lint: unknown check '$c'" >&2; exit 2 ;;
	esac
done
[ "$nfail" -eq 0 ]
