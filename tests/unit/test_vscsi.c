// SPDX-License-Identifier: GPL-2.0
/*
 * test_vscsi.c - virtio-scsi wire format (drivers/core/vscsi.c)
 */
#include "fake_guest.h"

#define REQ_SIZE	((u32)sizeof(struct vl_vscsi_cmd_req))
#define RESP_SIZE	((u32)sizeof(struct vl_vscsi_cmd_resp))

/* One descriptor of a test chain. */
struct d {
	u64 gpa;
	u32 len;
	bool w;
};

/* Lay out @n descriptors as one direct chain, make it available, pop it. */
static void pop_chain(const struct d *d, u16 n)
{
	u16 i, flags;

	fg_ring(256, 0);
	for (i = 0; i < n; i++) {
		flags = (d[i].w ? VL_VRING_DESC_F_WRITE : 0) |
			(i + 1 < n ? VL_VRING_DESC_F_NEXT : 0);
		fg_desc(FG_DESC, i, d[i].gpa, d[i].len, flags, i + 1);
	}
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
}

/* A command header with recognisable contents. */
static void make_req(struct vl_vscsi_cmd_req *r, u8 target, u16 lun)
{
	int i;

	memset(r, 0, sizeof(*r));
	vl_vscsi_lun_encode(r->lun, target, lun);
	r->id = vl_cpu_to_le64(0x1122334455667788ULL);
	r->task_attr = VL_VSCSI_S_ORDERED;
	r->prio = 3;
	r->crn = 9;
	for (i = 0; i < VL_VSCSI_CDB_SIZE; i++)
		r->cdb[i] = 0x28 + i;
}

static void put_bytes(u64 gpa, const void *p, u32 len)
{
	assert_int_equal(vl_mem_write(&g->mem, gpa, p, len), 0);
}

static void check_req(const struct vl_vscsi_req *req, u8 target, u16 lun)
{
	int i;

	assert_int_equal(req->tag, 0x1122334455667788ULL);
	assert_int_equal(req->target, target);
	assert_int_equal(req->lun, lun);
	assert_false(req->report_luns);
	assert_int_equal(req->task_attr, VL_VSCSI_S_ORDERED);
	assert_int_equal(req->prio, 3);
	assert_int_equal(req->crn, 9);
	for (i = 0; i < VL_VSCSI_CDB_SIZE; i++)
		assert_int_equal(req->cdb[i], 0x28 + i);
}

TEST(wire_layout)
{
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req, id), 8);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req, task_attr), 16);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req, cdb), 19);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_resp, resid), 4);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_resp, status_qualifier),
			 8);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_resp, status), 10);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_resp, response), 11);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_resp, sense), 12);
	assert_int_equal(offsetof(struct vl_vscsi_tmf_req, lun), 8);
	assert_int_equal(offsetof(struct vl_vscsi_tmf_req, id), 16);
	assert_int_equal(offsetof(struct vl_vscsi_an_req, event_requested),
			 12);
	assert_int_equal(offsetof(struct vl_vscsi_an_resp, response), 4);
	assert_int_equal(offsetof(struct vl_vscsi_event, reason), 12);
}

static int decode(u8 b0, u8 b1, u8 b2, u8 b3, u8 *target, u16 *lun)
{
	u8 l[8] = { b0, b1, b2, b3, 0, 0, 0, 0 };

	return vl_vscsi_lun_decode(l, target, lun);
}

TEST(lun_decode)
{
	u8 t;
	u16 l;
	u8 odd[8] = { 1, 2, 0x40, 5, 0xff, 0xff, 0xff, 0xff };
	u8 wlun[8] = { 0xc1, 0x01, 0, 0, 0, 0, 0, 0 };

	/* Peripheral device addressing, bus 0. */
	assert_int_equal(decode(1, 0, 0x00, 0x00, &t, &l), 0);
	assert_int_equal(t, 0);
	assert_int_equal(l, 0);
	assert_int_equal(decode(1, 7, 0x00, 0xff, &t, &l), 0);
	assert_int_equal(t, 7);
	assert_int_equal(l, 255);
	/* Flat space addressing (what Linux sends for every LUN). */
	assert_int_equal(decode(1, 255, 0x40, 0x05, &t, &l), 0);
	assert_int_equal(t, 255);
	assert_int_equal(l, 5);
	assert_int_equal(decode(1, 3, 0x7f, 0xff, &t, &l), 0);
	assert_int_equal(l, 16383);
	assert_int_equal(decode(1, 3, 0x41, 0x00, &t, &l), 0);
	assert_int_equal(l, 256);
	/* Bytes 4-7 are ignored, as QEMU and vhost_scsi do. */
	assert_int_equal(vl_vscsi_lun_decode(odd, &t, &l), 0);
	assert_int_equal(l, 5);
	/* The REPORT LUNS well-known LUN. */
	assert_int_equal(vl_vscsi_lun_decode(wlun, &t, &l),
			 VL_VSCSI_LUN_REPORT_LUNS);
	assert_int_equal(t, 0);
	assert_int_equal(l, 0);

	/* Malformed: first byte, bus != 0, other addressing methods. */
	assert_int_equal(decode(0, 0, 0, 0, &t, &l), -ENXIO);
	assert_int_equal(decode(2, 0, 0x40, 0, &t, &l), -ENXIO);
	assert_int_equal(decode(0xc1, 0x02, 0, 0, &t, &l), -ENXIO);
	assert_int_equal(decode(1, 0, 0x01, 0, &t, &l), -ENXIO);
	assert_int_equal(decode(1, 0, 0x80, 0, &t, &l), -ENXIO);
	assert_int_equal(decode(1, 0, 0xc1, 0, &t, &l), -ENXIO);
	assert_int_equal(t, 0);
}

TEST(lun_encode_roundtrip)
{
	static const u16 luns[] = { 0, 1, 255, 256, 0x1234, 16383 };
	u8 b[8], t;
	u16 l;
	size_t i;

	for (i = 0; i < sizeof(luns) / sizeof(luns[0]); i++) {
		vl_vscsi_lun_encode(b, 42, luns[i]);
		assert_int_equal(b[0], 1);
		assert_int_equal(b[2] & 0xc0, luns[i] < 256 ? 0 : 0x40);
		assert_int_equal(b[4] | b[5] | b[6] | b[7], 0);
		assert_int_equal(vl_vscsi_lun_decode(b, &t, &l), 0);
		assert_int_equal(t, 42);
		assert_int_equal(l, luns[i]);
	}
}

TEST(parse_cmd_no_data)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};

	make_req(&r, 2, 300);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	check_req(&req, 2, 300);
	assert_memory_equal(req.lun_raw, r.lun, 8);
	assert_int_equal(req.dir, VL_VSCSI_DIR_NONE);
	assert_int_equal(req.data_len, 0);
	assert_int_equal(req.data.seg, req.data.end);
}

