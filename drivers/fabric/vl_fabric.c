// SPDX-License-Identifier: GPL-2.0
/*
 * vl_fabric.c - the LIO fabric template of vhost_lio: registration, the
 * se_cmd life-cycle callbacks (routed to the device layer), close_session,
 * and the TPG list that VHOST_SCSI_SET_ENDPOINT searches.  The configfs side
 * is in vl_configfs.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "compat/vl_compat.h"
#include "vhost_lio.h"

static DEFINE_MUTEX(vl_tpg_list_mutex);
LIST_HEAD(vl_tpg_list);

/**
 * vl_tpg_list_lock() - lock the global TPG list
 *
 * Context: process; sleeps.  See the lock order in vhost_lio.h.
 */
void vl_tpg_list_lock(void)
{
	mutex_lock(&vl_tpg_list_mutex);
}

/**
 * vl_tpg_list_unlock() - unlock the global TPG list
 */
void vl_tpg_list_unlock(void)
{
	mutex_unlock(&vl_tpg_list_mutex);
}

/**
 * vl_tpg_get() - keep a TPG's memory while no lock protects it
 * @tpg: a TPG found with vl_for_each_tpg()
 *
 * Context: vl_tpg_list_lock() held.
 */
void vl_tpg_get(struct vl_tpg *tpg)
{
	lockdep_assert_held(&vl_tpg_list_mutex);
	kref_get(&tpg->ref);
}

static void vl_tpg_free(struct kref *ref)
{
	struct vl_tpg *tpg = container_of(ref, struct vl_tpg, ref);
	struct vl_lun_depth *d;
	unsigned long lun;

	/* No device has the TPG: nothing counts in these any more. */
	xa_for_each(&tpg->luns, lun, d)
		kfree(d);
	xa_destroy(&tpg->luns);
	mutex_destroy(&tpg->mutex);
	kfree(tpg);
}

/**
 * vl_tpg_put() - drop a reference taken by vl_tpg_get() or at creation
 * @tpg: the TPG; freed with the last reference (its rmdir dropped the
 *	 creation's one after deregistering it from LIO)
 */
void vl_tpg_put(struct vl_tpg *tpg)
{
	kref_put(&tpg->ref, vl_tpg_free);
}

/**
 * vl_tpg_pin() - give a device the use of a TPG (VHOST_SCSI_SET_ENDPOINT)
 * @tpg: a TPG the caller holds a reference to (vl_tpg_get())
 * @dev: the device taking it
 *
 * On success the TPG keeps its nexus and its configfs directory until
 * vl_tpg_unpin(): rmdir of tpgt_N fails with EBUSY and writing "NULL" to
 * its nexus attribute fails with EBUSY.
 *
 * The configfs dependency is taken first, holding none of our locks:
 * configfs_depend_item() takes the configfs root's inode lock, and the
 * configfs callbacks take vl_tpg_list_lock() and @tpg->mutex under
 * directory inode locks (lockdep sees one class for all of them).  A TPG
 * whose directory is being removed meanwhile is refused by configfs.
 *
 * Context: process; no vl_tpg_list_lock(), no TPG mutex held; takes
 * @tpg->mutex; sleeps.
 * Return: 0; -ENOTCONN if the TPG has no nexus or LIO has asked to close
 * it (its node ACL is being deleted), -EBUSY if another device has it,
 * -EEXIST if @dev has it already (the in-tree driver skips TPGs in the
 * first two cases); or the error of target_depend_item(), e.g. -ENOENT
 * while the TPG directory is being removed.
 */
int vl_tpg_pin(struct vl_tpg *tpg, struct vl_dev *dev)
{
	int ret;

	lockdep_assert_not_held(&vl_tpg_list_mutex);
	ret = target_depend_item(&tpg->se_tpg.tpg_group.cg_item);
	if (ret)
		return ret;

	mutex_lock(&tpg->mutex);
	if (!tpg->nexus || vl_tpg_close_pending(tpg))
		ret = -ENOTCONN;
	else if (tpg->dev)
		ret = tpg->dev == dev ? -EEXIST : -EBUSY;
	else
		tpg->dev = dev;
	mutex_unlock(&tpg->mutex);
	if (ret)
		target_undepend_item(&tpg->se_tpg.tpg_group.cg_item);
	return ret;
}

