/* test-device.c - kernels on the cuda backend, the device emulated by
 * host threads running the device loop (RK_CUDA_EMULATE): the backend
 * chosen or refused, results in order, failures counted and named,
 * confirmed pause and resume, terminate draining through the device,
 * replicas, a device that stops answering, and room on the device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ringkernel.h>
#include <ringkernel-device.h>

#include "stress.h"

struct value { int64_t value; };
struct result { int64_t result; };
struct offset { int64_t add; };

static const rk_field value_fields[] = {
	RK_FIELD(struct value, value, RK_KIND_I64),
};
static const rk_type value_type = RK_TYPE(struct value, "value",
					  value_fields);
static const rk_field result_fields[] = {
	RK_FIELD(struct result, result, RK_KIND_I64),
};
static const rk_type result_type = RK_TYPE(struct result, "result",
					   result_fields);

#define NEGATIVE 1
#define STALL_VALUE 999

/* Raised by a test: the device function then waits on value 999, as a
 * GPU kernel that hangs would. */
static int stall;

RK_HD static inline int add_offset(const struct value *in, struct result *out,
				   const struct offset *p)
{
	if (in->value < 0)
		return NEGATIVE;
	while (in->value == STALL_VALUE && __atomic_load_n(&stall,
							   __ATOMIC_ACQUIRE))
		usleep(1000);
	out->result = in->value + p->add;
	return 0;
}

static const char *const add_errors[] = { "negative value", NULL };

RK_DEVICE_KERNEL(add, struct value, struct result, struct offset, add_offset,
		 NULL, add_errors);

static int add_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct offset *o = malloc(sizeof(*o));

	(void)params;
	if (!o)
		return 1;
	o->add = strtoll(rk_ctx_param(ctx, "add"), NULL, 10);
	*state = o;
	return 0;
}

static int add_process(rk_ctx *ctx, const rk_msg *msg)
{
	struct result r;

	if (add_offset(msg->data, &r, rk_ctx_state(ctx)) != 0) {
		rk_ctx_error(ctx, "negative value");
		return 1;
	}
	return rk_ctx_emit(ctx, &r, sizeof(r));
}

static const rk_param_desc add_params[] = {
	{ "add", "int", "1000", "added to every value" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc add_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "add",
	.input_type = &value_type,
	.output_type = &result_type,
	.params = add_params,
	.init = add_init,
	.fini = free,
	.process = add_process,
	.device = &add_device,
};

/* The same kernel without a device form. */
static rk_kernel_desc cpu_only;

static rk_runtime *runtime(const char *emulate)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	if (emulate)
		setenv("RK_CUDA_EMULATE", emulate, 1);
	else
		unsetenv("RK_CUDA_EMULATE");
	o.telemetry = 1;
	cpu_only = add_kernel;
	cpu_only.name = "cpu-only";
	cpu_only.device = NULL;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &add_kernel), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &cpu_only), RK_OK);
	return rt;
}

static void launch(rk_runtime *rt, const char *id, const char *kernel,
		   rk_backend backend, uint32_t replicas)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	o.kernel = kernel;
	o.backend = backend;
	o.replicas = replicas;
	if (rk_launch(rt, id, NULL, &o) != RK_OK)
		fail_msg("launch %s: %s", id, rk_errmsg());
}

static void put(rk_runtime *rt, const char *id, int64_t v)
{
	struct value m = { v };

	assert_int_equal(rk_send(rt, id, &m, sizeof(m), 10.0), RK_OK);
}

static int64_t get(rk_runtime *rt, const char *id)
{
	struct result r;
	size_t len;

	if (rk_receive(rt, id, &r, sizeof(r), &len, 10.0) != RK_OK)
		fail_msg("receive %s: %s", id, rk_errmsg());
	assert_int_equal(len, sizeof(r));
	return r.result;
}

static rk_backend backend_of(rk_runtime *rt, const char *id)
{
	rk_kernel_info info;

	assert_int_equal(rk_get_kernel_info(rt, id, &info), RK_OK);
	return info.backend;
}

