/* failures.h - kernels failing, told to receivers at a pipeline's end
 * (failures.c). */
#ifndef RK_FAILURES_H
#define RK_FAILURES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct rk_runtime rk_runtime;
typedef struct rk_kernel rk_kernel;

/* A receiver's event, on the watch list while it parks. */
struct rk_failure_watch {
	rk_event *ev;
	struct rk_failure_watch *next;
};

/* In every runtime. */
struct rk_failures {
	pthread_mutex_t lock;           /* the list, and first */
	struct rk_failure_watch *watchers;
	uint32_t count;                 /* kernels failed so far */
	char first[256];                /* who failed first, and why */
};

void rk_failures_init(rk_runtime *rt);
void rk_failures_destroy(rk_runtime *rt);

/* From the kernel's thread once it is FAILED: counted, watchers woken. */
void rk_failures_note(rk_kernel *k);

/* Put ev on the watch list before parking on it; false when a kernel
 * has failed already (stay on the list all the same: unwatch). */
bool rk_failures_watch(rk_runtime *rt, struct rk_failure_watch *w,
		       rk_event *ev);
void rk_failures_unwatch(rk_runtime *rt, struct rk_failure_watch *w);

bool rk_failures_any(rk_runtime *rt);
/* "kernel 'ID' failed: why", of the first that failed. */
void rk_failures_first(rk_runtime *rt, char *buf, size_t size);

#endif /* RK_FAILURES_H */
