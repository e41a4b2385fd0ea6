// SPDX-License-Identifier: GPL-2.0
/*
 * vl_vq.c - virtqueues of a device: the VHOST_*_VRING_* ioctls, the kick,
 * call and err eventfds, and the worker threads that drive the rings.
 *
 * A queue runs (its worker takes requests from it) once it has a size,
 * ring addresses, a kick eventfd, the device has a memory table and an
 * endpoint.  Ring addresses come from the VMM as its own user addresses;
 * the portable core works in guest-physical addresses, so they are mapped
 * back through the memory table each time the queue starts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "compat/vl_compat.h"
#include "vl_device.h"

/* ---- worker threads ---------------------------------------------------- */

/**
 * vl_vq_queue_work() - ask the queue's worker to look at the queue
 * @vq: the queue
 *
 * Only the caller that sets the queue's pending bit wakes the worker:
 * while the bit is set, the worker has yet to clear it and will then see
 * everything queued before.  So a burst of LIO completions costs one
 * wakeup, not one wake_up_process() (the task's pi_lock, interrupts off)
 * per command.
 *
 * Context: any, including the eventfd wakeup (spinlock held) and LIO's
 * completion contexts.
 */
void vl_vq_queue_work(struct vl_vq *vq)
{
	struct vl_worker *w = vq->worker;

	if (!w)
		return;
	/*
	 * A full barrier, as is the worker's test_and_clear_bit(): work
	 * published before it (a done-list push, a ring update) is seen by
	 * the service round that clears the bit.
	 */
	if (!test_and_set_bit(vq->pending_bit, &w->pending))
		wake_up_process(w->task);
}

static void vl_vq_service(struct vl_vq *vq)
{
	mutex_lock(&vq->mutex);
	vl_io_complete_done(vq);
	if (vq->running && !vq->broken)
		vl_io_service(vq);
	mutex_unlock(&vq->mutex);
}

static int vl_worker_fn(void *data)
{
	struct vl_worker *w = data;
	unsigned int i;

	kthread_use_mm(w->dev->mm);
	for (;;) {
		/* Set the state before looking, so a wakeup is not lost. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!READ_ONCE(w->pending)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		for (i = 0; i < w->nr_vqs; i++) {
			if (test_and_clear_bit(w->vqs[i]->pending_bit,
					       &w->pending))
				vl_vq_service(w->vqs[i]);
		}
		cond_resched();
	}
	kthread_unuse_mm(w->dev->mm);
	return 0;
}

static struct vl_worker *vl_worker_create(struct vl_dev *dev,
					  unsigned int id)
{
	struct vl_worker *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->dev = dev;
	w->task = kthread_create(vl_worker_fn, w, "vhost-lio-%d.%u",
				 task_pid_nr(dev->owner), id);
	if (IS_ERR(w->task)) {
		ret = PTR_ERR(w->task);
		kfree(w);
		return ERR_PTR(ret);
	}
	/* The worker's CPU and I/O are accounted to the VMM, as in vhost. */
	ret = cgroup_attach_task_all(dev->owner, w->task);
	if (ret) {
		kthread_stop(w->task);
		kfree(w);
		return ERR_PTR(ret);
	}
	wake_up_process(w->task);
	return w;
}

static void vl_worker_attach(struct vl_worker *w, struct vl_vq *vq)
{
	vq->pending_bit = w->nr_vqs;
	w->vqs[w->nr_vqs++] = vq;
	vq->worker = w;
}

/**
 * vl_workers_create() - start the worker threads of a device
 * @dev: the device, whose owner and mm are set
 *
 * One worker serves the control and event queues, one each request queue.
 *
 * Context: VHOST_SET_OWNER, dev->mutex held.
 * Return: 0 or a negative errno (nothing is left started).
 */
int vl_workers_create(struct vl_dev *dev)
{
	struct vl_worker *w;
	unsigned int i;

	for (i = 0; i <= VL_MAX_IO_VQS; i++) {
		w = vl_worker_create(dev, i);
		if (IS_ERR(w)) {
			vl_workers_destroy(dev);
			return PTR_ERR(w);
		}
		dev->workers[dev->nr_workers++] = w;
		if (i == 0) {
			vl_worker_attach(w, &dev->vqs[VL_VQ_CTL]);
			vl_worker_attach(w, &dev->vqs[VL_VQ_EVT]);
		} else {
			vl_worker_attach(w, &dev->vqs[VL_VQ_IO + i - 1]);
		}
	}
	return 0;
}

/**
 * vl_workers_destroy() - stop and free the worker threads of a device
 * @dev: the device; every queue is stopped
 */
void vl_workers_destroy(struct vl_dev *dev)
{
	unsigned int i, j;

	for (i = 0; i < dev->nr_workers; i++) {
		struct vl_worker *w = dev->workers[i];

		kthread_stop(w->task);
		for (j = 0; j < w->nr_vqs; j++)
			w->vqs[j]->worker = NULL;
		kfree(w);
		dev->workers[i] = NULL;
	}
	dev->nr_workers = 0;
}

/* ---- eventfds ---------------------------------------------------------- */

static int vl_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct vl_vq *vq = container_of(wait, struct vl_vq, kick_wait);

	if (key_to_poll(key) & EPOLLIN)
		vl_vq_queue_work(vq);
	return 0;
}

