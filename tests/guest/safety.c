// SPDX-License-Identifier: GPL-2.0
/*
 * Safety cases: one case per process (vl-guest --case NAME safety), so a
 * shell test (tests/vm/55-safety.sh) can time it, kill it, and look at
 * the kernel between cases.  Most expect a slow LUN (--lun, e.g. iblock
 * over a dm-delay device) on which every command takes a while in LIO.
 *
 * Output: "PASS: what" / "FAIL: what (detail)" per check, "INFO: ..."
 * for what is recorded, "TIME: what N ms" for the timed steps, and the
 * marker lines READY / WAITING / INFLIGHT N that the shell waits for.
 * See Documentation/guest-driver.md for the cases.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "vl-guest.h"

#define BLK		512
#define FLOOD_TMFS	300

struct sf {
	const struct vl_opts *o;
	struct vdev d;
	struct tally t;
	uint64_t tag;
	unsigned int fast_lun;
};

static struct sf F;

/* VIRTIO_SCSI_S_FUNCTION_COMPLETE, which linux/virtio_scsi.h lacks. */
#define TMF_COMPLETE	0

#define ck(ok, what, ...) tally_ck(&F.t, ok, what, __VA_ARGS__)

/* Setup steps report only when they fail. */
static void rep(bool ok, const char *what, const char *detail)
{
	if (!ok)
		ck(false, what, "%s", detail ? detail : "");
}

static int done_exit(void)
{
	return tally_exit(&F.t);
}

/* The device may still own our buffers: nothing more can run. */
static void give_up(const char *what, int err)
{
	ck(false, what, "%s", strerror(-err));
	exit(done_exit());
}

static int64_t ms_since(int64_t t0)
{
	return (now_ns() - t0) / 1000000;
}

static int64_t deadline(void)
{
	return now_ns() + (int64_t)F.o->timeout_ms * 1000000;
}

static void timed(const char *what, int64_t t0)
{
	printf("TIME: %s %lld ms\n", what, (long long)ms_since(t0));
	fflush(stdout);
}

static const char *describe(const struct scsi_io *io)
{
	static char buf[128];
	struct sense_info si = sense_decode(&io->res);

	snprintf(buf, sizeof(buf), "response %u %s, status %#04x, sense %s "
		 "key %#x asc %#04x", io->res.response,
		 resp_name(io->res.response), io->res.status,
		 si.valid ? "valid" : "none", si.key, si.asc);
	return buf;
}

static bool good(const struct scsi_io *io)
{
	return io->res.response == VIRTIO_SCSI_S_OK && !io->res.status;
}

/* ---- commands ------------------------------------------------------- */

static void prep_lun(struct scsi_io *io, unsigned int lun, bool write,
		     uint64_t lba, void *buf)
{
	memset(io, 0, sizeof(*io));
	vl_lun(io->lun, F.o->target, lun);
	io->tag = ++F.tag;
	cdb_rw(io->cdb, write, 10, lba, 1);
	if (write) {
		io->dout = buf;
		io->dout_len = BLK;
	} else {
		io->din = buf;
		io->din_len = BLK;
	}
}

/* A one-block READ or WRITE on the case's (slow) LUN. */
static void prep_rw(struct scsi_io *io, bool write, uint64_t lba, void *buf)
{
	prep_lun(io, F.o->lun, write, lba, buf);
}

/*
 * Submit @n one-block READs (LBA @lba, @lba + 1, ...) on request queue @q
 * and kick.  Return: how many went in (the ring may hold fewer).
 */
static unsigned int submit_reads(unsigned int q, struct scsi_io *io,
				 uint8_t *buf, unsigned int n, uint64_t lba)
{
	struct gvq *vq = vdev_reqq(&F.d, q);
	unsigned int i;

	for (i = 0; i < n; i++) {
		prep_rw(&io[i], false, lba + i, buf + (size_t)i * BLK);
		if (scsi_submit(&F.d, vq, &io[i], &layout_std))
			break;
	}
	gvq_kick(vq);
	return i;
}

/* READs that fill request queue @q (3 descriptors each). */
static unsigned int fill_queue(unsigned int q, struct scsi_io **iop,
			       uint8_t **bufp)
{
	unsigned int n = vdev_reqq(&F.d, q)->num / 3;

	*iop = calloc(n, sizeof(**iop));
	*bufp = calloc(n, BLK);
	if (!*iop || !*bufp)
		give_up("memory for the commands", -ENOMEM);
	return submit_reads(q, *iop, *bufp, n, 1000 * q);
}

/*
 * Reap request queue @q until the @n commands of @io are answered.  A
 * second answer to one of them shows as a used head not in flight (-EIO).
 * Return: the number answered.
 */
static unsigned int reap(unsigned int q, struct scsi_io *io, unsigned int n)
{
	struct gvq *vq = vdev_reqq(&F.d, q);
	int64_t dl = deadline();
	unsigned int i, got = 0;
	int ret = 0;

	for (;;) {
		for (i = 0, got = 0; i < n; i++)
			got += io[i].done;
		if (got == n)
			break;
		ret = scsi_reap(vq, dl);
		if (ret < 0)
			break;
	}
	if (ret == -EIO)
		ck(false, "every command answered at most once",
		   "queue %u: an answer for a head not in flight", q);
	else if (ret < 0)
		ck(false, "every command answered in time",
		   "queue %u: %u of %u answered after %u ms: %s", q, got, n,
		   F.o->timeout_ms, strerror(-ret));
	return got;
}

/* After everything was answered, nothing more comes in the next 200 ms. */
static void no_extra_answers(unsigned int q)
{
	struct gvq *vq = vdev_reqq(&F.d, q);

	usleep(200000);
	ck(!gvq_more_used(vq), "no answer beyond one per command",
	   "queue %u: used index %u, %u taken", q, gvq_used_idx(vq),
	   vq->last_used);
}

/* One command on queue @q, to completion; a timeout ends the case. */
static void exec(unsigned int q, struct scsi_io *io, const char *what)
{
	int ret = scsi_exec(&F.d, vdev_reqq(&F.d, q), io, &layout_std);

	if (ret)
		give_up(what, ret);
}

/*
 * One command on queue @q on the --fast-lun LUN, again while it gets a
 * UNIT ATTENTION (after a nexus, LUN or reset change), as a guest would.
 */
static void exec_ua(unsigned int q, struct scsi_io *io, bool write,
		    uint64_t lba, void *buf, const char *what)
{
	int i;

	for (i = 0; i < 4; i++) {
		prep_lun(io, F.fast_lun, write, lba, buf);
		exec(q, io, what);
		if (io->res.response || io->res.status != 0x02 ||
		    sense_decode(&io->res).key != 0x6)
			return;
		info("%s: UNIT ATTENTION asc %#04x, again", what,
		     sense_decode(&io->res).asc);
	}
}

