/* stress.h - how hard the concurrency tests push: RK_STRESS_SCALE in
 * the environment divides the message counts (sanitizer builds run
 * slower; TSan is set to 20 by tools/test-all). */
#ifndef TESTS_STRESS_H
#define TESTS_STRESS_H

#include <stdint.h>
#include <stdlib.h>

static inline uint64_t stress_count(uint64_t full)
{
	const char *s = getenv("RK_STRESS_SCALE");
	uint64_t scale = s ? strtoull(s, NULL, 10) : 1;
	uint64_t n = full / (scale ? scale : 1);
	return n ? n : 1;
}

#endif /* TESTS_STRESS_H */
