// SPDX-License-Identifier: GPL-2.0
/*
 * vl_ctl.c - the control queue: task management functions on LIO and
 * asynchronous notification queries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/ratelimit.h>
#include <linux/timer.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vl_device.h"

/*
 * Task management
 * ---------------
 * ABORT TASK and LOGICAL UNIT RESET go to LIO.  QUERY TASK (SET) is
 * answered from the request queues' slots (vl_tag_in_flight()).  LIO has
 * no ABORT TASK SET, CLEAR TASK SET or CLEAR ACA (it answers them
 * TMR_TASK_MGMT_FUNCTION_NOT_SUPPORTED) and no I_T NEXUS RESET, so:
 *
 * - ABORT TASK SET, CLEAR TASK SET and I_T NEXUS RESET are "task-set TMFs"
 *   the device runs itself (struct vl_tmf_set): for every command of its
 *   scope it finds in a request queue's slots (the LUN; for I_T NEXUS
 *   RESET every LUN of the target), it hands LIO an ABORT TASK with that
 *   tag on that LUN, each carried by a free control queue slot (a helper,
 *   whose answer nobody sees).  LIO aborts each victim as for a guest's
 *   ABORT TASK (aborted_task hook: answered ABORTED, counted in
 *   aborts_unanswered), and completes the ABORT TASK only after that.
 *   The TMF is answered FUNCTION COMPLETE once its last helper is done
 *   and, like every TMF, once every aborted command was answered.  Each
 *   ABORT TASK costs one token of the TMF rate limit (LIO logs two lines
 *   for it); without a token or a free control slot, the TMF waits on the
 *   control queue's done list (parked) for the rate timer or a slot's
 *   release, and goes on from the victim it stopped at.  Only one TMF
 *   hands out ABORT TASKs at a time (vl_vq.set_tmf; the control queue
 *   takes nothing new meanwhile), so it always gets a slot back from LIO.
 *   Bounded: at most one ABORT TASK per command in flight, at the TMF
 *   rate; no allocation.
 *
 * - CLEAR TASK SET is ABORT TASK SET here: the two differ only in the
 *   commands of other I_T nexuses (SAM-5 7.5: CLEAR TASK SET also aborts
 *   those), and a vhost TPG has exactly one I_T nexus, this device's (the
 *   TPG is pinned by one device, and its nexus is the TPG's only
 *   session).  Commands reaching the same backstore through another TPG
 *   or fabric belong to another logical unit's port, not to our task set.
 *
 * - I_T NEXUS RESET (SAM-5 7.7) aborts every command of the nexus on
 *   every LUN of the target; its victims are answered RESET, as QEMU's
 *   device does (the reset is counted in every vl_dev.resets bucket while
 *   it runs).  Then each LUN the nexus maps owes the nexus a unit
 *   attention, I_T NEXUS LOSS OCCURRED (29h/07h): LIO's UA allocation is
 *   not exported, so the device keeps a bit per LUN (vl_dev.nexus_ua) and
 *   answers the next command to that LUN CHECK CONDITION itself
 *   (vl_ctl_ua_take()).
 *
 * - CLEAR ACA: FUNCTION REJECTED, without LIO.  No ACA can exist: LIO
 *   answers a CDB with NACA=1 ILLEGAL REQUEST and reports NormACA=0 in its
 *   standard INQUIRY data (SPC-4: ACA not supported).  SAM-5 makes CLEAR
 *   ACA's support part of ACA's (SAM-5 5.9: a logical unit that does not
 *   support ACA never establishes one), and a task manager answers a
 *   function the logical unit does not support FUNCTION REJECTED (SAM-5
 *   7.1), which is also what LIO answered before.
 *
 * - Any other subtype: FUNCTION REJECTED.
 */

/**
 * vl_ctl_answer_tmf() - write a TMF's response and queue its used entry
 * @vq: the control queue
 * @s: the TMF's slot; its result was copied by vl_dev_tmr_complete(), or
 *     set by the task-set TMF code
 *
 * Context: the queue's worker, vq->mutex held.
 */
