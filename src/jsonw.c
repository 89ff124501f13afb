/* jsonw.c - a small JSON writer for ringctl's reports. */
#include "config.h"

#include <math.h>
#include <stdbool.h>

#include "jsonw.h"

/* Whether the object being written has a field yet (per thread: the
 * server writes for several clients at once). */
static _Thread_local bool first_field;

void jsonw_object_begin(FILE *f)
{
	fputc('{', f);
	first_field = true;
}

void jsonw_object_end(FILE *f)
{
	fputs("}\n", f);
}

void jsonw_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void name(FILE *f, const char *n)
{
	if (!first_field)
		fputc(',', f);
	first_field = false;
	jsonw_string(f, n);
	fputc(':', f);
}

void jsonw_field(FILE *f, const char *n)
{
	name(f, n);
}

void jsonw_field_bool(FILE *f, const char *n, bool value)
{
	name(f, n);
	fputs(value ? "true" : "false", f);
}

void jsonw_field_string(FILE *f, const char *n, const char *value)
{
	name(f, n);
	jsonw_string(f, value);
}

void jsonw_field_uint(FILE *f, const char *n, uint64_t value)
{
	name(f, n);
	fprintf(f, "%llu", (unsigned long long)value);
}

void jsonw_field_double(FILE *f, const char *n, double value)
{
	name(f, n);
	if (isfinite(value))
		fprintf(f, "%.17g", value);
	else
		fputs("null", f);
}
