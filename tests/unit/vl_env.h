/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_env.h - userspace implementation of the portable core's shim
 *
 * Used by the unit tests and the fuzzers (see include/vlcore/vl_shim.h for
 * the contract).  Guest memory is ordinary host memory: a region's "uaddr"
 * is a pointer in this process, and copies are memcpy().
 */
#ifndef VL_ENV_H
#define VL_ENV_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

typedef uint16_t vl_le16;
typedef uint32_t vl_le32;
typedef uint64_t vl_le64;

#define vl_le16_to_cpu(x)	le16toh(x)
#define vl_le32_to_cpu(x)	le32toh(x)
#define vl_le64_to_cpu(x)	le64toh(x)
#define vl_cpu_to_le16(x)	htole16(x)
#define vl_cpu_to_le32(x)	htole32(x)
#define vl_cpu_to_le64(x)	htole64(x)

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif

/*
 * The C11 fences are at least as strong as the kernel's smp_rmb()/smp_wmb()
 * (an acquire fence orders earlier loads before later loads and stores, a
 * release fence earlier loads and stores before later stores).
 */
#define vl_smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define vl_smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define vl_smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

static inline void *vl_host_ptr(u64 uaddr)
{
	return (void *)(uintptr_t)uaddr;
}

static inline int vl_host_read(void *dst, u64 uaddr, u32 len)
{
	memcpy(dst, vl_host_ptr(uaddr), len);
	return 0;
}

static inline int vl_host_write(u64 uaddr, const void *src, u32 len)
{
	memcpy(vl_host_ptr(uaddr), src, len);
	return 0;
}

static inline int vl_host_load16(u64 uaddr, vl_le16 *val)
{
	if (uaddr & 1)
		memcpy(val, vl_host_ptr(uaddr), 2);
	else
		*val = __atomic_load_n((u16 *)vl_host_ptr(uaddr),
				       __ATOMIC_RELAXED);
	return 0;
}

static inline int vl_host_store16(u64 uaddr, vl_le16 val)
{
	if (uaddr & 1)
		memcpy(vl_host_ptr(uaddr), &val, 2);
	else
		__atomic_store_n((u16 *)vl_host_ptr(uaddr), val,
				 __ATOMIC_RELAXED);
	return 0;
}

static inline bool vl_host_range_ok(u64 uaddr, u64 size)
{
	/* Anything a pointer can reach; 0 is never a valid buffer. */
	return uaddr && size <= UINTPTR_MAX - uaddr + 1;
}

#include <vlcore/vl_memtab.h>

#endif /* VL_ENV_H */
