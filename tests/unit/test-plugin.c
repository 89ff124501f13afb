/* test-plugin.c - the plugin loader: finding kernels by name along a
 * search path and by file, and refusing every kind of bad plugin with
 * a clear message, without harm to the runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ringkernel.h>

static char path_buf[4096];

static const char *kernels_dir(void)
{
	const char *p = getenv("RINGCTL_PLUGIN_PATH");
	return p ? p : "kernels/.libs";
}

/* A file of the test plugins directory. */
static const char *test_plugin(const char *file)
{
	const char *dir = getenv("TEST_PLUGINS");
	snprintf(path_buf, sizeof(path_buf), "%s/%s",
		 dir ? dir : "tests/plugins/.libs", file);
	return path_buf;
}

static rk_runtime *runtime(void)
{
	rk_runtime *rt;
	assert_int_equal(rk_runtime_new(NULL, &rt), RK_OK);
	return rt;
}

static void test_by_name_along_the_path(void **unused)
{
	rk_runtime *rt = runtime();
	const rk_kernel_desc *d;
	char search[4200];

	snprintf(search, sizeof(search), "/nonexistent:%s", kernels_dir());
	assert_int_equal(rk_resolve_kernel(rt, "saxpy", search, &d), RK_OK);
	assert_string_equal(d->name, "saxpy");
	/* Its plugin's other kernel came along. */
	assert_non_null(rk_find_kernel(rt, "scale"));
	const char *plugin;
	for (size_t i = 0; rk_registered_kernel(rt, i, &plugin); i++)
		if (strcmp(rk_registered_kernel(rt, i, NULL)->name, "saxpy") == 0)
			assert_non_null(strstr(plugin, "vector.so"));
	assert_int_equal(rk_resolve_kernel(rt, "nosuch", search, &d),
			 RK_ENOTFOUND);
	assert_string_equal(rk_errmsg(), "kernel 'nosuch' not found");
	rk_runtime_free(rt);
}

static void test_by_file(void **unused)
{
	rk_runtime *rt = runtime();
	const rk_kernel_desc *d;
	char spec[4200];

	snprintf(spec, sizeof(spec), "%s/doubler.so", kernels_dir());
	assert_int_equal(rk_resolve_kernel(rt, spec, NULL, &d), RK_OK);
	assert_string_equal(d->name, "doubler");
	/* Loading it again is the same plugin. */
	assert_int_equal(rk_resolve_kernel(rt, spec, NULL, &d), RK_OK);
	snprintf(spec, sizeof(spec), "%s:crash", test_plugin("two-kernels.so"));
	assert_int_equal(rk_resolve_kernel(rt, spec, NULL, &d), RK_OK);
	assert_string_equal(d->name, "crash");
	snprintf(spec, sizeof(spec), "%s:third", test_plugin("two-kernels.so"));
	assert_int_equal(rk_resolve_kernel(rt, spec, NULL, &d), RK_ENOTFOUND);
	assert_int_equal(rk_resolve_kernel(rt, test_plugin("two-kernels.so"),
					   NULL, &d), RK_EINVAL);
	assert_non_null(strstr(rk_errmsg(), "holds 2 kernels"));
	rk_runtime_free(rt);
}

static void test_bad_plugins_are_refused(void **unused)
{
	rk_runtime *rt = runtime();
	const rk_plugin *p;

	assert_int_equal(rk_load_plugin(rt, "/nonexistent/x.so", &p),
			 RK_ENOTFOUND);
	assert_string_equal(rk_errmsg(),
			    "/nonexistent/x.so: No such file or directory");
	assert_int_equal(rk_load_plugin(rt, test_plugin("no-table.so"), &p),
			 RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "not a ringctl plugin"));
	assert_int_equal(rk_load_plugin(rt, test_plugin("bad-abi.so"), &p),
			 RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "a ringctl plugin of ABI version 99, expected 1"));
	assert_null(rk_find_kernel(rt, "future"));
	/* The runtime is unharmed. */
	assert_int_equal(rk_load_plugin(rt, test_plugin("failing-init.so"), &p),
			 RK_OK);
	assert_string_equal(p->name, "failing-init");
	assert_int_equal(rk_launch(rt, "k", rk_find_kernel(rt, "needs_device"),
				   NULL), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel 'k' failed to initialize: "
			    "no device here");
	rk_runtime_free(rt);
}

