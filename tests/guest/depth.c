// SPDX-License-Identifier: GPL-2.0
/*
 * Per-LUN queue depth (vl-guest depth): a LUN held at its in-flight limit
 * is answered TASK SET FULL while another LUN on the same request queue
 * keeps flowing.
 *
 * The shell (tests/vm/54-lun-depth.sh) suspends the device under LUN A
 * (--target, --lun) first, so its commands stay in LIO until the shell
 * resumes it.  This submits --depth one-block READs to LUN A and as many
 * to LUN B (--other-target, --other-lun, a fast backstore) on one queue,
 * then expects: every B command GOOD, and with --limit N exactly depth - N
 * of A's answered TASK SET FULL, nothing else of A (N = 0: none of A
 * answered).  It prints HELD and waits for the rest: the shell reads the
 * LUN's counters, resumes, and A's commands still in LIO come back GOOD.
 *
 * Output: PASS/FAIL lines per check (tally), INFO lines, the HELD marker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vl-guest.h"

#define BLK		512
#define STATUS_GOOD	0x00
#define STATUS_TSF	0x28	/* TASK SET FULL */

static struct {
	const struct vl_opts *o;
	struct vdev d;
	struct tally t;
} D;

#define ck(ok, what, ...) tally_ck(&D.t, ok, what, __VA_ARGS__)

static void rep(bool ok, const char *what, const char *detail)
{
	if (!ok)
		ck(false, what, "%s", detail ? detail : "");
}

static bool is(const struct scsi_io *io, uint8_t status)
{
	return io->done && io->res.response == VIRTIO_SCSI_S_OK &&
	       io->res.status == status;
}

/* Commands of @io[0..n) answered, and of those with @status. */
static unsigned int count(const struct scsi_io *io, unsigned int n,
			  int status)
{
	unsigned int i, c = 0;

	for (i = 0; i < n; i++)
		c += status < 0 ? io[i].done : is(&io[i], status);
	return c;
}

/* Reap until @want of the 2n commands are answered; false on a timeout. */
static bool reap_until(struct gvq *vq, struct scsi_io *io, unsigned int n,
		       unsigned int want)
{
	int64_t dl = now_ns() + (int64_t)D.o->timeout_ms * 1000000;
	int ret = 0;

	while (count(io, 2 * n, -1) < want) {
		ret = scsi_reap(vq, dl);
		if (ret < 0)
			break;
	}
	return ck(ret >= 0, "answers came", "%u of the %u expected after %u ms: %s",
		  count(io, 2 * n, -1), want, D.o->timeout_ms,
		  strerror(ret < 0 ? -ret : 0));
}

static void prep(struct scsi_io *io, unsigned int target, unsigned int lun,
		 uint64_t tag, void *buf)
{
	memset(io, 0, sizeof(*io));
	vl_lun(io->lun, target, lun);
	io->tag = tag;
	cdb_rw(io->cdb, false, 10, tag % 1024, 1);
	io->din = buf;
	io->din_len = BLK;
}

static void depth_run(void)
{
	const struct vl_opts *o = D.o;
	unsigned int n = o->depth, limit = o->limit, i;
	unsigned int full = limit ? n - limit : 0;
	struct gvq *vq = vdev_reqq(&D.d, 0);
	struct scsi_io *io = calloc(2 * n, sizeof(*io));
	uint8_t *buf = calloc(2 * n, BLK);

	if (!io || !buf) {
		ck(false, "memory for the commands", "%u", n);
		return;
	}
	/* A's and B's interleaved, so that B's wait behind a full A. */
	for (i = 0; i < 2 * n; i++) {
		bool a = !(i & 1);

		prep(&io[i / 2 + (a ? 0 : n)], a ? o->target : o->other_target,
		     a ? o->lun : o->other_lun, i + 1, buf + (size_t)i * BLK);
		if (scsi_submit(&D.d, vq, &io[i / 2 + (a ? 0 : n)],
				&layout_std)) {
			ck(false, "the commands fit the ring", "%u of %u", i,
			   2 * n);
			return;
		}
	}
	gvq_kick(vq);
	if (!reap_until(vq, io, n, n + full))
		return;
	ck(count(io + n, n, STATUS_GOOD) == n,
	   "every command of the other LUN is GOOD while this one is full",
	   "%u of %u", count(io + n, n, STATUS_GOOD), n);
	ck(count(io, n, STATUS_TSF) == full,
	   "the LUN answers TASK SET FULL beyond its limit",
	   "%u TASK SET FULL of %u, expected %u (limit %u)",
	   count(io, n, STATUS_TSF), n, full, limit);
	ck(count(io, n, -1) == full,
	   "nothing else of the LUN is answered while its device is held",
	   "%u answered", count(io, n, -1));
	printf("HELD\n");
	fflush(stdout);
	/* The shell resumes the device after reading the counters. */
	if (!reap_until(vq, io, n, 2 * n))
		return;
	ck(count(io, n, STATUS_GOOD) == n - full,
	   "the commands within the limit complete GOOD",
	   "%u GOOD of %u", count(io, n, STATUS_GOOD), n - full);
	usleep(200000);
	ck(!gvq_more_used(vq), "no answer beyond one per command",
	   "used index %u", gvq_used_idx(vq));
}

int run_depth(const struct vl_opts *o)
{
	D.o = o;
	D.t.mode = "depth";
	D.t.o = o;
	if (o->other_lun == ~0U || !o->depth || o->limit > o->depth ||
	    3 * 2 * o->depth > o->ring) {
		fprintf(stderr,
			"vl-guest: depth needs --other-lun, --limit <= --depth and 6 x --depth <= --ring\n");
		return 2;
	}
	if (vdev_setup(&D.d, o, rep) || vdev_attach(&D.d, rep))
		return tally_exit(&D.t);
	depth_run();
	return tally_exit(&D.t);
}
