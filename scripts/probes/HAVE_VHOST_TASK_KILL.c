/*
 * Linux 6.11+ with CONFIG_VHOST_TASK: vhost_task_create(fn, handle_kill,
 * arg, name), a worker that is a thread of the VMM (its mm, cgroups and
 * RLIMIT_NPROC) and dies with it.  6.4-6.10 had other signatures; 6.1 has
 * none.
 */
#include <linux/kconfig.h>
#include <linux/types.h>
#include <linux/sched/vhost_task.h>

#ifndef CONFIG_VHOST_TASK
#error "vhost_task_create() is not built in"
#endif

bool vl_probe_fn(void *data);
void vl_probe_kill(void *data);
struct vhost_task *vl_probe(void *arg);
struct vhost_task *vl_probe(void *arg)
{
	return vhost_task_create(vl_probe_fn, vl_probe_kill, arg, "probe");
}
