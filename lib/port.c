/* port.c - priority bands of SPSC rings between one producer and one
 * consumer, with the backpressure policies. */
#include "config.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "port.h"

/* Message ids come in blocks from one counter of the whole process, so
 * that no two messages share one, whatever the ports (2^64 ids in all;
 * ports once had 2^40 each and overran the next's), at one atomic
 * operation per block.  Block 0 is skipped: id 0 means none. */
#define ID_BLOCK 4096
static uint64_t ids_handed_out = ID_BLOCK;

static uint64_t next_message_id(rk_port *p)
{
	if (p->next_id == p->id_end) {
		p->next_id = __atomic_fetch_add(&ids_handed_out, ID_BLOCK,
						__ATOMIC_RELAXED);
		p->id_end = p->next_id + ID_BLOCK;
	}
	return p->next_id++;
}

rk_port *rk_port_new(uint64_t capacity, uint32_t max_payload,
		     rk_backpressure policy, rk_bell *bell,
		     bool track_high_water)
{
	uint32_t slot_size = rk_ring_slot_size(max_payload);
	/* Under drop_oldest, room for a capacity more until the consumer
	 * trims (a power of two stays one: twice the memory, no more). */
	uint64_t slots = policy == RK_BP_DROP_OLDEST ? 2 * capacity : capacity;

	if (capacity == 0 || slot_size == 0
	    || rk_ring_bytes(slots, slot_size) == 0)
		return NULL;
	rk_port *p = aligned_alloc(RK_CACHE_LINE, sizeof(*p));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->capacity = capacity;
	p->ring_capacity = slots;
	p->max_payload = max_payload;
	p->slot_size = slot_size;
	p->policy = policy;
	p->refs = 1;
	p->bell = bell;
	if (bell)
		rk_bell_ref(bell);
	p->data = bell ? &bell->ev : &p->data_local;
	p->track_high_water = track_high_water;
	p->watch_fd = -1;
	pthread_mutex_init(&p->watch_lock, NULL);
	pthread_mutex_init(&p->producer_lock, NULL);
	pthread_mutex_init(&p->consumer_lock, NULL);
	return p;
}

void rk_port_ref(rk_port *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void rk_port_unref(rk_port *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int b = 0; b < RK_BANDS; b++)
		free(p->band[b]);
	rk_bell_unref(p->bell);
	pthread_mutex_destroy(&p->watch_lock);
	pthread_mutex_destroy(&p->producer_lock);
	pthread_mutex_destroy(&p->consumer_lock);
	free(p);
}

void rk_port_watch(rk_port *p, int fd)
{
	pthread_mutex_lock(&p->watch_lock);
	__atomic_store_n(&p->watch_fd, fd, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->watch_lock);
}