static void vl_ctl_answer_tmf(struct vl_vq *vq, struct vl_slot *s)
{
	/*
	 * LIO aborts a TMF only for a LUN RESET on the same LUN (or a nexus
	 * reset), which ends every task there: what the TMF was for is done.
	 */
	u8 resp = s->aborted ? VL_VSCSI_S_FUNCTION_COMPLETE : s->tmf_resp;
	u32 len = 0;

	vl_trace_tmf(vq->dev, s->tmf_subtype, s->req.target, s->req.lun,
		     s->req.tag, resp);
	if (!vl_vscsi_put_tmf_resp(&s->chain, vq->dev->mem, resp))
		len = sizeof(struct vl_vscsi_tmf_resp);
	if (vl_vq_add_used(vq, &s->chain, len))
		vl_vq_fail(vq, -EFAULT);
}

/* ---- task-set TMFs (see above) ----------------------------------------- */

/* An I_T NEXUS RESET runs: count it in every LUN's reset bucket. */
static void vl_ctl_itn_count(struct vl_dev *dev, int d)
{
	unsigned int i;

	for (i = 0; i < VL_RESET_BUCKETS; i++)
		atomic_add(d, &dev->resets[i]);
}

/**
 * vl_ctl_set_drop() - drop a reference to a task-set TMF
 * @p: the TMF's slot
 *
 * Context: the control queue's worker or reap.
 * Return: true for the last one: @p is ready to be answered (or freed).
 */
bool vl_ctl_set_drop(struct vl_slot *p)
{
	if (!atomic_dec_and_test(&p->set.helpers))
		return false;
	if (p->set.itn)
		vl_ctl_itn_count(p->vq->dev, -1);
	p->tmf_resp = VL_VSCSI_S_FUNCTION_COMPLETE;
	return true;
}

/* Task-set TMF @p is done: on the done list, to be answered (or reaped). */
static void vl_ctl_set_ready(struct vl_slot *p)
{
	struct vl_vq *vq = p->vq;

	WRITE_ONCE(p->state, VL_SLOT_DONE);	/* as vl_slot_done() */
	llist_add(&p->node, &vq->done);
	vl_vq_queue_work(vq);
}

/**
 * vl_ctl_set_put() - a helper ABORT TASK of a task-set TMF is finished
 * @p: the TMF's slot
 *
 * The last one puts the TMF on its queue's done list, as LIO's completion
 * hook would: it is answered there, after its victims.
 *
 * Context: the control queue's worker or reap (vl_slot_finish()).
 */
void vl_ctl_set_put(struct vl_slot *p)
{
	if (vl_ctl_set_drop(p))
		vl_ctl_set_ready(p);
}

/*
 * The next command of task-set TMF @p's scope at or after position
 * p->set.next in the request queues' slots, in LIO (SUBMITTED): its tag
 * and LUN, and p->set.next set to it.  Each queue's mutex keeps its slot
 * array in place and its worker from filling a slot meanwhile (see
 * vl_tag_in_flight()).  Return: false when none is left.
 */
static bool vl_ctl_set_victim(struct vl_dev *dev, struct vl_slot *p,
			      u64 *tag, u16 *lun)
{
	u32 q = p->set.next / VL_MAX_RING, j = p->set.next % VL_MAX_RING;
	bool found = false;

	for (; q < VL_MAX_IO_VQS && !found; q++, j = 0) {
		struct vl_vq *vq = &dev->vqs[VL_VQ_IO + q];

		mutex_lock_nested(&vq->mutex, SINGLE_DEPTH_NESTING);
		for (; j < vq->nr_slots; j++) {
			struct vl_slot *s = &vq->slots[j];

			/* Pairs with the release stores in vl_slot.c. */
			if (smp_load_acquire(&s->state) != VL_SLOT_SUBMITTED ||
			    s->req.target != p->set.target ||
			    (!p->set.itn && s->req.lun != p->set.lun))
				continue;
			*tag = s->req.tag;
			*lun = s->req.lun;
			p->set.next = q * VL_MAX_RING + j;
			found = true;
			break;
		}
		mutex_unlock(&vq->mutex);
	}
	return found;
}

/*
 * A free control slot, or NULL: then the next vl_slot_put() of one
 * requeues the queue.
 */
static struct vl_slot *vl_ctl_slot_get(struct vl_vq *vq)
{
	struct vl_slot *s = vl_slot_get(vq);

