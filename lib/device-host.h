/* device-host.h - the host's side of the cuda backend, private to the
 * device files (device-backend.c, device-actor.c, device-proxy.c,
 * device-link.c, device-host.c, device-pool.c).  The rest of the
 * library sees device.h; the module rk-cuda.so sees device-backend.h;
 * the protocol between host and device is ringkernel-device.h.
 *
 * In order: the memory pools, the device actor protocol as the host
 * speaks it, the runtime's view of the device, the device actors and
 * the device links between them.
 */
#ifndef RK_DEVICE_HOST_H
#define RK_DEVICE_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device-backend.h"
#include "kernel.h"
#include "ringkernel-device.h"
#include "ringkernel-plugin.h"
#include "ringkernel.h"

/* ---- memory pools (device-pool.c) ---------------------------------- */

/* A fixed block of memory handed out in pieces.
 *
 * Allocating or freeing pinned or device memory may make the CUDA
 * driver wait for the work already on the device, and persistent
 * kernels never finish: so the cuda backend takes its memory in one
 * block before the first kernel starts, and carves device actors and
 * device links out of it (first fit; freed pieces merge with their
 * neighbours).  Offsets, not pointers: the same offset is valid from
 * the host's and from the device's address of the block.
 *
 * Not thread-safe: the caller holds a lock.
 */

typedef struct rk_pool rk_pool;

/* A pool of `bytes`, handing out pieces aligned to `align` (a power of
 * two, the block's own alignment at least); NULL without memory. */
rk_pool *rk_pool_new(size_t bytes, size_t align);
void rk_pool_free(rk_pool *p);

/* A piece of `bytes`: its offset in *offset, or false when no free
 * piece is that large. */
bool rk_pool_get(rk_pool *p, size_t bytes, size_t *offset);

/* Give back the piece at `offset` that rk_pool_get gave for `bytes`. */
void rk_pool_put(rk_pool *p, size_t offset, size_t bytes);

/* Bytes free in all. */
size_t rk_pool_free_bytes(const rk_pool *p);

/* ---- the actor protocol, host side (device-host.c) ----------------- */

/* The host's side of the device actor protocol (ringkernel-device.h):
 * requests confirmed through the command epoch, and batches pushed into
 * and taken from the actor's rings.
 *
 * The device cannot wake a host thread, so the host polls: it spins a
 * little, then sleeps in growing steps.  Every wait gives up early when
 * the device has left its loop and, given a watch (device-watch.c),
 * when the device is lost: its kernel failed (at once, with the CUDA
 * error) or its loop stopped beating for the time-out.  Without a
 * watch (the protocol's own tests) the deadline alone bounds it.
 */

/* A poller's backoff: spin, yield, then sleep up to max_ns. */
typedef struct rk_dev_backoff {
	uint32_t round;
	uint32_t max_ns;
} rk_dev_backoff;

void rk_dev_backoff_wait(rk_dev_backoff *b);

struct rk_device_actor;

/* A wait's watch on a device actor (device-watch.c). */
typedef struct rk_dev_watch {
	struct rk_device_actor *da;     /* NULL: watch nothing */
	uint64_t beat;                  /* the heartbeat last seen */
	uint64_t silent_until;          /* lost if it has not moved by then */
	uint64_t next_look_ns;          /* when to ask the stream again */
} rk_dev_watch;

void rk_dev_watch_begin(rk_dev_watch *w, struct rk_device_actor *da);

/* RK_OK while the device lives; RK_EKERNEL once its kernel has failed,
 * RK_ETIMEDOUT once its loop has been silent for the devices' time-out
 * (either way the actor is lost, and rk_device_why says why). */
rk_error rk_dev_watch_check(rk_dev_watch *w);

/* 1 while the actor's kernel runs, 0 once it has returned, -1 when it
 * failed (why says how, in CUDA's words). */
int rk_device_running(struct rk_device_actor *da, char *why, size_t len);

/* Why a wait on the actor ended with `rc`, for the kernel's error. */
const char *rk_device_why(struct rk_device_actor *da, rk_error rc);

/* Ask the device for `state` (RK_DEV_*) and wait for its
 * acknowledgement.  RK_OK; RK_ETIMEDOUT past the deadline or the
 * watch's time-out; RK_EKERNEL when the device left its loop without
 * acknowledging or its kernel failed. */
rk_error rk_dev_command(rk_dev_actor *a, uint32_t state, uint64_t deadline_ns,
			rk_dev_watch *w);

