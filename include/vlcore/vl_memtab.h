/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_memtab.h - the guest memory table, shared by every vl_env.h
 *
 * Guest memory is a small table of regions, each mapping a guest-physical
 * range [gpa, gpa + size) to host addresses [uaddr, uaddr + size): what
 * VHOST_SET_MEM_TABLE hands the device.  The table logic is the same in
 * every build and lives here so that the unit tests exercise the code the
 * kernel runs; only the host copy primitives differ.  vl_env.h defines
 * them, then includes this file:
 *
 *   int  vl_host_read(void *dst, u64 uaddr, u32 len);      0 or -EFAULT
 *   int  vl_host_write(u64 uaddr, const void *src, u32 len);
 *   int  vl_host_load16(u64 uaddr, vl_le16 *val);   one access if aligned
 *   int  vl_host_store16(u64 uaddr, vl_le16 val);   one access if aligned
 *   bool vl_host_range_ok(u64 uaddr, u64 size);  may this range be mapped
 *
 * The table takes no lock: whoever owns it (the device) replaces it as a
 * whole and makes sure no reader still uses the old one (RCU, or stopping
 * the workers).
 */
#ifndef VL_MEMTAB_H
#define VL_MEMTAB_H

/* As many regions as vhost accepts by default (VHOST_MEMORY_MAX_NREGIONS). */
#define VL_MEM_MAX_REGIONS	64

/**
 * struct vl_mem_region - one contiguous piece of guest memory
 * @gpa: first guest-physical address
 * @size: length in bytes, nonzero
 * @uaddr: host address that @gpa is mapped at
 */
struct vl_mem_region {
	u64 gpa;
	u64 size;
	u64 uaddr;
};

/**
 * struct vl_mem - guest memory: non-overlapping regions, in no set order
 * @nregions: entries used in @regions
 * @regions: the regions
 *
 * Fill with vl_mem_init() and vl_mem_add_region(); the core only reads it.
 */
struct vl_mem {
	u32 nregions;
	struct vl_mem_region regions[VL_MEM_MAX_REGIONS];
};

/**
 * vl_mem_init() - empty a memory table
 * @m: the table
 */
static inline void vl_mem_init(struct vl_mem *m)
{
	m->nregions = 0;
}

/* Last byte of a range of @size >= 1 bytes, or 0 with *wrap set. */
static inline u64 vl_mem_last(u64 start, u64 size, bool *wrap)
{
	u64 last = start + (size - 1);

	*wrap = last < start;
	return last;
}

/**
 * vl_mem_add_region() - add a region to a memory table
 * @m: the table
 * @gpa: guest-physical start
 * @size: length in bytes
 * @uaddr: host address of @gpa
 *
 * Return: 0; -EINVAL if @size is 0, either range wraps past 2^64, or the
 * guest range overlaps a region already in @m; -EFAULT if the host range
 * is not one the host may map; -E2BIG if @m is full.
 */
static inline int vl_mem_add_region(struct vl_mem *m, u64 gpa, u64 size,
				    u64 uaddr)
{
	const struct vl_mem_region *r;
	bool wrap_g, wrap_u;
	u64 last;
	u32 i;

	if (!size)
		return -EINVAL;
	last = vl_mem_last(gpa, size, &wrap_g);
	vl_mem_last(uaddr, size, &wrap_u);
	if (wrap_g || wrap_u)
		return -EINVAL;
	if (!vl_host_range_ok(uaddr, size))
		return -EFAULT;
	if (m->nregions >= VL_MEM_MAX_REGIONS)
		return -E2BIG;
	for (i = 0; i < m->nregions; i++) {
		r = &m->regions[i];
		if (gpa <= r->gpa + (r->size - 1) && r->gpa <= last)
			return -EINVAL;
	}
	m->regions[m->nregions].gpa = gpa;
	m->regions[m->nregions].size = size;
	m->regions[m->nregions].uaddr = uaddr;
	m->nregions++;
	return 0;
}

/**
 * vl_mem_find() - the region holding a guest-physical address
 * @m: the table
 * @gpa: the address
 *
 * Return: the region, or NULL if @gpa is in none.
 */
static inline const struct vl_mem_region *vl_mem_find(const struct vl_mem *m,
						      u64 gpa)
{
	u32 i;

	for (i = 0; i < m->nregions; i++) {
		/* Unsigned: also false when gpa is below the region. */
		if (gpa - m->regions[i].gpa < m->regions[i].size)
			return &m->regions[i];
	}
	return NULL;
}

/**
 * vl_mem_translate_part() - host address of the start of a guest range
 * @m: the table
 * @gpa: guest-physical start
 * @len: length of the range
 * @uaddr: set to the host address of @gpa when the result is nonzero
 *
 * Return: how many bytes from @gpa, at most @len, are contiguous in the
 * region holding @gpa; 0 if @gpa is in no region (or @len is 0).
 */
static inline u32 vl_mem_translate_part(const struct vl_mem *m, u64 gpa,
					u32 len, u64 *uaddr)
{
	const struct vl_mem_region *r = vl_mem_find(m, gpa);
	u64 off, left;

	if (!r || !len)
		return 0;
	off = gpa - r->gpa;
	left = r->size - off;
	*uaddr = r->uaddr + off;
	return left < len ? (u32)left : len;
}

