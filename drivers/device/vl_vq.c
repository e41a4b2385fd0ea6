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

#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/sched/clock.h>
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
 * per command.  With no worker (the device was closed), LIO's late
 * completions are freed by the queue's reap work instead.
 *
 * Context: any, including the eventfd wakeup (spinlock held) and LIO's
 * completion contexts.  The caller keeps @vq's device alive: it holds a
 * slot (a device reference), the device mutex, or a pinned TPG.
 */
void vl_vq_queue_work(struct vl_vq *vq)
{
	struct vl_worker *w;

	rcu_read_lock();
	w = rcu_dereference(vq->worker);
	/*
	 * A full barrier, as is the worker's test_and_clear_bit(): work
	 * published before it (a done-list push, a ring update) is seen by
	 * the service round that clears the bit.
	 */
	if (w) {
		if (!test_and_set_bit(vq->pending_bit, &w->pending))
			vl_task_wake(&w->task);
	} else if (!llist_empty(&vq->done)) {
		queue_work(vl_wq, &vq->reap_work);
	}
	rcu_read_unlock();
}

/*
 * Busy polling, off unless the module parameter poll_us is set.  After a
 * round that found work, a worker leaves the kicks of its request queues
 * off when their rings run empty, and looks at the rings itself
 * (vl_worker_poll()) for a window before it sleeps: a request the guest
 * adds meanwhile costs neither a kick (a VM exit under KVM) nor a
 * wakeup.  The window adapts between poll_us/64 and poll_us: it doubles
 * when polling finds a request and halves when it ends with none, so a
 * guest that pauses costs less and less.  A window ends early when the
 * CPU is wanted elsewhere (need_resched()) or a signal is pending; its
 * end is a normal round that turns kicks back on and looks at the ring
 * once more (vl_vring_enable_notify()), so nothing is missed.  Each call
 * of the work function polls once and returns: the thread's loop still
 * sees stop requests and signals.  local_clock() may drift between CPUs
 * if the worker migrates: the window is a bound on wasted time, not a
 * promise.
 */
#define VL_POLL_US_MAX	1000
static unsigned int poll_us;

/* poll_us: a number of microseconds up to VL_POLL_US_MAX, else EINVAL. */
static int vl_poll_us_set(const char *val, const struct kernel_param *kp)
{
	unsigned int us;
	int ret = kstrtouint(val, 0, &us);

	if (ret)
		return ret;
	if (us > VL_POLL_US_MAX)
		return -EINVAL;
	WRITE_ONCE(poll_us, us);
	return 0;
}

static const struct kernel_param_ops vl_poll_us_ops = {
	.set	= vl_poll_us_set,
	.get	= param_get_uint,
};
module_param_cb(poll_us, &vl_poll_us_ops, &poll_us, 0644);
MODULE_PARM_DESC(poll_us,
		 "busy-poll request rings up to this many microseconds after work, before sleeping (0: off, the default; at most 1000)");

/* The longest poll window now, in nanoseconds (0: polling is off). */
static u32 vl_poll_max_ns(void)
{
	return READ_ONCE(poll_us) * NSEC_PER_USEC;
}

static void vl_vq_service(struct vl_worker *w, struct vl_vq *vq)
{
	mutex_lock(&vq->mutex);
	vq->polled = false;
	vq->poll = w->poll_end && vq->index >= VL_VQ_IO;
	vl_io_complete_done(vq);
	if (vq->running && !vq->broken)
		vl_io_service(vq);
	mutex_unlock(&vq->mutex);
}

/* A round found work: open (or extend) the poll window. */
static void vl_worker_poll_start(struct vl_worker *w)
{
	u32 max = vl_poll_max_ns();

	if (w->poll_over || !max) {
		/* This round turns kicks back on (vl_vq_take()). */
		w->poll_over = false;
		w->poll_end = 0;
		return;
	}
	w->poll_ns = clamp(w->poll_ns ? w->poll_ns : max, max / 64, max);
	w->poll_end = local_clock() + w->poll_ns;
}

