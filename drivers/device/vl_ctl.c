// SPDX-License-Identifier: GPL-2.0
/*
 * vl_ctl.c - the control queue: task management functions on LIO and
 * asynchronous notification queries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ratelimit.h>
#include <linux/timer.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vl_device.h"

/**
 * vl_ctl_answer_tmf() - write a TMF's response and queue its used entry
 * @vq: the control queue
 * @s: the TMF's slot; its result was copied by vl_dev_tmr_complete()
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_ctl_answer_tmf(struct vl_vq *vq, struct vl_slot *s)
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

/* The worker is done with a command LIO completed: answered or not. */
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
			     struct vl_tpg *tpg, const struct vl_vscsi_ctrl *ctrl,
			     u8 type)
{
	struct vl_dev *dev = vq->dev;
	struct se_cmd *se = &s->vcmd.se_cmd;
	int ret;

	memset(se, 0, sizeof(*se));
	s->tmf = true;
	s->tmr = type;
	s->data_in = false;
	s->reset_bucket = vl_reset_bucket(ctrl->target, ctrl->lun);
	vl_slot_submitted(s);
	if (type == TMR_LUN_RESET)
		atomic_inc(&dev->resets[s->reset_bucket]);
	ret = target_submit_tmr(se, tpg->nexus->se_sess, s->vcmd.sense_buf,
				ctrl->lun, NULL, type, GFP_KERNEL, ctrl->tag,
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
	if (!type) {
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
	if (vl_ctl_submit_tmf(vq, s, tpg, ctrl, type)) {
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
 * release requeues the queue) or a TMF held back by the rate limit (a
 * timer requeues it), other negative errors: the guest broke the ring.
 */
int vl_ctl_one(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	const struct vl_mem *mem = dev->mem;
	struct vl_vscsi_ctrl ctrl;
	struct vl_slot *s;
	u8 resp;
	int ret;

	s = vl_slot_get(vq);
	if (!s) {
		WRITE_ONCE(vq->slot_wanted, 1);
		/* Pairs with llist_add()'s barrier in vl_slot_put(). */
		smp_mb();
		/* A slot freed before the flag was seen: go on. */
		s = vl_slot_get(vq);
		if (!s)
			return -EAGAIN;
		WRITE_ONCE(vq->slot_wanted, 0);
	}
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

