/* spin.h - how a thread waits a little before it parks.
 *
 * A parked thread costs its waker a futex wake (~12 us here), so a
 * thread that expects its partner within microseconds spins first.
 * But where busy threads outnumber cores (ringctl run: a reader, the
 * kernels and a writer on two cores) the partner may be waiting for the
 * very core the spinner holds.  So a spinner pauses only for its first
 * microsecond and then yields the core on every look, until spin_ns,
 * when it parks.  On `ringctl run doubler` this took 1 M lines from
 * 0.18 s to ~0.12 s with the default 20 us spin, and kept the round
 * trip of an idle pair at its spinning best.
 *
 * Where every core is taken by other work, yielding cannot help: the
 * core goes to another process for its whole time slice (milliseconds).
 * So after a yield that kept the thread off its core for longer than
 * RK_SPIN_CONTENDED_NS, it counts the threads that want a core and are
 * not ours (the machine's runnable threads, /proc/loadavg, less this
 * process's threads not parked; none where the process may not use
 * every core, which the count cannot tell apart, its affinity read
 * once): if there are any, twice within RK_SPIN_SUSPECT_NS, the
 * machine is contended.  For a while then
 * (RK_SPIN_CONTENDED_MIN_NS, doubling while the machine stays
 * contended, up to RK_SPIN_CONTENDED_MAX_NS) the thread's waits never
 * yield: after the pause they nap (RK_SPIN_NAP_NS at a time, for up to
 * RK_SPIN_NAPS_NS) and then park.  Naps, not parking at once: on a
 * busy machine a consumer parked at once is woken for nearly every
 * message (its producer, starved too, publishes them one by one), a
 * futex call on each side; one that naps finds several.  Measured, 1 M
 * lines on 2 cores with a busy loop on each, against yielding: `ringctl
 * run doubler` 3.6 s -> 0.55 s of wall for the same CPU time,
 * replicas.yaml 2.6 s -> 1.2 s; parking at once gave 0.53 s and 3.1 s
 * (2.6 CPU s).  The first yields after the while are the probe.  A
 * long yield with no other thread about is our own threads taking
 * turns (the five threads of `ringctl run 'a | b | c'` on two cores):
 * yielding is what lets them run, and the spin goes on.  The state is
 * per thread (spin.c).
 */
#ifndef RK_SPIN_H
#define RK_SPIN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

#define RK_SPIN_PAUSE_NS 1000u
/* Longer than our own threads run between two looks at a ring (a
 * batch of lines, a write of the output), shorter than the time slice
 * another process gets. */
#define RK_SPIN_CONTENDED_NS 200000u
#define RK_SPIN_SUSPECT_NS 50000000u            /* 50 ms */
#define RK_SPIN_CONTENDED_MIN_NS 10000000u      /* 10 ms */
#define RK_SPIN_CONTENDED_MAX_NS 1000000000u    /* 1 s */

/* Contended, a waiter naps this long between looks, for up to
 * RK_SPIN_NAPS_NS, before it parks (see above; timer slack makes a
 * nap of 10 us take ~60). */
#define RK_SPIN_NAP_NS 10000u
#define RK_SPIN_NAPS_NS 100000u

typedef struct rk_spin {
	uint64_t start;
	uint64_t until;
	bool naps;                      /* contended: nap, never yield */
} rk_spin;

/* The calling thread's view of the machine: until when not to yield,
 * and how long the next such while lasts. */
typedef struct rk_spin_contention {
	uint64_t until;
	uint64_t next_ns;
	uint64_t seen;                  /* times it was found contended */
	uint64_t suspected_at;          /* a long yield with others about */
} rk_spin_contention;

extern _Thread_local rk_spin_contention rk_spin_thread;

static inline void rk_spin_init(rk_spin *s, uint32_t spin_ns, uint64_t deadline)
{
	uint64_t want = spin_ns;

	s->start = rk_now_ns();
	s->naps = s->start < rk_spin_thread.until && want > RK_SPIN_PAUSE_NS;
	if (s->naps)
		want = RK_SPIN_NAPS_NS;
	s->until = s->start + want < deadline ? s->start + want : deadline;
}

/* Runnable threads on the machine that are not this process's (an
 * estimate, low rather than high: a thread of ours asleep elsewhere
 * than in rk_event_wait counts as ours and runnable). */
uint32_t rk_spin_others_runnable(void);

/* The cores this process may run on (its affinity; the online ones where
 * that cannot be read), counted once. */
uint32_t rk_spin_usable_cores(void);

/* A yield kept the thread away for `away_ns`, and `others` threads not
 * ours want a core: true when the machine is contended (and the thread
 * should park now). */
bool rk_spin_judge_yield(uint64_t now, uint64_t away_ns, uint32_t others);

/* Between two looks at the condition: false once it is time to park. */
static inline bool rk_spin_again(rk_spin *s)
{
	uint64_t now = rk_now_ns();

	if (now >= s->until)
		return false;
	if (now - s->start < RK_SPIN_PAUSE_NS) {
		for (int i = 0; i < 16; i++)
			rk_cpu_relax();
		return true;
	}
	if (s->naps) {
		struct timespec nap = { 0, RK_SPIN_NAP_NS };
		nanosleep(&nap, NULL);
		return true;
	}
	sched_yield();
	uint64_t after = rk_now_ns();
	if (after - now < RK_SPIN_CONTENDED_NS)
		return !rk_spin_judge_yield(after, after - now, 0);
	return !rk_spin_judge_yield(after, after - now,
				    rk_spin_others_runnable());
}

#endif /* RK_SPIN_H */
