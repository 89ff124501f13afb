/* test-batch-tells.c - a process_batch that tells each message's end
 * (RK_KERNEL_BATCH_TELLS, rk_ctx_batch_done): every failure counted and
 * reported at its own message's position, replicas in input order, a
 * stop after the failing message, what is not told given again, and a
 * batch told of none failed whole.  Random failure patterns print their
 * seed. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"
#include "stress.h"

/* Which values fail: a random set, the same for the kernel and the
 * checks. */
#define MAX_VALUES 20000
static unsigned char fails[MAX_VALUES + 1];
/* Value 1 takes this long, so that what comes after it queues up. */
static unsigned first_ms;

static void choose_failures(uint64_t seed, int per_thousand)
{
	srand48((long)seed);
	for (int v = 0; v <= MAX_VALUES; v++)
		fails[v] = lrand48() % 1000 < per_thousand;
}

static int64_t value_of(const rk_msg *m)
{
	int64_t v;
	memcpy(&v, m->data, sizeof(v));
	return v;
}

/* One message: v % 3 copies of v, or a failure (with no output). */
static int one(rk_ctx *ctx, const rk_msg *m)
{
	int64_t v = value_of(m);

	if (v == 1 && first_ms)
		nanosleep(&(struct timespec){ 0, first_ms * 1000000L }, NULL);
	if (v >= 0 && v <= MAX_VALUES && fails[v]) {
		rk_ctx_error(ctx, "value %lld fails", (long long)v);
		return 1;
	}
	for (int64_t i = 0; i < v % 3; i++)
		if (rk_ctx_emit(ctx, &v, sizeof(v)) != RK_OK)
			return 1;
	return 0;
}

/* Tells each of its messages, stopping when told to. */
static int tell_each(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rk_ctx_batch_done(ctx, one(ctx, &msgs[i])) != RK_BATCH_GO_ON)
			break;
	return 0;
}

/* Tells at most two, then returns: the rest must come again. */
static int tell_two(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n && i < 2; i++)
		if (rk_ctx_batch_done(ctx, one(ctx, &msgs[i])) != RK_BATCH_GO_ON)
			break;
	return 0;
}

/* Tells nothing: the batch has failed. */
static int tell_none(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	(void)msgs;
	rk_ctx_error(ctx, "told nothing");
	return (int)n;
}

#define TELLER(var, fn) \
	static const rk_kernel_desc var = { \
		.abi_version = RK_PLUGIN_ABI_VERSION, \
		.struct_size = sizeof(rk_kernel_desc), .name = #var, \
		.process_batch = fn, .flags = RK_KERNEL_BATCH_TELLS }
TELLER(teller, tell_each);
TELLER(teller_two, tell_two);
TELLER(teller_none, tell_none);

/* The positions the error hook heard, in order (one teller at a time,
 * or replicas: sorted before the check). */
static pthread_mutex_t heard_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t heard[MAX_VALUES];
static size_t n_heard;
static char last_why[256];

static void hear(void *arg, const char *kernel, uint64_t position,
		 const char *why)
{
	(void)arg;
	(void)kernel;
	pthread_mutex_lock(&heard_lock);
	if (n_heard < MAX_VALUES)
		heard[n_heard++] = position;
	snprintf(last_why, sizeof(last_why), "%s", why);
	pthread_mutex_unlock(&heard_lock);
}

static rk_runtime *runtime(uint32_t queue_size)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	o.telemetry = 1;
	o.default_queue_size = queue_size;
	o.on_kernel_error = hear;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	n_heard = 0;
	last_why[0] = '\0';
	return rt;
}

static void launch(rk_runtime *rt, const rk_kernel_desc *d, uint32_t replicas,
		   rk_on_error on_error)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.replicas = replicas;
	o.on_error = on_error;
	if (rk_launch(rt, "t", d, &o) != RK_OK)
		fail_msg("launch: %s", rk_errmsg());
}

struct feeder {
	rk_runtime *rt;
	int64_t count;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;

	for (int64_t v = 1; v <= f->count; v++)
		if (rk_send(f->rt, "t", &v, sizeof(v), 10.0) != RK_OK)
			break;          /* a stopped kernel refuses the rest */
	(void)rk_send_end(f->rt, "t", 10.0);
	return NULL;
}

/* 1..count in, checked out: v % 3 copies of each v that does not fail,
 * in order; the failures heard at their positions; the counts. */
