// SPDX-License-Identifier: GPL-2.0
/*
 * T10 protection information (vl-guest pi): negotiate VIRTIO_SCSI_F_T10_PI
 * and move protected data through the PI request header, as Linux's
 * virtio_scsi does for a disk with an integrity profile.
 *
 * The LUN (--target, --lun) must be a backstore formatted with protection
 * type 1 and 512-byte blocks (fileio with attrib/pi_prot_type 1, see
 * tests/vm/59-pi.sh).  Every request is built here: a 59-byte header
 * (struct virtio_scsi_cmd_req_pi), then the protection bytes in a buffer
 * of their own, then the data; 8 bytes per block, big-endian: the guard
 * (CRC16 T10-DIF of the block), the application tag and the reference tag
 * (the LBA's low 32 bits, type 1).  Checks:
 *
 *   - the CRC matches the standard's check value (the test's own CRC);
 *   - the device offers the feature, READ CAPACITY(16) says PROT_EN, type 1;
 *   - WRITE(10) WRPROTECT=1 of 8 blocks with valid tuples: GOOD;
 *   - READ(10) RDPROTECT=1 of them: GOOD, the data and every tuple as
 *     written, used length = response + protection + data;
 *   - READ(10) without protection bytes: GOOD, the data (LIO checks and
 *     strips the tuples itself);
 *   - READ(10) RDPROTECT=1 into a buffer one block longer: GOOD, the data,
 *     the extra block untouched, used length without it;
 *   - WRITE(10) WRPROTECT=1 from a buffer one block longer: GOOD, the
 *     block after the CDB's range unchanged, the 8 blocks read back;
 *   - a WRITE (of other data) whose guard is wrong in one block: CHECK
 *     CONDITION, ABORTED COMMAND, LOGICAL BLOCK GUARD CHECK FAILED (ASC
 *     0x10, ASCQ 0x01), and the blocks still read back as before;
 *   - WRITE(10) WRPROTECT=1 from, and READ(10) RDPROTECT=1 into, a buffer
 *     one block shorter: CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN
 *     CDB, nothing written, used length the response's;
 *   - a WRITE with one tuple fewer than its blocks, and one with
 *     protection bytes but WRPROTECT 0 (LIO would generate tuples into
 *     them): CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB
 *     (vhost-lio's checks of LIO's prot_length and prot_op; the in-tree
 *     vhost_scsi has neither), nothing written;
 *   - pi_bytesout on a READ, and pi_bytesout larger than the data-out:
 *     VIRTIO_SCSI_S_FAILURE.
 *
 * Output: PASS/FAIL lines (tally), INFO lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-guest.h"

#define BLK		512
#define TUPLE		8
#define NBLK		8
#define LBA		64
#define APP_TAG		0x5a17
#define PI_HDR_SIZE	sizeof(struct virtio_scsi_cmd_req_pi)	/* 59 */
#define STATUS_GOOD	0x00
#define STATUS_CC	0x02
#define KEY_ILLEGAL	0x05
#define KEY_ABORTED	0x0b

static struct {
	struct vl_opts o;
	struct vdev d;
	struct tally t;
	uint8_t data[NBLK * BLK];
	uint8_t pi[NBLK * TUPLE];
	/* other data and its tuples, for the WRITEs that must be refused */
	uint8_t alt[NBLK * BLK];
	uint8_t alt_pi[NBLK * TUPLE];
} P;

#define ck(ok, what, ...) tally_ck(&P.t, ok, what, __VA_ARGS__)

static void rep(bool ok, const char *what, const char *detail)
{
	if (!ok)
		ck(false, what, "%s", detail ? detail : "");
}

/* CRC16 T10-DIF: polynomial 0x8bb7, initial value 0, not reflected. */
static uint16_t crc_t10dif(const uint8_t *p, size_t len)
{
	uint16_t crc = 0;
	unsigned int i;

	while (len--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (i = 0; i < 8; i++)
			crc = (crc & 0x8000) ? (uint16_t)(crc << 1) ^ 0x8bb7 :
					       (uint16_t)(crc << 1);
	}
	return crc;
}

/* One tuple per block of @data, for blocks starting at @lba. */
static void pi_fill(uint8_t *pi, const uint8_t *data, uint32_t blocks,
		    uint64_t lba)
{
	uint32_t i;

	for (i = 0; i < blocks; i++) {
		put_be16(pi + i * TUPLE, crc_t10dif(data + i * BLK, BLK));
		put_be16(pi + i * TUPLE + 2, APP_TAG);
		put_be32(pi + i * TUPLE + 4, (uint32_t)(lba + i));
	}
}

