// SPDX-License-Identifier: GPL-2.0
/*
 * gen_seeds.c - write a small seed corpus for fuzz_vring
 *
 * Usage: gen_seeds DIR.  Each seed is a well-formed guest (fuzz_input.h)
 * with one or a few chains of the kinds a Linux virtio-scsi guest makes,
 * so that the fuzzer starts from inputs that get past ring validation.
 *
 * Layout of every seed: R0 = 4 KiB at 0, R1 = 4 KiB at 0x2000 (after a
 * hole) or at 0x1000 (FZ_F_ADJACENT); a ring of 8 with the descriptor
 * table at 0x100, avail at 0x200, used at 0x300.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_input.h"
#include <vlcore/vl_vscsi.h>

#define R0_SIZE		0x1000
#define MEM_SIZE	0x2000
#define NUM		8
#define DESC		0x100
#define AVAIL		0x200
#define USED		0x300

#define R	0
#define W	VL_VRING_DESC_F_WRITE
#define N	VL_VRING_DESC_F_NEXT
#define I	VL_VRING_DESC_F_INDIRECT

static struct {
	struct fz_hdr h;
	u8 mem[MEM_SIZE];
} __packed s;

static u16 avail_idx;
static u64 r1;			/* guest-physical address of R1 */

static u8 *at(u64 gpa, u32 len)
{
	if (gpa + len <= R0_SIZE)
		return &s.mem[gpa];
	if (gpa >= r1 && gpa + len <= r1 + MEM_SIZE - R0_SIZE)
		return &s.mem[R0_SIZE + gpa - r1];
	fprintf(stderr, "gen_seeds: bad address %#llx\n",
		(unsigned long long)gpa);
	exit(1);
}

static void put(u64 gpa, const void *p, u32 len)
{
	memcpy(at(gpa, len), p, len);
}

static void put16(u64 gpa, u16 v)
{
	vl_le16 le = vl_cpu_to_le16(v);

	put(gpa, &le, 2);
}

static void put32(u64 gpa, u32 v)
{
	vl_le32 le = vl_cpu_to_le32(v);

	put(gpa, &le, 4);
}

static void put64(u64 gpa, u64 v)
{
	vl_le64 le = vl_cpu_to_le64(v);

	put(gpa, &le, 8);
}

static void desc(u64 table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	put64(table + 16 * i, addr);
	put32(table + 16 * i + 8, len);
	put16(table + 16 * i + 12, flags);
	put16(table + 16 * i + 14, next);
}

static void avail(u16 head)
{
	put16(AVAIL + 4 + 2 * (avail_idx % NUM), head);
	avail_idx++;
	put16(AVAIL + 2, avail_idx);
}

static void start(u8 kind, u8 features, u8 flags, u16 last_avail)
{
	memset(&s, 0, sizeof(s));
	s.h.num_log2 = 3;
	s.h.features = features;
	s.h.kind = kind;
	s.h.max_segs = 63;
	s.h.flags = flags;
	s.h.skip = 51;
	s.h.r0_size = vl_cpu_to_le16(R0_SIZE);
	s.h.desc_off = vl_cpu_to_le16(DESC / 16);
	s.h.avail_off = vl_cpu_to_le16(AVAIL / 2);
	s.h.used_off = vl_cpu_to_le16(USED / 4);
	s.h.last_avail = vl_cpu_to_le16(last_avail);
	avail_idx = last_avail;
	r1 = R0_SIZE + (flags & FZ_F_ADJACENT ? 0 : FZ_HOLE);
	put16(AVAIL + 2, avail_idx);
}

static void cmd_req(u64 gpa, u8 opcode, u16 lun)
{
	struct vl_vscsi_cmd_req r;

	memset(&r, 0, sizeof(r));
	r.lun[0] = 1;
	r.lun[2] = 0x40 | (lun >> 8);
	r.lun[3] = lun & 0xff;
	r.id = vl_cpu_to_le64(0x1000 + lun);
	r.cdb[0] = opcode;
	r.cdb[8] = 1;
	put(gpa, &r, sizeof(r));
}

