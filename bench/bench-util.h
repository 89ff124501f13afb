/* bench-util.h - timing and percentiles for the benchmarks. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

#define bench_now_ns rk_now_ns

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts samples in place; q in 0..1. */
static inline uint64_t bench_quantile(uint64_t *samples, size_t n, double q)
{
	qsort(samples, n, sizeof(*samples), bench_cmp_u64);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return samples[i < n ? i : n - 1];
}

/* The quantiles of `n` latency samples as JSON members (sorts them),
 * with a "cdf" of [fraction, ns] points for the latency plot. */
static inline void bench_print_quantiles(uint64_t *ns, size_t n)
{
	static const double cdf[] = { 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95,
				      0.99, 0.995, 0.999, 0.9995, 0.9999, 1 };

	printf("\"samples\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,"
	       "\"p999_ns\":%llu,\"cdf\":[", (unsigned long long)n,
	       (unsigned long long)bench_quantile(ns, n, 0.50),
	       (unsigned long long)bench_quantile(ns, n, 0.99),
	       (unsigned long long)bench_quantile(ns, n, 0.999));
	for (size_t i = 0; i < sizeof(cdf) / sizeof(cdf[0]); i++)
		printf("%s[%g,%llu]", i ? "," : "", cdf[i],
		       (unsigned long long)bench_quantile(ns, n, cdf[i]));
	printf("]");
}

#endif /* BENCH_UTIL_H */
