// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-scsi requests as a guest builds them.  A request is two byte
 * streams: out = request header (51 bytes) + data-out, in = response header
 * (108 bytes) + data-in.  A struct layout says how each stream is cut into
 * descriptors, whether they sit in one buffer or scattered over guest
 * memory (both regions with --split-mem), and whether they go through an
 * indirect table.  The in stream is poisoned before submission so bytes the
 * device failed to write show up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-guest.h"

#define POISON		0xee
#define SCATTER_SLACK	64

static const uint32_t std_out[] = { VL_REQ_HDR_SIZE };
static const uint32_t std_in[] = { VL_RESP_HDR_SIZE };

const struct layout layout_std = {
	.name = "standard",
	.out_cuts = std_out, .n_out = 1,
	.in_cuts = std_in, .n_in = 1,
};

struct seg {
	uint8_t *hva;
	uint64_t gpa;
	uint32_t len;
};

struct req_priv {
	uint8_t *in;			/* staging copy of the in stream */
	uint32_t in_len;
	unsigned int n_out, n;		/* segments: out first, then in */
	struct seg seg[];
};

void vl_lun(uint8_t lun[8], unsigned int target, unsigned int lun_id)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = (uint8_t)target;
	lun[2] = (uint8_t)(0x40 | ((lun_id >> 8) & 0x3f));
	lun[3] = (uint8_t)lun_id;
}

/* cdb: VIRTIO_SCSI_CDB_SIZE bytes, all written. */
void cdb_rw(uint8_t *cdb, bool write, unsigned int bits, uint64_t lba,
	    uint32_t blocks)
{
	memset(cdb, 0, VIRTIO_SCSI_CDB_SIZE);
	if (bits == 16) {
		cdb[0] = write ? 0x8a : 0x88;
		put_be64(cdb + 2, lba);
		put_be32(cdb + 10, blocks);
	} else {
		cdb[0] = write ? 0x2a : 0x28;
		put_be32(cdb + 2, (uint32_t)lba);
		put_be16(cdb + 7, (uint16_t)blocks);
	}
}

/* Segment sizes for a stream of len bytes: the cuts, then the rest. */
static unsigned int cut(uint32_t len, const uint32_t *cuts, unsigned int nc,
			uint32_t even, uint32_t *out, unsigned int max)
{
	unsigned int n = 0, i;

	for (i = 0; i < nc && len && n < max; i++) {
		uint32_t l = cuts[i] < len ? cuts[i] : len;

		out[n++] = l;
		len -= l;
	}
	while (len && n < max) {
		uint32_t l = even && even < len ? even : len;

		out[n++] = l;
		len -= l;
	}
	return len ? 0 : n;
}

static unsigned int max_segs(uint32_t len, unsigned int nc, uint32_t even)
{
	return nc + (even ? len / even + 1 : 1);
}

/* Descriptors a WRITE of dout or a READ of din bytes takes, the larger. */
unsigned int layout_descs(const struct layout *lay, uint32_t dout,
			  uint32_t din)
{
	uint32_t o = VL_REQ_HDR_SIZE + dout, i = VL_RESP_HDR_SIZE + din;
	unsigned int mo = max_segs(o, lay->n_out, lay->even_out);
	unsigned int mi = max_segs(i, lay->n_in, lay->even_in);
	uint32_t *len = calloc(mo + mi, sizeof(*len));
	unsigned int w, r;

	if (!len)
		return ~0U;
	w = cut(o, lay->out_cuts, lay->n_out, lay->even_out, len, mo) +
	    cut(VL_RESP_HDR_SIZE, lay->in_cuts, lay->n_in, lay->even_in, len,
		mi);
	r = cut(VL_REQ_HDR_SIZE, lay->out_cuts, lay->n_out, lay->even_out,
		len, mo) +
	    cut(i, lay->in_cuts, lay->n_in, lay->even_in, len, mi);
	free(len);
	return w > r ? w : r;
}

static uint64_t data_align(uint32_t len)
{
	return len >= 4096 ? 4096 : 512;
}

/*
 * Give each segment of a stream guest memory.  Headers and data live in
 * separate buffers, data aligned as a guest's page cache would have it,
 * unless a segment holds both (then the stream is one buffer).  Scattered
 * segments each get their own buffer, alternating between the data arenas
 * (both regions with --split-mem), header pieces at odd addresses, data
 * at odd addresses only with lay->misalign.
 */
