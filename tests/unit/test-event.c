/* test-event.c - the event count loses no wake-up: two threads play
 * ping-pong, each sleeping until the other publishes, so every exchange
 * races a notification against a waiter going to sleep.  A lost
 * wake-up leaves both asleep for good: a watchdog thread that sees no
 * exchange for 10 s says which one and aborts the test.  Then the
 * event's word (a wake takes the waiters' count with it) and a crowd of
 * waiters on one event, some giving up at deadlines. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "event.h"
#include "stress.h"

struct side {
	uint64_t value;                 /* what this side last published */
	rk_event ev;                    /* rung after each publication */
};

struct game {
	struct side ping, pong;
	uint64_t rounds;
	int spin;                       /* 1: look a while before parking */
	int over;                       /* set when both sides are done */
};

/* How many looks before parking: a different number each exchange, so
 * that some waiter announces itself just as the other side publishes
 * (xorshift; 0 to 4095). */
static unsigned spins(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed & 4095;
}

/* Wait until `s` has published at least `want`: look `spin` times, then
 * park on its event, with no deadline. */
static void await(struct side *s, uint64_t want, unsigned spin)
{
	for (unsigned i = 0; i < spin; i++)
		if (__atomic_load_n(&s->value, __ATOMIC_ACQUIRE) >= want)
			return;
	while (__atomic_load_n(&s->value, __ATOMIC_ACQUIRE) < want) {
		uint32_t key = rk_event_prepare(&s->ev);
		if (__atomic_load_n(&s->value, __ATOMIC_ACQUIRE) >= want) {
			rk_event_cancel(&s->ev, key);
			return;
		}
		rk_event_wait(&s->ev, key, UINT64_MAX);
	}
}

static void publish(struct side *s, uint64_t v)
{
	__atomic_store_n(&s->value, v, __ATOMIC_RELEASE);
	rk_event_notify(&s->ev);
}

static void *ponger(void *arg)
{
	struct game *g = arg;
	uint32_t seed = 2463534242u;

	for (uint64_t i = 1; i <= g->rounds; i++) {
		await(&g->ping, i, g->spin ? spins(&seed) : 0);
		publish(&g->pong, i);
	}
	return NULL;
}

/* Both sides wait without a deadline, so a lost wake-up on either one
 * stops the game: no exchange for 10 s ends the test, loudly. */
static void *watchdog(void *arg)
{
	struct game *g = arg;
	uint64_t seen = 0, since = rk_now_ns();

	while (!__atomic_load_n(&g->over, __ATOMIC_ACQUIRE)) {
		usleep(10000);
		uint64_t now = rk_now_ns();
		uint64_t ping = __atomic_load_n(&g->ping.value, __ATOMIC_ACQUIRE);
		uint64_t pong = __atomic_load_n(&g->pong.value, __ATOMIC_ACQUIRE);
		if (ping + pong != seen) {
			seen = ping + pong;
			since = now;
		} else if (now - since > 10000000000u) {
			fprintf(stderr, "test-event: no exchange for 10 s at "
				"ping %llu, pong %llu of %llu: a lost wake-up\n",
				(unsigned long long)ping,
				(unsigned long long)pong,
				(unsigned long long)g->rounds);
			abort();
		}
	}
	return NULL;
}

static void play(uint64_t rounds, int spin)
{
	struct game g = { .rounds = rounds, .spin = spin };
	uint32_t seed = 88675123u;
	pthread_t pong, dog;

	assert_int_equal(pthread_create(&dog, NULL, watchdog, &g), 0);
	assert_int_equal(pthread_create(&pong, NULL, ponger, &g), 0);
	for (uint64_t i = 1; i <= rounds; i++) {
		publish(&g.ping, i);
		await(&g.pong, i, spin ? spins(&seed) : 0);
	}
	assert_int_equal(pthread_join(pong, NULL), 0);
	__atomic_store_n(&g.over, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(dog, NULL), 0);
	assert_int_equal(g.pong.value, rounds);
}

/* Both sides park at once at every exchange. */
static void ping_pong_parking(void **state)
{
	(void)state;
	play(stress_count(10000), 0);
}

/* A spin of random length first: the notifier often finds nobody
 * waiting yet, and some waiter arrives just as the other publishes. */
static void ping_pong_spinning(void **state)
{
	(void)state;
	play(stress_count(50000), 1);
}

/* The word: a wake takes the waiters' count with it, so the next
 * notifier finds nobody to wake until one announces itself again; a
 * waiter that gives up takes its count back only under its sequence. */
