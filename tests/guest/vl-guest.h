/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl-guest: a userspace "fake guest" that drives a vhost-scsi character
 * device (the in-tree vhost_scsi or vhost-lio) the way QEMU's vhost-scsi
 * with a kernel backend does, and plays the virtio-scsi driver on the rings.
 *
 * Guest memory is an anonymous mapping registered with VHOST_SET_MEM_TABLE.
 * Everything the device reads or writes in it (rings, request and response
 * headers, events) is little-endian and goes through the accessors below.
 */
#ifndef VL_GUEST_H
#define VL_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scsi.h>

#define VL_MAX_REGIONS		2
#define VL_FIRST_REQ_VQ		2	/* 0 = control, 1 = event */
#define VL_MAX_REQ_QUEUES	64
#define VL_REQ_HDR_SIZE		sizeof(struct virtio_scsi_cmd_req)	/* 51 */
#define VL_RESP_HDR_SIZE	sizeof(struct virtio_scsi_cmd_resp)	/* 108 */
#define VL_EVENT_BUFS		8

/* ---- options ---------------------------------------------------------- */

enum vl_rw { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE, RW_RANDRW };

struct vl_opts {
	const char *dev;
	const char *wwpn;
	unsigned int target;		/* virtio target byte, = LIO tpgt */
	unsigned int lun;
	const char *expect_luns;	/* "0,1" or NULL */
	unsigned int queues;
	unsigned int ring;		/* vring size */
	unsigned int timeout_ms;
	uint64_t mem_size;		/* guest RAM, bytes */
	uint64_t gpa_base;
	bool split_mem;
	bool secret_mem;		/* RAM from memfd_secret(2) */
	bool odd_mem;			/* table entries not whole pages */
	bool event_idx, indirect, any_layout, version_1, hotplug;
	bool t10_pi;			/* VIRTIO_SCSI_F_T10_PI (pi mode) */
	int bad_target_resp;		/* expected virtio response */
	bool unknown_lun_bad_target;	/* else: CHECK CONDITION */
	bool extra_layouts;		/* layouts that upset in-tree 6.12 */
	const char *only, *skip;	/* suite steps: fnmatch patterns, a,b */
	bool verbose;
	const char *label;		/* prefix of every check line */
	/* bench */
	unsigned int depth;
	uint32_t bs;
	enum vl_rw rw;
	unsigned int mix;		/* % reads for randrw */
	double seconds;
	bool worker_per_queue;		/* VHOST_NEW_WORKER per request queue */
	/* events */
	unsigned int late_events_ms;
	bool until_signal;		/* end --seconds after SIGUSR1 */
	/* safety */
	const char *scase;
	unsigned int fast_lun;		/* verified I/O of the cases */
	unsigned int other_lun;		/* abort-other-lun's LUN B */
	/* malformed */
	unsigned int repeat;		/* times each case is done */
	/* depth */
	unsigned int limit;		/* --lun's expected in-flight limit */
	unsigned int other_target;	/* --other-lun's target */
	/* raw, sgio */
	const char *raw_cdb;		/* hex bytes */
	const char *raw_dout;		/* data-out spec (raw.c) */
	uint32_t raw_din;		/* data-in buffer length */
	const char *raw_cmds;		/* file: a command per line */
};

/* ---- little-endian accessors for guest-visible memory ------------------ */

static inline void put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v;
	b[1] = v >> 8;
}

static inline void put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	put_le16(b, v);
	put_le16(b + 2, v >> 16);
}

static inline void put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;

	put_le32(b, v);
	put_le32(b + 4, v >> 32);
}

static inline uint16_t get_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;

	return get_le16(b) | (uint32_t)get_le16(b + 2) << 16;
}

static inline uint64_t get_le64(const void *p)
{
	const uint8_t *b = p;

	return get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
}

static inline void put_be16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v;
}

static inline void put_be32(uint8_t *b, uint32_t v)
{
	put_be16(b, v >> 16);
	put_be16(b + 2, v);
}

static inline void put_be64(uint8_t *b, uint64_t v)
{
	put_be32(b, v >> 32);
	put_be32(b + 4, v);
}

static inline uint16_t get_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t get_be32(const uint8_t *b)
{
	return (uint32_t)get_be16(b) << 16 | get_be16(b + 2);
}

