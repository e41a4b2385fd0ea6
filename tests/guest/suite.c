// SPDX-License-Identifier: GPL-2.0
/*
 * The scripted suite: one "PASS: what" / "FAIL: what (detail)" line per
 * check on stdout (what tests/vm/guest-init.sh counts), "INFO: ..." lines
 * for observed behaviour that is recorded rather than asserted.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>

#include "vl-guest.h"

#define MAX_LUNS	256
#define IO_BLOCKS	8
#define MIB		(1U << 20)

struct suite {
	const struct vl_opts *o;
	struct vdev d;
	struct tally t;
	uint64_t tag, seed;
	unsigned int luns[MAX_LUNS], nluns;
	uint32_t bsz[MAX_LUNS];
	uint64_t blocks[MAX_LUNS];
	bool have_cap[MAX_LUNS];
	uint64_t next_lba;		/* layout tests walk the primary LUN */
	bool used_len_noted;
};

static struct suite *S;

static bool check(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tally_vck(&S->t, ok, what, fmt, ap);
	va_end(ap);
	return ok;
}

static void report(bool ok, const char *what, const char *detail)
{
	check(ok, what, "%s", detail ? detail : "");
}

static void finish_and_exit(int code)
{
	printf("vl-guest suite: %u passed, %u failed\n", S->t.pass, S->t.fail);
	fflush(stdout);
	exit(code);
}

/* Does a comma-separated list of shell patterns match name? */
static bool list_matches(const char *list, const char *name)
{
	char pat[64];
	size_t n;

	while (*list) {
		n = strcspn(list, ",");
		if (n && n < sizeof(pat)) {
			memcpy(pat, list, n);
			pat[n] = 0;
			if (!fnmatch(pat, name, 0))
				return true;
		}
		list += n + (list[n] == ',');
	}
	return false;
}

/* An optional step runs unless --only/--skip leave it out (an INFO). */
static bool step(const char *name)
{
	if ((!S->o->only || list_matches(S->o->only, name)) &&
	    (!S->o->skip || !list_matches(S->o->skip, name)))
		return true;
	info("step '%s' not run (--only/--skip)", name);
	return false;
}

/* ---- running commands -------------------------------------------------- */

static const char *describe(const struct scsi_io *io)
{
	static char buf[160];
	struct sense_info si = sense_decode(&io->res);
	int n;

	n = snprintf(buf, sizeof(buf), "response %u %s, status %#04x",
		     io->res.response, resp_name(io->res.response),
		     io->res.status);
	if (si.valid)
		n += snprintf(buf + n, sizeof(buf) - n,
			      ", sense key %#x asc %#04x ascq %#04x",
			      si.key, si.asc, si.ascq);
	else if (io->res.sense_len)
		n += snprintf(buf + n, sizeof(buf) - n, ", sense_len %u",
			      io->res.sense_len);
	snprintf(buf + n, sizeof(buf) - n, ", resid %u", io->res.resid);
	return buf;
}

static bool good(const struct scsi_io *io)
{
	return io->res.response == VIRTIO_SCSI_S_OK && io->res.status == 0;
}

static bool check_cond(const struct scsi_io *io, uint8_t key, uint8_t asc)
{
	struct sense_info si = sense_decode(&io->res);

	return io->res.response == VIRTIO_SCSI_S_OK &&
	       io->res.status == 0x02 && si.valid && si.key == key &&
	       si.asc == asc;
}

/*
 * Run one command to completion on request queue q.  A timeout is a failed
 * check of its own and ends the suite.
 */
static int run_raw(unsigned int q, const uint8_t lunb[8], const uint8_t *cdb,
		   unsigned int cdb_len, const void *dout, uint32_t dout_len,
		   void *din, uint32_t din_len, const struct layout *lay,
		   struct scsi_io *io)
{
	int ret;

	memset(io, 0, sizeof(*io));
	memcpy(io->lun, lunb, 8);
	io->tag = ++S->tag;
	memcpy(io->cdb, cdb, cdb_len);
	io->dout = dout;
	io->dout_len = dout_len;
	io->din = din;
	io->din_len = din_len;
	ret = scsi_exec(&S->d, vdev_reqq(&S->d, q), io, lay ? lay : &layout_std);
	if (ret == -ETIMEDOUT) {
		/* The device still owns io: nothing can run after this. */
		check(false, "command completes in time", "opcode %#04x on "
		      "request queue %u: no completion after %u ms, giving up",
		      cdb[0], q, S->o->timeout_ms);
		finish_and_exit(1);
	} else if (ret) {
		check(false, "command submission", "opcode %#04x: %s",
		      cdb[0], strerror(-ret));
	}
	if (!ret && !S->used_len_noted && din_len >= 512 && good(io)) {
		info("used.len for a %u-byte data-in command: %u "
		     "(the virtio spec wants the bytes written)",
		     din_len, io->res.used_len);
		S->used_len_noted = true;
	}
	return ret;
}

static int run(unsigned int lun, const uint8_t *cdb, unsigned int cdb_len,
	       const void *dout, uint32_t dout_len, void *din,
	       uint32_t din_len, const struct layout *lay,
	       struct scsi_io *io)
{
	uint8_t lunb[8];

	vl_lun(lunb, S->o->target, lun);
	return run_raw(0, lunb, cdb, cdb_len, dout, dout_len, din, din_len,
		       lay, io);
}

/* TEST UNIT READY until GOOD, skipping unit attentions.  Returns #UAs or
 * -1 if it never became GOOD. */
static int tur_good(unsigned int lun, const char *when)
{
	uint8_t cdb[6] = { 0x00 };
	struct scsi_io io;
	int ua = 0, i;

	for (i = 0; i < 8; i++) {
		if (run(lun, cdb, 6, NULL, 0, NULL, 0, NULL, &io))
			return -1;
		if (good(&io))
			return ua;
		if (!check_cond(&io, 0x6, sense_decode(&io.res).asc))
			break;
		info("LUN %u: TEST UNIT READY %s: UNIT ATTENTION asc %#04x "
		     "ascq %#04x", lun, when, sense_decode(&io.res).asc,
		     sense_decode(&io.res).ascq);
		ua++;
	}
	info("LUN %u: TEST UNIT READY %s: %s", lun, when, describe(&io));
	return -1;
}