/* Tell the device to leave its loop at once, whatever is queued. */
static inline void rk_dev_abort(rk_dev_actor *a)
{
	__atomic_fetch_or(&a->cb.command, RK_DEV_ABORT, __ATOMIC_RELEASE);
}

/* Copy up to `n` messages into the input ring, as many as fit now, and
 * publish them together.  Returns how many went in; a message whose
 * size is not the actor's input size is not pushed (the caller checks
 * sizes first). */
uint64_t rk_dev_push(rk_dev_actor *a, const rk_msg *msgs, uint64_t n);

/* Results ready in the output ring now. */
uint64_t rk_dev_results(rk_dev_actor *a);

/* The `i`th ready result (i < rk_dev_results), and giving `n` back. */
rk_slot_header *rk_dev_result(rk_dev_actor *a, uint64_t i);
void rk_dev_release(rk_dev_actor *a, uint64_t n);

/* Wait until at least `n` results are ready: RK_OK, RK_ETIMEDOUT, or
 * RK_EKERNEL when the device left its loop first or failed. */
rk_error rk_dev_wait_results(rk_dev_actor *a, uint64_t n,
			     uint64_t deadline_ns, rk_dev_watch *w);

/* Wait until the input ring has room for `n`: RK_OK, RK_ETIMEDOUT, or
 * RK_EKERNEL as rk_dev_wait_results.  With nothing in flight, this and
 * not a wait for results: the device publishes a batch's results before
 * it gives the batch's input slots back, so a host that took every
 * result may still find the ring full for a moment, and no result
 * would ever come to end its wait. */
rk_error rk_dev_wait_room(rk_dev_actor *a, uint64_t n, uint64_t deadline_ns,
			  rk_dev_watch *w);

/* Wait for the device to leave its loop (after TERMINATED or abort);
 * false past the deadline, or when the watch finds it failed. */
bool rk_dev_wait_finished(rk_dev_actor *a, uint64_t deadline_ns,
			  rk_dev_watch *w);

static inline bool rk_dev_finished(rk_dev_actor *a)
{
	return __atomic_load_n(&a->cb.finished, __ATOMIC_ACQUIRE) != 0;
}

/* A snapshot of the device's counter (the device writes them). */
static inline uint64_t rk_dev_counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_ACQUIRE);
}

/* ---- the device, actors and links (device-backend.c, device-actor.c,
 * device-link.c) ------------------------------------------------------ */

/* Executor batches' worth of messages a kernel's proxy keeps in flight
 * on its device at most (device-window.c), and device rings that hold
 * them: a round trip to the device is paid once per window, not once
 * per batch. */
#define DEVICE_WINDOW 4
#define DEVICE_RING 256
#define DEFAULT_THREADS 128
/* How long a device's loop may go without beating (it beats as each
 * batch starts and ends, and every 64 idle turns) before it counts as
 * lost; RK_DEVICE_TIMEOUT (seconds) says otherwise.  One batch of a
 * kernel function slower than this is taken for a hung device. */
#define DEVICE_TIMEOUT_S 10.0
/* Relaunch mode: batches a launch of the bounded loop does at most
 * before it returns, so that no launch runs near a watchdog's limit
 * (seconds) unless a single batch does. */
#define RELAUNCH_BATCHES 16
/* MiB of pinned memory for device actors, and as much device memory
 * for device links, unless the runtime's options say. */
#define POOL_MB 64

/* What the runtime knows of the device: probed once, on first need. */
struct rk_devices {
	pthread_mutex_t lock;
	bool probed;
	rk_error status;                /* RK_OK: kernels may use it */
	char why[256];                  /* when not */
	bool emulated;
	void *module;                   /* rk-cuda.so */
	const rk_backend_ops *ops;
	rk_device_info info;
	double occupied;                /* multiprocessors taken */
	int kernels;                    /* persistent kernels running */
	double timeout_s;
	uint32_t pool_mb;
	uint32_t window;                /* batches in flight per kernel */
	/* Kernels run a bounded loop, launched per batch (a watchdog). */
	bool relaunch;
	/* On a GPU: the memory taken once, carved for actors and links
	 * (the pools above). */
	struct rk_pool *actor_pool;
	uint8_t *actor_host, *actor_device;
	struct rk_pool *link_pool;
	uint8_t *link_device;
	/* Actors whose device would not stop, left running with their
	 * memory: while there are any, nothing here is freed. */
	struct rk_device_actor **left;
	size_t n_left;
	/* GPU forms loaded before the first kernel started, and of the
	 * plugins registered since (preload_lock; loaded[i] is the form
	 * tried, modules[i] its module or NULL). */
	pthread_mutex_t preload_lock;
	bool preloaded;
	void **modules;
	const rk_device_kernel **loaded;
	size_t n_modules;
};

