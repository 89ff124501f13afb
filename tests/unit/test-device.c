/* test-device.c - kernels on the cuda backend, the device emulated by
 * host threads running the device loop (RK_CUDA_EMULATE): the backend
 * chosen or refused, results in order, failures counted and named,
 * confirmed pause and resume, terminate draining through the device,
 * replicas, a device that stops answering, and room on the device;
 * several batches in flight: order, failures, the end, pause, terminate
 * and a fault among them; a device with a watchdog, its loop launched
 * per batch;
 * device links between kernels that feed one another on the device. */
#include <inttypes.h>
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

#include <ringkernel.h>
#include <ringkernel-device.h>

#include "clock.h"
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
#define FAULT_VALUE 666
/* A code that does not fit 16 bits; cut, it would read as NEGATIVE. */
#define WIDE_VALUE 65537

/* Raised by a test: the device function then waits on value 999, as a
 * GPU kernel that hangs would. */
static int stall;
/* Raised by a test: on value 666 the emulated device's thread exits
 * under its loop, as a GPU kernel that traps or touches an illegal
 * address ends without a word through the shared memory. */
static int fault;
/* Set by the device function as it starts to wait on STALL_VALUE: the
 * batch it is in was decided before, so a test that sent nothing else
 * knows that batch holds that message alone. */
static int held;

RK_HD static inline int add_offset(const struct value *in, struct result *out,
				   const struct offset *p)
{
	if (in->value < 0)
		return NEGATIVE;
	if (in->value == WIDE_VALUE && p->add == -1)
		return WIDE_VALUE;
	if (in->value == STALL_VALUE && __atomic_load_n(&stall,
							 __ATOMIC_ACQUIRE))
		__atomic_store_n(&held, 1, __ATOMIC_RELEASE);
	while (in->value == STALL_VALUE && __atomic_load_n(&stall,
							   __ATOMIC_ACQUIRE))
		usleep(1000);
	if (in->value == FAULT_VALUE && __atomic_load_n(&fault,
							__ATOMIC_ACQUIRE))
		pthread_exit(NULL);
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

/* "step": value -> value, so that steps chain; fails on `poison`. */
struct step_params { int64_t add, poison; };

#define POISONED 1

RK_HD static inline int step_one(const struct value *in, struct value *out,
				 const struct step_params *p)
{
	if (in->value == p->poison)
		return POISONED;
	out->value = in->value + p->add;
	return 0;
}

static const char *const step_errors[] = { "poisoned value", NULL };

RK_DEVICE_KERNEL(step, struct value, struct value, struct step_params,
		 step_one, NULL, step_errors);

static int step_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct step_params *p = malloc(sizeof(*p));

	(void)params;
	if (!p)
		return 1;
	p->add = strtoll(rk_ctx_param(ctx, "add"), NULL, 10);
	p->poison = strtoll(rk_ctx_param(ctx, "poison"), NULL, 10);
	*state = p;
	return 0;
}

static int step_process(rk_ctx *ctx, const rk_msg *msg)
{
	struct value v;

	if (step_one(msg->data, &v, rk_ctx_state(ctx)) != 0) {
		rk_ctx_error(ctx, "poisoned value");
		return 1;
	}
	return rk_ctx_emit(ctx, &v, sizeof(v));
}

static const rk_param_desc step_param_list[] = {
	{ "add", "int", "1", "added to every value" },
	{ "poison", "int", "-1", "the value that fails" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc step_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "step",
	.input_type = &value_type,
	.output_type = &value_type,
	.params = step_param_list,
	.init = step_init,
	.fini = free,
	.process = step_process,
	.device = &step_device,
};

/* The same kernel without a device form. */
static rk_kernel_desc cpu_only;

/* The device's options for the next runtime() (the library takes
 * options; ringctl reads RK_CUDA_MODULE, RK_DEVICE_TIMEOUT and
 * RK_DEVICE_LINKS). */
static const char *cuda_module;
static double device_timeout_s;
static int no_device_links;

static void device_options(rk_runtime_options *o)
{
	o->cuda_module = cuda_module;
	o->device_timeout_s = device_timeout_s;
	o->no_device_links = no_device_links;
}

static rk_runtime *runtime(const char *emulate)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	device_options(&o);

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
	assert_int_equal(rk_register_kernel(rt, &step_kernel), RK_OK);
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

/* "add" on the device as `id`, with options o, active. */
static void active_add_with(rk_runtime *rt, const char *id,
			    rk_launch_options *o)
{
	o->kernel = "add";
	o->backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, id, NULL, o), RK_OK);
	assert_int_equal(rk_activate(rt, id), RK_OK);
}

/* The results of from, ..., to - 1, in order. */
static void expect_results(rk_runtime *rt, const char *id, int64_t from,
			   int64_t to)
{
	for (int64_t v = from; v < to; v++)
		assert_int_equal(get(rt, id), v + 1000);
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
	assert_string_equal(t.device_mode, "persistent");
	assert_true(t.device_batches > 0);
	rk_runtime_free(rt);
}

/* Results go out as they come; a batch is counted once it is done:
 * the telemetry once `n` messages are processed or failed. */
