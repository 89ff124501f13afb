/* python.c - kernels written in Python: a function called per message
 * (`python`), or the reference's actor, an async main loop
 * (`python-actor`, python-actor.c).
 *
 * The Python code runs in a worker process (python/ringkernel/worker.py
 * under /usr/bin/python3), started and ended by the exec kernel's
 * machinery (exec-child.c: its own process group, a guard that kills
 * it when the kernel's thread ends, stderr passed on), not embedded:
 * one interpreter per copy is what gives replicas more than one core
 * (the GIL), and a worker that dies takes no other kernel with it.
 * They speak framed lines (worker.py): a message goes out as M<json>,
 * and its answer is any number of M<json> lines ended by K, or E<why>
 * when the function raised, so that each message gets exactly its own
 * results, in order, even with replicas. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel.h>

#include "python-worker.h"

static int py_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return py_worker_init(ctx, params, "function", state);
}

static void py_fini(void *state)
{
	py_worker_free(state);
}

static int py_process(rk_ctx *ctx, const rk_msg *msg)
{
	struct py_worker *w = rk_ctx_state(ctx);
	int got;

	if (py_worker_ready(ctx, w) != 0)
		return 1;
	if (py_worker_send(ctx, w, 'M', msg->data, msg->len) != 0)
		return 1;
	w->messages++;
	/* Its results, then K (done) or E (failed): nothing else ends it. */
	while ((got = py_worker_frame(ctx, w, true)) == 'M')
		if (rk_ctx_emit(ctx, w->frame, w->frame_len) != RK_OK)
			return py_worker_skip(ctx, w);
	if (got == 'E') {
		rk_ctx_error(ctx, "%.*s", (int)w->frame_len, w->frame);
		return 1;
	}
	return got != 'K';
}


static const rk_kernel_desc python_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "python",
	.description = "calls a Python function for each message, in a "
		       "worker process",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = py_worker_params,
	.init = py_init,
	.fini = py_fini,
	.process = py_process,
	.flush = py_worker_flush,
	.stop = py_worker_stop,
	.flags = RK_KERNEL_REPLICA_SAFE_FLUSH,
};

static const rk_kernel_desc *const kernels[] = {
	&python_kernel, &python_actor_kernel, NULL
};
RK_PLUGIN("python", "kernels written in Python", kernels);
