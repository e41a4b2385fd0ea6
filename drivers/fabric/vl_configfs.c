// SPDX-License-Identifier: GPL-2.0
/*
 * vl_configfs.c - the configfs face of the vhost_lio fabric, laid out as the
 * in-tree vhost_scsi lays it out so that rtslib/targetcli and hand-written
 * scripts work unchanged:
 *
 *   /sys/kernel/config/target/<fabric>/version          (read-only)
 *   /sys/kernel/config/target/<fabric>/<wwn>/           naa.*, fc.*, iqn.*
 *   .../<wwn>/tpgt_<N>/nexus                            N < 256
 *   .../<wwn>/tpgt_<N>/attrib/fabric_prot_type
 *
 * LUNs, node ACLs and everything else under tpgt_<N> come from LIO core.
 * Documentation/admin-guide.md lists every behaviour and errno.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>
#include <scsi/scsi_proto.h>

#include "compat/vl_compat.h"
#include "vhost_lio.h"

/* Bad values are quoted in logs up to this many characters. */
#define VL_LOG_NAME	64

#define vl_tpg_err(tpg, fmt, ...)					\
	pr_err_ratelimited("%s/tpgt_%u: " fmt, (tpg)->tport->name,	\
			   (tpg)->tpgt, ##__VA_ARGS__)

/**
 * struct vl_wwn_prefix - a kind of port name the fabric accepts
 * @prefix:	what the name starts with
 * @proto_id:	the SCSI protocol it emulates
 * @proto:	that protocol's name, for logs
 * @strip:	whether LIO sees the name without @prefix (as in-tree, "fc.")
 */
struct vl_wwn_prefix {
	const char	*prefix;
	u8		proto_id;
	const char	*proto;
	bool		strip;
};

static const struct vl_wwn_prefix vl_wwn_prefixes[] = {
	{ "naa.", SCSI_PROTOCOL_SAS,	"SAS",		false },
	{ "fc.",  SCSI_PROTOCOL_FCP,	"FCP",		true },
	{ "iqn.", SCSI_PROTOCOL_ISCSI,	"iSCSI",	false },
};

/* The prefix @name starts with, if something follows it; else NULL. */
static const struct vl_wwn_prefix *vl_wwn_prefix(const char *name)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(vl_wwn_prefixes); i++) {
		n = str_has_prefix(name, vl_wwn_prefixes[i].prefix);
		if (n && name[n])
			return &vl_wwn_prefixes[i];
	}
	return NULL;
}

static const char *vl_proto_name(u8 proto_id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vl_wwn_prefixes); i++)
		if (vl_wwn_prefixes[i].proto_id == proto_id)
			return vl_wwn_prefixes[i].proto;
	return "unknown";
}

/* How much of a name LIO and the guest do not see: a stripped prefix. */
static size_t vl_wwn_skip(const struct vl_wwn_prefix *p)
{
	return p->strip ? strlen(p->prefix) : 0;
}

/* ---- <wwn>: target ports ----------------------------------------------- */

/*
 * Every target port, to refuse a second one with the same WWPN: naa.X and
 * fc.naa.X (FCP names drop their "fc." for the guest) would both match a
 * VHOST_SCSI_SET_ENDPOINT for naa.X, and their TPGs share target numbers.
 * Protected by vl_tpg_list_lock().
 */
static LIST_HEAD(vl_tport_list);

/* Is @wwpn taken?  Called with vl_tpg_list_lock() held. */
static bool vl_wwpn_taken(const char *wwpn)
{
	struct vl_tport *t;

	list_for_each_entry(t, &vl_tport_list, node)
		if (!strcmp(t->wwpn, wwpn))
			return true;
	return false;
}

