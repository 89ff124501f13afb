/* filter.c - keep the JSON objects whose field compares to a value:
 * numbers as numbers, strings as strings, true/false/null as such.  An
 * object without the field is not kept; a message that is not an
 * object fails. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel-plugin.h>

enum op { EQ, NE, LT, LE, GT, GE };

struct filter {
	char *field;
	enum op op;
	const char *value;              /* as given */
	bool numeric;
	double number;
};

static const char *const op_names[] = { "eq", "ne", "lt", "le", "gt", "ge" };

static int filter_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct filter *f = calloc(1, sizeof(*f));
	const char *op = rk_ctx_param(ctx, "op");
	char *end;

	if (!f)
		return 1;
	f->op = (enum op)-1;
	for (int i = 0; i < 6; i++)
		if (strcmp(op, op_names[i]) == 0)
			f->op = (enum op)i;
	if ((int)f->op < 0) {
		rk_ctx_error(ctx, "op must be eq, ne, lt, le, gt or ge, not '%s'",
			     op);
		free(f);
		return 1;
	}
	f->field = strdup(rk_ctx_param(ctx, "field"));
	f->value = rk_ctx_param(ctx, "value");
	f->number = strtod(f->value, &end);
	f->numeric = *f->value && !*end;
	*state = f;
	return 0;
}

static void filter_fini(void *state)
{
	struct filter *f = state;

	if (f)
		free(f->field);
	free(f);
}

static bool holds(enum op op, int cmp)
{
	switch (op) {
	case EQ: return cmp == 0;
	case NE: return cmp != 0;
	case LT: return cmp < 0;
	case LE: return cmp <= 0;
	case GT: return cmp > 0;
	case GE: return cmp >= 0;
	}
	return false;
}

/* Compare the field's value with the parameter; false when the two are
 * of different kinds (only ne holds then). */
static bool matches(const struct filter *f, const rk_json_value *v)
{
	int cmp;

	switch (v->kind) {
	case RK_JSON_NUMBER:
		if (!f->numeric)
			return f->op == NE;
		cmp = v->number < f->number ? -1 : v->number > f->number;
		return holds(f->op, cmp);
	case RK_JSON_STRING: {
		size_t n = strlen(f->value);
		cmp = memcmp(v->text, f->value, v->text_len < n ? v->text_len : n);
		if (cmp == 0)
			cmp = v->text_len < n ? -1 : v->text_len > n;
		return holds(f->op, cmp);
	}
	case RK_JSON_BOOL:
	case RK_JSON_NULL:
		cmp = strncmp(v->text, f->value, v->text_len) != 0
		      || strlen(f->value) != v->text_len;
		return f->op == EQ ? cmp == 0 : f->op == NE ? cmp != 0 : false;
	default:
		return f->op == NE;
	}
}

static int filter(rk_ctx *ctx, const rk_msg *msg)
{
	const struct filter *f = rk_ctx_state(ctx);
	rk_json_value v;
	rk_error rc = rk_json_field(msg->data, msg->len, f->field, &v);

	if (rc == RK_ENOTFOUND)
		return 0;
	if (rc != RK_OK) {
		rk_ctx_error(ctx, "%s", rk_errmsg());
		return 1;
	}
	return matches(f, &v) ? rk_ctx_emit(ctx, msg->data, msg->len) : 0;
}

static const rk_param_desc filter_params[] = {
	{ "field", "string", NULL, "the top-level field to look at" },
	{ "op", "string", "eq", "eq, ne, lt, le, gt or ge" },
	{ "value", "string", NULL, "what the field is compared with" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc filter_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "filter",
	.description = "keeps JSON objects whose field compares to a value",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = filter_params,
	.init = filter_init,
	.fini = filter_fini,
	.process = filter,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc *const kernels[] = { &filter_kernel, NULL };
RK_PLUGIN("filter", "the filter kernel", kernels);