static rk_telemetry counted(rk_runtime *rt, const char *id, uint64_t n)
{
	rk_telemetry t;

	for (uint64_t until = rk_deadline(10);; usleep(1000)) {
		assert_int_equal(rk_get_telemetry(rt, id, &t), RK_OK);
		if (t.messages_processed + t.errors >= n
		    || rk_now_ns() >= until)
			return t;
	}
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
	t = counted(rt, "add", 3);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.messages_processed, 2);
	assert_string_equal(t.last_error, "negative value");
	/* A message of the wrong size never reaches the device. */
	char short_msg[4] = { 0 };
	assert_int_equal(rk_send(rt, "add", short_msg, sizeof(short_msg), 5.0),
			 RK_OK);
	put(rt, "add", 3);
	assert_int_equal(get(rt, "add"), 1003);
	t = counted(rt, "add", 5);
	assert_int_equal(t.errors, 2);
	assert_non_null(strstr(t.last_error, "4 bytes"));
	rk_runtime_free(rt);
}

/* An error code is told whole, never cut to the 16 bits of a slot's
 * type tag (65537 would read as 1, "negative value"). */
static void test_wide_error_code(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("4");
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param p[] = { { "add", "-1" }, { NULL, NULL } };
	rk_telemetry t;

	o.params = p;
	active_add_with(rt, "w", &o);
	put(rt, "w", WIDE_VALUE);
	put(rt, "w", 3);
	assert_int_equal(get(rt, "w"), 2);
	t = counted(rt, "w", 2);
	assert_int_equal(t.errors, 1);
	assert_string_equal(t.last_error,
			    "the device function failed with code 65537");
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
	expect_results(rt, "add", 0, 10);
	rk_runtime_free(rt);
}

