/* ringkernel.h - the public API of libringkernel.
 *
 * A runtime hosts ring kernels: persistent actors, each with a bounded
 * input queue and a bounded output queue, launched (allocated) and then
 * activated (processing).  Every call returns an rk_error; rk_errmsg()
 * gives the detail of the last failure on the calling thread.
 *
 * Durations are seconds as a double: RK_FOREVER (any negative value)
 * waits without limit, 0 tries once and never blocks.
 */
#ifndef RINGKERNEL_H
#define RINGKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ringkernel-plugin.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum rk_state {
	RK_STATE_LAUNCHED,
	RK_STATE_ACTIVE,
	RK_STATE_DEACTIVATED,
	RK_STATE_TERMINATING,
	RK_STATE_TERMINATED,
	RK_STATE_FAILED
} rk_state;

typedef enum rk_backend {
	RK_BACKEND_AUTO,        /* CUDA where available, else the CPU */
	RK_BACKEND_CPU,
	RK_BACKEND_CUDA
} rk_backend;

/* What a producer does when the queue it writes to is full. */
typedef enum rk_backpressure {
	RK_BP_BLOCK,            /* wait up to the timeout, then RK_EFULL */
	RK_BP_REJECT,           /* RK_EFULL at once */
	RK_BP_DROP_OLDEST,      /* discard the oldest queued message, counted */
	RK_BP_DROP_NEWEST       /* discard the new message, counted */
} rk_backpressure;

/* What a kernel does after its process function fails on a message. */
typedef enum rk_on_error {
	RK_ON_ERROR_CONTINUE,   /* count it, keep last_error, go on */
	RK_ON_ERROR_STOP        /* count it and stop: the kernel is FAILED */
} rk_on_error;

typedef struct rk_runtime rk_runtime;

/* Told about every message a kernel fails on, from the kernel's thread:
 * its id, the message's position in its input (from 1), and why. */
typedef void (*rk_error_hook)(void *arg, const char *kernel,
			      uint64_t message, const char *reason);

/* Told when a kernel's own code faults (after rk_isolate_faults) and the
 * kernel goes FAILED, from the kernel's thread before its state
 * changes: its id, the signal, and the function of the kernel it was
 * in ("process", "process_batch", "flush", "main"; NULL if unknown). */
typedef void (*rk_fault_hook)(void *arg, const char *kernel, int signal,
			      const char *function);

/* Options grow at their end: struct_size, which the _INIT macros set,
 * tells the library how much of a caller's struct there is; a program
 * built against an older header passes its smaller size, and the
 * fields it did not have take their defaults.  Zero means the default
 * in every field. */
typedef struct rk_runtime_options {
	uint32_t struct_size;           /* sizeof(rk_runtime_options) */
	int telemetry;                  /* nonzero: latency and queue telemetry */
	uint32_t default_queue_size;    /* messages per queue; 1000 */
	uint32_t default_max_message;   /* payload bytes per message; 224 */
	rk_backend backend;
	uint32_t spin_ns;               /* busy-wait before parking; 0 = default */
	rk_error_hook on_kernel_error;  /* or NULL */
	void *on_kernel_error_arg;
	rk_fault_hook on_kernel_fault;  /* or NULL */
	void *on_kernel_fault_arg;
	/* The cuda backend (ringctl sets these from RK_CUDA_MODULE,
	 * RK_CUDA_DEVICE, RK_DEVICE_TIMEOUT, RK_CUDA_POOL_MB and
	 * RK_DEVICE_LINKS). */
	const char *cuda_module;        /* the backend module; NULL: the
					 * installed one */
	int cuda_device;                /* the device's ordinal */
	double device_timeout_s;        /* for a device to confirm a state,
					 * return a batch or stop; 0: 10 */
	uint32_t device_pool_mb;        /* pinned host memory for kernels'
					 * rings, and as much device memory
					 * for links; 0: 64 */
	int no_device_links;            /* nonzero: every edge between
					 * device kernels through the host */
} rk_runtime_options;

#define RK_RUNTIME_OPTIONS_INIT { \
	.struct_size = (uint32_t)sizeof(rk_runtime_options), \
	.default_queue_size = 1000, .default_max_message = 224, \
	.backend = RK_BACKEND_AUTO }

