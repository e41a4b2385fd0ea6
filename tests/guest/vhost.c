// SPDX-License-Identifier: GPL-2.0
/*
 * Device setup and teardown, in the order QEMU's vhost-scsi (kernel
 * backend) uses:
 *   realize:   open, VHOST_SET_OWNER, VHOST_GET_FEATURES,
 *              per queue VHOST_SET_VRING_CALL / VHOST_SET_VRING_ERR
 *   DRIVER_OK: VHOST_SCSI_GET_ABI_VERSION, VHOST_SET_FEATURES,
 *              VHOST_SET_MEM_TABLE, per queue VHOST_SET_VRING_NUM,
 *              _BASE, _ADDR, _KICK, then VHOST_SCSI_SET_ENDPOINT
 *   stop:      VHOST_SCSI_CLEAR_ENDPOINT, per queue VHOST_GET_VRING_BASE
 * Ring addresses given to the device are our (userspace) addresses;
 * addresses inside descriptors are guest-physical.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

#include "vl-guest.h"

#define BIT(n)	(1ULL << (n))

static char detail[512];

static int step(vl_report_fn rep, int ret, const char *what)
{
	if (ret < 0) {
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
		rep(false, what, detail);
		return -errno;
	}
	return 0;
}

static uint64_t wanted_features(const struct vl_opts *o)
{
	uint64_t f = 0;

	if (o->version_1)
		f |= BIT(VIRTIO_F_VERSION_1);
	if (o->event_idx)
		f |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (o->indirect)
		f |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (o->any_layout)
		f |= BIT(VIRTIO_F_ANY_LAYOUT);
	if (o->hotplug)
		f |= BIT(VIRTIO_SCSI_F_HOTPLUG);
	if (o->t10_pi)
		f |= BIT(VIRTIO_SCSI_F_T10_PI);
	return f;
}

int vdev_set_vring_fd(struct vdev *d, unsigned long req, unsigned int i,
		      int fd)
{
	struct vhost_vring_file f = { .index = i, .fd = fd };

	return ioctl(d->fd, req, &f);
}

/* The worker ioctls (Linux 6.5+), which older uapi headers lack. */
#ifndef VHOST_NEW_WORKER
struct vhost_worker_state {
	unsigned int worker_id;
};

struct vhost_vring_worker {
	unsigned int index;
	unsigned int worker_id;
};

#define VHOST_NEW_WORKER _IOR(VHOST_VIRTIO, 0x8, struct vhost_worker_state)
#define VHOST_ATTACH_VRING_WORKER \
	_IOW(VHOST_VIRTIO, 0x15, struct vhost_vring_worker)
#endif

/*
 * --worker-per-queue: as QEMU's worker_per_virtqueue=true, a new worker
 * for each request queue but the first (which keeps the device's, with
 * the control and event queues).
 */
static int worker_per_queue(struct vdev *d, vl_report_fn rep)
{
	unsigned int i;
	int ret;

	for (i = VL_FIRST_REQ_VQ + 1; i < d->nvqs; i++) {
		struct vhost_worker_state w = { 0 };
		struct vhost_vring_worker vw = { .index = i };

		ret = ioctl(d->fd, VHOST_NEW_WORKER, &w);
		if ((ret = step(rep, ret, "VHOST_NEW_WORKER")))
			return ret;
		vw.worker_id = w.worker_id;
		ret = ioctl(d->fd, VHOST_ATTACH_VRING_WORKER, &vw);
		if ((ret = step(rep, ret, "VHOST_ATTACH_VRING_WORKER")))
			return ret;
	}
	return 0;
}

