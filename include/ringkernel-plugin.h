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

#include <ringkernel-common.h>

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

/* Message types.  A typed message is a C struct of named fields; it
 * travels between kernels as those bytes and crosses the edges (stdin,
 * stdout, send, recv) as one JSON object per line, converted by the
 * runtime's codec.  The json type carries one JSON value as its text.
 * A kernel whose type is NULL takes raw bytes (C API only). */
typedef enum rk_kind {
	RK_KIND_BOOL = 1,               /* bool */
	RK_KIND_I8, RK_KIND_I16, RK_KIND_I32, RK_KIND_I64,
	RK_KIND_U8, RK_KIND_U16, RK_KIND_U32, RK_KIND_U64,
	RK_KIND_F32, RK_KIND_F64,
	RK_KIND_STRING                  /* char[count]: UTF-8, NUL-padded */
} rk_kind;

typedef struct rk_field {
	const char *name;
	rk_kind kind;
	uint32_t offset;                /* of the member in the struct */
	uint32_t count;                 /* string: bytes; array: elements;
					 * 0: one number or bool */
	int32_t length_offset;          /* variable arrays: offset of the
					 * uint32_t element count; else -1 */
} rk_field;

typedef struct rk_type {
	const char *name;
	uint32_t size;                  /* sizeof the struct; 0: json */
	uint32_t n_fields;
	const rk_field *fields;         /* NULL: json */
} rk_type;

/* Any one JSON value, passed through unchanged. */
RK_API extern const rk_type rk_type_json;

/* Field declarations for a struct T, e.g.
 *   struct in { int64_t value; };
 *   static const rk_field in_fields[] = { RK_FIELD(struct in, value, RK_KIND_I64) };
 *   static const rk_type in_type = RK_TYPE(struct in, "in", in_fields); */
#define RK_FIELD(T, m, kind) \
	{ #m, kind, (uint32_t)offsetof(T, m), 0, -1 }
#define RK_FIELD_STRING(T, m) \
	{ #m, RK_KIND_STRING, (uint32_t)offsetof(T, m), \
	  (uint32_t)sizeof(((T *)0)->m), -1 }
/* A fixed array: the JSON array has exactly as many numbers. */
#define RK_FIELD_ARRAY(T, m, kind) \
	{ #m, kind, (uint32_t)offsetof(T, m), \
	  (uint32_t)(sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])), -1 }
/* A variable array of up to its size; the uint32_t member n counts the
 * elements in use (it is not a JSON field of its own). */
#define RK_FIELD_VARRAY(T, m, kind, n) \
	{ #m, kind, (uint32_t)offsetof(T, m), \
	  (uint32_t)(sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])), \
	  (int32_t)offsetof(T, n) }
#define RK_TYPE(T, type_name, fields) \
	{ type_name, (uint32_t)sizeof(T), \
	  (uint32_t)(sizeof(fields) / sizeof((fields)[0])), fields }

/* The kernel as a device runs it (ringkernel-device.h): its device
 * function `RK_HD int fn(const IN *, OUT *, const P *)` instantiated as
 * a persistent loop, for the host (emulation, tests) and, in a module
 * built by nvcc with ringkernel-cuda.h, for a GPU.  Declared with
 * RK_DEVICE_KERNEL. */
struct rk_dev_actor;
typedef struct rk_device_kernel {
	uint32_t abi_version;           /* RK_PLUGIN_ABI_VERSION */
	uint32_t struct_size;           /* sizeof(rk_device_kernel) */
	uint32_t in_size;               /* sizeof IN: the input type's size */
	uint32_t out_size;              /* sizeof OUT: the output type's */
	uint32_t params_size;           /* sizeof P: init's state (when not
					 * NULL) is copied to the device */
	uint32_t threads;               /* per GPU block; 0: 128 */
	void (*host_loop)(struct rk_dev_actor *actor);
	const char *cuda_module;        /* the GPU form, in cuda/ beside the
					 * plugin (or beside it): "doubler-cuda"
					 * for cuda/doubler-cuda.so; NULL: none */
	const char *cuda_symbol;        /* its rk_cuda_kernel */
	const char *const *errors;      /* text of error code c at c - 1;
					 * NULL-ended; may be NULL */
} rk_device_kernel;

typedef struct rk_kernel_desc {
	uint32_t abi_version;           /* RK_PLUGIN_ABI_VERSION */
	uint32_t struct_size;           /* sizeof(rk_kernel_desc) */
	const char *name;
	const char *description;
	const rk_type *input_type;      /* NULL: raw bytes */
	const rk_type *output_type;
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

	/* Optional: the same kernel for the cuda backend; with it, process
	 * must compute what the device function does. */
	const rk_device_kernel *device;

	/* Since the second release (zero in an older plugin's table). */

	/* Optional: called once on the kernel's thread when it is
	 * terminated, after its queue was drained, with the seconds left of
	 * the terminate's timeout (RK_FOREVER: no limit): to stop what the
	 * kernel started (a child process) and emit what that still gives. */
	void (*stop)(rk_ctx *ctx, double timeout);
	uint32_t flags;                 /* RK_KERNEL_* */
	/* Optional: called on the kernel's thread while it is active and
	 * no message waits, at least every RK_IDLE_MS: to emit what comes
	 * from elsewhere (a command's output).  Returns 0, or nonzero after
	 * rk_ctx_error, counted and reported as a failed message. */
	int (*idle)(rk_ctx *ctx);

	/* Since the third release.  Optional: whether the parameters, as
	 * given (defaults not filled in), fit together, where one type
	 * cannot say it (exec needs command or argv): called by validate
	 * and before init.  Returns 0, or nonzero with why in why[cap]. */
	int (*check)(const rk_param *params, char *why, size_t cap);
} rk_kernel_desc;