static inline uint64_t get_be64(const uint8_t *b)
{
	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

/* ---- guest memory (gmem.c) -------------------------------------------- */

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

/* A bump allocator over part of one region; mark/release for scratch use. */
struct arena {
	const struct gmem_region *r;
	uint64_t start, end, next;	/* offsets into the region */
};

struct gmem {
	struct gmem_region r[VL_MAX_REGIONS];
	unsigned int nr;
	struct arena perm;		/* rings, indirect tables, events */
	struct arena data[VL_MAX_REGIONS];	/* buffers, one per region */
};

int gmem_init(struct gmem *m, uint64_t base, uint64_t size, bool split,
	      bool secret);
void gmem_fini(struct gmem *m);
void *arena_alloc(struct arena *a, uint64_t size, uint64_t align,
		  uint64_t *gpa);

struct gmem_mark {
	uint64_t next[VL_MAX_REGIONS];
};

static inline struct gmem_mark gmem_mark(const struct gmem *m)
{
	struct gmem_mark k = { { m->data[0].next, m->data[1].next } };

	return k;
}

static inline void gmem_release(struct gmem *m, struct gmem_mark k)
{
	m->data[0].next = k.next[0];
	m->data[1].next = k.next[1];
}
void *gmem_hva(const struct gmem *m, uint64_t gpa, uint64_t len);
uint64_t gmem_gpa(const struct gmem *m, const void *hva);

/* ---- split virtqueue, driver side (vring.c) --------------------------- */

struct sg {
	uint64_t gpa;
	uint32_t len;
	bool dev_writes;		/* VRING_DESC_F_WRITE */
};

struct ind_table {
	struct vring_desc *desc;
	uint64_t gpa;
	unsigned int cap;
};

struct gvq {
	unsigned int index;		/* vhost virtqueue index */
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	int kick_fd, call_fd, err_fd;
	bool event_idx;
	uint16_t free_head;
	unsigned int num_free;
	uint16_t avail_idx;		/* next avail->idx to publish */
	uint16_t published;		/* avail->idx as the device sees it */
	uint16_t last_used;
	void **cookie;			/* per head */
	uint16_t *link;			/* private copy of the next links */
	uint16_t *chain;		/* ring descriptors held, per head */
	struct ind_table *ind;		/* per head */
	struct arena *perm;
	uint64_t kicks, err_events;
};

int gvq_init(struct gvq *vq, struct arena *perm, unsigned int index,
	     unsigned int num, bool event_idx);
void gvq_fini(struct gvq *vq);
void gvq_reset(struct gvq *vq);
int gvq_add(struct gvq *vq, const struct sg *sg, unsigned int n,
	    bool indirect, void *cookie);
void gvq_kick(struct gvq *vq);
bool gvq_more_used(const struct gvq *vq);
int gvq_get_used(struct gvq *vq, void **cookie, uint32_t *len);
int gvq_wait(struct gvq *vq, int64_t deadline_ns);
uint64_t gvq_err_events(struct gvq *vq);
uint16_t gvq_used_idx(const struct gvq *vq);

/* ---- the vhost device (vhost.c) --------------------------------------- */

struct vdev {
	int fd;
	const struct vl_opts *o;
	uint64_t offered, acked;
	struct gmem mem;
	unsigned int nvqs;
	struct gvq vq[VL_FIRST_REQ_VQ + VL_MAX_REQ_QUEUES];
	void *evbuf[VL_EVENT_BUFS];
	int abi_version;
	bool endpoint;
};

/* Each step reports through this callback: ok, what, detail. */
typedef void (*vl_report_fn)(bool ok, const char *what, const char *detail);

int vdev_setup(struct vdev *d, const struct vl_opts *o, vl_report_fn rep);
int vdev_attach(struct vdev *d, vl_report_fn rep);
int vdev_start(struct vdev *d, const struct vl_opts *o, vl_report_fn rep);
int vdev_stop(struct vdev *d, vl_report_fn rep);
int vdev_stop_bases(struct vdev *d, vl_report_fn rep, int *bases);
int vdev_set_endpoint(struct vdev *d, const char *wwpn, unsigned int tpgt);
int vdev_clear_endpoint(struct vdev *d);
int vdev_set_mem_table(struct vdev *d, vl_report_fn rep);
int vdev_start_vring(struct vdev *d, struct gvq *vq, vl_report_fn rep);
int vdev_set_vring_fd(struct vdev *d, unsigned long req, unsigned int i,
		      int fd);
int vdev_post_events(struct vdev *d);
int vdev_set_log(struct vdev *d, void *log, bool on);
uint64_t vdev_log_bytes(const struct vdev *d);
static inline struct gvq *vdev_reqq(struct vdev *d, unsigned int q)
{
	return &d->vq[VL_FIRST_REQ_VQ + q];
}

/* ---- SCSI over virtio (scsi.c) ---------------------------------------- */

/* How the out stream (request header + data-out) and the in stream
 * (response header + data-in) are cut into descriptors. */
struct layout {
	const char *name;
	const uint32_t *out_cuts;	/* segment sizes; the rest is one more */
	unsigned int n_out;
	const uint32_t *in_cuts;
	unsigned int n_in;
	bool indirect;
	bool scatter;			/* each segment its own buffer, gaps */
	uint32_t even_out, even_in;	/* data split in segments of this size */
	bool misalign;			/* scattered data not 512-aligned */
};

struct scsi_result {
	uint8_t response;
	uint8_t status;
	uint16_t status_qualifier;
	uint32_t sense_len;
	uint32_t resid;
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
	uint32_t used_len;
	unsigned int descs;		/* descriptors the request used */
};

struct sense_info {
	bool valid;
	uint8_t key, asc, ascq;
};

struct scsi_io {
	uint8_t lun[8];
	uint64_t tag;
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
	const void *dout;
	uint32_t dout_len;
	void *din;
	uint32_t din_len;
	struct scsi_result res;
	bool done;
	void *priv;			/* segments while in flight */
};

extern const struct layout layout_std;
unsigned int layout_descs(const struct layout *lay, uint32_t dout,
			  uint32_t din);

void vl_lun(uint8_t lun[8], unsigned int target, unsigned int lun_id);
int scsi_submit(struct vdev *d, struct gvq *vq, struct scsi_io *io,
		const struct layout *lay);
int scsi_reap(struct gvq *vq, int64_t deadline_ns);
int scsi_exec(struct vdev *d, struct gvq *vq, struct scsi_io *io,
	      const struct layout *lay);
int ctrl_exec(struct vdev *d, const void *req, uint32_t req_len,
	      void *resp, uint32_t resp_len);
struct sense_info sense_decode(const struct scsi_result *r);
const char *resp_name(uint8_t response);
void cdb_rw(uint8_t *cdb, bool write, unsigned int bits, uint64_t lba,
	    uint32_t blocks);

/* ---- patterns and helpers (util.c) ------------------------------------ */

void pattern_fill(void *buf, uint64_t lba, uint32_t blocks, uint32_t bsz,
		  uint64_t seed);
long pattern_check(const void *buf, uint64_t lba, uint32_t blocks,
		   uint32_t bsz, uint64_t seed);
int64_t now_ns(void);
uint64_t rng_next(uint64_t *s);
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog(const struct vl_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * struct tally - the checks of a one-case process (safety, malformed):
 * tally_ck() prints a "PASS: <label>what" or "FAIL: <label>what (detail)"
 * line and counts it; tally_exit() prints the totals and gives the exit
 * status.
 */
struct tally {
	const char *mode;
	const struct vl_opts *o;
	unsigned int pass, fail;
};

bool tally_vck(struct tally *t, bool ok, const char *what, const char *fmt,
	       va_list ap) __attribute__((format(printf, 4, 0)));
bool tally_ck(struct tally *t, bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tally_exit(const struct tally *t);

/* ---- modes ------------------------------------------------------------ */

int run_suite(const struct vl_opts *o);
int run_bench(const struct vl_opts *o);
int run_events(const struct vl_opts *o);
int run_safety(const struct vl_opts *o);
int run_malformed(const struct vl_opts *o);
int run_depth(const struct vl_opts *o);
int run_pi(const struct vl_opts *o);
int run_rawcdb(const struct vl_opts *o, bool sgio);

#endif