static int place(struct vdev *d, const struct layout *lay, struct seg *s,
		 unsigned int n, uint32_t hdr, unsigned int first, bool in)
{
	struct arena *a = &d->mem.data[in];
	uint32_t off = 0, total = 0, nh = 0;
	uint64_t gpa = 0;
	uint8_t *p = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (off < hdr && off + s[i].len > hdr)
			nh = n;		/* a segment straddles: one buffer */
		else if (off < hdr)
			nh = i + 1;
		off += s[i].len;
	}
	total = off;
	if (lay->scatter && nh < n) {
		for (i = 0; i < n; i++) {
			unsigned int k = first + i, skew = (k * 7) % 61;
			bool is_hdr = i < nh;
			uint64_t al = is_hdr ? 64 : data_align(s[i].len);

			if (!is_hdr && !lay->misalign)
				skew = 0;
			a = &d->mem.data[k & 1];
			p = arena_alloc(a, s[i].len + SCATTER_SLACK, al, &gpa);
			if (!p)
				return -ENOMEM;
			s[i].hva = p + skew;
			s[i].gpa = gpa + skew;
		}
		return 0;
	}
	for (i = 0, off = 0; i < n; i++) {
		if (i == 0 || i == nh) {
			uint32_t len = i ? total - off : (nh == n ? total : hdr);

			p = arena_alloc(a, len, i ? data_align(len) : 64, &gpa);
			if (!p)
				return -ENOMEM;
		}
		s[i].hva = p;
		s[i].gpa = gpa;
		p += s[i].len;
		gpa += s[i].len;
		off += s[i].len;
	}
	return 0;
}

static void build_hdr(uint8_t *h, const struct scsi_io *io)
{
	memset(h, 0, VL_REQ_HDR_SIZE);
	memcpy(h, io->lun, 8);
	put_le64(h + 8, io->tag);
	h[16] = VIRTIO_SCSI_S_SIMPLE;	/* task_attr; prio, crn stay 0 */
	memcpy(h + 19, io->cdb, VIRTIO_SCSI_CDB_SIZE);
}

static void scatter_out(struct req_priv *rp, const struct scsi_io *io)
{
	uint8_t hdr[VL_REQ_HDR_SIZE];
	uint32_t off = 0;
	unsigned int i;

	build_hdr(hdr, io);
	for (i = 0; i < rp->n_out; i++) {
		struct seg *s = &rp->seg[i];
		uint32_t l = s->len, done = 0;

		if (off < VL_REQ_HDR_SIZE) {
			done = VL_REQ_HDR_SIZE - off < l ?
			       VL_REQ_HDR_SIZE - off : l;
			memcpy(s->hva, hdr + off, done);
		}
		if (done < l)
			memcpy(s->hva + done, (const uint8_t *)io->dout +
			       (off + done - VL_REQ_HDR_SIZE), l - done);
		off += l;
	}
	for (; i < rp->n; i++)
		memset(rp->seg[i].hva, POISON, rp->seg[i].len);
}

static struct req_priv *prepare(struct vdev *d, const struct scsi_io *io,
				const struct layout *lay)
{
	uint32_t out_len = VL_REQ_HDR_SIZE + io->dout_len;
	uint32_t in_len = VL_RESP_HDR_SIZE + io->din_len;
	unsigned int mo = max_segs(out_len, lay->n_out, lay->even_out);
	unsigned int mi = max_segs(in_len, lay->n_in, lay->even_in);
	uint32_t *len = calloc(mo + mi, sizeof(*len));
	struct req_priv *rp = calloc(1, sizeof(*rp) +
				     (mo + mi) * sizeof(rp->seg[0]));
	unsigned int no, ni, i;

	if (!len || !rp)
		goto fail;
	no = cut(out_len, lay->out_cuts, lay->n_out, lay->even_out, len, mo);
	ni = cut(in_len, lay->in_cuts, lay->n_in, lay->even_in, len + no, mi);
	if (!no || !ni)
		goto fail;
	rp->n_out = no;
	rp->n = no + ni;
	for (i = 0; i < rp->n; i++)
		rp->seg[i].len = len[i];
	if (place(d, lay, rp->seg, no, VL_REQ_HDR_SIZE, 0, false) ||
	    place(d, lay, rp->seg + no, ni, VL_RESP_HDR_SIZE, no, true))
		goto fail;
	rp->in_len = in_len;
	rp->in = malloc(in_len);
	if (!rp->in)
		goto fail;
	free(len);
	return rp;
fail:
	free(len);
	free(rp);
	return NULL;
}

int scsi_submit(struct vdev *d, struct gvq *vq, struct scsi_io *io,
		const struct layout *lay)
{
	struct req_priv *rp = prepare(d, io, lay);
	struct sg *sg;
	unsigned int i;
	int ret;

	io->done = false;
	memset(&io->res, 0, sizeof(io->res));
	if (!rp)
		return -ENOMEM;
	scatter_out(rp, io);
	sg = calloc(rp->n, sizeof(*sg));
	if (!sg) {
		free(rp->in);
		free(rp);
		return -ENOMEM;
	}
	for (i = 0; i < rp->n; i++) {
		sg[i].gpa = rp->seg[i].gpa;
		sg[i].len = rp->seg[i].len;
		sg[i].dev_writes = i >= rp->n_out;
	}
	io->priv = rp;
	io->res.descs = rp->n;
	ret = gvq_add(vq, sg, rp->n, lay->indirect, io);
	free(sg);
	if (ret < 0) {
		free(rp->in);
		free(rp);
		io->priv = NULL;
		return ret;
	}
	return 0;
}

