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

#include <linux/eventfd.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "vl_probed.h"

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
