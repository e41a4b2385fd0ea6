// SPDX-License-Identifier: GPL-2.0
/*
 * test_vring.c - split virtqueue engine (drivers/core/vring.c)
 */
#include "fake_guest.h"

#define R	0			/* device-readable */
#define W	VL_VRING_DESC_F_WRITE
#define N	VL_VRING_DESC_F_NEXT
#define I	VL_VRING_DESC_F_INDIRECT

static void assert_broken(int ret, int err, enum vl_vring_fault fault)
{
	assert_int_equal(ret, err);
	assert_true(g->vr.broken);
	assert_int_equal(g->vr.fault, fault);
	/* Once broken, everything fails until restarted. */
	assert_int_equal(fg_pop(), -EIO);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 0, 0), -EIO);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), -EIO);
	assert_int_equal(vl_vring_need_signal(&g->vr, &g->mem), -EIO);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), -EIO);
}

static void assert_seg(u16 i, u64 gpa, u32 len)
{
	assert_int_equal(g->segs[i].gpa, gpa);
	assert_int_equal(g->segs[i].len, len);
}

TEST(init_rejects_bad_geometry)
{
	struct vl_vring vr;

	assert_int_equal(vl_vring_init(&vr, 0, FG_DESC, FG_AVAIL, FG_USED, 0),
			 -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 3, FG_DESC, FG_AVAIL, FG_USED, 0),
			 -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 65536, FG_DESC, FG_AVAIL,
				       FG_USED, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 8, FG_DESC + 8, FG_AVAIL,
				       FG_USED, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 8, FG_DESC, FG_AVAIL + 1,
				       FG_USED, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 8, FG_DESC, FG_AVAIL,
				       FG_USED + 2, 0), -EINVAL);
	/* The descriptor table would wrap past 2^64. */
	assert_int_equal(vl_vring_init(&vr, 8, ~0ULL - 63, FG_AVAIL,
				       FG_USED, 0), -EINVAL);
	assert_int_equal(vl_vring_init(&vr, 1, FG_DESC, FG_AVAIL + 2,
				       FG_USED + 4, 0), 0);
	assert_int_equal(vl_vring_init(&vr, 32768, FG_DESC, FG_AVAIL,
				       FG_USED, FG_F_EVENT_IDX), 0);
	assert_true(vr.event_idx);
	assert_false(vr.indirect);
	assert_false(vr.notify_on_empty);
}

TEST(start_checks_memory)
{
	struct vl_vring vr;

	memset(&vr, 0, sizeof(vr));
	assert_int_equal(vl_vring_start(&vr, &g->mem), -EINVAL);
	/* The used ring runs from R0 into the hole. */
	assert_int_equal(vl_vring_init(&vr, 8, FG_DESC, FG_AVAIL,
				       FG_HOLE - 16, 0), 0);
	assert_int_equal(vl_vring_start(&vr, &g->mem), -EFAULT);
	/* Descriptor table in the hole. */
	assert_int_equal(vl_vring_init(&vr, 8, FG_HOLE, FG_AVAIL, FG_USED, 0),
			 0);
	assert_int_equal(vl_vring_check_mem(&vr, &g->mem), -EFAULT);
	/* A ring spanning the adjacent regions R1 and R2 is fine. */
	assert_int_equal(vl_vring_init(&vr, 8, FG_R2 - 64, FG_AVAIL, FG_USED,
				       0), 0);
	assert_int_equal(vl_vring_check_mem(&vr, &g->mem), 0);
}

