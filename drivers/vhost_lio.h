/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost_lio.h - the private header of vhost_lio.ko: what the fabric layer
 * (fabric/), the device layer (device/) and vl_main.c share.
 *
 * Lock order, outermost first.  A lock may be taken while holding any lock
 * above it, never one below it:
 *
 *   device-layer mutex  (per /dev/vhost-scsi open; the device's business)
 *   configfs su_mutex of /sys/kernel/config/target (held by LIO/configfs
 *                       around mkdir, rmdir, symlink and unlink callbacks)
 *   vl_tpg_list_lock()  the global TPG and target port lists
 *   vl_tpg.mutex        one TPG's nexus, owner and port count
 *   LIO core's own locks (se_portal_group.acl_node_mutex, session and ACL
 *                       spinlocks), taken inside vl_tpg.mutex by
 *                       target_setup_session()/target_remove_session()
 *   device-layer queue and event locks
 *   vl_worker.lock      a spinlock: a queue added to a worker (under the
 *                       device-layer mutex) against the worker's death
 *                       (vl_worker_killed(), alone); nothing inside it
 *   vl_tpg.close_lock   a spinlock, innermost: the close LIO asked for
 *
 * vl_tpg_pin() takes the configfs dependency on a TPG (target_depend_item(),
 * which locks the configfs root inode) holding only the device-layer mutex:
 * the configfs callbacks take vl_tpg_list_lock() and vl_tpg.mutex under
 * directory inode locks, all one lock class to lockdep.
 *
 * configfs attribute reads and writes (nexus, attrib/fabric_prot_type,
 * attrib/lun_queue_depth) take only vl_tpg.mutex; lun_stats takes none
 * (RCU).  LIO's close_session callback takes only vl_tpg.close_lock; its
 * work item takes vl_tpg.mutex.
 */
#ifndef VHOST_LIO_H
#define VHOST_LIO_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

/* Reported by the fabric's "version" attribute; dkms.conf reads it too. */
#define VL_VERSION		"0.1"

/*
 * Longest WWN or initiator name, terminating NUL included.  LIO stores
 * initiator names in se_node_acl.initiatorname[TRANSPORT_IQN_LEN] and the
 * VHOST_SCSI_SET_ENDPOINT ABI carries vhost_wwpn[224], so a longer name could
 * only be truncated silently or never matched: we refuse it.
 */
#define VL_NAMELEN		TRANSPORT_IQN_LEN

/*
 * LIO's TARGET_FABRIC_NAME_SIZE (private to target core): fabric names must
 * be shorter, or target_register_template() refuses them.
 */
#define VL_FABRIC_NAME_MAX	32

/* TPG tags are the virtio-scsi target byte: tpgt_0 .. tpgt_255. */
#define VL_MAX_TARGET		256

/*
 * Largest data scatterlist LIO will build for one command, in PAGE_SIZE
 * entries (target_core_fabric_ops.max_data_sg_nents; LIO clamps the transfer
 * length and reports it as the Block Limits VPD maximum transfer length).
 * The device layer sizes its per-command page/sg arrays to this.
 */
#define VL_MAX_DATA_SG_NENTS	2048

/*
 * One open /dev/vhost-scsi: a virtio-scsi device of a guest.  Defined by
 * the device layer (device/vl_device.h); its mutex is the "device-layer
 * mutex" of the lock order above.
 */
struct vl_dev;

/* LUNs a TPG exports to a guest: virtio-scsi addresses LUN 0 to 16383. */
#define VL_MAX_LUN		16384

/**
 * struct vl_lun_depth - the in-flight limit and counters of one LUN of a TPG
 * @inflight:	the device's commands on this LUN that the guest has not
 *		seen answered and LIO has not released (see vl_io.c)
 * @limit:	attrib/lun_queue_depth for this LUN; 0: the backstore's
 *		attrib/queue_depth.  Written by the attribute, read per I/O
 *		with READ_ONCE().
 * @task_set_full: TASK SET FULL answers for this LUN: ours beyond the limit,
 *		and the backstore's TASK SET FULL or BUSY
 *
 * Lifetime: made by the LUN's link callback or by the attribute, in the
 * TPG's @luns xarray, and freed only with the TPG; a device has its TPGs
 * pinned while any command of it counts here, so the per-I/O path may
 * keep a pointer without a reference.  At most VL_MAX_LUN per TPG, made
 * only by the administrator.
 */