/*
 * WRITE a pattern to a block through queue @q, read it back, compare: on
 * the --fast-lun LUN (LUN 1 in test 55), so that it costs no delay.
 */
static bool verify_io(unsigned int q, uint64_t lba, const char *what)
{
	uint8_t w[BLK], r[BLK];
	struct scsi_io io;

	pattern_fill(w, lba, 1, BLK, F.tag + 7);
	exec_ua(q, &io, true, lba, w, what);
	if (!good(&io))		/* one check line per verify_io() */
		return ck(false, what, "WRITE: %s", describe(&io));
	memset(r, 0, sizeof(r));
	exec_ua(q, &io, false, lba, r, what);
	return ck(good(&io) && !memcmp(w, r, BLK), what, "READ: %s, data %s",
		  describe(&io), memcmp(w, r, BLK) ? "differs" : "same");
}

/*
 * TEST UNIT READY on @lun until GOOD: takes the UNIT ATTENTION an earlier
 * case's reset or a LUN change left (it costs no disk I/O), so that the
 * slow commands of this case can be expected GOOD.
 */
static void clear_ua_lun(unsigned int lun)
{
	struct scsi_io io;
	int i;

	for (i = 0; i < 4; i++) {
		prep_lun(&io, lun, false, 0, NULL);
		io.din_len = 0;
		memset(io.cdb, 0, sizeof(io.cdb));
		exec(0, &io, "TEST UNIT READY answered");
		if (good(&io))
			return;
		info("TEST UNIT READY: %s", describe(&io));
	}
}

/* The same on the case's slow LUN. */
static void clear_ua(void)
{
	clear_ua_lun(F.o->lun);
}

/* ---- control queue, asynchronous ------------------------------------ */

struct tmf {
	uint8_t *resp;			/* in guest memory; the cookie */
	bool done;
	bool read_done_after;		/* READ answered when we saw this */
};

static int tmf_submit_lun(struct tmf *t, uint32_t subtype, unsigned int lun,
			  uint64_t tag)
{
	struct gvq *vq = &F.d.vq[0];
	struct sg sg[2] = { { .len = 24 }, { .len = 1, .dev_writes = true } };
	uint8_t *q;
	int ret;

	q = arena_alloc(&F.d.mem.data[0], 24, 64, &sg[0].gpa);
	t->resp = arena_alloc(&F.d.mem.data[1], 64, 64, &sg[1].gpa);
	if (!q || !t->resp)
		return -ENOMEM;
	memset(q, 0, 24);
	put_le32(q, VIRTIO_SCSI_T_TMF);
	put_le32(q + 4, subtype);
	vl_lun(q + 8, F.o->target, lun);
	put_le64(q + 16, tag);
	t->resp[0] = 0xee;
	t->done = false;
	ret = gvq_add(vq, sg, 2, false, t->resp);
	if (ret < 0)
		return ret;
	gvq_kick(vq);
	return 0;
}

static int tmf_submit(struct tmf *t, uint32_t subtype, uint64_t tag)
{
	return tmf_submit_lun(t, subtype, F.o->lun, tag);
}

/* Submit the TMFs @t[0..n-1] are set up for; wait for their answers. */
static void tmf_wait(struct tmf *t, unsigned int n, int64_t dl)
{
	struct gvq *cq = &F.d.vq[0];
	unsigned int i, left = n;
	void *cookie;
	int ret;

	while (left) {
		while ((ret = gvq_get_used(cq, &cookie, NULL)) > 0)
			for (i = 0; i < n; i++)
				if (cookie == t[i].resp && !t[i].done) {
					t[i].done = true;
					left--;
				}
		if (ret < 0)
			give_up("control queue answers", ret);
		if (left && now_ns() > dl)
			give_up("every TMF answered in time", -ETIMEDOUT);
		if (left)
			usleep(1000);
	}
}

/* The LUN number @io is addressed to (SAM-5 flat space, as vl_lun()). */
static unsigned int io_lun(const struct scsi_io *io)
{
	return (unsigned int)(io->lun[2] & 0x3f) << 8 | io->lun[3];
}

/*
 * Wait until the device holds each of the @n commands @io: QUERY TASK
 * answers FUNCTION SUCCEEDED for it.  A TMF sent after that finds them in
 * flight however long the host took to fetch them (a fixed sleep did
 * not: CI's busy host once queried a READ not fetched yet).  The
 * queries' memory is given back to the arenas once answered.
 */
static void wait_held(const struct scsi_io *io, unsigned int n)
{
	struct arena *a = F.d.mem.data;
	uint64_t next[2] = { a[0].next, a[1].next };
	int64_t dl = deadline();
	struct tmf t = { 0 };
	unsigned int i = 0;

	while (i < n) {
		if (tmf_submit_lun(&t, VIRTIO_SCSI_T_TMF_QUERY_TASK,
				   io_lun(&io[i]), io[i].tag))
			give_up("submit a QUERY TASK", -ENOSPC);
		tmf_wait(&t, 1, dl);
		a[0].next = next[0];
		a[1].next = next[1];
		if (t.resp[0] == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED) {
			i++;
			continue;
		}
		if (now_ns() > dl)
			give_up("the device holds the commands (QUERY TASK)",
				-ETIMEDOUT);
		usleep(10000);
	}
}

static bool tmf_ok(uint8_t r)
{
	return r == TMF_COMPLETE ||
	       r == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED;
}

/* ---- the cases ------------------------------------------------------ */

/* VARIABLE LENGTH CDBs longer than the request's 32 bytes. */
static void c_varlen(void)
{
	static const uint8_t addl[] = { 0xfc, 0x20 };
	uint8_t buf[BLK];
	struct scsi_io io;
	struct sense_info si;
	char what[128];
	unsigned int i;

	for (i = 0; i < sizeof(addl); i++) {
		prep_rw(&io, false, 0, buf);
		memset(io.cdb, 0, sizeof(io.cdb));
		io.cdb[0] = 0x7f;
		io.cdb[7] = addl[i];
		io.cdb[9] = 0x09;	/* READ(32), were it to fit */
		exec(0, &io, "varlen CDB answered");
		si = sense_decode(&io.res);
		snprintf(what, sizeof(what), "VARIABLE LENGTH CDB of %u bytes: "
			 "CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN "
			 "CDB", 8 + addl[i]);
		ck(io.res.response == VIRTIO_SCSI_S_OK &&
		   io.res.status == 0x02 && si.valid && si.key == 0x5 &&
		   si.asc == 0x24, what, "%s", describe(&io));
	}
	verify_io(0, 3, "a normal WRITE and READ after them");
}