void rk_port_ring_watch(rk_port *p)
{
	static const uint64_t one = 1;

	if (!__atomic_exchange_n(&p->watch_armed, 0, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&p->watch_lock);
	if (p->watch_fd >= 0)
		/* Full (an eventfd at its limit, a pipe nobody reads): it is
		 * readable already, which is all it says. */
		(void)!write(p->watch_fd, &one, sizeof(one));
	pthread_mutex_unlock(&p->watch_lock);
}

bool rk_port_arm(rk_port *p)
{
	(void)__atomic_exchange_n(&p->watch_armed, 1, __ATOMIC_SEQ_CST);
	return rk_port_depth(p) > 0 || rk_port_is_closed(p);
}

/* Producer: the ring of band b, allocated on first use. */
static rk_ring *band_ring(rk_port *p, int b)
{
	rk_ring *r = p->band[b];

	if (r)
		return r;
	size_t bytes = rk_ring_bytes(p->ring_capacity, p->slot_size);
	if (bytes < sizeof(rk_ring))
		return NULL;    /* rk_port_new checked; keeps gcc sure */
	bytes = (bytes + RK_CACHE_LINE - 1) & ~(size_t)(RK_CACHE_LINE - 1);
	r = aligned_alloc(RK_CACHE_LINE, bytes);
	if (!r)
		return NULL;
	rk_ring_init(r, p->ring_capacity, p->slot_size, 0);
	__atomic_store_n(&p->band[b], r, __ATOMIC_RELEASE);
	__atomic_store_n(&p->bands_used, p->bands_used | (1u << b),
			 __ATOMIC_RELEASE);
	return r;
}

/* Producer: queued messages as the producer's caches see them; never
 * less than the truth.  `refresh` reloads every consumer index. */
static uint64_t queued(rk_port *p, bool refresh)
{
	uint64_t n = 0;

	for (uint32_t used = p->bands_used; used; used &= used - 1) {
		int b = __builtin_ctz(used);
		rk_ring *r = p->band[b];
		if (refresh)
			r->tail_cache = rk_load_acquire(&r->tail);
		n += r->head + p->unpublished[b] - r->tail_cache;
	}
	return n;
}

bool rk_port_full_for_producer(rk_port *p)
{
	return queued(p, false) >= p->capacity
	       && queued(p, true) >= p->capacity;
}

static void count(uint64_t *counter)
{
	__atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

/* The slots a message with these flags may fill: the capacity; an end
 * any slot of the ring (under drop_oldest, past the capacity too). */
static uint64_t room_limit(const rk_port *p, uint8_t flags)
{
	return flags & RK_SLOT_END_OF_STREAM ? p->ring_capacity : p->capacity;
}

/* Consumer: all that is published in r; the cached head may lag. */
static uint64_t ready_now(rk_ring *r)
{
	r->head_cache = rk_load_acquire(&r->head);
	return r->head_cache - r->tail;
}

/* The message being pushed goes, counted; its sender is told it went
 * through, as the policy says. */
static rk_error drop_newest(rk_port *p, rk_envelope *env)
{
	env->message_id = next_message_id(p);
	count(&p->dropped);
	return RK_OK;
}

rk_error rk_port_try_push(rk_port *p, rk_envelope *env, const void *data,
			  size_t len, uint8_t flags, uint64_t now_ns)
{
	if (len > p->max_payload)
		return RK_ESCHEMA;
	if (rk_port_is_closed(p))
		return RK_ESTATE;
	int b = rk_priority_band(env->priority);
	rk_ring *r = band_ring(p, b);
	if (!r)
		return RK_ENOMEM;

	/* An end waits, never dropped, when there is no room for it. */
	uint64_t limit = room_limit(p, flags);
	uint64_t depth = queued(p, false);
	if (depth >= limit && (depth = queued(p, true)) >= limit) {
		if (flags)
			return RK_EFULL;        /* never dropped: wait */
		switch (p->policy) {
		case RK_BP_BLOCK:
			return RK_EFULL;
		case RK_BP_REJECT:
			count(&p->rejected);
			return RK_EFULL;
		case RK_BP_DROP_OLDEST:
			/* The consumer drops the oldest when it next takes;
			 * until it comes back, a capacity more waits.  Past
			 * that, the newest goes. */
			if (depth < p->ring_capacity)
				break;
			return drop_newest(p, env);
		case RK_BP_DROP_NEWEST:
			return drop_newest(p, env);
		}
	}

	rk_slot_header *h = rk_ring_slot(r, r->head + p->unpublished[b]);
	env->message_id = next_message_id(p);
	env->enqueue_ns = now_ns;
	h->message_id = env->message_id;
	h->correlation_id = env->correlation_id;
	h->enqueue_ns = env->enqueue_ns;
	h->length = (uint32_t)len;
	h->type_tag = env->type_tag;
	h->priority = env->priority;
	h->flags = flags;
	if (len)
		memcpy(h + 1, data, len);
	p->unpublished[b]++;
	if (!flags)
		p->unpublished_messages++;
	if (!p->used)
		__atomic_store_n(&p->used, true, __ATOMIC_RELAXED);
	/* The deepest the queue got: the cached depth may be stale (too
	 * deep), so a new record is checked against the consumer's index
	 * first.  (Under drop_oldest it may pass the capacity until the
	 * consumer next looks.) */
	if (p->track_high_water && depth + 1 > p->high_water
	    && (depth = queued(p, true)) > p->high_water)  /* with this one */
		__atomic_store_n(&p->high_water, depth, __ATOMIC_RELAXED);
	return RK_OK;
}

/* Highest band first: a consumer that sees a low band's news (the end
 * of input rides band 0) then also sees every higher band's.
 *
 * The handshake with rk_port_close: each side stores its flag, then
 * loads the other's (sequentially consistent), so at least one sees the
 * other.  Either the closer waits for this publish to finish, and then
 * sees its messages, or this publish sees the port closed and makes
 * none of them visible. */
uint64_t rk_port_publish(rk_port *p)
{
	uint64_t lost = 0;

	if (!(p->unpublished[0] | p->unpublished[1] | p->unpublished[2]
	      | p->unpublished[3]))
		return 0;
	__atomic_store_n(&p->publishing, 1, __ATOMIC_SEQ_CST);
	bool closed = __atomic_load_n(&p->closed, __ATOMIC_SEQ_CST) != 0;
	for (int b = RK_BANDS - 1; b >= 0; b--) {
		if (p->unpublished[b] && !closed)
			rk_ring_publish(p->band[b], p->unpublished[b]);
		p->unpublished[b] = 0;
	}
	if (closed)
		lost = p->unpublished_messages;
	p->unpublished_messages = 0;
	__atomic_store_n(&p->publishing, 0, __ATOMIC_RELEASE);
	return lost;
}

bool rk_port_has_room(rk_port *p, uint8_t flags)
{
	return rk_port_depth(p) < room_limit(p, flags) || rk_port_is_closed(p);
}

bool rk_port_wait_room(rk_port *p, uint8_t flags, uint64_t deadline_ns)
{
	uint32_t key = rk_event_prepare(&p->space);

	if (rk_port_has_room(p, flags)) {
		rk_event_cancel(&p->space, key);
		return true;
	}
	return rk_event_wait(&p->space, key, deadline_ns);
}

uint64_t rk_port_trim(rk_port *p)
{
	uint64_t seen, depth, n = 0;

	if (p->policy != RK_BP_DROP_OLDEST
	    || (seen = depth = rk_port_depth(p)) <= p->capacity)
		return 0;
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);
	/* The end, last of band 0, takes no message's place. */
	rk_ring *r0 = (used & 1u) ? __atomic_load_n(&p->band[0],
						    __ATOMIC_ACQUIRE) : NULL;
	if (r0 && ready_now(r0) && (rk_ring_slot(r0, r0->head_cache - 1)->flags
				    & RK_SLOT_END_OF_STREAM))
		depth--;
	for (int b = 0; b < RK_BANDS && depth > p->capacity; b++) {
		if (!(used & (1u << b)))
			continue;
		rk_ring *r = __atomic_load_n(&p->band[b], __ATOMIC_ACQUIRE);
		uint64_t ready = ready_now(r), k = 0;
		/* An end or a marker stops the band: it is never dropped,
		 * and what follows it must not overtake it. */
		while (k < ready && depth > p->capacity
		       && !(rk_ring_peek_at(r, k)->flags
			    & (RK_SLOT_END_OF_STREAM | RK_SLOT_MARKER))) {
			k++;
			depth--;
		}
		if (k)
			rk_ring_release(r, k);
		n += k;
	}
	/* Still past the capacity (an end, or stopped short by a marker):
	 * not due again until the depth changes. */
	p->trim_stopped_at = seen - n > p->capacity ? seen - n : 0;
	if (n) {
		__atomic_store_n(&p->trimmed, p->trimmed + n, __ATOMIC_RELAXED);
		rk_port_notify_space(p);
	}
	return n;
}

rk_slot_header *rk_port_peek(rk_port *p, int *band)
{
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);

	for (int b = RK_BANDS - 1; b >= 0; b--) {
		if (!(used & (1u << b)))
			continue;
		rk_ring *r = __atomic_load_n(&p->band[b], __ATOMIC_ACQUIRE);
		rk_slot_header *h = rk_ring_peek(r);
		if (h) {
			*band = b;
			return h;
		}
	}
	return NULL;
}

