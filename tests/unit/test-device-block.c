/* test-device-block.c - the device loop run as a GPU block runs it:
 * several threads (3, 7 and 32) sharing one rk_dev_shared, thread 0
 * deciding each batch, all of them taking their part of it, a barrier
 * where the block has __syncthreads().  The emulation runs the loop
 * with one thread only; this is where the block's own synchronisation
 * is checked, and, in the ThreadSanitizer build, that it has no race.
 * Every message once, in order, failures marked with their whole code
 * whichever thread failed them, counters right; pause and stop.  Small
 * messages go through shared memory a batch at a time, middling ones a
 * chunk at a time, and messages too large for it in place. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The block: a thread's index, its width, its barrier, atomic adds as
 * atomicAdd. */
static _Thread_local uint32_t block_tid;
static uint32_t block_threads;
static pthread_barrier_t block_barrier;

/* Per thread: barriers passed, and whether it waits at one now; told
 * when a wait of the host times out, to say who stopped where. */
static uint64_t syncs_passed[64];
static int in_sync[64];

static void block_sync(void)
{
	__atomic_store_n(&in_sync[block_tid], 1, __ATOMIC_RELAXED);
	(void)pthread_barrier_wait(&block_barrier);
	__atomic_store_n(&in_sync[block_tid], 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&syncs_passed[block_tid], 1, __ATOMIC_RELAXED);
}

/* Now and then thread 0 stops between a batch's results and giving its
 * input back, as a descheduled thread or a slow PCIe write would: the
 * host must then wait for room (rk_dev_wait_room), not for results. */
static void after_results(void)
{
	static uint64_t batches;

	if (++batches % 7 == 0)
		usleep(200);
}

#define RK_DEV_AFTER_RESULTS() after_results()
#define RK_DEV_TID block_tid
#define RK_DEV_NTHREADS block_threads
#define RK_DEV_SYNC() block_sync()
#define RK_DEV_ATOMIC_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

#include "clock.h"
#include "device-host.h"
#include "stress.h"

struct in { int64_t value; };
struct out { int64_t result; };
struct none { int64_t unused; };

/* Fails a multiple of 5 with a code that needs more than 16 bits. */
#define WIDE 0x10005

RK_HD static inline int triple(const struct in *in, struct out *out,
			       const struct none *p)
{
	(void)p;
	if (in->value % 5 == 0)
		return WIDE + (int)(in->value % 3);
	out->result = 3 * in->value;
	return 0;
}

RK_DEVICE_LOOP(triple_loop, struct in, struct out, struct none, triple)

