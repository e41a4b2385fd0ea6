// SPDX-License-Identifier: GPL-2.0
/*
 * vl_slot.c - command slots: the memory a command lives in, its life from
 * the free list to LIO and back (see "A command's life" below and
 * Documentation/design.md, "Who owns a command"), and the fabric hooks
 * LIO calls for our commands.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vl_device.h"

static struct vl_slot *to_slot(struct vl_cmd *cmd)
{
	return container_of(cmd, struct vl_slot, vcmd);
}

/* ---- slots ------------------------------------------------------------- */

/**
 * vl_slots_free() - free a request queue's command slots
 * @vq: the queue, with no command in flight
 */
void vl_slots_free(struct vl_vq *vq)
{
	u32 i;

	if (!vq->slots)
		return;
	for (i = 0; i < vq->nr_slots; i++) {
		kvfree(vq->slots[i].segs);
		kvfree(vq->slots[i].sgl);
		kvfree(vq->slots[i].pages);
		kvfree(vq->slots[i].prot_sgl);
		kvfree(vq->slots[i].prot_pages);
	}
	kvfree(vq->slots);
	kvfree(vq->full.segs);
	vq->full.segs = NULL;
	vq->slots = NULL;
	vq->nr_slots = 0;
	init_llist_head(&vq->free);
}

/**
 * vl_slots_alloc() - preallocate one command slot per ring entry
 * @vq: a request or control queue whose size is set, with no slots
 *
 * Control queue slots carry task management functions: a few buffers, no
 * data pages.  A request queue also gets room for the chain it answers
 * TASK SET FULL when every slot is taken.
 *
 * Return: 0 or -ENOMEM.
 */
int vl_slots_alloc(struct vl_vq *vq)
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
			vl_slots_free(vq);
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
			s->prot_sgl = kvcalloc(VL_MAX_PROT_SG_NENTS,
					       sizeof(*s->prot_sgl),
					       GFP_KERNEL_ACCOUNT);
			s->prot_pages = kvcalloc(VL_MAX_PROT_SG_NENTS,
						 sizeof(*s->prot_pages),
						 GFP_KERNEL_ACCOUNT);
		}
		if (!s->segs || (!ctl && (!s->sgl || !s->pages ||
					  !s->prot_sgl || !s->prot_pages))) {
			vl_slots_free(vq);
			return -ENOMEM;
		}
		s->chain.segs = s->segs;
		llist_add(&s->node, &vq->free);
	}
	return 0;
}

/*
 * A command's life
 * ----------------
 *   FREE --vl_slot_get()--> POPPED --submit--> SUBMITTED --LIO hook--> DONE
 *     ^                        |                                        |
 *     |                        | answered here (errors, TASK SET FULL)   |
 *     +------- last vl_slot_put() <------------- worker answers, puts --+
 *                               <------------- LIO release_cmd, puts ---+
 *
 * vl_slot_get() takes a device reference for the slot (dev->ref) and sets
 * one slot reference, the worker's.  Handing the command to LIO adds the
 * second (vl_slot_submitted()): LIO's release_cmd drops one, the worker's
 * answer (or, after close, the reap) the other.  The last put unpins the
 * data pages, returns the slot to the free list and drops the device
 * reference: so no path frees a slot, a queue or the device while LIO may
 * still use a command, however long the disk takes.
 */

/**
 * vl_slot_get() - take a free slot for a new request
 * @vq: a request or control queue
 *
 * The slot gets one reference (the worker's) and takes one on the device.
 *
 * Context: the queue's worker, the free list's only consumer.
 * Return: the slot, or NULL if every slot is in use.
 */
struct vl_slot *vl_slot_get(struct vl_vq *vq)
{
	struct llist_node *n = llist_del_first(&vq->free);
	struct vl_slot *s;

	if (!n)
		return NULL;
	s = llist_entry(n, struct vl_slot, node);
	atomic_inc(&vq->inflight);
	percpu_ref_get(&vq->dev->ref);
	refcount_set(&s->refs, 1);
	s->aborted = false;
	s->reset = false;
	s->abort_counted = false;
	s->tmf_set = false;
	s->set_parent = NULL;
	/* The state goes last: the ABORT TASK lookup reads the request. */
	smp_store_release(&s->state, VL_SLOT_POPPED);
	return s;
}