static void one_wake_per_announcement(void **state)
{
	(void)state;
	rk_event ev = { 0 };

	uint32_t key = rk_event_prepare(&ev);
	assert_int_equal(ev.word & RK_EVENT_WAITERS, 1);
	rk_event_notify(&ev);
	assert_int_equal(ev.word >> 32, key + 1);
	assert_int_equal(ev.word & RK_EVENT_WAITERS, 0);
	/* Woken, not yet running: more notifications do nothing. */
	rk_event_notify(&ev);
	rk_event_notify(&ev);
	assert_int_equal(ev.word >> 32, key + 1);
	/* Its count went with the wake: leaving takes nothing back. */
	rk_event_cancel(&ev, key);
	assert_int_equal(ev.word, (uint64_t)(key + 1) << 32);

	/* Two announce, one gives up: one is left, and is woken. */
	uint32_t a = rk_event_prepare(&ev);
	uint32_t b = rk_event_prepare(&ev);
	assert_int_equal(a, b);
	rk_event_cancel(&ev, a);
	assert_int_equal(ev.word & RK_EVENT_WAITERS, 1);
	rk_event_notify(&ev);
	assert_int_equal(ev.word >> 32, a + 1);
	assert_int_equal(ev.word & RK_EVENT_WAITERS, 0);
	/* A wait on a sequence gone by returns at once, in time. */
	assert_true(rk_event_wait(&ev, b, UINT64_MAX));
	assert_int_equal(ev.word & RK_EVENT_WAITERS, 0);
	/* A wait that times out takes its count back. */
	uint32_t c = rk_event_prepare(&ev);
	assert_false(rk_event_wait(&ev, c, rk_now_ns() + 1000000));
	assert_int_equal(ev.word, (uint64_t)c << 32);
}

/* A crowd on one event: CROWD threads wait for each of ROUNDS values,
 * some with deadlines that pass (and wait again), while the main
 * thread publishes the next value once all saw the last.  Waiters come
 * and go under the same sequence; a count taken back wrongly, or a
 * wake that finds the count gone, leaves someone asleep: the watchdog
 * of 10 s ends the test. */
#define CROWD 4

struct crowd {
	uint64_t value;
	rk_event ev;
	uint64_t seen;                  /* waiters that saw value */
	rk_event seen_ev;
	uint64_t rounds;
	int over;
};

static void crowd_await(uint64_t *v, rk_event *ev, uint64_t want,
			uint32_t *seed)
{
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		uint32_t key = rk_event_prepare(ev);
		if (__atomic_load_n(v, __ATOMIC_ACQUIRE) >= want) {
			rk_event_cancel(ev, key);
			return;
		}
		unsigned r = spins(seed);
		rk_event_wait(ev, key, r & 1 ? UINT64_MAX
					     : rk_now_ns() + (r & 63) * 1000);
	}
}

static void *crowd_member(void *arg)
{
	struct crowd *c = arg;
	uint32_t seed = 2463534242u
			^ (uint32_t)(uintptr_t)pthread_self();

	for (uint64_t i = 1; i <= c->rounds; i++) {
		crowd_await(&c->value, &c->ev, i, &seed);
		__atomic_fetch_add(&c->seen, 1, __ATOMIC_ACQ_REL);
		rk_event_notify(&c->seen_ev);
	}
	return NULL;
}

static void *crowd_watchdog(void *arg)
{
	struct crowd *c = arg;
	uint64_t last = 0, since = rk_now_ns();

	while (!__atomic_load_n(&c->over, __ATOMIC_ACQUIRE)) {
		usleep(10000);
		uint64_t now = rk_now_ns();
		uint64_t seen = __atomic_load_n(&c->seen, __ATOMIC_ACQUIRE);
		if (seen != last) {
			last = seen;
			since = now;
		} else if (now - since > 10000000000u) {
			fprintf(stderr, "test-event: the crowd stopped at value "
				"%llu, %llu seen: a lost wake-up\n",
				(unsigned long long)c->value,
				(unsigned long long)seen);
			abort();
		}
	}
	return NULL;
}

static void crowd_on_one_event(void **state)
{
	(void)state;
	struct crowd c = { .rounds = stress_count(5000) };
	pthread_t members[CROWD], dog;
	uint32_t seed = 88675123u;

	assert_int_equal(pthread_create(&dog, NULL, crowd_watchdog, &c), 0);
	for (int i = 0; i < CROWD; i++)
		assert_int_equal(pthread_create(&members[i], NULL,
						crowd_member, &c), 0);
	for (uint64_t i = 1; i <= c.rounds; i++) {
		__atomic_store_n(&c.value, i, __ATOMIC_RELEASE);
		rk_event_notify(&c.ev);
		crowd_await(&c.seen, &c.seen_ev, i * CROWD, &seed);
	}
	for (int i = 0; i < CROWD; i++)
		assert_int_equal(pthread_join(members[i], NULL), 0);
	__atomic_store_n(&c.over, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(dog, NULL), 0);
	assert_int_equal(c.seen, c.rounds * CROWD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ping_pong_parking),
		cmocka_unit_test(ping_pong_spinning),
		cmocka_unit_test(one_wake_per_announcement),
		cmocka_unit_test(crowd_on_one_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