struct vl_lun_depth {
	atomic_t	inflight;
	u32		limit;
	atomic_long_t	task_set_full;
};

/**
 * struct vl_tport - a target port: /sys/kernel/config/target/<fabric>/<wwn>
 * @proto_id:	SCSI_PROTOCOL_SAS ("naa."), SCSI_PROTOCOL_FCP ("fc.") or
 *		SCSI_PROTOCOL_ISCSI ("iqn."), from the directory name.
 * @wwpn:	the port name LIO reports (tpg_get_wwn) and that
 *		VHOST_SCSI_SET_ENDPOINT matches: points into @name, past the
 *		"fc." prefix for FCP as the in-tree vhost_scsi does, else at
 *		@name itself.
 * @name:	the configfs directory name, NUL-terminated.
 * @node:	entry in the list of target ports (vl_configfs.c), under
 *		vl_tpg_list_lock(): no two have the same @wwpn.
 * @wwn:	LIO's WWN; container_of() leads back here.
 *
 * Every field but @node is set by the mkdir callback and immutable
 * afterwards.  The
 * tport outlives its TPGs (configfs removes children first) and is freed by
 * the rmdir callback.
 */
struct vl_tport {
	u8		proto_id;
	char		*wwpn;
	char		name[VL_NAMELEN];
	struct list_head node;
	struct se_wwn	wwn;
};

/**
 * struct vl_nexus - the I_T nexus of a TPG, made by writing the nexus
 * attribute
 * @se_sess:	the LIO session of the emulated initiator port.  Set once,
 *		before the nexus is published in vl_tpg.nexus, and valid until
 *		the nexus is dropped, which cannot happen while a device has
 *		the TPG pinned.  Only the fabric layer frees it (LIO core never
 *		frees a fabric's session; it asks, through close_session).
 */
struct vl_nexus {
	struct se_session *se_sess;
};

/**
 * struct vl_tpg - a target portal group: <wwn>/tpgt_N
 * @mutex:	protects @nexus, @dev and @port_count.
 * @tport:	the parent target port.  Immutable.
 * @tpgt:	the tag N, 0..VL_MAX_TARGET-1: the virtio-scsi target number.
 *		Immutable.
 * @nexus:	the I_T nexus, or NULL.  Written by the fabric layer (nexus
 *		attribute, TPG removal) under @mutex.  Readers hold @mutex,
 *		or own the TPG through vl_tpg_pin(), which freezes it.
 * @dev:	the device that pinned the TPG with vl_tpg_pin(), or NULL.
 *		Written only by vl_tpg_pin()/vl_tpg_unpin(), under @mutex.
 *		One device at a time, as with the in-tree vhost_scsi.
 * @port_count:	number of LUNs of this TPG linked to a backstore.
 *		Written by the LUN link/unlink callbacks under @mutex.
 * @fabric_prot_type: attrib/fabric_prot_type: 0, 1 or 3.  Written by the
 *		attribute under no lock; read with READ_ONCE() when LIO
 *		registers a session (the next nexus; see
 *		vl_tpg_check_prot_fabric_only()).
 * @close_lock:	protects @close_sess.
 * @close_sess:	the session LIO asked us to end (close_session: its node ACL
 *		is being deleted, or LIO wants it reinstated), until
 *		@close_work or vl_tpg_unpin() carries that out; else NULL.
 *		Only compared with @nexus->se_sess, never dereferenced on its
 *		own; cleared whenever we remove that session, so it never
 *		outlives the session it names.
 * @close_work:	carries out @close_sess under @mutex, in process context;
 *		leaves it to vl_tpg_unpin() while a device has the TPG.
 *		Cancelled by the rmdir callback before the TPG is freed.
 * @node:	entry in the global TPG list; protected by vl_tpg_list_lock().
 * @luns:	struct vl_lun_depth by LUN (se_lun.unpacked_lun).  Stored
 *		under @mutex, looked up under RCU (xa_load()), never erased
 *		before the TPG is freed.
 * @ref:	the rmdir callback's reference, and vl_tpg_get()'s.
 * @se_tpg:	LIO's portal group; container_of() leads back here.
 *
 * Lifetime: allocated by the tpgt_N mkdir callback; its rmdir callback
 * takes it off the global list, drops its nexus, cancels @close_work,
 * deregisters it from LIO and drops its reference; the memory goes with
 * the last reference (VHOST_SCSI_SET_ENDPOINT holds one while it pins
 * TPGs without the list lock).  A pinned TPG cannot be removed: vl_tpg_pin() takes
 * a configfs dependency on it, so rmdir fails with EBUSY until
 * vl_tpg_unpin().
 */
