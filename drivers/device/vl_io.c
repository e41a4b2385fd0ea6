// SPDX-License-Identifier: GPL-2.0
/*
 * vl_io.c - virtio-scsi requests executed on LIO.
 *
 * Per request, on the queue's worker: pop a chain (portable core), parse
 * the request (portable core), find the TPG by the target byte, pin the
 * guest's data pages into the slot's scatterlist, and submit the se_cmd.
 * LIO completes it from wherever it likes; the fabric hook pushes the slot
 * on the queue's done list and the worker writes the response, hands the
 * chain back and signals the guest once per batch.  Nothing here takes a
 * lock but the queue mutex its worker holds for a whole batch, and nothing
 * allocates but the copy fallback for data buffers that cannot be pinned
 * or that the block layer could not take (vl_io_map_data()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk_types.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "compat/vl_compat.h"
#include "vl_device.h"

static struct vl_slot *to_slot(struct vl_cmd *cmd)
{
	return container_of(cmd, struct vl_slot, vcmd);
}

/* ---- slots ------------------------------------------------------------- */

/**
 * vl_io_free_slots() - free a request queue's command slots
 * @vq: the queue, with no command in flight
 */
void vl_io_free_slots(struct vl_vq *vq)
{
	u32 i;

	if (!vq->slots)
		return;
	for (i = 0; i < vq->nr_slots; i++) {
		kvfree(vq->slots[i].segs);
		kvfree(vq->slots[i].sgl);
		kvfree(vq->slots[i].pages);
	}
	kvfree(vq->slots);
	kvfree(vq->full.segs);
	vq->full.segs = NULL;
	vq->slots = NULL;
	vq->nr_slots = 0;
	init_llist_head(&vq->free);
}

/**
 * vl_io_alloc_slots() - preallocate one command slot per ring entry
 * @vq: a request or control queue whose size is set, with no slots
 *
 * Control queue slots carry task management functions: a few buffers, no
 * data pages.  A request queue also gets room for the chain it answers
 * TASK SET FULL when every slot is taken.
 *
 * Return: 0 or -ENOMEM.
 */
int vl_io_alloc_slots(struct vl_vq *vq)
{
	bool ctl = vq->index == VL_VQ_CTL;
	struct vl_slot *s;
	u32 i;

	vq->slots = kvcalloc(vq->num, sizeof(*vq->slots), GFP_KERNEL_ACCOUNT);
	if (!vq->slots)
		return -ENOMEM;
	vq->nr_slots = vq->num;
	if (!ctl) {
		vq->full.max_segs = VL_MAX_SEGS;
		vq->full.segs = kvcalloc(VL_MAX_SEGS, sizeof(*vq->full.segs),
					 GFP_KERNEL_ACCOUNT);
		if (!vq->full.segs) {
			vl_io_free_slots(vq);
			return -ENOMEM;
		}
	}
	for (i = 0; i < vq->nr_slots; i++) {
		s = &vq->slots[i];
		s->vq = vq;
		s->chain.max_segs = ctl ? VL_CTL_MAX_SEGS : VL_MAX_SEGS;
		s->segs = kvcalloc(s->chain.max_segs, sizeof(*s->segs),
				   GFP_KERNEL_ACCOUNT);
		if (!ctl) {
			s->sgl = kvcalloc(VL_MAX_DATA_SG_NENTS,
					  sizeof(*s->sgl), GFP_KERNEL_ACCOUNT);
			s->pages = kvcalloc(VL_MAX_DATA_SG_NENTS,
					    sizeof(*s->pages),
					    GFP_KERNEL_ACCOUNT);
		}
		if (!s->segs || (!ctl && (!s->sgl || !s->pages))) {
			vl_io_free_slots(vq);
			return -ENOMEM;
		}
		s->chain.segs = s->segs;
		llist_add(&s->node, &vq->free);
	}
	return 0;
}

/* The worker is the only consumer of the free list. */
static struct vl_slot *vl_slot_get(struct vl_vq *vq)
{
	struct llist_node *n = llist_del_first(&vq->free);

	if (!n)
		return NULL;
	atomic_inc(&vq->inflight);
	return llist_entry(n, struct vl_slot, node);
}

/* Unpin the guest's pages, or free our copies of them. */
static void vl_slot_drop_pages(struct vl_slot *s)
{
	unsigned int i;

	if (s->bounce) {
		for (i = 0; i < s->nr_pages; i++)
			__free_page(s->pages[i]);
	} else if (s->nr_pages) {
		unpin_user_pages_dirty_lock(s->pages, s->nr_pages, s->data_in);
	}
	s->nr_pages = 0;
	s->bounce = false;
}

