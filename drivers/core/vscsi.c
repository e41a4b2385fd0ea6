// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi.c - virtio-scsi wire format of the portable core
 *
 * See include/vlcore/vl_vscsi.h.  Requests are copied out of guest memory
 * once, into host structures, before any field is looked at: the guest
 * cannot change a value between our check and our use of it.
 */
#include <vlcore/vl_vscsi.h>

static u32 vl_min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

/* Bytes in one direction of @c. */
static u32 vl_chain_bytes(const struct vl_chain *c, bool writable)
{
	return writable ? c->in_len : c->out_len;
}

/* The errno for running past the end of one direction of a chain. */
static int vl_chain_short(bool writable)
{
	return writable ? -ENOSPC : -ENODATA;
}

/**
 * vl_chain_seek() - find a byte in the readable or writable part of a chain
 * @c: a chain from vl_vring_pop()
 * @writable: the device-writable part, else the device-readable part
 * @skip: offset of the byte in that part; equal to its size gives the
 *	position just past the end
 * @pos: set to the position
 *
 * Return: 0; -ENODATA (readable) or -ENOSPC (writable) if that part has
 * fewer than @skip bytes.
 */
int vl_chain_seek(const struct vl_chain *c, bool writable, u32 skip,
		  struct vl_chain_pos *pos)
{
	u16 i = writable ? c->nr_out : 0;
	u16 end = writable ? c->nr_out + c->nr_in : c->nr_out;

	while (i < end && skip >= c->segs[i].len) {
		skip -= c->segs[i].len;
		i++;
	}
	if (i == end && skip)
		return vl_chain_short(writable);
	pos->seg = i;
	pos->end = end;
	pos->off = skip;
	return 0;
}

/**
 * vl_chain_next_seg() - the buffer piece at a position, then move past it
 * @c: the chain
 * @pos: a position from vl_chain_seek(); advanced to the next segment
 * @seg: set to the rest of the segment at @pos: a first segment shared
 *	with a header comes out shortened by the header bytes
 *
 * Return: true with @seg set; false at the end of that part of the chain.
 */
bool vl_chain_next_seg(const struct vl_chain *c, struct vl_chain_pos *pos,
		       struct vl_seg *seg)
{
	const struct vl_seg *s;

	if (pos->seg >= pos->end)
		return false;
	s = &c->segs[pos->seg];
	seg->gpa = s->gpa + pos->off;
	seg->len = s->len - pos->off;
	pos->seg++;
	pos->off = 0;
	return true;
}

/**
 * vl_chain_next_part() - the next buffer piece of a bounded byte range
 * @c: the chain
 * @pos: a position from vl_chain_seek(); advanced past the piece, which
 *	may leave it inside the same segment
 * @left: bytes of the range still to walk; decreased by the piece
 * @seg: set to the piece: the rest of the segment at @pos, cut to @left
 *
 * For a range that may end inside a segment, such as the protection
 * information that precedes the data in the same buffer.
 *
 * Return: true with @seg set; false once @left is 0 or at the end of that
 * part of the chain.
 */
bool vl_chain_next_part(const struct vl_chain *c, struct vl_chain_pos *pos,
			u32 *left, struct vl_seg *seg)
{
	const struct vl_seg *s;

	if (!*left || pos->seg >= pos->end)
		return false;
	s = &c->segs[pos->seg];
	seg->gpa = s->gpa + pos->off;
	seg->len = vl_min_u32(s->len - pos->off, *left);
	*left -= seg->len;
	pos->off += seg->len;
	if (pos->off == s->len) {
		pos->seg++;
		pos->off = 0;
	}
	return true;
}

/**
 * vl_chain_data_segs() - list the buffers of a chain after a header
 * @c: the chain
 * @writable: the device-writable part, else the device-readable part
 * @skip: header bytes to leave out
 * @out: array for the buffers
 * @max: entries in @out
 * @nr: set to the entries filled
 *
 * Return: 0; -ENODATA or -ENOSPC as vl_chain_seek(); -E2BIG if @out is too
 * small.
 */
