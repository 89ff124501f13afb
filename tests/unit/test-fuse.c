/* test-fuse.c - a producer running its consumer's batches on its own
 * thread (lib/executor-fuse.c), forced on with RK_FUSE=1: it happens
 * (kernels run on a thread not their own), and each kernel keeps what it
 * has alone: order and every message, its counters, its lifecycle
 * (deactivate, terminate within the timeout).  A fault of a kernel run
 * so fails it alone: tests/cli/faults.bats (a plugin's fault; this
 * program's own code is the runtime's, whose faults are not caught). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include <ringkernel.h>
#include <ringkernel-plugin.h>

#include "kernels.h"

/* Calls of a kernel made on a thread other than its own ("rk:ID"),
 * over every kernel of this kind. */
static uint64_t elsewhere;

static int pass_noting(rk_ctx *ctx, const rk_msg *m)
{
	char name[16] = "", own[16];

	pthread_getname_np(pthread_self(), name, sizeof(name));
	snprintf(own, sizeof(own), "rk:%s", rk_ctx_kernel_id(ctx));
	if (strcmp(name, own) != 0)
		__atomic_fetch_add(&elsewhere, 1, __ATOMIC_RELAXED);
	return rk_ctx_emit(ctx, m->data, m->len);
}

static const rk_kernel_desc fused_pass = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "fused-pass",
	.description = "passes int64s on, noting the thread",
	.process = pass_noting,
	.flags = RK_KERNEL_ANY_THREAD,
};

static void launch(rk_runtime *rt, const char *id, const rk_kernel_desc *d)
{
	if (rk_launch(rt, id, d, NULL) != RK_OK)
		fail_msg("launch %s: %s", id, rk_errmsg());
}

/* a -> b -> c -> d in rt, each a fused-pass (or `middle` for c),
 * active. */
static rk_runtime *chain_in(rk_runtime *rt, const rk_kernel_desc *middle)
{
	launch(rt, "a", &fused_pass);
	launch(rt, "b", &fused_pass);
	launch(rt, "c", middle);
	launch(rt, "d", &fused_pass);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "c"), RK_OK);
	assert_int_equal(rk_connect(rt, "c", "d"), RK_OK);
	const char *ids[] = { "d", "c", "b", "a" };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(rk_activate(rt, ids[i]), RK_OK);
	return rt;
}

static rk_runtime *chain(const rk_kernel_desc *middle, uint32_t queue)
{
	return chain_in(test_runtime(1, queue), middle);
}

/* Messages c failed on, as the error hook told them (from whichever
 * thread ran c).  c's own counters hold them too (errors, and the
 * output it could not deliver in messages_dropped), but those go with
 * c when it is terminated, and the terminate report does not. */
static uint64_t c_failed;

static void note_failure(void *arg, const char *kernel, uint64_t message,
			 const char *reason)
{
	(void)arg;
	(void)message;
	(void)reason;
	if (strcmp(kernel, "c") == 0)
		__atomic_fetch_add(&c_failed, 1, __ATOMIC_RELAXED);
}

struct feeder {
	rk_runtime *rt;
	int64_t first, count;
	bool end;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;

	for (int64_t v = f->first; v < f->first + f->count; v++)
		send_i64(f->rt, "a", v);
	if (f->end)
		assert_int_equal(rk_send_end(f->rt, "a", 10.0), RK_OK);
	return NULL;
}

static uint64_t processed(rk_runtime *rt, const char *id)
{
	rk_telemetry t;

	assert_int_equal(rk_get_telemetry(rt, id, &t), RK_OK);
	return t.messages_processed;
}

static uint64_t received_by(rk_runtime *rt, const char *id)
{
	rk_telemetry t;

	assert_int_equal(rk_get_telemetry(rt, id, &t), RK_OK);
	return t.messages_received;
}

static rk_state state_of(rk_runtime *rt, const char *id)
{
	rk_state s;

	assert_int_equal(rk_get_state(rt, id, &s), RK_OK);
	return s;
}

/* Every message, in order, each kernel counting each once; and the
 * later kernels ran on a thread not their own at least once. */
static void test_chain_keeps_order_and_counts(void **unused)
{
	rk_runtime *rt = chain(&fused_pass, 64);
	struct feeder f = { rt, 1, 20000, true };
	pthread_t th;
	int64_t v;
	size_t len;

	(void)unused;
	__atomic_store_n(&elsewhere, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, feed, &f);
	for (int64_t want = 1; want <= f.count; want++) {
		int64_t got = recv_i64(rt, "d");
		if (got != want)
			fail_msg("expected %lld, got %lld", (long long)want,
				 (long long)got);
	}
	assert_int_equal(rk_receive(rt, "d", &v, sizeof(v), &len, 5.0),
			 RK_EEND);
	pthread_join(th, NULL);
	const char *ids[] = { "a", "b", "c", "d" };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(processed(rt, ids[i]), (uint64_t)f.count);
	if (__atomic_load_n(&elsewhere, __ATOMIC_RELAXED) == 0)
		fail_msg("no kernel ran on its producer's thread");
	assert_int_equal(rk_terminate_all(rt, 5.0), RK_OK);
	rk_runtime_free(rt);
}

