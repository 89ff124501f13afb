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
 * host writes `requested` then bumps `epoch`; the device applies the
 * state between batches and acknowledges the epoch, so a host that has
 * seen the acknowledgement knows the device has stopped (or started)
 * processing.  TERMINATED asks the device to leave its loop: it sets
 * `finished` as its last store.  `abort` makes it leave at once, for a
 * host that gave up waiting.
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
/* A thread's result slots reach the host before thread 0 publishes. */
# define RK_DEV_FENCE() __threadfence_system()
#elif !defined(RK_DEV_TID)
/* One host thread, unless the includer stands in for a block of them:
 * tests/unit/test-device-block.c defines all five first, with host
 * threads and a barrier. */
# define RK_DEV_FENCE() ((void)0)
# define RK_DEV_TID 0u
# define RK_DEV_NTHREADS 1u
# define RK_DEV_SYNC() ((void)0)
# define RK_DEV_ATOMIC_ADD(p, v) (*(p) += (v))
#endif

#define RK_DEVICE_ABI 3
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

typedef struct rk_dev_control {
	/* Host line. */
	uint32_t requested;             /* RK_DEV_* wanted */
	uint32_t epoch;                 /* bumped per request */
	uint32_t abort;                 /* leave now, whatever is queued */
	uint32_t pad_host[13];
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
	uint32_t pad_config0;
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

/* The device's own state, in shared memory on a GPU (on the stack of
 * the host thread): the configuration copied once, and every index and
 * counter only the device writes.  The actor's memory is pinned host
 * memory, a PCIe round trip away from a GPU, so the loop reads there
 * only what the host writes (the command epoch, the input ring's head,
 * the output ring's tail, the messages) and writes there, posted, what
 * the host must see. */
typedef struct rk_dev_shared {
	rk_dev_view in, out;            /* the host's rings */
	rk_dev_view link_in, link_out;  /* device links; ring NULL: none */
	uint32_t batch_max, idle_active_ns, idle_paused_ns;
	uint32_t run_state;             /* as applied */
	uint32_t acked_epoch;
	uint32_t turn;                  /* host input and link alternate */
	/* Counters, stored to the control block after each batch. */
	uint64_t received, processed, errors, batches, beats;
	uint64_t link_received, link_processed, link_errors;
	uint64_t link_slots_in, link_slots_out, link_sent;
	/* This iteration: n messages from src into dst. */
	rk_dev_view *src, *dst;
	uint64_t n;
	uint64_t failed;                /* of them */
	uint64_t passed;                /* notices passed on */
	uint64_t idle_ns;               /* current backoff */
	int leave;
	uint8_t linked_tag;             /* RK_SLOT_LINKED or 0 */
	uint8_t pad[3];
	uint64_t params[RK_DEVICE_PARAMS_MAX / 8];
} rk_dev_shared;

/* Loads and stores of what the host shares, at system scope, with the
 * ordering each needs. */
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

/* Messages ready in an input view, reading the producer's index only
 * when what was seen is used up. */
RK_DEV_FN uint64_t rk_dev_ready(rk_dev_view *v)
{
	if (!v->ring)
		return 0;
	if (v->seen == v->mine)
		v->seen = rk_load_acquire(&v->ring->head);
	return v->seen - v->mine;
}

/* Room in an output view for `want`, reading the consumer's index only
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
				    uint32_t threads)
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
	s->turn = 0;
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

/* Thread 0: apply a new request, see what input there is and room for
 * its results, and decide the batch.  Every thread then reads the
 * decision from s. */
RK_DEV_FN void rk_dev_begin_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;
	uint32_t epoch = rk_dev_load32(&cb->epoch);
	uint32_t abort_now = rk_dev_load32(&cb->abort);

	if (epoch != s->acked_epoch) {
		s->run_state = cb->requested;
		s->acked_epoch = epoch;
		if (s->run_state == RK_DEV_ACTIVE)
			rk_dev_find_links(a, s, 1);
		cb->run_state = s->run_state;
		rk_dev_store32(&cb->acked_epoch, epoch);
		s->idle_ns = 0;
	}
	s->n = 0;
	s->failed = 0;
	s->passed = 0;
	if (abort_now || s->run_state == RK_DEV_TERMINATED) {
		s->leave = 1;
		return;
	}
	if (s->run_state != RK_DEV_ACTIVE)
		return;
	/* Every 64th look: one read of host memory, busy or not. */
	if (!s->link_in.ring && (s->beats & 63) == 0)
		rk_dev_find_links(a, s, 0);
	uint64_t from_host = rk_dev_ready(&s->in);
	uint64_t from_link = rk_dev_ready(&s->link_in);
	/* Both waiting: take turns, so that neither starves the other. */
	int link = from_link && (!from_host || (s->turn ^= 1));
	uint64_t ready = link ? from_link : from_host;
	if (!ready)
		return;
	s->src = link ? &s->link_in : &s->in;
	s->dst = s->link_out.ring ? &s->link_out : &s->out;
	s->linked_tag = link && !s->link_out.ring ? RK_SLOT_LINKED : 0;
	uint64_t room = rk_dev_room(s->dst, ready);
	uint64_t n = ready < room ? ready : room;
	s->n = n < s->batch_max ? n : s->batch_max;
	/* A beat as each batch starts: a host waiting for this batch
	 * hears the loop alive until the kernel's function stalls. */
	if (s->n)
		rk_dev_beat(&cb->heartbeat, ++s->beats);
}