void rk_port_consume(rk_port *p, int band)
{
	rk_ring_release(p->band[band], 1);
}

void rk_port_release(rk_port *p, int band)
{
	rk_port_consume(p, band);
	rk_port_notify_space(p);
}

bool rk_port_higher_ready(rk_port *p, int band)
{
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);

	for (int b = RK_BANDS - 1; b > band; b--)
		if ((used & (1u << b))
		    && rk_ring_ready(__atomic_load_n(&p->band[b],
						     __ATOMIC_ACQUIRE)))
			return true;
	return false;
}

size_t rk_port_take(rk_port *p, size_t max, rk_port_take_fn fn, void *arg,
		    bool *stopped)
{
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);
	size_t taken = 0;

	*stopped = false;
	for (int b = RK_BANDS - 1; b >= 0 && taken < max && !*stopped; b--) {
		if (!(used & (1u << b)))
			continue;
		rk_ring *r = __atomic_load_n(&p->band[b], __ATOMIC_ACQUIRE);
		uint64_t ready = rk_ring_ready(r), n = 0;
		while (n < ready && taken < max) {
			rk_slot_header *h = rk_ring_peek_at(r, n);
			/* The end overtook nothing: higher bands first. */
			if ((h->flags & RK_SLOT_END_OF_STREAM)
			    && rk_port_higher_ready(p, b)) {
				if (n)
					rk_ring_release(r, n);
				n = 0;
				b = RK_BANDS;   /* start again from the top */
				used = __atomic_load_n(&p->bands_used,
						       __ATOMIC_ACQUIRE);
				break;
			}
			if (fn(arg, h) != 0) {
				*stopped = true;
				break;
			}
			n++;
			taken++;
		}
		if (n)
			rk_ring_release(r, n);
	}
	return taken;
}