TEST(start_takes_used_idx_from_guest)
{
	u16 avail, used;

	fg_w16(FG_USED, VL_VRING_USED_F_NO_NOTIFY);
	fg_w16(FG_USED + 2, 0x1234);
	assert_int_equal(vl_vring_init(&g->vr, 8, FG_DESC, FG_AVAIL, FG_USED,
				       0), 0);
	vl_vring_set_base(&g->vr, 0x77, 0);
	assert_int_equal(vl_vring_start(&g->vr, &g->mem), 0);
	vl_vring_get_base(&g->vr, &avail, &used);
	assert_int_equal(avail, 0x77);
	assert_int_equal(used, 0x1234);
	/* Kicks are enabled on start. */
	assert_int_equal(fg_used_flags(), 0);
	/* set_base after start wins. */
	vl_vring_set_base(&g->vr, 5, 7);
	vl_vring_get_base(&g->vr, &avail, &used);
	assert_int_equal(avail, 5);
	assert_int_equal(used, 7);
}

TEST(start_rearms_avail_event)
{
	assert_int_equal(vl_vring_init(&g->vr, 8, FG_DESC, FG_AVAIL, FG_USED,
				       FG_F_EVENT_IDX), 0);
	fg_w16(FG_USED + 4 + 8 * 8, 0xabcd);
	fg_w16(FG_USED, VL_VRING_USED_F_NO_NOTIFY);
	vl_vring_set_base(&g->vr, 0x33, 0);
	assert_int_equal(vl_vring_start(&g->vr, &g->mem), 0);
	assert_int_equal(fg_avail_event(), 0x33);
	assert_int_equal(fg_used_flags(), 0);
}

TEST(pop_empty)
{
	fg_ring(8, 0);
	assert_int_equal(fg_pop(), 0);
	assert_int_equal(fg_pop(), 0);
	assert_false(g->vr.broken);
	assert_int_equal(g->vr.last_avail_idx, 0);
}

TEST(pop_simple_chain)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 5, FG_BUF, 100, R | N, 2);
	fg_desc(FG_DESC, 2, FG_BUF + 0x100, 20, R | N, 7);
	fg_desc(FG_DESC, 7, FG_R1, 4096, W, 0);
	fg_avail_add(5);

	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 5);
	assert_int_equal(g->chain.nr_out, 2);
	assert_int_equal(g->chain.nr_in, 1);
	assert_int_equal(g->chain.out_len, 120);
	assert_int_equal(g->chain.in_len, 4096);
	assert_seg(0, FG_BUF, 100);
	assert_seg(1, FG_BUF + 0x100, 20);
	assert_seg(2, FG_R1, 4096);
	assert_int_equal(g->vr.last_avail_idx, 1);
	assert_int_equal(fg_pop(), 0);
}

TEST(pop_many_across_ring_wrap)
{
	u16 i, head;

	fg_ring(4, 0);
	for (i = 0; i < 4; i++)
		fg_desc(FG_DESC, i, FG_BUF + 16 * i, 16, W, 0);
	/* 11 rounds through a 4-entry ring, 3 chains at a time. */
	for (i = 0; i < 33; i++) {
		head = (i * 3) & 3;
		fg_avail_put(head);
		if (i % 3 == 2)
			fg_avail_publish();
		if (i % 3 != 2)
			continue;
		for (head = 0; head < 3; head++) {
			assert_int_equal(fg_pop(), 1);
			assert_int_equal(g->chain.head,
					 ((i - 2 + head) * 3) & 3);
			assert_seg(0, FG_BUF + 16 * g->chain.head, 16);
		}
		assert_int_equal(fg_pop(), 0);
	}
	assert_int_equal(g->vr.last_avail_idx, 33);
}

TEST(pop_avail_idx_wraps_16_bits)
{
	fg_ring(8, 0);
	vl_vring_set_base(&g->vr, 0xfffe, 0);
	g->drv_avail_idx = 0xfffe;
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_put(0);
	fg_avail_put(0);
	fg_avail_put(0);
	fg_avail_publish();
	assert_int_equal(fg_r16(FG_AVAIL + 2), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 0);
	assert_int_equal(g->vr.last_avail_idx, 1);
}

