/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vl_compat.h - the one place where kernel API differences are absorbed.
 *
 * The HAVE_* defines come from compile probes (scripts/probes/) run against
 * the kernel being built for; driver files call the vl_* wrappers below and
 * never test kernel versions themselves.
 */
#ifndef VL_COMPAT_H
#define VL_COMPAT_H

#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vl_probed.h"

#ifdef HAVE_VHOST_TASK_KILL
#include <linux/sched/vhost_task.h>
#endif

/**
 * vl_eventfd_signal() - add one to an eventfd counter and wake its waiters
 * @ctx: the eventfd (a guest's call or err eventfd, usually a KVM irqfd)
 */
static inline void vl_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef HAVE_EVENTFD_SIGNAL_NOCOUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/**
 * vl_target_submit() - hand a prepared se_cmd to LIO for execution
 * @cmd: a command set up by target_init_cmd() and target_submit_prep()
 *
 * The command is queued to LIO's per-CPU submission work (as the in-tree
 * vhost_scsi does), not executed in the caller.  Executing it in our
 * worker costs context switches: a backstore that completes synchronously
 * (rd_mcp, fileio) queues LIO's completion work on this CPU for every
 * command, and the kworker it wakes preempts the worker in the middle of
 * its batch (rd_mcp nullio, 2 queues x 32: 0.47 worker and kworker
 * sched-ins per I/O on 6.12, 1.6 on 6.1, against 0.11 queued; 1.2x-1.6x
 * the CPU per I/O; Documentation/performance.md).  Since Linux 6.9 the
 * fabric default below is what target_submit() follows, and a backstore's
 * attrib/submit_type can still ask for direct execution; before, only
 * target_queue_submission() queues.
 *
 * Return: 0, or a negative errno where the kernel reports one (Linux 6.9+
 * may refuse a submission; older kernels cannot).
 */
static inline int vl_target_submit(struct se_cmd *cmd)
{
#ifdef HAVE_FABRIC_DEFAULT_SUBMIT_TYPE
#ifdef HAVE_TARGET_SUBMIT_INT
	return target_submit(cmd);
#else
	target_submit(cmd);
	return 0;
#endif
#else
	target_queue_submission(cmd);
	return 0;
#endif
}

/**
 * struct vl_task - a device worker thread
 * @vt: the vhost_task (6.11+ kernels with CONFIG_VHOST_TASK)
 * @task: the kthread (other kernels)
 * @mm: the VMM's mm the kthread borrows
 * @fn: the work function
 * @arg: its argument
 *
 * Where the kernel has vhost_task (6.11+ signature), the worker is a
 * thread of the VMM, as vhost's own workers: it runs in the VMM's mm and
 * cgroups, counts against its RLIMIT_NPROC and dies with it (then
 * @killed runs in it).  Elsewhere it is a kthread that borrows the VMM's
 * mm and joins its cgroups; @killed never runs.  Either way the thread
 * calls @fn with the task state TASK_INTERRUPTIBLE; @fn returns false to
 * sleep until vl_task_wake(), true if it did work (it then set
 * TASK_RUNNING itself).
 */
struct vl_task {
#ifdef HAVE_VHOST_TASK_KILL
	struct vhost_task	*vt;
#else
	struct task_struct	*task;
	struct mm_struct	*mm;
#endif
	bool			(*fn)(void *arg);
	void			*arg;
};

#ifndef HAVE_VHOST_TASK_KILL
static inline int vl_task_kthread(void *data)
{
	struct vl_task *t = data;

	kthread_use_mm(t->mm);
	for (;;) {
		/* Set the state before looking, so a wakeup is not lost. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!t->fn(t->arg))
			schedule();
	}
	kthread_unuse_mm(t->mm);
	return 0;
}
#endif

/**
 * vl_task_create() - start a worker thread for the calling VMM
 * @t: the task to fill in
 * @fn: the work function, see struct vl_task
 * @killed: called in the thread when the VMM is killed (vhost_task only)
 * @arg: for @fn and @killed
 * @mm: the VMM's mm; the caller is one of its threads
 * @name: the thread's name
 *
 * Context: process, the VMM's own (an ioctl of the device owner).
 * Return: 0, or a negative errno.
 */
static inline int vl_task_create(struct vl_task *t, bool (*fn)(void *),
				 void (*killed)(void *), void *arg,
				 struct mm_struct *mm, const char *name)
{
	t->fn = fn;
	t->arg = arg;
#ifdef HAVE_VHOST_TASK_KILL
	t->vt = vhost_task_create(fn, killed, arg, name);
	if (IS_ERR(t->vt))
		return PTR_ERR(t->vt);
	vhost_task_start(t->vt);
	return 0;
#else
	int ret;

	t->mm = mm;
	t->task = kthread_create(vl_task_kthread, t, "%s", name);
	if (IS_ERR(t->task))
		return PTR_ERR(t->task);
	get_task_struct(t->task);
	/* The worker's CPU and I/O are accounted to the VMM, as in vhost. */
	ret = cgroup_attach_task_all(current, t->task);
	if (ret) {
		kthread_stop(t->task);
		put_task_struct(t->task);
		return ret;
	}
	wake_up_process(t->task);
	return 0;
#endif
}

/**
 * vl_task_wake() - wake a worker thread
 * @t: the task
 *
 * Context: any.
 */
static inline void vl_task_wake(struct vl_task *t)
{
#ifdef HAVE_VHOST_TASK_KILL
	vhost_task_wake(t->vt);
#else
	wake_up_process(t->task);
#endif
}

/**
 * vl_task_stop() - stop a worker thread and wait for it to exit
 * @t: the task; nobody wakes it any more
 *
 * Also for a thread that was killed with its VMM.
 *
 * Context: process; sleeps.
 */
static inline void vl_task_stop(struct vl_task *t)
{
#ifdef HAVE_VHOST_TASK_KILL
	vhost_task_stop(t->vt);
#else
	kthread_stop(t->task);
	put_task_struct(t->task);
#endif
}

/*
 * VL_FABRIC_SUBMIT_OPS - initialisers for the submission-type fields of
 * struct target_core_fabric_ops: queued submission by default (see
 * vl_target_submit()), direct execution allowed per backstore.
 */
#ifdef HAVE_FABRIC_DIRECT_SUBMIT_SUPP
#define VL_FABRIC_DIRECT_SUBMIT_SUPP	.direct_submit_supp = 1,
#else
#define VL_FABRIC_DIRECT_SUBMIT_SUPP
#endif
#ifdef HAVE_FABRIC_DEFAULT_SUBMIT_TYPE
#define VL_FABRIC_DEFAULT_SUBMIT_TYPE	.default_submit_type = TARGET_QUEUE_SUBMIT,
#else
#define VL_FABRIC_DEFAULT_SUBMIT_TYPE
#endif
#define VL_FABRIC_SUBMIT_OPS \
	VL_FABRIC_DIRECT_SUBMIT_SUPP VL_FABRIC_DEFAULT_SUBMIT_TYPE

#endif /* VL_COMPAT_H */
