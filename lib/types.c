/* types.c - message types: sizes, names, soundness, equality. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "rk-error.h"
#include "types.h"

static const struct {
	const char *name;
	size_t size;
} kinds[] = {
	[RK_KIND_BOOL] = { "bool", sizeof(bool) },
	[RK_KIND_I8] = { "int8", 1 },
	[RK_KIND_I16] = { "int16", 2 },
	[RK_KIND_I32] = { "int32", 4 },
	[RK_KIND_I64] = { "int64", 8 },
	[RK_KIND_U8] = { "uint8", 1 },
	[RK_KIND_U16] = { "uint16", 2 },
	[RK_KIND_U32] = { "uint32", 4 },
	[RK_KIND_U64] = { "uint64", 8 },
	[RK_KIND_F32] = { "float32", 4 },
	[RK_KIND_F64] = { "float64", 8 },
	[RK_KIND_STRING] = { "string", 1 },
};

static bool known(rk_kind kind)
{
	return kind >= RK_KIND_BOOL && kind <= RK_KIND_STRING;
}

size_t rk_kind_size(rk_kind kind)
{
	return known(kind) ? kinds[kind].size : 0;
}

const char *rk_kind_name(rk_kind kind)
{
	return known(kind) ? kinds[kind].name : "unknown";
}

/* A field name goes into JSON as it is: valid UTF-8, with no control
 * characters, quotes or backslashes that would need escaping. */
static bool plain_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!*p)
		return false;
	while (*p) {
		unsigned c = *p, extra;
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
			return false;
		if (c < 0x80)
			extra = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			extra = 1;
		else if (c >= 0xe0 && c <= 0xef)
			extra = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			extra = 3;
		else
			return false;
		uint32_t cp = extra ? c & (0x3fu >> extra) : c;
		for (unsigned i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		/* Overlong forms, surrogates and past U+10FFFF. */
		if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		    || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += extra + 1;
	}
	return true;
}

rk_error rk_type_check(const char *kernel, const char *which,
		       const rk_type *t)
{
	if (!t || !t->fields)
		return RK_OK;           /* raw bytes, or json */
	if (t->n_fields == 0 || t->size == 0)
		return rk_fail(RK_EPLUGIN, "kernel '%s': %s type has no fields",
			       kernel, which);
	for (uint32_t i = 0; i < t->n_fields; i++) {
		const rk_field *f = &t->fields[i];
		if (!f->name || !plain_name(f->name) || !known(f->kind))
			return rk_fail(RK_EPLUGIN, "kernel '%s': %s type: field "
				       "%u has no name, a name JSON would need to "
				       "escape, or an unknown kind",
				       kernel, which, i + 1);
		uint64_t n = f->count ? f->count : 1;
		if (f->kind == RK_KIND_STRING && f->count == 0)
			return rk_fail(RK_EPLUGIN, "kernel '%s': %s type: string "
				       "field '%s' has no size", kernel, which,
				       f->name);
		if (f->offset + n * kinds[f->kind].size > t->size
		    || (f->length_offset >= 0
			&& (uint64_t)f->length_offset + 4 > t->size))
			return rk_fail(RK_EPLUGIN, "kernel '%s': %s type: field "
				       "'%s' lies outside the %u-byte struct",
				       kernel, which, f->name, t->size);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(t->fields[j].name, f->name) == 0)
				return rk_fail(RK_EPLUGIN, "kernel '%s': %s type "
					       "has two fields '%s'", kernel,
					       which, f->name);
	}
	return RK_OK;
}

bool rk_type_equal(const rk_type *a, const rk_type *b)
{
	if (!a || !b)
		return a == b;
	if (!a->fields || !b->fields)
		return !a->fields && !b->fields;
	if (a->size != b->size || a->n_fields != b->n_fields)
		return false;
	for (uint32_t i = 0; i < a->n_fields; i++) {
		const rk_field *x = &a->fields[i], *y = &b->fields[i];
		if (strcmp(x->name, y->name) != 0 || x->kind != y->kind
		    || x->offset != y->offset || x->count != y->count
		    || x->length_offset != y->length_offset)
			return false;
	}
	return true;
}
