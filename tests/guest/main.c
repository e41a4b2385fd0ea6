// SPDX-License-Identifier: GPL-2.0
/*
 * vl-guest: drive a vhost-scsi character device as QEMU + a Linux guest
 * would.  See Documentation/guest-driver.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-guest.h"

static const char usage[] =
"usage: vl-guest --wwpn WWPN [options] suite|bench|events|safety|malformed|depth|pi|raw\n"
"       vl-guest --dev /dev/sgN --cdb HEX [--dout SPEC|--din N] sgio\n"
"       vl-guest --dev /dev/sgN --cmds FILE sgio\n"
"  --dev PATH          vhost-scsi character device (/dev/vhost-scsi)\n"
"  --wwpn WWPN         the vhost WWPN to attach to (required)\n"
"  --target T          virtio target byte = LIO tpgt (1)\n"
"  --lun L             LUN for the layout tests and the benchmark (0)\n"
"  --expect-luns LIST  REPORT LUNS must list exactly these, e.g. 0,1\n"
"  --queues N          request queues (1; up to 64)\n"
"  --ring N            vring size, a power of two (128, as QEMU)\n"
"  --timeout S         bound on every wait, seconds (10)\n"
"  --mem MIB           guest RAM (256)\n"
"  --gpa-base ADDR     guest-physical base of RAM (0x40000000)\n"
"  --split-mem         two RAM regions with a 256 MiB hole between them\n"
"  --odd-mem           memory table entries that are not whole pages (one\n"
"                      split 0x1100 bytes into the data, the last one\n"
"                      ending 256 bytes into a page)\n"
"  --secret-mem        RAM from memfd_secret(2): pages the device cannot\n"
"                      pin, so it must copy the data\n"
"  --no-event-idx      do not negotiate VIRTIO_RING_F_EVENT_IDX\n"
"  --no-indirect       do not negotiate VIRTIO_RING_F_INDIRECT_DESC\n"
"  --any-layout        negotiate VIRTIO_F_ANY_LAYOUT too\n"
"  --no-version-1      legacy device: no VIRTIO_F_VERSION_1\n"
"  --no-hotplug        do not negotiate VIRTIO_SCSI_F_HOTPLUG\n"
"  --bad-target-resp N expected virtio response to a bad target byte (3)\n"
"  --unknown-lun MODE  expected answer for an unmapped LUN: sense\n"
"                      (CHECK CONDITION, the default) or bad-target\n"
"  --extra-layouts     also a 1 MiB transfer at an odd guest address\n"
"                      (6.12's in-tree vhost_scsi WARNs on it)\n"
"  --only LIST         suite: run only the steps matching LIST, comma-\n"
"                      separated shell patterns over the step names\n"
"                      vpd rw layouts residual errors bad-address\n"
"                      unknown-lun each-queue concurrent lun-reset\n"
"                      abort-task nexus-reset an events dirty-log (setup,\n"
"                      REPORT LUNS, INQUIRY, READ CAPACITY and stop always\n"
"                      run)\n"
"  --skip LIST         suite: do not run the steps matching LIST\n"
"  --verbose           setup steps on stderr\n"
"  --label TEXT        prefix every check name with TEXT\n"
"bench:\n"
"  --depth D           commands in flight per queue (16)\n"
"  --bs SIZE           transfer size, k/m suffixes (4k)\n"
"  --rw MODE           read|write|randread|randwrite|randrw (randread)\n"
"  --mix PCT           randrw: percentage of reads (70)\n"
"  --seconds S         run time (10; for events: after the buffers are\n"
"                      posted)\n"
"  --until-signal      bench: run at least --seconds and until SIGUSR1\n"
"                      (a test that reads the device while the bench\n"
"                      runs ends it when done, on a slow kernel too)\n"
"  --worker-per-queue  as QEMU's worker_per_virtqueue=true: a vhost worker\n"
"                      of its own (VHOST_NEW_WORKER, VHOST_ATTACH_VRING_\n"
"                      WORKER; Linux 6.5+) for each request queue but the\n"
"                      first, which shares the device's with the control\n"
"                      and event queues\n"
"safety:\n"
"  --case NAME         the one case to run: varlen tmf-flood refused-num\n"
"                      refused-mem abort-reset abort-other-lun\n"
"                      query-task during-mem-table during-vring-num\n"
"                      during-vring-base during-features during-log-base\n"
"                      guest-reset abort-task-set clear-task-set\n"
"                      abort-task-set-many nexus-reset tmf-other\n"
"                      kill-wait kill-features kill-log-base close hold\n"
"                      (see guest-driver.md)\n"
"  --fast-lun L        LUN for the cases' verified I/O (--lun)\n"
"  --other-lun L       a second slow LUN, another backstore\n"
"malformed:\n"
"  --case NAME         the one case to run (--case list: their names; see\n"
"                      guest-driver.md)\n"
"  --repeat N          do the case's malformation N times (1)\n"
"  --seconds S         the flip case: how long to flip (10)\n"
"depth (per-LUN queue depth; see guest-driver.md):\n"
"  --depth D           READs to each of the two LUNs at once (16)\n"
"  --limit N           the in-flight limit of --lun (0: none expected)\n"
"  --other-lun L       the LUN that must keep flowing\n"
"  --other-target T    its target (--target)\n"
"pi (T10 PI: negotiates VIRTIO_SCSI_F_T10_PI; --target/--lun must be a\n"
"  backstore with protection type 1 and 512-byte blocks; see\n"
"  guest-driver.md): protected WRITE/READ, a corrupted guard, counts\n"
"  that do not fit\n"
"raw (one CDB through the vhost device, on --target/--lun), sgio (the\n"
"same through SG_IO on --dev): one RESULT line (see guest-driver.md)\n"
"  --cdb HEX           the CDB, 6 to 32 hex bytes\n"
"  --dout SPEC         data-out: comma-separated COUNTxBB (COUNT bytes of\n"
"                      hex byte BB) or hex bytes, e.g. 512x00,0102\n"
"  --din N             data-in buffer of N bytes\n"
"  --cmds FILE         instead of --cdb: a command per line,\n"
"                      NAME|CDB|DATA-OUT|DATA-IN LENGTH|FLAGS, a RESULT\n"
"                      line each, in order\n"
"events:\n"
"  --late-events MS    post the event buffers only MS ms after READY, or\n"
"                      at SIGUSR1 if that comes first\n"
"  --until-signal      run until SIGUSR1, then until --seconds pass with\n"
"                      no new event (the test's changes are done)\n";

enum {
	O_DEV = 256, O_WWPN, O_TARGET, O_LUN, O_EXPECT_LUNS, O_QUEUES, O_RING,
	O_TIMEOUT, O_MEM, O_GPA, O_SPLIT, O_ODD, O_SECRET, O_NO_EIDX, O_NO_IND, O_ANY,
	O_NO_V1, O_NO_HP, O_BAD_TGT, O_UNK_LUN, O_VERBOSE, O_DEPTH, O_BS,
	O_RW, O_MIX, O_SECONDS, O_LABEL, O_LATE, O_UNTIL_SIG, O_EXTRA, O_ONLY,
	O_SKIP,
	O_CASE, O_FAST_LUN, O_OTHER_LUN, O_REPEAT, O_LIMIT, O_OTHER_TGT,
	O_CDB, O_DOUT, O_DIN, O_CMDS, O_WPQ,
	O_HELP,
};

static const struct option longopts[] = {
	{ "dev", required_argument, NULL, O_DEV },
	{ "wwpn", required_argument, NULL, O_WWPN },
	{ "target", required_argument, NULL, O_TARGET },
	{ "lun", required_argument, NULL, O_LUN },
	{ "expect-luns", required_argument, NULL, O_EXPECT_LUNS },
	{ "queues", required_argument, NULL, O_QUEUES },
	{ "ring", required_argument, NULL, O_RING },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "mem", required_argument, NULL, O_MEM },
	{ "gpa-base", required_argument, NULL, O_GPA },
	{ "split-mem", no_argument, NULL, O_SPLIT },
	{ "secret-mem", no_argument, NULL, O_SECRET },
	{ "odd-mem", no_argument, NULL, O_ODD },
	{ "no-event-idx", no_argument, NULL, O_NO_EIDX },
	{ "no-indirect", no_argument, NULL, O_NO_IND },
	{ "any-layout", no_argument, NULL, O_ANY },
	{ "no-version-1", no_argument, NULL, O_NO_V1 },
	{ "no-hotplug", no_argument, NULL, O_NO_HP },
	{ "bad-target-resp", required_argument, NULL, O_BAD_TGT },
	{ "unknown-lun", required_argument, NULL, O_UNK_LUN },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "depth", required_argument, NULL, O_DEPTH },
	{ "bs", required_argument, NULL, O_BS },
	{ "rw", required_argument, NULL, O_RW },
	{ "mix", required_argument, NULL, O_MIX },
	{ "seconds", required_argument, NULL, O_SECONDS },
	{ "label", required_argument, NULL, O_LABEL },
	{ "late-events", required_argument, NULL, O_LATE },
	{ "until-signal", no_argument, NULL, O_UNTIL_SIG },
	{ "extra-layouts", no_argument, NULL, O_EXTRA },
	{ "worker-per-queue", no_argument, NULL, O_WPQ },
	{ "only", required_argument, NULL, O_ONLY },
	{ "skip", required_argument, NULL, O_SKIP },
	{ "case", required_argument, NULL, O_CASE },
	{ "fast-lun", required_argument, NULL, O_FAST_LUN },
	{ "other-lun", required_argument, NULL, O_OTHER_LUN },
	{ "repeat", required_argument, NULL, O_REPEAT },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "other-target", required_argument, NULL, O_OTHER_TGT },
	{ "cdb", required_argument, NULL, O_CDB },
	{ "dout", required_argument, NULL, O_DOUT },
	{ "din", required_argument, NULL, O_DIN },
	{ "cmds", required_argument, NULL, O_CMDS },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vl-guest: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	exit(2);
}

/* A number with an optional k/m/g suffix (powers of 1024). */
static unsigned long long num(const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (errno || end == s || *end || v > max)
		die("bad number '%s'", s);
	return v;
}