/* flags: the kernel's flush only checks that nothing is left (it emits
 * nothing when rk_ctx_replicated), so it may have replicas: a kernel
 * with a flush otherwise keeps state across messages and cannot. */
#define RK_KERNEL_REPLICA_SAFE_FLUSH 1u

/* flags: process_batch tells the end of each of its messages, in order,
 * with rk_ctx_batch_done, so that each failure is counted and reported
 * with its own message and the kernel may have replicas (a batch may
 * then be worked on ahead, as a worker process does). */
#define RK_KERNEL_BATCH_TELLS 2u

/* flags: process (or process_batch) may run on a thread other than the
 * kernel's own: where fusion is on (RK_FUSE, libringkernel(3)), the
 * kernel that feeds it runs its batches on its own thread while this
 * one's sleeps, one at a time all the same (no wake-up and no cache line
 * moving between cores per message).  Say so only where the kernel
 * keeps nothing in thread-local storage, always returns (never
 * pthread_exit), takes microseconds a message (what it emits may wait
 * for the end of its batch, at most 64 messages, before the next kernel
 * is woken), and emits at most one message per message it processes. */
#define RK_KERNEL_ANY_THREAD 4u

/* How often, at least, an idle kernel's idle function is called. */
#define RK_IDLE_MS 10

#define RK_KERNEL_DESC_INIT { RK_PLUGIN_ABI_VERSION, sizeof(rk_kernel_desc), \
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, 0, NULL, NULL }

/* A plugin: a shared object exporting one rk_plugin named
 * ringkernel_plugin, listing its kernels.  In one file of the plugin:
 *   static const rk_kernel_desc *const kernels[] = { &doubler, NULL };
 *   RK_PLUGIN("arith", "arithmetic kernels", kernels); */
typedef struct rk_plugin {
	uint32_t abi_version;           /* RK_PLUGIN_ABI_VERSION */
	uint32_t struct_size;           /* sizeof(rk_plugin) */
	const char *name;
	const char *description;
	const rk_kernel_desc *const *kernels;   /* ends with NULL */
} rk_plugin;

#define RK_PLUGIN_SYMBOL "ringkernel_plugin"
#define RK_PLUGIN(plugin_name, plugin_description, kernel_list) \
	__attribute__((visibility("default"))) \
	const rk_plugin ringkernel_plugin = { RK_PLUGIN_ABI_VERSION, \
		(uint32_t)sizeof(rk_plugin), plugin_name, \
		plugin_description, kernel_list }

/* A launch parameter's value, or its declared default, or NULL. */
RK_API const char *rk_ctx_param(rk_ctx *ctx, const char *name);

/* The kernel's state pointer, as set by init. */
RK_API void *rk_ctx_state(rk_ctx *ctx);
RK_API const char *rk_ctx_kernel_id(rk_ctx *ctx);
/* Whether this is one copy of a replicated kernel, whose outputs are
 * put back in input order: then each message must emit exactly what
 * belongs to it, before the next one comes. */
RK_API bool rk_ctx_replicated(rk_ctx *ctx);

/* Emit one message to the kernel's output.  From process, the reply's
 * correlation id is the message's id and its priority the message's.
 * Returns 0, or an rk_error (the message is then counted as dropped
 * where the policy drops, and reported otherwise). */
RK_API rk_error rk_ctx_emit(rk_ctx *ctx, const void *data, size_t len);

/* Say why the current message failed; kept as the kernel's last_error. */
RK_API void rk_ctx_error(rk_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What process_batch does after telling a message done. */
typedef enum rk_batch_next {
	RK_BATCH_GO_ON,                 /* the next message */
	RK_BATCH_FINISH,                /* start no more: tell those started
					 * (a command or terminate waits) */
	RK_BATCH_STOP                   /* return now: the kernel stops */
} rk_batch_next;

/* From the process_batch of a kernel with RK_KERNEL_BATCH_TELLS: the
 * batch's next message (in order, from its first) is done, all it gives
 * emitted (emits before this belong to it: its correlation id and
 * priority); failed 0, or nonzero when it failed (after rk_ctx_error,
 * its last_error); its data must not be read after (its slot may go
 * back, so that the queue holds only what waits).  The messages
 * process_batch does not tell stay queued (given again), or are dropped
 * when the kernel stops (a failure under on_error stop).  A
 * process_batch that tells none of its messages has failed them all. */
RK_API rk_batch_next rk_ctx_batch_done(rk_ctx *ctx, int failed);

/* For persistent main loops (the reference's ctx). */
RK_API rk_error rk_ctx_receive(rk_ctx *ctx, rk_msg *msg, double timeout);
RK_API rk_error rk_ctx_send(rk_ctx *ctx, const void *data, size_t len);
/* Send the reply to the message received last and be done with it:
 * the message is counted as processed and its slot goes back first, so
 * that whoever takes the reply already sees it counted; the reply has
 * its correlation id and priority, as from process.  Nothing held: as
 * rk_ctx_send. */
RK_API rk_error rk_ctx_reply(rk_ctx *ctx, const void *data, size_t len);
RK_API bool rk_ctx_should_terminate(rk_ctx *ctx);
/* For a kernel waiting on something else (a command, a worker process):
 * whether to give up now.  A terminate lets what is queued finish until
 * its timeout; past it, true. */
RK_API bool rk_ctx_must_stop(rk_ctx *ctx);
RK_API bool rk_ctx_is_active(rk_ctx *ctx);
RK_API rk_error rk_ctx_wait_active(rk_ctx *ctx, double timeout);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_PLUGIN_H */
