/* port.h - a bounded queue from one producer to one consumer.
 *
 * A port is up to four SPSC rings, one per priority band (>= 224,
 * 160-223, 64-159, < 64); the consumer drains the highest non-empty band
 * first and each band is FIFO.  A band's ring is allocated on its first
 * message, so a port that sees one priority costs one ring.  The
 * capacity bounds the messages queued over all bands together.
 *
 * No lock is ever held around a kernel's code or around I/O.  A
 * kernel's executor is the only producer of its outputs and pushes
 * without a lock; clients sharing a kernel's input take producer_lock
 * among themselves, for the copy only.  Publishing and closing meet in
 * a handshake (publishing / closed, each side storing its flag and
 * then loading the other's): once rk_port_close returns, what is
 * published is all there will ever be, so the consumer can count it,
 * and a producer that found the port closed counts what it could not
 * publish as dropped.
 *
 * drop_oldest never makes the producer touch the consumer's side: when
 * the port is full the producer queues the new message anyway, into
 * room kept aside for that (as many slots again), and the consumer
 * drops the oldest down to the capacity before it next takes (counted
 * in `trimmed`).  Only when the consumer has not come back for a whole
 * capacity's worth does the newest go.  Consumers that share a port
 * (clients calling rk_receive) take consumer_lock among themselves.
 *
 * The end of input and the markers of replicas are never dropped or
 * rejected: they wait for room (the end may use drop_oldest's room
 * beyond the capacity).
 */
#ifndef RK_PORT_H
#define RK_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "ringkernel-ring.h"
#include "ringkernel.h"

#define RK_BANDS 4
#define RK_ALIGNED __attribute__((aligned(RK_CACHE_LINE)))

/* Fields are grouped by writer, one cache line each, so that the
 * producer's counters never share a line with what the consumer reads. */
typedef struct rk_port {
	/* Read-mostly: set at creation, or once per band. */
	rk_ring *band[RK_BANDS];        /* producer allocates, release */
	uint32_t bands_used;            /* bit per allocated band */
	uint32_t closed;                /* the consumer is gone */
	uint64_t capacity;
	uint64_t ring_capacity;         /* slots: drop_oldest has twice */
	uint32_t max_payload;
	uint32_t slot_size;
	rk_backpressure policy;
	bool track_high_water;
	rk_event *data;                 /* the consumer's doorbell */
	/* The consumer sleeps waiting for another of its inputs, not this
	 * one (a replica's output out of its turn): producers need not
	 * ring.  Written by the consumer before it announces a wait. */
	uint32_t muted;
	rk_bell *bell;                  /* holding it, where it is shared */
	uint32_t refs;                  /* producer side + consumer side */
	/* An edge between a typed end and a json end converts what the
	 * producer writes from this type to the port's (rk_connect). */
	const rk_type *convert_from;
	const rk_type *convert_to;
	/* Written once, by the consumer's thread alone: the end of input
	 * came through this port. */
	bool end_seen;
	/* Written by the consumer side only (receivers: under
	 * consumer_lock): the oldest messages it dropped, and messages
	 * its receivers took but could not deliver; the depth at which an
	 * end or a marker stopped it last. */
	uint64_t trimmed;
	uint64_t trim_stopped_at;

	/* Written by the producer only. */
	uint64_t unpublished[RK_BANDS] RK_ALIGNED; /* filled, not yet seen */
	uint64_t unpublished_messages;  /* of those, messages (not ends) */
	uint32_t publishing;            /* the handshake with close */
	bool used;                      /* a message was ever pushed */
	uint64_t next_id, id_end;       /* the block of ids being used */
	uint64_t dropped;
	uint64_t rejected;
	uint64_t high_water;

	/* An event loop's doorbell (rk_output_notify_fd): a descriptor
	 * written once per arming, when a message is there.  Under
	 * watch_lock: the descriptor, so that none is written after it
	 * is taken back. */
	int watch_fd;                   /* -1: none */
	uint32_t watch_armed;           /* RMW by both sides */
	pthread_mutex_t watch_lock;

	pthread_mutex_t producer_lock RK_ALIGNED;
	pthread_mutex_t consumer_lock RK_ALIGNED;
	rk_event space RK_ALIGNED;      /* producers wait here for room */
	rk_event data_local RK_ALIGNED; /* the doorbell when none is given */
} rk_port;

/* A port whose consumer sleeps on `bell` (NULL: the port's own). */
rk_port *rk_port_new(uint64_t capacity, uint32_t max_payload,
		     rk_backpressure policy, rk_bell *bell,
		     bool track_high_water);
void rk_port_ref(rk_port *p);
void rk_port_unref(rk_port *p);

static inline int rk_priority_band(uint8_t priority)
{
	return priority >= 224 ? 3 : priority >= 160 ? 2 : priority >= 64 ? 1 : 0;
}

