// SPDX-License-Identifier: GPL-2.0
/*
 * vl_dev.c - the /dev/vhost-scsi misc device and the vhost ioctl ABI.
 *
 * Each open() is one virtio-scsi device as QEMU sees it.  The VMM makes
 * itself the owner (its mm is where guest memory lives, its cgroups are
 * where our workers run), sets the features and the memory table, sets up
 * the queues (vl_vq.c) and binds the device to a WWPN's TPGs with
 * VHOST_SCSI_SET_ENDPOINT; then the workers serve the guest (vl_io.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>

#include "vl_device.h"

/*
 * What we offer; VHOST_F_LOG_ALL: dirty logging for migration (vl_log.c);
 * VIRTIO_SCSI_F_T10_PI: protection information (vl_io.c, vl_data.c).
 */
#define VL_FEATURES	(BIT_ULL(VL_VIRTIO_F_VERSION_1) |		\
			 BIT_ULL(VL_VIRTIO_F_ANY_LAYOUT) |		\
			 BIT_ULL(VL_VIRTIO_F_INDIRECT_DESC) |		\
			 BIT_ULL(VL_VIRTIO_F_EVENT_IDX) |		\
			 BIT_ULL(VL_VIRTIO_F_NOTIFY_ON_EMPTY) |		\
			 BIT_ULL(VL_VIRTIO_SCSI_F_HOTPLUG) |		\
			 BIT_ULL(VL_VIRTIO_SCSI_F_T10_PI) |		\
			 BIT_ULL(VHOST_F_LOG_ALL))

struct workqueue_struct *vl_wq;

static void vl_dev_stop_all(struct vl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VL_MAX_VQS; i++)
		vl_vq_stop(&dev->vqs[i]);
}

/*
 * Stop every queue and wait, killably, until LIO gave back each command
 * and the guest got its answer.  Return: 0, or -EINTR (queues stay
 * stopped; the caller is being killed, and release tears down).
 */