/**
 * vl_slot_submitted() - LIO is about to get a slot's command
 * @s: the slot, with the worker's reference
 *
 * Adds the reference LIO holds until its release_cmd.
 */
void vl_slot_submitted(struct vl_slot *s)
{
	refcount_inc(&s->refs);
	/* After the request was parsed: vl_tag_in_flight() reads it. */
	smp_store_release(&s->state, VL_SLOT_SUBMITTED);
}

/**
 * vl_slot_drop_pages() - unpin the guest's pages, or free our copies
 * @s: the slot; no LIO command uses its scatterlists (not yet or no more)
 *
 * Also unpins the protection information's pages (@s->prot_pages).
 */
void vl_slot_drop_pages(struct vl_slot *s)
{
	unsigned int i;

	if (s->nr_prot_pages)
		unpin_user_pages_dirty_lock(s->prot_pages, s->nr_prot_pages,
					    s->data_in);
	s->nr_prot_pages = 0;

	if (s->bounce) {
		for (i = 0; i < s->nr_pages; i++)
			__free_page(s->pages[i]);
	} else if (s->nr_pages) {
		unpin_user_pages_dirty_lock(s->pages, s->nr_pages, s->data_in);
	}
	if (s->copy_pages)
		atomic_sub(s->copy_pages, &s->vq->dev->copy_pages);
	s->copy_pages = 0;
	s->nr_pages = 0;
	s->bounce = false;
}

/**
 * vl_slot_put() - drop a reference to a slot
 * @s: the slot
 *
 * The last one gives the pages back, the slot to the free list and the
 * device its reference, in that order: the device (and so the queue) is
 * alive until percpu_ref_put().
 *
 * Context: any process context (the worker, LIO's release_cmd, the reap).
 */
void vl_slot_put(struct vl_slot *s)
{
	struct vl_vq *vq = s->vq;
	struct vl_dev *dev = vq->dev;

	if (!refcount_dec_and_test(&s->refs))
		return;
	vl_slot_drop_pages(s);
	if (s->lun_depth) {
		/* The TPG, and so the entry, lives until the device goes. */
		atomic_dec(&s->lun_depth->inflight);
		s->lun_depth = NULL;
	}
	/* Before the slot can be reused (vl_tag_in_flight() reads it). */
	smp_store_release(&s->state, VL_SLOT_FREE);
	llist_add(&s->node, &vq->free);
	if (atomic_dec_and_test(&vq->inflight))
		wake_up(&vq->drained);
	/*
	 * A control request waits for a free slot, with kicks off.  Read
	 * first: no locked instruction per I/O on request queues (the
	 * llist_add() above is the barrier vl_ctl_one() pairs with).
	 */
	if (READ_ONCE(vq->slot_wanted) && xchg(&vq->slot_wanted, 0))
		vl_vq_queue_work(vq);
	percpu_ref_put(&dev->ref);
}

/**
 * vl_slot_aborts_answered() - aborted commands' answers are published
 * @dev: the device
 * @n: how many (0: nothing to do)
 *
 * TMF answers may go once none is left (vl_dev.aborts_unanswered).
 * Context: any; a worker calls it after publishing the used index.
 */
void vl_slot_aborts_answered(struct vl_dev *dev, unsigned int n)
{
	if (n && atomic_sub_and_test(n, &dev->aborts_unanswered))
		vl_vq_queue_work(&dev->vqs[VL_VQ_CTL]);
}