static void test_terminate_drains_through_device(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("4", 0);
	rk_terminate_report report;

	/* More than the device's window of batches: drained through it. */
	assert_int_equal(rk_deactivate(rt, "add"), RK_OK);
	for (int64_t v = 0; v < 700; v++)
		put(rt, "add", v);
	assert_int_equal(rk_reactivate(rt, "add"), RK_OK);
	assert_int_equal(rk_terminate_ex(rt, "add", 10.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	assert_int_equal(report.unread_output, 700);
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
	cuda_module = "/nonexistent/rk-cuda.so";
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
	ro.cuda_module = cuda_module;
	assert_int_equal(rk_runtime_new(&ro, &rt), RK_EBACKEND);
	cuda_module = NULL;
}

/* Two kernels fit on a device emulated as `emulate`, a third is
 * refused saying `why`, and fits once one has ended. */
static void room_for_two(const char *emulate, const char *why)
{
	rk_runtime *rt = runtime(emulate);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;

	launch(rt, "a", "add", RK_BACKEND_CUDA, 0);
	launch(rt, "b", "add", RK_BACKEND_CUDA, 0);
	o.kernel = "add";
	o.backend = RK_BACKEND_CUDA;
	assert_int_equal(rk_launch(rt, "c", NULL, &o), RK_EBACKEND);
	if (!strstr(rk_errmsg(), why))
		fail_msg("'%s' does not say '%s'", rk_errmsg(), why);
	/* A kernel that ends gives its room back. */
	assert_int_equal(rk_terminate(rt, "a", 5.0), RK_OK);
	launch(rt, "c", "add", RK_BACKEND_CUDA, 0);
	rk_runtime_free(rt);
}

static void test_room_on_the_device(void **state)
{
	(void)state;
	room_for_two("2", "take its 2 multiprocessors");
}

/* A kernel needs a hardware queue of its own, besides room for its
 * block: past CUDA_DEVICE_MAX_CONNECTIONS - 1 of them it is refused,
 * saying why, rather than left to wait forever behind another. */
static void test_one_queue_per_kernel(void **state)
{
	(void)state;
	setenv("CUDA_DEVICE_MAX_CONNECTIONS", "3", 1);
	room_for_two("8", "2 persistent kernels run, one per hardware queue "
		     "(CUDA_DEVICE_MAX_CONNECTIONS=3");
	unsetenv("CUDA_DEVICE_MAX_CONNECTIONS");
}

static void test_device_that_stops_answering(void **state)
{
	(void)state;
	device_timeout_s = 0.2;
	rk_runtime *rt = active_add("4", 0);
	rk_telemetry t;
	rk_state s;

	__atomic_store_n(&stall, 1, __ATOMIC_RELEASE);
	put(rt, "add", STALL_VALUE);
	do {
		usleep(1000);
		assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	} while (t.errors == 0);
	assert_string_equal(t.last_error, "the device stopped answering "
			    "(its loop did not beat for 0.2 s)");
	/* Let the stuck device go, as a reset would. */
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	do {
		usleep(1000);
		assert_int_equal(rk_get_state(rt, "add", &s), RK_OK);
	} while (s != RK_STATE_FAILED);
	rk_runtime_free(rt);
	device_timeout_s = 0;
}

static rk_state wait_failed(rk_runtime *rt, const char *id, double seconds)
{
	uint64_t deadline = rk_deadline(seconds);
	rk_state s;

	do {
		usleep(1000);
		assert_int_equal(rk_get_state(rt, id, &s), RK_OK);
	} while (s != RK_STATE_FAILED && rk_now_ns() < deadline);
	return s;
}

/* A kernel that faults on the device is failed at once, with the CUDA
 * error, not after the device time-out (10 s here); the other kernels
 * go on; and the runtime is freed at once. */
static void test_device_fault_fails_at_once(void **state)
{
	(void)state;
	rk_runtime *rt = active_add("4", 0);
	rk_telemetry t;

	launch(rt, "other", "add", RK_BACKEND_CUDA, 0);
	assert_int_equal(rk_activate(rt, "other"), RK_OK);
	__atomic_store_n(&fault, 1, __ATOMIC_RELEASE);
	uint64_t t0 = rk_now_ns();
	put(rt, "add", FAULT_VALUE);
	assert_int_equal(wait_failed(rt, "add", 5.0), RK_STATE_FAILED);
	double noticed = (double)(rk_now_ns() - t0) / 1e9;
	print_message("# a device fault failed its kernel in %.1f ms\n",
		      noticed * 1e3);
	assert_true(noticed < 1.0);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_non_null(strstr(t.last_error, "unspecified launch failure"));
	put(rt, "other", 5);
	assert_int_equal(get(rt, "other"), 1005);
	t0 = rk_now_ns();
	rk_runtime_free(rt);
	assert_true(rk_now_ns() - t0 < 1000000000u);
	__atomic_store_n(&fault, 0, __ATOMIC_RELEASE);
}

/* A device that would not stop is left running: the runtime's teardown
 * returns, and frees nothing under it (its pools and modules stay: the
 * device loop, resumed after, writes into its memory, which an ASan
 * build would catch were it freed). */
static void test_teardown_leaves_a_lost_device(void **state)
{
	(void)state;
	device_timeout_s = 0.2;
	rk_runtime *rt = active_add("4", 0);

	__atomic_store_n(&stall, 1, __ATOMIC_RELEASE);
	put(rt, "add", STALL_VALUE);
	assert_int_equal(wait_failed(rt, "add", 5.0), RK_STATE_FAILED);
	uint64_t t0 = rk_now_ns();
	rk_runtime_free(rt);
	double took = (double)(rk_now_ns() - t0) / 1e9;
	print_message("# teardown with a lost device returned in %.1f ms\n",
		      took * 1e3);
	assert_true(took < 2.0);
	/* The device comes back, writes its result and leaves its loop. */
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	usleep(200000);
	device_timeout_s = 0;
}

/* ---- several batches in flight (the proxy's window) ---------------- */

/* Taken from the input (received) while the device has answered none:
 * the proxy's batches in flight, waited for up to 5 s: less than the
 * device's time-out (10 s), which would fail a device held that long
 * and hide a window too small for n (RK_DEVICE_WINDOW=1). */
static uint64_t in_flight_at_least(rk_runtime *rt, const char *id,
				   uint64_t n)
{
	rk_telemetry t;

	for (uint64_t until = rk_deadline(5);; usleep(1000)) {
		assert_int_equal(rk_get_telemetry(rt, id, &t), RK_OK);
		if (t.messages_received >= n || rk_now_ns() >= until)
			break;
	}
	assert_int_equal(t.messages_processed + t.errors, 0);
	/* Fewer would leave the test's premise false, and its later
	 * checks failing for no reason they could name. */
	if (t.messages_received < n)
		fail_msg("%" PRIu64 " messages in flight, not %" PRIu64,
			 t.messages_received, n);
	return t.messages_received;
}

/* "add" on a device held on its first message (STALL_VALUE) until
 * stall is lowered; returned once the device holds it, so that its
 * first batch is that message alone, and whatever is sent next is
 * taken by later batches. */
static rk_runtime *held_add(void)
{
	rk_runtime *rt = active_add("4", 0);

	__atomic_store_n(&held, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&stall, 1, __ATOMIC_RELEASE);
	put(rt, "add", STALL_VALUE);
	for (uint64_t until = rk_deadline(10);
	     !__atomic_load_n(&held, __ATOMIC_ACQUIRE); usleep(1000))
		assert_true(rk_now_ns() < until);
	return rt;
}

/* Every message counted once: received, then processed or failed. */
static void assert_counts(const rk_telemetry *t, uint64_t received,
			  uint64_t errors)
{
	assert_int_equal(t->messages_received, received);
	assert_int_equal(t->errors, errors);
	assert_int_equal(t->messages_processed, received - errors);
}

/* The device held on its first message: later batches go in flight
 * behind it (more than one executor batch of 64 taken), then all come
 * out in order, each counted once. */
static void test_window_keeps_order(void **state)
{
	(void)state;
	rk_runtime *rt = held_add();
	rk_telemetry t;

	for (int64_t v = 1; v < 600; v++)
		put(rt, "add", v);
	uint64_t flying = in_flight_at_least(rt, "add", 129);
	print_message("# %" PRIu64 " messages in flight on the device\n",
		      flying);
	assert_true(flying > 128);
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	expect_results(rt, "add", STALL_VALUE, STALL_VALUE + 1);
	expect_results(rt, "add", 1, 600);
	t = counted(rt, "add", 600);
	assert_counts(&t, 600, 0);
	rk_runtime_free(rt);
}

/* Failures within the window are named and counted at their place;
 * the end of the input goes out after every result. */
static void test_window_failures_and_end(void **state)
{
	(void)state;
	rk_runtime *rt = held_add();
	rk_telemetry t;
	struct result r;
	size_t len;

	for (int64_t v = 1; v < 400; v++)
		put(rt, "add", v % 7 == 0 ? -v : v);
	assert_int_equal(rk_send_end(rt, "add", 10.0), RK_OK);
	in_flight_at_least(rt, "add", 129);
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	assert_int_equal(get(rt, "add"), STALL_VALUE + 1000);
	for (int64_t v = 1; v < 400; v++)
		if (v % 7)
			assert_int_equal(get(rt, "add"), v + 1000);
	assert_int_equal(rk_receive(rt, "add", &r, sizeof(r), &len, 10.0),
			 RK_EEND);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_counts(&t, 400, 399 / 7);
	assert_string_equal(t.last_error, "negative value");
	rk_runtime_free(rt);
}

/* A device that faults in the middle of the window: the results it
 * made before come out in order, every message it owed fails, none is
 * counted twice or lost.  How many results it made before depends on
 * how the device cut its batches (the batch that faults publishes
 * nothing), so the test pins only what must hold: the held batch,
 * answered before the fault, comes out; nothing from the fault on. */
static void test_window_fault_in_flight(void **state)
{
	(void)state;
	rk_runtime *rt = held_add();
	rk_telemetry t;

	/* The fault at 150: in flight, not still to be pushed, whatever
	 * the executor's batches.  The window (256 messages) refuses a
	 * batch of up to 64 that would overflow it, so behind the held
	 * batch of one it may hold as few as 1 + 3 * 64 = 193. */
	for (int64_t v = 1; v < 400; v++)
		put(rt, "add", v == 150 ? FAULT_VALUE : v);
	in_flight_at_least(rt, "add", 151);
	__atomic_store_n(&fault, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	assert_int_equal(wait_failed(rt, "add", 5.0), RK_STATE_FAILED);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_non_null(strstr(t.last_error, "unspecified launch failure"));
	/* What came out is 999, 1, 2, ... in order, all before 150. */
	uint64_t got = 0;
	struct result r;
	size_t len;
	while (rk_receive(rt, "add", &r, sizeof(r), &len, 0.2) == RK_OK) {
		int64_t want = got == 0 ? STALL_VALUE : (int64_t)got;
		assert_int_equal(r.result, want + 1000);
		got++;
	}
	/* 999 (its batch answered before the fault), then as many of 1,
	 * ..., 149 as the device's batches ended before the one that
	 * faulted: 150 when one began at the fault. */
	print_message("# %" PRIu64 " results before the fault\n", got);
	assert_true(got >= 1 && got <= 150);
	assert_int_equal(t.messages_processed, got);
	assert_int_equal(t.messages_processed + t.errors + t.messages_dropped,
			 t.messages_received);
	assert_int_equal(t.messages_dropped, 0);
	assert_int_equal(t.messages_received + t.input.depth, 400);
	__atomic_store_n(&fault, 0, __ATOMIC_RELEASE);
	rk_runtime_free(rt);
}

/* A kernel that stops at its first failure stops there with batches
 * in flight: the results before it come out, what was taken after it
 * is counted dropped, none counted twice. */
static void test_window_stop_on_error(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("4");
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_telemetry t;
	struct result r;
	size_t len;

	o.on_error = RK_ON_ERROR_STOP;
	active_add_with(rt, "add", &o);
	__atomic_store_n(&stall, 1, __ATOMIC_RELEASE);
	put(rt, "add", STALL_VALUE);
	for (int64_t v = 1; v < 300; v++)
		put(rt, "add", v == 100 ? -v : v);
	in_flight_at_least(rt, "add", 129);
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	assert_int_equal(wait_failed(rt, "add", 5.0), RK_STATE_FAILED);
	expect_results(rt, "add", STALL_VALUE, STALL_VALUE + 1);
	expect_results(rt, "add", 1, 100);
	assert_int_not_equal(rk_receive(rt, "add", &r, sizeof(r), &len, 0.1),
			     RK_OK);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_int_equal(t.messages_processed, 100);
	assert_int_equal(t.errors, 1);
	assert_int_equal(t.messages_received,
			 t.messages_processed + t.errors + t.messages_dropped);
	assert_string_equal(t.last_error, "negative value");
	rk_runtime_free(rt);
}

/* The held device goes on in a while (the pause waits for it). */
static void *unstall_soon(void *arg)
{
	(void)arg;
	usleep(20000);
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	return NULL;
}

/* A pause with batches in flight returns once each has its result:
 * then nothing more is taken until resumed, and nothing is lost. */
static void test_window_pause_resume(void **state)
{
	(void)state;
	rk_runtime *rt = held_add();
	rk_telemetry t;
	pthread_t th;

	for (int64_t v = 1; v < 500; v++)
		put(rt, "add", v);
	uint64_t taken = in_flight_at_least(rt, "add", 129);
	assert_int_equal(pthread_create(&th, NULL, unstall_soon, NULL), 0);
	assert_int_equal(rk_deactivate(rt, "add"), RK_OK);
	pthread_join(th, NULL);
	/* Paused: what was taken is answered, the rest waits. */
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_true(t.messages_received >= taken);
	assert_int_equal(t.messages_processed, t.messages_received);
	assert_int_equal(t.output.depth, t.messages_received);
	assert_int_equal(t.input.depth, 500 - t.messages_received);
	usleep(50000);
	rk_telemetry later;
	assert_int_equal(rk_get_telemetry(rt, "add", &later), RK_OK);
	assert_int_equal(later.messages_received, t.messages_received);
	assert_int_equal(rk_reactivate(rt, "add"), RK_OK);
	expect_results(rt, "add", STALL_VALUE, STALL_VALUE + 1);
	expect_results(rt, "add", 1, 500);
	rk_runtime_free(rt);
}

/* ---- relaunch mode: a device with a watchdog ----------------------- */

/* Where a kernel may not run on (a display's watchdog), a bounded loop
 * is launched as work comes: the same results in the same order, every
 * message counted once, pause, resume and terminate as before. */
static void test_watchdog_relaunches(void **state)
{
	(void)state;
	setenv("RK_CUDA_EMULATE_WATCHDOG", "1", 1);
	rk_runtime *rt = active_add("4", 0);
	rk_terminate_report report;
	rk_telemetry t;

	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_string_equal(t.device_mode, "relaunch");
	int64_t count = stream(rt, "add", 20000, 100);
	/* A burst, failures among it: order and counts exact. */
	for (int64_t v = 0; v < 700; v++)
		put(rt, "add", v % 10 == 9 ? -v : v);
	for (int64_t v = 0; v < 700; v++)
		if (v % 10 != 9)
			assert_int_equal(get(rt, "add"), v + 1000);
	t = counted(rt, "add", (uint64_t)count + 700);
	assert_counts(&t, (uint64_t)count + 700, 70);
	assert_true(t.device_batches > 0);
	/* Paused, nothing runs; resumed, the backlog does. */
	assert_int_equal(rk_deactivate(rt, "add"), RK_OK);
	for (int64_t v = 0; v < 300; v++)
		put(rt, "add", v);
	usleep(50000);
	assert_int_equal(rk_get_telemetry(rt, "add", &t), RK_OK);
	assert_int_equal(t.input.depth, 300);
	assert_int_equal(rk_reactivate(rt, "add"), RK_OK);
	expect_results(rt, "add", 0, 300);
	for (int64_t v = 0; v < 500; v++)
		put(rt, "add", v);
	assert_int_equal(rk_terminate_ex(rt, "add", 10.0, &report), RK_OK);
	assert_int_equal(report.dropped_input, 0);
	assert_int_equal(report.unread_output, 500);
	rk_runtime_free(rt);
	unsetenv("RK_CUDA_EMULATE_WATCHDOG");
}

/* ---- device links -------------------------------------------------- */

/* Failures the runtime reported, as `ringctl run` hears of them. */
static struct { char kernel[16]; uint64_t message; char why[64]; } heard[8];
static int n_heard;
static pthread_mutex_t heard_lock = PTHREAD_MUTEX_INITIALIZER;

static void hear(void *arg, const char *kernel, uint64_t message,
		 const char *why)
{
	(void)arg;
	pthread_mutex_lock(&heard_lock);
	if (n_heard < 8) {
		snprintf(heard[n_heard].kernel, sizeof(heard[0].kernel), "%s",
			 kernel);
		heard[n_heard].message = message;
		snprintf(heard[n_heard].why, sizeof(heard[0].why), "%s", why);
	}
	n_heard++;
	pthread_mutex_unlock(&heard_lock);
}

static int heard_count(void)
{
	pthread_mutex_lock(&heard_lock);
	int n = n_heard;
	pthread_mutex_unlock(&heard_lock);
	return n;
}

static void launch_step(rk_runtime *rt, const char *id, const char *poison)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_param p[] = { { "poison", poison }, { NULL, NULL } };

	o.kernel = "step";
	o.backend = RK_BACKEND_CUDA;
	o.params = p;
	if (rk_launch(rt, id, NULL, &o) != RK_OK)
		fail_msg("launch %s: %s", id, rk_errmsg());
}

/* a -> b -> c, steps on the device, activated from the end as a
 * topology is; poisons as given. */
static rk_runtime *step_chain(const char *pa, const char *pb, const char *pc)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	setenv("RK_CUDA_EMULATE", "8", 1);
	o.telemetry = 1;
	o.on_kernel_error = hear;
	device_options(&o);
	n_heard = 0;
	assert_int_equal(rk_runtime_new(&o, &rt), RK_OK);
	assert_int_equal(rk_register_kernel(rt, &step_kernel), RK_OK);
	launch_step(rt, "a", pa);
	launch_step(rt, "b", pb);
	launch_step(rt, "c", pc);
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "b", "c"), RK_OK);
	assert_int_equal(rk_activate(rt, "c"), RK_OK);
	assert_int_equal(rk_activate(rt, "b"), RK_OK);
	assert_int_equal(rk_activate(rt, "a"), RK_OK);
	return rt;
}

