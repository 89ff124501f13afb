/* test-port.c - priority bands and backpressure policies of a port, on
 * one thread: capacity counts over all bands, every drop is counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "port.h"

static rk_error push(rk_port *p, uint64_t v, uint8_t prio)
{
	rk_envelope env = RK_ENVELOPE_INIT;
	env.priority = prio;
	rk_error rc = rk_port_try_push(p, &env, &v, sizeof(v), 0, 1);
	rk_port_publish(p);
	return rc;
}

static uint64_t pop(rk_port *p)
{
	int band;
	uint64_t v;
	rk_slot_header *h = rk_port_peek(p, &band);
	assert_non_null(h);
	memcpy(&v, h + 1, sizeof(v));
	rk_port_release(p, band);
	return v;
}

static void test_bands(void **unused)
{
	assert_int_equal(rk_priority_band(0), 0);
	assert_int_equal(rk_priority_band(63), 0);
	assert_int_equal(rk_priority_band(64), 1);
	assert_int_equal(rk_priority_band(159), 1);
	assert_int_equal(rk_priority_band(160), 2);
	assert_int_equal(rk_priority_band(223), 2);
	assert_int_equal(rk_priority_band(224), 3);
	assert_int_equal(rk_priority_band(255), 3);
}

/* One priority allocates one ring; the capacity spans all bands. */
static void test_capacity_over_bands(void **unused)
{
	rk_port *p = rk_port_new(3, 8, RK_BP_BLOCK, NULL, true);

	assert_int_equal(push(p, 1, 128), RK_OK);
	assert_int_equal(p->bands_used, 1u << 1);
	assert_int_equal(push(p, 2, 255), RK_OK);
	assert_int_equal(push(p, 3, 0), RK_OK);
	assert_int_equal(push(p, 4, 200), RK_EFULL);
	assert_false(rk_port_has_space(p));
	assert_int_equal(rk_port_depth(p), 3);
	assert_int_equal(p->high_water, 3);
	assert_int_equal(pop(p), 2);
	assert_int_equal(pop(p), 1);
	assert_int_equal(push(p, 5, 0), RK_OK);
	assert_int_equal(pop(p), 3);
	assert_int_equal(pop(p), 5);
	int band;
	assert_null(rk_port_peek(p, &band));
	rk_port_unref(p);
}

static void test_reject(void **unused)
{
	rk_port *p = rk_port_new(2, 8, RK_BP_REJECT, NULL, false);

	assert_int_equal(push(p, 1, 128), RK_OK);
	assert_int_equal(push(p, 2, 128), RK_OK);
	assert_int_equal(push(p, 3, 128), RK_EFULL);
	assert_int_equal(p->rejected, 1);
	assert_int_equal(p->dropped, 0);
	assert_int_equal(pop(p), 1);
	assert_int_equal(pop(p), 2);
	rk_port_unref(p);
}

static void test_drop_newest(void **unused)
{
	rk_port *p = rk_port_new(2, 8, RK_BP_DROP_NEWEST, NULL, false);

	for (uint64_t v = 1; v <= 5; v++)
		assert_int_equal(push(p, v, 128), RK_OK);
	assert_int_equal(p->dropped, 3);
	assert_int_equal(pop(p), 1);
	assert_int_equal(pop(p), 2);
	rk_port_unref(p);
}

/* drop_oldest takes the oldest of the lowest band first: the producer
 * only queues, the consumer drops (rk_port_trim) before it takes. */
static void test_drop_oldest(void **unused)
{
	rk_port *p = rk_port_new(3, 8, RK_BP_DROP_OLDEST, NULL, false);

	assert_int_equal(push(p, 1, 255), RK_OK);
	assert_int_equal(push(p, 2, 10), RK_OK);
	assert_int_equal(push(p, 3, 10), RK_OK);
	assert_int_equal(push(p, 4, 10), RK_OK);
	assert_int_equal(push(p, 5, 255), RK_OK);
	assert_int_equal(p->dropped, 0);        /* the producer drops none */
	assert_int_equal(rk_port_depth(p), 5);
	assert_int_equal(rk_port_trim(p), 2);   /* 2 and 3 */
	assert_int_equal(p->trimmed, 2);
	assert_int_equal(rk_port_trim(p), 0);
	assert_int_equal(pop(p), 1);
	assert_int_equal(pop(p), 5);
	assert_int_equal(pop(p), 4);
	rk_port_unref(p);
}

/* A consumer that does not come back: a capacity more waits for it,
 * then the newest go, counted.  (It keeps what came after the oldest,
 * up to twice its size: not the very newest; see libringkernel(3).) */
static void test_drop_oldest_consumer_away(void **unused)
{
	rk_port *p = rk_port_new(3, 8, RK_BP_DROP_OLDEST, NULL, false);

	for (uint64_t v = 1; v <= 8; v++)
		assert_int_equal(push(p, v, 128), RK_OK);
	assert_int_equal(p->dropped, 2);        /* 7 and 8 */
	assert_int_equal(rk_port_trim(p), 3);   /* 1, 2, 3 */
	assert_int_equal(pop(p), 4);
	assert_int_equal(pop(p), 5);
	assert_int_equal(pop(p), 6);
	assert_null(rk_port_peek(p, &(int){ 0 }));
	assert_int_equal(p->dropped + p->trimmed, 5);
	rk_port_unref(p);
}