/*
 * Look at a polled ring once.  Return: true if the queue needs a round:
 * chains came, or it stopped or broke meanwhile.
 */
static bool vl_vq_poll(struct vl_vq *vq)
{
	int ret = 1;

	mutex_lock(&vq->mutex);
	if (vq->running && !vq->broken) {
		ret = vl_vring_poll(&vq->ring, vq->dev->mem);
		if (ret < 0)
			vl_vq_fail(vq, ret);
		else if (ret)
			vl_stat_inc(&vq->stats.poll_hits);
	}
	mutex_unlock(&vq->mutex);
	return ret;
}

/*
 * Nothing pending: poll the rings left with kicks off (struct vl_vq
 * @polled), once.  Return: false if there is nothing to poll (the thread
 * sleeps), else true (TASK_RUNNING set).
 */
static bool vl_worker_poll(struct vl_worker *w)
{
	/* Pairs with vl_worker_attach(): the queues counted are written. */
	unsigned int i, nr = smp_load_acquire(&w->nr_vqs);
	u32 max = vl_poll_max_ns();
	bool watched = false, found = false;

	if (!w->poll_end)
		return false;
	for (i = 0; i < nr; i++)
		watched |= w->vqs[i]->polled;
	if (!watched) {
		/* No ring was left to poll (e.g. held with kicks off). */
		w->poll_end = 0;
		return false;
	}
	/* Before vl_vq_poll() takes a mutex. */
	__set_current_state(TASK_RUNNING);
	for (i = 0; i < nr; i++) {
		if (!w->vqs[i]->polled)
			continue;
		if (vl_vq_poll(w->vqs[i])) {
			set_bit(w->vqs[i]->pending_bit, &w->pending);
			found = true;
		}
	}
	if (found) {
		w->poll_ns = min(w->poll_ns * 2, max);
		return true;
	}
	if (local_clock() < w->poll_end && !need_resched() &&
	    !signal_pending(current)) {
		cpu_relax();
		return true;
	}
	/* Over, empty: a last round on each polled queue turns kicks on. */
	w->poll_ns = max(w->poll_ns / 2, max / 64);
	w->poll_end = 0;
	w->poll_over = true;
	for (i = 0; i < nr; i++) {
		struct vl_vq *vq = w->vqs[i];

		if (!vq->polled)
			continue;
		mutex_lock(&vq->mutex);
		vl_stat_inc(&vq->stats.poll_misses);
		mutex_unlock(&vq->mutex);
		set_bit(vq->pending_bit, &w->pending);
	}
	return true;
}

/*
 * One round of the worker: serve each queue that has work.  Called by the
 * worker thread (struct vl_task) with the state TASK_INTERRUPTIBLE.
 * Return: false if there was nothing to do (the thread sleeps).
 */
static bool vl_worker_fn(void *data)
{
	struct vl_worker *w = data;
	unsigned int i, nr;

	if (!READ_ONCE(w->pending))
		return vl_worker_poll(w);
	__set_current_state(TASK_RUNNING);
	vl_worker_poll_start(w);
	/*
	 * A queue added meanwhile (vl_worker_attach()) has its pending bit
	 * set only after it is counted, and a bit left set brings us back.
	 */
	nr = smp_load_acquire(&w->nr_vqs);
	for (i = 0; i < nr; i++) {
		if (test_and_clear_bit(w->vqs[i]->pending_bit, &w->pending))
			vl_vq_service(w, w->vqs[i]);
	}
	cond_resched();
	return true;
}

/*
 * The VMM was killed and its worker threads die with it (vhost_task),
 * before the device is closed.  In the dying worker: let LIO's completions
 * go to the reap work from now on, and free what it already completed.
 * The device's release stops (reaps) the task as usual.
 */
