/* port.c - priority bands of SPSC rings between one producer and one
 * consumer, with the backpressure policies. */
#include "config.h"

#include <stdlib.h>

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

	if (capacity == 0 || slot_size == 0
	    || rk_ring_bytes(capacity, slot_size) == 0)
		return NULL;
	rk_port *p = aligned_alloc(RK_CACHE_LINE, sizeof(*p));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->capacity = capacity;
	p->max_payload = max_payload;
	p->slot_size = slot_size;
	p->policy = policy;
	p->consumer_locks = policy == RK_BP_DROP_OLDEST;
	p->refs = 1;
	p->bell = bell;
	if (bell)
		rk_bell_ref(bell);
	p->data = bell ? &bell->ev : &p->data_local;
	p->track_high_water = track_high_water;
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
	pthread_mutex_destroy(&p->producer_lock);
	pthread_mutex_destroy(&p->consumer_lock);
	free(p);
}

/* Producer: the ring of band b, allocated on first use. */
static rk_ring *band_ring(rk_port *p, int b)
{
	rk_ring *r = p->band[b];

	if (r)
		return r;
	size_t bytes = rk_ring_bytes(p->capacity, p->slot_size);
	if (bytes < sizeof(rk_ring))
		return NULL;    /* rk_port_new checked; keeps gcc sure */
	bytes = (bytes + RK_CACHE_LINE - 1) & ~(size_t)(RK_CACHE_LINE - 1);
	r = aligned_alloc(RK_CACHE_LINE, bytes);
	if (!r)
		return NULL;
	rk_ring_init(r, p->capacity, p->slot_size, 0);
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

static void count(uint64_t *counter)
{
	__atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

/* Producer, acting as consumer under consumer_lock: drop the oldest
 * message of the lowest non-empty band. */
static bool drop_oldest(rk_port *p)
{
	bool dropped = false;

	pthread_mutex_lock(&p->consumer_lock);
	for (int b = 0; b < RK_BANDS && !dropped; b++) {
		rk_ring *r = p->band[b];
		if (r && rk_ring_ready(r)) {
			rk_ring_release(r, 1);
			dropped = true;
		}
	}
	pthread_mutex_unlock(&p->consumer_lock);
	return dropped;
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

	uint64_t depth = queued(p, false);
	if (depth >= p->capacity && (depth = queued(p, true)) >= p->capacity) {
		switch (p->policy) {
		case RK_BP_BLOCK:
			return RK_EFULL;
		case RK_BP_REJECT:
			count(&p->rejected);
			return RK_EFULL;
		case RK_BP_DROP_NEWEST:
			env->message_id = next_message_id(p);
			count(&p->dropped);
			return RK_OK;
		case RK_BP_DROP_OLDEST:
			rk_port_publish(p);     /* only published ones go */
			if (!drop_oldest(p))
				break;  /* the consumer emptied it meanwhile */
			count(&p->dropped);
			depth = queued(p, true);
			break;
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
	if (!p->used)
		__atomic_store_n(&p->used, true, __ATOMIC_RELAXED);
	if (p->track_high_water && depth + 1 > p->high_water)
		__atomic_store_n(&p->high_water, depth + 1, __ATOMIC_RELAXED);
	return RK_OK;
}

/* Highest band first: a consumer that sees a low band's news (the end
 * of input rides band 0) then also sees every higher band's. */
void rk_port_publish(rk_port *p)
{
	for (int b = RK_BANDS - 1; b >= 0; b--) {
		if (p->unpublished[b]) {
			rk_ring_publish(p->band[b], p->unpublished[b]);
			p->unpublished[b] = 0;
		}
	}
}

bool rk_port_has_space(rk_port *p)
{
	return rk_port_depth(p) < p->capacity || rk_port_is_closed(p);
}

bool rk_port_wait_space(rk_port *p, uint64_t deadline_ns)
{
	uint32_t key = rk_event_prepare(&p->space);

	if (rk_port_has_space(p)) {
		rk_event_cancel(&p->space);
		return true;
	}
	return rk_event_wait(&p->space, key, deadline_ns);
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
	uint32_t used = __atomic_load_n(&p->bands_used, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&p->consumer_lock);
	for (int b = 0; b < RK_BANDS; b++) {
		if (!(used & (1u << b)))
			continue;
		rk_ring *r = __atomic_load_n(&p->band[b], __ATOMIC_ACQUIRE);
		uint64_t ready = rk_ring_ready(r);
		rk_ring_release(r, ready);
		n += ready;
	}
	pthread_mutex_unlock(&p->consumer_lock);
	rk_event_notify(&p->space);
	return n;
}

void rk_port_close(rk_port *p)
{
	pthread_mutex_lock(&p->producer_lock);
	__atomic_store_n(&p->closed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->producer_lock);
	rk_event_wake_all(&p->space);
	rk_event_wake_all(p->data);
}