/* Thread 0: hand the batch's results over, its input back, and tell the
 * counters; or, with nothing done, wait a little. */
RK_DEV_FN void rk_dev_end_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;

	if (++s->beats % 64 == 0)
		rk_store_release(&cb->heartbeat, s->beats);
	if (s->n == 0) {
		rk_dev_idle(s, s->run_state == RK_DEV_ACTIVE
			       ? s->idle_active_ns : s->idle_paused_ns);
		return;
	}
	s->idle_ns = 0;
	uint64_t messages = s->n - s->passed;
	uint64_t ok = messages - s->failed;
	/* Results first: a host that sees the input gone may look for
	 * them at once.  Then the counters, which a host that saw the
	 * input gone reads. */
	s->dst->mine += s->n;
	rk_store_release(&s->dst->ring->head, s->dst->mine);
	/* What went on over the link before what was taken from one: a
	 * host that sees all taken then counts all passed on. */
	if (s->dst == &s->link_out) {
		s->link_slots_out += s->n;
		s->link_sent += ok;
		rk_store_release(&cb->link_slots_out, s->link_slots_out);
		rk_store_release(&cb->link_sent, s->link_sent);
	}
	if (s->src == &s->in) {
		s->received += messages;
		s->processed += ok;
		s->errors += s->failed;
		rk_store_release(&cb->received, s->received);
		rk_store_release(&cb->processed, s->processed);
		rk_store_release(&cb->errors, s->errors);
	} else {
		s->link_slots_in += s->n;
		s->link_received += messages;
		s->link_processed += ok;
		s->link_errors += s->failed;
		rk_store_release(&cb->link_slots_in, s->link_slots_in);
		rk_store_release(&cb->link_received, s->link_received);
		rk_store_release(&cb->link_processed, s->link_processed);
		rk_store_release(&cb->link_errors, s->link_errors);
	}
	s->batches++;
	rk_store_release(&cb->batches, s->batches);
	s->src->mine += s->n;
	rk_store_release(&s->src->ring->tail, s->src->mine);
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
 * over a link, a message from the host is reported in its input slot,
 * where the host looks, and leaves a SKIP; any other becomes a notice
 * (or, in the output ring, the failed result the host expects). */
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

/* One message: run the kernel's function and fill its result slot. */
#define RK_DEV_ONE(s, i, IN, OUT, P, FN) do { \
	rk_slot_header *rk_in_ = rk_dev_view_slot((s)->src, (i)); \
	rk_slot_header *rk_out_ = rk_dev_view_slot((s)->dst, (i)); \
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
		rk_dev_failed((s), rk_in_, rk_out_, rk_rc_); \
	} else { \
		rk_out_->length = (uint32_t)sizeof(OUT); \
		rk_out_->type_tag = 0; \
		rk_out_->flags = (s)->linked_tag; \
	} \
} while (0)

/* The persistent loop of a kernel whose device function is
 *   RK_HD int FN(const IN *in, OUT *out, const P *params);
 * returning 0, or a nonzero error code (an int) for a message that
 * failed: code i names the kernel's errors[i - 1].
 * Defines `void NAME(rk_dev_actor *a, rk_dev_shared *s)`; every thread
 * of the block calls it with the same s. */
#define RK_DEVICE_LOOP(NAME, IN, OUT, P, FN) \
RK_DEV_FN void NAME(rk_dev_actor *a, rk_dev_shared *s) \
{ \
	if (RK_DEV_TID == 0) \
		rk_dev_start_thread0(a, s, RK_DEV_NTHREADS); \
	for (;;) { \
		if (RK_DEV_TID == 0) \
			rk_dev_begin_thread0(a, s); \
		RK_DEV_SYNC(); \
		if (s->leave) \
			break; \
		for (uint64_t i = RK_DEV_TID; i < s->n; i += RK_DEV_NTHREADS) \
			RK_DEV_ONE(s, i, IN, OUT, P, FN); \
		RK_DEV_FENCE(); \
		RK_DEV_SYNC(); \
		if (RK_DEV_TID == 0) \
			rk_dev_end_thread0(a, s); \
		RK_DEV_SYNC(); \
	} \
	if (RK_DEV_TID == 0) \
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
		NAME##_device_loop(a, &s); \
	} \
	static const rk_device_kernel NAME##_device = { \
		RK_PLUGIN_ABI_VERSION, (uint32_t)sizeof(rk_device_kernel), \
		(uint32_t)sizeof(IN), (uint32_t)sizeof(OUT), \
		(uint32_t)sizeof(P), 0, NAME##_device_host_loop, MODULE, \
		"rk_cuda_" #NAME, ERRORS }
#endif

#endif /* RINGKERNEL_DEVICE_H */
