/* numbers.h - what the aggregating kernels share: parameters as
 * numbers, the number a message carries, and numbers as JSON. */
#ifndef KERNELS_NUMBERS_H
#define KERNELS_NUMBERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel-plugin.h>

static inline long long param_int(rk_ctx *ctx, const char *name)
{
	const char *v = rk_ctx_param(ctx, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

static inline double param_double(rk_ctx *ctx, const char *name)
{
	const char *v = rk_ctx_param(ctx, name);
	return v ? strtod(v, NULL) : 0;
}

/* The number in field `field` of a json message ("" or NULL: its first
 * number field).  Fails the message, saying why, when there is none. */
static inline int message_number(rk_ctx *ctx, const rk_msg *m,
				 const char *field, rk_json_value *v)
{
	const char *f = field && *field ? field : NULL;
	rk_error rc = rk_json_field(m->data, m->len, f, v);

	if (rc == RK_OK && v->kind == RK_JSON_NUMBER)
		return 0;
	if (rc == RK_ESCHEMA)
		rk_ctx_error(ctx, "%s", rk_errmsg());
	else if (f)
		rk_ctx_error(ctx, "no number in field '%s'", f);
	else
		rk_ctx_error(ctx, "no number field");
	return 1;
}

/* The shortest text that reads back as the same double. */
static inline int format_double(char *out, size_t cap, double d)
{
	for (int digits = 15; digits <= 17; digits++) {
		int n = snprintf(out, cap, "%.*g", digits, d);
		if (strtod(out, NULL) == d || digits == 17)
			return n;
	}
	return 0;
}

#endif /* KERNELS_NUMBERS_H */
