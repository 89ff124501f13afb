/* topology.c - topologies as a library object: inline pipelines,
 * checking a topology against its kernels, and starting it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "replicas.h"
#include "rk-error.h"
#include "topology.h"
#include "types.h"

/* The kernel that gathers several edges into stdout. */
#define SINK_ID RK_TOPOLOGY_SINK

void rk_diag_at(rk_diag *d, rk_mark at, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	d->count++;
	if (!d->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rk_diag_entry *e = realloc(d->entries,
				   (d->n_entries + 1) * sizeof(*e));
	if (!e)
		return;
	d->entries = e;
	e[d->n_entries] = (rk_diag_entry){ at, d->n_entries, strdup(what) };
	d->n_entries++;
}

static int by_place(const void *a, const void *b)
{
	const rk_diag_entry *x = a, *y = b;

	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	if (x->at.column != y->at.column)
		return x->at.column < y->at.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void rk_diag_flush(rk_diag *d)
{
	char where[512];

	if (d->n_entries)
		qsort(d->entries, d->n_entries, sizeof(*d->entries), by_place);
	for (size_t i = 0; i < d->n_entries; i++) {
		rk_diag_entry *e = &d->entries[i];
		if (e->at.line)
			snprintf(where, sizeof(where), "%s:%u:%u", d->file,
				 e->at.line, e->at.column);
		else
			snprintf(where, sizeof(where), "%s", d->file);
		if (d->fn && e->what)
			d->fn(d->arg, where, e->what);
		free(e->what);
	}
	free(d->entries);
	d->entries = NULL;
	d->n_entries = 0;
}

rk_topology *rk_topo_new(const char *file)
{
	rk_topology *t = calloc(1, sizeof(*t));

	if (!t || !(t->file = strdup(file))) {
		free(t);
		return NULL;
	}
	t->backend = -1;
	t->telemetry = -1;
	t->unknown_fields = -1;
	return t;
}

/* Forget the index of kernel ids: the kernels or their ids changed. */
static void forget_ids(rk_topology *t)
{
	rk_name_index_free(&t->ids);
	t->ids_ready = false;
}

/* Index the kernel ids, unless they are indexed already; false when
 * out of memory (look-ups then go the long way). */
static bool index_ids(rk_topology *t)
{
	bool built = true;

	if (t->ids_ready)
		return true;
	for (size_t i = 0; built && i < t->n_kernels; i++)
		built = rk_name_index_add(&t->ids, t->kernels[i].id, NULL, i,
					  NULL) >= 0;
	if (!built)
		forget_ids(t);
	return t->ids_ready = built;
}

rk_topo_kernel *rk_topo_find(rk_topology *t, const char *id)
{
	size_t i;

	if (index_ids(t))
		return rk_name_index_get(&t->ids, id, NULL, &i)
		       ? &t->kernels[i] : NULL;
	/* Out of memory for the index: the long way. */
	for (i = 0; i < t->n_kernels; i++)
		if (strcmp(t->kernels[i].id, id) == 0)
			return &t->kernels[i];
	return NULL;
}

rk_topo_kernel *rk_topo_add_kernel(rk_topology *t, const char *id, rk_mark at)
{
	rk_topo_kernel *all = realloc(t->kernels,
				      (t->n_kernels + 1) * sizeof(*all));
	if (!all)
		return NULL;
	forget_ids(t);
	t->kernels = all;
	rk_topo_kernel *k = &all[t->n_kernels];
	memset(k, 0, sizeof(*k));
	k->id = strdup(id);
	k->spec = strdup(id);
	if (!k->id || !k->spec) {
		free(k->id);
		free(k->spec);
		return NULL;
	}
	k->at = k->spec_at = at;
	k->backpressure = -1;
	k->backend = -1;
	t->n_kernels++;
	return k;
}

rk_topo_edge *rk_topo_add_edge(rk_topology *t, const char *from,
			       const char *to, rk_mark at)
{
	rk_topo_edge *all = realloc(t->edges, (t->n_edges + 1) * sizeof(*all));
	if (!all)
		return NULL;
	t->edges = all;
	rk_topo_edge *e = &all[t->n_edges];
	memset(e, 0, sizeof(*e));
	e->from = strdup(from);
	e->to = strdup(to);
	if (!e->from || !e->to) {
		free(e->from);
		free(e->to);
		return NULL;
	}
	e->at = e->from_at = e->to_at = at;
	t->n_edges++;
	return e;
}

bool rk_topo_add_param(rk_topo_kernel *k, const char *name, const char *value,
		       rk_mark at)
{
	rk_topo_param *all = realloc(k->params,
				     (k->n_params + 1) * sizeof(*all));
	if (!all)
		return false;
	k->params = all;
	all[k->n_params] = (rk_topo_param){ strdup(name), strdup(value), at };
	if (!all[k->n_params].name || !all[k->n_params].value)
		return false;
	k->n_params++;
	return true;
}

void rk_topology_free(rk_topology *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_kernels; i++) {
		rk_topo_kernel *k = &t->kernels[i];
		for (size_t j = 0; j < k->n_params; j++) {
			free(k->params[j].name);
			free(k->params[j].value);
		}
		free(k->params);
		free(k->launch_params);
		free(k->id);
		free(k->spec);
	}
	for (size_t i = 0; i < t->n_edges; i++) {
		free(t->edges[i].from);
		free(t->edges[i].to);
	}
	forget_ids(t);
	free(t->kernels);
	free(t->edges);
	free(t->inputs);
	free(t->output);
	free(t->name);
	free(t->file);
	free(t->dir);
	free(t);
}

/* ---- inline pipelines ---------------------------------------------- */

/* The '|' that ends the stage at s, or NULL: none inside single or
 * double quotes, nor one after a backslash (outside single quotes), as
 * the shell reads them, so that a command can hold its own pipes. */
static const char *next_bar(const char *s)
{
	char quote = 0;

	for (; *s; s++) {
		if (quote == '\'' && *s != '\'')
			continue;
		if (*s == '\\' && s[1]) {
			s++;
		} else if (quote && *s == quote) {
			quote = 0;
		} else if (!quote && (*s == '\'' || *s == '"')) {
			quote = *s;
		} else if (!quote && *s == '|') {
			return s;
		}
	}
	return NULL;
}

static void name_stages(rk_topology *t);

rk_error rk_topology_inline(const char *text, rk_runtime *rt,
			    const char *search_path, rk_topology **out)
{
	rk_topology *t = rk_topo_new("<pipeline>");
	char prev[80] = "stdin";
	size_t stage = 0;

	*out = NULL;
	if (!t)
		return rk_fail(RK_ENOMEM, "out of memory");
	for (const char *s = text;; stage++) {
		const char *bar = next_bar(s);
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0) {
			rk_topology_free(t);
			return rk_fail(RK_EINVAL, "empty stage %zu in pipeline "
				       "'%s'", stage + 1, text);
		}
		char spec[4096], id[80];
		/* "KERNEL REST": REST is the kernel's command, as it is. */
		size_t word = strcspn(s, " \t");
		const char *rest = s + word + strspn(s + word, " \t");
		if (word > n)
			word = n;
		snprintf(spec, sizeof(spec), "%.*s", (int)word, s);
		/* Named after the spec for now; renamed after the kernel
		 * once it is resolved (rk_topology_check). */
		snprintf(id, sizeof(id), "stage%zu", stage + 1);
		rk_topo_kernel *k = rk_topo_add_kernel(t, id, (rk_mark){ 0, 0 });
		if (!k || !(free(k->spec), k->spec = strdup(spec))
		    || !rk_topo_add_edge(t, prev, id, (rk_mark){ 0, 0 })) {
			rk_topology_free(t);
			return rk_fail(RK_ENOMEM, "out of memory");
		}
		if (word < n) {
			char *command = strndup(rest, (size_t)(s + n - rest));
			bool added = command && rk_topo_add_param(
				k, "command", command, (rk_mark){ 0, 0 });
			free(command);
			if (!added) {
				rk_topology_free(t);
				return rk_fail(RK_ENOMEM, "out of memory");
			}
		}
		rk_error rc = rk_resolve_kernel(rt, k->spec, search_path,
						&k->desc);
		if (rc != RK_OK) {
			rk_topology_free(t);
			return rc;
		}
		snprintf(prev, sizeof(prev), "%s", id);
		if (!bar)
			break;
		s = bar + 1;
	}
	if (!rk_topo_add_edge(t, prev, "stdout", (rk_mark){ 0, 0 })) {
		rk_topology_free(t);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	name_stages(t);
	*out = t;
	return RK_OK;
}

rk_error rk_topology_set_param(rk_topology *t, const char *kernel,
			       const char *name, const char *value)
{
	rk_topo_kernel *k;

	if (!kernel) {
		if (t->n_kernels != 1)
			return rk_fail(RK_EINVAL, "name the kernel, as "
				       "KERNEL.KEY=VALUE");
		k = &t->kernels[0];
	} else if (!(k = rk_topo_find(t, kernel))) {
		return rk_fail(RK_EINVAL, "no kernel '%s' in the topology",
			       kernel);
	}
	if (!rk_topo_add_param(k, name, value, (rk_mark){ 0, 0 }))
		return rk_fail(RK_ENOMEM, "out of memory");
	return RK_OK;
}

/* ---- checking ------------------------------------------------------ */

static bool is_end(const char *id)
{
	return strcmp(id, "stdin") == 0 || strcmp(id, "stdout") == 0;
}

/* Every edge joins known nodes, stdin only as a source and stdout only
 * as a destination, once. */
static void check_edges(rk_topology *t, rk_diag *d)
{
	rk_name_index pairs = RK_NAME_INDEX_INIT;

	for (size_t i = 0; i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		if (strcmp(e->from, "stdout") == 0)
			rk_diag_at(d, e->from_at, "stdout cannot feed anything");
		else if (!is_end(e->from) && !rk_topo_find(t, e->from))
			rk_diag_at(d, e->from_at, "edge from nowhere: no kernel "
				   "'%s'", e->from);
		if (strcmp(e->to, "stdin") == 0)
			rk_diag_at(d, e->to_at, "nothing can feed stdin");
		else if (!is_end(e->to) && !rk_topo_find(t, e->to))
			rk_diag_at(d, e->to_at, "edge to nowhere: no kernel "
				   "'%s'", e->to);
		if (strcmp(e->from, e->to) == 0 && !is_end(e->from))
			rk_diag_at(d, e->at, "kernel '%s' cannot feed itself",
				   e->from);
		int added = rk_name_index_add(&pairs, e->from, e->to, i, NULL);
		if (added == 0)
			rk_diag_at(d, e->at, "edge from '%s' to '%s' is "
				   "given twice", e->from, e->to);
		else if (added < 0)
			rk_diag_at(d, e->at, "out of memory");
	}
	rk_name_index_free(&pairs);
}

/* A vertex: a kernel's place, then stdin and stdout. */
static size_t index_of(rk_topology *t, const char *id)
{
	if (strcmp(id, "stdin") == 0)
		return t->n_kernels;
	if (strcmp(id, "stdout") == 0)
		return t->n_kernels + 1;
	return (size_t)(rk_topo_find(t, id) - t->kernels);
}

/* The graph as arrays, so that each search is O(V + E): edge i goes
 * from src[i] to dst[i]; the edges out of v are out[out_first[v]] up to
 * out[out_first[v + 1]], in the order of the file, and likewise in. */
struct graph {
	size_t *src, *dst;
	size_t *out_first, *out;
	size_t *in_first, *in;
	size_t *stack, *next;           /* for the searches */
	char *mark;
};

static void graph_free(struct graph *g)
{
	free(g->src);
	free(g->out_first);
	free(g->mark);
}

/* Only once every edge's ends are known (check_edges found nothing). */
static bool graph_build(rk_topology *t, struct graph *g)
{
	size_t n = t->n_kernels + 2, m = t->n_edges;

	g->src = calloc(4 * m + 1, sizeof(size_t));
	g->out_first = calloc(4 * (n + 1), sizeof(size_t));
	g->mark = calloc(n, 1);
	if (!g->src || !g->out_first || !g->mark) {
		graph_free(g);
		return false;
	}
	g->dst = g->src + m;
	g->out = g->dst + m;
	g->in = g->out + m;
	g->in_first = g->out_first + (n + 1);
	g->stack = g->in_first + (n + 1);
	g->next = g->stack + (n + 1);
	for (size_t i = 0; i < m; i++) {
		g->src[i] = index_of(t, t->edges[i].from);
		g->dst[i] = index_of(t, t->edges[i].to);
		g->out_first[g->src[i] + 1]++;
		g->in_first[g->dst[i] + 1]++;
	}
	for (size_t v = 0; v < n; v++) {
		g->out_first[v + 1] += g->out_first[v];
		g->in_first[v + 1] += g->in_first[v];
	}
	/* Placed with next[] as each vertex's fill point. */
	memcpy(g->next, g->out_first, n * sizeof(size_t));
	for (size_t i = 0; i < m; i++)
		g->out[g->next[g->src[i]]++] = i;
	memcpy(g->next, g->in_first, n * sizeof(size_t));
	for (size_t i = 0; i < m; i++)
		g->in[g->next[g->dst[i]]++] = i;
	return true;
}

/* Depth-first search from root for a cycle, with a stack of its own
 * (a long pipeline is as deep as it is long); colours in mark: 0 new,
 * 1 on the path, 2 done.  Reports the edge that closes one. */
static bool find_cycle(rk_topology *t, struct graph *g, size_t root,
		       rk_diag *d)
{
	size_t depth = 0;

	g->mark[root] = 1;
	g->next[root] = g->out_first[root];
	g->stack[depth++] = root;
	while (depth) {
		size_t v = g->stack[depth - 1];
		if (g->next[v] == g->out_first[v + 1]) {
			g->mark[v] = 2;
			depth--;
			continue;
		}
		size_t i = g->out[g->next[v]++], w = g->dst[i];
		if (g->mark[w] == 1) {
			rk_topo_edge *e = &t->edges[i];
			rk_diag_at(d, e->at, "edge from '%s' to '%s' closes a "
				   "cycle", e->from, e->to);
			return true;
		}
		if (g->mark[w] == 0) {
			g->mark[w] = 1;
			g->next[w] = g->out_first[w];
			g->stack[depth++] = w;
		}
	}
	return false;
}

/* Mark in seen[] every vertex reached from v, along the edges or
 * against them. */
static void reach(struct graph *g, size_t v, char *seen, bool forward)
{
	const size_t *first = forward ? g->out_first : g->in_first;
	const size_t *list = forward ? g->out : g->in;
	const size_t *far = forward ? g->dst : g->src;
	size_t depth = 0;

	seen[v] = 1;
	g->stack[depth++] = v;
	while (depth) {
		v = g->stack[--depth];
		for (size_t k = first[v]; k < first[v + 1]; k++) {
			size_t w = far[list[k]];
			if (!seen[w]) {
				seen[w] = 1;
				g->stack[depth++] = w;
			}
		}
	}
}

/* No cycles; every kernel fed from stdin and heard at stdout. */
static void check_graph(rk_topology *t, rk_diag *d)
{
	size_t n = t->n_kernels + 2;
	struct graph g = { 0 };
	char *from_in = calloc(n, 1), *to_out = calloc(n, 1);

	if (!from_in || !to_out || !graph_build(t, &g)) {
		rk_diag_at(d, (rk_mark){ 0, 0 }, "out of memory");
		free(from_in);
		free(to_out);
		return;
	}
	for (size_t v = 0; v < n; v++)
		if (g.mark[v] == 0 && find_cycle(t, &g, v, d))
			break;
	reach(&g, t->n_kernels, from_in, true);
	reach(&g, t->n_kernels + 1, to_out, false);
	if (!from_in[t->n_kernels + 1])
		rk_diag_at(d, (rk_mark){ 0, 0 }, "nothing leads from "
			   "stdin to stdout");
	for (size_t i = 0; i < t->n_kernels; i++) {
		rk_topo_kernel *k = &t->kernels[i];
		if (!from_in[i])
			rk_diag_at(d, k->at, "kernel '%s' is not "
				   "reachable from stdin", k->id);
		else if (!to_out[i])
			rk_diag_at(d, k->at, "kernel '%s' leads nowhere: "
				   "its output never reaches stdout",
				   k->id);
	}
	graph_free(&g);
	free(from_in);
	free(to_out);
}

/* A relative path, given or by default, is from the topology file's
 * directory, wherever ringctl (or the server) runs: the file says it. */
static void resolve_paths(rk_topo_kernel *k, const char *dir, rk_diag *d)
{
	for (const rk_param_desc *pd = k->desc->params; dir && pd && pd->name;
	     pd++) {
		if (!pd->type || strcmp(pd->type, "path") != 0)
			continue;
		size_t i = 0;
		while (i < k->n_params && strcmp(k->params[i].name, pd->name))
			i++;
		if (i == k->n_params && (!pd->default_value
		    || !rk_topo_add_param(k, pd->name, pd->default_value,
					  k->at))) {
			if (pd->default_value)
				rk_diag_at(d, k->at, "out of memory");
			continue;
		}
		char *v = k->params[i].value, *full;
		if (!*v || v[0] == '/')
			continue;
		if (asprintf(&full, "%s/%s", dir, v) < 0) {
			rk_diag_at(d, k->at, "out of memory");
			continue;
		}
		free(v);
		k->params[i].value = full;
	}
}

/* Resolve the kernel, check its parameters one by one (so each error
 * points at its line), and its replicas. */
static void check_kernel(rk_topo_kernel *k, rk_runtime *rt,
			 const char *search_path, const char *dir, rk_diag *d)
{
	/* A plugin named by a relative file is the topology file's, as
	 * paths in compose files and Makefiles are: wherever ringctl (or
	 * the server, whose directory is /) runs from. */
	char *file = NULL;
	if (!k->desc && dir && k->spec[0] != '/'
	    && (strchr(k->spec, '/') || strstr(k->spec, ".so"))
	    && asprintf(&file, "%s/%s", dir, k->spec) < 0) {
		rk_diag_at(d, k->spec_at, "out of memory");
		return;
	}
	rk_error rc = k->desc ? RK_OK
		      : rk_resolve_kernel(rt, file ? file : k->spec,
					  search_path, &k->desc);
	free(file);
	if (rc != RK_OK) {
		rk_diag_at(d, k->spec_at, "%s", rk_errmsg());
		k->desc = NULL;
		return;
	}
	for (size_t i = 0; i < k->n_params; i++) {
		rk_param one[2] = { { k->params[i].name, k->params[i].value },
				    { NULL, NULL } };
		if (rk_params_check_given(k->desc, one) != RK_OK)
			rk_diag_at(d, k->params[i].at, "%s", rk_errmsg());
	}
	resolve_paths(k, dir, d);
	k->launch_params = calloc(k->n_params + 1, sizeof(rk_param));
	if (!k->launch_params) {
		rk_diag_at(d, k->at, "out of memory");
		return;
	}
	for (size_t i = 0; i < k->n_params; i++)
		k->launch_params[i] = (rk_param){ k->params[i].name,
						  k->params[i].value };
	if (rk_params_check_required(k->desc, k->launch_params) != RK_OK
	    || rk_params_check_together(k->desc, k->launch_params) != RK_OK)
		rk_diag_at(d, k->at, "%s", rk_errmsg());
	if (k->replicas > 1 && !rk_replicas_can(k->desc))
		rk_diag_at(d, k->replicas_at, "kernel '%s' cannot have replicas: "
			   "%s", k->desc->name, (k->desc->process
			   || (k->desc->flags & RK_KERNEL_BATCH_TELLS))
			   ? "it keeps state across messages"
			   : "only kernels with process, or a process_batch "
			   "that tells each message, can");
	if (k->replicas > 1 && (k->backpressure == RK_BP_DROP_NEWEST
				|| k->backpressure == RK_BP_DROP_OLDEST))
		rk_diag_at(d, k->replicas_at, "%s", rk_replicas_policy_why(
				   k->id, (rk_backpressure)k->backpressure));
}

static const char *type_name(const rk_type *t)
{
	return !t ? "bytes" : t->name ? t->name : "?";
}

/* A replicated kernel keeps the order of one input only (replicas.h):
 * the edges into each, the first remembered (there are few of them). */
static void check_replica_inputs(rk_topology *t, rk_diag *d)
{
	struct { const rk_topo_kernel *k; const char *from; } *seen = NULL;
	size_t n = 0;

	for (size_t i = 0; i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		const rk_topo_kernel *b = rk_topo_find(t, e->to);
		if (!b || b->replicas < 2)
			continue;
		size_t j = 0;
		while (j < n && seen[j].k != b)
			j++;
		if (j < n) {
			rk_diag_at(d, e->at, "%s",
				   rk_replicas_fan_in_why(b->id, seen[j].from));
			continue;
		}
		void *more = realloc(seen, (n + 1) * sizeof(*seen));
		if (!more)
			break;
		seen = more;
		seen[n].k = b;
		seen[n++].from = e->from;
	}
	free(seen);
}

/* Typed ends must agree; typed and json convert. */
static void check_types(rk_topology *t, rk_diag *d)
{
	for (size_t i = 0; i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		rk_topo_kernel *a = rk_topo_find(t, e->from);
		rk_topo_kernel *b = rk_topo_find(t, e->to);
		if (!a || !b || !a->desc || !b->desc)
			continue;
		const rk_type *out = a->desc->output_type;
		const rk_type *in = b->desc->input_type;
		if (a->replicas > 1 && b->replicas > 1)
			rk_diag_at(d, e->at, "replicated kernel '%s' cannot feed "
				   "replicated kernel '%s' directly: put a "
				   "kernel between them", a->id, b->id);
		if (!out || !in || rk_type_is_json(out) || rk_type_is_json(in)
		    || rk_type_equal(out, in))
			continue;
		rk_diag_at(d, e->at, "kernel '%s' emits %s messages but '%s' "
			   "takes %s", a->id, type_name(out), b->id,
			   type_name(in));
	}
}

/* Inline stages are named after their kernels: doubler, doubler.2. */
static void name_stages(rk_topology *t)
{
	for (size_t i = 0; i < t->n_kernels; i++) {
		rk_topo_kernel *k = &t->kernels[i];
		size_t same = 1;
		for (size_t j = 0; j < i; j++)
			if (t->kernels[j].desc
			    && strcmp(t->kernels[j].desc->name, k->desc->name) == 0)
				same++;
		char id[96];
		if (same == 1)
			snprintf(id, sizeof(id), "%s", k->desc->name);
		else
			snprintf(id, sizeof(id), "%s.%zu", k->desc->name, same);
		for (size_t e = 0; e < t->n_edges; e++) {
			rk_topo_edge *edge = &t->edges[e];
			if (strcmp(edge->from, k->id) == 0) {
				free(edge->from);
				edge->from = strdup(id);
			}
			if (strcmp(edge->to, k->id) == 0) {
				free(edge->to);
				edge->to = strdup(id);
			}
		}
		free(k->id);
		k->id = strdup(id);
	}
	forget_ids(t);
}

/* What feeds from stdin, and what stdout reads: the one kernel that
 * feeds it and nothing else, or a sink gathering every edge to it. */
static rk_error plan_ends(rk_topology *t)
{
	size_t to_out = 0;
	const char *last = NULL;

	free(t->inputs);
	t->inputs = calloc(t->n_edges + 1, sizeof(*t->inputs));
	if (!t->inputs)
		return rk_fail(RK_ENOMEM, "out of memory");
	t->n_inputs = 0;
	for (size_t i = 0; i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		if (strcmp(e->from, "stdin") == 0)
			t->inputs[t->n_inputs++] = strcmp(e->to, "stdout") == 0
						   ? SINK_ID : e->to;
		if (strcmp(e->to, "stdout") == 0) {
			to_out++;
			last = e->from;
		}
	}
	size_t out_edges = 0;
	for (size_t i = 0; last && i < t->n_edges; i++)
		out_edges += strcmp(t->edges[i].from, last) == 0;
	t->output_is_sink = to_out != 1 || out_edges != 1
			    || strcmp(last, "stdin") == 0;
	free(t->output);
	t->output = strdup(t->output_is_sink ? SINK_ID : last);
	return t->output ? RK_OK : rk_fail(RK_ENOMEM, "out of memory");
}

rk_error rk_topology_check(rk_topology *t, rk_runtime *rt,
			   const char *search_path, rk_diag_fn fn, void *arg)
{
	rk_diag d = { fn, arg, t->file, 0, NULL, 0 };

	check_edges(t, &d);
	if (!d.count)
		check_graph(t, &d);
	for (size_t i = 0; i < t->n_kernels; i++)
		check_kernel(&t->kernels[i], rt, search_path, t->dir, &d);
	if (!d.count) {
		check_types(t, &d);
		check_replica_inputs(t, &d);
	}
	rk_diag_flush(&d);
	if (d.count)
		return rk_fail(RK_ECONFIG, "%s: %zu problem%s", t->file, d.count,
			       d.count == 1 ? "" : "s");
	t->checked = true;
	/* Built now, so that later look-ups (rk_topology_rank, const)
	 * only read it. */
	index_ids(t);
	return plan_ends(t);
}

/* ---- starting ------------------------------------------------------ */

/* The sink gathering several edges into stdout: json in, json out. */
static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc sink = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "stdout",
	.description = "gathers the edges into standard output",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = pass,
};

