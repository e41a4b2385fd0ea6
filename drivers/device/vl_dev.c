// SPDX-License-Identifier: GPL-2.0
/*
 * vl_dev.c - the /dev/vhost-scsi misc device.
 *
 * Each open() is one virtio-scsi device as QEMU sees it: a struct vl_dev
 * owned by the file.  The vhost ioctl ABI on it is the data path's work;
 * for now the device can be opened, queried for nothing and closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vhost_lio.h"

static int vl_dev_open(struct inode *inode, struct file *file)
{
	struct vl_dev *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->mutex);
	file->private_data = dev;
	return 0;
}

static int vl_dev_release(struct inode *inode, struct file *file)
{
	struct vl_dev *dev = file->private_data;

	mutex_destroy(&dev->mutex);
	kfree(dev);
	return 0;
}

static long vl_dev_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return -ENOIOCTLCMD;
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

	vl_misc.name = name;
	ret = misc_register(&vl_misc);
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
 * No file can be open here: each open file holds a module reference.
 */
void vl_dev_exit(void)
{
	misc_deregister(&vl_misc);
}

/*
 * Data path hooks called by the fabric layer (see vhost_lio.h).  No command
 * reaches LIO until the vhost ioctl ABI and the request queues exist, so
 * nothing calls these yet.
 */
void vl_dev_cmd_complete(struct vl_cmd *cmd)
{
}

void vl_dev_cmd_aborted(struct vl_cmd *cmd)
{
}

void vl_dev_tmr_complete(struct vl_cmd *cmd)
{
}

void vl_dev_cmd_release(struct vl_cmd *cmd)
{
}

void vl_dev_lun_changed(struct vl_tpg *tpg, struct se_lun *lun, bool added)
{
}
