/* test-output-fd.c - an event loop's doorbell for a kernel's output
 * (rk_output_notify_fd, rk_output_arm): written once a message is
 * there after arming, not before, never after the descriptor is taken
 * back; and no wake-up lost between a receiver's arming and a kernel's
 * emit, under random timing (seed printed), replicas included. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernels.h"
#include "stress.h"

static bool readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

static void drain(int fd)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
}

static int watched(rk_runtime *rt, const char *id)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(rk_output_notify_fd(rt, id, fd), RK_OK);
	return fd;
}

static void start(rk_runtime *rt, const char *id, const rk_kernel_desc *d,
		  uint32_t replicas)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.replicas = replicas;
	assert_int_equal(rk_launch(rt, id, d, &o), RK_OK);
	assert_int_equal(rk_activate(rt, id), RK_OK);
}

static void test_written_once_armed(void **unused)
{
	rk_runtime *rt = test_runtime(0, 64);
	int ready = -1, fd;

	(void)unused;
	start(rt, "d", &test_doubler, 1);
	fd = watched(rt, "d");
	/* Not armed: a message says nothing. */
	send_i64(rt, "d", 1);
	assert_false(readable(fd, 200));
	/* Armed with one there: ready, and nothing written. */
	assert_int_equal(rk_output_arm(rt, "d", &ready), RK_OK);
	assert_int_equal(ready, 1);
	assert_int_equal(recv_i64(rt, "d"), 2);
	/* Armed with none there: written when one comes, once. */
	assert_int_equal(rk_output_arm(rt, "d", &ready), RK_OK);
	assert_int_equal(ready, 0);
	send_i64(rt, "d", 2);
	assert_true(readable(fd, 5000));
	drain(fd);
	send_i64(rt, "d", 3);
	assert_false(readable(fd, 200));
	assert_int_equal(recv_i64(rt, "d"), 4);
	assert_int_equal(recv_i64(rt, "d"), 6);
	/* Taken back: never written again. */
	assert_int_equal(rk_output_arm(rt, "d", &ready), RK_OK);
	assert_int_equal(rk_output_notify_fd(rt, "d", -1), RK_OK);
	send_i64(rt, "d", 4);
	assert_false(readable(fd, 200));
	assert_int_equal(recv_i64(rt, "d"), 8);
	/* The output's end (terminate closes it) wakes an armed loop. */
	assert_int_equal(rk_output_notify_fd(rt, "d", fd), RK_OK);
	assert_int_equal(rk_output_arm(rt, "d", &ready), RK_OK);
	assert_int_equal(ready, 0);
	assert_int_equal(rk_terminate(rt, "d", 1.0), RK_OK);
	assert_true(readable(fd, 5000));
	close(fd);
	rk_runtime_free(rt);
}

static void test_refused_where_nothing_is_received(void **unused)
{
	rk_runtime *rt = test_runtime(0, 64);
	int ready;

	(void)unused;
	assert_int_equal(rk_launch(rt, "a", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_launch(rt, "b", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_output_notify_fd(rt, "a", -1), RK_ESTATE);
	assert_int_equal(rk_output_arm(rt, "a", &ready), RK_ESTATE);
	assert_int_equal(rk_output_arm(rt, "nobody", &ready), RK_ENOTFOUND);
	rk_runtime_free(rt);
}

/* More replicas than a fixed table would hold: every one's output is
 * watched; and a descriptor that could block is refused. */
static void test_many_replicas_and_blocking_fds(void **unused)
{
	rk_runtime *rt = test_runtime(0, 4);
	int pipe_fds[2], fd;

	(void)unused;
	start(rt, "r", &test_doubler, 300);
	assert_int_equal(pipe(pipe_fds), 0);
	assert_int_equal(rk_output_notify_fd(rt, "r", pipe_fds[1]),
			 RK_EINVAL);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	fd = watched(rt, "r");
	for (int64_t v = 1; v <= 300; v++) {
		int ready = 0;
		int64_t got;
		size_t len;
		/* A marker left by the last turn reads as ready: taking
		 * nothing, the receive moves the turn on. */
		for (int t = 0; t < 4; t++) {
			assert_int_equal(rk_output_arm(rt, "r", &ready), RK_OK);
			if (!ready)
				break;
			assert_int_not_equal(rk_receive(rt, "r", &got,
					sizeof(got), &len, 0), RK_OK);
		}
		assert_int_equal(ready, 0);
		send_i64(rt, "r", v);
		if (!readable(fd, 5000))
			fail_msg("no wake-up for replica %lld", (long long)v);
		drain(fd);
		assert_int_equal(rk_receive(rt, "r", &got, sizeof(got), &len,
					    1.0), RK_OK);
		assert_int_equal(got, 2 * v);
	}
	assert_int_equal(rk_output_notify_fd(rt, "r", -1), RK_OK);
	close(fd);
	rk_runtime_free(rt);
}

struct feeder {
	rk_runtime *rt;
	int64_t count;
	uint64_t seed;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	unsigned short xs[3] = { (unsigned short)f->seed,
				 (unsigned short)(f->seed >> 16),
				 (unsigned short)(f->seed >> 32) };

	for (int64_t v = 1; v <= f->count; v++) {
		send_i64(f->rt, "d", v);
		long pause = nrand48(xs) % 4 == 0 ? nrand48(xs) % 200000 : 0;
		if (pause)
			nanosleep(&(struct timespec){ 0, pause }, NULL);
	}
	return NULL;
}

/* A receiver that waits only on the descriptor: every message comes,
 * in order, and no wait outlasts its message (a lost wake-up would
 * leave it waiting the whole 10 s). */
static void receive_all_by_fd(uint32_t replicas, const char *name)
{
	rk_runtime *rt = test_runtime(0, 64);
	const char *env = getenv("RK_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0)
			    : (uint64_t)time(NULL) * 2654435761u ^ replicas;
	struct feeder f = { rt, (int64_t)stress_count(20000), seed };
	pthread_t t;
	int fd;

	printf("# %s: seed %#llx (RK_TEST_SEED to repeat)\n", name,
	       (unsigned long long)seed);
	start(rt, "d", &test_doubler, replicas);
	fd = watched(rt, "d");
	pthread_create(&t, NULL, feed, &f);
	for (int64_t want = 1; want <= f.count;) {
		int64_t v;
		size_t len;
		int ready;
		if (rk_receive(rt, "d", &v, sizeof(v), &len, 0) == RK_OK) {
			if (v != 2 * want)
				fail_msg("expected %lld, got %lld",
					 (long long)(2 * want), (long long)v);
			want++;
			continue;
		}
		assert_int_equal(rk_output_arm(rt, "d", &ready), RK_OK);
		if (ready)
			continue;
		if (!readable(fd, 10000))
			fail_msg("no wake-up for message %lld", (long long)want);
		drain(fd);
	}
	pthread_join(t, NULL);
	/* Taken back before it is closed: a replica's marker may still
	 * ring it. */
	assert_int_equal(rk_output_notify_fd(rt, "d", -1), RK_OK);
	close(fd);
	rk_runtime_free(rt);
}

static void test_no_wake_up_lost(void **unused)
{
	(void)unused;
	receive_all_by_fd(1, "one");
}

static void test_no_wake_up_lost_with_replicas(void **unused)
{
	(void)unused;
	receive_all_by_fd(3, "replicas");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_once_armed),
		cmocka_unit_test(test_refused_where_nothing_is_received),
		cmocka_unit_test(test_many_replicas_and_blocking_fds),
		cmocka_unit_test(test_no_wake_up_lost),
		cmocka_unit_test(test_no_wake_up_lost_with_replicas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