typedef struct rk_launch_options {
	uint32_t struct_size;           /* sizeof(rk_launch_options) */
	const char *kernel;             /* registered kernel name; NULL = the id */
	uint32_t queue_size;            /* 0 = the runtime default */
	uint32_t max_message;           /* 0 = the runtime default; at most
					 * RK_MAX_MESSAGE */
	rk_backpressure input_policy;   /* for senders into this kernel */
	rk_backpressure output_policy;  /* for this kernel writing its output */
	rk_on_error on_error;
	rk_backend backend;
	const rk_param *params;         /* NULL-terminated by name == NULL */
	/* Copies of a stateless kernel (one with process, no flush), fed
	 * in turn; what they emit comes out in the order of the input.
	 * 0 or 1: one. */
	uint32_t replicas;
} rk_launch_options;

#define RK_LAUNCH_OPTIONS_INIT { \
	.struct_size = (uint32_t)sizeof(rk_launch_options), \
	.input_policy = RK_BP_BLOCK, .output_policy = RK_BP_BLOCK, \
	.on_error = RK_ON_ERROR_CONTINUE, .backend = RK_BACKEND_AUTO }

/* A message as sent or received, envelope included. */
typedef struct rk_envelope {
	uint64_t message_id;            /* assigned by the runtime */
	uint64_t correlation_id;        /* a reply's: its request's message_id */
	uint64_t enqueue_ns;            /* CLOCK_MONOTONIC when queued */
	uint16_t type_tag;
	uint8_t priority;               /* 0..255, higher first; default 128 */
} rk_envelope;

/* The largest message a queue may be sized for, in bytes. */
#define RK_MAX_MESSAGE (64u << 20)

#define RK_PRIORITY_DEFAULT 128
#define RK_ENVELOPE_INIT { 0, 0, 0, 0, RK_PRIORITY_DEFAULT }

/* Queue telemetry: depth now and the most it ever held. */
typedef struct rk_queue_stats {
	uint64_t depth;
	uint64_t high_water;
	uint64_t capacity;
	uint64_t dropped;
	uint64_t rejected;
} rk_queue_stats;

typedef struct rk_telemetry {
	uint64_t messages_received;     /* taken from the input queue */
	uint64_t messages_processed;    /* process calls that succeeded */
	uint64_t messages_sent;         /* written to the output */
	uint64_t messages_dropped;      /* every drop, on every queue */
	uint64_t errors;
	char last_error[128];
	rk_queue_stats input;
	rk_queue_stats output;
	uint64_t latency_count;         /* latency of process calls, ns */
	uint64_t latency_min_ns;
	uint64_t latency_avg_ns;
	uint64_t latency_p50_ns;
	uint64_t latency_p99_ns;
	uint64_t latency_max_ns;
	double throughput;              /* processed per second while active */
	double uptime_s;                /* since launch */
	rk_state state;
	rk_backend backend;
	/* On the cuda backend (empty and zero elsewhere). */
	char device[64];                /* the device's name */
	uint64_t device_memory_total;   /* bytes; 0: unknown */
	uint64_t device_memory_free;
	uint64_t device_heartbeat;      /* moves while the device loop runs */
	uint64_t device_batches;        /* loop iterations that had work */
	uint32_t device_threads;        /* per block */
	/* From NVML where the driver has it; -1: unknown. */
	int32_t device_utilization;     /* percent of time busy, lately */
	int32_t device_temperature;     /* degrees Celsius */
	int32_t device_power_mw;        /* milliwatts drawn */
	/* Device links (ids; empty: none): where its messages come from
	 * and go to in device memory, not through the host. */
	char device_link_from[64];
	char device_link_to[64];
	/* How the device runs its loop: "persistent", or "relaunch" (a
	 * bounded loop launched per batch, where a watchdog would end a
	 * kernel that runs on). */
	char device_mode[16];
} rk_telemetry;

typedef struct rk_summary {
	uint64_t kernel_count;
	uint64_t active_count;
	uint64_t total_processed;
	uint64_t total_dropped;
	uint64_t total_errors;
	double uptime_s;
	double gpu_utilization;         /* 0..1, or -1 where unknown */
} rk_summary;

/* What terminate did with messages still in the kernel. */
typedef struct rk_terminate_report {
	uint64_t drained;               /* processed while terminating */
	uint64_t dropped_input;         /* left in the input queue */
	uint64_t unread_output;         /* produced but never received */
} rk_terminate_report;