static rk_telemetry telemetry(rk_runtime *rt, const char *id)
{
	rk_telemetry t;

	assert_int_equal(rk_get_telemetry(rt, id, &t), RK_OK);
	return t;
}

/* A kernel's telemetry once it has counted `received` messages as
 * processed or failed: a batch is counted when it is done, which may
 * be after its results went on. */
static rk_telemetry settled(rk_runtime *rt, const char *id,
			    uint64_t received)
{
	rk_telemetry t = telemetry(rt, id);

	for (uint64_t until = rk_deadline(10);
	     t.messages_processed + t.errors < received
	     && rk_now_ns() < until; usleep(1000))
		t = telemetry(rt, id);
	return t;
}

static int64_t get_value(rk_runtime *rt, const char *id, double timeout)
{
	struct value v;
	size_t len;

	if (rk_receive(rt, id, &v, sizeof(v), &len, timeout) != RK_OK)
		fail_msg("receive %s: %s", id, rk_errmsg());
	return v.value;
}

static void test_link_pipeline(void **state)
{
	(void)state;
	rk_runtime *rt = step_chain("-1", "-1", "-1");
	int64_t count = (int64_t)stress_count(20000);

	rk_telemetry t = telemetry(rt, "b");
	assert_string_equal(t.device_link_from, "a");
	assert_string_equal(t.device_link_to, "c");
	assert_string_equal(telemetry(rt, "a").device_link_to, "b");
	assert_string_equal(telemetry(rt, "a").device_link_from, "");
	for (int64_t v = 0; v < count; v += 100) {
		for (int64_t i = v; i < v + 100; i++)
			put(rt, "a", i);
		for (int64_t i = v; i < v + 100; i++)
			assert_int_equal(get_value(rt, "c", 10.0), i + 3);
	}
	count += (100 - count % 100) % 100;
	/* Every kernel counts what it did, though only the head's proxy
	 * saw the messages go in. */
	static const char *const ids[] = { "a", "b", "c" };
	for (int i = 0; i < 3; i++) {
		t = settled(rt, ids[i], (uint64_t)count);
		assert_int_equal(t.messages_received, (uint64_t)count);
		assert_int_equal(t.messages_processed, (uint64_t)count);
		assert_int_equal(t.messages_sent, (uint64_t)count);
		assert_int_equal(t.errors, 0);
	}
	/* The host edges carried nothing. */
	assert_int_equal(telemetry(rt, "b").input.depth, 0);
	rk_runtime_free(rt);
}

