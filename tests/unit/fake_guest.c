// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest.c - a fake guest for the unit tests of the portable core
 *
 * Plays the driver side of the rings with plain stores into the fake
 * guest memory; every store goes through vl_mem_write() so that a test
 * laying out memory outside the regions fails loudly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fake_guest.h"

struct fg *g;

/* Keep cmocka's stdout lines in order with its stderr ones in a pipe. */
__attribute__((constructor)) static void fg_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static const struct {
	u64 gpa;
	u64 size;
} fg_layout[FG_NREGIONS] = {
	{ FG_R0, FG_R0_SIZE },
	{ FG_R1, FG_R1_SIZE },
	{ FG_R2, FG_R2_SIZE },
	{ FG_R3, FG_R3_SIZE },
};

int fg_setup(void **state)
{
	int i;

	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	vl_mem_init(&g->mem);
	for (i = 0; i < FG_NREGIONS; i++) {
		g->host[i] = calloc(1, fg_layout[i].size);
		assert_non_null(g->host[i]);
		assert_int_equal(vl_mem_add_region(&g->mem, fg_layout[i].gpa,
						   fg_layout[i].size,
						   (uintptr_t)g->host[i]), 0);
	}
	g->chain.segs = g->segs;
	g->chain.max_segs = FG_MAX_SEGS;
	*state = g;
	return 0;
}

int fg_teardown(void **state)
{
	int i;

	for (i = 0; i < FG_NREGIONS; i++)
		free(g->host[i]);
	free(g);
	g = NULL;
	*state = NULL;
	return 0;
}

void *fg_ptr(u64 gpa)
{
	const struct vl_mem_region *r = vl_mem_find(&g->mem, gpa);

	assert_non_null(r);
	return (void *)(uintptr_t)(r->uaddr + (gpa - r->gpa));
}

static void fg_write(u64 gpa, const void *p, u32 len)
{
	assert_int_equal(vl_mem_write(&g->mem, gpa, p, len), 0);
}

static void fg_read(u64 gpa, void *p, u32 len)
{
	assert_int_equal(vl_mem_read(&g->mem, gpa, p, len), 0);
}

void fg_w8(u64 gpa, u8 v)
{
	fg_write(gpa, &v, 1);
}

void fg_w16(u64 gpa, u16 v)
{
	vl_le16 le = vl_cpu_to_le16(v);

	fg_write(gpa, &le, sizeof(le));
}

void fg_w32(u64 gpa, u32 v)
{
	vl_le32 le = vl_cpu_to_le32(v);

	fg_write(gpa, &le, sizeof(le));
}

void fg_w64(u64 gpa, u64 v)
{
	vl_le64 le = vl_cpu_to_le64(v);

	fg_write(gpa, &le, sizeof(le));
}

u8 fg_r8(u64 gpa)
{
	u8 v;

	fg_read(gpa, &v, 1);
	return v;
}

u16 fg_r16(u64 gpa)
{
	vl_le16 le;

	fg_read(gpa, &le, sizeof(le));
	return vl_le16_to_cpu(le);
}

u32 fg_r32(u64 gpa)
{
	vl_le32 le;

	fg_read(gpa, &le, sizeof(le));
	return vl_le32_to_cpu(le);
}

void fg_fill(u64 gpa, u8 v, u32 len)
{
	while (len--)
		fg_w8(gpa++, v);
}

/* Set up and start the test ring at FG_DESC/FG_AVAIL/FG_USED. */
void fg_ring(u32 num, u64 features)
{
	assert_int_equal(vl_vring_init(&g->vr, num, FG_DESC, FG_AVAIL,
				       FG_USED, features), 0);
	assert_int_equal(vl_vring_start(&g->vr, &g->mem), 0);
	g->drv_avail_idx = g->vr.last_avail_idx;
}

void fg_desc(u64 table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	u64 at = table + 16ULL * i;

	fg_w64(at, addr);
	fg_w32(at + 8, len);
	fg_w16(at + 12, flags);
	fg_w16(at + 14, next);
}

/* Put @head in the next avail slot without publishing it. */
void fg_avail_put(u16 head)
{
	u32 num = g->vr.num;

	fg_w16(FG_AVAIL + 4 + 2 * (g->drv_avail_idx & (num - 1)), head);
	g->drv_avail_idx++;
}

void fg_avail_publish(void)
{
	fg_w16(FG_AVAIL + 2, g->drv_avail_idx);
}

void fg_avail_add(u16 head)
{
	fg_avail_put(head);
	fg_avail_publish();
}

void fg_set_avail_flags(u16 flags)
{
	fg_w16(FG_AVAIL, flags);
}

void fg_set_used_event(u16 v)
{
	fg_w16(FG_AVAIL + 4 + 2 * g->vr.num, v);
}

u16 fg_used_flags(void)
{
	return fg_r16(FG_USED);
}

u16 fg_avail_event(void)
{
	return fg_r16(FG_USED + 4 + 8 * g->vr.num);
}

u16 fg_used_idx(void)
{
	return fg_r16(FG_USED + 2);
}

void fg_used_elem(u16 i, u32 *id, u32 *len)
{
	u64 at = FG_USED + 4 + 8ULL * (i & (g->vr.num - 1));

	*id = fg_r32(at);
	*len = fg_r32(at + 4);
}

int fg_pop(void)
{
	return fg_pop_max(FG_MAX_SEGS);
}

int fg_pop_max(u16 max_segs)
{
	memset(&g->chain, 0x5a, sizeof(g->chain));
	g->chain.segs = g->segs;
	g->chain.max_segs = max_segs;
	return vl_vring_pop(&g->vr, &g->mem, &g->chain);
}

/* Remove the region holding @gpa from the table (its memory stays). */
void fg_drop_region(u64 gpa)
{
	struct vl_mem old = g->mem;
	u32 i;

	vl_mem_init(&g->mem);
	for (i = 0; i < old.nregions; i++) {
		const struct vl_mem_region *r = &old.regions[i];

		if (gpa - r->gpa < r->size)
			continue;
		assert_int_equal(vl_mem_add_region(&g->mem, r->gpa, r->size,
						   r->uaddr), 0);
	}
	assert_int_equal(g->mem.nregions, old.nregions - 1);
}