RK_API const char *rk_state_name(rk_state state);
RK_API const char *rk_backend_name(rk_backend backend);
RK_API const char *rk_version(void);

RK_API rk_error rk_runtime_new(const rk_runtime_options *opts, rk_runtime **rt);
/* Terminates every kernel (10 s each), then frees the runtime.  A
 * kernel that does not stop (stuck in its code) may still use the
 * runtime, its device and its plugin: then nothing is freed or
 * unloaded, and the runtime's memory stays allocated for good. */
RK_API void rk_runtime_free(rk_runtime *rt);

/* From now on, a kernel whose own code faults (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL) on its thread fails alone: it goes FAILED, its last error
 * names the signal, the message it was on counts as an error, and the
 * process and the other kernels live on.  The kernel's fini is not
 * called and what it allocated is left behind.  Faults anywhere else
 * (the program's own threads, libringkernel itself) keep their default
 * action.  Installs process-wide signal handlers: for programs that
 * host kernels (ringctl does), called once, early. */
RK_API rk_error rk_isolate_faults(void);

/* abort() and exit() in a kernel's code end the process: they cannot be
 * isolated (glibc aborts on a corrupt heap holding its own lock).  A
 * host can still say whose code it was and clean up.  In an atexit()
 * handler, rk_exiting_kernel() is the id of the kernel whose own code
 * called exit() on this thread, or NULL.  rk_on_kernel_abort installs a
 * SIGABRT handler that calls `hook` with the id of the kernel whose own
 * code aborted (abort(), a failed assert, raise(SIGABRT)), then lets
 * the signal take its default action; the hook runs in a signal
 * handler, so it may call only async-signal-safe functions. */
RK_API const char *rk_exiting_kernel(void);
RK_API rk_error rk_on_kernel_abort(void (*hook)(const char *kernel));

/* Kernels known to this runtime by name (plugins register theirs too). */
RK_API rk_error rk_register_kernel(rk_runtime *rt, const rk_kernel_desc *desc);
RK_API const rk_kernel_desc *rk_find_kernel(rk_runtime *rt, const char *name);

/* Plugins.  rk_load_plugin loads one file and registers its kernels (a
 * name already registered keeps its first kernel).  rk_resolve_kernel
 * finds what a user names: "NAME" (registered, or in the first plugin
 * along search_path, a colon-separated list of directories, that has
 * it), "DIR/x.so" (that plugin's only kernel) or "DIR/x.so:NAME".
 * Not found: RK_ENOTFOUND; a file that cannot be loaded, is not a
 * plugin or has the wrong ABI: RK_EPLUGIN, with dlerror()'s words. */
RK_API rk_error rk_load_plugin(rk_runtime *rt, const char *path,
			const rk_plugin **plugin);
RK_API rk_error rk_resolve_kernel(rk_runtime *rt, const char *spec,
			   const char *search_path, const rk_kernel_desc **kernel);
/* Load every plugin along search_path; each one that fails is passed
 * to `problem` (if not NULL) and skipped. */
typedef void (*rk_plugin_problem_fn)(void *arg, const char *path,
				     const char *reason);
RK_API rk_error rk_load_plugins(rk_runtime *rt, const char *search_path,
			 rk_plugin_problem_fn problem, void *arg);
/* The registered kernels, in registration order: i from 0 while it
 * returns non-NULL; *plugin is the file it came from (NULL: in-process). */
RK_API const rk_kernel_desc *rk_registered_kernel(rk_runtime *rt, size_t i,
					   const char **plugin);

RK_API rk_error rk_launch(rk_runtime *rt, const char *id, const rk_kernel_desc *kernel,
		   const rk_launch_options *opts);
RK_API rk_error rk_activate(rk_runtime *rt, const char *id);
RK_API rk_error rk_deactivate(rk_runtime *rt, const char *id);
RK_API rk_error rk_reactivate(rk_runtime *rt, const char *id);
RK_API rk_error rk_terminate(rk_runtime *rt, const char *id, double timeout);
RK_API rk_error rk_terminate_ex(rk_runtime *rt, const char *id, double timeout,
			 rk_terminate_report *report);
RK_API rk_error rk_terminate_all(rk_runtime *rt, double timeout);
/* As rk_terminate_all, but a kernel that already missed a terminate
 * deadline (it stays TERMINATING: its code never returns) is not waited
 * for again: for a program on its way out. */
