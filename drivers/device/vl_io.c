// SPDX-License-Identifier: GPL-2.0
/*
 * vl_io.c - virtio-scsi requests executed on LIO.
 *
 * Per request, on the queue's worker: pop a chain (portable core), parse
 * the request (portable core), find the TPG by the target byte, pin the
 * guest's data pages into the slot's scatterlist (and, with T10 PI, the
 * protection bytes into the slot's protection scatterlist), and submit
 * the se_cmd.
 * LIO completes it from wherever it likes; the fabric hook pushes the slot
 * on the queue's done list and the worker writes the response, hands the
 * chain back and signals the guest once per batch.  Nothing here takes a
 * lock but the queue mutex its worker holds for a whole batch, and nothing
 * allocates but the copy fallback for data buffers that cannot be pinned
 * or that the block layer could not take (vl_data_map()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "compat/vl_compat.h"
#include "vl_device.h"

/* ---- answering the guest ----------------------------------------------- */

/* Write a response with no LIO command behind it; queue the used entry. */
static void vl_io_answer(struct vl_vq *vq, const struct vl_chain *c, u8 resp,
			 u8 status, const u8 *sense, u32 sense_len)
{
	struct vl_vscsi_cmd_resp r;
	u32 len = 0;

	vl_vscsi_fill_cmd_resp(&r, resp, status, sense, sense_len, 0);
	vl_stats_answer(vq, c, &r);
	if (!vl_vscsi_put_cmd_resp(c, vq->dev->mem, &r))
		len = sizeof(r);
	if (vl_vq_add_used(vq, c, len))
		vl_vq_fail(vq, -EFAULT);
}

/*
 * The status a completed command is answered with.  A backstore out of
 * resources (LIO's TASK SET FULL) or BUSY is answered TASK SET FULL and
 * counted on the LUN as ours are (vl_io_lun_count()): BUSY only makes a
 * Linux guest retry, TASK SET FULL also lowers the LUN's queue depth.
 */
static u8 vl_io_status(struct vl_slot *s)
{
	u8 status = s->vcmd.se_cmd.scsi_status;

	if (likely(status != SAM_STAT_BUSY && status != SAM_STAT_TASK_SET_FULL))
		return status;
	if (s->lun_depth)
		atomic_long_inc(&s->lun_depth->task_set_full);
	return SAM_STAT_TASK_SET_FULL;
}

/*
 * Answer a command LIO completed, from its status, sense and residual.
 *
 * A command LIO completed is answered VIRTIO_SCSI_S_OK whatever its
 * residual, as LIO's own initiator (tcm_loop) sees it: LIO decides what
 * a transfer length that differs from the buffers means
 * (target_cmd_size_check(): an underflow runs with a residual; an
 * overflow of a data transfer is refused, INVALID FIELD IN CDB or IN
 * COMMAND INFORMATION UNIT; one of a command that moves no data, such
 * as VERIFY with BYTCHK 0, runs GOOD), and the residual is LIO's either
 * way.  VIRTIO_SCSI_S_OVERRUN would tell the guest the command was not
 * executed (Linux makes it DID_ERROR and retries): no answer of LIO's
 * says that.  LIO never moves more than the buffers: an overflow with
 * data is refused before execution (transport_generic_map_mem_to_cmd()),
 * and an underflowing read's scatterlist ends at its data length
 * (vl_io_trim_sgl()).
 */