/* ABORT TASK for tags never sent: each answered, well formed. */
static void c_tmf_flood(void)
{
	unsigned int i, ok = 0, first_bad = ~0U;
	uint8_t req[24], resp = 0;
	int ret;

	for (i = 0; i < FLOOD_TMFS; i++) {
		memset(req, 0, sizeof(req));
		put_le32(req, VIRTIO_SCSI_T_TMF);
		put_le32(req + 4, VIRTIO_SCSI_T_TMF_ABORT_TASK);
		vl_lun(req + 8, F.o->target, F.o->lun);
		put_le64(req + 16, 0x5afe0000ULL + i);
		ret = ctrl_exec(&F.d, req, sizeof(req), &resp, 1);
		if (ret)
			give_up("ABORT TASK answered in time", ret);
		if (tmf_ok(resp))
			ok++;
		else if (first_bad == ~0U)
			first_bad = resp;
	}
	ck(ok == FLOOD_TMFS, "300 ABORT TASK for tags not in flight: each "
	   "answered FUNCTION COMPLETE or SUCCEEDED", "%u of %u, first other "
	   "response %u", ok, FLOOD_TMFS, first_bad);
	verify_io(0, 4, "I/O after the TMF flood");
}

static int set_num(unsigned int index, unsigned int num)
{
	struct vhost_vring_state s = { .index = index, .num = num };

	return ioctl(F.d.fd, VHOST_SET_VRING_NUM, &s) < 0 ? -errno : 0;
}

static int get_base(unsigned int index, unsigned int *base)
{
	struct vhost_vring_state s = { .index = index };
	int ret = ioctl(F.d.fd, VHOST_GET_VRING_BASE, &s);

	*base = s.num;
	return ret < 0 ? -errno : 0;
}