/* A command with the PI header, its buffers and its answer. */
struct pi_cmd {
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	bool write;
	uint32_t pi_out, pi_in;		/* counts in the header */
	const uint8_t *pi;		/* write: pi_out bytes */
	uint32_t pi_len;		/* bytes of the protection buffer */
	const uint8_t *dout;
	uint32_t data_len;
	/* results */
	struct scsi_result res;
	uint8_t pi_back[NBLK * TUPLE];
	uint8_t data_back[(NBLK + 1) * BLK];
};

static void *galloc(uint64_t len, uint64_t *gpa)
{
	return arena_alloc(&P.d.mem.data[0], len ? len : 1, 64, gpa);
}

/*
 * Build the chain: header | protection | data-out, response | protection |
 * data-in, each part a buffer of its own; submit it and wait for the
 * answer.  Return: 0, or a negative errno (no answer: the buffers stay).
 */
static int pi_exec(struct pi_cmd *c)
{
	struct gmem_mark mark = gmem_mark(&P.d.mem);
	int64_t dl = now_ns() + (int64_t)P.o.timeout_ms * 1000000;
	struct gvq *vq = vdev_reqq(&P.d, 0);
	uint64_t g_hdr, g_resp, g_pi = 0, g_data = 0;
	uint8_t *hdr, *resp, *pi = NULL, *data = NULL;
	struct sg sg[4];
	unsigned int n = 0;
	void *cookie;
	int ret;

	hdr = galloc(PI_HDR_SIZE, &g_hdr);
	resp = galloc(VL_RESP_HDR_SIZE, &g_resp);
	if (c->pi_len)
		pi = galloc(c->pi_len, &g_pi);
	if (c->data_len)
		data = galloc(c->data_len, &g_data);
	if (!hdr || !resp || (c->pi_len && !pi) || (c->data_len && !data))
		return -ENOMEM;
	memset(hdr, 0, PI_HDR_SIZE);
	vl_lun(hdr, P.o.target, P.o.lun);
	put_le64(hdr + 8, 0x7000 + (uint64_t)c->cdb[0]);
	put_le32(hdr + 19, c->pi_out);
	put_le32(hdr + 23, c->pi_in);
	memcpy(hdr + 27, c->cdb, VIRTIO_SCSI_CDB_SIZE);
	memset(resp, 0xee, VL_RESP_HDR_SIZE);

	sg[n++] = (struct sg){ g_hdr, PI_HDR_SIZE, false };
	if (c->write) {
		if (pi) {
			memcpy(pi, c->pi, c->pi_len);
			sg[n++] = (struct sg){ g_pi, c->pi_len, false };
		}
		if (data) {
			memcpy(data, c->dout, c->data_len);
			sg[n++] = (struct sg){ g_data, c->data_len, false };
		}
		sg[n++] = (struct sg){ g_resp, VL_RESP_HDR_SIZE, true };
	} else {
		sg[n++] = (struct sg){ g_resp, VL_RESP_HDR_SIZE, true };
		if (pi) {
			memset(pi, 0xee, c->pi_len);
			sg[n++] = (struct sg){ g_pi, c->pi_len, true };
		}
		if (data) {
			memset(data, 0xee, c->data_len);
			sg[n++] = (struct sg){ g_data, c->data_len, true };
		}
	}
	ret = gvq_add(vq, sg, n, false, c);
	if (ret < 0)
		return ret;
	gvq_kick(vq);
	for (;;) {
		ret = gvq_get_used(vq, &cookie, &c->res.used_len);
		if (ret < 0)
			return ret;
		if (ret > 0)
			break;
		ret = gvq_wait(vq, dl);
		if (ret)
			return ret;
	}
	if (cookie != c)
		return -EPROTO;
	c->res.sense_len = get_le32(resp);
	c->res.resid = get_le32(resp + 4);
	c->res.status = resp[10];
	c->res.response = resp[11];
	memcpy(c->res.sense, resp + 12, VIRTIO_SCSI_SENSE_SIZE);
	if (!c->write && pi)
		memcpy(c->pi_back, pi, c->pi_len < sizeof(c->pi_back) ?
		       c->pi_len : sizeof(c->pi_back));
	if (!c->write && data)
		memcpy(c->data_back, data, c->data_len < sizeof(c->data_back) ?
		       c->data_len : sizeof(c->data_back));
	gmem_release(&P.d.mem, mark);
	return 0;
}