static void vl_worker_killed(void *data)
{
	struct vl_worker *w = data;
	unsigned int i, nr;

	/* No queue is added after this: @nr is all of them. */
	spin_lock(&w->lock);
	w->dead = true;
	nr = w->nr_vqs;
	spin_unlock(&w->lock);
	for (i = 0; i < nr; i++) {
		mutex_lock(&w->vqs[i]->mutex);
		WRITE_ONCE(w->vqs[i]->running, false);
		RCU_INIT_POINTER(w->vqs[i]->worker, NULL);
		mutex_unlock(&w->vqs[i]->mutex);
	}
	synchronize_rcu();
	for (i = 0; i < nr; i++)
		vl_slots_reap(w->vqs[i]);
}

static struct vl_worker *vl_worker_create(struct vl_dev *dev,
					  unsigned int id)
{
	char name[32];	/* the thread's name is cut to TASK_COMM_LEN */
	struct vl_worker *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->dev = dev;
	spin_lock_init(&w->lock);
	snprintf(name, sizeof(name), "vhost-lio-%d.%u",
		 task_pid_nr(dev->owner), id);
	ret = vl_task_create(&w->task, vl_worker_fn, vl_worker_killed, w,
			     dev->mm, name);
	if (ret) {
		kfree(w);
		return ERR_PTR(ret);
	}
	return w;
}

/*
 * Add @vq to the queues @w serves, while its thread may be running.
 * Return: 0, or -ESRCH if the thread died with the VMM.
 */
static int vl_worker_attach(struct vl_worker *w, struct vl_vq *vq)
{
	unsigned int n;

	spin_lock(&w->lock);
	if (w->dead) {
		spin_unlock(&w->lock);
		return -ESRCH;
	}
	n = w->nr_vqs;
	if (WARN_ON_ONCE(n >= ARRAY_SIZE(w->vqs))) {
		spin_unlock(&w->lock);
		return -EINVAL;
	}
	vq->pending_bit = n;
	w->vqs[n] = vq;
	/* Pairs with the thread's smp_load_acquire(): vqs[n] is written. */
	smp_store_release(&w->nr_vqs, n + 1);
	/* Wakers see the queue counted (vl_vq_queue_work() sets its bit). */
	rcu_assign_pointer(vq->worker, w);
	spin_unlock(&w->lock);
	return 0;
}

/*
 * Take back worker 0 whose thread died before both its queues were added
 * (nothing else has seen it): nothing is left started.
 */
static void vl_worker_undo(struct vl_dev *dev, struct vl_worker *w)
{
	RCU_INIT_POINTER(dev->vqs[VL_VQ_CTL].worker, NULL);
	RCU_INIT_POINTER(dev->vqs[VL_VQ_EVT].worker, NULL);
	synchronize_rcu();
	vl_task_stop(&w->task);
	dev->workers[0] = NULL;
	kfree(w);
}

/*
 * The worker of @vq: 0 for the control and event queues; request queues
 * are dealt out over @dev->nr_io_workers.
 */
static unsigned int vl_vq_worker_id(const struct vl_vq *vq)
{
	if (vq->index < VL_VQ_IO)
		return 0;
	return 1 + (vq->index - VL_VQ_IO) % vq->dev->nr_io_workers;
}

/*
 * The worker of a queue, started on first use: one serves the control and
 * event queues, and the request queues the guest actually sets up have
 * one each, up to nr_io_workers; beyond, they share (queue N has worker
 * 1 + N % nr_io_workers).
 * Return: 0 or a negative errno.
 */
static int vl_vq_get_worker(struct vl_vq *vq)
{
	struct vl_dev *dev = vq->dev;
	struct vl_worker *w;
	unsigned int id;
	int ret;

	lockdep_assert_held(&dev->mutex);
	if (rcu_access_pointer(vq->worker))
		return 0;
	if (!dev->owner)
		return -EPERM;
	id = vl_vq_worker_id(vq);
	w = dev->workers[id];
	if (!w) {
		w = vl_worker_create(dev, id);
		if (IS_ERR(w))
			return PTR_ERR(w);
		dev->workers[id] = w;
		if (id == 0) {
			/* Both at once: each only ever has this worker. */
			ret = vl_worker_attach(w, &dev->vqs[VL_VQ_CTL]) ?:
			      vl_worker_attach(w, &dev->vqs[VL_VQ_EVT]);
			if (ret)	/* died with the VMM already */
				vl_worker_undo(dev, w);
			return ret;
		}
	}
	/* A worker that died with the VMM takes no queue: -ESRCH. */
	ret = vl_worker_attach(w, vq);
	if (!ret && id)
		vl_stats_vq_add(vq);
	return ret;
}