static struct se_wwn *vl_make_tport(struct target_fabric_configfs *tf,
				    struct config_group *group,
				    const char *name)
{
	const struct vl_wwn_prefix *p = vl_wwn_prefix(name);
	struct vl_tport *tport;

	if (!p) {
		pr_err_ratelimited("target port \"%.*s\": the name must be naa.*, fc.* or iqn.*\n",
				   VL_LOG_NAME, name);
		return ERR_PTR(-EINVAL);
	}
	if (strlen(name) >= VL_NAMELEN) {
		pr_err_ratelimited("target port \"%.*s...\": longer than %d characters\n",
				   VL_LOG_NAME, name, VL_NAMELEN - 1);
		return ERR_PTR(-EINVAL);
	}

	tport = kzalloc(sizeof(*tport), GFP_KERNEL);
	if (!tport)
		return ERR_PTR(-ENOMEM);
	tport->proto_id = p->proto_id;
	strscpy(tport->name, name, sizeof(tport->name));
	tport->wwpn = tport->name + vl_wwn_skip(p);

	vl_tpg_list_lock();
	if (vl_wwpn_taken(tport->wwpn)) {
		vl_tpg_list_unlock();
		pr_err_ratelimited("target port \"%.*s\": WWPN %.*s is taken by another target port\n",
				   VL_LOG_NAME, name, VL_LOG_NAME, tport->wwpn);
		kfree(tport);
		/* LIO passes any error to mkdir as EINVAL: the log says why. */
		return ERR_PTR(-EEXIST);
	}
	list_add_tail(&tport->node, &vl_tport_list);
	vl_tpg_list_unlock();

	pr_debug("target port %s (%s) created\n", tport->name, p->proto);
	return &tport->wwn;
}

static void vl_drop_tport(struct se_wwn *wwn)
{
	struct vl_tport *tport = container_of(wwn, struct vl_tport, wwn);

	pr_debug("target port %s removed\n", tport->name);
	vl_tpg_list_lock();
	list_del(&tport->node);
	vl_tpg_list_unlock();
	kfree(tport);
}

/* ---- nexus: the I_T nexus of a TPG ------------------------------------- */

static int vl_nexus_sess_cb(struct se_portal_group *se_tpg,
			    struct se_session *se_sess, void *priv)
{
	struct vl_nexus *nexus = priv;

	nexus->se_sess = se_sess;
	return 0;
}

/*
 * Whether the node ACL of @se_sess is being deleted: its rmdir took it off
 * the TPG's ACL list (before asking its sessions to close).
 */
static bool vl_sess_acl_deleted(struct vl_tpg *tpg,
				struct se_session *se_sess)
{
	struct se_portal_group *se_tpg = &tpg->se_tpg;
	bool deleted;

	mutex_lock(&se_tpg->acl_node_mutex);
	deleted = list_empty(&se_sess->se_node_acl->acl_list);
	mutex_unlock(&se_tpg->acl_node_mutex);
	return deleted;
}

/*
 * End a session of @tpg.  Any close LIO asked for it is moot then: forget
 * it, after the session has left LIO's lists, so that no request can come
 * later and leave a stale pointer that a new session could reuse.
 */
static void vl_sess_remove(struct vl_tpg *tpg, struct se_session *se_sess)
{
	target_remove_session(se_sess);
	spin_lock_irq(&tpg->close_lock);
	if (tpg->close_sess == se_sess)
		tpg->close_sess = NULL;
	spin_unlock_irq(&tpg->close_lock);
}

/* Tries of __vl_nexus_make() while the initiator's ACL is being deleted. */
#define VL_NEXUS_TRIES	3

/*
 * Open the session of @initiator.  In demo mode LIO makes a dynamic node
 * ACL for it, unless the admin created an explicit one, which LIO then uses.
 * @tpg->mutex held, no nexus.
 *
 * LIO finds that ACL by name; one whose rmdir has just begun may still be
 * found, and if LIO already asked that ACL's sessions to close, it never
 * asks ours: the rmdir would wait for it forever.  An ACL still listed
 * after our session registered will ask (LIO unlists it first), so check
 * that, and otherwise close and open again: the ACL is gone from the list
 * then, and LIO picks whatever that name now has, or a demo mode ACL.
 */