int vl_chain_data_segs(const struct vl_chain *c, bool writable, u32 skip,
		       struct vl_seg *out, u16 max, u16 *nr)
{
	struct vl_chain_pos pos;
	struct vl_seg seg;
	u16 n = 0;
	int ret;

	ret = vl_chain_seek(c, writable, skip, &pos);
	if (ret)
		return ret;
	while (vl_chain_next_seg(c, &pos, &seg)) {
		if (n >= max)
			return -E2BIG;
		out[n++] = seg;
	}
	*nr = n;
	return 0;
}

/*
 * Copy between a host buffer and part of a chain: into @dst from the
 * readable part, or from @src into the writable part.
 */
static int vl_chain_copy(const struct vl_chain *c, const struct vl_mem *m,
			 u32 off, u8 *dst, const u8 *src, u32 len)
{
	bool writable = src;
	struct vl_chain_pos pos;
	struct vl_seg seg;
	u32 n;
	int ret;

	if (off > vl_chain_bytes(c, writable) ||
	    len > vl_chain_bytes(c, writable) - off)
		return vl_chain_short(writable);
	ret = vl_chain_seek(c, writable, off, &pos);
	if (ret)
		return ret;
	while (len) {
		if (!vl_chain_next_seg(c, &pos, &seg))
			return vl_chain_short(writable);
		n = vl_min_u32(seg.len, len);
		if (writable) {
			ret = vl_mem_write(m, seg.gpa, src, n);
			src += n;
		} else {
			ret = vl_mem_read(m, seg.gpa, dst, n);
			dst += n;
		}
		if (ret)
			return ret;
		len -= n;
	}
	return 0;
}

/**
 * vl_chain_read() - copy bytes out of the device-readable part of a chain
 * @c: the chain
 * @m: guest memory
 * @off: offset in the readable part
 * @dst: host buffer
 * @len: bytes to copy
 *
 * Return: 0; -ENODATA if the readable part ends before @off + @len;
 * -EFAULT if guest memory faults.
 */
int vl_chain_read(const struct vl_chain *c, const struct vl_mem *m, u32 off,
		  void *dst, u32 len)
{
	return vl_chain_copy(c, m, off, dst, NULL, len);
}

/**
 * vl_chain_write() - copy bytes into the device-writable part of a chain
 * @c: the chain
 * @m: guest memory
 * @off: offset in the writable part
 * @src: host buffer
 * @len: bytes to copy
 *
 * Return: 0; -ENOSPC if the writable part ends before @off + @len (then
 * nothing was written); -EFAULT if guest memory faults.
 */
int vl_chain_write(const struct vl_chain *c, const struct vl_mem *m, u32 off,
		   const void *src, u32 len)
{
	return vl_chain_copy(c, m, off, NULL, src, len);
}

/**
 * vl_vscsi_lun_decode() - decode a virtio-scsi LUN address
 * @lun: the 8 address bytes
 * @target: set to the target, lun[1]
 * @lun_id: set to the LUN number, 0 to 16383
 *
 * The format is 1, target, a single level LUN in bytes 2-3 (peripheral
 * device addressing with bus 0, lun[2] == 0, or flat space addressing,
 * lun[2] & 0xc0 == 0x40), then four bytes that should be zero and that we
 * ignore, as QEMU and vhost_scsi do.  The REPORT LUNS well-known LUN is
 * 0xc1, 0x01 and six zeroes.
 *
 * Return: 0; VL_VSCSI_LUN_REPORT_LUNS for the REPORT LUNS well-known LUN
 * (@target and @lun_id set to 0); -ENXIO for any other address, which the
 * device answers with VL_VSCSI_S_BAD_TARGET.
 */