/**
 * vl_workers_create() - start the worker of the control and event queues
 * @dev: the device, whose owner and mm are set
 *
 * Request queues get theirs when they start (vl_vq_start()): one each up
 * to the CPUs the owner may use now, shared beyond (vl_vq_get_worker()).
 *
 * Context: VHOST_SET_OWNER, dev->mutex held.
 * Return: 0 or a negative errno (nothing is left started).
 */
int vl_workers_create(struct vl_dev *dev)
{
	/*
	 * The CPUs the owner may run on (its affinity and cpuset), online
	 * now: the workers inherit them (6.12) or its cgroups (6.1).  A
	 * later hotplug or affinity change does not deal queues out again.
	 */
	dev->nr_io_workers = clamp_t(unsigned int,
				     cpumask_weight_and(current->cpus_ptr,
							cpu_online_mask),
				     1, VL_MAX_IO_VQS);
	return vl_vq_get_worker(&dev->vqs[VL_VQ_CTL]);
}

/**
 * vl_workers_destroy() - stop and free the worker threads of a device
 * @dev: the device; every queue is stopped and its kick detached
 *
 * After this, vl_vq_queue_work() sees no worker: a command LIO completes
 * later goes to the queue's reap work.  Completions pushed before may sit
 * on the done lists: the caller reaps or serves them.
 *
 * Context: dev->mutex held.
 */
void vl_workers_destroy(struct vl_dev *dev)
{
	unsigned int i;

	lockdep_assert_held(&dev->mutex);
	for (i = 0; i < VL_MAX_VQS; i++)
		RCU_INIT_POINTER(dev->vqs[i].worker, NULL);
	/* No waker still looks at a worker it found before. */
	synchronize_rcu();
	for (i = 0; i < ARRAY_SIZE(dev->workers); i++) {
		struct vl_worker *w = dev->workers[i];

		if (!w)
			continue;
		vl_task_stop(&w->task);
		kfree(w);
		dev->workers[i] = NULL;
	}
}

/* ---- eventfds ---------------------------------------------------------- */

static int vl_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct vl_vq *vq = container_of(wait, struct vl_vq, kick_wait);

	if (key_to_poll(key) & EPOLLIN) {
		/* Under the eventfd's wait queue lock: one writer at a time. */
		vl_stat_inc(&vq->stats.kicks);
		vl_vq_queue_work(vq);
	}
	return 0;
}

static void vl_kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			       poll_table *pt)
{
	struct vl_vq *vq = container_of(pt, struct vl_vq, kick_pt);

	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

/**
 * vl_vq_detach_kick() - stop listening to the queue's kick eventfd
 * @vq: the queue
 *
 * remove_wait_queue() takes the eventfd's wait queue lock, under which
 * vl_kick_wake() runs: once this returns, no kick wakeup is in progress.
 *
 * Context: dev->mutex held.
 */
void vl_vq_detach_kick(struct vl_vq *vq)
{
	lockdep_assert_held(&vq->dev->mutex);
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
		vl_vq_detach_kick(vq);
		return -EINVAL;
	}
	/* A kick that came before we listened is not lost. */
	if (mask & EPOLLIN)
		vl_vq_queue_work(vq);
	return 0;
}

/*
 * Replace a queue's call or err eventfd context (fd -1, VHOST_FILE_UNBIND,
 * clears it) without stopping the queue: the worker uses them only with
 * vq->mutex held.
 */
