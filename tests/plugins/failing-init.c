/* failing-init.c - a kernel whose init fails: the launch is refused. */
#include <ringkernel-plugin.h>

static int refuse(rk_ctx *ctx, const rk_param *params, void **state)
{
	rk_ctx_error(ctx, "no device here");
	return 1;
}

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc k = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "needs_device",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.init = refuse,
	.process = pass,
};

static const rk_kernel_desc *const kernels[] = { &k, NULL };
RK_PLUGIN("failing-init", "a kernel whose init fails", kernels);
