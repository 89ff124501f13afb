/* device-proxy.c - a device kernel's operations (kernel.h): its
 * executor is a proxy that pushes each batch into the device actor's
 * input ring and emits the results it puts in its output ring, in order
 * (or over a device link), several batches in flight
 * (device-window.c); the actor follows the kernel's states and is
 * detached as it ends (device-actor.c), and what comes over a device
 * link is emitted between batches (device-link.c). */
#include "config.h"

#include <stdio.h>

#include "clock.h"
#include "device-host.h"
#include "device.h"
#include "executor.h"

/* Run `n` messages of the right size through the device and emit the
 * results in order, the window empty, before returning (a batch with a
 * message of the wrong size, a kernel that feeds a device link).  Returns the failures; when the device is lost,
 * every message without a result counts as failed.  Results of
 * messages that came over a device link may come in between. */
static int run_on_device(rk_kernel *k, const rk_msg *msgs, size_t n,
			 size_t offset)
{
	struct rk_device_actor *da = k->device;
	uint64_t pushed = 0, done = 0;
	int failed = 0;
	rk_error rc = RK_OK;
	rk_dev_watch w;

	if (da->link_out)
		return rk_link_run(k, msgs, n, offset);
	rk_dev_watch_begin(&w, da);
	while (done < n) {
		if (pushed < n)
			pushed += rk_dev_push(da->a, msgs + pushed, n - pushed);
		/* Nothing in flight: room, not results (rk_dev_wait_room). */
		if (pushed == done) {
			rc = rk_dev_wait_room(da->a, 1, UINT64_MAX, &w);
			if (rc != RK_OK)
				break;
			continue;
		}
		rc = rk_dev_wait_results(da->a, 1, UINT64_MAX, &w);
		if (rc != RK_OK)
			break;
		uint64_t ready = rk_dev_results(da->a);
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(da->a, i);
			if (h->flags & RK_SLOT_LINKED) {
				rk_link_result(k, h);
				continue;
			}
			const rk_msg *m = &msgs[done++];
			k->ctx.current = m;
			if (h->flags & RK_SLOT_FAILED) {
				char why[128];
				rk_device_error_text(da->dk,
						     rk_dev_error_code(h),
						     why, sizeof(why));
				rk_ctx_error(&k->ctx, "%s", why);
				k->batch_index = offset + done - 1;
				failed++;
			} else {
				rk_ctx_emit(&k->ctx, h + 1, h->length);
			}
			if (k->emits_markers)
				rk_executor_mark_done(k, m->priority);
		}
		rk_dev_release(da->a, ready);
	}
	k->ctx.current = NULL;
	if (rc != RK_OK) {
		/* The rest of the batch is lost with the device. */
		da->lost = true;
		k->batch_index = offset + done;
		rk_ctx_error(&k->ctx, "%s", rk_device_why(da, rc));
		failed += (int)(n - done);
	}
	return failed;
}

/* Whether every message is of the device's input size. */
static bool sizes_fit(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (msgs[i].len != k->device->dk->in_size)
			return false;
	return true;
}

int rk_device_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	struct rk_device_actor *da = k->device;
	size_t start = 0;
	int failed = 0;

	if (da->stopped) {
		/* Stopped on an error of the window: never processed, these
		 * are dropped with the rest of its input. */
		__atomic_add_fetch(&k->cb.dropped, n, __ATOMIC_RELAXED);
		k->batch_in_flight = n;
		return 0;
	}
	if (da->lost)
		return (int)n;
	/* The common case: into the window, answered later. */
	if (!da->link_out && sizes_fit(k, msgs, n)) {
		rk_error rc = rk_window_push(k, msgs, n);
		if (rc == RK_OK)
			return 0;
		if (da->stopped)
			return rk_device_process_batch(k, msgs, n);
		/* Lost before this batch went in: it fails with the rest. */
		k->batch_index = 0;
		rk_ctx_error(&k->ctx, "%s", rk_device_why(da, rc));
		return (int)n;
	}
	/* Anything else runs alone, after what is in flight. */
	rk_window_flush(k, UINT64_MAX);
	if (da->stopped)
		return rk_device_process_batch(k, msgs, n);
	if (da->lost)
		return (int)n;
	/* Messages not of the kernel's input size (raw sends through the
	 * C API) fail here; the rest go to the device in runs. */
	for (size_t i = 0; i <= n; i++) {
		if (i < n && msgs[i].len == k->device->dk->in_size)
			continue;
		if (i > start && k->device->lost) {
			failed += (int)(i - start);
		} else if (i > start) {
			failed += run_on_device(k, msgs + start, i - start,
						start);
		}
		if (i < n) {
			k->ctx.current = &msgs[i];
			rk_ctx_error(&k->ctx, "a message of %zu bytes; the "
				     "device takes %u", msgs[i].len,
				     k->device->dk->in_size);
			k->batch_index = i;
			if (k->emits_markers)
				rk_executor_mark_done(k, msgs[i].priority);
			k->ctx.current = NULL;
			failed++;
		}
		start = i + 1;
	}
	return failed;
}

