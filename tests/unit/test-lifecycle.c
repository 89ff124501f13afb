/* test-lifecycle.c - every legal and illegal state transition, with its
 * error and message, and the launch failures. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"

typedef rk_error (*op_fn)(rk_runtime *, const char *);

static rk_error op_terminate(rk_runtime *rt, const char *id)
{
	return rk_terminate(rt, id, 1.0);
}

static const struct {
	const char *name;
	op_fn fn;
} ops[] = {
	{ "activate", rk_activate },
	{ "deactivate", rk_deactivate },
	{ "reactivate", rk_reactivate },
	{ "terminate", op_terminate },
};

/* Put kernel `id` into `state` on a fresh launch. */
static void reach(rk_runtime *rt, const char *id, rk_state state)
{
	assert_int_equal(rk_launch(rt, id, &test_doubler, NULL), RK_OK);
	if (state == RK_STATE_LAUNCHED)
		return;
	assert_int_equal(rk_activate(rt, id), RK_OK);
	if (state == RK_STATE_DEACTIVATED)
		assert_int_equal(rk_deactivate(rt, id), RK_OK);
}

static void assert_state(rk_runtime *rt, const char *id, rk_state want)
{
	rk_state s;
	assert_int_equal(rk_get_state(rt, id, &s), RK_OK);
	assert_string_equal(rk_state_name(s), rk_state_name(want));
}

/* legal[from][op]: the state after op, or -1 when op is illegal. */
static void test_transition_table(void **unused)
{
	const rk_state from[] = { RK_STATE_LAUNCHED, RK_STATE_ACTIVE,
				  RK_STATE_DEACTIVATED };
	const int legal[3][4] = {
		/* activate, deactivate, reactivate, terminate */
		{ RK_STATE_ACTIVE, -1, -1, RK_STATE_TERMINATED },
		{ -1, RK_STATE_DEACTIVATED, -1, RK_STATE_TERMINATED },
		{ -1, -1, RK_STATE_ACTIVE, RK_STATE_TERMINATED },
	};
	rk_runtime *rt = test_runtime(0, 0);

	for (int f = 0; f < 3; f++) {
		for (int o = 0; o < 4; o++) {
			char id[32], want[128];
			snprintf(id, sizeof(id), "k%d%d", f, o);
			reach(rt, id, from[f]);
			rk_error rc = ops[o].fn(rt, id);
			if (legal[f][o] < 0) {
				assert_int_equal(rc, RK_ESTATE);
				snprintf(want, sizeof(want),
					 "cannot %s kernel '%s' from state '%s'",
					 ops[o].name, id,
					 rk_state_name(from[f]));
				assert_string_equal(rk_errmsg(), want);
				assert_state(rt, id, from[f]);
			} else if (legal[f][o] == RK_STATE_TERMINATED) {
				assert_int_equal(rc, RK_OK);
				rk_state s;
				assert_int_equal(rk_get_state(rt, id, &s),
						 RK_ENOTFOUND);
			} else {
				assert_int_equal(rc, RK_OK);
				assert_state(rt, id, legal[f][o]);
			}
		}
	}
	rk_runtime_free(rt);
}

static void test_launch_twice_is_a_state_error(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);

	assert_int_equal(rk_launch(rt, "doubler", NULL, NULL), RK_OK);
	assert_int_equal(rk_launch(rt, "doubler", NULL, NULL), RK_ESTATE);
	assert_string_equal(rk_errmsg(),
			    "kernel 'doubler' already exists (LAUNCHED): "
			    "terminate it first, or launch under another id");
	assert_int_equal(rk_activate(rt, "doubler"), RK_OK);
	assert_int_equal(rk_launch(rt, "doubler", NULL, NULL), RK_ESTATE);
	assert_string_equal(rk_errmsg(),
			    "kernel 'doubler' already exists (ACTIVE): "
			    "terminate it first, or launch under another id");
	rk_runtime_free(rt);
}

/* A terminated kernel is gone: its id is free again. */
static void test_terminated_id_is_free(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_state s;

	reach(rt, "d", RK_STATE_ACTIVE);
	assert_int_equal(rk_terminate(rt, "d", 1.0), RK_OK);
	assert_int_equal(rk_get_state(rt, "d", &s), RK_ENOTFOUND);
	assert_string_equal(rk_errmsg(), "kernel 'd' not found");
	assert_int_equal(rk_activate(rt, "d"), RK_ENOTFOUND);
	assert_int_equal(rk_terminate(rt, "d", 1.0), RK_ENOTFOUND);
	assert_int_equal(rk_send(rt, "d", "x", 1, 0), RK_ENOTFOUND);
	reach(rt, "d", RK_STATE_ACTIVE);
	send_i64(rt, "d", 4);
	assert_int_equal(recv_i64(rt, "d"), 8);
	rk_runtime_free(rt);
}

