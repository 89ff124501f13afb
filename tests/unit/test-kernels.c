/* test-kernels.c - every kernel that comes with ringctl, loaded as a
 * plugin from the build tree and driven through the C API with JSON
 * messages (rk_send_json, rk_receive_json, rk_send_end). */
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

static const char *kernel_path(void)
{
	const char *p = getenv("RINGCTL_PLUGIN_PATH");
	return p ? p : "kernels/.libs";
}

/* Launch `name` with params, send every input, end the input, and
 * compare every reply (NULL ends both lists). */
static void check_kernel(const char *name, const rk_param *params,
			 const char *const *inputs, const char *const *outputs)
{
	rk_runtime *rt;
	const rk_kernel_desc *d;
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	char buf[8192];
	size_t len;

	assert_int_equal(rk_runtime_new(NULL, &rt), RK_OK);
	if (rk_resolve_kernel(rt, name, kernel_path(), &d) != RK_OK)
		fail_msg("%s: %s", name, rk_errmsg());
	o.params = params;
	o.max_message = 4096;
	if (rk_launch(rt, name, d, &o) != RK_OK)
		fail_msg("launch %s: %s", name, rk_errmsg());
	assert_int_equal(rk_activate(rt, name), RK_OK);
	for (size_t i = 0; inputs[i]; i++)
		if (rk_send_json(rt, name, inputs[i], strlen(inputs[i]), 1.0)
		    != RK_OK)
			fail_msg("%s: send %s: %s", name, inputs[i], rk_errmsg());
	assert_int_equal(rk_send_end(rt, name, 1.0), RK_OK);
	for (size_t i = 0; outputs[i]; i++) {
		if (rk_receive_json(rt, name, buf, sizeof(buf) - 1, &len, 2.0)
		    != RK_OK)
			fail_msg("%s: reply %zu: %s", name, i + 1, rk_errmsg());
		buf[len] = '\0';
		assert_string_equal(buf, outputs[i]);
	}
	assert_int_equal(rk_receive_json(rt, name, buf, sizeof(buf), &len, 2.0),
			 RK_EEND);
	rk_runtime_free(rt);
}

static void test_doubler(void **unused)
{
	const char *in[] = { "{\"value\":1}", "{\"value\": -21}",
			     "{\"value\":4611686018427387903}", NULL };
	const char *out[] = { "{\"result\":2}", "{\"result\":-42}",
			      "{\"result\":9223372036854775806}", NULL };
	check_kernel("doubler", NULL, in, out);
}

/* Overflow fails that message only; the kernel goes on. */
static void test_doubler_overflow(void **unused)
{
	const char *in[] = { "{\"value\":9223372036854775807}",
			     "{\"value\":3}", NULL };
	const char *out[] = { "{\"result\":6}", NULL };
	check_kernel("doubler", NULL, in, out);
}

static void test_identity(void **unused)
{
	const char *in[] = { "{\"a\":[1,{\"b\":null}]}", "\"x\"", "3.25", NULL };
	check_kernel("identity", NULL, in, in);
}

static void test_scale(void **unused)
{
	const rk_param p[] = { { "factor", "-0.5" }, { NULL, NULL } };
	const char *in[] = { "{\"x\":[2,4,1e-3]}", "{\"x\":[]}", NULL };
	const char *out[] = { "{\"x\":[-1,-2,-5e-04]}", "{\"x\":[]}", NULL };
	check_kernel("scale", p, in, out);
}

static void test_saxpy(void **unused)
{
	const rk_param p[] = { { "a", "2" }, { NULL, NULL } };
	const char *in[] = { "{\"y\":[1,1],\"x\":[3,4]}",
			     "{\"x\":[1],\"y\":[1,2]}", "{\"x\":[0.5],\"y\":[0]}",
			     NULL };
	const char *out[] = { "{\"y\":[7,9]}", "{\"y\":[1]}", NULL };
	check_kernel("saxpy", p, in, out);
}

static void test_filter_numbers(void **unused)
{
	const rk_param p[] = { { "field", "n" }, { "op", "lt" },
			       { "value", "10" }, { NULL, NULL } };
	const char *in[] = { "{\"n\":9.5}", "{\"n\":10}", "{\"m\":1}",
			     "{\"n\":\"5\"}", "{\"n\":-3}", NULL };
	const char *out[] = { "{\"n\":9.5}", "{\"n\":-3}", NULL };
	check_kernel("filter", p, in, out);
}

static void test_filter_strings_and_ne(void **unused)
{
	const rk_param p[] = { { "field", "s" }, { "op", "ne" },
			       { "value", "b" }, { NULL, NULL } };
	const char *in[] = { "{\"s\":\"a\"}", "{\"s\":\"b\"}", "{\"s\":true}",
			     "{\"s\":\"bb\"}", NULL };
	const char *out[] = { "{\"s\":\"a\"}", "{\"s\":true}", "{\"s\":\"bb\"}",
			      NULL };
	check_kernel("filter", p, in, out);
}

