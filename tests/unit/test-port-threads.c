/* test-port-threads.c - a port between a producer and a consumer thread,
 * where the races are: closing meets publishing, and the consumer drops
 * the oldest (drop_oldest) while the producer pushes.  Every message
 * pushed is taken, discarded, trimmed, dropped or reported lost by
 * publish: exactly once, and those taken in order. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "port.h"
#include "stress.h"

struct race {
	rk_port *p;
	uint64_t count;         /* to push, at most */
	uint64_t yield_every;   /* the producer lets the consumer run */
	uint64_t close_after;   /* the consumer closes after taking these */
	uint64_t pushed;        /* try_push said RK_OK */
	uint64_t lost;          /* publish said a close came first */
	uint64_t taken, discarded, last;
	bool out_of_order;
};

static void *produce(void *arg)
{
	struct race *r = arg;

	for (uint64_t v = 1; v <= r->count; v++) {
		rk_envelope env = RK_ENVELOPE_INIT;
		rk_error rc;
		while ((rc = rk_port_try_push(r->p, &env, &v, sizeof(v), 0, 1))
		       == RK_EFULL)
			sched_yield();
		if (rc != RK_OK)
			break;          /* closed */
		r->pushed++;
		r->lost += rk_port_publish(r->p);
		rk_port_notify(r->p);
		if (r->yield_every && v % r->yield_every == 0)
			sched_yield();
	}
	return NULL;
}

static bool take_one(struct race *r)
{
	int band;
	rk_port_trim(r->p);
	rk_slot_header *h = rk_port_peek(r->p, &band);
	if (!h)
		return false;
	uint64_t v;
	memcpy(&v, h + 1, sizeof(v));
	if (v <= r->last)
		r->out_of_order = true;
	r->last = v;
	r->taken++;
	rk_port_release(r->p, band);
	return true;
}

static void *consume_then_close(void *arg)
{
	struct race *r = arg;

	while (r->taken < r->close_after)
		if (!take_one(r))
			sched_yield();
	rk_port_close(r->p);
	r->discarded = rk_port_discard(r->p);
	return NULL;
}

/* A close at a random moment: what the producer had pushed is taken,
 * discarded after the close, or known lost by the producer. */
static void test_close_meets_publish(void **unused)
{
	uint64_t rounds = stress_count(400);
	unsigned seed = 12345;

	for (uint64_t i = 0; i < rounds; i++) {
		struct race r = {
			.p = rk_port_new(1 + rand_r(&seed) % 8, 8, RK_BP_BLOCK,
					 NULL, false),
			.count = 1000,
			.close_after = rand_r(&seed) % 200,
		};
		pthread_t pt, ct;
		pthread_create(&pt, NULL, produce, &r);
		pthread_create(&ct, NULL, consume_then_close, &r);
		pthread_join(pt, NULL);
		pthread_join(ct, NULL);
		if (r.pushed != r.taken + r.discarded + r.lost)
			fail_msg("round %llu (seed 12345): pushed %llu != taken "
				 "%llu + discarded %llu + lost %llu",
				 (unsigned long long)i,
				 (unsigned long long)r.pushed,
				 (unsigned long long)r.taken,
				 (unsigned long long)r.discarded,
				 (unsigned long long)r.lost);
		assert_false(r.out_of_order);
		rk_port_unref(r.p);
	}
}

static void *consume_all(void *arg)
{
	struct race *r = arg;
	unsigned seed = 777;

	while (__atomic_load_n(&r->close_after, __ATOMIC_ACQUIRE) == 0
	       || rk_port_depth(r->p)) {
		if (rand_r(&seed) % 64 == 0)
			sched_yield();  /* let it run ahead now and then */
		else
			take_one(r);
	}
	return NULL;
}

/* drop_oldest: the consumer trims while the producer pushes past the
 * capacity; every message is taken (in order), trimmed or dropped as
 * the newest. */
static void test_trim_meets_push(void **unused)
{
	struct race r = {
		.p = rk_port_new(4, 8, RK_BP_DROP_OLDEST, NULL, false),
		.count = stress_count(2000000),
		.yield_every = 16,
	};
	pthread_t pt, ct;

	pthread_create(&ct, NULL, consume_all, &r);
	pthread_create(&pt, NULL, produce, &r);
	pthread_join(pt, NULL);
	__atomic_store_n(&r.close_after, 1, __ATOMIC_RELEASE);
	pthread_join(ct, NULL);
	assert_int_equal(r.pushed, r.count);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.taken + r.p->trimmed + r.p->dropped, r.count);
	assert_false(r.out_of_order);
	printf("# %llu taken, %llu trimmed, %llu dropped as the newest\n",
	       (unsigned long long)r.taken, (unsigned long long)r.p->trimmed,
	       (unsigned long long)r.p->dropped);
	rk_port_unref(r.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_meets_publish),
		cmocka_unit_test(test_trim_meets_push),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