RK_API rk_error rk_terminate_all_once(rk_runtime *rt, double timeout);

/* Feed FROM's output into TO's input, as one more producer of TO. */
RK_API rk_error rk_connect(rk_runtime *rt, const char *from, const char *to);
/* Undo rk_connect while both are still LAUNCHED (nothing has gone
 * through); RK_EINVAL where FROM does not feed TO, RK_ECONFIG for the
 * edges of a replicated kernel. */
RK_API rk_error rk_disconnect(rk_runtime *rt, const char *from, const char *to);
/* A kernel that feeds others keeps a copy of its output for receivers
 * too (both LAUNCHED). */
RK_API rk_error rk_keep_output(rk_runtime *rt, const char *id);

RK_API rk_error rk_send(rk_runtime *rt, const char *id, const void *msg, size_t len,
		 double timeout);
RK_API rk_error rk_send_env(rk_runtime *rt, const char *id, rk_envelope *env,
		     const void *msg, size_t len, double timeout);
RK_API rk_error rk_send_batch(rk_runtime *rt, const char *id, const void *const *msgs,
		       const size_t *lens, size_t count, double timeout,
		       size_t *sent);
RK_API rk_error rk_receive(rk_runtime *rt, const char *id, void *buf, size_t cap,
		    size_t *len, double timeout);

/* The same through the kernel's message types: a JSON text decoded by
 * the input type (bad text: RK_ESCHEMA, rk_errmsg() says why), a reply
 * encoded by the output type as compact JSON into buf (too small:
 * RK_ESCHEMA, *len the size needed, the reply stays queued).  Kernels
 * of raw bytes take and give the text as it is. */
RK_API rk_error rk_send_json(rk_runtime *rt, const char *id, const char *json,
		      size_t len, double timeout);
RK_API rk_error rk_receive_json(rk_runtime *rt, const char *id, char *buf, size_t cap,
			 size_t *len, double timeout);

/* End of input: after the messages sent so far, the kernel sees the end
 * of its input, calls its flush (stateful kernels emit what they hold)
 * and passes the end on to the kernels it feeds.  Receiving from a
 * kernel whose output has ended gives RK_EEND once the replies are
 * taken. */
RK_API rk_error rk_send_end(rk_runtime *rt, const char *id, double timeout);
RK_API rk_error rk_receive_env(rk_runtime *rt, const char *id, rk_envelope *env,
			void *buf, size_t cap, size_t *len, double timeout);

/* A kernel looked up once, for a sender or receiver that calls often:
 * rk_send_to and rk_receive_from are rk_send_env and rk_receive_env
 * without the lookup, lock and reference count of each call by id.  A
 * handle keeps the kernel's memory, not the kernel: once terminated it
 * refuses as by id.  Release every handle before rk_runtime_free. */
typedef struct rk_handle rk_handle;
RK_API rk_error rk_handle_get(rk_runtime *rt, const char *id, rk_handle **h);
RK_API void rk_handle_release(rk_handle *h);
RK_API rk_error rk_send_to(rk_handle *h, rk_envelope *env, const void *msg,
			   size_t len, double timeout);
RK_API rk_error rk_receive_from(rk_handle *h, rk_envelope *env, void *buf,
				size_t cap, size_t *len, double timeout);

/* For an event loop that waits for a kernel's output without a thread
 * (Python's asyncio does): rk_output_notify_fd gives the library a
 * non-blocking descriptor to write to (an eventfd, or a pipe's write
 * end; never closed by the library), -1 to take it back: once that
 * returns, the old one is never written again.  rk_output_arm, before
 * each wait: the descriptor is then written once a message is there (or
 * the output is closed), and *ready says whether one is there already
 * (then no wait is needed: receive).  A wake-up may find nothing
 * (another receiver took it): arm and look again. */
RK_API rk_error rk_output_notify_fd(rk_runtime *rt, const char *id, int fd);
RK_API rk_error rk_output_arm(rk_runtime *rt, const char *id, int *ready);

/* Called by rk_receive_batch for each message, valid during the call;
 * return 0 to take it, nonzero to leave it queued and stop. */
typedef int (*rk_receive_fn)(void *arg, const rk_envelope *env,
			     const void *data, size_t len);

/* Wait up to the timeout for a message, then hand every ready one (up
 * to max) to fn without copying; *count says how many were taken. */
