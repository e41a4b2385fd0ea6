/* Linux 6.9+: int target_submit(cmd); before: void target_submit(cmd). */
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

int vl_probe(struct se_cmd *cmd);
int vl_probe(struct se_cmd *cmd)
{
	int ret = target_submit(cmd);

	return ret;
}