struct vl_tpg {
	struct mutex		mutex;
	struct vl_tport		*tport;
	u16			tpgt;
	struct vl_nexus		*nexus;
	struct vl_dev		*dev;
	unsigned int		port_count;
	int			fabric_prot_type;
	spinlock_t		close_lock;
	struct se_session	*close_sess;
	struct work_struct	close_work;
	struct list_head	node;
	struct xarray		luns;
	struct kref		ref;
	struct se_portal_group	se_tpg;
};

/**
 * struct vl_cmd - what the fabric layer needs of a SCSI command or TMF
 * @se_cmd:	LIO's command descriptor; container_of() leads back here.
 * @sense_buf:	sense data LIO fills in for CHECK CONDITION; pass it to
 *		target_init_cmd()/target_submit_tmr().
 *
 * The device layer embeds this in its own preallocated per-queue command
 * slot (sessions are set up with no LIO tag pool) and owns its lifetime:
 * the slot may be reused once vl_dev_cmd_release() has been called for it.
 */
struct vl_cmd {
	struct se_cmd	se_cmd;
	unsigned char	sense_buf[TRANSPORT_SENSE_BUFFER];
};

/**
 * to_vl_tpg() - the vl_tpg around an se_portal_group of our fabric
 * @se_tpg: a portal group created by this module
 *
 * Return: the enclosing struct vl_tpg.
 */
static inline struct vl_tpg *to_vl_tpg(struct se_portal_group *se_tpg)
{
	return container_of(se_tpg, struct vl_tpg, se_tpg);
}

/**
 * to_vl_cmd() - the vl_cmd around an se_cmd of our fabric
 * @se_cmd: a command submitted by this module
 *
 * Return: the enclosing struct vl_cmd.
 */
static inline struct vl_cmd *to_vl_cmd(struct se_cmd *se_cmd)
{
	return container_of(se_cmd, struct vl_cmd, se_cmd);
}

/**
 * vl_tpg_lun_depth() - the in-flight limit and counters of a TPG's LUN
 * @tpg: a TPG the caller keeps alive (pinned, or a configfs callback's)
 * @lun: se_lun.unpacked_lun
 *
 * Context: any; the entry stays valid as long as the TPG.
 * Return: the LUN's struct vl_lun_depth, or NULL for a LUN never linked
 * (nor given a limit) in this TPG.
 */
static inline struct vl_lun_depth *vl_tpg_lun_depth(struct vl_tpg *tpg,
						    u64 lun)
{
	return lun < VL_MAX_LUN ? xa_load(&tpg->luns, lun) : NULL;
}

/* ---- fabric/vl_fabric.c: module life ---------------------------------- */

int vl_fabric_init(const char *fabric_name);
void vl_fabric_exit(void);

/* ---- fabric/vl_fabric.c: TPG lookup for VHOST_SCSI_SET_ENDPOINT -------- */

/*
 * The list of every TPG of this module, in creation order.  Walk it only
 * with vl_for_each_tpg() between vl_tpg_list_lock() and vl_tpg_list_unlock().
 */
extern struct list_head vl_tpg_list;

/**
 * vl_for_each_tpg() - iterate over every TPG
 * @tpg: a struct vl_tpg * cursor
 *
 * The caller holds vl_tpg_list_lock().  A TPG seen here stays allocated
 * until the lock is dropped; to keep it longer, vl_tpg_get() it.
 */
#define vl_for_each_tpg(tpg) list_for_each_entry(tpg, &vl_tpg_list, node)

void vl_tpg_list_lock(void);
void vl_tpg_list_unlock(void);

/**
 * vl_tpg_matches() - does a TPG belong to the target port a guest names?
 * @tpg: a TPG found with vl_for_each_tpg() or pinned
 * @wwpn: vhost_scsi_target.vhost_wwpn, NUL-terminated by the caller
 *
 * Return: true if @wwpn is the TPG's target port name (vl_tport.wwpn).
 */
