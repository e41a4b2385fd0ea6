// SPDX-License-Identifier: GPL-2.0
/*
 * vl_log.c - dirty logging for live migration (VHOST_F_LOG_ALL).
 *
 * While migrating, the VMM gives the device a bitmap in its own memory
 * (VHOST_SET_LOG_BASE; bit N: guest-physical page N of VL_LOG_PAGE bytes)
 * and acks VHOST_F_LOG_ALL; from then on every guest page the device
 * writes must get its bit set, or the destination gets a stale copy.  The
 * device writes guest memory in two ways: into the device-writable
 * buffers of a chain (responses, data LIO read into pinned pages or that
 * we copied out, events) and into the used ring (entries, index,
 * avail_event).  So before a chain is handed back, all its writable
 * buffers are logged (more than was written, at worst: harmless), and
 * after the used ring is published, the ring's whole area is logged if
 * the VMM asked for it (VHOST_VRING_F_LOG with the ring's address).
 *
 * Bits are set with an atomic set_bit() on the pinned bitmap page, as the
 * VMM clears them concurrently while it copies pages.  All of it runs on
 * the queue's worker, which uses the VMM's mm.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "compat/vl_compat.h"
#include "vl_device.h"

/**
 * vl_log_check() - is a dirty log at @base writable for every region?
 * @base: VMM address of the bitmap
 * @mem: guest memory, or NULL (nothing to check yet)
 *
 * Return: 0, or -EFAULT if part of the bitmap that covers @mem is not
 * user memory.
 */
int vl_log_check(u64 base, const struct vl_mem *mem)
{
	unsigned int i;

	if (!mem)
		return 0;
	for (i = 0; i < mem->nregions; i++) {
		const struct vl_mem_region *r = &mem->regions[i];

		if (vl_log_check_range(base, r->gpa, r->size))
			return -EFAULT;
	}
	return 0;
}

/**
 * vl_log_check_range() - does the dirty log at @base cover a range?
 * @base: VMM address of the bitmap
 * @gpa: guest-physical start of the range (VHOST_SET_VRING_ADDR's
 *	 log_guest_addr, or a memory region)
 * @size: its length in bytes, not 0
 *
 * Return: 0, or -EFAULT if the range wraps or the part of the bitmap that
 * covers it is not user memory (as vhost's log_access_ok()).
 */
int vl_log_check_range(u64 base, u64 gpa, u64 size)
{
	u64 first, last;

	if (!size || gpa + size - 1 < gpa)
		return -EFAULT;
	first = gpa / VL_LOG_PAGE / 8;
	last = (gpa + size - 1) / VL_LOG_PAGE / 8;
	if (base + last < base ||
	    !vl_host_range_ok(base + first, last - first + 1))
		return -EFAULT;
	return 0;
}

/* Set the bits of guest pages [gpa, gpa + len) in the VMM's bitmap. */
static int vl_log_range(struct vl_dev *dev, u64 gpa, u64 len)
{
	u64 pfn, last, addr, page_ua = 0;
	struct page *page = NULL;
	void *va = NULL;
	int ret = 0;

	if (!len)
		return 0;
	last = (gpa + len - 1) / VL_LOG_PAGE;
	for (pfn = gpa / VL_LOG_PAGE; pfn <= last; pfn++) {
		addr = dev->log_base + pfn / 8;
		if (!page || (addr & PAGE_MASK) != page_ua) {
			if (page) {
				kunmap_local(va);
				unpin_user_pages_dirty_lock(&page, 1, true);
				page = NULL;
			}
			page_ua = addr & PAGE_MASK;
			if (pin_user_pages_fast(page_ua, 1, FOLL_WRITE,
						&page) != 1) {
				page = NULL;
				ret = -EFAULT;
				break;
			}
			va = kmap_local_page(page);
		}
		set_bit((addr & ~PAGE_MASK) * 8 + pfn % 8, va);
	}
	if (page) {
		kunmap_local(va);
		unpin_user_pages_dirty_lock(&page, 1, true);
	}
	return ret;
}

static void vl_log_failed(struct vl_vq *vq, int err)
{
	pr_warn_ratelimited("queue %u: cannot write the dirty log (%d): migration may copy stale pages\n",
			    vq->index, err);
}

/**
 * vl_log_chain() - log the device-writable buffers of a chain
 * @vq: the queue the chain came from
 * @c: the chain, before it goes on the used ring
 *
 * Context: the queue's worker.
 */
void vl_log_chain(struct vl_vq *vq, const struct vl_chain *c)
{
	struct vl_dev *dev = vq->dev;
	unsigned int i;
	int ret;

	if (!vl_logging(dev))
		return;
	for (i = c->nr_out; i < c->nr_out + c->nr_in; i++) {
		ret = vl_log_range(dev, c->segs[i].gpa, c->segs[i].len);
		if (ret) {
			vl_log_failed(vq, ret);
			return;
		}
	}
}

/**
 * vl_log_used() - log the used ring after it was written
 * @vq: the queue
 *
 * Only if the VMM set VHOST_VRING_F_LOG for the ring; then also signal
 * the log eventfd, if there is one.
 *
 * Context: the queue's worker.
 */
void vl_log_used(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	int ret;

	if (!vl_logging(dev) || !vq->log_used)
		return;
	ret = vl_log_range(dev, vq->log_gpa, VL_VRING_USED_SIZE(vq->num));
	if (ret)
		vl_log_failed(vq, ret);
	/* VHOST_SET_LOG_FD swaps it under this lock while we run. */
	spin_lock(&dev->log_lock);
	if (dev->log_ctx)
		vl_eventfd_signal(dev->log_ctx);
	spin_unlock(&dev->log_lock);
}
