/* describe-type.h - a message type in the words users read. */
#ifndef RINGCTL_DESCRIBE_TYPE_H
#define RINGCTL_DESCRIBE_TYPE_H

#include <stddef.h>

#include <ringkernel.h>

/* A type as users read it: {"value": int64, "x": [float32; <=1024]},
 * or json.  Writes at most cap bytes, NUL-terminated. */
void describe_type(const rk_type *type, char *out, size_t cap);

#endif /* RINGCTL_DESCRIBE_TYPE_H */
