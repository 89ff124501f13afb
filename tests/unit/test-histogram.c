/* test-histogram.c - the latency histogram's buckets and quantiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "histogram.h"

/* Every value falls in the bucket whose range holds it, and buckets
 * are ordered. */
static void test_buckets_cover_values(void **unused)
{
	for (uint64_t v = 0; v < 100000; v += 1 + v / 50) {
		unsigned b = rk_hist_bucket(v);
		assert_true(b < RK_HIST_BUCKETS);
		assert_true(rk_hist_bucket_low(b) <= v);
		if (b + 1 < RK_HIST_BUCKETS)
			assert_true(v < rk_hist_bucket_low(b + 1));
	}
	assert_true(rk_hist_bucket(UINT64_MAX) < RK_HIST_BUCKETS);
	assert_int_equal(rk_hist_bucket(0), 0);
	assert_int_equal(rk_hist_bucket(15), 15);
	for (unsigned b = 1; b < RK_HIST_BUCKETS; b++)
		assert_true(rk_hist_bucket_low(b) > rk_hist_bucket_low(b - 1));
}

/* Quantiles are within the bucket resolution (1/8 of an octave). */
static void test_quantiles(void **unused)
{
	rk_hist h;

	rk_hist_init(&h);
	assert_int_equal(rk_hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 1; v <= 10000; v++)
		rk_hist_add(&h, v * 100);
	assert_int_equal(h.count, 10000);
	assert_int_equal(h.min, 100);
	assert_int_equal(h.max, 1000000);
	uint64_t p50 = rk_hist_quantile(&h, 0.5);
	uint64_t p99 = rk_hist_quantile(&h, 0.99);
	assert_true(p50 > 500000 * 0.9 && p50 < 500000 * 1.1);
	assert_true(p99 > 990000 * 0.9 && p99 <= 1000000);
	assert_int_equal(rk_hist_quantile(&h, 1.0), 1000000);
	assert_int_equal(rk_hist_quantile(&h, 0.0), 100);
}

static void test_single_value(void **unused)
{
	rk_hist h;

	rk_hist_init(&h);
	rk_hist_add(&h, 12345);
	assert_int_equal(rk_hist_quantile(&h, 0.5), 12345);
	assert_int_equal(rk_hist_quantile(&h, 0.99), 12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_cover_values),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_single_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