/* SET_VRING_NUM, _BASE, _ADDR, _KICK for @vq as it is now, at @base. */
static int restart_vring(struct gvq *vq, unsigned int base)
{
	struct vhost_vring_state b = { .index = vq->index, .num = base };
	struct vhost_vring_addr a = {
		.index = vq->index,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	int ret = set_num(vq->index, vq->num);

	if (!ret && ioctl(F.d.fd, VHOST_SET_VRING_BASE, &b) < 0)
		ret = -errno;
	if (!ret && ioctl(F.d.fd, VHOST_SET_VRING_ADDR, &a) < 0)
		ret = -errno;
	if (!ret)
		ret = vdev_set_vring_fd(&F.d, VHOST_SET_VRING_KICK, vq->index,
					vq->kick_fd);
	return ret;
}

/* SET_VRING_NUM 0, 3 and 65536 on request queue 0: each EINVAL. */
static void refuse_nums(const char *when)
{
	static const unsigned int bad[] = { 0, 3, 65536 };
	struct gvq *vq = vdev_reqq(&F.d, 0);
	char what[128];
	unsigned int i;
	int ret;

	for (i = 0; i < 3; i++) {
		ret = set_num(vq->index, bad[i]);
		snprintf(what, sizeof(what), "SET_VRING_NUM %u on request "
			 "queue 0 %s refused with EINVAL", bad[i], when);
		ck(ret == -EINVAL, what, "%s", ret ? strerror(-ret) : "accepted");
	}
}

/*
 * Refused SET_VRING_NUM on request queue 0 before SET_ENDPOINT, then the
 * queue set up right; then refused again on the running queue, with no
 * other ioctl (a refused ioctl leaves the queue as it was: 78020f6 left
 * it stopped until the next accepted per-queue ioctl), then the right
 * SET_VRING_NUM alone.  Every queue must work after each.
 */
static void c_refused_num(void)
{
	struct gvq *vq = vdev_reqq(&F.d, 0);
	char what[96];
	unsigned int i;
	int ret;

	refuse_nums("before SET_ENDPOINT");
	ret = restart_vring(vq, 0);
	ck(!ret, "then SET_VRING_NUM/BASE/ADDR/KICK done right succeed",
	   "%s", strerror(-ret));
	if (vdev_attach(&F.d, rep))
		return;
	for (i = 0; i < F.o->queues; i++) {
		snprintf(what, sizeof(what), "I/O on request queue %u after "
			 "the refused ioctls", i);
		verify_io(i, 10 + i, what);
	}
	refuse_nums("while running");
	for (i = 0; i < F.o->queues; i++) {
		snprintf(what, sizeof(what), "I/O on request queue %u right "
			 "after the refused ioctls on the running queue", i);
		verify_io(i, 15 + i, what);
	}
	ret = set_num(vq->index, vq->num);
	ck(!ret, "then SET_VRING_NUM with the right size succeeds", "%s",
	   strerror(-ret));
	for (i = 0; i < F.o->queues; i++) {
		snprintf(what, sizeof(what), "I/O on request queue %u after "
			 "the refused ioctls on the running queue", i);
		verify_io(i, 20 + i, what);
	}
}

/* A refused SET_MEM_TABLE while attached leaves every queue working. */
static void c_refused_mem(void)
{
	struct vhost_memory *m;
	const struct gmem_region *r = &F.d.mem.r[0];
	char what[96];
	unsigned int i;
	int ret;

	verify_io(0, 20, "I/O before the refused memory tables");
	m = calloc(1, sizeof(*m) + 2 * sizeof(m->regions[0]));
	if (!m)
		give_up("memory", -ENOMEM);
	m->nregions = 1;		/* a region of size 0 */
	m->regions[0].guest_phys_addr = r->gpa;
	m->regions[0].userspace_addr = (uintptr_t)r->hva;
	ret = ioctl(F.d.fd, VHOST_SET_MEM_TABLE, m) < 0 ? -errno : 0;
	ck(ret, "SET_MEM_TABLE with a region of size 0 refused", "accepted");
	m->nregions = 2;		/* two regions overlapping */
	m->regions[0].memory_size = r->size;
	m->regions[1] = m->regions[0];
	m->regions[1].guest_phys_addr = r->gpa + 4096;
	ret = ioctl(F.d.fd, VHOST_SET_MEM_TABLE, m) < 0 ? -errno : 0;
	ck(ret, "SET_MEM_TABLE with overlapping regions refused", "accepted");
	free(m);
	for (i = 0; i < F.o->queues; i++) {
		snprintf(what, sizeof(what), "I/O on request queue %u after "
			 "the refused memory tables", i);
		verify_io(i, 30 + i, what);
	}
}

/*
 * ABORT TASK on a slow READ, then LUN RESET, before the READ completes:
 * well-formed answers, the READ answered once (ABORTED or RESET), and
 * each TMF answered only after the READ.  The control queue is looked at
 * before the request queue: a TMF answer seen while the READ's is still
 * missing after it proves the wrong order.
 */
static void c_abort_reset(void)
{
	struct gvq *cq = &F.d.vq[0], *rq = vdev_reqq(&F.d, 0);
	struct tmf t[2] = { { 0 } };
	int64_t dl = deadline();
	uint8_t buf[BLK];
	struct scsi_io io;
	void *cookie;
	unsigned int i, nt = 0;
	int ret;

	clear_ua();			/* an earlier case's reset */
	if (submit_reads(0, &io, buf, 1, 7) != 1)
		give_up("submit the READ", -ENOSPC);
	wait_held(&io, 1);
	if (tmf_submit(&t[0], VIRTIO_SCSI_T_TMF_ABORT_TASK, io.tag) ||
	    tmf_submit(&t[1], VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0))
		give_up("submit the TMFs", -ENOSPC);
	while (nt < 2 || !io.done) {
		bool seen[2] = { false, false };

		while ((ret = gvq_get_used(cq, &cookie, NULL)) > 0)
			for (i = 0; i < 2; i++)
				if (cookie == t[i].resp && !t[i].done)
					t[i].done = seen[i] = true;
		if (ret < 0)
			give_up("control queue answers", ret);
		nt = t[0].done + t[1].done;
		/* Looked at after the control queue: see above. */
		if (gvq_more_used(rq) && (ret = scsi_reap(rq, dl)) < 0)
			give_up("one answer for the READ", ret);
		for (i = 0; i < 2; i++)
			if (seen[i])
				t[i].read_done_after = io.done;
		if (now_ns() > dl)
			break;
		usleep(1000);
	}
	ck(t[0].done && tmf_ok(t[0].resp[0]), "ABORT TASK answered "
	   "FUNCTION COMPLETE or SUCCEEDED", "%s, response %u",
	   t[0].done ? "answered" : "not answered", t[0].resp[0]);
	ck(t[1].done && tmf_ok(t[1].resp[0]), "LUN RESET answered "
	   "FUNCTION COMPLETE or SUCCEEDED", "%s, response %u",
	   t[1].done ? "answered" : "not answered", t[1].resp[0]);
	ck(io.done && (io.res.response == VIRTIO_SCSI_S_ABORTED ||
		       io.res.response == VIRTIO_SCSI_S_RESET),
	   "the READ answered ABORTED or RESET", "%s",
	   io.done ? describe(&io) : "not answered");
	info("order: ABORT TASK %s, LUN RESET %s the READ's answer",
	     t[0].read_done_after ? "after" : "BEFORE",
	     t[1].read_done_after ? "after" : "BEFORE");
	ck(t[0].read_done_after && t[1].read_done_after,
	   "each TMF answered only after the READ it cancelled",
	   "ABORT TASK %s, LUN RESET %s", t[0].read_done_after ? "after" :
	   "before", t[1].read_done_after ? "after" : "before");
	no_extra_answers(0);
	verify_io(0, 40, "I/O after the TMFs");
}

/* VHOST_SET_FEATURES with @features (QEMU sets them again at each start). */
static int set_features(uint64_t features)
{
	return ioctl(F.d.fd, VHOST_SET_FEATURES, &features) < 0 ? -errno : 0;
}

/*
 * VHOST_SET_LOG_BASE with a dirty log covering guest memory, as QEMU sets
 * it when a migration starts (logging itself stays off: VHOST_F_LOG_ALL
 * is not acked).  The log is never freed: the device may keep its address.
 */
static int set_log_base(void)
{
	uint64_t base;
	void *log = calloc(1, vdev_log_bytes(&F.d));

	if (!log)
		return -ENOMEM;
	base = (uintptr_t)log;
	return ioctl(F.d.fd, VHOST_SET_LOG_BASE, &base) < 0 ? -errno : 0;
}

/*
 * A slow READ on --lun (A) and one on --other-lun (B, another backstore);
 * then ABORT TASK for B's READ and LUN RESET of A, without waiting: A's
 * READ is answered RESET, B's ABORTED (virtio 1.2, 5.6.6.1), although B's
 * was aborted while A's reset was in LIO.  Both TMFs succeed.
 */
static void c_abort_other_lun(void)
{
	struct gvq *cq = &F.d.vq[0], *rq = vdev_reqq(&F.d, 0);
	uint8_t buf[2][BLK];
	struct tmf t[2] = { { 0 } };
	struct scsi_io io[2];
	int64_t dl = deadline();
	void *cookie;
	unsigned int i;
	int ret;

	if (F.o->other_lun == ~0U)
		give_up("--other-lun given", -EINVAL);
	clear_ua();
	clear_ua_lun(F.o->other_lun);
	prep_rw(&io[0], false, 7, buf[0]);
	prep_lun(&io[1], F.o->other_lun, false, 7, buf[1]);
	for (i = 0; i < 2; i++)
		if (scsi_submit(&F.d, rq, &io[i], &layout_std))
			give_up("submit the READs", -ENOSPC);
	gvq_kick(rq);
	wait_held(io, 2);
	if (tmf_submit_lun(&t[0], VIRTIO_SCSI_T_TMF_ABORT_TASK,
			   F.o->other_lun, io[1].tag) ||
	    tmf_submit_lun(&t[1], VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
			   F.o->lun, 0))
		give_up("submit the TMFs", -ENOSPC);
	while (!t[0].done || !t[1].done || !io[0].done || !io[1].done) {
		while ((ret = gvq_get_used(cq, &cookie, NULL)) > 0)
			for (i = 0; i < 2; i++)
				t[i].done |= cookie == t[i].resp;
		if (ret < 0)
			give_up("control queue answers", ret);
		if (gvq_more_used(rq) && (ret = scsi_reap(rq, dl)) < 0)
			give_up("one answer per READ", ret);
		if (now_ns() > dl)
			give_up("every TMF and READ answered in time", -ETIMEDOUT);
		usleep(1000);
	}
	ck(tmf_ok(t[0].resp[0]) && tmf_ok(t[1].resp[0]),
	   "ABORT TASK (LUN B) and LUN RESET (LUN A) succeed",
	   "responses %u, %u", t[0].resp[0], t[1].resp[0]);
	ck(io[0].res.response == VIRTIO_SCSI_S_RESET,
	   "LUN A's READ, cancelled by its LUN RESET, answered RESET", "%s",
	   describe(&io[0]));
	ck(io[1].res.response == VIRTIO_SCSI_S_ABORTED,
	   "LUN B's READ, cancelled by ABORT TASK during A's reset, answered "
	   "ABORTED", "%s", describe(&io[1]));
	no_extra_answers(0);
}

/*
 * QUERY TASK and QUERY TASK SET (SAM-5 7.8, 7.9), answered by the device
 * from its own commands: FUNCTION SUCCEEDED for a READ the slow LUN
 * holds, FUNCTION COMPLETE for a tag not in flight and for an idle LUN,
 * and for the READ once it was answered.
 */
static void c_query_task(void)
{
	struct gvq *rq = vdev_reqq(&F.d, 0);
	struct tmf t[4] = { { 0 } };
	int64_t dl = deadline();
	uint8_t buf[BLK];
	struct scsi_io io;
	bool early;
	int ret;

	clear_ua();
	clear_ua_lun(F.fast_lun);
	if (submit_reads(0, &io, buf, 1, 7) != 1)
		give_up("submit the READ", -ENOSPC);
	wait_held(&io, 1);
	if (tmf_submit(&t[0], VIRTIO_SCSI_T_TMF_QUERY_TASK, io.tag) ||
	    tmf_submit(&t[1], VIRTIO_SCSI_T_TMF_QUERY_TASK, io.tag + 1000) ||
	    tmf_submit(&t[2], VIRTIO_SCSI_T_TMF_QUERY_TASK_SET, 0) ||
	    tmf_submit_lun(&t[3], VIRTIO_SCSI_T_TMF_QUERY_TASK_SET,
			   F.fast_lun, 0))
		give_up("submit the queries", -ENOSPC);
	tmf_wait(t, 4, dl);
	if (gvq_more_used(rq) && (ret = scsi_reap(rq, dl)) < 0)
		give_up("one answer for the READ", ret);
	early = !io.done;
	ck(early, "the queries were answered while the slow READ was in "
	   "flight", "the READ was answered first (%s)", describe(&io));
	ck(t[0].resp[0] == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED,
	   "QUERY TASK of the READ: FUNCTION SUCCEEDED", "response %u",
	   t[0].resp[0]);
	ck(t[1].resp[0] == TMF_COMPLETE,
	   "QUERY TASK of a tag not in flight: FUNCTION COMPLETE",
	   "response %u", t[1].resp[0]);
	ck(t[2].resp[0] == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED,
	   "QUERY TASK SET of the slow LUN: FUNCTION SUCCEEDED",
	   "response %u", t[2].resp[0]);
	ck(t[3].resp[0] == TMF_COMPLETE,
	   "QUERY TASK SET of an idle LUN: FUNCTION COMPLETE", "response %u",
	   t[3].resp[0]);
	while (!io.done) {
		if ((ret = scsi_reap(rq, dl)) < 0)
			give_up("one answer for the READ", ret);
	}
	ck(good(&io), "the READ completes GOOD (queries abort nothing)",
	   "%s", describe(&io));
	memset(t, 0, sizeof(t));
	if (tmf_submit(&t[0], VIRTIO_SCSI_T_TMF_QUERY_TASK, io.tag) ||
	    tmf_submit(&t[1], VIRTIO_SCSI_T_TMF_QUERY_TASK_SET, 0))
		give_up("submit the queries", -ENOSPC);
	tmf_wait(t, 2, deadline());
	ck(t[0].resp[0] == TMF_COMPLETE &&
	   t[1].resp[0] == TMF_COMPLETE,
	   "after the READ's answer: QUERY TASK and QUERY TASK SET FUNCTION "
	   "COMPLETE", "responses %u, %u", t[0].resp[0], t[1].resp[0]);
	no_extra_answers(0);
}

/* ---- task-set TMFs (issue 9): ABORT/CLEAR TASK SET, I_T NEXUS RESET -- */

/* TEST UNIT READY on @lun (queue 0), to its answer. */
static void tur(struct scsi_io *io, unsigned int lun)
{
	prep_lun(io, lun, false, 0, NULL);
	io->din_len = 0;
	memset(io->cdb, 0, sizeof(io->cdb));
	exec(0, io, "TEST UNIT READY answered");
}

/* A slow READ on @lun, request queue 0, not kicked. */
static void submit_on(struct scsi_io *io, unsigned int lun, uint64_t lba,
		      uint8_t *buf)
{
	prep_lun(io, lun, false, lba, buf);
	if (scsi_submit(&F.d, vdev_reqq(&F.d, 0), io, &layout_std))
		give_up("submit a READ", -ENOSPC);
}

/*
 * Wait for TMF @t and the @n commands @io on request queue @q..(@q + 1 if
 * @two).  The control queue is looked at before the request queues (as in
 * c_abort_reset()): commands not answered once the request queues were
 * reaped after the TMF's answer was seen were answered after it.  A
 * second answer to a command fails the case (scsi_reap(): -EIO).
 * Return: commands of @io[0..@victims-1] answered after the TMF.
 */
static unsigned int tmf_race(struct tmf *t, struct scsi_io *io,
			     unsigned int n, unsigned int victims, bool two)
{
	struct gvq *cq = &F.d.vq[0];
	unsigned int i, q, left, late = 0;
	int64_t dl = deadline();
	bool seen = false;
	void *cookie;
	int ret;

	for (;;) {
		while ((ret = gvq_get_used(cq, &cookie, NULL)) > 0)
			if (cookie == t->resp && !t->done)
				t->done = seen = true;
		if (ret < 0)
			give_up("control queue answers", ret);
		for (q = 0; q <= (unsigned int)two; q++) {
			struct gvq *rq = vdev_reqq(&F.d, q);

			while (gvq_more_used(rq))
				if ((ret = scsi_reap(rq, dl)) < 0)
					give_up("one answer per command", ret);
		}
		if (seen) {
			for (i = 0; i < victims; i++)
				late += !io[i].done;
			seen = false;
		}
		for (i = 0, left = 0; i < n; i++)
			left += !io[i].done;
		if (t->done && !left)
			return late;
		if (now_ns() > dl)
			give_up("the TMF and every command answered in time",
				-ETIMEDOUT);
		usleep(1000);
	}
}

/*
 * ABORT TASK SET (abort-task-set) or CLEAR TASK SET (clear-task-set) on
 * the slow LUN while 4 slow READs are in flight there and one on
 * --other-lun: the 4 answered ABORTED, each once, all before the TMF's
 * FUNCTION COMPLETE; the other LUN's READ is not in the task set: GOOD.
 */
static void c_task_set(void)
{
	bool clear = !strcmp(F.o->scase, "clear-task-set");
	const char *name = clear ? "CLEAR TASK SET" : "ABORT TASK SET";
	struct tmf t = { 0 };
	uint8_t buf[5 * BLK];
	struct scsi_io io[5];
	unsigned int i, aborted = 0, late;
	char what[160];

	if (F.o->other_lun == ~0U)
		give_up("--other-lun given", -EINVAL);
	clear_ua();
	clear_ua_lun(F.o->other_lun);
	for (i = 0; i < 4; i++)
		submit_on(&io[i], F.o->lun, 7 + i, buf + i * BLK);
	submit_on(&io[4], F.o->other_lun, 7, buf + 4 * BLK);
	gvq_kick(vdev_reqq(&F.d, 0));
	wait_held(io, 5);
	if (tmf_submit(&t, clear ? VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET :
		       VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, 0))
		give_up("submit the TMF", -ENOSPC);
	late = tmf_race(&t, io, 5, 4, false);
	snprintf(what, sizeof(what), "%s answered FUNCTION COMPLETE", name);
	ck(t.resp[0] == TMF_COMPLETE, what, "response %u", t.resp[0]);
	for (i = 0; i < 4; i++)
		aborted += io[i].res.response == VIRTIO_SCSI_S_ABORTED;
	snprintf(what, sizeof(what), "%s: the 4 READs in flight on its LUN "
		 "answered ABORTED", name);
	ck(aborted == 4, what, "%u ABORTED; first: %s", aborted,
	   describe(&io[0]));
	snprintf(what, sizeof(what), "%s answered only after every READ it "
		 "aborted", name);
	ck(!late, what, "%u READs answered after it", late);
	snprintf(what, sizeof(what), "%s: the READ on another LUN is not in "
		 "its task set: GOOD", name);
	ck(good(&io[4]), what, "%s", describe(&io[4]));
	no_extra_answers(0);
	verify_io(0, 40, "I/O after the TMF");
}

/*
 * ABORT TASK SET with both request queues full of slow READs (more than
 * the 50 TMFs a device hands LIO in 5 s): every READ answered once,
 * ABORTED or (its ABORT TASK waiting for the rate limit past the disk's
 * delay) GOOD; at most 50 aborted (each abort is one LIO TMF); the TMF
 * answered after all of them.
 */
static void c_task_set_many(void)
{
	unsigned int per = vdev_reqq(&F.d, 0)->num / 3, total = 0, q, i;
	unsigned int aborted = 0, good_n = 0, late;
	struct tmf t = { 0 };
	struct scsi_io *io;
	uint8_t *buf;

	if (F.o->queues < 2)
		give_up("--queues 2", -EINVAL);
	io = calloc(2 * per, sizeof(*io));
	buf = calloc(2 * per, BLK);
	if (!io || !buf)
		give_up("memory for the commands", -ENOMEM);
	clear_ua();
	for (q = 0; q < 2; q++)
		total += submit_reads(q, io + total, buf + (size_t)total * BLK,
				      per, 1000 * q);
	wait_held(io, total);
	if (tmf_submit(&t, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, 0))
		give_up("submit the TMF", -ENOSPC);
	late = tmf_race(&t, io, total, total, true);
	for (i = 0; i < total; i++) {
		aborted += io[i].res.response == VIRTIO_SCSI_S_ABORTED;
		good_n += good(&io[i]);
	}
	info("ABORT TASK SET of %u READs: %u ABORTED, %u GOOD", total,
	     aborted, good_n);
	ck(t.resp[0] == TMF_COMPLETE, "ABORT TASK SET of two full queues "
	   "answered FUNCTION COMPLETE", "response %u", t.resp[0]);
	ck(total > 50 && aborted + good_n == total, "every one of more than "
	   "50 READs answered once, ABORTED or GOOD", "%u READs, %u ABORTED, "
	   "%u GOOD", total, aborted, good_n);
	ck(aborted >= 1 && aborted <= 50, "1 to 50 of them ABORTED (at most "
	   "50 ABORT TASKs to LIO in 5 s)", "%u ABORTED", aborted);
	ck(!late, "ABORT TASK SET answered only after every READ",
	   "%u answered after it", late);
	no_extra_answers(0);
	no_extra_answers(1);
	verify_io(0, 40, "I/O after the TMF");
}

/*
 * I_T NEXUS RESET with slow READs in flight on the slow LUN and on
 * --other-lun: all answered RESET, each once, before the TMF's FUNCTION
 * COMPLETE.  Then every LUN of the nexus (slow, fast, other) answers its
 * next command CHECK CONDITION, UNIT ATTENTION, I_T NEXUS LOSS OCCURRED
 * (29h/07h), once: the command after it is GOOD.  An INQUIRY first (on the
 * fast LUN) neither reports nor clears it.
 */
static void c_nexus_reset(void)
{
	unsigned int luns[3] = { F.o->lun, F.fast_lun, F.o->other_lun };
	uint8_t buf[3 * BLK], inq[36];
	struct tmf t = { 0 };
	struct scsi_io io[3], u;
	struct sense_info si;
	unsigned int i, reset = 0, late;
	char what[160];

	if (F.o->other_lun == ~0U || F.fast_lun == F.o->lun)
		give_up("--other-lun and --fast-lun given", -EINVAL);
	for (i = 0; i < 3; i++)
		clear_ua_lun(luns[i]);
	submit_on(&io[0], F.o->lun, 7, buf);
	submit_on(&io[1], F.o->lun, 8, buf + BLK);
	submit_on(&io[2], F.o->other_lun, 7, buf + 2 * BLK);
	gvq_kick(vdev_reqq(&F.d, 0));
	wait_held(io, 3);
	if (tmf_submit(&t, VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, 0))
		give_up("submit the TMF", -ENOSPC);
	late = tmf_race(&t, io, 3, 3, false);
	ck(t.resp[0] == TMF_COMPLETE, "I_T NEXUS RESET answered FUNCTION "
	   "COMPLETE", "response %u", t.resp[0]);
	for (i = 0; i < 3; i++)
		reset += io[i].res.response == VIRTIO_SCSI_S_RESET;
	ck(reset == 3, "I_T NEXUS RESET: the READs in flight on two LUNs "
	   "answered RESET", "%u RESET; first: %s", reset, describe(&io[0]));
	ck(!late, "I_T NEXUS RESET answered only after every READ it "
	   "aborted", "%u READs answered after it", late);
	no_extra_answers(0);

	/* INQUIRY: not a unit attention's to report or clear (SPC-4). */
	prep_lun(&u, F.fast_lun, false, 0, inq);
	memset(u.cdb, 0, sizeof(u.cdb));
	u.cdb[0] = 0x12;
	u.cdb[4] = sizeof(inq);
	u.din_len = sizeof(inq);
	exec(0, &u, "INQUIRY answered");
	ck(good(&u), "INQUIRY after the I_T NEXUS RESET: GOOD", "%s",
	   describe(&u));
	for (i = 0; i < 3; i++) {
		tur(&u, luns[i]);
		si = sense_decode(&u.res);
		snprintf(what, sizeof(what), "LUN %u: the first command after "
			 "the I_T NEXUS RESET: UNIT ATTENTION, I_T NEXUS LOSS "
			 "OCCURRED (29h/07h)", luns[i]);
		ck(u.res.response == VIRTIO_SCSI_S_OK && u.res.status == 0x02 &&
		   si.valid && si.key == 0x6 && si.asc == 0x29 &&
		   si.ascq == 0x07, what, "%s ascq %#04x", describe(&u),
		   si.ascq);
		tur(&u, luns[i]);
		snprintf(what, sizeof(what), "LUN %u: the command after that: "
			 "GOOD", luns[i]);
		ck(good(&u), what, "%s", describe(&u));
	}
	verify_io(0, 40, "I/O after the I_T NEXUS RESET");
}

/* A control request of type @type, TMF subtype @subtype; its answer. */
static void ctl_raw(uint32_t type, uint32_t subtype, uint8_t *resp,
		    uint32_t *len)
{
	struct gvq *cq = &F.d.vq[0];
	struct sg sg[2] = { { .len = 24 }, { .len = 8, .dev_writes = true } };
	int64_t dl = deadline();
	uint8_t *q, *r;
	void *cookie;
	int ret;

	q = arena_alloc(&F.d.mem.data[0], 24, 64, &sg[0].gpa);
	r = arena_alloc(&F.d.mem.data[1], 64, 64, &sg[1].gpa);
	if (!q || !r)
		give_up("guest memory", -ENOMEM);
	memset(q, 0, 24);
	memset(r, 0xee, 8);
	put_le32(q, type);
	put_le32(q + 4, subtype);
	vl_lun(q + 8, F.o->target, F.o->lun);
	if (gvq_add(cq, sg, 2, false, r) < 0)
		give_up("submit a control request", -ENOSPC);
	gvq_kick(cq);
	while ((ret = gvq_get_used(cq, &cookie, len)) == 0) {
		if (now_ns() > dl)
			give_up("a control request answered in time",
				-ETIMEDOUT);
		usleep(1000);
	}
	if (ret < 0 || cookie != r)
		give_up("the control request's answer", ret < 0 ? ret : -EIO);
	*resp = r[0];
}

/*
 * The TMFs answered at once: CLEAR ACA (no ACA exists) and an unknown
 * subtype FUNCTION REJECTED; an unknown control request type handed back
 * (used length 0: no response layout to fill); ABORT TASK SET, CLEAR TASK
 * SET and I_T NEXUS RESET with nothing in flight FUNCTION COMPLETE.
 */
static void c_tmf_other(void)
{
	static const struct { uint32_t type, sub; uint8_t want; uint32_t len;
			      const char *what; } r[] = {
		{ VIRTIO_SCSI_T_TMF, VIRTIO_SCSI_T_TMF_CLEAR_ACA, 11, 1,
		  "CLEAR ACA: FUNCTION REJECTED (no ACA can exist)" },
		{ VIRTIO_SCSI_T_TMF, 99, 11, 1,
		  "TMF subtype 99: FUNCTION REJECTED" },
		{ VIRTIO_SCSI_T_TMF, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, 0, 1,
		  "ABORT TASK SET, nothing in flight: FUNCTION COMPLETE" },
		{ VIRTIO_SCSI_T_TMF, VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET, 0, 1,
		  "CLEAR TASK SET, nothing in flight: FUNCTION COMPLETE" },
		{ VIRTIO_SCSI_T_TMF, VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, 0, 1,
		  "I_T NEXUS RESET, nothing in flight: FUNCTION COMPLETE" },
		{ 7, 0, 0xee, 0, "control request type 7: handed back, used "
		  "length 0" },
	};
	unsigned int i;
	uint32_t len;
	uint8_t resp;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		ctl_raw(r[i].type, r[i].sub, &resp, &len);
		ck(resp == r[i].want && len == r[i].len, r[i].what,
		   "response %u, used length %u", resp, len);
	}
}