TEST(pop_avail_idx_jump)
{
	u16 i;

	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	/* Exactly num new entries is legal. */
	for (i = 0; i < 8; i++)
		fg_avail_put(0);
	fg_avail_publish();
	for (i = 0; i < 8; i++)
		assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 0);
	/* num + 1 is not. */
	fg_w16(FG_AVAIL + 2, 8 + 9);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_AVAIL_IDX);
	assert_int_equal(g->vr.fault_val, 17);
	/* A restart clears the fault. */
	fg_w16(FG_AVAIL + 2, 8);
	assert_int_equal(vl_vring_start(&g->vr, &g->mem), 0);
	assert_false(g->vr.broken);
	assert_int_equal(fg_pop(), 0);
	/* Moving backwards is a jump by almost 2^16. */
	fg_w16(FG_AVAIL + 2, 7);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_AVAIL_IDX);
}

TEST(pop_head_out_of_range)
{
	fg_ring(8, 0);
	fg_avail_add(8);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_HEAD);
	assert_int_equal(g->vr.fault_val, 8);
	assert_int_equal(g->vr.last_avail_idx, 0);
}

TEST(pop_next_out_of_range)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R | N, 8);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_NEXT);
	assert_int_equal(g->vr.fault_val, 8);
}

TEST(pop_loop_direct)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R | N, 1);
	fg_desc(FG_DESC, 1, FG_BUF, 1, R | N, 2);
	fg_desc(FG_DESC, 2, FG_BUF, 1, R | N, 0);
	fg_avail_add(1);
	assert_broken(fg_pop(), -ELOOP, VL_FAULT_LOOP);
	assert_int_equal(g->vr.fault_val, 1);
}

TEST(pop_self_loop)
{
	fg_ring(1, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, W | N, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -ELOOP, VL_FAULT_LOOP);
}

TEST(pop_chain_of_num_descriptors)
{
	u16 i;

	fg_ring(16, 0);
	for (i = 0; i < 16; i++)
		fg_desc(FG_DESC, i, FG_BUF + i, 1, W | (i < 15 ? N : 0), i + 1);
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.nr_in, 16);
	assert_int_equal(g->chain.in_len, 16);
	assert_seg(15, FG_BUF + 15, 1);
}

TEST(pop_indirect)
{
	u64 t = FG_R1;

	fg_ring(8, FG_F_INDIRECT);
	/* The F_WRITE of the descriptor naming the table is ignored. */
	fg_desc(FG_DESC, 3, t, 4 * 16, I | W, 0);
	fg_desc(t, 0, FG_BUF, 51, R | N, 2);
	fg_desc(t, 2, FG_BUF + 64, 512, R | N, 1);
	fg_desc(t, 1, FG_BUF + 0x1000, 108, W | N, 3);
	fg_desc(t, 3, FG_R2 - 8, 16, W, 0);
	fg_avail_add(3);

	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 3);
	assert_int_equal(g->chain.nr_out, 2);
	assert_int_equal(g->chain.nr_in, 2);
	assert_int_equal(g->chain.out_len, 563);
	assert_int_equal(g->chain.in_len, 124);
	assert_seg(0, FG_BUF, 51);
	assert_seg(1, FG_BUF + 64, 512);
	assert_seg(2, FG_BUF + 0x1000, 108);
	/* A buffer spanning the adjacent regions R1 and R2. */
	assert_seg(3, FG_R2 - 8, 16);
}

TEST(pop_direct_then_indirect)
{
	u64 t = FG_R1;

	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_BUF, 51, R | N, 6);
	fg_desc(FG_DESC, 6, t, 2 * 16, I, 0);
	fg_desc(t, 0, FG_BUF + 64, 8, R | N, 1);
	fg_desc(t, 1, FG_BUF + 128, 108, W, 0);
	fg_avail_add(0);

	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.nr_out, 2);
	assert_int_equal(g->chain.nr_in, 1);
	assert_seg(0, FG_BUF, 51);
	assert_seg(1, FG_BUF + 64, 8);
	assert_seg(2, FG_BUF + 128, 108);
}