static void vl_io_answer_cmd(struct vl_vq *vq, struct vl_slot *s)
{
	struct se_cmd *se = &s->vcmd.se_cmd;
	struct vl_vscsi_cmd_resp r;
	u32 resid = 0, data_in = 0, prot_in = 0;
	u8 resp = VL_VSCSI_S_OK;
	u8 status = s->aborted ? 0 : vl_io_status(s);

	if (s->aborted) {
		/* virtio 1.2 5.6.6.1: cancelled by a reset, or by an abort. */
		resp = s->reset ? VL_VSCSI_S_RESET : VL_VSCSI_S_ABORTED;
	} else if (se->se_cmd_flags & (SCF_UNDERFLOW_BIT | SCF_OVERFLOW_BIT)) {
		resid = se->residual_count;
	}
	/*
	 * used.len must not count bytes we did not write (virtio 2.7.8): LIO
	 * reports no transfer count for a failed command, so only a GOOD
	 * read counts its data: the buffer less an underflow's residual (an
	 * overflow's is what the buffer lacked), and its protection bytes,
	 * which LIO wrote in full (vl_io_prot_ok()).
	 */
	if (s->data_in && resp == VL_VSCSI_S_OK && status == SAM_STAT_GOOD) {
		data_in = s->req.data_len;
		if (se->se_cmd_flags & SCF_UNDERFLOW_BIT)
			data_in -= min(resid, data_in);
		/* A PROTECT field cut data_length without an underflow. */
		data_in = min(data_in, se->data_length);
		prot_in = s->req.prot_len;
	}

	if (s->bounce && data_in &&
	    vl_data_copy(s, vq->dev->mem, data_in, false)) {
		pr_warn_ratelimited("read data not copied to guest memory\n");
		vl_vscsi_fill_cmd_resp(&r, VL_VSCSI_S_TARGET_FAILURE, 0, NULL,
				       0, 0);
		data_in = 0;
		prot_in = 0;
	} else {
		vl_vscsi_fill_cmd_resp(&r, resp, status, s->vcmd.sense_buf,
				       se->scsi_sense_length, resid);
	}
	vl_stats_answer(vq, &s->chain, &r);
	if (vl_vscsi_put_cmd_resp(&s->chain, vq->dev->mem, &r) ||
	    vl_vq_add_used(vq, &s->chain,
			   vl_vscsi_cmd_used_len(prot_in + data_in)))
		vl_vq_fail(vq, -EFAULT);
}

/*
 * Answer one completed command; TMFs are the control queue's
 * (vl_ctl_tmf_done()).  An aborted command's hold on TMF answers is
 * counted in *@aborts, to end once its answer is published.  Return: true
 * if a used entry may have been added.
 */
static bool vl_io_answer_done(struct vl_vq *vq, struct vl_slot *s,
			      unsigned int *aborts)
{
	if (s->tmf)
		return vl_ctl_tmf_done(vq, s);
	if (!vq->broken)
		vl_io_answer_cmd(vq, s);
	*aborts += s->abort_counted;
	s->abort_counted = false;
	vl_slot_finish(s);
	return true;
}

static bool vl_io_answer_list(struct vl_vq *vq, struct llist_node *list,
			      unsigned int *aborts)
{
	struct vl_slot *s, *next;
	bool any = false;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(s, next, list, node)
		any |= vl_io_answer_done(vq, s, aborts);
	return any;
}

/**
 * vl_io_complete_done() - answer the commands LIO completed on a queue
 * @vq: the queue
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_io_complete_done(struct vl_vq *vq)
{
	unsigned int aborts = 0;
	bool any = false;
	u64 t0;

	lockdep_assert_held(&vq->mutex);
	t0 = vl_cost_start();
	if (!llist_empty(&vq->deferred) &&
	    !atomic_read(&vq->dev->aborts_unanswered))
		any = vl_io_answer_list(vq, llist_del_all(&vq->deferred),
					&aborts);
	any |= vl_io_answer_list(vq, llist_del_all(&vq->done), &aborts);
	vl_cost_add(&vq->stats.answer_ns, t0);
	if (any && !vq->broken)
		vl_vq_flush(vq);
	/* After the flush: the guest sees the victims before the TMF. */
	vl_slot_aborts_answered(vq->dev, aborts);
}

/*
 * Null mode (vl_null_io, benchmarks only): answer a READ or WRITE GOOD
 * without LIO, as a backstore that neither reads nor writes data (rd_mcp
 * with rd_nullio=1) would; a read counts its whole buffer as written.
 * Every other command still goes to LIO, so that a guest can set up
 * (INQUIRY, READ CAPACITY...).
 */
