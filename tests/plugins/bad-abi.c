/* bad-abi.c - a plugin built for another ABI version: refused. */
#include <ringkernel-plugin.h>

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc k = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "future",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
};

static const rk_kernel_desc *const kernels[] = { &k, NULL };
__attribute__((visibility("default")))
const rk_plugin ringkernel_plugin = {
	RK_PLUGIN_ABI_VERSION + 98, sizeof(rk_plugin), "future",
	"a plugin from the future", kernels
};
