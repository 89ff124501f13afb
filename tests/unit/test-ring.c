/* test-ring.c - the SPSC ring on one thread: capacities, indices near
 * UINT64_MAX, full and empty, batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ringkernel-ring.h"

static rk_ring *ring_new(uint64_t capacity, uint32_t max_payload,
			 uint64_t start)
{
	uint32_t slot = rk_ring_slot_size(max_payload);
	size_t bytes = rk_ring_bytes(capacity, slot);
	assert_true(bytes > 0);
	rk_ring *r = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	assert_non_null(r);
	rk_ring_init(r, capacity, slot, start);
	return r;
}

static void push_value(rk_ring *r, uint64_t v)
{
	rk_slot_header *h = rk_ring_reserve(r);
	assert_non_null(h);
	h->message_id = v;
	h->length = sizeof(v);
	memcpy(h + 1, &v, sizeof(v));
	rk_ring_publish(r, 1);
}

static uint64_t pop_value(rk_ring *r)
{
	uint64_t v;
	rk_slot_header *h = rk_ring_peek(r);
	assert_non_null(h);
	assert_int_equal(h->length, sizeof(v));
	memcpy(&v, h + 1, sizeof(v));
	assert_int_equal(h->message_id, v);
	rk_ring_release(r, 1);
	return v;
}

/* Fill to capacity, refuse one more, drain in order, refuse to pop. */
static void fill_and_drain(uint64_t capacity, uint64_t start, int rounds)
{
	rk_ring *r = ring_new(capacity, 8, start);
	uint64_t next = 0, expect = 0;

	for (int round = 0; round < rounds; round++) {
		assert_null(rk_ring_peek(r));
		for (uint64_t i = 0; i < capacity; i++)
			push_value(r, next++);
		assert_null(rk_ring_reserve(r));
		assert_int_equal(rk_ring_depth(r), capacity);
		for (uint64_t i = 0; i < capacity; i++)
			assert_int_equal(pop_value(r), expect++);
		assert_null(rk_ring_peek(r));
		assert_int_equal(rk_ring_depth(r), 0);
	}
	free(r);
}

static void test_capacity_1(void **state)
{
	fill_and_drain(1, 0, 5);
}

static void test_capacity_2(void **state)
{
	fill_and_drain(2, 0, 5);
}

/* The user-visible capacity is what was asked, not the slot count. */
static void test_capacity_not_power_of_two(void **state)
{
	rk_ring *r = ring_new(1000, 8, 0);
	assert_int_equal(r->mask + 1, 1024);
	free(r);
	fill_and_drain(1000, 0, 3);
	fill_and_drain(3, 0, 7);
}

static void test_indices_across_uint64_max(void **state)
{
	fill_and_drain(1, UINT64_MAX - 2, 6);
	fill_and_drain(3, UINT64_MAX - 4, 6);
	fill_and_drain(1000, UINT64_MAX - 1500, 4);
}

/* Interleaved push/pop keeps FIFO order with a partly full ring. */
static void test_interleaved(void **state)
{
	rk_ring *r = ring_new(5, 8, UINT64_MAX - 7);
	uint64_t next = 0, expect = 0;

	for (int i = 0; i < 1000; i++) {
		push_value(r, next++);
		push_value(r, next++);
		assert_int_equal(pop_value(r), expect++);
		if (rk_ring_depth(r) >= 4) {
			assert_int_equal(pop_value(r), expect++);
			assert_int_equal(pop_value(r), expect++);
		}
	}
	while (rk_ring_peek(r))
		assert_int_equal(pop_value(r), expect++);
	assert_int_equal(expect, next);
	free(r);
}

static void test_batches(void **state)
{
	rk_ring *r = ring_new(10, 8, 0);

	assert_int_equal(rk_ring_free(r, 10), 10);
	for (uint64_t i = 0; i < 7; i++) {
		rk_slot_header *h = rk_ring_reserve_at(r, i);
		h->message_id = i;
	}
	assert_null(rk_ring_peek(r));   /* nothing published yet */
	rk_ring_publish(r, 7);
	assert_int_equal(rk_ring_ready(r), 7);
	assert_int_equal(rk_ring_free(r, 4), 3);
	for (uint64_t i = 0; i < 7; i++)
		assert_int_equal(rk_ring_peek_at(r, i)->message_id, i);
	rk_ring_release(r, 7);
	assert_int_equal(rk_ring_free(r, 10), 10);
	free(r);
}

static void test_slot_sizes(void **state)
{
	assert_int_equal(rk_ring_slot_size(8), 64);
	assert_int_equal(rk_ring_slot_size(32), 64);
	assert_int_equal(rk_ring_slot_size(33), 128);
	assert_int_equal(rk_ring_slot_size(224), 256);
	assert_int_equal(sizeof(rk_slot_header), 32);
	assert_int_equal(sizeof(rk_ring) % 64, 0);
	assert_int_equal(offsetof(rk_ring, tail) % 64, 0);
	assert_int_equal(rk_ring_bytes(0, 64), 0);
	assert_int_equal(rk_ring_bytes(4, 0), 0);
	rk_ring *r = ring_new(4, 100, 0);
	assert_true(rk_ring_max_payload(r) >= 100);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_1),
		cmocka_unit_test(test_capacity_2),
		cmocka_unit_test(test_capacity_not_power_of_two),
		cmocka_unit_test(test_indices_across_uint64_max),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_slot_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
