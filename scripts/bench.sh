#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark the in-tree vhost_scsi against vhost_lio in the same VM boot:
# one boot per kernel runs tests/vm/bench.sh (both modules side by side,
# rd_mcp nullio LUNs, the same vl-guest bench commands, interleaved), then
# the medians of the runs are printed as a table with the ratio
# vhost_lio / in-tree.  Documentation/performance.md explains the numbers.
# A benchmark, not a test: it asserts no timing.
#
# Usage: scripts/bench.sh [-k 6.12|6.1|all] [-r RUNS] [-s SECONDS]
#                         [-c "CASES"] [-m "MODES"] [-S 0|1|2]
#                         [-p "PROBES"] [-o DIR]
#   -k  kernel series (default 6.12; "all": 6.12 then 6.1)
#   -r  runs of every case on every module (default 3)
#   -s  seconds per run (default 5, at least 3)
#   -c  cases (default "1x1 2x32 2x32w 2x32-64k"; also 2x16, 2x16rw,
#       4x32 and 16x32 (queues x depth, 4k randread); see
#       bench_args() in tests/vm/bench.sh)
#   -m  modes (default "intree intree-pq lio lio-poll lio-null": the
#       in-tree module with one worker, with a worker per request queue
#       (6.5+), vhost_lio, vhost_lio with poll_us=50 (VLB_POLL_US in the
#       environment changes it), and vhost_lio's null mode; see
#       tests/vm/bench.sh)
#   -S  write this to both backstores' attrib/submit_type (Linux 6.9+):
#       0 the fabric's default, 1 direct execution, 2 LIO's submission work
#   -p  probes, each one more run per case and mode after the recorded
#       ones (tests/vm/bench.sh, "probes"): "profile" (perf's samples per
#       thread class and symbol, in us per I/O) and "order" (how often
#       vhost_lio answers a command before an earlier one of its queue,
#       and how long VIRTIO_F_IN_ORDER would hold those answers) and
#       "split" (vhost_lio's worker time per request in each step);
#       their lines follow the table
#   -o  results directory (default results/bench-<series>); for -k all,
#       <DIR>-<series>
# The table also goes to <DIR>/table.md, the raw runs are <DIR>/bench.log.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
series=6.12 runs=3 secs=5 cases="" mods="" outarg="" subtype="" probes=""

while getopts k:r:s:c:m:S:p:o: opt; do
	case $opt in
	k) series=$OPTARG ;;
	r) runs=$OPTARG ;;
	s) secs=$OPTARG ;;
	c) cases=$OPTARG ;;
	m) mods=$OPTARG ;;
	S) subtype=$OPTARG ;;
	p) probes=$OPTARG ;;
	o) outarg=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[ "$series" = all ] && series="6.12 6.1"

# table LOG: medians per case and module, and the ratio lio/in-tree.
table() {
	awk '
	function med(key,   n, i, j, t, v) {
		n = cnt[key]
		if (!n)
			return ""
		for (i = 1; i <= n; i++)
			v[i] = val[key, i]
		for (i = 2; i <= n; i++)	# insertion sort, n is small
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function fmt(x, f) { return x == "" ? "-" : sprintf(f, x) }
	function ratio(a, b) {
		if (a == "" || b == "" || b == 0)
			return "-"
		return sprintf("%.2f", a / b)
	}
	/^CASE / { if (!(($2) in cdesc)) { cases[++nc] = $2; $1 = $2 = "";
		   sub(/^ +/, ""); cdesc[cases[nc]] = $0 } }
	/^MEM / {
		delete f
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		k = f["queues"] " x " f["ring"]
		if (!(k in memseen)) {
			memseen[k] = 1
			memk[++nmem] = k
		}
		mem[k, f["mod"]] = f["kib"]
	}
	/^RUN / {
		delete f
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[2] != "-")	# "-": not measured in this run
				f[kv[1]] = kv[2]
		}
		for (k in f) {
			key = f["case"] SUBSEP f["mod"] SUBSEP k
			val[key, ++cnt[key]] = f[k]
		}
		runs[f["case"], f["mod"]]++
	}
	END {
		nm = split("iops mbps lat_p50_us lat_p99_us cpu_us_per_io " \
			   "cpu_busy_pct ctxt_per_io wk_us_per_io kw_us_per_io", mk, " ")
		split("%.0f %.1f %.1f %.1f %.2f %.0f %.2f %.2f %.2f", mf, " ")
		printf "| case | module | runs | IOPS | MB/s | p50 us | p99 us " \
		       "| CPU us/IO | busy %% | ctxsw/IO | worker us/IO " \
		       "| kworker us/IO |\n"
		printf "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: " \
		       "| ---: | ---: | ---: | ---: |\n"
		nms = split("intree intree-pq lio lio-poll lio-null", ms, " ")
		split("in-tree|in-tree, worker per queue|vhost_lio|vhost_lio poll_us|vhost_lio null_io", ml, "|")
		# ratio rows: numerator mode, denominator mode, label
		nr = split("lio intree lio/in-tree|lio intree-pq lio/in-tree-pq|" \
			   "lio-poll lio poll/lio|lio-poll intree-pq poll/in-tree-pq|" \
			   "lio-null lio null/lio", rr, "|")
		for (c = 1; c <= nc; c++) {
			cs = cases[c]
			for (m = 1; m <= nms; m++) {
				if (!runs[cs, ms[m]])
					continue
				printf "| %s | %s | %d |", cs, ml[m],
				       runs[cs, ms[m]]
				for (i = 1; i <= nm; i++)
					printf " %s |", fmt(med(cs SUBSEP ms[m] \
					       SUBSEP mk[i]), mf[i])
				printf "\n"
			}
			for (q = 1; q <= nr; q++) {
				split(rr[q], r3, " ")
				if (!runs[cs, r3[1]] || !runs[cs, r3[2]])
					continue
				printf "| %s | **%s** | |", cs, r3[3]
				for (i = 1; i <= nm; i++)
					printf " %s |", ratio(med(cs SUBSEP \
					       r3[1] SUBSEP mk[i]), med(cs SUBSEP \
					       r3[2] SUBSEP mk[i]))
				printf "\n"
			}
		}
		if (nmem) {
			printf "\nMemory per device (KiB: SUnreclaim + VmallocUsed " \
			       "while it is open, less before):\n\n"
			printf "| queues x ring | in-tree | vhost_lio | lio/in-tree |\n"
			printf "| --- | ---: | ---: | ---: |\n"
			for (i = 1; i <= nmem; i++) {
				k = memk[i]
				printf "| %s | %s | %s | %s |\n", k,
				       fmt(mem[k, "intree"], "%.0f"),
				       fmt(mem[k, "lio"], "%.0f"),
				       ratio(mem[k, "lio"], mem[k, "intree"])
			}
		}
		printf "\nCases:\n"
		for (c = 1; c <= nc; c++)
			printf "- %s: vl-guest bench %s\n", cases[c], cdesc[cases[c]]
	}' "$1"
}

