/* ringkernel-device.h - a kernel run by a device: the memory the host and
 * the device share, and the persistent loop the device runs.
 *
 * An actor is one block of memory with no host pointers in it: the
 * control block, the configuration, the kernel's parameters, then the
 * input ring and the output ring at fixed offsets.  Allocated in pinned
 * mapped host memory it means the same to a CPU thread and to a GPU
 * block, so one protocol serves both: nvcc compiles the loop below as
 * the body of a persistent __global__ function (one block per actor),
 * gcc compiles the very same loop for a host thread that stands in for
 * the device in the tests and in emulation.
 *
 * The host's side is a proxy (lib/device-proxy.c): it pushes a batch of input
 * messages into the input ring, and takes the batch's results from the
 * output ring, one output slot per input slot and in the same order.
 * A slot whose message failed carries RK_SLOT_FAILED and the kernel's
 * error code as its type tag.
 *
 * Device links.  When one device kernel is the only consumer of
 * another's output, the two loops share a ring in device memory: the
 * actor before writes every result there instead of its output ring,
 * the actor after takes from it besides its own input ring, and the
 * messages never cross to the host between them.  Slots stay one per
 * message all along: a message the actor before failed travels on as
 * a SKIP slot (its input slot, which the host reads, says why) or, if
 * it came over a link itself, as a FAILED notice that the host reads
 * from the last actor's output ring.  Messages that came over a link
 * are counted in the control block's link line, since no host proxy
 * sees them go in.
 *
 * Control block, as lib/kernel.h's: every field has one writer.  The
 * host writes `requested` then bumps the epoch in `command`; the device
 * applies the state between batches and acknowledges the epoch, so a
 * host that has seen the acknowledgement knows the device has stopped
 * (or started) processing.  TERMINATED asks the device to leave its
 * loop: it sets `finished` as its last store.  The abort bit of
 * `command` makes it leave at once, for a host that gave up waiting.
 * Epoch and abort share one word so that the loop learns both from one
 * read across PCIe.
 *
 * What a loop iteration costs a GPU (the latency that matters): it
 * reads the command word, the input ring's head and, when short of
 * room, the output ring's tail, all three issued before any is used
 * (one PCIe round trip, not three), with one acquire fence only when
 * one of them moved; the block copies a batch's input slots into
 * shared memory with all its threads (wide, coalesced reads), runs the
 * kernel's function there (its read-modify-write work stays on chip),
 * copies the results out with plain stores, and thread 0 publishes
 * them with one release fence per batch.  The host's form keeps an
 * acquire or release on each of those accesses instead: free on x86,
 * and what ThreadSanitizer understands.
 */
#ifndef RINGKERNEL_DEVICE_H
#define RINGKERNEL_DEVICE_H

#include "ringkernel-plugin.h"
#include "ringkernel-ring.h"

#if defined(__CUDACC__)
# define RK_DEV_FN __host__ __device__ static inline
# define RK_HD __host__ __device__
#else
# include <sched.h>
# include <time.h>
# define RK_DEV_FN static inline
# define RK_HD
#endif

/* Where the loop runs: a block of threads on a GPU, one host thread
 * elsewhere. */
#if defined(__CUDA_ARCH__)
# define RK_DEV_TID ((uint32_t)threadIdx.x)
# define RK_DEV_NTHREADS ((uint32_t)blockDim.x)
# define RK_DEV_SYNC() __syncthreads()
# define RK_DEV_ATOMIC_ADD(p, v) atomicAdd((unsigned long long *)(p), \
					   (unsigned long long)(v))
#elif !defined(RK_DEV_TID)
/* One host thread, unless the includer stands in for a block of them:
 * tests/unit/test-device-block.c defines all four first, with host
 * threads and a barrier. */
# define RK_DEV_TID 0u
# define RK_DEV_NTHREADS 1u
# define RK_DEV_SYNC() ((void)0)
# define RK_DEV_ATOMIC_ADD(p, v) (*(p) += (v))
#endif

/* Between a batch's results and its input slots given back: nothing,
 * unless a test widens the moment (test-device-block: a host that took
 * every result may find the ring still full, and must wait for room,
 * not for results that will never come). */
#ifndef RK_DEV_AFTER_RESULTS
# define RK_DEV_AFTER_RESULTS() ((void)0)
#endif

#define RK_DEVICE_ABI 4
#define RK_DEVICE_MAGIC 0x524b4441u    /* "RKDA" */
#define RK_DEVICE_PARAMS_MAX 256        /* bytes of kernel parameters */

/* Slot flags of device rings (ringkernel-ring.h owns 0x01 and 0x02).
 * FAILED: the message failed, its error code, whole, in the first 8
 * bytes of its payload (rk_dev_error_code; type_tag keeps only its low
 * 16 bits); in a
 * notice that crossed device links, length counts the actors it
 * crossed after the one that failed.  LINKED: in an output ring, the
 * result of a message that came over the device link, not from the
 * host's pushes.  SKIP: a message that failed before and was reported
 * there; it keeps its place, one slot per message all along. */
