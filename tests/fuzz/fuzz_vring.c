// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_vring.c - libFuzzer target for the portable core
 *
 * The input is a guest (see fuzz_input.h): ring geometry and state, and the
 * guest memory the ring, descriptors and buffers live in.  The harness
 * plays the device: it pops chains until the ring is empty or broken,
 * parses each as a request of the queue's kind, answers it and hands it
 * back, flushing and deciding notifications as the device layer would.
 *
 * Besides the sanitizers, it checks the core's promises and traps when
 * one is broken: a popped chain is within the caller's array, its lengths
 * add up and every buffer is in guest memory; a chain with room for an
 * answer can always be answered (memory was checked when popped); a
 * broken ring says why and stays broken; used->idx is what was flushed;
 * an accepted command's CDB, by the SCSI rules LIO sizes it with, never
 * extends past the bytes the request carries, and one that would is
 * refused with -EMSGSIZE exactly when nothing else is wrong with it.
 * With FZ_F_T10_PI the request header has the T10 PI counts: a command is
 * accepted exactly when they fit its direction and data (an independent
 * computation), and its protection bytes, walked piece by piece, end
 * where its data begins, within the chain and guest memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_input.h"
#include <vlcore/vl_vscsi.h>

#define FZ_MAX_SEGS	256

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

struct fz {
	struct vl_mem mem;
	struct vl_vring vr;
	struct vl_chain chain;
	struct vl_seg segs[FZ_MAX_SEGS];
	u8 *host[3];
	const struct fz_hdr *h;
	unsigned int unpop_budget;
	unsigned int batched;
	unsigned int handled;
};

static void fz_check_chain(struct fz *f)
{
	const struct vl_chain *c = &f->chain;
	u64 out = 0, in = 0;
	u32 i;

	CHECK(c->nr_out + c->nr_in <= c->max_segs);
	CHECK(c->head < f->vr.num);
	for (i = 0; i < (u32)c->nr_out + c->nr_in; i++) {
		CHECK(c->segs[i].len);
		CHECK(!vl_mem_check(&f->mem, c->segs[i].gpa, c->segs[i].len));
		if (i < c->nr_out)
			out += c->segs[i].len;
		else
			in += c->segs[i].len;
	}
	CHECK(out == c->out_len && in == c->in_len);
	CHECK(out + in <= 0xffffffffULL);
}

/* Walk the data after @skip bytes and check it adds up. */
static void fz_check_cursor(struct fz *f, bool writable, u32 skip, u32 total)
{
	struct vl_chain_pos pos;
	struct vl_seg seg;
	u64 sum = 0;
	int ret;

	ret = vl_chain_seek(&f->chain, writable, skip, &pos);
	if (skip > total) {
		CHECK(ret == (writable ? -ENOSPC : -ENODATA));
		return;
	}
	CHECK(!ret);
	while (vl_chain_next_seg(&f->chain, &pos, &seg)) {
		CHECK(seg.len);
		sum += seg.len;
	}
	CHECK(sum == total - skip);
}

/* The array form of the same walk. */
static void fz_check_data_segs(struct fz *f, bool writable, u32 skip)
{
	struct vl_seg out[8];
	u32 i, sum = 0, total;
	u16 nr = 0;
	int ret;

	total = writable ? f->chain.in_len : f->chain.out_len;
	ret = vl_chain_data_segs(&f->chain, writable, skip, out, 8, &nr);
	if (skip > total) {
		CHECK(ret == (writable ? -ENOSPC : -ENODATA));
		return;
	}
	if (ret == -E2BIG)
		return;
	CHECK(!ret && nr <= 8);
	for (i = 0; i < nr; i++) {
		CHECK(out[i].len);
		sum += out[i].len;
	}
	CHECK(sum == total - skip);
}

/*
 * Linux's scsi_command_size(), written out independently of the core:
 * the number of CDB bytes LIO copies from the request.
 */
static u32 fz_scsi_command_size(const u8 *cdb)
{
	if (cdb[0] == 0x7f)
		return 8 + cdb[7];
	switch (cdb[0] >> 5) {
	case 0:
		return 6;
	case 3:
	case 5:
		return 12;
	case 4:
		return 16;
	default:
		return 10;
	}
}

/*
 * What a T10 PI command's counts should give, from the sizes of the
 * chain's two parts alone: 0, -EPROTO or -ERANGE.  Only for a chain
 * with both headers and not both directions.
 */
