/* jsonl-writer.c - JSON lines out: messages encoded by their type as
 * compact JSON lines, optionally inside their envelope, gathered in one
 * buffer and written in large pieces.
 *
 * rk_jsonl_writer_take has the shape of an rk_receive_fn, so a receive
 * hands messages straight from the queue to the encoder; it does no
 * I/O unless the buffer is full and a `write` was given.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>

#include "descriptor.h"
#include "rk-error.h"

#define DEFAULT_FLUSH_AT (1u << 20)
/* {"message_id":N,"correlation_id":N,"priority":N,"enqueue_ns":N,
 * "message":...}: three 20-digit numbers, one of 3, the keys, '}' and
 * the newline fit easily. */
#define ENVELOPE_ROOM 160

struct rk_jsonl_writer {
	rk_jsonl_writer_options o;
	const rk_type *type;            /* NULL or json: the bytes as they are */
	size_t max_encoded;             /* a typed message's longest JSON */
	char *buf;
	size_t len, cap;
	uint64_t lines;
};

rk_error rk_jsonl_writer_new(const rk_type *type,
			     const rk_jsonl_writer_options *given,
			     rk_jsonl_writer **out)
{
	rk_jsonl_writer_options o = RK_JSONL_WRITER_OPTIONS_INIT;
	rk_error rc;

	if (!out)
		return rk_fail(RK_EINVAL, "no place for the writer");
	*out = NULL;
	if (given && (rc = rk_struct_adopt("rk_jsonl_writer_options",
					   RK_EINVAL, given->struct_size,
					   sizeof(o), given, &o,
					   sizeof(o))) != RK_OK)
		return rc;
	if (o.flush_at == 0)
		o.flush_at = DEFAULT_FLUSH_AT;
	rk_jsonl_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return rk_fail(RK_ENOMEM, "out of memory");
	w->o = o;
	w->type = type && type->fields ? type : NULL;
	w->max_encoded = w->type ? rk_json_max_encoded(w->type) : 0;
	*out = w;
	return RK_OK;
}

void rk_jsonl_writer_free(rk_jsonl_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

rk_error rk_jsonl_writer_flush(rk_jsonl_writer *w)
{
	if (!w->o.write)
		return rk_fail(RK_EINVAL, "the writer has nowhere to write");
	if (w->len && w->o.write(w->o.write_arg, w->buf, w->len) != 0) {
		w->len = 0;
		return rk_fail(RK_EINVAL, "the JSON lines could not be written");
	}
	w->len = 0;
	return RK_OK;
}

const char *rk_jsonl_writer_text(const rk_jsonl_writer *w, size_t *len)
{
	*len = w->len;
	return w->buf;
}

void rk_jsonl_writer_clear(rk_jsonl_writer *w)
{
	w->len = 0;
}

uint64_t rk_jsonl_writer_lines(const rk_jsonl_writer *w)
{
	return w->lines;
}

static void append(rk_jsonl_writer *w, const void *s, size_t n)
{
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

int rk_jsonl_writer_take(void *arg, const rk_envelope *env, const void *data,
			 size_t len)
{
	rk_jsonl_writer *w = arg;
	size_t body = w->type ? w->max_encoded : len;
	size_t need = body + (w->o.envelope ? ENVELOPE_ROOM : 0) + 1;

	if (w->len && w->len + need > w->o.flush_at) {
		/* Full: written now, or the round ends here. */
		if (!w->o.write || rk_jsonl_writer_flush(w) != RK_OK)
			return 1;
	}
	if (w->len + need > w->cap) {
		size_t cap = w->len + need > w->o.flush_at ? w->len + need
			     : w->o.flush_at;
		char *b = realloc(w->buf, cap);
		if (!b)
			return 1;       /* stays queued */
		w->buf = b;
		w->cap = cap;
	}
	size_t start = w->len;
	if (w->o.envelope)
		w->len += (size_t)snprintf(w->buf + w->len, ENVELOPE_ROOM,
					   "{\"message_id\":%llu,"
					   "\"correlation_id\":%llu,"
					   "\"priority\":%u,\"enqueue_ns\":%llu,"
					   "\"message\":",
					   (unsigned long long)env->message_id,
					   (unsigned long long)env->correlation_id,
					   env->priority,
					   (unsigned long long)env->enqueue_ns);
	if (w->type) {
		size_t n;
		if (rk_json_encode(w->type, data, len, w->buf + w->len,
				   w->max_encoded, &n) != RK_OK) {
			w->len = start; /* cannot be: the room is the most */
			return 1;
		}
		w->len += n;
	} else {
		append(w, data, len);
	}
	if (w->o.envelope)
		append(w, "}", 1);
	append(w, "\n", 1);
	w->lines++;
	return 0;
}