TEST(pop_indirect_not_negotiated)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_R1, 16, I, 0);
	fg_desc(FG_R1, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_INDIRECT_FEATURE);
}

TEST(pop_indirect_nested)
{
	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_R1, 32, I, 0);
	fg_desc(FG_R1, 0, FG_BUF, 1, R | N, 1);
	fg_desc(FG_R1, 1, FG_R1 + 0x100, 16, I, 0);
	fg_desc(FG_R1 + 0x100, 0, FG_BUF, 1, W, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_NESTED_INDIRECT);
}

TEST(pop_indirect_with_next)
{
	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_R1, 16, I | N, 1);
	fg_desc(FG_DESC, 1, FG_BUF, 1, W, 0);
	fg_desc(FG_R1, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_INDIRECT_NEXT);
}

static void check_indirect_len(u32 len)
{
	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_R1, len, I, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_INDIRECT_LEN);
	assert_int_equal(g->vr.fault_val, len);
}

TEST(pop_indirect_bad_len)
{
	check_indirect_len(0);
	check_indirect_len(15);
	check_indirect_len(17);
	check_indirect_len((VL_VRING_INDIRECT_MAX + 1) * 16);
}

TEST(pop_indirect_loop)
{
	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_R1, 3 * 16, I, 0);
	fg_desc(FG_R1, 0, FG_BUF, 1, R | N, 1);
	fg_desc(FG_R1, 1, FG_BUF, 1, R | N, 2);
	fg_desc(FG_R1, 2, FG_BUF, 1, R | N, 1);
	fg_avail_add(0);
	assert_broken(fg_pop(), -ELOOP, VL_FAULT_INDIRECT_LOOP);
}

TEST(pop_indirect_next_beyond_table)
{
	fg_ring(8, FG_F_INDIRECT);
	/* next = 3 is inside the ring's size but outside the table. */
	fg_desc(FG_DESC, 0, FG_R1, 3 * 16, I, 0);
	fg_desc(FG_R1, 0, FG_BUF, 1, R | N, 3);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_NEXT);
	assert_int_equal(g->vr.fault_val, 3);
}

TEST(pop_indirect_table_not_in_memory)
{
	fg_ring(8, FG_F_INDIRECT);
	/* The table runs from R0 into the hole. */
	fg_desc(FG_DESC, 0, FG_HOLE - 16, 32, I, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EFAULT, VL_FAULT_MEM_DESC);
	assert_int_equal(g->vr.fault_val, FG_HOLE - 16);
}

TEST(pop_readable_after_writable)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 8, W | N, 1);
	fg_desc(FG_DESC, 1, FG_BUF, 8, R, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_ORDER);
}

TEST(pop_readable_after_writable_zero_len)
{
	/* The rule holds for zero-length descriptors too. */
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 0, W | N, 1);
	fg_desc(FG_DESC, 1, FG_BUF, 8, R, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_ORDER);
}

TEST(pop_readable_after_writable_into_indirect)
{
	fg_ring(8, FG_F_INDIRECT);
	fg_desc(FG_DESC, 0, FG_BUF, 8, W | N, 1);
	fg_desc(FG_DESC, 1, FG_R1, 16, I, 0);
	fg_desc(FG_R1, 0, FG_BUF, 8, R, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EINVAL, VL_FAULT_ORDER);
}

TEST(pop_zero_length_dropped)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 4, R | N, 1);
	/* Not checked against memory: it carries nothing. */
	fg_desc(FG_DESC, 1, FG_HOLE, 0, R | N, 2);
	fg_desc(FG_DESC, 2, FG_BUF + 8, 4, W | N, 3);
	fg_desc(FG_DESC, 3, FG_BUF, 0, W, 0);
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.nr_out, 1);
	assert_int_equal(g->chain.nr_in, 1);
	assert_seg(0, FG_BUF, 4);
	assert_seg(1, FG_BUF + 8, 4);
}

