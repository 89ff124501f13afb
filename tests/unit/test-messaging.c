/* test-messaging.c - sending and receiving through kernels: order,
 * pause and resume, every backpressure policy, priorities, timeouts,
 * sizes, failures, draining on terminate, wiring kernels together. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"
#include "stress.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void launch(rk_runtime *rt, const char *id, const rk_kernel_desc *d,
		   const rk_launch_options *o, bool activate)
{
	if (rk_launch(rt, id, d, o) != RK_OK)
		fail_msg("launch %s: %s", id, rk_errmsg());
	if (activate)
		assert_int_equal(rk_activate(rt, id), RK_OK);
}

static void assert_no_message(rk_runtime *rt, const char *id, double wait)
{
	int64_t v;
	size_t len;
	assert_int_equal(rk_receive(rt, id, &v, sizeof(v), &len, wait),
			 RK_ETIMEDOUT);
}

static void round_trips(const rk_kernel_desc *d)
{
	rk_runtime *rt = test_runtime(0, 64);

	launch(rt, "k", d, NULL, true);
	for (int64_t i = -5; i < 2000; i++) {
		send_i64(rt, "k", i);
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	}
	/* Pipelined: the queue bounds what is in flight. */
	for (int64_t base = 0; base < 20000; base += 50) {
		for (int64_t i = 0; i < 50; i++)
			send_i64(rt, "k", base + i);
		for (int64_t i = 0; i < 50; i++)
			assert_int_equal(recv_i64(rt, "k"), 2 * (base + i));
	}
	rk_runtime_free(rt);
}

static void test_process_round_trips(void **unused)
{
	round_trips(&test_doubler);
}

static void test_batch_round_trips(void **unused)
{
	round_trips(&test_doubler_batch);
}

static void test_main_loop_round_trips(void **unused)
{
	round_trips(&test_main_doubler);
}

/* The reference's pause and resume: messages queue while deactivated
 * and come out, in order, after reactivate. */
static void pause_and_resume(const rk_kernel_desc *d)
{
	rk_runtime *rt = test_runtime(0, 0);

	launch(rt, "k", d, NULL, true);
	send_i64(rt, "k", 1);
	assert_int_equal(recv_i64(rt, "k"), 2);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	for (int64_t i = 0; i < 500; i++)
		send_i64(rt, "k", i);
	assert_no_message(rt, "k", 0.05);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int64_t i = 0; i < 500; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	rk_runtime_free(rt);
}

static void test_pause_and_resume(void **unused)
{
	pause_and_resume(&test_doubler);
}

static void test_pause_and_resume_main_loop(void **unused)
{
	pause_and_resume(&test_main_doubler);
}

static void test_send_needs_active_or_deactivated(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	int64_t v = 1;
	size_t len;

	launch(rt, "k", &test_doubler, NULL, false);
	assert_int_equal(rk_send(rt, "k", &v, sizeof(v), 0), RK_ESTATE);
	assert_string_equal(rk_errmsg(),
			    "cannot send to kernel 'k' in state 'LAUNCHED': "
			    "activate it first");
	assert_int_equal(rk_receive(rt, "k", &v, sizeof(v), &len, 0),
			 RK_ESTATE);
	rk_runtime_free(rt);
}

/* Queue of 4 on a deactivated kernel, then a fifth message. */
static rk_runtime *full_queue(rk_backpressure policy)
{
	rk_runtime *rt = test_runtime(1, 4);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.input_policy = policy;
	launch(rt, "k", &test_doubler, &o, true);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	for (int64_t i = 1; i <= 4; i++)
		send_i64(rt, "k", i);
	return rt;
}

static void test_block_times_out_with_efull(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_BLOCK);
	int64_t v = 5;

	double t0 = now_s();
	assert_int_equal(rk_send(rt, "k", &v, sizeof(v), 0.1), RK_EFULL);
	assert_true(now_s() - t0 >= 0.095);
	assert_string_equal(rk_errmsg(),
			    "queue of kernel 'k' is full (4 messages)");
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int64_t i = 1; i <= 4; i++)    /* the accepted ones arrive */
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_no_message(rt, "k", 0.02);
	rk_runtime_free(rt);
}

struct blocked_send {
	rk_runtime *rt;
	rk_error rc;
};

static void *send_forever(void *arg)
{
	struct blocked_send *b = arg;
	int64_t v = 99;
	b->rc = rk_send(b->rt, "k", &v, sizeof(v), RK_FOREVER);
	return NULL;
}

