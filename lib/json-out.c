/* json-out.c - a JSON object written into a caller's buffer, for json
 * kernels (ringkernel-common.h, rk_json_out).  It counts what it would
 * write past the buffer, so that rk_json_end can say how much was
 * needed; nothing is ever written past cap. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "rk-error.h"

static void put(rk_json_out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_char(rk_json_out *o, char c)
{
	put(o, &c, 1);
}

/* A string, quoted: '"', '\\' and control characters escaped; other
 * bytes as they are (what is not UTF-8 fails the check at emit). */
static void put_string(rk_json_out *o, const char *s)
{
	put_char(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c == '\n') {
			put(o, "\\n", 2);
		} else if (c == '\t') {
			put(o, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			put(o, esc, (size_t)snprintf(esc, sizeof(esc),
						     "\\u%04x", c));
		} else {
			put_char(o, (char)c);
		}
	}
	put_char(o, '"');
}

static void key(rk_json_out *o, const char *k)
{
	if (o->fields++)
		put_char(o, ',');
	put_string(o, k ? k : "");
	put_char(o, ':');
}

void rk_json_begin(rk_json_out *o, char *buf, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->cap = buf ? cap : 0;
	put_char(o, '{');
}

void rk_json_add_string(rk_json_out *o, const char *k, const char *value)
{
	key(o, k);
	if (value)
		put_string(o, value);
	else
		put(o, "null", 4);
}

/* A number of `kind` at src, as the codec writes numbers. */
static void add_number(rk_json_out *o, const char *k, rk_kind kind,
		       const void *src)
{
	char text[CODEC_NUMBER_ROOM];

	key(o, k);
	put(o, text, (size_t)(codec_write_number(kind, src, text) - text));
}

void rk_json_add_int(rk_json_out *o, const char *k, int64_t value)
{
	add_number(o, k, RK_KIND_I64, &value);
}

void rk_json_add_double(rk_json_out *o, const char *k, double value)
{
	add_number(o, k, RK_KIND_F64, &value);
}

void rk_json_add_bool(rk_json_out *o, const char *k, bool value)
{
	key(o, k);
	put(o, value ? "true" : "false", value ? 4 : 5);
}

void rk_json_add_null(rk_json_out *o, const char *k)
{
	key(o, k);
	put(o, "null", 4);
}

void rk_json_add_raw(rk_json_out *o, const char *k, const char *json,
		     size_t len)
{
	key(o, k);
	put(o, json, len);
}

rk_error rk_json_end(rk_json_out *o)
{
	put_char(o, '}');
	if (o->len > o->cap)
		return rk_fail(RK_ESCHEMA, "the JSON object needs %zu bytes, "
			       "the buffer has %zu", o->len, o->cap);
	return RK_OK;
}
