/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_shim.h - what the portable core needs from the build it is part of
 *
 * The portable core (drivers/core/) is compiled unchanged into the kernel
 * module, the userspace unit tests and the fuzzers.  It never includes a
 * kernel or libc header itself: everything it uses comes from a header
 * named vl_env.h, found on the include path of each build:
 *
 *   kernel module   drivers/device/vl_env.h   (-I drivers/device)
 *   unit tests      tests/unit/vl_env.h       (-I tests/unit)
 *   fuzzers         tests/unit/vl_env.h       (-I tests/unit)
 *
 * Contract: vl_env.h must provide, all of them macros or static inlines so
 * that the hot path has no indirect calls,
 *
 *  - u8, u16, u32, u64, bool/true/false, NULL, memcpy(), memset(), the
 *    errno names (EINVAL, EFAULT, E2BIG, ELOOP, ENOSPC, EOVERFLOW, EIO,
 *    ENXIO, ENODATA, EBADMSG, EOPNOTSUPP, EEXIST, EMSGSIZE) and __packed;
 *  - vl_le16, vl_le32, vl_le64: little-endian wire types, with
 *    vl_le{16,32,64}_to_cpu() and vl_cpu_to_le{16,32,64}();
 *  - vl_smp_rmb(), vl_smp_wmb(), vl_smp_mb(): barriers between this CPU's
 *    accesses to guest memory as another CPU (a vCPU) sees them;
 *  - the host access primitives that include/vlcore/vl_memtab.h builds the
 *    guest memory table on (see there), then include vl_memtab.h, which
 *    defines struct vl_mem and its accessors:
 *
 *      vl_mem_read(m, gpa, dst, len)      copy guest -> host, 0 or -EFAULT
 *      vl_mem_write(m, gpa, src, len)     copy host -> guest, 0 or -EFAULT
 *      vl_mem_load16(m, gpa, &val)        one aligned little-endian u16,
 *      vl_mem_store16(m, gpa, val)        read or written in one access
 *      vl_mem_check(m, gpa, len)          0 if the whole range is mapped
 *      vl_mem_translate(m, gpa, len, &ua) host address of a range that
 *                                         lies inside one region
 *
 *    A guest-physical range is mapped if every byte of it lies in some
 *    region; a range that wraps past 2^64 is never mapped.  A range may
 *    span adjacent regions (the accessors go region by region), except
 *    for vl_mem_translate().  The 16-bit accessors are single accesses
 *    when the two bytes are in one region and the host address is even.
 *
 * The kernel build runs the core in the worker thread of the device, under
 * kthread_use_mm() of the owner's mm, so "host address" there is a user
 * address of the VMM and the copies are copy_{from,to}_user().
 */
#ifndef VL_SHIM_H
#define VL_SHIM_H

#include <vl_env.h>

#ifndef VL_MEMTAB_H
#error "vl_env.h must include vlcore/vl_memtab.h"
#endif

#endif /* VL_SHIM_H */
