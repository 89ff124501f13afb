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
 */
#ifndef RK_SPIN_H
#define RK_SPIN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

#define RK_SPIN_PAUSE_NS 1000u

typedef struct rk_spin {
	uint64_t start;
	uint64_t until;
} rk_spin;

static inline void rk_spin_init(rk_spin *s, uint32_t spin_ns, uint64_t deadline)
{
	s->start = rk_now_ns();
	s->until = s->start + spin_ns < deadline ? s->start + spin_ns
						  : deadline;
}

/* Between two looks at the condition: false once it is time to park. */
static inline bool rk_spin_again(rk_spin *s)
{
	uint64_t now = rk_now_ns();

	if (now >= s->until)
		return false;
	if (now - s->start < RK_SPIN_PAUSE_NS) {
		for (int i = 0; i < 16; i++)
			rk_cpu_relax();
	} else {
		sched_yield();
	}
	return true;
}

#endif /* RK_SPIN_H */