/* A sender blocked on a full queue gets in once there is room. */
static void test_block_waits_for_room(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_BLOCK);
	struct blocked_send b = { rt, RK_EINVAL };
	pthread_t t;

	pthread_create(&t, NULL, send_forever, &b);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, RK_OK);
	for (int64_t i = 1; i <= 4; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_int_equal(recv_i64(rt, "k"), 198);
	rk_runtime_free(rt);
}

/* Terminate wakes a sender blocked forever, and counts the queue. */
static void test_terminate_wakes_blocked_sender(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_BLOCK);
	struct blocked_send b = { rt, RK_EINVAL };
	rk_terminate_report report;
	pthread_t t;

	pthread_create(&t, NULL, send_forever, &b);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	assert_int_equal(rk_terminate_ex(rt, "k", 1.0, &report), RK_OK);
	pthread_join(t, NULL);
	assert_true(b.rc == RK_ESTATE || b.rc == RK_ENOTFOUND);
	assert_int_equal(report.dropped_input, 4);  /* it was deactivated */
	assert_int_equal(report.drained, 0);
	rk_runtime_free(rt);
}

static void test_reject_fails_at_once(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_REJECT);
	rk_telemetry t;
	int64_t v = 5;

	double t0 = now_s();
	assert_int_equal(rk_send(rt, "k", &v, sizeof(v), 10.0), RK_EFULL);
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(t.input.rejected, 1);
	assert_int_equal(t.messages_dropped, 0);  /* refused, not lost */
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int64_t i = 1; i <= 4; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	rk_runtime_free(rt);
}

static void test_drop_newest_counts(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_DROP_NEWEST);
	rk_telemetry t;

	send_i64(rt, "k", 5);
	send_i64(rt, "k", 6);
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(t.messages_dropped, 2);
	assert_int_equal(t.input.dropped, 2);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int64_t i = 1; i <= 4; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_no_message(rt, "k", 0.02);
	rk_runtime_free(rt);
}