/**
 * vl_tpg_unpin() - end a device's use of a TPG (VHOST_SCSI_CLEAR_ENDPOINT)
 * @tpg: a TPG that @dev pinned with vl_tpg_pin()
 * @dev: the device releasing it
 *
 * The device must have stopped submitting to, and drained, the TPG's
 * session first (by waiting for its own commands: a session stopped with
 * target_stop_session() is one LIO's ACL removal no longer sees).  If LIO
 * asked to close the nexus session while the device had the TPG (the
 * admin deleted its node ACL: that rmdir is waiting), the nexus is dropped
 * here, before the device's use ends.  @tpg may be freed as soon as this
 * returns (its directory can now be removed), so the caller must forget it.
 *
 * Context: process; takes @tpg->mutex; sleeps.  vl_tpg_list_lock() may be
 * held or not.
 */
void vl_tpg_unpin(struct vl_tpg *tpg, struct vl_dev *dev)
{
	mutex_lock(&tpg->mutex);
	if (WARN_ON_ONCE(tpg->dev != dev)) {
		mutex_unlock(&tpg->mutex);
		return;
	}
	tpg->dev = NULL;
	vl_nexus_close_requested(tpg);
	mutex_unlock(&tpg->mutex);
	target_undepend_item(&tpg->se_tpg.tpg_group.cg_item);
}

/* ---- close_session: LIO asks us to end a session ---------------------- */

/**
 * vl_tpg_close_pending() - has LIO asked to close the TPG's nexus session?
 * @tpg: the TPG, @tpg->mutex held
 *
 * Return: true if @tpg has a nexus whose session LIO asked to close and
 * the request has not been carried out yet.
 */
bool vl_tpg_close_pending(struct vl_tpg *tpg)
{
	bool pending;

	lockdep_assert_held(&tpg->mutex);

	spin_lock_irq(&tpg->close_lock);
	pending = tpg->nexus && tpg->close_sess == tpg->nexus->se_sess;
	spin_unlock_irq(&tpg->close_lock);
	return pending;
}

/**
 * vl_tpg_close_work() - carry out a close_session request (work item)
 * @work: vl_tpg.close_work
 *
 * Drops (or reinstates) the nexus unless a device has the TPG; then
 * vl_tpg_unpin() does it once the device has drained.
 *
 * Context: process (system workqueue); takes @tpg->mutex; sleeps.  The rmdir
 * callback of the TPG cancels this work, waiting for it, before freeing the
 * TPG; it cannot be queued again then (no session is left to close).
 */
void vl_tpg_close_work(struct work_struct *work)
{
	struct vl_tpg *tpg = container_of(work, struct vl_tpg, close_work);

	mutex_lock(&tpg->mutex);
	if (!tpg->dev)
		vl_nexus_close_requested(tpg);
	else if (vl_tpg_close_pending(tpg))
		pr_info("%s/tpgt_%u: LIO asked to close the nexus session of %s; a vhost-scsi device uses it: closing when the device releases the TPG\n",
			tpg->tport->name, tpg->tpgt,
			tpg->nexus->se_sess->se_node_acl->initiatorname);
	mutex_unlock(&tpg->mutex);
}