static int problems;

static void count_problem(void *arg, const char *path, const char *reason)
{
	problems++;
	assert_non_null(strstr(reason, path));
}

/* Loading a whole directory: the bad ones are told about and skipped,
 * the good ones registered; a name keeps its first kernel. */
static void test_load_a_directory(void **unused)
{
	rk_runtime *rt = runtime();
	const char *dir = getenv("TEST_PLUGINS");

	problems = 0;
	assert_int_equal(rk_load_plugins(rt, dir ? dir : "tests/plugins/.libs",
					 count_problem, NULL), RK_OK);
	assert_int_equal(problems, 2);          /* bad-abi, no-table */
	assert_non_null(rk_find_kernel(rt, "first"));
	assert_non_null(rk_find_kernel(rt, "needs_device"));
	assert_null(rk_find_kernel(rt, "future"));
	rk_runtime_free(rt);
}

/* A type that does not fit its struct is refused at load. */
static int pass(rk_ctx *ctx, const rk_msg *m)
{
	return 0;
}

static void test_bad_types_are_refused(void **unused)
{
	rk_runtime *rt = runtime();
	static const rk_field out_of_struct[] = {
		{ "v", RK_KIND_I64, 8, 0, -1 },
	};
	static const rk_type bad = { "bad", 8, 1, out_of_struct };
	static const rk_field dup[] = {
		{ "v", RK_KIND_I32, 0, 0, -1 }, { "v", RK_KIND_I32, 4, 0, -1 },
	};
	static const rk_type twice = { "twice", 8, 2, dup };
	rk_kernel_desc d = RK_KERNEL_DESC_INIT;

	d.name = "k";
	d.process = pass;
	d.input_type = &bad;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel 'k': input type: field 'v' "
			    "lies outside the 8-byte struct");
	d.input_type = &twice;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel 'k': input type has two "
			    "fields 'v'");
	rk_runtime_free(rt);
}

/* The first release's tables load whatever the header has grown into;
 * a newer header's load where the fields it adds are unset, and are
 * refused, not ignored, where they are set. */
static void test_descriptors_of_other_releases(void **unused)
{
	rk_runtime *rt = runtime();
	const rk_plugin *p;
	struct {
		rk_kernel_desc d;
		unsigned char more[16];
	} newer;

	assert_int_equal(rk_load_plugin(rt, test_plugin("first-release.so"),
					&p), RK_OK);
	const rk_kernel_desc *d = rk_find_kernel(rt, "first_release");
	assert_non_null(d);
	assert_null(d->device);
	assert_int_equal(rk_launch(rt, "old", d, NULL), RK_OK);
	assert_int_equal(rk_terminate(rt, "old", 1), RK_OK);

	memset(&newer, 0, sizeof(newer));
	newer.d = (rk_kernel_desc)RK_KERNEL_DESC_INIT;
	newer.d.struct_size = sizeof(newer);
	newer.d.name = "newer";
	newer.d.process = pass;
	assert_int_equal(rk_register_kernel(rt, &newer.d), RK_OK);
	assert_int_equal(rk_launch(rt, "n", &newer.d, NULL), RK_OK);
	newer.more[3] = 1;
	newer.d.name = "newest";
	assert_int_equal(rk_register_kernel(rt, &newer.d), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "sets fields past the"));
	/* Launched directly (not the registered one): the same. */
	__typeof__(newer) direct = newer;
	assert_int_equal(rk_launch(rt, "m", &direct.d, NULL), RK_EPLUGIN);
	/* Smaller than the first release: a table of another program. */
	newer.more[3] = 0;
	newer.d.struct_size = 16;
	assert_int_equal(rk_register_kernel(rt, &newer.d), RK_EPLUGIN);
	assert_non_null(strstr(rk_errmsg(), "smaller than any release's"));
	rk_runtime_free(rt);
}

