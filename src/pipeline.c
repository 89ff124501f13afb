/* pipeline.c - inline pipelines: parsing, resolving, launching. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "xmalloc.h"

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	char *out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

bool pipeline_parse(const char *text, struct pipeline *p, char *why,
		    size_t why_len)
{
	memset(p, 0, sizeof(*p));
	for (const char *s = text;;) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		char *spec = trimmed(s, n);
		if (!*spec) {
			snprintf(why, why_len, "empty stage %zu in pipeline '%s'",
				 p->n + 1, text);
			free(spec);
			pipeline_free(p);
			return false;
		}
		p->stages = xrealloc(p->stages, (p->n + 1) * sizeof(*p->stages));
		p->stages[p->n++] = (struct stage){ .spec = spec };
		p->stages[p->n - 1].params = xcalloc(1, sizeof(rk_param));
		if (!bar)
			return true;
		s = bar + 1;
	}
}

rk_error pipeline_resolve(rk_runtime *rt, struct pipeline *p,
			  const char *search_path)
{
	for (size_t i = 0; i < p->n; i++) {
		struct stage *st = &p->stages[i];
		rk_error rc = rk_resolve_kernel(rt, st->spec, search_path,
						&st->desc);
		if (rc != RK_OK)
			return rc;
		/* The second doubler is doubler.2, and so on. */
		size_t same = 1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->stages[j].desc->name, st->desc->name) == 0)
				same++;
		st->id = same == 1 ? xstrdup(st->desc->name)
				   : xasprintf("%s.%zu", st->desc->name, same);
	}
	return RK_OK;
}

static struct stage *find_stage(struct pipeline *p, const char *id, size_t n)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->stages[i].id) == n
		    && strncmp(p->stages[i].id, id, n) == 0)
			return &p->stages[i];
	return NULL;
}

bool pipeline_add_param(struct pipeline *p, const char *arg, char *why,
			size_t why_len)
{
	const char *eq = strchr(arg, '=');
	struct stage *st;

	if (!eq || eq == arg) {
		snprintf(why, why_len, "--param '%s' is not [KERNEL.]KEY=VALUE",
			 arg);
		return false;
	}
	/* Keys have no dots; ids may (doubler.2): split at the last one. */
	const char *dot = NULL;
	for (const char *c = arg; c < eq; c++)
		if (*c == '.')
			dot = c;
	const char *key = dot ? dot + 1 : arg;
	if (dot) {
		st = find_stage(p, arg, (size_t)(dot - arg));
		if (!st) {
			snprintf(why, why_len, "--param '%s': no kernel '%.*s' in "
				 "the pipeline", arg, (int)(dot - arg), arg);
			return false;
		}
	} else if (p->n == 1) {
		st = &p->stages[0];
	} else {
		snprintf(why, why_len, "--param '%s': name the kernel, as "
			 "KERNEL.KEY=VALUE", arg);
		return false;
	}
	if (key == eq) {
		snprintf(why, why_len, "--param '%s' has no key", arg);
		return false;
	}
	st->params = xrealloc(st->params, (st->n_params + 2) * sizeof(rk_param));
	st->params[st->n_params].name = trimmed(key, (size_t)(eq - key));
	st->params[st->n_params].value = xstrdup(eq + 1);
	st->n_params++;
	st->params[st->n_params] = (rk_param){ NULL, NULL };
	return true;
}

rk_error pipeline_start(rk_runtime *rt, struct pipeline *p,
			const rk_launch_options *o)
{
	rk_error rc;

	for (size_t i = 0; i < p->n; i++) {
		rk_launch_options lo = *o;
		lo.params = p->stages[i].params;
		if ((rc = rk_launch(rt, p->stages[i].id, p->stages[i].desc, &lo))
		    != RK_OK)
			return rc;
	}
	for (size_t i = 1; i < p->n; i++)
		if ((rc = rk_connect(rt, p->stages[i - 1].id, p->stages[i].id))
		    != RK_OK)
			return rc;
	/* Downstream first, so each stage finds its consumer running. */
	for (size_t i = p->n; i-- > 0;)
		if ((rc = rk_activate(rt, p->stages[i].id)) != RK_OK)
			return rc;
	return RK_OK;
}

void pipeline_free(struct pipeline *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct stage *st = &p->stages[i];
		for (size_t j = 0; j < st->n_params; j++) {
			free((char *)st->params[j].name);
			free((char *)st->params[j].value);
		}
		free(st->params);
		free(st->spec);
		free(st->id);
	}
	free(p->stages);
	memset(p, 0, sizeof(*p));
}