static void vl_io_null(struct vl_vq *vq, struct vl_slot *s)
{
	u32 data_in = s->data_in ? s->req.data_len : 0;
	struct vl_vscsi_cmd_resp r;

	vl_stats_submitted(vq, s);
	vl_vscsi_fill_cmd_resp(&r, VL_VSCSI_S_OK, SAM_STAT_GOOD, NULL, 0, 0);
	vl_stats_answer(vq, &s->chain, &r);
	if (vl_vscsi_put_cmd_resp(&s->chain, vq->dev->mem, &r) ||
	    vl_vq_add_used(vq, &s->chain, vl_vscsi_cmd_used_len(data_in)))
		vl_vq_fail(vq, -EFAULT);
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
 * LIO also cuts data_length to the CDB's blocks without an underflow when
 * the CDB's PROTECT field is set (sbc_check_prot(): transports whose data
 * includes the protection bytes), whatever the buffers: so the list is
 * cut whenever it is longer than data_length, underflow or not.
 */
static void vl_io_trim_sgl(struct se_cmd *se, u32 buf_len)
{
	struct scatterlist *sg;
	u32 left = se->data_length;
	unsigned int i;

	if (left >= buf_len || !se->t_data_nents || !left)
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
 * Count a command on its LUN (vl_lun_depth), within the LUN's limit:
 * attrib/lun_queue_depth, else the backstore's attrib/queue_depth, which
 * LIO itself does not enforce for a fabric.  Beyond it the command is
 * answered TASK SET FULL for that LUN alone: a Linux guest (virtio_scsi
 * tracks queue depth) then lowers that LUN's depth, while other LUNs on
 * the same virtqueue keep theirs.  vl_slot_put() uncounts.
 * Context: rcu_read_lock() held, @deve found in it.
 * Return: true if within the limit.
 */
static bool vl_io_lun_count(struct vl_slot *s, struct vl_tpg *tpg,
			    struct se_dev_entry *deve)
{
	struct se_lun *lun = deve->se_lun;
	struct se_device *sd = lun ? rcu_dereference(lun->lun_se_dev) : NULL;
	struct vl_lun_depth *d;
	u32 limit;

	d = sd ? vl_tpg_lun_depth(tpg, lun->unpacked_lun) : NULL;
	if (!d)
		return true;	/* LIO finds what is wrong with it */
	limit = READ_ONCE(d->limit) ?: READ_ONCE(sd->dev_attrib.queue_depth);
	if (atomic_inc_return(&d->inflight) > limit) {
		atomic_dec(&d->inflight);
		atomic_long_inc(&d->task_set_full);
		return false;
	}
	s->lun_depth = d;
	return true;
}

/*
 * LIO logs every command for a LUN its nexus does not map, and every
 * WRITE to a read-only mapping, with an unrate-limited pr_err(): a guest
 * could fill the host log.  Answer those here, as LIO would (ILLEGAL
 * REQUEST / LOGICAL UNIT NOT SUPPORTED; DATA PROTECT / WRITE PROTECTED).
 * LUN 0 is LIO's virtual LUN 0 when unmapped, and stays LIO's.  A mapping
 * changed after this look is LIO's to find: one line per configfs change.
 * A command within those rules is counted on its LUN (vl_io_lun_count()).
 * Return: true if answered.
 */
static bool vl_io_lun_refused(struct vl_vq *vq, struct vl_slot *s,
			      struct vl_tpg *tpg, enum dma_data_direction dir)
{
	u8 sense[18] = { 0x70, 0, ILLEGAL_REQUEST, 0, 0, 0, 0, 10 };
	struct se_node_acl *nacl = tpg->nexus->se_sess->se_node_acl;
	struct se_dev_entry *deve, *found = NULL;
	bool full = false;

	/* As LIO's target_nacl_find_deve(), which no public header has. */
	rcu_read_lock();
	hlist_for_each_entry_rcu(deve, &nacl->lun_entry_hlist, link)
		if (deve->mapped_lun == s->req.lun) {
			found = deve;
			break;
		}
	deve = found;
	if (!deve && s->req.lun) {
		sense[12] = 0x25;
	} else if (deve && deve->lun_access_ro && dir == DMA_TO_DEVICE) {
		sense[2] = DATA_PROTECT;
		sense[12] = 0x27;
	} else if (deve) {
		full = !vl_io_lun_count(s, tpg, deve);
	}
	rcu_read_unlock();
	if (full) {
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_OK,
			     SAM_STAT_TASK_SET_FULL, NULL, 0);
		return true;
	}
	if (!sense[12])
		return false;
	vl_io_answer(vq, &s->chain, VL_VSCSI_S_OK, SAM_STAT_CHECK_CONDITION,
		     sense, sizeof(sense));
	return true;
}