RK_API rk_error rk_receive_batch(rk_runtime *rt, const char *id, size_t max,
			  double timeout, rk_receive_fn fn, void *arg,
			  size_t *count);

/* A receiver took `count` messages from the kernel's output that then
 * never reached their reader (it went away): count them as dropped by
 * the kernel, with `why` in its last error, so that none is lost
 * without a count. */
RK_API rk_error rk_receive_lost(rk_runtime *rt, const char *id, uint64_t count,
			 const char *why);

/* JSON text <-> messages of a type (the codec, simdjson inside).
 *
 * rk_json_decode parses one JSON value of `len` bytes; `readable` says
 * how many bytes at `json` may be read (at least len; with
 * RK_JSON_PADDING more, nothing is copied).  A typed message must be an
 * object with exactly the type's fields, each of its type and range; a
 * json message must be one valid value and is kept as its text.  On
 * failure RK_ESCHEMA, and rk_errmsg() says why ("missing field
 * 'value'").  *out_len is the message size (also when it does not fit
 * in cap: RK_ESCHEMA). */
#define RK_JSON_PADDING 64
RK_API rk_error rk_json_decode(const rk_type *type, const char *json, size_t len,
			size_t readable, void *out, size_t cap,
			size_t *out_len);
/* rk_json_decode with flags: RK_JSON_IGNORE_UNKNOWN passes over fields
 * of an object that its type does not have (they must still be JSON),
 * where rk_json_decode refuses them. */
#define RK_JSON_IGNORE_UNKNOWN 1u
RK_API rk_error rk_json_decode_flags(const rk_type *type, const char *json,
				     size_t len, size_t readable,
				     unsigned flags, void *out, size_t cap,
				     size_t *out_len);
/* Compact JSON of a message, without a newline; *out_len the bytes
 * written, or needed when cap is too small (RK_ESCHEMA). */
RK_API rk_error rk_json_encode(const rk_type *type, const void *msg, size_t len,
			char *out, size_t cap, size_t *out_len);
/* Largest JSON text a message of this type can encode to; 0 for json
 * (its text is its size). */
RK_API size_t rk_json_max_encoded(const rk_type *type);


/* JSON lines in: text pushed in pieces of any size (a file's blocks, a
 * client's frames) is cut into lines, each line decoded for every
 * target's input type (once per distinct type) and gathered into
 * batches, which `deliver` hands on (to rk_send_batch, typically).
 * Blank lines are skipped.  A bad line (not its type's JSON, longer
 * than max_line, or bigger decoded than a target takes) is reported as
 * "SOURCE:LINE: why": it ends the reading, with what came before it
 * delivered (RK_ESCHEMA, rk_errmsg() says it), or with `skip` it is
 * counted and passed over.  Nothing is kept between calls but a line
 * cut by the end of a piece; nothing is copied from a piece that has
 * RK_JSON_PADDING readable bytes past its end. */
typedef struct rk_jsonl_reader rk_jsonl_reader;

/* Hand a batch of target `target` on; *taken says how many went in (on
 * failure too).  Anything but RK_OK ends the reading with that error. */
typedef rk_error (*rk_jsonl_deliver_fn)(void *arg, size_t target,
					const void *const *msgs,
					const size_t *lens, size_t count,
					size_t *taken);

typedef struct rk_jsonl_reader_options {
	uint32_t struct_size;           /* sizeof(rk_jsonl_reader_options) */
	size_t max_line;                /* bytes; 0: 1 MiB */
	uint32_t batch;                 /* messages a batch; 0: 256 */
	int skip;                       /* nonzero: count bad lines, go on */
	rk_jsonl_deliver_fn deliver;
	void *deliver_arg;
	/* Told of each bad line ("SOURCE:LINE: why") as it is found; or
	 * NULL. */
	void (*on_bad_line)(void *arg, const char *what);
	void *on_bad_line_arg;
	unsigned json_flags;            /* rk_json_decode_flags's */
} rk_jsonl_reader_options;

#define RK_JSONL_READER_OPTIONS_INIT { \
	.struct_size = (uint32_t)sizeof(rk_jsonl_reader_options) }

RK_API rk_error rk_jsonl_reader_new(const rk_jsonl_reader_options *o,
				    rk_jsonl_reader **reader);