static void check_bad_buffer(u64 gpa, u32 len)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 4, R | N, 1);
	fg_desc(FG_DESC, 1, gpa, len, W, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EFAULT, VL_FAULT_MEM_BUF);
	assert_int_equal(g->vr.fault_val, gpa);
}

TEST(pop_buffer_not_in_memory)
{
	check_bad_buffer(FG_HOLE, 1);
	check_bad_buffer(FG_HOLE - 1, 2);		/* into the hole */
	check_bad_buffer(FG_R1 - 1, 2);			/* from the hole */
	check_bad_buffer(FG_R2 + FG_R2_SIZE - 4, 8);	/* past R2 */
	check_bad_buffer(~0ULL - 1, 4);			/* wraps into R0 */
}

TEST(pop_buffer_at_end_of_address_space)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, ~0ULL - 1, 2, W, 0);
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
	assert_seg(0, ~0ULL - 1, 2);
}

TEST(pop_length_overflow)
{
	uintptr_t ua = (uintptr_t)g->host[0];

	/* 8 GiB of "memory" that is never dereferenced. */
	assert_int_equal(vl_mem_add_region(&g->mem, 1ULL << 32, 1ULL << 33,
					   ua), 0);
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, 1ULL << 32, 0xfffffff0U, R | N, 1);
	fg_desc(FG_DESC, 1, 1ULL << 32, 0xf, W | N, 2);
	fg_desc(FG_DESC, 2, FG_BUF, 0, W, 0);
	fg_avail_add(0);
	/* Exactly 2^32 - 1 bytes is fine. */
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.out_len, 0xfffffff0U);
	assert_int_equal(g->chain.in_len, 0xf);

	fg_desc(FG_DESC, 2, FG_BUF, 1, W, 0);
	fg_avail_add(0);
	assert_broken(fg_pop(), -EOVERFLOW, VL_FAULT_LEN_OVERFLOW);
	assert_int_equal(g->vr.fault_val, 0x100000000ULL);
}

TEST(pop_too_many_segments)
{
	u16 i;

	fg_ring(8, 0);
	for (i = 0; i < 5; i++)
		fg_desc(FG_DESC, i, FG_BUF + i, 1, R | (i < 4 ? N : 0), i + 1);
	fg_avail_add(0);
	fg_avail_add(0);
	assert_int_equal(fg_pop_max(5), 1);
	assert_int_equal(g->chain.nr_out, 5);
	assert_broken(fg_pop_max(4), -E2BIG, VL_FAULT_TOO_MANY_SEGS);
	assert_int_equal(g->vr.fault_val, 4);
	assert_int_equal(g->vr.last_avail_idx, 1);
}

TEST(pop_ring_gone_from_memory)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	/* The memory table changed under a running ring. */
	fg_drop_region(FG_R0);
	assert_broken(fg_pop(), -EFAULT, VL_FAULT_MEM_RING);
	assert_int_equal(g->vr.fault_val, FG_AVAIL + 2);
}

TEST(unpop)
{
	fg_ring(8, 0);
	fg_desc(FG_DESC, 1, FG_BUF, 1, R, 0);
	fg_desc(FG_DESC, 2, FG_BUF, 2, R, 0);
	fg_avail_add(1);
	fg_avail_add(2);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 2);
	assert_int_equal(vl_vring_unpop(&g->vr, 2), 0);
	assert_int_equal(g->vr.last_avail_idx, 0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 1);
	assert_int_equal(vl_vring_unpop(&g->vr, 1), 0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(g->chain.head, 2);
	assert_int_equal(fg_pop(), 0);
	assert_int_equal(vl_vring_unpop(&g->vr, 9), -EINVAL);
	assert_int_equal(g->vr.last_avail_idx, 2);
}

