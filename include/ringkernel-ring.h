/* ringkernel-ring.h - the single-producer single-consumer ring of
 * fixed-size slots.
 *
 * One protocol for every executor: this header compiles with gcc (C11,
 * __atomic builtins) and with nvcc (system-scope cuda::atomic_ref), so a
 * ring in pinned mapped memory is shared by a CPU thread and a GPU block.
 *
 * head and tail are uint64_t counters that never wrap in practice; all
 * arithmetic is modular, so they stay correct across UINT64_MAX anyway.
 * The producer owns head, the consumer owns tail; each keeps a cached
 * copy of the other's index on its own cache line and reloads it only
 * when the cached value says full (or empty).  Acquire/release only.
 *
 * The ring is one block of memory: this header, then the slots, so it
 * has no pointers and means the same at any address.  Each slot starts
 * with an rk_slot_header followed by the payload.
 */
#ifndef RK_RING_H
#define RK_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__CUDACC__)
# include <cuda/atomic>
# define RK_RING_FN __host__ __device__ static inline
RK_RING_FN uint64_t rk_load_acquire(uint64_t *p)
{
	return cuda::atomic_ref<uint64_t, cuda::thread_scope_system>(*p)
		.load(cuda::memory_order_acquire);
}
RK_RING_FN void rk_store_release(uint64_t *p, uint64_t v)
{
	cuda::atomic_ref<uint64_t, cuda::thread_scope_system>(*p)
		.store(v, cuda::memory_order_release);
}
#else
# define RK_RING_FN static inline
# define rk_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
# define rk_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#endif

#define RK_CACHE_LINE 64

/* Set in rk_slot_header.flags. */
#define RK_SLOT_END_OF_STREAM 0x01u     /* no message will follow */
#define RK_SLOT_MARKER 0x02u            /* a replica is done with a message */

typedef struct rk_slot_header {
	uint64_t message_id;
	uint64_t correlation_id;
	uint64_t enqueue_ns;
	uint32_t length;                /* payload bytes after the header */
	uint16_t type_tag;
	uint8_t priority;
	uint8_t flags;
} rk_slot_header;

typedef struct rk_ring {
	/* Producer's line. */
	uint64_t head;                  /* next index to publish */
	uint64_t tail_cache;            /* producer's last view of tail */
	uint8_t pad_producer[RK_CACHE_LINE - 2 * sizeof(uint64_t)];
	/* Consumer's line. */
	uint64_t tail;                  /* next index to consume */
	uint64_t head_cache;            /* consumer's last view of head */
	uint8_t pad_consumer[RK_CACHE_LINE - 2 * sizeof(uint64_t)];
	/* Read-only after rk_ring_init. */
	uint64_t mask;                  /* slot count - 1, a power of two */
	uint64_t capacity;              /* messages it holds: <= slot count */
	uint32_t slot_size;             /* bytes per slot, header included */
	uint8_t pad_config[RK_CACHE_LINE - 2 * sizeof(uint64_t)
			   - sizeof(uint32_t)];
} rk_ring;

/* Slot payload bytes for a given maximum message size, rounded so that
 * neighbouring slots never share a cache line. */
RK_RING_FN uint32_t rk_ring_slot_size(uint32_t max_payload)
{
	uint64_t bytes = sizeof(rk_slot_header) + (uint64_t)max_payload;
	bytes = (bytes + RK_CACHE_LINE - 1) & ~(uint64_t)(RK_CACHE_LINE - 1);
	return bytes > UINT32_MAX ? 0 : (uint32_t)bytes;
}

RK_RING_FN uint64_t rk_ring_slot_count(uint64_t capacity)
{
	uint64_t n = 1;
	while (n < capacity)
		n <<= 1;
	return n;
}

/* Bytes to allocate (64-byte aligned) for a ring; 0 if it cannot exist. */
RK_RING_FN size_t rk_ring_bytes(uint64_t capacity, uint32_t slot_size)
{
	if (capacity == 0 || capacity > ((uint64_t)1 << 40) || slot_size == 0)
		return 0;
	uint64_t slots = rk_ring_slot_count(capacity);
	if (slots > (SIZE_MAX - sizeof(rk_ring)) / slot_size)
		return 0;
	return sizeof(rk_ring) + (size_t)(slots * slot_size);
}

/* Start both indices at `start` (tests use values near UINT64_MAX). */
RK_RING_FN void rk_ring_init(rk_ring *r, uint64_t capacity, uint32_t slot_size,
			     uint64_t start)
{
	memset(r, 0, sizeof(*r));
	r->head = r->tail_cache = r->tail = r->head_cache = start;
	r->mask = rk_ring_slot_count(capacity) - 1;
	r->capacity = capacity;
	r->slot_size = slot_size;
}

RK_RING_FN rk_slot_header *rk_ring_slot(rk_ring *r, uint64_t index)
{
	return (rk_slot_header *)((uint8_t *)(r + 1)
				  + (index & r->mask) * r->slot_size);
}

RK_RING_FN uint32_t rk_ring_max_payload(const rk_ring *r)
{
	return r->slot_size - (uint32_t)sizeof(rk_slot_header);
}

/* Producer: free slots, reloading tail only when the cache says too few. */
RK_RING_FN uint64_t rk_ring_free(rk_ring *r, uint64_t want)
{
	uint64_t free_slots = r->capacity - (r->head - r->tail_cache);
	if (free_slots < want) {
		r->tail_cache = rk_load_acquire(&r->tail);
		free_slots = r->capacity - (r->head - r->tail_cache);
	}
	return free_slots;
}

/* Producer: the slot to fill next, or NULL when the ring is full. */
RK_RING_FN rk_slot_header *rk_ring_reserve(rk_ring *r)
{
	return rk_ring_free(r, 1) ? rk_ring_slot(r, r->head) : NULL;
}

/* Producer: the `i`th slot after head, for batches (free must allow). */
RK_RING_FN rk_slot_header *rk_ring_reserve_at(rk_ring *r, uint64_t i)
{
	return rk_ring_slot(r, r->head + i);
}

/* Producer: make `n` filled slots visible to the consumer. */
RK_RING_FN void rk_ring_publish(rk_ring *r, uint64_t n)
{
	rk_store_release(&r->head, r->head + n);
}

/* Consumer: messages ready, reloading head only when the cache is dry. */
RK_RING_FN uint64_t rk_ring_ready(rk_ring *r)
{
	uint64_t ready = r->head_cache - r->tail;
	if (ready == 0) {
		r->head_cache = rk_load_acquire(&r->head);
		ready = r->head_cache - r->tail;
	}
	return ready;
}

/* Consumer: the oldest message, or NULL when the ring is empty. */
RK_RING_FN rk_slot_header *rk_ring_peek(rk_ring *r)
{
	return rk_ring_ready(r) ? rk_ring_slot(r, r->tail) : NULL;
}

/* Consumer: the `i`th message after tail (ready must allow). */
RK_RING_FN rk_slot_header *rk_ring_peek_at(rk_ring *r, uint64_t i)
{
	return rk_ring_slot(r, r->tail + i);
}

/* Consumer: give `n` consumed slots back to the producer. */
RK_RING_FN void rk_ring_release(rk_ring *r, uint64_t n)
{
	rk_store_release(&r->tail, r->tail + n);
}

/* Either side, or an observer: messages queued now (a snapshot). */
RK_RING_FN uint64_t rk_ring_depth(rk_ring *r)
{
	uint64_t tail = rk_load_acquire(&r->tail);
	uint64_t head = rk_load_acquire(&r->head);
	return head - tail;
}

#endif /* RK_RING_H */
