/* topology-yaml.c - reading a topology from YAML (libyaml), checking
 * its shape and keys, and saying where every mistake is. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <strings.h>

#include <yaml.h>

#include "codec.h"
#include "name-index.h"
#include "rk-error.h"
#include "runtime.h"
#include "topology.h"
#include "names.h"

#define MAX_FILE (1u << 20)            /* a topology is a small file */
#define MAX_DEPTH 32                   /* ours is 4 deep */
#define MAX_EXPANDED (16u << 20)        /* 16 x MAX_FILE, aliases followed */
#define MAX_QUEUE (1u << 24)
#define MAX_REPLICAS 1024
#define MAX_RANK 65535

struct reader {
	rk_topology *t;
	rk_diag *d;
	yaml_document_t *doc;
	/* What the walk has read, aliases counted each time they are
	 * followed: a small file of aliases of aliases (a "billion
	 * laughs") expands past any memory. */
	size_t expanded;
	bool too_big;
};

static rk_mark mark_of(const yaml_node_t *n)
{
	return (rk_mark){ (unsigned)n->start_mark.line + 1,
			  (unsigned)n->start_mark.column + 1 };
}

/* The node at index, counted into what the walk has read; past
 * MAX_EXPANDED the walk is stopped, once, with why. */
static yaml_node_t *node(struct reader *r, int index)
{
	yaml_node_t *n = yaml_document_get_node(r->doc, index);

	if (n && !r->too_big) {
		r->expanded += 16 + (n->type == YAML_SCALAR_NODE
				     ? n->data.scalar.length : 0);
		if (r->expanded > MAX_EXPANDED) {
			r->too_big = true;
			rk_diag_at(r->d, mark_of(n), "the file expands past "
				   "%u MiB through its aliases",
				   MAX_EXPANDED >> 20);
		}
	}
	return n;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
	       ? (const char *)n->data.scalar.value : NULL;
}

/* A plain scalar that YAML reads as null: absent, "", "~" or "null". */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
	       && (!*s || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0);
}

static const char *kind_of(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return is_null(n) ? "empty" : "a scalar";
	}
}

static const char *want_string(struct reader *r, const yaml_node_t *n,
			       const char *what)
{
	const char *s = scalar(n);

	if (!s || !*s) {
		rk_diag_at(r->d, mark_of(n), "%s must be a string, not %s", what,
			   kind_of(n));
		return NULL;
	}
	return s;
}

/* Names with a control character are refused where they are written,
 * shown escaped: a terminal would act on them. */
static bool no_control(struct reader *r, const yaml_node_t *n,
		       const char *what, const char *s)
{
	if (rk_check_control(what, s) == RK_OK)
		return true;
	rk_diag_at(r->d, mark_of(n), "%s", rk_errmsg());
	return false;
}

/* Where a kernel is named by its id: pipeline entries, from and to. */
static const char *want_id(struct reader *r, const yaml_node_t *n,
			   const char *what)
{
	const char *s = want_string(r, n, what);

	return s && no_control(r, n, "kernel id", s) ? s : NULL;
}

