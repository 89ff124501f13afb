/* executor-batch.c - a kernel's batch: ready messages taken from one
 * input by priority (a segment; from replicas upstream, turn after
 * turn), handed to the kernel's process or process_batch, counted, their
 * outputs seen once they are counted, and the end of input passed on.
 * The executor's thread runs it (executor-loop.c), or a producer that
 * runs its consumer's batch (executor-fuse.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rk-error.h"
#include "executor.h"
#include "fault.h"
#include "kernel.h"
#include "runtime.h"

static void msg_from_slot(rk_msg *m, rk_slot_header *h)
{
	m->data = h + 1;
	m->len = h->length;
	m->message_id = h->message_id;
	m->correlation_id = h->correlation_id;
	m->enqueue_ns = h->enqueue_ns;
	m->type_tag = h->type_tag;
	m->priority = h->priority;
}

/* A failed message: count it, keep why, tell the hook, and say whether
 * to stop.  `position` is the message's place in the input, from 1. */
static bool failure_noted(rk_kernel *k, int rc, uint64_t position)
{
	char why[sizeof(k->ctx.error)];
	struct rk_runtime *rt = k->rt;

	if (k->ctx.error[0] == '\0')
		snprintf(why, sizeof(why), "process failed with status %d", rc);
	else
		snprintf(why, sizeof(why), "%s", k->ctx.error);
	k->ctx.error[0] = '\0';
	rk_kernel_set_error(k, RK_EKERNEL, why);
	if (rt->on_kernel_error)
		rt->on_kernel_error(rt->on_kernel_error_arg, k->id, position, why);
	return k->on_error == RK_ON_ERROR_STOP;
}

bool rk_executor_message_failed(rk_kernel *k, int rc, uint64_t failures,
				uint64_t position)
{
	rk_count(&k->cb.errors, failures);
	return failure_noted(k, rc, position);
}

bool rk_executor_failed(rk_kernel *k, uint64_t failures, uint64_t position)
{
	return rk_executor_message_failed(k, (int)failures, failures,
					  position);
}

/* A command waits, or a drain ran out of time: end the batch early so
 * that slow kernels still answer promptly; for the kernel, and for each
 * producer that runs it on its thread (executor-fuse.c), which answers
 * its own commands only once this batch is done. */
bool rk_executor_interrupted(rk_kernel *k)
{
	for (rk_kernel *x = k; x; x = x->fused_by) {
		if (__atomic_load_n(&x->cb.epoch, __ATOMIC_ACQUIRE)
		    != x->cb.acked_epoch)
			return true;
		if (x->cb.run_state == RK_STATE_TERMINATING
		    && rk_now_ns() >= x->cb.drain_deadline_ns)
			return true;
	}
	return false;
}

/* The inputs whose end counts: every upstream kernel, and the
 * clients' input when it is the only one or was ever used.  (A client
 * feeding a kernel that also has upstreams sends its data before any
 * end it causes upstream, so `used` is visible here by then.) */
static bool all_inputs_ended(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_inputs; i++) {
		if (i == 0 && k->n_inputs > 1
		    && !__atomic_load_n(&k->inputs[0]->used, __ATOMIC_RELAXED))
			continue;
		if (!k->inputs[i]->end_seen)
			return false;
	}
	return true;
}

/* Input p has ended.  Once every input has, the kernel flushes what it
 * holds and passes the end on. */
bool rk_executor_input_ended(rk_kernel *k, rk_port *p)
{
	p->end_seen = true;
	if (k->end_done || !all_inputs_ended(k))
		return false;
	k->end_done = true;
	k->ctx.current = NULL;
	k->ops->end_of_input(k);
	if (k->desc->flush) {
		rk_kernel_function = "flush";
		rk_in_kernel_code = true;
		int failed = k->desc->flush(&k->ctx);
		rk_in_kernel_code = false;
		if (failed)
			rk_executor_message_failed(k, -1, 1,
						   k->cb.received + 1);
	}
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);
	rk_envelope env = { .priority = 0 };
	if (!k->batch_now_ns)
		k->batch_now_ns = rk_now_ns();
	for (size_t i = 0; i < n; i++)
		rk_executor_emit_to(k, i, outs[i], env, NULL, 0,
				    RK_SLOT_END_OF_STREAM);
	k->batch_now_ns = 0;
	return true;
}