/* Last reference: give the pages back and the slot to the free list. */
static void vl_slot_put(struct vl_slot *s)
{
	struct vl_vq *vq = s->vq;

	if (!atomic_dec_and_test(&s->refs))
		return;
	vl_slot_drop_pages(s);
	llist_add(&s->node, &vq->free);
	if (atomic_dec_and_test(&vq->inflight))
		wake_up(&vq->drained);
}

/* ---- data buffers ------------------------------------------------------ */

/*
 * Pin the guest pages of one data buffer into the slot's scatterlist.
 * Return: 0, -E2BIG when the scatterlist is full, or pinning's error.
 */
static int vl_io_pin_seg(struct vl_slot *s, const struct vl_mem *mem,
			 u64 gpa, u32 len, unsigned int *nents)
{
	unsigned int gup = s->data_in ? FOLL_WRITE : 0;
	u64 uaddr;
	u32 part;
	int n, i, got;

	while (len) {
		/* vl_vring_pop() checked that the buffer is guest memory. */
		part = vl_mem_translate_part(mem, gpa, len, &uaddr);
		if (!part)
			return -EFAULT;
		n = DIV_ROUND_UP((uaddr & ~PAGE_MASK) + part, PAGE_SIZE);
		if (*nents + n > VL_MAX_DATA_SG_NENTS)
			return -E2BIG;
		got = pin_user_pages_fast(uaddr & PAGE_MASK, n, gup,
					  &s->pages[s->nr_pages]);
		if (got > 0)
			s->nr_pages += got;
		if (got != n)
			return got < 0 ? got : -EFAULT;
		for (i = 0; i < n; i++) {
			u32 off = i ? 0 : uaddr & ~PAGE_MASK;
			u32 bytes = min_t(u32, part, PAGE_SIZE - off);

			/* A slot is reused: clear an old end mark. */
			sg_unmark_end(&s->sgl[*nents]);
			sg_set_page(&s->sgl[*nents], s->pages[s->nr_pages - n + i],
				    bytes, off);
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
static int vl_io_pin_data(struct vl_slot *s, const struct vl_mem *mem,
			  unsigned int *nents)
{
	struct vl_chain_pos pos = s->req.data;
	struct vl_seg seg;
	int ret;

	while (vl_chain_next_seg(&s->chain, &pos, &seg)) {
		if ((seg.gpa | seg.len) & (SECTOR_SIZE - 1))
			return -EXDEV;
		ret = vl_io_pin_seg(s, mem, seg.gpa, seg.len, nents);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Copy the first @bytes of the command's data between the guest's buffers
 * and the slot's own pages: into them (@to_pages) before a write is
 * submitted, out of them when a read completed.
 */
static int vl_io_copy_data(struct vl_slot *s, const struct vl_mem *mem,
			   u32 bytes, bool to_pages)
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
static int vl_io_bounce_data(struct vl_slot *s, const struct vl_mem *mem,
			     unsigned int *nents)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	u32 len = s->req.data_len, i, n;

	n = DIV_ROUND_UP(len, PAGE_SIZE);
	if (n > VL_MAX_DATA_SG_NENTS)
		return -E2BIG;
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
	if (!s->data_in && vl_io_copy_data(s, mem, len, true))
		return -EFAULT;
	return 0;
}

/**
 * vl_io_map_data() - give LIO a scatterlist over a command's data
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
 * Return: 0; -E2BIG if the data is larger than LIO takes; -ENOMEM; or
 * -EFAULT if the guest's data could not be read.  On failure the caller
 * drops what the slot holds (vl_slot_drop_pages()).
 */
static int vl_io_map_data(struct vl_slot *s, const struct vl_mem *mem,
			  unsigned int *nents)
{
	struct vl_vq *vq = s->vq;
	int ret;

	*nents = 0;
	s->nr_pages = 0;
	s->bounce = false;
	if (!s->req.data_len)
		return 0;
	ret = vl_io_pin_data(s, mem, nents);
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
	return vl_io_bounce_data(s, mem, nents);
}

/* ---- answering the guest ----------------------------------------------- */

/* Write a response with no LIO command behind it; queue the used entry. */
static void vl_io_answer(struct vl_vq *vq, const struct vl_chain *c, u8 resp,
			 u8 status, const u8 *sense, u32 sense_len)
{
	struct vl_vscsi_cmd_resp r;
	u32 len = 0;

	vl_vscsi_fill_cmd_resp(&r, resp, status, sense, sense_len, 0);
	if (!vl_vscsi_put_cmd_resp(c, vq->dev->mem, &r))
		len = sizeof(r);
	if (vl_vq_add_used(vq, c, len))
		vl_vq_fail(vq, -EFAULT);
}

/* Answer a command LIO completed, from its status, sense and residual. */
static void vl_io_answer_cmd(struct vl_vq *vq, struct vl_slot *s)
{
	struct se_cmd *se = &s->vcmd.se_cmd;
	struct vl_vscsi_cmd_resp r;
	u32 resid = 0, data_in = 0;
	u8 resp = VL_VSCSI_S_OK;

	if (s->aborted) {
		resp = VL_VSCSI_S_ABORTED;
	} else {
		if (se->se_cmd_flags & (SCF_UNDERFLOW_BIT | SCF_OVERFLOW_BIT))
			resid = se->residual_count;
		if (se->se_cmd_flags & SCF_OVERFLOW_BIT)
			resp = VL_VSCSI_S_OVERRUN;
	}
	/*
	 * used.len must not count bytes we did not write (virtio 2.7.8): LIO
	 * reports no transfer count for a failed command, so only a GOOD
	 * read counts its data.
	 */
	if (s->data_in && resp == VL_VSCSI_S_OK &&
	    se->scsi_status == SAM_STAT_GOOD)
		data_in = s->req.data_len - min(resid, s->req.data_len);

	if (s->bounce && data_in &&
	    vl_io_copy_data(s, vq->dev->mem, data_in, false)) {
		pr_warn_ratelimited("read data not copied to guest memory\n");
		vl_vscsi_fill_cmd_resp(&r, VL_VSCSI_S_TARGET_FAILURE, 0, NULL,
				       0, 0);
		data_in = 0;
	} else {
		vl_vscsi_fill_cmd_resp(&r, resp, se->scsi_status,
				       s->vcmd.sense_buf,
				       se->scsi_sense_length, resid);
	}
	if (vl_vscsi_put_cmd_resp(&s->chain, vq->dev->mem, &r) ||
	    vl_vq_add_used(vq, &s->chain, vl_vscsi_cmd_used_len(data_in)))
		vl_vq_fail(vq, -EFAULT);
}

/* virtio-scsi TMF response for LIO's TMR_* result. */
static u8 vl_tmf_response(u8 tmr)
{
	switch (tmr) {
	case TMR_FUNCTION_COMPLETE:
	case TMR_TASK_DOES_NOT_EXIST:	/* SAM: nothing to abort is done */
		return VL_VSCSI_S_FUNCTION_COMPLETE;
	case TMR_LUN_DOES_NOT_EXIST:
		return VL_VSCSI_S_INCORRECT_LUN;
	case TMR_TASK_MGMT_FUNCTION_NOT_SUPPORTED:
	case TMR_FUNCTION_REJECTED:
		return VL_VSCSI_S_FUNCTION_REJECTED;
	default:
		return VL_VSCSI_S_FAILURE;
	}
}

static void vl_io_answer_tmf(struct vl_vq *vq, struct vl_slot *s)
{
	u8 resp = vl_tmf_response(s->vcmd.se_cmd.se_tmr_req->response);
	u32 len = 0;

	if (!vl_vscsi_put_tmf_resp(&s->chain, vq->dev->mem, resp))
		len = sizeof(struct vl_vscsi_tmf_resp);
	if (vl_vq_add_used(vq, &s->chain, len))
		vl_vq_fail(vq, -EFAULT);
}

/**
 * vl_io_complete_done() - answer the commands LIO completed on a queue
 * @vq: the queue
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_io_complete_done(struct vl_vq *vq)
{
	struct llist_node *list = llist_del_all(&vq->done);
	struct vl_slot *s, *next;
	bool any = false;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(s, next, list, node) {
		if (!vq->broken && s->tmf)
			vl_io_answer_tmf(vq, s);
		else if (!vq->broken)
			vl_io_answer_cmd(vq, s);
		any = true;
		if (!s->aborted)
			transport_generic_free_cmd(&s->vcmd.se_cmd, 0);
		vl_slot_put(s);
	}
	if (any && !vq->broken)
		vl_vq_flush(vq);
}

/* ---- fabric hooks (see vhost_lio.h) ------------------------------------ */

void vl_dev_cmd_complete(struct vl_cmd *cmd)
{
	struct vl_slot *s = to_slot(cmd);

	llist_add(&s->node, &s->vq->done);
	vl_vq_queue_work(s->vq);
}

void vl_dev_cmd_aborted(struct vl_cmd *cmd)
{
	struct vl_slot *s = to_slot(cmd);

	s->aborted = true;
	llist_add(&s->node, &s->vq->done);
	vl_vq_queue_work(s->vq);
}

void vl_dev_tmr_complete(struct vl_cmd *cmd)
{
	vl_dev_cmd_complete(cmd);
}

void vl_dev_cmd_release(struct vl_cmd *cmd)
{
	vl_slot_put(to_slot(cmd));
}

/* ---- submission -------------------------------------------------------- */

static int vl_task_attr(u8 attr)
{
	switch (attr) {
	case VL_VSCSI_S_ORDERED:
		return TCM_ORDERED_TAG;
	case VL_VSCSI_S_HEAD:
		return TCM_HEAD_TAG;
	case VL_VSCSI_S_ACA:
		return TCM_ACA_TAG;
	default:
		return TCM_SIMPLE_TAG;
	}
}

/*
 * A READ into a buffer longer than the CDB's transfer is legal SCSI (an
 * underflow: GOOD with a residual).  LIO trims data_length to the CDB and
 * sets the residual, but its fileio and iblock backends walk the whole
 * scatterlist: fileio then fails the command, iblock reads blocks past the
 * range.  End the list at data_length; the pages after it stay the slot's.
 */
static void vl_io_trim_sgl(struct se_cmd *se)
{
	struct scatterlist *sg;
	u32 left = se->data_length;
	unsigned int i;

	if (!(se->se_cmd_flags & SCF_UNDERFLOW_BIT) || !se->t_data_nents ||
	    !left)
		return;
	for_each_sg(se->t_data_sg, sg, se->t_data_nents, i) {
		if (sg->length >= left) {
			sg->length = left;
			sg_mark_end(sg);
			se->t_data_nents = i + 1;
			return;
		}
		left -= sg->length;
	}
}

/* Fixed-format sense: ILLEGAL REQUEST with the given ASC (ASCQ 0). */
static void vl_io_reject(struct vl_vq *vq, const struct vl_chain *c, u8 asc)
{
	u8 sense[18] = { 0x70, 0, ILLEGAL_REQUEST, 0, 0, 0, 0, 10 };

	sense[12] = asc;
	vl_io_answer(vq, c, VL_VSCSI_S_OK, SAM_STAT_CHECK_CONDITION, sense,
		     sizeof(sense));
}

/*
 * Submit a parsed request of a slot.  Return: true if LIO has it; false if
 * it was answered here and the slot is the caller's to put.
 */
static bool vl_io_submit(struct vl_vq *vq, struct vl_slot *s,
			 struct vl_tpg *tpg)
{
	struct se_cmd *se = &s->vcmd.se_cmd;
	struct vl_vscsi_req *req = &s->req;
	enum dma_data_direction dir = DMA_NONE;
	unsigned int nents = 0;
	int ret;

	s->data_in = req->dir == VL_VSCSI_DIR_FROM_DEV;
	s->tmf = false;
	s->aborted = false;
	if (req->dir == VL_VSCSI_DIR_TO_DEV)
		dir = DMA_TO_DEVICE;
	else if (s->data_in)
		dir = DMA_FROM_DEVICE;

	ret = vl_io_map_data(s, vq->dev->mem, &nents);
	if (ret) {
		vl_slot_drop_pages(s);
		if (ret == -E2BIG) {
			/* INVALID FIELD IN CDB: more data than LIO takes. */
			vl_io_reject(vq, &s->chain, 0x24);
		} else if (ret == -ENOMEM) {
			/*
			 * No pages to copy through: TASK SET FULL, which a
			 * guest requeues (a busy response costs a retry).
			 */
			vl_io_answer(vq, &s->chain, VL_VSCSI_S_OK,
				     SAM_STAT_TASK_SET_FULL, NULL, 0);
		} else {
			vl_io_answer(vq, &s->chain, VL_VSCSI_S_TARGET_FAILURE,
				     0, NULL, 0);
		}
		return false;
	}

	memset(se, 0, sizeof(*se));
	atomic_set(&s->refs, 2);
	ret = target_init_cmd(se, tpg->nexus->se_sess, s->vcmd.sense_buf,
			      req->lun, req->data_len, vl_task_attr(req->task_attr),
			      dir, TARGET_SCF_ACK_KREF);
	if (ret) {
		/* LIO refuses new commands while the session shuts down. */
		atomic_set(&s->refs, 1);
		vl_slot_drop_pages(s);
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BUSY, 0, NULL, 0);
		return false;
	}
	se->tag = req->tag;
	/* On failure LIO completes the command with a CHECK CONDITION. */
	if (!target_submit_prep(se, req->cdb, nents ? s->sgl : NULL, nents,
				NULL, 0, NULL, 0, GFP_KERNEL)) {
		vl_io_trim_sgl(se);
		vl_target_submit(se);
	}
	return true;
}

/*
 * Take one request: 1 done (maybe answered already), 0 the ring is empty,
 * negative the guest broke the ring.
 */
static int vl_io_one(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	struct vl_slot *s;
	struct vl_tpg *tpg;
	int ret;

	s = vl_slot_get(vq);
	if (!s) {
		/*
		 * Every slot is taken (commands aborted but not yet released
		 * hold theirs): answer TASK SET FULL.
		 */
		ret = vl_vring_pop(&vq->ring, dev->mem, &vq->full);
		if (ret > 0)
			vl_io_answer(vq, &vq->full, VL_VSCSI_S_OK,
				     SAM_STAT_TASK_SET_FULL, NULL, 0);
		return ret;
	}
	atomic_set(&s->refs, 1);
	ret = vl_vring_pop(&vq->ring, dev->mem, &s->chain);
	if (ret <= 0) {
		vl_slot_put(s);
		return ret;
	}

	ret = vl_vscsi_parse_cmd(&s->chain, dev->mem, &s->req);
	switch (ret) {
	case 0:
		break;
	case -ENXIO:
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BAD_TARGET, 0, NULL, 0);
		goto done;
	case -EBADMSG:
	case -EOPNOTSUPP:
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_FAILURE, 0, NULL, 0);
		goto done;
	case -EMSGSIZE:	/* CDB longer than the request: INVALID FIELD IN CDB */
		vl_io_reject(vq, &s->chain, 0x24);
		goto done;
	default:	/* -ENOSPC, -EFAULT: no room to answer */
		if (vl_vq_add_used(vq, &s->chain, 0))
			vl_vq_fail(vq, -EFAULT);
		goto done;
	}

	tpg = dev->tpgs[s->req.target];
	if (!tpg || !tpg->nexus || s->req.report_luns) {
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BAD_TARGET, 0, NULL, 0);
		goto done;
	}
	if (vl_io_submit(vq, s, tpg))
		return 1;
done:
	vl_slot_put(s);
	return 1;
}