/* ---- identification ---------------------------------------------------- */

static bool ascii(const uint8_t *p, unsigned int n)
{
	while (n--)
		if (*p < 0x20 || *p > 0x7e)
			return false;
		else
			p++;
	return true;
}

static void t_inquiry(unsigned int lun)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 }, d[96];
	struct scsi_io io;
	char what[96];
	bool ok;

	snprintf(what, sizeof(what), "LUN %u: INQUIRY answers GOOD", lun);
	if (run(lun, cdb, 6, NULL, 0, d, sizeof(d), NULL, &io))
		return;
	if (!check(good(&io), what, "%s", describe(&io)))
		return;
	ok = (d[0] & 0x1f) == 0 && (d[0] >> 5) == 0 && (d[3] & 0xf) == 2 &&
	     d[4] >= 31 && ascii(d + 8, 28);
	snprintf(what, sizeof(what), "LUN %u: INQUIRY standard data sane "
		 "(disk, qualifier 0, format 2, ASCII ids)", lun);
	check(ok, what, "byte0 %#04x format %u additional length %u",
	      d[0], d[3] & 0xf, d[4]);
	info("LUN %u: INQUIRY '%.8s' '%.16s' '%.4s' version %#04x, "
	     "additional length %u, resid %u for a 96-byte buffer", lun,
	     (char *)d + 8, (char *)d + 16, (char *)d + 32, d[2], d[4],
	     io.res.resid);
}

static void t_vpd(unsigned int lun)
{
	uint8_t cdb[6] = { 0x12, 1, 0x00, 0, 255, 0 }, d[255];
	char what[96], pages[3 * 64 + 1] = "";
	struct scsi_io io;
	unsigned int i, n;

	snprintf(what, sizeof(what), "LUN %u: INQUIRY VPD page 0x00 "
		 "answers GOOD, well formed", lun);
	if (run(lun, cdb, 6, NULL, 0, d, sizeof(d), NULL, &io))
		return;
	n = d[3];
	if (!check(good(&io) && d[1] == 0 && 4 + n + io.res.resid <= sizeof(d),
		   what, "%s, page %#04x, %u pages", describe(&io), d[1], n))
		return;
	for (i = 0; i < n && i < 64; i++)
		snprintf(pages + 3 * i, 4, " %02x", d[4 + i]);
	info("LUN %u: VPD pages:%s%s, resid %u", lun, pages,
	     n ? "" : " (none: LIO lists them only once the device has a "
	     "unit serial)", io.res.resid);
}

static void t_tur(unsigned int lun)
{
	char what[96];
	int ua;

	snprintf(what, sizeof(what), "LUN %u: TEST UNIT READY is GOOD "
		 "(after any unit attention)", lun);
	ua = tur_good(lun, "at start");
	check(ua >= 0, what, "never GOOD");
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void t_capacity(unsigned int idx)
{
	unsigned int lun = S->luns[idx];
	uint8_t c10[10] = { 0x25 }, c16[16] = { 0x9e, 0x10 }, d10[8], d16[32];
	struct scsi_io io;
	uint64_t last16;
	uint32_t last10, bs10, bs16;
	char what[96];

	put_be32(c16 + 10, sizeof(d16));
	snprintf(what, sizeof(what), "LUN %u: READ CAPACITY(10)", lun);
	if (run(lun, c10, 10, NULL, 0, d10, 8, NULL, &io))
		return;
	if (!check(good(&io), what, "%s", describe(&io)))
		return;
	last10 = get_be32(d10);
	bs10 = get_be32(d10 + 4);
	snprintf(what, sizeof(what), "LUN %u: READ CAPACITY(16)", lun);
	if (run(lun, c16, 16, NULL, 0, d16, 32, NULL, &io))
		return;
	if (!check(good(&io), what, "%s", describe(&io)))
		return;
	last16 = get_be64(d16);
	bs16 = get_be32(d16 + 8);
	snprintf(what, sizeof(what), "LUN %u: capacities agree, block size "
		 "a power of two >= 512", lun);
	if (!check(last10 == last16 && bs10 == bs16 && pow2(bs16) &&
		   bs16 >= 512 && bs16 <= 4096 && last16 > 64, what,
		   "RC10 last %u bs %u, RC16 last %llu bs %u", last10, bs10,
		   (unsigned long long)last16, bs16))
		return;
	info("LUN %u: %llu blocks of %u bytes", lun,
	     (unsigned long long)last16 + 1, bs16);
	S->bsz[idx] = bs16;
	S->blocks[idx] = last16 + 1;
	S->have_cap[idx] = true;
}

static unsigned int lun_from_entry(const uint8_t *e)
{
	switch (e[0] >> 6) {
	case 0:			/* peripheral device addressing */
		return e[1];
	case 1:			/* flat space */
		return (unsigned int)(e[0] & 0x3f) << 8 | e[1];
	default:
		return 0xffff;
	}
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static void luns_str(char *buf, size_t sz, const unsigned int *l,
		     unsigned int n)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && off < sz; i++)
		off += snprintf(buf + off, sz - off, "%s%u", i ? "," : "",
				l[i]);
}

static bool expect_luns_match(char *want_s, size_t sz)
{
	unsigned int want[MAX_LUNS], n = 0, i;
	char *copy = strdup(S->o->expect_luns), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok && n < MAX_LUNS;
	     tok = strtok_r(NULL, ",", &save))
		want[n++] = (unsigned int)strtoul(tok, NULL, 0);
	free(copy);
	qsort(want, n, sizeof(want[0]), cmp_uint);
	luns_str(want_s, sz, want, n);
	if (n != S->nluns)
		return false;
	for (i = 0; i < n; i++)
		if (want[i] != S->luns[i])
			return false;
	return true;
}