/* A segment: up to RK_BATCH_MAX ready messages of one band of one input,
 * up to the end of that input or a replica's marker. */
typedef struct segment {
	rk_port *p;
	int band;
	rk_ring *r;
	/* Slots are addressed from the segment's first index: the tail
	 * moves if processed slots are given back early
	 * (rk_executor_release_processed). */
	uint64_t first;
	uint64_t n;                     /* its messages */
	uint8_t stop_flags;             /* the end or marker after them */
	bool end;                       /* that slot is taken with them */
	uint64_t position;              /* messages received before it */
	uint64_t t0;                    /* for the latency histogram */
	uint64_t taken;                 /* messages processed or failed */
	uint64_t ok;                    /* of those, processed */
} segment;

/* The next segment of ready input; false when there is none. */
static bool segment_find(rk_kernel *k, segment *s, uint64_t max)
{
	s->p = rk_executor_pick_input(k, &s->band);
	if (!s->p)
		return false;
	s->r = s->p->band[s->band];
	s->n = rk_ring_ready(s->r);
	if (s->n > max)
		s->n = max;
	s->first = s->r->tail;
	s->stop_flags = 0;
	for (uint64_t i = 0; i < s->n; i++) {
		uint8_t f = rk_ring_slot(s->r, s->first + i)->flags;
		if (f & (RK_SLOT_END_OF_STREAM | RK_SLOT_MARKER)) {
			s->n = i;
			s->stop_flags = f;
			break;
		}
	}
	/* The end rides band 0: it must not overtake messages published
	 * with it in higher bands (visible now: published first). */
	if ((s->stop_flags & RK_SLOT_END_OF_STREAM)
	    && rk_port_higher_ready(s->p, s->band))
		s->stop_flags = 0;
	s->end = s->stop_flags != 0;
	return s->n > 0 || s->end;
}

/* The segment becomes the kernel's batch (for a thread that dies
 * within it, and for slots given back early). */
static void segment_begin(rk_kernel *k, segment *s)
{
	s->taken = s->n;
	s->ok = 0;
	s->position = k->cb.received;
	s->t0 = rk_now_ns();
	if (!k->batch_now_ns)
		k->batch_now_ns = s->t0;
	k->batch_port = s->p;
	k->batch_band = s->band;
	k->batch_index = 0;
	k->batch_ok = k->batch_ok_counted = 0;
	k->batch_failed = k->batch_failed_counted = 0;
}

rk_batch_next rk_ctx_batch_done(rk_ctx *ctx, int failed)
{
	rk_kernel *k = ctx->kernel;

	/* Not in such a batch, all told, or stopping: nothing counts. */
	if (!k->told_msgs || k->batch_index >= k->told_n || k->told_stop)
		return RK_BATCH_STOP;
	bool was = rk_fault_runtime_enter();
	const rk_msg *m = &k->told_msgs[k->batch_index];
	if (failed == 0 && ctx->emit_refused)
		failed = RK_ESCHEMA;
	/* Counted, as received, when the slots go back (segment_end). */
	if (failed) {
		k->batch_failed++;
		if (failure_noted(k, failed,
				  k->told_position + k->batch_index + 1))
			k->told_stop = true;
	} else {
		k->batch_ok++;
	}
	ctx->error[0] = '\0';
	ctx->emit_refused = false;
	if (k->telemetry) {
		uint64_t t1 = rk_now_ns();
		rk_hist_add(&k->latency, t1 - k->told_t0);
		rk_rate_note(k, t1);
		k->told_t0 = t1;
	}
	k->batch_index++;
	/* Its slot back, so that producers waiting for room go on while
	 * the rest of the batch is worked on (a co-process kernel's
	 * messages take long); its outputs seen once it is counted. */
	rk_executor_release_processed(k);
	rk_executor_show_outputs(k);
	if (k->emits_markers)
		rk_executor_mark_done(k, m->priority);
	ctx->current = k->batch_index < k->told_n
		       ? &k->told_msgs[k->batch_index] : NULL;
	rk_fault_runtime_leave(was);
	return k->told_stop ? RK_BATCH_STOP
	       : rk_executor_interrupted(k) ? RK_BATCH_FINISH : RK_BATCH_GO_ON;
}

