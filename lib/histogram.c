/* histogram.c - log-bucket histogram for processing latency. */
#include "config.h"

#include <string.h>

#include "histogram.h"

#define SUB (1u << RK_HIST_SUB_BITS)

void rk_hist_init(rk_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Values below 2*SUB get a bucket each; above, the bucket is the power
 * of two and the next RK_HIST_SUB_BITS bits below the leading one. */
unsigned rk_hist_bucket(uint64_t v)
{
	if (v < 2 * SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	unsigned sub = (unsigned)(v >> (e - RK_HIST_SUB_BITS)) & (SUB - 1);
	return (e - RK_HIST_SUB_BITS + 1) * SUB + sub;
}

uint64_t rk_hist_bucket_low(unsigned b)
{
	if (b < 2 * SUB)
		return b;
	unsigned e = b / SUB + RK_HIST_SUB_BITS - 1;
	return (uint64_t)(SUB + b % SUB) << (e - RK_HIST_SUB_BITS);
}

static void store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

void rk_hist_add(rk_hist *h, uint64_t v)
{
	unsigned b = rk_hist_bucket(v);
	store(&h->buckets[b], h->buckets[b] + 1);
	store(&h->sum, h->sum + v);
	if (v < h->min)
		store(&h->min, v);
	if (v > h->max)
		store(&h->max, v);
	store(&h->count, h->count + 1);
}

uint64_t rk_hist_quantile(const rk_hist *h, double q)
{
	uint64_t total = 0, seen = 0;
	uint64_t lo = __atomic_load_n(&h->min, __ATOMIC_RELAXED);
	uint64_t hi = __atomic_load_n(&h->max, __ATOMIC_RELAXED);

	for (unsigned b = 0; b < RK_HIST_BUCKETS; b++)
		total += __atomic_load_n(&h->buckets[b], __ATOMIC_RELAXED);
	if (total == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)total);
	if (rank >= total)
		rank = total - 1;
	for (unsigned b = 0; b < RK_HIST_BUCKETS; b++) {
		seen += __atomic_load_n(&h->buckets[b], __ATOMIC_RELAXED);
		if (seen > rank) {
			uint64_t low = rk_hist_bucket_low(b);
			uint64_t high = b + 1 < RK_HIST_BUCKETS
				? rk_hist_bucket_low(b + 1) : UINT64_MAX;
			uint64_t mid = low + (high - low) / 2;
			return mid < lo ? lo : mid > hi ? hi : mid;
		}
	}
	return hi;
}
