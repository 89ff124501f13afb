/* kernels.c - the test kernels and helpers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"

static int64_t value_of(const rk_msg *m)
{
	int64_t v;
	memcpy(&v, m->data, sizeof(v));
	return v;
}

static int double_one(rk_ctx *ctx, const rk_msg *m)
{
	int64_t v = value_of(m), r;

	if (m->len != sizeof(v)) {
		rk_ctx_error(ctx, "expected 8 bytes, got %zu", m->len);
		return 1;
	}
	if (__builtin_mul_overflow(v, 2, &r)) {
		rk_ctx_error(ctx, "%lld doubled overflows int64", (long long)v);
		return 1;
	}
	return rk_ctx_emit(ctx, &r, sizeof(r));
}

const rk_kernel_desc test_doubler = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "doubler",
	.description = "doubles an int64",
	.process = double_one,
	.flags = RK_KERNEL_ANY_THREAD,
};

static int double_batch(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += double_one(ctx, &msgs[i]) != 0;
	return failed;
}

const rk_kernel_desc test_doubler_batch = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "doubler_batch",
	.process_batch = double_batch,
};

/* The reference's persistent loop, written against rk_ctx: with
 * `reply`, each answer goes by rk_ctx_reply and the loop pauses before
 * the next receive, so that the message is counted only by the reply. */
static int main_loop(rk_ctx *ctx, bool reply)
{
	while (!rk_ctx_should_terminate(ctx)) {
		if (!rk_ctx_is_active(ctx)) {
			rk_ctx_wait_active(ctx, 0.1);
			continue;
		}
		rk_msg m;
		int rc = rk_ctx_receive(ctx, &m, 0.1);
		if (rc == RK_ETIMEDOUT || rc == RK_ESTATE)
			continue;
		if (rc != RK_OK)
			return rc;
		int64_t r = value_of(&m) * 2;
		if (!reply) {
			rk_ctx_send(ctx, &r, sizeof(r));
			continue;
		}
		rk_ctx_reply(ctx, &r, sizeof(r));
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static int main_doubler(rk_ctx *ctx)
{
	return main_loop(ctx, false);
}

static int main_replier(rk_ctx *ctx)
{
	return main_loop(ctx, true);
}

const rk_kernel_desc test_main_doubler = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "main_doubler",
	.main = main_doubler,
};

const rk_kernel_desc test_main_replier = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "main_replier",
	.main = main_replier,
};

static const rk_param_desc fail_every_params[] = {
	{ "every", "int", "3", "fail on multiples of this" },
	{ NULL, NULL, NULL, NULL }
};

static int fail_every_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	int64_t *every = malloc(sizeof(*every));
	if (!every)
		return 1;
	*every = atoll(rk_ctx_param(ctx, "every"));
	*state = every;
	return 0;
}

static int fail_every(rk_ctx *ctx, const rk_msg *m)
{
	int64_t every = *(int64_t *)rk_ctx_state(ctx), v = value_of(m);

	if (v % every == 0) {
		rk_ctx_error(ctx, "%lld is a multiple of %lld", (long long)v,
			     (long long)every);
		return 1;
	}
	return rk_ctx_emit(ctx, &v, sizeof(v));
}

const rk_kernel_desc test_fail_every = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "fail_every",
	.params = fail_every_params,
	.init = fail_every_init,
	.fini = free,
	.process = fail_every,
};

static const rk_param_desc slow_params[] = {
	{ "us", "int", "1000", "microseconds per message" },
	{ NULL, NULL, NULL, NULL }
};

static int slow_echo(rk_ctx *ctx, const rk_msg *m)
{
	long us = atol(rk_ctx_param(ctx, "us"));
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	return rk_ctx_emit(ctx, m->data, m->len);
}

const rk_kernel_desc test_slow = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "slow",
	.params = slow_params,
	.process = slow_echo,
};

static const rk_param_desc stall_params[] = {
	{ "on", "int", "13", "the value it stalls on" },
	{ "ms", "int", "2000", "milliseconds it stalls" },
	{ "fail", "int", "0", "1: fails the message it stalled on" },
	{ NULL, NULL, NULL, NULL }
};

