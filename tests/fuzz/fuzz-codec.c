/* fuzz-codec.c - the JSON-lines codec against each kind of schema.
 * The first byte picks the type (scalars of every kind, fixed and
 * variable arrays, a fixed string, json); the rest is the line.
 *
 * What must hold, beyond not crashing: the fast decoder and the full
 * one agree on every line, byte for byte; a message that decodes
 * encodes, and its text decodes back to the same bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>

#include "codec.h"
#include "../unit/all-kinds.h"


struct named {
	char name[8];
	bool on;
	uint64_t id;
};
static const rk_field named_fields[] = {
	RK_FIELD_STRING(struct named, name),
	RK_FIELD(struct named, on, RK_KIND_BOOL),
	RK_FIELD(struct named, id, RK_KIND_U64),
};
static const rk_type named_type = RK_TYPE(struct named, "named",
					  named_fields);

static const rk_type *const types[] = {
	&all_type, &array_type, &named_type, &rk_type_json
};

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[CAP], b[CAP], again[CAP], text[2 * CAP];
	size_t a_len, b_len, again_len, text_len;

	if (size < 1 || size > CAP)
		return 0;
	const rk_type *type = types[data[0] % 4];
	size_t len = size - 1;
	char *line = malloc(len + RK_JSON_PADDING);
	memcpy(line, data + 1, len);
	memset(line + len, 0, RK_JSON_PADDING);

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	rk_error fast = rk_json_decode(type, line, len, len + RK_JSON_PADDING,
				       a, sizeof(a), &a_len);
	rk_error full = rk_json_decode_full(type, line, len,
					    len + RK_JSON_PADDING, b,
					    sizeof(b), &b_len);
	if (fast != full || (fast == RK_OK
			     && (a_len != b_len || memcmp(a, b, a_len) != 0)))
		abort();                /* the two decoders disagree */
	if (fast == RK_OK && type != &rk_type_json) {
		if (rk_json_encode(type, a, a_len, text, sizeof(text),
				   &text_len) != RK_OK)
			abort();        /* decoded, but will not encode */
		memset(again, 0, sizeof(again));
		if (rk_json_decode(type, text, text_len, sizeof(text), again,
				   sizeof(again), &again_len) != RK_OK
		    || again_len != a_len || memcmp(a, again, a_len) != 0)
			abort();        /* the round trip changed it */
	}
	free(line);
	return 0;
}