/*
 * When @ioctl returned, the @n commands of request queue 0 sent after its
 * used index was @used0 were answered.
 */
static void answered_by_then(const char *ioctl_name, unsigned int n,
			     uint16_t used0)
{
	uint16_t used = gvq_used_idx(vdev_reqq(&F.d, 0)) - used0;
	char what[128];

	snprintf(what, sizeof(what), "%s returned only once the %u READs in "
		 "flight were answered", ioctl_name, n);
	ck(used == n, what, "%u answered", used);
}

/*
 * An ioctl that needs a quiesced queue, issued with slow READs in flight
 * on request queue 0: it waits for them, they are all answered once,
 * and I/O goes on afterwards.
 */
static void c_during(const char *which)
{
	struct gvq *vq = vdev_reqq(&F.d, 0);
	struct scsi_io io[8];
	uint8_t buf[8 * BLK];
	unsigned int n, got, base = 0;
	uint16_t used0;
	int64_t t0;
	char what[128];
	int ret;

	clear_ua();
	/* What was answered before (the TEST UNIT READYs) is not counted. */
	used0 = gvq_used_idx(vq);
	n = submit_reads(0, io, buf, 8, 50);
	wait_held(io, n);
	t0 = now_ns();
	if (!strcmp(which, "mem-table")) {
		ret = vdev_set_mem_table(&F.d, rep);
		answered_by_then("SET_MEM_TABLE", n, used0);
	} else if (!strcmp(which, "vring-num")) {
		/* As QEMU: NUM, then BASE (what it published), ADDR, KICK. */
		ret = set_num(vq->index, vq->num);
		answered_by_then("SET_VRING_NUM", n, used0);
		if (!ret) {
			timed("SET_VRING_NUM", t0);
			ret = restart_vring(vq, vq->avail_idx);
		}
	} else if (!strcmp(which, "features")) {
		ret = set_features(F.d.acked);
		answered_by_then("SET_FEATURES", n, used0);
	} else if (!strcmp(which, "log-base")) {
		ret = set_log_base();
		answered_by_then("SET_LOG_BASE", n, used0);
	} else {
		ret = get_base(vq->index, &base);
		timed("GET_VRING_BASE", t0);
		ck(!ret && base == gvq_used_idx(vq) &&
		   (uint16_t)(base - used0) == n,
		   "GET_VRING_BASE during I/O: last_avail = commands answered "
		   "= commands sent", "%s, base %u, used index %u, sent %u "
		   "after used index %u", ret ? strerror(-ret) : "ok", base,
		   gvq_used_idx(vq), n, used0);
		if (!ret)
			ret = restart_vring(vq, base);
	}
	snprintf(what, sizeof(what), "%s during I/O succeeds", which);
	timed(what, t0);
	ck(!ret, what, "%s", strerror(-ret));
	got = reap(0, io, n);
	snprintf(what, sizeof(what), "the %u READs in flight across %s all "
		 "answered GOOD", n, which);
	for (base = 0; base < got; base++)
		if (!good(&io[base]))
			break;
	ck(got == n && base == n, what, "%u of %u answered, first not GOOD: "
	   "%s", got, n, base < n ? describe(&io[base]) : "none");
	no_extra_answers(0);
	snprintf(what, sizeof(what), "I/O after %s", which);
	verify_io(0, 60, what);
}