/* A kernel's device form carries a version and size too. */
static void test_device_kernel_versions(void **unused)
{
	rk_runtime *rt = runtime();
	rk_device_kernel dk = {
		.abi_version = RK_PLUGIN_ABI_VERSION,
		.struct_size = sizeof(rk_device_kernel),
		.in_size = 8, .out_size = 8,
	};
	rk_kernel_desc d = RK_KERNEL_DESC_INIT;

	d.name = "dev";
	d.process = pass;
	d.device = &dk;
	dk.abi_version = 99;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "device kernel descriptor ABI "
			    "version 99, expected 1");
	dk.abi_version = RK_PLUGIN_ABI_VERSION;
	dk.struct_size = 8;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	dk.struct_size = sizeof(rk_device_kernel);
	assert_int_equal(rk_register_kernel(rt, &d), RK_OK);
	/* The copy's device form is the runtime's copy too. */
	const rk_kernel_desc *found = rk_find_kernel(rt, "dev");
	assert_ptr_not_equal(found->device, &dk);
	assert_int_equal(found->device->in_size, 8);
	rk_runtime_free(rt);
}

/* Found by fuzzing: names JSON or a shell would choke on, and
 * parameters whose declaration makes no sense, are refused at load. */
static void test_bad_names_and_params_are_refused(void **unused)
{
	rk_runtime *rt = runtime();
	static const rk_field bad_utf8[] = {
		{ "v\xff", RK_KIND_I64, 0, 0, -1 },
	};
	static const rk_type not_utf8 = { "t", 8, 1, bad_utf8 };
	static const rk_field quoted[] = {
		{ "a\"b", RK_KIND_I64, 0, 0, -1 },
	};
	static const rk_type quote = { "t", 8, 1, quoted };
	static const rk_param_desc unknown_type[] = {
		{ "n", "number", "1", "" }, { NULL, NULL, NULL, NULL }
	};
	static const rk_param_desc bad_default[] = {
		{ "n", "int", "ten", "" }, { NULL, NULL, NULL, NULL }
	};
	static const rk_param_desc twice[] = {
		{ "n", "int", "1", "" }, { "n", "bool", "yes", "" },
		{ NULL, NULL, NULL, NULL }
	};
	rk_kernel_desc d = RK_KERNEL_DESC_INIT;

	d.process = pass;
	d.name = "a b";
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel name 'a b' has characters "
			    "other than letters, digits, '_', '.' and '-'");
	d.name = "k";
	d.input_type = &not_utf8;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	d.input_type = &quote;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	d.input_type = NULL;
	d.params = unknown_type;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	d.params = bad_default;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	assert_string_equal(rk_errmsg(), "kernel 'k': the default of "
			    "parameter 'n' is not an int");
	d.params = twice;
	assert_int_equal(rk_register_kernel(rt, &d), RK_EPLUGIN);
	d.name = "ok_name-2.0";
	d.params = NULL;
	assert_int_equal(rk_register_kernel(rt, &d), RK_OK);
	rk_runtime_free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_name_along_the_path),
		cmocka_unit_test(test_by_file),
		cmocka_unit_test(test_bad_plugins_are_refused),
		cmocka_unit_test(test_load_a_directory),
		cmocka_unit_test(test_bad_types_are_refused),
		cmocka_unit_test(test_bad_names_and_params_are_refused),
		cmocka_unit_test(test_descriptors_of_other_releases),
		cmocka_unit_test(test_device_kernel_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
