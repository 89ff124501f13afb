/* test-stress.c - millions of messages through chains of kernels, fan
 * in from several sending threads, pause and resume under load: no
 * loss, no duplicate, no reordering. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernels.h"
#include "stress.h"

static int add_one(rk_ctx *ctx, const rk_msg *m)
{
	int64_t v;
	memcpy(&v, m->data, sizeof(v));
	v++;
	return rk_ctx_emit(ctx, &v, sizeof(v));
}

static const rk_kernel_desc inc = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "inc",
	.process = add_one,
};

struct feeder {
	rk_runtime *rt;
	const char *id;
	int64_t first;
	uint64_t count;
	rk_error rc;
};

/* Send in batches, as a fast client would. */
static void *feed(void *arg)
{
	struct feeder *f = arg;
	int64_t vals[256];
	const void *msgs[256];
	size_t lens[256];

	for (uint64_t done = 0; done < f->count && f->rc == RK_OK;) {
		size_t n = f->count - done < 256 ? f->count - done : 256, sent;
		for (size_t i = 0; i < n; i++) {
			vals[i] = f->first + (int64_t)(done + i);
			msgs[i] = &vals[i];
			lens[i] = sizeof(vals[i]);
		}
		f->rc = rk_send_batch(f->rt, f->id, msgs, lens, n, 30.0, &sent);
		done += sent;
	}
	return NULL;
}

/* A chain of `stages` inc kernels: every value comes out + stages. */
static void chain(int stages, uint64_t count, bool pause)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;
	char ids[8][16];
	pthread_t t;

	o.telemetry = 1;
	o.default_queue_size = 1024;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	for (int s = 0; s < stages; s++) {
		snprintf(ids[s], sizeof(ids[s]), "s%d", s);
		assert_int_equal(rk_launch(rt, ids[s], &inc, NULL), RK_OK);
		if (s)
			assert_int_equal(rk_connect(rt, ids[s - 1], ids[s]),
					 RK_OK);
	}
	for (int s = 0; s < stages; s++)
		assert_int_equal(rk_activate(rt, ids[s]), RK_OK);

	struct feeder f = { rt, ids[0], 0, count, RK_OK };
	pthread_create(&t, NULL, feed, &f);
	const char *last = ids[stages - 1];
	for (uint64_t i = 0; i < count; i++) {
		int64_t v;
		size_t len;
		if (pause && i % (count / 8 + 1) == 0) {
			const char *mid = ids[stages / 2];
			assert_int_equal(rk_deactivate(rt, mid), RK_OK);
			assert_int_equal(rk_reactivate(rt, mid), RK_OK);
		}
		rk_error rc = rk_receive(rt, last, &v, sizeof(v), &len, 30.0);
		if (rc != RK_OK)
			fail_msg("message %llu: %s", (unsigned long long)i,
				 rk_errmsg());
		if (v != (int64_t)i + stages)
			fail_msg("message %llu came out as %lld",
				 (unsigned long long)i, (long long)v);
	}
	pthread_join(t, NULL);
	assert_int_equal(f.rc, RK_OK);
	rk_summary sum;
	assert_int_equal(rk_get_summary(rt, &sum), RK_OK);
	assert_int_equal(sum.total_dropped, 0);
	assert_int_equal(sum.total_errors, 0);
	rk_terminate_report report;
	for (int s = 0; s < stages; s++) {
		assert_int_equal(rk_terminate_ex(rt, ids[s], 5.0, &report),
				 RK_OK);
		assert_int_equal(report.dropped_input, 0);
		assert_int_equal(report.unread_output, 0);
	}
	rk_runtime_free(rt);
}

static void test_chain_of_three(void **unused)
{
	chain(3, stress_count(2000000), false);
}

static void test_chain_with_pauses(void **unused)
{
	chain(4, stress_count(500000), true);
}

/* Several threads send into one kernel: each stream stays in order. */
static void test_concurrent_senders(void **unused)
{
	enum { SENDERS = 3 };
	rk_runtime *rt = test_runtime(0, 512);
	uint64_t count = stress_count(300000);
	struct feeder f[SENDERS];
	pthread_t t[SENDERS];
	int64_t next[SENDERS];

	assert_int_equal(rk_launch(rt, "k", &inc, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "k"), RK_OK);
	for (int i = 0; i < SENDERS; i++) {
		next[i] = (int64_t)i << 40;
		f[i] = (struct feeder){ rt, "k", next[i], count, RK_OK };
		pthread_create(&t[i], NULL, feed, &f[i]);
	}
	for (uint64_t i = 0; i < SENDERS * count; i++) {
		int64_t v = recv_i64(rt, "k") - 1;
		int s = (int)(v >> 40);
		assert_true(s >= 0 && s < SENDERS);
		if (v != next[s])
			fail_msg("sender %d: got %lld, expected %lld", s,
				 (long long)v, (long long)next[s]);
		next[s]++;
	}
	for (int i = 0; i < SENDERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(f[i].rc, RK_OK);
	}
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_of_three),
		cmocka_unit_test(test_chain_with_pauses),
		cmocka_unit_test(test_concurrent_senders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