/* Whether a kernel (or stdin, stdout) runs in this process. */
static bool here(const rk_topology *t, const char *id)
{
	return !t->placed || rk_topology_rank(t, id) == t->here;
}

static rk_error launch_all(rk_topology *t, rk_runtime *rt,
			   const rk_launch_options *o)
{
	rk_error rc;

	if (!t->checked)
		return rk_fail(RK_EINVAL, "the topology is not checked");
	for (size_t i = 0; i < t->n_kernels; i++) {
		rk_topo_kernel *k = &t->kernels[i];
		if (!here(t, k->id))
			continue;
		rk_launch_options lo = *o;
		if (t->queue_size)
			lo.queue_size = t->queue_size;
		if (k->queue_size)
			lo.queue_size = k->queue_size;
		if (k->backpressure >= 0)
			lo.input_policy = (rk_backpressure)k->backpressure;
		if (t->backend >= 0)
			lo.backend = (rk_backend)t->backend;
		if (k->backend >= 0)
			lo.backend = (rk_backend)k->backend;
		lo.params = k->launch_params;
		lo.replicas = k->replicas;
		if ((rc = rk_launch(rt, k->id, k->desc, &lo)) != RK_OK)
			return rc;
	}
	for (size_t i = 0; i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		if (strcmp(e->from, "stdin") == 0 || strcmp(e->to, "stdout") == 0
		    || !here(t, e->from) || !here(t, e->to))
			continue;
		if ((rc = rk_connect(rt, e->from, e->to)) != RK_OK)
			return rc;
	}
	return RK_OK;
}

