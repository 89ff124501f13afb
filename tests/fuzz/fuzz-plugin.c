/* fuzz-plugin.c - the checks a plugin's kernel descriptors pass at load
 * (rk_kernel_desc_check: ABI, size, name, entry points, message types,
 * parameters), over descriptors built from the input's bytes.
 *
 * What must hold: a descriptor the check accepts is safe to use.  Its
 * types encode a zeroed message within rk_json_max_encoded and decode
 * it back to the same bytes; its parameters' defaults launch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>
#include <ringkernel-plugin.h>

#include "registry.h"
#include "runtime.h"

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned u16(struct input *in)
{
	return byte(in) | byte(in) << 8;
}

/* A NUL-ended string of up to 15 bytes, kept in `pool`. */
static char *string(struct input *in, char **pool)
{
	unsigned n = byte(in) % 16;
	char *s = *pool;
	for (unsigned i = 0; i < n; i++)
		s[i] = (char)byte(in);
	s[n] = '\0';
	*pool += n + 1;
	return s;
}

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

#define MAX_FIELDS 8

struct built_type {
	rk_type type;
	rk_field fields[MAX_FIELDS];
};

static const rk_type *build_type(struct input *in, struct built_type *b,
				 char **pool)
{
	unsigned what = byte(in) % 3;
	if (what == 0)
		return NULL;
	if (what == 1)
		return &rk_type_json;
	unsigned n = byte(in) % (MAX_FIELDS + 1);
	for (unsigned i = 0; i < n; i++) {
		rk_field *f = &b->fields[i];
		f->name = string(in, pool);
		f->kind = (rk_kind)(byte(in) % 16);
		f->offset = u16(in) % 512;
		f->count = byte(in) % 4 == 0 ? u16(in) : byte(in) % 8;
		f->length_offset = byte(in) % 2 ? -1 : (int32_t)(u16(in) % 512);
	}
	b->type.name = "fuzzed";
	b->type.size = u16(in) % 1024;
	b->type.fields = b->fields;
	b->type.n_fields = n;
	return &b->type;
}

/* A zeroed message of an accepted type encodes, fits its bound, and
 * decodes back to itself. */
static void exercise_type(const rk_type *t)
{
	if (!t || !t->fields)
		return;
	char *msg = calloc(1, t->size), *back = calloc(1, t->size + 1);
	size_t max = rk_json_max_encoded(t), len, back_len;
	char *text = malloc(max + RK_JSON_PADDING);
	if (rk_json_encode(t, msg, t->size, text, max, &len) != RK_OK
	    || len > max)
		abort();
	memset(text + len, 0, RK_JSON_PADDING);
	if (rk_json_decode(t, text, len, len + RK_JSON_PADDING, back,
			   t->size, &back_len) != RK_OK
	    || back_len != t->size || memcmp(msg, back, t->size) != 0) {
		fprintf(stderr, "fuzz-plugin: %.*s does not decode back: %s\n",
			(int)len, text, rk_errmsg());
		abort();
	}
	free(text);
	free(back);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rk_runtime *rt;
	struct input in = { data, size };
	char strings[64 * 16], *pool = strings;
	struct built_type in_type, out_type;
	rk_param_desc params[5];
	rk_kernel_desc d;

	if (!rt)
		rk_runtime_new(NULL, &rt);
	memset(&d, 0, sizeof(d));
	memset(&in_type, 0, sizeof(in_type));
	memset(&out_type, 0, sizeof(out_type));
	memset(params, 0, sizeof(params));
	unsigned flags = byte(&in);
	d.abi_version = flags & 1 ? RK_PLUGIN_ABI_VERSION + 1
				  : RK_PLUGIN_ABI_VERSION;
	d.struct_size = flags & 2 ? sizeof(d) - 8 : sizeof(d);
	d.process = flags & 4 ? NULL : pass;
	d.name = flags & 8 ? NULL : string(&in, &pool);
	d.input_type = build_type(&in, &in_type, &pool);
	d.output_type = build_type(&in, &out_type, &pool);
	static const char *const type_names[] = {
		"int", "float", "string", "bool", NULL, "number"
	};
	unsigned n_params = byte(&in) % 5;
	for (unsigned i = 0; i < n_params; i++) {
		params[i].name = string(&in, &pool);
		params[i].type = type_names[byte(&in) % 6];
		params[i].default_value = byte(&in) % 3 ? string(&in, &pool)
							: NULL;
		params[i].description = "";
	}
	d.params = params;

	if (rk_kernel_desc_check(&d) != RK_OK)
		return 0;
	exercise_type(d.input_type);
	exercise_type(d.output_type);
	/* Every parameter has a default: it launches with none given. */
	bool all_defaults = true;
	for (unsigned i = 0; i < n_params; i++)
		all_defaults = all_defaults && params[i].default_value;
	if (all_defaults && d.input_type != NULL) {
		if (rk_launch(rt, "fuzzed", &d, NULL) != RK_OK) {
			fprintf(stderr, "fuzz-plugin: a checked descriptor does "
				"not launch: %s\n", rk_errmsg());
			abort();
		}
		/* The kernel points into this frame: it must be gone before
		 * the frame is.  A kernel never activated stops at once; the
		 * limit is generous for a loaded machine (1 s once timed out
		 * under CI's load, and the next launch found it there). */
		if (rk_terminate(rt, "fuzzed", 60.0) != RK_OK) {
			fprintf(stderr, "fuzz-plugin: a launched kernel does not "
				"terminate: %s\n", rk_errmsg());
			abort();
		}
	}
	return 0;
}
