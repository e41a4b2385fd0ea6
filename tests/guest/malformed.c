// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed guests (issue 7): one case per process, vl-guest --case NAME
 * [--repeat N] malformed.  Each case writes a bad descriptor chain or a
 * bad request into the guest's rings by hand, kicks, and checks how the
 * device reacts:
 *
 * - a ring the split-ring walker rejects (drivers/core/vring.c): the
 *   queue's VHOST_SET_VRING_ERR eventfd fires, no used entry appears,
 *   VHOST_GET_VRING_BASE says the bad chain was not taken, another request
 *   queue keeps working, and after the VMM's restart of the ring
 *   (GET_VRING_BASE, SET_VRING_BASE 0, _NUM, _ADDR, _KICK) on zeroed rings
 *   a TEST UNIT READY is GOOD;
 * - a request the virtio-scsi parser rejects (drivers/core/vscsi.c): a
 *   used entry with the virtio-scsi response, or used length 0 where there
 *   is no room for one; the queue keeps working.
 *
 * The flip case has a thread rewrite request headers and descriptor
 * lengths and addresses of chains the device may be reading while the
 * main thread submits commands.  Every case ends with a fresh open of the
 * device and an INQUIRY.  Output as in safety.c: PASS:/FAIL:/INFO: lines.
 * The shell (tests/vm/56-malformed.sh) counts kernel log lines per case.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "vl-guest.h"

#define POISON		0xee
#define F_NEXT		VRING_DESC_F_NEXT
#define F_WRITE		VRING_DESC_F_WRITE
#define F_IND		VRING_DESC_F_INDIRECT
#define OUTSIDE_GPA	0x1000ULL	/* below --gpa-base: not guest RAM */

struct mf {
	const struct vl_opts *o;
	struct vl_opts opts;		/* what the case runs with */
	struct vdev d;
	struct tally t;
	uint64_t tag;
	/* a good TEST UNIT READY's two buffers, for bad chains */
	uint8_t *hdr, *resp;
	uint64_t hdr_gpa, resp_gpa;
};

static struct mf M;

#define ck(ok, what, ...) tally_ck(&M.t, ok, what, __VA_ARGS__)

static void rep(bool ok, const char *what, const char *detail)
{
	if (!ok)
		ck(false, what, "%s", detail ? detail : "");
}

static int done_exit(void)
{
	return tally_exit(&M.t);
}

static void give_up(const char *what, int err)
{
	ck(false, what, "%s", strerror(-err));
	exit(done_exit());
}

static int64_t deadline(void)
{
	return now_ns() + (int64_t)M.o->timeout_ms * 1000000;
}

static struct gvq *rq(unsigned int q)
{
	return vdev_reqq(&M.d, q);
}

/* ---- good commands ---------------------------------------------------- */

/* TEST UNIT READY (or INQUIRY) on request queue @q, until no UNIT ATTENTION. */
static bool good_cmd(unsigned int q, bool inquiry, const char *what)
{
	uint8_t buf[96];
	struct scsi_io io;
	struct sense_info si;
	int i, ret;

	for (i = 0; i < 4; i++) {
		memset(&io, 0, sizeof(io));
		vl_lun(io.lun, M.o->target, M.o->lun);
		io.tag = ++M.tag;
		if (inquiry) {
			io.cdb[0] = 0x12;
			io.cdb[4] = sizeof(buf);
			io.din = buf;
			io.din_len = sizeof(buf);
		}
		ret = scsi_exec(&M.d, rq(q), &io, &layout_std);
		if (ret)
			return ck(false, what, "%s", strerror(-ret));
		si = sense_decode(&io.res);
		if (io.res.response || io.res.status != 0x02 || si.key != 0x6)
			break;
	}
	return ck(!io.res.response && !io.res.status, what,
		  "response %u %s, status %#04x", io.res.response,
		  resp_name(io.res.response), io.res.status);
}

/* ---- the ring, by hand ------------------------------------------------ */

static void wdesc(struct vring_desc *d, uint64_t gpa, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	put_le64(&d->addr, gpa);
	put_le32(&d->len, len);
	put_le16(&d->flags, flags);
	put_le16(&d->next, next);
}

static void kick(struct gvq *vq)
{
	uint64_t one = 1;

	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one))
		give_up("kick", -errno);
}

/* Make head @head available (whatever it is) and kick, always. */
static void publish(struct gvq *vq, uint16_t head)
{
	put_le16(&vq->avail->ring[vq->avail_idx % vq->num], head);
	vq->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	put_le16(&vq->avail->idx, vq->avail_idx);
	vq->published = vq->avail_idx;
	kick(vq);
}

/* Guest memory of @len bytes, 16-aligned, zeroed. */
static void *galloc(uint32_t len, uint64_t *gpa)
{
	void *p = arena_alloc(&M.d.mem.data[0], len, 16, gpa);

	if (!p)
		give_up("guest memory for the case", -ENOMEM);
	memset(p, 0, len);
	return p;
}

/* An indirect table of @n entries. */
static struct vring_desc *table(unsigned int n, uint64_t *gpa)
{
	return galloc(16 * n, gpa);
}