rk_error rk_topology_launch(rk_topology *t, rk_runtime *rt,
			    const rk_launch_options *o)
{
	rk_error rc = launch_all(t, rt, o);

	/* What reaches stdout stays receivable where it also goes on. */
	for (size_t i = 0; rc == RK_OK && i < t->n_edges; i++) {
		rk_topo_edge *e = &t->edges[i];
		if (strcmp(e->to, "stdout") != 0 || strcmp(e->from, "stdin") == 0)
			continue;
		size_t out = 0;
		for (size_t j = 0; j < t->n_edges; j++)
			out += strcmp(t->edges[j].from, e->from) == 0;
		if (out > 1)
			rc = rk_keep_output(rt, e->from);
	}
	return rc;
}

rk_error rk_topology_start(rk_topology *t, rk_runtime *rt,
			   const rk_launch_options *o)
{
	rk_error rc = launch_all(t, rt, o);

	if (rc == RK_OK && t->output_is_sink && here(t, SINK_ID)) {
		rk_launch_options lo = *o;
		lo.params = NULL;
		lo.replicas = 0;
		rc = rk_launch(rt, SINK_ID, &sink, &lo);
		for (size_t i = 0; rc == RK_OK && i < t->n_edges; i++) {
			rk_topo_edge *e = &t->edges[i];
			if (strcmp(e->to, "stdout") == 0
			    && strcmp(e->from, "stdin") != 0 && here(t, e->from))
				rc = rk_connect(rt, e->from, SINK_ID);
		}
		if (rc == RK_OK)
			rc = rk_activate(rt, SINK_ID);
	}
	if (rc == RK_OK && t->placed && t->wire)
		rc = t->wire(t->wire_arg, t, rt);
	for (size_t i = t->n_kernels; rc == RK_OK && i-- > 0;)
		if (here(t, t->kernels[i].id))
			rc = rk_activate(rt, t->kernels[i].id);
	return rc;
}