TEST(used_add_and_flush)
{
	u32 id, len;

	fg_ring(8, 0);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 3, 108), 0);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 6, 4204), 0);
	/* Not visible before the flush. */
	assert_int_equal(fg_used_idx(), 0);
	fg_used_elem(0, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 108);
	fg_used_elem(1, &id, &len);
	assert_int_equal(id, 6);
	assert_int_equal(len, 4204);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_idx(), 2);

	/* Nothing to publish: used->idx is left alone. */
	fg_w16(FG_USED + 2, 0x4444);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_idx(), 0x4444);
}

TEST(used_batch_limit)
{
	u16 i;

	fg_ring(4, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, i, i), 0);
	/* A fifth entry would overwrite the first unpublished one. */
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 0, 0), -ENOSPC);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_idx(), 4);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 0, 0), 0);
	/* A head that is not a descriptor is the device's bug, not fatal. */
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 4, 0), -EINVAL);
	assert_false(g->vr.broken);
}

TEST(used_idx_wraps)
{
	u32 id, len;

	fg_ring(4, 0);
	vl_vring_set_base(&g->vr, 0, 0xffff);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 1, 10), 0);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 2, 20), 0);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_idx(), 1);
	fg_used_elem(3, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 10);
	fg_used_elem(0, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, 20);
}

TEST(used_ring_gone_from_memory)
{
	fg_ring(8, 0);
	fg_drop_region(FG_R0);
	assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 0, 0), -EFAULT);
	assert_int_equal(g->vr.fault, VL_FAULT_MEM_USED);
	assert_true(g->vr.broken);
}

TEST(need_event_formula)
{
	static const struct {
		u16 event, new_idx, old_idx;
		bool want;
	} c[] = {
		{ 0, 1, 0, true },		/* the spec's example */
		{ 0, 0, 0, false },		/* nothing new */
		{ 1, 1, 0, false },		/* event is the next one */
		{ 1, 2, 0, true },
		{ 5, 10, 5, true },		/* event == old */
		{ 10, 10, 5, false },		/* event == new */
		{ 9, 10, 5, true },		/* event == new - 1 */
		{ 4, 10, 5, false },		/* event already passed */
		{ 0xffff, 2, 0xfffe, true },	/* across the wrap */
		{ 0x0001, 2, 0xfffe, true },
		{ 0x0002, 2, 0xfffe, false },
		{ 0xfffd, 2, 0xfffe, false },
		{ 0xfffe, 0xffff, 0xfffe, true },
		{ 0x8000, 0x7fff, 0x0000, false },
		{ 0x7ffe, 0x7fff, 0x0000, true },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (vl_vring_need_event(c[i].event, c[i].new_idx,
					c[i].old_idx) != c[i].want)
			fail_msg("need_event(%u, %u, %u) != %d", c[i].event,
				 c[i].new_idx, c[i].old_idx, c[i].want);
	}
}

static int push_and_ask(u16 n)
{
	while (n--)
		assert_int_equal(vl_vring_add_used(&g->vr, &g->mem, 0, 0), 0);
	assert_int_equal(vl_vring_flush_used(&g->vr, &g->mem), 0);
	return vl_vring_need_signal(&g->vr, &g->mem);
}