static void test_unknown_ids(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ops[i].fn(rt, "ghost"), RK_ENOTFOUND);
		assert_string_equal(rk_errmsg(), "kernel 'ghost' not found");
	}
	assert_int_equal(rk_launch(rt, "nosuch", NULL, NULL), RK_ENOTFOUND);
	assert_string_equal(rk_errmsg(), "kernel 'nosuch' is not registered");
	o.kernel = "alsonot";
	assert_int_equal(rk_launch(rt, "x", NULL, &o), RK_ENOTFOUND);
	assert_string_equal(rk_errmsg(), "kernel 'alsonot' is not registered");
	rk_runtime_free(rt);
}

static void test_launch_refusals(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_kernel_desc bad = test_doubler;
	const char *bad_ids[] = { "", "-x", "a b", "a/b",
		"0123456789012345678901234567890123456789"
		"012345678901234567890123456789" };

	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++)
		assert_int_equal(rk_launch(rt, bad_ids[i], &test_doubler, NULL),
				 RK_EINVAL);
	assert_int_equal(rk_launch(rt, NULL, &test_doubler, NULL), RK_EINVAL);

	bad.abi_version = 99;
	assert_int_equal(rk_launch(rt, "b", &bad, NULL), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(),
			    "kernel descriptor ABI version 99, expected 1");
	bad = test_doubler;
	bad.struct_size = 16;
	assert_int_equal(rk_launch(rt, "b", &bad, NULL), RK_EPLUGIN);
	bad = test_doubler;
	bad.process = NULL;
	assert_int_equal(rk_launch(rt, "b", &bad, NULL), RK_EPLUGIN);

	assert_int_equal(rk_launch(rt, "fail_init", NULL, NULL), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel 'fail_init' failed to "
			    "initialize: no device here");

	rk_param unknown[] = { { "nope", "1" }, { NULL, NULL } };
	o.params = unknown;
	assert_int_equal(rk_launch(rt, "fail_every", NULL, &o), RK_EINVAL);
	assert_string_equal(rk_errmsg(),
			    "kernel 'fail_every' has no parameter 'nope'");
	rk_param wrong[] = { { "every", "three" }, { NULL, NULL } };
	o.params = wrong;
	assert_int_equal(rk_launch(rt, "fail_every", NULL, &o), RK_EINVAL);
	assert_string_equal(rk_errmsg(), "parameter 'every' of kernel "
			    "'fail_every' must be an int, not 'three'");

	o = (rk_launch_options)RK_LAUNCH_OPTIONS_INIT;
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, "doubler", NULL, &o), RK_EBACKEND);

	char **ids;
	size_t n;
	assert_int_equal(rk_kernel_ids(rt, &ids, &n), RK_OK);
	assert_int_equal(n, 0);         /* nothing half-launched is left */
	rk_free_ids(ids, n);
	rk_runtime_free(rt);
}

/* A control character is in no id or kernel name; the message shows it
 * escaped, so that echoing it cannot drive the terminal. */
static void test_control_characters_in_ids(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	const rk_kernel_desc *d;

	assert_int_equal(rk_launch(rt, "a\tb", &test_doubler, NULL), RK_EINVAL);
	assert_string_equal(rk_errmsg(),
			    "kernel id 'a\\tb' holds a control character");
	assert_int_equal(rk_launch(rt, "x\033]0;hi\a", NULL, NULL), RK_EINVAL);
	assert_string_equal(rk_errmsg(), "kernel id 'x\\x1b]0;hi\\x07' holds "
			    "a control character");
	assert_int_equal(rk_launch(rt, "del\177", NULL, NULL), RK_EINVAL);
	assert_string_equal(rk_errmsg(),
			    "kernel id 'del\\x7f' holds a control character");
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ops[i].fn(rt, "a\nb"), RK_EINVAL);
		assert_string_equal(rk_errmsg(), "kernel id 'a\\nb' holds a "
				    "control character");
	}
	o.kernel = "doubler\r";
	assert_int_equal(rk_launch(rt, "x", NULL, &o), RK_EINVAL);
	assert_string_equal(rk_errmsg(),
			    "kernel 'doubler\\r' holds a control character");
	assert_int_equal(rk_resolve_kernel(rt, "doubler\033[2J", "", &d),
			 RK_EINVAL);
	assert_string_equal(rk_errmsg(), "kernel 'doubler\\x1b[2J' holds a "
			    "control character");
	rk_runtime_free(rt);
}

static void wait_for_state(rk_runtime *rt, const char *id, rk_state want)
{
	rk_state s = RK_STATE_LAUNCHED;
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(rk_get_state(rt, id, &s), RK_OK);
		if (s == want)
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	fail_msg("kernel %s is %s, not %s", id, rk_state_name(s),
		 rk_state_name(want));
}