static void test_sum_every(void **unused)
{
	const rk_param p[] = { { "every", "2" }, { NULL, NULL } };
	const char *in[] = { "{\"v\":1}", "{\"v\":2}", "{\"v\":3}", NULL };
	const char *out[] = { "{\"count\":2,\"sum\":3}",
			      "{\"count\":3,\"sum\":6}", NULL };
	check_kernel("sum", p, in, out);
}

/* An integer sum that overflows int64 goes on in float64. */
static void test_sum_overflows_to_float(void **unused)
{
	const char *in[] = { "{\"v\":9223372036854775807}", "{\"v\":1}", NULL };
	const char *out[] = { "{\"count\":2,\"sum\":9.223372036854776e+18}",
			      NULL };
	check_kernel("sum", NULL, in, out);
}

static void test_window(void **unused)
{
	const rk_param p[] = { { "size", "3" }, { "field", "t" },
			       { NULL, NULL } };
	const char *in[] = { "{\"t\":1,\"u\":9}", "{\"t\":-2}", "{\"t\":4}",
			     "{\"t\":0.5}", NULL };
	const char *out[] = {
		"{\"count\":3,\"sum\":3,\"mean\":1,\"min\":-2,\"max\":4}",
		"{\"count\":1,\"sum\":0.5,\"mean\":0.5,\"min\":0.5,\"max\":0.5}",
		NULL };
	check_kernel("window", p, in, out);
}

static void test_histogram(void **unused)
{
	const rk_param p[] = { { "min", "0" }, { "max", "10" },
			       { "buckets", "2" }, { "every", "3" },
			       { NULL, NULL } };
	const char *in[] = { "{\"x\":1}", "{\"x\":5}", "{\"x\":10}",
			     "{\"x\":-1}", NULL };
	const char *out[] = {
		"{\"count\":3,\"min\":0,\"max\":10,\"underflow\":0,"
		"\"overflow\":1,\"buckets\":[1,1]}",
		"{\"count\":4,\"min\":0,\"max\":10,\"underflow\":1,"
		"\"overflow\":1,\"buckets\":[1,1]}", NULL };
	check_kernel("histogram", p, in, out);
}

static void test_bad_json_for_a_typed_kernel(void **unused)
{
	rk_runtime *rt;
	const rk_kernel_desc *d;

	assert_int_equal(rk_runtime_new(NULL, &rt), RK_OK);
	assert_int_equal(rk_resolve_kernel(rt, "doubler", kernel_path(), &d),
			 RK_OK);
	assert_int_equal(rk_launch(rt, "doubler", d, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "doubler"), RK_OK);
	assert_int_equal(rk_send_json(rt, "doubler", "{\"value\":\"2\"}", 13,
				      1.0), RK_ESCHEMA);
	assert_string_equal(rk_errmsg(), "field 'value': expected an integer");
	rk_runtime_free(rt);
}

/* JSON may hold newlines between its tokens: a line protocol would
 * cut such a message in two.  The exec and Python kernels send it as
 * one line (those newlines made spaces). */
static void test_newlines_inside_messages(void **unused)
{
	const char *in[] = { "{\"a\":\n1}", "{\"b\":[1,\n 2]}", "3", NULL };
	const char *exec_out[] = { "{\"a\": 1}", "{\"b\":[1,  2]}", "3",
				   NULL };
	const char *python_out[] = { "{\"a\":1}", "{\"b\":[1,2]}", "3",
				     NULL };
	const char *source = "def process(msg):\n    return msg\n";
	const rk_param cat[] = { { "command", "cat" }, { NULL, NULL } };
	const rk_param cat_one[] = { { "command", "cat" },
				     { "one_line", "true" }, { NULL, NULL } };
	char file[] = "/tmp/test-kernels-XXXXXX.py";
	int fd = mkstemps(file, 3);

	assert_true(fd >= 0);
	assert_true(write(fd, source, strlen(source))
		    == (ssize_t)strlen(source));
	close(fd);
	const rk_param py[] = { { "file", file }, { NULL, NULL } };
	check_kernel("exec", cat, in, exec_out);
	check_kernel("exec", cat_one, in, exec_out);
	if (access("/usr/bin/python3", X_OK) == 0)
		check_kernel("python", py, in, python_out);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubler),
		cmocka_unit_test(test_doubler_overflow),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_saxpy),
		cmocka_unit_test(test_filter_numbers),
		cmocka_unit_test(test_filter_strings_and_ne),
		cmocka_unit_test(test_sum_every),
		cmocka_unit_test(test_sum_overflows_to_float),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_bad_json_for_a_typed_kernel),
		cmocka_unit_test(test_newlines_inside_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
