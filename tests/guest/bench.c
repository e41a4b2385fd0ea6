// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: one thread per request queue keeps --depth READ/WRITE
 * commands in flight with the plain layout a Linux guest uses (header |
 * data-out || response | data-in), and measures IOPS, MB/s, latency
 * percentiles and host CPU per I/O.  It asserts nothing about speed.
 *
 * CPU: the in-kernel vhost workers run in kernel threads (6.1) or in
 * threads of this process (vhost_task, 6.4+), and LIO's work in kworkers,
 * so the only fair number is the system-wide busy time from /proc/stat
 * (everything but idle and iowait) divided by the I/Os done.  Run it on an
 * otherwise idle machine.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vl-guest.h"

#define SUB_BITS	6
#define SUB		(1U << SUB_BITS)
#define HBUCKETS	(SUB * 59)
#define MAX_ERR_PRINT	5

struct slot {
	uint8_t *hdr, *resp, *data;
	uint64_t hdr_gpa, resp_gpa, data_gpa;
	int64_t t0;
	bool write;
};

struct worker {
	pthread_t th;
	const struct vl_opts *o;
	struct vdev *d;
	struct gvq *vq;
	unsigned int q;
	struct slot *slots;
	uint64_t rng, cursor, tag;
	uint32_t bsz;
	uint64_t blocks;
	int64_t stop_ns;
	uint64_t ios, reads, writes, bytes, errors;
	int64_t lat_max;
	uint64_t hist[HBUCKETS];
	int err;
};

/* --until-signal: no end before SIGUSR1 (and --seconds). */
static volatile sig_atomic_t bench_usr1;

static void bench_on_usr1(int sig)
{
	(void)sig;
	bench_usr1 = 1;
}

static bool bench_over(const struct worker *w, int64_t now)
{
	return now >= w->stop_ns && (!w->o->until_signal || bench_usr1);
}

/* ---- latency histogram: 64 linear sub-buckets per power of two ---------- */

static unsigned int bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - SUB_BITS;
	return (shift + 1) * SUB + (unsigned int)((v >> shift) - SUB);
}

static double bucket_mid(unsigned int i)
{
	unsigned int shift;
	uint64_t lo;

	if (i < 2 * SUB)
		return i;
	shift = i / SUB - 1;
	lo = (uint64_t)(i % SUB + SUB) << shift;
	return (double)lo + (double)(1ULL << shift) / 2;
}

static double percentile(const uint64_t *h, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)(p * (double)n + 0.999999), sum = 0;
	unsigned int i;

	if (!n)
		return 0;
	for (i = 0; i < HBUCKETS; i++) {
		sum += h[i];
		if (sum >= rank)
			return bucket_mid(i);
	}
	return bucket_mid(HBUCKETS - 1);
}

/* ---- CPU accounting ------------------------------------------------------ */

struct cpu_sample {
	unsigned long long busy, total;
	double proc_s;
};

static void cpu_sample(struct cpu_sample *c)
{
	unsigned long long v[10] = { 0 };
	struct rusage ru;
	FILE *f = fopen("/proc/stat", "r");
	int i;

	memset(c, 0, sizeof(*c));
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) == 8) {
			for (i = 0; i < 8; i++)
				c->total += v[i];
			c->busy = c->total - v[3] - v[4];
		}
		fclose(f);
	}
	if (!getrusage(RUSAGE_SELF, &ru))
		c->proc_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec /
			    1e6 + (double)ru.ru_stime.tv_sec +
			    ru.ru_stime.tv_usec / 1e6;
}

/* ---- the I/O loop -------------------------------------------------------- */

static bool pick_write(struct worker *w)
{
	switch (w->o->rw) {
	case RW_WRITE:
	case RW_RANDWRITE:
		return true;
	case RW_RANDRW:
		return rng_next(&w->rng) % 100 >= w->o->mix;
	default:
		return false;
	}
}