static int fz_pi_expect(const struct vl_chain *c, u32 pi_out, u32 pi_in)
{
	u32 out = c->out_len - sizeof(struct vl_vscsi_cmd_req_pi);
	u32 in = c->in_len - sizeof(struct vl_vscsi_cmd_resp);

	if ((pi_out && !out) || (pi_in && !in))
		return -EPROTO;
	if (pi_out > out || pi_in > in)
		return -ERANGE;
	return 0;
}

/*
 * The protection bytes of an accepted T10 PI command: each piece in guest
 * memory, @prot_len in all, ending exactly at the data's position.
 */
static void fz_check_prot(struct fz *f, const struct vl_vscsi_req *req)
{
	struct vl_chain_pos pos = req->prot;
	u32 left = req->prot_len;
	struct vl_seg seg;
	u64 sum = 0;

	while (vl_chain_next_part(&f->chain, &pos, &left, &seg)) {
		CHECK(seg.len && seg.len <= req->prot_len);
		CHECK(!vl_mem_check(&f->mem, seg.gpa, seg.len));
		sum += seg.len;
	}
	CHECK(!left && sum == req->prot_len);
	CHECK(pos.seg == req->data.seg && pos.off == req->data.off &&
	      pos.end == req->data.end);
}

/* The T10 PI promises of vl_vscsi_parse_cmd_pi() for its result @ret. */
static void fz_check_pi(struct fz *f, const struct vl_vscsi_req *req,
			bool pi, int ret)
{
	const struct vl_chain *c = &f->chain;
	u32 hdr = pi ? 59 : 51;

	if (!pi) {
		CHECK(ret != -EPROTO && ret != -ERANGE);
		CHECK(!req->pi_bytesout && !req->pi_bytesin && !req->prot_len);
		return;
	}
	if (ret == -EPROTO || ret == -ERANGE)
		CHECK(fz_pi_expect(c, req->pi_bytesout, req->pi_bytesin) == ret);
	if (ret != 0 && ret != -EMSGSIZE)
		return;
	CHECK(fz_pi_expect(c, req->pi_bytesout, req->pi_bytesin) == 0);
	if (req->dir == VL_VSCSI_DIR_TO_DEV) {
		CHECK(req->prot_len == req->pi_bytesout && !req->pi_bytesin);
		CHECK((u64)req->prot_len + req->data_len == c->out_len - hdr);
	} else if (req->dir == VL_VSCSI_DIR_FROM_DEV) {
		CHECK(req->prot_len == req->pi_bytesin && !req->pi_bytesout);
		CHECK((u64)req->prot_len + req->data_len ==
		      c->in_len - sizeof(struct vl_vscsi_cmd_resp));
	} else {
		CHECK(!req->prot_len && !req->pi_bytesout && !req->pi_bytesin);
	}
	fz_check_prot(f, req);
}

static u32 fz_request(struct fz *f)
{
	const struct vl_chain *c = &f->chain;
	bool pi = f->h->flags & FZ_F_T10_PI;
	u32 hdr = pi ? 59 : 51;
	struct vl_vscsi_cmd_resp resp;
	struct vl_vscsi_req req;
	struct vl_seg seg;
	u8 sense[VL_VSCSI_SENSE_SIZE + 8];
	u64 sum = 0;
	u8 response;
	int ret;

	ret = vl_vscsi_parse_cmd_pi(c, &f->mem, pi, &req);
	CHECK(ret != -EFAULT);
	if (ret == -ENOSPC) {
		CHECK(c->in_len < sizeof(resp));
		return 0;
	}
	CHECK(ret == 0 || ret == -EBADMSG || ret == -ENXIO ||
	      ret == -EOPNOTSUPP || ret == -EMSGSIZE || ret == -EPROTO ||
	      ret == -ERANGE);
	if (ret == -EBADMSG)
		CHECK(c->out_len < hdr);
	if (ret == 0)
		CHECK(fz_scsi_command_size(req.cdb) <= VL_VSCSI_CDB_SIZE);
	if (ret == -EMSGSIZE)
		CHECK(fz_scsi_command_size(req.cdb) > VL_VSCSI_CDB_SIZE);
	fz_check_pi(f, &req, pi, ret);
	if (ret == 0 || ret == -EMSGSIZE) {
		if (req.dir == VL_VSCSI_DIR_TO_DEV)
			CHECK(req.data_len + req.prot_len == c->out_len - hdr);
		else if (req.dir == VL_VSCSI_DIR_FROM_DEV)
			CHECK(req.data_len + req.prot_len ==
			      c->in_len - sizeof(resp));
		else
			CHECK(req.data_len == 0);
		while (vl_chain_next_seg(c, &req.data, &seg))
			sum += seg.len;
		CHECK(sum == req.data_len);
		CHECK(req.lun < 16384);
	}

	/* The mapping Documentation/core.md gives the device layer. */
	response = ret == -ENXIO ? VL_VSCSI_S_BAD_TARGET :
		   ret && ret != -EMSGSIZE ? VL_VSCSI_S_FAILURE : VL_VSCSI_S_OK;
	memset(sense, req.cdb[0], sizeof(sense));
	vl_vscsi_fill_cmd_resp(&resp, response, req.cdb[1], sense,
			       req.cdb[2], req.cdb[3]);
	CHECK(vl_le32_to_cpu(resp.sense_len) <= VL_VSCSI_SENSE_SIZE);
	CHECK(!vl_vscsi_put_cmd_resp(c, &f->mem, &resp));
	return vl_vscsi_cmd_used_len(req.dir == VL_VSCSI_DIR_FROM_DEV ?
				     req.prot_len + req.data_len : 0);
}