#define RK_SLOT_FAILED 0x04u
#define RK_SLOT_LINKED 0x08u
#define RK_SLOT_SKIP 0x10u

/* The device's states, the values of rk_state. */
enum {
	RK_DEV_LAUNCHED = 0,
	RK_DEV_ACTIVE = 1,
	RK_DEV_DEACTIVATED = 2,
	RK_DEV_TERMINATED = 4
};

/* The command word: the abort bit above the epoch's 31 bits. */
#define RK_DEV_ABORT 0x80000000u
#define RK_DEV_EPOCH(command) ((command) & ~RK_DEV_ABORT)

typedef struct rk_dev_control {
	/* Host line. */
	uint32_t requested;             /* RK_DEV_* wanted */
	uint32_t command;               /* epoch, bumped per request, and
					 * RK_DEV_ABORT: leave now, whatever
					 * is queued */
	uint32_t pad_host[14];
	/* Device line. */
	uint32_t run_state;             /* RK_DEV_* applied */
	uint32_t acked_epoch;
	uint32_t finished;              /* the loop has returned */
	uint32_t threads;               /* the loop's width, for stats */
	uint64_t heartbeat;             /* moves while the loop runs */
	uint64_t received;              /* messages taken from input */
	uint64_t processed;             /* succeeded */
	uint64_t errors;                /* failed */
	uint64_t batches;
	uint64_t pad_device;
	/* Device line: messages that came over a device link (from the
	 * actor before, not from the host) and slots that went out over
	 * one (to the actor after). */
	uint64_t link_received;         /* messages taken from the link */
	uint64_t link_processed;        /* of them, succeeded */
	uint64_t link_errors;           /* of them, failed */
	uint64_t link_slots_in;         /* slots taken, notices included */
	uint64_t link_slots_out;        /* slots written to the next actor */
	uint64_t link_sent;             /* of them, results */
	uint64_t pad_link[2];
} rk_dev_control;

typedef struct rk_dev_actor {
	rk_dev_control cb;
	/* Set by the host before the loop starts; read-only after. */
	uint32_t magic;                 /* RK_DEVICE_MAGIC */
	uint32_t abi;                   /* RK_DEVICE_ABI */
	uint32_t in_size;               /* bytes of an input message */
	uint32_t out_size;              /* bytes of an output message */
	uint32_t batch_max;             /* messages per loop iteration */
	uint32_t idle_active_ns;        /* longest idle sleep when active */
	uint32_t idle_paused_ns;        /* and when not */
	/* 0: the loop is persistent.  Otherwise it is launched anew for
	 * each batch, where a GPU cannot keep a kernel running (a display
	 * watchdog, no mapped host memory): it returns after this many
	 * batches, or as soon as it finds nothing to do. */
	uint32_t bounded;
	uint64_t in_offset;             /* input ring, from the actor */
	uint64_t out_offset;            /* output ring, from the actor */
	uint64_t bytes;                 /* the whole block */
	/* Device links: rings in device memory between two actors, at
	 * device addresses (0: none).  link_out is set before the first
	 * ACTIVE request; link_in may come later: the loop looks for it
	 * while its host input is empty. */
	uint64_t link_in;               /* the ring the actor before fills */
	uint64_t link_out;              /* the ring of the actor after */
	uint8_t pad_config[56];
	uint8_t params[RK_DEVICE_PARAMS_MAX];
} rk_dev_actor;

#if !defined(__CUDACC__)
_Static_assert(sizeof(rk_dev_control) == 192, "control is three lines");
_Static_assert(sizeof(rk_dev_actor) % RK_CACHE_LINE == 0, "lines apart");
#endif

/* A FAILED slot's error code (see RK_SLOT_FAILED).  Every slot has room
 * for it: slots are whole cache lines, the header half of one. */
RK_DEV_FN int64_t rk_dev_error_code(const rk_slot_header *h)
{
	return *(const int64_t *)(h + 1);
}

#if !defined(__CUDACC__)
_Static_assert(sizeof(rk_slot_header) + sizeof(int64_t) <= RK_CACHE_LINE,
	       "a slot has room for an error code");
#endif

RK_DEV_FN rk_ring *rk_dev_in(rk_dev_actor *a)
{
	return (rk_ring *)((uint8_t *)a + a->in_offset);
}

RK_DEV_FN rk_ring *rk_dev_out(rk_dev_actor *a)
{
	return (rk_ring *)((uint8_t *)a + a->out_offset);
}

/* Bytes of an actor whose rings hold `capacity` messages; 0 if none
 * can exist. */
RK_DEV_FN size_t rk_dev_actor_bytes(uint64_t capacity, uint32_t in_size,
				    uint32_t out_size)
{
	size_t in = rk_ring_bytes(capacity, rk_ring_slot_size(in_size));
	size_t out = rk_ring_bytes(capacity, rk_ring_slot_size(out_size));

	if (!in || !out)
		return 0;
	return sizeof(rk_dev_actor) + in + out;
}