RK_API void rk_jsonl_reader_free(rk_jsonl_reader *r);
/* Where the lines go, in the order of their target numbers from 0: a
 * name for messages, the input type (NULL: raw bytes, as they are) and
 * the largest message it takes (0: any). */
RK_API rk_error rk_jsonl_reader_target(rk_jsonl_reader *r, const char *name,
				       const rk_type *type,
				       size_t max_message);
/* The lines that follow come from `name` (for "NAME:LINE"), counted
 * from 1 again. */
RK_API void rk_jsonl_reader_source(rk_jsonl_reader *r, const char *name);
/* A piece of text; `readable` bytes at data may be read (at least
 * len).  Whole lines are decoded, and each full batch delivered. */
RK_API rk_error rk_jsonl_reader_push(rk_jsonl_reader *r, const char *data,
				     size_t len, size_t readable);
/* Deliver the batch gathered so far (input that pauses should not hold
 * back the lines before it). */
RK_API rk_error rk_jsonl_reader_flush(rk_jsonl_reader *r);
/* The end of the source: its last line may lack a newline; then flush. */
RK_API rk_error rk_jsonl_reader_end(rk_jsonl_reader *r);

typedef struct rk_jsonl_account {
	uint64_t lines;                 /* read, of every source */
	uint64_t delivered;             /* messages every target took */
	uint64_t skipped;               /* bad lines passed over */
	int partial;                    /* a line was cut and not ended */
	char bad[512];                  /* the last bad line: SOURCE:LINE:
					 * why; or "" */
} rk_jsonl_account;

RK_API void rk_jsonl_reader_account(const rk_jsonl_reader *r,
				    rk_jsonl_account *account);

/* JSON lines out: messages of a type (an rk_receive_fn, for
 * rk_receive_batch) encoded as compact JSON lines (inside their
 * envelope with `envelope`), gathered and handed to `write` when
 * flushed or once `flush_at` bytes are gathered.  Without `write` the
 * lines are only gathered (a round to send as one): a message that
 * would pass flush_at then stays queued. */
typedef struct rk_jsonl_writer rk_jsonl_writer;

/* Write the text; nonzero stops (the message stays queued). */
typedef int (*rk_jsonl_write_fn)(void *arg, const char *text, size_t len);

typedef struct rk_jsonl_writer_options {
	uint32_t struct_size;           /* sizeof(rk_jsonl_writer_options) */
	int envelope;
	size_t flush_at;                /* bytes; 0: 1 MiB */
	rk_jsonl_write_fn write;        /* or NULL */
	void *write_arg;
} rk_jsonl_writer_options;

#define RK_JSONL_WRITER_OPTIONS_INIT { \
	.struct_size = (uint32_t)sizeof(rk_jsonl_writer_options) }

RK_API rk_error rk_jsonl_writer_new(const rk_type *type,
				    const rk_jsonl_writer_options *o,
				    rk_jsonl_writer **writer);
RK_API void rk_jsonl_writer_free(rk_jsonl_writer *w);
/* One message as a line: an rk_receive_fn (arg is the writer). */
RK_API int rk_jsonl_writer_take(void *writer, const rk_envelope *env,
				const void *data, size_t len);
/* Hand what is gathered to `write`; RK_EINVAL without one. */
RK_API rk_error rk_jsonl_writer_flush(rk_jsonl_writer *w);
/* What is gathered and not yet written, and forgetting it. */
RK_API const char *rk_jsonl_writer_text(const rk_jsonl_writer *w,
					size_t *len);
RK_API void rk_jsonl_writer_clear(rk_jsonl_writer *w);
/* Lines taken so far. */
RK_API uint64_t rk_jsonl_writer_lines(const rk_jsonl_writer *w);

/* As rk_receive_batch, for the end of a pipeline: once a kernel of the
 * runtime has failed (its output cannot end then), the call does not
 * wait but gives RK_EKERNEL, rk_errmsg() naming the first kernel that
 * failed and why; a wait ends as soon as one fails.  What is ready is
 * taken first. */
RK_API rk_error rk_receive_pipeline(rk_runtime *rt, const char *id,
				    size_t max, double timeout,
				    rk_receive_fn fn, void *arg,
				    size_t *count);

/* Code from a file: loaded only where no other user could have written
 * it (every directory and link of its path from / is ours or root's
 * and writable by no one else unless sticky, the file too; see
 * SECURITY in ringctl(1)), and the very file checked is loaded: the way
 * the library loads plugins, GPU modules and backends, for a host's own
 * modules.  *handle as dlopen(path, flags) gives it; RK_ENOTFOUND where
 * a name is missing, RK_EPLUGIN when refused or not loadable. */
