/* Linux 6.9+: fabric ops say how LIO submits (default_submit_type). */
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

const struct target_core_fabric_ops vl_probe_ops = {
	.default_submit_type = TARGET_DIRECT_SUBMIT,
};
