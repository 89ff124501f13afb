/* jsonl-reader.c - JSON lines in: pieces of text cut into lines,
 * decoded per target type, gathered in batches and delivered.
 *
 * Push mode, so that whoever has the text (a file read in blocks, a
 * client's STDIN frames in the server) hands it over as it comes.  A
 * line that lies wholly in a piece is decoded where it lies; only a
 * line cut by the end of a piece is copied, and no more of it than
 * tells that it is too long.  Decoded messages are copied into each
 * target's arena, so a piece can be reused once push returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>

#include "descriptor.h"
#include "rk-error.h"

#define DEFAULT_MAX_LINE (1u << 20)
#define MOST_MAX_LINE (1u << 30)
#define DEFAULT_BATCH 256
#define NO_TWIN ((size_t)-1)

struct jsonl_target {
	char *name;
	const rk_type *type;            /* NULL: raw bytes */
	size_t max_message;             /* 0: any */
	size_t twin;                    /* an earlier target of this type
					 * whose messages it shares, or
					 * NO_TWIN */
	char *arena;                    /* this batch's decoded messages */
	size_t used, cap;
	size_t *offsets;                /* into the arena, per message */
	size_t *lens;
	const void **msgs;              /* for deliver */
	uint64_t taken;                 /* messages it took in all */
};

struct rk_jsonl_reader {
	rk_jsonl_reader_options o;
	struct jsonl_target *targets;
	size_t n_targets;
	size_t gathered;                /* lines in this batch */
	char *source;
	uint64_t line;                  /* of the source, from 1 */
	/* A line cut by the end of a piece, kept up to max_line + 1 bytes
	 * (enough to know it is too long) with the codec's padding after. */
	char *cut;
	size_t cut_len, cut_cap;
	bool in_cut;
	rk_error failed;                /* the reading ended with this */
	char why[512];                  /* and this is why */
	uint64_t lines, skipped;
	char bad[512];
};

rk_error rk_jsonl_reader_new(const rk_jsonl_reader_options *given,
			     rk_jsonl_reader **out)
{
	rk_jsonl_reader_options o = RK_JSONL_READER_OPTIONS_INIT;
	rk_error rc;

	if (!out)
		return rk_fail(RK_EINVAL, "no place for the reader");
	*out = NULL;
	if (!given || (rc = rk_struct_adopt("rk_jsonl_reader_options",
					    RK_EINVAL, given->struct_size,
					    sizeof(o), given, &o,
					    sizeof(o))) != RK_OK)
		return given ? rc : rk_fail(RK_EINVAL, "no options");
	if (!o.deliver)
		return rk_fail(RK_EINVAL, "nothing to deliver the lines to");
	if (o.max_line == 0)
		o.max_line = DEFAULT_MAX_LINE;
	if (o.max_line > MOST_MAX_LINE)
		return rk_fail(RK_EINVAL, "a longest line of %zu bytes is over "
			       "%u", o.max_line, MOST_MAX_LINE);
	if (o.batch == 0)
		o.batch = DEFAULT_BATCH;
	rk_jsonl_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->source = strdup("<stdin>"))) {
		free(r);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	r->o = o;
	*out = r;
	return RK_OK;
}

void rk_jsonl_reader_free(rk_jsonl_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_targets; i++) {
		struct jsonl_target *t = &r->targets[i];
		free(t->name);
		free(t->arena);
		free(t->offsets);
		free(t->lens);
		free(t->msgs);
	}
	free(r->targets);
	free(r->source);
	free(r->cut);
	free(r);
}