/* Send 0, 1, ... in chunks and check each chunk's results in order
 * (interleaved, so the queues never fill).  Returns how many went. */
static int64_t stream(rk_runtime *rt, const char *id, uint64_t full,
		      int64_t chunk)
{
	int64_t count = (int64_t)stress_count(full);

	count += (chunk - count % chunk) % chunk;
	for (int64_t v = 0; v < count; v += chunk) {
		for (int64_t i = v; i < v + chunk; i++)
			put(rt, id, i);
		for (int64_t i = v; i < v + chunk; i++)
			assert_int_equal(get(rt, id), i + 1000);
	}
	return count;
}

/* A runtime with "add" on the device, active. */
static rk_runtime *active_add(const char *emulate, uint32_t replicas)
{
	rk_runtime *rt = runtime(emulate);

	launch(rt, "add", NULL, RK_BACKEND_CUDA, replicas);
	assert_int_equal(rk_activate(rt, "add"), RK_OK);
	return rt;
}

static void test_results_in_order(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("4");

	launch(rt, "add", NULL, RK_BACKEND_CUDA, 0);
	assert_int_equal(backend_of(rt, "add"), RK_BACKEND_CUDA);
	assert_int_equal(rk_activate(rt, "add"), RK_OK);
	int64_t count = stream(rt, "add", 20000, 100);
	rk_telemetry t;
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_int_equal(t.messages_processed, (uint64_t)count);
	assert_int_equal(t.backend, RK_BACKEND_CUDA);
	assert_string_equal(t.device, "emulated device (host threads)");
	assert_true(t.device_batches > 0);
	rk_runtime_free(rt);
}

static void test_failure_named_and_counted(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("4", 0);
	rk_telemetry t;

	put(rt, "add", 1);
	put(rt, "add", -1);
	put(rt, "add", 2);
	assert_int_equal(get(rt, "add"), 1001);
	assert_int_equal(get(rt, "add"), 1002);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.messages_processed, 2);
	assert_string_equal(t.last_error, "negative value");
	/* A message of the wrong size never reaches the device. */
	char short_msg[4] = { 0 };
	assert_int_equal(rk_send(rt, "add", short_msg, sizeof(short_msg), 5.0),
			 RK_OK);
	put(rt, "add", 3);
	assert_int_equal(get(rt, "add"), 1003);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_int_equal(t.errors, 2);
	assert_non_null(strstr(t.last_error, "4 bytes"));
	rk_runtime_free(rt);
}

static void test_deactivate_is_confirmed(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("4", 0);
	rk_telemetry before, after;
	size_t len;
	struct result r;

	put(rt, "add", 5);
	assert_int_equal(get(rt, "add"), 1005);
	assert_int_equal(rk_deactivate(rt, "add"), RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "add", &before), RK_OK);
	for (int64_t v = 0; v < 10; v++)
		put(rt, "add", v);
	assert_int_equal(rk_receive(rt, "add", &r, sizeof(r), &len, 0.05),
			 RK_ETIMEDOUT);
	assert_int_equal(rk_get_telemetry(rt, "add", &after), RK_OK);
	assert_int_equal(after.device_batches, before.device_batches);
	assert_int_equal(after.input.depth, 10);
	/* The backlog runs on reactivate, in order. */
	assert_int_equal(rk_reactivate(rt, "add"), RK_OK);
	for (int64_t v = 0; v < 10; v++)
		assert_int_equal(get(rt, "add"), v + 1000);
	rk_runtime_free(rt);
}

