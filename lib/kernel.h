/* kernel.h - a launched kernel: its control block, ports and executor.
 *
 * The control block is the only channel between the host (API calls)
 * and the executor (the kernel's thread, later a GPU block): two cache
 * lines, every field with exactly one writer.  The host requests a
 * state and bumps the command epoch; the executor applies it between
 * messages and acknowledges the epoch, so a host call that waits for the
 * acknowledgement knows the executor has seen the change.
 */
#ifndef RK_KERNEL_H
#define RK_KERNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "fault.h"
#include "histogram.h"
#include "port.h"
#include "ringkernel.h"

typedef struct rk_control {
	/* Host line: written by API calls (under the kernel's lock). */
	uint32_t requested;             /* rk_state wanted */
	uint32_t epoch;                 /* bumped per command */
	uint64_t drain_deadline_ns;     /* terminate: stop draining then */
	uint8_t pad_host[48];
	/* Executor line: written by the kernel's executor. */
	uint32_t run_state;             /* rk_state applied */
	uint32_t acked_epoch;
	uint32_t finished;              /* the executor has exited */
	uint32_t last_error;            /* rk_error of the last failure */
	uint64_t heartbeat_ns;          /* last time the executor looked */
	uint64_t received;
	uint64_t processed;
	uint64_t sent;
	uint64_t dropped;               /* dropped by the executor itself */
	uint64_t errors;
} rk_control;

_Static_assert(sizeof(rk_control) == 128, "control block is two lines");

struct rk_ctx {
	struct rk_kernel *kernel;
	const rk_msg *current;          /* the message being processed */
	rk_msg held;                    /* main loops: the last received */
	rk_port *held_port;
	int held_band;
	bool holding;
	/* A json kernel emitted what is not JSON: the message it was
	 * processing failed, even where the kernel said it did not. */
	bool emit_refused;
	char error[512];                /* set by rk_ctx_error: room for a
					 * command's stderr (exec) */
};

/* A run of output ports that take turns: one port is an ordinary
 * edge, one per replica feeds a replicated kernel downstream. */
typedef struct rk_out_group {
	size_t first, n;
	size_t next;                    /* the executor's turn */
} rk_out_group;

/* A run of input ports from the replicas of a replicated kernel
 * upstream, read in turn (a marker ends each message's outputs) so that
 * the order of the messages is restored. */
typedef struct rk_in_group {
	size_t first, n;
	size_t cursor;                  /* whose turn it is */
	bool done;                      /* the end came: read freely */
} rk_in_group;

/* What a kernel's executor asks of what processes its messages: the
 * CPU runs the kernel's own functions (executor-cpu.c); a device
 * kernel's executor is the proxy of its device actor (device-proxy.c).
 * Every entry is called on the kernel's thread but release (whoever
 * drops the last reference). */
typedef struct rk_kernel_ops {
	/* Process n messages at once (the executor has set their batch);
	 * returns how many failed.  NULL: the kernel takes its messages
	 * one at a time (process), the executor calling it per message. */
	int (*process_batch)(struct rk_kernel *k, const rk_msg *msgs,
			     size_t n);
	/* Work waiting besides the inputs: parking looks here too. */
	bool (*pending)(struct rk_kernel *k);
	/* Going idle: until when to sleep (UINT64_MAX: until woken), and
	 * how long to spin first. */
	uint64_t (*idle_deadline)(struct rk_kernel *k, uint32_t *spin_ns);
	/* The executor applies `state`: follow it before it is
	 * acknowledged; false where that failed (the kernel is lost). */
	bool (*follow)(struct rk_kernel *k, rk_state state);
	/* Every input has ended (or a drain stops early): take in all
	 * that came besides them. */
	void (*end_of_input)(struct rk_kernel *k);
	/* Handle the work that came besides the inputs; how much. */
	size_t (*drain)(struct rk_kernel *k);
	/* The executor ends: stop processing, count what is left. */
	void (*detach)(struct rk_kernel *k);
	/* Whether processing is lost: the executor must stop. */
	bool (*lost)(const struct rk_kernel *k);
	/* The kernel is destroyed: free what detach left. */
	void (*release)(struct rk_kernel *k);
} rk_kernel_ops;

/* Fields are grouped by who writes them, a cache line apart: clients
 * calling rk_send and rk_receive read the first group on every call,
 * the executor writes its own group per batch. */
