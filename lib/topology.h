/* topology.h - a topology as parsed: kernels, edges, and where in the
 * file each came from, for the messages. */
#ifndef RK_TOPOLOGY_H
#define RK_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringkernel.h"
#include "name-index.h"

/* A place in the file, 1-based; line 0: nowhere in particular. */
typedef struct rk_mark {
	unsigned line, column;
} rk_mark;

typedef struct rk_topo_param {
	char *name;
	char *value;
	rk_mark at;
} rk_topo_param;

typedef struct rk_topo_kernel {
	char *id;                       /* the key */
	char *spec;                     /* kernel: plugin name or file */
	rk_mark at;                     /* of the key */
	rk_mark spec_at;                /* of the kernel: value, or the key */
	rk_topo_param *params;
	size_t n_params;
	uint32_t queue_size;            /* 0: the topology's */
	int backpressure;               /* rk_backpressure, -1: unsaid */
	int backend;                    /* rk_backend, -1: unsaid */
	uint32_t replicas;              /* 0: unsaid (one) */
	rk_mark replicas_at;
	uint32_t rank;                  /* the MPI rank it runs on */
	rk_mark rank_at;
	const rk_kernel_desc *desc;     /* once checked */
	rk_param *launch_params;        /* for rk_launch */
} rk_topo_kernel;

/* An edge's ends are kernel ids, or "stdin" and "stdout". */
typedef struct rk_topo_edge {
	char *from, *to;
	rk_mark at, from_at, to_at;
} rk_topo_edge;

struct rk_topology {
	char *file;                     /* for messages */
	char *dir;                      /* the file's, absolute; NULL: none
					 * (inline, or parsed from text) */
	char *name;
	int backend;                    /* -1: unsaid */
	uint32_t queue_size;            /* 0: unsaid */
	int telemetry;                  /* -1: unsaid */
	int unknown_fields;             /* -1: unsaid, 0 refuse, 1 ignore */
	rk_topo_kernel *kernels;
	size_t n_kernels;
	rk_topo_edge *edges;
	size_t n_edges;
	bool checked;
	const char **inputs;            /* fed by stdin */
	size_t n_inputs;
	char *output;                   /* read for stdout */
	bool output_is_sink;            /* a fan-in kernel of our own */
	/* Placed on one rank of several (rk_topology_place): only its
	 * kernels are launched here, and `wire` links the rest. */
	bool placed;
	uint32_t here;
	rk_wiring_fn wire;
	void *wire_arg;
	/* Kernel ids to their places, built by the first rk_topo_find
	 * after the kernels last changed. */
	rk_name_index ids;
	bool ids_ready;
};

/* Diagnostics: gathered, then passed on in the order of the file, each
 * with FILE:LINE:COLUMN. */
typedef struct rk_diag_entry {
	rk_mark at;
	size_t seq;                     /* keeps equal marks in order */
	char *what;
} rk_diag_entry;

typedef struct rk_diag {
	rk_diag_fn fn;
	void *arg;
	const char *file;
	size_t count;
	rk_diag_entry *entries;
	size_t n_entries;
} rk_diag;

void rk_diag_at(rk_diag *d, rk_mark at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Pass the gathered diagnostics on, sorted, and forget them. */
void rk_diag_flush(rk_diag *d);

rk_topo_kernel *rk_topo_find(rk_topology *t, const char *id);
rk_topology *rk_topo_new(const char *file);
/* Append a kernel or an edge; NULL when out of memory. */
rk_topo_kernel *rk_topo_add_kernel(rk_topology *t, const char *id, rk_mark at);
rk_topo_edge *rk_topo_add_edge(rk_topology *t, const char *from,
			       const char *to, rk_mark at);
bool rk_topo_add_param(rk_topo_kernel *k, const char *name, const char *value,
		       rk_mark at);

#endif /* RK_TOPOLOGY_H */
