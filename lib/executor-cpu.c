/* executor-cpu.c - a kernel's CPU thread: take messages by priority,
 * process them, apply the host's commands between batches, park on a
 * futex when idle after spinning briefly. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rk-error.h"
#include "device-host.h"
#include "device.h"
#include "executor.h"
#include "fault.h"
#include "kernel.h"
#include "runtime.h"
#include "spin.h"

#define BATCH_MAX 64
#define WAIT_SLICE_NS 10000000u        /* re-check commands while blocked */

static void bump(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

rk_state rk_kernel_poll_control(rk_kernel *k)
{
	uint32_t epoch = __atomic_load_n(&k->cb.epoch, __ATOMIC_ACQUIRE);

	if (epoch != k->cb.acked_epoch) {
		uint32_t want = __atomic_load_n(&k->cb.requested,
						__ATOMIC_RELAXED);
		/* A device confirms first: acknowledged means applied. */
		if (k->device)
			rk_device_follow(k, (rk_state)want);
		__atomic_store_n(&k->cb.run_state, want, __ATOMIC_RELAXED);
		__atomic_store_n(&k->cb.acked_epoch, epoch, __ATOMIC_RELEASE);
		rk_event_notify(&k->ack);
	}
	return (rk_state)k->cb.run_state;
}

void rk_kernel_set_error(rk_kernel *k, rk_error code, const char *msg)
{
	pthread_mutex_lock(&k->error_lock);
	snprintf(k->last_error, sizeof(k->last_error), "%s", msg);
	pthread_mutex_unlock(&k->error_lock);
	__atomic_store_n(&k->cb.last_error, (uint32_t)code, __ATOMIC_RELAXED);
}

/* Anything for the executor to do: a command, or input while active.
 * Reads indices only, so it is safe without the consumer lock. */
static bool input_turn(rk_kernel *k, size_t idx);

/* Whether the kernel may drop the oldest of its drop_oldest inputs
 * now: it holds no message in place (a batch, a main loop's last), and
 * has been activated once (before, rk_connect may still grow the
 * inputs). */
static bool may_trim(rk_kernel *k)
{
	return k->cb.run_state != RK_STATE_LAUNCHED && !k->batch_port
	       && !k->ctx.holding;
}

static void trim_inputs(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_inputs; i++)
		if (k->inputs[i]->policy == RK_BP_DROP_OLDEST)
			rk_port_trim(k->inputs[i]);
}