static inline bool vl_tpg_matches(const struct vl_tpg *tpg, const char *wwpn)
{
	return !strcmp(tpg->tport->wwpn, wwpn);
}

void vl_tpg_get(struct vl_tpg *tpg);
void vl_tpg_put(struct vl_tpg *tpg);
int vl_tpg_pin(struct vl_tpg *tpg, struct vl_dev *dev);
void vl_tpg_unpin(struct vl_tpg *tpg, struct vl_dev *dev);

/* ---- fabric/vl_fabric.c: sessions LIO asks us to close ----------------- */

void vl_tpg_close_work(struct work_struct *work);
bool vl_tpg_close_pending(struct vl_tpg *tpg);

/* ---- fabric/vl_configfs.c ---------------------------------------------- */

void vl_configfs_fill_ops(struct target_core_fabric_ops *ops);
void vl_nexus_close_requested(struct vl_tpg *tpg);

/* ---- device/vl_dev.c: the misc device ---------------------------------- */

int vl_dev_init(const char *name);
void vl_dev_exit(void);

/* ---- hooks the device layer implements, called by the fabric layer ----- */

/*
 * The command hooks run in process context: an LIO completion work item, or
 * the very thread that called target_submit()/target_submit_tmr() when LIO
 * fails or completes a command synchronously.  So they must not take a lock
 * the submitter may hold around those calls; queueing the command to the
 * device's worker (llist_add + wake) is the expected shape.
 */

/**
 * vl_dev_cmd_complete() - LIO has a SCSI command's status (and read data)
 * @cmd: the command; se_cmd.scsi_status, residual and sense are final
 *
 * Called once per command: from queue_data_in for a successful READ (the
 * status goes with the data), from queue_status for anything else, failures
 * and TASK ABORTED included.  Only a bidirectional command would get both
 * calls; the device refuses those at submission.  The device writes the
 * virtio-scsi response, then drops its reference with
 * transport_generic_free_cmd(&cmd->se_cmd, 0).
 */
void vl_dev_cmd_complete(struct vl_cmd *cmd);

/**
 * vl_dev_cmd_aborted() - a command was aborted and will get no status
 * @cmd: the command
 *
 * Called from aborted_task, when a TMF or session shutdown aborted @cmd
 * without TAS.  LIO drops its own and the TARGET_SCF_ACK_KREF references
 * itself right after this returns, so the device must not free the command;
 * it should give the guest's descriptor back (VIRTIO_SCSI_S_ABORTED) and
 * then wait for vl_dev_cmd_release().
 */
void vl_dev_cmd_aborted(struct vl_cmd *cmd);

/**
 * vl_dev_tmr_complete() - LIO finished a task management function
 * @cmd: the TMF, as submitted with target_submit_tmr();
 *	 se_cmd.se_tmr_req->response holds the TMR_* result
 *
 * Called from queue_tm_rsp.  The device writes the virtio-scsi TMF
 * response, then transport_generic_free_cmd(&cmd->se_cmd, 0).
 */
void vl_dev_tmr_complete(struct vl_cmd *cmd);

/**
 * vl_dev_cmd_release() - LIO dropped its last reference to a command or TMF
 * @cmd: the command; SCF_SCSI_TMR_CDB in se_cmd.se_cmd_flags marks a TMF
 *
 * Called from release_cmd.  The device unpins the guest pages and returns
 * the slot to its free list; nothing may touch @cmd->se_cmd afterwards.
 */
void vl_dev_cmd_release(struct vl_cmd *cmd);

/**
 * vl_dev_lun_changed() - a LUN of a pinned TPG was linked or unlinked
 * @tpg: the TPG; @tpg->dev is the device that pinned it (never NULL here)
 * @lun: the LUN; lun->unpacked_lun is its number
 * @added: true after the LUN was linked to a backstore, false before it is
 *	   unlinked
 *
 * Called with @tpg->mutex and the configfs subsystem mutex held, so it must
 * not take the device's top-level mutex nor vl_tpg_list_lock(), nor wait on
 * anything that does: queue a VIRTIO_SCSI_T_TRANSPORT_RESET event (RESCAN
 * or REMOVED) to the event virtqueue if the guest negotiated
 * VIRTIO_SCSI_F_HOTPLUG, and return.
 */
void vl_dev_lun_changed(struct vl_tpg *tpg, struct se_lun *lun, bool added);

#endif /* VHOST_LIO_H */