TEST(parse_cmd_data_out_shares_header_buffer)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	struct vl_seg segs[4];
	struct vl_seg s;
	u16 nr = 0;
	const struct d d[] = {
		{ FG_R1, REQ_SIZE + 4096, false },
		{ FG_R2 + 0x100, 512, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	make_req(&r, 0, 1);
	put_bytes(FG_R1, &r, sizeof(r));
	pop_chain(d, 3);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	check_req(&req, 0, 1);
	assert_int_equal(req.dir, VL_VSCSI_DIR_TO_DEV);
	assert_int_equal(req.data_len, 4608);

	/* The first data segment is the tail of the header's buffer. */
	assert_int_equal(vl_chain_data_segs(&g->chain, false, REQ_SIZE, segs,
					    4, &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(segs[0].gpa, FG_R1 + REQ_SIZE);
	assert_int_equal(segs[0].len, 4096);
	assert_int_equal(segs[1].gpa, FG_R2 + 0x100);
	assert_int_equal(segs[1].len, 512);
	/* The same walk from the position in the request. */
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R1 + REQ_SIZE);
	assert_int_equal(s.len, 4096);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 0x100);
	assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));
}

TEST(parse_cmd_data_in_shares_response_buffer)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	struct vl_seg segs[4];
	u16 nr = 0;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_R1, RESP_SIZE + 1000, true },
		{ FG_R2, 24, true },
	};

	make_req(&r, 1, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 3);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	assert_int_equal(req.dir, VL_VSCSI_DIR_FROM_DEV);
	assert_int_equal(req.data_len, 1024);
	assert_int_equal(req.data.seg, 1);
	assert_int_equal(req.data.off, RESP_SIZE);
	assert_int_equal(vl_chain_data_segs(&g->chain, true, RESP_SIZE, segs,
					    4, &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(segs[0].gpa, FG_R1 + RESP_SIZE);
	assert_int_equal(segs[0].len, 1000);
	assert_int_equal(segs[1].gpa, FG_R2);
	assert_int_equal(segs[1].len, 24);
	assert_int_equal(vl_vscsi_cmd_used_len(1024), RESP_SIZE + 1024);
}

TEST(header_split_across_one_byte_descriptors)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_cmd_resp resp;
	struct vl_vscsi_req req;
	struct d d[REQ_SIZE + RESP_SIZE + 1];
	const u8 *rb = (const u8 *)&r, *pb = (const u8 *)&resp;
	u8 sense[18] = { 0x70, 0, 0x05 };
	u32 i;

	make_req(&r, 9, 4000);
	/* Bytes in chain order at scattered addresses, backwards. */
	for (i = 0; i < REQ_SIZE; i++) {
		d[i].gpa = FG_R1 + 0x1000 - 2 * i;
		d[i].len = 1;
		d[i].w = false;
		put_bytes(d[i].gpa, &rb[i], 1);
	}
	for (i = 0; i < RESP_SIZE; i++) {
		d[REQ_SIZE + i].gpa = FG_R1 + 0x2000 - 3 * i;
		d[REQ_SIZE + i].len = 1;
		d[REQ_SIZE + i].w = true;
	}
	d[REQ_SIZE + RESP_SIZE].gpa = FG_R2;
	d[REQ_SIZE + RESP_SIZE].len = 512;
	d[REQ_SIZE + RESP_SIZE].w = true;
	pop_chain(d, REQ_SIZE + RESP_SIZE + 1);
	assert_int_equal(g->chain.nr_out, REQ_SIZE);
	assert_int_equal(g->chain.nr_in, RESP_SIZE + 1);

	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	check_req(&req, 9, 4000);
	assert_int_equal(req.dir, VL_VSCSI_DIR_FROM_DEV);
	assert_int_equal(req.data_len, 512);
	assert_int_equal(req.data.seg, REQ_SIZE + RESP_SIZE);
	assert_int_equal(req.data.off, 0);

	vl_vscsi_fill_cmd_resp(&resp, VL_VSCSI_S_OK, 0x02, sense,
			       sizeof(sense), 100);
	assert_int_equal(vl_vscsi_put_cmd_resp(&g->chain, &g->mem, &resp), 0);
	for (i = 0; i < RESP_SIZE; i++)
		assert_int_equal(fg_r8(d[REQ_SIZE + i].gpa), pb[i]);
	/* The data-in buffer was not touched. */
	assert_int_equal(fg_r8(FG_R2), 0);
}

TEST(header_ends_inside_a_buffer)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	struct vl_seg s;
	const struct d d[] = {
		{ FG_R2 - 40, 40, false },	/* ends where R2 starts */
		{ FG_R2 + 0x200, 11 + 100, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	make_req(&r, 4, 77);
	put_bytes(FG_R2 - 40, &r, 40);
	put_bytes(FG_R2 + 0x200, (const u8 *)&r + 40, 11);
	pop_chain(d, 3);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	check_req(&req, 4, 77);
	assert_int_equal(req.dir, VL_VSCSI_DIR_TO_DEV);
	assert_int_equal(req.data_len, 100);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 0x200 + 11);
	assert_int_equal(s.len, 100);
	assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));
}

TEST(parse_cmd_rejects_bidi)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE + 1, false },
		{ FG_BUF + 0x100, RESP_SIZE + 1, true },
	};

	make_req(&r, 0, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -EOPNOTSUPP);
	/* The header is there for the answer and the logs. */
	assert_int_equal(req.tag, 0x1122334455667788ULL);
}

TEST(parse_cmd_short_parts)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	const struct d short_req[] = {
		{ FG_BUF, REQ_SIZE - 1, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};
	const struct d short_resp[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_BUF + 0x100, RESP_SIZE - 1, true },
	};
	const struct d both_short[] = {
		{ FG_BUF, 1, false },
	};

	make_req(&r, 0, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(short_req, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -EBADMSG);
	pop_chain(short_resp, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -ENOSPC);
	/* No room to answer comes first. */
	pop_chain(both_short, 1);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -ENOSPC);
}

TEST(parse_cmd_bad_lun)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};

	make_req(&r, 3, 3);
	r.lun[0] = 2;
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -ENXIO);
	assert_int_equal(req.tag, 0x1122334455667788ULL);
	assert_int_equal(req.cdb[0], 0x28);
	assert_int_equal(req.lun_raw[0], 2);

	/* The REPORT LUNS well-known LUN is recognised. */
	memset(r.lun, 0, 8);
	r.lun[0] = 0xc1;
	r.lun[1] = 0x01;
	put_bytes(FG_BUF, &r, sizeof(r));
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req), 0);
	assert_true(req.report_luns);
}

/* Parse a no-data command to target 1, LUN 5 with @cdb (32 bytes). */
static int parse_cdb(const u8 *cdb, struct vl_vscsi_req *req)
{
	struct vl_vscsi_cmd_req r;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};

	make_req(&r, 1, 5);
	memcpy(r.cdb, cdb, VL_VSCSI_CDB_SIZE);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 2);
	return vl_vscsi_parse_cmd(&g->chain, &g->mem, req);
}