/* Lay an actor out in `bytes` of zeroed, 64-byte aligned memory.  The
 * ring indices start at `start` (tests use values near UINT64_MAX). */
RK_DEV_FN void rk_dev_actor_init(rk_dev_actor *a, size_t bytes,
				 uint64_t capacity, uint32_t in_size,
				 uint32_t out_size, uint64_t start)
{
	uint32_t in_slot = rk_ring_slot_size(in_size);

	a->magic = RK_DEVICE_MAGIC;
	a->abi = RK_DEVICE_ABI;
	a->in_size = in_size;
	a->out_size = out_size;
	a->batch_max = capacity > 1024 ? 1024 : (uint32_t)capacity;
	a->idle_active_ns = 1000;
	a->idle_paused_ns = 100000;
	a->bytes = bytes;
	a->in_offset = sizeof(rk_dev_actor);
	a->out_offset = a->in_offset + rk_ring_bytes(capacity, in_slot);
	a->cb.run_state = RK_DEV_LAUNCHED;
	a->cb.requested = RK_DEV_LAUNCHED;
	rk_ring_init(rk_dev_in(a), capacity, in_slot, start);
	rk_ring_init(rk_dev_out(a), capacity, rk_ring_slot_size(out_size),
		     start);
}

/* ---- the device's side ------------------------------------------- */

/* One ring as the loop sees it: slots and shape copied once, the index
 * it owns, and its cached view of the other side's. */
typedef struct rk_dev_view {
	rk_ring *ring;
	uint8_t *slots;
	uint64_t mask;
	uint64_t capacity;
	uint64_t mine;                  /* tail of an input, head of an output */
	uint64_t seen;                  /* the other end's index, last read */
	uint32_t slot_size;
	uint32_t pad;
} rk_dev_view;

/* Shared memory a loop stages its batches in: the input slots and the
 * result slots of up to RK_DEV_STAGE_MSGS messages, within
 * RK_DEV_STAGE_MAX bytes.  Where fewer than RK_DEV_STAGE_MIN messages'
 * slots would fit (0), the loop works in place, in the rings, one
 * message per thread: a chunk of a few large messages would leave most
 * of the block idle (scale's 4 KiB vectors: 3 at a time). */
#define RK_DEV_STAGE_MAX 32768u
#define RK_DEV_STAGE_MSGS 128u
#define RK_DEV_STAGE_MIN 32u
#define RK_DEV_SLOT_BYTES(T) \
	((sizeof(rk_slot_header) + sizeof(T) + RK_CACHE_LINE - 1) \
	 / RK_CACHE_LINE * RK_CACHE_LINE)
#define RK_DEV_STAGE_FIT(IN, OUT) \
	(RK_DEV_STAGE_MAX / (RK_DEV_SLOT_BYTES(IN) + RK_DEV_SLOT_BYTES(OUT)))
#define RK_DEV_STAGE_CHUNK(IN, OUT) \
	(RK_DEV_STAGE_FIT(IN, OUT) < RK_DEV_STAGE_MIN ? 0 \
	 : RK_DEV_STAGE_FIT(IN, OUT) < RK_DEV_STAGE_MSGS \
	 ? RK_DEV_STAGE_FIT(IN, OUT) : RK_DEV_STAGE_MSGS)
#define RK_DEV_STAGE_BYTES(IN, OUT) \
	(RK_DEV_STAGE_CHUNK(IN, OUT) \
	 * (RK_DEV_SLOT_BYTES(IN) + RK_DEV_SLOT_BYTES(OUT)))

/* Why the loop leaves: asked to stop (it sets `finished`), or a
 * bounded loop's launch is over (it will be launched again). */
#define RK_DEV_LEAVE_STOP 1
#define RK_DEV_LEAVE_BOUND 2

/* The unit of the staging copies: 16 bytes a thread on a GPU. */
#if defined(__CUDA_ARCH__)
typedef uint4 rk_dev_word;
#else
typedef uint64_t rk_dev_word;
#endif

/* The device's own state, in shared memory on a GPU (on the stack of
 * the host thread): the configuration copied once, and every index and
 * counter only the device writes.  The actor's memory is pinned host
 * memory, a PCIe round trip away from a GPU, so the loop reads there
 * only what the host writes (the command word, the input ring's head,
 * the output ring's tail, the messages) and writes there, posted, what
 * the host must see. */
typedef struct rk_dev_shared {
	rk_dev_view in, out;            /* the host's rings */
	rk_dev_view link_in, link_out;  /* device links; ring NULL: none */
	uint32_t batch_max, idle_active_ns, idle_paused_ns;
	uint32_t run_state;             /* as applied */
	uint32_t acked_epoch;
	uint32_t command;               /* the command word, last read */
	uint32_t turn;                  /* host input and link alternate */
	uint32_t stage_bytes;           /* of shared memory to stage in */
	/* Counters, stored to the control block after each batch. */
	uint64_t received, processed, errors, batches, beats;
	uint64_t link_received, link_processed, link_errors;
	uint64_t link_slots_in, link_slots_out, link_sent;
	/* This iteration: n messages from src into dst, chunk at a time
	 * (staged: through shared memory, results at stage_out). */
	rk_dev_view *src, *dst;
	uint64_t n;
	uint64_t chunk;
	uint64_t stage_out;
	uint64_t failed;                /* of them */
	uint64_t passed;                /* notices passed on */
	uint64_t idle_ns;               /* current backoff */
	int leave;                      /* RK_DEV_LEAVE_* */
	int staged;
	uint32_t bounded;               /* batches left in a bounded launch */
	uint32_t pad_bounded;
	uint8_t linked_tag;             /* RK_SLOT_LINKED or 0 */
	uint8_t pad[7];
	uint64_t params[RK_DEVICE_PARAMS_MAX / 8];
} rk_dev_shared;

