/* python-actor.c - the reference's actor form in Python: an async
 * main(ctx) in the worker, fed by this kernel's persistent main loop.
 * The loop forwards messages as they come and tells the worker when the
 * kernel is deactivated (D), reactivated (A) and terminated (T), which
 * is what ctx.is_active, ctx.wait_active and ctx.should_terminate read
 * there (actor_worker.py); what the actor sends comes back as M frames
 * and goes out as it comes. */
#include <ringkernel.h>

#include "in-flight.h"
#include "python-worker.h"

/* How long the loop waits for a message before it looks at the
 * worker's output and the kernel's state again. */
#define ACTOR_SLICE 0.01

static int actor_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return py_worker_init(ctx, params, "actor", state);
}

static void actor_fini(void *state)
{
	py_worker_free(state);
}

/* What the actor sent meanwhile, sent on; 1 when it raised or ended
 * (it ends only at the end of its input or when terminated). */
static int pump(rk_ctx *ctx, struct py_worker *w)
{
	int got;

	while ((got = py_worker_frame(ctx, w, false)) > 0) {
		if (got == 'M')
			(void)rk_ctx_send(ctx, w->frame, w->frame_len);
		if (got == 'E') {
			rk_ctx_error(ctx, "python actor raised: %s", w->frame);
			w->failed = true;
			return 1;
		}
	}
	return got < 0;
}

static int actor_main(rk_ctx *ctx)
{
	struct py_worker *w = rk_ctx_state(ctx);
	bool active = true;
	rk_msg m;

	if (py_worker_ready(ctx, w) != 0)
		return 1;
	for (;;) {
		if (rk_ctx_should_terminate(ctx)) {
			/* The actor is told; stop gives it the terminate's
			 * time, then escalates. */
			(void)py_worker_send(ctx, w, 'T', NULL, 0);
			return 0;
		}
		bool now = rk_ctx_is_active(ctx);
		if (now != active
		    && py_worker_send(ctx, w, now ? 'A' : 'D', NULL, 0) != 0)
			return 1;
		active = now;
		if (!active) {
			(void)rk_ctx_wait_active(ctx, ACTOR_SLICE);
		} else {
			rk_error rc = rk_ctx_receive(ctx, &m, ACTOR_SLICE);
			if (rc == RK_OK) {
				const void *line;
				w->messages++;
				if (!in_flight_lines(&m, 1, &line, &w->flat,
						     &w->flat_cap)) {
					rk_ctx_error(ctx, "out of memory");
					return 1;
				}
				if (py_worker_send(ctx, w, 'M', line, m.len))
					return 1;
			} else if (rc == RK_EEND) {
				/* Its input ended: flush (py_worker_flush)
				 * has let the actor finish. */
				return w->failed;
			}
		}
		if (pump(ctx, w) != 0)
			return 1;
	}
}


const rk_kernel_desc python_actor_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "python-actor",
	.description = "runs a Python actor, async main(ctx), in a worker "
		       "process",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = py_worker_params,
	.init = actor_init,
	.fini = actor_fini,
	.main = actor_main,
	.flush = py_worker_flush,
	.stop = py_worker_stop,
};
