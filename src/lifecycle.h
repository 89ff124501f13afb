/* lifecycle.h - the commands that change kernels' states by id. */
#ifndef RINGCTL_LIFECYCLE_H
#define RINGCTL_LIFECYCLE_H

#include <ringkernel.h>

#include "cmd.h"

/* `NAME ID...`: op on each id, in order; every failure is reported and
 * the exit status is the first failure's. */
int lifecycle_run(const struct cmd_entry *e, int argc, char **argv,
		  rk_error (*op)(rk_runtime *rt, const char *id));

#endif /* RINGCTL_LIFECYCLE_H */