/* READ(10) or WRITE(10) of NBLK blocks at LBA, RDPROTECT/WRPROTECT 1. */
static void pi_rw(struct pi_cmd *c, bool write, bool protect)
{
	memset(c, 0, sizeof(*c));
	cdb_rw(c->cdb, write, 10, LBA, NBLK);
	if (protect)
		c->cdb[1] |= 0x20;
	c->write = write;
	c->data_len = NBLK * BLK;
	c->dout = P.data;
	if (!protect)
		return;
	c->pi_len = NBLK * TUPLE;
	if (write) {
		c->pi_out = c->pi_len;
		c->pi = P.pi;
	} else {
		c->pi_in = c->pi_len;
	}
}

/*
 * A protected WRITE of P.alt with P.alt_pi: for the cases that must be
 * refused, so that one executed shows in the blocks read back.
 */
static void pi_alt_write(struct pi_cmd *c)
{
	pi_rw(c, true, true);
	c->dout = P.alt;
	c->pi = P.alt_pi;
}

/* Run @c and say what came back; false if no answer came. */
static bool run(struct pi_cmd *c, const char *what)
{
	int ret = pi_exec(c);

	return ck(!ret, what, "no answer: %s", strerror(-ret));
}

static bool answered(const struct pi_cmd *c, uint8_t status, const char *what)
{
	struct sense_info s = sense_decode(&c->res);

	return ck(c->res.response == VIRTIO_SCSI_S_OK &&
		  c->res.status == status, what,
		  "response %s status %#x sense %x/%02x/%02x",
		  resp_name(c->res.response), c->res.status, s.key, s.asc,
		  s.ascq);
}

static void sense_is(const struct pi_cmd *c, uint8_t key, uint8_t asc,
		     uint8_t ascq, const char *what)
{
	struct sense_info s = sense_decode(&c->res);

	ck(c->res.response == VIRTIO_SCSI_S_OK &&
	   c->res.status == STATUS_CC && s.valid && s.key == key &&
	   s.asc == asc && s.ascq == ascq, what,
	   "response %s status %#x sense %x/%02x/%02x, expected %x/%02x/%02x",
	   resp_name(c->res.response), c->res.status, s.key, s.asc, s.ascq,
	   key, asc, ascq);
}

/* READ RDPROTECT=1: the data and tuples must be P.data and P.pi. */
static void read_back(const char *what)
{
	static struct pi_cmd c;
	char name[160];
	long bad;

	pi_rw(&c, false, true);
	snprintf(name, sizeof(name), "%s: READ with protection answered",
		 what);
	if (!run(&c, name))
		return;
	snprintf(name, sizeof(name), "%s: READ with protection is GOOD", what);
	if (!answered(&c, STATUS_GOOD, name))
		return;
	bad = memcmp(c.data_back, P.data, sizeof(P.data));
	snprintf(name, sizeof(name), "%s: the data read back", what);
	ck(!bad, name, "differs");
	snprintf(name, sizeof(name),
		 "%s: every tuple read back (guard, app tag, ref tag)", what);
	ck(!memcmp(c.pi_back, P.pi, sizeof(P.pi)), name,
	   "first tuple %02x%02x %02x%02x %02x%02x%02x%02x",
	   c.pi_back[0], c.pi_back[1], c.pi_back[2], c.pi_back[3],
	   c.pi_back[4], c.pi_back[5], c.pi_back[6], c.pi_back[7]);
	snprintf(name, sizeof(name),
		 "%s: used length counts response, protection and data", what);
	ck(c.res.used_len == VL_RESP_HDR_SIZE + sizeof(P.pi) + sizeof(P.data),
	   name, "%u", c.res.used_len);
}

static bool setup_checks(void)
{
	static const char check[] = "123456789";
	static struct pi_cmd c;
	uint8_t rc[32];

	ck(crc_t10dif((const uint8_t *)check, 9) == 0xd0db,
	   "CRC16 T10-DIF of \"123456789\" is 0xd0db", "%#x",
	   crc_t10dif((const uint8_t *)check, 9));
	if (!ck(P.d.acked & (1ULL << VIRTIO_SCSI_F_T10_PI),
		"VIRTIO_SCSI_F_T10_PI offered and acked", "offered %#llx",
		(unsigned long long)P.d.offered))
		return false;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0x9e;	/* SERVICE ACTION IN(16), READ CAPACITY(16) */
	c.cdb[1] = 0x10;
	put_be32(c.cdb + 10, sizeof(rc));
	c.data_len = sizeof(rc);
	if (!run(&c, "READ CAPACITY(16) answered") ||
	    !answered(&c, STATUS_GOOD, "READ CAPACITY(16) is GOOD"))
		return false;
	memcpy(rc, c.data_back, sizeof(rc));
	if (!ck(get_be32(rc + 8) == BLK, "the LUN has 512-byte blocks", "%u",
		get_be32(rc + 8)))
		return false;
	return ck((rc[12] & 0x0f) == 0x01,
		  "READ CAPACITY(16): PROT_EN, protection type 1",
		  "byte 12 = %#x (P_TYPE %u, PROT_EN %u)", rc[12],
		  (rc[12] >> 1) & 7, rc[12] & 1);
}