TEST(sense_key_formats)
{
	u8 fixed[18] = { 0x70, 0, 0x05 | 0xe0, 0, 0, 0, 0, 10, [12] = 0x21 };
	u8 desc[8] = { 0x72, 0x06, 0x29, 0 };

	assert_int_equal(vl_vscsi_sense_key(fixed, sizeof(fixed)), 5);
	fixed[0] = 0xf1;	/* VALID bit, deferred error */
	assert_int_equal(vl_vscsi_sense_key(fixed, sizeof(fixed)), 5);
	assert_int_equal(vl_vscsi_sense_key(fixed, 2), -1);
	assert_int_equal(vl_vscsi_sense_key(desc, sizeof(desc)), 6);
	desc[0] = 0x73;
	assert_int_equal(vl_vscsi_sense_key(desc, 2), 6);
	assert_int_equal(vl_vscsi_sense_key(desc, 1), -1);
	assert_int_equal(vl_vscsi_sense_key(desc, 0), -1);
	desc[0] = 0x7f;		/* vendor specific */
	assert_int_equal(vl_vscsi_sense_key(desc, sizeof(desc)), -1);
	desc[0] = 0x00;
	assert_int_equal(vl_vscsi_sense_key(desc, sizeof(desc)), -1);
}

TEST(cdb_is_rw)
{
	static const u8 rw[] = { 0x08, 0x0a, 0x28, 0x2a, 0xa8, 0xaa, 0x88, 0x8a };
	u8 cdb[16] = { 0 };
	unsigned int op, i, n = 0;

	for (op = 0; op < 256; op++) {
		bool want = false;

		for (i = 0; i < sizeof(rw); i++)
			want |= op == rw[i];
		cdb[0] = (u8)op;
		assert_int_equal(vl_vscsi_cdb_is_rw(cdb), want);
		n += want;
	}
	assert_int_equal(n, 8);
}

TEST(sense_asc_formats)
{
	/* LOGICAL BLOCK GUARD CHECK FAILED, fixed and descriptor format. */
	u8 fixed[18] = { 0x70, 0, 0x0b, 0, 0, 0, 0, 10, [12] = 0x10, 0x01 };
	u8 desc[8] = { 0x72, 0x0b, 0x10, 0x01 };

	assert_int_equal(vl_vscsi_sense_asc(fixed, sizeof(fixed)), 0x10);
	assert_int_equal(vl_vscsi_sense_asc(fixed, 13), 0x10);
	assert_int_equal(vl_vscsi_sense_asc(fixed, 12), -1);
	fixed[0] = 0xf1;	/* VALID bit, deferred error */
	assert_int_equal(vl_vscsi_sense_asc(fixed, sizeof(fixed)), 0x10);
	assert_int_equal(vl_vscsi_sense_asc(desc, sizeof(desc)), 0x10);
	assert_int_equal(vl_vscsi_sense_asc(desc, 3), 0x10);
	assert_int_equal(vl_vscsi_sense_asc(desc, 2), -1);
	desc[0] = 0x73;
	desc[2] = 0x24;
	assert_int_equal(vl_vscsi_sense_asc(desc, sizeof(desc)), 0x24);
	assert_int_equal(vl_vscsi_sense_asc(desc, 0), -1);
	desc[0] = 0x7f;		/* vendor specific */
	assert_int_equal(vl_vscsi_sense_asc(desc, sizeof(desc)), -1);
	desc[0] = 0x00;
	assert_int_equal(vl_vscsi_sense_asc(desc, sizeof(desc)), -1);
}

TEST(cdb_size_by_group)
{
	/* Linux's scsi_command_size_tbl, groups 0 to 7. */
	static const u8 sizes[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };
	u8 cdb[VL_VSCSI_CDB_SIZE] = { 0 };
	unsigned int op;

	for (op = 0; op < 256; op++) {
		cdb[0] = op;
		cdb[7] = 0xff;
		if (op == VL_VSCSI_VARLEN_CDB)
			assert_int_equal(vl_vscsi_cdb_size(cdb), 8 + 0xff);
		else
			assert_int_equal(vl_vscsi_cdb_size(cdb), sizes[op >> 5]);
	}
	cdb[0] = VL_VSCSI_VARLEN_CDB;
	cdb[7] = 0;
	assert_int_equal(vl_vscsi_cdb_size(cdb), 8);
	cdb[7] = 0x18;
	assert_int_equal(vl_vscsi_cdb_size(cdb), 32);
}

/* The usual CDBs of each size go through, whatever the padding holds. */
TEST(parse_cmd_accepts_normal_cdbs)
{
	/* TEST UNIT READY, READ(10), READ(12), READ(16), group 3 (0x7e). */
	static const u8 ops[] = { 0x00, 0x28, 0xa8, 0x88, 0x60, 0x7e };
	u8 cdb[VL_VSCSI_CDB_SIZE];
	struct vl_vscsi_req req;
	unsigned int i;

	for (i = 0; i < sizeof(ops); i++) {
		memset(cdb, 0xff, sizeof(cdb));
		cdb[0] = ops[i];
		assert_int_equal(parse_cdb(cdb, &req), 0);
		assert_memory_equal(req.cdb, cdb, sizeof(cdb));
		assert_true(vl_vscsi_cdb_size(req.cdb) <= VL_VSCSI_CDB_SIZE);
	}
}

/* Groups 6 and 7 (vendor specific) are 10 bytes to Linux: they fit. */
TEST(parse_cmd_accepts_vendor_cdbs)
{
	u8 cdb[VL_VSCSI_CDB_SIZE];
	struct vl_vscsi_req req;
	unsigned int op;

	for (op = 0xc0; op <= 0xff; op++) {
		memset(cdb, 0xfc, sizeof(cdb));
		cdb[0] = op;
		assert_int_equal(parse_cdb(cdb, &req), 0);
		assert_int_equal(vl_vscsi_cdb_size(req.cdb), 10);
	}
}

/* A variable length CDB of at most 32 bytes fits: READ(32) is 32. */
TEST(parse_cmd_accepts_varlen_that_fits)
{
	u8 cdb[VL_VSCSI_CDB_SIZE] = { VL_VSCSI_VARLEN_CDB };
	struct vl_vscsi_req req;

	cdb[7] = 0x18;			/* 8 + 24 = 32 */
	cdb[9] = 0x09;			/* READ(32) service action */
	assert_int_equal(parse_cdb(cdb, &req), 0);
	assert_int_equal(req.cdb[7], 0x18);
	cdb[7] = 0;
	assert_int_equal(parse_cdb(cdb, &req), 0);
}

/*
 * A variable length CDB longer than the 32 bytes of the request: LIO would
 * copy scsi_command_size() bytes from our 32-byte buffer.
 */
TEST(parse_cmd_rejects_varlen_40)
{
	u8 cdb[VL_VSCSI_CDB_SIZE] = { VL_VSCSI_VARLEN_CDB };
	struct vl_vscsi_req req;

	cdb[7] = 0x20;			/* 8 + 32 = 40 */
	assert_int_equal(parse_cdb(cdb, &req), -EMSGSIZE);
	/* The rest was parsed: the device can answer the command. */
	assert_int_equal(req.tag, 0x1122334455667788ULL);
	assert_int_equal(req.target, 1);
	assert_int_equal(req.lun, 5);

	cdb[7] = 0x19;			/* 33: one byte too many */
	assert_int_equal(parse_cdb(cdb, &req), -EMSGSIZE);
}