static u32 fz_control(struct fz *f)
{
	struct vl_vscsi_ctrl ctrl;
	int ret;

	ret = vl_vscsi_parse_ctrl(&f->chain, &f->mem, &ctrl);
	CHECK(ret != -EFAULT);
	if (ret == -ENOSPC || ret == -EOPNOTSUPP ||
	    (ret == -EBADMSG && ctrl.type == 0xffffffffU))
		return 0;
	CHECK(ret == 0 || ret == -ENXIO || ret == -EBADMSG);
	if (ctrl.type == VL_VSCSI_T_TMF) {
		CHECK(!vl_vscsi_put_tmf_resp(&f->chain, &f->mem,
					     VL_VSCSI_S_FUNCTION_COMPLETE));
		return 1;
	}
	CHECK(ctrl.type == VL_VSCSI_T_AN_QUERY ||
	      ctrl.type == VL_VSCSI_T_AN_SUBSCRIBE);
	CHECK(!vl_vscsi_put_an_resp(&f->chain, &f->mem, ctrl.event_requested,
				    VL_VSCSI_S_OK));
	return 5;
}

static u32 fz_event(struct fz *f)
{
	u8 lun[8];
	int ret;

	vl_vscsi_lun_encode(lun, f->chain.head, f->vr.last_avail_idx);
	ret = vl_vscsi_put_event(&f->chain, &f->mem, VL_VSCSI_T_PARAM_CHANGE,
				 lun, 0x2a01);
	if (f->chain.out_len)
		CHECK(ret == -EINVAL);
	else if (f->chain.in_len < sizeof(struct vl_vscsi_event))
		CHECK(ret == -ENOSPC);
	else
		CHECK(ret == 0);
	return ret ? 0 : sizeof(struct vl_vscsi_event);
}

static void fz_flush(struct fz *f)
{
	bool pending = f->vr.used_idx != f->vr.used_published;
	u16 idx;
	int ret;

	ret = vl_vring_flush_used(&f->vr, &f->mem);
	CHECK(ret == 0);
	CHECK(f->vr.used_published == f->vr.used_idx);
	if (pending) {
		/* Nothing else wrote guest memory since the flush. */
		CHECK(!vl_mem_load16(&f->mem, f->vr.used + 2, &idx));
		CHECK(idx == f->vr.used_published);
	}
	f->batched = 0;
	ret = vl_vring_need_signal(&f->vr, &f->mem);
	CHECK(ret == 0 || ret == 1);
}

static void fz_complete(struct fz *f, u32 len)
{
	int ret;

	ret = vl_vring_add_used(&f->vr, &f->mem, f->chain.head, len);
	if (ret == -ENOSPC) {
		fz_flush(f);
		ret = vl_vring_add_used(&f->vr, &f->mem, f->chain.head, len);
	}
	CHECK(ret == 0);
	if (!(f->h->flags & FZ_F_BATCH) || ++f->batched == 3)
		fz_flush(f);
}

static void fz_handle(struct fz *f)
{
	u32 len;

	fz_check_chain(f);
	fz_check_cursor(f, false, f->h->skip, f->chain.out_len);
	fz_check_cursor(f, true, f->h->skip, f->chain.in_len);
	fz_check_data_segs(f, false, f->h->skip);
	fz_check_data_segs(f, true, f->h->skip);
	switch (f->h->kind % FZ_NR_KINDS) {
	case FZ_KIND_REQUEST:
		len = fz_request(f);
		break;
	case FZ_KIND_CONTROL:
		len = fz_control(f);
		break;
	default:
		len = fz_event(f);
		break;
	}
	fz_complete(f, len);
	f->handled++;
}