/* Loads and stores of what the host shares, at system scope, with the
 * ordering each needs.  PEEK and PUBLISH are the loop's reads and
 * writes of the ring indices, the command word and the counters: on a
 * GPU relaxed, ordered by one fence for all of them (ACQUIRE_FENCE
 * after the reads, RELEASE_FENCE before the writes); on the host each
 * an acquire or a release, so that ThreadSanitizer, which does not
 * model fences, sees the same order. */
#if defined(__CUDACC__)
# define RK_DEV_ACQUIRE cuda::memory_order_acquire
# define RK_DEV_RELEASE cuda::memory_order_release
# define RK_DEV_RELAXED cuda::memory_order_relaxed
# define RK_DEV_LOAD(T, p, o) \
	cuda::atomic_ref<T, cuda::thread_scope_system>(*(p)).load(o)
# define RK_DEV_STORE(T, p, v, o) \
	cuda::atomic_ref<T, cuda::thread_scope_system>(*(p)).store((v), (o))
#else
# define RK_DEV_ACQUIRE __ATOMIC_ACQUIRE
# define RK_DEV_RELEASE __ATOMIC_RELEASE
# define RK_DEV_RELAXED __ATOMIC_RELAXED
# define RK_DEV_LOAD(T, p, o) __atomic_load_n((p), (o))
# define RK_DEV_STORE(T, p, v, o) __atomic_store_n((p), (v), (o))
#endif
#if defined(__CUDA_ARCH__)
# define RK_DEV_PEEK(T, p) RK_DEV_LOAD(T, p, RK_DEV_RELAXED)
# define RK_DEV_PUBLISH(T, p, v) RK_DEV_STORE(T, p, v, RK_DEV_RELAXED)
# define RK_DEV_ACQUIRE_FENCE() \
	cuda::atomic_thread_fence(cuda::memory_order_acquire, \
				  cuda::thread_scope_system)
# define RK_DEV_RELEASE_FENCE() \
	cuda::atomic_thread_fence(cuda::memory_order_release, \
				  cuda::thread_scope_system)
#else
# define RK_DEV_PEEK(T, p) RK_DEV_LOAD(T, p, RK_DEV_ACQUIRE)
# define RK_DEV_PUBLISH(T, p, v) RK_DEV_STORE(T, p, v, RK_DEV_RELEASE)
# define RK_DEV_ACQUIRE_FENCE() ((void)0)
# define RK_DEV_RELEASE_FENCE() ((void)0)
#endif

RK_DEV_FN uint32_t rk_dev_load32(uint32_t *p)
{
	return RK_DEV_LOAD(uint32_t, p, RK_DEV_ACQUIRE);
}

RK_DEV_FN void rk_dev_store32(uint32_t *p, uint32_t v)
{
	RK_DEV_STORE(uint32_t, p, v, RK_DEV_RELEASE);
}

/* A heartbeat: it orders nothing, so it costs no system-wide fence,
 * only a posted write. */
RK_DEV_FN void rk_dev_beat(uint64_t *p, uint64_t v)
{
	RK_DEV_STORE(uint64_t, p, v, RK_DEV_RELAXED);
}

RK_DEV_FN void rk_dev_idle(rk_dev_shared *s, uint32_t max_ns)
{
	s->idle_ns = s->idle_ns ? s->idle_ns * 2 : 64;
	if (s->idle_ns > max_ns)
		s->idle_ns = max_ns;
#if defined(__CUDA_ARCH__)
	__nanosleep((unsigned)s->idle_ns);
#else
	if (s->idle_ns < 4096) {
		sched_yield();          /* the next look is soon */
		return;
	}
	struct timespec ts = { 0, (long)s->idle_ns };
	nanosleep(&ts, NULL);
#endif
}

/* See ring r as its consumer (input) or its producer (output). */
RK_DEV_FN void rk_dev_view_open(rk_dev_view *v, rk_ring *r, int input)
{
	v->ring = r;
	v->slots = (uint8_t *)(r + 1);
	v->mask = r->mask;
	v->capacity = r->capacity;
	v->slot_size = r->slot_size;
	if (input) {
		v->mine = rk_load_acquire(&r->tail);
		v->seen = v->mine;
	} else {
		v->mine = rk_load_acquire(&r->head);
		v->seen = rk_load_acquire(&r->tail);
	}
}

