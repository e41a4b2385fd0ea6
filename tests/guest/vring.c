// SPDX-License-Identifier: GPL-2.0
/*
 * The driver side of a split virtqueue, as a guest's virtio_ring does it:
 * descriptor table, available ring (with used_event), used ring (with
 * avail_event).  The free list and chain links are kept privately, so a
 * device that scribbles on the descriptor table cannot corrupt them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vl-guest.h"

#define RING_ALIGN	4096

/* used_event lives after the avail ring, avail_event after the used ring */
static void *used_event_p(const struct gvq *vq)
{
	return &vq->avail->ring[vq->num];
}

static void *avail_event_p(const struct gvq *vq)
{
	return &vq->used->ring[vq->num];
}

static void store_release16(void *p, uint16_t v)
{
	uint16_t le;

	put_le16(&le, v);
	__atomic_store_n((uint16_t *)p, le, __ATOMIC_RELEASE);
}

static uint16_t load_acquire16(const void *p)
{
	uint16_t le = __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);

	return get_le16(&le);
}

static int make_eventfd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int gvq_init(struct gvq *vq, struct arena *perm, unsigned int index,
	     unsigned int num, bool event_idx)
{
	unsigned int i;

	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
	if (!num || num > 32768 || (num & (num - 1)))
		return -EINVAL;
	vq->index = index;
	vq->num = num;
	vq->event_idx = event_idx;
	vq->perm = perm;
	vq->desc = arena_alloc(perm, 16ULL * num, RING_ALIGN, &vq->desc_gpa);
	vq->avail = arena_alloc(perm, 6 + 2ULL * num, RING_ALIGN,
				&vq->avail_gpa);
	vq->used = arena_alloc(perm, 6 + 8ULL * num, RING_ALIGN,
			       &vq->used_gpa);
	vq->cookie = calloc(num, sizeof(*vq->cookie));
	vq->link = calloc(num, sizeof(*vq->link));
	vq->chain = calloc(num, sizeof(*vq->chain));
	vq->ind = calloc(num, sizeof(*vq->ind));
	if (!vq->desc || !vq->avail || !vq->used || !vq->cookie ||
	    !vq->link || !vq->chain || !vq->ind)
		return -ENOMEM;
	memset(vq->desc, 0, 16ULL * num);
	memset(vq->avail, 0, 6 + 2ULL * num);
	memset(vq->used, 0, 6 + 8ULL * num);
	for (i = 0; i < num; i++)
		vq->link[i] = (uint16_t)((i + 1) % num);
	vq->free_head = 0;
	vq->num_free = num;
	vq->kick_fd = make_eventfd();
	vq->call_fd = make_eventfd();
	vq->err_fd = make_eventfd();
	if (vq->kick_fd < 0 || vq->call_fd < 0 || vq->err_fd < 0)
		return -errno;
	return 0;
}

