/* device-window.c - a device kernel's batches in flight.
 *
 * The proxy used to push a batch and wait for its results before it
 * took the next: one device round trip per executor batch (64
 * messages at most), whatever the device could do.  Now it keeps up to
 * DEVICE_WINDOW batches' worth of messages in flight (whatever the
 * batches' sizes): a batch is pushed and handed back
 * to the executor at once (its input slots go back, its messages
 * counted received), and its results are emitted as they come, in
 * order, between or during later batches: each result is counted
 * processed or failed then, with its batch's latency.  What the window
 * owes is settled before anything that must see it settled: a state
 * the device follows, the end of the input (before the end is passed
 * on), a batch that cannot use the window.  A device lost fails every
 * message it still owed; a drain that runs out of time leaves them to
 * detach, which counts them dropped; a failure that stops the kernel
 * leaves the rest the same way.  So every message is counted once.
 */
#include "config.h"

#include <stdio.h>

#include "clock.h"
#include "device-host.h"
#include "executor.h"

_Static_assert(DEVICE_RING >= DEVICE_WINDOW * RK_BATCH_MAX,
	       "the device ring holds the window's batches");

/* The window's messages fail with the device: counted and told once. */
static void window_lost(rk_kernel *k, rk_error rc)
{
	struct rk_device_actor *da = k->device;
	uint64_t owed = da->flight_head - da->flight_tail;

	da->lost = true;
	if (!owed)
		return;
	uint64_t first = da->flight[da->flight_tail % DEVICE_RING].position;
	k->ctx.current = NULL;
	rk_ctx_error(&k->ctx, "%s", rk_device_why(da, rc));
	rk_executor_failed(k, owed, first);
	da->flight_tail = da->flight_head;
}

/* A batch is answered: its latency, as the executor's own batches. */
static void batch_done(rk_kernel *k, const struct rk_dev_flight *f)
{
	if (!k->telemetry)
		return;
	uint64_t t1 = rk_now_ns();
	rk_hist_add(&k->latency, (t1 - f->t0) / f->batch_n);
	rk_rate_note(k, t1);
}

/* One result of the window: emitted, or its failure told. */
static void take_one(rk_kernel *k, const rk_slot_header *h)
{
	struct rk_device_actor *da = k->device;
	struct rk_dev_flight *f = &da->flight[da->flight_tail++ % DEVICE_RING];
	rk_msg m = {
		.message_id = f->message_id, .type_tag = f->type_tag,
		.priority = f->priority,
	};

	k->ctx.current = &m;
	if (h->flags & RK_SLOT_FAILED) {
		char why[128];
		rk_device_error_text(da->dk, rk_dev_error_code(h), why,
				     sizeof(why));
		rk_ctx_error(&k->ctx, "%s", why);
		if (rk_executor_failed(k, 1, f->position))
			da->stopped = true;
	} else {
		rk_ctx_emit(&k->ctx, h + 1, h->length);
		rk_count(&k->cb.processed, 1);
	}
	if (k->emits_markers)
		rk_executor_mark_done(k, m.priority);
	k->ctx.current = NULL;
	if (f->last)
		batch_done(k, f);
}

size_t rk_window_take(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;
	uint64_t ready = rk_dev_results(da->a), i, answered = 0;

	for (i = 0; i < ready && !da->stopped; i++) {
		rk_slot_header *h = rk_dev_result(da->a, i);
		if (h->flags & RK_SLOT_LINKED) {
			rk_link_result(k, h);
		} else {
			take_one(k, h);
			answered++;
		}
	}
	rk_dev_release(da->a, i);
	/* Failed with a lost device, they are answered too: the executor
	 * looks at its kernel again. */
	if (!i && rk_window_busy(da) && !da->lost) {
		rk_error rc = rk_dev_watch_check(&da->flight_watch);
		if (rc != RK_OK) {
			answered = da->flight_head - da->flight_tail;
			window_lost(k, rc);
		}
	}
	return (size_t)answered;
}

