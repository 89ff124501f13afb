/* two-kernels.c - a plugin with two kernels: a path alone is
 * ambiguous, PATH:KERNEL picks one.  `crash` dies on a message. */
#include <pthread.h>
#include <string.h>

#include <ringkernel-plugin.h>

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static int crash(rk_ctx *ctx, const rk_msg *msg)
{
	if (msg->len >= 6 && memcmp(msg->data, "\"boom\"", 6) == 0)
		pthread_exit(NULL);
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc first = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "first",
	/* Characters of two and three bytes, for `kernels` to cut between. */
	.description = "passes each message on \u00ab\u00e0 la lettre\u00bb, "
		       "na\u00efvely \u2014 \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
		       "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u2026",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
};

static const rk_kernel_desc second = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "crash",
	.description = "dies on the message \"boom\"",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = crash,
};

static const rk_kernel_desc *const kernels[] = { &first, &second, NULL };
RK_PLUGIN("two-kernels", "two kernels in one plugin", kernels);
