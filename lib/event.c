/* event.c - the futex side of the event count. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"

int32_t rk_event_parked;

/* The futex word: the sequence, the high half of the event's word. */
static uint32_t *seq_of(rk_event *ev)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t *)&ev->word + 1;
#else
	return (uint32_t *)&ev->word;
#endif
}

void rk_event_wake_all(rk_event *ev)
{
	uint64_t old = __atomic_load_n(&ev->word, __ATOMIC_RELAXED);
	uint64_t next;

	do {
		next = (old & ~RK_EVENT_WAITERS) + RK_EVENT_NEXT_SEQ;
	} while (!__atomic_compare_exchange_n(&ev->word, &old, next, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	/* None announced under the sequence just left: none sleeps on it
	 * (those of older ones were woken when it moved). */
	if (!(old & RK_EVENT_WAITERS))
		return;
	long woken = syscall(SYS_futex, seq_of(ev), FUTEX_WAKE_PRIVATE,
			     INT_MAX, NULL, NULL, 0);
	/* The woken want a core from now on, before they run. */
	if (woken > 0)
		__atomic_fetch_sub(&rk_event_parked, (int32_t)woken,
				   __ATOMIC_RELAXED);
}

void rk_event_cancel(rk_event *ev, uint32_t key)
{
	uint64_t cur = __atomic_load_n(&ev->word, __ATOMIC_RELAXED);

	/* Once the sequence moved, a wake took the count with it. */
	while ((uint32_t)(cur >> 32) == key && (cur & RK_EVENT_WAITERS))
		if (__atomic_compare_exchange_n(&ev->word, &cur, cur - 1, true,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return;
}

bool rk_event_wait(rk_event *ev, uint32_t key, uint64_t deadline_ns)
{
	bool in_time = true;
	struct timespec ts, *tsp = NULL;

	if (deadline_ns != UINT64_MAX) {
		if (rk_now_ns() >= deadline_ns) {
			rk_event_cancel(ev, key);
			return false;
		}
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tsp = &ts;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so
	 * spurious wake-ups never stretch the total wait. */
	__atomic_fetch_add(&rk_event_parked, 1, __ATOMIC_RELAXED);
	if (syscall(SYS_futex, seq_of(ev), FUTEX_WAIT_BITSET_PRIVATE, key, tsp,
		    NULL, FUTEX_BITSET_MATCH_ANY) != 0) {
		/* Not woken by rk_event_wake_all, which counts whom it wakes:
		 * count ourselves out. */
		__atomic_fetch_sub(&rk_event_parked, 1, __ATOMIC_RELAXED);
		if (errno == ETIMEDOUT)
			in_time = false;
	}
	rk_event_cancel(ev, key);
	return in_time;
}

rk_bell *rk_bell_new(void)
{
	_Static_assert(sizeof(rk_bell) <= 64, "a bell is one line");
	rk_bell *b = aligned_alloc(64, 64);

	if (b) {
		b->ev = (rk_event){ 0 };
		b->refs = 1;
		b->seat = 0;
		b->runner = NULL;
	}
	return b;
}

void rk_bell_ref(rk_bell *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
}

void rk_bell_unref(rk_bell *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}