int vl_vscsi_lun_decode(const u8 *lun, u8 *target, u16 *lun_id)
{
	static const u8 report_luns[8] = { 0xc1, 0x01 };

	*target = 0;
	*lun_id = 0;
	if (!memcmp(lun, report_luns, sizeof(report_luns)))
		return VL_VSCSI_LUN_REPORT_LUNS;
	if (lun[0] != 1)
		return -ENXIO;
	if (lun[2] != 0 && (lun[2] & 0xc0) != 0x40)
		return -ENXIO;
	*target = lun[1];
	*lun_id = ((lun[2] << 8) | lun[3]) & 0x3fff;
	return 0;
}

/**
 * vl_vscsi_lun_encode() - encode a LUN address, for events
 * @lun: the 8 address bytes to fill
 * @target: the target
 * @lun_id: the LUN number, 0 to 16383 (higher bits are dropped)
 *
 * LUNs below 256 use peripheral device addressing, others flat space
 * addressing, as SAM recommends.
 */
void vl_vscsi_lun_encode(u8 *lun, u8 target, u16 lun_id)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[1] = target;
	lun_id &= 0x3fff;
	lun[2] = lun_id < 256 ? 0 : 0x40 | (lun_id >> 8);
	lun[3] = lun_id & 0xff;
}

/*
 * Data direction and extent from the sizes of the two parts of @c, whose
 * request header is @req_size bytes (the caller checked both parts hold
 * their header).
 */
static int vl_vscsi_data_dir(const struct vl_chain *c, u32 req_size,
			     struct vl_vscsi_req *req)
{
	u32 out = c->out_len - req_size;
	u32 in = c->in_len - sizeof(struct vl_vscsi_cmd_resp);

	if (out && in)
		return -EOPNOTSUPP;
	if (out) {
		req->dir = VL_VSCSI_DIR_TO_DEV;
		req->data_len = out;
		return vl_chain_seek(c, false, req_size, &req->data);
	}
	req->dir = in ? VL_VSCSI_DIR_FROM_DEV : VL_VSCSI_DIR_NONE;
	req->data_len = in;
	return vl_chain_seek(c, true, sizeof(struct vl_vscsi_cmd_resp),
			     &req->data);
}

/*
 * T10 PI: check the guest's counts against the direction found by
 * vl_vscsi_data_dir() and split the data buffers of that direction into
 * the protection bytes, first, and the data after them.  The data part
 * starts at header + count, which cannot overflow: the count is at most
 * the data length, and header + data length is the size of that part of
 * the chain, a u32.
 */
static int vl_vscsi_split_pi(const struct vl_chain *c, u32 req_size,
			     struct vl_vscsi_req *req)
{
	bool in = req->dir == VL_VSCSI_DIR_FROM_DEV;
	u32 hdr = in ? (u32)sizeof(struct vl_vscsi_cmd_resp) : req_size;
	u32 pi = in ? req->pi_bytesin : req->pi_bytesout;

	if (req->pi_bytesout && req->dir != VL_VSCSI_DIR_TO_DEV)
		return -EPROTO;
	if (req->pi_bytesin && req->dir != VL_VSCSI_DIR_FROM_DEV)
		return -EPROTO;
	if (pi > req->data_len)
		return -ERANGE;
	if (!pi)
		return 0;
	req->prot_len = pi;
	req->data_len -= pi;
	return vl_chain_seek(c, in, hdr + pi, &req->data);
}

/**
 * vl_vscsi_cdb_size() - length of a CDB by the SCSI rules
 * @cdb: the CDB; only cdb[0] and, for a variable length CDB, cdb[7] are read
 *
 * The same computation as Linux's scsi_command_size(), which LIO uses to
 * decide how many bytes of the CDB it copies: by group code (the top three
 * bits of the opcode) 6, 10, 10, 12, 16, 12, 10, 10 bytes (groups 3, 6
 * and 7 are reserved or vendor specific; their size is what Linux assumes),
 * and for VARIABLE LENGTH CDB (0x7f) 8 plus the ADDITIONAL CDB LENGTH
 * byte, up to 263.
 *
 * Return: the size in bytes.
 */