rk_error rk_jsonl_reader_target(rk_jsonl_reader *r, const char *name,
				const rk_type *type, size_t max_message)
{
	if (!r || !name)
		return rk_fail(RK_EINVAL, "no reader or no target name");
	if (r->lines)
		return rk_fail(RK_EINVAL, "targets come before the lines");
	struct jsonl_target *ts = realloc(r->targets,
					  (r->n_targets + 1) * sizeof(*ts));
	if (!ts)
		return rk_fail(RK_ENOMEM, "out of memory");
	r->targets = ts;
	struct jsonl_target *t = &ts[r->n_targets];
	*t = (struct jsonl_target){ .type = type, .max_message = max_message,
				    .twin = NO_TWIN };
	/* A twin shares the decoded messages, so its limit must be the
	 * same: only then is what fits one known to fit the other. */
	for (size_t i = 0; i < r->n_targets && t->twin == NO_TWIN; i++)
		if (ts[i].type == type && ts[i].twin == NO_TWIN
		    && ts[i].max_message == max_message)
			t->twin = i;
	t->name = strdup(name);
	t->offsets = calloc(r->o.batch, sizeof(*t->offsets));
	t->lens = calloc(r->o.batch, sizeof(*t->lens));
	t->msgs = calloc(r->o.batch, sizeof(*t->msgs));
	if (!t->name || !t->offsets || !t->lens || !t->msgs) {
		free(t->name);
		free(t->offsets);
		free(t->lens);
		free(t->msgs);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	r->n_targets++;
	return RK_OK;
}

void rk_jsonl_reader_source(rk_jsonl_reader *r, const char *name)
{
	char *copy = strdup(name ? name : "<stdin>");

	if (!copy)
		return;         /* the old name stays: only messages suffer */
	free(r->source);
	r->source = copy;
	r->line = 0;
	r->in_cut = false;
	r->cut_len = 0;
}

void rk_jsonl_reader_account(const rk_jsonl_reader *r, rk_jsonl_account *a)
{
	uint64_t delivered = r->n_targets ? UINT64_MAX : 0;

	for (size_t i = 0; i < r->n_targets; i++)
		if (r->targets[i].taken < delivered)
			delivered = r->targets[i].taken;
	memset(a, 0, sizeof(*a));
	a->lines = r->lines;
	a->delivered = delivered;
	a->skipped = r->skipped;
	a->partial = r->in_cut;
	memcpy(a->bad, r->bad, sizeof(a->bad));
}

/* ---- delivering ---------------------------------------------------- */

/* The reading ends here: every later call says so. */
static rk_error stop(rk_jsonl_reader *r, rk_error rc, const char *why)
{
	if (!r->failed) {
		r->failed = rc;
		snprintf(r->why, sizeof(r->why), "%s", why);
	}
	return rk_fail(r->failed, "%s", r->why);
}

/* Every target's batch handed on (all are tried, the first failure is
 * returned); then the arenas are free again. */
rk_error rk_jsonl_reader_flush(rk_jsonl_reader *r)
{
	rk_error first = RK_OK;
	char why[512] = "";

	if (r->failed)
		return rk_fail(r->failed, "%s", r->why);
	for (size_t i = 0; i < r->n_targets && r->gathered; i++) {
		struct jsonl_target *t = &r->targets[i];
		const struct jsonl_target *owner = t->twin == NO_TWIN ? t
					   : &r->targets[t->twin];
		size_t taken = 0;
		for (size_t j = 0; j < r->gathered; j++)
			t->msgs[j] = owner->arena + t->offsets[j];
		rk_error rc = r->o.deliver(r->o.deliver_arg, i, t->msgs,
					   t->lens, r->gathered, &taken);
		t->taken += taken < r->gathered ? taken : r->gathered;
		if (rc != RK_OK && first == RK_OK) {
			first = rc;
			snprintf(why, sizeof(why), "%s", rk_errmsg());
		}
	}
	r->gathered = 0;
	for (size_t i = 0; i < r->n_targets; i++)
		r->targets[i].used = 0;
	if (first != RK_OK)
		return stop(r, first, why);
	return RK_OK;
}

/* ---- lines --------------------------------------------------------- */

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* A bad line: counted and passed over (skip), or the reading ends with
 * what came before it delivered. */
static rk_error bad_line(rk_jsonl_reader *r, const char *why)
{
	snprintf(r->bad, sizeof(r->bad), "%s:%llu: %s", r->source,
		 (unsigned long long)r->line, why);
	if (r->o.on_bad_line)
		r->o.on_bad_line(r->o.on_bad_line_arg, r->bad);
	if (r->o.skip) {
		r->skipped++;
		return RK_OK;
	}
	rk_error rc = rk_jsonl_reader_flush(r);
	return rc != RK_OK ? rc : stop(r, RK_ESCHEMA, r->bad);
}

static bool typed(const rk_type *type)
{
	return type && type->fields;
}

/* Decode the line for a target into the end of its arena. */
static rk_error decode_for(struct jsonl_target *t, unsigned flags,
			   const char *line, size_t len, size_t readable,
			   size_t *got, char *why, size_t why_size)
{
	size_t need = typed(t->type) ? t->type->size : len;

	if (t->max_message && need > t->max_message) {
		snprintf(why, why_size, "a message of %zu bytes is over "
			 "%s's limit of %zu", need, t->name, t->max_message);
		return RK_ESCHEMA;
	}
	if (t->used + need > t->cap) {
		size_t cap = 2 * (t->used + need);
		char *a = realloc(t->arena, cap);
		if (!a) {
			snprintf(why, why_size, "out of memory");
			return RK_ENOMEM;
		}
		t->arena = a;
		t->cap = cap;
	}
	if (!t->type) {
		memcpy(t->arena + t->used, line, len);  /* raw bytes */
		*got = len;
		return RK_OK;
	}
	rk_error rc = rk_json_decode_flags(t->type, line, len, readable, flags,
					   t->arena + t->used, t->cap - t->used,
					   got);
	if (rc != RK_OK)
		snprintf(why, why_size, "%s", rk_errmsg());
	return rc;
}

/* One whole line: decoded for every target (once per type), then the
 * batch goes when full. */
static rk_error take_line(rk_jsonl_reader *r, const char *line, size_t len,
			  size_t readable)
{
	char why[256];
	size_t g = r->gathered;

	r->line++;
	r->lines++;
	if (blank(line, len))
		return RK_OK;
	if (len > r->o.max_line) {
		snprintf(why, sizeof(why), "line is longer than %zu bytes",
			 r->o.max_line);
		return bad_line(r, why);
	}
	if (!r->n_targets)
		return stop(r, RK_EINVAL, "the reader has no target");
	for (size_t i = 0; i < r->n_targets; i++) {
		struct jsonl_target *t = &r->targets[i];
		size_t got;
		if (t->twin != NO_TWIN)
			continue;
		rk_error rc = decode_for(t, r->o.json_flags, line, len,
					 readable, &got, why, sizeof(why));
		if (rc == RK_ENOMEM)
			return stop(r, rc, why);
		if (rc != RK_OK)
			return bad_line(r, why);        /* arenas unmoved */
		t->offsets[g] = t->used;
		t->lens[g] = got;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		struct jsonl_target *t = &r->targets[i];
		if (t->twin != NO_TWIN) {
			t->offsets[g] = r->targets[t->twin].offsets[g];
			t->lens[g] = r->targets[t->twin].lens[g];
		} else {
			t->used += t->lens[g];
		}
	}
	return ++r->gathered < r->o.batch ? RK_OK : rk_jsonl_reader_flush(r);
}

/* Keep more of a cut line, up to one byte past the longest. */
static rk_error keep_cut(rk_jsonl_reader *r, const char *p, size_t n)
{
	size_t room = r->cut_len > r->o.max_line ? 0
		      : r->o.max_line + 1 - r->cut_len;
	size_t keep = n < room ? n : room;

	if (r->cut_len + keep + RK_JSON_PADDING > r->cut_cap) {
		size_t cap = 2 * (r->cut_len + keep) + RK_JSON_PADDING;
		char *c = realloc(r->cut, cap);
		if (!c)
			return stop(r, RK_ENOMEM, "out of memory");
		r->cut = c;
		r->cut_cap = cap;
	}
	memcpy(r->cut + r->cut_len, p, keep);
	r->cut_len += keep;
	memset(r->cut + r->cut_len, 0, RK_JSON_PADDING);
	r->in_cut = true;
	return RK_OK;
}

static rk_error take_cut(rk_jsonl_reader *r)
{
	r->in_cut = false;
	size_t len = r->cut_len;
	r->cut_len = 0;
	return take_line(r, r->cut, len, r->cut_cap);
}

rk_error rk_jsonl_reader_push(rk_jsonl_reader *r, const char *data,
			      size_t len, size_t readable)
{
	const char *p = data, *end = data + len;
	rk_error rc = RK_OK;

	if (r->failed)
		return rk_fail(r->failed, "%s", r->why);
	if (len && !data)
		return rk_fail(RK_EINVAL, "no text");
	if (readable < len)
		readable = len;
	while (rc == RK_OK && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (r->in_cut || !nl) {
			if ((rc = keep_cut(r, p, n)) != RK_OK || !nl)
				break;
			rc = take_cut(r);
		} else {
			rc = take_line(r, p, n, readable - (size_t)(p - data));
		}
		p += n + 1;
	}
	return rc;
}

rk_error rk_jsonl_reader_end(rk_jsonl_reader *r)
{
	rk_error rc = RK_OK;

	if (r->failed)
		return rk_fail(r->failed, "%s", r->why);
	if (r->in_cut && (rc = take_cut(r)) != RK_OK)
		return rc;
	return rk_jsonl_reader_flush(r);
}
