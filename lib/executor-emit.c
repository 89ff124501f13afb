/* executor-emit.c - a kernel's output: each message delivered to every
 * output under its policy (converted for an edge of another type, in
 * turn to the replicas downstream), waiting for room while serving the
 * host's commands. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "codec.h"
#include "executor.h"
#include "fault.h"
#include "kernel.h"
#include "rk-error.h"
#include "runtime.h"
#include "spin.h"
#include "types.h"

#define WAIT_SLICE_NS 10000000u        /* re-check commands while blocked */

/* Blocked on a full output: wait for room while serving commands.  A
 * deactivated kernel holds its message until reactivated; a
 * terminating one gives up at the drain deadline (false). */
static bool wait_output_space(rk_kernel *k, rk_port *p, uint8_t flags)
{
	rk_spin sp;

	/* Its consumers run on this thread no more this batch: they must
	 * hear of what came, to make room. */
	rk_executor_ring_outputs(k);
	/* What is held must be seen, for the consumer to make room: the
	 * messages before counted first (the one being processed may have
	 * outputs seen before it is counted, here only). */
	if (k->held_sent) {
		rk_executor_release_processed(k);
		rk_executor_show_outputs(k);
	}
	rk_spin_init(&sp, k->spin_ns, UINT64_MAX);
	do {
		if (rk_port_has_room(p, flags))
			return true;
	} while (rk_spin_again(&sp));
	rk_executor_release_processed(k);
	for (;;) {
		rk_state s = rk_kernel_poll_control(k);
		uint64_t now = rk_now_ns();
		if (s == RK_STATE_TERMINATING && now >= k->cb.drain_deadline_ns)
			return false;
		if (s == RK_STATE_DEACTIVATED) {
			rk_executor_idle(k, false, now + WAIT_SLICE_NS);
			continue;
		}
		uint64_t until = now + WAIT_SLICE_NS;
		if (s == RK_STATE_TERMINATING && k->cb.drain_deadline_ns < until)
			until = k->cb.drain_deadline_ns;
		if (rk_port_wait_room(p, flags, until)
		    && rk_port_has_room(p, flags))
			return true;
	}
}

/* Wake the consumer of an output, but one this thread runs after the
 * batch (executor-fuse.c). */
static void ring_output(rk_kernel *k, rk_port *p)
{
	if (k->fusing && rk_port_consumer_runnable(p))
		return;
	rk_port_notify(p);
}

/* An output that could not be delivered: counted as dropped and kept
 * as last_error, and the reason left in ctx.error, so that a kernel
 * returning emit's status fails the message saying why. */
static void output_lost(rk_kernel *k, rk_error rc, const char *why,
			bool count)
{
	rk_kernel_set_error(k, rc, why);
	snprintf(k->ctx.error, sizeof(k->ctx.error), "%s", why);
	if (count)
		rk_count(&k->cb.dropped, 1);
}

/* Deliver one message to output i under its policy.  Anything not
 * delivered is counted as dropped and explained in last_error.  The
 * executor is its outputs' only producer: no lock.  An end or a marker
 * waits for room whatever the policy. */
int rk_executor_emit_to(rk_kernel *k, size_t i, rk_port *p,
			rk_envelope env, const void *data, size_t len,
			uint8_t flags)
{
	char why[128];
	rk_error rc;

	for (;;) {
		rc = rk_port_try_push(p, &env, data, len, flags, k->batch_now_ns);
		if (rc == RK_OK && !flags && k->hold_outputs) {
			k->held_sent++;         /* rk_executor_show_outputs */
			/* Held slots fill the output too: once full, seen
			 * (the one being processed may have outputs seen
			 * before it is counted, here only), so that the
			 * consumer can make room before a policy drops. */
			if (rk_port_full_for_producer(p)) {
				rk_executor_release_processed(k);
				rk_executor_show_outputs(k);
			}
			return RK_OK;
		}
		if (rc == RK_OK && rk_port_publish(p) != 0)
			rc = RK_ESTATE;         /* closed meanwhile */
		if (rc == RK_OK) {
			/* Seen and woken for at once: a kernel that hangs
			 * after this has delivered it. */
			ring_output(k, p);
			if (!flags)
				rk_count(&k->cb.sent, 1);
			return RK_OK;
		}
		if (rc != RK_EFULL || (p->policy != RK_BP_BLOCK && !flags))
			break;
		if (!wait_output_space(k, p, flags))
			break;
	}
	if (rc == RK_ESCHEMA)
		snprintf(why, sizeof(why),
			 "output message of %zu bytes exceeds the %u-byte limit",
			 len, p->max_payload);
	else
		snprintf(why, sizeof(why), "output message dropped: %s",
			 rk_strerror(rc));
	output_lost(k, rc, why, !flags);
	return rc;
}

void rk_executor_show_outputs(rk_kernel *k)
{
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);
	uint64_t lost = 0;

	if (!k->held_sent)
		return;
	for (size_t i = 0; i < n; i++) {
		rk_port *p = outs[i];
		if (!p->unpublished_messages)
			continue;
		lost += rk_port_publish(p);
		ring_output(k, p);
	}
	rk_count(&k->cb.sent, k->held_sent - lost);
	k->held_sent = 0;
	if (lost) {
		char why[128];
		snprintf(why, sizeof(why), "%llu output message%s dropped: "
			 "the kernel fed stopped taking them",
			 (unsigned long long)lost, lost == 1 ? "" : "s");
		rk_kernel_set_error(k, RK_ESTATE, why);
		rk_count(&k->cb.dropped, lost);
	}
}

