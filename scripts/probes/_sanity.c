/* Must compile on every supported kernel: checks the probe flags work. */
#include <linux/module.h>
#include <linux/eventfd.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

int vl_probe(void);
int vl_probe(void)
{
	return sizeof(struct target_core_fabric_ops);
}