static uint64_t pick_lba(struct worker *w, uint32_t nb)
{
	uint64_t slots = w->blocks / nb, s;

	if (w->o->rw == RW_READ || w->o->rw == RW_WRITE) {
		/* sequential: each queue walks its own stripe */
		s = (w->cursor++ * w->o->queues + w->q) % slots;
	} else {
		s = rng_next(&w->rng) % slots;
	}
	return s * nb;
}

static int submit(struct worker *w, struct slot *s)
{
	uint32_t nb = w->o->bs / w->bsz;
	uint64_t lba = pick_lba(w, nb);
	struct sg sg[3];
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];

	s->write = pick_write(w);
	cdb_rw(cdb, s->write, lba + nb > 0xffffffffULL ? 16 : 10, lba, nb);
	put_le64(s->hdr + 8, ++w->tag);
	memcpy(s->hdr + 19, cdb, sizeof(cdb));
	sg[0] = (struct sg){ s->hdr_gpa, VL_REQ_HDR_SIZE, false };
	if (s->write) {
		sg[1] = (struct sg){ s->data_gpa, w->o->bs, false };
		sg[2] = (struct sg){ s->resp_gpa, VL_RESP_HDR_SIZE, true };
	} else {
		sg[1] = (struct sg){ s->resp_gpa, VL_RESP_HDR_SIZE, true };
		sg[2] = (struct sg){ s->data_gpa, w->o->bs, true };
	}
	s->t0 = now_ns();
	return gvq_add(w->vq, sg, 3, false, s);
}

static void complete(struct worker *w, struct slot *s, int64_t now)
{
	const uint8_t *r = s->resp;
	int64_t lat = now - s->t0;

	if (r[11] != VIRTIO_SCSI_S_OK || r[10] != 0) {
		if (w->errors++ < MAX_ERR_PRINT)
			fprintf(stderr, "vl-guest: queue %u: %s failed: "
				"response %u (%s), status %#04x, sense key "
				"%#x asc %#04x\n", w->q,
				s->write ? "WRITE" : "READ", r[11],
				resp_name(r[11]), r[10], r[12 + 2] & 0xf,
				r[12 + 12]);
	}
	w->ios++;
	w->bytes += w->o->bs;
	if (s->write)
		w->writes++;
	else
		w->reads++;
	if (lat > w->lat_max)
		w->lat_max = lat;
	w->hist[bucket((uint64_t)lat)]++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i, inflight = 0;
	int ret;

	for (i = 0; i < w->o->depth; i++) {
		if ((ret = submit(w, &w->slots[i])) < 0) {
			w->err = ret;
			return NULL;
		}
		inflight++;
	}
	gvq_kick(w->vq);
	while (inflight) {
		int64_t now;
		void *cookie;

		ret = gvq_wait(w->vq, now_ns() +
			       (int64_t)w->o->timeout_ms * 1000000);
		if (ret) {
			w->err = ret;
			return NULL;
		}
		now = now_ns();
		while ((ret = gvq_get_used(w->vq, &cookie, NULL)) > 0) {
			complete(w, cookie, now);
			if (!bench_over(w, now)) {
				if ((ret = submit(w, cookie)) < 0)
					break;
			} else {
				inflight--;
			}
		}
		if (ret < 0) {
			w->err = ret;
			return NULL;
		}
		gvq_kick(w->vq);
	}
	return NULL;
}

/* ---- setup --------------------------------------------------------------- */

static void bench_report(bool ok, const char *what, const char *detail)
{
	if (!ok)
		fprintf(stderr, "vl-guest: %s failed: %s\n", what,
			detail ? detail : "");
}

