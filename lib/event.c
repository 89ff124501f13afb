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

void rk_event_wake_all(rk_event *ev)
{
	__atomic_fetch_add(&ev->seq, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &ev->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

bool rk_event_wait(rk_event *ev, uint32_t key, uint64_t deadline_ns)
{
	bool in_time = true;
	struct timespec ts, *tsp = NULL;

	if (deadline_ns != UINT64_MAX) {
		if (rk_now_ns() >= deadline_ns) {
			rk_event_cancel(ev);
			return false;
		}
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tsp = &ts;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so
	 * spurious wake-ups never stretch the total wait. */
	if (syscall(SYS_futex, &ev->seq, FUTEX_WAIT_BITSET_PRIVATE, key, tsp,
		    NULL, FUTEX_BITSET_MATCH_ANY) != 0 && errno == ETIMEDOUT)
		in_time = false;
	rk_event_cancel(ev);
	return in_time;
}

rk_bell *rk_bell_new(void)
{
	rk_bell *b = aligned_alloc(64, 64);

	if (b) {
		b->ev = (rk_event){ 0, 0 };
		b->refs = 1;
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