static void t_report_luns(void)
{
	uint8_t cdb[12] = { 0xa0 }, *d;
	uint32_t alloc = 8 + 8 * MAX_LUNS, len;
	struct scsi_io io;
	char got[512], want[512];
	unsigned int i;

	d = calloc(1, alloc);
	if (!d)
		return;
	put_be32(cdb + 6, alloc);
	if (run(0, cdb, 12, NULL, 0, d, alloc, NULL, &io))
		goto out;
	len = get_be32(d);
	if (!check(good(&io) && len % 8 == 0 && len <= alloc - 8,
		   "REPORT LUNS (to LUN 0)", "%s, list length %u",
		   describe(&io), len))
		goto out;
	for (i = 0; i < len / 8; i++)
		S->luns[S->nluns++] = lun_from_entry(d + 8 + 8 * i);
	qsort(S->luns, S->nluns, sizeof(S->luns[0]), cmp_uint);
	luns_str(got, sizeof(got), S->luns, S->nluns);
	info("REPORT LUNS: %u LUN(s): %s, resid %u", S->nluns, got,
	     io.res.resid);
	if (S->o->expect_luns)
		check(expect_luns_match(want, sizeof(want)),
		      "REPORT LUNS lists the expected LUNs", "got %s, want %s",
		      got, want);
out:
	free(d);
}

/* What a wrong block holds: its LBA and seed words, or poison/zeros. */
static const char *what_block(const uint8_t *b, uint32_t bsz)
{
	static char buf[96];
	uint32_t i, zero = 0, poison = 0;

	for (i = 0; i < bsz; i++) {
		zero += b[i] == 0;
		poison += b[i] == 0xee;
	}
	if (zero == bsz)
		return "zeros (never written)";
	if (poison == bsz)
		return "poison (device wrote nothing)";
	snprintf(buf, sizeof(buf), "block says LBA %llu seed %#llx",
		 (unsigned long long)get_le64(b),
		 (unsigned long long)get_le64(b + 8));
	return buf;
}

/* ---- data ------------------------------------------------------------- */

static int lun_index(unsigned int lun)
{
	unsigned int i;

	for (i = 0; i < S->nluns; i++)
		if (S->luns[i] == lun && S->have_cap[i])
			return (int)i;
	return -1;
}

/*
 * WRITE then READ blocks at lba with the given CDB size and layouts and
 * compare.  Returns true if the data came back; fills why on failure.
 */
static bool write_read(unsigned int lun, unsigned int bits, uint64_t lba,
		       uint32_t blocks, uint64_t seed,
		       const struct layout *wl, const struct layout *rl,
		       char *why, size_t wsz)
{
	int idx = lun_index(lun);
	uint32_t bsz = S->bsz[idx], len = blocks * bsz;
	uint8_t *buf = malloc(len), *rd = malloc(len);
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	struct scsi_io io;
	bool ok = false;
	long bad;

	if (!buf || !rd) {
		snprintf(why, wsz, "out of memory");
		goto out;
	}
	pattern_fill(buf, lba, blocks, bsz, seed);
	cdb_rw(cdb, true, bits, lba, blocks);
	if (run(lun, cdb, bits, buf, len, NULL, 0, wl, &io)) {
		snprintf(why, wsz, "WRITE did not complete");
		goto out;
	}
	if (!good(&io) || io.res.resid) {
		snprintf(why, wsz, "WRITE: %s", describe(&io));
		goto out;
	}
	cdb_rw(cdb, false, bits, lba, blocks);
	if (run(lun, cdb, bits, NULL, 0, rd, len, rl, &io)) {
		snprintf(why, wsz, "READ did not complete");
		goto out;
	}
	if (!good(&io) || io.res.resid) {
		snprintf(why, wsz, "READ: %s", describe(&io));
		goto out;
	}
	bad = pattern_check(rd, lba, blocks, bsz, seed);
	if (bad >= 0) {
		snprintf(why, wsz, "data differs at byte %ld (LBA %llu, "
			 "seed %#llx): got %#04x want %#04x; %s", bad,
			 (unsigned long long)(lba + (uint64_t)bad / bsz),
			 (unsigned long long)seed, rd[bad], buf[bad],
			 what_block(rd + bad / bsz * bsz, bsz));
		goto out;
	}
	ok = true;
out:
	free(buf);
	free(rd);
	return ok;
}

static void t_rw(unsigned int idx)
{
	unsigned int lun = S->luns[idx];
	uint64_t end = S->blocks[idx] - IO_BLOCKS;
	char what[128], why[256];
	bool ok;

	snprintf(what, sizeof(what), "LUN %u: WRITE(10)/READ(10) %u blocks "
		 "at LBA 1 verified", lun, IO_BLOCKS);
	ok = write_read(lun, 10, 1, IO_BLOCKS, ++S->seed, NULL, NULL, why,
			sizeof(why));
	check(ok, what, "%s", why);
	snprintf(what, sizeof(what), "LUN %u: WRITE(16)/READ(16) %u blocks "
		 "at the last LBAs verified", lun, IO_BLOCKS);
	ok = write_read(lun, 16, end, IO_BLOCKS, ++S->seed, NULL, NULL, why,
			sizeof(why));
	check(ok, what, "%s", why);
	snprintf(what, sizeof(what), "LUN %u: overwrite with a new seed "
		 "reads back the new data", lun);
	ok = write_read(lun, 10, 1, IO_BLOCKS, ++S->seed, NULL, NULL, why,
			sizeof(why));
	check(ok, what, "%s", why);
}

/* ---- buffer layouts ---------------------------------------------------- */

static uint32_t cuts_split_out[] = { 8, 8, 3, 32 };
static uint32_t cuts_split_in[] = { 4, 4, 2, 1, 1, 96 };
static uint32_t cuts_1b_out[VL_REQ_HDR_SIZE + 16];
static uint32_t cuts_1b_in[12 + 1 + 16];