static int vl_ctx_set(struct vl_vq *vq, struct eventfd_ctx **slot, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd != VHOST_FILE_UNBIND) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&vq->mutex);
	swap(*slot, ctx);
	mutex_unlock(&vq->mutex);
	if (ctx)
		eventfd_ctx_put(ctx);
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
	lockdep_assert_held(&vq->mutex);
	if (vq->call && vl_vring_need_signal(&vq->ring, vq->dev->mem) > 0) {
		vl_stat_inc(&vq->stats.signals);
		vl_eventfd_signal(vq->call);
	}
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
	lockdep_assert_held(&vq->mutex);
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
	u64 t0 = vl_cost_start();
	bool fresh;

	lockdep_assert_held(&vq->mutex);
	fresh = vq->ring.used_idx != vq->ring.used_published;
	if (fresh && vl_vring_flush_used(&vq->ring, vq->dev->mem))
		return;
	/*
	 * Logged even with no new entry: re-enabling kicks wrote avail_event
	 * (or used->flags) into the ring, and a destination with a stale
	 * copy would wait for kicks the guest does not send.
	 */
	vl_log_used(vq);
	/* Nothing new on the used ring: no interrupt. */
	if (fresh)
		vl_vq_signal(vq);
	vl_cost_add(&vq->stats.signal_ns, t0);
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
	lockdep_assert_held(&vq->mutex);
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
	init_llist_head(&vq->deferred);
	init_waitqueue_head(&vq->drained);
	INIT_WORK(&vq->reap_work, vl_vq_reap_work);
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
	       vq->dev->endpoint;
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

	lockdep_assert_held(&dev->mutex);
	if (vq->running || !vl_vq_ready(vq))
		return 0;
	ret = vl_vq_get_worker(vq);
	if (ret)
		return ret;
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
	/* The used ring's log must be in the bitmap (vhost: vq_log_access_ok). */
	if (vq->log_used && dev->log_base &&
	    vl_log_check_range(dev->log_base, vq->log_gpa,
			       VL_VRING_USED_SIZE(vq->num))) {
		ret = -EFAULT;
		goto out;
	}
	if (vq->index != VL_VQ_EVT && vq->nr_slots != vq->num) {
		/* Ring size changes wait for every command (vl_vq_quiesce()). */
		if (WARN_ON_ONCE(atomic_read(&vq->inflight))) {
			ret = -EBUSY;
			goto out;
		}
		vl_slots_free(vq);
		ret = vl_slots_alloc(vq);
		if (ret)
			goto out;
	}
	ret = vl_vring_start(&vq->ring, dev->mem);
	if (ret)
		goto out;
	vq->broken = false;
	vq->live = true;
	WRITE_ONCE(vq->running, true);
out:
	mutex_unlock(&vq->mutex);
	/* Buffers the guest queued before the start came with no kick. */
	if (!ret)
		vl_vq_queue_work(vq);
	return ret;
}

/* Record the ring's indices for VHOST_GET_VRING_BASE and the next start. */
static void vl_vq_save_base(struct vl_vq *vq)
{
	lockdep_assert_held(&vq->mutex);
	if (vq->live)
		vl_vring_get_base(&vq->ring, &vq->last_avail, &vq->used_idx);
}

/**
 * vl_vq_stop() - stop taking requests from a queue
 * @vq: the queue
 *
 * Once this returns, the worker is outside the queue's ring and takes no
 * new request from it.  Commands in flight still complete, and the worker
 * still answers them (so the guest gets them) while it exists.  Never
 * waits for LIO.
 *
 * Context: dev->mutex held.
 */
void vl_vq_stop(struct vl_vq *vq)
{
	lockdep_assert_held(&vq->dev->mutex);
	mutex_lock(&vq->mutex);
	if (vq->running) {
		WRITE_ONCE(vq->running, false);
		vl_vq_save_base(vq);
	}
	mutex_unlock(&vq->mutex);
}

