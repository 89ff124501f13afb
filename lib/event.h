/* event.h - an event count: park a thread until another publishes.
 *
 * The waiter announces itself (prepare), re-checks its condition, then
 * sleeps on a futex until the sequence moves or the deadline passes.
 * The notifier, after publishing with a release store, pays one
 * read-modify-write of the waiter count and, when somebody waits, a
 * futex wake.
 *
 * Why no wake-up is lost: waiter and notifier each write the event's
 * one word with a read-modify-write, so the two are ordered in its
 * modification order.  If the notifier's comes later it reads the
 * waiter's announcement and wakes it.  If it comes first, the waiter's
 * reads from it or from a later read-modify-write (its release
 * sequence: every write of the word is one), so the notifier's
 * (release) synchronises with the waiter's (acquire): everything the
 * notifier published happens before the waiter re-checks its
 * condition, and it does not sleep.  A wake that comes between the
 * re-check and the futex wait is not lost either: rk_event_wake_all
 * moves the sequence first, so the futex sees a key that is no longer
 * current and returns.  This is folly's EventCount with its two
 * seq_cst fences (after the waiter's announcement, before the
 * notifier's read) made read-modify-writes on the one variable:
 * ThreadSanitizer models those and not fences, so the wake-up path it
 * checks is the one that runs.
 *
 * Why one word: the waiters are counted under the sequence they read,
 * and a wake moves the sequence and clears the count in one step.  So
 * a notifier after it sees no waiter until one announces itself again,
 * and does not call the futex once more for a waiter already woken but
 * not yet running.  (With the count apart, every message a producer
 * published while its woken consumer waited for a core cost a futex
 * call: where the cores are busy, thousands a second.)  A waiter that
 * leaves without being woken takes its count back only while the
 * sequence is still the one it counted under.
 */
#ifndef RK_EVENT_H
#define RK_EVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rk_event {
	/* Low half: the waiters announced under the current sequence;
	 * high half: the sequence (the futex word), moved by each wake. */
	uint64_t word;
} rk_event;

#define RK_EVENT_WAITERS 0xffffffffull
#define RK_EVENT_NEXT_SEQ (1ull << 32)

void rk_event_wake_all(rk_event *ev);

/* Threads of this process asleep in rk_event_wait and not yet woken
 * (for spin.c's count of who else wants the cores; an estimate: a
 * wake-up the futex calls spurious is not counted out). */
extern int32_t rk_event_parked;

/* An event shared by a kernel and the ports it consumes: producers may
 * still ring it after the kernel is gone, so it lives until the last of
 * them lets go.  It also holds the kernel's seat, for the same reason:
 * who may run the kernel's batches, its thread or a producer
 * (executor-fuse.c). */
typedef struct rk_bell {
	rk_event ev;
	uint32_t refs;
	uint32_t seat;                  /* SEAT_FREE, _HELD, _WANTED */
	struct rk_kernel *runner;       /* runnable by producers; NULL: not */
} rk_bell;

rk_bell *rk_bell_new(void);
void rk_bell_ref(rk_bell *b);
void rk_bell_unref(rk_bell *b);

/* The notifier's read-modify-write (see above): whether a waiter has
 * announced itself under the current sequence. */
static inline bool rk_event_announced(rk_event *ev)
{
	return __atomic_fetch_add(&ev->word, 0, __ATOMIC_SEQ_CST)
	       & RK_EVENT_WAITERS;
}

/* After publishing: wake whoever sleeps on ev. */
static inline void rk_event_notify(rk_event *ev)
{
	if (rk_event_announced(ev))
		rk_event_wake_all(ev);
}

/* The same, unless *mute (read after the notifier's read-modify-write,
 * so a waiter that cleared it before announcing itself is woken) says
 * the waiter waits for something else. */
static inline void rk_event_notify_unless(rk_event *ev, const uint32_t *mute)
{
	if (rk_event_announced(ev) && !__atomic_load_n(mute, __ATOMIC_RELAXED))
		rk_event_wake_all(ev);
}

/* Announce a wait; check the condition again before rk_event_wait (or
 * give up with rk_event_cancel).  Returns the key for both. */
static inline uint32_t rk_event_prepare(rk_event *ev)
{
	return (uint32_t)(__atomic_fetch_add(&ev->word, 1, __ATOMIC_SEQ_CST)
			  >> 32);
}

/* The condition held after all: take the announcement back. */
void rk_event_cancel(rk_event *ev, uint32_t key);

/* Sleep while the sequence is still `key`, up to `deadline_ns`
 * (CLOCK_MONOTONIC; UINT64_MAX = no limit).  Ends the wait announced by
 * rk_event_prepare.  Returns false only when the deadline passed. */
bool rk_event_wait(rk_event *ev, uint32_t key, uint64_t deadline_ns);

#endif /* RK_EVENT_H */
