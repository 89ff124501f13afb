/* test-device-protocol.c - the device actor protocol with the device's
 * loop compiled for the host and run in a thread, as the GPU runs it:
 * confirmed requests through the command epoch, every message once and
 * in order at capacities 1, 2 and 4 and across UINT64_MAX, full rings,
 * failures, pause and resume, terminate while blocked, abort; and
 * device links: chains of actors whose loops hand messages on through
 * rings of their own, failures carried along, host input beside. */
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
	_Alignas(RK_CACHE_LINE) uint8_t
		stage[RK_DEV_STAGE_BYTES(struct in, struct out)];

	times_k_loop(arg, &s, stage);
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
					rk_deadline(10), NULL), RK_OK);
	assert_true(rk_dev_wait_finished(d->a, rk_deadline(10), NULL));
	pthread_join(d->thread, NULL);
	free(d->a);
	free(d);
}

static rk_msg message(struct in *v, uint64_t id)
{
	rk_msg m = { v, sizeof(*v), id, 0, 0, 0, 128 };
	return m;
}

/* The next batch of the values 0..count-1 from `sent` on, message ids
 * from 1000; returns how many. */
static uint64_t fill(struct in *values, rk_msg *msgs, uint64_t sent,
		     uint64_t count, uint64_t batch)
{
	uint64_t n = count - sent < batch ? count - sent : batch;

	for (uint64_t i = 0; i < n; i++) {
		values[i].value = (int64_t)(sent + i);
		msgs[i] = message(&values[i], 1000 + sent + i);
	}
	return n;
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
			uint64_t n = fill(values, msgs, sent, count, batch);
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
	/* The counters follow the results: the last batch's may lag. */
	for (uint64_t until = rk_deadline(10);
	     rk_dev_counter(&d->a->cb.processed) - processed < count
	     && rk_now_ns() < until;)
		rk_cpu_relax();
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
							rk_deadline(10), NULL),
					 RK_OK);
			/* Acknowledged means applied. */
			assert_int_equal(d->a->cb.run_state, order[i]);
		}
	device_stop(d);
}