static int __vl_nexus_make(struct vl_tpg *tpg, const char *initiator)
{
	struct se_session *se_sess;
	struct vl_nexus *nexus;
	int ret, tries;

	lockdep_assert_held(&tpg->mutex);

	nexus = kzalloc(sizeof(*nexus), GFP_KERNEL);
	if (!nexus)
		return -ENOMEM;
	for (tries = 0; tries < VL_NEXUS_TRIES; tries++) {
		/* No LIO tag pool: the device preallocates its command slots. */
		se_sess = target_setup_session(&tpg->se_tpg, 0, 0,
					       TARGET_PROT_DIN_PASS |
					       TARGET_PROT_DOUT_PASS,
					       initiator, nexus,
					       vl_nexus_sess_cb);
		if (IS_ERR(se_sess)) {
			ret = PTR_ERR(se_sess);
			vl_tpg_err(tpg, "cannot open a session for initiator %s: %d\n",
				   initiator, ret);
			kfree(nexus);
			return ret;
		}
		if (!vl_sess_acl_deleted(tpg, se_sess)) {
			tpg->nexus = nexus;
			pr_debug("%s/tpgt_%u: nexus to initiator %s\n",
				 tpg->tport->name, tpg->tpgt, initiator);
			return 0;
		}
		vl_sess_remove(tpg, se_sess);
	}
	vl_tpg_err(tpg, "cannot open a session for initiator %s: its node ACL keeps being deleted\n",
		   initiator);
	kfree(nexus);
	return -EAGAIN;
}

static int vl_nexus_make(struct vl_tpg *tpg, const char *initiator)
{
	int ret;

	mutex_lock(&tpg->mutex);
	if (tpg->nexus) {
		vl_tpg_err(tpg, "nexus exists already: write NULL to drop it first\n");
		ret = -EEXIST;
	} else {
		ret = __vl_nexus_make(tpg, initiator);
	}
	mutex_unlock(&tpg->mutex);
	return ret;
}

/*
 * Close the session.  @tpg->mutex held; no device.  LUNs may be linked
 * when LIO asked for the close (vl_nexus_close_requested()).
 */
static void vl_nexus_free(struct vl_tpg *tpg)
{
	struct vl_nexus *nexus = tpg->nexus;

	lockdep_assert_held(&tpg->mutex);
	tpg->nexus = NULL;
	vl_sess_remove(tpg, nexus->se_sess);
	kfree(nexus);
}

/**
 * vl_nexus_close_requested() - carry out a close LIO asked for, if any
 * @tpg: the TPG; @tpg->mutex held and no device has it
 *
 * LIO's close_session (vl_fabric.c) recorded the session in
 * @tpg->close_sess.  If that is still the nexus session:
 *
 * - its node ACL is being deleted (LIO took it off the TPG's ACL list first,
 *   and its rmdir now waits for the session to end): drop the nexus, even
 *   with LUNs linked.  That is the admin's explicit request, as when an
 *   iSCSI target drops the connection of an initiator whose ACL is removed;
 *   refusing would leave the rmdir blocked forever.
 * - otherwise LIO wants the session reinstated (a queue depth change: it
 *   expects the initiator to log in again, and it will not ask again for
 *   this session): end it and open a new one for the same initiator, so that
 *   the nexus stays as the admin configured it and the new session is on
 *   the ACL's list again.
 *
 * Context: process; sleeps.
 */
