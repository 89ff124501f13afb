/* test-spin.c - a spinner stops yielding where the machine is
 * contended (spin.h): a long yield ends the spin and starts a while of
 * pause-only waits, doubling while contention lasts, forgotten after a
 * quick yield; and, with a busy thread on the spinner's own core, the
 * spin gives up long before its time. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "spin.h"

static void forget(void)
{
	rk_spin_thread = (rk_spin_contention){ 0, 0, 0, 0 };
}

static void test_quick_yield_is_not_contention(void **state)
{
	(void)state;
	forget();
	/* A suspicion forgotten by our own turns between, or by time;
	 * not by a quick yield. */
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 1));
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 0));
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.seen, 0);
	forget();
	uint64_t t = rk_now_ns();
	assert_false(rk_spin_judge_yield(t, RK_SPIN_CONTENDED_NS, 1));
	assert_false(rk_spin_judge_yield(t + RK_SPIN_SUSPECT_NS + 1,
					 RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.seen, 0);
	forget();
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 1));
	assert_false(rk_spin_judge_yield(rk_now_ns(), 1000, 4));
	assert_true(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.seen, 1);
	forget();
	assert_false(rk_spin_judge_yield(rk_now_ns(), 1000, 4));
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS - 1, 0));
	assert_int_equal(rk_spin_thread.seen, 0);
	/* Long, but no thread but ours wants a core: our own threads
	 * taking turns. */
	assert_false(rk_spin_judge_yield(rk_now_ns(), 5000000, 0));
	assert_int_equal(rk_spin_thread.seen, 0);

	rk_spin s;
	uint64_t deadline = UINT64_MAX;
	rk_spin_init(&s, 20000, deadline);
	assert_int_equal(s.until - s.start, 20000);
}

static void test_long_yield_stops_the_yielding(void **state)
{
	(void)state;
	forget();
	uint64_t now = rk_now_ns();

	/* Once is a passer-by; twice in a row, contention. */
	assert_false(rk_spin_judge_yield(now, RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.seen, 0);
	assert_true(rk_spin_judge_yield(now, RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.seen, 1);
	assert_int_equal(rk_spin_thread.until, now + RK_SPIN_CONTENDED_MIN_NS);

	/* While contended: pause, then nap, never yield. */
	rk_spin s;
	rk_spin_init(&s, 20000, UINT64_MAX);
	assert_true(s.naps);
	assert_int_equal(s.until - s.start, RK_SPIN_NAPS_NS);
	while (rk_spin_again(&s))
		;
	assert_true(rk_now_ns() - s.start >= RK_SPIN_NAPS_NS);
	assert_int_equal(rk_spin_thread.seen, 1);     /* no yield judged */
	/* A shorter spin is left as it is; so is a nearer deadline. */
	rk_spin_init(&s, 500, UINT64_MAX);
	assert_int_equal(s.until - s.start, 500);
	uint64_t soon = rk_now_ns() + 100;
	rk_spin_init(&s, 20000, soon);
	assert_true(s.until <= soon);

	/* Contended again: twice as long, up to the most. */
	uint64_t last = RK_SPIN_CONTENDED_MIN_NS;
	for (int i = 0; i < 12; i++) {
		now = rk_now_ns();
		assert_false(rk_spin_judge_yield(now, 5000000, 2));
		assert_true(rk_spin_judge_yield(now, 5000000, 2));
		uint64_t got = rk_spin_thread.until - now;
		assert_true(got >= last);
		assert_true(got <= RK_SPIN_CONTENDED_MAX_NS);
		last = got;
	}
	assert_true(last >= RK_SPIN_CONTENDED_MAX_NS / 2);

	/* The while over, our own turns: back to the shortest while. */
	rk_spin_thread.until = 0;
	rk_spin_init(&s, 20000, UINT64_MAX);
	assert_int_equal(s.until - s.start, 20000);
	assert_false(rk_spin_judge_yield(rk_now_ns(), RK_SPIN_CONTENDED_NS, 0));
	now = rk_now_ns();
	assert_false(rk_spin_judge_yield(now, RK_SPIN_CONTENDED_NS, 1));
	assert_true(rk_spin_judge_yield(now, RK_SPIN_CONTENDED_NS, 1));
	assert_int_equal(rk_spin_thread.until, now + RK_SPIN_CONTENDED_MIN_NS);
	forget();
}

/* Another process busy on the spinner's core: a spin of 2 s ends at
 * the first yield that gives the core away for a time slice. */
static void test_busy_core_ends_the_spin(void **state)
{
	(void)state;
	cpu_set_t mine, one;
	int cpu = -1;

	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	/* Confined to some of the cores (taskset, a cpuset), the machine's
	 * count says nothing of ours, and no contention is judged. */
	if (CPU_COUNT(&mine) < sysconf(_SC_NPROCESSORS_ONLN))
		skip();
	/* The affinity is read once: with every core, before the test
	 * pins itself to one (where the count would be left alone). */
	(void)rk_spin_others_runnable();
	for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++)
		if (CPU_ISSET(i, &mine))
			cpu = i;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	pid_t busy = fork();
	assert_true(busy >= 0);
	if (busy == 0)
		for (;;)
			;
	forget();

	rk_spin s;
	uint64_t t0 = rk_now_ns();
	rk_spin_init(&s, 2000000000u, UINT64_MAX);
	while (rk_spin_again(&s))
		;
	uint64_t took = rk_now_ns() - t0;
	kill(busy, SIGKILL);
	waitpid(busy, NULL, 0);
	assert_int_equal(sched_setaffinity(0, sizeof(mine), &mine), 0);

	printf("# the spin gave up after %.3f ms\n", took / 1e6);
	assert_int_equal(rk_spin_thread.seen, 1);
	assert_true(took < 1000000000u);
	forget();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_yield_is_not_contention),
		cmocka_unit_test(test_long_yield_stops_the_yielding),
		cmocka_unit_test(test_busy_core_ends_the_spin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
