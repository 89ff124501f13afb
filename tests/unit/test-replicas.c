/* test-replicas.c - replicated kernels: messages dealt out in turn,
 * outputs (zero, one or more per message) put back in input order,
 * through clients and through kernels upstream and downstream; nothing
 * lost or repeated; the lifecycle and telemetry of the group. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"
#include "stress.h"

static void launch_replicated(rk_runtime *rt, const char *id,
			      const rk_kernel_desc *d, uint32_t n)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.replicas = n;
	if (rk_launch(rt, id, d, &o) != RK_OK)
		fail_msg("launch %s: %s", id, rk_errmsg());
}

struct feeder {
	rk_runtime *rt;
	const char *id;
	int64_t count;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;

	for (int64_t v = 1; v <= f->count; v++)
		send_i64(f->rt, f->id, v);
	assert_int_equal(rk_send_end(f->rt, f->id, 10.0), RK_OK);
	return NULL;
}

/* What `copies` makes of 1..count, in order. */
static void expect_copies(rk_runtime *rt, const char *id, int64_t count,
			  int64_t factor)
{
	int64_t v;
	size_t len;

	for (int64_t x = 1; x <= count; x++)
		for (int64_t i = 0; i < x % 3; i++) {
			int64_t got = recv_i64(rt, id);
			if (got != x * factor)
				fail_msg("expected %lld, got %lld",
					 (long long)(x * factor), (long long)got);
		}
	assert_int_equal(rk_receive(rt, id, &v, sizeof(v), &len, 5.0), RK_EEND);
}

static void test_order_through_clients(void **unused)
{
	rk_runtime *rt = test_runtime(1, 64);
	int64_t count = (int64_t)stress_count(20000);
	struct feeder f = { rt, "c", count };
	pthread_t t;
	rk_telemetry tel;

	launch_replicated(rt, "c", &test_copies, 4);
	assert_int_equal(rk_activate(rt, "c"), RK_OK);
	pthread_create(&t, NULL, feed, &f);
	expect_copies(rt, "c", count, 1);
	pthread_join(t, NULL);
	assert_int_equal(rk_deactivate(rt, "c"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "c", &tel), RK_OK);
	assert_int_equal(tel.messages_processed, count);
	assert_int_equal(tel.messages_received, count);
	assert_int_equal(tel.messages_dropped, 0);
	assert_int_equal(tel.input.capacity, 4 * 64);
	rk_runtime_free(rt);
}

/* doubler -> copies x3 -> doubler: order restored in a kernel's input. */
static void test_order_between_kernels(void **unused)
{
	rk_runtime *rt = test_runtime(0, 32);
	int64_t count = (int64_t)stress_count(20000);
	struct feeder f = { rt, "a", count };
	pthread_t t;

	assert_int_equal(rk_launch(rt, "a", &test_doubler, NULL), RK_OK);
	launch_replicated(rt, "b", &test_copies, 3);
	assert_int_equal(rk_launch(rt, "c", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "c"), RK_OK);
	assert_int_equal(rk_activate(rt, "c"), RK_OK);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	pthread_create(&t, NULL, feed, &f);
	/* copies sees 2v: 2v % 3 copies of 2v, doubled again. */
	int64_t v;
	size_t len;
	for (int64_t x = 1; x <= count; x++)
		for (int64_t i = 0; i < (2 * x) % 3; i++) {
			int64_t got = recv_i64(rt, "c");
			if (got != 4 * x)
				fail_msg("x=%lld: got %lld", (long long)x,
					 (long long)got);
		}
	assert_int_equal(rk_receive(rt, "c", &v, sizeof(v), &len, 5.0), RK_EEND);
	pthread_join(t, NULL);
	rk_runtime_free(rt);
}

