/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake_guest.h - a fake guest for the unit tests of the portable core
 *
 * Guest-physical layout (each region is a separate heap block, so that
 * AddressSanitizer catches any access past a region's end):
 *
 *   R0  0x00000 - 0x10000   rings at 0x1000 (desc), 0x2000 (avail),
 *                           0x3000 (used); buffers from 0x8000
 *   --  0x10000 - 0x20000   hole
 *   R1  0x20000 - 0x28000   indirect tables, buffers
 *   R2  0x28000 - 0x30000   adjacent to R1: ranges may span both
 *   R3  2^64 - 0x1000 ...   the last page of the address space
 */
#ifndef FAKE_GUEST_H
#define FAKE_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <vlcore/vl_vscsi.h>

#define FG_R0		0x00000ULL
#define FG_R0_SIZE	0x10000ULL
#define FG_HOLE		0x10000ULL
#define FG_R1		0x20000ULL
#define FG_R1_SIZE	0x8000ULL
#define FG_R2		0x28000ULL
#define FG_R2_SIZE	0x8000ULL
#define FG_R3		0xfffffffffffff000ULL
#define FG_R3_SIZE	0x1000ULL
#define FG_NREGIONS	4

#define FG_DESC		0x1000ULL
#define FG_AVAIL	0x2000ULL
#define FG_USED		0x3000ULL
#define FG_BUF		0x8000ULL

#define FG_MAX_SEGS	512

/* Feature masks. */
#define FG_F_INDIRECT	(1ULL << VL_VIRTIO_F_INDIRECT_DESC)
#define FG_F_EVENT_IDX	(1ULL << VL_VIRTIO_F_EVENT_IDX)
#define FG_F_NOE	(1ULL << VL_VIRTIO_F_NOTIFY_ON_EMPTY)

#define TEST(name) static void name(void **state __attribute__((unused)))

struct fg {
	struct vl_mem mem;
	u8 *host[FG_NREGIONS];
	struct vl_vring vr;
	u16 drv_avail_idx;		/* the driver's avail->idx */
	struct vl_seg segs[FG_MAX_SEGS];
	struct vl_chain chain;
};

extern struct fg *g;

int fg_setup(void **state);
int fg_teardown(void **state);

void *fg_ptr(u64 gpa);
void fg_w8(u64 gpa, u8 v);
void fg_w16(u64 gpa, u16 v);
void fg_w32(u64 gpa, u32 v);
void fg_w64(u64 gpa, u64 v);
u8 fg_r8(u64 gpa);
u16 fg_r16(u64 gpa);
u32 fg_r32(u64 gpa);
void fg_fill(u64 gpa, u8 v, u32 len);

void fg_ring(u32 num, u64 features);
void fg_desc(u64 table, u16 i, u64 addr, u32 len, u16 flags, u16 next);
void fg_avail_put(u16 head);
void fg_avail_publish(void);
void fg_avail_add(u16 head);
void fg_set_avail_flags(u16 flags);
void fg_set_used_event(u16 v);
u16 fg_used_flags(void);
u16 fg_avail_event(void);
u16 fg_used_idx(void);
void fg_used_elem(u16 i, u32 *id, u32 *len);
int fg_pop(void);
int fg_pop_max(u16 max_segs);
void fg_drop_region(u64 gpa);

#endif /* FAKE_GUEST_H */