static void run_and_check(const rk_kernel_desc *d, uint32_t replicas,
			  int64_t count)
{
	rk_runtime *rt = runtime(64);
	struct feeder f = { rt, count };
	pthread_t t;
	int64_t v, failures = 0;
	size_t len;
	rk_telemetry tel;

	launch(rt, d, replicas, RK_ON_ERROR_CONTINUE);
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	pthread_create(&t, NULL, feed, &f);
	for (int64_t x = 1; x <= count; x++) {
		if (fails[x]) {
			failures++;
			continue;
		}
		for (int64_t i = 0; i < x % 3; i++) {
			if (rk_receive(rt, "t", &v, sizeof(v), &len, 10.0)
			    != RK_OK)
				fail_msg("waiting for %lld: %s", (long long)x,
					 rk_errmsg());
			if (v != x)
				fail_msg("expected %lld, got %lld",
					 (long long)x, (long long)v);
		}
	}
	assert_int_equal(rk_receive(rt, "t", &v, sizeof(v), &len, 10.0),
			 RK_EEND);
	pthread_join(t, NULL);
	assert_int_equal(rk_get_telemetry(rt, "t", &tel), RK_OK);
	assert_int_equal(tel.messages_received, count);
	assert_int_equal(tel.messages_processed, count - failures);
	assert_int_equal(tel.errors, failures);
	assert_int_equal(tel.messages_dropped, 0);
	/* Each failure heard once, at its own position (1-based, which
	 * is its value here): a replica's position is within its copy,
	 * so only the count is checked there. */
	pthread_mutex_lock(&heard_lock);
	assert_int_equal(n_heard, failures);
	if (replicas <= 1) {
		size_t h = 0;
		for (int64_t x = 1; x <= count; x++)
			if (fails[x] && heard[h++] != (uint64_t)x)
				fail_msg("failure %zu heard at %llu, not %lld",
					 h, (unsigned long long)heard[h - 1],
					 (long long)x);
		if (failures)
			assert_non_null(strstr(last_why, "fails"));
	}
	pthread_mutex_unlock(&heard_lock);
	rk_runtime_free(rt);
}

static uint64_t seed_of(const char *test)
{
	const char *env = getenv("RK_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0)
			    : (uint64_t)time(NULL) ^ (uint64_t)clock();

	printf("# %s: seed %#llx (RK_TEST_SEED to repeat)\n", test,
	       (unsigned long long)seed);
	return seed;
}

static void test_each_failure_at_its_message(void **unused)
{
	(void)unused;
	choose_failures(seed_of("each failure"), 50);
	run_and_check(&teller, 1, (int64_t)stress_count(MAX_VALUES));
}

static void test_replicas_keep_order(void **unused)
{
	(void)unused;
	choose_failures(seed_of("replicas"), 50);
	run_and_check(&teller, 3, (int64_t)stress_count(MAX_VALUES));
}

static void test_untold_come_again(void **unused)
{
	(void)unused;
	choose_failures(seed_of("untold"), 100);
	run_and_check(&teller_two, 1, (int64_t)stress_count(5000));
	run_and_check(&teller_two, 2, (int64_t)stress_count(5000));
}

/* on_error stop: the failing message is the last one taken; what came
 * before it went out, and nothing after it; every message in is
 * received, dropped or still queued. */
static void test_stop_after_the_failure(void **unused)
{
	rk_runtime *rt = runtime(256);
	int64_t v;
	size_t len;
	rk_state state;
	rk_telemetry tel;

	(void)unused;
	memset(fails, 0, sizeof(fails));
	fails[40] = 1;
	launch(rt, &teller, 1, RK_ON_ERROR_STOP);
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	/* The rest queue up while 1 takes its time, so that the failure
	 * sits inside a batch. */
	first_ms = 100;
	for (v = 1; v <= 100; v++)
		assert_int_equal(rk_send(rt, "t", &v, sizeof(v), 5.0), RK_OK);
	for (int64_t x = 1; x < 40; x++)
		for (int64_t i = 0; i < x % 3; i++) {
			assert_int_equal(rk_receive(rt, "t", &v, sizeof(v),
						    &len, 10.0), RK_OK);
			assert_int_equal(v, x);
		}
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(rk_get_state(rt, "t", &state), RK_OK);
		if (state == RK_STATE_FAILED)
			break;
		nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	}
	assert_int_equal(state, RK_STATE_FAILED);
	/* Nothing of 41..100 went out. */
	assert_int_not_equal(rk_receive(rt, "t", &v, sizeof(v), &len, 0.1),
			     RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "t", &tel), RK_OK);
	assert_int_equal(tel.errors, 1);
	assert_int_equal(tel.messages_processed, 39);
	assert_int_equal(tel.messages_received, 40);
	assert_int_equal(tel.messages_received + tel.messages_dropped
			 + tel.input.depth, 100);
	assert_int_equal(n_heard, 1);
	assert_int_equal(heard[0], 40);
	first_ms = 0;
	rk_runtime_free(rt);
}