static enum vl_rw parse_rw(const char *s)
{
	static const char *const n[] = { "read", "write", "randread",
					 "randwrite", "randrw" };
	unsigned int i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(s, n[i]))
			return (enum vl_rw)i;
	die("bad --rw '%s'", s);
	return RW_READ;
}

static void defaults(struct vl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dev = "/dev/vhost-scsi";
	o->target = 1;
	o->queues = 1;
	o->ring = 128;
	o->timeout_ms = 10000;
	o->mem_size = 256ULL << 20;
	o->gpa_base = 0x40000000;
	o->event_idx = o->indirect = o->version_1 = o->hotplug = true;
	o->bad_target_resp = VIRTIO_SCSI_S_BAD_TARGET;
	o->depth = 16;
	o->bs = 4096;
	o->rw = RW_RANDREAD;
	o->mix = 70;
	o->seconds = 10;
	o->fast_lun = ~0U;		/* = --lun */
	o->other_lun = ~0U;
	o->repeat = 1;
	o->other_target = ~0U;		/* = --target */
}

static void parse_opt(struct vl_opts *o, int c, const char *a)
{
	switch (c) {
	case O_DEV: o->dev = a; break;
	case O_WWPN: o->wwpn = a; break;
	case O_TARGET: o->target = (unsigned int)num(a, 255); break;
	case O_LUN: o->lun = (unsigned int)num(a, 16383); break;
	case O_EXPECT_LUNS: o->expect_luns = a; break;
	case O_QUEUES:
		o->queues = (unsigned int)num(a, VL_MAX_REQ_QUEUES);
		break;
	case O_RING: o->ring = (unsigned int)num(a, 32768); break;
	case O_TIMEOUT: o->timeout_ms = (unsigned int)num(a, 3600) * 1000;
		break;
	case O_MEM: o->mem_size = num(a, 65536) << 20; break;
	case O_GPA: o->gpa_base = num(a, 1ULL << 46); break;
	case O_SPLIT: o->split_mem = true; break;
	case O_SECRET: o->secret_mem = true; break;
	case O_ODD: o->odd_mem = true; break;
	case O_NO_EIDX: o->event_idx = false; break;
	case O_NO_IND: o->indirect = false; break;
	case O_ANY: o->any_layout = true; break;
	case O_NO_V1: o->version_1 = false; break;
	case O_NO_HP: o->hotplug = false; break;
	case O_BAD_TGT: o->bad_target_resp = (int)num(a, 255); break;
	case O_UNK_LUN:
		if (!strcmp(a, "bad-target"))
			o->unknown_lun_bad_target = true;
		else if (strcmp(a, "sense"))
			die("bad --unknown-lun '%s'", a);
		break;
	case O_VERBOSE: o->verbose = true; break;
	case O_DEPTH: o->depth = (unsigned int)num(a, 32768); break;
	case O_BS: o->bs = (uint32_t)num(a, 64ULL << 20); break;
	case O_RW: o->rw = parse_rw(a); break;
	case O_MIX: o->mix = (unsigned int)num(a, 100); break;
	case O_SECONDS: o->seconds = (double)num(a, 86400); break;
	case O_LABEL: o->label = a; break;
	case O_EXTRA: o->extra_layouts = true; break;
	case O_WPQ: o->worker_per_queue = true; break;
	case O_ONLY: o->only = a; break;
	case O_SKIP: o->skip = a; break;
	case O_LATE: o->late_events_ms = (unsigned int)num(a, 3600000); break;
	case O_UNTIL_SIG: o->until_signal = true; break;
	case O_CASE: o->scase = a; break;
	case O_FAST_LUN: o->fast_lun = (unsigned int)num(a, 16383); break;
	case O_OTHER_LUN: o->other_lun = (unsigned int)num(a, 16383); break;
	case O_REPEAT: o->repeat = (unsigned int)num(a, 1000000); break;
	case O_LIMIT: o->limit = (unsigned int)num(a, 65535); break;
	case O_OTHER_TGT: o->other_target = (unsigned int)num(a, 255); break;
	case O_CDB: o->raw_cdb = a; break;
	case O_DOUT: o->raw_dout = a; break;
	case O_DIN: o->raw_din = (uint32_t)num(a, 1U << 20); break;
	case O_CMDS: o->raw_cmds = a; break;
	case O_HELP: fputs(usage, stdout); exit(0);
	default: die("bad option%s", "");
	}
}