/*
 * Map a command's data, then its protection information (in that order:
 * the data's copy fallback drops what the slot holds).  Return: 0, or an
 * error vl_io_map_failed() answers.
 */
static int vl_io_map(struct vl_vq *vq, struct vl_slot *s,
		     unsigned int *nents, unsigned int *prot_nents)
{
	int ret;

	*prot_nents = 0;
	ret = vl_data_map(s, vq->dev->mem, nents);
	if (!ret)
		ret = vl_data_map_prot(s, vq->dev->mem, prot_nents);
	return ret;
}

/* Answer a command whose buffers could not be mapped (vl_io_map()). */
static void vl_io_map_failed(struct vl_vq *vq, struct vl_slot *s, int ret)
{
	vl_slot_drop_pages(s);
	if (ret == -E2BIG) {
		/* INVALID FIELD IN CDB: more data than LIO takes. */
		vl_io_reject(vq, &s->chain, 0x24);
	} else if (ret == -EMSGSIZE) {
		/* Protection bytes beyond what a slot takes: malformed. */
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_FAILURE, 0, NULL, 0);
	} else if (ret == -ENOMEM) {
		/*
		 * No pages to copy through: TASK SET FULL, which a guest
		 * requeues (a busy response costs a retry).
		 */
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_OK,
			     SAM_STAT_TASK_SET_FULL, NULL, 0);
	} else {
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_TARGET_FAILURE, 0, NULL,
			     0);
	}
}

/*
 * T10 PI: LIO parsed the CDB (target_submit_prep()) and decided how many
 * protection bytes the command moves (se->prot_length, from the CDB's
 * block count and the backstore's or the session's protection type) and
 * what it does with them (se->prot_op, from the CDB's opcode and PROTECT
 * field).  Protection bytes the guest sent must be exactly those: LIO
 * reads or writes prot_length bytes through our scatterlist, and fewer in
 * it would make LIO touch memory we do not own.  And LIO must only read
 * the bytes of a data-out command: their pages are pinned for reading
 * (vl_data_map_prot()), so DOUT_INSERT, where LIO generates the tuples
 * into the list, and a DIN_* operation (a READ CDB with data-out buffers)
 * are refused too; a data-in command's pages are writable, any DIN_*
 * will do.  A guest that sent no protection bytes leaves LIO to use (and
 * allocate) protection buffers of its own, as for a guest without T10 PI.
 */
static bool vl_io_prot_ok(const struct se_cmd *se, const struct vl_slot *s)
{
	u32 ops = s->data_in ? TARGET_PROT_DIN_PASS | TARGET_PROT_DIN_INSERT |
			       TARGET_PROT_DIN_STRIP :
			       TARGET_PROT_DOUT_PASS | TARGET_PROT_DOUT_STRIP;

	if (!s->req.prot_len)
		return true;
	return (se->prot_op & ops) && se->prot_length == s->req.prot_len;
}