struct layout_test {
	struct layout lay;
	uint32_t bytes;			/* 0: (ring - 2) * 512 */
	bool needs_any_layout, needs_indirect;
	bool extra;			/* only with --extra-layouts */
};

#define CUTS(o, i)	.out_cuts = o, .n_out = sizeof(o) / sizeof(o[0]), \
			.in_cuts = i, .n_in = sizeof(i) / sizeof(i[0])

static struct layout_test layout_tests[] = {
	{ { .name = "standard (header | data | response | data)" }, 4096 },
	{ { .name = "request header in 4 descriptors, response header in 6",
	    CUTS(cuts_split_out, cuts_split_in), .scatter = true }, 4096 },
	{ { .name = "1-byte segments (headers and first 16 data bytes)",
	    CUTS(cuts_1b_out, cuts_1b_in), .scatter = true,
	    .misalign = true }, 512 },
	{ { .name = "1-byte segments via an indirect table",
	    CUTS(cuts_1b_out, cuts_1b_in), .indirect = true,
	    .scatter = true, .misalign = true }, 512, .needs_indirect = true },
	{ { .name = "headers share one descriptor with the data "
	    "(ANY_LAYOUT)" }, 4096, .needs_any_layout = true },
	{ { .name = "indirect table, 8 data segments at odd addresses",
	    .indirect = true, .scatter = true, .even_out = 512,
	    .even_in = 512, .misalign = true }, 4096,
	  .needs_indirect = true },
	{ { .name = "long chain: ring-size descriptors, 512-byte segments",
	    .scatter = true, .even_out = 512, .even_in = 512 }, 0 },
	{ { .name = "long indirect chain: ring-size entries, 512-byte "
	    "segments", .indirect = true, .scatter = true, .even_out = 512,
	    .even_in = 512 }, 0, .needs_indirect = true },
	{ { .name = "1 MiB in one data descriptor" }, MIB },
	{ { .name = "1 MiB in 64 x 16 KiB segments via an indirect table",
	    .indirect = true, .scatter = true, .even_out = 16384,
	    .even_in = 16384 }, MIB, .needs_indirect = true },
	/* --extra-layouts only: 6.12's in-tree vhost_scsi WARNs on it */
	{ { .name = "1 MiB in one data descriptor at an odd guest address",
	    .scatter = true, .misalign = true }, MIB, .extra = true },
};

static void init_cuts(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(cuts_1b_out) / sizeof(cuts_1b_out[0]); i++)
		cuts_1b_out[i] = 1;
	for (i = 0; i < sizeof(cuts_1b_in) / sizeof(cuts_1b_in[0]); i++)
		cuts_1b_in[i] = i == 12 ? 96 : 1;
	for (i = 0; i < sizeof(layout_tests) / sizeof(layout_tests[0]); i++) {
		struct layout *l = &layout_tests[i].lay;

		if (!l->out_cuts && !layout_tests[i].needs_any_layout) {
			l->out_cuts = layout_std.out_cuts;
			l->n_out = 1;
			l->in_cuts = layout_std.in_cuts;
			l->n_in = 1;
		}
	}
}

static bool acked(uint64_t bit)
{
	return S->d.acked & (1ULL << bit);
}

static void t_layout(const struct layout_test *t, unsigned int idx)
{
	unsigned int lun = S->luns[idx];
	uint32_t bsz = S->bsz[idx];
	uint32_t bytes = t->bytes ? t->bytes : (S->o->ring - 2) * 512;
	uint32_t blocks = bytes / bsz;
	char what[160], why[256];
	bool ok;

	if (t->extra && !S->o->extra_layouts)
		return;
	snprintf(what, sizeof(what), "layout: %s: WRITE+READ %u bytes "
		 "verified", t->lay.name, bytes);
	if (t->needs_any_layout && !acked(VIRTIO_F_VERSION_1) &&
	    !acked(VIRTIO_F_ANY_LAYOUT)) {
		info("skipped '%s': neither VERSION_1 nor ANY_LAYOUT", what);
		return;
	}
	if (t->needs_indirect && !acked(VIRTIO_RING_F_INDIRECT_DESC)) {
		info("skipped '%s': INDIRECT_DESC not negotiated", what);
		return;
	}
	if (!blocks || bytes % bsz) {
		info("skipped '%s': block size %u", what, bsz);
		return;
	}
	if (!t->lay.indirect &&
	    layout_descs(&t->lay, bytes, bytes) > S->o->ring) {
		info("skipped '%s': needs %u descriptors, ring has %u", what,
		     layout_descs(&t->lay, bytes, bytes), S->o->ring);
		return;
	}
	if (S->next_lba + blocks > S->blocks[idx])
		S->next_lba = 0;
	ok = write_read(lun, 10, S->next_lba, blocks, ++S->seed, &t->lay,
			&t->lay, why, sizeof(why));
	if (ok)	/* read back once more with the plain layout */
		ok = write_read(lun, 10, S->next_lba, blocks, ++S->seed,
				&t->lay, &layout_std, why, sizeof(why));
	check(ok, what, "%s", why);
	S->next_lba += blocks;
}

/* ---- residuals and errors ----------------------------------------------- */