static int realize(struct vdev *d, vl_report_fn rep)
{
	unsigned int i;
	int ret;

	d->fd = open(d->o->dev, O_RDWR | O_CLOEXEC);
	snprintf(detail, sizeof(detail), "open %s", d->o->dev);
	if (d->fd < 0) {
		rep(false, detail, strerror(errno));
		return -errno;
	}
	if ((ret = step(rep, ioctl(d->fd, VHOST_SET_OWNER), "VHOST_SET_OWNER")))
		return ret;
	ret = ioctl(d->fd, VHOST_GET_FEATURES, &d->offered);
	if ((ret = step(rep, ret, "VHOST_GET_FEATURES")))
		return ret;
	d->nvqs = VL_FIRST_REQ_VQ + d->o->queues;
	for (i = 0; i < d->nvqs; i++) {
		struct gvq *vq = &d->vq[i];

		ret = gvq_init(vq, &d->mem.perm, i, d->o->ring,
			       d->o->event_idx &&
			       (d->offered & BIT(VIRTIO_RING_F_EVENT_IDX)));
		if (ret) {
			errno = -ret;
			return step(rep, -1, "virtqueue allocation");
		}
		ret = vdev_set_vring_fd(d, VHOST_SET_VRING_CALL, i, vq->call_fd);
		if ((ret = step(rep, ret, "VHOST_SET_VRING_CALL")))
			return ret;
		ret = vdev_set_vring_fd(d, VHOST_SET_VRING_ERR, i, vq->err_fd);
		if ((ret = step(rep, ret, "VHOST_SET_VRING_ERR")))
			return ret;
	}
	if (d->o->worker_per_queue && (ret = worker_per_queue(d, rep)))
		return ret;
	snprintf(detail, sizeof(detail),
		 "open %s, VHOST_SET_OWNER, VHOST_GET_FEATURES = %#llx, "
		 "VHOST_SET_VRING_CALL/ERR x%u", d->o->dev,
		 (unsigned long long)d->offered, d->nvqs);
	rep(true, "device realize (open, owner, features, call/err fds)",
	    detail);
	return 0;
}

/* --odd-mem: where region 0's first entry ends, past its data start. */
#define ODD_CUT		4352	/* 0x1100: 256 bytes into a page */
#define ODD_TAIL	3840	/* the last entry ends 256 bytes into a page */

/*
 * --odd-mem: describe the memory as a VMM with sub-page regions would:
 * region 0 as two entries split ODD_CUT bytes into its first data arena
 * (buffers there cross the split), the last region ODD_TAIL bytes short of
 * its end.  The data arena that ended there loses its last page.
 */
static unsigned int odd_entries(struct vdev *d, struct vhost_memory *m)
{
	const struct gmem_region *last = &d->mem.r[d->mem.nr - 1];
	uint64_t cut = d->mem.data[0].start + ODD_CUT;
	unsigned int i, n = m->nregions;

	memmove(&m->regions[1], &m->regions[0], n * sizeof(m->regions[0]));
	m->regions[0].memory_size = cut;
	m->regions[1].guest_phys_addr += cut;
	m->regions[1].userspace_addr += cut;
	m->regions[1].memory_size -= cut;
	m->regions[n].memory_size -= ODD_TAIL;
	for (i = 0; i < d->mem.nr; i++)
		if (d->mem.data[i].r == last && d->mem.data[i].end == last->size)
			d->mem.data[i].end -= 4096;
	return n + 1;
}