/* ---- control queue ----------------------------------------------------- */

/* LIO's TMR for a virtio-scsi TMF subtype, or 0 if LIO has none. */
static u8 vl_tmr_type(u32 subtype)
{
	switch (subtype) {
	case VL_VSCSI_T_TMF_ABORT_TASK:
		return TMR_ABORT_TASK;
	case VL_VSCSI_T_TMF_ABORT_TASK_SET:
		return TMR_ABORT_TASK_SET;
	case VL_VSCSI_T_TMF_CLEAR_ACA:
		return TMR_CLEAR_ACA;
	case VL_VSCSI_T_TMF_CLEAR_TASK_SET:
		return TMR_CLEAR_TASK_SET;
	case VL_VSCSI_T_TMF_LOGICAL_UNIT_RESET:
		return TMR_LUN_RESET;
	default:	/* I_T NEXUS RESET, QUERY TASK (SET): not in LIO */
		return 0;
	}
}

/* Answer a control request here; 0, or -EFAULT if the used ring faulted. */
static int vl_ctl_answer(struct vl_vq *vq, const struct vl_chain *c,
			 const struct vl_vscsi_ctrl *ctrl, u8 resp)
{
	const struct vl_mem *mem = vq->dev->mem;
	u32 len = 0;

	if (ctrl->type == VL_VSCSI_T_TMF) {
		if (!vl_vscsi_put_tmf_resp(c, mem, resp))
			len = sizeof(struct vl_vscsi_tmf_resp);
	} else if (ctrl->type == VL_VSCSI_T_AN_QUERY ||
		   ctrl->type == VL_VSCSI_T_AN_SUBSCRIBE) {
		/* We report no asynchronous events: event_actual 0. */
		if (!vl_vscsi_put_an_resp(c, mem, 0, resp))
			len = sizeof(struct vl_vscsi_an_resp);
	}
	return vl_vq_add_used(vq, c, len);
}