static int lun_ready(struct vdev *d, const struct vl_opts *o, uint32_t *bsz,
		     uint64_t *blocks)
{
	struct scsi_io io;
	uint8_t d16[32];
	int i, ret;

	for (i = 0; i < 8; i++) {
		memset(&io, 0, sizeof(io));
		vl_lun(io.lun, o->target, o->lun);
		io.tag = (uint64_t)i + 1;
		ret = scsi_exec(d, vdev_reqq(d, 0), &io, &layout_std);
		if (ret)
			return ret;
		if (io.res.response == VIRTIO_SCSI_S_OK && !io.res.status)
			break;
	}
	memset(&io, 0, sizeof(io));
	vl_lun(io.lun, o->target, o->lun);
	io.tag = 100;
	io.cdb[0] = 0x9e;
	io.cdb[1] = 0x10;
	put_be32(io.cdb + 10, sizeof(d16));
	io.din = d16;
	io.din_len = sizeof(d16);
	ret = scsi_exec(d, vdev_reqq(d, 0), &io, &layout_std);
	if (ret)
		return ret;
	if (io.res.response != VIRTIO_SCSI_S_OK || io.res.status)
		return -EIO;
	*blocks = get_be64(d16) + 1;
	*bsz = get_be32(d16 + 8);
	return 0;
}

static int setup_worker(struct worker *w, struct vdev *d, unsigned int q,
			uint32_t bsz, uint64_t blocks)
{
	const struct vl_opts *o = d->o;
	unsigned int i;

	w->o = o;
	w->d = d;
	w->q = q;
	w->vq = vdev_reqq(d, q);
	w->bsz = bsz;
	w->blocks = blocks;
	w->rng = 0x9e3779b97f4a7c15ULL * (q + 1) ^ (uint64_t)now_ns();
	w->slots = calloc(o->depth, sizeof(*w->slots));
	if (!w->slots)
		return -ENOMEM;
	for (i = 0; i < o->depth; i++) {
		struct slot *s = &w->slots[i];
		struct arena *a = &d->mem.data[i & 1];

		s->hdr = arena_alloc(a, VL_REQ_HDR_SIZE, 64, &s->hdr_gpa);
		s->resp = arena_alloc(a, VL_RESP_HDR_SIZE, 64, &s->resp_gpa);
		s->data = arena_alloc(a, o->bs, 4096, &s->data_gpa);
		if (!s->hdr || !s->resp || !s->data)
			return -ENOMEM;
		memset(s->hdr, 0, VL_REQ_HDR_SIZE);
		vl_lun(s->hdr, o->target, o->lun);
		s->hdr[16] = VIRTIO_SCSI_S_SIMPLE;
		pattern_fill(s->data, i, o->bs / bsz, bsz, q);
	}
	return 0;
}

static const char *rw_name(enum vl_rw rw)
{
	static const char *const n[] = { "read", "write", "randread",
					 "randwrite", "randrw" };

	return n[rw];
}

static void print_result(const struct vl_opts *o, struct worker *w,
			 double secs, const struct cpu_sample *c0,
			 const struct cpu_sample *c1)
{
	uint64_t hist[HBUCKETS] = { 0 }, ios = 0, rd = 0, wr = 0, err = 0;
	uint64_t bytes = 0;
	int64_t lmax = 0;
	unsigned int q, i;
	double hz = (double)sysconf(_SC_CLK_TCK), iops, mbps, p50, p99;
	double cpu_us, proc_us, busy_pct;

	for (q = 0; q < o->queues; q++) {
		ios += w[q].ios;
		rd += w[q].reads;
		wr += w[q].writes;
		err += w[q].errors;
		bytes += w[q].bytes;
		if (w[q].lat_max > lmax)
			lmax = w[q].lat_max;
		for (i = 0; i < HBUCKETS; i++)
			hist[i] += w[q].hist[i];
	}
	iops = ios / secs;
	mbps = bytes / secs / 1e6;
	p50 = percentile(hist, ios, 0.50) / 1000;
	p99 = percentile(hist, ios, 0.99) / 1000;
	cpu_us = ios ? (double)(c1->busy - c0->busy) / hz * 1e6 / ios : 0;
	proc_us = ios ? (c1->proc_s - c0->proc_s) * 1e6 / ios : 0;
	busy_pct = c1->total > c0->total ? 100.0 * (c1->busy - c0->busy) /
		   (c1->total - c0->total) : 0;
	printf("BENCH dev=%s lun=%u rw=%s mix=%u bs=%u queues=%u depth=%u "
	       "seconds=%.2f ios=%llu reads=%llu writes=%llu errors=%llu "
	       "iops=%.1f mbps=%.2f lat_p50_us=%.1f lat_p99_us=%.1f "
	       "lat_max_us=%.1f cpu_us_per_io=%.2f proc_cpu_us_per_io=%.2f "
	       "cpu_busy_pct=%.1f\n", o->dev, o->lun, rw_name(o->rw), o->mix,
	       o->bs, o->queues, o->depth, secs, (unsigned long long)ios,
	       (unsigned long long)rd, (unsigned long long)wr,
	       (unsigned long long)err, iops, mbps, p50, p99, lmax / 1000.0,
	       cpu_us, proc_us, busy_pct);
	printf("vl-guest bench: %s %u B x %u queue(s) x depth %u for %.1f s: "
	       "%.0f IOPS, %.2f MB/s, latency p50 %.1f us p99 %.1f us, host "
	       "CPU %.1f us per I/O (system-wide, %.0f%% busy)%s\n",
	       rw_name(o->rw), o->bs, o->queues, o->depth, secs, iops, mbps,
	       p50, p99, cpu_us, busy_pct, err ? ", WITH ERRORS" : "");
	fflush(stdout);
}