static void test_drop_oldest_counts(void **unused)
{
	rk_runtime *rt = full_queue(RK_BP_DROP_OLDEST);
	rk_telemetry t;

	send_i64(rt, "k", 5);
	send_i64(rt, "k", 6);
	/* The kernel drops them when it wakes, deactivated or not. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
		if (t.messages_dropped == 2)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	assert_int_equal(t.messages_dropped, 2);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int64_t i = 3; i <= 6; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_no_message(rt, "k", 0.02);
	rk_runtime_free(rt);
}

struct ender {
	rk_runtime *rt;
	rk_error rc;
};

static void *send_end_now(void *arg)
{
	struct ender *e = arg;
	e->rc = rk_send_end(e->rt, "k", 5.0);
	return NULL;
}

/* The end of input is never dropped or rejected, whatever the policy:
 * into a full queue it waits for room, and comes after what was
 * queued. */
static void test_end_never_dropped(void **unused)
{
	static const rk_backpressure policies[] = {
		RK_BP_DROP_NEWEST, RK_BP_DROP_OLDEST, RK_BP_REJECT,
	};

	for (size_t i = 0; i < 3; i++) {
		struct ender e = { full_queue(policies[i]), RK_EINVAL };
		pthread_t th;
		int64_t v;
		size_t len;
		assert_int_equal(pthread_create(&th, NULL, send_end_now, &e), 0);
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		assert_int_equal(rk_reactivate(e.rt, "k"), RK_OK);
		pthread_join(th, NULL);
		assert_int_equal(e.rc, RK_OK);
		for (int64_t x = 1; x <= 4; x++)
			assert_int_equal(recv_i64(e.rt, "k"), 2 * x);
		assert_int_equal(rk_receive(e.rt, "k", &v, sizeof(v), &len,
					    2.0), RK_EEND);
		rk_runtime_free(e.rt);
	}
}

/* drop_oldest with a kernel blocked on a full output in the middle of
 * a batch: no send waits for the kernel (each returns at once), the
 * kernel still stops within its timeout, and every message is either
 * delivered or counted as dropped. */
static void test_drop_oldest_never_waits_for_the_kernel(void **unused)
{
	rk_runtime *rt = test_runtime(1, 4);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_terminate_report report;
	rk_telemetry t;
	int64_t v;
	size_t len;

	o.input_policy = RK_BP_DROP_OLDEST;
	launch(rt, "k", &test_doubler, &o, true);
	for (int64_t i = 1; i <= 5; i++)        /* 4 out, 5 stuck in it */
		send_i64(rt, "k", i);
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	for (int64_t i = 6; i <= 40; i++) {
		double t0 = now_s();
		assert_int_equal(rk_send(rt, "k", &i, sizeof(i), 0.2), RK_OK);
		assert_true(now_s() - t0 < 0.15);
	}
	uint64_t got = 0;
	while (rk_receive(rt, "k", &v, sizeof(v), &len, 0.2) == RK_OK)
		got++;
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(got + t.messages_dropped, 40);
	assert_true(t.messages_dropped > 0);
	/* Blocked again, then stopped: within its timeout. */
	for (int64_t i = 1; i <= 40; i++)
		assert_int_equal(rk_send(rt, "k", &i, sizeof(i), 0.2), RK_OK);
	double t0 = now_s();
	assert_int_equal(rk_terminate_ex(rt, "k", 0.3, &report), RK_OK);
	assert_true(now_s() - t0 < 1.0);
	rk_runtime_free(rt);
}

/* Send these at once, so that the kernel takes them in one batch. */
static void send_in_one_batch(rk_runtime *rt, const char *id,
			      const int64_t *vals, size_t n)
{
	assert_int_equal(rk_deactivate(rt, id), RK_OK);
	for (size_t i = 0; i < n; i++)
		send_i64(rt, id, vals[i]);
	assert_int_equal(rk_reactivate(rt, id), RK_OK);
}

/* A kernel stuck in its code holds nothing another kernel needs:
 * terminating the kernel downstream of it takes no longer than asked,
 * and leaves it healthy. */
static void test_terminate_downstream_of_a_stuck_kernel(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param stall[] = { { "ms", "1500" }, { NULL, NULL } };
	const int64_t vals[] = { 1, 13 };
	rk_state s;

	o.params = stall;
	launch(rt, "up", &test_stall, &o, false);
	launch(rt, "down", &test_doubler, NULL, false);
	assert_int_equal(rk_connect(rt, "up", "down"), RK_OK);
	assert_int_equal(rk_activate(rt, "down"), RK_OK);
	assert_int_equal(rk_activate(rt, "up"), RK_OK);
	send_in_one_batch(rt, "up", vals, 2);
	nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	double t0 = now_s();
	assert_int_equal(rk_terminate(rt, "down", 0.3), RK_OK);
	assert_true(now_s() - t0 < 0.6);
	assert_int_equal(rk_get_state(rt, "up", &s), RK_OK);
	assert_int_equal(s, RK_STATE_ACTIVE);
	rk_runtime_free(rt);
}

/* A kernel that hangs in the middle of a batch has delivered what it
 * made before: the replies of the messages before it arrive now. */
static void test_hang_keeps_earlier_replies(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param stall[] = { { "ms", "1500" }, { NULL, NULL } };
	const int64_t vals[] = { 1, 2, 3, 4, 5, 13, 6 };
	int64_t v;
	size_t len;

	o.params = stall;
	launch(rt, "k", &test_stall, &o, true);
	send_in_one_batch(rt, "k", vals, 7);
	for (int64_t i = 1; i <= 5; i++) {
		assert_int_equal(rk_receive(rt, "k", &v, sizeof(v), &len, 0.5),
				 RK_OK);
		assert_int_equal(v, i);
	}
	rk_runtime_free(rt);
}

struct slow_reader {
	rk_runtime *rt;
	int calls;
};

static int hold_a_while(void *arg, const rk_envelope *env,
			const void *data, size_t len)
{
	struct slow_reader *r = arg;
	r->calls++;
	nanosleep(&(struct timespec){ 0, 600000000 }, NULL);
	return 0;
}

static void *read_slowly(void *arg)
{
	struct slow_reader *r = arg;
	size_t count;
	rk_receive_batch(r->rt, "k", 1, 2.0, hold_a_while, r, &count);
	return NULL;
}

/* A receiver whose callback takes long makes another receiver wait no
 * longer than that one's own timeout, and the kernel not at all. */
static void test_receivers_wait_within_their_timeout(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	struct slow_reader r = { rt, 0 };
	pthread_t th;
	int64_t v;
	size_t len;

	launch(rt, "k", &test_doubler, NULL, true);
	send_i64(rt, "k", 1);
	send_i64(rt, "k", 2);
	assert_int_equal(pthread_create(&th, NULL, read_slowly, &r), 0);
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	double t0 = now_s();
	assert_int_equal(rk_receive(rt, "k", &v, sizeof(v), &len, 0.1),
			 RK_ETIMEDOUT);
	assert_true(now_s() - t0 < 0.4);
	send_i64(rt, "k", 3);                   /* the kernel goes on */
	pthread_join(th, NULL);
	assert_int_equal(r.calls, 1);
	assert_int_equal(recv_i64(rt, "k"), 4);
	assert_int_equal(recv_i64(rt, "k"), 6);
	rk_runtime_free(rt);
}

/* A full output that nobody reads blocks the kernel, which holds its
 * input; nothing is lost, and reading resumes the flow. */
static void test_full_output_backpressure(void **unused)
{
	rk_runtime *rt = test_runtime(1, 4);
	rk_telemetry t;

	launch(rt, "k", &test_doubler, NULL, true);
	for (int64_t i = 0; i < 8; i++)
		send_i64(rt, "k", i);   /* 4 out, 1 held, 3 queued */
	int64_t v = 8;
	assert_int_equal(rk_send(rt, "k", &v, sizeof(v), 0.05), RK_EFULL);
	for (int64_t i = 0; i < 8; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(t.messages_dropped, 0);
	assert_int_equal(t.messages_processed, 8);
	rk_runtime_free(rt);
}

static void send_prio(rk_runtime *rt, int64_t v, uint8_t prio)
{
	rk_envelope env = RK_ENVELOPE_INIT;
	env.priority = prio;
	assert_int_equal(rk_send_env(rt, "k", &env, &v, sizeof(v), 1.0), RK_OK);
	assert_int_equal(env.priority, prio);
	assert_true(env.message_id != 0);
}

/* Higher priority first, FIFO within a band (>=224, 160-223, 64-159,
 * <64); replies carry the request's priority and id. */
static void test_priorities(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	const struct { int64_t v; uint8_t prio; } in[] = {
		{ 1, 0 }, { 2, 128 }, { 3, 255 }, { 4, 64 }, { 5, 200 },
		{ 6, 63 }, { 7, 224 }, { 8, 159 }, { 9, 160 }, { 10, 128 },
	};
	const int64_t order[] = { 3, 7, 5, 9, 2, 4, 8, 10, 1, 6 };

	launch(rt, "k", &test_doubler, NULL, true);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	for (size_t i = 0; i < 10; i++)
		send_prio(rt, in[i].v, in[i].prio);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (size_t i = 0; i < 10; i++) {
		rk_envelope env;
		int64_t v;
		size_t len;
		assert_int_equal(rk_receive_env(rt, "k", &env, &v, sizeof(v),
						&len, 1.0), RK_OK);
		assert_int_equal(v, 2 * order[i]);
		for (size_t j = 0; j < 10; j++)
			if (in[j].v == order[i])
				assert_int_equal(env.priority, in[j].prio);
		assert_true(env.correlation_id != 0);
		assert_true(env.message_id != env.correlation_id);
	}
	rk_runtime_free(rt);
}

static void test_correlation_ids(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_envelope req = RK_ENVELOPE_INIT, rep;
	int64_t v = 21, r;
	size_t len;

	launch(rt, "k", &test_doubler, NULL, true);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rk_send_env(rt, "k", &req, &v, sizeof(v), 1),
				 RK_OK);
		assert_int_equal(rk_receive_env(rt, "k", &rep, &r, sizeof(r),
						&len, 1), RK_OK);
		assert_int_equal(r, 42);
		assert_int_equal(rep.correlation_id, req.message_id);
		assert_int_equal(rep.priority, RK_PRIORITY_DEFAULT);
		assert_true(rep.enqueue_ns >= req.enqueue_ns);
	}
	rk_runtime_free(rt);
}