/* Hand a command LIO initialised to LIO: it completes, whatever happens. */
static void vl_io_submit_lio(struct se_cmd *se, struct vl_slot *s,
			     struct vl_vscsi_req *req,
			     unsigned int nents, unsigned int prot_nents)
{
	int ret;

	/* On failure LIO completes the command with a CHECK CONDITION. */
	if (target_submit_prep(se, req->cdb, nents ? s->sgl : NULL, nents,
			       NULL, 0, prot_nents ? s->prot_sgl : NULL,
			       prot_nents, GFP_KERNEL))
		return;
	if (!vl_io_prot_ok(se, s) || se->data_length > req->data_len) {
		/*
		 * As LIO answers a data transfer longer than the CDB's:
		 * ILLEGAL REQUEST, INVALID FIELD IN CDB.  Nothing ran yet.
		 * LIO's data length exceeds the buffers only when a PROTECT
		 * field set it from the CDB (sbc_check_prot(), after its
		 * size check): the backend would move what the buffers hold
		 * and answer GOOD, or allocate buffers of its own.
		 */
		transport_generic_request_failure(se, TCM_INVALID_CDB_FIELD);
		return;
	}
	vl_io_trim_sgl(se, req->data_len);
	ret = vl_target_submit(se);
	if (ret) {
		/*
		 * Linux 6.9+ returns an error only for a command it did not
		 * take (no LUN after a successful prep, which cannot happen
		 * today): have LIO fail it, so that it completes as usual.
		 */
		pr_warn_ratelimited("LIO refused a command (%d)\n", ret);
		transport_generic_request_failure(se,
						  TCM_LOGICAL_UNIT_COMMUNICATION_FAILURE);
	}
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
	unsigned int nents = 0, prot_nents = 0;
	u64 t0;
	int ret;

	s->data_in = req->dir == VL_VSCSI_DIR_FROM_DEV;
	s->tmf = false;
	s->aborted = false;
	if (req->dir == VL_VSCSI_DIR_TO_DEV)
		dir = DMA_TO_DEVICE;
	else if (s->data_in)
		dir = DMA_FROM_DEVICE;
	if (vl_io_lun_refused(vq, s, tpg, dir))
		return false;

	t0 = vl_cost_start();
	ret = vl_io_map(vq, s, &nents, &prot_nents);
	vl_cost_add(&vq->stats.map_ns, t0);
	if (ret) {
		vl_io_map_failed(vq, s, ret);
		return false;
	}
	if (static_branch_unlikely(&vl_null_io) && vl_vscsi_cdb_is_rw(req->cdb)) {
		vl_io_null(vq, s);
		return false;
	}

	memset(se, 0, sizeof(*se));
	ret = target_init_cmd(se, tpg->nexus->se_sess, s->vcmd.sense_buf,
			      req->lun, req->data_len, vl_task_attr(req->task_attr),
			      dir, TARGET_SCF_ACK_KREF);
	if (ret) {
		/* LIO refuses new commands while the session shuts down. */
		vl_slot_drop_pages(s);
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BUSY, 0, NULL, 0);
		return false;
	}
	vl_slot_submitted(s);
	se->tag = req->tag;
	vl_stats_submitted(vq, s);
	t0 = vl_cost_start();
	vl_io_submit_lio(se, s, req, nents, prot_nents);
	vl_cost_add(&vq->stats.submit_ns, t0);
	return true;
}

/**
 * vl_io_hold_timer() - requests were held back: serve the queues again
 * @t: vl_dev.hold_timer
 *
 * Context: timer (softirq).  The device deletes the timer once its queues
 * are stopped, before it goes.  Waking a queue with nothing to do costs a
 * look at its ring.
 */
void vl_io_hold_timer(struct timer_list *t)
{
	struct vl_dev *dev = from_timer(dev, t, hold_timer);
	unsigned int i;

	for (i = 0; i < VL_MAX_VQS; i++)
		if (i != VL_VQ_EVT)
			vl_vq_queue_work(&dev->vqs[i]);
}

/*
 * The device had VL_REFUSED_BURST commands refused (vl_dev_cmd_complete())
 * in the current window: take nothing new until it ends.  Racing queues
 * may both open a new window; the count restarts either way.
 */
