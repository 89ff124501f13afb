/* kernel-table.h - the runtime's table of launched kernels (rt->kernels,
 * under rt->lock): lookup by id, references, ids, states. */
#ifndef RK_KERNEL_TABLE_H
#define RK_KERNEL_TABLE_H

#include <stddef.h>

#include "kernel.h"
#include "runtime.h"

/* Find a launched kernel and hold a reference, or fail with
 * RK_ENOTFOUND naming it. */
rk_error rk_kernel_get(rk_runtime *rt, const char *id, rk_kernel **k);
void rk_kernel_put(rk_kernel *k);

/* The state as callers see it: FAILED once the executor says so. */
rk_state rk_kernel_state(rk_kernel *k);

/* The kernel launched as id, or NULL; with index, its place in the
 * table.  Under rt->lock. */
/* Whether an edge runs from `from` (or one of its replicas) into `to`
 * (or one of its); both held (their locks, or rt->lock). */
bool rk_kernel_feeds_locked(const rk_kernel *from, const rk_kernel *to);

rk_kernel *rk_kernel_find_locked(rk_runtime *rt, const char *id,
				 size_t *index);

/* Add k to the table (rt->lock held for writing); the table holds the
 * reference new kernels start with. */
rk_error rk_kernel_table_add_locked(rk_runtime *rt, rk_kernel *k);

/* Free a kernel no one holds any more: join its thread, detach its
 * device, run its fini, drop its ports. */
void rk_kernel_destroy(rk_kernel *k);

#endif /* RK_KERNEL_TABLE_H */
