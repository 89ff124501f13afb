/* runtime.h - the runtime's kernel table, shared by the API files. */
#ifndef RK_RUNTIME_H
#define RK_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "ringkernel.h"

struct rk_runtime {
	/* The two tables below: every send and receive looks its kernel up,
	 * so lookups share the lock. */
	pthread_rwlock_t lock;
	rk_kernel **kernels;
	size_t n_kernels;
	size_t cap_kernels;
	const rk_kernel_desc **registry;
	size_t n_registry;
	size_t cap_registry;

	bool telemetry;
	uint32_t default_queue_size;
	uint32_t default_max_message;
	uint32_t spin_ns;
	rk_backend backend;
	uint64_t next_port;             /* message id space per port */
	uint64_t start_ns;
};

/* Find a launched kernel and hold a reference, or fail with
 * RK_ENOTFOUND naming it. */
rk_error rk_kernel_get(rk_runtime *rt, const char *id, rk_kernel **k);
void rk_kernel_put(rk_kernel *k);

/* The state as callers see it: FAILED once the executor says so. */
rk_state rk_kernel_state(rk_kernel *k);

/* A new port of this runtime (message ids unique per runtime). */
rk_port *rk_runtime_new_port(rk_runtime *rt, uint64_t capacity,
			     uint32_t max_payload, rk_backpressure policy,
			     rk_event *data);

#endif /* RK_RUNTIME_H */