RK_DEV_FN rk_slot_header *rk_dev_view_slot(rk_dev_view *v, uint64_t i)
{
	return (rk_slot_header *)(v->slots + ((v->mine + i) & v->mask)
				  * v->slot_size);
}

/* Messages ready in a link's view, reading the producer's index only
 * when what was seen is used up.  (Links are in device memory: a read
 * there is cheap.) */
RK_DEV_FN uint64_t rk_dev_ready(rk_dev_view *v)
{
	if (!v->ring)
		return 0;
	if (v->seen == v->mine)
		v->seen = rk_load_acquire(&v->ring->head);
	return v->seen - v->mine;
}

/* Room in a link's view for `want`, reading the consumer's index only
 * when what was seen is not enough. */
RK_DEV_FN uint64_t rk_dev_room(rk_dev_view *v, uint64_t want)
{
	uint64_t room = v->capacity - (v->mine - v->seen);

	if (room < want) {
		v->seen = rk_load_acquire(&v->ring->tail);
		room = v->capacity - (v->mine - v->seen);
	}
	return room;
}

/* Thread 0, once: copy the configuration and the starting indices. */
RK_DEV_FN void rk_dev_start_thread0(rk_dev_actor *a, rk_dev_shared *s,
				    uint32_t threads, uint32_t stage_bytes)
{
	rk_dev_view_open(&s->in, rk_dev_in(a), 1);
	rk_dev_view_open(&s->out, rk_dev_out(a), 0);
	s->link_in.ring = NULL;
	s->link_out.ring = NULL;
	s->batch_max = a->batch_max;
	s->idle_active_ns = a->idle_active_ns;
	s->idle_paused_ns = a->idle_paused_ns;
	s->run_state = a->cb.run_state;
	s->acked_epoch = a->cb.acked_epoch;
	s->command = RK_DEV_ABORT | s->acked_epoch;
	s->turn = 0;
	s->stage_bytes = stage_bytes;
	s->received = a->cb.received;
	s->processed = a->cb.processed;
	s->errors = a->cb.errors;
	s->batches = a->cb.batches;
	s->beats = a->cb.heartbeat;
	s->link_received = a->cb.link_received;
	s->link_processed = a->cb.link_processed;
	s->link_errors = a->cb.link_errors;
	s->link_slots_in = a->cb.link_slots_in;
	s->link_slots_out = a->cb.link_slots_out;
	s->link_sent = a->cb.link_sent;
	s->idle_ns = 0;
	s->leave = 0;
	s->bounded = a->bounded;
	s->n = 0;
	for (uint32_t i = 0; i < RK_DEVICE_PARAMS_MAX / 8; i++)
		s->params[i] = ((const uint64_t *)a->params)[i];
	rk_dev_store32(&a->cb.threads, threads);    /* the host reads it */
}

/* Thread 0: take up the device links the host has set: the one out
 * with a request (it comes before the first activation), the one in
 * also now and then, since it may come later. */
RK_DEV_FN void rk_dev_find_links(rk_dev_actor *a, rk_dev_shared *s,
				 int with_request)
{
	uint64_t addr;

	if (with_request && !s->link_out.ring
	    && (addr = rk_load_acquire(&a->link_out)))
		rk_dev_view_open(&s->link_out, (rk_ring *)addr, 0);
	if (!s->link_in.ring && (addr = rk_load_acquire(&a->link_in)))
		rk_dev_view_open(&s->link_in, (rk_ring *)addr, 1);
}

/* Thread 0: how the batch goes through shared memory, `chunk` messages
 * at a time, or in place when too few messages' slots fit. */
RK_DEV_FN void rk_dev_plan_stage(rk_dev_shared *s)
{
	uint64_t per = (uint64_t)s->src->slot_size + s->dst->slot_size;
	uint64_t chunk = s->stage_bytes / per;

	if (chunk > RK_DEV_STAGE_MSGS)
		chunk = RK_DEV_STAGE_MSGS;
	if (chunk < RK_DEV_STAGE_MIN)
		chunk = 0;
	s->staged = chunk > 0;
	s->chunk = chunk ? chunk : s->n;
	s->stage_out = chunk * s->src->slot_size;
}

/* Thread 0: apply a new request, see what input there is and room for
 * its results, and decide the batch.  Every thread then reads the
 * decision from s. */