static void t_residual(unsigned int idx)
{
	unsigned int lun = S->luns[idx];
	uint32_t bsz = S->bsz[idx];
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE], *buf = calloc(IO_BLOCKS + 1, bsz);
	struct scsi_io io;
	uint64_t seed = ++S->seed;
	char why[256];

	if (!buf)
		return;
	if (!write_read(lun, 10, 100, IO_BLOCKS, seed, NULL, NULL, why,
			sizeof(why))) {
		check(false, "residual: setup write", "%s", why);
		goto out;
	}
	cdb_rw(cdb, false, 10, 100, IO_BLOCKS);
	if (run(lun, cdb, 10, NULL, 0, buf, (IO_BLOCKS + 1) * bsz, NULL, &io))
		goto out;
	check(io.res.response == VIRTIO_SCSI_S_OK && io.res.resid == bsz,
	      "READ into a buffer one block longer than the transfer: "
	      "resid = one block", "%s", describe(&io));
	info("READ of %u blocks into a %u-block buffer (LUN %u): %s, data %s",
	     IO_BLOCKS, IO_BLOCKS + 1, lun, describe(&io),
	     pattern_check(buf, 100, IO_BLOCKS, bsz, seed) < 0 ? "intact" :
	     "NOT intact");
	cdb_rw(cdb, false, 10, 100, IO_BLOCKS);
	if (run(lun, cdb, 10, NULL, 0, buf, (IO_BLOCKS / 2) * bsz, NULL, &io))
		goto out;
	check(io.done, "READ into a buffer half the transfer length completes",
	      "no completion");
	info("READ of %u blocks into a %u-block buffer (LUN %u): %s",
	     IO_BLOCKS, IO_BLOCKS / 2, lun, describe(&io));
	cdb_rw(cdb, true, 10, 200, IO_BLOCKS);
	if (run(lun, cdb, 10, buf, (IO_BLOCKS / 2) * bsz, NULL, 0, NULL, &io))
		goto out;
	check(io.done, "WRITE with half the data the CDB announces completes",
	      "no completion");
	info("WRITE of %u blocks with %u blocks of data (LUN %u): %s",
	     IO_BLOCKS, IO_BLOCKS / 2, lun, describe(&io));
out:
	free(buf);
}

static void t_errors(unsigned int idx)
{
	unsigned int lun = S->luns[idx];
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE] = { 0xc7 };
	struct scsi_io io;
	uint8_t d[4096];

	if (!run(lun, cdb, 10, NULL, 0, NULL, 0, NULL, &io))
		check(check_cond(&io, 0x5, 0x20) && io.res.sense_len >= 14,
		      "unsupported opcode 0xc7: CHECK CONDITION, ILLEGAL "
		      "REQUEST, INVALID COMMAND OPERATION CODE",
		      "%s", describe(&io));
	if (io.res.sense_len)
		info("sense_len %u for a CHECK CONDITION (sense[0] %#04x)",
		     io.res.sense_len, io.res.sense[0]);
	cdb_rw(cdb, false, 10, S->blocks[idx], 1);
	if (run(lun, cdb, 10, NULL, 0, d, S->bsz[idx], NULL, &io))
		return;
	check(check_cond(&io, 0x5, 0x21), "READ(10) past the last LBA: "
	      "CHECK CONDITION, ILLEGAL REQUEST, LBA OUT OF RANGE", "%s",
	      describe(&io));
	info("used.len for a %u-byte READ answered CHECK CONDITION (no data "
	     "transferred, resid %u): %u", S->bsz[idx], io.res.resid,
	     io.res.used_len);
}

/* Errors the device signalled on VHOST_SET_VRING_ERR since the last call. */
static uint64_t err_delta(void)
{
	static uint64_t last;
	uint64_t now = gvq_err_events(vdev_reqq(&S->d, 0)), d = now - last;

	last = now;
	return d;
}

static void t_bad_address(void)
{
	uint8_t cdb[6] = { 0x00 }, lunb[8];
	unsigned int bad_tgt = (S->o->target + 0x80) & 0xff;
	struct scsi_io io;
	char what[160];

	err_delta();
	vl_lun(lunb, bad_tgt, S->o->lun);
	snprintf(what, sizeof(what), "TEST UNIT READY to target %u (no such "
		 "TPG): response %d", bad_tgt, S->o->bad_target_resp);
	if (!run_raw(0, lunb, cdb, 6, NULL, 0, NULL, 0, NULL, &io))
		check(io.res.response == S->o->bad_target_resp, what, "%s",
		      describe(&io));
	info("bad target byte: %llu VHOST_SET_VRING_ERR signal(s)",
	     (unsigned long long)err_delta());
	vl_lun(lunb, S->o->target, S->o->lun);
	lunb[0] = 2;
	snprintf(what, sizeof(what), "TEST UNIT READY with lun[0] = 2 (not "
		 "1): response %d", S->o->bad_target_resp);
	if (!run_raw(0, lunb, cdb, 6, NULL, 0, NULL, 0, NULL, &io))
		check(io.res.response == S->o->bad_target_resp, what, "%s",
		      describe(&io));
	info("lun[0] = 2: %llu VHOST_SET_VRING_ERR signal(s)",
	     (unsigned long long)err_delta());
}

static unsigned int unused_lun(void)
{
	unsigned int l = 0, i;

	for (i = 0; i < S->nluns; i++)
		if (S->luns[i] >= l)
			l = S->luns[i] + 1;
	return l < 16384 ? l : 16383;
}

static void t_unknown_lun(void)
{
	unsigned int lun = unused_lun();
	uint8_t tur[6] = { 0x00 }, inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t rd[VIRTIO_SCSI_CDB_SIZE], d[512];
	struct scsi_io io;
	char what[160];
	bool ok;

	if (!run(lun, inq, 6, NULL, 0, d, 96, NULL, &io))
		info("INQUIRY to unmapped LUN %u: %s, byte0 %#04x", lun,
		     describe(&io), good(&io) ? d[0] : 0);
	cdb_rw(rd, false, 10, 0, 1);
	if (S->o->unknown_lun_bad_target)
		snprintf(what, sizeof(what), "TEST UNIT READY and READ to "
			 "unmapped LUN %u: response BAD_TARGET", lun);
	else
		snprintf(what, sizeof(what), "TEST UNIT READY and READ to "
			 "unmapped LUN %u: CHECK CONDITION, ILLEGAL REQUEST, "
			 "LOGICAL UNIT NOT SUPPORTED", lun);
	if (run(lun, tur, 6, NULL, 0, NULL, 0, NULL, &io))
		return;
	ok = S->o->unknown_lun_bad_target ?
	     io.res.response == VIRTIO_SCSI_S_BAD_TARGET :
	     check_cond(&io, 0x5, 0x25);
	if (!ok) {
		check(false, what, "TEST UNIT READY: %s", describe(&io));
		return;
	}
	if (run(lun, rd, 10, NULL, 0, d, 512, NULL, &io))
		return;
	ok = S->o->unknown_lun_bad_target ?
	     io.res.response == VIRTIO_SCSI_S_BAD_TARGET :
	     check_cond(&io, 0x5, 0x25);
	check(ok, what, "READ: %s", describe(&io));
}