typedef struct rk_kernel {
	rk_control cb RK_ALIGNED;
	rk_bell *bell;                  /* the executor sleeps here */
	rk_event ack RK_ALIGNED;        /* the host waits here */

	/* Read-mostly: set at launch, connect or a state change. */
	char *id RK_ALIGNED;
	uint64_t serial;                /* one per kernel ever launched */
	const rk_kernel_desc *desc;     /* the registry's, or own_desc */
	struct rk_adopted_desc *own_desc;
	struct rk_runtime *rt;
	rk_backend backend;
	rk_on_error on_error;
	rk_state host_state;            /* written under lock */
	bool telemetry;
	bool initialized;               /* init succeeded: fini is due */
	bool thread_started;
	bool stuck;                     /* missed a terminate deadline */
	uint32_t spin_ns;
	rk_port *input;                 /* external producers (rk_send) */
	rk_port **inputs;               /* input, then one per upstream */
	size_t n_inputs;
	rk_port *output;                /* read by rk_receive */
	rk_port **outputs;              /* downstream inputs; none: output */
	size_t n_outputs;
	rk_out_group *out_groups;       /* over outputs */
	size_t n_out_groups;
	rk_in_group *in_groups;         /* over inputs */
	size_t n_in_groups;
	int *in_group_of;               /* per input: its group, or -1 */
	/* A replicated kernel is a group without a thread of its own. */
	struct rk_kernel **replicas;
	size_t n_replicas;
	bool emits_markers;             /* a replica: marks each message */
	bool keeps_output;              /* output is also among outputs */
	rk_param *params;               /* as given at launch, NULL-ended */
	const rk_kernel_ops *ops;       /* set before its thread starts */
	struct rk_device_actor *device; /* cuda backend: device-actor.c */
	void *state;
	pthread_t thread;

	/* The executor's own. */
	size_t next_input RK_ALIGNED;   /* round-robin among inputs */
	/* The batch being processed, for a thread that dies within it. */
	rk_port *batch_port;            /* NULL between batches */
	int batch_band;
	uint64_t batch_index;           /* the message being processed */
	uint64_t batch_ok;              /* processed successfully so far */
	uint64_t batch_released;        /* slots given back early */
	uint64_t batch_ok_counted;      /* of batch_ok, counted then */
	uint64_t batch_failed;          /* failed so far (process) */
	uint64_t batch_failed_counted;  /* of those, counted then */
	/* Of the batch process_batch took, those its operations count
	 * themselves as their results come (a device's window). */
	uint64_t batch_in_flight;
	uint64_t batch_now_ns;          /* enqueue time of its output */
	/* A process_batch that tells each message's end (RK_KERNEL_BATCH_
	 * TELLS); batch_index is then the next one to be told. */
	const rk_msg *told_msgs;        /* NULL outside such a batch */
	uint64_t told_n;                /* its messages */
	uint64_t told_position;         /* received before it */
	uint64_t told_t0;               /* the last end, for the latency */
	bool told_stop;                 /* a failure stops the kernel */
	/* In process, or a told batch: outputs pushed but published only
	 * once the message they answer is counted. */
	bool hold_outputs;
	uint64_t held_sent;             /* pushed, not yet published */
	bool linked_batch;              /* emitting what a device link brought */
	bool link_polled;               /* its sleeps are timed: it has a link */
	uint32_t link_poll_ns;          /* how long to sleep before looking again */
	char *convert_buf;              /* an output converted for an edge */
	size_t convert_cap;
	bool end_done;                  /* flushed and passed the end on */
	/* Run by a producer (executor-fuse.c): which one, while it does;
	 * messages a batch may take then (0: RK_BATCH_MAX); outputs whose
	 * consumer this thread may run next are not rung meanwhile. */
	struct rk_kernel *fused_by;
	size_t take_max;
	bool fusing;
	bool seat_open;                 /* its thread: runner set */
	/* A producer running a batch of it saw it stop (its policy) or
	 * fault: its thread ends it (stolen_end, atomic; the guard read
	 * once its thread holds the seat). */
	uint32_t stolen_end;
	rk_fault_guard stolen_fault;
	struct rk_ctx ctx;
	rk_hist latency;
	/* The rate of the last second or so (telemetry on): the executor
	 * starts a window each RK_RATE_WINDOW_NS, keeping the last one's
	 * rate (a double's bits); rk_get_rate reads them. */
	struct {
		uint64_t start_ns;      /* 0: nothing processed yet */
		uint64_t start_count;   /* processed, at start_ns */
		uint64_t last_bits;     /* the last window's rate */
		uint64_t last_ns;       /* of the last message processed */
	} rate;

	/* Every client call takes and drops a reference. */
	uint32_t refs RK_ALIGNED;       /* the table's, plus each caller's */

	/* A group's turns for clients: senders and receivers apart, since
	 * a sender may wait for room that only a receiver makes. */
	pthread_mutex_t send_lock RK_ALIGNED;
	size_t send_next;
	pthread_mutex_t recv_lock RK_ALIGNED;
	size_t recv_next;

	/* Host side, under lock. */
	pthread_mutex_t lock RK_ALIGNED;
	uint64_t launch_ns;
	uint64_t active_since_ns;       /* 0 while not active */
	uint64_t active_ns;             /* active time before active_since */
	rk_terminate_report report;

	pthread_mutex_t error_lock RK_ALIGNED;
	char last_error[128];
} rk_kernel;

/* The executor's view of the host's command, applied and acknowledged. */
rk_state rk_kernel_poll_control(rk_kernel *k);

/* Executor side: record a failure message as last_error. */
void rk_kernel_set_error(rk_kernel *k, rk_error code, const char *msg);

#define RK_RATE_WINDOW_NS 1000000000ull

/* Executor side, with telemetry on: a message processed by `now`. */
void rk_rate_note(rk_kernel *k, uint64_t now);

/* Start the kernel's executor thread, which runs its operations (the
 * CPU's, or the device proxy's). */
rk_error rk_executor_start(rk_kernel *k);

/* A CPU kernel's operations, for its descriptor (executor-cpu.c). */
const rk_kernel_ops *rk_cpu_ops(const rk_kernel_desc *desc);

/* The executor's ports, for the CPU executor and the telemetry. */
static inline rk_port *const *rk_kernel_outputs(rk_kernel *k, size_t *n)
{
	if (k->n_outputs) {
		*n = k->n_outputs;
		return k->outputs;
	}
	*n = 1;
	return &k->output;
}

#endif /* RK_KERNEL_H */