/* An aborted command was reaped (or answered): TMF answers may go. */
static void vl_slot_abort_answered(struct vl_slot *s)
{
	vl_slot_aborts_answered(s->vq->dev, s->abort_counted);
	s->abort_counted = false;
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

/**
 * vl_slot_finish() - the worker or the reap is done with a completed command
 * @s: a slot LIO completed or aborted, answered to the guest or not
 *
 * Releases the command's hold on TMF answers and LIO's acknowledgment
 * reference, then the worker's slot reference.  A helper ABORT TASK
 * also lets its task-set TMF go on; a task-set TMF has no LIO command,
 * and one reaped while it still hands out ABORT TASKs stops there: its
 * last helper brings it back (see vl_ctl.c).
 */
void vl_slot_finish(struct vl_slot *s)
{
	vl_slot_abort_answered(s);
	if (s->set_parent)
		vl_ctl_set_put(s->set_parent);
	if (s->tmf_set) {
		if (s->set.issuing) {
			s->set.issuing = false;
			if (s->vq->set_tmf == s)
				s->vq->set_tmf = NULL;
			if (!vl_ctl_set_drop(s))
				return;
		}
		vl_slot_put(s);
		return;
	}
	/* An aborted command's reference LIO dropped itself. */
	if (!s->aborted)
		transport_generic_free_cmd(&s->vcmd.se_cmd, 0);
	vl_slot_put(s);
}

/**
 * vl_slots_reap() - free what LIO completed on a closed device's queue
 * @vq: the queue; its worker is gone, nobody answers the guest
 *
 * Nothing here touches guest memory: the VMM may be gone.
 *
 * Context: process (release, or the queue's reap work).
 */
void vl_slots_reap(struct vl_vq *vq)
{
	struct llist_node *list;
	struct vl_slot *s, *next;

	list = llist_del_all(&vq->deferred);
	llist_for_each_entry_safe(s, next, list, node)
		vl_slot_finish(s);
	list = llist_del_all(&vq->done);
	llist_for_each_entry_safe(s, next, list, node)
		vl_slot_finish(s);
}

/* ---- fabric hooks (see vhost_lio.h) ------------------------------------ */

static void vl_slot_done(struct vl_slot *s)
{
	struct vl_vq *vq = s->vq;

	/* Read by vl_tag_in_flight(); ordered before the done-list push. */
	smp_store_release(&s->state, VL_SLOT_DONE);
	llist_add(&s->node, &vq->done);
	vl_vq_queue_work(vq);
}

/*
 * A CHECK CONDITION LIO built itself that it logs with an unrate-limited
 * pr_err() and that a guest chooses: ILLEGAL REQUEST (its CDB parser and
 * emulation), and the T10 PI checks (ASC 0x10: LIO's DIF verification logs
 * every guard, application or reference tag that does not match, and a
 * T10 PI guest writes whatever tuples it likes).
 */
static bool vl_dev_cmd_refused(const u8 *sense, u32 len)
{
	return vl_vscsi_sense_key(sense, len) == ILLEGAL_REQUEST ||
	       vl_vscsi_sense_asc(sense, len) == VL_VSCSI_ASC_PI_CHECK;
}

void vl_dev_cmd_complete(struct vl_cmd *cmd)
{
	struct se_cmd *se = &cmd->se_cmd;
	struct vl_slot *s = to_slot(cmd);

	/* Counted for vl_io_held(): LIO logged it, most likely. */
	if (unlikely(se->scsi_status == SAM_STAT_CHECK_CONDITION) &&
	    (se->se_cmd_flags & SCF_EMULATED_TASK_SENSE) &&
	    vl_dev_cmd_refused(cmd->sense_buf, se->scsi_sense_length))
		atomic_inc(&s->vq->dev->refused);
	vl_slot_done(s);
}

void vl_dev_cmd_aborted(struct vl_cmd *cmd)
{
	struct vl_slot *s = to_slot(cmd);
	struct vl_dev *dev = s->vq->dev;

	s->aborted = true;
	if (s->tmf) {
		if (s->tmr == TMR_LUN_RESET)
			atomic_dec(&dev->resets[s->reset_bucket]);
	} else {
		u8 b = vl_reset_bucket(s->req.target, s->req.lun);

		/* A reset of its LUN is counted until LIO completes it. */
		s->reset = atomic_read(&dev->resets[b]) > 0;
		/* Counted before the TMF that aborted it can complete. */
		s->abort_counted = true;
		atomic_inc(&dev->aborts_unanswered);
	}
	vl_slot_done(s);
}

void vl_dev_tmr_complete(struct vl_cmd *cmd)
{
	struct vl_slot *s = to_slot(cmd);

	/* LIO frees se_tmr_req with the command: keep the result only. */
	s->tmf_resp = vl_tmf_response(cmd->se_cmd.se_tmr_req->response);
	if (s->tmr == TMR_LUN_RESET)
		atomic_dec(&s->vq->dev->resets[s->reset_bucket]);
	vl_slot_done(s);
}

void vl_dev_cmd_release(struct vl_cmd *cmd)
{
	vl_slot_put(to_slot(cmd));
}