/* Pop and handle until the ring is empty or broken. */
static void fz_run(struct fz *f)
{
	u32 iter, limit = 4 * f->vr.num + 16;
	int ret;

	/* A device processing a kick. */
	CHECK(!vl_vring_disable_notify(&f->vr, &f->mem));
	for (iter = 0; iter < limit; iter++) {
		f->chain.segs = f->segs;
		f->chain.max_segs = f->h->max_segs + 1;
		ret = vl_vring_pop(&f->vr, &f->mem, &f->chain);
		if (ret < 0) {
			CHECK(f->vr.broken);
			CHECK(f->vr.fault > VL_FAULT_NONE &&
			      f->vr.fault < VL_FAULT_NR);
			CHECK(vl_vring_fault_str(f->vr.fault));
			CHECK(vl_vring_pop(&f->vr, &f->mem, &f->chain) == -EIO);
			return;
		}
		if (ret == 0) {
			/* Nothing changed in memory: a poll finds nothing. */
			CHECK(vl_vring_poll(&f->vr, &f->mem) == 0);
			ret = vl_vring_enable_notify(&f->vr, &f->mem);
			if (ret <= 0)
				break;
			CHECK(!vl_vring_disable_notify(&f->vr, &f->mem));
			continue;
		}
		if ((f->h->flags & FZ_F_UNPOP) && f->unpop_budget) {
			f->unpop_budget--;
			CHECK(!vl_vring_unpop(&f->vr, 1));
			continue;
		}
		fz_handle(f);
	}
	if (!f->vr.broken)
		fz_flush(f);
}

static int fz_add(struct fz *f, int i, u64 gpa, const u8 *data, size_t size)
{
	if (!size)
		return 0;
	f->host[i] = malloc(size);
	if (!f->host[i])
		return -1;
	if (data)
		memcpy(f->host[i], data, size);
	else
		memset(f->host[i], 0, size);
	return vl_mem_add_region(&f->mem, gpa, size, (uintptr_t)f->host[i]);
}

static int fz_setup(struct fz *f, const u8 *data, size_t size)
{
	const struct fz_hdr *h = f->h;
	size_t r0 = vl_le16_to_cpu(h->r0_size);
	u32 num = 1U << (h->num_log2 % 9);
	u64 features = 0;

	if (r0 > size)
		r0 = size;
	vl_mem_init(&f->mem);
	if (fz_add(f, 0, 0, data, r0) ||
	    fz_add(f, 1, r0 + (h->flags & FZ_F_ADJACENT ? 0 : FZ_HOLE),
		   data + r0, size - r0))
		return -1;
	if ((h->flags & FZ_F_TOP) &&
	    fz_add(f, 2, 0ULL - FZ_TOP_SIZE, NULL, FZ_TOP_SIZE))
		return -1;

	if (h->features & FZ_FEAT_INDIRECT)
		features |= 1ULL << VL_VIRTIO_F_INDIRECT_DESC;
	if (h->features & FZ_FEAT_EVENT_IDX)
		features |= 1ULL << VL_VIRTIO_F_EVENT_IDX;
	if (h->features & FZ_FEAT_NOTIFY_ON_EMPTY)
		features |= 1ULL << VL_VIRTIO_F_NOTIFY_ON_EMPTY;
	if (vl_vring_init(&f->vr, num, 16ULL * vl_le16_to_cpu(h->desc_off),
			  2ULL * vl_le16_to_cpu(h->avail_off),
			  4ULL * vl_le16_to_cpu(h->used_off), features))
		return -1;
	vl_vring_set_base(&f->vr, vl_le16_to_cpu(h->last_avail), 0);
	if (vl_vring_start(&f->vr, &f->mem))
		return -1;
	if (h->flags & FZ_F_SET_USED)
		vl_vring_set_base(&f->vr, f->vr.last_avail_idx,
				  vl_le16_to_cpu(h->used_idx));
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct fz f;
	int i, ret;

	if (size < sizeof(struct fz_hdr))
		return 0;
	memset(&f, 0, sizeof(f));
	f.h = (const struct fz_hdr *)data;
	f.unpop_budget = 2;
	ret = fz_setup(&f, data + sizeof(struct fz_hdr),
		       size - sizeof(struct fz_hdr));
	if (!ret)
		fz_run(&f);
#ifdef FZ_TRACE
	/* make repro CRASH=... FZ_TRACE=1: what did this input do. */
	fprintf(stderr, "fuzz_vring: setup %d, handled %u, used %u, %s\n",
		ret, f.handled, f.vr.used_published,
		f.vr.broken ? vl_vring_fault_str(f.vr.fault) : "not broken");
#endif
	for (i = 0; i < 3; i++)
		free(f.host[i]);
	return 0;
}
