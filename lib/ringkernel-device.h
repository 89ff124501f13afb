/* ringkernel-device.h - a kernel run by a device: the memory the host and
 * the device share, and the persistent loop the device runs.
 *
 * An actor is one block of memory with no pointers in it: the control
 * block, the configuration, the kernel's parameters, then the input
 * ring and the output ring at fixed offsets.  Allocated in pinned
 * mapped host memory it means the same to a CPU thread and to a GPU
 * block, so one protocol serves both: nvcc compiles the loop below as
 * the body of a persistent __global__ function (one block per actor),
 * gcc compiles the very same loop for a host thread that stands in for
 * the device in the tests and in emulation.
 *
 * The host's side is a proxy (lib/device.c): it pushes a batch of input
 * messages into the input ring, and takes the batch's results from the
 * output ring, one output slot per input slot and in the same order.
 * A slot whose message failed carries RK_SLOT_FAILED and the kernel's
 * error code as its type tag.
 *
 * Control block, as lib/kernel.h's: every field has one writer.  The
 * host writes `requested` then bumps `epoch`; the device applies the
 * state between batches and acknowledges the epoch, so a host that has
 * seen the acknowledgement knows the device has stopped (or started)
 * processing.  TERMINATED asks the device to leave its loop: it sets
 * `finished` as its last store.  `abort` makes it leave at once, for a
 * host that gave up waiting.
 */
#ifndef RK_DEVICE_ACTOR_H
#define RK_DEVICE_ACTOR_H

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
#else
# define RK_DEV_FENCE() ((void)0)
# define RK_DEV_TID 0u
# define RK_DEV_NTHREADS 1u
# define RK_DEV_SYNC() ((void)0)
# define RK_DEV_ATOMIC_ADD(p, v) (*(p) += (v))
#endif

#define RK_DEVICE_ABI 1
#define RK_DEVICE_MAGIC 0x524b4441u    /* "RKDA" */
#define RK_DEVICE_PARAMS_MAX 256        /* bytes of kernel parameters */

/* Set in an output slot's flags: the message failed, its error code is
 * in type_tag.  (ringkernel-ring.h owns 0x01 and 0x02.) */
#define RK_SLOT_FAILED 0x04u

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
	uint8_t pad_config[8];
	uint8_t params[RK_DEVICE_PARAMS_MAX];
} rk_dev_actor;

#if !defined(__CUDACC__)
_Static_assert(sizeof(rk_dev_control) == 128, "control is two lines");
_Static_assert(sizeof(rk_dev_actor) % RK_CACHE_LINE == 0, "lines apart");
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

/* What thread 0 learns each iteration and the block shares: in shared
 * memory on a GPU, on the stack of the host thread. */
typedef struct rk_dev_shared {
	uint64_t in_tail;               /* first message of the batch */
	uint64_t out_head;              /* first result slot */
	uint64_t n;                     /* messages in the batch */
	uint64_t failed;                /* of them */
	uint64_t idle_ns;               /* current backoff */
	uint64_t beats;
	int leave;
} rk_dev_shared;

RK_DEV_FN uint32_t rk_dev_load32(uint32_t *p)
{
#if defined(__CUDACC__)
	return cuda::atomic_ref<uint32_t, cuda::thread_scope_system>(*p)
		.load(cuda::memory_order_acquire);
#else
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
#endif
}

RK_DEV_FN void rk_dev_store32(uint32_t *p, uint32_t v)
{
#if defined(__CUDACC__)
	cuda::atomic_ref<uint32_t, cuda::thread_scope_system>(*p)
		.store(v, cuda::memory_order_release);
#else
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
#endif
}

/* Counters the host reads while the device writes: one writer, so a
 * plain add, stored whole. */
