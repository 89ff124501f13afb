/* identity.c - any JSON value through, unchanged. */
#include <stddef.h>

#include <ringkernel-plugin.h>

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc identity = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "identity",
	.description = "passes any JSON value through unchanged",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc *const kernels[] = { &identity, NULL };
RK_PLUGIN("identity", "the identity kernel", kernels);