u32 vl_vscsi_cdb_size(const u8 *cdb)
{
	static const u8 group_size[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };

	if (cdb[0] == VL_VSCSI_VARLEN_CDB)
		return 8 + (u32)cdb[7];
	return group_size[cdb[0] >> 5];
}

/**
 * vl_vscsi_cdb_is_rw() - is a CDB a plain READ or WRITE
 * @cdb: the CDB; only cdb[0] is read
 *
 * READ and WRITE (6), (10), (12) and (16): the commands that only move
 * data between the buffers and the medium.
 *
 * Return: true for one of them.
 */
bool vl_vscsi_cdb_is_rw(const u8 *cdb)
{
	switch (cdb[0]) {
	case 0x08: case 0x0a:		/* READ (6), WRITE (6) */
	case 0x28: case 0x2a:		/* (10) */
	case 0xa8: case 0xaa:		/* (12) */
	case 0x88: case 0x8a:		/* (16) */
		return true;
	default:
		return false;
	}
}

/**
 * vl_vscsi_sense_key() - the sense key of SCSI sense data
 * @sense: sense data, fixed (response code 0x70/0x71: key in byte 2) or
 *	   descriptor format (0x72/0x73: key in byte 1)
 * @len: bytes of @sense that are valid
 *
 * Return: the sense key (0-15), or -1 if @sense is too short or of an
 * unknown format.
 */
int vl_vscsi_sense_key(const u8 *sense, u32 len)
{
	if (len < 2)
		return -1;
	switch (sense[0] & 0x7f) {
	case 0x70:
	case 0x71:
		return len > 2 ? sense[2] & 0x0f : -1;
	case 0x72:
	case 0x73:
		return sense[1] & 0x0f;
	default:
		return -1;
	}
}

/**
 * vl_vscsi_sense_asc() - the additional sense code of SCSI sense data
 * @sense: sense data, fixed (ASC in byte 12) or descriptor format (byte 2)
 * @len: bytes of @sense that are valid
 *
 * Return: the ASC (0-255), or -1 if @sense is too short to hold it or of
 * an unknown format.
 */
int vl_vscsi_sense_asc(const u8 *sense, u32 len)
{
	if (len < 1)
		return -1;
	switch (sense[0] & 0x7f) {
	case 0x70:
	case 0x71:
		return len > 12 ? sense[12] : -1;
	case 0x72:
	case 0x73:
		return len > 2 ? sense[2] : -1;
	default:
		return -1;
	}
}

/*
 * Either header: the fields up to crn are at the same offsets (asserted in
 * vl_vscsi.h).
 */
union vl_vscsi_cmd_hdr {
	struct vl_vscsi_cmd_req plain;
	struct vl_vscsi_cmd_req_pi pi;
};

/**
 * vl_vscsi_parse_cmd() - parse a request queue command
 * @c: the chain, as popped
 * @m: guest memory
 * @req: filled in (as far as parsing got, on error)
 *
 * The chain is the request header, then data-out, in the device-readable
 * part, and the response, then data-in, in the device-writable part; any
 * of them may share or span buffers.  Without VIRTIO_SCSI_F_T10_PI: the
 * same as vl_vscsi_parse_cmd_pi() with @t10_pi false.
 *
 * Return: 0; or what the device should do with the chain:
 * -ENOSPC: no room for a response: hand it back with used length 0;
 * -EBADMSG: request header truncated: answer VL_VSCSI_S_FAILURE;
 * -ENXIO: malformed LUN address: answer VL_VSCSI_S_BAD_TARGET (all other
 * fields of @req are valid);
 * -EOPNOTSUPP: both data-out and data-in: answer VL_VSCSI_S_FAILURE;
 * -EFAULT: guest memory faulted: hand it back with used length 0;
 * -EMSGSIZE: the CDB is longer by SCSI rules (vl_vscsi_cdb_size()) than
 * the VL_VSCSI_CDB_SIZE bytes the request carries: answer VL_VSCSI_S_OK,
 * CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB; never hand it
 * on, as LIO would copy that many bytes from our buffer (all other fields
 * of @req are valid).  Only returned when nothing else is wrong.
 */