static void test_group_lifecycle(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_terminate_report report;
	rk_state s;
	char **ids;
	size_t n;

	launch_replicated(rt, "d", &test_doubler, 3);
	assert_int_equal(rk_get_state(rt, "d", &s), RK_OK);
	assert_int_equal(s, RK_STATE_LAUNCHED);
	assert_int_equal(rk_kernel_ids(rt, &ids, &n), RK_OK);
	assert_int_equal(n, 1);         /* the replicas are the group's */
	rk_free_ids(ids, n);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	assert_int_equal(rk_deactivate(rt, "d"), RK_OK);
	for (int64_t v = 0; v < 9; v++)
		send_i64(rt, "d", v);
	assert_int_equal(rk_reactivate(rt, "d"), RK_OK);
	for (int64_t v = 0; v < 6; v++)
		assert_int_equal(recv_i64(rt, "d"), 2 * v);
	assert_int_equal(rk_activate(rt, "d"), RK_ESTATE);
	assert_int_equal(rk_terminate_ex(rt, "d", 1.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	assert_true(report.unread_output >= 3);
	assert_int_equal(rk_get_state(rt, "d", &s), RK_ENOTFOUND);
	rk_runtime_free(rt);
}

/* Downstream of replicas a batch runs from turn to turn, one message
 * and its marker at a time: a terminate must still be heard between
 * turns.  A slow kernel (20 ms a message) with 40 queued, told to stop
 * within 50 ms, stops within that and the runtime's grace (200 ms),
 * not after the 32 messages a batch of 64 slots can hold. */
static void test_terminate_between_turns(void **unused)
{
	rk_runtime *rt = test_runtime(0, 64);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param slow[] = { { "us", "20000" }, { NULL, NULL } };
	rk_terminate_report report;
	int64_t count = 40;

	launch_replicated(rt, "d", &test_doubler, 2);
	o.params = slow;
	assert_int_equal(rk_launch(rt, "s", &test_slow, &o), RK_OK);
	assert_int_equal(rk_connect(rt, "d", "s"), RK_OK);
	assert_int_equal(rk_activate(rt, "s"), RK_OK);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	for (int64_t v = 1; v <= count; v++)
		send_i64(rt, "d", v);
	/* Into its batch (the doublers pass them on at once). */
	struct timespec nap = { 0, 30000000 };
	nanosleep(&nap, NULL);
	double t0 = test_now_s();
	rk_error rc = rk_terminate_ex(rt, "s", 0.05, &report);
	double took = test_now_s() - t0;
	if (rc != RK_OK)
		fail_msg("terminate after %.3f s: %s", took, rk_errmsg());
	assert_true(took < 0.05 + 0.2);
	/* What it did not process was dropped, and said so. */
	assert_true(report.dropped_input > 0);
	assert_int_equal(report.unread_output + report.dropped_input, count);
	assert_int_equal(rk_terminate(rt, "d", 1.0), RK_OK);
	rk_runtime_free(rt);
}

static void test_stateful_kernels_refuse_replicas(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.replicas = 2;
	assert_int_equal(rk_launch(rt, "n", &test_counter, &o), RK_ECONFIG);
	assert_string_equal(rk_errmsg(), "kernel 'n' cannot have replicas: it "
			    "keeps state across messages (flush)");
	assert_int_equal(rk_launch(rt, "m", &test_main_doubler, &o), RK_ECONFIG);
	assert_int_equal(rk_launch(rt, "b", &test_doubler_batch, &o), RK_ECONFIG);
	launch_replicated(rt, "x", &test_copies, 2);
	launch_replicated(rt, "y", &test_copies, 2);
	assert_int_equal(rk_connect(rt, "x", "y"), RK_ECONFIG);
	rk_runtime_free(rt);
}

/* Replicas keep the order of their input by taking turns: a queue
 * that drops, or a second producer with turns of its own, would lose
 * it, so both are refused, saying why. */
static void test_replicas_refuse_drops_and_second_inputs(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	int64_t v = 1;

	o.replicas = 2;
	o.input_policy = RK_BP_DROP_NEWEST;
	assert_int_equal(rk_launch(rt, "r", &test_doubler, &o), RK_ECONFIG);
	o.input_policy = RK_BP_DROP_OLDEST;
	assert_int_equal(rk_launch(rt, "r", &test_doubler, &o), RK_ECONFIG);
	assert_string_equal(rk_errmsg(), "kernel 'r' has replicas, which keep "
			    "the order of their input: its queue cannot drop "
			    "messages (backpressure drop_oldest); use block or "
			    "reject");
	o.input_policy = RK_BP_REJECT;
	assert_int_equal(rk_launch(rt, "r", &test_doubler, &o), RK_OK);
	assert_int_equal(rk_launch(rt, "a", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_launch(rt, "b", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "r"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "r"), RK_ECONFIG);
	assert_int_equal(rk_activate(rt, "r"), RK_OK);
	assert_int_equal(rk_send(rt, "r", &v, sizeof(v), 0.1), RK_EINVAL);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_through_clients),
		cmocka_unit_test(test_order_between_kernels),
		cmocka_unit_test(test_group_lifecycle),
		cmocka_unit_test(test_terminate_between_turns),
		cmocka_unit_test(test_stateful_kernels_refuse_replicas),
		cmocka_unit_test(test_replicas_refuse_drops_and_second_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
