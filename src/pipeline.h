/* pipeline.h - an inline pipeline, 'a | b | c': its stages, their
 * kernels and parameters, launched and wired in a local runtime. */
#ifndef RINGCTL_PIPELINE_H
#define RINGCTL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include <ringkernel.h>

struct stage {
	char *spec;                     /* as written: name or plugin path */
	char *id;                       /* kernel id: its name, name.2, ... */
	const rk_kernel_desc *desc;
	rk_param *params;               /* NULL-terminated */
	size_t n_params;
};

struct pipeline {
	struct stage *stages;
	size_t n;
};

/* Split 'a | b | c'; an empty stage is a usage error (message in why). */
bool pipeline_parse(const char *text, struct pipeline *p, char *why,
		    size_t why_len);

/* Find every stage's kernel along the search path, and name the
 * stages.  Fails as rk_resolve_kernel does. */
rk_error pipeline_resolve(rk_runtime *rt, struct pipeline *p,
			  const char *search_path);

/* --param [KERNEL.]KEY=VALUE: KERNEL is a stage id; without it, the
 * only stage.  False, with why, for a bad one. */
bool pipeline_add_param(struct pipeline *p, const char *arg, char *why,
			size_t why_len);

/* Launch every stage with o, wire each into the next (the runtime
 * converts between typed and json ends), and activate them. */
rk_error pipeline_start(rk_runtime *rt, struct pipeline *p,
			const rk_launch_options *o);

void pipeline_free(struct pipeline *p);

static inline const char *pipeline_first(const struct pipeline *p)
{
	return p->stages[0].id;
}

static inline const char *pipeline_last(const struct pipeline *p)
{
	return p->stages[p->n - 1].id;
}

#endif /* RINGCTL_PIPELINE_H */