bool rk_window_ready(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	return rk_window_busy(da) && rk_ring_depth(rk_dev_out(da->a)) > 0;
}

/* Wait for the next result, or until the deadline: RK_OK, or why not
 * (the device lost, or the deadline passed: RK_ETIMEDOUT). */
static rk_error wait_next(rk_kernel *k, uint64_t deadline_ns)
{
	struct rk_device_actor *da = k->device;
	rk_dev_watch w;

	rk_dev_watch_begin(&w, da);
	rk_device_kick(da);
	rk_error rc = rk_dev_wait_results(da->a, 1, deadline_ns, &w);
	if (rc == RK_ETIMEDOUT && !da->lost && rk_now_ns() >= deadline_ns)
		return RK_ETIMEDOUT;
	if (rc != RK_OK)
		window_lost(k, rc);
	return rc;
}

/* The window empty and the ring still full: its last batch's input is
 * on its way back (rk_dev_wait_room). */
static rk_error wait_room(rk_kernel *k, uint64_t n)
{
	struct rk_device_actor *da = k->device;
	rk_dev_watch w;

	rk_dev_watch_begin(&w, da);
	rk_device_kick(da);
	rk_error rc = rk_dev_wait_room(da->a, n, UINT64_MAX, &w);
	if (rc != RK_OK)
		window_lost(k, rc);
	return rc;
}

void rk_window_flush(rk_kernel *k, uint64_t deadline_ns)
{
	struct rk_device_actor *da = k->device;

	while (da && da->a && rk_window_busy(da) && !da->lost && !da->stopped) {
		if (rk_window_take(k) || da->lost)
			continue;
		if (wait_next(k, deadline_ns) != RK_OK)
			return;
	}
}

rk_error rk_window_push(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	struct rk_device_actor *da = k->device;
	rk_ring *in = rk_dev_in(da->a);
	/* Its messages' places in the input: the executor counts a
	 * segment received as it ends. */
	uint64_t position = k->cb.received + 1;
	/* Until pushed, the batch's slots must stay: a wait for room in an
	 * output below must not give them back (release_processed). */
	uint64_t index = k->batch_index;
	rk_error rc = RK_OK;

	k->batch_index = 0;

	/* Room: in the window (counted in messages, so that small batches,
	 * from a slow producer, do not shut it early), and slots in the
	 * device's ring (which its results free, once emitted). */
	uint64_t most = (uint64_t)da->devices->window * RK_BATCH_MAX;
	while (da->flight_head - da->flight_tail + n > most
	       || rk_ring_free(in, n) < n) {
		if (da->lost || da->stopped)
			rc = RK_EKERNEL;
		else if (!rk_window_busy(da))
			rc = wait_room(k, n);
		else if (!rk_window_take(k) && !da->lost && !da->stopped)
			rc = wait_next(k, UINT64_MAX);
		if (rc != RK_OK) {
			k->batch_index = index;
			return rc;
		}
	}
	if (!rk_window_busy(da))
		rk_dev_watch_begin(&da->flight_watch, da);
	uint64_t t0 = rk_now_ns();
	for (size_t i = 0; i < n; i++) {
		struct rk_dev_flight *f =
			&da->flight[(da->flight_head + i) % DEVICE_RING];
		*f = (struct rk_dev_flight){
			.message_id = msgs[i].message_id,
			.position = position + i,
			.t0 = t0,
			.batch_n = (uint32_t)n,
			.type_tag = msgs[i].type_tag,
			.priority = msgs[i].priority,
			.last = i + 1 == n,
		};
	}
	uint64_t pushed = rk_dev_push(da->a, msgs, n);
	(void)pushed;                   /* all: sizes checked, room made */
	da->flight_head += n;
	rk_device_kick(da);
	k->batch_in_flight = n;
	k->batch_index = index;
	/* What is answered already goes out now. */
	rk_window_take(k);
	return RK_OK;
}