/* Hand a TMF to LIO; false if it was not (the caller answers). */
static bool vl_ctl_submit_tmf(struct vl_vq *vq, struct vl_slot *s,
			      const struct vl_vscsi_ctrl *ctrl)
{
	struct vl_tpg *tpg = vq->dev->tpgs[ctrl->target];
	u8 type = vl_tmr_type(ctrl->subtype);
	struct se_cmd *se = &s->vcmd.se_cmd;

	if (!type || !tpg || !tpg->nexus || ctrl->report_luns)
		return false;
	memset(se, 0, sizeof(*se));
	s->tmf = true;
	s->aborted = false;
	s->data_in = false;
	atomic_set(&s->refs, 2);
	if (target_submit_tmr(se, tpg->nexus->se_sess, s->vcmd.sense_buf,
			      ctrl->lun, NULL, type, GFP_KERNEL, ctrl->tag,
			      TARGET_SCF_ACK_KREF)) {
		atomic_set(&s->refs, 1);
		return false;
	}
	return true;
}

static int vl_ctl_one(struct vl_vq *vq)
{
	const struct vl_mem *mem = vq->dev->mem;
	struct vl_vscsi_ctrl ctrl;
	struct vl_slot *s;
	u8 resp;
	int ret;

	s = vl_slot_get(vq);
	if (!s)
		return 0;	/* all busy: a completion requeues us */
	atomic_set(&s->refs, 1);
	ret = vl_vring_pop(&vq->ring, mem, &s->chain);
	if (ret <= 0)
		goto put;

	ret = vl_vscsi_parse_ctrl(&s->chain, mem, &ctrl);
	if (!ret && ctrl.type == VL_VSCSI_T_TMF) {
		struct vl_tpg *tpg = vq->dev->tpgs[ctrl.target];

		if (vl_ctl_submit_tmf(vq, s, &ctrl))
			return 1;
		if (!vl_tmr_type(ctrl.subtype))
			resp = VL_VSCSI_S_FUNCTION_REJECTED;
		else if (!tpg || !tpg->nexus || ctrl.report_luns)
			resp = VL_VSCSI_S_BAD_TARGET;
		else
			resp = VL_VSCSI_S_FAILURE;
	} else if (!ret) {
		resp = VL_VSCSI_S_OK;
	} else if (ret == -ENXIO) {
		resp = VL_VSCSI_S_BAD_TARGET;
	} else if (ret == -EBADMSG) {
		resp = VL_VSCSI_S_FAILURE;
	} else {
		ctrl.type = ~0U;	/* no room or unknown: used length 0 */
		resp = 0;
	}
	ret = vl_ctl_answer(vq, &s->chain, &ctrl, resp) ? -EFAULT : 1;
put:
	vl_slot_put(s);
	return ret;
}

