/* faulty.c - kernels that misbehave on purpose, for the fault-injection
 * tests: `segv` writes to the page at address zero on the message "crash" and overflows
 * its stack on "overflow", `hang` never
 * returns from the message "hang", `flaky` fails every Nth message,
 * `bail` calls abort() on "abort", fails an assert on "assert" and
 * calls exit(0) on "exit"; `segv-elsewhere` (RK_KERNEL_ANY_THREAD)
 * writes to address 16 on "crash" only where it runs on a thread not its
 * own (its producer's), and fails that message where it does not.
 * Everything else passes through. */
#define _GNU_SOURCE
#undef NDEBUG
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel-plugin.h>

static int is(const rk_msg *msg, const char *word)
{
	size_t n = strlen(word);
	return msg->len == n + 2 && ((const char *)msg->data)[0] == '"'
	       && memcmp((const char *)msg->data + 1, word, n) == 0;
}

/* Deep enough for any stack; the volatile buffer keeps each frame.
 * One frame per call (noinline), well under the guard page: frames
 * the compiler merged could jump the guard page into whatever lies
 * below, which no handler can undo (-fstack-clash-protection guards
 * against that in real kernels). */
__attribute__((noinline)) static int recurse(int depth)
{
	volatile char frame[1024];

	frame[0] = (char)depth;
	if (depth < 0)                  /* never: it overflows first */
		return 0;
	return recurse(depth + 1) + frame[0];
}

static int segv(rk_ctx *ctx, const rk_msg *msg)
{
	if (is(msg, "crash")) {
		/* Not NULL itself, which UBSan would stop first: an address
		 * in the unmapped page at zero. */
		volatile uintptr_t nowhere = 16;
		*(volatile int *)nowhere = 1;
	}
	if (is(msg, "overflow"))
		return recurse(0);
	/* A bad pointer handed to the runtime faults in its code, where
	 * its locks may be held: not recoverable, by design. */
	if (is(msg, "badptr"))
		return rk_ctx_emit(ctx, (const void *)(uintptr_t)16, 8);
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static int segv_elsewhere(rk_ctx *ctx, const rk_msg *msg)
{
	char name[16] = "", own[16];

	if (!is(msg, "crash"))
		return rk_ctx_emit(ctx, msg->data, msg->len);
	pthread_getname_np(pthread_self(), name, sizeof(name));
	snprintf(own, sizeof(own), "rk:%s", rk_ctx_kernel_id(ctx));
	if (strcmp(name, own) == 0) {
		rk_ctx_error(ctx, "ran on its own thread");
		return -1;
	}
	volatile uintptr_t nowhere = 16;
	*(volatile int *)nowhere = 1;
	return 0;
}

static int hang(rk_ctx *ctx, const rk_msg *msg)
{
	if (is(msg, "hang"))
		for (;;)
			pause();
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static int bail(rk_ctx *ctx, const rk_msg *msg)
{
	if (is(msg, "abort"))
		abort();
	assert(!is(msg, "assert"));
	if (is(msg, "exit"))
		exit(0);
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

struct flaky {
	long every;
	long seen;
};

static int flaky_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct flaky *f = calloc(1, sizeof(*f));

	(void)params;
	if (!f)
		return 1;
	f->every = strtol(rk_ctx_param(ctx, "every"), NULL, 10);
	if (f->every < 1) {
		rk_ctx_error(ctx, "every must be 1 or more");
		free(f);
		return 1;
	}
	*state = f;
	return 0;
}

static void flaky_fini(void *state)
{
	free(state);
}

static int flaky(rk_ctx *ctx, const rk_msg *msg)
{
	struct flaky *f = rk_ctx_state(ctx);

	if (++f->seen % f->every == 0) {
		rk_ctx_error(ctx, "message %ld fails on purpose", f->seen);
		return 1;
	}
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_param_desc flaky_params[] = {
	{ "every", "int", "3", "fail every Nth message" },
	{ NULL, NULL, NULL, NULL }
};

static const rk_kernel_desc segv_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "segv",
	.description = "writes to address 16 on \"crash\", overflows its "
		       "stack on \"overflow\"",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = segv,
};

static const rk_kernel_desc segv_elsewhere_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "segv-elsewhere",
	.description = "writes to address 16 on \"crash\" where it runs on "
		       "its producer's thread",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = segv_elsewhere,
	.flags = RK_KERNEL_ANY_THREAD,
};

static const rk_kernel_desc hang_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "hang",
	.description = "never returns from the message \"hang\"",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = hang,
};

static const rk_kernel_desc flaky_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "flaky",
	.description = "fails every Nth message",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = flaky_params,
	.init = flaky_init,
	.fini = flaky_fini,
	.process = flaky,
};

static const rk_kernel_desc bail_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "bail",
	.description = "abort() on \"abort\", a failed assert on \"assert\", "
		       "exit(0) on \"exit\"",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.process = bail,
};

static const rk_kernel_desc *const kernels[] = {
	&segv_kernel, &segv_elsewhere_kernel, &hang_kernel, &flaky_kernel,
	&bail_kernel, NULL
};
RK_PLUGIN("faulty", "kernels that fail on purpose", kernels);
