// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include "compat/vl_compat.h"
static int __init vl_init(void) { return 0; }
static void __exit vl_exit(void) { }
module_init(vl_init);
module_exit(vl_exit);
MODULE_LICENSE("GPL");
