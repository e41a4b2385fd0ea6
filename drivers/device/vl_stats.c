// SPDX-License-Identifier: GPL-2.0
/*
 * vl_stats.c - per-queue counters in debugfs, and the tracepoints.
 *
 * Each device, once it has an owner, gets a debugfs directory
 * /sys/kernel/debug/vhost_lio/<owner pid>-<id>, and each request queue
 * that starts a file queue_<n> in it (n = virtqueue - 2) with a
 * "name value" line per counter of struct vl_vq_stats.  The counters cost
 * plain increments on the queue's worker (see struct vl_vq_stats); the
 * files are only read.
 *
 * Lifetime: the directory is made at VHOST_SET_OWNER and removed, with
 * its files, when the owner goes (close, VHOST_RESET_OWNER), both under
 * vl_dev.mutex.  debugfs_remove() waits for the readers inside a file's
 * show (6.1 and 6.12: the file's active users drain before it returns)
 * and later ones get -EIO, so no reader touches the device after that,
 * while the device lives on until its last command is released.  Without
 * debugfs (CONFIG_DEBUG_FS=n, debugfs=off) nothing is made and nothing
 * else changes.
 *
 * /sys/kernel/debug/vhost_lio/null_io and cost_split (root only, 0 by
 * default) are a benchmark's switches: see vl_null_io and vl_cost below.
 *
 * The tracepoints (vl_trace.h) are defined here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <scsi/scsi_proto.h>

#include "vl_device.h"

#define CREATE_TRACE_POINTS
#include "vl_trace.h"

/* /sys/kernel/debug/vhost_lio, or NULL */
static struct dentry *vl_debugfs_root;

/*
 * Null mode, for benchmarks only (Documentation/performance.md): while on,
 * every READ and WRITE that would go to LIO is answered GOOD by the
 * queue's worker instead (vl_io.c), its data pinned and unpinned but never
 * read or written: writes are lost and reads return what the buffers held.
 * What such a command costs is vhost_lio's alone.  A static key, so that
 * the switch costs the I/O path nothing while off; turning it on or off
 * is logged.
 */
DEFINE_STATIC_KEY_FALSE(vl_null_io);

static int vl_null_io_get(void *data, u64 *val)
{
	*val = static_branch_unlikely(&vl_null_io);
	return 0;
}

static int vl_null_io_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	if (val == static_branch_unlikely(&vl_null_io))
		return 0;
	if (val) {
		static_branch_enable(&vl_null_io);
		pr_warn("null_io on: READs and WRITEs are answered GOOD without LIO, no data is read or written (benchmarks only)\n");
	} else {
		static_branch_disable(&vl_null_io);
		pr_info("null_io off: commands go to LIO again\n");
	}
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vl_null_io_fops, vl_null_io_get, vl_null_io_set,
			 "%llu\n");

/*
 * The cost split, for benchmarks only: while on, the workers add their
 * time per step to the _ns counters of struct vl_vq_stats (two
 * local_clock() reads per step and command).  A plain flag, read once
 * per step: a benchmark switches it while workers and LIO's completions
 * run, and a static key patched then crashed guests under QEMU's TCG
 * (an int3 of the patch executed after it), where vhost_lio is tested.
 */
bool vl_cost;

static int vl_cost_get(void *data, u64 *val)
{
	*val = READ_ONCE(vl_cost);
	return 0;
}

static int vl_cost_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(vl_cost, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vl_cost_fops, vl_cost_get, vl_cost_set, "%llu\n");

/* The last vl_dev.id given. */
static atomic_t vl_dev_ids = ATOMIC_INIT(0);

#define VL_STAT(name)	{ #name, offsetof(struct vl_vq_stats, name) }