RK_API rk_error rk_module_open(const char *path, int flags, void **handle);
/* dlclose for rk_module_open's handles. */
RK_API void rk_module_close(void *handle);

/* Every module's table (a plugin's, the CUDA backend's, a GPU form's,
 * the MPI transport's) starts with these two fields: the version of the
 * interface it was built for, and its own size. */
typedef struct rk_module_header {
	uint32_t abi_version;
	uint32_t struct_size;
} rk_module_header;

/* *table: the table `symbol` of a module rk_module_open gave, once its
 * header says version `abi` and at least `min_size` bytes.  Else
 * RK_EPLUGIN, naming path and what the module should be ("a CUDA
 * backend"). */
RK_API rk_error rk_module_table(void *handle, const char *path,
				const char *what, const char *symbol,
				uint32_t abi, size_t min_size,
				const void **table);

/* Topologies: a graph of kernels with stdin and stdout at its ends,
 * from a YAML file (ringctl-topology(5)) or an inline pipeline
 * 'a | b | c'.  Every problem found is passed to the diagnostic
 * callback with where it is ("FILE:LINE:COLUMN", 1-based) and what it
 * is; the call then fails with RK_ECONFIG.  Checking resolves the
 * kernels along a plugin search path and checks parameters, message
 * types on every edge, cycles and reachability. */
typedef struct rk_topology rk_topology;
typedef void (*rk_diag_fn)(void *arg, const char *where, const char *what);

RK_API rk_error rk_topology_load(const char *path, rk_diag_fn diag, void *arg,
			  rk_topology **topology);
RK_API rk_error rk_topology_parse(const char *text, size_t len, const char *name,
			   rk_diag_fn diag, void *arg, rk_topology **topology);
/* An inline pipeline resolves its kernels at once (as
 * rk_resolve_kernel) and names its stages after them: doubler,
 * doubler.2, ... */
RK_API rk_error rk_topology_inline(const char *pipeline, rk_runtime *rt,
			    const char *search_path, rk_topology **topology);
/* A parameter from outside (--param KERNEL.KEY=VALUE); NULL kernel: the
 * only kernel. */
RK_API rk_error rk_topology_set_param(rk_topology *t, const char *kernel,
			       const char *name, const char *value);
RK_API rk_error rk_topology_check(rk_topology *t, rk_runtime *rt,
			   const char *search_path, rk_diag_fn diag, void *arg);
/* Launch, wire and activate every kernel of a checked topology; `o`
 * gives what the topology leaves unsaid.  rk_topology_launch only
 * launches and wires (phase 1), leaving what reaches stdout to be
 * received from each kernel that sends there (a long-lived topology in
 * a server, whose ends are clients). */
RK_API rk_error rk_topology_start(rk_topology *t, rk_runtime *rt,
			   const rk_launch_options *o);
RK_API rk_error rk_topology_launch(rk_topology *t, rk_runtime *rt,
			    const rk_launch_options *o);
RK_API void rk_topology_free(rk_topology *t);
/* The topology as a Graphviz digraph (DOT text, for the caller to
 * free): a box per kernel (id; kernel, backend, replicas), stdin and
 * stdout, each edge labelled with the policy of the queue it fills and
 * drawn bold where both ends are placed on the GPU (a device link).
 * Checked first (rk_topology_check), the kernels' names are known. */
RK_API char *rk_topology_dot(rk_topology *t);

/* Placement across MPI ranks (a kernel's `rank:` key; ringctl-topology(5)).
 * stdin and stdout are on rank 0, as is a kernel that says nothing. */
RK_API uint32_t rk_topology_rank(const rk_topology *t, const char *id);
/* Every kernel's rank is below world_size; else RK_ECONFIG, with a
 * diagnostic at each rank that is not. */
RK_API rk_error rk_topology_check_ranks(rk_topology *t, uint32_t world_size,
				 rk_diag_fn diag, void *arg);
/* The edges, in the order of the file: ids, "stdin" or "stdout". */
RK_API size_t rk_topology_edge_count(const rk_topology *t);
RK_API void rk_topology_edge(const rk_topology *t, size_t i, const char **from,
		      const char **to);
