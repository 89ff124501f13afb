/* types.h - checks on the message types a kernel declares. */
#ifndef RK_TYPES_H
#define RK_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "ringkernel.h"

/* Bytes of one element of a field's kind (strings: 1). */
size_t rk_kind_size(rk_kind kind);
const char *rk_kind_name(rk_kind kind);

/* A type a plugin declares is sound: known kinds, distinct non-empty
 * names, every field inside the struct.  Fails with RK_EPLUGIN. */
rk_error rk_type_check(const char *kernel, const char *which,
		       const rk_type *type);

/* Two types carry the same messages: both json, or the same fields
 * (names, kinds, counts, order) at the same offsets in the same size. */
bool rk_type_equal(const rk_type *a, const rk_type *b);

static inline bool rk_type_is_json(const rk_type *t)
{
	return t && !t->fields;
}

#endif /* RK_TYPES_H */
