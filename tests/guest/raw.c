// SPDX-License-Identifier: GPL-2.0
/*
 * One raw CDB, and one parseable line about its answer: the differential
 * test against LIO's loopback fabric (tests/vm/58-tcmloop-diff.sh) sends
 * the same CDB with the same buffers through a vhost-scsi device (mode
 * "raw") and through SG_IO on a tcm_loop /dev/sgN (mode "sgio"), and
 * compares the two lines.  sg_raw is no help there: it prints no residual
 * for data-out or no-data commands.
 *
 *   RESULT transport=T status=0xSS sense=HEX|- resid=N data=N/CRC|- [used=N]
 *
 * transport: "ok" for virtio-scsi response VIRTIO_SCSI_S_OK, or SG_IO's
 * host and driver status both 0 (the two say the same thing: the command
 * reached the target and has a SCSI status); otherwise "resp:NAME" or
 * "host:0xHH,driver:0xHH".  sense: the bytes the sense data says it has
 * (8 + ADDITIONAL SENSE LENGTH, at most what was returned): vhost-scsi
 * returns the whole 96-byte buffer, SG_IO that many.  data: for GOOD
 * data-in, the bytes the target returned (buffer less residual) and a CRC
 * of them.  used: (raw only) the data-in bytes the used ring reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <scsi/sg.h>

#include "vl-guest.h"

#define RAW_MAX_DATA	(1U << 20)
#define RAW_SENSE_MAX	96

struct raw_cmd {
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	unsigned int cdb_len;
	uint8_t *dout;
	uint32_t dout_len;
	uint8_t *din;
	uint32_t din_len;
};

struct raw_answer {
	char transport[48];
	uint8_t status;
	uint8_t sense[RAW_SENSE_MAX];
	uint32_t sense_len;
	uint32_t resid;
	long used;			/* -1: not reported */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits (spaces and colons ignored) into @out; -1 if malformed. */
static long parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		v = hexval(*s);
		if (v < 0 || (hi < 0 && n >= max))
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (long)n : -1;
}

/*
 * A data-out spec: comma-separated items, each either COUNTxBB (COUNT
 * bytes of the hex byte BB) or hex bytes.  Returns the length, or -1.
 */
static long parse_dout(const char *spec, uint8_t *out, size_t max)
{
	char item[4096], *x, *end;
	size_t n = 0, l;
	unsigned long cnt;
	long h;

	while (*spec) {
		l = strcspn(spec, ",");
		if (!l || l >= sizeof(item))
			return -1;
		memcpy(item, spec, l);
		item[l] = 0;
		spec += l + (spec[l] == ',');
		x = strchr(item, 'x');
		if (x) {
			cnt = strtoul(item, &end, 10);
			if (end != x || strlen(x + 1) != 2 ||
			    parse_hex(x + 1, out + n, 1) != 1 || cnt > max - n)
				return -1;
			memset(out + n, out[n], cnt);
			n += cnt;
		} else {
			h = parse_hex(item, out + n, max - n);
			if (h < 0)
				return -1;
			n += (size_t)h;
		}
	}
	return (long)n;
}

static void raw_free(struct raw_cmd *c)
{
	free(c->dout);
	free(c->din);
	c->dout = c->din = NULL;
}

/* A command from its CDB, data-out spec (or NULL) and data-in length. */
static int raw_prepare(struct raw_cmd *c, const char *cdb, const char *dout,
		       uint32_t din)
{
	long n;

	memset(c, 0, sizeof(*c));
	n = cdb ? parse_hex(cdb, c->cdb, sizeof(c->cdb)) : -1;
	if (n < 6) {
		fprintf(stderr, "vl-guest: CDB '%s': 6 to %zu hex bytes\n",
			cdb ? cdb : "", sizeof(c->cdb));
		return -1;
	}
	c->cdb_len = (unsigned int)n;
	if (dout && *dout) {
		c->dout = calloc(1, RAW_MAX_DATA);
		n = c->dout ? parse_dout(dout, c->dout, RAW_MAX_DATA) : -1;
		if (n < 0) {
			fprintf(stderr, "vl-guest: bad data-out '%s'\n", dout);
			raw_free(c);
			return -1;
		}
		c->dout_len = (uint32_t)n;
	}
	c->din_len = din;
	if (c->din_len) {
		c->din = malloc(c->din_len);
		if (!c->din) {
			raw_free(c);
			return -1;
		}
		memset(c->din, 0xee, c->din_len);
	}
	if (c->dout_len && c->din_len) {
		fprintf(stderr, "vl-guest: data-out or data-in, not both\n");
		raw_free(c);
		return -1;
	}
	return 0;
}

