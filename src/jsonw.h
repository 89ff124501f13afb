/* jsonw.h - compact JSON objects, one per line, for ringctl's own
 * output (kernels --json, stats --format json). */
#ifndef RINGCTL_JSONW_H
#define RINGCTL_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void jsonw_object_begin(FILE *f);
void jsonw_object_end(FILE *f);         /* and a newline */
void jsonw_field_string(FILE *f, const char *name, const char *value);
void jsonw_field_bool(FILE *f, const char *name, bool value);
/* A field's name: its value (an array, say) is the caller's to write. */
void jsonw_field(FILE *f, const char *name);
void jsonw_field_uint(FILE *f, const char *name, uint64_t value);
void jsonw_field_double(FILE *f, const char *name, double value);
/* A JSON string: quoted and escaped. */
void jsonw_string(FILE *f, const char *s);

#endif /* RINGCTL_JSONW_H */
