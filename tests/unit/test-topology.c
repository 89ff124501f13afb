/* test-topology.c - rk_topology as a library object: parsing YAML with
 * every diagnostic placed, inline pipelines, checking against kernels,
 * what feeds from stdin and what stdout reads, and running one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels.h"

/* The diagnostics, one per line: WHERE: WHAT. */
static char said[4096];

static void collect(void *arg, const char *where, const char *what)
{
	size_t used = strlen(said);
	snprintf(said + used, sizeof(said) - used, "%s: %s\n", where, what);
}

static rk_error parse(const char *yaml, rk_topology **t)
{
	said[0] = '\0';
	return rk_topology_parse(yaml, strlen(yaml), "t.yaml", collect, NULL, t);
}

static void test_parse_pipeline(void **unused)
{
	rk_topology *t;
	const char *yaml =
		"name: double-then-count\n"
		"queue_size: 64\n"
		"telemetry: yes\n"
		"kernels:\n"
		"  doubler:\n"
		"  count: {kernel: counter}\n"
		"pipeline: [doubler, count]\n";

	assert_int_equal(parse(yaml, &t), RK_OK);
	assert_string_equal(said, "");
	assert_string_equal(rk_topology_name(t), "double-then-count");
	assert_int_equal(rk_topology_telemetry(t), 1);
	assert_int_equal(rk_topology_size(t), 2);
	assert_string_equal(rk_topology_kernel(t, 0, NULL), "doubler");
	assert_string_equal(rk_topology_kernel(t, 1, NULL), "count");
	assert_null(rk_topology_kernel(t, 2, NULL));
	rk_topology_free(t);
}

/* Several problems in one go, each where it is. */
static void test_diagnostics(void **unused)
{
	rk_topology *t = (rk_topology *)1;
	const char *yaml =
		"kernels:\n"
		"  a: {kernel: doubler, queue_size: 0}\n"
		"  stdin: {}\n"
		"pipeline: [a]\n"
		"extra: 1\n";

	assert_int_equal(parse(yaml, &t), RK_ECONFIG);
	assert_null(t);
	assert_string_equal(said,
		"t.yaml:2:36: queue_size must be a whole number from 1 to "
		"16777216, not '0'\n"
		"t.yaml:3:3: 'stdin' cannot name a kernel: use up to 64 letters, "
		"digits, '_', '-' or '.' (stdin and stdout are the ends)\n"
		"t.yaml:5:1: unknown key 'extra' (expected name, backend, "
		"queue_size, telemetry, unknown_fields, kernels, pipeline or "
		"edges)\n");
}

static void test_syntax_error(void **unused)
{
	rk_topology *t;

	assert_int_equal(parse("kernels: [a\n", &t), RK_ECONFIG);
	assert_non_null(strstr(said, "t.yaml:2:1: "));
	assert_int_equal(parse("", &t), RK_ECONFIG);
	assert_string_equal(said, "t.yaml:1:1: the file is empty\n");
}

/* One document, no tags, and no control characters in a name: a
 * second document or a tag would be dropped or ignored silently, a
 * NUL would cut a name short. */