/* Echoes at once, but stalls on one value before echoing it: a kernel
 * that hangs in the middle of a batch. */
static int stall_echo(rk_ctx *ctx, const rk_msg *m)
{
	if (value_of(m) == atol(rk_ctx_param(ctx, "on"))) {
		long ms = atol(rk_ctx_param(ctx, "ms"));
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		if (atol(rk_ctx_param(ctx, "fail"))) {
			rk_ctx_error(ctx, "failed after stalling");
			return 1;
		}
	}
	return rk_ctx_emit(ctx, m->data, m->len);
}

const rk_kernel_desc test_stall = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "stall",
	.params = stall_params,
	.process = stall_echo,
};

static int thread_exit(rk_ctx *ctx, const rk_msg *m)
{
	if (value_of(m) == 13)
		pthread_exit(NULL);
	return rk_ctx_emit(ctx, m->data, m->len);
}

const rk_kernel_desc test_thread_exit = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "thread_exit",
	.process = thread_exit,
};

static int refuse_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	rk_ctx_error(ctx, "no device here");
	return 1;
}

const rk_kernel_desc test_fail_init = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "fail_init",
	.init = refuse_init,
	.process = thread_exit,
};

static int fanout(rk_ctx *ctx, const rk_msg *m)
{
	rk_error rc = rk_ctx_emit(ctx, m->data, m->len);
	return rc != RK_OK ? rc : rk_ctx_emit(ctx, m->data, m->len);
}

const rk_kernel_desc test_fanout = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "twice",
	.process = fanout,
};

static int return_at_once(rk_ctx *ctx)
{
	return 0;
}

const rk_kernel_desc test_main_early = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "main_early",
	.main = return_at_once,
};

/* Zero, one or two outputs per message: replicas must still keep the
 * order.  A little sleep now and then lets replicas finish out of turn. */
static int copies(rk_ctx *ctx, const rk_msg *m)
{
	int64_t v = value_of(m);
	int rc = 0;

	if (v % 7 == 0)
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	for (int64_t i = 0; i < v % 3 && rc == 0; i++)
		rc = rk_ctx_emit(ctx, &v, sizeof(v));
	return rc;
}

const rk_kernel_desc test_copies = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "copies",
	.process = copies,
};

static int count_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	*state = calloc(1, sizeof(int64_t));
	return *state ? 0 : 1;
}

static int count_one(rk_ctx *ctx, const rk_msg *m)
{
	++*(int64_t *)rk_ctx_state(ctx);
	return 0;
}

static int count_flush(rk_ctx *ctx)
{
	return rk_ctx_emit(ctx, rk_ctx_state(ctx), sizeof(int64_t));
}

const rk_kernel_desc test_counter = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "counter",
	.init = count_init,
	.fini = free,
	.process = count_one,
	.flush = count_flush,
};

rk_runtime *test_runtime(int telemetry, uint32_t queue_size)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;
	const rk_kernel_desc *all[] = {
		&test_doubler, &test_doubler_batch, &test_main_doubler,
		&test_main_replier,
		&test_fail_every, &test_slow, &test_thread_exit,
		&test_fail_init, &test_fanout, &test_main_early,
		&test_copies, &test_counter, &test_stall,
	};

	o.telemetry = telemetry;
	if (queue_size)
		o.default_queue_size = queue_size;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(rk_register_kernel(rt, all[i]), RK_OK);
	return rt;
}

void send_i64(rk_runtime *rt, const char *id, int64_t v)
{
	rk_error rc = rk_send(rt, id, &v, sizeof(v), 5.0);
	if (rc != RK_OK)
		fail_msg("send %lld to %s: %s", (long long)v, id, rk_errmsg());
}

int64_t recv_i64(rk_runtime *rt, const char *id)
{
	int64_t v;
	size_t len;
	rk_error rc = rk_receive(rt, id, &v, sizeof(v), &len, 5.0);
	if (rc != RK_OK)
		fail_msg("receive from %s: %s", id, rk_errmsg());
	assert_int_equal(len, sizeof(v));
	return v;
}

double test_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