/**
 * vl_vq_quiesce() - stop a queue and wait until each of its commands was
 * answered and given back by LIO
 * @vq: the queue
 *
 * For the ioctls that change what a command in flight uses (the ring, its
 * size, guest memory, the features) or report the ring's position
 * (VHOST_GET_VRING_BASE: a request taken but not answered would be lost
 * by a migration).  The wait has no time limit, as a disk may take long;
 * it ends early only for a fatal signal, and then nothing was changed.
 *
 * Context: dev->mutex held; sleeps.
 * Return: 0, or -EINTR if the caller was killed while waiting.
 */
int vl_vq_quiesce(struct vl_vq *vq)
{
	vl_vq_stop(vq);
	if (wait_event_killable(vq->drained, !atomic_read(&vq->inflight)))
		return -EINTR;
	/* The answers the worker wrote meanwhile moved the used index. */
	mutex_lock(&vq->mutex);
	vl_vq_save_base(vq);
	mutex_unlock(&vq->mutex);
	return 0;
}

/**
 * vl_vq_reap_work() - free LIO's completions after close (vl_slots_reap())
 * @work: vl_vq.reap_work
 *
 * The device is alive: each command on the done list holds a reference,
 * and the device's free work cancels this work before it frees the queue.
 */
void vl_vq_reap_work(struct work_struct *work)
{
	vl_slots_reap(container_of(work, struct vl_vq, reap_work));
}

/**
 * vl_vq_cleanup() - release what a stopped queue holds
 * @vq: the queue, with no command in flight
 *
 * Context: VHOST_RESET_OWNER or the device's free work.
 */
void vl_vq_cleanup(struct vl_vq *vq)
{
	vl_vq_detach_kick(vq);
	vl_ctx_set(vq, &vq->call, VHOST_FILE_UNBIND);
	vl_ctx_set(vq, &vq->err, VHOST_FILE_UNBIND);
	vl_slots_free(vq);
	vq->live = false;
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
	if (!s.num || s.num > VL_MAX_RING || (s.num & (s.num - 1)))
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

/* KICK, CALL and ERR: swapped without stopping the queue, as in vhost. */
static int vl_vq_set_file(struct vl_vq *vq, unsigned int cmd,
			  void __user *argp)
{
	struct vhost_vring_file f;
	int ret;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	switch (cmd) {
	case VHOST_SET_VRING_KICK:
		vl_vq_detach_kick(vq);
		if (f.fd == VHOST_FILE_UNBIND)
			return 0;
		ret = vl_kick_attach(vq, f.fd);
		/* The kick may be what the queue waited for to start. */
		return ret ?: vl_vq_start(vq);
	case VHOST_SET_VRING_CALL:
		return vl_ctx_set(vq, &vq->call, f.fd);
	default:
		return vl_ctx_set(vq, &vq->err, f.fd);
	}
}

/**
 * vl_vq_ioctl() - the per-queue vhost ioctls
 * @dev: the device
 * @cmd: VHOST_SET_VRING_{NUM,ADDR,BASE,KICK,CALL,ERR} or
 *	 VHOST_GET_VRING_BASE
 * @argp: the user argument; its first u32 is the queue index
 *
 * The eventfds are swapped while the queue runs.  For the others the
 * queue is quiesced (vl_vq_quiesce()) and started again afterwards, also
 * when the change is refused; VHOST_GET_VRING_BASE leaves it stopped, as
 * the VMM asks for the base when it stops the device.
 *
 * Context: dev->mutex held.
 * Return: 0, -ENOIOCTLCMD for other commands, or a negative errno.
 */
int vl_vq_ioctl(struct vl_dev *dev, unsigned int cmd, void __user *argp)
{
	struct vl_vq *vq;
	u32 index;
	int ret, start;

	lockdep_assert_held(&dev->mutex);
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

	switch (cmd) {
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		return vl_vq_set_file(vq, cmd, argp);
	}

	ret = vl_vq_quiesce(vq);
	if (ret)
		return ret;
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
	default:	/* VHOST_GET_VRING_BASE */
		return vl_vq_get_base(vq, argp);
	}
	if (!ret)
		vq->live = false;	/* the ring's setup changed */
	/* A refused change leaves the queue as it was: running again. */
	start = vl_vq_start(vq);
	return ret ?: start;
}