static void test_one_plain_document(void **unused)
{
	rk_topology *t = (rk_topology *)1;

	assert_int_equal(parse("kernels: {a: }\npipeline: [a]\n---\n"
			       "kernels: {b: }\n", &t), RK_ECONFIG);
	assert_null(t);
	assert_string_equal(said, "t.yaml:3:1: a second YAML document: a "
			    "topology is one document\n");
	assert_int_equal(parse("kernels: {a: }\npipeline: [a]\n...\n"
			       "--- {kernels: {b: }}\n", &t), RK_ECONFIG);
	assert_string_equal(said, "t.yaml:4:1: a second YAML document: a "
			    "topology is one document\n");
	/* Ending the one document, or starting it, is fine. */
	assert_int_equal(parse("---\nkernels: {a: }\npipeline: [a]\n...\n",
			       &t), RK_OK);
	rk_topology_free(t);

	assert_int_equal(parse("kernels:\n  a: !!python/object:os.system "
			       "{kernel: doubler}\n"
			       "pipeline: [!custom a, !!str b]\n", &t),
			 RK_ECONFIG);
	assert_string_equal(said,
		"t.yaml:2:6: a YAML tag (!!python/object:os.system) is not "
		"allowed\n"
		"t.yaml:3:12: a YAML tag (!custom) is not allowed\n"
		"t.yaml:3:23: a YAML tag (!!str) is not allowed\n");

	/* A NUL is refused in any string, names and values alike. */
	assert_int_equal(parse("kernels:\n  \"a\\0b\": {kernel: doubler}\n"
			       "pipeline: [a]\n", &t), RK_ECONFIG);
	assert_string_equal(said, "t.yaml:2:3: 'a\\0b' holds a NUL "
			    "character\n");
	assert_int_equal(parse("kernels:\n  a: {kernel: doubler, params: "
			       "{factor: \"2\\0\"}}\npipeline: [a]\n", &t),
			 RK_ECONFIG);
	assert_string_equal(said, "t.yaml:2:41: '2\\0' holds a NUL "
			    "character\n");
	assert_int_equal(parse("kernels:\n  \"a\\tb\": {kernel: doubler}\n"
			       "  c: {kernel: \"doubler\\e[2J\"}\n"
			       "pipeline: [\"a\\tb\", c]\n", &t), RK_ECONFIG);
	assert_string_equal(said,
		"t.yaml:2:3: kernel id 'a\\tb' holds a control character\n"
		"t.yaml:3:15: kernel 'doubler\\x1b[2J' holds a control "
		"character\n"
		"t.yaml:4:12: kernel id 'a\\tb' holds a control character\n");
	assert_int_equal(parse("kernels: {a: }\nedges:\n"
			       "  - {from: stdin, to: \"a\\x7f\"}\n"
			       "  - {from: a, to: stdout}\n", &t), RK_ECONFIG);
	assert_string_equal(said, "t.yaml:3:23: kernel id 'a\\x7f' holds a "
			    "control character\n");
}

static void test_check_and_ends(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_topology *t;
	const char *const *ids;
	const char *yaml =
		"kernels:\n"
		"  d: {kernel: doubler}\n"
		"  e: {kernel: doubler}\n"
		"edges:\n"
		"  - {from: stdin, to: d}\n"
		"  - {from: stdin, to: e}\n"
		"  - {from: d, to: stdout}\n"
		"  - {from: e, to: stdout}\n";

	assert_int_equal(parse(yaml, &t), RK_OK);
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL), RK_OK);
	assert_int_equal(rk_topology_inputs(t, &ids), 2);
	assert_string_equal(ids[0], "d");
	assert_string_equal(ids[1], "e");
	/* Two edges into stdout: gathered by a kernel of the topology's. */
	assert_string_equal(rk_topology_output(t), "stdout");
	rk_topology_free(t);
	rk_runtime_free(rt);
}

static void test_check_finds_kernel_problems(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_topology *t;
	const char *yaml =
		"kernels:\n"
		"  a: {kernel: nosuch}\n"
		"  b:\n"
		"    kernel: fail_every\n"
		"    params: {every: x}\n"
		"  c: {kernel: counter, replicas: 2}\n"
		"pipeline: [a, b, c]\n";

	assert_int_equal(parse(yaml, &t), RK_OK);
	said[0] = '\0';
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL),
			 RK_ECONFIG);
	assert_string_equal(said,
		"t.yaml:2:15: kernel 'nosuch' not found\n"
		"t.yaml:5:21: parameter 'every' of kernel 'fail_every' must be "
		"an int, not 'x'\n"
		"t.yaml:6:34: kernel 'counter' cannot have replicas: it keeps "
		"state across messages\n");
	rk_topology_free(t);
	rk_runtime_free(rt);
}