/* A ring in device memory from one actor's loop to the next's
 * (ringkernel-device.h, "Device links").  Its two actors hold it; the
 * one that lets go last counts what was left on it. */
struct rk_device_link {
	pthread_mutex_t lock;
	uint32_t refs;
	void *ring;                     /* device address */
	size_t bytes;
	struct rk_devices *devices;
	char *from, *to;                /* kernel ids */
	/* Which kernel of that id: a failure that crossed the link is
	 * charged to it, never to a newcomer that took its id since. */
	uint64_t from_serial;
	const rk_device_kernel *from_dk;  /* its errors' texts */
	/* The producer's proxy: slots its device has put on the link, as
	 * the device counted them after the producer's last batch. */
	uint64_t slots_out;
	/* The consumer's executor: its device takes from the link now;
	 * it has stopped, having taken slots_taken. */
	uint32_t consumer_active;
	uint32_t consumer_gone;
	uint64_t slots_taken;
	bool producer_gone;
};

/* How an emulated device loop's thread ended: a thread that exits
 * without returning from the loop is a kernel that trapped. */
enum { RK_EMU_RUNNING, RK_EMU_RETURNED, RK_EMU_FAULTED };

/* A message in flight on the device: what its result is emitted and
 * reported with (the input's slot has gone back by then). */
struct rk_dev_flight {
	uint64_t message_id;
	uint64_t position;              /* in the kernel's input, from 1 */
	uint64_t t0;                    /* its batch's start (the last's) */
	uint32_t batch_n;               /* its batch's size (the last's) */
	uint16_t type_tag;
	uint8_t priority;
	bool last;                      /* its batch's last message */
};

/* A kernel's device actor. */
struct rk_device_actor {
	rk_dev_actor *a;                /* the host's address */
	void *device_address;
	const rk_device_kernel *dk;
	struct rk_devices *devices;
	bool emulated;
	pthread_t thread;               /* emulated */
	char thread_name[16];
	bool thread_started;
	void *stream;                   /* on a GPU */
	void *companion;                /* the kernel's GPU module */
	/* Relaunch mode: what to launch again, and how often it was. */
	const rk_cuda_kernel *ck;
	uint32_t threads;
	uint64_t launches;
	double share;                   /* of a multiprocessor */
	uint32_t followed;              /* the state last confirmed */
	bool lost;
	/* Its kernel failed (the stream says so): it runs no more. */
	bool faulted;
	char fault[200];                /* why it was lost */
	/* Emulated: how the loop's thread ended (RK_EMU_*). */
	int exited;
	size_t pool_offset, pool_bytes; /* its piece of actor_pool */
	/* Device links, set before the first activation of the producer
	 * (link_in: by another thread, hence atomic). */
	struct rk_device_link *link_in;
	struct rk_device_link *link_out;
	uint64_t link_seen;             /* slots from link_in handled */
	bool link_broken;               /* fed no more: input is dropped */
	char link_why[160];             /* why */
	/* The proxy's window (device-window.c): messages pushed and not
	 * yet answered, oldest at flight_tail. */
	struct rk_dev_flight flight[DEVICE_RING];
	uint64_t flight_head, flight_tail;
	/* Watching the device while the executor is between batches and
	 * the window owes results (begun as it stops being empty). */
	rk_dev_watch flight_watch;
	/* A message of the window failed and the kernel stops on errors:
	 * the rest of the window is left (counted dropped at detach). */
	bool stopped;
	/* Telemetry reads the actor's counters from client threads while
	 * the executor may be freeing it. */
	pthread_mutex_t lock;
};

/* The actor's device would not stop: keep it, and all it may use. */
void rk_devices_left_running(struct rk_devices *d,
			     struct rk_device_actor *da);

/* A device link's ring of `bytes` from the runtime's link memory (on a
 * GPU; in emulation, the heap), and back. */
rk_error rk_devices_take_link(struct rk_devices *d, size_t bytes,
			      void **ring);
void rk_devices_give_link(struct rk_devices *d, void *ring, size_t bytes);

/* The text of device error `code` of a kernel (rk_dev_error_code). */
void rk_device_error_text(const rk_device_kernel *dk, int64_t code,
			  char *buf, size_t len);