static void test_terminate_drains_through_device(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("4", 0);
	rk_terminate_report report;

	assert_int_equal(rk_deactivate(rt, "add"), RK_OK);
	for (int64_t v = 0; v < 50; v++)
		put(rt, "add", v);
	assert_int_equal(rk_reactivate(rt, "add"), RK_OK);
	assert_int_equal(rk_terminate_ex(rt, "add", 10.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	assert_int_equal(report.unread_output, 50);
	rk_runtime_free(rt);
}

static void test_replicas_keep_order(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("8", 3);

	stream(rt, "add", 5000, 50);
	rk_runtime_free(rt);
}

static void test_backend_choice(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("4");

	/* auto: the device for a kernel that has a device form. */
	launch(rt, "a", "add", RK_BACKEND_AUTO, 0);
	assert_int_equal(backend_of(rt, "a"), RK_BACKEND_CUDA);
	launch(rt, "b", "cpu-only", RK_BACKEND_AUTO, 0);
	assert_int_equal(backend_of(rt, "b"), RK_BACKEND_CPU);
	launch(rt, "c", "add", RK_BACKEND_CPU, 0);
	assert_int_equal(backend_of(rt, "c"), RK_BACKEND_CPU);
	/* cuda for a kernel that has none is refused, by name. */
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	o.kernel = "cpu-only";
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, "d", NULL, &o), RK_EBACKEND);
	assert_non_null(strstr(rk_errmsg(), "cpu-only has no device form"));
	rk_runtime_free(rt);
}

static void test_no_device_falls_back(void **state)
{
	(void)state;
	setenv("RK_CUDA_MODULE", "/nonexistent/rk-cuda.so", 1);
	rk_runtime *rt = runtime(NULL);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	launch(rt, "a", "add", RK_BACKEND_AUTO, 0);
	assert_int_equal(backend_of(rt, "a"), RK_BACKEND_CPU);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	put(rt, "a", 1);
	assert_int_equal(get(rt, "a"), 1001);
	o.kernel = "add";
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, "b", NULL, &o), RK_EBACKEND);
	assert_non_null(strstr(rk_errmsg(), "kernel 'b': the CUDA backend is "
			       "not installed"));
	rk_runtime_free(rt);

	/* A runtime asked for cuda says so at once. */
	rk_runtime_options ro = RK_RUNTIME_OPTIONS_INIT;
	ro.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_runtime_new(&ro, &rt), RK_EBACKEND);
	unsetenv("RK_CUDA_MODULE");
}

static void test_room_on_the_device(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("2");
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	launch(rt, "a", "add", RK_BACKEND_CUDA, 0);
	launch(rt, "b", "add", RK_BACKEND_CUDA, 0);
	o.kernel = "add";
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, "c", NULL, &o), RK_EBACKEND);
	assert_non_null(strstr(rk_errmsg(), "does not fit"));
	/* A kernel that ends gives its room back. */
	assert_int_equal(rk_terminate(rt, "a", 5.0), RK_OK);
	launch(rt, "c", "add", RK_BACKEND_CUDA, 0);
	rk_runtime_free(rt);
}

static void test_device_that_stops_answering(void **state)
{
	(void)state;
	setenv("RK_DEVICE_TIMEOUT", "0.2", 1);
	rk_runtime *rt = active_add("4", 0);
	rk_telemetry t;
	rk_state s;

	__atomic_store_n(&stall, 1, __ATOMIC_RELEASE);
	put(rt, "add", STALL_VALUE);
	do {
		usleep(1000);
		assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	} while (t.errors == 0);
	assert_string_equal(t.last_error,
			    "the device returned no result in time");
	/* Let the stuck device go, as a reset would. */
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	do {
		usleep(1000);
		assert_int_equal(rk_get_state(rt, "add", &s), RK_OK);
	} while (s != RK_STATE_FAILED);
	rk_runtime_free(rt);
	unsetenv("RK_DEVICE_TIMEOUT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_in_order),
		cmocka_unit_test(test_failure_named_and_counted),
		cmocka_unit_test(test_deactivate_is_confirmed),
		cmocka_unit_test(test_terminate_drains_through_device),
		cmocka_unit_test(test_replicas_keep_order),
		cmocka_unit_test(test_backend_choice),
		cmocka_unit_test(test_no_device_falls_back),
		cmocka_unit_test(test_room_on_the_device),
		cmocka_unit_test(test_device_that_stops_answering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