static void test_inline(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_topology *t;
	const char *const *ids;

	assert_int_equal(rk_topology_inline("doubler | doubler|counter", rt,
					    NULL, &t), RK_OK);
	assert_int_equal(rk_topology_size(t), 3);
	assert_string_equal(rk_topology_kernel(t, 0, NULL), "doubler");
	assert_string_equal(rk_topology_kernel(t, 1, NULL), "doubler.2");
	assert_string_equal(rk_topology_kernel(t, 2, NULL), "counter");
	assert_int_equal(rk_topology_set_param(t, "doubler.2", "x", "1"), RK_OK);
	assert_int_equal(rk_topology_set_param(t, "nope", "x", "1"), RK_EINVAL);
	assert_int_equal(rk_topology_set_param(t, NULL, "x", "1"), RK_EINVAL);
	said[0] = '\0';
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL),
			 RK_ECONFIG);
	assert_string_equal(said, "<pipeline>: kernel 'doubler' has no "
			    "parameter 'x'\n");
	rk_topology_free(t);
	assert_int_equal(rk_topology_inline("doubler | counter", rt, NULL, &t),
			 RK_OK);
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL), RK_OK);
	assert_int_equal(rk_topology_inputs(t, &ids), 1);
	assert_string_equal(ids[0], "doubler");
	assert_string_equal(rk_topology_output(t), "counter");
	rk_topology_free(t);
	assert_int_equal(rk_topology_inline("doubler || counter", rt, NULL, &t),
			 RK_EINVAL);
	assert_int_equal(rk_topology_inline("nosuch", rt, NULL, &t),
			 RK_ENOTFOUND);
	rk_runtime_free(rt);
}

/* A '|' inside quotes, or escaped, is its stage's; a stage of several
 * words gives the rest as the kernel's command. */
static void test_inline_quotes(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_topology *t;

	assert_int_equal(rk_topology_inline("doubler 'a | b' \"c|d\" e\\|f "
					    "| counter", rt, NULL, &t), RK_OK);
	assert_int_equal(rk_topology_size(t), 2);
	assert_string_equal(rk_topology_kernel(t, 1, NULL), "counter");
	said[0] = '\0';
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL),
			 RK_ECONFIG);
	assert_string_equal(said, "<pipeline>: kernel 'doubler' has no "
			    "parameter 'command'\n");
	rk_topology_free(t);
	/* A quote left open takes the rest: one stage. */
	assert_int_equal(rk_topology_inline("doubler 'a | counter", rt, NULL,
					    &t), RK_OK);
	assert_int_equal(rk_topology_size(t), 1);
	rk_topology_free(t);
	rk_runtime_free(rt);
}

/* Start one and push messages through it, by the C API. */
static void test_start_and_run(void **unused)
{
	rk_runtime *rt = test_runtime(0, 0);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_topology *t;
	const char *yaml =
		"kernels:\n"
		"  d: {kernel: doubler, replicas: 3}\n"
		"  c: {kernel: counter}\n"
		"pipeline: [d, c]\n";
	int64_t v;
	size_t len;

	assert_int_equal(parse(yaml, &t), RK_OK);
	assert_int_equal(rk_topology_check(t, rt, NULL, collect, NULL), RK_OK);
	assert_int_equal(rk_topology_start(t, rt, &o), RK_OK);
	for (int64_t i = 0; i < 1000; i++)
		send_i64(rt, "d", i);
	assert_int_equal(rk_send_end(rt, "d", 1.0), RK_OK);
	assert_int_equal(recv_i64(rt, "c"), 1000);
	assert_int_equal(rk_receive(rt, "c", &v, sizeof(v), &len, 1.0),
			 RK_EEND);
	rk_topology_free(t);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pipeline),
		cmocka_unit_test(test_diagnostics),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_one_plain_document),
		cmocka_unit_test(test_check_and_ends),
		cmocka_unit_test(test_check_finds_kernel_problems),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_inline_quotes),
		cmocka_unit_test(test_start_and_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
