/* ctx.c - what a kernel calls back: its state, emitting output, errors,
 * and the receive/should_terminate/is_active/wait_active calls of a
 * persistent main loop, as in the reference runtime. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "executor.h"
#include "fault.h"
#include "kernel.h"

void *rk_ctx_state(rk_ctx *ctx)
{
	return ctx->kernel->state;
}

const char *rk_ctx_kernel_id(rk_ctx *ctx)
{
	return ctx->kernel->id;
}

bool rk_ctx_replicated(rk_ctx *ctx)
{
	return ctx->kernel->emits_markers;
}

void rk_ctx_error(rk_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
}

rk_error rk_ctx_send(rk_ctx *ctx, const void *data, size_t len)
{
	return rk_ctx_emit(ctx, data, len);
}

static void bump(uint64_t *counter)
{
	__atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

/* The message a main loop received last is done: give its slot back. */
static void release_held(rk_ctx *ctx)
{
	ctx->kernel->batch_now_ns = 0;
	if (!ctx->holding)
		return;
	/* Counted as received when its slot goes back, as in a batch. */
	bump(&ctx->kernel->cb.received);
	bump(&ctx->kernel->cb.processed);
	if (ctx->kernel->telemetry)
		rk_rate_note(ctx->kernel, rk_now_ns());
	rk_ring_release(ctx->held_port->band[ctx->held_band], 1);
	rk_event_notify(&ctx->held_port->space);
	ctx->holding = false;
	ctx->current = NULL;
}

rk_error rk_ctx_reply(rk_ctx *ctx, const void *data, size_t len)
{
	if (!ctx->holding)
		return rk_ctx_emit(ctx, data, len);
	/* Its envelope outlives its slot: the reply is made from it. */
	rk_msg was = ctx->held;
	was.data = NULL;
	release_held(ctx);
	ctx->current = &was;
	rk_error rc = rk_ctx_emit(ctx, data, len);
	ctx->current = NULL;
	return rc;
}

void rk_ctx_drop_held(rk_ctx *ctx)
{
	if (!ctx->holding)
		return;
	bump(&ctx->kernel->cb.received);
	rk_ring_release(ctx->held_port->band[ctx->held_band], 1);
	rk_event_notify(&ctx->held_port->space);
	ctx->holding = false;
	ctx->current = NULL;
}

bool rk_ctx_should_terminate(rk_ctx *ctx)
{
	return rk_kernel_poll_control(ctx->kernel) == RK_STATE_TERMINATING;
}

bool rk_ctx_must_stop(rk_ctx *ctx)
{
	rk_kernel *k = ctx->kernel;

	/* The deadline is set before the terminate is requested, and seen
	 * with it (the epoch's acquire in rk_kernel_poll_control). */
	return rk_kernel_poll_control(k) == RK_STATE_TERMINATING
	       && rk_now_ns() >= k->cb.drain_deadline_ns;
}

bool rk_ctx_is_active(rk_ctx *ctx)
{
	return rk_kernel_poll_control(ctx->kernel) == RK_STATE_ACTIVE;
}

static int ctx_wait_active(rk_ctx *ctx, double timeout);
static int ctx_receive(rk_ctx *ctx, rk_msg *msg, double timeout);

rk_error rk_ctx_wait_active(rk_ctx *ctx, double timeout)
{
	bool was = rk_fault_runtime_enter();
	int rc = ctx_wait_active(ctx, timeout);
	rk_fault_runtime_leave(was);
	return rc;
}

rk_error rk_ctx_receive(rk_ctx *ctx, rk_msg *msg, double timeout)
{
	bool was = rk_fault_runtime_enter();
	int rc = ctx_receive(ctx, msg, timeout);
	rk_fault_runtime_leave(was);
	return rc;
}

static int ctx_wait_active(rk_ctx *ctx, double timeout)
{
	rk_kernel *k = ctx->kernel;
	uint64_t deadline = rk_deadline(timeout);

	for (;;) {
		rk_state s = rk_kernel_poll_control(k);
		if (s == RK_STATE_ACTIVE)
			return RK_OK;
		if (s == RK_STATE_TERMINATING)
			return RK_ESTATE;
		if (rk_now_ns() >= deadline)
			return RK_ETIMEDOUT;
		rk_executor_idle(k, false, deadline);
	}
}

/* Messages are handed out while active, and while terminating until the
 * drain deadline; RK_ESTATE says there will be no more. */
static int ctx_receive(rk_ctx *ctx, rk_msg *msg, double timeout)
{
	rk_kernel *k = ctx->kernel;
	uint64_t deadline = rk_deadline(timeout);

	release_held(ctx);
	for (;;) {
		rk_state s = rk_kernel_poll_control(k);
		bool draining = s == RK_STATE_TERMINATING
			&& rk_now_ns() < k->cb.drain_deadline_ns;
		if (s == RK_STATE_ACTIVE || draining) {
			int band;
			rk_port *p = rk_executor_pick_input(k, &band);
			rk_slot_header *h = p ? rk_ring_peek(p->band[band]) : NULL;
			if (h && (h->flags & RK_SLOT_END_OF_STREAM)
			    && rk_port_higher_ready(p, band))
				continue;       /* the end overtook them */
			/* From replicas upstream: the next one's turn. */
			if (h && (h->flags & RK_SLOT_MARKER)) {
				rk_ring_release(p->band[band], 1);
				rk_event_notify(&p->space);
				rk_executor_input_mark(k, p, RK_SLOT_MARKER);
				continue;
			}
			if (h && (h->flags & RK_SLOT_END_OF_STREAM)) {
				rk_ring_release(p->band[band], 1);
				rk_event_notify(&p->space);
				rk_executor_input_mark(k, p, RK_SLOT_END_OF_STREAM);
				if (rk_executor_input_ended(k, p))
					return RK_EEND;
				continue;
			}
			if (h) {
				ctx->held = (rk_msg){
					.data = h + 1, .len = h->length,
					.message_id = h->message_id,
					.correlation_id = h->correlation_id,
					.enqueue_ns = h->enqueue_ns,
					.type_tag = h->type_tag,
					.priority = h->priority,
				};
				ctx->held_port = p;
				ctx->held_band = band;
				ctx->holding = true;
				ctx->current = &ctx->held;
				*msg = ctx->held;
				return RK_OK;
			}
		}
		if (s == RK_STATE_TERMINATING || s == RK_STATE_FAILED)
			return RK_ESTATE;
		if (k->end_done)
			return RK_EEND;
		if (rk_now_ns() >= deadline)
			return RK_ETIMEDOUT;
		rk_executor_idle(k, s == RK_STATE_ACTIVE, deadline);
	}
}

int rk_executor_run_main(rk_kernel *k)
{
	rk_kernel_function = "main";
	rk_in_kernel_code = true;
	int rc = k->desc->main(&k->ctx);
	rk_in_kernel_code = false;

	release_held(&k->ctx);
	bool asked = rk_kernel_poll_control(k) == RK_STATE_TERMINATING;
	if (rc != 0 || !asked) {
		char why[sizeof(k->ctx.error)];
		if (k->ctx.error[0])
			snprintf(why, sizeof(why), "%s", k->ctx.error);
		else if (rc != 0)
			snprintf(why, sizeof(why), "main returned %d", rc);
		else
			snprintf(why, sizeof(why),
				 "main returned before terminate");
		rk_kernel_set_error(k, RK_EKERNEL, why);
		return -1;
	}
	rk_executor_drain(k);
	return 0;
}
