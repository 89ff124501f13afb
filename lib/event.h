/* event.h - an event count: park a thread until another publishes.
 *
 * The waiter announces itself (prepare), re-checks its condition, then
 * sleeps on a futex until the sequence moves or the deadline passes.
 * The notifier, after publishing with a release store, pays one fence
 * and one load when nobody waits, and a futex wake when somebody does.
 */
#ifndef RK_EVENT_H
#define RK_EVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rk_event {
	uint32_t seq;
	uint32_t waiters;
} rk_event;

void rk_event_wake_all(rk_event *ev);

/* An event shared by a kernel and the ports it consumes: producers may
 * still ring it after the kernel is gone, so it lives until the last of
 * them lets go. */
typedef struct rk_bell {
	rk_event ev;
	uint32_t refs;
} rk_bell;

rk_bell *rk_bell_new(void);
void rk_bell_ref(rk_bell *b);
void rk_bell_unref(rk_bell *b);

/* After publishing: wake whoever sleeps on ev. */
static inline void rk_event_notify(rk_event *ev)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ev->waiters, __ATOMIC_RELAXED) != 0)
		rk_event_wake_all(ev);
}

/* Announce a wait; check the condition again before rk_event_wait. */
static inline uint32_t rk_event_prepare(rk_event *ev)
{
	__atomic_fetch_add(&ev->waiters, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&ev->seq, __ATOMIC_SEQ_CST);
}

static inline void rk_event_cancel(rk_event *ev)
{
	__atomic_fetch_sub(&ev->waiters, 1, __ATOMIC_SEQ_CST);
}

/* Sleep while the sequence is still `key`, up to `deadline_ns`
 * (CLOCK_MONOTONIC; UINT64_MAX = no limit).  Ends the wait announced by
 * rk_event_prepare.  Returns false only when the deadline passed. */
bool rk_event_wait(rk_event *ev, uint32_t key, uint64_t deadline_ns);

#endif /* RK_EVENT_H */