static void test_link_failures_named(void **state)
{
	(void)state;
	/* a fails on 5; b on 10 (+1); c on 20 (+2). */
	rk_runtime *rt = step_chain("5", "11", "22");

	for (int64_t v = 0; v < 30; v++)
		put(rt, "a", v);
	for (int64_t v = 0; v < 30; v++)
		if (v != 5 && v != 10 && v != 20)
			assert_int_equal(get_value(rt, "c", 10.0), v + 3);
	static const char *const ids[] = { "a", "b", "c" };
	static const uint64_t received[] = { 30, 29, 28 };
	for (int i = 0; i < 3; i++) {
		rk_telemetry t = settled(rt, ids[i], received[i]);
		assert_int_equal(t.errors, 1);
		assert_int_equal(t.messages_received, received[i]);
		assert_int_equal(t.messages_processed, received[i] - 1);
		assert_string_equal(t.last_error, "poisoned value");
	}
	/* Each named with the message's place in the pipeline's input. */
	for (uint64_t until = rk_deadline(10);
	     heard_count() < 3 && rk_now_ns() < until; usleep(1000))
		;
	assert_int_equal(heard_count(), 3);
	for (int i = 0; i < 3; i++) {
		uint64_t want = strcmp(heard[i].kernel, "a") == 0 ? 6
				: strcmp(heard[i].kernel, "b") == 0 ? 11 : 21;
		assert_int_equal(heard[i].message, want);
		assert_string_equal(heard[i].why, "poisoned value");
	}
	rk_runtime_free(rt);
}

