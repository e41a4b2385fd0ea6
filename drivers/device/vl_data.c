// SPDX-License-Identifier: GPL-2.0
/*
 * vl_data.c - a command's data buffers for LIO: the guest's pages pinned
 * into the slot's scatterlist (zero-copy), or, where that cannot be done,
 * pages of our own that the data is copied through; and the protection
 * information of T10 PI commands, pinned into a scatterlist of its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk_types.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#include "vl_device.h"

/* ---- data buffers ------------------------------------------------------ */

/*
 * Where pinned pages go: a scatterlist of @max entries and the page array
 * beside it, which holds at most as many pages as the list has entries.
 */
struct vl_pin_dst {
	struct scatterlist	*sgl;
	struct page		**pages;
	unsigned int		*nr_pages;
	unsigned int		max;
};

/*
 * Pin the guest pages of one buffer into a scatterlist.
 * Return: 0, -E2BIG when the scatterlist is full, or pinning's error.
 */
static int vl_data_pin_seg(const struct vl_pin_dst *d,
			   const struct vl_mem *mem, bool write, u64 gpa,
			   u32 len, unsigned int *nents)
{
	unsigned int gup = write ? FOLL_WRITE : 0;
	struct page **pages;
	u64 uaddr;
	u32 part;
	int n, i, got;

	while (len) {
		/* vl_vring_pop() checked that the buffer is guest memory. */
		part = vl_mem_translate_part(mem, gpa, len, &uaddr);
		if (!part)
			return -EFAULT;
		n = DIV_ROUND_UP((uaddr & ~PAGE_MASK) + part, PAGE_SIZE);
		if (*nents + n > d->max)
			return -E2BIG;
		pages = &d->pages[*d->nr_pages];
		got = pin_user_pages_fast(uaddr & PAGE_MASK, n, gup, pages);
		if (got > 0)
			*d->nr_pages += got;
		if (got != n)
			return got < 0 ? got : -EFAULT;
		for (i = 0; i < n; i++) {
			u32 off = i ? 0 : uaddr & ~PAGE_MASK;
			u32 bytes = min_t(u32, part, PAGE_SIZE - off);

			/* A slot is reused: clear an old end mark. */
			sg_unmark_end(&d->sgl[*nents]);
			sg_set_page(&d->sgl[*nents], pages[i], bytes, off);
			(*nents)++;
			part -= bytes;
			len -= bytes;
			gpa += bytes;
		}
	}
	return 0;
}

/*
 * Pin every data buffer, in one walk of the chain.  LIO's iblock and pscsi
 * backends put the scatterlist into bios as it is, and a block driver may
 * DMA only whole 512-byte units; a guest may place its buffers anywhere
 * (Windows does).  Return: 0; -EXDEV for a buffer not on 512-byte
 * boundaries; -E2BIG when the scatterlist is full; or pinning's error.
 */
