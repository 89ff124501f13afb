/* aggregate.c - stateful aggregation over a number field of JSON
 * objects: sum (a running total, every N messages and at the end) and
 * window (count, sum, mean, min and max of each N messages). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "numbers.h"

/* A sum that stays an exact integer while it can. */
struct total {
	uint64_t count;
	bool integral;
	int64_t isum;
	double fsum;
	double min, max;
};

static void total_reset(struct total *t)
{
	*t = (struct total){ .integral = true, .min = INFINITY,
			     .max = -INFINITY };
}

static void total_add(struct total *t, const rk_json_value *v)
{
	int64_t sum;

	if (t->integral && v->integral
	    && !__builtin_add_overflow(t->isum, v->integer, &sum)) {
		t->isum = sum;
		t->fsum += (double)v->integer;
	} else {
		if (t->integral)
			t->fsum = (double)t->isum;
		t->integral = false;
		t->fsum += v->number;
	}
	t->min = fmin(t->min, v->number);
	t->max = fmax(t->max, v->number);
	t->count++;
}

static int format_sum(char *out, size_t cap, const struct total *t)
{
	if (t->integral)
		return snprintf(out, cap, "%lld", (long long)t->isum);
	return format_double(out, cap, t->fsum);
}

struct aggregate {
	struct total t;
	char *field;
	uint64_t every;
};

static int aggregate_init(rk_ctx *ctx, const char *every, void **state)
{
	struct aggregate *a = calloc(1, sizeof(*a));
	long long n = param_int(ctx, every);

	if (!a)
		return 1;
	if (n < 0) {
		rk_ctx_error(ctx, "%s must not be negative", every);
		free(a);
		return 1;
	}
	a->field = strdup(rk_ctx_param(ctx, "field"));
	a->every = (uint64_t)n;
	total_reset(&a->t);
	*state = a;
	return 0;
}

static void aggregate_fini(void *state)
{
	struct aggregate *a = state;

	if (a)
		free(a->field);
	free(a);
}

static int sum_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return aggregate_init(ctx, "every", state);
}

static int emit_sum(rk_ctx *ctx, const struct total *t)
{
	char text[128], sum[40];

	format_sum(sum, sizeof(sum), t);
	int n = snprintf(text, sizeof(text), "{\"count\":%llu,\"sum\":%s}",
			 (unsigned long long)t->count, sum);
	return rk_ctx_emit(ctx, text, (size_t)n);
}

static int sum(rk_ctx *ctx, const rk_msg *msg)
{
	struct aggregate *a = rk_ctx_state(ctx);
	rk_json_value v;

	if (message_number(ctx, msg, a->field, &v))
		return 1;
	total_add(&a->t, &v);
	if (a->every && a->t.count % a->every == 0)
		return emit_sum(ctx, &a->t);
	return 0;
}

/* The final total, unless the last message just reported it. */
static int sum_flush(rk_ctx *ctx)
{
	struct aggregate *a = rk_ctx_state(ctx);

	if (a->every && a->t.count && a->t.count % a->every == 0)
		return 0;
	return emit_sum(ctx, &a->t);
}

static int window_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	int rc = aggregate_init(ctx, "size", state);

	if (rc == 0 && ((struct aggregate *)*state)->every == 0) {
		rk_ctx_error(ctx, "size must be at least 1");
		aggregate_fini(*state);
		return 1;
	}
	return rc;
}

static int emit_window(rk_ctx *ctx, struct aggregate *a)
{
	char text[256], s[40], mean[40], min[40], max[40];
	struct total *t = &a->t;

	format_sum(s, sizeof(s), t);
	format_double(mean, sizeof(mean),
		      (t->integral ? (double)t->isum : t->fsum)
		      / (double)t->count);
	format_double(min, sizeof(min), t->min);
	format_double(max, sizeof(max), t->max);
	int n = snprintf(text, sizeof(text),
			 "{\"count\":%llu,\"sum\":%s,\"mean\":%s,\"min\":%s,"
			 "\"max\":%s}", (unsigned long long)t->count, s, mean,
			 min, max);
	total_reset(t);
	return rk_ctx_emit(ctx, text, (size_t)n);
}

static int window(rk_ctx *ctx, const rk_msg *msg)
{
	struct aggregate *a = rk_ctx_state(ctx);
	rk_json_value v;

	if (message_number(ctx, msg, a->field, &v))
		return 1;
	total_add(&a->t, &v);
	return a->t.count == a->every ? emit_window(ctx, a) : 0;
}

/* A last, partial window. */
static int window_flush(rk_ctx *ctx)
{
	struct aggregate *a = rk_ctx_state(ctx);

	return a->t.count ? emit_window(ctx, a) : 0;
}

static const rk_param_desc sum_params[] = {
	{ "field", "string", "", "the number field to add up "
	  "(default: each object's first number)" },
	{ "every", "int", "0", "also report the running total every N "
	  "messages (0: only at the end)" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_param_desc window_params[] = {
	{ "field", "string", "", "the number field "
	  "(default: each object's first number)" },
	{ "size", "int", "10", "messages per window" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc sum_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "sum",
	.description = "adds up a number field: {\"count\": N, \"sum\": S}",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = sum_params,
	.init = sum_init,
	.fini = aggregate_fini,
	.process = sum,
	.flush = sum_flush,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc window_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "window",
	.description = "count, sum, mean, min, max per window of N messages",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = window_params,
	.init = window_init,
	.fini = aggregate_fini,
	.process = window,
	.flush = window_flush,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc *const kernels[] = {
	&sum_kernel, &window_kernel, NULL
};
RK_PLUGIN("aggregate", "stateful aggregation kernels", kernels);
