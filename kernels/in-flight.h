/* in-flight.h - how many messages a co-process (an exec command, a
 * Python worker) may have at once: enough to keep it busy while the
 * answers of those before are read, few enough that a command (a
 * pause) waits no longer than about IN_FLIGHT_NS for those answers.
 * Learned from its time per message, of late. */
#ifndef RK_IN_FLIGHT_H
#define RK_IN_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringkernel.h>

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

/* Messages as lines.  JSON may hold newlines between its tokens (never
 * inside a string, where they are escaped), which a line protocol would
 * cut in two: such a message goes as a copy with those made spaces, in
 * `flat` (grown; kept by the caller until the lines are written).  The
 * bytes of msgs[0..n) as line i's data: out[i], or NULL when out of
 * memory. */
static inline bool in_flight_lines(const rk_msg *msgs, size_t n,
				   const void **out, char **flat,
				   size_t *cap)
{
	size_t need = 0, at = 0;

	for (size_t i = 0; i < n; i++)
		if (memchr(msgs[i].data, '\n', msgs[i].len))
			need += msgs[i].len;
	if (need > *cap) {
		char *more = realloc(*flat, need);
		if (!more)
			return false;
		*flat = more;
		*cap = need;
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = msgs[i].data;
		size_t len = msgs[i].len;
		if (!memchr(d, '\n', len)) {
			out[i] = d;
			continue;
		}
		char *c = *flat + at;
		for (size_t j = 0; j < len; j++)
			c[j] = d[j] == '\n' ? ' ' : d[j];
		out[i] = c;
		at += len;
	}
	return true;
}

#endif /* RK_IN_FLIGHT_H */