/* A kernel in the middle deactivated while the stream runs takes
 * nothing until reactivated, then everything comes, in order. */
static void test_deactivate_in_the_middle(void **unused)
{
	rk_runtime *rt = chain(&fused_pass, 4096);
	struct feeder f = { rt, 1, 2000, false };
	pthread_t th;

	(void)unused;
	pthread_create(&th, NULL, feed, &f);
	for (int64_t want = 1; want <= 1000; want++)
		assert_int_equal(recv_i64(rt, "d"), want);
	assert_int_equal(rk_deactivate(rt, "c"), RK_OK);
	pthread_join(th, NULL);
	uint64_t before = processed(rt, "c");
	struct timespec nap = { 0, 50000000 };
	nanosleep(&nap, NULL);
	assert_int_equal(processed(rt, "c"), before);
	assert_int_equal(rk_reactivate(rt, "c"), RK_OK);
	for (int64_t want = 1001; want <= f.count; want++)
		assert_int_equal(recv_i64(rt, "d"), want);
	assert_int_equal(rk_terminate_all(rt, 5.0), RK_OK);
	rk_runtime_free(rt);
}

/* A terminate of the kernel in the middle, with the stream still
 * running, returns within its timeout and the runtime's grace, and what
 * it did not process is counted, not lost: every message sent is either
 * received at the end or counted dropped or failed somewhere. */
static void test_terminate_in_the_middle(void **unused)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	o.telemetry = 1;
	o.default_queue_size = 256;
	o.on_kernel_error = note_failure;
	__atomic_store_n(&c_failed, 0, __ATOMIC_RELAXED);
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	chain_in(rt, &fused_pass);
	struct feeder f = { rt, 1, 5000, false };
	pthread_t th;
	rk_terminate_report report;
	int64_t v;
	size_t len;
	uint64_t received = 0;

	(void)unused;
	pthread_create(&th, NULL, feed, &f);
	while (received < 500) {
		assert_int_equal(rk_receive(rt, "d", &v, sizeof(v), &len, 5.0),
				 RK_OK);
		received++;
	}
	double t0 = test_now_s();
	rk_error rc = rk_terminate_ex(rt, "c", 0.5, &report);
	double took = test_now_s() - t0;
	if (rc != RK_OK)
		fail_msg("terminate after %.3f s: %s", took, rk_errmsg());
	assert_true(took < 0.5 + 0.25);
	assert_int_equal(state_of(rt, "a"), RK_STATE_ACTIVE);
	assert_int_equal(state_of(rt, "b"), RK_STATE_ACTIVE);
	pthread_join(th, NULL);
	/* b's outputs to the gone c are dropped and counted from now on:
	 * wait until b has taken all it was given. */
	for (int i = 0; i < 500 && received_by(rt, "b") < (uint64_t)f.count;
	     i++) {
		struct timespec nap = { 0, 10000000 };
		nanosleep(&nap, NULL);
	}
	while (rk_receive(rt, "d", &v, sizeof(v), &len, 0.2) == RK_OK)
		received++;
	rk_telemetry tb;
	assert_int_equal(rk_get_telemetry(rt, "b", &tb), RK_OK);
	/* Through b: sent on to c, or dropped once c was gone; what c
	 * took went on to d, or was left behind, counted, as c ended. */
	if (tb.messages_received != (uint64_t)f.count
	    || tb.messages_sent + tb.messages_dropped != (uint64_t)f.count)
		fail_msg("b: received %llu, processed %llu, sent %llu, dropped "
			 "%llu, errors %llu of %lld",
			 (unsigned long long)tb.messages_received,
			 (unsigned long long)tb.messages_processed,
			 (unsigned long long)tb.messages_sent,
			 (unsigned long long)tb.messages_dropped,
			 (unsigned long long)tb.errors, (long long)f.count);
	/* Every message b sent is accounted for, exactly: c left it in its
	 * queue (the report's dropped_input), or took it and passed it on
	 * to d, whose client took it here (d keeps its output: nothing is
	 * unread once this loop ends), or failed on it.  The last is the
	 * one c was emitting when the drain's deadline came with d full
	 * (nobody read d meanwhile): its output counted dropped by c, the
	 * message an error ("output message dropped: queue full"), told
	 * to the hook.  One at most: past the deadline c takes no more. */
	uint64_t failed = __atomic_load_n(&c_failed, __ATOMIC_RELAXED);
	assert_true(failed <= 1);
	assert_int_equal(received + report.unread_output
			 + report.dropped_input + failed, tb.messages_sent);
	assert_int_equal(rk_terminate_all(rt, 5.0), RK_OK);
	rk_runtime_free(rt);
}