TEST(parse_cmd_rejects_varlen_260)
{
	u8 cdb[VL_VSCSI_CDB_SIZE] = { VL_VSCSI_VARLEN_CDB };
	struct vl_vscsi_req req;

	cdb[7] = 0xfc;			/* 8 + 252 = 260, LIO's maximum */
	assert_int_equal(parse_cdb(cdb, &req), -EMSGSIZE);
	cdb[7] = 0xff;			/* 263, beyond it */
	assert_int_equal(parse_cdb(cdb, &req), -EMSGSIZE);
}

/* Other faults of the request win: a bad LUN is still BAD_TARGET. */
TEST(parse_cmd_varlen_after_other_errors)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE + 1, false },
		{ FG_BUF + 0x100, RESP_SIZE + 1, true },
	};

	make_req(&r, 0, 0);
	r.cdb[0] = VL_VSCSI_VARLEN_CDB;
	r.cdb[7] = 0xfc;
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -EOPNOTSUPP);
	r.lun[0] = 2;
	put_bytes(FG_BUF, &r, sizeof(r));
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -ENXIO);
}

TEST(parse_cmd_memory_gone)
{
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_R1, REQ_SIZE, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	pop_chain(d, 2);
	fg_drop_region(FG_R1);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &req),
			 -EFAULT);
}

TEST(fill_resp_truncates_sense)
{
	struct vl_vscsi_cmd_resp resp;
	u8 sense[200];
	const u8 *b = (const u8 *)&resp;

	memset(sense, 0xaa, sizeof(sense));
	memset(&resp, 0xff, sizeof(resp));
	vl_vscsi_fill_cmd_resp(&resp, VL_VSCSI_S_OK, 0x02, sense,
			       sizeof(sense), 0x01020304);
	/* Byte by byte, little-endian. */
	assert_int_equal(b[0], 96);
	assert_int_equal(b[1] | b[2] | b[3], 0);
	assert_int_equal(b[4], 0x04);
	assert_int_equal(b[5], 0x03);
	assert_int_equal(b[6], 0x02);
	assert_int_equal(b[7], 0x01);
	assert_int_equal(b[8] | b[9], 0);		/* status qualifier */
	assert_int_equal(b[10], 0x02);
	assert_int_equal(b[11], VL_VSCSI_S_OK);
	assert_memory_equal(resp.sense, sense, VL_VSCSI_SENSE_SIZE);
}

TEST(fill_resp_zeroes_unused_sense)
{
	struct vl_vscsi_cmd_resp resp;
	u8 sense[10], zero[VL_VSCSI_SENSE_SIZE] = { 0 };

	memset(sense, 0x5c, sizeof(sense));
	memset(&resp, 0xff, sizeof(resp));
	vl_vscsi_fill_cmd_resp(&resp, VL_VSCSI_S_BUSY, 0, sense, 10, 0);
	assert_int_equal(vl_le32_to_cpu(resp.sense_len), 10);
	assert_memory_equal(resp.sense, sense, 10);
	assert_memory_equal(resp.sense + 10, zero, VL_VSCSI_SENSE_SIZE - 10);
	assert_int_equal(resp.response, VL_VSCSI_S_BUSY);
	assert_int_equal(resp.status_qualifier, 0);

	/* No sense buffer: a length alone claims nothing. */
	memset(&resp, 0xff, sizeof(resp));
	vl_vscsi_fill_cmd_resp(&resp, VL_VSCSI_S_BAD_TARGET, 0, NULL, 18, 7);
	assert_int_equal(vl_le32_to_cpu(resp.sense_len), 0);
	assert_int_equal(vl_le32_to_cpu(resp.resid), 7);
	assert_memory_equal(resp.sense, zero, VL_VSCSI_SENSE_SIZE);
}

TEST(put_resp_needs_room)
{
	struct vl_vscsi_cmd_resp resp;
	u8 zero[RESP_SIZE] = { 0 };
	const struct d d[] = {
		{ FG_BUF, 8, true },
		{ FG_R1, RESP_SIZE - 9, true },
	};

	pop_chain(d, 2);
	vl_vscsi_fill_cmd_resp(&resp, VL_VSCSI_S_FAILURE, 0, NULL, 0, 0);
	assert_int_equal(vl_vscsi_put_cmd_resp(&g->chain, &g->mem, &resp),
			 -ENOSPC);
	/* Nothing was written. */
	assert_memory_equal(fg_ptr(FG_BUF), zero, 8);
	assert_memory_equal(fg_ptr(FG_R1), zero, RESP_SIZE - 9);
}

TEST(cursor_bounds)
{
	struct vl_chain_pos pos;
	struct vl_seg segs[2];
	u8 buf[16];
	u16 nr = 0;
	const struct d d[] = {
		{ FG_BUF, 4, false },
		{ FG_BUF + 16, 4, false },
		{ FG_BUF + 32, 4, false },
		{ FG_BUF + 64, 8, true },
	};

	pop_chain(d, 4);
	fg_fill(FG_BUF, 0x11, 4);
	fg_fill(FG_BUF + 16, 0x22, 4);
	fg_fill(FG_BUF + 32, 0x33, 4);
	assert_int_equal(vl_chain_read(&g->chain, &g->mem, 3, buf, 6), 0);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(buf[1], 0x22);
	assert_int_equal(buf[4], 0x22);
	assert_int_equal(buf[5], 0x33);
	assert_int_equal(vl_chain_read(&g->chain, &g->mem, 12, buf, 0), 0);
	assert_int_equal(vl_chain_read(&g->chain, &g->mem, 12, buf, 1),
			 -ENODATA);
	assert_int_equal(vl_chain_read(&g->chain, &g->mem, 13, buf, 0),
			 -ENODATA);
	assert_int_equal(vl_chain_read(&g->chain, &g->mem, 8, buf, 5),
			 -ENODATA);
	assert_int_equal(vl_chain_write(&g->chain, &g->mem, 4, buf, 4), 0);
	assert_int_equal(vl_chain_write(&g->chain, &g->mem, 4, buf, 5),
			 -ENOSPC);
	assert_int_equal(vl_chain_write(&g->chain, &g->mem, 0xffffffffU, buf,
					2), -ENOSPC);

	assert_int_equal(vl_chain_seek(&g->chain, false, 12, &pos), 0);
	assert_int_equal(pos.seg, 3);
	assert_int_equal(pos.end, 3);
	assert_int_equal(vl_chain_seek(&g->chain, false, 13, &pos), -ENODATA);
	assert_int_equal(vl_chain_seek(&g->chain, true, 9, &pos), -ENOSPC);
	assert_int_equal(vl_chain_seek(&g->chain, true, 2, &pos), 0);
	assert_int_equal(pos.seg, 3);
	assert_int_equal(pos.off, 2);
	assert_int_equal(vl_chain_data_segs(&g->chain, false, 1, segs, 2,
					    &nr), -E2BIG);
	assert_int_equal(vl_chain_data_segs(&g->chain, false, 5, segs, 2,
					    &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(segs[0].gpa, FG_BUF + 17);
	assert_int_equal(segs[0].len, 3);
}

static void put_tmf(u64 gpa, u32 type, u32 subtype, u8 target, u16 lun,
		    u64 id)
{
	struct vl_vscsi_tmf_req t;

	t.type = vl_cpu_to_le32(type);
	t.subtype = vl_cpu_to_le32(subtype);
	vl_vscsi_lun_encode(t.lun, target, lun);
	t.id = vl_cpu_to_le64(id);
	put_bytes(gpa, &t, sizeof(t));
}

TEST(ctrl_tmf)
{
	struct vl_vscsi_ctrl c;
	const struct d d[] = {
		{ FG_BUF, 10, false },
		{ FG_BUF + 10, 14, false },
		{ FG_R1, 1, true },
	};

	put_tmf(FG_BUF, VL_VSCSI_T_TMF, VL_VSCSI_T_TMF_ABORT_TASK, 5, 600,
		0xdeadbeefcafeULL);
	fg_w8(FG_R1 + 1, 0x99);
	pop_chain(d, 3);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c), 0);
	assert_int_equal(c.type, VL_VSCSI_T_TMF);
	assert_int_equal(c.subtype, VL_VSCSI_T_TMF_ABORT_TASK);
	assert_int_equal(c.tag, 0xdeadbeefcafeULL);
	assert_int_equal(c.target, 5);
	assert_int_equal(c.lun, 600);
	assert_int_equal(vl_vscsi_put_tmf_resp(&g->chain, &g->mem,
					       VL_VSCSI_S_FUNCTION_REJECTED),
			 0);
	assert_int_equal(fg_r8(FG_R1), VL_VSCSI_S_FUNCTION_REJECTED);
	assert_int_equal(fg_r8(FG_R1 + 1), 0x99);
}

