/* vector.c - float32 vectors: scale ({"x": [...]} times a factor) and
 * saxpy ({"x": [...], "y": [...]} into {"y": a*x + y}). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ringkernel-plugin.h>

#define VECTOR_MAX 1024

struct vec_x {
	uint32_t n;
	float x[VECTOR_MAX];
};

struct vec_xy {
	uint32_t nx;
	uint32_t ny;
	float x[VECTOR_MAX];
	float y[VECTOR_MAX];
};

struct vec_y {
	uint32_t n;
	float y[VECTOR_MAX];
};

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

/* The factor lives in the state; parsed once. */
static int factor_init(rk_ctx *ctx, const rk_param *params, void **state,
		       const char *name)
{
	float *f = malloc(sizeof(*f));

	if (!f)
		return 1;
	*f = strtof(rk_ctx_param(ctx, name), NULL);
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

static int scale(rk_ctx *ctx, const rk_msg *msg)
{
	const struct vec_x *in = msg->data;
	float f = *(float *)rk_ctx_state(ctx);
	struct vec_x out;

	out.n = in->n;
	for (uint32_t i = 0; i < in->n; i++)
		out.x[i] = f * in->x[i];
	return rk_ctx_emit(ctx, &out, sizeof(out));
}

static int saxpy(rk_ctx *ctx, const rk_msg *msg)
{
	const struct vec_xy *in = msg->data;
	float a = *(float *)rk_ctx_state(ctx);
	struct vec_y out;

	if (in->nx != in->ny) {
		rk_ctx_error(ctx, "x has %u elements and y %u", in->nx, in->ny);
		return 1;
	}
	out.n = in->ny;
	for (uint32_t i = 0; i < in->ny; i++)
		out.y[i] = a * in->x[i] + in->y[i];
	return rk_ctx_emit(ctx, &out, sizeof(out));
}

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
};

static const rk_kernel_desc *const kernels[] = {
	&scale_kernel, &saxpy_kernel, NULL
};
RK_PLUGIN("vector", "float32 vector kernels", kernels);