/* CRC-32 (IEEE), bitwise: a few KiB per run. */
static uint32_t crc32_ieee(const uint8_t *p, uint32_t n)
{
	uint32_t crc = ~0U;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static void raw_print(const struct raw_cmd *c, const struct raw_answer *a)
{
	uint32_t n = 0, i, got;

	printf("RESULT transport=%s status=0x%02x sense=", a->transport,
	       a->status);
	if (a->sense_len >= 8) {
		n = 8 + a->sense[7];
		if (n > a->sense_len)
			n = a->sense_len;
	}
	for (i = 0; i < n; i++)
		printf("%02x", a->sense[i]);
	printf("%s resid=%u data=", n ? "" : "-", a->resid);
	if (c->din_len && a->status == 0 && !strcmp(a->transport, "ok")) {
		got = c->din_len - (a->resid < c->din_len ? a->resid : c->din_len);
		printf("%u/%08x", got, crc32_ieee(c->din, got));
	} else {
		printf("-");
	}
	if (a->used >= 0)
		printf(" used=%ld", a->used);
	printf("\n");
}

static void raw_report(bool ok, const char *what, const char *detail)
{
	if (!ok)
		fprintf(stderr, "vl-guest raw: %s failed: %s\n", what,
			detail ? detail : "");
}

/* Through a vhost-scsi device, as a virtio-scsi guest sends it. */
static int raw_vhost(struct vdev *d, const struct vl_opts *o,
		     struct raw_cmd *c, struct raw_answer *a)
{
	static uint64_t tag;
	struct scsi_io io;
	int ret;

	memset(&io, 0, sizeof(io));
	vl_lun(io.lun, o->target, o->lun);
	io.tag = ++tag;
	memcpy(io.cdb, c->cdb, c->cdb_len);
	io.dout = c->dout;
	io.dout_len = c->dout_len;
	io.din = c->din;
	io.din_len = c->din_len;
	ret = scsi_exec(d, vdev_reqq(d, 0), &io, &layout_std);
	if (ret) {
		fprintf(stderr, "vl-guest raw: no answer: %s\n", strerror(-ret));
		return -1;
	}
	if (io.res.response == VIRTIO_SCSI_S_OK)
		snprintf(a->transport, sizeof(a->transport), "ok");
	else
		snprintf(a->transport, sizeof(a->transport), "resp:%s",
			 resp_name(io.res.response));
	a->status = io.res.status;
	a->sense_len = io.res.sense_len < RAW_SENSE_MAX ? io.res.sense_len :
		       RAW_SENSE_MAX;
	memcpy(a->sense, io.res.sense, a->sense_len);
	a->resid = io.res.resid;
	a->used = io.res.used_len >= VL_RESP_HDR_SIZE ?
		  (long)(io.res.used_len - VL_RESP_HDR_SIZE) : 0;
	return 0;
}

/* Through SG_IO on a SCSI generic device (a tcm_loop LUN's /dev/sgN). */
static int raw_sgio(int fd, const struct vl_opts *o, struct raw_cmd *c,
		    struct raw_answer *a)
{
	struct sg_io_hdr h;

	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmdp = c->cdb;
	h.cmd_len = (unsigned char)c->cdb_len;
	h.sbp = a->sense;
	h.mx_sb_len = RAW_SENSE_MAX;
	h.timeout = o->timeout_ms;
	h.dxfer_direction = SG_DXFER_NONE;
	if (c->dout_len) {
		h.dxfer_direction = SG_DXFER_TO_DEV;
		h.dxferp = c->dout;
		h.dxfer_len = c->dout_len;
	} else if (c->din_len) {
		h.dxfer_direction = SG_DXFER_FROM_DEV;
		h.dxferp = c->din;
		h.dxfer_len = c->din_len;
	}
	if (ioctl(fd, SG_IO, &h) < 0) {
		fprintf(stderr, "vl-guest sgio: SG_IO: %s\n", strerror(errno));
		return -1;
	}
	/* DRIVER_SENSE (0x08) only says sense is there, as sb_len_wr does. */
	if (!h.host_status && !(h.driver_status & ~0x08))
		snprintf(a->transport, sizeof(a->transport), "ok");
	else
		snprintf(a->transport, sizeof(a->transport),
			 "host:0x%02x,driver:0x%02x", h.host_status,
			 h.driver_status);
	a->status = h.status;
	a->sense_len = h.sb_len_wr;
	a->resid = (uint32_t)h.resid;
	a->used = -1;
	return 0;
}

/* The next command of a --cmds file: NAME|CDB|DATA-OUT|DATA-IN|FLAGS. */
static int raw_next(FILE *f, struct raw_cmd *c, bool *eof)
{
	char line[8192], *fld[5], *p = line;
	unsigned long din;
	unsigned int i;

	*eof = !fgets(line, sizeof(line), f);
	if (*eof)
		return 0;
	line[strcspn(line, "\n")] = 0;
	for (i = 0; i < 5; i++) {
		fld[i] = p;
		p += strcspn(p, "|");
		if (*p)
			*p++ = 0;
	}
	din = strtoul(fld[3], NULL, 10);
	if (din > RAW_MAX_DATA)
		return -1;
	return raw_prepare(c, fld[1], fld[2], (uint32_t)din);
}

/**
 * run_rawcdb() - send raw CDBs, print a RESULT line each (raw and sgio)
 * @o: options: --cdb with --dout or --din, or --cmds FILE (a line per
 *     command: NAME|CDB|DATA-OUT|DATA-IN|FLAGS); for raw the vhost
 *     device, WWPN, target and LUN; for sgio --dev is the /dev/sgN
 * @sgio: through SG_IO, else through the vhost-scsi device
 *
 * A command that cannot be sent prints "RESULT ERROR" (the lines stay
 * aligned with the file's); one the vhost device does not answer ends
 * the run (the device owns its buffers).
 *
 * Return: the exit status: 0 if every command was answered, 1 if not, 2
 * for bad options.
 */
int run_rawcdb(const struct vl_opts *o, bool sgio)
{
	static struct vdev d;
	FILE *f = NULL;
	struct raw_answer a;
	struct raw_cmd c;
	int fd = -1, ret = 0, r;
	bool eof = false;

	if (o->raw_cmds) {
		f = fopen(o->raw_cmds, "r");
		if (!f) {
			fprintf(stderr, "vl-guest: %s: %s\n", o->raw_cmds,
				strerror(errno));
			return 2;
		}
	} else if (raw_prepare(&c, o->raw_cdb, o->raw_dout, o->raw_din)) {
		return 2;
	}
	if (sgio) {
		fd = open(o->dev, O_RDWR);
		if (fd < 0)
			fprintf(stderr, "vl-guest sgio: %s: %s\n", o->dev,
				strerror(errno));
	} else if (vdev_start(&d, o, raw_report)) {
		vdev_stop(&d, raw_report);
		fd = -1;
	} else {
		fd = 0;
	}
	if (fd < 0) {
		if (f)
			fclose(f);
		else
			raw_free(&c);
		return 1;
	}
	for (;;) {
		if (f) {
			r = raw_next(f, &c, &eof);
			if (eof)
				break;
			if (r) {
				printf("RESULT ERROR bad command line\n");
				ret = 1;
				continue;
			}
		}
		memset(&a, 0, sizeof(a));
		r = sgio ? raw_sgio(fd, o, &c, &a) : raw_vhost(&d, o, &c, &a);
		if (!r)
			raw_print(&c, &a);
		else
			printf("RESULT ERROR not answered\n");
		raw_free(&c);
		if (r) {
			ret = 1;
			if (!sgio)
				break;
		}
		if (!f)
			break;
	}
	if (f)
		fclose(f);
	if (sgio)
		close(fd);
	else if (!ret)
		vdev_stop(&d, raw_report);
	return ret;
}
