/* doubler.c - the reference example: {"value": int64} -> {"result":
 * int64}.  Doubling past int64 is an error for that message, not a
 * wrap. */
#include <stddef.h>
#include <stdint.h>

#include <ringkernel-plugin.h>

#include "doubler.h"

static const rk_field in_fields[] = {
	RK_FIELD(struct doubler_in, value, RK_KIND_I64),
};
static const rk_type in_type = RK_TYPE(struct doubler_in, "doubler_in",
				       in_fields);
static const rk_field out_fields[] = {
	RK_FIELD(struct doubler_out, result, RK_KIND_I64),
};
static const rk_type out_type = RK_TYPE(struct doubler_out, "doubler_out",
					out_fields);

static int double_value(rk_ctx *ctx, const rk_msg *msg)
{
	const struct doubler_in *in = msg->data;
	struct doubler_out out;

	if (double_one(in, &out, NULL) == DOUBLER_OVERFLOW) {
		rk_ctx_error(ctx, "%lld doubled overflows int64",
			     (long long)in->value);
		return 1;
	}
	return rk_ctx_emit(ctx, &out, sizeof(out));
}

static const char *const doubler_errors[] = {
	"the doubled value overflows int64", NULL
};
RK_DEVICE_KERNEL(doubler, struct doubler_in, struct doubler_out, rk_dev_none,
		 double_one, "doubler-cuda", doubler_errors);

static const rk_kernel_desc doubler = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "doubler",
	.description = "doubles {\"value\": int64} into {\"result\": int64}",
	.input_type = &in_type,
	.output_type = &out_type,
	.process = double_value,
	.flags = RK_KERNEL_ANY_THREAD,
	.device = &doubler_device,
};

static const rk_kernel_desc *const kernels[] = { &doubler, NULL };
RK_PLUGIN("doubler", "the reference example kernel", kernels);