TEST(ctrl_an)
{
	struct vl_vscsi_an_req a;
	struct vl_vscsi_ctrl c;
	const u8 *p;
	const struct d d[] = {
		{ FG_BUF, 16, false },
		{ FG_R1, 2, true },
		{ FG_R1 + 0x10, 3, true },
	};

	a.type = vl_cpu_to_le32(VL_VSCSI_T_AN_SUBSCRIBE);
	vl_vscsi_lun_encode(a.lun, 1, 2);
	a.event_requested = vl_cpu_to_le32(VL_VSCSI_EVT_ASYNC_MEDIA_CHANGE |
					   VL_VSCSI_EVT_ASYNC_POWER_MGMT);
	put_bytes(FG_BUF, &a, sizeof(a));
	pop_chain(d, 3);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c), 0);
	assert_int_equal(c.type, VL_VSCSI_T_AN_SUBSCRIBE);
	assert_int_equal(c.event_requested, 20);
	assert_int_equal(c.target, 1);
	assert_int_equal(c.lun, 2);
	assert_int_equal(vl_vscsi_put_an_resp(&g->chain, &g->mem, 0x10203040,
					      VL_VSCSI_S_OK), 0);
	p = fg_ptr(FG_R1);
	assert_int_equal(p[0], 0x40);
	assert_int_equal(p[1], 0x30);
	p = fg_ptr(FG_R1 + 0x10);
	assert_int_equal(p[0], 0x20);
	assert_int_equal(p[1], 0x10);
	assert_int_equal(p[2], VL_VSCSI_S_OK);

	/* AN_QUERY is parsed the same way. */
	a.type = vl_cpu_to_le32(VL_VSCSI_T_AN_QUERY);
	put_bytes(FG_BUF, &a, sizeof(a));
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c), 0);
	assert_int_equal(c.type, VL_VSCSI_T_AN_QUERY);
}

TEST(ctrl_errors)
{
	struct vl_vscsi_ctrl c;
	const struct d no_type[] = {
		{ FG_BUF, 3, false }, { FG_R1, 8, true },
	};
	const struct d tmf_ok[] = {
		{ FG_BUF, 24, false }, { FG_R1, 1, true },
	};
	const struct d tmf_no_room[] = {
		{ FG_BUF, 24, false },
	};
	const struct d tmf_short[] = {
		{ FG_BUF, 23, false }, { FG_R1, 1, true },
	};
	const struct d an_no_room[] = {
		{ FG_BUF, 16, false }, { FG_R1, 4, true },
	};

	pop_chain(no_type, 2);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c),
			 -EBADMSG);
	assert_int_equal(c.type, 0xffffffffU);

	put_tmf(FG_BUF, 7, 0, 0, 0, 0);
	pop_chain(tmf_ok, 2);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c),
			 -EOPNOTSUPP);
	assert_int_equal(c.type, 7);

	put_tmf(FG_BUF, VL_VSCSI_T_TMF, VL_VSCSI_T_TMF_LOGICAL_UNIT_RESET,
		0, 0, 0);
	pop_chain(tmf_no_room, 1);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c),
			 -ENOSPC);
	assert_int_equal(vl_vscsi_put_tmf_resp(&g->chain, &g->mem, 0),
			 -ENOSPC);
	pop_chain(tmf_short, 2);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c),
			 -EBADMSG);

	fg_w32(FG_BUF, VL_VSCSI_T_AN_QUERY);
	pop_chain(an_no_room, 2);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c),
			 -ENOSPC);

	/* Malformed LUN: the rest is parsed for the answer. */
	put_tmf(FG_BUF, VL_VSCSI_T_TMF, VL_VSCSI_T_TMF_ABORT_TASK, 0, 0, 55);
	fg_w8(FG_BUF + 8, 0);
	pop_chain(tmf_ok, 2);
	assert_int_equal(vl_vscsi_parse_ctrl(&g->chain, &g->mem, &c), -ENXIO);
	assert_int_equal(c.tag, 55);
	assert_int_equal(c.subtype, VL_VSCSI_T_TMF_ABORT_TASK);
}

TEST(event_fill)
{
	u8 lun[8];
	const u8 *p, *q;
	const struct d d[] = {
		{ FG_R1, 3, true }, { FG_R2, 13, true },
	};
	const struct d has_readable[] = {
		{ FG_BUF, 1, false }, { FG_R1, 16, true },
	};
	const struct d too_small[] = {
		{ FG_R1, 15, true },
	};

	pop_chain(d, 2);
	vl_vscsi_lun_encode(lun, 2, 3);
	assert_int_equal(vl_vscsi_put_event(&g->chain, &g->mem,
					    VL_VSCSI_T_TRANSPORT_RESET |
					    VL_VSCSI_T_EVENTS_MISSED, lun,
					    VL_VSCSI_EVT_RESET_REMOVED), 0);
	p = fg_ptr(FG_R1);
	q = fg_ptr(FG_R2);
	assert_int_equal(p[0], 1);
	assert_int_equal(p[1], 0);
	assert_int_equal(p[2], 0);
	assert_int_equal(q[0], 0x80);		/* EVENTS_MISSED, bit 31 */
	assert_memory_equal(q + 1, lun, 8);
	assert_int_equal(q[9], VL_VSCSI_EVT_RESET_REMOVED);
	assert_int_equal(q[10] | q[11] | q[12], 0);

	assert_int_equal(vl_vscsi_put_event(&g->chain, &g->mem,
					    VL_VSCSI_T_NO_EVENT, NULL, 0), 0);
	assert_int_equal(q[1] | q[2] | q[8], 0);

	pop_chain(has_readable, 2);
	assert_int_equal(vl_vscsi_put_event(&g->chain, &g->mem, 1, lun, 0),
			 -EINVAL);
	pop_chain(too_small, 1);
	assert_int_equal(vl_vscsi_put_event(&g->chain, &g->mem, 1, lun, 0),
			 -ENOSPC);
}