static bool want_uint(struct reader *r, const yaml_node_t *n, const char *what,
		      uint32_t max, uint32_t *out)
{
	const char *s = scalar(n);
	char *end;

	errno = 0;
	unsigned long long v = s ? strtoull(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || v < 1 || v > max
	    || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || *s == '-') {
		rk_diag_at(r->d, mark_of(n), "%s must be a whole number from 1 "
			   "to %u, not %s%s%s", what, max, s ? "'" : "",
			   s ? s : kind_of(n), s ? "'" : "");
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* An MPI rank: a whole number from 0. */
static bool want_rank(struct reader *r, const yaml_node_t *n, uint32_t *out)
{
	const char *s = scalar(n);
	char *end;

	errno = 0;
	unsigned long long v = s ? strtoull(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || v > MAX_RANK
	    || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || *s == '-') {
		rk_diag_at(r->d, mark_of(n), "rank must be a whole number from 0 "
			   "to %u, not %s%s%s", MAX_RANK, s ? "'" : "",
			   s ? s : kind_of(n), s ? "'" : "");
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* YAML 1.1 booleans, as libyaml users expect them. */
static bool want_bool(struct reader *r, const yaml_node_t *n, const char *what,
		      int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = scalar(n);

	for (size_t i = 0; s && i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, true;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, true;
	}
	rk_diag_at(r->d, mark_of(n), "%s must be true or false, not %s%s%s",
		   what, s ? "'" : "", s ? s : kind_of(n), s ? "'" : "");
	return false;
}

static bool want_enum(struct reader *r, const yaml_node_t *n, const char *what,
		      const char *const *names, size_t count, int *out)
{
	const char *s = scalar(n);
	char list[160] = "";

	for (size_t i = 0; i < count; i++) {
		if (s && strcmp(s, names[i]) == 0)
			return *out = (int)i, true;
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s",
			 i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
	}
	rk_diag_at(r->d, mark_of(n), "%s must be %s, not %s%s%s", what, list,
		   s ? "'" : "", s ? s : kind_of(n), s ? "'" : "");
	return false;
}

static const char *const backends[] = { "auto", "cpu", "cuda" };
/* In the order of rk_topology_unknown_fields's answer. */
static const char *const unknown_fields[] = { "refuse", "ignore" };
static const char *const policies[] = {
	"block", "reject", "drop_oldest", "drop_newest"
};

/* For each key: value of a mapping node, checking the keys are scalars
 * and not repeated. */
typedef void (*pair_fn)(struct reader *r, const yaml_node_t *key,
			const char *name, yaml_node_t *value, void *arg);

static bool each_pair(struct reader *r, yaml_node_t *map, const char *what,
		      pair_fn fn, void *arg)
{
	if (map->type != YAML_MAPPING_NODE) {
		rk_diag_at(r->d, mark_of(map), "%s must be a mapping, not %s",
			   what, kind_of(map));
		return false;
	}
	/* The keys seen so far, to their pairs: a key given twice is
	 * found at once however many there are. */
	rk_name_index seen = RK_NAME_INDEX_INIT;
	yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
	for (yaml_node_pair_t *p = pairs;
	     p < map->data.mapping.pairs.top && !r->too_big; p++) {
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		const char *name = scalar(k);
		size_t first;
		if (!name) {
			rk_diag_at(r->d, mark_of(k), "a key of %s must be a "
				   "string", what);
			continue;
		}
		int added = rk_name_index_add(&seen, name, NULL,
					      (size_t)(p - pairs), &first);
		if (added < 0) {
			rk_diag_at(r->d, mark_of(k), "out of memory");
		} else if (added == 0) {
			rk_mark at = mark_of(node(r, pairs[first].key));
			rk_diag_at(r->d, mark_of(k), "'%s' is given twice "
				   "(first at line %u)", name, at.line);
		} else {
			fn(r, k, name, v, arg);
		}
	}
	rk_name_index_free(&seen);
	return true;
}

/* A list of scalars as the text of a JSON array of strings, for a
 * kernel that takes words (exec's argv); NULL after a diagnostic. */
static char *list_param(struct reader *r, const char *name, yaml_node_t *list)
{
	size_t len = 2, at = 1;
	yaml_node_item_t *i;

	for (i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top; i++) {
		yaml_node_t *n = node(r, *i);
		const char *v = scalar(n);
		if (!v || r->too_big) {
			if (!r->too_big)
				rk_diag_at(r->d, mark_of(n), "parameter '%s' "
					   "must be a list of scalars, not of "
					   "%s", name, kind_of(n));
			return NULL;
		}
		len += codec_write_string(v, n->data.scalar.length, NULL, 0)
		       + 1;
	}
	char *text = malloc(len + 1);
	if (!text) {
		rk_diag_at(r->d, mark_of(list), "out of memory");
		return NULL;
	}
	text[0] = '[';
	for (i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top; i++) {
		yaml_node_t *n = node(r, *i);
		if (at > 1)
			text[at++] = ',';
		at += codec_write_string(scalar(n), n->data.scalar.length,
					 text + at, len - at);
	}
	text[at++] = ']';
	text[at] = '\0';
	return text;
}

static void kernel_param(struct reader *r, const yaml_node_t *key,
			 const char *name, yaml_node_t *value, void *arg)
{
	rk_topo_kernel *k = arg;
	const char *v = scalar(value);
	char *list = NULL;

	if (!v && value->type == YAML_SEQUENCE_NODE
	    && !(v = list = list_param(r, name, value)))
		return;
	if (!v) {
		rk_diag_at(r->d, mark_of(value), "parameter '%s' must be a "
			   "scalar or a list, not %s", name, kind_of(value));
		return;
	}
	if (!rk_topo_add_param(k, name, v, mark_of(value)))
		rk_diag_at(r->d, mark_of(key), "out of memory");
	free(list);
}

static void kernel_key(struct reader *r, const yaml_node_t *key,
		       const char *name, yaml_node_t *v, void *arg)
{
	rk_topo_kernel *k = arg;
	int e;

	if (strcmp(name, "kernel") == 0) {
		const char *s = want_string(r, v, "kernel");
		if (s && no_control(r, v, "kernel", s)) {
			free(k->spec);
			k->spec = strdup(s);
			k->spec_at = mark_of(v);
		}
	} else if (strcmp(name, "params") == 0) {
		if (!is_null(v))
			each_pair(r, v, "params", kernel_param, k);
	} else if (strcmp(name, "queue_size") == 0) {
		want_uint(r, v, "queue_size", MAX_QUEUE, &k->queue_size);
	} else if (strcmp(name, "backpressure") == 0) {
		if (want_enum(r, v, "backpressure", policies, 4, &e))
			k->backpressure = e;
	} else if (strcmp(name, "replicas") == 0) {
		if (want_uint(r, v, "replicas", MAX_REPLICAS, &k->replicas))
			k->replicas_at = mark_of(v);
	} else if (strcmp(name, "backend") == 0) {
		if (want_enum(r, v, "backend", backends, 3, &e))
			k->backend = e;
	} else if (strcmp(name, "rank") == 0) {
		if (want_rank(r, v, &k->rank))
			k->rank_at = mark_of(v);
	} else {
		rk_diag_at(r->d, mark_of(key), "unknown key '%s' in kernel '%s' "
			   "(expected kernel, params, queue_size, backpressure, "
			   "replicas, backend or rank)", name, k->id);
	}
}

/* Kernel ids are names on command lines: the runtime's rules. */
static bool valid_id(const char *id)
{
	return strlen(id) <= 64 && id[0] != '-' && rk_plain_name(id, "");
}

static void kernel_entry(struct reader *r, const yaml_node_t *key,
			 const char *id, yaml_node_t *v, void *arg)
{
	char shown[80];

	if (!no_control(r, key, "kernel id", id))
		return;
	if (!valid_id(id) || strcmp(id, "stdin") == 0
	    || strcmp(id, "stdout") == 0) {
		rk_diag_at(r->d, mark_of(key), "'%s' cannot name a kernel: use "
			   "up to 64 letters, digits, '_', '-' or '.' (stdin "
			   "and stdout are the ends)",
			   rk_escape(shown, sizeof(shown), id, strlen(id)));
		return;
	}
	rk_topo_kernel *k = rk_topo_add_kernel(r->t, id, mark_of(key));
	if (!k) {
		rk_diag_at(r->d, mark_of(key), "out of memory");
		return;
	}
	if (!is_null(v))
		each_pair(r, v, "a kernel", kernel_key, k);
}

static void add_edge(struct reader *r, const char *from, const char *to,
		     rk_mark at, rk_mark from_at, rk_mark to_at)
{
	rk_topo_edge *e = rk_topo_add_edge(r->t, from, to, at);

	if (!e) {
		rk_diag_at(r->d, at, "out of memory");
		return;
	}
	e->from_at = from_at;
	e->to_at = to_at;
}

static void read_pipeline(struct reader *r, yaml_node_t *list)
{
	if (list->type != YAML_SEQUENCE_NODE) {
		rk_diag_at(r->d, mark_of(list), "pipeline must be a list of "
			   "kernels, not %s", kind_of(list));
		return;
	}
	const char *prev = "stdin";
	rk_mark prev_at = mark_of(list);
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top && !r->too_big; i++) {
		yaml_node_t *n = node(r, *i);
		const char *id = want_id(r, n, "a pipeline entry");
		if (!id)
			return;
		add_edge(r, prev, id, mark_of(n), prev_at, mark_of(n));
		prev = id;
		prev_at = mark_of(n);
	}
	if (list->data.sequence.items.start == list->data.sequence.items.top)
		rk_diag_at(r->d, mark_of(list), "pipeline is empty");
	else
		add_edge(r, prev, "stdout", prev_at, prev_at, prev_at);
}

struct edge_read {
	const char *from, *to;
	rk_mark from_at, to_at;
};

static void edge_key(struct reader *r, const yaml_node_t *key,
		     const char *name, yaml_node_t *v, void *arg)
{
	struct edge_read *e = arg;

	if (strcmp(name, "from") == 0) {
		e->from = want_id(r, v, "from");
		e->from_at = mark_of(v);
	} else if (strcmp(name, "to") == 0) {
		e->to = want_id(r, v, "to");
		e->to_at = mark_of(v);
	} else {
		rk_diag_at(r->d, mark_of(key), "unknown key '%s' in an edge "
			   "(expected from and to)", name);
	}
}

static void read_edges(struct reader *r, yaml_node_t *list)
{
	if (list->type != YAML_SEQUENCE_NODE) {
		rk_diag_at(r->d, mark_of(list), "edges must be a list of "
			   "{from, to}, not %s", kind_of(list));
		return;
	}
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top && !r->too_big; i++) {
		yaml_node_t *n = node(r, *i);
		struct edge_read e = { NULL, NULL, { 0, 0 }, { 0, 0 } };
		if (!each_pair(r, n, "an edge", edge_key, &e))
			continue;
		if (!e.from || !e.to) {
			if (!e.from_at.line || !e.to_at.line)
				rk_diag_at(r->d, mark_of(n), "an edge needs "
					   "both from and to");
			continue;
		}
		add_edge(r, e.from, e.to, mark_of(n), e.from_at, e.to_at);
	}
	if (list->data.sequence.items.start == list->data.sequence.items.top)
		rk_diag_at(r->d, mark_of(list), "edges is empty");
}

struct top_read {
	yaml_node_t *pipeline, *edges, *kernels;
};

static void top_key(struct reader *r, const yaml_node_t *key,
		    const char *name, yaml_node_t *v, void *arg)
{
	struct top_read *top = arg;
	rk_topology *t = r->t;
	int e;

	if (strcmp(name, "name") == 0) {
		const char *s = want_string(r, v, "name");
		if (s) {
			free(t->name);
			t->name = strdup(s);
		}
	} else if (strcmp(name, "backend") == 0) {
		if (want_enum(r, v, "backend", backends, 3, &e))
			t->backend = e;
	} else if (strcmp(name, "queue_size") == 0) {
		want_uint(r, v, "queue_size", MAX_QUEUE, &t->queue_size);
	} else if (strcmp(name, "telemetry") == 0) {
		want_bool(r, v, "telemetry", &t->telemetry);
	} else if (strcmp(name, "unknown_fields") == 0) {
		if (want_enum(r, v, "unknown_fields", unknown_fields, 2, &e))
			t->unknown_fields = e;
	} else if (strcmp(name, "kernels") == 0) {
		top->kernels = v;
	} else if (strcmp(name, "pipeline") == 0) {
		top->pipeline = v;
	} else if (strcmp(name, "edges") == 0) {
		top->edges = v;
	} else {
		rk_diag_at(r->d, mark_of(key), "unknown key '%s' (expected "
			   "name, backend, queue_size, telemetry, "
			   "unknown_fields, kernels, pipeline or edges)", name);
	}
}

static void read_document(struct reader *r)
{
	yaml_node_t *root = yaml_document_get_root_node(r->doc);
	struct top_read top = { NULL, NULL, NULL };

	if (!root) {
		rk_diag_at(r->d, (rk_mark){ 1, 1 }, "the file is empty");
		return;
	}
	if (!each_pair(r, root, "a topology", top_key, &top))
		return;
	if (!top.kernels)
		rk_diag_at(r->d, mark_of(root), "no kernels: a topology needs "
			   "a kernels mapping");
	else if (!is_null(top.kernels))
		each_pair(r, top.kernels, "kernels", kernel_entry, NULL);
	else
		rk_diag_at(r->d, mark_of(top.kernels), "kernels is empty");
	if (top.pipeline && top.edges)
		rk_diag_at(r->d, mark_of(top.edges), "give either pipeline or "
			   "edges, not both");
	else if (top.pipeline)
		read_pipeline(r, top.pipeline);
	else if (top.edges)
		read_edges(r, top.edges);
	else
		rk_diag_at(r->d, mark_of(root), "no pipeline or edges: say how "
			   "the kernels are wired");
}

static rk_mark event_mark(const yaml_event_t *e)
{
	return (rk_mark){ (unsigned)e->start_mark.line + 1,
			  (unsigned)e->start_mark.column + 1 };
}

#define CORE_TAG "tag:yaml.org,2002:"

/* What the document model would hide: a tag, which asks for a type (a
 * Python object, say) that is never made, and a NUL in a string, where
 * the C string we read would end. */
static void refuse_hidden(rk_diag *d, const yaml_event_t *e)
{
	const char *tag = NULL;
	char shown[80];

	if (e->type == YAML_SCALAR_EVENT) {
		const char *s = (const char *)e->data.scalar.value;
		size_t len = e->data.scalar.length;
		tag = (const char *)e->data.scalar.tag;
		if (strlen(s) != len)
			rk_diag_at(d, event_mark(e), "'%s' holds a NUL character",
				   rk_escape(shown, sizeof(shown), s, len));
	} else if (e->type == YAML_SEQUENCE_START_EVENT) {
		tag = (const char *)e->data.sequence_start.tag;
	} else if (e->type == YAML_MAPPING_START_EVENT) {
		tag = (const char *)e->data.mapping_start.tag;
	}
	if (!tag)
		return;         /* none written: libyaml says NULL */
	/* As it was written: !!str, not tag:yaml.org,2002:str. */
	bool core = strncmp(tag, CORE_TAG, strlen(CORE_TAG)) == 0;
	if (core)
		tag += strlen(CORE_TAG);
	rk_diag_at(d, event_mark(e), "a YAML tag (%s%s) is not allowed",
		   core ? "!!" : "", rk_escape(shown, sizeof(shown), tag,
						strlen(tag)));
}

/* libyaml builds the whole document in memory: refuse deep nesting
 * first, with the cheaper event parser, and what loading would hide:
 * tags, NULs, and a second document (only the first is loaded). */
static bool check_events(const char *text, size_t len, rk_diag *d)
{
	yaml_parser_t p;
	yaml_event_t e;
	int depth = 0, documents = 0;
	size_t before = d->count;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &e)) {
			rk_diag_at(d, (rk_mark){ (unsigned)p.problem_mark.line + 1,
						 (unsigned)p.problem_mark.column + 1 },
				   "%s%s%s", p.problem ? p.problem : "bad YAML",
				   p.context ? " " : "",
				   p.context ? p.context : "");
			break;
		}
		refuse_hidden(d, &e);
		if (e.type == YAML_SEQUENCE_START_EVENT
		    || e.type == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_DEPTH) {
				rk_diag_at(d, event_mark(&e),
					   "nested more than %d deep", MAX_DEPTH);
				done = true;
			}
		} else if (e.type == YAML_SEQUENCE_END_EVENT
			   || e.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (e.type == YAML_DOCUMENT_START_EVENT
			   && ++documents > 1) {
			rk_diag_at(d, event_mark(&e), "a second YAML document: "
				   "a topology is one document");
			done = true;
		} else if (e.type == YAML_STREAM_END_EVENT) {
			done = true;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	return d->count == before;
}

rk_error rk_topology_parse(const char *text, size_t len, const char *name,
			   rk_diag_fn fn, void *arg, rk_topology **out)
{
	rk_topology *t = rk_topo_new(name ? name : "<topology>");
	rk_diag d = { fn, arg, t ? t->file : "<topology>", 0, NULL, 0 };
	yaml_parser_t parser;
	yaml_document_t doc;

	*out = NULL;
	if (!t)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (len > MAX_FILE) {
		rk_diag_at(&d, (rk_mark){ 0, 0 }, "the file is over %u bytes",
			   MAX_FILE);
	} else if (check_events(text, len, &d)) {
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_string(&parser, (const unsigned char *)text,
					     len);
		if (!yaml_parser_load(&parser, &doc)) {
			rk_diag_at(&d, (rk_mark){
				(unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1 },
				"%s", parser.problem ? parser.problem : "bad YAML");
		} else {
			struct reader r = { .t = t, .d = &d, .doc = &doc };
			read_document(&r);
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&parser);
	}
	rk_diag_flush(&d);
	if (d.count) {
		/* The message first: d.file is the topology's. */
		rk_error rc = rk_fail(RK_ECONFIG, "%s: %zu problem%s", d.file,
				      d.count, d.count == 1 ? "" : "s");
		rk_topology_free(t);
		return rc;
	}
	*out = t;
	return RK_OK;
}

rk_error rk_topology_load(const char *path, rk_diag_fn fn, void *arg,
			  rk_topology **out)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len;

	*out = NULL;
	if (!f) {
		rk_error rc = rk_fail(RK_ECONFIG, "%s: %s", path, strerror(errno));
		if (fn)
			fn(arg, path, strerror(errno));
		return rc;
	}
	text = malloc(MAX_FILE + 1);
	len = text ? fread(text, 1, MAX_FILE + 1, f) : 0;
	fclose(f);
	if (!text)
		return rk_fail(RK_ENOMEM, "out of memory");
	rk_error rc = rk_topology_parse(text, len, path, fn, arg, out);
	free(text);
	/* Where its relative paths start (a kernel's "path" parameters). */
	char *copy = strdup(path), *abs = copy ? realpath(dirname(copy), NULL)
					       : NULL;
	free(copy);
	if (rc == RK_OK && !abs) {
		rk_topology_free(*out);
		*out = NULL;
		return rk_fail(RK_ENOMEM, "%s: %s", path, strerror(errno));
	}
	if (rc == RK_OK)
		(*out)->dir = abs;
	else
		free(abs);
	return rc;
}
