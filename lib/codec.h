/* codec.h - the JSON codec's private header: what its files share, and
 * what it offers beyond ringkernel.h.
 *
 * The codec is four files: json-decode-simdjson.cc (the full decoder,
 * and everything else simdjson does), json-decode-flat.c (the fast path
 * for flat objects of numbers), json-encode.c (messages to JSON text)
 * and json-number.cc (numbers <-> text through C++17's from_chars and
 * to_chars, which C has no equal of).  This header is read as C and as
 * C++. */
#ifndef RK_CODEC_H
#define RK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ringkernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The full decoder without its fast path for flat objects, so that the
 * tests can hold the two to the same results. */
rk_error rk_json_decode_full(const rk_type *type, const char *json,
			     size_t len, size_t readable, void *out,
			     size_t cap, size_t *out_len);

/* The fast path: the whole message into out (type->size bytes), or
 * false to leave it to the full decoder, which then decodes it from the
 * start.  It accepts only what the full decoder accepts and stores the
 * same bytes (tests/unit/test-json-decode-flat.c). */
bool codec_decode_flat(const rk_type *type, const char *text, size_t len,
		       char *out);

/* The whole of [p, end) as a float32 or float64 (kind) into dst,
 * rounded once, in its own width; false where from_chars refuses it
 * (not all one number, or out of range). */
bool codec_read_float(rk_kind kind, const char *p, const char *end,
		      char *dst);

/* Room codec_write_number needs: the longest number text and more. */
#define CODEC_NUMBER_ROOM 32

/* The JSON text of the number of `kind` at src, written at p (with
 * CODEC_NUMBER_ROOM bytes of room); its end.  Floats are the shortest
 * text that reads back to the same value; NaN and the infinities have
 * no JSON form and are written as null. */
char *codec_write_number(rk_kind kind, const char *src, char *p);

/* RK_OK where the len bytes at text are one JSON value; else
 * RK_ESCHEMA with why ("invalid JSON: ...", "invalid UTF-8"). */
rk_error codec_check_json(const char *text, size_t len);

/* Whether the n bytes at s are valid UTF-8 (simdjson's check). */
bool codec_valid_utf8(const char *s, size_t n);
/* The n bytes at s as a JSON string, quotes included, into out where
 * it fits in cap; returns its length either way. */
size_t codec_write_string(const char *s, size_t n, char *out, size_t cap);

static inline bool codec_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool codec_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool codec_kind_valid(rk_kind kind)
{
	return kind >= RK_KIND_BOOL && kind <= RK_KIND_STRING;
}

/* The low `size` bytes of x, as a native integer of that size holds
 * them: a signed value's two's complement, cut to its width. */
static inline void codec_store_bits(char *dst, uint64_t x, size_t size)
{
	uint8_t x8 = (uint8_t)x;
	uint16_t x16 = (uint16_t)x;
	uint32_t x32 = (uint32_t)x;

	switch (size) {
	case 1: memcpy(dst, &x8, 1); break;
	case 2: memcpy(dst, &x16, 2); break;
	case 4: memcpy(dst, &x32, 4); break;
	default: memcpy(dst, &x, 8); break;
	}
}

/* The integer -mag (neg) or mag into dst as `kind` holds it; false
 * where it does not fit the kind.  Both decoders store through here,
 * so that they store the same bytes. */
static inline bool codec_store_integer(rk_kind kind, bool neg, uint64_t mag,
				       char *dst)
{
	uint64_t max;
	size_t size;
	bool is_signed = true;

	switch (kind) {
	case RK_KIND_I8: max = INT8_MAX; size = 1; break;
	case RK_KIND_I16: max = INT16_MAX; size = 2; break;
	case RK_KIND_I32: max = INT32_MAX; size = 4; break;
	case RK_KIND_I64: max = INT64_MAX; size = 8; break;
	case RK_KIND_U8: max = UINT8_MAX; size = 1; is_signed = false; break;
	case RK_KIND_U16: max = UINT16_MAX; size = 2; is_signed = false; break;
	case RK_KIND_U32: max = UINT32_MAX; size = 4; is_signed = false; break;
	case RK_KIND_U64: max = UINT64_MAX; size = 8; is_signed = false; break;
	default: return false;
	}
	if (is_signed ? mag > max + neg : (neg && mag != 0) || mag > max)
		return false;
	codec_store_bits(dst, neg ? 0 - mag : mag, size);
	return true;
}

#ifdef __cplusplus
}
#endif

#endif /* RK_CODEC_H */
