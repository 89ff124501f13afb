/* test-telemetry.c - exact counters, queue depths, latency and the
 * summary; nothing when telemetry is off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"

static void test_disabled_gives_nothing(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_telemetry t;
	rk_summary s;

	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_ENODATA);
	assert_string_equal(rk_errmsg(), "telemetry is disabled");
	assert_int_equal(rk_get_summary(rt, &s), RK_OK);
	assert_int_equal(s.kernel_count, 1);
	rk_runtime_free(rt);
}

static void test_exact_counts(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;

	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_int_equal(t.state, RK_STATE_LAUNCHED);
	assert_int_equal(t.messages_processed, 0);
	assert_int_equal(t.throughput, 0);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	for (int64_t i = 0; i < 100; i++) {
		send_i64(rt, "d", i);
		assert_int_equal(recv_i64(rt, "d"), 2 * i);
	}
	send_i64(rt, "d", INT64_MIN);   /* one error */
	send_i64(rt, "d", 7);           /* its reply says the error is done */
	assert_int_equal(recv_i64(rt, "d"), 14);
	assert_int_equal(rk_deactivate(rt, "d"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_int_equal(t.messages_received, 102);
	assert_int_equal(t.messages_processed, 101);
	assert_int_equal(t.messages_sent, 101);
	assert_int_equal(t.messages_dropped, 0);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.latency_count, 102);
	assert_true(t.latency_min_ns <= t.latency_p50_ns);
	assert_true(t.latency_p50_ns <= t.latency_p99_ns);
	assert_true(t.latency_p99_ns <= t.latency_max_ns);
	assert_true(t.latency_avg_ns >= t.latency_min_ns);
	assert_true(t.latency_avg_ns <= t.latency_max_ns);
	assert_true(t.throughput > 0);
	assert_true(t.uptime_s > 0);
	assert_int_equal(t.state, RK_STATE_DEACTIVATED);
	assert_int_equal(t.backend, RK_BACKEND_CPU);
	assert_int_equal(t.input.capacity, 1000);
	rk_runtime_free(rt);
}

static void test_queue_depth_and_high_water(void **unused)
{
	rk_runtime *rt = test_runtime(1, 10);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_telemetry t;

	o.input_policy = RK_BP_DROP_NEWEST;
	assert_int_equal(rk_launch(rt, "d", &test_doubler, &o), RK_OK);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	assert_int_equal(rk_deactivate(rt, "d"), RK_OK);
	for (int64_t i = 0; i < 7; i++)
		send_i64(rt, "d", i);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_int_equal(t.input.depth, 7);
	assert_int_equal(t.input.high_water, 7);
	assert_int_equal(t.output.depth, 0);
	for (int64_t i = 7; i < 13; i++)
		send_i64(rt, "d", i);   /* 3 fit, 3 dropped */
	assert_int_equal(rk_reactivate(rt, "d"), RK_OK);
	for (int64_t i = 0; i < 10; i++)
		assert_int_equal(recv_i64(rt, "d"), 2 * i);
	/* Confirmed: the executor is between batches, counts are final. */
	assert_int_equal(rk_deactivate(rt, "d"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_int_equal(t.input.depth, 0);
	assert_int_equal(t.input.high_water, 10);
	assert_int_equal(t.input.dropped, 3);
	assert_int_equal(t.messages_dropped, 3);
	assert_true(t.output.high_water >= 1);
	rk_runtime_free(rt);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The rate is of the last second: near what was done in it while the
 * kernel works, 0 once it has done nothing for a second, while the
 * lifetime throughput stays where it was. */
static void test_rate_is_recent(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;
	double rate;
	uint64_t n = 0;

	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_get_rate(rt, "d", &rate), RK_OK);
	assert_true(rate == 0);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	/* 2.5 s of round trips: two whole windows and a half. */
	double t0 = now_s();
	while (now_s() - t0 < 2.5) {
		send_i64(rt, "d", 1);
		recv_i64(rt, "d");
		n++;
	}
	double average = (double)n / (now_s() - t0);
	assert_int_equal(rk_get_rate(rt, "d", &rate), RK_OK);
	if (!(rate > average / 4 && rate < average * 4))
		fail_msg("rate %.0f/s, while %.0f/s were done", rate, average);
	assert_int_equal(rk_deactivate(rt, "d"), RK_OK);
	struct timespec pause = { 1, 100000000 };
	nanosleep(&pause, NULL);
	assert_int_equal(rk_get_rate(rt, "d", &rate), RK_OK);
	assert_true(rate == 0);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_true(t.throughput > 0);
	assert_int_equal(rk_get_rate(rt, "ghost", &rate), RK_ENOTFOUND);
	rk_runtime_free(rt);
	rt = test_runtime(0, 0);
	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_get_rate(rt, "d", &rate), RK_ENODATA);
	rk_runtime_free(rt);
}

/* The histogram in the caller's bounds: cumulative, rising, with the
 * count of every call; a bound past every latency holds them all. */
static void test_latency_histogram(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;
	uint64_t le[] = { 1, 1000, 1000000, 1000000000000ull };
	uint64_t cum[4], sum, count;

	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	for (int64_t i = 0; i < 500; i++) {
		send_i64(rt, "d", i);
		recv_i64(rt, "d");
	}
	assert_int_equal(rk_get_latency_histogram(rt, "d", le, 4, cum, &sum,
						  &count), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
	assert_int_equal(count, t.latency_count);
	assert_int_equal(count, 500);
	for (int i = 1; i < 4; i++)
		assert_true(cum[i] >= cum[i - 1]);
	assert_int_equal(cum[3], count);        /* 1000 s: all of them */
	assert_int_equal(cum[0], 0);            /* 1 ns: none */
	assert_true(sum >= count);
	uint64_t falling[] = { 10, 5 };
	assert_int_equal(rk_get_latency_histogram(rt, "d", falling, 2, cum,
						  &sum, &count), RK_EINVAL);
	assert_int_equal(rk_get_latency_histogram(rt, "x", le, 4, cum, &sum,
						  &count), RK_ENOTFOUND);
	rk_runtime_free(rt);
}

static void test_summary(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_summary s;

	assert_int_equal(rk_launch(rt, "a", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_launch(rt, "b", &test_fail_every, NULL), RK_OK);
	assert_int_equal(rk_launch(rt, "c", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	for (int64_t i = 1; i <= 6; i++) {
		send_i64(rt, "a", i);
		recv_i64(rt, "a");
		send_i64(rt, "b", i);
	}
	send_i64(rt, "b", 7);           /* its reply: 6 is done */
	for (int64_t i = 1; i <= 5; i++)
		recv_i64(rt, "b");
	assert_int_equal(rk_deactivate(rt, "b"), RK_OK);
	assert_int_equal(rk_get_summary(rt, &s), RK_OK);
	assert_int_equal(s.kernel_count, 3);
	assert_int_equal(s.active_count, 1);
	assert_int_equal(s.total_processed, 11);
	assert_int_equal(s.total_errors, 2);
	assert_int_equal(s.total_dropped, 0);
	assert_true(s.uptime_s > 0);
	assert_true(s.gpu_utilization < 0);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_gives_nothing),
		cmocka_unit_test(test_exact_counts),
		cmocka_unit_test(test_queue_depth_and_high_water),
		cmocka_unit_test(test_rate_is_recent),
		cmocka_unit_test(test_latency_histogram),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
