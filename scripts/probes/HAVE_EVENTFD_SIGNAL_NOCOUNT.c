/* Linux 6.8+: void eventfd_signal(ctx); before: u64 eventfd_signal(ctx, n). */
#include <linux/eventfd.h>

void vl_probe(struct eventfd_ctx *ctx);
void vl_probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