void vl_nexus_close_requested(struct vl_tpg *tpg)
{
	struct se_session *se_sess;
	char initiator[VL_NAMELEN];
	bool acl_deleted;
	int ret;

	lockdep_assert_held(&tpg->mutex);
	if (WARN_ON_ONCE(tpg->dev) || !vl_tpg_close_pending(tpg))
		return;

	se_sess = tpg->nexus->se_sess;
	acl_deleted = vl_sess_acl_deleted(tpg, se_sess);
	strscpy(initiator, se_sess->se_node_acl->initiatorname,
		sizeof(initiator));

	vl_nexus_free(tpg);
	if (acl_deleted) {
		pr_info("%s/tpgt_%u: node ACL %s deleted while the nexus used it: nexus dropped (%u LUN(s) linked)\n",
			tpg->tport->name, tpg->tpgt, initiator,
			tpg->port_count);
		return;
	}
	ret = __vl_nexus_make(tpg, initiator);
	if (ret)
		pr_err("%s/tpgt_%u: LIO asked to reinstate the session of %s: nexus dropped, a new session failed: %d\n",
		       tpg->tport->name, tpg->tpgt, initiator, ret);
	else
		pr_info("%s/tpgt_%u: LIO asked to reinstate the session of %s (node ACL changed): nexus re-created\n",
			tpg->tport->name, tpg->tpgt, initiator);
}

static int vl_nexus_drop(struct vl_tpg *tpg)
{
	int ret = 0;

	mutex_lock(&tpg->mutex);
	if (!tpg->nexus) {
		vl_tpg_err(tpg, "no nexus to drop\n");
		ret = -ENODEV;
	} else if (tpg->port_count) {
		vl_tpg_err(tpg, "cannot drop the nexus: %u LUN(s) linked\n",
			   tpg->port_count);
		ret = -EBUSY;
	} else if (tpg->dev) {
		vl_tpg_err(tpg, "cannot drop the nexus: in use by a vhost-scsi device\n");
		ret = -EBUSY;
	} else {
		vl_nexus_free(tpg);
	}
	mutex_unlock(&tpg->mutex);
	return ret;
}

/* Copy a configfs write into @buf, without one trailing newline. */
static int vl_copy_name(char *buf, size_t size, const char *page,
			size_t count)
{
	size_t len = strnlen(page, count);

	if (len && page[len - 1] == '\n')
		len--;
	if (!len || len >= size)
		return -EINVAL;
	memcpy(buf, page, len);
	buf[len] = '\0';
	return 0;
}

static int vl_nexus_store_name(struct vl_tpg *tpg, const char *page,
			       size_t count)
{
	const struct vl_wwn_prefix *p;
	char name[VL_NAMELEN];

	if (vl_copy_name(name, sizeof(name), page, count)) {
		vl_tpg_err(tpg, "nexus: the initiator name must be 1 to %d characters\n",
			   VL_NAMELEN - 1);
		return -EINVAL;
	}
	p = vl_wwn_prefix(name);
	if (!p) {
		vl_tpg_err(tpg, "nexus: initiator \"%.*s\" must be naa.*, fc.* or iqn.*, or NULL\n",
			   VL_LOG_NAME, name);
		return -EINVAL;
	}
	if (p->proto_id != tpg->tport->proto_id) {
		vl_tpg_err(tpg, "nexus: initiator %s is %s, the target port is %s\n",
			   name, p->proto, vl_proto_name(tpg->tport->proto_id));
		return -EINVAL;
	}
	return vl_nexus_make(tpg, name + vl_wwn_skip(p));
}

static ssize_t vl_tpg_nexus_show(struct config_item *item, char *page)
{
	struct vl_tpg *tpg = to_vl_tpg(to_tpg(item));
	struct se_session *se_sess;
	ssize_t ret = 0;

	mutex_lock(&tpg->mutex);
	if (tpg->nexus) {
		se_sess = tpg->nexus->se_sess;
		ret = sysfs_emit(page, "%s\n",
				 se_sess->se_node_acl->initiatorname);
	}
	mutex_unlock(&tpg->mutex);
	return ret;
}

static ssize_t vl_tpg_nexus_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct vl_tpg *tpg = to_vl_tpg(to_tpg(item));
	int ret;

	if (sysfs_streq(page, "NULL"))
		ret = vl_nexus_drop(tpg);
	else
		ret = vl_nexus_store_name(tpg, page, count);
	return ret ? ret : count;
}