/* A kernel whose thread dies is FAILED, never ACTIVE; it can only be
 * terminated, and what it left in its queue is reported. */
static void test_dead_kernel_is_failed(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_terminate_report report;
	rk_telemetry t;

	assert_int_equal(rk_launch(rt, "t", &test_thread_exit, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "t"), RK_OK);
	assert_int_equal(rk_deactivate(rt, "t"), RK_OK);
	send_i64(rt, "t", 1);
	send_i64(rt, "t", 13);
	send_i64(rt, "t", 2);
	assert_int_equal(rk_reactivate(rt, "t"), RK_OK);
	wait_for_state(rt, "t", RK_STATE_FAILED);
	assert_int_equal(recv_i64(rt, "t"), 1);    /* output before death */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ops[i].fn(rt, "t"), RK_ESTATE);
	assert_int_equal(rk_send(rt, "t", "12345678", 8, 0), RK_ESTATE);
	assert_string_equal(rk_errmsg(),
			    "cannot send to kernel 't' in state 'FAILED'");
	assert_int_equal(rk_get_telemetry(rt, "t", &t), RK_OK);
	assert_string_equal(t.last_error, "kernel thread exited");
	assert_int_equal(rk_terminate_ex(rt, "t", 1.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 1);  /* the 2 */
	rk_runtime_free(rt);
}

/* A main loop that dies holding the message it received: the slot
 * goes back (with drop_oldest, its input lock too), so terminate and
 * senders do not hang on it, and the message counts as an error. */
static int main_dies_on_13(rk_ctx *ctx)
{
	rk_msg m;

	while (rk_ctx_receive(ctx, &m, RK_FOREVER) == RK_OK) {
		int64_t v;
		memcpy(&v, m.data, sizeof(v));
		if (v == 13)
			pthread_exit(NULL);
		rk_ctx_send(ctx, &v, sizeof(v));
	}
	return 0;
}

static const rk_kernel_desc main_dies = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "main_dies",
	.main = main_dies_on_13,
};

static void test_main_dying_with_a_message_lets_go(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_terminate_report report;
	rk_telemetry t;

	o.input_policy = RK_BP_DROP_OLDEST;
	o.queue_size = 4;
	assert_int_equal(rk_launch(rt, "m", &main_dies, &o), RK_OK);
	assert_int_equal(rk_activate(rt, "m"), RK_OK);
	send_i64(rt, "m", 1);
	assert_int_equal(recv_i64(rt, "m"), 1);
	send_i64(rt, "m", 13);
	wait_for_state(rt, "m", RK_STATE_FAILED);
	assert_int_equal(rk_get_telemetry(rt, "m", &t), RK_OK);
	assert_int_equal(t.errors, 1);
	assert_int_equal(rk_terminate_ex(rt, "m", 1.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	rk_runtime_free(rt);
}

static void test_main_returning_early_is_failed(void **unused)
{
	rk_runtime *rt = test_runtime(1, 0);
	rk_telemetry t;

	assert_int_equal(rk_launch(rt, "m", &test_main_early, NULL), RK_OK);
	wait_for_state(rt, "m", RK_STATE_FAILED);
	assert_int_equal(rk_activate(rt, "m"), RK_ESTATE);
	assert_int_equal(rk_get_telemetry(rt, "m", &t), RK_OK);
	assert_string_equal(t.last_error, "main returned before terminate");
	assert_int_equal(rk_terminate(rt, "m", 1.0), RK_OK);
	rk_runtime_free(rt);
}

static void test_ids_and_active(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	char **ids;
	size_t n;

	reach(rt, "c", RK_STATE_ACTIVE);
	reach(rt, "a", RK_STATE_LAUNCHED);
	reach(rt, "b", RK_STATE_DEACTIVATED);
	reach(rt, "d", RK_STATE_ACTIVE);
	assert_int_equal(rk_kernel_ids(rt, &ids, &n), RK_OK);
	assert_int_equal(n, 4);
	assert_string_equal(ids[0], "a");
	assert_string_equal(ids[3], "d");
	rk_free_ids(ids, n);
	assert_int_equal(rk_active_kernels(rt, &ids, &n), RK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "c");
	assert_string_equal(ids[1], "d");
	rk_free_ids(ids, n);
	assert_int_equal(rk_terminate_all(rt, 1.0), RK_OK);
	assert_int_equal(rk_kernel_ids(rt, &ids, &n), RK_OK);
	assert_int_equal(n, 0);
	rk_free_ids(ids, n);
	rk_runtime_free(rt);
}

/* Options structs grow at their end: struct_size says how much of the
 * caller's there is.  Too small (not from the _INIT macros) is refused;
 * larger is taken where what this library does not know is unset. */
static void test_options_of_other_sizes(void **unused)
{
	struct {
		rk_runtime_options o;
		unsigned char more[8];
	} newer;
	struct {
		rk_launch_options o;
		unsigned char more[8];
	} lnewer;
	rk_runtime *rt;

	(void)unused;
	memset(&newer, 0, sizeof(newer));
	newer.o = (rk_runtime_options)RK_RUNTIME_OPTIONS_INIT;
	newer.o.struct_size = 0;
	assert_int_equal(rk_runtime_new(&newer.o, &rt), RK_EINVAL);
	assert_non_null(strstr(rk_errmsg(), "rk_runtime_options is 0 bytes"));
	newer.o.struct_size = sizeof(newer);
	assert_int_equal(rk_runtime_new(&newer.o, &rt), RK_OK);
	rk_runtime_free(rt);
	newer.more[7] = 1;
	assert_int_equal(rk_runtime_new(&newer.o, &rt), RK_EINVAL);
	assert_non_null(strstr(rk_errmsg(), "needs a newer one"));

	assert_int_equal(rk_runtime_new(NULL, &rt), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &test_doubler), RK_OK);
	memset(&lnewer, 0, sizeof(lnewer));
	lnewer.o = (rk_launch_options)RK_LAUNCH_OPTIONS_INIT;
	lnewer.o.struct_size = sizeof(lnewer);
	lnewer.o.kernel = "doubler";
	assert_int_equal(rk_launch(rt, "a", NULL, &lnewer.o), RK_OK);
	lnewer.more[0] = 1;
	assert_int_equal(rk_launch(rt, "b", NULL, &lnewer.o), RK_EINVAL);
	lnewer.o.struct_size = 8;
	lnewer.more[0] = 0;
	assert_int_equal(rk_launch(rt, "b", NULL, &lnewer.o), RK_EINVAL);
	assert_non_null(strstr(rk_errmsg(), "smaller than any release's"));
	rk_runtime_free(rt);
}

static void test_runtime_options(void **unused)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	assert_int_equal(o.default_queue_size, 1000);
	o.default_queue_size = 0;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_EINVAL);
	assert_null(rt);
	o = (rk_runtime_options)RK_RUNTIME_OPTIONS_INIT;
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_EBACKEND);
	assert_int_equal(rk_runtime_new(NULL, &rt), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &test_doubler), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &test_doubler), RK_EINVAL);
	/* The runtime's copy (any release's descriptor is read at this
	 * library's size), of the very kernel. */
	const rk_kernel_desc *found = rk_find_kernel(rt, "doubler");
	assert_non_null(found);
	assert_string_equal(found->name, "doubler");
	assert_ptr_equal(found->process, test_doubler.process);
	assert_null(rk_find_kernel(rt, "tripler"));
	rk_runtime_free(rt);
	rk_runtime_free(NULL);
}

