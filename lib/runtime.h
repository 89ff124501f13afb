/* runtime.h - the runtime's kernel table, shared by the API files. */
#ifndef RK_RUNTIME_H
#define RK_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

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
	bool telemetry;
	uint32_t default_queue_size;
	uint32_t default_max_message;
	uint32_t spin_ns;
	rk_backend backend;
	rk_error_hook on_kernel_error;
	void *on_kernel_error_arg;
	rk_fault_hook on_kernel_fault;
	void *on_kernel_fault_arg;
	struct rk_devices *devices;     /* device.c, probed on first need */
	uint64_t start_ns;
};

/* Find a launched kernel and hold a reference, or fail with
 * RK_ENOTFOUND naming it. */
rk_error rk_kernel_get(rk_runtime *rt, const char *id, rk_kernel **k);
void rk_kernel_put(rk_kernel *k);

/* The state as callers see it: FAILED once the executor says so. */
rk_state rk_kernel_state(rk_kernel *k);

/* A descriptor a runtime accepts: ABI, name, an entry point, types. */
rk_error rk_kernel_desc_check(const rk_kernel_desc *d);

/* Register a copy of d (descriptor.h) under rt->lock (write); a name
 * taken is an error, or with keep_first silently left to its first
 * kernel. */
rk_error rk_registry_add_locked(rk_runtime *rt, const rk_kernel_desc *d,
				const char *plugin, bool keep_first);

/* Forget every registered kernel (rt->lock held, or no other thread). */
void rk_registry_clear_locked(rk_runtime *rt);

/* Unload the plugins (once no kernel can run their code). */
void rk_plugins_unload(rk_runtime *rt);

/* A new port of this runtime (message ids unique per runtime). */
rk_port *rk_runtime_new_port(rk_runtime *rt, uint64_t capacity,
			     uint32_t max_payload, rk_backpressure policy,
			     rk_bell *bell);

/* Names typed in shells, pipelines ('a | b') and YAML: non-empty, of
 * letters, digits, '_', '.', '-' and the characters of `extra`. */
bool rk_plain_name(const char *name, const char *extra);

/* Whether s holds a control character (below 0x20, or 0x7f): in no
 * name, and a terminal would act on it when a message echoes it. */
bool rk_has_control(const char *s);

/* The len bytes at s for a message, in out: control characters and
 * bytes past ASCII as \t, \n, \0 or \xHH, cut short with "..." to fit
 * cap.  Returns out. */
const char *rk_escape(char *out, size_t cap, const char *s, size_t len);

/* RK_OK, or RK_EINVAL with "WHAT 'S' holds a control character", S
 * escaped. */
rk_error rk_check_control(const char *what, const char *s);

#endif /* RK_RUNTIME_H */