static void validate(const struct vl_opts *o, bool bench)
{
	if (!o->wwpn)
		die("--wwpn is required%s", "");
	if (!o->queues)
		die("--queues must be at least 1%s", "");
	if (o->ring < 8 || (o->ring & (o->ring - 1)))
		die("--ring must be a power of two >= 8%s", "");
	if (!o->timeout_ms)
		die("--timeout must be at least 1%s", "");
	if (bench && (!o->depth || o->depth > o->ring / 3))
		die("--depth must be 1..ring/3 (3 descriptors each)%s", "");
	if (!o->bs || o->bs % 512)
		die("--bs must be a multiple of 512%s", "");
	if (o->gpa_base % 4096)
		die("--gpa-base must be page aligned%s", "");
}

int main(int argc, char **argv)
{
	struct vl_opts o;
	const char *mode;
	int c;

	defaults(&o);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		parse_opt(&o, c == 'h' ? O_HELP : c, optarg);
	if (optind != argc - 1)
		die("give one mode: suite, bench, events, safety, malformed, depth, pi, raw or sgio%s",
		    "");
	mode = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.other_target == ~0U)
		o.other_target = o.target;
	if (!strcmp(mode, "sgio"))	/* no vhost device: no --wwpn */
		return run_rawcdb(&o, true);
	validate(&o, !strcmp(mode, "bench"));
	if (!strcmp(mode, "suite") || !strcmp(mode, "script"))
		return run_suite(&o);
	if (!strcmp(mode, "bench"))
		return run_bench(&o);
	if (!strcmp(mode, "events"))
		return run_events(&o);
	if (!strcmp(mode, "safety"))
		return run_safety(&o);
	if (!strcmp(mode, "malformed"))
		return run_malformed(&o);
	if (!strcmp(mode, "depth"))
		return run_depth(&o);
	if (!strcmp(mode, "pi"))
		return run_pi(&o);
	if (!strcmp(mode, "raw"))
		return run_rawcdb(&o, false);
	die("unknown mode '%s'", mode);
	return 2;
}