CONFIGFS_ATTR(vl_tpg_, nexus);

/* ---- attrib/fabric_prot_type ------------------------------------------- */

static ssize_t vl_tpg_attrib_fabric_prot_type_show(struct config_item *item,
						   char *page)
{
	struct vl_tpg *tpg = to_vl_tpg(attrib_to_tpg(item));

	return sysfs_emit(page, "%d\n", READ_ONCE(tpg->fabric_prot_type));
}

static ssize_t vl_tpg_attrib_fabric_prot_type_store(struct config_item *item,
						    const char *page,
						    size_t count)
{
	struct vl_tpg *tpg = to_vl_tpg(attrib_to_tpg(item));
	unsigned long val;

	if (kstrtoul(page, 0, &val) || (val != 0 && val != 1 && val != 3)) {
		vl_tpg_err(tpg, "fabric_prot_type \"%.*s\": must be 0, 1 or 3\n",
			   (int)min_t(size_t, strcspn(page, "\n"), VL_LOG_NAME),
			   page);
		return -EINVAL;
	}
	WRITE_ONCE(tpg->fabric_prot_type, val);
	return count;
}

CONFIGFS_ATTR(vl_tpg_attrib_, fabric_prot_type);

/* ---- attrib/lun_queue_depth and lun_stats: per-LUN limits -------------- */

/*
 * LUNs of one TPG that may have a limit of their own: the attribute reads
 * back in one page ("16383:65535 " is 12 bytes).
 */
#define VL_MAX_LUN_LIMITS	256
#define VL_MAX_LUN_DEPTH	65535
#define VL_LUN_LIMIT_SYNTAX \
	"want LUN:DEPTH pairs, LUN below 16384, DEPTH up to 65535 (0: the backstore's queue_depth)"

/*
 * The entry of @lun, made if there is none.  Context: tpg->mutex held.
 * Return: the entry, or NULL (no memory, or a LUN no guest can address).
 */
static struct vl_lun_depth *vl_lun_depth_make(struct vl_tpg *tpg, u64 lun)
{
	struct vl_lun_depth *d = vl_tpg_lun_depth(tpg, lun);

	lockdep_assert_held(&tpg->mutex);
	if (d || lun >= VL_MAX_LUN)
		return d;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (d && xa_err(xa_store(&tpg->luns, lun, d, GFP_KERNEL))) {
		kfree(d);
		d = NULL;
	}
	return d;
}

/*
 * Parse the next "LUN:DEPTH" of a lun_queue_depth write at *@p (separated
 * by blanks, commas or newlines) and move past it.
 * Return: 1 with @lun and @depth set, 0 at the end, -EINVAL if malformed.
 */