/* A T10 PI command header (FZ_F_T10_PI). */
static void cmd_req_pi(u64 gpa, u8 opcode, u16 lun, u32 pi_out, u32 pi_in)
{
	struct vl_vscsi_cmd_req_pi r;

	memset(&r, 0, sizeof(r));
	r.lun[0] = 1;
	r.lun[2] = 0x40 | (lun >> 8);
	r.lun[3] = lun & 0xff;
	r.id = vl_cpu_to_le64(0x2000 + lun);
	r.pi_bytesout = vl_cpu_to_le32(pi_out);
	r.pi_bytesin = vl_cpu_to_le32(pi_in);
	r.cdb[0] = opcode;
	r.cdb[1] = 0x20;		/* WRPROTECT/RDPROTECT 1 */
	r.cdb[8] = 1;
	put(gpa, &r, sizeof(r));
}

/*
 * Four no-data commands (header at 0x400 + 0x40 * i, response in R1), the
 * CDB of command i from cdbs[i] (its first @len bytes; the rest zero).
 */
static void cdb_cmds(const u8 (*cdbs)[VL_VSCSI_CDB_SIZE], u16 n)
{
	struct vl_vscsi_cmd_req r;
	u16 i;

	start(FZ_KIND_REQUEST, 0, 0, 0);
	for (i = 0; i < n; i++) {
		cmd_req(0x400 + 0x40 * i, 0, i);
		memcpy(&r, at(0x400 + 0x40 * i, sizeof(r)), sizeof(r));
		memcpy(r.cdb, cdbs[i], sizeof(r.cdb));
		put(0x400 + 0x40 * i, &r, sizeof(r));
		desc(DESC, 2 * i, 0x400 + 0x40 * i, 51, R | N, 2 * i + 1);
		desc(DESC, 2 * i + 1, r1 + 0x80 * i, 108, W, 0);
		avail(2 * i);
	}
}