RK_DEV_FN void rk_dev_begin_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;
	rk_dev_view *in = &s->in, *out = &s->out;

	/* A bounded launch that is over (rk_dev_end_thread0). */
	if (s->leave)
		return;
	/* The reads across PCIe, all issued before any is used: one round
	 * trip, and one fence only when something moved. */
	uint32_t command = RK_DEV_PEEK(uint32_t, &cb->command);
	uint64_t head = in->seen == in->mine
		? RK_DEV_PEEK(uint64_t, &in->ring->head) : in->seen;
	uint64_t tail = out->capacity - (out->mine - out->seen) < s->batch_max
		? RK_DEV_PEEK(uint64_t, &out->ring->tail) : out->seen;
	if (command != s->command || head != in->seen || tail != out->seen)
		RK_DEV_ACQUIRE_FENCE();
	s->command = command;
	in->seen = head;
	out->seen = tail;
	if (RK_DEV_EPOCH(command) != s->acked_epoch) {
		s->run_state = cb->requested;
		s->acked_epoch = RK_DEV_EPOCH(command);
		if (s->run_state == RK_DEV_ACTIVE)
			rk_dev_find_links(a, s, 1);
		cb->run_state = s->run_state;
		rk_dev_store32(&cb->acked_epoch, s->acked_epoch);
		s->idle_ns = 0;
	}
	s->n = 0;
	s->failed = 0;
	s->passed = 0;
	if ((command & RK_DEV_ABORT) || s->run_state == RK_DEV_TERMINATED) {
		s->leave = RK_DEV_LEAVE_STOP;
		return;
	}
	if (s->run_state != RK_DEV_ACTIVE)
		return;
	/* Every 64th look: one read of host memory, busy or not. */
	if (!s->link_in.ring && (s->beats & 63) == 0)
		rk_dev_find_links(a, s, 0);
	uint64_t from_host = in->seen - in->mine;
	uint64_t from_link = rk_dev_ready(&s->link_in);
	/* Both waiting: take turns, so that neither starves the other. */
	int link = from_link && (!from_host || (s->turn ^= 1));
	uint64_t ready = link ? from_link : from_host;
	if (!ready)
		return;
	s->src = link ? &s->link_in : &s->in;
	s->dst = s->link_out.ring ? &s->link_out : &s->out;
	s->linked_tag = link && !s->link_out.ring ? RK_SLOT_LINKED : 0;
	uint64_t room = s->dst == out
		? out->capacity - (out->mine - out->seen)
		: rk_dev_room(s->dst, ready);
	uint64_t n = ready < room ? ready : room;
	s->n = n < s->batch_max ? n : s->batch_max;
	rk_dev_plan_stage(s);
	/* A beat as each batch starts: a host waiting for this batch
	 * hears the loop alive until the kernel's function stalls. */
	if (s->n)
		rk_dev_beat(&cb->heartbeat, ++s->beats);
}

/* Thread 0, after the block's barrier: hand the batch's results over,
 * its input back, and tell the counters; or, with nothing done, wait a
 * little. */
RK_DEV_FN void rk_dev_end_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;

	if (++s->beats % 64 == 0)
		rk_dev_beat(&cb->heartbeat, s->beats);
	/* Bounded: nothing to do, or its batches done, ends the launch
	 * (at the next look, where every thread reads the decision). */
	if (s->bounded && (s->n == 0 || --s->bounded == 0))
		s->leave = RK_DEV_LEAVE_BOUND;
	if (s->n == 0) {
		if (!s->leave)
			rk_dev_idle(s, s->run_state == RK_DEV_ACTIVE
				       ? s->idle_active_ns
				       : s->idle_paused_ns);
		return;
	}
	s->idle_ns = 0;
	uint64_t messages = s->n - s->passed;
	uint64_t ok = messages - s->failed;
	/* One fence for the batch: every thread's results and its reads
	 * of the input (the barrier came between) before anything the
	 * host acts on.  Results first: a host that sees the input gone
	 * may look for them at once. */
	RK_DEV_RELEASE_FENCE();
	s->dst->mine += s->n;
	RK_DEV_PUBLISH(uint64_t, &s->dst->ring->head, s->dst->mine);
	RK_DEV_AFTER_RESULTS();
	/* What went on over the link before what was taken from one: a
	 * host that sees all taken then counts all passed on. */
	if (s->dst == &s->link_out) {
		s->link_slots_out += s->n;
		s->link_sent += ok;
		RK_DEV_PUBLISH(uint64_t, &cb->link_slots_out,
			       s->link_slots_out);
		RK_DEV_PUBLISH(uint64_t, &cb->link_sent, s->link_sent);
	}
	if (s->src == &s->in) {
		s->received += messages;
		s->processed += ok;
		s->errors += s->failed;
		RK_DEV_PUBLISH(uint64_t, &cb->received, s->received);
		RK_DEV_PUBLISH(uint64_t, &cb->processed, s->processed);
		RK_DEV_PUBLISH(uint64_t, &cb->errors, s->errors);
	} else {
		s->link_slots_in += s->n;
		s->link_received += messages;
		s->link_processed += ok;
		s->link_errors += s->failed;
		RK_DEV_PUBLISH(uint64_t, &cb->link_slots_in, s->link_slots_in);
		RK_DEV_PUBLISH(uint64_t, &cb->link_received, s->link_received);
		RK_DEV_PUBLISH(uint64_t, &cb->link_processed,
			       s->link_processed);
		RK_DEV_PUBLISH(uint64_t, &cb->link_errors, s->link_errors);
	}
	s->batches++;
	RK_DEV_PUBLISH(uint64_t, &cb->batches, s->batches);
	/* A host's counters between host rings need no order of their
	 * own (telemetry); a link's do (above): a second fence there. */
	if (s->dst == &s->link_out || s->src != &s->in)
		RK_DEV_RELEASE_FENCE();
	s->src->mine += s->n;
	RK_DEV_PUBLISH(uint64_t, &s->src->ring->tail, s->src->mine);
}