int vdev_set_mem_table(struct vdev *d, vl_report_fn rep)
{
	struct vhost_memory *m;
	unsigned int i;
	int ret;

	m = calloc(1, sizeof(*m) + (d->mem.nr + 1) * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = d->mem.nr;
	for (i = 0; i < d->mem.nr; i++) {
		m->regions[i].guest_phys_addr = d->mem.r[i].gpa;
		m->regions[i].memory_size = d->mem.r[i].size;
		m->regions[i].userspace_addr = (uintptr_t)d->mem.r[i].hva;
	}
	if (d->o->odd_mem)
		m->nregions = odd_entries(d, m);
	ret = step(rep, ioctl(d->fd, VHOST_SET_MEM_TABLE, m),
		   "VHOST_SET_MEM_TABLE");
	free(m);
	return ret;
}

int vdev_start_vring(struct vdev *d, struct gvq *vq, vl_report_fn rep)
{
	struct vhost_vring_state num = { .index = vq->index, .num = vq->num };
	struct vhost_vring_state base = { .index = vq->index, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = vq->index,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	int ret;

	if ((ret = step(rep, ioctl(d->fd, VHOST_SET_VRING_NUM, &num),
			"VHOST_SET_VRING_NUM")))
		return ret;
	if ((ret = step(rep, ioctl(d->fd, VHOST_SET_VRING_BASE, &base),
			"VHOST_SET_VRING_BASE")))
		return ret;
	if ((ret = step(rep, ioctl(d->fd, VHOST_SET_VRING_ADDR, &addr),
			"VHOST_SET_VRING_ADDR")))
		return ret;
	ret = vdev_set_vring_fd(d, VHOST_SET_VRING_KICK, vq->index, vq->kick_fd);
	return step(rep, ret, "VHOST_SET_VRING_KICK");
}

static int driver_ok(struct vdev *d, vl_report_fn rep)
{
	uint64_t want = wanted_features(d->o);
	unsigned int i;
	int ret;

	ret = ioctl(d->fd, VHOST_SCSI_GET_ABI_VERSION, &d->abi_version);
	if ((ret = step(rep, ret, "VHOST_SCSI_GET_ABI_VERSION")))
		return ret;
	snprintf(detail, sizeof(detail), "got %d", d->abi_version);
	rep(d->abi_version == VHOST_SCSI_ABI_VERSION,
	    "VHOST_SCSI_GET_ABI_VERSION is 1", detail);
	if (d->abi_version != VHOST_SCSI_ABI_VERSION)
		return -EPROTO;

	d->acked = want & d->offered;
	if (want & ~d->offered)
		info("device does not offer feature bits %#llx (not used)",
		     (unsigned long long)(want & ~d->offered));
	if ((ret = step(rep, ioctl(d->fd, VHOST_SET_FEATURES, &d->acked),
			"VHOST_SET_FEATURES")))
		return ret;
	if ((ret = vdev_set_mem_table(d, rep)))
		return ret;
	for (i = 0; i < d->nvqs; i++)
		if ((ret = vdev_start_vring(d, &d->vq[i], rep)))
			return ret;
	snprintf(detail, sizeof(detail),
		 "features %#llx, %u region(s), %u vrings of %u",
		 (unsigned long long)d->acked, d->mem.nr, d->nvqs, d->o->ring);
	rep(true, "device start (features, memory table, vrings)", detail);
	return 0;
}

int vdev_set_endpoint(struct vdev *d, const char *wwpn, unsigned int tpgt)
{
	struct vhost_scsi_target t;

	memset(&t, 0, sizeof(t));
	t.abi_version = VHOST_SCSI_ABI_VERSION;
	snprintf(t.vhost_wwpn, sizeof(t.vhost_wwpn), "%s", wwpn);
	t.vhost_tpgt = (unsigned short)tpgt;
	if (ioctl(d->fd, VHOST_SCSI_SET_ENDPOINT, &t) < 0)
		return -errno;
	return 0;
}

int vdev_clear_endpoint(struct vdev *d)
{
	struct vhost_scsi_target t;

	memset(&t, 0, sizeof(t));
	t.abi_version = VHOST_SCSI_ABI_VERSION;
	snprintf(t.vhost_wwpn, sizeof(t.vhost_wwpn), "%s", d->o->wwpn);
	t.vhost_tpgt = (unsigned short)d->o->target;
	if (ioctl(d->fd, VHOST_SCSI_CLEAR_ENDPOINT, &t) < 0)
		return -errno;
	return 0;
}

/* Bytes of a dirty log covering guest RAM: a bit per 4 KiB page. */
uint64_t vdev_log_bytes(const struct vdev *d)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < d->mem.nr; i++)
		if (d->mem.r[i].gpa + d->mem.r[i].size > end)
			end = d->mem.r[i].gpa + d->mem.r[i].size;
	return (end / 4096 + 63) / 64 * 8;
}

/*
 * Dirty logging on or off, as QEMU switches it for a migration: the log
 * base first, then the features with VHOST_F_LOG_ALL, then every vring's
 * address again with VHOST_VRING_F_LOG and the used ring's guest address.
 */
int vdev_set_log(struct vdev *d, void *log, bool on)
{
	uint64_t base = (uintptr_t)log;
	uint64_t f = d->acked | (on ? BIT(VHOST_F_LOG_ALL) : 0);
	unsigned int i;

	if (on && ioctl(d->fd, VHOST_SET_LOG_BASE, &base) < 0)
		return -errno;
	if (ioctl(d->fd, VHOST_SET_FEATURES, &f) < 0)
		return -errno;
	for (i = 0; i < d->nvqs; i++) {
		struct gvq *vq = &d->vq[i];
		struct vhost_vring_addr a = {
			.index = vq->index,
			.flags = on ? 1U << VHOST_VRING_F_LOG : 0,
			.desc_user_addr = (uintptr_t)vq->desc,
			.avail_user_addr = (uintptr_t)vq->avail,
			.used_user_addr = (uintptr_t)vq->used,
			.log_guest_addr = gmem_gpa(&d->mem, vq->used),
		};

		if (ioctl(d->fd, VHOST_SET_VRING_ADDR, &a) < 0)
			return -errno;
	}
	return 0;
}