static void parse_resp(struct scsi_result *r, const uint8_t *p)
{
	r->sense_len = get_le32(p);
	r->resid = get_le32(p + 4);
	r->status_qualifier = get_le16(p + 8);
	r->status = p[10];
	r->response = p[11];
	memcpy(r->sense, p + 12, VIRTIO_SCSI_SENSE_SIZE);
}

static void finish(struct scsi_io *io, uint32_t used_len)
{
	struct req_priv *rp = io->priv;
	uint32_t off = 0;
	unsigned int i;

	for (i = rp->n_out; i < rp->n; i++) {
		memcpy(rp->in + off, rp->seg[i].hva, rp->seg[i].len);
		off += rp->seg[i].len;
	}
	parse_resp(&io->res, rp->in);
	if (io->din_len)
		memcpy(io->din, rp->in + VL_RESP_HDR_SIZE, io->din_len);
	io->res.used_len = used_len;
	free(rp->in);
	free(rp);
	io->priv = NULL;
	io->done = true;
}

/* Complete whatever the device has returned; wait for one if nothing. */
int scsi_reap(struct gvq *vq, int64_t deadline_ns)
{
	int got = 0, ret;

	for (;;) {
		void *cookie;
		uint32_t len;

		ret = gvq_get_used(vq, &cookie, &len);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			finish(cookie, len);
			got++;
			continue;
		}
		if (got)
			return got;
		ret = gvq_wait(vq, deadline_ns);
		if (ret)
			return ret;
	}
}

static int64_t deadline(const struct vdev *d)
{
	return now_ns() + (int64_t)d->o->timeout_ms * 1000000;
}

int scsi_exec(struct vdev *d, struct gvq *vq, struct scsi_io *io,
	      const struct layout *lay)
{
	struct gmem_mark mark = gmem_mark(&d->mem);
	int64_t dl = deadline(d);
	int ret;

	ret = scsi_submit(d, vq, io, lay);
	if (ret)
		return ret;
	gvq_kick(vq);
	while (!io->done) {
		ret = scsi_reap(vq, dl);
		if (ret < 0)
			return ret;	/* buffers stay: the device owns them */
	}
	gmem_release(&d->mem, mark);
	return 0;
}

/* One control-queue request: req out, resp in (both one descriptor). */
int ctrl_exec(struct vdev *d, const void *req, uint32_t req_len,
	      void *resp, uint32_t resp_len)
{
	struct gvq *vq = &d->vq[0];
	struct gmem_mark mark = gmem_mark(&d->mem);
	struct sg sg[2] = { { .len = req_len }, { .len = resp_len,
						   .dev_writes = true } };
	int64_t dl = deadline(d);
	uint8_t *q, *r;
	void *cookie;
	int ret;

	q = arena_alloc(&d->mem.data[0], req_len, 64, &sg[0].gpa);
	r = arena_alloc(&d->mem.data[1], resp_len, 64, &sg[1].gpa);
	if (!q || !r)
		return -ENOMEM;
	memcpy(q, req, req_len);
	memset(r, POISON, resp_len);
	ret = gvq_add(vq, sg, 2, false, q);
	if (ret < 0)
		return ret;
	gvq_kick(vq);
	for (;;) {
		ret = gvq_get_used(vq, &cookie, NULL);
		if (ret < 0)
			return ret;
		if (ret > 0 && cookie == q)
			break;
		if (!ret && (ret = gvq_wait(vq, dl)))
			return ret;
	}
	memcpy(resp, r, resp_len);
	gmem_release(&d->mem, mark);
	return 0;
}

struct sense_info sense_decode(const struct scsi_result *r)
{
	struct sense_info s = { 0 };
	const uint8_t *b = r->sense;
	uint32_t len = r->sense_len;

	if (len > VIRTIO_SCSI_SENSE_SIZE)
		len = VIRTIO_SCSI_SENSE_SIZE;
	switch (len ? b[0] & 0x7f : 0) {
	case 0x70:
	case 0x71:
		if (len < 14)
			break;
		s.valid = true;
		s.key = b[2] & 0xf;
		s.asc = b[12];
		s.ascq = b[13];
		break;
	case 0x72:
	case 0x73:
		if (len < 4)
			break;
		s.valid = true;
		s.key = b[1] & 0xf;
		s.asc = b[2];
		s.ascq = b[3];
		break;
	}
	return s;
}

const char *resp_name(uint8_t response)
{
	static const char *const names[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE",
		"FAILURE", "FUNCTION_SUCCEEDED", "FUNCTION_REJECTED",
		"INCORRECT_LUN",
	};

	return response < sizeof(names) / sizeof(names[0]) ?
	       names[response] : "?";
}
