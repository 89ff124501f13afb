/* topology-dot.c - a topology as a Graphviz graph (`ringctl validate
 * --format dot`): a box per kernel with its kernel, backend and
 * replicas; stdin and stdout as the ends; each edge with the policy of
 * the queue it fills; an edge between two kernels both placed on the
 * GPU drawn bold, as a device link (unless links are turned off). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "rk-error.h"
#include "topology.h"

static const char *const policies[] = {
	"block", "reject", "drop_oldest", "drop_newest",
};

/* A DOT string: quoted, '"' escaped ("\n" in a label is DOT's own line
 * break, written so by the caller). */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int backend_of(const rk_topology *t, const rk_topo_kernel *k)
{
	return k->backend >= 0 ? k->backend
	       : t->backend >= 0 ? t->backend : RK_BACKEND_AUTO;
}

static void kernel_node(FILE *f, const rk_topology *t,
			const rk_topo_kernel *k)
{
	char label[512];
	int n = snprintf(label, sizeof(label), "%s\\n%s, %s", k->id,
			 k->desc ? k->desc->name : k->spec,
			 rk_backend_name((rk_backend)backend_of(t, k)));
	if (k->replicas > 1 && n > 0 && (size_t)n < sizeof(label))
		snprintf(label + n, sizeof(label) - (size_t)n, ", %u replicas",
			 k->replicas);
	fprintf(f, "  ");
	quoted(f, k->id);
	fprintf(f, " [shape=box, label=");
	quoted(f, label);
	fprintf(f, "];\n");
}

static void edge(FILE *f, rk_topology *t, const rk_topo_edge *e)
{
	rk_topo_kernel *from = rk_topo_find(t, e->from);
	rk_topo_kernel *to = rk_topo_find(t, e->to);
	int policy = to && to->backpressure >= 0 ? to->backpressure
		     : RK_BP_BLOCK;
	bool link = from && to && backend_of(t, from) == RK_BACKEND_CUDA
		    && backend_of(t, to) == RK_BACKEND_CUDA;

	fprintf(f, "  ");
	quoted(f, e->from);
	fprintf(f, " -> ");
	quoted(f, e->to);
	if (link)
		fprintf(f, " [label=\"%s, device link\", style=bold];\n",
			policies[policy]);
	else if (to)
		fprintf(f, " [label=\"%s\"];\n", policies[policy]);
	else
		fprintf(f, ";\n");
}

char *rk_topology_dot(rk_topology *t)
{
	char *text = NULL;
	size_t len;
	FILE *f;

	if (!t) {
		rk_fail(RK_EINVAL, "no topology");
		return NULL;
	}
	if (!(f = open_memstream(&text, &len))) {
		rk_fail(RK_ENOMEM, "out of memory");
		return NULL;
	}
	fprintf(f, "digraph ");
	quoted(f, t->name ? t->name : "topology");
	fprintf(f, " {\n  rankdir=LR;\n"
		"  stdin [shape=plaintext];\n  stdout [shape=plaintext];\n");
	for (size_t i = 0; i < t->n_kernels; i++)
		kernel_node(f, t, &t->kernels[i]);
	for (size_t i = 0; i < t->n_edges; i++)
		edge(f, t, &t->edges[i]);
	fprintf(f, "}\n");
	if (fclose(f) != 0) {
		free(text);
		rk_fail(RK_ENOMEM, "out of memory");
		return NULL;
	}
	return text;
}
