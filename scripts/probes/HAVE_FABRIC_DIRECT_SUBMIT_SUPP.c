/* Linux 6.9+: fabric ops say whether direct submission is supported. */
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

const struct target_core_fabric_ops vl_probe_ops = {
	.direct_submit_supp = 1,
};