/* rk_ctx_reply: the reply carries the message's envelope, and the
 * message is counted processed before the reply can be taken. */
static void test_main_loop_reply(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_envelope req = RK_ENVELOPE_INIT, rep;
	rk_telemetry t;
	int64_t v = 21, r;
	size_t len;

	launch(rt, "k", &test_main_replier, NULL, true);
	req.priority = 200;
	for (uint64_t i = 1; i <= 3; i++) {
		assert_int_equal(rk_send_env(rt, "k", &req, &v, sizeof(v), 1),
				 RK_OK);
		assert_int_equal(rk_receive_env(rt, "k", &rep, &r, sizeof(r),
						&len, 1), RK_OK);
		assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
		assert_int_equal(t.messages_processed, i);
		assert_int_equal(r, 42);
		assert_int_equal(rep.correlation_id, req.message_id);
		assert_int_equal(rep.priority, 200);
	}
	rk_runtime_free(rt);
}

static void test_receive_timeouts(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);

	launch(rt, "k", &test_doubler, NULL, true);
	double t0 = now_s();
	assert_no_message(rt, "k", 0.1);
	assert_true(now_s() - t0 >= 0.095);
	assert_string_equal(rk_errmsg(), "no message from kernel 'k' within 0.1 s");
	t0 = now_s();
	assert_no_message(rt, "k", 0);
	assert_true(now_s() - t0 < 0.05);
	rk_runtime_free(rt);
}

struct blocked_recv {
	rk_runtime *rt;
	rk_error rc;
};

static void *recv_forever(void *arg)
{
	struct blocked_recv *b = arg;
	int64_t v;
	size_t len;
	b->rc = rk_receive(b->rt, "k", &v, sizeof(v), &len, RK_FOREVER);
	return NULL;
}