int vl_vscsi_parse_cmd(const struct vl_chain *c, const struct vl_mem *m,
		       struct vl_vscsi_req *req)
{
	return vl_vscsi_parse_cmd_pi(c, m, false, req);
}

/**
 * vl_vscsi_parse_cmd_pi() - parse a request queue command, T10 PI or not
 * @c: the chain, as popped
 * @m: guest memory
 * @t10_pi: VIRTIO_SCSI_F_T10_PI was negotiated: the header is a struct
 *	vl_vscsi_cmd_req_pi (59 bytes), else a struct vl_vscsi_cmd_req
 * @req: filled in (as far as parsing got, on error)
 *
 * As vl_vscsi_parse_cmd(), and with @t10_pi: @req->pi_bytesout and
 * @req->pi_bytesin are the guest's counts; pi_bytesout may be non-zero
 * only for a data-out command, pi_bytesin only for a data-in one, and
 * neither may exceed the bytes after the header (data-out) or response
 * (data-in).  The protection bytes come first: @req->prot is their
 * position and @req->prot_len their count; @req->data and @req->data_len
 * are the data after them.
 *
 * Return: as vl_vscsi_parse_cmd() (-EBADMSG for fewer than 59 readable
 * bytes), and, after the LUN and both-directions checks, before the CDB
 * size check:
 * -EPROTO: pi_bytesout without data-out, or pi_bytesin without data-in:
 * answer VL_VSCSI_S_FAILURE;
 * -ERANGE: the count of the command's direction is larger than its data:
 * answer VL_VSCSI_S_FAILURE.
 * On either, the header fields of @req are valid, and the data direction
 * and length are those of the whole buffers.
 */
int vl_vscsi_parse_cmd_pi(const struct vl_chain *c, const struct vl_mem *m,
			  bool t10_pi, struct vl_vscsi_req *req)
{
	u32 req_size = t10_pi ? sizeof(struct vl_vscsi_cmd_req_pi) :
				sizeof(struct vl_vscsi_cmd_req);
	union vl_vscsi_cmd_hdr hdr;
	const u8 *cdb = hdr.plain.cdb;
	int ret, lun_ret;

	memset(req, 0, sizeof(*req));
	if (c->in_len < sizeof(struct vl_vscsi_cmd_resp))
		return -ENOSPC;
	if (c->out_len < req_size)
		return -EBADMSG;
	ret = vl_chain_read(c, m, 0, &hdr, req_size);
	if (ret)
		return ret;

	req->tag = vl_le64_to_cpu(hdr.plain.id);
	memcpy(req->lun_raw, hdr.plain.lun, sizeof(req->lun_raw));
	req->task_attr = hdr.plain.task_attr;
	req->prio = hdr.plain.prio;
	req->crn = hdr.plain.crn;
	if (t10_pi) {
		req->pi_bytesout = vl_le32_to_cpu(hdr.pi.pi_bytesout);
		req->pi_bytesin = vl_le32_to_cpu(hdr.pi.pi_bytesin);
		cdb = hdr.pi.cdb;
	}
	memcpy(req->cdb, cdb, sizeof(req->cdb));
	ret = vl_vscsi_data_dir(c, req_size, req);
	req->prot = req->data;
	if (!ret && t10_pi)
		ret = vl_vscsi_split_pi(c, req_size, req);

	lun_ret = vl_vscsi_lun_decode(hdr.plain.lun, &req->target, &req->lun);
	if (lun_ret < 0)
		return lun_ret;
	req->report_luns = lun_ret == VL_VSCSI_LUN_REPORT_LUNS;
	if (ret)
		return ret;
	if (vl_vscsi_cdb_size(req->cdb) > VL_VSCSI_CDB_SIZE)
		return -EMSGSIZE;
	return 0;
}