/* ---- T10 PI (VIRTIO_SCSI_F_T10_PI) ---------------------------------- */

#define PI_REQ_SIZE	((u32)sizeof(struct vl_vscsi_cmd_req_pi))

/* A T10 PI command header with the contents of make_req(). */
static void make_req_pi(struct vl_vscsi_cmd_req_pi *r, u8 target, u16 lun,
			u32 pi_out, u32 pi_in)
{
	struct vl_vscsi_cmd_req plain;

	make_req(&plain, target, lun);
	memset(r, 0, sizeof(*r));
	memcpy(r->lun, plain.lun, sizeof(r->lun));
	r->id = plain.id;
	r->task_attr = plain.task_attr;
	r->prio = plain.prio;
	r->crn = plain.crn;
	r->pi_bytesout = vl_cpu_to_le32(pi_out);
	r->pi_bytesin = vl_cpu_to_le32(pi_in);
	memcpy(r->cdb, plain.cdb, sizeof(r->cdb));
}

/* Parse the popped chain with T10 PI negotiated. */
static int parse_pi(struct vl_vscsi_req *req)
{
	return vl_vscsi_parse_cmd_pi(&g->chain, &g->mem, true, req);
}

/* Walk @len protection bytes from req->prot: the pieces into @out. */
static u16 walk_prot(struct vl_vscsi_req *req, struct vl_seg *out, u16 max)
{
	struct vl_chain_pos pos = req->prot;
	u32 left = req->prot_len;
	u16 n = 0;

	while (n < max && vl_chain_next_part(&g->chain, &pos, &left, &out[n]))
		n++;
	assert_int_equal(left, 0);
	return n;
}

TEST(pi_wire_layout)
{
	assert_int_equal(PI_REQ_SIZE, 59);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, id), 8);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, task_attr), 16);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, crn), 18);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, pi_bytesout),
			 19);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, pi_bytesin), 23);
	assert_int_equal(offsetof(struct vl_vscsi_cmd_req_pi, cdb), 27);
}

/* Data-out: the header, 8 protection bytes and data share a buffer. */
TEST(pi_data_out_split)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	struct vl_seg p[4], s;
	const struct d d[] = {
		{ FG_R1, PI_REQ_SIZE + 8 + 100, false },
		{ FG_R2 + 0x100, 412, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	make_req_pi(&r, 3, 700, 8, 0);
	put_bytes(FG_R1, &r, sizeof(r));
	pop_chain(d, 3);
	assert_int_equal(parse_pi(&req), 0);
	check_req(&req, 3, 700);
	assert_int_equal(req.pi_bytesout, 8);
	assert_int_equal(req.pi_bytesin, 0);
	assert_int_equal(req.dir, VL_VSCSI_DIR_TO_DEV);
	assert_int_equal(req.prot_len, 8);
	assert_int_equal(req.data_len, 512);

	assert_int_equal(walk_prot(&req, p, 4), 1);
	assert_int_equal(p[0].gpa, FG_R1 + PI_REQ_SIZE);
	assert_int_equal(p[0].len, 8);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R1 + PI_REQ_SIZE + 8);
	assert_int_equal(s.len, 100);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 0x100);
	assert_int_equal(s.len, 412);
	assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));
}

/* Data-in: the protection bytes span two buffers, data follows. */
TEST(pi_data_in_split)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	struct vl_seg p[4], s;
	const struct d d[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_R1, RESP_SIZE + 10, true },
		{ FG_R2, 6 + 1024, true },
	};

	make_req_pi(&r, 1, 2, 0, 16);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(d, 3);
	assert_int_equal(parse_pi(&req), 0);
	check_req(&req, 1, 2);
	assert_int_equal(req.dir, VL_VSCSI_DIR_FROM_DEV);
	assert_int_equal(req.pi_bytesin, 16);
	assert_int_equal(req.prot_len, 16);
	assert_int_equal(req.data_len, 1024);
	assert_int_equal(req.prot.seg, 1);
	assert_int_equal(req.prot.off, RESP_SIZE);

	assert_int_equal(walk_prot(&req, p, 4), 2);
	assert_int_equal(p[0].gpa, FG_R1 + RESP_SIZE);
	assert_int_equal(p[0].len, 10);
	assert_int_equal(p[1].gpa, FG_R2);
	assert_int_equal(p[1].len, 6);
	assert_int_equal(req.data.seg, 2);
	assert_int_equal(req.data.off, 6);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 6);
	assert_int_equal(s.len, 1024);
	assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));
	/* The used length counts protection and data bytes written. */
	assert_int_equal(vl_vscsi_cmd_used_len(req.prot_len + req.data_len),
			 RESP_SIZE + 16 + 1024);
}

/* Counts of 0: all of it is data; a command without data is fine too. */
TEST(pi_zero_counts)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	struct vl_seg p[1];
	const struct d out[] = {
		{ FG_BUF, PI_REQ_SIZE + 512, false },
		{ FG_R1, RESP_SIZE, true },
	};
	const struct d none[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_R1, RESP_SIZE, true },
	};

	make_req_pi(&r, 0, 0, 0, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(out, 2);
	assert_int_equal(parse_pi(&req), 0);
	assert_int_equal(req.dir, VL_VSCSI_DIR_TO_DEV);
	assert_int_equal(req.prot_len, 0);
	assert_int_equal(req.data_len, 512);
	assert_int_equal(req.data.off, PI_REQ_SIZE);
	assert_int_equal(walk_prot(&req, p, 1), 0);

	pop_chain(none, 2);
	assert_int_equal(parse_pi(&req), 0);
	assert_int_equal(req.dir, VL_VSCSI_DIR_NONE);
	assert_int_equal(req.prot_len, 0);
	assert_int_equal(req.data_len, 0);
	assert_int_equal(req.data.seg, req.data.end);
}

/* Parse a data-out (@in false) or data-in command of @len data bytes. */
static int parse_pi_count(bool in, u32 len, u32 pi_out, u32 pi_in,
			  struct vl_vscsi_req *req)
{
	struct vl_vscsi_cmd_req_pi r;
	const struct d out[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_R1, len, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};
	const struct d din[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
		{ FG_R1, len, true },
	};

	make_req_pi(&r, 2, 9, pi_out, pi_in);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(in ? din : out, 3);
	return parse_pi(req);
}