/* ---- control and event queues -------------------------------------------- */

static int tmf(unsigned int subtype, unsigned int lun, uint64_t tag,
	       uint8_t *response)
{
	uint8_t req[sizeof(struct virtio_scsi_ctrl_tmf_req)], resp[1];
	int ret;

	memset(req, 0, sizeof(req));
	put_le32(req, VIRTIO_SCSI_T_TMF);
	put_le32(req + 4, subtype);
	vl_lun(req + 8, S->o->target, lun);
	put_le64(req + 16, tag);
	ret = ctrl_exec(&S->d, req, sizeof(req), resp, sizeof(resp));
	*response = resp[0];
	return ret;
}

/* Each returns false if the control queue cannot be used any more. */
static bool t_lun_reset(void)
{
	unsigned int lun = S->o->lun;
	uint8_t r;
	int ret, ua;

	ret = tmf(VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, lun, 0, &r);
	if (!check(!ret && (r == VIRTIO_SCSI_S_OK ||
			    r == VIRTIO_SCSI_S_FUNCTION_SUCCEEDED),
		   "TMF LOGICAL UNIT RESET on the control queue: "
		   "FUNCTION COMPLETE or SUCCEEDED",
		   "%s", ret ? strerror(-ret) : resp_name(r)))
		if (ret == -ETIMEDOUT)
			return false;
	info("LOGICAL UNIT RESET answered %u (%s)", r, resp_name(r));
	ua = tur_good(lun, "after LUN reset");
	check(ua >= 0, "TEST UNIT READY is GOOD after the LUN reset",
	      "never GOOD");
	return true;
}

static bool t_abort_task(void)
{
	uint8_t r;
	int ret;

	ret = tmf(VIRTIO_SCSI_T_TMF_ABORT_TASK, S->o->lun, 0xdead, &r);
	if (!check(!ret, "TMF ABORT TASK (unknown tag) is answered", "%s",
		   strerror(-ret)))
		return false;
	info("ABORT TASK of an unknown tag answered %u (%s)", r,
	     resp_name(r));
	return true;
}

static void t_nexus_reset(void)
{
	unsigned int lun = S->o->lun;
	uint8_t r;
	int ret, ua;

	ret = tmf(VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, lun, 0, &r);
	if (!check(!ret, "TMF I_T NEXUS RESET is answered", "%s",
		   strerror(-ret)))
		return;
	info("I_T NEXUS RESET answered %u (%s)", r, resp_name(r));
	ua = tur_good(lun, "after I_T nexus reset");
	check(ua >= 0, "TEST UNIT READY is GOOD after the I_T nexus reset",
	      "never GOOD");
}

static void t_tmf(void)
{
	if (step("lun-reset") && !t_lun_reset())
		return;
	if (step("abort-task") && !t_abort_task())
		return;
	if (step("nexus-reset"))
		t_nexus_reset();
}

static void t_an(uint32_t type, const char *name)
{
	uint8_t req[sizeof(struct virtio_scsi_ctrl_an_req)];
	uint8_t resp[sizeof(struct virtio_scsi_ctrl_an_resp)];
	char what[96];
	int ret;

	memset(req, 0, sizeof(req));
	put_le32(req, type);
	vl_lun(req + 4, S->o->target, S->o->lun);
	put_le32(req + 12, 0x7e);	/* every event class but vendor */
	ret = ctrl_exec(&S->d, req, sizeof(req), resp, sizeof(resp));
	snprintf(what, sizeof(what), "control queue %s is answered", name);
	if (check(!ret, what, "%s", strerror(-ret)))
		info("%s answered response %u (%s), event_actual %#x", name,
		     resp[4], resp_name(resp[4]), get_le32(resp));
}

static void t_events(void)
{
	struct gvq *vq = &S->d.vq[1];
	void *cookie;
	int n = 0;

	while (gvq_get_used(vq, &cookie, NULL) > 0) {
		const uint8_t *e = cookie;

		info("event: %#x lun %02x%02x%02x%02x reason %u",
		     get_le32(e), e[4], e[5], e[6], e[7], get_le32(e + 12));
		n++;
	}
	check(n == 0, "event queue: no event arrived (nothing happened)",
	      "%d event(s)", n);
}

/* ---- dirty logging (VHOST_F_LOG_ALL) -------------------------------------- */

/* Bits set in the dirty log for the pages of an arena. */
static unsigned int log_bits(const uint8_t *log, const struct arena *a)
{
	uint64_t p, first = (a->r->gpa + a->start) / 4096;
	uint64_t last = (a->r->gpa + a->end - 1) / 4096;
	unsigned int n = 0;

	for (p = first; p <= last; p++)
		n += (log[p / 8] >> (p % 8)) & 1;
	return n;
}

/*
 * Switch logging on as QEMU does for a migration, then: a WRITE (the
 * device only reads its buffers) must leave the request arena unlogged,
 * a READ of 16 pages must log at least those 16 pages of the response
 * arena, and both must log the used rings (in the ring arena).  Then
 * logging goes off again.  A device that does not offer VHOST_F_LOG_ALL
 * is not checked.
 */