/**
 * vl_vscsi_fill_cmd_resp() - build a request queue response
 * @resp: filled in completely: no byte is left uninitialised
 * @response: VL_VSCSI_S_*
 * @status: SCSI status byte
 * @sense: sense data, may be NULL if @sense_len is 0
 * @sense_len: bytes of sense data; more than VL_VSCSI_SENSE_SIZE are cut
 * @resid: residual byte count
 *
 * The sense bytes past @sense_len are zero and the sense_len field says
 * how many were kept.
 */
void vl_vscsi_fill_cmd_resp(struct vl_vscsi_cmd_resp *resp, u8 response,
			    u8 status, const void *sense, u32 sense_len,
			    u32 resid)
{
	u32 n = sense ? vl_min_u32(sense_len, VL_VSCSI_SENSE_SIZE) : 0;

	memset(resp, 0, sizeof(*resp));
	resp->response = response;
	resp->status = status;
	resp->resid = vl_cpu_to_le32(resid);
	resp->sense_len = vl_cpu_to_le32(n);
	if (n)
		memcpy(resp->sense, sense, n);
}

/**
 * vl_vscsi_put_cmd_resp() - write a response at the start of the writable part
 * @c: the chain
 * @m: guest memory
 * @resp: the response, from vl_vscsi_fill_cmd_resp()
 *
 * Return: 0; -ENOSPC if the writable part is too short; -EFAULT.
 */
int vl_vscsi_put_cmd_resp(const struct vl_chain *c, const struct vl_mem *m,
			  const struct vl_vscsi_cmd_resp *resp)
{
	return vl_chain_write(c, m, 0, resp, sizeof(*resp));
}

/* Request and response sizes of a control request type; false if unknown. */
static bool vl_vscsi_ctrl_sizes(u32 type, u32 *req_size, u32 *resp_size)
{
	switch (type) {
	case VL_VSCSI_T_TMF:
		*req_size = sizeof(struct vl_vscsi_tmf_req);
		*resp_size = sizeof(struct vl_vscsi_tmf_resp);
		return true;
	case VL_VSCSI_T_AN_QUERY:
	case VL_VSCSI_T_AN_SUBSCRIBE:
		*req_size = sizeof(struct vl_vscsi_an_req);
		*resp_size = sizeof(struct vl_vscsi_an_resp);
		return true;
	}
	return false;
}

/* Read the request of known type ctrl->type from @c into @ctrl. */
static int vl_vscsi_read_ctrl(const struct vl_chain *c,
			      const struct vl_mem *m,
			      struct vl_vscsi_ctrl *ctrl)
{
	struct vl_vscsi_tmf_req tmf;
	struct vl_vscsi_an_req an;
	int ret;

	if (ctrl->type == VL_VSCSI_T_TMF) {
		ret = vl_chain_read(c, m, 0, &tmf, sizeof(tmf));
		if (ret)
			return ret;
		ctrl->subtype = vl_le32_to_cpu(tmf.subtype);
		ctrl->tag = vl_le64_to_cpu(tmf.id);
		memcpy(ctrl->lun_raw, tmf.lun, sizeof(ctrl->lun_raw));
		return 0;
	}
	ret = vl_chain_read(c, m, 0, &an, sizeof(an));
	if (ret)
		return ret;
	ctrl->event_requested = vl_le32_to_cpu(an.event_requested);
	memcpy(ctrl->lun_raw, an.lun, sizeof(ctrl->lun_raw));
	return 0;
}

/**
 * vl_vscsi_parse_ctrl() - parse a control queue request
 * @c: the chain, as popped
 * @m: guest memory
 * @ctrl: filled in (as far as parsing got, on error)
 *
 * Return: 0; or what the device should do with the chain:
 * -EBADMSG: request truncated: answer VL_VSCSI_S_FAILURE, or if even the
 * type is missing (@ctrl->type is 0xffffffff) hand it back with used
 * length 0;
 * -EOPNOTSUPP: unknown @ctrl->type: hand it back with used length 0;
 * -ENOSPC: no room for the response: hand it back with used length 0;
 * -ENXIO: malformed LUN address: answer VL_VSCSI_S_BAD_TARGET (all other
 * fields of @ctrl are valid);
 * -EFAULT: guest memory faulted: hand it back with used length 0.
 */
