/* clock.h - monotonic time in nanoseconds, and seconds to deadlines. */
#ifndef RK_CLOCK_H
#define RK_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rk_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A timeout in seconds (negative: none) as an absolute deadline. */
static inline uint64_t rk_deadline(double timeout_s)
{
	if (timeout_s < 0 || timeout_s > 1e9)
		return UINT64_MAX;
	return rk_now_ns() + (uint64_t)(timeout_s * 1e9);
}

static inline void rk_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* RK_CLOCK_H */