/* ---- looking at it ------------------------------------------------- */

const char *rk_topology_name(const rk_topology *t)
{
	return t->name;
}

int rk_topology_unknown_fields(const rk_topology *t)
{
	return t->unknown_fields;
}

int rk_topology_telemetry(const rk_topology *t)
{
	return t->telemetry;
}

size_t rk_topology_size(const rk_topology *t)
{
	return t->n_kernels;
}

const char *rk_topology_kernel(const rk_topology *t, size_t i,
			       const rk_kernel_desc **desc)
{
	if (i >= t->n_kernels)
		return NULL;
	if (desc)
		*desc = t->kernels[i].desc;
	return t->kernels[i].id;
}

size_t rk_topology_inputs(const rk_topology *t, const char *const **ids)
{
	*ids = t->inputs;
	return t->n_inputs;
}

/* The kernel's type, or json for our sink (stdin straight to stdout). */
static const rk_type *type_of(const rk_topology *t, const char *id, bool in)
{
	for (size_t i = 0; i < t->n_kernels; i++) {
		const rk_kernel_desc *d = t->kernels[i].desc;
		if (strcmp(t->kernels[i].id, id) == 0 && d)
			return in ? d->input_type : d->output_type;
	}
	return &rk_type_json;
}

const rk_type *rk_topology_input_type(const rk_topology *t, size_t i)
{
	return i < t->n_inputs ? type_of(t, t->inputs[i], true) : NULL;
}