static void test_terminate_wakes_blocked_receiver(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	struct blocked_recv b = { rt, RK_EINVAL };
	pthread_t t;

	launch(rt, "k", &test_doubler, NULL, true);
	pthread_create(&t, NULL, recv_forever, &b);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	assert_int_equal(rk_terminate(rt, "k", 1.0), RK_OK);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, RK_ENOTFOUND);
	rk_runtime_free(rt);
}

static void test_message_sizes(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	char big[300] = { 0 }, small[4];
	int64_t v = 7;
	size_t len = 0;

	o.max_message = 100;
	launch(rt, "k", &test_doubler, &o, true);
	assert_int_equal(rk_send(rt, "k", big, 101, 1.0), RK_ESCHEMA);
	assert_string_equal(rk_errmsg(), "message of 101 bytes exceeds the "
			    "100-byte limit of kernel 'k'");
	send_i64(rt, "k", v);
	assert_int_equal(rk_receive(rt, "k", small, sizeof(small), &len, 1.0),
			 RK_ESCHEMA);
	assert_int_equal(len, 8);      /* the size it needs; still queued */
	assert_int_equal(recv_i64(rt, "k"), 14);
	rk_runtime_free(rt);
}

static void test_errors_are_counted_and_kept(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;

	launch(rt, "k", &test_fail_every, NULL, true);
	/* 10's reply comes after 9 has failed: the counts are final. */
	for (int64_t i = 1; i <= 10; i++)
		send_i64(rt, "k", i);
	for (int64_t i = 1; i <= 10; i++)
		if (i % 3)
			assert_int_equal(recv_i64(rt, "k"), i);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(t.errors, 3);
	assert_int_equal(t.messages_processed, 7);
	assert_int_equal(t.messages_received, 10);
	assert_string_equal(t.last_error, "9 is a multiple of 3");
	assert_int_equal(t.state, RK_STATE_DEACTIVATED);
	rk_runtime_free(rt);
}