static int vl_dev_quiesce_all(struct vl_dev *dev)
{
	unsigned int i;
	int ret;

	vl_dev_stop_all(dev);
	for (i = 0; i < VL_MAX_VQS; i++) {
		ret = vl_vq_quiesce(&dev->vqs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Start every queue that is set up; one that cannot start (its rings are
 * not in the new memory table, say) does not hold the others back.
 * Return: 0, or the first queue's error.
 */
static int vl_dev_start_all(struct vl_dev *dev)
{
	unsigned int i;
	int ret, first = 0;

	for (i = 0; i < VL_MAX_VQS; i++) {
		ret = vl_vq_start(&dev->vqs[i]);
		if (ret && !first)
			first = ret;
	}
	return first;
}

/* ---- VHOST_SCSI_SET_ENDPOINT / CLEAR_ENDPOINT -------------------------- */

/* Give the TPGs back: the device has no command in flight on them. */
static void vl_dev_unpin_all(struct vl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VL_MAX_TARGET; i++) {
		if (dev->tpgs[i]) {
			vl_tpg_unpin(dev->tpgs[i], dev);
			dev->tpgs[i] = NULL;
		}
	}
	dev->endpoint = false;
}

static int vl_get_target(void __user *argp, struct vhost_scsi_target *t)
{
	if (copy_from_user(t, argp, sizeof(*t)))
		return -EFAULT;
	if (t->reserved)
		return -EOPNOTSUPP;
	t->vhost_wwpn[sizeof(t->vhost_wwpn) - 1] = '\0';
	return 0;
}

static int vl_set_endpoint(struct vl_dev *dev, void __user *argp)
{
	struct vhost_scsi_target t;
	struct vl_tpg *tpg, **found;
	unsigned int i, nfound = 0;
	int ret, n = 0, busy = 0;

	ret = vl_get_target(argp, &t);
	if (ret)
		return ret;
	if (dev->endpoint)
		return -EEXIST;
	/* One target port has the WWPN, with at most one TPG per tag. */
	found = kmalloc_array(VL_MAX_TARGET, sizeof(*found), GFP_KERNEL);
	if (!found)
		return -ENOMEM;

	vl_dev_stop_all(dev);
	vl_tpg_list_lock();
	vl_for_each_tpg(tpg) {
		if (vl_tpg_matches(tpg, t.vhost_wwpn) && nfound < VL_MAX_TARGET) {
			vl_tpg_get(tpg);
			found[nfound++] = tpg;
		}
	}
	vl_tpg_list_unlock();
	/* Pinned without the list lock: see vl_tpg_pin(). */
	for (i = 0; i < nfound; i++) {
		tpg = found[i];
		/* TPGs without a nexus or used by another guest are skipped. */
		ret = vl_tpg_pin(tpg, dev);
		if (!ret) {
			dev->tpgs[tpg->tpgt] = tpg;
			n++;
		} else if (ret == -EBUSY) {
			busy++;
		}
		vl_tpg_put(tpg);	/* the pin keeps it now */
	}
	kfree(found);
	/*
	 * ENODEV says "no such target"; a TPG another device holds (maybe a
	 * closed one, until LIO gives its commands back) is EBUSY, and said.
	 */
	if (!n && busy) {
		pr_warn_ratelimited("%s: every TPG with a nexus is in use by another device (a closed device keeps its TPGs until LIO gives its commands back)\n",
				    t.vhost_wwpn);
		return -EBUSY;
	}
	if (!n)
		return -ENODEV;
	strscpy(dev->wwpn, t.vhost_wwpn, sizeof(dev->wwpn));
	dev->endpoint = true;
	ret = vl_dev_start_all(dev);
	/* Queues that did start may have taken commands: wait for them. */
	if (ret && !vl_dev_quiesce_all(dev))
		vl_dev_unpin_all(dev);
	return ret;
}

static int vl_clear_endpoint(struct vl_dev *dev, void __user *argp)
{
	struct vhost_scsi_target t;
	int ret;

	ret = vl_get_target(argp, &t);
	if (ret)
		return ret;
	if (!dev->endpoint)
		return 0;
	if (strcmp(t.vhost_wwpn, dev->wwpn))
		return -EINVAL;
	/* As the in-tree module: the guest gets every answer first. */
	ret = vl_dev_quiesce_all(dev);
	if (ret)
		return ret;
	vl_dev_unpin_all(dev);
	return 0;
}

/* ---- VHOST_SET_MEM_TABLE ----------------------------------------------- */

/* One place that checks what the VMM says about guest memory. */
static int vl_mem_from_user(struct vhost_memory __user *um, struct vl_mem *mem)
{
	struct vhost_memory hdr;
	struct vhost_memory_region r;
	u32 i;
	int ret;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EOPNOTSUPP;
	if (hdr.nregions > VL_MEM_MAX_REGIONS)
		return -E2BIG;
	vl_mem_init(mem);
	for (i = 0; i < hdr.nregions; i++) {
		if (copy_from_user(&r, &um->regions[i], sizeof(r)))
			return -EFAULT;
		if (r.flags_padding)
			return -EOPNOTSUPP;
		/*
		 * Any byte range, as vhost takes (its IOTLB is byte-granular):
		 * a VMM's last region may end mid-page.  Everything after this
		 * works in bytes; pinning rounds to the pages a buffer touches.
		 */
		ret = vl_mem_add_region(mem, r.guest_phys_addr, r.memory_size,
					r.userspace_addr);
		if (ret)
			return ret;
	}
	return 0;
}

static int vl_set_mem_table(struct vl_dev *dev, void __user *argp)
{
	struct vl_mem *mem, *old;
	int ret;

	mem = kvzalloc(sizeof(*mem), GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	ret = vl_mem_from_user(argp, mem);
	/* While logging, the bitmap must cover the new memory too. */
	if (!ret && vl_logging(dev) && dev->log_base)
		ret = vl_log_check(dev->log_base, mem);
	if (ret) {
		kvfree(mem);
		return ret;
	}
	/* Commands in flight use the old table: wait for them. */
	ret = vl_dev_quiesce_all(dev);
	if (ret) {
		kvfree(mem);
		return ret;
	}
	old = dev->mem;
	dev->mem = mem;
	kvfree(old);
	return vl_dev_start_all(dev);
}

/* ---- owner, features --------------------------------------------------- */

static int vl_set_owner(struct vl_dev *dev)
{
	int ret;

	if (dev->owner)
		return -EBUSY;
	dev->mm = get_task_mm(current);
	if (!dev->mm)
		return -EINVAL;
	dev->owner = get_task_struct(current);
	ret = vl_workers_create(dev);
	if (ret) {
		put_task_struct(dev->owner);
		dev->owner = NULL;
		mmput(dev->mm);
		dev->mm = NULL;
	} else {
		vl_stats_dev_add(dev);
	}
	return ret;
}

/*
 * What close and VHOST_RESET_OWNER share: stop the queues, stop listening
 * to kicks before the workers go (a kick would wake a freed worker), stop
 * the workers, free what LIO completed meanwhile, and drop the owner's
 * eventfds, mm and task.  Commands still in LIO keep their slots (and a
 * device reference each); nothing here waits for them.
 */
static void vl_dev_disown(struct vl_dev *dev)
{
	struct eventfd_ctx *old_ctx;
	unsigned int i;

	lockdep_assert_held(&dev->mutex);
	vl_dev_stop_all(dev);
	for (i = 0; i < VL_MAX_VQS; i++)
		vl_vq_detach_kick(&dev->vqs[i]);
	vl_workers_destroy(dev);
	/*
	 * No worker: nothing arms the timer again (a task-set TMF waiting
	 * for the TMF rate arms it from the worker also while the queues are
	 * stopped, see vl_ctl.c).
	 */
	del_timer_sync(&dev->hold_timer);
	for (i = 0; i < VL_MAX_VQS; i++)
		vl_slots_reap(&dev->vqs[i]);
	spin_lock(&dev->log_lock);
	old_ctx = dev->log_ctx;
	dev->log_ctx = NULL;
	spin_unlock(&dev->log_lock);
	if (old_ctx)
		eventfd_ctx_put(old_ctx);
	if (dev->mm) {
		mmput(dev->mm);
		dev->mm = NULL;
	}
	if (dev->owner) {
		put_task_struct(dev->owner);
		dev->owner = NULL;
	}
	/* Before the device can be freed: no counter reader is left. */
	vl_stats_dev_remove(dev);
}

/* No command of the device is in LIO. */
static bool vl_dev_idle(struct vl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VL_MAX_VQS; i++)
		if (atomic_read(&dev->vqs[i].inflight))
			return false;
	return true;
}

/*
 * VHOST_RESET_OWNER: undo everything the owner set up; the device can be
 * owned anew.  Waits (killably) for the commands in flight, as the next
 * owner's memory table and rings would not be theirs.
 */
static int vl_reset_owner(struct vl_dev *dev)
{
	unsigned int i;
	int ret;

	ret = vl_dev_quiesce_all(dev);
	if (ret)
		return ret;
	vl_dev_disown(dev);
	vl_dev_unpin_all(dev);
	for (i = 0; i < VL_MAX_VQS; i++)
		vl_vq_cleanup(&dev->vqs[i]);
	kvfree(dev->mem);
	dev->mem = NULL;
	WRITE_ONCE(dev->features, 0);
	dev->log_base = 0;
	vl_evt_reset(dev);
	return 0;
}

static int vl_set_features(struct vl_dev *dev, void __user *argp)
{
	u64 features;
	int ret;

	if (copy_from_user(&features, argp, sizeof(features)))
		return -EFAULT;
	if (features & ~VL_FEATURES)
		return -EOPNOTSUPP;
	/*
	 * As vhost: a log set before must cover guest memory.  QEMU may ack
	 * LOG_ALL before it sets the log base (vhost_dev_start() while
	 * migrating), so no log yet is not an error.
	 */
	if ((features & BIT_ULL(VHOST_F_LOG_ALL)) && dev->log_base &&
	    vl_log_check(dev->log_base, dev->mem))
		return -EFAULT;
	ret = vl_dev_quiesce_all(dev);
	if (ret)
		return ret;
	/* Read locklessly by vl_dev_lun_changed(). */
	WRITE_ONCE(dev->features, features);
	return vl_dev_start_all(dev);
}

/* ---- dirty log --------------------------------------------------------- */

static int vl_set_log_base(struct vl_dev *dev, void __user *argp)
{
	u64 base;
	int ret;

	if (copy_from_user(&base, argp, sizeof(base)))
		return -EFAULT;
	if (base != (unsigned long)base)
		return -EFAULT;
	ret = vl_log_check(base, dev->mem);
	if (ret)
		return ret;
	/* Workers read it while they run: wait for the commands too. */
	ret = vl_dev_quiesce_all(dev);
	if (ret)
		return ret;
	dev->log_base = base;
	return vl_dev_start_all(dev);
}

static int vl_set_log_fd(struct vl_dev *dev, void __user *argp)
{
	struct eventfd_ctx *ctx = NULL;
	int fd;

	if (get_user(fd, (int __user *)argp))
		return -EFAULT;
	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	/* Swapped under the lock the workers signal it with: I/O goes on. */
	spin_lock(&dev->log_lock);
	swap(dev->log_ctx, ctx);
	spin_unlock(&dev->log_lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	return 0;
}

/* ---- the ioctl switch -------------------------------------------------- */

static long vl_dev_ioctl_locked(struct vl_dev *dev, unsigned int cmd,
				void __user *argp)
{
	u64 features = VL_FEATURES;
	int abi = VHOST_SCSI_ABI_VERSION;
	u32 missed;
	long ret;

	switch (cmd) {
	case VHOST_GET_FEATURES:
		return copy_to_user(argp, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case VHOST_SCSI_GET_ABI_VERSION:
		return copy_to_user(argp, &abi, sizeof(abi)) ? -EFAULT : 0;
	case VHOST_SET_OWNER:
		return vl_set_owner(dev);
	}

	/*
	 * Everything else is the owner's business: any thread of the owner's
	 * process, as in vhost (vhost_dev_check_owner() compares the mm).
	 * QEMU sets the owner from its main thread at realize, but sets the
	 * features, memory table, rings and endpoint from a vCPU thread when
	 * the guest's driver sets DRIVER_OK.
	 */
	if (!dev->owner || dev->mm != current->mm)
		return -EPERM;

	switch (cmd) {
	case VHOST_RESET_OWNER:
		return vl_reset_owner(dev);
	case VHOST_SET_FEATURES:
		return vl_set_features(dev, argp);
	case VHOST_SET_MEM_TABLE:
		return vl_set_mem_table(dev, argp);
	case VHOST_SET_LOG_BASE:
		return vl_set_log_base(dev, argp);
	case VHOST_SET_LOG_FD:
		return vl_set_log_fd(dev, argp);
	case VHOST_SCSI_SET_ENDPOINT:
		return vl_set_endpoint(dev, argp);
	case VHOST_SCSI_CLEAR_ENDPOINT:
		return vl_clear_endpoint(dev, argp);
	case VHOST_SCSI_SET_EVENTS_MISSED:
		if (get_user(missed, (u32 __user *)argp))
			return -EFAULT;
		vl_evt_set_missed_ioctl(dev, missed);
		return 0;
	case VHOST_SCSI_GET_EVENTS_MISSED:
		return put_user(vl_evt_get_missed(dev), (u32 __user *)argp);
	}
	ret = vl_vq_ioctl(dev, cmd, argp);
	return ret;
}

static long vl_dev_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vl_dev *dev = file->private_data;
	long ret;

	mutex_lock(&dev->mutex);
	ret = vl_dev_ioctl_locked(dev, cmd, (void __user *)arg);
	mutex_unlock(&dev->mutex);
	return ret;
}

/*
 * The device's last reference is gone: no command is in LIO, no worker
 * runs, no file is open.  Free it from process context (vl_wq): TPG unpin
 * sleeps.
 */
static void vl_dev_free_work(struct work_struct *work)
{
	struct vl_dev *dev = container_of(work, struct vl_dev, free_work);
	unsigned int i;

	mutex_lock(&dev->mutex);
	/* Pins close() left because commands were still in LIO. */
	vl_dev_unpin_all(dev);
	for (i = 0; i < VL_MAX_VQS; i++) {
		/* After the unpin: no hotplug event can queue it again. */
		cancel_work_sync(&dev->vqs[i].reap_work);
		vl_vq_cleanup(&dev->vqs[i]);
	}
	mutex_unlock(&dev->mutex);
	vl_ctl_free(dev);
	kvfree(dev->mem);
	percpu_ref_exit(&dev->ref);
	mutex_destroy(&dev->mutex);
	kvfree(dev);
}

/* Context: any (the percpu_ref's last put, maybe from an RCU callback). */
static void vl_dev_ref_release(struct percpu_ref *ref)
{
	struct vl_dev *dev = container_of(ref, struct vl_dev, ref);

	queue_work(vl_wq, &dev->free_work);
}

static int vl_dev_open(struct inode *inode, struct file *file)
{
	struct vl_dev *dev;
	unsigned int i;

	dev = kvzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	if (percpu_ref_init(&dev->ref, vl_dev_ref_release, 0, GFP_KERNEL)) {
		kvfree(dev);
		return -ENOMEM;
	}
	INIT_WORK(&dev->free_work, vl_dev_free_work);
	ratelimit_state_init(&dev->tmf_rs, VL_TMF_INTERVAL, VL_TMF_BURST);
	/* Held-back TMFs are not a message: never say "suppressed". */
	ratelimit_set_flags(&dev->tmf_rs, RATELIMIT_MSG_ON_RELEASE);
	timer_setup(&dev->hold_timer, vl_io_hold_timer, 0);
	dev->refused_since = jiffies;
	mutex_init(&dev->mutex);
	spin_lock_init(&dev->evt_lock);
	spin_lock_init(&dev->log_lock);
	for (i = 0; i < VL_MAX_VQS; i++)
		vl_vq_init(dev, &dev->vqs[i], i);
	file->private_data = dev;
	return 0;
}

/*
 * close(), also when the VMM was killed: never waits for LIO.  What LIO
 * still has keeps the device (and its TPG pins) until its last command
 * is released; then vl_dev_free_work() frees it.
 */
static int vl_dev_release(struct inode *inode, struct file *file)
{
	struct vl_dev *dev = file->private_data;

	mutex_lock(&dev->mutex);
	vl_dev_disown(dev);
	/* Nothing in LIO: the TPGs are free again at once. */
	if (vl_dev_idle(dev))
		vl_dev_unpin_all(dev);
	mutex_unlock(&dev->mutex);
	percpu_ref_kill(&dev->ref);
	return 0;
}

static const struct file_operations vl_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= vl_dev_open,
	.release	= vl_dev_release,
	.unlocked_ioctl	= vl_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.fops	= &vl_dev_fops,
};

/**
 * vl_dev_init() - register the misc device
 * @name: its name under /dev ("vhost-scsi" unless the devname parameter
 *	  says otherwise); must stay valid until vl_dev_exit()
 *
 * Return: 0, -EBUSY if another driver has that name, or another negative
 * errno from misc_register().
 */
int vl_dev_init(const char *name)
{
	int ret;

	vl_wq = alloc_workqueue("vhost_lio", WQ_UNBOUND, 0);
	if (!vl_wq)
		return -ENOMEM;
	vl_stats_init();
	vl_misc.name = name;
	ret = misc_register(&vl_misc);
	if (ret) {
		vl_stats_exit();
		destroy_workqueue(vl_wq);
	}
	if (ret == -EEXIST) {
		/* kmod takes EEXIST from init for "already loaded": say EBUSY. */
		pr_err("/dev/%s belongs to another driver (vhost_scsi?): unload it or load vhost_lio with devname=\n",
		       name);
		return -EBUSY;
	}
	if (ret)
		pr_err("cannot register /dev/%s: %d\n", name, ret);
	return ret;
}

/**
 * vl_dev_exit() - unregister the misc device
 *
 * No file can be open here: each open file holds a module reference.  A
 * closed device whose commands were still in LIO holds its TPGs, so the
 * module cannot be unloaded before it is freed, but its free work may
 * still be running: wait for it.
 */
void vl_dev_exit(void)
{
	misc_deregister(&vl_misc);
	/* A closed device's last reference may still be on its way. */
	rcu_barrier();
	destroy_workqueue(vl_wq);
	vl_stats_exit();
}
