/* json-decode-flat.c - the decoder's fast path for flat objects.
 *
 * Most lines are small objects of numbers written by programs, such as
 * {"value": 42}.  For those one pass over the bytes decodes the message
 * with no parser set-up at all, about a fifth of simdjson's cost on
 * such short documents.  Anything else (strings, escapes, nesting,
 * bytes past ASCII, whatever is not plain JSON) is left to the full
 * decoder (json-decode-simdjson.cc), which decodes it from the start
 * and words the errors.  The fast path accepts only what the full
 * decoder accepts and stores the same bytes:
 * tests/unit/test-json-decode-flat.c checks the two against each other.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "types.h"

/* The end of the JSON number at p (RFC 8259), or NULL; *integral when
 * it has neither fraction nor exponent. */
static const char *scan_number(const char *p, const char *end,
			       bool *integral)
{
	*integral = true;
	if (p < end && *p == '-')
		p++;
	if (p == end || !codec_is_digit(*p))
		return NULL;
	if (*p++ != '0')
		while (p < end && codec_is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		*integral = false;
		if (++p == end || !codec_is_digit(*p))
			return NULL;
		while (p < end && codec_is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integral = false;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !codec_is_digit(*p))
			return NULL;
		while (p < end && codec_is_digit(*p))
			p++;
	}
	return p;
}

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end && codec_is_ws(*p))
		p++;
	return p;
}

/* After an item of a list: 1 on a ',' (another item follows), 0 past
 * the list's `close`, -1 on anything else; *p moves past either. */
static int next_item(const char **p, const char *end, char close)
{
	const char *q = skip_ws(*p, end);

	if (q < end && *q == ',') {
		*p = skip_ws(q + 1, end);
		return 1;
	}
	if (q < end && *q == close) {
		*p = q + 1;
		return 0;
	}
	return -1;
}

/* A value may end only where JSON lets something else begin. */
static inline bool at_delimiter(const char *p, const char *end)
{
	return p == end || codec_is_ws(*p) || *p == ',' || *p == '}'
	       || *p == ']';
}

/* An integer of up to 19 digits (never past 2^64) in one pass; the end
 * of its token, or NULL.  Longer ones, fractions and exponents are left
 * to the full decoder, which says what is wrong with them. */
static const char *fast_integer(rk_kind kind, const char *p, const char *end,
				char *dst)
{
	bool neg = *p == '-';
	uint64_t m;

	p += neg;
	if (p == end || !codec_is_digit(*p))
		return NULL;
	m = (uint64_t)(*p++ - '0');
	if (m == 0) {
		if (p < end && codec_is_digit(*p))
			return NULL;            /* a leading zero */
	} else {
		for (int digits = 1; p < end && codec_is_digit(*p); p++) {
			if (++digits > 19)
				return NULL;
			m = m * 10 + (uint64_t)(*p - '0');
		}
	}
	if (!at_delimiter(p, end) || !codec_store_integer(kind, neg, m, dst))
		return NULL;
	return p;
}

/* One number or bool of `kind` into dst; the end of its token, or NULL
 * to leave the message to the full decoder. */
static const char *fast_element(rk_kind kind, const char *p, const char *end,
				char *dst)
{
	if (kind == RK_KIND_BOOL) {
		if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			*dst = 1;
			p += 4;
		} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			*dst = 0;
			p += 5;
		} else {
			return NULL;
		}
		return at_delimiter(p, end) ? p : NULL;
	}
	if (kind != RK_KIND_F32 && kind != RK_KIND_F64)
		return fast_integer(kind, p, end, dst);
	bool integral;
	const char *e = scan_number(p, end, &integral);
	if (!e || !at_delimiter(e, end))
		return NULL;
	return codec_read_float(kind, p, e, dst) ? e : NULL;
}

/* The field named by the len bytes at key (no NUL among them), looked
 * for from hint on, as the full decoder does; -1 if none. */
static long fast_find_field(const rk_type *type, const char *key, size_t len,
			    uint32_t hint)
{
	uint32_t n = type->n_fields;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = hint + k < n ? hint + k : hint + k - n;
		const char *name = type->fields[i].name;
		size_t j = 0;
		while (j < len && name[j] == key[j])
			j++;
		if (j == len && name[j] == '\0')
			return i;
	}
	return -1;
}

/* An array of numbers (or bools) for field f. */
static const char *fast_array(const rk_field *f, const char *p,
			      const char *end, char *out)
{
	size_t size = rk_kind_size(f->kind);
	uint32_t n = 0;

	p = skip_ws(p + 1, end);                /* past '[' */
	if (p < end && *p == ']') {
		p++;
	} else {
		for (;;) {
			if (n == f->count)
				return NULL;    /* too many: the full decoder says so */
			p = fast_element(f->kind, p, end,
					 out + f->offset + n * size);
			if (!p)
				return NULL;
			n++;
			int more = next_item(&p, end, ']');
			if (more < 0)
				return NULL;
			if (!more)
				break;
		}
	}
	if (f->length_offset < 0)
		return n == f->count ? p : NULL;
	memcpy(out + f->length_offset, &n, sizeof(n));
	return p;
}

bool codec_decode_flat(const rk_type *type, const char *text, size_t len,
		       char *out)
{
	const char *p = text, *end = text + len;
	uint64_t seen = 0;
	uint32_t hint = 0;

	if (type->n_fields > 64)
		return false;
	memset(out, 0, type->size);
	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return false;
	p = skip_ws(p, end);
	if (p < end && *p == '}') {
		p++;
	} else {
		for (;;) {
			if (p == end || *p++ != '"')
				return false;
			const char *key = p;
			while (p < end && *p != '"') {
				unsigned char c = (unsigned char)*p++;
				if (c == '\\' || c < 0x20 || c >= 0x80)
					return false;
			}
			if (p == end)
				return false;
			long i = fast_find_field(type, key, (size_t)(p - key),
						 hint);
			p = skip_ws(p + 1, end);
			if (i < 0 || (seen & (1ull << i)) || p == end
			    || *p++ != ':')
				return false;
			seen |= 1ull << i;
			hint = (uint32_t)i + 1;
			const rk_field *f = &type->fields[i];
			p = skip_ws(p, end);
			if (p == end || f->kind == RK_KIND_STRING
			    || !codec_kind_valid(f->kind))
				return false;
			if (f->count > 0)
				p = *p == '[' ? fast_array(f, p, end, out) : NULL;
			else
				p = fast_element(f->kind, p, end,
						 out + f->offset);
			if (!p)
				return false;
			int more = next_item(&p, end, '}');
			if (more < 0)
				return false;
			if (!more)
				break;
		}
	}
	/* Every field once: bits 0 to n_fields - 1, no more (a comparison,
	 * not a population count, which is a libgcc call on baseline
	 * x86-64: 1.5 % of `ringctl run doubler`). */
	uint64_t all = type->n_fields == 64 ? ~0ull
					     : (1ull << type->n_fields) - 1;
	return seen == all && skip_ws(p, end) == end;
}