static void t_dirty_log(unsigned int idx)
{
	const struct gmem *m = &S->d.mem;
	unsigned int lun = S->luns[idx], blocks = 65536 / S->bsz[idx];
	uint64_t bytes = vdev_log_bytes(&S->d), lba = 3000, seed = ++S->seed;
	uint8_t *log = calloc(1, bytes), *buf = malloc(65536);
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	struct scsi_io io;
	int ret;

	if (!(S->d.offered & (1ULL << VHOST_F_LOG_ALL))) {
		info("VHOST_F_LOG_ALL not offered: dirty logging not checked");
		goto out;
	}
	if (!log || !buf)
		goto out;
	if (lba + blocks > S->blocks[idx])
		lba = 0;
	ret = vdev_set_log(&S->d, log, true);
	if (!check(!ret, "dirty log on (LOG_BASE, LOG_ALL, VRING_F_LOG)",
		   "%s", strerror(-ret)))
		goto out;

	memset(log, 0, bytes);
	pattern_fill(buf, lba, blocks, S->bsz[idx], seed);
	cdb_rw(cdb, true, 10, lba, blocks);
	if (!run(lun, cdb, 10, buf, 65536, NULL, 0, NULL, &io))
		check(good(&io), "dirty log: 64 KiB WRITE", "%s", describe(&io));
	check(log_bits(log, &m->data[0]) == 0,
	      "dirty log: a WRITE's buffers (device-readable) are not logged",
	      "%u page(s) of the request arena logged",
	      log_bits(log, &m->data[0]));
	check(log_bits(log, &m->perm) > 0, "dirty log: the used ring is logged",
	      "no page of the ring arena logged");

	memset(log, 0, bytes);
	memset(buf, 0, 65536);
	cdb_rw(cdb, false, 10, lba, blocks);
	if (!run(lun, cdb, 10, NULL, 0, buf, 65536, NULL, &io))
		check(good(&io) && pattern_check(buf, lba, blocks, S->bsz[idx],
						 seed) < 0,
		      "dirty log: 64 KiB READ, data intact", "%s",
		      describe(&io));
	check(log_bits(log, &m->data[1]) >= 16,
	      "dirty log: a READ's 16 data pages are logged",
	      "%u page(s) of the response arena logged",
	      log_bits(log, &m->data[1]));
	check(log_bits(log, &m->perm) > 0,
	      "dirty log: the used ring is logged again",
	      "no page of the ring arena logged");
	info("dirty log after a 64 KiB READ: %u response-arena page(s), %u "
	     "ring-arena page(s)", log_bits(log, &m->data[1]),
	     log_bits(log, &m->perm));

	ret = vdev_set_log(&S->d, log, false);
	check(!ret, "dirty log off (features and vrings without it)", "%s",
	      strerror(-ret));
out:
	free(log);
	free(buf);
}

/* ---- several commands in flight, every request queue --------------------- */

static void t_concurrent(unsigned int idx)
{
	unsigned int lun = S->luns[idx], q, i, n;
	uint32_t bsz = S->bsz[idx], per = 4096 / bsz ? 4096 / bsz : 1;
	unsigned int depth = S->o->ring / 4 < 32 ? S->o->ring / 4 : 32;
	struct gmem_mark mark = gmem_mark(&S->d.mem);
	struct scsi_io *io = calloc((size_t)S->o->queues * depth, sizeof(*io));
	uint8_t *buf = malloc((size_t)S->o->queues * depth * per * bsz);
	uint64_t seed = ++S->seed, base = 1000;
	int64_t dl = now_ns() + (int64_t)S->o->timeout_ms * 1000000;
	bool ok = true;
	char what[160], why[256] = "";
	int pass, ret = 0;

	if (!io || !buf || depth == 0)
		goto out;
	if (base + (uint64_t)S->o->queues * depth * per > S->blocks[idx])
		base = 0;
	n = S->o->queues * depth;
	for (pass = 0; pass < 2 && ok; pass++) {
		for (i = 0; i < n; i++) {
			uint64_t lba = base + (uint64_t)i * per;
			uint8_t *b = buf + (size_t)i * per * bsz;

			memset(&io[i], 0, sizeof(io[i]));
			vl_lun(io[i].lun, S->o->target, lun);
			io[i].tag = ++S->tag;
			cdb_rw(io[i].cdb, pass == 0, 10, lba, per);
			if (pass == 0) {
				pattern_fill(b, lba, per, bsz, seed);
				io[i].dout = b;
				io[i].dout_len = per * bsz;
			} else {
				memset(b, 0, (size_t)per * bsz);
				io[i].din = b;
				io[i].din_len = per * bsz;
			}
			q = i % S->o->queues;
			ret = scsi_submit(&S->d, vdev_reqq(&S->d, q), &io[i],
					  &layout_std);
			if (ret)
				break;
		}
		for (q = 0; q < S->o->queues; q++)
			gvq_kick(vdev_reqq(&S->d, q));
		for (i = 0; ret >= 0 && i < n; i++) {
			q = i % S->o->queues;
			while (!io[i].done && ret >= 0)
				ret = scsi_reap(vdev_reqq(&S->d, q), dl);
			if (ret >= 0 && ok &&
			    (!good(&io[i]) || io[i].res.resid)) {
				snprintf(why, sizeof(why), "%s %u on queue "
					 "%u: %s", pass ? "READ" : "WRITE", i,
					 q, describe(&io[i]));
				ok = false;
			}
		}
		if (ret < 0 && ok)
			snprintf(why, sizeof(why), "%s", strerror(-ret));
		ok = ok && ret >= 0;
		if (ret < 0)	/* requests may be in flight: io[] stays */
			break;
	}
	for (i = 0; ok && i < n; i++) {
		long bad = pattern_check(buf + (size_t)i * per * bsz,
					 base + (uint64_t)i * per, per, bsz,
					 seed);

		if (bad >= 0) {
			snprintf(why, sizeof(why), "READ %u (queue %u, LBA "
				 "%llu, seed %#llx): data differs at byte %ld; "
				 "%s", i, i % S->o->queues,
				 (unsigned long long)(base + (uint64_t)i * per),
				 (unsigned long long)seed, bad,
				 what_block(buf + (size_t)i * per * bsz +
					    bad / bsz * bsz, bsz));
			ok = false;
		}
	}
	snprintf(what, sizeof(what), "%u WRITEs then %u READs in flight at "
		 "once over %u request queue(s), data verified", n, n,
		 S->o->queues);
	check(ok, what, "%s", why);
	if (ret < 0)	/* requests in flight on our buffers: stop here */
		finish_and_exit(1);
	gmem_release(&S->d.mem, mark);
out:
	free(io);
	free(buf);
}