static void conversion_failed(rk_kernel *k, rk_port *p)
{
	char why[128];

	snprintf(why, sizeof(why), "output does not convert: %s", rk_errmsg());
	output_lost(k, RK_ESCHEMA, why, true);
}

/* An edge between a typed end and a json end: the message as the
 * consumer takes it, in the kernel's conversion buffer. */
static int convert_for(rk_kernel *k, rk_port *p, const void **data,
		       size_t *len)
{
	const rk_type *from = p->convert_from, *to = p->convert_to;
	size_t need = to->fields ? to->size : rk_json_max_encoded(from);
	rk_error rc;

	if (k->convert_cap < need) {
		char *buf = realloc(k->convert_buf, need);
		if (!buf)
			return rk_fail(RK_ENOMEM, "out of memory");
		k->convert_buf = buf;
		k->convert_cap = need;
	}
	if (to->fields)
		rc = rk_json_decode(to, *data, *len, *len, k->convert_buf,
				    k->convert_cap, len);
	else
		rc = rk_json_encode(from, *data, *len, k->convert_buf,
				    k->convert_cap, len);
	*data = k->convert_buf;
	return rc;
}

/* One message to every output: to each ordinary edge, and to the
 * replica whose turn it is of each replicated kernel downstream. */
static int emit_all(rk_kernel *k, rk_envelope env, const void *data,
		    size_t len)
{
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);
	int result = RK_OK;

	for (size_t g = 0; g < (k->n_out_groups ? k->n_out_groups : 1); g++) {
		size_t i = 0;
		rk_out_group *grp = k->n_out_groups ? &k->out_groups[g] : NULL;
		if (grp)
			i = grp->first + grp->next;
		const void *d = data;
		size_t l = len;
		int rc = outs[i]->convert_to ? convert_for(k, outs[i], &d, &l)
					     : RK_OK;
		if (rc == RK_OK)
			rc = rk_executor_emit_to(k, i, outs[i], env, d, l, 0);
		else
			conversion_failed(k, outs[i]);
		/* The next replica's turn comes only with a message it has
		 * (the merge downstream waits for each turn's marker). */
		if (grp && rc == RK_OK)
			grp->next = (grp->next + 1) % grp->n;
		if (rc != RK_OK)
			result = rc;
	}
	return result;
}

/* A replica marks the end of each message's outputs on every output,
 * in the message's band, for the merge downstream. */
void rk_executor_mark_done(rk_kernel *k, uint8_t priority)
{
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);
	rk_envelope env = { .priority = priority };

	for (size_t i = 0; i < n; i++)
		rk_executor_emit_to(k, i, outs[i], env, NULL, 0, RK_SLOT_MARKER);
}

static int ctx_emit(rk_ctx *ctx, const void *data, size_t len);

rk_error rk_ctx_emit(rk_ctx *ctx, const void *data, size_t len)
{
	bool was = rk_fault_runtime_enter();
	int rc = ctx_emit(ctx, data, len);
	rk_fault_runtime_leave(was);
	return rc;
}

/* What a json kernel emits must be JSON: refused here, where the kernel
 * that made it is known, not two kernels later.  Its own input passed
 * on unchanged was checked when it came in. */
static bool emit_checked(rk_ctx *ctx, const void *data, size_t len)
{
	rk_kernel *k = ctx->kernel;

	if (!rk_type_is_json(k->desc->output_type)
	    || (ctx->current && data == ctx->current->data
		&& len == ctx->current->len
		&& rk_type_is_json(k->desc->input_type))
	    || codec_check_json(data, len) == RK_OK)
		return true;
	snprintf(ctx->error, sizeof(ctx->error), "emitted a message that is "
		 "not JSON: %s", rk_errmsg());
	if (k->desc->main || !ctx->current) {
		/* No message to fail (a main loop, a flush): the error is
		 * counted at once. */
		rk_count(&k->cb.errors, 1);
		rk_kernel_set_error(k, RK_ESCHEMA, ctx->error);
		if (k->rt->on_kernel_error)
			k->rt->on_kernel_error(k->rt->on_kernel_error_arg, k->id,
					       __atomic_load_n(&k->cb.received,
							       __ATOMIC_RELAXED)
					       + ctx->holding, ctx->error);
	} else {
		ctx->emit_refused = true;
	}
	return false;
}

static int ctx_emit(rk_ctx *ctx, const void *data, size_t len)
{
	rk_kernel *k = ctx->kernel;
	rk_envelope env = { 0 };

	if (!emit_checked(ctx, data, len))
		return rk_fail(RK_ESCHEMA, "%s", ctx->error);

	env.priority = RK_PRIORITY_DEFAULT;
	if (ctx->current) {
		env.correlation_id = ctx->current->message_id;
		env.priority = ctx->current->priority;
		env.type_tag = ctx->current->type_tag;
	}
	if (!k->batch_now_ns)
		k->batch_now_ns = rk_now_ns();
	int result = emit_all(k, env, data, len);
	/* A main loop has no batches: each message has its own time. */
	if (!k->batch_port && !k->linked_batch)
		k->batch_now_ns = 0;
	return result;
}

/* Rings held back while the batch ran (k->fusing), rung now. */
void rk_executor_ring_outputs(rk_kernel *k)
{
	size_t n;
	rk_port *const *outs;

	if (!k->fusing)
		return;
	k->fusing = false;
	outs = rk_kernel_outputs(k, &n);
	for (size_t i = 0; i < n; i++)
		if (rk_port_consumer_runnable(outs[i]))
			rk_port_notify(outs[i]);
}