static void vl_kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			       poll_table *pt)
{
	struct vl_vq *vq = container_of(pt, struct vl_vq, kick_pt);

	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

static void vl_kick_detach(struct vl_vq *vq)
{
	if (vq->kick_wqh) {
		remove_wait_queue(vq->kick_wqh, &vq->kick_wait);
		vq->kick_wqh = NULL;
	}
	if (vq->kick) {
		fput(vq->kick);
		vq->kick = NULL;
	}
}

static int vl_kick_attach(struct vl_vq *vq, int fd)
{
	struct file *file;
	__poll_t mask;

	file = eventfd_fget(fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vq->kick = file;
	init_waitqueue_func_entry(&vq->kick_wait, vl_kick_wake);
	init_poll_funcptr(&vq->kick_pt, vl_kick_queue_proc);
	mask = vfs_poll(file, &vq->kick_pt);
	if (!vq->kick_wqh) {
		vl_kick_detach(vq);
		return -EINVAL;
	}
	/* A kick that came before we listened is not lost. */
	if (mask & EPOLLIN)
		vl_vq_queue_work(vq);
	return 0;
}

/* Replace an eventfd context: fd -1 (VHOST_FILE_UNBIND) clears it. */
static int vl_ctx_set(struct eventfd_ctx **slot, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd != VHOST_FILE_UNBIND) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

/**
 * vl_vq_signal() - interrupt the guest for a queue, if it wants one
 * @vq: the queue, after vl_vring_flush_used()
 *
 * Context: the queue's worker, vq->mutex held.
 */
static void vl_vq_signal(struct vl_vq *vq)
{
	if (vq->call && vl_vring_need_signal(&vq->ring, vq->dev->mem) > 0)
		vl_eventfd_signal(vq->call);
}

/**
 * vl_vq_add_used() - hand a chain back to the guest
 * @vq: the queue
 * @c: the chain
 * @len: bytes the device wrote into it
 *
 * The chain's writable buffers go to the dirty log first, when logging.
 *
 * Context: the queue's worker, vq->mutex held.
 * Return: 0, or the error of vl_vring_add_used() (the ring is broken).
 */
int vl_vq_add_used(struct vl_vq *vq, const struct vl_chain *c, u32 len)
{
	vl_log_chain(vq, c);
	return vl_vring_add_used(&vq->ring, vq->dev->mem, c->head, len);
}

/**
 * vl_vq_flush() - publish the used ring, log it, interrupt the guest
 * @vq: the queue
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_vq_flush(struct vl_vq *vq)
{
	if (vl_vring_flush_used(&vq->ring, vq->dev->mem))
		return;
	vl_log_used(vq);
	vl_vq_signal(vq);
}

/**
 * vl_vq_fail() - the guest broke a queue: stop it and tell the VMM
 * @vq: the queue
 * @err: the errno the core returned
 *
 * The queue takes no more requests until the VMM sets it up again; other
 * queues and devices keep running.  Commands in flight still complete.
 *
 * Context: the queue's worker, vq->mutex held.
 */
void vl_vq_fail(struct vl_vq *vq, int err)
{
	vq->broken = true;
	pr_err_ratelimited("queue %u of VMM pid %d broken (%d): %s, value %llu\n",
			   vq->index, task_pid_nr(vq->dev->owner), err,
			   vl_vring_fault_str(vq->ring.fault),
			   (unsigned long long)vq->ring.fault_val);
	if (vq->err)
		vl_eventfd_signal(vq->err);
}

/* ---- queue life -------------------------------------------------------- */

/**
 * vl_vq_init() - set up a queue's fields at open()
 * @dev: the device
 * @vq: its queue
 * @index: the queue's number
 */
void vl_vq_init(struct vl_dev *dev, struct vl_vq *vq, unsigned int index)
{
	vq->dev = dev;
	vq->index = index;
	mutex_init(&vq->mutex);
	init_llist_head(&vq->free);
	init_llist_head(&vq->done);
	init_waitqueue_head(&vq->drained);
}

/* The guest-physical address of a VMM user address range, or -EFAULT. */
static int vl_ua_to_gpa(const struct vl_mem *mem, u64 ua, u64 size, u64 *gpa)
{
	const struct vl_mem_region *r;
	u32 i;

	for (i = 0; i < mem->nregions; i++) {
		r = &mem->regions[i];
		if (ua - r->uaddr < r->size && size <= r->size - (ua - r->uaddr)) {
			*gpa = r->gpa + (ua - r->uaddr);
			return 0;
		}
	}
	return -EFAULT;
}

static bool vl_vq_ready(const struct vl_vq *vq)
{
	return vq->num && vq->addr_set && vq->kick && vq->dev->mem &&
	       vq->dev->endpoint && vq->worker;
}

/**
 * vl_vq_start() - let the worker take requests from a queue
 * @vq: a stopped queue
 *
 * Does nothing for a queue that is not fully set up yet.
 *
 * Context: dev->mutex held.
 * Return: 0, or a negative errno: the rings are not in guest memory
 * (-EFAULT) or misaligned (-EINVAL), or no memory for command slots.
 */
int vl_vq_start(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	u64 desc, avail, used;
	int ret;

	if (vq->running || !vl_vq_ready(vq))
		return 0;
	ret = vl_ua_to_gpa(dev->mem, vq->desc_ua, VL_VRING_DESC_SIZE(vq->num),
			   &desc) ?:
	      vl_ua_to_gpa(dev->mem, vq->avail_ua,
			   VL_VRING_AVAIL_SIZE(vq->num), &avail) ?:
	      vl_ua_to_gpa(dev->mem, vq->used_ua, VL_VRING_USED_SIZE(vq->num),
			   &used);
	if (ret)
		return ret;

	mutex_lock(&vq->mutex);
	ret = vl_vring_init(&vq->ring, vq->num, desc, avail, used,
			    dev->features);
	if (ret)
		goto out;
	vl_vring_set_base(&vq->ring, vq->last_avail, vq->used_idx);
	ret = vl_vring_check_mem(&vq->ring, dev->mem);
	if (ret)
		goto out;
	if (vq->index != VL_VQ_EVT && vq->nr_slots != vq->num) {
		vl_io_free_slots(vq);
		ret = vl_io_alloc_slots(vq);
		if (ret)
			goto out;
	}
	ret = vl_vring_start(&vq->ring, dev->mem);
	if (ret)
		goto out;
	vq->broken = false;
	WRITE_ONCE(vq->running, true);
out:
	mutex_unlock(&vq->mutex);
	/* Buffers the guest queued before the start came with no kick. */
	if (!ret)
		vl_vq_queue_work(vq);
	return ret;
}

/**
 * vl_vq_stop() - stop taking requests from a queue and drain it
 * @vq: the queue
 *
 * Waits (bounded: VL_DRAIN_TIMEOUT) until LIO has given back every command
 * of the queue and the worker has answered them, then records the ring
 * indices for VHOST_GET_VRING_BASE.
 *
 * Context: dev->mutex held.
 */
void vl_vq_stop(struct vl_vq *vq)
{
	u16 last_avail, used;

	mutex_lock(&vq->mutex);
	if (!vq->running) {
		mutex_unlock(&vq->mutex);
		return;
	}
	WRITE_ONCE(vq->running, false);
	mutex_unlock(&vq->mutex);

	if (!wait_event_timeout(vq->drained, !atomic_read(&vq->inflight),
				VL_DRAIN_TIMEOUT))
		pr_err("queue %u: %d commands still in LIO after %ds\n",
		       vq->index, atomic_read(&vq->inflight),
		       VL_DRAIN_TIMEOUT / HZ);

	mutex_lock(&vq->mutex);
	vl_vring_get_base(&vq->ring, &last_avail, &used);
	vq->last_avail = last_avail;
	vq->used_idx = used;
	mutex_unlock(&vq->mutex);
}

/**
 * vl_vq_cleanup() - release what a stopped queue holds
 * @vq: the queue
 *
 * Context: release or VHOST_RESET_OWNER, dev->mutex held.
 */
void vl_vq_cleanup(struct vl_vq *vq)
{
	vl_kick_detach(vq);
	vl_ctx_set(&vq->call, VHOST_FILE_UNBIND);
	vl_ctx_set(&vq->err, VHOST_FILE_UNBIND);
	if (!atomic_read(&vq->inflight))
		vl_io_free_slots(vq);
	else
		pr_err("queue %u: leaking %u slots LIO did not give back\n",
		       vq->index, vq->nr_slots);
	vq->num = 0;
	vq->addr_set = false;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->broken = false;
}

/* ---- the VHOST_*_VRING_* ioctls ---------------------------------------- */

static int vl_vq_set_num(struct vl_vq *vq, void __user *argp)
{
	struct vhost_vring_state s;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (!s.num || s.num > VL_VRING_NUM_MAX || (s.num & (s.num - 1)))
		return -EINVAL;
	vq->num = s.num;
	return 0;
}

static int vl_vq_set_addr(struct vl_vq *vq, void __user *argp)
{
	struct vhost_vring_addr a;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	/* The only flag: log the used ring's writes at log_guest_addr. */
	if (a.flags & ~BIT(VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	if ((a.desc_user_addr & (VL_VRING_DESC_ALIGN - 1)) ||
	    (a.avail_user_addr & (VL_VRING_AVAIL_ALIGN - 1)) ||
	    (a.used_user_addr & (VL_VRING_USED_ALIGN - 1)))
		return -EINVAL;
	vq->desc_ua = a.desc_user_addr;
	vq->avail_ua = a.avail_user_addr;
	vq->used_ua = a.used_user_addr;
	vq->log_used = a.flags & BIT(VHOST_VRING_F_LOG);
	vq->log_gpa = a.log_guest_addr;
	vq->addr_set = true;
	return 0;
}

static int vl_vq_set_base(struct vl_vq *vq, void __user *argp)
{
	struct vhost_vring_state s;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.num > 0xffff)
		return -EINVAL;
	vq->last_avail = s.num;
	vq->used_idx = s.num;
	return 0;
}

static int vl_vq_get_base(struct vl_vq *vq, void __user *argp)
{
	struct vhost_vring_state s = { .index = vq->index };

	s.num = vq->last_avail;
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static int vl_vq_set_file(struct vl_vq *vq, unsigned int cmd,
			  void __user *argp)
{
	struct vhost_vring_file f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	switch (cmd) {
	case VHOST_SET_VRING_KICK:
		vl_kick_detach(vq);
		return f.fd == VHOST_FILE_UNBIND ? 0 : vl_kick_attach(vq, f.fd);
	case VHOST_SET_VRING_CALL:
		return vl_ctx_set(&vq->call, f.fd);
	default:
		return vl_ctx_set(&vq->err, f.fd);
	}
}

/**
 * vl_vq_ioctl() - the per-queue vhost ioctls
 * @dev: the device
 * @cmd: VHOST_SET_VRING_{NUM,ADDR,BASE,KICK,CALL,ERR} or
 *	 VHOST_GET_VRING_BASE
 * @argp: the user argument; its first u32 is the queue index
 *
 * A running queue is stopped (and drained) for the change and started
 * again afterwards; VHOST_GET_VRING_BASE leaves it stopped, as the VMM asks
 * for the base when it stops the device.
 *
 * Context: dev->mutex held.
 * Return: 0, -ENOIOCTLCMD for other commands, or a negative errno.
 */
int vl_vq_ioctl(struct vl_dev *dev, unsigned int cmd, void __user *argp)
{
	struct vl_vq *vq;
	u32 index;
	int ret;

	switch (cmd) {
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_ADDR:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	if (get_user(index, (u32 __user *)argp))
		return -EFAULT;
	if (index >= VL_MAX_VQS)
		return -ENOBUFS;
	vq = &dev->vqs[array_index_nospec(index, VL_MAX_VQS)];

	vl_vq_stop(vq);
	switch (cmd) {
	case VHOST_SET_VRING_NUM:
		ret = vl_vq_set_num(vq, argp);
		break;
	case VHOST_SET_VRING_ADDR:
		ret = vl_vq_set_addr(vq, argp);
		break;
	case VHOST_SET_VRING_BASE:
		ret = vl_vq_set_base(vq, argp);
		break;
	case VHOST_GET_VRING_BASE:
		return vl_vq_get_base(vq, argp);
	default:
		ret = vl_vq_set_file(vq, cmd, argp);
		break;
	}
	if (ret)
		return ret;
	return vl_vq_start(vq);
}