static rk_error push_flags(rk_port *p, uint8_t flags)
{
	rk_envelope env = RK_ENVELOPE_INIT;
	env.priority = 0;               /* as the runtime's ends ride */
	rk_error rc = rk_port_try_push(p, &env, NULL, 0, flags, 1);
	rk_port_publish(p);
	return rc;
}

/* The end and markers are never dropped or rejected, whatever the
 * policy: into a full queue they wait (RK_EFULL, nothing counted), and
 * go in once there is room; trimming stops at them. */
static void test_ends_never_dropped(void **unused)
{
	static const rk_backpressure policies[] = {
		RK_BP_DROP_NEWEST, RK_BP_DROP_OLDEST, RK_BP_REJECT,
		RK_BP_BLOCK,
	};

	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		rk_port *p = rk_port_new(2, 8, policies[i], NULL, false);
		int band;
		uint64_t n = policies[i] == RK_BP_DROP_OLDEST ? 4 : 2;
		for (uint64_t v = 1; v <= n; v++)
			assert_int_equal(push(p, v, 0), RK_OK);
		assert_int_equal(push_flags(p, RK_SLOT_MARKER), RK_EFULL);
		assert_int_equal(push_flags(p, RK_SLOT_END_OF_STREAM),
				 RK_EFULL);
		assert_int_equal(p->dropped + p->rejected, 0);
		rk_port_trim(p);
		pop(p);
		assert_int_equal(push_flags(p, RK_SLOT_END_OF_STREAM), RK_OK);
		while (!(rk_port_peek(p, &band)->flags & RK_SLOT_END_OF_STREAM))
			rk_port_release(p, band);
		rk_port_release(p, band);
		assert_null(rk_port_peek(p, &band));
		rk_port_unref(p);
	}
}

/* A close between fill and publish: the consumer never sees those, and
 * publish says how many messages that lost (its caller counts them). */
static void test_close_before_publish(void **unused)
{
	rk_port *p = rk_port_new(4, 8, RK_BP_BLOCK, NULL, false);
	rk_envelope env = RK_ENVELOPE_INIT;
	uint64_t v = 7;

	assert_int_equal(push(p, 1, 0), RK_OK);
	assert_int_equal(rk_port_try_push(p, &env, &v, 8, 0, 1), RK_OK);
	assert_int_equal(rk_port_try_push(p, &env, NULL, 0,
					  RK_SLOT_END_OF_STREAM, 1), RK_OK);
	rk_port_close(p);
	assert_int_equal(rk_port_publish(p), 1);        /* not the end */
	assert_int_equal(rk_port_depth(p), 1);
	assert_int_equal(rk_port_discard(p), 1);
	rk_port_unref(p);
}

static void test_sizes_and_close(void **unused)
{
	rk_port *p = rk_port_new(2, 16, RK_BP_BLOCK, NULL, false);
	rk_envelope env = RK_ENVELOPE_INIT;
	char big[17] = { 0 };

	assert_null(rk_port_new(0, 8, RK_BP_BLOCK, NULL, false));
	assert_int_equal(rk_port_try_push(p, &env, big, 17, 0, 1), RK_ESCHEMA);
	assert_int_equal(rk_port_try_push(p, &env, big, 16, 0, 1), RK_OK);
	assert_int_equal(rk_port_try_push(p, &env, NULL, 0, 0, 1), RK_OK);
	assert_int_equal(rk_port_depth(p), 0);  /* not published yet */
	rk_port_publish(p);
	assert_int_equal(rk_port_depth(p), 2);
	rk_port_close(p);
	assert_true(rk_port_is_closed(p));
	assert_true(rk_port_has_space(p));      /* waiters must wake */
	assert_int_equal(rk_port_try_push(p, &env, big, 1, 0, 1), RK_ESTATE);
	assert_int_equal(rk_port_discard(p), 2);
	assert_int_equal(rk_port_depth(p), 0);
	rk_port_unref(p);
}

static int compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Message ids: one per message, increasing on a port, never 0, and
 * never the same on two ports, past the blocks they come in. */
static void test_message_ids(void **unused)
{
	enum { PORTS = 3, EACH = 3 * 4096 + 5 };
	rk_port *p[PORTS];
	static uint64_t seen[PORTS * EACH];
	rk_envelope env = RK_ENVELOPE_INIT;
	uint64_t v = 0;
	size_t n = 0;
	int band;

	for (int i = 0; i < PORTS; i++)
		p[i] = rk_port_new(EACH, 8, RK_BP_BLOCK, NULL, false);
	for (int m = 0; m < EACH; m++) {
		for (int i = 0; i < PORTS; i++) {
			assert_int_equal(rk_port_try_push(p[i], &env, &v, 8, 0, 1),
					 RK_OK);
			assert_true(env.message_id != 0);
			if (m)
				assert_true(env.message_id > seen[n - PORTS]);
			seen[n++] = env.message_id;
		}
	}
	qsort(seen, n, sizeof(seen[0]), compare_ids);
	for (size_t i = 1; i < n; i++)
		assert_true(seen[i] != seen[i - 1]);
	rk_port_publish(p[0]);
	assert_true(rk_port_peek(p[0], &band)->message_id != 0);
	for (int i = 0; i < PORTS; i++)
		rk_port_unref(p[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_capacity_over_bands),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_drop_newest),
		cmocka_unit_test(test_drop_oldest),
		cmocka_unit_test(test_drop_oldest_consumer_away),
		cmocka_unit_test(test_ends_never_dropped),
		cmocka_unit_test(test_close_before_publish),
		cmocka_unit_test(test_sizes_and_close),
		cmocka_unit_test(test_message_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