static int vl_lun_limit_next(const char **p, u64 *lun, u32 *depth)
{
	const char *s = *p + strspn(*p, " \t\n,");
	size_t n = strcspn(s, " \t\n,");
	char tok[24], *colon;

	*p = s + n;
	if (!n)
		return 0;
	if (n >= sizeof(tok))
		return -EINVAL;
	memcpy(tok, s, n);
	tok[n] = '\0';
	colon = strchr(tok, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (kstrtou64(tok, 10, lun) || *lun >= VL_MAX_LUN ||
	    kstrtou32(colon + 1, 10, depth) || *depth > VL_MAX_LUN_DEPTH)
		return -EINVAL;
	return 1;
}

/*
 * How many LUNs would have a limit after applying @page, or -EINVAL.
 * Context: tpg->mutex held (the entries do not change).
 */
static int vl_lun_limits_after(struct vl_tpg *tpg, const char *page)
{
	struct vl_lun_depth *d;
	unsigned long idx;
	const char *p = page;
	int count = 0, ret;
	u32 depth;
	u64 lun;

	lockdep_assert_held(&tpg->mutex);
	xa_for_each(&tpg->luns, idx, d)
		count += !!READ_ONCE(d->limit);
	while ((ret = vl_lun_limit_next(&p, &lun, &depth)) > 0) {
		d = vl_tpg_lun_depth(tpg, lun);
		count += !!depth - (d && READ_ONCE(d->limit));
	}
	return ret < 0 ? ret : count;
}

static ssize_t vl_tpg_attrib_lun_queue_depth_show(struct config_item *item,
						  char *page)
{
	struct vl_tpg *tpg = to_vl_tpg(attrib_to_tpg(item));
	struct vl_lun_depth *d;
	unsigned long lun;
	ssize_t len = 0;
	u32 limit;

	mutex_lock(&tpg->mutex);
	xa_for_each(&tpg->luns, lun, d) {
		limit = READ_ONCE(d->limit);
		if (limit)
			len += sysfs_emit_at(page, len, "%s%lu:%u",
					     len ? " " : "", lun, limit);
	}
	mutex_unlock(&tpg->mutex);
	return len + sysfs_emit_at(page, len, "\n");
}

/*
 * "LUN:DEPTH ...": LUN's commands in flight are limited to DEPTH (0: to its
 * backstore's attrib/queue_depth again).  All or nothing; a LUN not linked
 * yet keeps its limit for when it is (targetctl restore sets attributes
 * before it links LUNs).
 */
static ssize_t vl_tpg_attrib_lun_queue_depth_store(struct config_item *item,
						   const char *page,
						   size_t count)
{
	struct vl_tpg *tpg = to_vl_tpg(attrib_to_tpg(item));
	const char *p = page;
	struct vl_lun_depth *d;
	int ret, n;
	u32 depth;
	u64 lun;

	mutex_lock(&tpg->mutex);
	n = vl_lun_limits_after(tpg, page);
	ret = n < 0 ? -EINVAL : n > VL_MAX_LUN_LIMITS ? -ENOSPC : 0;
	if (ret) {
		vl_tpg_err(tpg, "lun_queue_depth \"%.*s\": %s\n",
			   (int)min_t(size_t, strcspn(page, "\n"), VL_LOG_NAME),
			   page, n < 0 ? VL_LUN_LIMIT_SYNTAX :
			   "at most 256 LUNs of a TPG have a limit of their own");
		goto out;
	}
	/* Every entry first, so that a failure changes nothing. */
	while (vl_lun_limit_next(&p, &lun, &depth) > 0)
		if (!vl_lun_depth_make(tpg, lun)) {
			ret = -ENOMEM;
			goto out;
		}
	p = page;
	while (vl_lun_limit_next(&p, &lun, &depth) > 0) {
		d = vl_tpg_lun_depth(tpg, lun);
		WRITE_ONCE(d->limit, depth);
	}
out:
	mutex_unlock(&tpg->mutex);
	return ret ? ret : count;
}

CONFIGFS_ATTR(vl_tpg_attrib_, lun_queue_depth);

static struct configfs_attribute *vl_tpg_attrib_attrs[] = {
	&vl_tpg_attrib_attr_fabric_prot_type,
	&vl_tpg_attrib_attr_lun_queue_depth,
	NULL,
};

/* The backstore LUN @unpacked_lun of @se_tpg is linked to, or NULL. */
static struct se_device *vl_lun_backstore(struct se_portal_group *se_tpg,
					  u64 unpacked_lun)
{
	struct se_lun *lun;

	hlist_for_each_entry_rcu(lun, &se_tpg->tpg_lun_hlist, link)
		if (lun->unpacked_lun == unpacked_lun)
			return rcu_dereference(lun->lun_se_dev);
	return NULL;
}

/*
 * lun_stats: a line per linked LUN in LUN order, "lun_N in_flight=..
 * limit=.. task_set_full=..", as many as fit in a page.
 */
static ssize_t vl_tpg_lun_stats_show(struct config_item *item, char *page)
{
	struct se_portal_group *se_tpg = to_tpg(item);
	struct vl_tpg *tpg = to_vl_tpg(se_tpg);
	struct vl_lun_depth *d;
	struct se_device *sd;
	unsigned long lun;
	ssize_t len = 0;
	u32 limit;

	rcu_read_lock();
	xa_for_each(&tpg->luns, lun, d) {
		sd = vl_lun_backstore(se_tpg, lun);
		if (!sd)
			continue;
		if (len > PAGE_SIZE - 96)
			break;
		limit = READ_ONCE(d->limit) ?: sd->dev_attrib.queue_depth;
		len += sysfs_emit_at(page, len,
				     "lun_%lu in_flight=%d limit=%u task_set_full=%lu\n",
				     lun, atomic_read(&d->inflight), limit,
				     atomic_long_read(&d->task_set_full));
	}
	rcu_read_unlock();
	return len;
}

CONFIGFS_ATTR_RO(vl_tpg_, lun_stats);

static struct configfs_attribute *vl_tpg_attrs[] = {
	&vl_tpg_attr_nexus,
	&vl_tpg_attr_lun_stats,
	NULL,
};

/* ---- tpgt_N: target portal groups -------------------------------------- */

/* Parse "tpgt_<decimal digits>" below VL_MAX_TARGET. */
static int vl_parse_tpgt(const char *name, u16 *tpgt)
{
	size_t n = str_has_prefix(name, "tpgt_");
	const char *num = name + n;

	if (!n || !*num || strspn(num, "0123456789") != strlen(num))
		return -EINVAL;
	if (kstrtou16(num, 10, tpgt) || *tpgt >= VL_MAX_TARGET)
		return -EINVAL;
	return 0;
}

static bool vl_tpgt_taken(struct vl_tport *tport, u16 tpgt)
{
	struct vl_tpg *tpg;

	vl_for_each_tpg(tpg)
		if (tpg->tport == tport && tpg->tpgt == tpgt)
			return true;
	return false;
}

/* Register @tpg with LIO and list it, unless its tag is taken. */
static int vl_tpg_register(struct vl_tpg *tpg)
{
	struct vl_tport *tport = tpg->tport;
	int ret;

	vl_tpg_list_lock();
	if (vl_tpgt_taken(tport, tpg->tpgt)) {
		vl_tpg_err(tpg, "this tag exists already under another name\n");
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = core_tpg_register(&tport->wwn, &tpg->se_tpg, tport->proto_id);
	if (ret) {
		vl_tpg_err(tpg, "LIO refused the TPG: %d\n", ret);
		goto out_unlock;
	}
	list_add_tail(&tpg->node, &vl_tpg_list);
out_unlock:
	vl_tpg_list_unlock();
	return ret;
}

static struct se_portal_group *vl_make_tpg(struct se_wwn *wwn,
					   const char *name)
{
	struct vl_tport *tport = container_of(wwn, struct vl_tport, wwn);
	struct vl_tpg *tpg;
	u16 tpgt;
	int ret;

	if (vl_parse_tpgt(name, &tpgt)) {
		pr_err_ratelimited("%s/%.*s: a TPG must be named tpgt_<N>, N from 0 to %d\n",
				   tport->name, VL_LOG_NAME, name,
				   VL_MAX_TARGET - 1);
		return ERR_PTR(-EINVAL);
	}

	tpg = kzalloc(sizeof(*tpg), GFP_KERNEL);
	if (!tpg)
		return ERR_PTR(-ENOMEM);
	kref_init(&tpg->ref);
	mutex_init(&tpg->mutex);
	spin_lock_init(&tpg->close_lock);
	INIT_WORK(&tpg->close_work, vl_tpg_close_work);
	INIT_LIST_HEAD(&tpg->node);
	xa_init(&tpg->luns);
	tpg->tport = tport;
	tpg->tpgt = tpgt;

	ret = vl_tpg_register(tpg);
	if (ret)
		goto out_free_tpg;
	return &tpg->se_tpg;

out_free_tpg:
	mutex_destroy(&tpg->mutex);
	kfree(tpg);
	return ERR_PTR(ret);
}

/*
 * configfs refuses the rmdir while LUN or ACL directories exist (ENOTEMPTY)
 * or a device has the TPG pinned (EBUSY), so only the nexus can be left,
 * and a close work item still queued or running: an ACL rmdir returns as
 * soon as the work has dropped the session, before the work has finished.
 */
static void vl_drop_tpg(struct se_portal_group *se_tpg)
{
	struct vl_tpg *tpg = to_vl_tpg(se_tpg);

	vl_tpg_list_lock();
	list_del_init(&tpg->node);
	vl_tpg_list_unlock();

	mutex_lock(&tpg->mutex);
	WARN_ON_ONCE(tpg->dev || tpg->port_count);
	if (tpg->nexus)
		vl_nexus_free(tpg);
	mutex_unlock(&tpg->mutex);
	/*
	 * With no session left LIO cannot call close_session for this TPG
	 * again, so once the work is cancelled (waiting for it if it runs:
	 * not under @tpg->mutex, which it takes) nothing refers to the TPG.
	 */
	cancel_work_sync(&tpg->close_work);

	core_tpg_deregister(se_tpg);
	/* VHOST_SCSI_SET_ENDPOINT may still hold the TPG for a moment. */
	vl_tpg_put(tpg);
}

/* ---- LUN links: lun/lun_N/<link> to a backstore ------------------------ */

static int vl_port_link(struct se_portal_group *se_tpg, struct se_lun *lun)
{
	struct vl_tpg *tpg = to_vl_tpg(se_tpg);

	mutex_lock(&tpg->mutex);
	/*
	 * Its commands are counted from the first (vl_io.c).  LIO ignores
	 * what this returns: with no memory, the LUN has no limit.
	 */
	if (lun->unpacked_lun < VL_MAX_LUN &&
	    !vl_lun_depth_make(tpg, lun->unpacked_lun))
		vl_tpg_err(tpg, "lun_%llu: no memory for its in-flight limit: it has none\n",
			   lun->unpacked_lun);
	tpg->port_count++;
	if (tpg->dev)
		vl_dev_lun_changed(tpg, lun, true);
	mutex_unlock(&tpg->mutex);
	return 0;
}

static void vl_port_unlink(struct se_portal_group *se_tpg, struct se_lun *lun)
{
	struct vl_tpg *tpg = to_vl_tpg(se_tpg);

	mutex_lock(&tpg->mutex);
	if (!WARN_ON_ONCE(!tpg->port_count))
		tpg->port_count--;
	if (tpg->dev)
		vl_dev_lun_changed(tpg, lun, false);
	mutex_unlock(&tpg->mutex);
}

/* ---- <fabric>/version -------------------------------------------------- */

static ssize_t vl_wwn_version_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "vhost-lio %s on %s\n", VL_VERSION,
			  utsname()->release);
}

CONFIGFS_ATTR_RO(vl_wwn_, version);

static struct configfs_attribute *vl_wwn_attrs[] = {
	&vl_wwn_attr_version,
	NULL,
};

/**
 * vl_configfs_fill_ops() - add the configfs callbacks and attributes
 * @ops: the fabric template, before target_register_template()
 */
void vl_configfs_fill_ops(struct target_core_fabric_ops *ops)
{
	ops->fabric_make_wwn = vl_make_tport;
	ops->fabric_drop_wwn = vl_drop_tport;
	ops->fabric_make_tpg = vl_make_tpg;
	ops->fabric_drop_tpg = vl_drop_tpg;
	ops->fabric_post_link = vl_port_link;
	ops->fabric_pre_unlink = vl_port_unlink;
	ops->tfc_wwn_attrs = vl_wwn_attrs;
	ops->tfc_tpg_base_attrs = vl_tpg_attrs;
	ops->tfc_tpg_attrib_attrs = vl_tpg_attrib_attrs;
}