static void emit(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&s, sizeof(s), 1, f) != 1 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct vl_vscsi_tmf_req tmf;
	struct vl_vscsi_an_req an;
	const char *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	dir = argv[1];

	/* READ(10): header, response, 512 bytes of data-in in R1. */
	start(FZ_KIND_REQUEST, 0, 0, 0);
	cmd_req(0x400, 0x28, 0);
	desc(DESC, 0, 0x400, 51, R | N, 1);
	desc(DESC, 1, 0x500, 108, W | N, 2);
	desc(DESC, 2, r1, 512, W, 0);
	avail(0);
	emit(dir, "read10");

	/* WRITE(10) through an indirect table, header sharing the data. */
	start(FZ_KIND_REQUEST, FZ_FEAT_INDIRECT, FZ_F_ADJACENT, 0);
	cmd_req(0x600, 0x2a, 3);
	desc(DESC, 5, r1 + 0x100, 3 * 16, I, 0);
	desc(r1 + 0x100, 0, 0x600, 51 + 64, R | N, 2);
	desc(r1 + 0x100, 2, r1 - 0x40, 448, R | N, 1);	/* spans R0/R1 */
	desc(r1 + 0x100, 1, 0x700, 108, W, 0);
	avail(5);
	emit(dir, "write10-indirect");

	/* Two commands, event index, avail index about to wrap, batching. */
	start(FZ_KIND_REQUEST, FZ_FEAT_EVENT_IDX | FZ_FEAT_NOTIFY_ON_EMPTY,
	      FZ_F_BATCH | FZ_F_SET_USED | FZ_F_UNPOP, 0xfffe);
	s.h.used_idx = vl_cpu_to_le16(0xfffe);
	cmd_req(0x400, 0x00, 1);
	cmd_req(0x440, 0x12, 2);
	desc(DESC, 0, 0x400, 51, R | N, 1);
	desc(DESC, 1, 0x500, 108, W, 0);
	desc(DESC, 2, 0x440, 51, R | N, 3);
	desc(DESC, 3, 0x580, 108 + 36, W, 0);
	avail(0);
	avail(2);
	put16(AVAIL + 4 + 2 * NUM, 0xffff);
	emit(dir, "event-idx-wrap");

	/* Header and response split over several descriptors. */
	start(FZ_KIND_REQUEST, 0, FZ_F_TOP, 0);
	cmd_req(0x800, 0xa0, 0);
	desc(DESC, 7, 0x800, 1, R | N, 6);
	desc(DESC, 6, 0x801, 20, R | N, 5);
	desc(DESC, 5, 0x815, 30, R | N, 4);
	desc(DESC, 4, 0x900, 12, W | N, 3);
	desc(DESC, 3, r1 + 0x10, 96, W | N, 2);
	desc(DESC, 2, 0ULL - 16, 16, W, 0);
	avail(7);
	emit(dir, "split-header");

	/* Control queue: a TMF and an AN query. */
	start(FZ_KIND_CONTROL, 0, 0, 0);
	tmf.type = vl_cpu_to_le32(VL_VSCSI_T_TMF);
	tmf.subtype = vl_cpu_to_le32(VL_VSCSI_T_TMF_ABORT_TASK);
	memset(tmf.lun, 0, 8);
	tmf.lun[0] = 1;
	tmf.id = vl_cpu_to_le64(0x1001);
	put(0x400, &tmf, sizeof(tmf));
	an.type = vl_cpu_to_le32(VL_VSCSI_T_AN_QUERY);
	memcpy(an.lun, tmf.lun, 8);
	an.event_requested = vl_cpu_to_le32(0x7e);
	put(0x440, &an, sizeof(an));
	desc(DESC, 0, 0x400, 24, R | N, 1);
	desc(DESC, 1, 0x500, 1, W, 0);
	desc(DESC, 2, 0x440, 16, R | N, 3);
	desc(DESC, 3, 0x510, 5, W, 0);
	avail(0);
	avail(2);
	emit(dir, "control");

	/* Event queue: two 16-byte buffers. */
	start(FZ_KIND_EVENT, 0, 0, 0);
	desc(DESC, 0, 0x400, 16, W, 0);
	desc(DESC, 1, r1, 16, W, 0);
	avail(0);
	avail(1);
	emit(dir, "event");

	/*
	 * CDBs of each group (6, 10, 10, reserved, 16, 12, vendor, vendor),
	 * so that the fuzzer mutates real CDBs.
	 */
	{
		static const u8 groups_a[4][VL_VSCSI_CDB_SIZE] = {
			{ 0x08, 0, 0, 0, 1 },			/* READ(6) */
			{ 0x28, 0, 0, 0, 0, 8, 0, 0, 1 },	/* READ(10) */
			{ 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 0xff },
			{ 0x7e, 0xff, 0xff, 0xff },		/* reserved */
		};
		static const u8 groups_b[4][VL_VSCSI_CDB_SIZE] = {
			{ 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1 },
			{ 0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10 },	/* REPORT LUNS */
			{ 0xc0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },	/* vendor */
			{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		};
		/* VARIABLE LENGTH CDBs: cdb[7] is the additional length. */
		static const u8 varlen_a[4][VL_VSCSI_CDB_SIZE] = {
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0 },		/* 8 bytes */
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0, 0x09 },/* READ(32) */
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0x19 },	/* 33 bytes */
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0x20 },	/* 40 bytes */
		};
		static const u8 varlen_b[4][VL_VSCSI_CDB_SIZE] = {
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0xfc },	/* 260 bytes */
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0xff },	/* 263 bytes */
			{ 0x7f, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x0b },
			{ 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80 },
		};

		cdb_cmds(groups_a, 4);
		emit(dir, "cdb-groups-0-3");
		cdb_cmds(groups_b, 4);
		emit(dir, "cdb-groups-4-7");
		cdb_cmds(varlen_a, 4);
		emit(dir, "cdb-varlen-short");
		cdb_cmds(varlen_b, 4);
		emit(dir, "cdb-varlen-long");
	}

	/*
	 * T10 PI: WRITE(10) of one 512-byte block with its 8-byte tuple
	 * sharing the header's buffer, and READ(10) with the tuple sharing
	 * the response's.
	 */
	start(FZ_KIND_REQUEST, 0, FZ_F_T10_PI, 0);
	s.h.skip = 59;
	cmd_req_pi(0x400, 0x2a, 0, 8, 0);
	desc(DESC, 0, 0x400, 59 + 8, R | N, 1);
	desc(DESC, 1, r1, 512, R | N, 2);
	desc(DESC, 2, 0x500, 108, W, 0);
	cmd_req_pi(0x600, 0x28, 1, 0, 8);
	desc(DESC, 3, 0x600, 59, R | N, 4);
	desc(DESC, 4, 0x700, 108 + 8, W | N, 5);
	desc(DESC, 5, r1 + 0x400, 512, W, 0);
	avail(0);
	avail(3);
	emit(dir, "pi-write-read");

	/* T10 PI: the header and the tuple split over several buffers. */
	start(FZ_KIND_REQUEST, FZ_FEAT_INDIRECT, FZ_F_T10_PI | FZ_F_ADJACENT,
	      0);
	cmd_req_pi(0x800, 0x2a, 2, 16, 0);
	desc(DESC, 1, r1 + 0x100, 6 * 16, I, 0);
	desc(r1 + 0x100, 0, 0x800, 19, R | N, 1);	/* up to the counts */
	desc(r1 + 0x100, 1, 0x813, 6, R | N, 2);	/* inside them */
	desc(r1 + 0x100, 2, 0x819, 40, R | N, 3);	/* CDB, 6 PI bytes */
	desc(r1 + 0x100, 3, r1 + 0x400, 10 + 1024, R | N, 4);
	desc(r1 + 0x100, 4, 0x900, 100, W | N, 5);
	desc(r1 + 0x100, 5, 0xa00, 8, W, 0);
	avail(1);
	emit(dir, "pi-split");

	/*
	 * T10 PI refused: pi_bytesout with data-in, pi_bytesin without
	 * data, one byte more than the data, and the u32 maximum.
	 */
	start(FZ_KIND_REQUEST, 0, FZ_F_T10_PI, 0);
	cmd_req_pi(0x400, 0x28, 0, 8, 0);
	desc(DESC, 0, 0x400, 59, R | N, 1);
	desc(DESC, 1, r1, 108 + 520, W, 0);
	cmd_req_pi(0x440, 0x00, 1, 0, 8);
	desc(DESC, 2, 0x440, 59, R | N, 3);
	desc(DESC, 3, r1 + 0x400, 108, W, 0);
	cmd_req_pi(0x480, 0x2a, 2, 521, 0);
	desc(DESC, 4, 0x480, 59 + 520, R | N, 5);
	desc(DESC, 5, r1 + 0x600, 108, W, 0);
	cmd_req_pi(0x700, 0x28, 3, 0, 0xffffffffU);
	desc(DESC, 6, 0x700, 59, R | N, 7);
	desc(DESC, 7, r1 + 0x800, 108 + 520, W, 0);
	avail(0);
	avail(2);
	avail(4);
	avail(6);
	emit(dir, "pi-refused");

	/* A broken ring: the chain loops. */
	start(FZ_KIND_REQUEST, 0, 0, 0);
	desc(DESC, 0, 0x400, 51, R | N, 1);
	desc(DESC, 1, 0x500, 108, R | N, 0);
	avail(0);
	emit(dir, "loop");

	/* A broken ring: the chain loops inside an indirect table. */
	start(FZ_KIND_REQUEST, FZ_FEAT_INDIRECT, 0, 0);
	desc(DESC, 0, r1, 2 * 16, I, 0);
	desc(r1, 0, 0x400, 51, R | N, 1);
	desc(r1, 1, 0x500, 51, R | N, 0);
	avail(0);
	emit(dir, "indirect-loop");
	return 0;
}