/* Run only this rank's part: rk_topology_start then launches the
 * kernels placed on rank `here` and the edges between them, calls
 * `wire` once they are launched and before any is activated (to link
 * the edges that cross ranks), and activates them.  On rank 0 standard
 * output is then always read from the stdout sink. */
typedef rk_error (*rk_wiring_fn)(void *arg, rk_topology *t, rk_runtime *rt);
RK_API rk_error rk_topology_place(rk_topology *t, uint32_t here, rk_wiring_fn wire,
			   void *arg);
/* The id the topology gives its stdout sink (a kernel of its own). */
#define RK_TOPOLOGY_SINK "stdout"

/* From now on the kernel's input from clients (rk_send) counts toward
 * its end of input even before anything is sent: for a producer that is
 * elsewhere, so that the kernel's other inputs ending cannot end it. */
RK_API rk_error rk_expect_input(rk_runtime *rt, const char *id);

RK_API const char *rk_topology_name(const rk_topology *t);
RK_API int rk_topology_telemetry(const rk_topology *t);        /* -1: unsaid */
/* What its `unknown_fields` says of fields a typed kernel's input lacks
 * in lines from stdin: 0 refuse, 1 ignore (RK_JSON_IGNORE_UNKNOWN), -1
 * unsaid. */
RK_API int rk_topology_unknown_fields(const rk_topology *t);
RK_API size_t rk_topology_size(const rk_topology *t);          /* kernels */
RK_API const char *rk_topology_kernel(const rk_topology *t, size_t i,
			       const rk_kernel_desc **desc);
/* What standard input feeds (ids; their input types from the kernels)
 * and the one kernel whose output goes to standard output. */
RK_API size_t rk_topology_inputs(const rk_topology *t, const char *const **ids);
RK_API const rk_type *rk_topology_input_type(const rk_topology *t, size_t i);
RK_API const char *rk_topology_output(const rk_topology *t);
RK_API const rk_type *rk_topology_output_type(const rk_topology *t);

/* What a launched kernel is: its descriptor (name, types, plugin's
 * entries) and its copies. */
typedef struct rk_kernel_info {
	const rk_kernel_desc *desc;
	uint32_t replicas;              /* 0: one */
	rk_state state;
	rk_backend backend;
	char last_error[128];           /* why it failed last, or "" */
	uint32_t max_message;           /* the largest message its input
					 * takes, in bytes */
} rk_kernel_info;

RK_API rk_error rk_get_kernel_info(rk_runtime *rt, const char *id,
			    rk_kernel_info *info);

RK_API rk_error rk_get_state(rk_runtime *rt, const char *id, rk_state *state);
/* Ids, sorted; the caller frees the array with rk_free_ids. */
RK_API rk_error rk_kernel_ids(rk_runtime *rt, char ***ids, size_t *count);
RK_API rk_error rk_active_kernels(rk_runtime *rt, char ***ids, size_t *count);
RK_API void rk_free_ids(char **ids, size_t count);
/* The kernels this one feeds (rk_connect, or a topology's edges), by
 * id, sorted; free with rk_free_ids. */
RK_API rk_error rk_kernel_feeds(rk_runtime *rt, const char *id, char ***ids,
				size_t *count);
RK_API rk_error rk_get_telemetry(rk_runtime *rt, const char *id, rk_telemetry *out);
/* Messages processed per second lately, over the last second or so
 * (throughput, in rk_telemetry, is the average over the kernel's active
 * life): what `stats` shows, as top does.  A kernel that has processed
 * nothing for a second is at 0.  RK_ENODATA without telemetry. */
RK_API rk_error rk_get_rate(rk_runtime *rt, const char *id, double *per_second);
/* The latency of the kernel's process calls (telemetry on) in the
 * caller's n rising bounds: cumulative[i] calls took at most le_ns[i]
 * (as Prometheus's le buckets count; the library's own buckets are 9%
 * wide, and one that straddles a bound counts toward the next), with
 * the sum of all latencies and their count (the +Inf bucket). */
RK_API rk_error rk_get_latency_histogram(rk_runtime *rt, const char *id,
					 const uint64_t *le_ns, size_t n,
					 uint64_t *cumulative,
					 uint64_t *sum_ns, uint64_t *count);
RK_API rk_error rk_get_summary(rk_runtime *rt, rk_summary *out);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_H */