	if (s)
		return s;
	WRITE_ONCE(vq->slot_wanted, 1);
	/* Pairs with llist_add()'s barrier in vl_slot_put(). */
	smp_mb();
	/* A slot freed before the flag was seen: go on. */
	s = vl_slot_get(vq);
	if (s)
		WRITE_ONCE(vq->slot_wanted, 0);
	return s;
}

static int vl_ctl_submit_tmf(struct vl_vq *vq, struct vl_slot *s,
			     struct vl_tpg *tpg, u8 target, u16 lun, u64 tag,
			     u8 type);

/*
 * Hand LIO an ABORT TASK for each remaining victim of task-set TMF @p, as
 * far as control slots and the TMF rate allow.  Return: true when every
 * victim has had one; false if @p waits, parked on the done list until
 * the rate timer or a slot's release serves the queue again.
 */
static bool vl_ctl_set_issue(struct vl_vq *vq, struct vl_slot *p)
{
	struct vl_dev *dev = vq->dev;
	struct vl_tpg *tpg = dev->tpgs[p->set.target];
	struct vl_slot *h;
	u64 tag;
	u16 lun;

	while (tpg && tpg->nexus && vl_ctl_set_victim(dev, p, &tag, &lun)) {
		h = vl_ctl_slot_get(vq);
		if (!h)
			goto park;
		if (!__ratelimit(&dev->tmf_rs)) {
			vl_slot_put(h);
			timer_reduce(&dev->hold_timer, jiffies + VL_TMF_RETRY);
			goto park;
		}
		h->set_parent = p;
		atomic_inc(&p->set.helpers);
		if (vl_ctl_submit_tmf(vq, h, tpg, p->set.target, lun, tag,
				      TMR_ABORT_TASK)) {
			/* LIO takes no TMF: its session is going away. */
			vl_ctl_set_drop(p);	/* not the last: @p holds one */
			vl_slot_put(h);
		}
		p->set.next++;
	}
	return true;
park:
	llist_add(&p->node, &vq->done);
	return false;
}

/*
 * Task-set TMF @p handed out its last ABORT TASK (or was cancelled): the
 * control queue takes requests again; @p is answered after its helpers.
 * Return: true if @p is ready to be answered (or freed).
 */
static bool vl_ctl_set_issued(struct vl_vq *vq, struct vl_slot *p)
{
	p->set.issuing = false;
	if (vq->set_tmf == p)
		vq->set_tmf = NULL;
	vl_vq_queue_work(vq);
	return vl_ctl_set_drop(p);
}

/*
 * An I_T NEXUS RESET: every LUN the nexus maps owes it a unit attention.
 * Return: 0, or -ENOMEM (the first one for this target allocates the
 * target's bitmap, 2 KiB).
 */
static int vl_ctl_ua_establish(struct vl_dev *dev, struct vl_tpg *tpg,
			       u8 target)
{
	struct se_node_acl *nacl = tpg->nexus->se_sess->se_node_acl;
	unsigned long *ua = dev->nexus_ua[target];
	struct se_dev_entry *deve;

	if (!ua) {
		ua = bitmap_zalloc(VL_MAX_LUN, GFP_KERNEL_ACCOUNT);
		if (!ua)
			return -ENOMEM;
		/* Pairs with vl_ctl_ua_take(). */
		smp_store_release(&dev->nexus_ua[target], ua);
	}
	/* The LUNs the nexus maps, as vl_io_lun_refused() finds them. */
	rcu_read_lock();
	hlist_for_each_entry_rcu(deve, &nacl->lun_entry_hlist, link)
		if (deve->mapped_lun < VL_MAX_LUN)
			set_bit(deve->mapped_lun, ua);
	rcu_read_unlock();
	return 0;
}

/*
 * Start ABORT TASK SET, CLEAR TASK SET or I_T NEXUS RESET in slot @s.
 * Return: 1 (@s is the TMF's until it is answered), or 0 to answer now
 * with *@resp.
 */