/*
 * LIO's target_shutdown_sessions() calls this for each session of a node
 * ACL that is being deleted (core_tpg_del_initiator_node_acl(), which then
 * waits, unkillable, inside the rmdir and with acls/ locked, until every
 * such session is deregistered) or whose queue depth changed
 * (core_tpg_set_initiator_node_queue_depth(), which does not wait and
 * expects the fabric to reinstate the session; only iSCSI's cmdsn_depth
 * attribute calls it).  Either way LIO has already taken the session off the
 * ACL's session list, so it will never ask again: the request must not be
 * lost.
 *
 * On 6.1 and 6.12 LIO calls this in process context with no lock held, but
 * the session is the nexus and dropping it takes @tpg->mutex, which may be
 * held for long (a device's endpoint setup), and must wait for a device
 * that uses it: record the session and let a work item do it.  Nothing here
 * sleeps, so any context will do.
 *
 * @se_sess is one of our nexus sessions, registered (LIO found it on an ACL
 * list), so se_sess->se_tpg is our TPG.  Only our nexus drop frees a
 * session (LIO core never does), under @tpg->mutex, which the work item
 * takes before comparing @close_sess with the current nexus, and the drop
 * clears @close_sess: so the work never acts on a freed or a later session.
 * (LIO passes @se_sess holding no reference, right after unlinking it from
 * the ACL: a nexus drop racing in between, by a write of NULL, could free
 * it before this runs.  That window is LIO's, the same for every fabric.)
 */
static void vl_close_session(struct se_session *se_sess)
{
	struct vl_tpg *tpg = to_vl_tpg(se_sess->se_tpg);
	unsigned long flags;

	spin_lock_irqsave(&tpg->close_lock, flags);
	tpg->close_sess = se_sess;
	spin_unlock_irqrestore(&tpg->close_lock, flags);
	schedule_work(&tpg->close_work);
}

/* ---- TPG properties LIO asks for -------------------------------------- */

static char *vl_tpg_get_wwn(struct se_portal_group *se_tpg)
{
	return to_vl_tpg(se_tpg)->tport->wwpn;
}

static u16 vl_tpg_get_tag(struct se_portal_group *se_tpg)
{
	return to_vl_tpg(se_tpg)->tpgt;
}

/* Demo mode: any initiator named in a nexus gets a dynamic ACL. */
static int vl_tpg_check_true(struct se_portal_group *se_tpg)
{
	return 1;
}

static int vl_tpg_check_false(struct se_portal_group *se_tpg)
{
	return 0;
}

/*
 * attrib/fabric_prot_type, for a backstore without protection of its own.
 * LIO asks when it registers a session (target_setup_session(), from
 * writing the nexus attribute): a change applies to the next nexus, never
 * to the one open.  LIO also keeps the first non-zero answer in the
 * initiator's node ACL (se_node_acl.saved_prot_type) and uses it for
 * every later session of that ACL without asking again; as demo mode
 * ACLs are cached (vl_tpg_check_true()), lowering or changing a non-zero
 * value needs the ACL gone too (a new initiator name, or an explicit ACL
 * deleted and created again).  The session offers DIN_PASS | DOUT_PASS
 * (vl_configfs.c): protection bytes pass between the guest and LIO.
 */
static int vl_tpg_check_prot_fabric_only(struct se_portal_group *se_tpg)
{
	return READ_ONCE(to_vl_tpg(se_tpg)->fabric_prot_type);
}

static u32 vl_tpg_get_inst_index(struct se_portal_group *se_tpg)
{
	return 1;
}

static u32 vl_sess_get_index(struct se_session *se_sess)
{
	return 0;
}

static void vl_set_default_node_attrs(struct se_node_acl *nacl)
{
}

static int vl_get_cmd_state(struct se_cmd *se_cmd)
{
	return 0;
}

/* ---- se_cmd life cycle ------------------------------------------------ */

/*
 * The device maps the guest's data buffers before it submits, so WRITE data
 * is already in place: execute at once.
 */
static int vl_write_pending(struct se_cmd *se_cmd)
{
	target_execute_cmd(se_cmd);
	return 0;
}

static int vl_queue_data_in(struct se_cmd *se_cmd)
{
	vl_dev_cmd_complete(to_vl_cmd(se_cmd));
	return 0;
}