/* READ(10) without protection of the block after the test's range. */
static bool read_next_block(uint8_t *blk, const char *what)
{
	static struct pi_cmd c;
	char name[160];

	memset(&c, 0, sizeof(c));
	cdb_rw(c.cdb, false, 10, LBA + NBLK, 1);
	c.data_len = BLK;
	snprintf(name, sizeof(name), "%s answered", what);
	if (!run(&c, name))
		return false;
	snprintf(name, sizeof(name), "%s is GOOD", what);
	if (!answered(&c, STATUS_GOOD, name))
		return false;
	memcpy(blk, c.data_back, BLK);
	return true;
}

/*
 * A protected WRITE from a buffer one block longer: LIO cuts the data
 * length to the CDB's blocks without flagging an underflow (so without
 * refusing it, as it refuses a WRITE whose buffer differs otherwise);
 * vhost-lio cuts the list there, so the extra block is not written: GOOD,
 * the block after the range unchanged.
 */
static void write_longer(void)
{
	static uint8_t wide[(NBLK + 1) * BLK], before[BLK], after[BLK];
	static struct pi_cmd c;

	if (!read_next_block(before, "the block after the range: READ"))
		return;
	memcpy(wide, P.data, sizeof(P.data));
	memset(wide + sizeof(P.data), 0xa5, BLK);
	if (!memcmp(before, wide + sizeof(P.data), BLK))
		memset(wide + sizeof(P.data), 0x5a, BLK);
	pi_rw(&c, true, true);
	c.dout = wide;
	c.data_len = sizeof(wide);
	if (run(&c, "protected WRITE from a longer buffer answered"))
		answered(&c, STATUS_GOOD,
			 "protected WRITE from a longer buffer is GOOD");
	if (read_next_block(after, "the block after the range: READ again"))
		ck(!memcmp(before, after, BLK),
		   "protected WRITE from a longer buffer: the block after the range unchanged",
		   "first byte %#x, was %#x", after[0], before[0]);
	read_back("after the WRITE from a longer buffer");
}

/*
 * Data buffers one block shorter than a protected CDB's blocks (with a
 * tuple for each of them): LIO sets the data length from the CDB when
 * its PROTECT field is set, so its own size check sees no overflow, and
 * a backend would move only what the buffer holds and answer GOOD.
 * vhost-lio refuses them as LIO refuses other WRITEs whose buffer
 * differs from the CDB: INVALID FIELD IN CDB, nothing written, nothing
 * read counted.
 */
static void short_buffers(void)
{
	static struct pi_cmd c;

	pi_alt_write(&c);
	c.data_len = (NBLK - 1) * BLK;
	if (run(&c, "protected WRITE from a shorter buffer answered"))
		sense_is(&c, KEY_ILLEGAL, 0x24, 0x00,
			 "protected WRITE from a shorter buffer: INVALID FIELD IN CDB");
	read_back("after the WRITE from a shorter buffer");

	pi_rw(&c, false, true);
	c.data_len = (NBLK - 1) * BLK;
	if (run(&c, "protected READ into a shorter buffer answered")) {
		sense_is(&c, KEY_ILLEGAL, 0x24, 0x00,
			 "protected READ into a shorter buffer: INVALID FIELD IN CDB");
		ck(c.res.used_len == VL_RESP_HDR_SIZE,
		   "protected READ into a shorter buffer: used length is the response's",
		   "%u", c.res.used_len);
	}
}