static void run_capacity(uint64_t capacity, uint64_t start)
{
	struct device *d = device_start(capacity, start, 3);

	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
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

	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
			 RK_OK);
	assert_int_equal(rk_dev_push(d->a, m, 3), 3);
	assert_int_equal(rk_dev_wait_results(d->a, 3, rk_deadline(10), NULL), RK_OK);
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
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_now_ns() + 20000000, NULL),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
			 RK_OK);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10), NULL), RK_OK);
	rk_dev_release(d->a, 2);
	/* Deactivated: confirmed, so nothing pushed after is processed. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_DEACTIVATED,
					rk_deadline(10), NULL), RK_OK);
	assert_int_equal(rk_dev_push(d->a, m + 2, 2), 2);
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_now_ns() + 20000000, NULL),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_dev_counter(&d->a->cb.received), 2);
	/* Reactivated: the backlog is processed, in order. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
			 RK_OK);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10), NULL), RK_OK);
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
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
			 RK_OK);
	/* Nobody takes results: two fill the output, two the input. */
	uint64_t in = 0;
	uint64_t until = rk_deadline(10);
	while (in < 4 && rk_now_ns() < until)
		in += rk_dev_push(d->a, m + in, 8 - in);
	assert_int_equal(in, 4);
	assert_int_equal(rk_dev_wait_results(d->a, 2, rk_deadline(10), NULL), RK_OK);
	assert_int_equal(rk_dev_push(d->a, m + 4, 4), 0);
	assert_int_equal(rk_ring_depth(rk_dev_in(d->a)), 2);
	/* The device is blocked on output room; terminate still ends it,
	 * and what it left is there for the host to count. */
	rk_dev_actor *a = d->a;
	assert_int_equal(rk_dev_command(a, RK_DEV_TERMINATED, rk_deadline(10), NULL),
			 RK_OK);
	assert_true(rk_dev_wait_finished(a, rk_deadline(10), NULL));
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

	rk_dev_abort(d->a);
	assert_true(rk_dev_wait_finished(d->a, rk_deadline(10), NULL));
	/* A request to a device that has left is refused, not awaited. */
	assert_int_equal(rk_dev_command(d->a, RK_DEV_ACTIVE, rk_deadline(10), NULL),
			 RK_EKERNEL);
	assert_int_equal(rk_dev_wait_results(d->a, 1, rk_deadline(10), NULL),
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

/* ---- device links -------------------------------------------------- */

#define CHAIN_MAX 3

/* Actors whose loops are linked one to the next, as lib/device-link.c
 * links them (in device memory on a GPU). */
struct chain {
	struct device *d[CHAIN_MAX];
	rk_ring *link[CHAIN_MAX - 1];
	int n;
};

static rk_ring *link_new(uint64_t capacity, uint64_t start)
{
	uint32_t slot = rk_ring_slot_size(sizeof(struct out));
	size_t bytes = rk_ring_bytes(capacity, slot);
	rk_ring *r = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

	assert_non_null(r);
	memset(r, 0, bytes);
	rk_ring_init(r, capacity, slot, start);
	return r;
}

/* n actors times 3, linked, active.  With late_links the consumers
 * are active before they are told of their links. */
static struct chain *chain_start(int n, uint64_t capacity, uint64_t start,
				 bool late_links)
{
	struct chain *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->n = n;
	for (int i = 0; i < n; i++)
		c->d[i] = device_start(capacity, start, 3);
	for (int i = 0; i + 1 < n; i++) {
		c->link[i] = link_new(capacity, start);
		c->d[i]->a->link_out = (uint64_t)(uintptr_t)c->link[i];
		if (!late_links)
			c->d[i + 1]->a->link_in = (uint64_t)(uintptr_t)c->link[i];
	}
	for (int i = n; i-- > 0;)
		assert_int_equal(rk_dev_command(c->d[i]->a, RK_DEV_ACTIVE,
						rk_deadline(10), NULL), RK_OK);
	for (int i = 0; late_links && i + 1 < n; i++)
		__atomic_store_n(&c->d[i + 1]->a->link_in,
				 (uint64_t)(uintptr_t)c->link[i],
				 __ATOMIC_RELEASE);
	return c;
}

static void chain_stop(struct chain *c)
{
	for (int i = 0; i < c->n; i++)
		device_stop(c->d[i]);
	for (int i = 0; i + 1 < c->n; i++)
		free(c->link[i]);
	free(c);
}

static rk_dev_actor *head(struct chain *c)
{
	return c->d[0]->a;
}

static rk_dev_actor *tail(struct chain *c)
{
	return c->d[c->n - 1]->a;
}

/* Push 0, 1, ... into the head and read every result at the tail: its
 * value times 3^n, its id, its place, marked as having come over a
 * link; the head's own output ring stays empty. */
static void chain_stream(struct chain *c, uint64_t count, uint64_t batch)
{
	struct in *values = calloc(batch, sizeof(*values));
	rk_msg *msgs = calloc(batch, sizeof(*msgs));
	uint64_t sent = 0, got = 0;
	int64_t times = 1;

	assert_non_null(values);
	assert_non_null(msgs);
	for (int i = 0; i < c->n; i++)
		times *= 3;
	while (got < count) {
		if (sent < count) {
			uint64_t n = fill(values, msgs, sent, count, batch);
			sent += rk_dev_push(head(c), msgs, n);
		}
		uint64_t ready = rk_dev_results(tail(c));
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(tail(c), i);
			struct out o;
			memcpy(&o, h + 1, sizeof(o));
			assert_int_equal(h->flags, RK_SLOT_LINKED);
			assert_int_equal(h->correlation_id, 1000 + got + i);
			if (o.result != times * (int64_t)(got + i))
				fail_msg("result %llu is %lld",
					 (unsigned long long)(got + i),
					 (long long)o.result);
		}
		rk_dev_release(tail(c), ready);
		got += ready;
		if (!ready)
			rk_cpu_relax();
	}
	assert_int_equal(rk_ring_depth(rk_dev_out(head(c))), 0);
	free(values);
	free(msgs);
}

static void run_chain(int n, uint64_t capacity, uint64_t start)
{
	struct chain *c = chain_start(n, capacity, start, false);
	uint64_t count = stress_count(20000);

	chain_stream(c, count, 1);
	chain_stream(c, count, 7);
	/* Counters follow results: wait for the last batches' to land. */
	for (uint64_t until = rk_deadline(10); rk_now_ns() < until;) {
		bool all = rk_dev_counter(&head(c)->cb.received) == 2 * count;
		for (int i = 0; i + 1 < n; i++)
			all = all && rk_dev_counter(&c->d[i + 1]->a->cb
						    .link_processed) == 2 * count
			      && rk_dev_counter(&c->d[i]->a->cb.link_sent)
				 == 2 * count;
		if (all)
			break;
		rk_cpu_relax();
	}
	/* Each link counted both ways, every message once. */
	for (int i = 0; i + 1 < n; i++) {
		rk_dev_control *from = &c->d[i]->a->cb, *to = &c->d[i + 1]->a->cb;
		assert_int_equal(rk_dev_counter(&from->link_slots_out),
				 2 * count);
		assert_int_equal(rk_dev_counter(&from->link_sent), 2 * count);
		assert_int_equal(rk_dev_counter(&to->link_slots_in), 2 * count);
		assert_int_equal(rk_dev_counter(&to->link_received), 2 * count);
		assert_int_equal(rk_dev_counter(&to->link_processed),
				 2 * count);
		assert_int_equal(rk_dev_counter(&to->received), 0);
	}
	assert_int_equal(rk_dev_counter(&head(c)->cb.received), 2 * count);
	chain_stop(c);
}