/* A queue file's lines, in this order; requests must stay first. */
static const struct {
	const char	*name;
	size_t		offset;
} vl_stat_lines[] = {
	VL_STAT(requests),
	VL_STAT(bytes),
	VL_STAT(batches),
	VL_STAT(kicks),
	VL_STAT(signals),
	VL_STAT(task_set_full),
	VL_STAT(slots_exhausted),
	VL_STAT(copy_fallback),
	VL_STAT(poll_hits),
	VL_STAT(poll_misses),
	VL_STAT(ring_ns),
	VL_STAT(map_ns),
	VL_STAT(submit_ns),
	VL_STAT(answer_ns),
	VL_STAT(signal_ns),
};

/*
 * A queue file.  The counters are read from the last line up, requests
 * last: every other count but kicks and the poll counts follows the
 * request it is about (and slots_exhausted the TASK SET FULL answer it
 * gets), so that a file read while the queue runs shows no more
 * batches, signals, TASK SET FULL answers... than requests, nor
 * slots_exhausted above task_set_full (where stores are seen in order,
 * as on x86; elsewhere a running queue's counts are only approximate).
 * Context: a debugfs read; the queue is alive (see the top of this file).
 */
static int vl_queue_stats_show(struct seq_file *m, void *unused)
{
	const struct vl_vq *vq = m->private;
	u64 val[ARRAY_SIZE(vl_stat_lines)];
	unsigned int i;

	for (i = ARRAY_SIZE(vl_stat_lines); i-- > 0;)
		val[i] = READ_ONCE(*(const u64 *)((const char *)&vq->stats +
						  vl_stat_lines[i].offset));
	for (i = 0; i < ARRAY_SIZE(vl_stat_lines); i++)
		seq_printf(m, "%s %llu\n", vl_stat_lines[i].name,
			   (unsigned long long)val[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vl_queue_stats);

/**
 * vl_stats_init() - make /sys/kernel/debug/vhost_lio
 *
 * Without debugfs, devices get no directory: nothing else changes.
 *
 * Context: module init, before the misc device is registered.
 */
void vl_stats_init(void)
{
	struct dentry *d = debugfs_create_dir(KBUILD_MODNAME, NULL);

	vl_debugfs_root = IS_ERR(d) ? NULL : d;
	if (!vl_debugfs_root)
		return;
	debugfs_create_file_unsafe("null_io", 0600, vl_debugfs_root, NULL,
				   &vl_null_io_fops);
	debugfs_create_file_unsafe("cost_split", 0600, vl_debugfs_root, NULL,
				   &vl_cost_fops);
}

/**
 * vl_stats_exit() - remove /sys/kernel/debug/vhost_lio
 *
 * Context: module exit, once every device is freed.
 */
void vl_stats_exit(void)
{
	debugfs_remove(vl_debugfs_root);
	vl_debugfs_root = NULL;
}

/**
 * vl_stats_dev_add() - zero a device's counters and make its directory
 * @dev: a device that just got its owner (current)
 *
 * Context: VHOST_SET_OWNER, dev->mutex held.  No queue is set up for
 * the owner yet (the ioctls that would need one): no kick is attached,
 * and the control queue's worker, just made, has had no work.
 */
void vl_stats_dev_add(struct vl_dev *dev)
{
	struct dentry *d;
	char name[32];
	unsigned int i;

	lockdep_assert_held(&dev->mutex);
	for (i = 0; i < VL_MAX_VQS; i++)
		memset(&dev->vqs[i].stats, 0, sizeof(dev->vqs[i].stats));
	dev->id = atomic_inc_return(&vl_dev_ids);
	if (!vl_debugfs_root)
		return;
	snprintf(name, sizeof(name), "%d-%u", task_tgid_nr(current), dev->id);
	d = debugfs_create_dir(name, vl_debugfs_root);
	dev->debugfs = IS_ERR(d) ? NULL : d;
}

/**
 * vl_stats_vq_add() - the queue file of a request queue
 * @vq: a request queue whose worker was just made (its first start)
 *
 * Context: dev->mutex held.
 */
void vl_stats_vq_add(struct vl_vq *vq)
{
	char name[16];

	lockdep_assert_held(&vq->dev->mutex);
	if (!vq->dev->debugfs)
		return;
	snprintf(name, sizeof(name), "queue_%u", vq->index - VL_VQ_IO);
	/* A file that cannot be made is only missing: debugfs says why. */
	debugfs_create_file(name, 0444, vq->dev->debugfs, vq,
			    &vl_queue_stats_fops);
}

/**
 * vl_stats_dev_remove() - remove a device's directory and its files
 * @dev: the device
 *
 * Returns once no reader is inside a file of the device.
 *
 * Context: close or VHOST_RESET_OWNER, dev->mutex held.
 */
void vl_stats_dev_remove(struct vl_dev *dev)
{
	lockdep_assert_held(&dev->mutex);
	debugfs_remove(dev->debugfs);
	dev->debugfs = NULL;
}

/* ---- per-command hooks (the queue's worker, vq->mutex held) ------------ */

/**
 * vl_stats_received() - a request was parsed into a slot
 * @vq: its request queue
 * @s: the slot
 */
void vl_stats_received(struct vl_vq *vq, struct vl_slot *s)
{
	s->received = true;
	trace_vl_cmd_received(vq, &s->req);
}

/**
 * vl_stats_submitted() - a command is handed to LIO
 * @vq: its request queue
 * @s: the command's slot, its data mapped
 */
void vl_stats_submitted(struct vl_vq *vq, const struct vl_slot *s)
{
	WRITE_ONCE(vq->stats.bytes, vq->stats.bytes + s->req.data_len);
	if (s->bounce)
		vl_stat_inc(&vq->stats.copy_fallback);
	trace_vl_cmd_submit(vq, s);
}

/**
 * vl_stats_answer() - a command's response is written for the guest
 * @vq: its request queue
 * @c: the chain answered: a slot's, or vq->full
 * @r: the response
 */
void vl_stats_answer(struct vl_vq *vq, const struct vl_chain *c,
		     const struct vl_vscsi_cmd_resp *r)
{
	const struct vl_slot *s;

	if (unlikely(r->status == SAM_STAT_TASK_SET_FULL))
		vl_stat_inc(&vq->stats.task_set_full);
	/* A chain taken with no slot free was never parsed: not traced. */
	if (!trace_vl_cmd_complete_enabled() || c == &vq->full)
		return;
	s = container_of(c, struct vl_slot, chain);
	if (s->received)
		trace_vl_cmd_complete(vq, s, r);
}

/**
 * vl_stats_batch() - a worker pass over a request queue ended
 * @vq: the queue
 * @requests_before: vq->stats.requests when the pass began
 */
void vl_stats_batch(struct vl_vq *vq, u64 requests_before)
{
	if (vq->stats.requests != requests_before)
		vl_stat_inc(&vq->stats.batches);
}

/**
 * vl_trace_tmf() - a TMF is answered (the vl_tmf tracepoint)
 * @dev: the device
 * @subtype: VL_VSCSI_T_TMF_*
 * @target: its target
 * @lun: its LUN
 * @tag: the tag it names
 * @resp: the answer, VL_VSCSI_S_*
 *
 * Context: the control queue's worker.
 */
void vl_trace_tmf(const struct vl_dev *dev, u32 subtype, u8 target, u16 lun,
		  u64 tag, u8 resp)
{
	trace_vl_tmf(dev, subtype, target, lun, tag, resp);
}

/**
 * vl_trace_event() - an event went into a guest buffer (vl_event)
 * @dev: the device
 * @ev: the event
 * @len: the used length: 0 if the buffer was too small
 *
 * Context: the event queue's worker.
 */
void vl_trace_event(const struct vl_dev *dev, const struct vl_event *ev,
		    u32 len)
{
	trace_vl_event(dev, ev, len);
}
