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
 * They speak framed lines (worker.py): messages go out in batches,
 * B[m1,m2,...], and each message's answer is any number of M<json>
 * lines ended by K, or E<why> when the function raised, so that each
 * message gets exactly its own results, in order, even with replicas.
 * Several batches are in the worker at once (process_batch, telling
 * each message's end: RK_KERNEL_BATCH_TELLS), so that neither process
 * waits for the other and a message costs no round trip of its own. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel.h>

#include "in-flight.h"
#include "python-worker.h"

static int py_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	return py_worker_init(ctx, params, "function", state);
}

static void py_fini(void *state)
{
	py_worker_free(state);
}

/* A batch through the worker: its messages go out in chunks, each one
 * frame B[m1,m2,...], while the answers of those before come back, so
 * that neither side waits for the other. */
struct batch {
	const rk_msg *msgs;
	size_t n;
	size_t sent;                    /* messages written, or being */
	size_t told;                    /* messages told done */
	size_t window;                  /* at most this many in flight */
	bool finish;                    /* send no more, answer the rest */
	bool stop;                      /* return now: the kernel stops */
	bool emit_failed;               /* the message being answered */
	struct iovec iov[2 * IN_FLIGHT_MAX + 1], *left;
	int n_left;                     /* pieces of the chunk not written */
	size_t chunk;                   /* the first of the chunk written */
};

/* The next chunk as a frame: half the window, so that one chunk is
 * answered while the next is worked on.  False when out of memory. */
static bool next_chunk(struct py_worker *w, struct batch *b)
{
	const void *lines[IN_FLIGHT_MAX];
	size_t in_flight = b->sent - b->told;
	size_t k = b->window / 2;

	if (k > b->window - in_flight)
		k = b->window - in_flight;
	if (k > b->n - b->sent)
		k = b->n - b->sent;
	if (!in_flight_lines(&b->msgs[b->sent], k, lines, &w->flat,
			     &w->flat_cap))
		return false;
	int v = 0;
	for (size_t i = 0; i < k; i++) {
		b->iov[v++] = (struct iovec){ i ? "," : "B[", i ? 1 : 2 };
		b->iov[v++] = (struct iovec){ (void *)lines[i],
					      b->msgs[b->sent + i].len };
	}
	b->iov[v++] = (struct iovec){ "]\n", 2 };
	b->left = b->iov;
	b->n_left = v;
	b->chunk = b->sent;
	b->sent += k;
	return true;
}

/* Messages whose frame went whole: only those can have been answered
 * (the worker reads a frame before it answers any of it). */
static size_t written(const struct batch *b)
{
	return b->n_left ? b->chunk : b->sent;
}

/* Tell the message being answered done; whether to send no more. */
static void tell(rk_ctx *ctx, struct py_worker *w, struct batch *b,
		 int failed)
{
	rk_batch_next next = rk_ctx_batch_done(ctx, failed);

	w->messages++;
	if (next != RK_BATCH_GO_ON)
		b->finish = true;
	if (next == RK_BATCH_STOP)
		b->stop = true;
	b->told++;
	b->emit_failed = false;
}

/* One frame of the answer to the message being answered.  -1: the
 * worker broke (its error said). */
static int answer(rk_ctx *ctx, struct py_worker *w, struct batch *b, int got)
{
	switch (got) {
	case 'M':
		/* A failed emit fails its message; the rest of its results
		 * are read and dropped (counted by the failed emit). */
		if (!b->emit_failed
		    && rk_ctx_emit(ctx, w->frame, w->frame_len) != RK_OK)
			b->emit_failed = true;
		return 0;
	case 'K':
		tell(ctx, w, b, b->emit_failed);
		return 0;
	case 'E':
		rk_ctx_error(ctx, "%.*s", (int)w->frame_len, w->frame);
		tell(ctx, w, b, 1);
		return 0;
	default:
		return -1;
	}
}

/* The worker broke: each message in it failed, with the same why; the
 * ones not sent stay queued (and fail at once, next time). */
static void fail_in_flight(rk_ctx *ctx, struct py_worker *w,
			   struct batch *b, const char *why)
{
	char keep[512];

	snprintf(keep, sizeof(keep), "%s", why);
	while (b->told < b->sent && !b->stop) {
		rk_ctx_error(ctx, "%s", keep);
		tell(ctx, w, b, 1);
	}
}

static int py_process_batch(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	struct py_worker *w = rk_ctx_state(ctx);
	struct batch b = { .msgs = msgs, .n = n,
			   .window = in_flight_window(w->per_message_ns) };
	uint64_t t0 = in_flight_now_ns();

	/* Told none: the runtime fails them all, with this error. */
	if (py_worker_ready(ctx, w) != 0)
		return (int)n;
	while (!b.stop && (b.told < b.sent || (b.sent < n && !b.finish))) {
		bool moved = false;
		if (b.n_left == 0 && b.sent < n && !b.finish
		    && b.sent - b.told < b.window && !next_chunk(w, &b)) {
			snprintf(w->why, sizeof(w->why), "out of memory");
			goto broke;
		}
		if (b.n_left > 0) {
			int before = b.n_left;
			if (py_worker_write(ctx, w, &b.left, &b.n_left) != 0)
				goto broke;
			moved = b.n_left < before;
		}
		/* Every answer that is in, without waiting. */
		int got;
		while (!b.stop && b.told < b.sent
		       && (got = py_worker_frame(ctx, w, false))) {
			/* An answer to a frame not yet written whole: the
			 * worker is not ours. */
			if (got > 0 && b.told >= written(&b)) {
				snprintf(w->why, sizeof(w->why), "python worker "
					 "answered a message it was not given "
					 "whole");
				goto broke;
			}
			if (got < 0 || answer(ctx, w, &b, got) < 0)
				goto broke;
			moved = true;
		}
		if (moved)
			continue;
		if (rk_ctx_must_stop(ctx)) {
			snprintf(w->why, sizeof(w->why), "terminated while "
				 "the python worker worked on %zu message%s",
				 b.sent - b.told,
				 b.sent - b.told == 1 ? "" : "s");
			goto broke;
		}
		py_worker_wait(w, b.n_left > 0);
	}
	/* Stopping with answers still to come: they would answer the
	 * wrong messages, and the kernel is done anyway. */
	if (b.stop && (b.told < b.sent || b.n_left))
		w->failed = true;
	in_flight_learn(&w->per_message_ns, t0, b.told);
	return 0;
broke:
	/* What it still had would answer the wrong messages: it is done
	 * with, and each message in it failed. */
	w->failed = true;
	rk_ctx_error(ctx, "%s", w->why);       /* if none was sent */
	fail_in_flight(ctx, w, &b, w->why);
	return 0;
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
	.process_batch = py_process_batch,
	.flush = py_worker_flush,
	.stop = py_worker_stop,
	.flags = RK_KERNEL_REPLICA_SAFE_FLUSH | RK_KERNEL_BATCH_TELLS,
};

static const rk_kernel_desc *const kernels[] = {
	&python_kernel, &python_actor_kernel, NULL
};
RK_PLUGIN("python", "kernels written in Python", kernels);