static bool work_pending(rk_kernel *k, bool active, bool trims)
{
	if (__atomic_load_n(&k->cb.epoch, __ATOMIC_ACQUIRE)
	    != k->cb.acked_epoch)
		return true;
	/* Active or not, drop_oldest leaves the oldest for us to drop. */
	for (size_t i = 0; trims && i < k->n_inputs; i++)
		if (rk_port_trim_due(k->inputs[i]))
			return true;
	if (active) {
		for (size_t i = 0; i < k->n_inputs; i++)
			if (input_turn(k, i) && rk_port_depth(k->inputs[i]))
				return true;
		if (k->device && rk_device_linked_pending(k))
			return true;
		/* A link came while it decided how long to sleep. */
		if (k->device && !k->link_polled
		    && __atomic_load_n(&k->device->link_in, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/* Spin for spin_ns, then park on the doorbell until a producer or the
 * host rings it, or the deadline passes. */
static void idle_spinning(rk_kernel *k, bool active, uint64_t deadline_ns,
			  uint32_t spin_ns)
{
	rk_spin sp;
	bool trims = may_trim(k);

	/* Deactivated or not, the newest are kept (drop_oldest). */
	if (trims)
		trim_inputs(k);
	rk_spin_init(&sp, spin_ns, deadline_ns);
	do {
		if (work_pending(k, active, trims))
			return;
	} while (rk_spin_again(&sp));
	__atomic_store_n(&k->cb.heartbeat_ns, rk_now_ns(), __ATOMIC_RELAXED);
	uint32_t key = rk_event_prepare(&k->bell->ev);
	if (work_pending(k, active, trims)) {
		rk_event_cancel(&k->bell->ev);
		return;
	}
	rk_event_wait(&k->bell->ev, key, deadline_ns);
}

void rk_executor_idle(rk_kernel *k, bool active, uint64_t deadline_ns)
{
	idle_spinning(k, active, deadline_ns, k->spin_ns);
}

/* An input from a replica is read only in its turn, until the end. */
static bool input_turn(rk_kernel *k, size_t idx)
{
	int g = k->in_group_of ? k->in_group_of[idx] : -1;

	if (g < 0)
		return true;
	const rk_in_group *grp = &k->in_groups[g];
	return grp->done || idx == grp->first + grp->cursor;
}

/* A marker from a replica: its message is done, the next replica's
 * turn comes.  The end from the replica whose turn it is means every
 * replica is done: the others' ends are then read freely. */
void rk_executor_input_mark(rk_kernel *k, rk_port *p, uint8_t flags)
{
	for (size_t i = 0; k->in_group_of && i < k->n_inputs; i++) {
		if (k->inputs[i] != p || k->in_group_of[i] < 0)
			continue;
		rk_in_group *g = &k->in_groups[k->in_group_of[i]];
		if (flags & RK_SLOT_MARKER)
			g->cursor = (g->cursor + 1) % g->n;
		else if (flags & RK_SLOT_END_OF_STREAM)
			g->done = true;
	}
}

/* The input with the highest non-empty band, round-robin among inputs
 * within a band. */
rk_port *rk_executor_pick_input(rk_kernel *k, int *band)
{
	trim_inputs(k);
	if (k->n_inputs == 1) {
		rk_port *p = k->inputs[0];
		return rk_port_peek(p, band) ? p : NULL;
	}
	for (int b = RK_BANDS - 1; b >= 0; b--) {
		for (size_t i = 0; i < k->n_inputs; i++) {
			size_t idx = (k->next_input + i) % k->n_inputs;
			rk_port *p = k->inputs[idx];
			if (!input_turn(k, idx))
				continue;
			uint32_t used = __atomic_load_n(&p->bands_used,
							__ATOMIC_ACQUIRE);
			if (!(used & (1u << b)))
				continue;
			rk_ring *r = __atomic_load_n(&p->band[b],
						     __ATOMIC_ACQUIRE);
			if (rk_ring_ready(r)) {
				k->next_input = idx + 1;
				*band = b;
				return p;
			}
		}
	}
	return NULL;
}

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
	char why[128];
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

static bool message_failed(rk_kernel *k, int rc, uint64_t failures,
			   uint64_t position)
{
	bump(&k->cb.errors, failures);
	return failure_noted(k, rc, position);
}

/* A command waits, or a drain ran out of time: end the batch early so
 * that slow kernels still answer promptly. */
static bool batch_interrupted(rk_kernel *k)
{
	if (__atomic_load_n(&k->cb.epoch, __ATOMIC_ACQUIRE) != k->cb.acked_epoch)
		return true;
	return k->cb.run_state == RK_STATE_TERMINATING
	       && rk_now_ns() >= k->cb.drain_deadline_ns;
}

/* Count the batch's first `messages` (ok of them processed) as their
 * slots go back, never later, so that at every moment what came in is
 * received + queued + dropped; the counted marks move with them. */
static void count_released(rk_kernel *k, uint64_t messages, uint64_t ok)
{
	bump(&k->cb.received, messages - k->batch_released);
	bump(&k->cb.processed, ok - k->batch_ok_counted);
	bump(&k->cb.errors, k->batch_failed - k->batch_failed_counted);
	k->batch_ok_counted = ok;
	k->batch_failed_counted = k->batch_failed;
}

/* Give a batch's slots back and count it (an end-of-input slot is
 * taken but not counted as a message). */
static void end_batch(rk_kernel *k, rk_port *p, int band, uint64_t taken,
		      uint64_t messages, uint64_t ok)
{
	count_released(k, messages, ok);
	rk_ring_release(p->band[band], taken - k->batch_released);
	k->batch_released = 0;
	k->batch_ok_counted = 0;
	k->batch_failed = k->batch_failed_counted = 0;
	rk_event_notify(&p->space);
}

static int emit_to(rk_kernel *k, size_t i, rk_port *p, rk_envelope env,
		   const void *data, size_t len, uint8_t flags);

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
	if (k->device)
		rk_device_link_end(k);
	if (k->desc->flush) {
		rk_kernel_function = "flush";
		rk_in_kernel_code = true;
		int failed = k->desc->flush(&k->ctx);
		rk_in_kernel_code = false;
		if (failed)
			message_failed(k, -1, 1, k->cb.received + 1);
	}
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);
	rk_envelope env = { .priority = 0 };
	if (!k->batch_now_ns)
		k->batch_now_ns = rk_now_ns();
	for (size_t i = 0; i < n; i++)
		emit_to(k, i, outs[i], env, NULL, 0, RK_SLOT_END_OF_STREAM);
	k->batch_now_ns = 0;
	return true;
}

/* Process up to BATCH_MAX ready messages of one band of one input, up
 * to an end-of-input slot.  Returns how many slots were taken; *stop is
 * set when the policy says the kernel must stop after a failure. */
static size_t process_segment(rk_kernel *k, bool *stop, bool *marker)
{
	rk_msg msgs[BATCH_MAX];
	int band;
	rk_port *p = rk_executor_pick_input(k, &band);

	*marker = false;
	if (!p)
		return 0;
	rk_ring *r = p->band[band];
	uint64_t n = rk_ring_ready(r);
	if (n > BATCH_MAX)
		n = BATCH_MAX;

	/* Slots are addressed from the batch's first index: the tail moves
	 * if processed slots are given back early (release_processed). */
	uint64_t first = r->tail, ok = 0;
	uint8_t stop_flags = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t f = rk_ring_slot(r, first + i)->flags;
		if (f & (RK_SLOT_END_OF_STREAM | RK_SLOT_MARKER)) {
			n = i;
			stop_flags = f;
			break;
		}
	}
	/* The end rides band 0: it must not overtake messages published
	 * with it in higher bands (visible now: published first). */
	if ((stop_flags & RK_SLOT_END_OF_STREAM)
	    && rk_port_higher_ready(p, band))
		stop_flags = 0;
	bool end = stop_flags != 0;
	if (n == 0 && !end)
		return 0;
	uint64_t taken = n, position = k->cb.received;
	uint64_t t0 = rk_now_ns();
	if (!k->batch_now_ns)
		k->batch_now_ns = t0;
	k->batch_port = p;
	k->batch_band = band;
	k->batch_index = 0;
	k->batch_ok = k->batch_ok_counted = 0;
	k->batch_failed = k->batch_failed_counted = 0;
	if (n && (k->device || k->desc->process_batch)) {
		for (uint64_t i = 0; i < n; i++)
			msg_from_slot(&msgs[i], rk_ring_slot(r, first + i));
		k->batch_index = n - 1;
		k->ctx.error[0] = '\0';
		rk_kernel_function = "process_batch";
		rk_in_kernel_code = !k->device;
		int failed = k->device
			? rk_device_process_batch(k, msgs, n)
			: k->desc->process_batch(&k->ctx, msgs, n);
		rk_in_kernel_code = false;
		k->ctx.current = NULL;
		if (failed < 0 || (uint64_t)failed > n)
			failed = (int)n;
		ok = n - (uint64_t)failed;
		/* batch_index: the failure a device located, else the end. */
		if (failed)
			*stop = message_failed(k, failed, (uint64_t)failed,
					       position + k->batch_index + 1);
		if (k->telemetry)
			rk_hist_add(&k->latency, (rk_now_ns() - t0) / n);
	} else {
		for (uint64_t i = 0; i < n; i++) {
			k->batch_index = i;
			msg_from_slot(&msgs[0], rk_ring_slot(r, first + i));
			k->ctx.current = &msgs[0];
			k->ctx.error[0] = '\0';
			rk_kernel_function = "process";
			rk_in_kernel_code = true;
			int rc = k->desc->process(&k->ctx, &msgs[0]);
			rk_in_kernel_code = false;
			k->ctx.current = NULL;
			if (k->telemetry) {
				uint64_t t1 = rk_now_ns();
				rk_hist_add(&k->latency, t1 - t0);
				t0 = t1;
			}
			/* Said at once; counted, as received, when its slot
			 * goes back (release_processed, end_batch): after
			 * the marker, which may wait for room. */
			bool stop_now = rc != 0
				&& failure_noted(k, rc, position + i + 1);
			if (k->emits_markers)
				rk_executor_mark_done(k, msgs[0].priority);
			if (rc == 0)
				k->batch_ok = ++ok;
			else
				k->batch_failed++;
			if (stop_now) {
				*stop = true;
				taken = i + 1;
				end = false;
				break;
			}
			if (i + 1 < n && batch_interrupted(k)) {
				taken = i + 1;
				end = false;
				break;
			}
		}
	}
	k->batch_port = NULL;
	end_batch(k, p, band, taken + end, taken, ok);
	if (end)
		rk_executor_input_mark(k, p, stop_flags);
	*marker = end && (stop_flags & RK_SLOT_MARKER);
	if (end && (stop_flags & RK_SLOT_END_OF_STREAM))
		rk_executor_input_ended(k, p);
	return (size_t)(taken + end);
}

/* A batch: one run of ready messages of one input; from the replicas of
 * a replicated kernel upstream, turn after turn, up to BATCH_MAX.  Its
 * messages share one clock reading; their outputs go out as emitted. */
size_t rk_executor_process_ready(rk_kernel *k, bool *stop)
{
	size_t total = 0, n;
	bool marker = true;

	while (marker && !*stop && total < BATCH_MAX
	       && (n = process_segment(k, stop, &marker)) > 0)
		total += n;
	k->batch_now_ns = 0;
	return total;
}

/* Before blocking mid-batch, give back the slots of the messages
 * already processed, so that the input holds only what still waits. */
static void release_processed(rk_kernel *k)
{
	rk_port *p = k->batch_port;

	/* process_batch may still read any message of its batch. */
	if (!p || k->desc->process_batch || k->batch_index <= k->batch_released)
		return;
	count_released(k, k->batch_index, k->batch_ok);
	rk_ring_release(p->band[k->batch_band],
			k->batch_index - k->batch_released);
	k->batch_released = k->batch_index;
	rk_event_notify(&p->space);
}

/* Blocked on a full output: wait for room while serving commands.  A
 * deactivated kernel holds its message until reactivated; a
 * terminating one gives up at the drain deadline (false). */
static bool wait_output_space(rk_kernel *k, rk_port *p, uint8_t flags)
{
	rk_spin sp;

	rk_spin_init(&sp, k->spin_ns, UINT64_MAX);
	do {
		if (rk_port_has_room(p, flags))
			return true;
	} while (rk_spin_again(&sp));
	release_processed(k);
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

/* An output that could not be delivered: counted as dropped and kept
 * as last_error, and the reason left in ctx.error, so that a kernel
 * returning emit's status fails the message saying why. */
static void output_lost(rk_kernel *k, rk_error rc, const char *why,
			bool count)
{
	rk_kernel_set_error(k, rc, why);
	snprintf(k->ctx.error, sizeof(k->ctx.error), "%s", why);
	if (count)
		bump(&k->cb.dropped, 1);
}

/* Deliver one message to output i under its policy.  Anything not
 * delivered is counted as dropped and explained in last_error.  The
 * executor is its outputs' only producer: no lock.  An end or a marker
 * waits for room whatever the policy. */
static int emit_to(rk_kernel *k, size_t i, rk_port *p, rk_envelope env,
		   const void *data, size_t len, uint8_t flags)
{
	char why[128];
	rk_error rc;

	for (;;) {
		rc = rk_port_try_push(p, &env, data, len, flags, k->batch_now_ns);
		if (rc == RK_OK && rk_port_publish(p) != 0)
			rc = RK_ESTATE;         /* closed meanwhile */
		if (rc == RK_OK) {
			/* Seen and woken for at once: a kernel that hangs
			 * after this has delivered it. */
			rk_port_notify(p);
			if (!flags)
				bump(&k->cb.sent, 1);
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
			rc = emit_to(k, i, outs[i], env, d, l, 0);
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
		emit_to(k, i, outs[i], env, NULL, 0, RK_SLOT_MARKER);
}

static int ctx_emit(rk_ctx *ctx, const void *data, size_t len);

rk_error rk_ctx_emit(rk_ctx *ctx, const void *data, size_t len)
{
	bool was = rk_fault_runtime_enter();
	int rc = ctx_emit(ctx, data, len);
	rk_fault_runtime_leave(was);
	return rc;
}

static int ctx_emit(rk_ctx *ctx, const void *data, size_t len)
{
	rk_kernel *k = ctx->kernel;
	rk_envelope env = { 0 };

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

/* Terminating: process what is queued until the deadline (zero when
 * the kernel was not active), then count the rest as dropped.  A main
 * loop has drained through rk_ctx_receive already. */
void rk_executor_drain(rk_kernel *k)
{
	uint64_t drained = 0;
	bool stop = k->desc->main != NULL;

	while (!stop && rk_now_ns() < k->cb.drain_deadline_ns) {
		size_t n = rk_executor_process_ready(k, &stop);
		if (k->device)
			n += rk_device_drain_linked(k);
		if (n == 0)
			break;
		drained += n;
	}
	/* Until the deadline, what a device link brought goes on too. */
	if (k->device && !stop)
		rk_device_link_end(k);
	uint64_t left = 0;
	for (size_t i = 0; i < k->n_inputs; i++)
		left += rk_port_discard(k->inputs[i]);
	bump(&k->cb.dropped, left);
	k->report.drained = drained;
	k->report.dropped_input = left;
}

/* A device cannot ring the doorbell: a kernel fed over a device link
 * looks at its device's output ring again after a nap that grows while
 * nothing comes (10 us to 2 ms; past 80 us without spinning first, so
 * that an idle one costs next to nothing).  Others sleep until woken. */
#define LINK_POLL_MIN_NS 10000u
#define LINK_POLL_SPIN_NS 80000u
#define LINK_POLL_MAX_NS 2000000u

static uint64_t link_poll_deadline(rk_kernel *k)
{
	k->link_polled = k->device && __atomic_load_n(&k->device->link_in,
						      __ATOMIC_ACQUIRE);
	if (!k->link_polled)
		return UINT64_MAX;
	k->link_poll_ns = k->link_poll_ns ? k->link_poll_ns * 2
					  : LINK_POLL_MIN_NS;
	if (k->link_poll_ns > LINK_POLL_MAX_NS)
		k->link_poll_ns = LINK_POLL_MAX_NS;
	return rk_now_ns() + k->link_poll_ns;
}

/* The persistent loop for kernels with process or process_batch. */
static int process_loop(rk_kernel *k)
{
	for (;;) {
		rk_state s = rk_kernel_poll_control(k);
		if (rk_device_lost(k))
			return -1;
		if (s == RK_STATE_TERMINATING) {
			rk_executor_drain(k);
			return 0;
		}
		if (s == RK_STATE_ACTIVE) {
			bool stop = false;
			size_t n = rk_executor_process_ready(k, &stop);
			if (stop)
				return -1;
			if (k->device)
				n += rk_device_drain_linked(k);
			if (n) {
				k->link_poll_ns = 0;
				continue;
			}
		}
		uint64_t deadline = link_poll_deadline(k);
		idle_spinning(k, s == RK_STATE_ACTIVE, deadline,
			      k->link_poll_ns > LINK_POLL_SPIN_NS ? 0
								: k->spin_ns);
	}
}

/* Set the final state, refuse new input and tell the host. */
static void executor_finish(rk_kernel *k, rk_state final)
{
	if (final == RK_STATE_FAILED)
		for (size_t i = 0; i < k->n_inputs; i++)
			rk_port_close(k->inputs[i]);
	__atomic_store_n(&k->cb.run_state, final, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cb.finished, 1, __ATOMIC_RELEASE);
	rk_event_wake_all(&k->ack);
}

/* A kernel that died on a message: what it processed is done, the
 * message it died on counts as an error, not as input left behind. */
static void executor_lost(rk_kernel *k, const char *why)
{
	rk_kernel_set_error(k, RK_EKERNEL, why);
	if (k->batch_port) {
		end_batch(k, k->batch_port, k->batch_band,
			  k->batch_index + 1, k->batch_index + 1, k->batch_ok);
		bump(&k->cb.errors, 1);
	}
	if (k->ctx.holding) {
		rk_ctx_drop_held(&k->ctx);
		bump(&k->cb.errors, 1);
	}
	executor_finish(k, RK_STATE_FAILED);
}

/* A kernel that leaves its thread (pthread_exit) has died. */
static void executor_died(void *arg)
{
	rk_fault_disarm_thread();
	executor_lost(arg, "kernel thread exited");
}

/* A kernel whose code faulted: its state cannot be trusted, so its
 * fini is not called either.  The host hears of it first, so that
 * whoever sees FAILED finds it told (the server's log). */
static void executor_crashed(rk_kernel *k, const rk_fault_guard *guard)
{
	char why[128];
	struct rk_runtime *rt = k->rt;

	if (rt->on_kernel_fault)
		rt->on_kernel_fault(rt->on_kernel_fault_arg, k->id,
				    guard->signal, guard->function);

	snprintf(why, sizeof(why), "kernel crashed: %s (signal %d) at %p",
		 strsignal(guard->signal), guard->signal, guard->address);
	k->initialized = false;
	executor_lost(k, why);
}

static void *executor_main(void *arg)
{
	rk_kernel *k = arg;
	rk_fault_guard guard;
	volatile int rc = -1;

	rk_kernel_thread_id = k->id;
	pthread_cleanup_push(executor_died, k);
	if (sigsetjmp(guard.jump, 1) == 0) {
		rk_fault_arm(&guard);
		if (k->desc->main)
			rc = rk_executor_run_main(k);
		else
			rc = process_loop(k);
	}
	rk_fault_disarm(&guard);
	pthread_cleanup_pop(0);
	if (guard.signal) {
		executor_crashed(k, &guard);
		return NULL;
	}
	rk_device_detach(k);
	executor_finish(k, rc == 0 ? RK_STATE_TERMINATED : RK_STATE_FAILED);
	return NULL;
}

rk_error rk_cpu_executor_start(rk_kernel *k)
{
	char name[16];

	if (pthread_create(&k->thread, NULL, executor_main, k) != 0)
		return rk_fail(RK_ENOMEM, "cannot start a thread for kernel '%s'",
			       k->id);
	snprintf(name, sizeof(name), "rk:%s", k->id);
	pthread_setname_np(k->thread, name);
	k->thread_started = true;
	return RK_OK;
}