int vl_vscsi_parse_ctrl(const struct vl_chain *c, const struct vl_mem *m,
			struct vl_vscsi_ctrl *ctrl)
{
	u32 req_size, resp_size;
	vl_le32 type;
	int ret;

	memset(ctrl, 0, sizeof(*ctrl));
	ctrl->type = 0xffffffffU;
	if (c->out_len < sizeof(type))
		return -EBADMSG;
	ret = vl_chain_read(c, m, 0, &type, sizeof(type));
	if (ret)
		return ret;
	ctrl->type = vl_le32_to_cpu(type);
	if (!vl_vscsi_ctrl_sizes(ctrl->type, &req_size, &resp_size))
		return -EOPNOTSUPP;
	if (c->in_len < resp_size)
		return -ENOSPC;
	if (c->out_len < req_size)
		return -EBADMSG;
	ret = vl_vscsi_read_ctrl(c, m, ctrl);
	if (ret)
		return ret;
	ret = vl_vscsi_lun_decode(ctrl->lun_raw, &ctrl->target, &ctrl->lun);
	if (ret < 0)
		return ret;
	ctrl->report_luns = ret == VL_VSCSI_LUN_REPORT_LUNS;
	return 0;
}

/**
 * vl_vscsi_put_tmf_resp() - answer a task management request
 * @c: the chain
 * @m: guest memory
 * @response: VL_VSCSI_S_FUNCTION_* or another response code
 *
 * Return: 0; -ENOSPC if the writable part is empty; -EFAULT.
 */
int vl_vscsi_put_tmf_resp(const struct vl_chain *c, const struct vl_mem *m,
			  u8 response)
{
	struct vl_vscsi_tmf_resp resp = { .response = response };

	return vl_chain_write(c, m, 0, &resp, sizeof(resp));
}

/**
 * vl_vscsi_put_an_resp() - answer an asynchronous notification request
 * @c: the chain
 * @m: guest memory
 * @event_actual: the events supported
 * @response: a response code
 *
 * Return: 0; -ENOSPC if the writable part is shorter than 5 bytes; -EFAULT.
 */
int vl_vscsi_put_an_resp(const struct vl_chain *c, const struct vl_mem *m,
			 u32 event_actual, u8 response)
{
	struct vl_vscsi_an_resp resp;

	resp.event_actual = vl_cpu_to_le32(event_actual);
	resp.response = response;
	return vl_chain_write(c, m, 0, &resp, sizeof(resp));
}

/**
 * vl_vscsi_put_event() - fill an event queue buffer
 * @c: a chain popped from the event queue: device-writable buffers only
 * @m: guest memory
 * @event: VL_VSCSI_T_*, possibly with VL_VSCSI_T_EVENTS_MISSED
 * @lun: the 8 LUN address bytes (vl_vscsi_lun_encode()), or NULL for zeroes
 * @reason: event-specific reason
 *
 * Return: 0; -EINVAL if the chain has device-readable buffers; -ENOSPC if
 * it has fewer than 16 writable bytes; -EFAULT.  The used length of a
 * filled event is sizeof(struct vl_vscsi_event).
 */
int vl_vscsi_put_event(const struct vl_chain *c, const struct vl_mem *m,
		       u32 event, const u8 *lun, u32 reason)
{
	struct vl_vscsi_event ev;

	if (c->out_len)
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.event = vl_cpu_to_le32(event);
	if (lun)
		memcpy(ev.lun, lun, sizeof(ev.lun));
	ev.reason = vl_cpu_to_le32(reason);
	return vl_chain_write(c, m, 0, &ev, sizeof(ev));
}