/* All threads: copy slots [first, first + m) of the batch between view
 * v and the stage, neighbouring threads taking neighbouring words, so
 * that a warp moves whole lines across PCIe. */
RK_DEV_FN void rk_dev_stage_copy(rk_dev_view *v, uint64_t first, uint64_t m,
				 uint8_t *stage, int to_stage)
{
	uint32_t words = v->slot_size / (uint32_t)sizeof(rk_dev_word);
	uint32_t total = (uint32_t)m * words;

	for (uint32_t w = RK_DEV_TID; w < total; w += RK_DEV_NTHREADS) {
		uint32_t i = w / words;
		rk_dev_word *ring = (rk_dev_word *)rk_dev_view_slot(v, first + i)
			+ (w - i * words);
		rk_dev_word *st = (rk_dev_word *)stage + w;
		if (to_stage)
			*st = *ring;
		else
			*ring = *st;
	}
}

/* A slot that failed before: passed on as it is, a notice one actor
 * further from where it failed. */
RK_DEV_FN void rk_dev_pass_on(rk_dev_shared *s, const rk_slot_header *in,
			      rk_slot_header *out)
{
	*out = *in;
	out->flags = (uint8_t)(in->flags | s->linked_tag);
	if (in->flags & RK_SLOT_FAILED) {
		out->length = in->length + 1;
		*(int64_t *)(out + 1) = *(const int64_t *)(in + 1);
	}
	RK_DEV_ATOMIC_ADD(&s->passed, 1);
}

/* A message the kernel's function failed with error `rc` (an int,
 * kept whole: a code cut to 16 bits would name another error).  Going on
 * over a link, a message from the host is reported in its input slot
 * (`in`, in the ring: the stage is not copied back), where the host
 * looks, and leaves a SKIP; any other becomes a notice (or, in the
 * output ring, the failed result the host expects). */
RK_DEV_FN void rk_dev_failed(rk_dev_shared *s, rk_slot_header *in,
			     rk_slot_header *out, int rc)
{
	out->length = 0;
	out->type_tag = (uint16_t)rc;
	*(int64_t *)(out + 1) = rc;
	if (s->dst == &s->link_out && s->src == &s->in) {
		in->type_tag = (uint16_t)rc;
		*(int64_t *)(in + 1) = rc;
		in->flags = RK_SLOT_FAILED;
		out->flags = RK_SLOT_SKIP;
	} else {
		out->flags = (uint8_t)(RK_SLOT_FAILED | s->linked_tag);
	}
	RK_DEV_ATOMIC_ADD(&s->failed, 1);
}

/* Message i of the chunk at `first`: its input and result slots, in the
 * stage or in the rings. */
RK_DEV_FN rk_slot_header *rk_dev_in_slot(rk_dev_shared *s, uint8_t *stage,
					 uint64_t first, uint64_t i)
{
	if (!s->staged)
		return rk_dev_view_slot(s->src, first + i);
	return (rk_slot_header *)(stage + i * s->src->slot_size);
}

RK_DEV_FN rk_slot_header *rk_dev_out_slot(rk_dev_shared *s, uint8_t *stage,
					  uint64_t first, uint64_t i)
{
	if (!s->staged)
		return rk_dev_view_slot(s->dst, first + i);
	return (rk_slot_header *)(stage + s->stage_out
				  + i * s->dst->slot_size);
}

/* One message: run the kernel's function and fill its result slot. */
#define RK_DEV_ONE(s, stage, first, i, IN, OUT, P, FN) do { \
	rk_slot_header *rk_in_ = rk_dev_in_slot((s), (stage), (first), (i)); \
	rk_slot_header *rk_out_ = rk_dev_out_slot((s), (stage), (first), \
						  (i)); \
	if (rk_in_->flags & (RK_SLOT_FAILED | RK_SLOT_SKIP)) { \
		rk_dev_pass_on((s), rk_in_, rk_out_); \
		break; \
	} \
	int rk_rc_ = FN((const IN *)(rk_in_ + 1), (OUT *)(rk_out_ + 1), \
			(const P *)(s)->params); \
	rk_out_->message_id = rk_in_->message_id; \
	rk_out_->correlation_id = rk_in_->message_id; \
	rk_out_->enqueue_ns = rk_in_->enqueue_ns; \
	rk_out_->priority = rk_in_->priority; \
	if (rk_rc_) { \
		rk_dev_failed((s), rk_dev_view_slot((s)->src, (first) + (i)), \
			      rk_out_, rk_rc_); \
	} else { \
		rk_out_->length = (uint32_t)sizeof(OUT); \
		rk_out_->type_tag = 0; \
		rk_out_->flags = (s)->linked_tag; \
	} \
} while (0)