static void t_each_queue(unsigned int idx)
{
	unsigned int q;
	char why[256] = "";
	bool ok = true;

	for (q = 0; q < S->o->queues && ok; q++) {
		uint8_t cdb[6] = { 0x00 }, lunb[8];
		struct scsi_io io;

		vl_lun(lunb, S->o->target, S->luns[idx]);
		if (run_raw(q, lunb, cdb, 6, NULL, 0, NULL, 0, NULL, &io) ||
		    !good(&io)) {
			snprintf(why, sizeof(why), "queue %u: %s", q,
				 describe(&io));
			ok = false;
		}
	}
	check(ok, "TEST UNIT READY answered GOOD on every request queue",
	      "%s", why);
}

/* ---- endpoint probes and teardown ---------------------------------------- */

static void t_stop(void)
{
	int bases[VL_FIRST_REQ_VQ + VL_MAX_REQ_QUEUES];
	uint16_t want[VL_FIRST_REQ_VQ + VL_MAX_REQ_QUEUES];
	unsigned int i, n = S->d.nvqs;
	char why[512] = "";
	size_t off = 0;

	for (i = 0; i < n; i++)
		want[i] = i == 1 ? gvq_used_idx(&S->d.vq[1]) :
			  S->d.vq[i].avail_idx;
	vdev_stop_bases(&S->d, report, bases);
	for (i = 0; i < n && off < sizeof(why); i++)
		off += snprintf(why + off, sizeof(why) - off, " %d", bases[i]);
	info("VHOST_GET_VRING_BASE per vq:%s", why);
	off = 0;
	for (i = 0; i < n; i++)
		if (bases[i] != want[i] && off < sizeof(why))
			off += snprintf(why + off, sizeof(why) - off,
					"vq %u: base %d, want %u; ", i,
					bases[i], want[i]);
	check(off == 0, "VHOST_GET_VRING_BASE: every request taken, no event "
	      "buffer consumed", "%s", why);
}

/* Before the real SET_ENDPOINT: a WWPN nobody configured must fail. */
static int probe_unknown_wwpn(struct vdev *d)
{
	return vdev_set_endpoint(d, "naa.5001405fffffffff", d->o->target);
}

static void t_endpoint_probes(int unknown)
{
	int ret;

	check(unknown < 0, "VHOST_SCSI_SET_ENDPOINT with an unknown WWPN "
	      "fails", "it succeeded");
	if (unknown < 0)
		info("SET_ENDPOINT with an unknown WWPN: %s", strerror(-unknown));
	ret = vdev_set_endpoint(&S->d, S->o->wwpn, S->o->target);
	info("a second SET_ENDPOINT with the same WWPN: %s",
	     ret ? strerror(-ret) : "succeeded");
}

int run_suite(const struct vl_opts *o)
{
	static struct suite s;
	unsigned int i;
	int idx, unknown;

	S = &s;
	s.o = o;
	s.t.o = o;
	s.t.mode = "suite";
	s.seed = (uint64_t)now_ns();
	init_cuts();
	if (vdev_setup(&s.d, o, report)) {
		vdev_stop(&s.d, report);
		finish_and_exit(1);
	}
	unknown = probe_unknown_wwpn(&s.d);
	if (vdev_attach(&s.d, report)) {
		vdev_stop(&s.d, report);
		finish_and_exit(1);
	}
	t_endpoint_probes(unknown);
	info("features offered %#llx, acked %#llx",
	     (unsigned long long)s.d.offered, (unsigned long long)s.d.acked);
	if (vdev_post_events(&s.d))
		check(false, "post event buffers", "out of ring space");
	t_report_luns();
	if (!s.nluns)
		finish_and_exit(1);
	for (i = 0; i < s.nluns; i++) {
		t_inquiry(s.luns[i]);
		t_tur(s.luns[i]);
		t_capacity(i);
	}
	if (step("vpd"))
		t_vpd(o->lun);
	if (step("rw"))
		for (i = 0; i < s.nluns; i++)
			if (s.have_cap[i])
				t_rw(i);
	idx = lun_index(o->lun);
	if (!check(idx >= 0, "the LUN under test (--lun) is reported and "
		   "sized", "LUN %u", o->lun))
		goto stop;
	if (step("layouts"))
		for (i = 0; i < sizeof(layout_tests) / sizeof(layout_tests[0]);
		     i++)
			t_layout(&layout_tests[i], (unsigned int)idx);
	if (step("residual"))
		t_residual((unsigned int)idx);
	if (step("errors"))
		t_errors((unsigned int)idx);
	if (step("bad-address"))
		t_bad_address();
	if (step("unknown-lun"))
		t_unknown_lun();
	if (step("each-queue"))
		t_each_queue((unsigned int)idx);
	if (step("concurrent"))
		t_concurrent((unsigned int)idx);
	t_tmf();
	if (step("an")) {
		t_an(VIRTIO_SCSI_T_AN_QUERY, "AN QUERY");
		t_an(VIRTIO_SCSI_T_AN_SUBSCRIBE, "AN SUBSCRIBE");
	}
	if (step("events"))
		t_events();
	if (step("dirty-log"))
		t_dirty_log((unsigned int)idx);
stop:
	t_stop();
	finish_and_exit(s.t.fail ? 1 : 0);
	return 0;
}
