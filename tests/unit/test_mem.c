// SPDX-License-Identifier: GPL-2.0
/*
 * test_mem.c - guest memory table (include/vlcore/vl_memtab.h)
 */
#include <stdlib.h>

#include "fake_guest.h"

static u8 scratch[64];

TEST(add_region_rejects_bad_ranges)
{
	struct vl_mem m;
	uintptr_t ua = (uintptr_t)scratch;

	vl_mem_init(&m);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 0, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, ~0ULL, 2, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 16, ~0ULL - 7),
			 -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 16, 0), -EFAULT);
	assert_int_equal(m.nregions, 0);

	/* The last byte of the address space is a valid region end. */
	assert_int_equal(vl_mem_add_region(&m, ~0ULL - 15, 16, ua), 0);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 0x1000, ua), 0);
	assert_int_equal(m.nregions, 2);
}

TEST(add_region_rejects_overlap)
{
	struct vl_mem m;
	uintptr_t ua = (uintptr_t)scratch;

	vl_mem_init(&m);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 0x1000, ua), 0);
	assert_int_equal(vl_mem_add_region(&m, 0x1000, 0x1000, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x0800, 0x1000, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x1fff, 0x1000, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x1100, 0x10, ua), -EINVAL);
	assert_int_equal(vl_mem_add_region(&m, 0x0000, 0x4000, ua), -EINVAL);
	/* Adjacent on both sides is fine. */
	assert_int_equal(vl_mem_add_region(&m, 0x0000, 0x1000, ua), 0);
	assert_int_equal(vl_mem_add_region(&m, 0x2000, 0x1000, ua), 0);
	assert_int_equal(m.nregions, 3);
}

TEST(add_region_full)
{
	struct vl_mem m;
	uintptr_t ua = (uintptr_t)scratch;
	u32 i;

	vl_mem_init(&m);
	for (i = 0; i < VL_MEM_MAX_REGIONS; i++)
		assert_int_equal(vl_mem_add_region(&m, 0x1000ULL * i, 0x10,
						   ua), 0);
	assert_int_equal(vl_mem_add_region(&m, 0x100000, 0x10, ua), -E2BIG);
	assert_int_equal(m.nregions, VL_MEM_MAX_REGIONS);
}

TEST(read_write_inside_region)
{
	u8 in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8] = { 0 };

	assert_int_equal(vl_mem_write(&g->mem, FG_R1 + 100, in, 8), 0);
	assert_memory_equal(fg_ptr(FG_R1 + 100), in, 8);
	assert_int_equal(vl_mem_read(&g->mem, FG_R1 + 100, out, 8), 0);
	assert_memory_equal(out, in, 8);
	/* Last bytes of a region. */
	assert_int_equal(vl_mem_write(&g->mem, FG_R0 + FG_R0_SIZE - 8, in, 8),
			 0);
	assert_int_equal(vl_mem_read(&g->mem, FG_R3 + FG_R3_SIZE - 8, out, 8),
			 0);
}

TEST(read_write_span_adjacent_regions)
{
	u8 in[16], out[16];
	int i;

	for (i = 0; i < 16; i++)
		in[i] = 0xa0 + i;
	assert_int_equal(vl_mem_write(&g->mem, FG_R2 - 5, in, 16), 0);
	assert_memory_equal(fg_ptr(FG_R2 - 5), in, 5);
	assert_memory_equal(fg_ptr(FG_R2), in + 5, 11);
	memset(out, 0, sizeof(out));
	assert_int_equal(vl_mem_read(&g->mem, FG_R2 - 5, out, 16), 0);
	assert_memory_equal(out, in, 16);
	assert_int_equal(vl_mem_check(&g->mem, FG_R1, FG_R1_SIZE + FG_R2_SIZE),
			 0);
}

TEST(efault_outside_regions)
{
	u8 buf[16];

	memset(buf, 0x77, sizeof(buf));
	/* In the hole. */
	assert_int_equal(vl_mem_read(&g->mem, FG_HOLE + 8, buf, 4), -EFAULT);
	assert_int_equal(vl_mem_write(&g->mem, FG_HOLE, buf, 1), -EFAULT);
	/* Straddling the end of R0 into the hole. */
	assert_int_equal(vl_mem_read(&g->mem, FG_HOLE - 4, buf, 8), -EFAULT);
	assert_int_equal(vl_mem_write(&g->mem, FG_HOLE - 4, buf, 8), -EFAULT);
	/* Straddling the start of R1 from the hole. */
	assert_int_equal(vl_mem_check(&g->mem, FG_R1 - 1, 2), -EFAULT);
	/* Past the end of R2. */
	assert_int_equal(vl_mem_check(&g->mem, FG_R2 + FG_R2_SIZE - 1, 2),
			 -EFAULT);
	/* Wrapping past 2^64 into R0. */
	assert_int_equal(vl_mem_read(&g->mem, ~0ULL - 3, buf, 8), -EFAULT);
	assert_int_equal(vl_mem_check(&g->mem, ~0ULL, 2), -EFAULT);
	assert_int_equal(vl_mem_check(&g->mem, ~0ULL, 1), 0);
	/* Zero-length accesses touch nothing. */
	assert_int_equal(vl_mem_read(&g->mem, FG_HOLE, buf, 0), 0);
	assert_int_equal(vl_mem_check(&g->mem, FG_HOLE, 0), 0);
	/* Nothing of the straddling write landed. */
	assert_int_equal(*(u8 *)fg_ptr(FG_HOLE - 4), 0);
}

