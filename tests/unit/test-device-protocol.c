/* test-device-protocol.c - the device actor protocol with the device's
 * loop compiled for the host and run in a thread, as the GPU runs it:
 * confirmed requests through the command epoch, every message once and
 * in order at capacities 1, 2 and 4 and across UINT64_MAX, full rings,
 * failures, pause and resume, terminate while blocked, abort. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "device-host.h"
#include "stress.h"

struct in { int64_t value; };
struct out { int64_t result; };
struct factor { int64_t k; };

#define TOO_BIG 7       /* the error code of a product that overflows */

/* The device function: the same source nvcc compiles. */
RK_HD static inline int times_k(const struct in *in, struct out *out,
				const struct factor *p)
{
	if (__builtin_mul_overflow(in->value, p->k, &out->result))
		return TOO_BIG;
	return 0;
}

RK_DEVICE_LOOP(times_k_loop, struct in, struct out, struct factor, times_k)

struct device {
	rk_dev_actor *a;
	pthread_t thread;
};

static void *device_main(void *arg)
{
	rk_dev_shared s;

	times_k_loop(arg, &s);
	return NULL;
}

static struct device *device_start(uint64_t capacity, uint64_t start,
				   int64_t k)
{
	struct device *d = calloc(1, sizeof(*d));
	size_t bytes = rk_dev_actor_bytes(capacity, sizeof(struct in),
					  sizeof(struct out));

	assert_non_null(d);
	assert_true(bytes > 0);
	d->a = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(d->a);
	memset(d->a, 0, bytes);
	rk_dev_actor_init(d->a, bytes, capacity, sizeof(struct in),
			  sizeof(struct out), start);
	d->a->idle_paused_ns = 20000;
	struct factor f = { k };
	memcpy(d->a->params, &f, sizeof(f));
	assert_int_equal(pthread_create(&d->thread, NULL, device_main, d->a),
			 0);
	return d;
}

static void device_stop(struct device *d)
{
	assert_int_equal(rk_dev_command(d->a, RK_DEV_TERMINATED,
					rk_deadline(10)), RK_OK);
	assert_true(rk_dev_wait_finished(d->a, rk_deadline(10)));
	pthread_join(d->thread, NULL);
	free(d->a);
	free(d);
}

static rk_msg message(struct in *v, uint64_t id)
{
	rk_msg m = { v, sizeof(*v), id, 0, 0, 0, 128 };
	return m;
}

/* Push `count` values through, `batch` at a time, and check every
 * result: its value, its correlation id, its place. */
static void stream(struct device *d, uint64_t count, uint64_t batch)
{
	struct in *values = calloc(batch, sizeof(*values));
	rk_msg *msgs = calloc(batch, sizeof(*msgs));
	uint64_t sent = 0, got = 0;
	uint64_t processed = rk_dev_counter(&d->a->cb.processed);

	assert_non_null(values);
	assert_non_null(msgs);
	while (got < count) {
		if (sent < count) {
			uint64_t n = count - sent < batch ? count - sent : batch;
			for (uint64_t i = 0; i < n; i++) {
				values[i].value = (int64_t)(sent + i);
				msgs[i] = message(&values[i], 1000 + sent + i);
			}
			sent += rk_dev_push(d->a, msgs, n);
		}
		uint64_t ready = rk_dev_results(d->a);
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(d->a, i);
			struct out o;
			memcpy(&o, h + 1, sizeof(o));
			assert_int_equal(h->flags, 0);
			assert_int_equal(h->length, sizeof(struct out));
			assert_int_equal(h->correlation_id, 1000 + got + i);
			if (o.result != 3 * (int64_t)(got + i))
				fail_msg("result %llu is %lld",
					 (unsigned long long)(got + i),
					 (long long)o.result);
		}
		rk_dev_release(d->a, ready);
		got += ready;
		if (!ready)
			rk_cpu_relax();
	}
	assert_int_equal(rk_dev_counter(&d->a->cb.processed) - processed, count);
	assert_int_equal(rk_dev_counter(&d->a->cb.errors), 0);
	free(values);
	free(msgs);
}

static void test_epoch_confirms_each_request(void **state)
{
	(void)state;
	struct device *d = device_start(4, 0, 3);
	static const uint32_t order[] = {
		RK_DEV_ACTIVE, RK_DEV_DEACTIVATED, RK_DEV_ACTIVE,
		RK_DEV_DEACTIVATED, RK_DEV_ACTIVE
	};

	for (int round = 0; round < 200; round++)
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			assert_int_equal(rk_dev_command(d->a, order[i],
							rk_deadline(10)),
					 RK_OK);
			/* Acknowledged means applied. */
			assert_int_equal(d->a->cb.run_state, order[i]);
		}
	device_stop(d);
}

static void run_capacity(uint64_t capacity, uint64_t start)
{
	struct device *d = device_start(capacity, start, 3);

	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_OK);
	stream(d, stress_count(20000), 1);
	stream(d, stress_count(20000), 7);
	device_stop(d);
}

static void test_capacity_1(void **state)
{
	(void)state;
	run_capacity(1, 0);
}

static void test_capacity_2(void **state)
{
	(void)state;
	run_capacity(2, 0);
}

static void test_capacity_4(void **state)
{
	(void)state;
	run_capacity(4, 0);
}

static void test_indices_cross_uint64_max(void **state)
{
	(void)state;
	run_capacity(4, UINT64_MAX - 5);
	run_capacity(1, UINT64_MAX);
	run_capacity(1024, UINT64_MAX - 100);
}