/* A failure that crossed a link is charged to the kernel it failed
 * in, also when that kernel was terminated meanwhile and another took
 * its id: not to the newcomer (it was looked up by id). */
static void test_link_failure_charged_to_its_kernel(void **state)
{
	(void)state;
	/* b fails on 10 (+1); c, deactivated, holds the news of it. */
	rk_runtime *rt = step_chain("-1", "11", "-1");

	assert_int_equal(rk_deactivate(rt, "c"), RK_OK);
	for (int64_t v = 0; v < 15; v++)
		put(rt, "a", v);
	assert_int_equal(settled(rt, "b", 15).errors, 1);
	usleep(200000);
	assert_int_equal(heard_count(), 0);
	assert_int_equal(rk_terminate(rt, "b", 5.0), RK_OK);
	launch_step(rt, "b", "-1");             /* a newcomer with its id */
	assert_int_equal(rk_reactivate(rt, "c"), RK_OK);
	for (int64_t v = 0; v < 15; v++)
		if (v != 10)
			assert_int_equal(get_value(rt, "c", 10.0), v + 3);
	for (uint64_t until = rk_deadline(10);
	     heard_count() < 1 && rk_now_ns() < until; usleep(1000))
		;
	assert_int_equal(heard_count(), 1);
	assert_string_equal(heard[0].why, "poisoned value");
	rk_telemetry t = telemetry(rt, "b");
	assert_int_equal(t.errors, 0);
	assert_string_equal(t.last_error, "");
	rk_runtime_free(rt);
}