/* The producer's proxy: run a batch through an actor whose results go
 * over its device link.  Returns the failures. */
int rk_link_run(rk_kernel *k, const rk_msg *msgs, size_t n, size_t offset);

/* The consumer's proxy: a result in the output ring of a message that
 * came over the link (RK_SLOT_LINKED): emit it, or report it failed. */
void rk_link_result(rk_kernel *k, const rk_slot_header *h);

/* The consumer's executor follows state `followed` (RK_DEV_*). */
void rk_link_follow(struct rk_device_actor *da, uint32_t followed);

/* The actor has stopped: let go of its links, counting what they
 * still held as dropped if it is the last to let go. */
void rk_link_detach(rk_kernel *k, struct rk_device_actor *da);

/* ---- a device kernel's operations (rk_device_ops) ------------------ */

/* The actor (device-actor.c). */
/* Stop it and free its memory (the executor, as it ends); what it left
 * unprocessed is counted dropped. */
void rk_device_detach(rk_kernel *k);

/* Detach if need be, and free what is left (kernel destroyed). */
void rk_device_free(rk_kernel *k);

/* The executor applies `state`: pass it on and wait for the device to
 * confirm.  False when the device did not (the kernel has failed). */
bool rk_device_follow(rk_kernel *k, rk_state state);

/* Launching its loop (device-launch.c). */
/* Emulated: start a host thread that runs the loop; false if none. */
bool rk_device_emulated_launch(struct rk_device_actor *da);

/* A device that runs a bounded loop per launch (relaunch mode): launch
 * it again if it has returned and work waits for it (input, a
 * request).  A persistent one: nothing to do. */
void rk_device_kick(struct rk_device_actor *da);

/* The device stopped answering: the executor must stop. */
bool rk_device_lost(const rk_kernel *k);

/* Process a batch on the device; returns how many messages failed. */
int rk_device_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n);

/* The window of batches in flight (device-window.c). */
/* Push a batch into the window, making room by emitting the oldest
 * results first; its messages are counted as their results come.
 * RK_OK, or the error that lost the device (the window's messages are
 * failed then, but for this batch's). */
rk_error rk_window_push(rk_kernel *k, const rk_msg *msgs, size_t n);

/* Emit the results ready now; how many messages they answered.  With
 * none while the window owes some, the device is watched: lost, the
 * window fails. */
size_t rk_window_take(rk_kernel *k);

/* Results of the window are waiting. */
bool rk_window_ready(rk_kernel *k);

/* Emit every result of the window, waiting up to the deadline; what
 * is still in flight then is left to detach. */
void rk_window_flush(rk_kernel *k, uint64_t deadline_ns);

static inline bool rk_window_busy(const struct rk_device_actor *da)
{
	return da->flight_head != da->flight_tail;
}

/* Device links (device-link.c). */
/* A kernel fed over a device link: results wait in its device's output
 * ring; emit them (the number handled); at the end of its input, wait
 * for all that the kernel before put on the link. */
bool rk_device_linked_pending(rk_kernel *k);
size_t rk_device_drain_linked(rk_kernel *k);
void rk_device_link_end(rk_kernel *k);

/* ---- the backend (device-backend.c) -------------------------------- */

struct rk_runtime;

/* The runtime's device, probed on first need; NULL without memory. */
struct rk_devices *rk_devices_probe(struct rk_runtime *rt);

/* The GPU's memory for actors and links, taken the first time a kernel
 * needs some (d->lock held); false and why if it cannot be had. */
bool rk_devices_pools_ready(struct rk_devices *d, char *why, size_t len);

/* Open a kernel's GPU module, beside its plugin file `plugin` (NULL:
 * in-process); NULL, with the reason in rk_errmsg(), if it cannot be.
 * `path` receives the file tried. */
void *rk_device_open_module(const rk_device_kernel *dk, const char *plugin,
			    char *path, size_t len);

/* Every registered kernel's GPU form opened and loaded, once each: as a
 * kernel is launched on a GPU (before the launch takes rt->lock, which
 * must not be held). */
void rk_devices_preload(struct rk_runtime *rt, struct rk_devices *d);

/* Bytes rounded up to whole cache lines (what the pools hand out). */
static inline size_t rk_whole_lines(size_t bytes)
{
	return (bytes + RK_CACHE_LINE - 1) & ~(size_t)(RK_CACHE_LINE - 1);
}

#endif /* RK_DEVICE_HOST_H */