static void test_on_error_stop_fails_the_kernel(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param every[] = { { "every", "2" }, { NULL, NULL } };
	rk_terminate_report report;
	rk_state s = RK_STATE_ACTIVE;

	o.on_error = RK_ON_ERROR_STOP;
	o.params = every;
	launch(rt, "k", &test_fail_every, &o, true);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	for (int64_t i = 1; i <= 5; i++)
		send_i64(rt, "k", i);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	assert_int_equal(recv_i64(rt, "k"), 1);
	for (int i = 0; i < 1000 && s != RK_STATE_FAILED; i++) {
		assert_int_equal(rk_get_state(rt, "k", &s), RK_OK);
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	assert_int_equal(s, RK_STATE_FAILED);
	assert_int_equal(rk_terminate_ex(rt, "k", 1.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 3);      /* 3, 4, 5 */
	rk_runtime_free(rt);
}

static void test_overflow_is_an_error(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;

	launch(rt, "k", &test_doubler, NULL, true);
	send_i64(rt, "k", INT64_MAX);
	send_i64(rt, "k", 3);
	assert_int_equal(recv_i64(rt, "k"), 6);
	assert_int_equal(rk_get_telemetry(rt, "k", &t), RK_OK);
	assert_int_equal(t.errors, 1);
	assert_string_equal(t.last_error,
			    "9223372036854775807 doubled overflows int64");
	rk_runtime_free(rt);
}

/* Terminate drains an active kernel's queue within the timeout. */
static void test_terminate_drains(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param fast[] = { { "us", "200" }, { NULL, NULL } };
	rk_terminate_report report;

	o.params = fast;
	launch(rt, "k", &test_slow, &o, true);
	for (int64_t i = 0; i < 20; i++)
		send_i64(rt, "k", i);
	assert_int_equal(rk_terminate_ex(rt, "k", 10.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	assert_int_equal(report.unread_output, 20);
	assert_true(report.drained <= 20);
	rk_runtime_free(rt);
}

/* A drain cut short by its timeout reports what was left. */
static void test_terminate_timeout_reports_leftovers(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param slow[] = { { "us", "20000" }, { NULL, NULL } };
	rk_terminate_report report;

	o.params = slow;
	launch(rt, "k", &test_slow, &o, true);
	for (int64_t i = 0; i < 50; i++)
		send_i64(rt, "k", i);
	double t0 = now_s();
	assert_int_equal(rk_terminate_ex(rt, "k", 0.1, &report), RK_OK);
	assert_true(now_s() - t0 < 1.0);
	assert_true(report.dropped_input > 0);
	assert_int_equal(report.unread_output + report.dropped_input, 50);
	rk_runtime_free(rt);
}

/* A link undone before anything flows: the edge is gone, the others
 * still carry every message, and it can be made again. */
static void test_disconnect(void **unused)
{
	rk_runtime *rt = test_runtime(0, 64);
	int64_t v;
	size_t len;

	launch(rt, "a", &test_doubler, NULL, false);
	launch(rt, "b", &test_doubler, NULL, false);
	launch(rt, "c", &test_doubler, NULL, false);
	launch(rt, "d", &test_doubler, NULL, false);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "c"), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "d"), RK_OK);
	assert_int_equal(rk_disconnect(rt, "a", "c"), RK_OK);
	assert_int_equal(rk_disconnect(rt, "a", "c"), RK_EINVAL);
	assert_int_equal(rk_disconnect(rt, "c", "a"), RK_EINVAL);
	assert_int_equal(rk_disconnect(rt, "a", "ghost"), RK_ENOTFOUND);
	char **ids;
	size_t n;
	assert_int_equal(rk_kernel_feeds(rt, "a", &ids, &n), RK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "b");
	assert_string_equal(ids[1], "d");
	rk_free_ids(ids, n);
	for (const char *id = "abcd"; *id; id++)
		assert_int_equal(rk_activate(rt, (char[]){ *id, 0 }), RK_OK);
	for (int64_t i = 1; i <= 100; i++)
		send_i64(rt, "a", i);
	for (int64_t i = 1; i <= 100; i++) {
		assert_int_equal(recv_i64(rt, "b"), 4 * i);
		assert_int_equal(recv_i64(rt, "d"), 4 * i);
	}
	assert_no_message(rt, "c", 0.05);
	assert_int_equal(rk_disconnect(rt, "a", "b"), RK_ESTATE);
	(void)v;
	(void)len;
	rk_runtime_free(rt);
}

static void test_connect_chain(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	int64_t v;
	size_t len;

	launch(rt, "a", &test_doubler, NULL, false);
	launch(rt, "b", &test_doubler, NULL, false);
	launch(rt, "c", &test_fanout, NULL, false);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "c"), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_EINVAL);
	assert_int_equal(rk_connect(rt, "a", "a"), RK_EINVAL);
	assert_int_equal(rk_connect(rt, "a", "zz"), RK_ENOTFOUND);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "c"), RK_ESTATE);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "c"), RK_OK);
	for (int64_t i = 0; i < 1000; i++)
		send_i64(rt, "a", i);
	for (int64_t i = 0; i < 1000; i++) {
		assert_int_equal(recv_i64(rt, "c"), 4 * i);
		assert_int_equal(recv_i64(rt, "c"), 4 * i);
	}
	assert_int_equal(rk_receive(rt, "a", &v, sizeof(v), &len, 0),
			 RK_ESTATE);
	rk_runtime_free(rt);
}

/* Fan-in: two producers into one kernel, each stream in order. */
static void test_fan_in(void **unused)
{
	rk_runtime *rt = test_runtime(0, 4096);
	int64_t next_a = 0, next_b = 1000000;

	launch(rt, "a", &test_fanout, NULL, false);
	launch(rt, "b", &test_fanout, NULL, false);
	launch(rt, "sink", &test_doubler, NULL, false);
	assert_int_equal(rk_connect(rt, "a", "sink"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "sink"), RK_OK);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "sink"), RK_OK);
	for (int64_t i = 0; i < 500; i++) {
		send_i64(rt, "a", i);
		send_i64(rt, "b", 1000000 + i);
	}
	for (int i = 0; i < 2000; i++) {
		int64_t v = recv_i64(rt, "sink") / 2;
		if (v >= 1000000) {
			assert_true(v == next_b || v == next_b - 1);
			next_b = v + 1;
		} else {
			assert_true(v == next_a || v == next_a - 1);
			next_a = v + 1;
		}
	}
	assert_int_equal(next_a, 500);
	assert_int_equal(next_b, 1000500);
	rk_runtime_free(rt);
}

