/* fuzz-topology.c - the YAML topology loader and the inline pipeline
 * parser.  An input starting with '|' is an inline pipeline (the rest);
 * anything else is a YAML file.  What parses is checked against a
 * runtime that knows three kernels (identity: json; doubler and sum:
 * typed), so type checks, cycles and reachability run too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>
#include <ringkernel-plugin.h>

struct value { int64_t value; };
static const rk_field value_fields[] = {
	RK_FIELD(struct value, value, RK_KIND_I64)
};
static const rk_type value_type = RK_TYPE(struct value, "value",
					  value_fields);
struct result { int64_t result; };
static const rk_field result_fields[] = {
	RK_FIELD(struct result, result, RK_KIND_I64)
};
static const rk_type result_type = RK_TYPE(struct result, "result",
					   result_fields);

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_param_desc sum_params[] = {
	{ "every", "int", "0", "flush every N" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc kernels[] = {
	{ .abi_version = RK_PLUGIN_ABI_VERSION,
	  .struct_size = sizeof(rk_kernel_desc), .name = "identity",
	  .input_type = &rk_type_json, .output_type = &rk_type_json,
	  .process = pass },
	{ .abi_version = RK_PLUGIN_ABI_VERSION,
	  .struct_size = sizeof(rk_kernel_desc), .name = "doubler",
	  .input_type = &value_type, .output_type = &result_type,
	  .process = pass },
	{ .abi_version = RK_PLUGIN_ABI_VERSION,
	  .struct_size = sizeof(rk_kernel_desc), .name = "sum",
	  .input_type = &result_type, .output_type = &value_type,
	  .params = sum_params, .process = pass },
};

static void diag(void *arg, const char *where, const char *what)
{
	(void)where;
	(void)what;
	++*(int *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rk_runtime *rt;
	rk_topology *t = NULL;
	int problems = 0;
	rk_error rc;

	if (!rt) {
		rk_runtime_new(NULL, &rt);
		for (size_t i = 0; i < 3; i++)
			rk_register_kernel(rt, &kernels[i]);
	}
	if (size > 0 && data[0] == '|') {
		char *pipeline = strndup((const char *)data + 1, size - 1);
		rc = rk_topology_inline(pipeline, rt, NULL, &t);
		free(pipeline);
	} else {
		rc = rk_topology_parse((const char *)data, size, "fuzz.yaml",
				       diag, &problems, &t);
		if (rc == RK_OK)
			rc = rk_topology_check(t, rt, NULL, diag, &problems);
	}
	if (rc != RK_OK && rc != RK_ECONFIG && rc != RK_ENOTFOUND
	    && rc != RK_EINVAL && rc != RK_EPLUGIN)
		abort();                /* an error of a kind it never gives */
	rk_topology_free(t);
	return 0;
}