static void pi_run(void)
{
	static struct pi_cmd c;
	uint64_t seed = 0x5eed0000 + (uint64_t)now_ns() % 65536;

	if (!setup_checks())
		return;
	pattern_fill(P.data, LBA, NBLK, BLK, seed);
	pi_fill(P.pi, P.data, NBLK, LBA);
	/*
	 * The refused WRITEs carry other data, with valid tuples where the
	 * case does not say otherwise: had one been executed, the blocks
	 * read back would differ.
	 */
	pattern_fill(P.alt, LBA, NBLK, BLK, seed + 1);
	pi_fill(P.alt_pi, P.alt, NBLK, LBA);

	pi_rw(&c, true, true);
	if (!run(&c, "WRITE with protection answered") ||
	    !answered(&c, STATUS_GOOD, "WRITE with valid protection is GOOD"))
		return;
	read_back("after the WRITE");

	pi_rw(&c, false, false);
	if (run(&c, "READ without protection bytes answered") &&
	    answered(&c, STATUS_GOOD, "READ without protection bytes is GOOD"))
		ck(!memcmp(c.data_back, P.data, sizeof(P.data)),
		   "READ without protection bytes: the data", "differs");

	/*
	 * A protected READ into a buffer one block longer: LIO cuts the data
	 * length to the CDB's blocks (no underflow flagged); the used length
	 * must not count the block nobody wrote, which stays as it was.
	 */
	pi_rw(&c, false, true);
	c.data_len = (NBLK + 1) * BLK;
	if (run(&c, "protected READ into a longer buffer answered") &&
	    answered(&c, STATUS_GOOD, "protected READ into a longer buffer is GOOD")) {
		ck(!memcmp(c.data_back, P.data, sizeof(P.data)),
		   "protected READ into a longer buffer: the data", "differs");
		ck(c.data_back[NBLK * BLK] == 0xee &&
		   !memcmp(c.data_back + NBLK * BLK, c.data_back + NBLK * BLK + 1,
			   BLK - 1),
		   "protected READ into a longer buffer: the extra block untouched",
		   "first byte %#x", c.data_back[NBLK * BLK]);
		ck(c.res.used_len == VL_RESP_HDR_SIZE + sizeof(P.pi) + sizeof(P.data),
		   "protected READ into a longer buffer: used length without the extra block",
		   "%u", c.res.used_len);
	}

	write_longer();

	/* A guard that does not match its block's data. */
	P.alt_pi[3 * TUPLE] ^= 0x5a;
	pi_alt_write(&c);
	if (run(&c, "WRITE with a corrupted guard answered"))
		sense_is(&c, KEY_ABORTED, 0x10, 0x01,
			 "a corrupted guard: CHECK CONDITION, LOGICAL BLOCK GUARD CHECK FAILED");
	read_back("after the corrupted WRITE");
	P.alt_pi[3 * TUPLE] ^= 0x5a;

	/* One tuple fewer than the CDB's blocks. */
	pi_alt_write(&c);
	c.pi_out = c.pi_len = (NBLK - 1) * TUPLE;
	if (run(&c, "WRITE with one tuple too few answered"))
		sense_is(&c, KEY_ILLEGAL, 0x24, 0x00,
			 "protection bytes fewer than the CDB's blocks: INVALID FIELD IN CDB");
	read_back("after the short WRITE");

	short_buffers();

	/*
	 * Protection bytes with WRPROTECT 0: LIO would generate the tuples
	 * into them (DOUT_INSERT), in pages pinned for reading.
	 */
	pi_alt_write(&c);
	c.cdb[1] &= (uint8_t)~0xe0;
	if (run(&c, "WRITE with WRPROTECT 0 and protection bytes answered"))
		sense_is(&c, KEY_ILLEGAL, 0x24, 0x00,
			 "protection bytes LIO would write into on a WRITE: INVALID FIELD IN CDB");
	read_back("after the WRPROTECT 0 WRITE");

	/* pi_bytesout on a READ: the count is for the other direction. */
	pi_rw(&c, false, true);
	c.pi_out = TUPLE;
	if (run(&c, "READ with pi_bytesout answered"))
		ck(c.res.response == VIRTIO_SCSI_S_FAILURE,
		   "pi_bytesout on a READ: VIRTIO_SCSI_S_FAILURE", "%s",
		   resp_name(c.res.response));

	/* More protection bytes than the data-out holds. */
	pi_alt_write(&c);
	c.pi_out = c.pi_len + c.data_len + 1;
	if (run(&c, "WRITE with pi_bytesout beyond its buffers answered"))
		ck(c.res.response == VIRTIO_SCSI_S_FAILURE,
		   "pi_bytesout larger than the data-out: VIRTIO_SCSI_S_FAILURE",
		   "%s", resp_name(c.res.response));
	read_back("at the end");
}

int run_pi(const struct vl_opts *o)
{
	P.o = *o;
	P.o.t10_pi = true;
	P.t.mode = "pi";
	P.t.o = &P.o;
	if (vdev_setup(&P.d, &P.o, rep) || vdev_attach(&P.d, rep))
		return tally_exit(&P.t);
	pi_run();
	vdev_stop(&P.d, rep);
	return tally_exit(&P.t);
}
