/* histogram.h - a log-bucket latency histogram with one writer.
 *
 * Eight buckets per power of two (about 9% resolution) from 1 ns to
 * 2^64 ns; the writer updates with relaxed stores, readers take a
 * snapshot without locking.
 */
#ifndef RK_HISTOGRAM_H
#define RK_HISTOGRAM_H

#include <stdint.h>

#define RK_HIST_SUB_BITS 3
#define RK_HIST_BUCKETS ((64 - RK_HIST_SUB_BITS + 1) << RK_HIST_SUB_BITS)

typedef struct rk_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[RK_HIST_BUCKETS];
} rk_hist;

void rk_hist_init(rk_hist *h);
void rk_hist_add(rk_hist *h, uint64_t value);
unsigned rk_hist_bucket(uint64_t value);
uint64_t rk_hist_bucket_low(unsigned bucket);
/* The value below which a fraction q (0..1) of the samples fall, as
 * the middle of its bucket clamped to [min, max]; 0 when empty. */
uint64_t rk_hist_quantile(const rk_hist *h, double q);

#endif /* RK_HISTOGRAM_H */