/*
 * Take requests with a per-call handler until the ring is empty or the
 * budget is spent: guest kicks are off meanwhile and re-enabled (with a
 * recheck for buffers that raced in) when the ring is empty.
 */
static void vl_vq_take(struct vl_vq *vq, int (*one)(struct vl_vq *vq))
{
	const struct vl_mem *mem = vq->dev->mem;
	unsigned int n = 0;
	int ret;

	vl_vring_disable_notify(&vq->ring, mem);
	for (;;) {
		if (n++ >= VL_BUDGET) {
			vl_vq_queue_work(vq);
			break;
		}
		ret = one(vq);
		if (ret < 0) {
			vl_vq_fail(vq, ret);
			return;
		}
		if (ret)
			continue;
		ret = vl_vring_enable_notify(&vq->ring, mem);
		if (ret <= 0)
			break;
		vl_vring_disable_notify(&vq->ring, mem);
	}
	vl_vq_flush(vq);
}

/**
 * vl_io_service() - take requests from a queue
 * @vq: the queue
 *
 * Takes at most VL_BUDGET chains, then requeues itself so other queues of
 * the worker get their turn.  The event queue gets the events waiting
 * for it (vl_evt.c).
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_io_service(struct vl_vq *vq)
{
	switch (vq->index) {
	case VL_VQ_CTL:
		vl_vq_take(vq, vl_ctl_one);
		break;
	case VL_VQ_EVT:
		vl_evt_service(vq);
		break;
	default:
		vl_vq_take(vq, vl_io_one);
		break;
	}
}