cd "$top" || exit 1
rc=0
for s in $series; do
	read -r abi kdir < <(scripts/fetch-kernels.sh "$s" | tail -n 1)
	[ -n "${abi:-}" ] || { echo "bench: no kernel for $s" >&2; exit 2; }
	make -s KDIR="$kdir" >/dev/null || { echo "bench: build failed for $abi" >&2; exit 2; }
	make -s -C tests/guest >/dev/null || { echo "bench: vl-guest build failed" >&2; exit 2; }

	if [ -z "$outarg" ]; then out=$top/results/bench-$s
	elif [ "$series" = "$s" ]; then out=$outarg
	else out=$outarg-$s
	fi
	# The guest sees the host's / read-only: a wrapper under results/ (not
	# the output directory, which vm-run.sh empties) carries the knobs.
	wrap=$top/results/.bench-$$-$s
	mkdir -p "$wrap"
	{
		echo "# generated by scripts/bench.sh"
		printf 'VLB_RUNS=%q VLB_SECONDS=%q\n' "$runs" "$secs"
		[ -n "$cases" ] && printf 'VLB_CASES=%q\n' "$cases"
		[ -n "$mods" ] && printf 'VLB_MODULES=%q\n' "$mods"
		[ -n "$subtype" ] && printf 'VLB_SUBMIT_TYPE=%q\n' "$subtype"
		[ -n "$probes" ] && printf 'VLB_PROBES=%q\n' "$probes"
		[ -n "${VLB_POLL_US:-}" ] && printf 'VLB_POLL_US=%q\n' "$VLB_POLL_US"
		echo '. "$VL_REPO/tests/vm/bench.sh"'
	} >"$wrap/bench.sh"
	ncases=$(set -- ${cases:-1x1 2x32 2x32w 2x32-64k}; echo $#)
	nmods=$(set -- ${mods:-intree intree-pq lio lio-poll lio-null}; echo $#)
	nprobes=$(set -- $probes; echo $#)
	tmo=$(( ((runs + nprobes) * ncases + 1) * nmods * (secs + 4) + 8 * 2 * 10 + 180 ))

	echo "bench: $abi: $runs run(s) x $ncases case(s) x $nmods module(s) x ${secs}s (guest timeout ${tmo}s)"
	VL_TEST_TIMEOUT=$tmo scripts/vm-run.sh -k "$s" -t $((tmo + 300)) -o "$out" \
		"${wrap#"$top"/}/bench.sh" >"$out.vm-run.txt" 2>&1
	r=$?
	rm -rf "$wrap"
	mv "$out.vm-run.txt" "$out/vm-run.txt" 2>/dev/null
	if [ $r -ne 0 ] || ! grep -q '^RUN ' "$out/bench.log" 2>/dev/null; then
		echo "bench: $abi: the VM run failed (see $out/)" >&2
		grep -h '^FAIL' "$out/checks" 2>/dev/null >&2
		rc=1
	fi
	[ -f "$out/bench.log" ] || continue
	{
		echo "## $abi: medians of $runs run(s), ${secs}s each"
		echo
		grep -h '^bench: ' "$out/bench.log" | sed 's/^/    /'
		echo
		table "$out/bench.log"
		if grep -q '^ORDER \|^SPLIT ' "$out/bench.log"; then
			echo
			echo "Probes (one unrecorded run each):"
			echo
			grep -h '^ORDER \|^SPLIT ' "$out/bench.log" | sed 's/^/    /'
		fi
	} | tee "$out/table.md"
	echo
done
exit $rc