static void test_send_batch(void **unused)
{
	rk_runtime *rt = test_runtime(0, 8);
	int64_t vals[20];
	const void *msgs[20];
	size_t lens[20], sent;

	for (int i = 0; i < 20; i++) {
		vals[i] = i;
		msgs[i] = &vals[i];
		lens[i] = sizeof(vals[i]);
	}
	launch(rt, "k", &test_doubler, NULL, true);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	assert_int_equal(rk_send_batch(rt, "k", msgs, lens, 20, 0.05, &sent),
			 RK_EFULL);
	assert_int_equal(sent, 8);      /* what fits is sent, and said */
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	for (int i = 0; i < 8; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	assert_int_equal(rk_send_batch(rt, "k", msgs, lens, 4, 1, &sent),
			 RK_OK);
	assert_int_equal(sent, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(recv_i64(rt, "k"), 2 * i);
	rk_runtime_free(rt);
}

struct collect {
	int64_t vals[64];
	size_t n;
	size_t stop_at;         /* refuse the message at this index */
};

static int collect_one(void *arg, const rk_envelope *env, const void *data,
		       size_t len)
{
	struct collect *c = arg;

	if (c->n == c->stop_at)
		return 1;
	assert_int_equal(len, 8);
	assert_true(env->message_id != 0);
	memcpy(&c->vals[c->n++], data, 8);
	return 0;
}

/* Batches come out in order, at most max at a time; a message the
 * callback refuses stays queued. */
static void test_receive_batch(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	struct collect c = { .stop_at = SIZE_MAX };
	size_t count;

	launch(rt, "k", &test_doubler, NULL, true);
	assert_int_equal(rk_receive_batch(rt, "k", 10, 0.02, collect_one, &c,
					  &count), RK_ETIMEDOUT);
	assert_int_equal(count, 0);
	assert_int_equal(rk_deactivate(rt, "k"), RK_OK);
	for (int64_t i = 0; i < 50; i++)
		send_i64(rt, "k", i);
	assert_int_equal(rk_reactivate(rt, "k"), RK_OK);
	int64_t next = 0;
	while (next < 40) {
		c.n = 0;
		assert_int_equal(rk_receive_batch(rt, "k", 40 - (size_t)next,
						  1.0, collect_one, &c, &count),
				 RK_OK);
		assert_int_equal(count, c.n);
		assert_true(count >= 1 && count <= 40);
		for (size_t i = 0; i < count; i++)
			assert_int_equal(c.vals[i], 2 * next++);
	}
	c.n = 0;
	c.stop_at = 3;
	while (rk_receive_batch(rt, "k", 64, 1.0, collect_one, &c, &count)
	       == RK_OK && c.n < 3)
		;
	assert_int_equal(c.vals[2], 2 * 42);
	assert_int_equal(recv_i64(rt, "k"), 2 * 43);    /* refused: queued */
	assert_int_equal(rk_receive_batch(rt, "k", 0, 1.0, collect_one, &c,
					  &count), RK_EINVAL);
	rk_runtime_free(rt);
}

/* Four outputs fill a queue of four; the kernel then pauses, and four
 * more follow.  The first four must be seen once the queue is full
 * (held, they would take its room while the receiver sees nothing), so
 * that under reject the receiver has made room by then: all eight
 * arrive. */
static int four_pause_four(rk_ctx *ctx, const rk_msg *m)
{
	for (int i = 0; i < 8; i++) {
		if (i == 4)
			nanosleep(&(struct timespec){ 0, 200000000L }, NULL);
		if (rk_ctx_emit(ctx, m->data, m->len) != RK_OK)
			return 1;
	}
	return 0;
}

static void test_held_outputs_take_no_room(void **unused)
{
	static const rk_kernel_desc d = {
		.abi_version = RK_PLUGIN_ABI_VERSION,
		.struct_size = sizeof(rk_kernel_desc), .name = "fpf",
		.process = four_pause_four,
	};
	rk_runtime *rt = test_runtime(1, 64);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_telemetry t;
	int64_t v = 7, got;
	size_t len;
	int n = 0;

	(void)unused;
	o.queue_size = 4;
	o.output_policy = RK_BP_REJECT;
	assert_int_equal(rk_launch(rt, "f", &d, &o), RK_OK);
	assert_int_equal(rk_activate(rt, "f"), RK_OK);
	assert_int_equal(rk_send(rt, "f", &v, sizeof(v), 1.0), RK_OK);
	while (n < 8 && rk_receive(rt, "f", &got, sizeof(got), &len, 2.0)
			== RK_OK)
		n++;
	assert_int_equal(rk_get_telemetry(rt, "f", &t), RK_OK);
	assert_int_equal(t.messages_dropped, 0);
	assert_int_equal(n, 8);
	rk_runtime_free(rt);
}

/* A handle: the same messages as by id, in order with them; a kernel
 * terminated under it refuses as by id; unknown ids and bad arguments
 * say so. */
static void test_handles(void **unused)
{
	rk_runtime *rt = test_runtime(0, 64);
	rk_handle *h = NULL;
	rk_envelope env;
	int64_t v, r;
	size_t len;

	(void)unused;
	assert_int_equal(rk_handle_get(rt, "d", &h), RK_ENOTFOUND);
	assert_null(h);
	assert_int_equal(rk_launch(rt, "d", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	assert_int_equal(rk_handle_get(rt, "d", &h), RK_OK);
	for (v = 1; v <= 100; v++) {
		if (v % 2)
			assert_int_equal(rk_send_to(h, NULL, &v, sizeof(v),
						    5.0), RK_OK);
		else
			send_i64(rt, "d", v);
	}
	for (v = 1; v <= 100; v++) {
		if (v % 3) {
			assert_int_equal(rk_receive_from(h, &env, &r, sizeof(r),
							 &len, 5.0), RK_OK);
			assert_int_equal(len, sizeof(r));
			assert_true(env.correlation_id != 0);
		} else {
			r = recv_i64(rt, "d");
		}
		assert_int_equal(r, 2 * v);
	}
	assert_int_equal(rk_receive_from(h, NULL, &r, sizeof(r), &len, 0.05),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_send_to(h, NULL, NULL, 8, 1.0), RK_EINVAL);
	assert_int_equal(rk_send_to(NULL, NULL, &v, 8, 1.0), RK_EINVAL);
	assert_int_equal(rk_terminate(rt, "d", 1.0), RK_OK);
	v = 1;
	assert_int_not_equal(rk_send_to(h, NULL, &v, sizeof(v), 1.0), RK_OK);
	assert_int_not_equal(rk_receive_from(h, NULL, &r, sizeof(r), &len,
					     0.1), RK_OK);
	rk_handle_release(h);
	rk_handle_release(NULL);
	rk_runtime_free(rt);
}

/* Whoever takes a reply sees the message it answers counted: one at a
 * time, from a kernel alone and from replicas, the telemetry read right
 * after each reply has it (its outputs are published only once it is
 * counted). */
static void reply_counted(uint32_t replicas)
{
	rk_runtime *rt = test_runtime(1, 64);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_telemetry t;

	o.replicas = replicas;
	assert_int_equal(rk_launch(rt, "d", &test_doubler, &o), RK_OK);
	assert_int_equal(rk_activate(rt, "d"), RK_OK);
	for (int64_t v = 1; v <= (int64_t)stress_count(2000); v++) {
		send_i64(rt, "d", v);
		assert_int_equal(recv_i64(rt, "d"), 2 * v);
		assert_int_equal(rk_get_telemetry(rt, "d", &t), RK_OK);
		if (t.messages_processed != (uint64_t)v)
			fail_msg("reply %lld taken, but %llu processed",
				 (long long)v,
				 (unsigned long long)t.messages_processed);
	}
	rk_runtime_free(rt);
}

static void test_a_reply_taken_is_counted(void **unused)
{
	(void)unused;
	reply_counted(1);
	reply_counted(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_round_trips),
		cmocka_unit_test(test_batch_round_trips),
		cmocka_unit_test(test_main_loop_round_trips),
		cmocka_unit_test(test_pause_and_resume),
		cmocka_unit_test(test_pause_and_resume_main_loop),
		cmocka_unit_test(test_send_needs_active_or_deactivated),
		cmocka_unit_test(test_block_times_out_with_efull),
		cmocka_unit_test(test_block_waits_for_room),
		cmocka_unit_test(test_terminate_wakes_blocked_sender),
		cmocka_unit_test(test_reject_fails_at_once),
		cmocka_unit_test(test_drop_newest_counts),
		cmocka_unit_test(test_drop_oldest_counts),
		cmocka_unit_test(test_end_never_dropped),
		cmocka_unit_test(test_drop_oldest_never_waits_for_the_kernel),
		cmocka_unit_test(test_terminate_downstream_of_a_stuck_kernel),
		cmocka_unit_test(test_hang_keeps_earlier_replies),
		cmocka_unit_test(test_receivers_wait_within_their_timeout),
		cmocka_unit_test(test_full_output_backpressure),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_correlation_ids),
		cmocka_unit_test(test_main_loop_reply),
		cmocka_unit_test(test_receive_timeouts),
		cmocka_unit_test(test_terminate_wakes_blocked_receiver),
		cmocka_unit_test(test_message_sizes),
		cmocka_unit_test(test_errors_are_counted_and_kept),
		cmocka_unit_test(test_on_error_stop_fails_the_kernel),
		cmocka_unit_test(test_overflow_is_an_error),
		cmocka_unit_test(test_terminate_drains),
		cmocka_unit_test(test_terminate_timeout_reports_leftovers),
		cmocka_unit_test(test_connect_chain),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_fan_in),
		cmocka_unit_test(test_send_batch),
		cmocka_unit_test(test_receive_batch),
		cmocka_unit_test(test_a_reply_taken_is_counted),
		cmocka_unit_test(test_handles),
		cmocka_unit_test(test_held_outputs_take_no_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