/* The end of the input comes through the host edges; each kernel
 * passes it on only once its device has taken all the link brought,
 * so that every message arrives before it. */
static void test_link_end_of_input(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		rk_runtime *rt = step_chain("-1", "-1", "-1");
		int64_t count = 700, v;
		struct value got;
		size_t len;

		for (v = 0; v < count; v++)
			put(rt, "a", v);
		assert_int_equal(rk_send_end(rt, "a", 10.0), RK_OK);
		for (v = 0; v < count; v++)
			assert_int_equal(get_value(rt, "c", 10.0), v + 3);
		assert_int_equal(rk_receive(rt, "c", &got, sizeof(got), &len,
					    10.0), RK_EEND);
		rk_runtime_free(rt);
	}
}

/* A deactivated kernel holds back the kernels before it on the device,
 * as a full queue does on the CPU: no time-out (the time-out is set
 * short, and waited past), nothing lost. */
static void test_link_held_by_deactivated_consumer(void **state)
{
	(void)state;
	device_timeout_s = 0.5;
	rk_runtime *rt = step_chain("-1", "-1", "-1");

	assert_int_equal(rk_deactivate(rt, "b"), RK_OK);
	for (int64_t v = 0; v < 600; v++)
		put(rt, "a", v);
	usleep(1200000);
	assert_int_equal(telemetry(rt, "a").errors, 0);
	assert_int_equal(rk_reactivate(rt, "b"), RK_OK);
	for (int64_t v = 0; v < 600; v++)
		assert_int_equal(get_value(rt, "c", 10.0), v + 3);
	assert_int_equal(telemetry(rt, "a").errors, 0);
	rk_runtime_free(rt);
	device_timeout_s = 0;
}

/* The last kernel of the chain deactivated holds back all before it,
 * however long, and nothing is lost: with the end of the input too. */
static void test_link_held_further_down(void **state)
{
	(void)state;
	device_timeout_s = 0.5;
	for (int with_end = 0; with_end < 2; with_end++) {
		rk_runtime *rt = step_chain("-1", "-1", "-1");
		int64_t count = with_end ? 200 : 600;
		struct value got;
		size_t len;
		rk_state s;

		assert_int_equal(rk_deactivate(rt, "c"), RK_OK);
		for (int64_t v = 0; v < count; v++)
			put(rt, "a", v);
		if (with_end)
			assert_int_equal(rk_send_end(rt, "a", 10.0), RK_OK);
		usleep(1200000);
		static const char *const ids[] = { "a", "b" };
		for (int i = 0; i < 2; i++) {
			assert_int_equal(rk_get_state(rt, ids[i], &s), RK_OK);
			assert_int_not_equal(s, RK_STATE_FAILED);
			assert_int_equal(telemetry(rt, ids[i]).errors, 0);
		}
		/* Commands are served while held. */
		assert_int_equal(rk_deactivate(rt, "a"), RK_OK);
		assert_int_equal(rk_reactivate(rt, "a"), RK_OK);
		assert_int_equal(rk_reactivate(rt, "c"), RK_OK);
		for (int64_t v = 0; v < count; v++)
			assert_int_equal(get_value(rt, "c", 10.0), v + 3);
		if (with_end)
			assert_int_equal(rk_receive(rt, "c", &got, sizeof(got),
						    &len, 10.0), RK_EEND);
		rk_runtime_free(rt);
	}
	device_timeout_s = 0;
}

/* What a kernel on a link is sent by clients goes through beside. */
static void test_link_beside_client_input(void **state)
{
	(void)state;
	rk_runtime *rt = step_chain("-1", "-1", "-1");
	int64_t sum = 0, want = 0;

	for (int64_t v = 0; v < 1000; v++) {
		put(rt, "a", v);
		put(rt, "b", 100000 + v);
		want += v + 3 + 100000 + v + 2;
	}
	for (int i = 0; i < 2000; i++)
		sum += get_value(rt, "c", 10.0);
	assert_int_equal(sum, want);
	rk_runtime_free(rt);
}

/* The consumer ends first, deactivated: it runs nothing more, and what
 * the producer has for it, on the link or still to come, is dropped,
 * counted and said, not failed; nothing waits forever.  Its device once
 * ran on as the terminate began, passing on what the link held for as
 * long as its executor took to stop it: under load all 600, or all but
 * the few left on the link, which nobody counted while a lived. */