/* A producer that did not opt in (slow on its second message) emits its
 * first message's output at once: its consumer, which may be run by it,
 * hears of it then, not at the end of the producer's batch. */
static int slow_second(rk_ctx *ctx, const rk_msg *m)
{
	int64_t v;
	memcpy(&v, m->data, sizeof(v));
	int rc = rk_ctx_emit(ctx, m->data, m->len);
	if (v == 2) {
		struct timespec nap = { 3, 0 };
		nanosleep(&nap, NULL);
	}
	return rc;
}

static const rk_kernel_desc slow_second_desc = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "slow-second",
	.description = "passes on, sleeping 3 s after emitting 2",
	.process = slow_second,
};

static void test_slow_producer_rings_at_once(void **unused)
{
	rk_runtime *rt = test_runtime(1, 64);
	int64_t v;
	size_t len;

	(void)unused;
	launch(rt, "a", &slow_second_desc);
	launch(rt, "b", &fused_pass);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	assert_int_equal(rk_deactivate(rt, "a"), RK_OK);
	send_i64(rt, "a", 1);
	send_i64(rt, "a", 2);
	send_i64(rt, "a", 3);
	struct timespec settle = { 0, 200000000 };
	nanosleep(&settle, NULL);       /* b asleep */
	double t0 = test_now_s();
	assert_int_equal(rk_reactivate(rt, "a"), RK_OK);
	rk_error rc = rk_receive(rt, "b", &v, sizeof(v), &len, 1.0);
	double took = test_now_s() - t0;
	if (rc != RK_OK || v != 1)
		fail_msg("first output of a slow producer: rc %d after %.3f s",
			 rc, took);
	rc = rk_receive(rt, "b", &v, sizeof(v), &len, 5.0);
	if (rc != RK_OK || v != 2)
		fail_msg("second output (emitted before the sleep): rc %d "
			 "after %.3f s", rc, test_now_s() - t0);
	assert_int_equal(rk_terminate_all(rt, 5.0), RK_OK);
	rk_runtime_free(rt);
}

/* A kernel run by its producer would pass its end on to a full
 * drop_oldest edge whose consumer is busy: its batch leaves the end to
 * its own thread, so the producer's thread never waits there and
 * answers its own terminate in time. */
static int gate_open;

static int gated(rk_ctx *ctx, const rk_msg *m)
{
	while (!__atomic_load_n(&gate_open, __ATOMIC_ACQUIRE)) {
		struct timespec nap = { 0, 1000000 };
		nanosleep(&nap, NULL);
	}
	return rk_ctx_emit(ctx, m->data, m->len);
}

static const rk_kernel_desc gated_desc = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "gated",
	.description = "passes on once the gate opens",
	.process = gated,
};

static void test_end_into_full_drop_oldest(void **unused)
{
	rk_runtime *rt = test_runtime(1, 64);
	rk_launch_options lo = { .struct_size = sizeof(lo), .queue_size = 2,
				 .input_policy = RK_BP_DROP_OLDEST };

	(void)unused;
	__atomic_store_n(&gate_open, 0, __ATOMIC_RELEASE);
	launch(rt, "a", &fused_pass);
	launch(rt, "b", &fused_pass);
	if (rk_launch(rt, "c", &gated_desc, &lo) != RK_OK)
		fail_msg("launch c: %s", rk_errmsg());
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "c"), RK_OK);
	const char *ids[] = { "c", "b", "a" };
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(rk_activate(rt, ids[i]), RK_OK);
	for (int64_t v = 1; v <= 12; v++) {
		send_i64(rt, "a", v);
		struct timespec nap = { 0, 2000000 };
		nanosleep(&nap, NULL);
	}
	assert_int_equal(rk_send_end(rt, "a", 1.0), RK_OK);
	struct timespec settle = { 0, 300000000 };
	nanosleep(&settle, NULL);
	double t0 = test_now_s();
	rk_error rc = rk_terminate(rt, "a", 0.5);
	double took = test_now_s() - t0;
	__atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
	if (rc != RK_OK)
		fail_msg("terminate a (c busy, b's end waiting): rc %d after "
			 "%.3f s: %s", rc, took, rk_errmsg());
	assert_true(took < 0.5 + 0.25);
	(void)rk_terminate_all(rt, 5.0);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_keeps_order_and_counts),
		cmocka_unit_test(test_deactivate_in_the_middle),
		cmocka_unit_test(test_terminate_in_the_middle),
		cmocka_unit_test(test_slow_producer_rings_at_once),
		cmocka_unit_test(test_end_into_full_drop_oldest),
	};

	setenv("RK_FUSE", getenv("FUSE_TEST") ? getenv("FUSE_TEST") : "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