static bool vl_io_held(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	unsigned long end;

	if (likely(atomic_read(&dev->refused) < VL_REFUSED_BURST))
		return false;
	end = READ_ONCE(dev->refused_since) + VL_REFUSED_INTERVAL;
	if (time_before(jiffies, end)) {
		timer_reduce(&dev->hold_timer, end);
		return true;
	}
	WRITE_ONCE(dev->refused_since, jiffies);
	atomic_set(&dev->refused, 0);
	return false;
}

/*
 * Take one request: 1 done (maybe answered already), 0 the ring is empty,
 * -EAGAIN held back (vl_io_held()), other negative errors: the guest broke
 * the ring.
 */
static int vl_io_one(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	struct vl_slot *s;
	struct vl_tpg *tpg;
	u64 t0;
	int ret;

	if (vl_io_held(vq))
		return -EAGAIN;
	s = vl_slot_get(vq);
	if (!s) {
		/*
		 * Every slot is taken (commands aborted but not yet released
		 * hold theirs): answer TASK SET FULL.
		 */
		ret = vl_vring_pop(&vq->ring, dev->mem, &vq->full);
		if (ret > 0) {
			vl_stats_taken(vq, NULL);
			vl_io_answer(vq, &vq->full, VL_VSCSI_S_OK,
				     SAM_STAT_TASK_SET_FULL, NULL, 0);
		}
		return ret;
	}
	t0 = vl_cost_start();
	ret = vl_vring_pop(&vq->ring, dev->mem, &s->chain);
	if (ret <= 0) {
		vl_slot_put(s);
		return ret;
	}
	vl_stats_taken(vq, s);

	ret = vl_vscsi_parse_cmd_pi(&s->chain, dev->mem, vl_t10_pi(dev),
				    &s->req);
	vl_cost_add(&vq->stats.ring_ns, t0);
	switch (ret) {
	case 0:
		break;
	case -ENXIO:
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BAD_TARGET, 0, NULL, 0);
		goto done;
	case -EBADMSG:
	case -EOPNOTSUPP:
	case -EPROTO:	/* T10 PI: a count for the other direction */
	case -ERANGE:	/* T10 PI: more protection bytes than buffers */
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
	vl_stats_received(vq, s);

	tpg = dev->tpgs[s->req.target];
	if (!tpg || !tpg->nexus || s->req.report_luns) {
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_BAD_TARGET, 0, NULL, 0);
		goto done;
	}
	ret = vl_ctl_ua_take(dev, &s->req, s->vcmd.sense_buf);
	if (ret) {
		/* An I_T NEXUS RESET's unit attention (vl_ctl.c). */
		vl_io_answer(vq, &s->chain, VL_VSCSI_S_OK,
			     SAM_STAT_CHECK_CONDITION, s->vcmd.sense_buf, ret);
		goto done;
	}
	if (vl_io_submit(vq, s, tpg))
		return 1;
done:
	vl_slot_put(s);
	return 1;
}

/*
 * Take requests with a per-call handler until the ring is empty or the
 * budget is spent: guest kicks are off meanwhile and re-enabled (with a
 * recheck for buffers that raced in) when the ring is empty, unless the
 * worker polls the ring (@vq->poll, vl_vq.c).
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
		/* Kicks stay off: a timer or a slot's release calls us back. */
		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			vl_vq_fail(vq, ret);
			return;
		}
		if (ret)
			continue;
		if (vq->poll) {
			/* Kicks stay off: the worker polls (vl_worker_poll()). */
			vq->polled = true;
			break;
		}
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
	u64 requests = vq->stats.requests;

	lockdep_assert_held(&vq->mutex);
	switch (vq->index) {
	case VL_VQ_CTL:
		vl_vq_take(vq, vl_ctl_one);
		break;
	case VL_VQ_EVT:
		vl_evt_service(vq);
		break;
	default:
		vl_vq_take(vq, vl_io_one);
		vl_stats_batch(vq, requests);
		break;
	}
}
