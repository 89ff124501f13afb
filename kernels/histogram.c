/* histogram.c - counts of a number field in equal buckets between min
 * and max (values outside are counted as underflow and overflow),
 * reported at the end of input and every N messages. */
#include <stdint.h>
#include <stdlib.h>

#include "numbers.h"

struct histogram {
	char *field;
	double min, max;
	uint64_t every;
	uint64_t count, underflow, overflow;
	uint32_t n;
	uint64_t buckets[];
};

static int histogram_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	long long n = param_int(ctx, "buckets"), every = param_int(ctx, "every");
	double min = param_double(ctx, "min"), max = param_double(ctx, "max");

	if (n < 1 || n > 100000) {
		rk_ctx_error(ctx, "buckets must be in 1..100000, not %lld", n);
		return 1;
	}
	if (!(min < max)) {
		rk_ctx_error(ctx, "min must be below max");
		return 1;
	}
	if (every < 0) {
		rk_ctx_error(ctx, "every must not be negative");
		return 1;
	}
	struct histogram *h = calloc(1, sizeof(*h) + (size_t)n * sizeof(uint64_t));
	if (!h)
		return 1;
	h->field = strdup(rk_ctx_param(ctx, "field"));
	h->min = min;
	h->max = max;
	h->every = (uint64_t)every;
	h->n = (uint32_t)n;
	*state = h;
	return 0;
}

static void histogram_fini(void *state)
{
	struct histogram *h = state;

	if (h)
		free(h->field);
	free(h);
}

static int emit(rk_ctx *ctx, const struct histogram *h)
{
	size_t cap = 160 + (size_t)h->n * 21;
	char *text = malloc(cap), min[40], max[40];
	int rc;

	if (!text) {
		rk_ctx_error(ctx, "out of memory");
		return 1;
	}
	format_double(min, sizeof(min), h->min);
	format_double(max, sizeof(max), h->max);
	size_t len = (size_t)snprintf(text, cap, "{\"count\":%llu,\"min\":%s,"
				      "\"max\":%s,\"underflow\":%llu,"
				      "\"overflow\":%llu,\"buckets\":[",
				      (unsigned long long)h->count, min, max,
				      (unsigned long long)h->underflow,
				      (unsigned long long)h->overflow);
	for (uint32_t i = 0; i < h->n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s%llu",
					i ? "," : "",
					(unsigned long long)h->buckets[i]);
	len += (size_t)snprintf(text + len, cap - len, "]}");
	rc = rk_ctx_emit(ctx, text, len);
	free(text);
	return rc;
}

static int histogram(rk_ctx *ctx, const rk_msg *msg)
{
	struct histogram *h = rk_ctx_state(ctx);
	rk_json_value v;

	if (message_number(ctx, msg, h->field, &v))
		return 1;
	h->count++;
	if (v.number < h->min) {
		h->underflow++;
	} else if (v.number >= h->max) {
		h->overflow++;
	} else {
		uint32_t b = (uint32_t)((v.number - h->min) / (h->max - h->min)
					* h->n);
		h->buckets[b < h->n ? b : h->n - 1]++;
	}
	if (h->every && h->count % h->every == 0)
		return emit(ctx, h);
	return 0;
}

static int histogram_flush(rk_ctx *ctx)
{
	struct histogram *h = rk_ctx_state(ctx);

	if (h->every && h->count && h->count % h->every == 0)
		return 0;
	return emit(ctx, h);
}

static const rk_param_desc histogram_params[] = {
	{ "field", "string", "", "the number field "
	  "(default: each object's first number)" },
	{ "min", "float", "0", "the low end of the first bucket" },
	{ "max", "float", "1", "the high end of the last bucket" },
	{ "buckets", "int", "10", "how many equal buckets" },
	{ "every", "int", "0", "also report every N messages "
	  "(0: only at the end)" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc histogram_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "histogram",
	.description = "counts a number field in equal buckets",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = histogram_params,
	.init = histogram_init,
	.fini = histogram_fini,
	.process = histogram,
	.flush = histogram_flush,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc *const kernels[] = { &histogram_kernel, NULL };
RK_PLUGIN("histogram", "the histogram kernel", kernels);