/* The loop of a kernel whose device function is
 *   RK_HD int FN(const IN *in, OUT *out, const P *params);
 * returning 0, or a nonzero error code (an int) for a message that
 * failed: code i names the kernel's errors[i - 1].
 * Defines `void NAME(rk_dev_actor *a, rk_dev_shared *s, uint8_t *stage)`;
 * every thread of the block calls it with the same s and the same
 * RK_DEV_STAGE_BYTES(IN, OUT) of stage (shared memory on a GPU, 16-byte
 * aligned).  Each batch goes through the stage a chunk at a time: in,
 * processed, out, a barrier after each step.  Persistent, it returns
 * once asked to stop; bounded (the actor's `bounded`), also as soon as
 * it finds nothing to do, or after that many batches. */
#define RK_DEVICE_LOOP(NAME, IN, OUT, P, FN) \
RK_DEV_FN void NAME(rk_dev_actor *a, rk_dev_shared *s, uint8_t *stage) \
{ \
	if (RK_DEV_TID == 0) \
		rk_dev_start_thread0(a, s, RK_DEV_NTHREADS, \
				     (uint32_t)RK_DEV_STAGE_BYTES(IN, OUT)); \
	for (;;) { \
		if (RK_DEV_TID == 0) \
			rk_dev_begin_thread0(a, s); \
		RK_DEV_SYNC(); \
		if (s->leave) \
			break; \
		for (uint64_t c = 0; c < s->n; c += s->chunk) { \
			uint64_t m = s->n - c < s->chunk ? s->n - c : s->chunk; \
			/* (No stage at all: no copying code.) */ \
			if (RK_DEV_STAGE_BYTES(IN, OUT) && s->staged) { \
				rk_dev_stage_copy(s->src, c, m, stage, 1); \
				RK_DEV_SYNC(); \
			} \
			for (uint64_t i = RK_DEV_TID; i < m; \
			     i += RK_DEV_NTHREADS) \
				RK_DEV_ONE(s, stage, c, i, IN, OUT, P, FN); \
			RK_DEV_SYNC(); \
			if (RK_DEV_STAGE_BYTES(IN, OUT) && s->staged) { \
				rk_dev_stage_copy(s->dst, c, m, \
						  stage + s->stage_out, 0); \
				RK_DEV_SYNC(); \
			} \
		} \
		if (RK_DEV_TID == 0) \
			rk_dev_end_thread0(a, s); \
		RK_DEV_SYNC(); \
	} \
	if (RK_DEV_TID == 0 && s->leave == RK_DEV_LEAVE_STOP) \
		rk_dev_store32(&a->cb.finished, 1); \
}

/* A kernel without parameters takes these. */
typedef struct rk_dev_none {
	uint8_t none;
} rk_dev_none;

/* A kernel's GPU form, exported by a module built with nvcc (see
 * ringkernel-cuda.h, RK_CUDA_KERNEL).  Plain C: the host's runtime,
 * which never links CUDA, reads it too. */
typedef struct rk_cuda_kernel {
	uint32_t abi;                   /* RK_DEVICE_ABI */
	uint32_t struct_size;           /* sizeof(rk_cuda_kernel) */
	const char *name;
	uint32_t in_size;
	uint32_t out_size;
	/* Launch the persistent loop, one block of `threads`, on `stream`
	 * (a cudaStream_t); returns a cudaError_t. */
	int (*launch)(rk_dev_actor *device_actor, uint32_t threads,
		      void *stream);
	/* How many of its blocks fit on one multiprocessor at once. */
	int (*blocks_per_sm)(uint32_t threads, int *blocks);
} rk_cuda_kernel;

#if !defined(__CUDACC__)
/* In the plugin's C source: the kernel's device form, the loop compiled
 * for the host and where its GPU form is.  NAME is the kernel's name;
 * the GPU module defines rk_cuda_NAME with RK_CUDA_KERNEL(NAME, ...).
 *   RK_DEVICE_KERNEL(doubler, struct in, struct out, rk_dev_none,
 *                    double_one, "doubler-cuda", doubler_errors);
 * declares `static const rk_device_kernel doubler_device`. */
# define RK_DEVICE_KERNEL(NAME, IN, OUT, P, FN, MODULE, ERRORS) \
	RK_DEVICE_LOOP(NAME##_device_loop, IN, OUT, P, FN) \
	static void NAME##_device_host_loop(struct rk_dev_actor *a) \
	{ \
		rk_dev_shared s; \
		_Alignas(RK_CACHE_LINE) uint8_t \
			stage[RK_DEV_STAGE_BYTES(IN, OUT) + 1]; \
		NAME##_device_loop(a, &s, stage); \
	} \
	static const rk_device_kernel NAME##_device = { \
		RK_PLUGIN_ABI_VERSION, (uint32_t)sizeof(rk_device_kernel), \
		(uint32_t)sizeof(IN), (uint32_t)sizeof(OUT), \
		(uint32_t)sizeof(P), 0, NAME##_device_host_loop, MODULE, \
		"rk_cuda_" #NAME, ERRORS }
#endif

#endif /* RINGKERNEL_DEVICE_H */