int run_bench(const struct vl_opts *o)
{
	static struct vdev d;
	struct worker *w = NULL;
	struct cpu_sample c0, c1;
	uint64_t blocks;
	uint32_t bsz;
	unsigned int q;
	int64_t t0, t1;
	int ret, rc = 1;

	if (o->until_signal) {
		struct sigaction sa = { .sa_handler = bench_on_usr1 };

		/* Before the device exists: a test signals once it is used. */
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL)) {
			perror("vl-guest: sigaction");
			return 1;
		}
	}
	if ((ret = vdev_start(&d, o, bench_report)))
		goto out;
	if ((ret = lun_ready(&d, o, &bsz, &blocks))) {
		fprintf(stderr, "vl-guest: LUN %u not ready: %s\n", o->lun,
			strerror(-ret));
		goto out;
	}
	if (!bsz || o->bs % bsz || o->bs / bsz > blocks) {
		fprintf(stderr, "vl-guest: --bs %u does not fit block size %u "
			"and %llu blocks\n", o->bs, bsz,
			(unsigned long long)blocks);
		goto out;
	}
	w = calloc(o->queues, sizeof(*w));
	if (!w)
		goto out;
	for (q = 0; q < o->queues; q++)
		if ((ret = setup_worker(&w[q], &d, q, bsz, blocks))) {
			fprintf(stderr, "vl-guest: guest memory too small for "
				"depth %u x %u bytes (--mem)\n", o->depth,
				o->bs);
			goto out;
		}
	cpu_sample(&c0);
	t0 = now_ns();
	for (q = 0; q < o->queues; q++) {
		w[q].stop_ns = t0 + (int64_t)(o->seconds * 1e9);
		if (pthread_create(&w[q].th, NULL, worker_main, &w[q])) {
			fprintf(stderr, "vl-guest: pthread_create failed\n");
			exit(1);	/* the started threads hold the rings */
		}
	}
	for (q = 0; q < o->queues; q++)
		pthread_join(w[q].th, NULL);
	t1 = now_ns();
	cpu_sample(&c1);
	rc = 0;
	for (q = 0; q < o->queues; q++) {
		if (w[q].err) {
			fprintf(stderr, "vl-guest: queue %u stopped: %s\n", q,
				w[q].err == -ETIMEDOUT ?
				"no completion in time" : strerror(-w[q].err));
			rc = 1;
		}
		if (w[q].errors)
			rc = 1;
	}
	print_result(o, w, (t1 - t0) / 1e9, &c0, &c1);
	if (rc) {
		/* commands may still be in flight: let close() reap them */
		exit(rc);
	}
out:
	vdev_stop(&d, bench_report);
	if (w)
		for (q = 0; q < o->queues; q++)
			free(w[q].slots);
	free(w);
	return rc;
}
