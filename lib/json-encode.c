/* json-encode.c - messages to compact JSON text: rk_json_encode and
 * rk_json_max_encoded.  No allocation: the caller's buffer or nothing,
 * and the size it would have taken. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "rk-error.h"
#include "types.h"

/* Compact JSON into a buffer that may be too small: past its end the
 * writer only counts, so the caller learns the size it needs. */
struct writer {
	char *p;
	char *end;
	size_t n;                       /* bytes produced, written or not */
};

static inline void put(struct writer *w, const char *s, size_t n)
{
	if (n && n <= (size_t)(w->end - w->p)) {
		memcpy(w->p, s, n);
		w->p += n;
	} else if (n) {
		w->p = w->end;  /* full: count only, from here on */
	}
	w->n += n;
}

static inline void put_char(struct writer *w, char c)
{
	if (w->p < w->end)
		*w->p++ = c;
	w->n++;
}

/* The escape of a byte that JSON strings cannot hold as it is: the
 * short forms where JSON has them, else \u00XX. */
static size_t escape(char *esc, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	esc[0] = '\\';
	switch (c) {
	case '"': esc[1] = '"'; return 2;
	case '\\': esc[1] = '\\'; return 2;
	case '\b': esc[1] = 'b'; return 2;
	case '\f': esc[1] = 'f'; return 2;
	case '\n': esc[1] = 'n'; return 2;
	case '\r': esc[1] = 'r'; return 2;
	case '\t': esc[1] = 't'; return 2;
	}
	memcpy(esc + 1, "u00", 3);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 15];
	return 6;
}

static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

/* A JSON string of n bytes.  Where even six bytes for each fit, it is
 * written byte by byte with no checks: field names and short strings
 * are too short for memcpy calls to pay. */
static void put_string(struct writer *w, const char *s, size_t n)
{
	if ((size_t)(w->end - w->p) / 6 > n) {
		char *p = w->p;
		*p++ = '"';
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (plain(c))
				*p++ = (char)c;
			else
				p += escape(p, c);
		}
		*p++ = '"';
		w->n += (size_t)(p - w->p);
		w->p = p;
		return;
	}
	size_t run = 0;
	put_char(w, '"');
	for (size_t i = 0; i < n; i++) {
		char esc[6];
		if (plain((unsigned char)s[i]))
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		put(w, esc, escape(esc, (unsigned char)s[i]));
	}
	put(w, s + run, n - run);
	put_char(w, '"');
}

size_t codec_write_string(const char *s, size_t n, char *out, size_t cap)
{
	struct writer w = { out, out + cap, 0 };

	put_string(&w, s, n);
	return w.n;
}

/* Straight into the output where the longest text fits, else through a
 * buffer so that the writer can count what did not fit. */
static void put_number(struct writer *w, rk_kind kind, const char *src)
{
	char buf[CODEC_NUMBER_ROOM];

	if (w->end - w->p >= (ptrdiff_t)sizeof(buf)) {
		char *e = codec_write_number(kind, src, w->p);
		w->n += (size_t)(e - w->p);
		w->p = e;
		return;
	}
	put(w, buf, (size_t)(codec_write_number(kind, src, buf) - buf));
}

static void put_element(struct writer *w, rk_kind kind, const char *src)
{
	switch (kind) {
	case RK_KIND_BOOL:
		if (*src)
			put(w, "true", 4);
		else
			put(w, "false", 5);
		break;
	case RK_KIND_STRING:
		break;
	default:
		put_number(w, kind, src);
		break;
	}
}

/* A string field's bytes go out as they are, so they must be UTF-8:
 * output lines are UTF-8 JSON, and a kernel's bad string is an error
 * rather than a line nobody can parse. */
static rk_error encode_field(struct writer *w, const rk_field *f,
			     const char *msg)
{
	const char *src = msg + f->offset;
	size_t size = rk_kind_size(f->kind);
	uint32_t n = f->count;

	if (!codec_kind_valid(f->kind))
		return rk_fail(RK_EINVAL, "field '%s': unknown kind %d",
			       f->name, (int)f->kind);
	if (f->kind == RK_KIND_STRING) {
		size_t len = strnlen(src, f->count);
		if (!codec_valid_utf8(src, len))
			return rk_fail(RK_ESCHEMA, "field '%s': invalid UTF-8",
				       f->name);
		put_string(w, src, len);
		return RK_OK;
	}
	if (n == 0) {
		put_element(w, f->kind, src);
		return RK_OK;
	}
	if (f->length_offset >= 0) {
		uint32_t used;
		memcpy(&used, msg + f->length_offset, sizeof(used));
		if (used < n)
			n = used;
	}
	put_char(w, '[');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put_char(w, ',');
		put_element(w, f->kind, src + i * size);
	}
	put_char(w, ']');
	return RK_OK;
}

rk_error rk_json_encode(const rk_type *type, const void *msg, size_t len,
			char *out, size_t cap, size_t *out_len)
{
	struct writer w = { out, out + (out ? cap : 0), 0 };

	*out_len = 0;
	if (!type || (!msg && len))
		return rk_fail(RK_EINVAL, "no message type or no message");
	if (!type->fields) {
		put(&w, (const char *)msg, len);
	} else {
		if (len < type->size)
			return rk_fail(RK_ESCHEMA, "message of %zu bytes is "
				       "shorter than its type (%u bytes)",
				       len, type->size);
		put_char(&w, '{');
		for (uint32_t i = 0; i < type->n_fields; i++) {
			const rk_field *f = &type->fields[i];
			if (i)
				put_char(&w, ',');
			put_string(&w, f->name, strlen(f->name));
			put_char(&w, ':');
			rk_error rc = encode_field(&w, f, (const char *)msg);
			if (rc)
				return rc;
		}
		put_char(&w, '}');
	}
	*out_len = w.n;
	if (w.n > (out ? cap : 0))
		return rk_fail(RK_ESCHEMA, "JSON text of %zu bytes exceeds "
			       "the %zu-byte buffer", w.n, cap);
	return RK_OK;
}

/* The longest text of one value of a kind: "-9223372036854775808",
 * "-1.1754944e-38" (at most 9 digits, a sign, a point and e-45),
 * "-2.2250738585072014e-308". */
static size_t kind_max_text(rk_kind kind)
{
	switch (kind) {
	case RK_KIND_BOOL: return 5;
	case RK_KIND_I8: return 4;
	case RK_KIND_I16: return 6;
	case RK_KIND_I32: return 11;
	case RK_KIND_I64: return 20;
	case RK_KIND_U8: return 3;
	case RK_KIND_U16: return 5;
	case RK_KIND_U32: return 10;
	case RK_KIND_U64: return 20;
	case RK_KIND_F32: return 16;
	case RK_KIND_F64: return 25;
	case RK_KIND_STRING: return 0;
	}
	return 0;
}

/* Every byte of a string may become \u00XX: six bytes. */
size_t rk_json_max_encoded(const rk_type *type)
{
	size_t n = 2;

	if (!type || !type->fields)
		return 0;
	for (uint32_t i = 0; i < type->n_fields; i++) {
		const rk_field *f = &type->fields[i];
		n += (i > 0) + 2 + 6 * strlen(f->name) + 1;
		if (f->kind == RK_KIND_STRING)
			n += 2 + 6 * (size_t)f->count;
		else if (f->count > 0)
			n += 2 + (size_t)f->count
				* (kind_max_text(f->kind) + 1);
		else
			n += kind_max_text(f->kind);
	}
	return n;
}