static void test_link_consumer_ends_first(void **state)
{
	(void)state;
	/* Not a test of the device's time-out: under ThreadSanitizer on a
	 * busy machine the emulated device once went 10 s without a
	 * heartbeat, and the drop was told as a lost device. */
	device_timeout_s = 120;
	rk_runtime *rt = step_chain("-1", "-1", "-1");
	rk_telemetry t, tc;

	assert_int_equal(rk_deactivate(rt, "b"), RK_OK);
	for (int64_t v = 0; v < 600; v++)
		put(rt, "a", v);
	/* Something on the link for b's device to run, were it to run:
	 * its first turn takes a batch from there. */
	uint64_t until = rk_deadline(60);      /* a bound, not a wait */
	do {
		usleep(1000);
		t = telemetry(rt, "a");
	} while (t.messages_sent == 0 && rk_now_ns() < until);
	assert_true(t.messages_sent > 0);
	/* A bound: b, deactivated, drains nothing whatever its time, and
	 * under ThreadSanitizer on a busy machine once took over 0.4 s to
	 * stop. */
	assert_int_equal(rk_terminate(rt, "b", 10.0), RK_OK);
	/* The device link holds 256 and a's device as many: a still has
	 * input for b, and hears that b has gone.  (A batch's drop is
	 * counted before its messages are counted received.) */
	do {
		usleep(1000);
		t = telemetry(rt, "a");
		tc = telemetry(rt, "c");
	} while ((t.messages_received < 600
		  || t.messages_dropped + tc.messages_received < 600)
		 && rk_now_ns() < until);
	if (!strstr(t.last_error, "output message dropped: kernel 'b' "))
		fail_msg("a: received %llu, depth %llu, dropped %llu, errors "
			 "%llu, last error '%s'; c: received %llu",
			 (unsigned long long)t.messages_received,
			 (unsigned long long)t.input.depth,
			 (unsigned long long)t.messages_dropped,
			 (unsigned long long)t.errors, t.last_error,
			 (unsigned long long)tc.messages_received);
	assert_int_equal(tc.messages_received, 0);
	assert_int_equal(t.messages_received, 600);
	assert_int_equal(t.messages_dropped, 600);
	assert_int_equal(t.errors, 0);
	rk_runtime_free(rt);
	device_timeout_s = 0;
}

/* An edge that is not the two kernels' alone stays on the host. */
static void test_link_only_for_a_private_edge(void **state)
{
	(void)state;
	rk_runtime *rt = runtime("8");

	launch_step(rt, "a", "-1");
	launch_step(rt, "b", "-1");
	launch_step(rt, "c", "-1");
	assert_int_equal(rk_connect(rt, "a", "b"), RK_OK);
	assert_int_equal(rk_connect(rt, "a", "c"), RK_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rk_activate(rt, (const char *[]){ "c", "b",
								   "a" }[i]),
				 RK_OK);
	assert_string_equal(telemetry(rt, "a").device_link_to, "");
	put(rt, "a", 1);
	assert_int_equal(get_value(rt, "b", 10.0), 3);
	assert_int_equal(get_value(rt, "c", 10.0), 3);
	rk_runtime_free(rt);

	no_device_links = 1;
	rt = step_chain("-1", "-1", "-1");
	assert_string_equal(telemetry(rt, "a").device_link_to, "");
	put(rt, "a", 1);
	assert_int_equal(get_value(rt, "c", 10.0), 4);
	rk_runtime_free(rt);
	no_device_links = 0;
}

/* A test that fails half way leaves no stall or fault raised for the
 * next: one failure is told once, not again by every test after it. */
static int lower_flags(void **state)
{
	(void)state;
	__atomic_store_n(&stall, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&fault, 0, __ATOMIC_RELEASE);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_results_in_order, lower_flags),
		cmocka_unit_test_teardown(test_failure_named_and_counted, lower_flags),
		cmocka_unit_test_teardown(test_wide_error_code, lower_flags),
		cmocka_unit_test_teardown(test_deactivate_is_confirmed, lower_flags),
		cmocka_unit_test_teardown(test_terminate_drains_through_device, lower_flags),
		cmocka_unit_test_teardown(test_replicas_keep_order, lower_flags),
		cmocka_unit_test_teardown(test_backend_choice, lower_flags),
		cmocka_unit_test_teardown(test_no_device_falls_back, lower_flags),
		cmocka_unit_test_teardown(test_room_on_the_device, lower_flags),
		cmocka_unit_test_teardown(test_one_queue_per_kernel, lower_flags),
		cmocka_unit_test_teardown(test_device_that_stops_answering, lower_flags),
		cmocka_unit_test_teardown(test_device_fault_fails_at_once, lower_flags),
		cmocka_unit_test_teardown(test_teardown_leaves_a_lost_device, lower_flags),
		cmocka_unit_test_teardown(test_window_keeps_order, lower_flags),
		cmocka_unit_test_teardown(test_window_failures_and_end, lower_flags),
		cmocka_unit_test_teardown(test_window_pause_resume, lower_flags),
		cmocka_unit_test_teardown(test_window_fault_in_flight, lower_flags),
		cmocka_unit_test_teardown(test_window_stop_on_error, lower_flags),
		cmocka_unit_test_teardown(test_watchdog_relaunches, lower_flags),
		cmocka_unit_test_teardown(test_link_pipeline, lower_flags),
		cmocka_unit_test_teardown(test_link_failures_named, lower_flags),
		cmocka_unit_test_teardown(test_link_failure_charged_to_its_kernel, lower_flags),
		cmocka_unit_test_teardown(test_link_end_of_input, lower_flags),
		cmocka_unit_test_teardown(test_link_held_by_deactivated_consumer, lower_flags),
		cmocka_unit_test_teardown(test_link_held_further_down, lower_flags),
		cmocka_unit_test_teardown(test_link_beside_client_input, lower_flags),
		cmocka_unit_test_teardown(test_link_consumer_ends_first, lower_flags),
		cmocka_unit_test_teardown(test_link_only_for_a_private_edge, lower_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