void gvq_fini(struct gvq *vq)
{
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	if (vq->err_fd >= 0)
		close(vq->err_fd);
	free(vq->cookie);
	free(vq->link);
	free(vq->chain);
	free(vq->ind);
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

/*
 * Back to the state of gvq_init(), in place: rings zeroed, every
 * descriptor free, indices 0 (the eventfds and indirect tables stay).
 * For a ring the device gave up on; the device must not be using it.
 */
void gvq_reset(struct gvq *vq)
{
	unsigned int i, num = vq->num;

	memset(vq->desc, 0, 16ULL * num);
	memset(vq->avail, 0, 6 + 2ULL * num);
	memset(vq->used, 0, 6 + 8ULL * num);
	for (i = 0; i < num; i++)
		vq->link[i] = (uint16_t)((i + 1) % num);
	memset(vq->cookie, 0, num * sizeof(*vq->cookie));
	memset(vq->chain, 0, num * sizeof(*vq->chain));
	vq->free_head = 0;
	vq->num_free = num;
	vq->avail_idx = vq->published = vq->last_used = 0;
}

static void set_desc(struct vring_desc *d, const struct sg *s, bool more,
		     uint16_t next)
{
	uint16_t flags = 0;

	if (s->dev_writes)
		flags |= VRING_DESC_F_WRITE;
	if (more)
		flags |= VRING_DESC_F_NEXT;
	put_le64(&d->addr, s->gpa);
	put_le32(&d->len, s->len);
	put_le16(&d->flags, flags);
	put_le16(&d->next, more ? next : 0);
}

static uint16_t pop_free(struct gvq *vq)
{
	uint16_t i = vq->free_head;

	vq->free_head = vq->link[i];
	vq->num_free--;
	return i;
}

static struct ind_table *get_table(struct gvq *vq, uint16_t head,
				   unsigned int n)
{
	struct ind_table *t = &vq->ind[head];
	unsigned int cap = 16;

	if (t->cap >= n)
		return t;
	while (cap < n)
		cap *= 2;
	/* The old table (if any) is leaked in the arena: tables only grow. */
	t->desc = arena_alloc(vq->perm, 16ULL * cap, 16, &t->gpa);
	if (!t->desc) {
		t->cap = 0;
		return NULL;
	}
	t->cap = cap;
	return t;
}

static int add_indirect(struct gvq *vq, const struct sg *sg, unsigned int n)
{
	uint16_t head = vq->free_head;
	struct ind_table *t = get_table(vq, head, n);
	struct sg ring;
	unsigned int i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		set_desc(&t->desc[i], &sg[i], i + 1 < n, (uint16_t)(i + 1));
	head = pop_free(vq);
	ring.gpa = t->gpa;
	ring.len = 16 * n;
	ring.dev_writes = false;
	set_desc(&vq->desc[head], &ring, false, 0);
	put_le16(&vq->desc[head].flags, VRING_DESC_F_INDIRECT);
	vq->chain[head] = 1;
	return head;
}

static int add_direct(struct gvq *vq, const struct sg *sg, unsigned int n)
{
	uint16_t head, cur, next;
	unsigned int i;

	head = cur = pop_free(vq);
	for (i = 0; i < n; i++) {
		next = i + 1 < n ? pop_free(vq) : 0;
		vq->link[cur] = next;
		set_desc(&vq->desc[cur], &sg[i], i + 1 < n, next);
		cur = next;
	}
	vq->chain[head] = (uint16_t)n;
	return head;
}

/*
 * Queue one request (not yet visible to the device: see gvq_kick).
 * Returns the head index, -ENOSPC if the ring is full.
 */
int gvq_add(struct gvq *vq, const struct sg *sg, unsigned int n,
	    bool indirect, void *cookie)
{
	int head;

	if (!n || !cookie || (!indirect && n > vq->num))
		return -EINVAL;
	if (vq->num_free < (indirect ? 1 : n))
		return -ENOSPC;
	head = indirect ? add_indirect(vq, sg, n) : add_direct(vq, sg, n);
	if (head < 0)
		return head;
	vq->cookie[head] = cookie;
	put_le16(&vq->avail->ring[vq->avail_idx % vq->num], (uint16_t)head);
	vq->avail_idx++;
	return head;
}

/* Publish what was added and notify the device if it asked for it. */
void gvq_kick(struct gvq *vq)
{
	uint16_t old = vq->published, new = vq->avail_idx;
	uint64_t one = 1;
	bool need;

	if (old == new)
		return;
	store_release16(&vq->avail->idx, new);
	vq->published = new;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		need = vring_need_event(load_acquire16(avail_event_p(vq)),
					new, old);
	else
		need = !(load_acquire16(&vq->used->flags) &
			 VRING_USED_F_NO_NOTIFY);
	if (need && write(vq->kick_fd, &one, sizeof(one)) == sizeof(one))
		vq->kicks++;
}

uint16_t gvq_used_idx(const struct gvq *vq)
{
	return load_acquire16(&vq->used->idx);
}

bool gvq_more_used(const struct gvq *vq)
{
	return gvq_used_idx(vq) != vq->last_used;
}

static void free_chain(struct gvq *vq, uint16_t head)
{
	uint16_t i = head, n = vq->chain[head];

	while (--n)
		i = vq->link[i];
	vq->link[i] = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->chain[head];
	vq->chain[head] = 0;
	vq->cookie[head] = NULL;
}

/*
 * Take one used element.  Returns 1 with its cookie, 0 if there is none,
 * -EIO if the device returned a head that is not in flight.
 */
int gvq_get_used(struct gvq *vq, void **cookie, uint32_t *len)
{
	const struct vring_used_elem *e;
	uint32_t id;

	if (!gvq_more_used(vq))
		return 0;
	e = &vq->used->ring[vq->last_used % vq->num];
	id = get_le32(&e->id);
	if (len)
		*len = get_le32(&e->len);
	vq->last_used++;
	if (id >= vq->num || !vq->cookie[id]) {
		fprintf(stderr, "vl-guest: vq %u: device used head %u, "
			"which is not in flight\n", vq->index, id);
		return -EIO;
	}
	*cookie = vq->cookie[id];
	free_chain(vq, (uint16_t)id);
	if (vq->event_idx)
		store_release16(used_event_p(vq), vq->last_used);
	return 1;
}

static void drain_fd(int fd, uint64_t *count)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v) && count)
		*count += v;
}

/*
 * Sleep until the device signals this queue or deadline (CLOCK_MONOTONIC
 * ns) passes.  Returns 0 when used entries are there, -ETIMEDOUT.
 */
int gvq_wait(struct gvq *vq, int64_t deadline_ns)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = vq->call_fd, .events = POLLIN },
			{ .fd = vq->err_fd, .events = POLLIN },
		};
		int64_t left;

		if (gvq_more_used(vq))
			return 0;
		if (vq->event_idx)
			store_release16(used_event_p(vq), vq->last_used);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (gvq_more_used(vq))
			return 0;
		left = deadline_ns - now_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(p, 2, (int)((left + 999999) / 1000000)) < 0 &&
		    errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN)
			drain_fd(vq->err_fd, &vq->err_events);
		if (p[0].revents & POLLIN)
			drain_fd(vq->call_fd, NULL);
	}
}

/* VHOST_SET_VRING_ERR signals seen so far (also those not yet read). */
uint64_t gvq_err_events(struct gvq *vq)
{
	drain_fd(vq->err_fd, &vq->err_events);
	return vq->err_events;
}