TEST(translate)
{
	u64 ua = 0;

	assert_int_equal(vl_mem_translate(&g->mem, FG_R1 + 0x10, 0x100, &ua),
			 0);
	assert_ptr_equal((void *)(uintptr_t)ua, g->host[1] + 0x10);
	/* Spanning two regions is not one host range. */
	assert_int_equal(vl_mem_translate(&g->mem, FG_R2 - 1, 2, &ua),
			 -EFAULT);
	assert_int_equal(vl_mem_translate(&g->mem, FG_HOLE, 1, &ua), -EFAULT);
	assert_int_equal(vl_mem_translate(&g->mem, FG_R1, 0, &ua), -EFAULT);
	/* The part in the first region. */
	assert_int_equal(vl_mem_translate_part(&g->mem, FG_R2 - 3, 100, &ua),
			 3);
	assert_ptr_equal((void *)(uintptr_t)ua, g->host[1] + FG_R1_SIZE - 3);
	assert_int_equal(vl_mem_translate_part(&g->mem, FG_HOLE, 100, &ua), 0);
}

TEST(load_store16)
{
	u16 v = 0;
	u8 *p = fg_ptr(FG_R1 + 0x40);

	assert_int_equal(vl_mem_store16(&g->mem, FG_R1 + 0x40, 0x1234), 0);
	assert_int_equal(p[0], 0x34);
	assert_int_equal(p[1], 0x12);
	assert_int_equal(vl_mem_load16(&g->mem, FG_R1 + 0x40, &v), 0);
	assert_int_equal(v, 0x1234);
	/* Odd addresses work too (bytewise). */
	assert_int_equal(vl_mem_store16(&g->mem, FG_R1 + 0x51, 0xbeef), 0);
	assert_int_equal(p[0x11], 0xef);
	assert_int_equal(vl_mem_load16(&g->mem, FG_R1 + 0x51, &v), 0);
	assert_int_equal(v, 0xbeef);
	/* Split between adjacent regions: still works, bytewise. */
	assert_int_equal(vl_mem_store16(&g->mem, FG_R2 - 1, 0xa55a), 0);
	assert_int_equal(g->host[1][FG_R1_SIZE - 1], 0x5a);
	assert_int_equal(g->host[2][0], 0xa5);
	assert_int_equal(vl_mem_load16(&g->mem, FG_R2 - 1, &v), 0);
	assert_int_equal(v, 0xa55a);
	/* Half in the hole. */
	v = 0x1111;
	assert_int_equal(vl_mem_load16(&g->mem, FG_HOLE - 1, &v), -EFAULT);
	assert_int_equal(v, 0x1111);
	assert_int_equal(vl_mem_store16(&g->mem, FG_HOLE - 1, 1), -EFAULT);
	assert_int_equal(vl_mem_store16(&g->mem, FG_R1 - 1, 1), -EFAULT);
}

TEST(check_huge_range)
{
	struct vl_mem m;
	uintptr_t ua = (uintptr_t)scratch;

	/* Never dereferenced: vl_mem_check() only looks at the table. */
	vl_mem_init(&m);
	assert_int_equal(vl_mem_add_region(&m, 1ULL << 32, 1ULL << 33, ua), 0);
	assert_int_equal(vl_mem_add_region(&m, 3ULL << 32, 1ULL << 33, ua), 0);
	assert_int_equal(vl_mem_check(&m, 1ULL << 32, 4ULL << 32), 0);
	assert_int_equal(vl_mem_check(&m, 1ULL << 32, (4ULL << 32) + 1),
			 -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_region_rejects_bad_ranges),
		cmocka_unit_test(add_region_rejects_overlap),
		cmocka_unit_test(add_region_full),
		cmocka_unit_test_setup_teardown(read_write_inside_region,
						fg_setup, fg_teardown),
		cmocka_unit_test_setup_teardown(
			read_write_span_adjacent_regions, fg_setup,
			fg_teardown),
		cmocka_unit_test_setup_teardown(efault_outside_regions,
						fg_setup, fg_teardown),
		cmocka_unit_test_setup_teardown(translate, fg_setup,
						fg_teardown),
		cmocka_unit_test_setup_teardown(load_store16, fg_setup,
						fg_teardown),
		cmocka_unit_test(check_huge_range),
	};

	return cmocka_run_group_tests_name("memtab", tests, NULL, NULL);
}
