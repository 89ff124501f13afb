/* in-flight.h - how many messages a co-process (an exec command, a
 * Python worker) may have at once: enough to keep it busy while the
 * answers of those before are read, few enough that a command (a
 * pause) waits no longer than about IN_FLIGHT_NS for those answers.
 * Learned from its time per message, of late. */
#ifndef RK_IN_FLIGHT_H
#define RK_IN_FLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IN_FLIGHT_NS 2000000ull
#define IN_FLIGHT_MAX 64

static inline uint64_t in_flight_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* At least two, so that one is worked on while the other's answer is
 * read; before anything is known, two. */
static inline size_t in_flight_window(uint64_t per_message_ns)
{
	uint64_t n = per_message_ns ? IN_FLIGHT_NS / per_message_ns : 2;

	return n < 2 ? 2 : n > IN_FLIGHT_MAX ? IN_FLIGHT_MAX : (size_t)n;
}

/* `done` messages answered since t0: the time per message, smoothed. */
static inline void in_flight_learn(uint64_t *per_message_ns, uint64_t t0,
				   size_t done)
{
	if (done)
		*per_message_ns = (*per_message_ns * 3
				   + (in_flight_now_ns() - t0) / done) / 4;
}

#endif /* RK_IN_FLIGHT_H */
