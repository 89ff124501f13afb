/* greet.c - a kernel template: a json kernel in C, built on its own with
 *
 *	cc -shared -fPIC -o greet.so greet.c $(pkg-config --cflags libringkernel)
 *
 * and run with `ringctl run ./greet.so` (or put greet.so on the plugin
 * path).  It reads the field "name" of each object and emits
 * {"greeting":"hello, NAME","length":N}; a message without "name" is
 * that message's error, counted, and the run says which.  Copy it, and
 * change the names, the parameters and what process does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel-plugin.h>

/* What init makes of the parameters, for every message after. */
struct greet {
	char word[64];
};

static int greet_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct greet *g = calloc(1, sizeof(*g));

	(void)params;           /* rk_ctx_param reads them, checked */
	if (!g)
		return 1;
	snprintf(g->word, sizeof(g->word), "%s", rk_ctx_param(ctx, "word"));
	*state = g;
	return 0;
}

static void greet_fini(void *state)
{
	free(state);
}

static int greet(rk_ctx *ctx, const rk_msg *msg)
{
	const struct greet *g = rk_ctx_state(ctx);
	rk_json_value name;
	char text[256], out[512];
	rk_json_out o;

	if (rk_json_field(msg->data, msg->len, "name", &name) != RK_OK
	    || name.kind != RK_JSON_STRING) {
		rk_ctx_error(ctx, "no string field 'name'");
		return 1;
	}
	snprintf(text, sizeof(text), "%s, %.*s", g->word, (int)name.text_len,
		 name.text);
	rk_json_begin(&o, out, sizeof(out));
	rk_json_add_string(&o, "greeting", text);
	rk_json_add_int(&o, "length", (int64_t)strlen(text));
	if (rk_json_end(&o) != RK_OK) {
		rk_ctx_error(ctx, "%s", rk_errmsg());
		return 1;
	}
	return rk_ctx_emit(ctx, o.buf, o.len) != RK_OK;
}

static const rk_param_desc greet_params[] = {
	{ "word", "string", "hello", "what to greet with" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc greet_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "greet",
	.description = "greets the name of each object",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = greet_params,
	.init = greet_init,
	.fini = greet_fini,
	.process = greet,
};

static const rk_kernel_desc *const kernels[] = { &greet_kernel, NULL };
RK_PLUGIN("greet", "a kernel template", kernels);