/* The segment through a process_batch that tells each message's end:
 * what it told is taken, the rest stays queued.  Returns whether to
 * stop. */
static bool run_told_batch(rk_kernel *k, segment *s, const rk_msg *msgs)
{
	uint64_t n = s->n;

	k->told_msgs = msgs;
	k->told_n = n;
	k->told_position = s->position;
	k->told_t0 = s->t0;
	k->told_stop = false;
	k->ctx.current = &msgs[0];
	k->ctx.error[0] = '\0';
	k->ctx.emit_refused = false;
	rk_kernel_function = "process_batch";
	k->hold_outputs = true;
	(void)k->ops->process_batch(k, msgs, n);
	k->hold_outputs = false;
	rk_in_kernel_code = false;
	/* Telling none would take nothing, and the batch would come back
	 * for ever: none told is all failed. */
	if (k->batch_index == 0) {
		char why[sizeof(k->ctx.error)];
		snprintf(why, sizeof(why), "%s", k->ctx.error[0]
			 ? k->ctx.error
			 : "process_batch told none of its messages done");
		for (uint64_t i = 0; i < n; i++) {
			snprintf(k->ctx.error, sizeof(k->ctx.error), "%s", why);
			(void)rk_ctx_batch_done(&k->ctx, -1);
		}
	}
	k->told_msgs = NULL;
	k->ctx.current = NULL;
	/* Emitted for a message it did not tell: seen (it comes again). */
	rk_executor_show_outputs(k);
	s->taken = k->batch_index;
	s->ok = k->batch_ok;
	if (s->taken < n)
		s->end = false;
	return k->told_stop;
}

/* The whole segment at once, through the kernel's operations (its
 * process_batch, or its device).  Returns whether to stop. */
static bool run_batch(rk_kernel *k, segment *s)
{
	rk_msg msgs[RK_BATCH_MAX];
	uint64_t n = s->n;
	bool stop = false;

	for (uint64_t i = 0; i < n; i++)
		msg_from_slot(&msgs[i], rk_ring_slot(s->r, s->first + i));
	if ((k->desc->flags & RK_KERNEL_BATCH_TELLS) && !k->device)
		return run_told_batch(k, s, msgs);
	k->batch_index = n - 1;
	k->batch_in_flight = 0;
	k->ctx.error[0] = '\0';
	k->ctx.emit_refused = false;
	rk_kernel_function = "process_batch";
	int failed = k->ops->process_batch(k, msgs, n);
	rk_in_kernel_code = false;
	k->ctx.current = NULL;
	uint64_t flying = k->batch_in_flight;
	k->batch_in_flight = 0;
	if (failed < 0 || (uint64_t)failed + flying > n)
		failed = (int)(n - flying);
	if (failed == 0 && k->ctx.emit_refused && flying < n)
		failed = 1;     /* which one is not known: one is counted */
	/* In flight: counted received as their slots go back, processed
	 * or failed (with their latency) as their results come. */
	s->ok = n - (uint64_t)failed - flying;
	/* batch_index: the failure a device located, else the end. */
	if (failed)
		stop = rk_executor_message_failed(k, failed, (uint64_t)failed,
				      s->position + k->batch_index + 1);
	if (k->telemetry) {
		/* In flight: their latency comes with their results; the
		 * rate's window moves all the same. */
		uint64_t t1 = rk_now_ns();
		if (flying < n)
			rk_hist_add(&k->latency, (t1 - s->t0) / n);
		rk_rate_note(k, t1);
	}
	return stop;
}

/* The segment's message i through the kernel's process.  Returns
 * whether to stop. */