static void test_link_capacities(void **state)
{
	(void)state;
	run_chain(2, 1, 0);
	run_chain(2, 2, 0);
	run_chain(3, 4, 0);
}

static void test_link_indices_cross_uint64_max(void **state)
{
	(void)state;
	run_chain(3, 4, UINT64_MAX - 5);
	run_chain(2, 1, UINT64_MAX);
	run_chain(3, 1024, UINT64_MAX - 100);
}

static void test_link_found_after_activation(void **state)
{
	(void)state;
	struct chain *c = chain_start(3, 4, 0, true);

	chain_stream(c, stress_count(5000), 3);
	chain_stop(c);
}

/* A failure in each of three linked actors: the head's is written into
 * its input slot for the host and travels on as a SKIP; the others
 * reach the tail's output as notices saying how far back they were. */
static void test_link_failures_travel_on(void **state)
{
	(void)state;
	struct chain *c = chain_start(3, 8, 0, false);
	struct in v[5] = {
		{ 1 },
		{ INT64_MAX },                  /* overflows in the head */
		{ INT64_MAX / 5 },              /* in the second */
		{ INT64_MAX / 15 },             /* in the tail */
		{ 2 },
	};
	rk_msg m[5];

	for (int i = 0; i < 5; i++)
		m[i] = message(&v[i], (uint64_t)i + 1);
	rk_ring *in = rk_dev_in(head(c));
	uint64_t base = in->head;
	assert_int_equal(rk_dev_push(head(c), m, 5), 5);
	assert_int_equal(rk_dev_wait_results(tail(c), 5, rk_deadline(10), NULL),
			 RK_OK);
	/* The head tells its host in the input slot. */
	while (rk_load_acquire(&in->tail) - base < 2)
		rk_cpu_relax();
	assert_int_equal(rk_ring_slot(in, base + 1)->flags, RK_SLOT_FAILED);
	assert_int_equal(rk_ring_slot(in, base + 1)->type_tag, TOO_BIG);
	assert_int_equal(rk_ring_slot(in, base)->flags, 0);

	rk_slot_header *h[5];
	for (int i = 0; i < 5; i++)
		h[i] = rk_dev_result(tail(c), (uint64_t)i);
	assert_int_equal(h[0]->flags, RK_SLOT_LINKED);
	assert_int_equal(h[1]->flags, RK_SLOT_SKIP | RK_SLOT_LINKED);
	assert_int_equal(h[2]->flags, RK_SLOT_FAILED | RK_SLOT_LINKED);
	assert_int_equal(h[2]->length, 1);      /* one actor back */
	assert_int_equal(h[2]->type_tag, TOO_BIG);
	assert_int_equal(h[3]->flags, RK_SLOT_FAILED | RK_SLOT_LINKED);
	assert_int_equal(h[3]->length, 0);      /* the tail itself */
	assert_int_equal(h[4]->flags, RK_SLOT_LINKED);
	for (int i = 0; i < 5; i++)
		assert_int_equal(h[i]->correlation_id, (uint64_t)i + 1);
	rk_dev_release(tail(c), 5);

	rk_dev_control *a = &c->d[0]->a->cb, *b = &c->d[1]->a->cb,
		       *t = &c->d[2]->a->cb;
	assert_int_equal(rk_dev_counter(&a->received), 5);
	assert_int_equal(rk_dev_counter(&a->errors), 1);
	assert_int_equal(rk_dev_counter(&a->link_slots_out), 5);
	assert_int_equal(rk_dev_counter(&a->link_sent), 4);
	/* Notices are passed on, not counted as messages again. */
	assert_int_equal(rk_dev_counter(&b->link_received), 4);
	assert_int_equal(rk_dev_counter(&b->link_errors), 1);
	assert_int_equal(rk_dev_counter(&b->link_sent), 3);
	assert_int_equal(rk_dev_counter(&t->link_slots_in), 5);
	assert_int_equal(rk_dev_counter(&t->link_received), 3);
	assert_int_equal(rk_dev_counter(&t->link_processed), 2);
	assert_int_equal(rk_dev_counter(&t->link_errors), 1);
	chain_stop(c);
}

