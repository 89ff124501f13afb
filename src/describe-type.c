/* describe-type.c - a message type in the words users read, for
 * `ringctl kernels` and `ringctl describe`. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "describe-type.h"

static const char *const kind_names[] = {
	[RK_KIND_BOOL] = "bool", [RK_KIND_I8] = "int8", [RK_KIND_I16] = "int16",
	[RK_KIND_I32] = "int32", [RK_KIND_I64] = "int64", [RK_KIND_U8] = "uint8",
	[RK_KIND_U16] = "uint16", [RK_KIND_U32] = "uint32",
	[RK_KIND_U64] = "uint64", [RK_KIND_F32] = "float32",
	[RK_KIND_F64] = "float64", [RK_KIND_STRING] = "string",
};

void describe_type(const rk_type *t, char *out, size_t cap)
{
	size_t used = 0;

#define ADD(...) do { \
	int n_ = snprintf(out + used, cap - used, __VA_ARGS__); \
	used += n_ > 0 && (size_t)n_ < cap - used ? (size_t)n_ : 0; \
} while (0)
	out[0] = '\0';
	if (!t) {
		ADD("bytes");
		return;
	}
	if (!t->fields) {
		ADD("json (any JSON value)");
		return;
	}
	ADD("{");
	for (uint32_t i = 0; i < t->n_fields; i++) {
		const rk_field *f = &t->fields[i];
		const char *kind = f->kind <= RK_KIND_STRING && f->kind > 0
				   ? kind_names[f->kind] : "?";
		ADD("%s\"%s\": ", i ? ", " : "", f->name);
		if (f->kind == RK_KIND_STRING)
			ADD("string[%u]", f->count);
		else if (f->count && f->length_offset >= 0)
			ADD("[%s; <=%u]", kind, f->count);
		else if (f->count)
			ADD("[%s; %u]", kind, f->count);
		else
			ADD("%s", kind);
	}
	ADD("}");
#undef ADD
}