/* Rings of @num for every queue, told to the device; base 0. */
static int new_rings(unsigned int num)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < F.d.nvqs && !ret; i++) {
		struct gvq *vq = &F.d.vq[i];
		bool eidx = vq->event_idx;

		gvq_fini(vq);
		ret = gvq_init(vq, &F.d.mem.perm, i, num, eidx);
		if (!ret)
			ret = vdev_set_vring_fd(&F.d, VHOST_SET_VRING_CALL, i,
						vq->call_fd);
		if (!ret)
			ret = vdev_set_vring_fd(&F.d, VHOST_SET_VRING_ERR, i,
						vq->err_fd);
		if (!ret)
			ret = restart_vring(vq, 0);
	}
	return ret;
}

/*
 * QEMU's guest reset with a slow command in flight: CLEAR_ENDPOINT,
 * GET_VRING_BASE of every queue, then every ring at half the size, and
 * SET_ENDPOINT again.  GET_VRING_BASE must count only answered requests.
 */
static void c_guest_reset(void)
{
	struct gvq *vq = vdev_reqq(&F.d, 0);
	unsigned int i, base, used;
	uint8_t buf[BLK];
	struct scsi_io io;
	int64_t t0;
	int ret;

	clear_ua();
	if (submit_reads(0, &io, buf, 1, 70) != 1)
		give_up("submit the READ", -ENOSPC);
	wait_held(&io, 1);
	t0 = now_ns();
	ret = vdev_clear_endpoint(&F.d);
	timed("CLEAR_ENDPOINT", t0);
	ck(!ret, "CLEAR_ENDPOINT with a slow READ in flight", "%s",
	   strerror(-ret));
	for (i = 0; i < F.d.nvqs; i++) {
		t0 = now_ns();
		ret = get_base(i, &base);
		if (i == vq->index) {
			timed("GET_VRING_BASE (request queue 0)", t0);
			used = gvq_used_idx(vq);
			ck(!ret && base == used, "GET_VRING_BASE of request "
			   "queue 0 = requests answered (none lost)",
			   "%s, base %u, answered %u", ret ? strerror(-ret) :
			   "ok", base, used);
		} else if (ret) {
			ck(false, "GET_VRING_BASE", "vq %u: %s", i,
			   strerror(-ret));
		}
	}
	if (gvq_more_used(vq))
		reap(0, &io, 1);
	ck(io.done, "the READ in flight was answered by then", "%s",
	   "not answered");
	info("READ in flight at the reset: %s",
	     io.done ? describe(&io) : "not answered");
	ret = new_rings(F.o->ring / 2);
	ck(!ret, "every ring set up again at half the size", "%s",
	   strerror(-ret));
	if (ret || vdev_attach(&F.d, rep))
		return;
	for (i = 0; i < F.o->queues; i++) {
		char what[96];

		snprintf(what, sizeof(what), "I/O on request queue %u after "
			 "the reset, ring of %u", i, F.o->ring / 2);
		verify_io(i, 80 + i, what);
	}
}