static bool run_message(rk_kernel *k, segment *s, uint64_t i)
{
	rk_msg m;

	k->batch_index = i;
	msg_from_slot(&m, rk_ring_slot(s->r, s->first + i));
	k->ctx.current = &m;
	k->ctx.error[0] = '\0';
	k->ctx.emit_refused = false;
	rk_kernel_function = "process";
	rk_in_kernel_code = true;
	k->hold_outputs = true;
	int rc = k->desc->process(&k->ctx, &m);
	k->hold_outputs = false;
	rk_in_kernel_code = false;
	k->ctx.current = NULL;
	if (rc == 0 && k->ctx.emit_refused)
		rc = RK_ESCHEMA;
	if (k->telemetry) {
		uint64_t t1 = rk_now_ns();
		rk_hist_add(&k->latency, t1 - s->t0);
		rk_rate_note(k, t1);
		s->t0 = t1;
	}
	/* Said at once; counted, as received, when its slot goes back:
	 * here when it emitted (its outputs are seen only once it is
	 * counted), else at the batch's end (end_batch), or before the
	 * kernel blocks (release_processed). */
	bool stop = rc != 0 && failure_noted(k, rc, s->position + i + 1);
	if (rc == 0)
		k->batch_ok = ++s->ok;
	else
		k->batch_failed++;
	/* Its outputs seen once it is counted (its slot back). */
	if (k->held_sent) {
		k->batch_index = i + 1;
		rk_executor_release_quietly(k);
		rk_executor_show_outputs(k);
	}
	if (k->emits_markers)
		rk_executor_mark_done(k, m.priority);
	return stop;
}

/* The segment message by message, ending early (its end or marker left
 * for later) to stop or to answer a command.  Returns whether to stop. */
static bool run_messages(rk_kernel *k, segment *s)
{
	for (uint64_t i = 0; i < s->n; i++) {
		bool stop = run_message(k, s, i);
		if (stop || (i + 1 < s->n && rk_executor_interrupted(k))) {
			s->taken = i + 1;
			s->end = false;
			return stop;
		}
	}
	return false;
}

/* Give the segment's slots back, and pass on the end or marker it
 * took.  Returns how many slots were taken. */
static size_t segment_end(rk_kernel *k, segment *s, bool *marker)
{
	k->batch_port = NULL;
	rk_executor_end_batch(k, s->p, s->band, s->taken + s->end, s->taken,
			      s->ok);
	if (s->end)
		rk_executor_input_mark(k, s->p, s->stop_flags);
	*marker = s->end && (s->stop_flags & RK_SLOT_MARKER);
	if (s->end && (s->stop_flags & RK_SLOT_END_OF_STREAM))
		rk_executor_input_ended(k, s->p);
	return (size_t)(s->taken + s->end);
}

/* Process the next segment.  Returns how many slots were taken; *stop
 * is set when the policy says the kernel must stop after a failure,
 * *marker when the segment ended at a replica's marker. */
static size_t process_segment(rk_kernel *k, uint64_t max, bool *stop,
			      bool *marker)
{
	segment s;

	*marker = false;
	if (!segment_find(k, &s, max))
		return 0;
	segment_begin(k, &s);
	bool stop_now = s.n && k->ops->process_batch ? run_batch(k, &s)
						       : run_messages(k, &s);
	if (stop_now)
		*stop = true;
	return segment_end(k, &s, marker);
}

/* A batch: one run of ready messages of one input; from the replicas of
 * a replicated kernel upstream, turn after turn, up to RK_BATCH_MAX.  Its
 * messages share one clock reading; their outputs go out as emitted.
 * Each turn is a segment of its own (often one message and its marker),
 * so a command or the drain deadline is looked at between turns too, as
 * run_messages does between messages: else a slow kernel would answer
 * only after up to RK_BATCH_MAX / 2 messages. */
size_t rk_executor_process_ready(rk_kernel *k, bool *stop)
{
	size_t total = 0, n, max = k->take_max ? k->take_max : RK_BATCH_MAX;
	bool marker = true;

	while (marker && !*stop && total < max
	       && !(total && rk_executor_interrupted(k))
	       && (n = process_segment(k, max - total, stop, &marker)) > 0)
		total += n;
	k->batch_now_ns = 0;
	return total;
}