/* 0, the data length, one more, and u32 max, in each direction. */
TEST(pi_count_boundaries)
{
	static const u32 bad[] = { 4097, 0x80000000U, 0xffffffffU };
	struct vl_vscsi_req req;
	struct vl_seg s;
	unsigned int i;
	int in;

	for (in = 0; in < 2; in++) {
		u32 po = in ? 0 : 4096, pin = in ? 4096 : 0;

		/* Equal to the data length: all protection, no data. */
		assert_int_equal(parse_pi_count(in, 4096, po, pin, &req), 0);
		assert_int_equal(req.prot_len, 4096);
		assert_int_equal(req.data_len, 0);
		assert_int_equal(req.data.seg, req.data.end);
		assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));

		/* One less: one data byte, at the end of the buffer. */
		assert_int_equal(parse_pi_count(in, 4096, po ? po - 1 : 0,
						pin ? pin - 1 : 0, &req), 0);
		assert_int_equal(req.prot_len, 4095);
		assert_int_equal(req.data_len, 1);
		assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
		assert_int_equal(s.gpa, FG_R1 + 4095);
		assert_int_equal(s.len, 1);

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(parse_pi_count(in, 4096,
							in ? 0 : bad[i],
							in ? bad[i] : 0,
							&req), -ERANGE);
			/* Header parsed; data as the buffers give it. */
			check_req(&req, 2, 9);
			assert_int_equal(req.data_len, 4096);
			assert_int_equal(req.prot_len, 0);
		}
	}
}

/* A count for the other direction, or for a command without data. */
TEST(pi_count_wrong_direction)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	const struct d none[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_R1, RESP_SIZE, true },
	};

	/* pi_bytesout with data-in, pi_bytesin with data-out. */
	assert_int_equal(parse_pi_count(true, 512, 8, 0, &req), -EPROTO);
	assert_int_equal(req.pi_bytesout, 8);
	check_req(&req, 2, 9);
	assert_int_equal(parse_pi_count(false, 512, 0, 8, &req), -EPROTO);
	assert_int_equal(parse_pi_count(true, 512, 0xffffffffU, 0, &req),
			 -EPROTO);
	/* Both counts: the other direction's is refused. */
	assert_int_equal(parse_pi_count(false, 512, 8, 8, &req), -EPROTO);
	assert_int_equal(parse_pi_count(true, 512, 8, 8, &req), -EPROTO);
	assert_int_equal(parse_pi_count(false, 512, 1, 1, &req), -EPROTO);
	assert_int_equal(parse_pi_count(true, 512, 1, 1, &req), -EPROTO);

	/* No data: neither count may be set. */
	make_req_pi(&r, 0, 0, 1, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(none, 2);
	assert_int_equal(parse_pi(&req), -EPROTO);
	make_req_pi(&r, 0, 0, 0, 1);
	put_bytes(FG_BUF, &r, sizeof(r));
	assert_int_equal(parse_pi(&req), -EPROTO);
}

/* With PI negotiated the header is 59 bytes: 51 is truncated. */
TEST(pi_short_header)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	const struct d plain[] = {
		{ FG_BUF, REQ_SIZE, false },
		{ FG_R1, RESP_SIZE, true },
	};
	const struct d one_short[] = {
		{ FG_BUF, PI_REQ_SIZE - 1, false },
		{ FG_R1, RESP_SIZE, true },
	};
	const struct d no_resp[] = {
		{ FG_BUF, PI_REQ_SIZE, false },
		{ FG_R1, RESP_SIZE - 1, true },
	};

	make_req_pi(&r, 0, 0, 0, 0);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(plain, 2);
	assert_int_equal(parse_pi(&req), -EBADMSG);
	pop_chain(one_short, 2);
	assert_int_equal(parse_pi(&req), -EBADMSG);
	pop_chain(no_resp, 2);
	assert_int_equal(parse_pi(&req), -ENOSPC);
}

/*
 * Any layout: the header in one-byte buffers, the protection bytes in two
 * one-byte buffers and the start of the data's buffer.
 */
TEST(pi_header_split_across_one_byte_descriptors)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	struct d d[PI_REQ_SIZE + 4];
	const u8 *rb = (const u8 *)&r;
	struct vl_seg p[4], s;
	u32 i;

	make_req_pi(&r, 8, 1000, 3, 0);
	for (i = 0; i < PI_REQ_SIZE; i++) {
		d[i].gpa = FG_R1 + 0x1000 - 2 * i;
		d[i].len = 1;
		d[i].w = false;
		put_bytes(d[i].gpa, &rb[i], 1);
	}
	d[PI_REQ_SIZE].gpa = FG_R1 + 0x2000;
	d[PI_REQ_SIZE + 1].gpa = FG_R1 + 0x2010;
	d[PI_REQ_SIZE + 2].gpa = FG_R2;
	d[PI_REQ_SIZE].len = d[PI_REQ_SIZE + 1].len = 1;
	d[PI_REQ_SIZE + 2].len = 1 + 512;
	d[PI_REQ_SIZE].w = d[PI_REQ_SIZE + 1].w = d[PI_REQ_SIZE + 2].w = false;
	d[PI_REQ_SIZE + 3].gpa = FG_BUF;
	d[PI_REQ_SIZE + 3].len = RESP_SIZE;
	d[PI_REQ_SIZE + 3].w = true;
	pop_chain(d, PI_REQ_SIZE + 4);

	assert_int_equal(parse_pi(&req), 0);
	check_req(&req, 8, 1000);
	assert_int_equal(req.prot_len, 3);
	assert_int_equal(req.data_len, 512);
	assert_int_equal(walk_prot(&req, p, 4), 3);
	assert_int_equal(p[0].gpa, FG_R1 + 0x2000);
	assert_int_equal(p[1].gpa, FG_R1 + 0x2010);
	assert_int_equal(p[2].gpa, FG_R2);
	assert_int_equal(p[0].len + p[1].len + p[2].len, 3);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 1);
	assert_int_equal(s.len, 512);
	assert_false(vl_chain_next_seg(&g->chain, &req.data, &s));
}