/* The consumer's own host input goes on beside what the link brings:
 * each in its order, told apart by the LINKED mark. */
static void test_link_beside_host_input(void **state)
{
	(void)state;
	struct chain *c = chain_start(2, 4, 0, false);
	uint64_t count = stress_count(20000);
	uint64_t from_head = 0, from_host = 0, got_link = 0, got_host = 0;
	struct in hv, tv;

	while (got_link < count || got_host < count) {
		if (from_head < count) {
			hv.value = (int64_t)from_head;
			rk_msg m = message(&hv, from_head);
			from_head += rk_dev_push(head(c), &m, 1);
		}
		if (from_host < count) {
			tv.value = (int64_t)from_host;
			rk_msg m = message(&tv, 1u << 30 | from_host);
			from_host += rk_dev_push(tail(c), &m, 1);
		}
		uint64_t ready = rk_dev_results(tail(c));
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(tail(c), i);
			struct out o;
			memcpy(&o, h + 1, sizeof(o));
			if (h->flags & RK_SLOT_LINKED) {
				assert_int_equal(h->correlation_id, got_link);
				assert_int_equal(o.result, 9 * (int64_t)got_link);
				got_link++;
			} else {
				assert_int_equal(h->correlation_id,
						 1u << 30 | got_host);
				assert_int_equal(o.result, 3 * (int64_t)got_host);
				got_host++;
			}
		}
		rk_dev_release(tail(c), ready);
	}
	chain_stop(c);
}

/* A consumer that is not active holds the link full, and the producer
 * behind it; both still stop when told to. */
static void test_link_full_then_terminate(void **state)
{
	(void)state;
	struct chain *c = chain_start(2, 2, UINT64_MAX - 1, false);
	struct in v[8];
	rk_msg m[8];

	for (int i = 0; i < 8; i++) {
		v[i].value = i;
		m[i] = message(&v[i], (uint64_t)i + 1);
	}
	assert_int_equal(rk_dev_command(tail(c), RK_DEV_DEACTIVATED,
					rk_deadline(10), NULL), RK_OK);
	uint64_t in = 0, until = rk_deadline(10);
	while (in < 4 && rk_now_ns() < until)
		in += rk_dev_push(head(c), m + in, 8 - in);
	assert_int_equal(in, 4);
	/* Two on the link, two waiting in the head's input. */
	while (rk_ring_depth(c->link[0]) < 2 && rk_now_ns() < until)
		rk_cpu_relax();
	assert_int_equal(rk_ring_depth(c->link[0]), 2);
	assert_int_equal(rk_dev_push(head(c), m + 4, 4), 0);
	assert_int_equal(rk_ring_depth(rk_dev_in(head(c))), 2);
	assert_int_equal(rk_dev_counter(&head(c)->cb.link_slots_out), 2);
	/* Reactivated, the consumer takes all four, in order. */
	assert_int_equal(rk_dev_command(tail(c), RK_DEV_ACTIVE,
					rk_deadline(10), NULL), RK_OK);
	assert_int_equal(rk_dev_wait_results(tail(c), 2, rk_deadline(10), NULL),
			 RK_OK);
	for (uint64_t got = 0; got < 4;) {
		assert_int_equal(rk_dev_wait_results(tail(c), 1,
						     rk_deadline(10), NULL), RK_OK);
		assert_int_equal(rk_dev_result(tail(c), 0)->correlation_id,
				 got + 1);
		rk_dev_release(tail(c), 1);
		got++;
	}
	/* Deactivated again and blocked: terminate still ends both. */
	assert_int_equal(rk_dev_command(tail(c), RK_DEV_DEACTIVATED,
					rk_deadline(10), NULL), RK_OK);
	in = 0;
	while (in < 4 && rk_now_ns() < until)
		in += rk_dev_push(head(c), m + in, 4 - in);
	chain_stop(c);
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
		cmocka_unit_test(test_link_capacities),
		cmocka_unit_test(test_link_indices_cross_uint64_max),
		cmocka_unit_test(test_link_found_after_activation),
		cmocka_unit_test(test_link_failures_travel_on),
		cmocka_unit_test(test_link_beside_host_input),
		cmocka_unit_test(test_link_full_then_terminate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