/* triple on messages padded to other sizes, and its loop. */
#define PADDED(NAME, PAD) \
	struct in_##NAME { int64_t value; uint8_t pad[PAD]; }; \
	struct out_##NAME { int64_t result; uint8_t pad[PAD]; }; \
	RK_HD static inline int triple_##NAME(const struct in_##NAME *in, \
					      struct out_##NAME *out, \
					      const struct none *p) \
	{ \
		return triple((const struct in *)in, (struct out *)out, p); \
	} \
	RK_DEVICE_LOOP(triple_##NAME##_loop, struct in_##NAME, \
		       struct out_##NAME, struct none, triple_##NAME)

/* Middling messages: a chunk of a batch in shared memory at a time. */
PADDED(mid, 200)
_Static_assert(RK_DEV_STAGE_CHUNK(struct in_mid, struct out_mid) > 1
	       && RK_DEV_STAGE_CHUNK(struct in_mid, struct out_mid) < 128,
	       "a batch in several chunks");

/* Large ones: no room in shared memory for enough of them, processed
 * in the rings. */
PADDED(big, 1000)
_Static_assert(RK_DEV_STAGE_BYTES(struct in_big, struct out_big) == 0,
	       "no staging");

typedef void loop_fn(rk_dev_actor *a, rk_dev_shared *s, uint8_t *stage);

struct shape {
	loop_fn *loop;
	uint32_t in_size, out_size;
	uint64_t capacity;
};

static const struct shape small = {
	triple_loop, sizeof(struct in), sizeof(struct out), 128
};
static const struct shape middling = {
	triple_mid_loop, sizeof(struct in_mid), sizeof(struct out_mid), 128
};
static const struct shape large = {
	triple_big_loop, sizeof(struct in_big), sizeof(struct out_big), 16
};

struct block {
	rk_dev_actor *a;
	rk_dev_shared s;
	/* The block's shared memory, as the threads' staging area. */
	_Alignas(RK_CACHE_LINE) uint8_t stage[RK_DEV_STAGE_MAX];
	const struct shape *shape;
	pthread_t *threads;
	uint32_t n;
};

/* A host wait that failed: the block's state, for the log. */
static void tell_state(struct block *b, const char *what, rk_error rc)
{
	rk_dev_actor *a = b->a;
	rk_ring *in = rk_dev_in(a), *out = rk_dev_out(a);
	rk_dev_shared *s = &b->s;

	fprintf(stderr, "# %s: %s\n", what, rk_strerror(rc));
	fprintf(stderr, "# in: head %llu tail %llu; out: head %llu tail %llu\n",
		(unsigned long long)__atomic_load_n(&in->head, __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&in->tail, __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&out->head, __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&out->tail, __ATOMIC_ACQUIRE));
	fprintf(stderr, "# control: requested %u command %#x acked %u state %u "
		"finished %u beat %llu received %llu batches %llu\n",
		a->cb.requested, a->cb.command,
		__atomic_load_n(&a->cb.acked_epoch, __ATOMIC_ACQUIRE),
		__atomic_load_n(&a->cb.run_state, __ATOMIC_ACQUIRE),
		__atomic_load_n(&a->cb.finished, __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&a->cb.heartbeat,
						    __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&a->cb.received,
						    __ATOMIC_ACQUIRE),
		(unsigned long long)__atomic_load_n(&a->cb.batches,
						    __ATOMIC_ACQUIRE));
	fprintf(stderr, "# shared: state %u n %llu leave %d idle %llu beats %llu "
		"in mine %llu seen %llu, out mine %llu seen %llu\n",
		s->run_state, (unsigned long long)s->n, s->leave,
		(unsigned long long)s->idle_ns, (unsigned long long)s->beats,
		(unsigned long long)s->in.mine, (unsigned long long)s->in.seen,
		(unsigned long long)s->out.mine,
		(unsigned long long)s->out.seen);
	for (uint32_t i = 0; i < b->n; i++)
		fprintf(stderr, "# thread %u: %llu barriers passed, %s\n", i,
			(unsigned long long)__atomic_load_n(&syncs_passed[i],
							    __ATOMIC_RELAXED),
			__atomic_load_n(&in_sync[i], __ATOMIC_RELAXED)
			? "waiting at one" : "not at a barrier");
}

/* rk_dev_wait_results, the state told if it fails. */
static void wait_results(struct block *b, uint64_t n, const char *what)
{
	rk_error rc = rk_dev_wait_results(b->a, n, rk_deadline(30), NULL);

	if (rc != RK_OK)
		tell_state(b, what, rc);
	assert_int_equal(rc, RK_OK);
}

/* rk_dev_command, the same. */
static void command(struct block *b, uint32_t state, const char *what)
{
	rk_error rc = rk_dev_command(b->a, state, rk_deadline(30), NULL);

	if (rc != RK_OK)
		tell_state(b, what, rc);
	assert_int_equal(rc, RK_OK);
}

struct thread_arg {
	struct block *b;
	uint32_t tid;
};

static void *block_thread(void *arg)
{
	struct thread_arg *t = arg;

	block_tid = t->tid;
	t->b->shape->loop(t->b->a, &t->b->s, t->b->stage);
	return NULL;
}

static struct block *block_start(uint32_t threads, const struct shape *sh)
{
	uint64_t capacity = sh->capacity;
	struct block *b = aligned_alloc(RK_CACHE_LINE,
					rk_whole_lines(sizeof(*b)));
	size_t bytes = rk_dev_actor_bytes(capacity, sh->in_size,
					  sh->out_size);
	static struct thread_arg args[64];

	assert_non_null(b);
	memset(b, 0, sizeof(*b));
	b->shape = sh;
	assert_true(threads <= 64);
	b->a = aligned_alloc(64, rk_whole_lines(bytes));
	assert_non_null(b->a);
	memset(b->a, 0, bytes);
	rk_dev_actor_init(b->a, bytes, capacity, sh->in_size, sh->out_size,
			  UINT64_MAX - 50);
	b->a->idle_active_ns = 20000;
	b->a->idle_paused_ns = 20000;
	b->n = threads;
	block_threads = threads;
	assert_int_equal(pthread_barrier_init(&block_barrier, NULL, threads),
			 0);
	b->threads = calloc(threads, sizeof(*b->threads));
	memset(syncs_passed, 0, sizeof(syncs_passed));
	memset(in_sync, 0, sizeof(in_sync));
	for (uint32_t i = 0; i < threads; i++) {
		args[i] = (struct thread_arg){ b, i };
		assert_int_equal(pthread_create(&b->threads[i], NULL,
						block_thread, &args[i]), 0);
	}
	return b;
}

static void block_stop(struct block *b)
{
	command(b, RK_DEV_TERMINATED, "terminate");
	assert_true(rk_dev_wait_finished(b->a, rk_deadline(30), NULL));
	for (uint32_t i = 0; i < b->n; i++)
		pthread_join(b->threads[i], NULL);
	pthread_barrier_destroy(&block_barrier);
	assert_int_equal(__atomic_load_n(&b->a->cb.threads, __ATOMIC_ACQUIRE),
			 b->n);
	free(b->threads);
	free(b->a);
	free(b);
}

/* Push 0..count-1 in batches of `batch`, and check each result. */
static void stream(struct block *b, uint64_t count, uint64_t batch)
{
	uint32_t size = b->shape->in_size;
	uint8_t *v = calloc(batch, size);
	rk_msg *m = calloc(batch, sizeof(*m));
	uint64_t sent = 0, got = 0, failed = 0;
	uint64_t received = rk_dev_counter(&b->a->cb.received);
	uint64_t errors = rk_dev_counter(&b->a->cb.errors);
	uint64_t processed = rk_dev_counter(&b->a->cb.processed);

	while (got < count) {
		uint64_t n = count - sent < batch ? count - sent : batch;
		for (uint64_t i = 0; i < n; i++) {
			struct in *one = (struct in *)(v + i * size);
			one->value = (int64_t)(sent + i);
			m[i] = (rk_msg){ one, size, 1 + sent + i,
					 0, 0, 0, 128 };
		}
		sent += rk_dev_push(b->a, m, n);
		/* All answered, the ring still full: the last batch's input
		 * is on its way back (results come first). */
		if (sent == got) {
			rk_error rc = rk_dev_wait_room(b->a, n, rk_deadline(30),
						       NULL);
			if (rc != RK_OK)
				tell_state(b, "room", rc);
			assert_int_equal(rc, RK_OK);
			continue;
		}
		wait_results(b, 1, "results of a batch");
		uint64_t ready = rk_dev_results(b->a);
		for (uint64_t i = 0; i < ready; i++, got++) {
			rk_slot_header *h = rk_dev_result(b->a, i);
			int64_t value = (int64_t)got;
			assert_int_equal(h->message_id, got + 1);
			if (value % 5 == 0) {
				assert_int_equal(h->flags, RK_SLOT_FAILED);
				assert_int_equal(rk_dev_error_code(h),
						 WIDE + value % 3);
				failed++;
				continue;
			}
			assert_int_equal(h->flags, 0);
			assert_int_equal(h->length, b->shape->out_size);
			assert_int_equal(((struct out *)(h + 1))->result,
					 3 * value);
		}
		rk_dev_release(b->a, ready);
	}
	/* The counters follow the results, each on its own (telemetry,
	 * unordered among themselves): wait for all three of the last
	 * batch's. */
	uint64_t deadline = rk_deadline(30);
	while ((rk_dev_counter(&b->a->cb.received) - received < count
		|| rk_dev_counter(&b->a->cb.errors) - errors < failed
		|| rk_dev_counter(&b->a->cb.processed) - processed
		   < count - failed)
	       && rk_now_ns() < deadline)
		sched_yield();
	assert_int_equal(rk_dev_counter(&b->a->cb.received) - received, count);
	assert_int_equal(rk_dev_counter(&b->a->cb.errors) - errors, failed);
	assert_int_equal(rk_dev_counter(&b->a->cb.processed) - processed,
			 count - failed);
	free(v);
	free(m);
}

static void run_block(uint32_t threads, const struct shape *sh)
{
	struct block *b = block_start(threads, sh);
	/* A wide block on two cores passes each barrier by waking every
	 * thread: fewer batches, or under load and ASan the test took 40 s. */
	uint64_t count = stress_count(threads > 8 ? 1000 : 4000);

	command(b, RK_DEV_ACTIVE, "activate");
	/* Batches narrower and wider than the block (a batch of 2 costs
	 * the block as much as a full one). */
	stream(b, count / 8, 2);
	stream(b, count - count / 8, sh->capacity);
	/* Paused: nothing is taken; resumed: all of it. */
	command(b, RK_DEV_DEACTIVATED, "deactivate");
	struct in_big v = { 1, { 0 } };
	rk_msg m = { &v, sh->in_size, 1, 0, 0, 0, 128 };
	assert_int_equal(rk_dev_push(b->a, &m, 1), 1);
	assert_int_equal(rk_dev_wait_results(b->a, 1, rk_now_ns() + 20000000,
					     NULL), RK_ETIMEDOUT);
	command(b, RK_DEV_ACTIVE, "reactivate");
	wait_results(b, 1, "the result after reactivation");
	assert_int_equal(((struct out *)(rk_dev_result(b->a, 0) + 1))->result,
			 3);
	rk_dev_release(b->a, 1);
	block_stop(b);
}

static void test_block_of_3(void **state)
{
	(void)state;
	run_block(3, &small);
	run_block(3, &middling);
	run_block(3, &large);
}

static void test_block_of_7(void **state)
{
	(void)state;
	run_block(7, &small);
	run_block(7, &middling);
	run_block(7, &large);
}

static void test_block_of_32(void **state)
{
	(void)state;
	run_block(32, &small);
	run_block(32, &middling);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_of_3),
		cmocka_unit_test(test_block_of_7),
		cmocka_unit_test(test_block_of_32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