/* The header ends inside a buffer, the protection bytes too. */
TEST(pi_header_ends_inside_a_buffer)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	struct vl_seg p[4], s;
	const struct d d[] = {
		{ FG_R2 - 40, 40, false },	/* ends where R2 starts */
		{ FG_R2 + 0x200, 19 + 24, false },
		{ FG_R2 + 0x400, 8 + 200, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	make_req_pi(&r, 4, 77, 32, 0);
	put_bytes(FG_R2 - 40, &r, 40);
	put_bytes(FG_R2 + 0x200, (const u8 *)&r + 40, 19);
	pop_chain(d, 4);
	assert_int_equal(parse_pi(&req), 0);
	check_req(&req, 4, 77);
	assert_int_equal(req.prot_len, 32);
	assert_int_equal(req.data_len, 200);
	assert_int_equal(walk_prot(&req, p, 4), 2);
	assert_int_equal(p[0].gpa, FG_R2 + 0x200 + 19);
	assert_int_equal(p[0].len, 24);
	assert_int_equal(p[1].gpa, FG_R2 + 0x400);
	assert_int_equal(p[1].len, 8);
	assert_true(vl_chain_next_seg(&g->chain, &req.data, &s));
	assert_int_equal(s.gpa, FG_R2 + 0x400 + 8);
	assert_int_equal(s.len, 200);
}

/* LUN, then both directions, then PI, then the CDB size. */
TEST(pi_error_order)
{
	struct vl_vscsi_cmd_req_pi r;
	struct vl_vscsi_req req;
	const struct d bidi[] = {
		{ FG_BUF, PI_REQ_SIZE + 1, false },
		{ FG_BUF + 0x100, RESP_SIZE + 1, true },
	};
	const struct d out[] = {
		{ FG_BUF, PI_REQ_SIZE + 8, false },
		{ FG_BUF + 0x100, RESP_SIZE, true },
	};

	/* A bad count and a too long CDB: the count is reported. */
	make_req_pi(&r, 0, 0, 9, 0);
	r.cdb[0] = VL_VSCSI_VARLEN_CDB;
	r.cdb[7] = 0xfc;
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(out, 2);
	assert_int_equal(parse_pi(&req), -ERANGE);
	/* Good counts: the CDB, read from offset 27, is. */
	make_req_pi(&r, 0, 0, 8, 0);
	r.cdb[0] = VL_VSCSI_VARLEN_CDB;
	r.cdb[7] = 0xfc;
	put_bytes(FG_BUF, &r, sizeof(r));
	assert_int_equal(parse_pi(&req), -EMSGSIZE);
	assert_int_equal(req.cdb[7], 0xfc);
	assert_int_equal(req.prot_len, 8);
	/* A bad LUN wins over a bad count. */
	make_req_pi(&r, 0, 0, 0, 8);
	r.lun[0] = 2;
	put_bytes(FG_BUF, &r, sizeof(r));
	assert_int_equal(parse_pi(&req), -ENXIO);
	/* Both directions win over the counts. */
	make_req_pi(&r, 0, 0, 1, 1);
	put_bytes(FG_BUF, &r, sizeof(r));
	pop_chain(bidi, 2);
	assert_int_equal(parse_pi(&req), -EOPNOTSUPP);
}

/* Without the feature the 51-byte header is parsed as before. */
TEST(pi_not_negotiated)
{
	struct vl_vscsi_cmd_req r;
	struct vl_vscsi_req a, b;
	const struct d d[] = {
		{ FG_BUF, REQ_SIZE + 100, false },
		{ FG_R1, RESP_SIZE, true },
	};

	make_req(&r, 6, 60);
	put_bytes(FG_BUF, &r, sizeof(r));
	fg_fill(FG_BUF + REQ_SIZE, 0xff, 100);
	pop_chain(d, 2);
	assert_int_equal(vl_vscsi_parse_cmd(&g->chain, &g->mem, &a), 0);
	assert_int_equal(vl_vscsi_parse_cmd_pi(&g->chain, &g->mem, false,
					       &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	check_req(&a, 6, 60);
	assert_int_equal(a.data_len, 100);
	assert_int_equal(a.pi_bytesout, 0);
	assert_int_equal(a.prot_len, 0);
}

TEST(pi_memory_gone)
{
	struct vl_vscsi_req req;
	const struct d d[] = {
		{ FG_R1, PI_REQ_SIZE, false },
		{ FG_BUF, RESP_SIZE, true },
	};

	pop_chain(d, 2);
	fg_drop_region(FG_R1);
	assert_int_equal(parse_pi(&req), -EFAULT);
}

TEST(cursor_next_part)
{
	struct vl_chain_pos pos;
	struct vl_seg s;
	u32 left;
	const struct d d[] = {
		{ FG_BUF, 4, false },
		{ FG_BUF + 16, 4, false },
		{ FG_BUF + 64, 8, true },
	};

	pop_chain(d, 3);
	/* Nothing to walk. */
	assert_int_equal(vl_chain_seek(&g->chain, false, 1, &pos), 0);
	left = 0;
	assert_false(vl_chain_next_part(&g->chain, &pos, &left, &s));
	assert_int_equal(pos.seg, 0);
	assert_int_equal(pos.off, 1);
	/* Two bytes inside the first segment, then the rest of it. */
	left = 2;
	assert_true(vl_chain_next_part(&g->chain, &pos, &left, &s));
	assert_int_equal(s.gpa, FG_BUF + 1);
	assert_int_equal(s.len, 2);
	assert_int_equal(left, 0);
	assert_int_equal(pos.seg, 0);
	assert_int_equal(pos.off, 3);
	left = 0xffffffffU;
	assert_true(vl_chain_next_part(&g->chain, &pos, &left, &s));
	assert_int_equal(s.gpa, FG_BUF + 3);
	assert_int_equal(s.len, 1);
	assert_int_equal(pos.seg, 1);
	assert_int_equal(pos.off, 0);
	assert_true(vl_chain_next_part(&g->chain, &pos, &left, &s));
	assert_int_equal(s.len, 4);
	assert_int_equal(left, 0xffffffffU - 5);
	/* The end of the readable part stops it: not into the writable. */
	assert_false(vl_chain_next_part(&g->chain, &pos, &left, &s));
	assert_int_equal(pos.seg, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fg_setup, fg_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(wire_layout),
		T(lun_decode),
		T(lun_encode_roundtrip),
		T(parse_cmd_no_data),
		T(parse_cmd_data_out_shares_header_buffer),
		T(parse_cmd_data_in_shares_response_buffer),
		T(header_split_across_one_byte_descriptors),
		T(header_ends_inside_a_buffer),
		T(parse_cmd_rejects_bidi),
		T(parse_cmd_short_parts),
		T(parse_cmd_bad_lun),
		T(cdb_size_by_group),
		T(cdb_is_rw),
		T(sense_key_formats),
		T(sense_asc_formats),
		T(parse_cmd_accepts_normal_cdbs),
		T(parse_cmd_accepts_vendor_cdbs),
		T(parse_cmd_accepts_varlen_that_fits),
		T(parse_cmd_rejects_varlen_40),
		T(parse_cmd_rejects_varlen_260),
		T(parse_cmd_varlen_after_other_errors),
		T(parse_cmd_memory_gone),
		T(fill_resp_truncates_sense),
		T(fill_resp_zeroes_unused_sense),
		T(put_resp_needs_room),
		T(cursor_bounds),
		T(ctrl_tmf),
		T(ctrl_an),
		T(ctrl_errors),
		T(event_fill),
		T(pi_wire_layout),
		T(pi_data_out_split),
		T(pi_data_in_split),
		T(pi_zero_counts),
		T(pi_count_boundaries),
		T(pi_count_wrong_direction),
		T(pi_short_header),
		T(pi_header_split_across_one_byte_descriptors),
		T(pi_header_ends_inside_a_buffer),
		T(pi_error_order),
		T(pi_not_negotiated),
		T(pi_memory_gone),
		T(cursor_next_part),
	};

	return cmocka_run_group_tests_name("vscsi", tests, NULL, NULL);
}
