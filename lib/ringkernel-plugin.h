/* ringkernel-plugin.h - how a kernel is described to libringkernel.
 *
 * A kernel is a descriptor: a name, its message types, the parameters
 * it accepts, and either a per-message `process` function, a
 * `process_batch` function, or a persistent `main` loop that talks to
 * the runtime through an rk_ctx.  The descriptor carries the ABI
 * version and its own size so the runtime can refuse one built against
 * an incompatible header.
 */
#ifndef RINGKERNEL_PLUGIN_H
#define RINGKERNEL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RK_PLUGIN_ABI_VERSION 1

typedef struct rk_ctx rk_ctx;

/* A message as a kernel sees it: valid until the call returns. */
typedef struct rk_msg {
	const void *data;
	size_t len;
	uint64_t message_id;
	uint64_t correlation_id;
	uint64_t enqueue_ns;
	uint16_t type_tag;
	uint8_t priority;
} rk_msg;

/* A parameter given to a kernel at launch: name=value, both text. */
typedef struct rk_param {
	const char *name;
	const char *value;
} rk_param;

/* A parameter a kernel accepts. */
typedef struct rk_param_desc {
	const char *name;
	const char *type;               /* "int", "float", "string", "bool" */
	const char *default_value;      /* NULL: required */
	const char *description;
} rk_param_desc;

/* Message schemas are defined by libringkernel's codec; NULL means raw
 * bytes, passed through unchanged. */
struct rk_type;

typedef struct rk_kernel_desc {
	uint32_t abi_version;           /* RK_PLUGIN_ABI_VERSION */
	uint32_t struct_size;           /* sizeof(rk_kernel_desc) */
	const char *name;
	const char *description;
	const struct rk_type *input_type;
	const struct rk_type *output_type;
	const rk_param_desc *params;    /* ends with name == NULL; may be NULL */

	/* Optional: set up per-instance state from the launch parameters.
	 * Return 0, or nonzero after rk_ctx_error() to refuse the launch. */
	int (*init)(rk_ctx *ctx, const rk_param *params, void **state);
	void (*fini)(void *state);

	/* One of these three.  process returns 0, or nonzero when the
	 * message failed (counted, see rk_on_error); process_batch returns
	 * how many of its messages failed. */
	int (*process)(rk_ctx *ctx, const rk_msg *msg);
	int (*process_batch)(rk_ctx *ctx, const rk_msg *msgs, size_t count);
	int (*main)(rk_ctx *ctx);

	/* Optional: called once at end of input, to emit what is held. */
	int (*flush)(rk_ctx *ctx);
} rk_kernel_desc;

#define RK_KERNEL_DESC_INIT { RK_PLUGIN_ABI_VERSION, sizeof(rk_kernel_desc), \
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/* A launch parameter's value, or its declared default, or NULL. */
const char *rk_ctx_param(rk_ctx *ctx, const char *name);

/* The kernel's state pointer, as set by init. */
void *rk_ctx_state(rk_ctx *ctx);
const char *rk_ctx_kernel_id(rk_ctx *ctx);

/* Emit one message to the kernel's output.  From process, the reply's
 * correlation id is the message's id and its priority the message's.
 * Returns 0, or an rk_error (the message is then counted as dropped
 * where the policy drops, and reported otherwise). */
int rk_ctx_emit(rk_ctx *ctx, const void *data, size_t len);

/* Say why the current message failed; kept as the kernel's last_error. */
void rk_ctx_error(rk_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For persistent main loops (the reference's ctx). */
int rk_ctx_receive(rk_ctx *ctx, rk_msg *msg, double timeout);
int rk_ctx_send(rk_ctx *ctx, const void *data, size_t len);
bool rk_ctx_should_terminate(rk_ctx *ctx);
bool rk_ctx_is_active(rk_ctx *ctx);
int rk_ctx_wait_active(rk_ctx *ctx, double timeout);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_PLUGIN_H */
