/* test-ring-threads.c - the SPSC ring between two threads: every
 * message arrives once and in order, at capacities 1, 2, 3 and 1024,
 * across UINT64_MAX, one by one and in batches. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "clock.h"
#include "ringkernel-ring.h"
#include "stress.h"

struct run {
	rk_ring *ring;
	uint64_t count;
	uint64_t batch;
	uint64_t errors;
};

static void *producer(void *arg)
{
	struct run *run = arg;
	rk_ring *r = run->ring;

	for (uint64_t next = 0; next < run->count;) {
		uint64_t free_slots = rk_ring_free(r, 1);
		if (free_slots == 0) {
			rk_cpu_relax();
			continue;
		}
		uint64_t n = free_slots < run->batch ? free_slots : run->batch;
		if (n > run->count - next)
			n = run->count - next;
		for (uint64_t i = 0; i < n; i++) {
			rk_slot_header *h = rk_ring_reserve_at(r, i);
			h->message_id = next + i;
			h->length = 8;
			uint64_t v = ~(next + i);
			memcpy(h + 1, &v, 8);
		}
		rk_ring_publish(r, n);
		next += n;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	rk_ring *r = run->ring;

	for (uint64_t expect = 0; expect < run->count;) {
		uint64_t ready = rk_ring_ready(r);
		if (ready == 0) {
			rk_cpu_relax();
			continue;
		}
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_ring_peek_at(r, i);
			uint64_t v;
			memcpy(&v, h + 1, 8);
			if (h->message_id != expect || v != ~expect
			    || h->length != 8)
				run->errors++;
			expect++;
		}
		rk_ring_release(r, ready);
	}
	return NULL;
}

static void run_pair(uint64_t capacity, uint64_t start, uint64_t batch,
		     uint64_t count)
{
	uint32_t slot = rk_ring_slot_size(8);
	size_t bytes = rk_ring_bytes(capacity, slot);
	struct run run = { .count = stress_count(count), .batch = batch };
	pthread_t p, c;

	run.ring = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(run.ring);
	rk_ring_init(run.ring, capacity, slot, start);
	pthread_create(&c, NULL, consumer, &run);
	pthread_create(&p, NULL, producer, &run);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	assert_int_equal(run.errors, 0);
	assert_int_equal(rk_ring_depth(run.ring), 0);
	assert_int_equal(run.ring->head - start, run.count);
	free(run.ring);
}

static void test_capacity_1(void **unused)
{
	run_pair(1, 0, 1, 200000);
}

static void test_capacity_2(void **unused)
{
	run_pair(2, 0, 1, 500000);
}

static void test_capacity_3_near_max(void **unused)
{
	run_pair(3, UINT64_MAX - 100000, 2, 500000);
}

static void test_large_batches(void **unused)
{
	run_pair(1024, UINT64_MAX - 5000, 64, 5000000);
}

static void test_one_by_one(void **unused)
{
	run_pair(1000, 0, 1, 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_1),
		cmocka_unit_test(test_capacity_2),
		cmocka_unit_test(test_capacity_3_near_max),
		cmocka_unit_test(test_large_batches),
		cmocka_unit_test(test_one_by_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
