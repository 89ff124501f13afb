/* runtime.h - the runtime: its tables (kernel-table.h, registry.h),
 * options and devices, shared by the API files. */
#ifndef RK_RUNTIME_H
#define RK_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "failures.h"
#include "kernel.h"
#include "ringkernel.h"

struct rk_runtime {
	struct rk_runtime *next_abandoned; /* rk_runtime_free: left in use */
	/* The two tables below: every send and receive looks its kernel up,
	 * so lookups share the lock. */
	pthread_rwlock_t lock;
	rk_kernel **kernels;
	size_t n_kernels;
	size_t cap_kernels;
	struct rk_registered {
		const rk_kernel_desc *desc;     /* &adopted->desc */
		const rk_kernel_desc *orig;     /* the plugin's or caller's */
		struct rk_adopted_desc *adopted;
		const char *plugin;     /* its file; NULL: in-process */
	} *registry;
	size_t n_registry;
	size_t cap_registry;
	struct rk_loaded_plugin *plugins;       /* plugin.c */
	size_t n_plugins;

	rk_runtime_options opts;        /* as given, every field there */
	uint32_t executor_threads;      /* running now (atomic) */
	bool telemetry;
	uint32_t default_queue_size;
	uint32_t default_max_message;
	uint32_t spin_ns;
	rk_backend backend;
	rk_error_hook on_kernel_error;
	void *on_kernel_error_arg;
	rk_fault_hook on_kernel_fault;
	void *on_kernel_fault_arg;
	struct rk_devices *devices;     /* device-backend.c, probed on need */
	uint64_t start_ns;
	struct rk_failures failures;    /* failures.c */
};

/* Unload the plugins (once no kernel can run their code). */
void rk_plugins_unload(rk_runtime *rt);

/* A new port of this runtime (message ids unique per runtime). */
rk_port *rk_runtime_new_port(rk_runtime *rt, uint64_t capacity,
			     uint32_t max_payload, rk_backpressure policy,
			     rk_bell *bell);

#endif /* RK_RUNTIME_H */