static int vl_ctl_set_start(struct vl_vq *vq, struct vl_slot *s,
			    struct vl_tpg *tpg,
			    const struct vl_vscsi_ctrl *ctrl, u8 *resp)
{
	struct vl_dev *dev = vq->dev;
	bool itn = ctrl->subtype == VL_VSCSI_T_TMF_I_T_NEXUS_RESET;

	/* It needs a second control slot for its ABORT TASKs. */
	if (vq->nr_slots < 2) {
		*resp = VL_VSCSI_S_FUNCTION_REJECTED;
		return 0;
	}
	if (itn && vl_ctl_ua_establish(dev, tpg, ctrl->target)) {
		*resp = VL_VSCSI_S_FAILURE;
		return 0;
	}
	s->tmf = true;
	s->tmf_set = true;
	s->set.next = 0;
	s->set.target = ctrl->target;
	s->set.lun = ctrl->lun;
	s->set.itn = itn;
	s->set.issuing = true;
	atomic_set(&s->set.helpers, 1);
	if (itn)
		vl_ctl_itn_count(dev, 1);
	vq->set_tmf = s;
	if (vl_ctl_set_issue(vq, s) && vl_ctl_set_issued(vq, s))
		vl_ctl_set_ready(s);
	return 1;
}

/* LIO's TMR for a virtio-scsi TMF subtype, or 0 if it does not go there. */
static u8 vl_tmr_type(u32 subtype)
{
	switch (subtype) {
	case VL_VSCSI_T_TMF_ABORT_TASK:
		return TMR_ABORT_TASK;
	case VL_VSCSI_T_TMF_LOGICAL_UNIT_RESET:
		return TMR_LUN_RESET;
	default:	/* the others are the device's: see the top */
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
		vl_trace_tmf(vq->dev, ctrl->subtype, ctrl->target, ctrl->lun,
			     ctrl->tag, resp);
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

/*
 * Is a command with this tag (with @any_tag: any command) from this I_T_L
 * nexus in the device (taken from a request queue and not yet answered)?
 * The request queues' mutexes keep their slot arrays in place (a ring
 * resize frees them under that mutex); slot states change locklessly, so
 * the answer may be stale by the time it is used, which is harmless both
 * ways: a command seen in flight goes to LIO, which finds it or not; one
 * not seen was answered or not yet taken from its ring, and the guest
 * cannot expect it aborted (or reported by QUERY TASK).
 */
static bool vl_tag_in_flight(struct vl_dev *dev,
			     const struct vl_vscsi_ctrl *ctrl, bool any_tag)
{
	unsigned int i;
	bool found = false;
	u32 j;

	for (i = VL_VQ_IO; i < VL_MAX_VQS && !found; i++) {
		struct vl_vq *vq = &dev->vqs[i];

		mutex_lock_nested(&vq->mutex, SINGLE_DEPTH_NESTING);
		for (j = 0; j < vq->nr_slots && !found; j++) {
			struct vl_slot *s = &vq->slots[j];

			/* Pairs with the release stores in vl_slot.c. */
			found = smp_load_acquire(&s->state) != VL_SLOT_FREE &&
				(any_tag || s->req.tag == ctrl->tag) &&
				s->req.target == ctrl->target &&
				s->req.lun == ctrl->lun;
		}
		mutex_unlock(&vq->mutex);
	}
	return found;
}

/* Hand a TMF to LIO.  Return: 0, or target_submit_tmr()'s error. */
static int vl_ctl_submit_tmf(struct vl_vq *vq, struct vl_slot *s,
			     struct vl_tpg *tpg, u8 target, u16 lun, u64 tag,
			     u8 type)
{
	struct vl_dev *dev = vq->dev;
	struct se_cmd *se = &s->vcmd.se_cmd;
	int ret;

	memset(se, 0, sizeof(*se));
	s->tmf = true;
	s->tmr = type;
	s->data_in = false;
	s->reset_bucket = vl_reset_bucket(target, lun);
	vl_slot_submitted(s);
	if (type == TMR_LUN_RESET)
		atomic_inc(&dev->resets[s->reset_bucket]);
	ret = target_submit_tmr(se, tpg->nexus->se_sess, s->vcmd.sense_buf,
				lun, NULL, type, GFP_KERNEL, tag,
				TARGET_SCF_ACK_KREF);
	if (ret) {
		if (type == TMR_LUN_RESET)
			atomic_dec(&dev->resets[s->reset_bucket]);
		vl_slot_put(s);		/* LIO's reference: it never took it */
	}
	return ret;
}

/*
 * A task management function.  Return: 1 if LIO has it; -EAGAIN if it
 * went back on the ring for later (the rate limit); 0 if it is to be
 * answered now with *@resp.
 */
static int vl_ctl_tmf(struct vl_vq *vq, struct vl_slot *s,
		      const struct vl_vscsi_ctrl *ctrl, u8 *resp)
{
	struct vl_dev *dev = vq->dev;
	struct vl_tpg *tpg = dev->tpgs[ctrl->target];
	u8 type = vl_tmr_type(ctrl->subtype);
	bool any;

	if (!tpg || !tpg->nexus || ctrl->report_luns) {
		*resp = VL_VSCSI_S_BAD_TARGET;
		return 0;
	}
	/*
	 * SAM-5 7.8, 7.9: QUERY TASK (SET) is FUNCTION SUCCEEDED if the task
	 * (any task of the I_T_L nexus) is in the task set, else FUNCTION
	 * COMPLETE.  LIO has no such TMR; the device knows its commands.
	 */
	if (ctrl->subtype == VL_VSCSI_T_TMF_QUERY_TASK ||
	    ctrl->subtype == VL_VSCSI_T_TMF_QUERY_TASK_SET) {
		any = ctrl->subtype == VL_VSCSI_T_TMF_QUERY_TASK_SET;
		*resp = vl_tag_in_flight(dev, ctrl, any) ?
			VL_VSCSI_S_FUNCTION_SUCCEEDED :
			VL_VSCSI_S_FUNCTION_COMPLETE;
		return 0;
	}
	switch (ctrl->subtype) {
	case VL_VSCSI_T_TMF_ABORT_TASK_SET:
	case VL_VSCSI_T_TMF_CLEAR_TASK_SET:
	case VL_VSCSI_T_TMF_I_T_NEXUS_RESET:
		return vl_ctl_set_start(vq, s, tpg, ctrl, resp);
	}
	if (!type) {	/* CLEAR ACA, unknown subtypes: see the top */
		*resp = VL_VSCSI_S_FUNCTION_REJECTED;
		return 0;
	}
	/*
	 * SAM: aborting a task that does not exist is FUNCTION COMPLETE.
	 * Answered here: LIO logs a line for every ABORT TASK it gets.
	 */
	if (type == TMR_ABORT_TASK && !vl_tag_in_flight(dev, ctrl, false)) {
		*resp = VL_VSCSI_S_FUNCTION_COMPLETE;
		return 0;
	}
	/*
	 * What goes to LIO is rate-limited (LIO logs TMFs unconditionally):
	 * beyond the limit the request waits on the ring, kicks off, until
	 * the timer brings the worker back.
	 */
	if (!__ratelimit(&dev->tmf_rs)) {
		if (vl_vring_unpop(&vq->ring, 1))
			return -EIO;
		timer_reduce(&dev->hold_timer, jiffies + VL_TMF_RETRY);
		return -EAGAIN;
	}
	if (vl_ctl_submit_tmf(vq, s, tpg, ctrl->target, ctrl->lun, ctrl->tag,
			      type)) {
		*resp = VL_VSCSI_S_FAILURE;
		return 0;
	}
	return 1;
}

/**
 * vl_ctl_one() - take one control request
 * @vq: the control queue
 *
 * Context: the queue's worker, vq->mutex held.
 * Return: 1 done, 0 the ring is empty, -EAGAIN no free slot (a slot's
 * release requeues the queue), a TMF held back by the rate limit (a
 * timer requeues it) or a task-set TMF still handing out its ABORT TASKs
 * (it requeues the queue when done), other negative errors: the guest
 * broke the ring.
 */
int vl_ctl_one(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	const struct vl_mem *mem = dev->mem;
	struct vl_vscsi_ctrl ctrl;
	struct vl_slot *s;
	u8 resp;
	int ret;

	/* A task-set TMF hands out its ABORT TASKs: it requeues us. */
	if (vq->set_tmf)
		return -EAGAIN;
	s = vl_ctl_slot_get(vq);
	if (!s)
		return -EAGAIN;
	ret = vl_vring_pop(&vq->ring, mem, &s->chain);
	if (ret <= 0)
		goto put;

	ret = vl_vscsi_parse_ctrl(&s->chain, mem, &ctrl);
	if (!ret && ctrl.type == VL_VSCSI_T_TMF) {
		vl_slot_note_tmf(s, &ctrl);
		ret = vl_ctl_tmf(vq, s, &ctrl, &resp);
		if (ret == 1)
			return 1;
		if (ret)
			goto put;
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

/**
 * vl_ctl_tmf_done() - a TMF slot came off the control queue's done list
 * @vq: the control queue
 * @s: a TMF LIO completed, a helper ABORT TASK, or a task-set TMF that is
 *     done or parked (waiting to hand out more ABORT TASKs)
 *
 * A parked task-set TMF goes on handing out ABORT TASKs, also while the
 * queue is stopped (a quiesce waits for it); on a broken queue it stops.
 * A TMF's answer waits while commands LIO aborted are not answered yet:
 * the guest must see the victims' responses before the TMF's (Linux's
 * virtscsi_tmf() and QEMU rely on it).  A helper's answer is nobody's.
 *
 * Context: the queue's worker, vq->mutex held.
 * Return: true if a used entry was added.
 */
bool vl_ctl_tmf_done(struct vl_vq *vq, struct vl_slot *s)
{
	bool answered = false;

	lockdep_assert_held(&vq->mutex);
	if (s->tmf_set && s->set.issuing) {
		if (!vq->broken && !vl_ctl_set_issue(vq, s))
			return false;	/* parked again */
		if (vl_ctl_set_issued(vq, s))
			vl_ctl_set_ready(s);
		return false;
	}
	if (!s->set_parent && atomic_read(&vq->dev->aborts_unanswered)) {
		llist_add(&s->node, &vq->deferred);
		return false;
	}
	if (!vq->broken && !s->set_parent) {
		vl_ctl_answer_tmf(vq, s);
		answered = true;
	}
	vl_slot_finish(s);
	return answered;
}

/* Fixed-format sense data (SPC-4 4.5.3), 18 bytes: its length. */
static u32 vl_ctl_fixed_sense(u8 *sense, u8 key, u8 asc, u8 ascq)
{
	memset(sense, 0, 18);
	sense[0] = 0x70;	/* current error, fixed format */
	sense[2] = key;
	sense[7] = 10;		/* additional sense length */
	sense[12] = asc;
	sense[13] = ascq;
	return 18;
}

/**
 * vl_ctl_ua_take() - the unit attention an I_T NEXUS RESET left, if the
 * command is the first to its LUN since
 * @dev: the device
 * @req: a parsed command for a target with a nexus
 * @sense: room for 18 bytes: fixed-format sense, UNIT ATTENTION, I_T
 *	   NEXUS LOSS OCCURRED
 *
 * INQUIRY, REPORT LUNS and REQUEST SENSE neither report nor clear it
 * (SPC-4 5.14; REQUEST SENSE does not return it as data either: the next
 * other command gets it).  Each LUN's condition is reported once, also
 * when several queues race for it.
 *
 * Context: a request queue's worker; no lock, no allocation: one load per
 * command while no I_T NEXUS RESET happened.
 * Return: the length of @sense if the command is to be answered CHECK
 * CONDITION with it, else 0.
 */
u32 vl_ctl_ua_take(struct vl_dev *dev, const struct vl_vscsi_req *req,
		   u8 *sense)
{
	/* Pairs with vl_ctl_ua_establish(). */
	unsigned long *ua = smp_load_acquire(&dev->nexus_ua[req->target]);

	if (likely(!ua) || req->lun >= VL_MAX_LUN || !test_bit(req->lun, ua))
		return 0;
	switch (req->cdb[0]) {
	case INQUIRY:
	case REPORT_LUNS:
	case REQUEST_SENSE:
		return 0;
	}
	if (!test_and_clear_bit(req->lun, ua))
		return 0;
	return vl_ctl_fixed_sense(sense, UNIT_ATTENTION, 0x29, 0x07);
}

/**
 * vl_ctl_free() - free what the control queue allocated for a device
 * @dev: the device, being freed: no worker runs
 */
void vl_ctl_free(struct vl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VL_MAX_TARGET; i++)
		bitmap_free(dev->nexus_ua[i]);
}
