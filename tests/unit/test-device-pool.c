/* test-device-pool.c - the memory the cuda backend carves for device
 * actors and links: pieces aligned and apart, all of it usable, freed
 * pieces merging back whatever the order, and refusals when full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device-host.h"

static void test_pieces_aligned_then_full(void **state)
{
	(void)state;
	rk_pool *p = rk_pool_new(1024, 64);
	size_t off[16];

	assert_non_null(p);
	for (int i = 0; i < 16; i++) {
		assert_true(rk_pool_get(p, 1 + (size_t)i % 64, &off[i]));
		assert_int_equal(off[i], 64 * (size_t)i);
	}
	size_t none;
	assert_false(rk_pool_get(p, 1, &none));
	assert_int_equal(rk_pool_free_bytes(p), 0);
	/* Back in any order: one free range of all of it again. */
	for (int i = 0; i < 16; i += 2)
		rk_pool_put(p, off[i], 1);
	for (int i = 15; i > 0; i -= 2)
		rk_pool_put(p, off[i], 64);
	assert_int_equal(rk_pool_free_bytes(p), 1024);
	assert_true(rk_pool_get(p, 1024, &none));
	assert_int_equal(none, 0);
	rk_pool_free(p);
}

static void test_refusals(void **state)
{
	(void)state;
	rk_pool *p = rk_pool_new(1000, 64);     /* 960 usable */
	size_t off;

	assert_int_equal(rk_pool_free_bytes(p), 960);
	assert_false(rk_pool_get(p, 961, &off));
	assert_false(rk_pool_get(p, SIZE_MAX, &off));
	assert_true(rk_pool_get(p, 960, &off));
	rk_pool_free(p);
}

/* Random gets and puts against a map of who holds each line. */
static void test_random_use_never_overlaps(void **state)
{
	(void)state;
	enum { LINES = 512, HELD = 64 };
	rk_pool *p = rk_pool_new(LINES * 64, 64);
	int owner[LINES];
	struct { size_t off, bytes; bool used; } held[HELD] = { { 0 } };

	memset(owner, -1, sizeof(owner));
	srand(7);
	for (int round = 0; round < 100000; round++) {
		int h = rand() % HELD;
		if (held[h].used) {
			for (size_t l = held[h].off / 64;
			     l < (held[h].off + held[h].bytes + 63) / 64; l++)
				owner[l] = -1;
			rk_pool_put(p, held[h].off, held[h].bytes);
			held[h].used = false;
			continue;
		}
		size_t bytes = 1 + (size_t)(rand() % (64 * 24));
		if (!rk_pool_get(p, bytes, &held[h].off))
			continue;
		assert_int_equal(held[h].off % 64, 0);
		for (size_t l = held[h].off / 64; l < (held[h].off + bytes + 63) / 64;
		     l++) {
			assert_true(l < LINES);
			assert_int_equal(owner[l], -1);
			owner[l] = h;
		}
		held[h].bytes = bytes;
		held[h].used = true;
	}
	for (int h = 0; h < HELD; h++)
		if (held[h].used)
			rk_pool_put(p, held[h].off, held[h].bytes);
	assert_int_equal(rk_pool_free_bytes(p), LINES * 64);
	size_t off;
	assert_true(rk_pool_get(p, LINES * 64, &off));
	rk_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_aligned_then_full),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_random_use_never_overlaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
