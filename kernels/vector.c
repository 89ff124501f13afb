/* vector.c - float32 vectors: scale ({"x": [...]} times a factor) and
 * saxpy ({"x": [...], "y": [...]} into {"y": a*x + y}). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ringkernel-plugin.h>

#include "vector.h"

static const rk_field x_fields[] = {
	RK_FIELD_VARRAY(struct vec_x, x, RK_KIND_F32, n),
};
static const rk_type x_type = RK_TYPE(struct vec_x, "vector_x", x_fields);
static const rk_field xy_fields[] = {
	RK_FIELD_VARRAY(struct vec_xy, x, RK_KIND_F32, nx),
	RK_FIELD_VARRAY(struct vec_xy, y, RK_KIND_F32, ny),
};
static const rk_type xy_type = RK_TYPE(struct vec_xy, "vector_xy", xy_fields);
static const rk_field y_fields[] = {
	RK_FIELD_VARRAY(struct vec_y, y, RK_KIND_F32, n),
};
static const rk_type y_type = RK_TYPE(struct vec_y, "vector_y", y_fields);
static const rk_field hist_fields[] = {
	RK_FIELD_VARRAY(struct vec_hist, buckets, RK_KIND_U32, n),
	RK_FIELD(struct vec_hist, underflow, RK_KIND_U32),
	RK_FIELD(struct vec_hist, overflow, RK_KIND_U32),
};
static const rk_type hist_type = RK_TYPE(struct vec_hist, "vector_histogram",
					 hist_fields);

/* The factor lives in the state; parsed once. */
static int factor_init(rk_ctx *ctx, const rk_param *params, void **state,
		       const char *name)
{
	struct vec_factor *f = malloc(sizeof(*f));

	if (!f)
		return 1;
	f->f = strtof(rk_ctx_param(ctx, name), NULL);
	*state = f;
	return 0;
}

static int scale_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return factor_init(ctx, params, state, "factor");
}

static int saxpy_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return factor_init(ctx, params, state, "a");
}

/* What the device's error codes say. */
static const char *const vector_errors[] = {
	"a vector longer than 1024 elements",
	"x and y differ in length",
	"a value that is not a number", NULL
};

static int emit_or_fail(rk_ctx *ctx, int rc, const void *out, size_t len)
{
	if (rc == 0)
		return rk_ctx_emit(ctx, out, len);
	rk_ctx_error(ctx, "%s", vector_errors[rc - 1]);
	return 1;
}

static int scale(rk_ctx *ctx, const rk_msg *msg)
{
	struct vec_x out;
	int rc = scale_one(msg->data, &out, rk_ctx_state(ctx));

	return emit_or_fail(ctx, rc, &out, sizeof(out));
}

static int saxpy(rk_ctx *ctx, const rk_msg *msg)
{
	const struct vec_xy *in = msg->data;
	struct vec_y out;
	int rc = saxpy_one(in, &out, rk_ctx_state(ctx));

	if (rc == VECTOR_LENGTHS) {
		rk_ctx_error(ctx, "x has %u elements and y %u", in->nx, in->ny);
		return 1;
	}
	return emit_or_fail(ctx, rc, &out, sizeof(out));
}

static int histogram_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct hist_params *h = malloc(sizeof(*h));
	long n = strtol(rk_ctx_param(ctx, "buckets"), NULL, 10);

	(void)params;
	if (!h)
		return 1;
	h->min = strtof(rk_ctx_param(ctx, "min"), NULL);
	h->max = strtof(rk_ctx_param(ctx, "max"), NULL);
	h->buckets = (uint32_t)n;
	*state = h;
	if (n < 1 || n > HIST_MAX) {
		rk_ctx_error(ctx, "buckets must be in 1..%d, not %ld", HIST_MAX, n);
		return 1;
	}
	if (!(h->min < h->max)) {
		rk_ctx_error(ctx, "min must be below max");
		return 1;
	}
	return 0;
}

static int histogram(rk_ctx *ctx, const rk_msg *msg)
{
	struct vec_hist out;
	int rc = histogram_one(msg->data, &out, rk_ctx_state(ctx));

	return emit_or_fail(ctx, rc, &out, sizeof(out));
}

RK_DEVICE_KERNEL(scale, struct vec_x, struct vec_x, struct vec_factor,
		 scale_one, "vector-cuda", vector_errors);
RK_DEVICE_KERNEL(saxpy, struct vec_xy, struct vec_y, struct vec_factor,
		 saxpy_one, "vector-cuda", vector_errors);
RK_DEVICE_KERNEL(vector_histogram, struct vec_x, struct vec_hist,
		 struct hist_params, histogram_one, "vector-cuda",
		 vector_errors);

static const rk_param_desc scale_params[] = {
	{ "factor", "float", "2", "what every element is multiplied by" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_param_desc saxpy_params[] = {
	{ "a", "float", "1", "the scalar of a*x + y" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc scale_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "scale",
	.description = "scales a float32 vector {\"x\": [...]} by a factor",
	.input_type = &x_type,
	.output_type = &x_type,
	.params = scale_params,
	.init = scale_init,
	.fini = free,
	.process = scale,
	.device = &scale_device,
};

static const rk_kernel_desc saxpy_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "saxpy",
	.description = "{\"x\": [...], \"y\": [...]} into {\"y\": a*x + y}",
	.input_type = &xy_type,
	.output_type = &y_type,
	.params = saxpy_params,
	.init = saxpy_init,
	.fini = free,
	.process = saxpy,
	.device = &saxpy_device,
};

static const rk_param_desc histogram_params[] = {
	{ "min", "float", "0", "the low end of the first bucket" },
	{ "max", "float", "1", "the high end of the last bucket" },
	{ "buckets", "int", "10", "how many equal buckets (1..256)" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc histogram_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "vector-histogram",
	.description = "each vector {\"x\": [...]} counted in equal buckets",
	.input_type = &x_type,
	.output_type = &hist_type,
	.params = histogram_params,
	.init = histogram_init,
	.fini = free,
	.process = histogram,
	.device = &vector_histogram_device,
};

static const rk_kernel_desc *const kernels[] = {
	&scale_kernel, &saxpy_kernel, &histogram_kernel, NULL
};
RK_PLUGIN("vector", "float32 vector kernels", kernels);