/* Producer (clients: holding producer_lock): fill one slot without
 * waiting; the consumer sees it after rk_port_publish.  Applies the
 * port's policy when full: RK_EFULL for block and reject (reject
 * counts it), RK_OK for drop_oldest and drop_newest (counted where one
 * was dropped).  An end or a marker (flags) is never dropped: RK_EFULL
 * until there is room.  Fills env->message_id, and env->enqueue_ns
 * with now_ns (one clock reading serves a whole batch). */
rk_error rk_port_try_push(rk_port *p, rk_envelope *env, const void *data,
			  size_t len, uint8_t flags, uint64_t now_ns);

/* Anyone, no lock needed: room for one more message with these flags
 * (the end may use drop_oldest's room past the capacity), or closed.
 * Waits for room happen without producer_lock, so that close never
 * waits. */
bool rk_port_has_room(rk_port *p, uint8_t flags);

static inline bool rk_port_has_space(rk_port *p)
{
	return rk_port_has_room(p, 0);
}

/* Producer: wait until there may be room for a message with these
 * flags, the port closes, or the deadline passes (false). */
bool rk_port_wait_room(rk_port *p, uint8_t flags, uint64_t deadline_ns);

/* Producer: make the filled slots visible, one release store per band
 * for all of them.  A port closed meanwhile gets none of them: returns
 * how many messages (not ends or markers) that lost, for the caller to
 * count. */
uint64_t rk_port_publish(rk_port *p);

/* Producer: wake the consumer after publishing. */
void rk_port_ring_watch(rk_port *p);

/* The producer: whether what it pushed, published or not, fills the
 * capacity. */
bool rk_port_full_for_producer(rk_port *p);

static inline void rk_port_notify(rk_port *p)
{
	if (p->data)
		rk_event_notify_unless(p->data, &p->muted);
	if (__atomic_load_n(&p->watch_fd, __ATOMIC_RELAXED) >= 0)
		rk_port_ring_watch(p);
}

/* Whether the port's consumer may be run by its producer (its seat is
 * open, executor-fuse.c): a hint, checked again under the seat. */
static inline bool rk_port_consumer_runnable(const rk_port *p)
{
	return p->bell && __atomic_load_n(&p->bell->runner, __ATOMIC_RELAXED);
}

/* Anyone: write to fd (not owned: never closed here) once a message is
 * there after rk_port_arm; -1: no more, and once this returns the old
 * one is never written again. */
void rk_port_watch(rk_port *p, int fd);

/* The consumer, before its loop waits on the watch descriptor: armed,
 * then whether a message (or the close) is there already.  Why no
 * message is missed: both sides read-modify-write watch_armed, the
 * producer after publishing (rk_port_notify), so either the producer
 * comes later and writes the descriptor, or this one reads its write,
 * which synchronises with it: the message is then seen here (the
 * argument of event.h). */
bool rk_port_arm(rk_port *p);

/* Anyone: messages queued now, over all bands (under drop_oldest,
 * more than the capacity until the consumer next trims). */
uint64_t rk_port_depth(rk_port *p);

/* Consumer, before taking (never while it holds messages in place):
 * under drop_oldest, drop the oldest down to the capacity, lowest band
 * first, and count them.  Returns how many. */
uint64_t rk_port_trim(rk_port *p);

/* Consumer: rk_port_trim has work (checked before sleeping). */
static inline bool rk_port_trim_due(rk_port *p)
{
	if (p->policy != RK_BP_DROP_OLDEST)
		return false;
	uint64_t depth = rk_port_depth(p);
	return depth > p->capacity && depth != p->trim_stopped_at;
}

/* Consumer: the next message by priority, or NULL; *band says where it
 * came from, for rk_port_release. */
rk_slot_header *rk_port_peek(rk_port *p, int *band);
void rk_port_release(rk_port *p, int band);

/* Consumer: a band above `band` has messages (the end of input, in
 * band 0, must not overtake them). */
bool rk_port_higher_ready(rk_port *p, int band);

/* Consumer: hand up to max messages, by priority, to fn, which returns
 * nonzero to leave a message and stop; each band's slots go back with
 * one release store.  Returns how many were taken; *stopped says fn
 * stopped it. */
typedef int (*rk_port_take_fn)(void *arg, const rk_slot_header *h);
size_t rk_port_take(rk_port *p, size_t max, rk_port_take_fn fn, void *arg,
		    bool *stopped);
/* Consumer: release without waking producers; call rk_port_notify_space
 * once after a run of these. */
void rk_port_consume(rk_port *p, int band);

static inline void rk_port_notify_space(rk_port *p)
{
	rk_event_notify(&p->space);
}

/* Consumer side: discard everything queued; returns how many. */
uint64_t rk_port_discard(rk_port *p);

/* Consumer gone: fail producers from now on and wake those waiting.
 * Returns once no publish is under way: what is queued then is all
 * there will be. */
void rk_port_close(rk_port *p);

static inline bool rk_port_is_closed(rk_port *p)
{
	return __atomic_load_n(&p->closed, __ATOMIC_ACQUIRE) != 0;
}

#endif /* RK_PORT_H */