/* Results that came over a device link wait in the device's output
 * ring. */
static bool proxy_pending(rk_kernel *k)
{
	if (k->device && k->device->a && rk_window_ready(k))
		return true;
	if (k->device && rk_device_linked_pending(k))
		return true;
	/* A link came while it decided how long to sleep. */
	return k->device && !k->link_polled
	       && __atomic_load_n(&k->device->link_in, __ATOMIC_ACQUIRE);
}

/* A device cannot ring the doorbell: a kernel fed over a device link
 * looks at its device's output ring again after a nap that grows while
 * nothing comes (10 us to 2 ms; past 80 us without spinning first, so
 * that an idle one costs next to nothing).  Others sleep until woken. */
#define LINK_POLL_MIN_NS 10000u
#define LINK_POLL_SPIN_NS 80000u
#define LINK_POLL_MAX_NS 2000000u

/* Results owed by the window: look again after this long (the
 * executor spins first, so a quick device is heard at once). */
#define WINDOW_POLL_NS 20000u

static uint64_t proxy_idle_deadline(rk_kernel *k, uint32_t *spin_ns)
{
	uint64_t deadline = UINT64_MAX;

	if (k->device && rk_window_busy(k->device)) {
		rk_device_kick(k->device);
		*spin_ns = k->spin_ns;
		return rk_now_ns() + WINDOW_POLL_NS;
	}
	k->link_polled = k->device && __atomic_load_n(&k->device->link_in,
						      __ATOMIC_ACQUIRE);
	if (k->link_polled) {
		k->link_poll_ns = k->link_poll_ns ? k->link_poll_ns * 2
						  : LINK_POLL_MIN_NS;
		if (k->link_poll_ns > LINK_POLL_MAX_NS)
			k->link_poll_ns = LINK_POLL_MAX_NS;
		deadline = rk_now_ns() + k->link_poll_ns;
	}
	*spin_ns = k->link_poll_ns > LINK_POLL_SPIN_NS ? 0 : k->spin_ns;
	return deadline;
}

/* A drain ends at its deadline; otherwise the window waits. */
static uint64_t window_deadline(rk_kernel *k)
{
	return k->cb.run_state == RK_STATE_TERMINATING
	       ? k->cb.drain_deadline_ns : UINT64_MAX;
}

/* The executor applies a state: the device follows it with nothing
 * in flight, so that a pause means every taken message is answered. */
static bool proxy_follow(rk_kernel *k, rk_state state)
{
	if (k->device)
		rk_window_flush(k, UINT64_MAX);
	return rk_device_follow(k, state);
}

/* Every input has ended: the window's results go out before the end
 * does. */
static void proxy_end_of_input(rk_kernel *k)
{
	if (k->device)
		rk_window_flush(k, window_deadline(k));
	rk_device_link_end(k);
}

/* Between batches: the window's results that are ready (terminating,
 * waited for up to the drain's deadline), or what came over a link. */
static size_t proxy_drain(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	if (!da || !da->a || !rk_window_busy(da))
		return rk_device_drain_linked(k);
	size_t n = rk_window_take(k);
	if (n || k->cb.run_state != RK_STATE_TERMINATING)
		return n;
	uint64_t before = da->flight_tail;
	rk_window_flush(k, k->cb.drain_deadline_ns);
	return (size_t)(da->flight_tail - before);
}

const rk_kernel_ops rk_device_ops = {
	.process_batch = rk_device_process_batch,
	.pending = proxy_pending,
	.idle_deadline = proxy_idle_deadline,
	.follow = proxy_follow,
	.end_of_input = proxy_end_of_input,
	.drain = proxy_drain,
	.detach = rk_device_detach,
	.lost = rk_device_lost,
	.release = rk_device_free,
};