TEST(signal_no_interrupt_flag)
{
	fg_ring(8, 0);
	assert_int_equal(push_and_ask(1), 1);
	fg_set_avail_flags(VL_VRING_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(push_and_ask(1), 0);
	/* used_event is ignored without event index. */
	fg_set_used_event(2);
	assert_int_equal(push_and_ask(1), 0);
	fg_set_avail_flags(0);
	assert_int_equal(push_and_ask(1), 1);
}

TEST(signal_event_idx)
{
	fg_ring(8, FG_F_EVENT_IDX);
	/* The no-interrupt flag is ignored with event index. */
	fg_set_avail_flags(VL_VRING_AVAIL_F_NO_INTERRUPT);
	fg_set_used_event(3);
	/* First signal after start is always sent: used 0 -> 1. */
	assert_int_equal(push_and_ask(1), 1);
	/* 1 -> 3: the guest wants to hear when entry 3 is used. */
	assert_int_equal(push_and_ask(2), 0);
	/* 3 -> 4: entry 3 is used now. */
	assert_int_equal(push_and_ask(1), 1);
	/* 4 -> 6 with used_event 3 behind: no. */
	assert_int_equal(push_and_ask(2), 0);
	/* A batch jumping over used_event: 6 -> 9, event 7. */
	fg_set_used_event(7);
	assert_int_equal(push_and_ask(3), 1);
}

TEST(signal_event_idx_wrap)
{
	fg_ring(8, FG_F_EVENT_IDX);
	vl_vring_set_base(&g->vr, 0, 0xfffc);
	fg_set_used_event(0xffff);
	assert_int_equal(push_and_ask(1), 1);	/* first one: fffc -> fffd */
	assert_int_equal(push_and_ask(1), 0);	/* fffd -> fffe */
	assert_int_equal(push_and_ask(3), 1);	/* fffe -> 0001, over ffff */
	fg_set_used_event(0x0002);
	assert_int_equal(push_and_ask(1), 0);	/* 0001 -> 0002 */
	assert_int_equal(push_and_ask(1), 1);	/* 0002 -> 0003 */
}

TEST(signal_notify_on_empty)
{
	fg_ring(8, FG_F_NOE);
	fg_set_avail_flags(VL_VRING_AVAIL_F_NO_INTERRUPT);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
	/* Suppressed while chains remain. */
	assert_int_equal(push_and_ask(1), 0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 0);
	/* Ran out of chains: signal despite the flag. */
	assert_int_equal(push_and_ask(1), 1);

	/* Without the feature, the flag wins. */
	fg_ring(8, 0);
	fg_set_avail_flags(VL_VRING_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(push_and_ask(1), 0);

	/* And with event index, used_event is overridden too. */
	fg_ring(8, FG_F_NOE | FG_F_EVENT_IDX);
	g->drv_avail_idx = fg_r16(FG_AVAIL + 2);
	fg_set_used_event(100);
	assert_int_equal(push_and_ask(1), 1);
	assert_int_equal(push_and_ask(1), 1);
}

TEST(kick_enable_disable_flags)
{
	fg_ring(8, 0);
	assert_int_equal(vl_vring_disable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_flags(), VL_VRING_USED_F_NO_NOTIFY);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_flags(), 0);

	/* The guest adds a chain while kicks are off: found on re-enable. */
	assert_int_equal(vl_vring_disable_notify(&g->vr, &g->mem), 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 1);
	assert_int_equal(fg_used_flags(), 0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 0);
}

TEST(kick_enable_event_idx)
{
	fg_ring(8, FG_F_EVENT_IDX);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	fg_avail_add(0);
	fg_avail_add(0);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(fg_pop(), 0);
	/* Disabling writes nothing with event index. */
	fg_w16(FG_USED + 4 + 8 * 8, 0xabcd);
	assert_int_equal(vl_vring_disable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_flags(), 0);
	assert_int_equal(fg_avail_event(), 0xabcd);
	/* Enabling asks for a kick at the next avail entry. */
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(fg_avail_event(), 3);
	assert_int_equal(fg_used_flags(), 0);
	/* A chain that came without a kick is found. */
	fg_avail_add(0);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 1);
	assert_int_equal(fg_avail_event(), 3);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(vl_vring_enable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(fg_avail_event(), 4);
}

TEST(kick_enable_sees_bad_avail_idx)
{
	fg_ring(8, 0);
	fg_w16(FG_AVAIL + 2, 9);
	assert_broken(vl_vring_enable_notify(&g->vr, &g->mem), -EINVAL,
		      VL_FAULT_AVAIL_IDX);
}

TEST(poll_reads_avail_idx_only)
{
	fg_ring(8, 0);
	assert_int_equal(vl_vring_disable_notify(&g->vr, &g->mem), 0);
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), 0);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	/* Found without a kick; kicks stay off, nothing is taken. */
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), 1);
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), 1);
	assert_int_equal(fg_used_flags(), VL_VRING_USED_F_NO_NOTIFY);
	assert_int_equal(fg_pop(), 1);
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), 0);
	assert_int_equal(fg_used_flags(), VL_VRING_USED_F_NO_NOTIFY);

	/* With event index, avail_event is not moved either. */
	fg_ring(8, FG_F_EVENT_IDX);
	fg_w16(FG_USED + 4 + 8 * 8, 0xabcd);
	fg_desc(FG_DESC, 0, FG_BUF, 1, R, 0);
	fg_avail_add(0);
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), 1);
	assert_int_equal(fg_avail_event(), 0xabcd);
}

