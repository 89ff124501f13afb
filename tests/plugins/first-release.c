/* first-release.c - a plugin as the first release's header built it:
 * its tables are frozen copies of that release's layouts, their
 * struct_size that release's sizes.  Whatever the header grows into,
 * this plugin must still load and run (the loader reads a copy of its
 * own size, the new fields zero).  Do not update these structs. */
#include <stddef.h>
#include <stdint.h>

#include <ringkernel-plugin.h>

/* rk_kernel_desc of release 0.1.0. */
struct kernel_desc_v1 {
	uint32_t abi_version;
	uint32_t struct_size;
	const char *name;
	const char *description;
	const rk_type *input_type;
	const rk_type *output_type;
	const rk_param_desc *params;
	int (*init)(rk_ctx *ctx, const rk_param *params, void **state);
	void (*fini)(void *state);
	int (*process)(rk_ctx *ctx, const rk_msg *msg);
	int (*process_batch)(rk_ctx *ctx, const rk_msg *msgs, size_t count);
	int (*main)(rk_ctx *ctx);
	int (*flush)(rk_ctx *ctx);
	const void *device;
};

/* rk_plugin of release 0.1.0. */
struct plugin_v1 {
	uint32_t abi_version;
	uint32_t struct_size;
	const char *name;
	const char *description;
	const struct kernel_desc_v1 *const *kernels;
};

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const struct kernel_desc_v1 k = {
	.abi_version = 1,
	.struct_size = sizeof(struct kernel_desc_v1),
	.name = "first_release",
	.description = "a kernel as the first release built it",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
};

static const struct kernel_desc_v1 *const kernels[] = { &k, NULL };
__attribute__((visibility("default")))
const struct plugin_v1 ringkernel_plugin = {
	1, sizeof(struct plugin_v1), "first-release",
	"a plugin built against the first release's header", kernels
};