RK_DEV_FN void rk_dev_count(uint64_t *p, uint64_t v)
{
	rk_store_release(p, *p + v);
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

/* Thread 0: apply a new request, see what input there is and room for
 * its results, and decide the batch.  Every thread then reads the
 * decision from s. */
RK_DEV_FN void rk_dev_begin_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;
	uint32_t epoch = rk_dev_load32(&cb->epoch);

	if (epoch != cb->acked_epoch) {
		cb->run_state = cb->requested;
		rk_dev_store32(&cb->acked_epoch, epoch);
		s->idle_ns = 0;
	}
	s->n = 0;
	s->failed = 0;
	if (rk_dev_load32(&cb->abort) || cb->run_state == RK_DEV_TERMINATED) {
		s->leave = 1;
		return;
	}
	if (++s->beats % 64 == 0)
		rk_store_release(&cb->heartbeat, cb->heartbeat + 1);
	if (cb->run_state != RK_DEV_ACTIVE)
		return;
	rk_ring *in = rk_dev_in(a), *out = rk_dev_out(a);
	uint64_t ready = rk_ring_ready(in);
	uint64_t room = ready ? rk_ring_free(out, ready) : 0;
	uint64_t n = ready < room ? ready : room;
	if (n > a->batch_max)
		n = a->batch_max;
	s->n = n;
	s->in_tail = in->tail;
	s->out_head = out->head;
}

/* Thread 0: hand the batch's results over and its input back. */
RK_DEV_FN void rk_dev_end_thread0(rk_dev_actor *a, rk_dev_shared *s)
{
	rk_dev_control *cb = &a->cb;

	if (s->n == 0) {
		rk_dev_idle(s, cb->run_state == RK_DEV_ACTIVE
			       ? a->idle_active_ns : a->idle_paused_ns);
		return;
	}
	s->idle_ns = 0;
	rk_dev_count(&cb->received, s->n);
	rk_dev_count(&cb->processed, s->n - s->failed);
	if (s->failed)
		rk_dev_count(&cb->errors, s->failed);
	rk_dev_count(&cb->batches, 1);
	/* Results first: a host that sees the input gone may look for
	 * them at once. */
	rk_ring_publish(rk_dev_out(a), s->n);
	rk_ring_release(rk_dev_in(a), s->n);
}

/* One message: run the kernel's function and fill its result slot. */
#define RK_DEV_ONE(a, s, i, IN, OUT, P, FN) do { \
	rk_slot_header *rk_in_ = rk_ring_slot(rk_dev_in(a), \
					      (s)->in_tail + (i)); \
	rk_slot_header *rk_out_ = rk_ring_slot(rk_dev_out(a), \
					       (s)->out_head + (i)); \
	int rk_rc_ = FN((const IN *)(rk_in_ + 1), (OUT *)(rk_out_ + 1), \
			(const P *)(a)->params); \
	rk_out_->message_id = rk_in_->message_id; \
	rk_out_->correlation_id = rk_in_->message_id; \
	rk_out_->enqueue_ns = rk_in_->enqueue_ns; \
	rk_out_->priority = rk_in_->priority; \
	if (rk_rc_) { \
		rk_out_->length = 0; \
		rk_out_->type_tag = (uint16_t)rk_rc_; \
		rk_out_->flags = RK_SLOT_FAILED; \
		RK_DEV_ATOMIC_ADD(&(s)->failed, 1); \
	} else { \
		rk_out_->length = (uint32_t)sizeof(OUT); \
		rk_out_->type_tag = 0; \
		rk_out_->flags = 0; \
	} \
} while (0)

/* The persistent loop of a kernel whose device function is
 *   RK_HD int FN(const IN *in, OUT *out, const P *params);
 * returning 0, or an error code (1..65535) for a message that failed.
 * Defines `void NAME(rk_dev_actor *a, rk_dev_shared *s)`; every thread
 * of the block calls it with the same s. */
#define RK_DEVICE_LOOP(NAME, IN, OUT, P, FN) \
RK_DEV_FN void NAME(rk_dev_actor *a, rk_dev_shared *s) \
{ \
	if (RK_DEV_TID == 0) { \
		s->leave = 0; \
		s->idle_ns = 0; \
		s->beats = 0; \
		a->cb.threads = RK_DEV_NTHREADS; \
	} \
	for (;;) { \
		if (RK_DEV_TID == 0) \
			rk_dev_begin_thread0(a, s); \
		RK_DEV_SYNC(); \
		if (s->leave) \
			break; \
		for (uint64_t i = RK_DEV_TID; i < s->n; i += RK_DEV_NTHREADS) \
			RK_DEV_ONE(a, s, i, IN, OUT, P, FN); \
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
		(uint32_t)sizeof(IN), (uint32_t)sizeof(OUT), \
		(uint32_t)sizeof(P), 0, NAME##_device_host_loop, MODULE, \
		"rk_cuda_" #NAME, ERRORS }
#endif

#endif /* RK_DEVICE_ACTOR_H */