/* The guest driver fills the event queue with buffers at probe time. */
int vdev_post_events(struct vdev *d)
{
	struct gvq *vq = &d->vq[1];
	unsigned int i;

	for (i = 0; i < VL_EVENT_BUFS; i++) {
		struct sg s = { .len = sizeof(struct virtio_scsi_event),
				.dev_writes = true };
		int ret;

		d->evbuf[i] = arena_alloc(&d->mem.perm, s.len, 16, &s.gpa);
		if (!d->evbuf[i])
			return -ENOMEM;
		memset(d->evbuf[i], 0, s.len);
		ret = gvq_add(vq, &s, 1, false, d->evbuf[i]);
		if (ret < 0)
			return ret;
	}
	gvq_kick(vq);
	return 0;
}

/* Everything QEMU does up to, not including, SET_ENDPOINT. */
int vdev_setup(struct vdev *d, const struct vl_opts *o, vl_report_fn rep)
{
	unsigned int i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->o = o;
	for (i = 0; i < sizeof(d->vq) / sizeof(d->vq[0]); i++)
		d->vq[i].kick_fd = d->vq[i].call_fd = d->vq[i].err_fd = -1;
	ret = gmem_init(&d->mem, o->gpa_base, o->mem_size, o->split_mem,
			o->secret_mem);
	if (ret) {
		errno = -ret;
		return step(rep, -1, "guest memory mmap");
	}
	if ((ret = realize(d, rep)))
		return ret;
	return driver_ok(d, rep);
}

int vdev_attach(struct vdev *d, vl_report_fn rep)
{
	int ret = vdev_set_endpoint(d, d->o->wwpn, d->o->target);

	snprintf(detail, sizeof(detail), "VHOST_SCSI_SET_ENDPOINT %s tpgt %u",
		 d->o->wwpn, d->o->target);
	if (ret) {
		char why[600];

		snprintf(why, sizeof(why), "%s: %s", detail, strerror(-ret));
		rep(false, "set endpoint", why);
		return ret;
	}
	d->endpoint = true;
	rep(true, "set endpoint", detail);
	return 0;
}

int vdev_start(struct vdev *d, const struct vl_opts *o, vl_report_fn rep)
{
	int ret = vdev_setup(d, o, rep);

	return ret ? ret : vdev_attach(d, rep);
}

/*
 * Stop like QEMU: clear the endpoint, then read each ring's base back
 * (the next index the device would take from the avail ring), close.
 * bases[] (nvqs entries, may be NULL) receives those values.
 */
int vdev_stop_bases(struct vdev *d, vl_report_fn rep, int *bases)
{
	unsigned int i;
	int ret = 0, r;

	if (d->fd < 0)
		goto out;
	if (d->endpoint) {
		r = vdev_clear_endpoint(d);
		if (r) {
			rep(false, "VHOST_SCSI_CLEAR_ENDPOINT", strerror(-r));
			ret = r;
		} else {
			rep(true, "VHOST_SCSI_CLEAR_ENDPOINT", NULL);
		}
	}
	for (i = 0; i < d->nvqs; i++) {
		struct vhost_vring_state s = { .index = i };

		if (ioctl(d->fd, VHOST_GET_VRING_BASE, &s) < 0) {
			snprintf(detail, sizeof(detail), "vq %u: %s", i,
				 strerror(errno));
			rep(false, "VHOST_GET_VRING_BASE", detail);
			ret = -errno;
			s.num = (unsigned int)-1;
		}
		if (bases)
			bases[i] = (int)s.num;
	}
	close(d->fd);
	d->fd = -1;
out:
	for (i = 0; i < d->nvqs; i++)
		gvq_fini(&d->vq[i]);
	gmem_fini(&d->mem);
	return ret;
}

int vdev_stop(struct vdev *d, vl_report_fn rep)
{
	return vdev_stop_bases(d, rep, NULL);
}
