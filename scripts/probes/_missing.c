/*
 * Must fail on every kernel: a call to a function no header declares.  If
 * this compiles, the probe flags do not catch a missing API and every
 * HAVE_* probe would wrongly pass.
 */
#include <linux/module.h>

int vl_probe(void);
int vl_probe(void)
{
	return vl_probe_no_such_function();
}