static void test_told_none_failed_whole(void **unused)
{
	rk_runtime *rt = runtime(64);
	int64_t v;
	size_t len;
	rk_telemetry tel;

	(void)unused;
	launch(rt, &teller_none, 2, RK_ON_ERROR_CONTINUE);
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	for (v = 1; v <= 10; v++)
		assert_int_equal(rk_send(rt, "t", &v, sizeof(v), 5.0), RK_OK);
	assert_int_equal(rk_send_end(rt, "t", 5.0), RK_OK);
	assert_int_equal(rk_receive(rt, "t", &v, sizeof(v), &len, 10.0),
			 RK_EEND);
	assert_int_equal(rk_get_telemetry(rt, "t", &tel), RK_OK);
	assert_int_equal(tel.errors, 10);
	assert_int_equal(tel.messages_received, 10);
	assert_int_equal(tel.messages_processed, 0);
	assert_int_equal(n_heard, 10);
	assert_string_equal(last_why, "told nothing");
	rk_runtime_free(rt);
}

/* Blocked on a full output mid-batch, the messages it told are given
 * back: at rest, what was received is exactly what is out (the one
 * being worked on may have one of its two copies out), and the rest is
 * still queued. */
static void test_told_go_back_while_blocked(void **unused)
{
	rk_runtime *rt = runtime(128);
	rk_telemetry tel;

	(void)unused;
	memset(fails, 0, sizeof(fails));
	launch(rt, &teller, 1, RK_ON_ERROR_CONTINUE);
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	/* Values of two copies each: 100 in, 200 out, into 128 places. */
	for (int64_t i = 0; i < 100; i++) {
		int64_t v = 3 * i + 2;
		assert_int_equal(rk_send(rt, "t", &v, sizeof(v), 5.0), RK_OK);
	}
	nanosleep(&(struct timespec){ 0, 300000000L }, NULL);
	assert_int_equal(rk_get_telemetry(rt, "t", &tel), RK_OK);
	assert_int_equal(tel.output.depth, tel.output.capacity);
	assert_int_equal(tel.messages_received + tel.input.depth, 100);
	if (tel.output.depth < 2 * tel.messages_received
	    || tel.output.depth > 2 * tel.messages_received + 1)
		fail_msg("%llu received, but %llu out", (unsigned long long)
			 tel.messages_received,
			 (unsigned long long)tel.output.depth);
	rk_runtime_free(rt);
}

/* A batch whose thread ends after it told every message: they were
 * all done, none is counted twice, and nothing past them is given back
 * (the input's depth stays sane, the terminate returns). */
static int tell_all_then_exit(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	(void)msgs;
	for (size_t i = 0; i < n; i++)
		if (rk_ctx_batch_done(ctx, 0) != RK_BATCH_GO_ON)
			break;
	pthread_exit(NULL);
}
TELLER(teller_exit, tell_all_then_exit);

static void test_died_after_telling_all(void **unused)
{
	rk_runtime *rt = runtime(64);
	rk_telemetry tel;

	(void)unused;
	launch(rt, &teller_exit, 1, RK_ON_ERROR_CONTINUE);
	first_ms = 0;
	/* All three queued while it is paused: one batch. */
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	assert_int_equal(rk_deactivate(rt, "t"), RK_OK);
	for (int64_t v = 1; v <= 3; v++)
		assert_int_equal(rk_send(rt, "t", &v, sizeof(v), 1.0), RK_OK);
	assert_int_equal(rk_reactivate(rt, "t"), RK_OK);
	for (int i = 0; i < 100; i++) {
		rk_state s;
		assert_int_equal(rk_get_state(rt, "t", &s), RK_OK);
		if (s == RK_STATE_FAILED)
			break;
		nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	}
	assert_int_equal(rk_get_telemetry(rt, "t", &tel), RK_OK);
	assert_int_equal(tel.messages_received, 3);
	assert_int_equal(tel.messages_processed, 3);
	assert_int_equal(tel.errors, 0);
	assert_int_equal(tel.input.depth, 0);
	assert_int_equal(rk_terminate(rt, "t", 2.0), RK_OK);
	rk_runtime_free(rt);
}

/* Without the flag, a process_batch kernel still cannot have replicas:
 * nothing would mark its messages' ends. */
static void test_replicas_need_the_flag(void **unused)
{
	rk_runtime *rt = runtime(64);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	(void)unused;
	o.replicas = 2;
	assert_int_equal(rk_launch(rt, "b", &test_doubler_batch, &o),
			 RK_ECONFIG);
	assert_non_null(strstr(rk_errmsg(), "tells each message"));
	assert_int_equal(rk_launch(rt, "t", &teller, &o), RK_OK);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_failure_at_its_message),
		cmocka_unit_test(test_replicas_keep_order),
		cmocka_unit_test(test_untold_come_again),
		cmocka_unit_test(test_stop_after_the_failure),
		cmocka_unit_test(test_told_none_failed_whole),
		cmocka_unit_test(test_told_go_back_while_blocked),
		cmocka_unit_test(test_died_after_telling_all),
		cmocka_unit_test(test_replicas_need_the_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