static int vl_data_pin(struct vl_slot *s, const struct vl_mem *mem,
		       unsigned int *nents)
{
	struct vl_pin_dst d = {
		.sgl = s->sgl, .pages = s->pages, .nr_pages = &s->nr_pages,
		.max = VL_MAX_DATA_SG_NENTS,
	};
	struct vl_chain_pos pos = s->req.data;
	struct vl_seg seg;
	int ret;

	while (vl_chain_next_seg(&s->chain, &pos, &seg)) {
		if ((seg.gpa | seg.len) & (SECTOR_SIZE - 1))
			return -EXDEV;
		ret = vl_data_pin_seg(&d, mem, s->data_in, seg.gpa, seg.len,
				      nents);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vl_data_copy() - copy a command's data between guest and our pages
 * @s: the slot, whose data goes through its own pages (@s->bounce)
 * @mem: guest memory
 * @bytes: how many bytes, from the start of the data
 * @to_pages: into our pages (before a write is submitted), else out of
 *	      them into the guest's buffers (when a read completed)
 *
 * Return: 0, or -EFAULT if guest memory could not be read or written.
 */
int vl_data_copy(struct vl_slot *s, const struct vl_mem *mem, u32 bytes,
		 bool to_pages)
{
	struct vl_chain_pos pos = s->req.data;
	struct vl_seg seg;
	u32 off = 0, n;
	void *va;
	int ret;

	while (bytes && vl_chain_next_seg(&s->chain, &pos, &seg)) {
		seg.len = min(seg.len, bytes);
		bytes -= seg.len;
		while (seg.len) {
			/* Our pages are lowmem: no kmap needed. */
			va = page_address(s->pages[off >> PAGE_SHIFT]) +
			     (off & ~PAGE_MASK);
			n = min_t(u32, seg.len, PAGE_SIZE - (off & ~PAGE_MASK));
			if (to_pages)
				ret = vl_mem_read(mem, seg.gpa, va, n);
			else
				ret = vl_mem_write(mem, seg.gpa, va, n);
			if (ret)
				return ret;
			seg.gpa += n;
			seg.len -= n;
			off += n;
		}
	}
	return 0;
}

/*
 * Give the command pages of its own, as many as its data needs, and for a
 * write copy the guest's data in.  Pages a read gets are zeroed so that
 * a short read cannot show the guest old kernel memory.
 */
static int vl_data_bounce(struct vl_slot *s, const struct vl_mem *mem,
			  unsigned int *nents)
{
	/* May fail: the guest is then told TASK SET FULL, not the OOM killer. */
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_NORETRY;
	atomic_t *budget = &s->vq->dev->copy_pages;
	u32 len = s->req.data_len, i, n;

	n = DIV_ROUND_UP(len, PAGE_SIZE);
	if (n > VL_MAX_DATA_SG_NENTS)
		return -E2BIG;
	if (atomic_add_return(n, budget) > VL_COPY_MAX_PAGES) {
		atomic_sub(n, budget);
		return -ENOMEM;
	}
	s->copy_pages = n;
	if (s->data_in)
		gfp |= __GFP_ZERO;
	s->bounce = true;
	sg_init_table(s->sgl, n);
	for (i = 0; i < n; i++) {
		s->pages[i] = alloc_page(gfp);
		if (!s->pages[i])
			return -ENOMEM;
		s->nr_pages++;
		sg_set_page(&s->sgl[i], s->pages[i],
			    min_t(u32, len - i * PAGE_SIZE, PAGE_SIZE), 0);
	}
	*nents = n;
	if (!s->data_in && vl_data_copy(s, mem, len, true))
		return -EFAULT;
	return 0;
}

/**
 * vl_data_map() - give LIO a scatterlist over a command's data
 * @s: the slot, with its request parsed
 * @mem: guest memory
 * @nents: set to the number of scatterlist entries
 *
 * Zero-copy: the guest's pages are pinned and the scatterlist points into
 * them.  When that cannot be done, the data is copied through pages of our
 * own instead: buffers not on 512-byte boundaries, pages that cannot be
 * pinned (VM_IO or VM_PFNMAP mappings, memfd_secret memory), and buffers
 * scattered over more pages than a scatterlist holds.
 *
 * Return: 0; -E2BIG if the data is larger than LIO takes; -ENOMEM when the
 * device's copy budget (VL_COPY_MAX_PAGES) is spent or no page could be
 * had; or -EFAULT if the guest's data could not be read.  On failure the caller
 * drops what the slot holds (vl_slot_drop_pages()).
 */
int vl_data_map(struct vl_slot *s, const struct vl_mem *mem,
		unsigned int *nents)
{
	struct vl_vq *vq = s->vq;
	int ret;

	*nents = 0;
	s->nr_pages = 0;
	s->bounce = false;
	if (!s->req.data_len)
		return 0;
	ret = vl_data_pin(s, mem, nents);
	if (!ret) {
		sg_mark_end(&s->sgl[*nents - 1]);
		return 0;
	}
	if (ret != -E2BIG && ret != -EXDEV && !vq->copy_noted) {
		vq->copy_noted = true;
		pr_info("queue %u: guest memory cannot be pinned (%d): copying its data\n",
			vq->index, ret);
	}
	vl_slot_drop_pages(s);
	*nents = 0;
	return vl_data_bounce(s, mem, nents);
}

/**
 * vl_data_map_prot() - give LIO a scatterlist over a command's protection
 *			information (T10 PI)
 * @s: the slot, with its request parsed and its data mapped
 *     (vl_data_map(), which may drop what the slot holds: call it first)
 * @mem: guest memory
 * @nents: set to the number of entries of @s->prot_sgl; 0 without
 *	   protection bytes
 *
 * The guest's pages are pinned into the slot's preallocated @s->prot_sgl:
 * nothing is allocated.  The bytes are those the core found before the
 * data of the command's direction (@s->req.prot, @s->req.prot_len); a
 * piece may end inside a buffer the data goes on in, and may start or end
 * anywhere (fileio reads and writes them with the VFS, LIO's DIF checks
 * through kmap): no alignment is asked.  There is no copy fallback:
 * protection bytes in memory that cannot be pinned are refused.
 *
 * Return: 0; -EMSGSIZE if the bytes exceed VL_MAX_PROT_BYTES or are
 * scattered over more than VL_MAX_PROT_SG_NENTS pieces of pages;
 * pinning's error.  On failure the caller drops what the slot holds
 * (vl_slot_drop_pages()).
 */
int vl_data_map_prot(struct vl_slot *s, const struct vl_mem *mem,
		     unsigned int *nents)
{
	struct vl_pin_dst d = {
		.sgl = s->prot_sgl, .pages = s->prot_pages,
		.nr_pages = &s->nr_prot_pages, .max = VL_MAX_PROT_SG_NENTS,
	};
	struct vl_chain_pos pos = s->req.prot;
	u32 left = s->req.prot_len;
	struct vl_seg seg;
	int ret;

	*nents = 0;
	s->nr_prot_pages = 0;
	if (!left)
		return 0;
	if (left > VL_MAX_PROT_BYTES)
		return -EMSGSIZE;
	while (vl_chain_next_part(&s->chain, &pos, &left, &seg)) {
		ret = vl_data_pin_seg(&d, mem, s->data_in, seg.gpa, seg.len,
				      nents);
		if (ret)
			return ret == -E2BIG ? -EMSGSIZE : ret;
	}
	/*
	 * The core checked that the chain holds them, so this cannot happen;
	 * no WARN on a path a guest drives, all the same.
	 */
	if (left || !*nents)
		return -EFAULT;
	sg_mark_end(&s->prot_sgl[*nents - 1]);
	return 0;
}
