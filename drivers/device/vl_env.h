/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_env.h - kernel implementation of the portable core's shim
 *
 * See include/vlcore/vl_shim.h for the contract.  Guest memory is the VMM's
 * memory: a region's "uaddr" is a user address in the owner's mm, which the
 * calling worker has adopted with kthread_use_mm(), so every access is a
 * uaccess that may fault (and sleep); a fault is -EFAULT, never an oops.
 */
#ifndef VL_ENV_H
#define VL_ENV_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

typedef __le16 vl_le16;
typedef __le32 vl_le32;
typedef __le64 vl_le64;

#define vl_le16_to_cpu(x)	le16_to_cpu(x)
#define vl_le32_to_cpu(x)	le32_to_cpu(x)
#define vl_le64_to_cpu(x)	le64_to_cpu(x)
#define vl_cpu_to_le16(x)	cpu_to_le16(x)
#define vl_cpu_to_le32(x)	cpu_to_le32(x)
#define vl_cpu_to_le64(x)	cpu_to_le64(x)

/*
 * The guest's vCPUs are host threads: on an SMP host they may run on other
 * CPUs, and on a UP host they share ours, where a compiler barrier is all
 * that is needed.  That is exactly what the smp_* barriers are (virt_* are
 * for a UP guest talking to a possibly SMP host, the other side of this).
 */
#define vl_smp_rmb()	smp_rmb()
#define vl_smp_wmb()	smp_wmb()
#define vl_smp_mb()	smp_mb()

static inline int vl_host_read(void *dst, u64 uaddr, u32 len)
{
	return copy_from_user(dst, u64_to_user_ptr(uaddr), len) ? -EFAULT : 0;
}

static inline int vl_host_write(u64 uaddr, const void *src, u32 len)
{
	return copy_to_user(u64_to_user_ptr(uaddr), src, len) ? -EFAULT : 0;
}

/*
 * Ring indices: get_user()/put_user() of a __le16 is one 16-bit access,
 * which the guest cannot see torn when the address is aligned.  A copy of
 * two bytes may be done bytewise, so it is only used for odd addresses.
 */
static inline int vl_host_load16(u64 uaddr, vl_le16 *val)
{
	if (uaddr & 1)
		return vl_host_read(val, uaddr, sizeof(*val));
	return get_user(*val, (vl_le16 __user *)u64_to_user_ptr(uaddr));
}

static inline int vl_host_store16(u64 uaddr, vl_le16 val)
{
	if (uaddr & 1)
		return vl_host_write(uaddr, &val, sizeof(val));
	return put_user(val, (vl_le16 __user *)u64_to_user_ptr(uaddr));
}

static inline bool vl_host_range_ok(u64 uaddr, u64 size)
{
	if (uaddr != (unsigned long)uaddr || size != (unsigned long)size)
		return false;
	return access_ok(u64_to_user_ptr(uaddr), size);
}

#include <vlcore/vl_memtab.h>

#endif /* VL_ENV_H */