/* The good TUR's header and response, as two indirect entries. */
static void good_table(struct vring_desc *t)
{
	wdesc(&t[0], M.hdr_gpa, VL_REQ_HDR_SIZE, F_NEXT, 1);
	wdesc(&t[1], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
}

/*
 * Each builder writes one bad chain at descriptor 0 on, publishes it and
 * kicks.  The ring is idle and every descriptor free when it runs.
 */
static void b_avail_idx(struct gvq *vq)
{
	wdesc(&vq->desc[0], M.hdr_gpa, VL_REQ_HDR_SIZE, F_NEXT, 1);
	wdesc(&vq->desc[1], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
	put_le16(&vq->avail->ring[vq->avail_idx % vq->num], 0);
	/* num + 1 entries past what the device took */
	put_le16(&vq->avail->idx, (uint16_t)(vq->avail_idx + vq->num + 1));
	kick(vq);
}

static void b_head(struct gvq *vq)
{
	publish(vq, (uint16_t)vq->num);
}

static void b_next(struct gvq *vq)
{
	wdesc(&vq->desc[0], M.hdr_gpa, VL_REQ_HDR_SIZE, F_NEXT,
	      (uint16_t)vq->num);
	publish(vq, 0);
}

static void b_loop(struct gvq *vq)
{
	wdesc(&vq->desc[0], M.hdr_gpa, 0, F_NEXT, 1);
	wdesc(&vq->desc[1], M.hdr_gpa, 0, F_NEXT, 0);
	publish(vq, 0);
}

static void b_order(struct gvq *vq)
{
	wdesc(&vq->desc[0], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE | F_NEXT, 1);
	wdesc(&vq->desc[1], M.hdr_gpa, VL_REQ_HDR_SIZE, 0, 0);
	publish(vq, 0);
}

/* Readable buffers at the start of RAM adding up to over 4 GiB. */
static void b_len_overflow(struct gvq *vq)
{
	const struct gmem_region *r = &M.d.mem.r[0];
	uint32_t len = r->size > 0xf0000000ULL ? 0xf0000000U :
		       (uint32_t)r->size;
	unsigned int n = (unsigned int)(0x100000000ULL / len) + 1, i;

	if (n + 1 > vq->num)
		give_up("a ring long enough for 4 GiB of RAM regions", -E2BIG);
	for (i = 0; i < n; i++)
		wdesc(&vq->desc[i], r->gpa, len, F_NEXT, (uint16_t)(i + 1));
	wdesc(&vq->desc[n], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
	publish(vq, 0);
}

static void b_mem_buf(struct gvq *vq)
{
	wdesc(&vq->desc[0], OUTSIDE_GPA, VL_REQ_HDR_SIZE, F_NEXT, 1);
	wdesc(&vq->desc[1], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
	publish(vq, 0);
}

/* A buffer whose end wraps past 2^64. */
static void b_mem_wrap(struct gvq *vq)
{
	wdesc(&vq->desc[0], M.hdr_gpa, VL_REQ_HDR_SIZE, F_NEXT, 1);
	wdesc(&vq->desc[1], ~0ULL - 0xfff, 0x2000, F_WRITE, 0);
	publish(vq, 0);
}

/* A buffer that starts in the last RAM region and runs past its end. */
static void b_mem_straddle(struct gvq *vq)
{
	const struct gmem_region *r = &M.d.mem.r[M.d.mem.nr - 1];

	wdesc(&vq->desc[0], M.hdr_gpa, VL_REQ_HDR_SIZE, F_NEXT, 1);
	wdesc(&vq->desc[1], r->gpa + r->size - 16, 64, F_WRITE, 0);
	publish(vq, 0);
}

/* F_INDIRECT naming @len bytes at @gpa, with @flags more. */
static void ind_head(struct gvq *vq, uint64_t gpa, uint32_t len,
		     uint16_t flags)
{
	wdesc(&vq->desc[0], gpa, len, F_IND | flags, flags & F_NEXT ? 1 : 0);
	wdesc(&vq->desc[1], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
	publish(vq, 0);
}

static void b_ind_good(struct gvq *vq)	/* bad only without the feature */
{
	uint64_t gpa;

	good_table(table(2, &gpa));
	ind_head(vq, gpa, 32, 0);
}

static void b_ind_next(struct gvq *vq)
{
	uint64_t gpa;

	good_table(table(2, &gpa));
	ind_head(vq, gpa, 32, F_NEXT);
}

static void b_ind_len_zero(struct gvq *vq)
{
	uint64_t gpa;

	good_table(table(2, &gpa));
	ind_head(vq, gpa, 0, 0);
}

static void b_ind_len_odd(struct gvq *vq)
{
	uint64_t gpa;

	good_table(table(2, &gpa));
	ind_head(vq, gpa, 24, 0);
}

/* One entry more than VL_VRING_INDIRECT_MAX (32768), all in RAM. */
static void b_ind_len_big(struct gvq *vq)
{
	uint64_t gpa;

	good_table(table(32769, &gpa));
	ind_head(vq, gpa, 16 * 32769, 0);
}

static void b_ind_nested(struct gvq *vq)
{
	uint64_t gpa, gpa2;
	struct vring_desc *t = table(1, &gpa);

	good_table(table(2, &gpa2));
	wdesc(&t[0], gpa2, 32, F_IND, 0);
	ind_head(vq, gpa, 16, 0);
}

static void b_ind_loop(struct gvq *vq)
{
	uint64_t gpa;
	struct vring_desc *t = table(2, &gpa);

	wdesc(&t[0], M.hdr_gpa, 0, F_NEXT, 1);
	wdesc(&t[1], M.hdr_gpa, 0, F_NEXT, 0);
	ind_head(vq, gpa, 32, 0);
}

static void b_ind_next_range(struct gvq *vq)
{
	uint64_t gpa;
	struct vring_desc *t = table(2, &gpa);

	good_table(t);
	put_le16(&t[0].next, 2);	/* the table has 2 entries */
	ind_head(vq, gpa, 32, 0);
}

static void b_mem_desc(struct gvq *vq)
{
	ind_head(vq, OUTSIDE_GPA, 32, 0);
}

/* 1025 one-byte buffers in an indirect table (the device takes 1024). */
static void b_too_many_segs(struct gvq *vq)
{
	unsigned int n = 1025, i;
	uint64_t gpa;
	struct vring_desc *t = table(n + 1, &gpa);

	for (i = 0; i < n; i++)
		wdesc(&t[i], M.hdr_gpa + i % VL_REQ_HDR_SIZE, 1, F_NEXT,
		      (uint16_t)(i + 1));
	wdesc(&t[n], M.resp_gpa, VL_RESP_HDR_SIZE, F_WRITE, 0);
	ind_head(vq, gpa, 16 * (n + 1), 0);
}

/* Control queue: 17 one-byte readable buffers (it takes 16). */
static void b_ctl_segs(struct gvq *vq)
{
	unsigned int i;

	for (i = 0; i < 17; i++)
		wdesc(&vq->desc[i], M.hdr_gpa + i, 1, F_NEXT,
		      (uint16_t)(i + 1));
	wdesc(&vq->desc[17], M.resp_gpa, 1, F_WRITE, 0);
	publish(vq, 0);
}

/* ---- restarting a ring as the VMM would ------------------------------- */

static int vring_ioctl(unsigned long req, unsigned int index,
		       unsigned int num)
{
	struct vhost_vring_state s = { .index = index, .num = num };

	if (ioctl(M.d.fd, req, &s) < 0)
		return -errno;
	return req == VHOST_GET_VRING_BASE ? (int)s.num : 0;
}

/*
 * After GET_VRING_BASE: zeroed rings, BASE 0, NUM, ADDR, KICK (a guest
 * reset without CLEAR_ENDPOINT: other queues keep running).
 */
static int restart_zeroed(struct gvq *vq)
{
	struct vhost_vring_addr a = {
		.index = vq->index,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	int ret;

	gvq_reset(vq);
	gvq_err_events(vq);
	/*
	 * BASE first: vhost_lio restarts a queue after each of these ioctls
	 * while the endpoint is set, and the old base on zeroed rings would
	 * break it again (avail idx moved more than num).
	 */
	ret = vring_ioctl(VHOST_SET_VRING_BASE, vq->index, 0);
	if (!ret)
		ret = vring_ioctl(VHOST_SET_VRING_NUM, vq->index, vq->num);
	if (!ret && ioctl(M.d.fd, VHOST_SET_VRING_ADDR, &a) < 0)
		ret = -errno;
	if (!ret && vdev_set_vring_fd(&M.d, VHOST_SET_VRING_KICK, vq->index,
				      vq->kick_fd) < 0)
		ret = -errno;
	return ret;
}

/* Wait for the err eventfd of @vq; false if the deadline passed. */
static bool wait_err(struct gvq *vq, int64_t dl)
{
	uint64_t e0 = vq->err_events;

	for (;;) {
		struct pollfd p = { .fd = vq->err_fd, .events = POLLIN };
		int64_t left = dl - now_ns();

		if (gvq_err_events(vq) != e0)
			return true;
		if (left <= 0)
			return false;
		poll(&p, 1, (int)((left + 999999) / 1000000));
	}
}

/* ---- ring cases ------------------------------------------------------- */

struct ring_case {
	const char *name;
	void (*build)(struct gvq *vq);
	bool ctl;			/* on the control queue */
	bool no_indirect;		/* VIRTIO_RING_F_INDIRECT_DESC off */
	const char *fault;		/* the kernel log's name of it */
};

static const struct ring_case ring_cases[] = {
	{ "avail-idx", b_avail_idx, false, false,
	  "avail idx moved more than num" },
	{ "head", b_head, false, false, "avail ring head out of range" },
	{ "next", b_next, false, false, "descriptor next out of range" },
	{ "loop", b_loop, false, false, "descriptor chain loops" },
	{ "order", b_order, false, false,
	  "readable descriptor after writable" },
	{ "len-overflow", b_len_overflow, false, false,
	  "chain longer than 4 GiB" },
	{ "mem-buf", b_mem_buf, false, false, "buffer not in guest memory" },
	{ "mem-wrap", b_mem_wrap, false, false, "buffer not in guest memory" },
	{ "mem-straddle", b_mem_straddle, false, false,
	  "buffer not in guest memory" },
	{ "ind-feature", b_ind_good, false, true,
	  "indirect descriptor not negotiated" },
	{ "ind-next", b_ind_next, false, false,
	  "indirect descriptor with next" },
	{ "ind-len-zero", b_ind_len_zero, false, false,
	  "bad indirect table length" },
	{ "ind-len-odd", b_ind_len_odd, false, false,
	  "bad indirect table length" },
	{ "ind-len-big", b_ind_len_big, false, false,
	  "bad indirect table length" },
	{ "ind-nested", b_ind_nested, false, false,
	  "nested indirect descriptor" },
	{ "ind-loop", b_ind_loop, false, false,
	  "indirect descriptor chain loops" },
	{ "ind-next-range", b_ind_next_range, false, false,
	  "descriptor next out of range" },
	{ "mem-desc", b_mem_desc, false, false,
	  "descriptor not in guest memory" },
	{ "too-many-segs", b_too_many_segs, false, false,
	  "too many segments in chain" },
	{ "ctl-segs", b_ctl_segs, true, false, "too many segments in chain" },
};

/* A TMF the control queue answers at once: ABORT TASK of no command. */
static bool ctl_works(const char *what)
{
	uint8_t req[24] = { 0 }, resp = POISON;
	int ret;

	put_le32(req, VIRTIO_SCSI_T_TMF);
	put_le32(req + 4, VIRTIO_SCSI_T_TMF_ABORT_TASK);
	vl_lun(req + 8, M.o->target, M.o->lun);
	put_le64(req + 16, 0xbad0000ULL + ++M.tag);
	ret = ctrl_exec(&M.d, req, sizeof(req), &resp, 1);
	return ck(!ret && (resp == 0 /* FUNCTION COMPLETE */ ||
			   resp == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED), what,
		  "%s, response %u", ret ? strerror(-ret) : "answered", resp);
}

static void run_ring_case(const struct ring_case *c)
{
	struct gvq *vq = c->ctl ? &M.d.vq[0] : rq(0);
	unsigned int i, no_err = 0, moved = 0, bad_base = 0, ioc = 0;
	int first_base = 0, ret;
	char what[160];

	printf("EXPECT-FAULT: %s\n", c->fault);
	fflush(stdout);
	for (i = 0; i < M.o->repeat; i++) {
		struct gmem_mark mk = gmem_mark(&M.d.mem);
		uint16_t used0 = gvq_used_idx(vq), base0 = vq->avail_idx;

		gvq_err_events(vq);
		c->build(vq);
		if (!wait_err(vq, deadline())) {
			no_err++;
			if (no_err == 1)
				info("round %u: no error signalled in %u ms",
				     i, M.o->timeout_ms);
		}
		if (i == 0 && !c->ctl && M.o->queues > 1)
			good_cmd(1, false, "request queue 1 works while "
				 "queue 0 is broken");
		if (i == 0 && c->ctl)
			good_cmd(0, false, "request queue 0 works while the "
				 "control queue is broken");
		if (gvq_used_idx(vq) != used0)
			moved++;
		ret = vring_ioctl(VHOST_GET_VRING_BASE, vq->index, 0);
		if (i == 0)
			first_base = ret;
		if (ret < 0)
			ioc++;
		else if ((uint16_t)ret != base0)
			bad_base++;
		if (restart_zeroed(vq))
			ioc++;
		gmem_release(&M.d.mem, mk);
	}
	snprintf(what, sizeof(what), "%s: the queue's error eventfd "
		 "signalled, each of %u time(s)", c->name, M.o->repeat);
	ck(!no_err, what, "not within %u ms %u time(s)", M.o->timeout_ms,
	   no_err);
	snprintf(what, sizeof(what), "%s: no used entry for the bad chain",
		 c->name);
	ck(!moved, what, "used index moved %u time(s)", moved);
	snprintf(what, sizeof(what), "%s: GET_VRING_BASE: the bad chain was "
		 "not taken", c->name);
	ck(!bad_base && !ioc, what, "%u wrong base(s), first %d; %u ioctl "
	   "error(s)", bad_base, first_base, ioc);
	snprintf(what, sizeof(what), "%s: after the ring's restart, TEST "
		 "UNIT READY is GOOD", c->name);
	good_cmd(0, false, what);
	if (c->ctl) {
		snprintf(what, sizeof(what), "%s: after the ring's restart, "
			 "the control queue answers a TMF", c->name);
		ctl_works(what);
	}
}

/* ---- request cases ---------------------------------------------------- */

/* A request, answered: used length and response. */
struct answer {
	uint32_t len;
	uint8_t *resp;
};

/* Queue @n segments on @vq as one chain, kick, wait for its used entry. */
static bool answer_of(struct gvq *vq, const struct sg *sg, unsigned int n,
		      void *cookie, uint32_t *len)
{
	int64_t dl = deadline();
	void *got;
	int ret;

	ret = gvq_add(vq, sg, n, false, cookie);
	if (ret < 0)
		give_up("queue the request", ret);
	gvq_kick(vq);
	for (;;) {
		ret = gvq_get_used(vq, &got, len);
		if (ret < 0)
			give_up("answers for heads in flight only", ret);
		if (ret > 0 && got == cookie)
			return true;
		if (!ret && gvq_wait(vq, dl))
			return false;
	}
}

static uint8_t *tur_hdr(uint32_t extra, uint64_t *gpa)
{
	uint8_t *h = galloc(VL_REQ_HDR_SIZE + extra, gpa);

	vl_lun(h, M.o->target, M.o->lun);
	put_le64(h + 8, ++M.tag);
	return h;
}

struct req_case {
	const char *name;
	const char *expect;
};

static const struct req_case req_cases[] = {
	{ "hdr-short", "a 50-byte request header: response FAILURE" },
	{ "resp-short", "a 107-byte response buffer: used length 0, "
			"nothing written" },
	{ "no-resp", "no device-writable buffer: used length 0" },
	{ "bidi", "data-out and data-in: response FAILURE" },
	{ "bad-lun", "lun[0] = 2: response BAD_TARGET" },
	{ "ctl-short", "a 10-byte TMF: TMF response FAILURE" },
};

/* One round of request case @c; true if the answer was the expected. */
static bool req_round(const struct req_case *c, char *why, size_t wl)
{
	struct gvq *vq = rq(0);
	struct sg sg[4] = { { 0 } };
	uint8_t *h, *r;
	uint32_t len = ~0U, want_len = VL_RESP_HDR_SIZE;
	int want_resp = -1;		/* -1: nothing written */
	unsigned int n = 2;
	bool poisoned;

	h = tur_hdr(512, &sg[0].gpa);
	sg[0].len = VL_REQ_HDR_SIZE;
	r = galloc(VL_RESP_HDR_SIZE + 512, &sg[1].gpa);
	memset(r, POISON, VL_RESP_HDR_SIZE + 512);
	sg[1].len = VL_RESP_HDR_SIZE;
	sg[1].dev_writes = true;
	if (!strcmp(c->name, "hdr-short")) {
		sg[0].len = VL_REQ_HDR_SIZE - 1;
		want_resp = VIRTIO_SCSI_S_FAILURE;
	} else if (!strcmp(c->name, "resp-short")) {
		sg[1].len = VL_RESP_HDR_SIZE - 1;
		want_len = 0;
	} else if (!strcmp(c->name, "no-resp")) {
		n = 1;
		want_len = 0;
	} else if (!strcmp(c->name, "bidi")) {
		cdb_rw(h + 19, true, 10, 0, 1);
		sg[0].len += 512;
		sg[1].len += 512;
		want_resp = VIRTIO_SCSI_S_FAILURE;
	} else if (!strcmp(c->name, "bad-lun")) {
		h[0] = 2;
		want_resp = VIRTIO_SCSI_S_BAD_TARGET;
	} else {	/* ctl-short */
		vq = &M.d.vq[0];
		memset(h, 0, 24);
		put_le32(h, VIRTIO_SCSI_T_TMF);
		put_le32(h + 4, VIRTIO_SCSI_T_TMF_ABORT_TASK);
		sg[0].len = 10;
		sg[1].len = 1;
		want_len = 1;
		want_resp = VIRTIO_SCSI_S_FAILURE;
	}
	if (!answer_of(vq, sg, n, h, &len)) {
		snprintf(why, wl, "not answered in %u ms", M.o->timeout_ms);
		return false;
	}
	poisoned = r[want_len && vq != &M.d.vq[0] ? 11 : 0] == POISON;
	if (want_resp < 0) {
		snprintf(why, wl, "used length %u, response buffer %s", len,
			 poisoned ? "untouched" : "written");
		return len == 0 && r[0] == POISON && r[11] == POISON;
	}
	snprintf(why, wl, "used length %u, response %u", len,
		 vq == &M.d.vq[0] ? r[0] : r[11]);
	return len == want_len &&
	       (vq == &M.d.vq[0] ? r[0] : r[11]) == want_resp;
}

/*
 * --repeat rounds of case @c (each frees the guest memory it took): one
 * check that every round gave the expected answer.  @why gets the last
 * round's answer.
 */
static void repeat_rounds(const struct req_case *c,
			  bool (*round)(const struct req_case *c, char *why,
					size_t wl),
			  char *why, size_t wl)
{
	unsigned int i, bad = 0;
	char first[128] = "", what[200];

	for (i = 0; i < M.o->repeat; i++) {
		struct gmem_mark mk = gmem_mark(&M.d.mem);

		if (!round(c, why, wl) && !bad++)
			snprintf(first, sizeof(first), "%s", why);
		gmem_release(&M.d.mem, mk);
	}
	snprintf(what, sizeof(what), "%s: %s, each of %u time(s)", c->name,
		 c->expect, M.o->repeat);
	ck(!bad, what, "%u wrong, first: %s", bad, first);
}

static void run_req_case(const struct req_case *c)
{
	char why[128] = "", what[160];

	repeat_rounds(c, req_round, why, sizeof(why));
	snprintf(what, sizeof(what), "%s: no error signalled, the queue "
		 "keeps working", c->name);
	ck(!gvq_err_events(rq(0)) && !gvq_err_events(&M.d.vq[0]), what,
	   "%llu error signal(s)", (unsigned long long)
	   (rq(0)->err_events + M.d.vq[0].err_events));
	snprintf(what, sizeof(what), "%s: TEST UNIT READY after it is GOOD",
		 c->name);
	good_cmd(0, false, what);
}

/* ---- CDBs LIO refuses, with a log line of its own ---------------------- */

/*
 * Well-formed requests whose CDB LIO answers ILLEGAL REQUEST, logging an
 * unrate-limited line (its CDB parser, its emulation).  vhost_lio holds a
 * device's request queues once VL_REFUSED_BURST of those came in a window:
 * each must still be answered, and the shell checks the log rate.
 */
static const struct req_case cdb_cases[] = {
	{ "lba-past", "READ(10) past the last LBA: CHECK CONDITION, "
		      "ILLEGAL REQUEST" },
	{ "mode-page", "MODE SENSE(6) of vendor page 0x3e: CHECK CONDITION, "
		       "ILLEGAL REQUEST" },
	{ "varlen-sa", "a 32-byte VARIABLE LENGTH CDB, unknown service "
		       "action: CHECK CONDITION, ILLEGAL REQUEST" },
	{ "overflow", "READ(10) of 8 blocks into 512 bytes: response OK, "
		      "CHECK CONDITION, ILLEGAL REQUEST, resid 3584" },
};

/* One round of CDB case @c; true if answered ILLEGAL REQUEST. */
static bool cdb_round(const struct req_case *c, char *why, size_t wl)
{
	struct sg sg[3] = { { 0 } };
	uint8_t *h, *r, *cdb;
	uint32_t len = ~0U;
	uint32_t want_resid = 0;
	int key;

	h = tur_hdr(0, &sg[0].gpa);
	sg[0].len = VL_REQ_HDR_SIZE;
	r = galloc(VL_RESP_HDR_SIZE, &sg[1].gpa);
	memset(r, POISON, VL_RESP_HDR_SIZE);
	sg[1].len = VL_RESP_HDR_SIZE;
	sg[1].dev_writes = true;
	galloc(4096, &sg[2].gpa);
	sg[2].len = 512;
	sg[2].dev_writes = true;
	cdb = h + 19;
	if (!strcmp(c->name, "lba-past")) {
		cdb_rw(cdb, false, 10, 0xfffffff0ULL, 1);
	} else if (!strcmp(c->name, "mode-page")) {
		cdb[0] = 0x1a;
		cdb[2] = 0x3e;
		cdb[4] = 255;
		sg[2].len = 255;
	} else if (!strcmp(c->name, "varlen-sa")) {
		cdb[0] = 0x7f;
		cdb[7] = 24;			/* 8 + 24 = 32 bytes */
		put_be16(cdb + 8, 0x9999);	/* no such service action */
	} else {
		/*
		 * overflow: LIO refuses it before it moves data; the answer
		 * is LIO's, as its loopback initiator gets it (test 58):
		 * OK, INVALID FIELD IN CDB, the shortfall as residual.
		 */
		cdb_rw(cdb, false, 10, 0, 8);
		want_resid = 4096 - 512;
	}
	if (!answer_of(rq(0), sg, 3, h, &len)) {
		snprintf(why, wl, "not answered in %u ms", M.o->timeout_ms);
		return false;
	}
	key = r[12] == 0x70 || r[12] == 0x71 ? r[14] & 0xf :
	      r[12] == 0x72 || r[12] == 0x73 ? r[13] & 0xf : -1;
	snprintf(why, wl, "response %u, status 0x%02x, sense key %d, ASC "
		 "0x%02x, resid %u", r[11], r[10], key,
		 r[12] == 0x72 ? r[14] : r[24], get_le32(r + 4));
	return r[11] == VIRTIO_SCSI_S_OK && r[10] == 0x02 && key == 5 &&
	       (!want_resid || get_le32(r + 4) == want_resid);
}

static void run_cdb_case(const struct req_case *c)
{
	char why[128] = "", what[200];

	repeat_rounds(c, cdb_round, why, sizeof(why));
	printf("INFO: %s%s: the last answer: %s\n",
	       M.o->label ? M.o->label : "", c->name, why);
	snprintf(what, sizeof(what), "%s: TEST UNIT READY after it is GOOD",
		 c->name);
	good_cmd(0, false, what);
}

/* ---- ring addresses the VMM gets wrong -------------------------------- */

static void c_ring_addr(void)
{
	struct gvq *vq = rq(0);
	struct vhost_vring_addr a = {
		.index = vq->index,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	struct vhost_vring_addr bad;
	unsigned int i;
	int ret;

	for (i = 0; i < M.o->repeat; i++) {
		bad = a;
		bad.used_user_addr = 0x1000;	/* not in the memory table */
		ret = ioctl(M.d.fd, VHOST_SET_VRING_ADDR, &bad) < 0 ? -errno : 0;
		if (!i)
			ck(ret == -EFAULT, "ring-addr: SET_VRING_ADDR with the "
			   "used ring outside guest memory: EFAULT", "%s",
			   ret ? strerror(-ret) : "accepted");
		bad = a;
		bad.avail_user_addr = a.avail_user_addr + 1;
		ret = ioctl(M.d.fd, VHOST_SET_VRING_ADDR, &bad) < 0 ? -errno : 0;
		if (!i)
			ck(ret == -EINVAL, "ring-addr: SET_VRING_ADDR with a "
			   "misaligned avail ring: EINVAL", "%s",
			   ret ? strerror(-ret) : "accepted");
		bad = a;
		bad.desc_user_addr = (uintptr_t)M.d.mem.r[0].hva +
				     M.d.mem.r[0].size - 16;
		ret = ioctl(M.d.fd, VHOST_SET_VRING_ADDR, &bad) < 0 ? -errno : 0;
		if (!i)
			ck(ret == -EFAULT, "ring-addr: SET_VRING_ADDR with the "
			   "descriptor table running past guest memory: EFAULT",
			   "%s", ret ? strerror(-ret) : "accepted");
		ret = ioctl(M.d.fd, VHOST_SET_VRING_ADDR, &a) < 0 ? -errno : 0;
		if (ret || !i)
			ck(!ret, "ring-addr: then the right SET_VRING_ADDR",
			   "%s", strerror(-ret));
	}
	good_cmd(0, false, "ring-addr: TEST UNIT READY after it is GOOD");
}

/* ---- buffers changed while the device reads them ---------------------- */

#define FLIP_SLOTS	16
#define FLIP_AREA	16384		/* per slot: hdr 0, resp 1024, data 8192 */
#define FLIP_DATA	4096

struct flip_slot {
	uint8_t *area;
	uint64_t gpa;
	int head;			/* -1: not in flight */
	bool busy;			/* in flight, for the flipper */
};

static struct flip_slot FS[FLIP_SLOTS];
static uint64_t scratch_gpa;
static volatile int flip_stop;
static unsigned long flips;

static const uint8_t flip_ops[] = { 0x00, 0x12, 0x28, 0x2a, 0x25, 0xa0,
				    0x88, 0xc7, 0x7f, 0x1a, 0x03 };

static void flip_hdr(uint8_t *h, uint64_t *rs)
{
	uint64_t v = rng_next(rs);

	switch (v % 6) {
	case 0:		/* LUN bytes */
		__atomic_store_n(&h[(v >> 8) % 4], (uint8_t)(v >> 16),
				 __ATOMIC_RELAXED);
		break;
	case 1:		/* tag */
		__atomic_store_n(&h[8 + (v >> 8) % 8], (uint8_t)(v >> 16),
				 __ATOMIC_RELAXED);
		break;
	case 2:		/* task attribute */
		__atomic_store_n(&h[16], (uint8_t)((v >> 8) % 5),
				 __ATOMIC_RELAXED);
		break;
	case 3:		/* opcode */
		__atomic_store_n(&h[19], flip_ops[(v >> 8) % sizeof(flip_ops)],
				 __ATOMIC_RELAXED);
		break;
	default:	/* other CDB bytes (varlen: its length byte too) */
		__atomic_store_n(&h[20 + (v >> 8) % 31], (uint8_t)(v >> 16),
				 __ATOMIC_RELAXED);
		break;
	}
}

static void flip_desc(struct gvq *vq, const struct flip_slot *s,
		      uint64_t *rs)
{
	uint64_t v = rng_next(rs);
	unsigned int k = (v >> 4) % 3;		/* hdr, resp, data */
	uint16_t i = (uint16_t)s->head;
	static const uint32_t base_len[3] = { VL_REQ_HDR_SIZE,
					      VL_RESP_HDR_SIZE, FLIP_DATA };
	static const uint32_t base_off[3] = { 0, 1024, 8192 };
	uint32_t len = base_len[k];
	uint64_t gpa = s->gpa + base_off[k];

	if (i >= vq->num)
		return;
	while (k--)
		i = vq->link[i] % vq->num;
	switch ((v >> 8) % 16) {
	case 0: len = 0; break;
	case 1: len = 1; break;
	case 2: len -= 1; break;
	case 3: len += 4096; break;
	case 4: gpa += 1; break;
	case 5: gpa = scratch_gpa; break;
	case 6:		/* rarely: out of RAM, the queue breaks */
		if (!((v >> 16) % 64))
			gpa = OUTSIDE_GPA;
		break;
	case 7:
		if (!((v >> 16) % 64))
			len = 0x7fffffff;
		break;
	default: break;			/* back to the right value */
	}
	__atomic_store_n(&vq->desc[i].len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&vq->desc[i].addr, gpa, __ATOMIC_RELAXED);
}

static void *flipper(void *arg)
{
	struct gvq *vq = arg;
	uint64_t rs = 0xf1f0f1f0ULL;

	while (!__atomic_load_n(&flip_stop, __ATOMIC_RELAXED)) {
		uint64_t v = rng_next(&rs);
		struct flip_slot *s = &FS[v % FLIP_SLOTS];

		if (!__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE))
			continue;
		if ((v >> 8) % 2)
			flip_hdr(s->area, &rs);
		else
			flip_desc(vq, s, &rs);
		flips++;
		if (!(flips % 64))
			sched_yield();
	}
	return NULL;
}

static void flip_fill(struct flip_slot *s, uint64_t *rs)
{
	uint8_t *h = s->area;
	uint64_t v = rng_next(rs);

	memset(h, 0, VL_REQ_HDR_SIZE);
	vl_lun(h, M.o->target, M.o->lun);
	put_le64(h + 8, ++M.tag);
	switch (v % 3) {
	case 0: break;				/* TEST UNIT READY */
	case 1: h[19] = 0x12; h[23] = 96; break;	/* INQUIRY */
	default: cdb_rw(h + 19, false, 10, (v >> 8) % 1024, 8); break;
	}
	memset(s->area + 1024, POISON, VL_RESP_HDR_SIZE);
}

static int flip_submit(struct gvq *vq, struct flip_slot *s, uint64_t *rs)
{
	struct sg sg[3] = {
		{ s->gpa, VL_REQ_HDR_SIZE, false },
		{ s->gpa + 1024, VL_RESP_HDR_SIZE, true },
		{ s->gpa + 8192, FLIP_DATA, true },
	};
	int head;

	flip_fill(s, rs);
	head = gvq_add(vq, sg, 3, false, s);
	if (head < 0)
		return head;
	s->head = head;
	__atomic_store_n(&s->busy, true, __ATOMIC_RELEASE);
	return 0;
}

/* Until an answer, an error signal or @dl: 1, 0, or -ETIMEDOUT. */
static int flip_wait(struct gvq *vq, uint64_t errs, int64_t dl)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = vq->call_fd, .events = POLLIN },
			{ .fd = vq->err_fd, .events = POLLIN },
		};
		uint64_t v;

		if (gvq_more_used(vq))
			return 1;
		if (gvq_err_events(vq) != errs)
			return 0;
		if (now_ns() > dl)
			return -ETIMEDOUT;
		if (poll(p, 2, 10) > 0 && (p[0].revents & POLLIN) &&
		    read(vq->call_fd, &v, sizeof(v)) < 0)
			continue;
	}
}

static void c_flip(void)
{
	struct gvq *vq = rq(0);
	int64_t end = now_ns() + (int64_t)(M.o->seconds * 1e9);
	unsigned long answered = 0, odd = 0, redirected = 0, breaks = 0;
	unsigned int i, inflight = 0, restart_err = 0;
	uint64_t rs = 0x5eedULL, errs = gvq_err_events(vq);
	pthread_t th;
	char first[128] = "";
	int ret = 0;

	for (i = 0; i < FLIP_SLOTS; i++) {
		FS[i].area = galloc(FLIP_AREA, &FS[i].gpa);
		FS[i].head = -1;
	}
	memcpy(galloc(FLIP_AREA, &scratch_gpa), M.hdr, 64);
	if (pthread_create(&th, NULL, flipper, vq))
		give_up("start the flipping thread", -errno);
	for (;;) {
		void *cookie;
		uint32_t len;

		for (i = 0; i < FLIP_SLOTS && now_ns() < end; i++)
			if (FS[i].head < 0 && !flip_submit(vq, &FS[i], &rs))
				inflight++;
		gvq_kick(vq);
		if (!inflight)
			break;
		ret = flip_wait(vq, errs, now_ns() +
				(int64_t)M.o->timeout_ms * 1000000);
		if (ret < 0)
			break;		/* stuck */
		while (ret > 0 && (ret = gvq_get_used(vq, &cookie, &len)) > 0) {
			struct flip_slot *s = cookie;
			const uint8_t *r = s->area + 1024;

			__atomic_store_n(&s->busy, false, __ATOMIC_RELEASE);
			s->head = -1;
			inflight--;
			answered++;
			/*
			 * A response with a byte of its first 12 still the
			 * poison went elsewhere, in part or whole: the
			 * flipper moved or shifted the buffer, or shortened
			 * it so that the response went on in the data
			 * buffer.  Nothing to check in it then.
			 */
			if (len && memchr(r, POISON, 12)) {
				redirected++;
			} else if (len > VL_RESP_HDR_SIZE + 2 * FLIP_DATA ||
				   (len && (r[11] > VIRTIO_SCSI_S_INCORRECT_LUN ||
					    get_le32(r) > VIRTIO_SCSI_SENSE_SIZE))) {
				if (!odd++)
					snprintf(first, sizeof(first), "used "
						 "length %u, response %u, "
						 "sense_len %u", len, r[11],
						 get_le32(r));
			}
		}
		if (ret < 0) {
			ck(false, "flip: every used entry is a head in flight",
			   "%s", strerror(-ret));
			break;
		}
		if (gvq_err_events(vq) == errs)
			continue;
		/* The queue broke: restart it on zeroed rings, as a VMM. */
		breaks++;
		if (vring_ioctl(VHOST_GET_VRING_BASE, vq->index, 0) < 0)
			restart_err++;
		for (i = 0; i < FLIP_SLOTS; i++) {
			__atomic_store_n(&FS[i].busy, false, __ATOMIC_RELEASE);
			FS[i].head = -1;
		}
		if (restart_zeroed(vq))
			restart_err++;
		errs = gvq_err_events(vq);
		inflight = 0;
	}
	__atomic_store_n(&flip_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	info("flip: %lu flips, %lu answers (%lu with the response written "
	     "elsewhere), %lu queue breaks", flips, answered, redirected,
	     breaks);
	ck(ret != -ETIMEDOUT, "flip: the device answered or failed the "
	   "queue in time", "%u in flight, none answered in %u ms", inflight,
	   M.o->timeout_ms);
	ck(!odd, "flip: each answer has a valid response and length",
	   "%lu odd, first: %s", odd, first);
	ck(!restart_err, "flip: each broken queue restarted", "%u errors",
	   restart_err);
	ck(answered > 0, "flip: commands were answered", "none");
	if (vring_ioctl(VHOST_GET_VRING_BASE, vq->index, 0) < 0 ||
	    restart_zeroed(vq))
		ck(false, "flip: the ring restarted at the end", "%s",
		   strerror(errno));
	good_cmd(0, false, "flip: TEST UNIT READY afterwards is GOOD");
}

/* ---- driver ----------------------------------------------------------- */

static void setup(void)
{
	struct vl_opts *o = &M.opts;

	if (vdev_start(&M.d, o, rep))
		exit(done_exit());
	M.hdr = arena_alloc(&M.d.mem.perm, 64, 64, &M.hdr_gpa);
	M.resp = arena_alloc(&M.d.mem.perm, 128, 64, &M.resp_gpa);
	if (!M.hdr || !M.resp)
		give_up("guest memory", -ENOMEM);
	memset(M.hdr, 0, 64);
	vl_lun(M.hdr, o->target, o->lun);
	put_le64(M.hdr + 8, 0xbadc0de);
}

/* A fresh open of the device: INQUIRY is GOOD. */
static void fresh_open(void)
{
	char what[128];

	vdev_stop(&M.d, rep);
	M.opts.indirect = M.o->indirect;
	setup();
	snprintf(what, sizeof(what), "%s: after a fresh open, INQUIRY is "
		 "GOOD", M.o->scase);
	good_cmd(0, true, what);
}

static void list_cases(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(ring_cases) / sizeof(ring_cases[0]); i++)
		printf("ring %s %s\n", ring_cases[i].name, ring_cases[i].fault);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++)
		printf("request %s\n", req_cases[i].name);
	for (i = 0; i < sizeof(cdb_cases) / sizeof(cdb_cases[0]); i++)
		printf("cdb %s\n", cdb_cases[i].name);
	puts("other ring-addr");
	puts("other flip");
}

int run_malformed(const struct vl_opts *o)
{
	const struct ring_case *rc = NULL;
	const struct req_case *qc = NULL, *cc = NULL;
	unsigned int i;

	M.o = o;
	M.t.mode = "malformed";
	M.t.o = o;
	M.opts = *o;
	M.tag = 0xbad000000ULL;
	if (!o->scase) {
		fprintf(stderr, "vl-guest: malformed needs --case NAME\n");
		return 2;
	}
	if (!strcmp(o->scase, "list")) {
		list_cases();
		return 0;
	}
	for (i = 0; i < sizeof(ring_cases) / sizeof(ring_cases[0]); i++)
		if (!strcmp(ring_cases[i].name, o->scase))
			rc = &ring_cases[i];
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++)
		if (!strcmp(req_cases[i].name, o->scase))
			qc = &req_cases[i];
	for (i = 0; i < sizeof(cdb_cases) / sizeof(cdb_cases[0]); i++)
		if (!strcmp(cdb_cases[i].name, o->scase))
			cc = &cdb_cases[i];
	if (!rc && !qc && !cc && strcmp(o->scase, "ring-addr") &&
	    strcmp(o->scase, "flip")) {
		fprintf(stderr, "vl-guest: unknown case '%s'\n", o->scase);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (rc && rc->no_indirect)
		M.opts.indirect = false;
	setup();
	good_cmd(0, false, "TEST UNIT READY before the case is GOOD");
	if (rc)
		run_ring_case(rc);
	else if (qc)
		run_req_case(qc);
	else if (cc)
		run_cdb_case(cc);
	else if (!strcmp(o->scase, "ring-addr"))
		c_ring_addr();
	else
		c_flip();
	fresh_open();
	vdev_stop(&M.d, rep);
	return done_exit();
}