static void test_strings(void **unused)
{
	assert_string_equal(rk_strerror(RK_OK), "success");
	assert_string_equal(rk_strerror(RK_EFULL), "queue full");
	assert_string_equal(rk_strerror((rk_error)999), "unknown error");
	assert_string_equal(rk_state_name(RK_STATE_DEACTIVATED), "DEACTIVATED");
	assert_string_equal(rk_backend_name(RK_BACKEND_CPU), "cpu");
	assert_non_null(rk_version());
}

/* Freeing the runtime while a kernel is stuck in its code returns at
 * once and frees nothing that kernel may still use: when it comes back
 * and fails its message, the runtime it reports to is still there
 * (ASan: a use after free before). */
static void test_free_leaves_a_stuck_kernel_its_runtime(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param stall[] = { { "ms", "700" }, { "fail", "1" },
			     { NULL, NULL } };

	o.params = stall;
	assert_int_equal(rk_launch(rt, "k", &test_stall, &o), RK_OK);
	assert_int_equal(rk_activate(rt, "k"), RK_OK);
	send_i64(rt, "k", 13);
	nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	assert_int_equal(rk_terminate(rt, "k", 0.05), RK_ETIMEDOUT);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rk_runtime_free(rt);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	/* The kernel comes back, fails its message, reports, ends. */
	nanosleep(&(struct timespec){ 0, 900000000 }, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_launch_twice_is_a_state_error),
		cmocka_unit_test(test_terminated_id_is_free),
		cmocka_unit_test(test_unknown_ids),
		cmocka_unit_test(test_launch_refusals),
		cmocka_unit_test(test_control_characters_in_ids),
		cmocka_unit_test(test_dead_kernel_is_failed),
		cmocka_unit_test(test_main_dying_with_a_message_lets_go),
		cmocka_unit_test(test_main_returning_early_is_failed),
		cmocka_unit_test(test_ids_and_active),
		cmocka_unit_test(test_runtime_options),
		cmocka_unit_test(test_options_of_other_sizes),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_free_leaves_a_stuck_kernel_its_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