uint64_t rk_port_depth(rk_port *p)
{
	uint64_t n = 0;
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);

	for (int b = 0; b < RK_BANDS; b++)
		if (used & (1u << b))
			n += rk_ring_depth(__atomic_load_n(&p->band[b],
							   __ATOMIC_ACQUIRE));
	return n;
}

uint64_t rk_port_discard(rk_port *p)
{
	uint64_t n = 0;

	pthread_mutex_lock(&p->consumer_lock);
	/* Everything published, also in a band made since, and counting
	 * messages only (not an end or a marker). */
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);
	for (int b = 0; b < RK_BANDS; b++) {
		if (!(used & (1u << b)))
			continue;
		rk_ring *r = __atomic_load_n(&p->band[b], __ATOMIC_ACQUIRE);
		uint64_t ready = ready_now(r);
		for (uint64_t i = 0; i < ready; i++)
			n += !(rk_ring_peek_at(r, i)->flags
			       & (RK_SLOT_END_OF_STREAM | RK_SLOT_MARKER));
		rk_ring_release(r, ready);
	}
	pthread_mutex_unlock(&p->consumer_lock);
	rk_event_notify(&p->space);
	return n;
}

void rk_port_close(rk_port *p)
{
	/* The other half of the handshake in rk_port_publish; a publish
	 * is a few stores, never a kernel's code, so this wait is short. */
	__atomic_store_n(&p->closed, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&p->publishing, __ATOMIC_SEQ_CST))
		sched_yield();
	rk_event_wake_all(&p->space);
	rk_event_wake_all(p->data);
	rk_port_ring_watch(p);
}