const char *rk_topology_output(const rk_topology *t)
{
	return t->output;
}

const rk_type *rk_topology_output_type(const rk_topology *t)
{
	return t->output ? type_of(t, t->output, false) : NULL;
}

/* ---- placement across ranks ---------------------------------------- */

uint32_t rk_topology_rank(const rk_topology *t, const char *id)
{
	const rk_topo_kernel *k = rk_topo_find((rk_topology *)t, id);

	return k ? k->rank : 0;         /* stdin, stdout, the sink: 0 */
}

rk_error rk_topology_check_ranks(rk_topology *t, uint32_t world_size,
				 rk_diag_fn fn, void *arg)
{
	rk_diag d = { fn, arg, t->file, 0, NULL, 0 };

	for (size_t i = 0; i < t->n_kernels; i++) {
		rk_topo_kernel *k = &t->kernels[i];
		if (k->rank >= world_size)
			rk_diag_at(&d, k->rank_at, "kernel '%s' is placed on rank "
				   "%u, but there %s %u rank%s (0 to %u)", k->id,
				   k->rank, world_size == 1 ? "is" : "are",
				   world_size, world_size == 1 ? "" : "s",
				   world_size - 1);
	}
	size_t problems = d.count;
	rk_diag_flush(&d);
	return problems ? rk_fail(RK_ECONFIG, "%s: %zu kernel%s placed beyond "
				  "the ranks", t->file, problems,
				  problems == 1 ? "" : "s")
			: RK_OK;
}

size_t rk_topology_edge_count(const rk_topology *t)
{
	return t->n_edges;
}

void rk_topology_edge(const rk_topology *t, size_t i, const char **from,
		      const char **to)
{
	*from = i < t->n_edges ? t->edges[i].from : NULL;
	*to = i < t->n_edges ? t->edges[i].to : NULL;
}

rk_error rk_topology_place(rk_topology *t, uint32_t here_rank,
			   rk_wiring_fn wire, void *arg)
{
	if (!t->checked)
		return rk_fail(RK_EINVAL, "the topology is not checked");
	t->placed = true;
	t->here = here_rank;
	t->wire = wire;
	t->wire_arg = arg;
	/* Rank 0 writes stdout; what feeds it may come from elsewhere,
	 * so it always reads the sink, which takes any producer. */
	if (here_rank == 0 && !t->output_is_sink) {
		char *sink_id = strdup(SINK_ID);
		if (!sink_id)
			return rk_fail(RK_ENOMEM, "out of memory");
		free(t->output);
		t->output = sink_id;
		t->output_is_sink = true;
	}
	return RK_OK;
}
