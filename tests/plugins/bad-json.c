/* bad-json.c - json kernels that emit what is not JSON: "unescaped"
 * writes a string field with a raw quote inside (as a kernel that
 * formats JSON with printf does), and returns 0 as if all went well;
 * "main-bad" does the same from a main loop. */
#include <stdio.h>
#include <string.h>

#include <ringkernel-plugin.h>

static int unescaped(rk_ctx *ctx, const rk_msg *msg)
{
	char out[128];
	int n = snprintf(out, sizeof(out), "{\"said\":\"%.*s\"}",
			 (int)msg->len, (const char *)msg->data);

	(void)rk_ctx_emit(ctx, out, (size_t)n);         /* rc ignored */
	return 0;
}

static int main_bad(rk_ctx *ctx)
{
	rk_msg m;
	rk_error rc;

	while (!rk_ctx_should_terminate(ctx)
	       && (rc = rk_ctx_receive(ctx, &m, 0.05)) != RK_EEND)
		if (rc == RK_OK)
			(void)rk_ctx_send(ctx, "{oops", 5);
	return 0;
}

static const rk_kernel_desc unescaped_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "unescaped",
	.description = "emits a string with a raw quote inside",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = unescaped,
};

static const rk_kernel_desc main_bad_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "main-bad",
	.description = "a main loop that sends what is not JSON",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.main = main_bad,
};

static const rk_kernel_desc *const kernels[] = { &unescaped_kernel,
						 &main_bad_kernel, NULL };
RK_PLUGIN("bad-json", "json kernels that emit what is not JSON", kernels);