static void test_failure_is_marked_and_counted(void **state)
{
	(void)state;
	struct device *d = device_start(4, 0, 3);
	struct in v[3] = { { 1 }, { INT64_MAX }, { 2 } };
	rk_msg m[3] = { message(&v[0], 1), message(&v[1], 2),
			message(&v[2], 3) };

	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_OK);
	assert_int_equal(rk_dev_push(d->a, m, 3), 3);
	assert_int_equal(rk_dev_wait_results(d->a, 3, rk_deadline(10)), RK_OK);
	assert_int_equal(rk_dev_result(d->a, 0)->flags, 0);
	rk_slot_header *bad = rk_dev_result(d->a, 1);
	assert_int_equal(bad->flags, RK_SLOT_FAILED);
	assert_int_equal(bad->type_tag, TOO_BIG);
	assert_int_equal(bad->correlation_id, 2);
	assert_int_equal(rk_dev_result(d->a, 2)->flags, 0);
	rk_dev_release(d->a, 3);
	assert_int_equal(rk_dev_counter(&d->a->cb.received), 3);
	assert_int_equal(rk_dev_counter(&d->a->cb.processed), 2);
	assert_int_equal(rk_dev_counter(&d->a->cb.errors), 1);
	device_stop(d);
}

static void test_paused_device_processes_nothing(void **state)
{
	(void)state;
	struct device *d = device_start(8, 0, 3);
	struct in v[4] = { { 1 }, { 2 }, { 3 }, { 4 } };
	rk_msg m[4] = { message(&v[0], 1), message(&v[1], 2),
			message(&v[2], 3), message(&v[3], 4) };

	/* Launched, not active: messages wait. */
	assert_int_equal(rk_dev_push(d->a, m, 2), 2);
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_now_ns() + 20000000),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_OK);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10)), RK_OK);
	rk_dev_release(d->a, 2);
	/* Deactivated: confirmed, so nothing pushed after is processed. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_DEACTIVATED,
					rk_deadline(10)), RK_OK);
	assert_int_equal(rk_dev_push(d->a, m + 2, 2), 2);
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_now_ns() + 20000000),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_dev_counter(&d->a->cb.received), 2);
	/* Reactivated: the backlog is processed, in order. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_OK);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10)), RK_OK);
	assert_int_equal(rk_dev_result(d->a, 0)->correlation_id, 3);
	assert_int_equal(rk_dev_result(d->a, 1)->correlation_id, 4);
	rk_dev_release(d->a, 2);
	device_stop(d);
}

static void test_full_rings_then_terminate(void **state)
{
	(void)state;
	struct device *d = device_start(2, UINT64_MAX - 1, 3);
	struct in v[8];
	rk_msg m[8];

	for (int i = 0; i < 8; i++) {
		v[i].value = i;
		m[i] = message(&v[i], (uint64_t)i + 1);
	}
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_OK);
	/* Nobody takes results: two fill the output, two the input. */
	uint64_t in = 0;
	uint64_t until = rk_deadline(10);
	while (in < 4 && rk_now_ns() < until)
		in += rk_dev_push(d->a, m + in, 8 - in);
	assert_int_equal(in, 4);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10)), RK_OK);
	assert_int_equal(rk_dev_push(d->a, m + 4, 4), 0);
	assert_int_equal(rk_ring_depth(rk_dev_in(d->a)), 2);
	/* The device is blocked on output room; terminate still ends it,
	 * and what it left is there for the host to count. */
	rk_dev_actor *a = d->a;
	assert_int_equal(rk_dev_command(a, RK_DEV_TERMINATED, rk_deadline(10)),
			 RK_OK);
	assert_true(rk_dev_wait_finished(a, rk_deadline(10)));
	assert_int_equal(rk_dev_counter(&a->cb.received), 2);
	assert_int_equal(rk_ring_depth(rk_dev_in(a)), 2);
	assert_int_equal(rk_ring_depth(rk_dev_out(a)), 2);
	pthread_join(d->thread, NULL);
	free(a);
	free(d);
}

static void test_abort_leaves_at_once(void **state)
{
	(void)state;
	struct device *d = device_start(4, 0, 3);

	__atomic_store_n(&d->a->cb.abort, 1, __ATOMIC_RELEASE);
	assert_true(rk_dev_wait_finished(d->a, rk_deadline(10)));
	/* A request to a device that has left is refused, not awaited. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10)),
			 RK_EKERNEL);
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_deadline(10)),
			 RK_EKERNEL);
	pthread_join(d->thread, NULL);
	free(d->a);
	free(d);
}

static void test_layout(void **state)
{
	(void)state;
	size_t bytes = rk_dev_actor_bytes(1000, 8, 8);
	rk_dev_actor *a = aligned_alloc(64, bytes);

	assert_non_null(a);
	memset(a, 0, bytes);
	rk_dev_actor_init(a, bytes, 1000, 8, 8, 0);
	assert_int_equal(a->magic, RK_DEVICE_MAGIC);
	assert_int_equal(a->in_offset % 64, 0);
	assert_int_equal(a->out_offset % 64, 0);
	assert_true(a->out_offset + sizeof(rk_ring)
		    + 1024 * rk_dev_out(a)->slot_size <= bytes);
	assert_int_equal(rk_dev_in(a)->capacity, 1000);
	assert_int_equal(a->batch_max, 1000);
	assert_int_equal(rk_dev_actor_bytes(0, 8, 8), 0);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_epoch_confirms_each_request),
		cmocka_unit_test(test_capacity_1),
		cmocka_unit_test(test_capacity_2),
		cmocka_unit_test(test_capacity_4),
		cmocka_unit_test(test_indices_cross_uint64_max),
		cmocka_unit_test(test_failure_is_marked_and_counted),
		cmocka_unit_test(test_paused_device_processes_nothing),
		cmocka_unit_test(test_full_rings_then_terminate),
		cmocka_unit_test(test_abort_leaves_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