static int vl_queue_status(struct se_cmd *se_cmd)
{
	vl_dev_cmd_complete(to_vl_cmd(se_cmd));
	return 0;
}

static void vl_queue_tm_rsp(struct se_cmd *se_cmd)
{
	vl_dev_tmr_complete(to_vl_cmd(se_cmd));
}

static void vl_aborted_task(struct se_cmd *se_cmd)
{
	vl_dev_cmd_aborted(to_vl_cmd(se_cmd));
}

/* Drops the reference LIO holds until the fabric has sent the status. */
static int vl_check_stop_free(struct se_cmd *se_cmd)
{
	return target_put_sess_cmd(se_cmd);
}

static void vl_release_cmd(struct se_cmd *se_cmd)
{
	vl_dev_cmd_release(to_vl_cmd(se_cmd));
}

/*
 * Not const: fabric_name is the module parameter, set by vl_fabric_init(),
 * and vl_configfs_fill_ops() adds the configfs callbacks and attributes.
 * LIO keeps a pointer to this until target_unregister_template().
 */
static struct target_core_fabric_ops vl_fabric_ops = {
	.module				= THIS_MODULE,
	.max_data_sg_nents		= VL_MAX_DATA_SG_NENTS,
	.tpg_get_wwn			= vl_tpg_get_wwn,
	.tpg_get_tag			= vl_tpg_get_tag,
	.tpg_check_demo_mode		= vl_tpg_check_true,
	.tpg_check_demo_mode_cache	= vl_tpg_check_true,
	.tpg_check_demo_mode_write_protect = vl_tpg_check_false,
	.tpg_check_prod_mode_write_protect = vl_tpg_check_false,
	.tpg_check_prot_fabric_only	= vl_tpg_check_prot_fabric_only,
	.tpg_get_inst_index		= vl_tpg_get_inst_index,
	.check_stop_free		= vl_check_stop_free,
	.release_cmd			= vl_release_cmd,
	.sess_get_index			= vl_sess_get_index,
	.write_pending			= vl_write_pending,
	.set_default_node_attributes	= vl_set_default_node_attrs,
	.get_cmd_state			= vl_get_cmd_state,
	.queue_data_in			= vl_queue_data_in,
	.queue_status			= vl_queue_status,
	.queue_tm_rsp			= vl_queue_tm_rsp,
	.aborted_task			= vl_aborted_task,
	.close_session			= vl_close_session,
	VL_FABRIC_SUBMIT_OPS
};

/**
 * vl_fabric_init() - register the LIO fabric
 * @fabric_name: the configfs name, /sys/kernel/config/target/<fabric_name>;
 *		 must stay valid until vl_fabric_exit()
 *
 * LIO does not refuse a second fabric of the same name, and unregisters by
 * name: load this module only while no other fabric (the in-tree
 * vhost_scsi) uses @fabric_name.
 *
 * Context: process (module init).
 * The caller has checked the name (vl_main.c: at most VL_FABRIC_NAME_MAX - 1
 * characters, no path).
 *
 * Return: 0, or the error of target_register_template().
 */
int vl_fabric_init(const char *fabric_name)
{
	int ret;

	vl_fabric_ops.fabric_name = fabric_name;
	vl_configfs_fill_ops(&vl_fabric_ops);

	ret = target_register_template(&vl_fabric_ops);
	if (ret)
		pr_err("cannot register LIO fabric \"%s\": %d\n",
		       fabric_name, ret);
	return ret;
}

/**
 * vl_fabric_exit() - unregister the LIO fabric
 *
 * configfs holds a reference on this module while any directory of the
 * fabric exists, so by module exit every WWN and TPG is gone, and with
 * them every close work item (each TPG's rmdir cancels its own).
 *
 * Context: process (module exit).
 */
void vl_fabric_exit(void)
{
	target_unregister_template(&vl_fabric_ops);
	WARN_ON_ONCE(!list_empty(&vl_tpg_list));
}