/* Fill every request queue with slow READs; the count. */
static unsigned int fill_all(void)
{
	struct scsi_io *io;
	unsigned int q, n = 0;
	uint8_t *buf;

	for (q = 0; q < F.o->queues; q++)
		n += fill_queue(q, &io, &buf);	/* the device owns them */
	usleep(300000);
	printf("INFLIGHT %u\n", n);
	fflush(stdout);
	return n;
}

/* Close the device with every queue full of slow READs, timed. */
static void c_close(void)
{
	int64_t t0;

	fill_all();
	t0 = now_ns();
	close(F.d.fd);
	timed("close", t0);
	F.d.fd = -1;
}

/* Every queue full, then wait to be killed (SIGKILL). */
static void c_hold(void)
{
	fill_all();
	puts("READY");
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * Every queue full, then an ioctl that waits for LIO: CLEAR_ENDPOINT
 * (kill-wait), SET_FEATURES (kill-features) or SET_LOG_BASE
 * (kill-log-base).  The shell kills us during it.
 */
static void c_kill_wait(void)
{
	const char *what;
	int64_t t0;
	int ret;

	fill_all();
	puts("WAITING");
	fflush(stdout);
	t0 = now_ns();
	if (!strcmp(F.o->scase, "kill-features")) {
		what = "SET_FEATURES";
		ret = set_features(F.d.acked);
	} else if (!strcmp(F.o->scase, "kill-log-base")) {
		what = "SET_LOG_BASE";
		ret = set_log_base();
	} else {
		what = "CLEAR_ENDPOINT";
		ret = vdev_clear_endpoint(&F.d);
	}
	timed(what, t0);
	printf("RETURNED %d\n", ret);
	fflush(stdout);
	for (;;)
		pause();
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool attach;
} cases[] = {
	{ "varlen", c_varlen, true },
	{ "tmf-flood", c_tmf_flood, true },
	{ "refused-num", c_refused_num, false },
	{ "refused-mem", c_refused_mem, true },
	{ "abort-reset", c_abort_reset, true },
	{ "abort-other-lun", c_abort_other_lun, true },
	{ "query-task", c_query_task, true },
	{ "abort-task-set", c_task_set, true },
	{ "clear-task-set", c_task_set, true },
	{ "abort-task-set-many", c_task_set_many, true },
	{ "nexus-reset", c_nexus_reset, true },
	{ "tmf-other", c_tmf_other, true },
	{ "during-mem-table", NULL, true },
	{ "during-vring-num", NULL, true },
	{ "during-vring-base", NULL, true },
	{ "during-features", NULL, true },
	{ "during-log-base", NULL, true },
	{ "guest-reset", c_guest_reset, true },
	{ "kill-wait", c_kill_wait, true },
	{ "kill-features", c_kill_wait, true },
	{ "kill-log-base", c_kill_wait, true },
	{ "close", c_close, true },
	{ "hold", c_hold, true },
};

int run_safety(const struct vl_opts *o)
{
	unsigned int i;

	F.o = o;
	F.t.mode = "safety";
	F.t.o = o;
	F.tag = 0x5afe000000ULL;
	F.fast_lun = o->fast_lun == ~0U ? o->lun : o->fast_lun;
	if (!o->scase) {
		fprintf(stderr, "vl-guest: safety needs --case NAME\n");
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, o->scase))
			break;
	if (i == sizeof(cases) / sizeof(cases[0])) {
		fprintf(stderr, "vl-guest: unknown case '%s'\n", o->scase);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (vdev_setup(&F.d, o, rep) ||
	    (cases[i].attach && vdev_attach(&F.d, rep)))
		return done_exit();
	if (cases[i].fn)
		cases[i].fn();
	else
		c_during(o->scase + strlen("during-"));
	return done_exit();
}