/**
 * vl_mem_translate() - host address of a guest range inside one region
 * @m: the table
 * @gpa: guest-physical start
 * @len: length of the range, nonzero
 * @uaddr: set to the host address of @gpa on success
 *
 * For the device layer, which pins the pages of data buffers: a buffer
 * that spans two regions is translated piece by piece with
 * vl_mem_translate_part().
 *
 * Return: 0, or -EFAULT if the range is not inside a single region.
 */
static inline int vl_mem_translate(const struct vl_mem *m, u64 gpa, u32 len,
				   u64 *uaddr)
{
	if (!len || vl_mem_translate_part(m, gpa, len, uaddr) != len)
		return -EFAULT;
	return 0;
}

/* -EFAULT if [gpa, gpa + len) wraps past 2^64. */
static inline int vl_mem_wraps(u64 gpa, u64 len)
{
	bool wrap = false;

	if (len)
		vl_mem_last(gpa, len, &wrap);
	return wrap ? -EFAULT : 0;
}

/**
 * vl_mem_check() - is a guest range entirely mapped
 * @m: the table
 * @gpa: guest-physical start
 * @len: length; a zero-length range is always mapped
 *
 * Return: 0, or -EFAULT if some byte of the range is in no region or the
 * range wraps.
 */
static inline int vl_mem_check(const struct vl_mem *m, u64 gpa, u64 len)
{
	u64 ua;
	u32 n;

	if (vl_mem_wraps(gpa, len))
		return -EFAULT;
	while (len) {
		n = vl_mem_translate_part(m, gpa, len > 0xffffffffULL ?
					  0xffffffffU : (u32)len, &ua);
		if (!n)
			return -EFAULT;
		gpa += n;
		len -= n;
	}
	return 0;
}

/**
 * vl_mem_read() - copy from guest memory
 * @m: the table
 * @gpa: guest-physical source
 * @dst: host buffer of @len bytes
 * @len: bytes to copy
 *
 * Return: 0, or -EFAULT if the range is not entirely mapped or the copy
 * faults; then @dst may hold part of the data.
 */
static inline int vl_mem_read(const struct vl_mem *m, u64 gpa, void *dst,
			      u32 len)
{
	u64 ua;
	u32 n;

	if (vl_mem_wraps(gpa, len))
		return -EFAULT;
	while (len) {
		n = vl_mem_translate_part(m, gpa, len, &ua);
		if (!n || vl_host_read(dst, ua, n))
			return -EFAULT;
		dst = (u8 *)dst + n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/**
 * vl_mem_write() - copy to guest memory
 * @m: the table
 * @gpa: guest-physical destination
 * @src: host buffer of @len bytes
 * @len: bytes to copy
 *
 * Return: 0, or -EFAULT if the range is not entirely mapped or the copy
 * faults; then part of the range may have been written.
 */
static inline int vl_mem_write(const struct vl_mem *m, u64 gpa,
			       const void *src, u32 len)
{
	u64 ua;
	u32 n;

	if (vl_mem_wraps(gpa, len))
		return -EFAULT;
	while (len) {
		n = vl_mem_translate_part(m, gpa, len, &ua);
		if (!n || vl_host_write(ua, src, n))
			return -EFAULT;
		src = (const u8 *)src + n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/**
 * vl_mem_load16() - read a little-endian u16 of guest memory at once
 * @m: the table
 * @gpa: guest-physical address, 2-aligned for the read to be one access
 * @val: set to the value, in CPU order
 *
 * For the ring indices, which the guest updates concurrently: a naturally
 * aligned 16-bit load is never torn.  Two bytes split between adjacent
 * regions (only possible with odd region boundaries) are read one region
 * at a time, like vl_mem_read().
 *
 * Return: 0, or -EFAULT if the two bytes are not both mapped.
 */
static inline int vl_mem_load16(const struct vl_mem *m, u64 gpa, u16 *val)
{
	vl_le16 v;
	u64 ua;

	if (vl_mem_translate(m, gpa, 2, &ua)) {
		if (vl_mem_read(m, gpa, &v, 2))
			return -EFAULT;
	} else if (vl_host_load16(ua, &v)) {
		return -EFAULT;
	}
	*val = vl_le16_to_cpu(v);
	return 0;
}

/**
 * vl_mem_store16() - write a little-endian u16 of guest memory at once
 * @m: the table
 * @gpa: guest-physical address, 2-aligned for the write to be one access
 * @val: the value, in CPU order
 *
 * As vl_mem_load16(), two bytes split between regions are written one
 * region at a time.
 *
 * Return: 0, or -EFAULT if the two bytes are not both mapped.
 */
static inline int vl_mem_store16(const struct vl_mem *m, u64 gpa, u16 val)
{
	vl_le16 v = vl_cpu_to_le16(val);
	u64 ua;

	if (vl_mem_translate(m, gpa, 2, &ua))
		return vl_mem_write(m, gpa, &v, 2);
	return vl_host_store16(ua, v) ? -EFAULT : 0;
}

#endif /* VL_MEMTAB_H */
