// SPDX-License-Identifier: GPL-2.0
/*
 * vl_main.c - module entry: parameters, and the order the layers come up in.
 *
 * vhost-lio serves virtio-scsi guests from the LIO SCSI target.  By default
 * it takes the names the in-tree vhost_scsi uses (LIO fabric "vhost",
 * /dev/vhost-scsi, alias tcm_vhost) so targetcli and QEMU find it unchanged;
 * the parameters rename both so it can be loaded beside vhost_scsi.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/ctype.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "vhost_lio.h"

static char *fabric_name = "vhost";
module_param(fabric_name, charp, 0444);
MODULE_PARM_DESC(fabric_name,
		 "LIO fabric name, the directory under /sys/kernel/config/target (default: vhost)");

static char *devname = "vhost-scsi";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname, "misc device name under /dev (default: vhost-scsi)");

/* Names end up as configfs and /dev entries: keep them plain. */
static bool vl_name_ok(const char *name, size_t max)
{
	size_t len = strnlen(name, max + 1);
	size_t i;

	if (!len || len > max || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

static int __init vl_init(void)
{
	int ret;

	/* Out-of-tree builds skip Kconfig's "depends on 64BIT": say it here. */
	BUILD_BUG_ON(BITS_PER_LONG != 64);

	if (!vl_name_ok(fabric_name, VL_FABRIC_NAME_MAX - 1) ||
	    !vl_name_ok(devname, VL_FABRIC_NAME_MAX - 1)) {
		pr_err("bad fabric_name '%.40s' or devname '%.40s': want 1-%d of [A-Za-z0-9._-], not starting with '.'\n",
		       fabric_name, devname, VL_FABRIC_NAME_MAX - 1);
		return -EINVAL;
	}

	/*
	 * The device first: LIO does not refuse a second fabric of the same
	 * name, but a second /dev/vhost-scsi fails here, so loading beside
	 * the in-tree vhost_scsi under the same names stops before LIO.
	 */
	ret = vl_dev_init(devname);
	if (ret)
		return ret;
	ret = vl_fabric_init(fabric_name);
	if (ret)
		goto err_dev;
	pr_info("vhost-lio %s ready: fabric '%s', /dev/%s\n", VL_VERSION,
		fabric_name, devname);
	return 0;

err_dev:
	vl_dev_exit();
	return ret;
}

static void __exit vl_exit(void)
{
	vl_fabric_exit();
	vl_dev_exit();
}

module_init(vl_init);
module_exit(vl_exit);

MODULE_DESCRIPTION("vhost-lio: virtio-scsi guests served from the LIO SCSI target");
MODULE_AUTHOR("The vhost-lio developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(VL_VERSION);
MODULE_ALIAS("tcm_vhost");