TEST(poll_sees_bad_avail_idx)
{
	fg_ring(8, 0);
	fg_w16(FG_AVAIL + 2, 9);
	assert_broken(vl_vring_poll(&g->vr, &g->mem), -EINVAL,
		      VL_FAULT_AVAIL_IDX);
	assert_int_equal(vl_vring_poll(&g->vr, &g->mem), -EIO);
}

TEST(fault_strings)
{
	int f;

	for (f = 0; f < VL_FAULT_NR; f++) {
		assert_non_null(vl_vring_fault_str(f));
		assert_string_not_equal(vl_vring_fault_str(f), "unknown");
	}
	assert_string_equal(vl_vring_fault_str(VL_FAULT_NR), "unknown");
	assert_string_equal(vl_vring_fault_str(VL_FAULT_LOOP),
			    "descriptor chain loops");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fg_setup, fg_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(init_rejects_bad_geometry),
		T(start_checks_memory),
		T(start_takes_used_idx_from_guest),
		T(start_rearms_avail_event),
		T(pop_empty),
		T(pop_simple_chain),
		T(pop_many_across_ring_wrap),
		T(pop_avail_idx_wraps_16_bits),
		T(pop_avail_idx_jump),
		T(pop_head_out_of_range),
		T(pop_next_out_of_range),
		T(pop_loop_direct),
		T(pop_self_loop),
		T(pop_chain_of_num_descriptors),
		T(pop_indirect),
		T(pop_direct_then_indirect),
		T(pop_indirect_not_negotiated),
		T(pop_indirect_nested),
		T(pop_indirect_with_next),
		T(pop_indirect_bad_len),
		T(pop_indirect_loop),
		T(pop_indirect_next_beyond_table),
		T(pop_indirect_table_not_in_memory),
		T(pop_readable_after_writable),
		T(pop_readable_after_writable_zero_len),
		T(pop_readable_after_writable_into_indirect),
		T(pop_zero_length_dropped),
		T(pop_buffer_not_in_memory),
		T(pop_buffer_at_end_of_address_space),
		T(pop_length_overflow),
		T(pop_too_many_segments),
		T(pop_ring_gone_from_memory),
		T(unpop),
		T(used_add_and_flush),
		T(used_batch_limit),
		T(used_idx_wraps),
		T(used_ring_gone_from_memory),
		T(need_event_formula),
		T(signal_no_interrupt_flag),
		T(signal_event_idx),
		T(signal_event_idx_wrap),
		T(signal_notify_on_empty),
		T(kick_enable_disable_flags),
		T(kick_enable_event_idx),
		T(kick_enable_sees_bad_avail_idx),
		T(poll_reads_avail_idx_only),
		T(poll_sees_bad_avail_idx),
		T(fault_strings),
	};

	return cmocka_run_group_tests_name("vring", tests, NULL, NULL);
}
