/* params.c - kernel parameters: validation, copies, and lookup. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rk-error.h"
#include "kernel.h"
#include "params.h"

static const rk_param_desc *declared(const rk_kernel_desc *desc,
				     const char *name)
{
	for (const rk_param_desc *p = desc->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static const char *given(const rk_param *params, const char *name)
{
	const char *value = NULL;

	for (const rk_param *p = params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			value = p->value;       /* the last one wins */
	return value;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool value_fits(const char *type, const char *v)
{
	char *end;

	if (!type || strcmp(type, "string") == 0)
		return true;
	errno = 0;
	if (strcmp(type, "int") == 0) {
		(void)strtoll(v, &end, 10);
		return *v && !*end && errno == 0;
	}
	if (strcmp(type, "float") == 0) {
		(void)strtod(v, &end);
		return *v && !*end && errno == 0;
	}
	if (strcmp(type, "bool") == 0) {
		bool b;
		return parse_bool(v, &b);
	}
	return true;
}

rk_error rk_params_check_declared(const rk_kernel_desc *desc)
{
	/* A path is a string that a topology file makes relative to its
	 * directory (rk_topology_check). */
	static const char *const types[] = { "int", "float", "string", "bool",
					     "path" };

	for (const rk_param_desc *d = desc->params; d && d->name; d++) {
		bool known = !d->type;
		for (size_t i = 0; i < 5 && !known; i++)
			known = strcmp(d->type, types[i]) == 0;
		if (!*d->name || !known)
			return rk_fail(RK_EPLUGIN, "kernel '%s': parameter '%s' "
				       "has no name or an unknown type", desc->name,
				       d->name);
		if (d->default_value && !value_fits(d->type, d->default_value))
			return rk_fail(RK_EPLUGIN, "kernel '%s': the default of "
				       "parameter '%s' is not %s %s", desc->name,
				       d->name, d->type[0] == 'i' ? "an" : "a",
				       d->type);
		for (const rk_param_desc *e = desc->params; e < d; e++)
			if (strcmp(e->name, d->name) == 0)
				return rk_fail(RK_EPLUGIN, "kernel '%s' declares "
					       "parameter '%s' twice", desc->name,
					       d->name);
	}
	return RK_OK;
}

rk_error rk_params_check_given(const rk_kernel_desc *desc,
			       const rk_param *params)
{
	for (const rk_param *p = params; p && p->name; p++) {
		const rk_param_desc *d = declared(desc, p->name);
		if (!d)
			return rk_fail(RK_EINVAL,
				       "kernel '%s' has no parameter '%s'",
				       desc->name, p->name);
		if (!p->value || !value_fits(d->type, p->value))
			return rk_fail(RK_EINVAL,
				       "parameter '%s' of kernel '%s' must be "
				       "%s %s, not '%s'", p->name, desc->name,
				       d->type && d->type[0] == 'i' ? "an" : "a",
				       d->type, p->value ? p->value : "");
	}
	return RK_OK;
}

rk_error rk_params_check_required(const rk_kernel_desc *desc,
				  const rk_param *params)
{
	for (const rk_param_desc *d = desc->params; d && d->name; d++)
		if (!d->default_value && !given(params, d->name))
			return rk_fail(RK_EINVAL,
				       "kernel '%s' needs parameter '%s'",
				       desc->name, d->name);
	return RK_OK;
}

rk_error rk_params_check_together(const rk_kernel_desc *desc,
				  const rk_param *params)
{
	char why[256] = "";

	if (desc->check && desc->check(params, why, sizeof(why)) != 0)
		return rk_fail(RK_EINVAL, "kernel '%s': %s", desc->name,
			       why[0] ? why : "its parameters do not fit "
			       "together");
	return RK_OK;
}

rk_error rk_params_check(const rk_kernel_desc *desc, const rk_param *params)
{
	rk_error rc = rk_params_check_given(desc, params);

	if (rc == RK_OK)
		rc = rk_params_check_required(desc, params);
	return rc != RK_OK ? rc : rk_params_check_together(desc, params);
}

rk_param *rk_params_copy(const rk_param *params)
{
	size_t n = 0;

	while (params && params[n].name)
		n++;
	rk_param *copy = calloc(n + 1, sizeof(*copy));
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		copy[i].name = strdup(params[i].name);
		copy[i].value = strdup(params[i].value ? params[i].value : "");
		if (!copy[i].name || !copy[i].value) {
			rk_params_free(copy);
			return NULL;
		}
	}
	return copy;
}

void rk_params_free(rk_param *params)
{
	for (rk_param *p = params; p && p->name; p++) {
		free((char *)p->name);
		free((char *)p->value);
	}
	free(params);
}

const char *rk_ctx_param(rk_ctx *ctx, const char *name)
{
	const char *v = given(ctx->kernel->params, name);
	const rk_param_desc *d;

	if (v)
		return v;
	d = declared(ctx->kernel->desc, name);
	return d ? d->default_value : NULL;
}
