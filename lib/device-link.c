/* device-link.c - device links: when a device kernel is the only
 * consumer of another device kernel's output, a ring in device memory
 * between their loops, so that their messages do not cross to the host
 * and back in between (ringkernel-device.h, "Device links").
 *
 * The host edge between the two kernels stays: it carries the end of
 * the input, and nothing else.  The producer's proxy pushes its input
 * and learns from its input slots which messages failed; the consumer's
 * executor emits what comes out of its device, whether the host pushed
 * it or the link brought it, and at the end of its input waits until
 * its device has taken all that the producer put on the link. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "device-host.h"
#include "device.h"
#include "event.h"
#include "executor.h"
#include "port.h"
#include "rk-error.h"
#include "runtime.h"
#include "kernel-table.h"

/* The runtime may keep every edge on the host (to compare). */
static bool links_wanted(const rk_runtime *rt)
{
	return !rt->opts.no_device_links;
}

/* The kernel that takes k's only output, with a reference, when that
 * output is a plain blocking edge to a single kernel. */
static rk_kernel *only_consumer(rk_kernel *k)
{
	rk_runtime *rt = k->rt;
	rk_kernel *c = NULL;

	if (k->n_outputs != 1 || k->keeps_output || k->emits_markers
	    || k->n_replicas)
		return NULL;
	rk_port *p = k->outputs[0];
	if (p->policy != RK_BP_BLOCK || p->convert_to)
		return NULL;
	pthread_rwlock_rdlock(&rt->lock);
	for (size_t i = 0; i < rt->n_kernels && !c; i++)
		for (size_t j = 0; j < rt->kernels[i]->n_inputs; j++)
			if (rt->kernels[i]->inputs[j] == p)
				c = rt->kernels[i];
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&rt->lock);
	return c;
}

static void link_put(struct rk_device_link *l)
{
	pthread_mutex_lock(&l->lock);
	bool last = --l->refs == 0;
	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	rk_devices_give_link(l->devices, l->ring, l->bytes);
	free(l->from);
	free(l->to);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static struct rk_device_link *link_new(rk_kernel *from, rk_kernel *to)
{
	struct rk_devices *d = from->device->devices;
	uint32_t slot = rk_ring_slot_size(from->device->dk->out_size);
	size_t bytes = rk_ring_bytes(DEVICE_RING, slot);
	struct rk_device_link *l = calloc(1, sizeof(*l));
	rk_ring header;
	char why[200];

	if (!l || !bytes || !(l->from = strdup(from->id))
	    || !(l->to = strdup(to->id)))
		goto fail;
	rk_ring_init(&header, DEVICE_RING, slot, 0);
	/* Without one, the edge stays on the host: slower, just as right. */
	if (rk_devices_take_link(d, bytes, &l->ring) != RK_OK)
		goto fail;
	l->bytes = bytes;
	if (d->ops->device_fill(l->ring, bytes, &header, sizeof(header),
				       why, sizeof(why)) != 0) {
		rk_devices_give_link(d, l->ring, bytes);
		goto fail;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->devices = d;
	l->refs = 2;
	l->from_serial = from->serial;
	l->from_dk = from->device->dk;
	return l;
fail:
	if (l) {
		free(l->from);
		free(l->to);
	}
	free(l);
	return NULL;
}

/* Link k to the kernel it feeds, if both run their loops on the same
 * device and nothing else shares the edge; called before k's first
 * activation, with k's lock held (its device has not started taking
 * messages, and no edge can be added to it any more). */
void rk_device_link_plan(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	/* A bounded loop (relaunch mode) runs only when its proxy has
	 * work for it: nothing would take from a link. */
	if (!da || !da->a || da->link_out || !links_wanted(k->rt)
	    || da->devices->relaunch)
		return;
	rk_kernel *c = only_consumer(k);
	if (!c)
		return;
	struct rk_device_actor *cda = c->device;
	/* A failure of a message that came over a link is reported, not
	 * acted on: a consumer that must stop at its first failure keeps
	 * the host edge. */
	if (c != k && !c->n_replicas && c->backend == RK_BACKEND_CUDA && cda
	    && c->on_error != RK_ON_ERROR_STOP
	    && cda->devices == da->devices
	    && cda->dk->in_size == da->dk->out_size) {
		struct rk_device_link *l = link_new(k, c);
		bool taken = false;
		pthread_mutex_lock(&cda->lock);
		if (l && cda->a && !cda->link_in && !rk_dev_finished(cda->a)) {
			l->consumer_active = cda->followed == RK_DEV_ACTIVE;
			__atomic_store_n(&cda->link_in, l, __ATOMIC_RELEASE);
			rk_store_release(&cda->a->link_in,
					 (uint64_t)(uintptr_t)l->ring);
			taken = true;
		}
		pthread_mutex_unlock(&cda->lock);
		if (taken) {
			/* It may sleep with no time set to look: wake it. */
			rk_event_notify(&c->bell->ev);
			pthread_mutex_lock(&da->lock);
			da->link_out = l;
			pthread_mutex_unlock(&da->lock);
			/* The device reads it with the activation. */
			rk_store_release(&da->a->link_out,
					 (uint64_t)(uintptr_t)l->ring);
		} else if (l) {
			l->refs = 1;
			link_put(l);
		}
	}
	rk_kernel_put(c);
}

void rk_link_follow(struct rk_device_actor *da, uint32_t followed)
{
	pthread_mutex_lock(&da->lock);
	da->followed = followed;
	if (da->link_in)
		__atomic_store_n(&da->link_in->consumer_active,
				 followed == RK_DEV_ACTIVE, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&da->lock);
}

/* ---- waiting on the device ---------------------------------------- */

/* A wait on the device: it counts as lost only when its loop stops
 * beating for the time-out or its kernel fails (device-watch.c), not
 * while it waits for room or for a command, as a CPU kernel waits on a
 * full queue. */
struct link_wait {
	rk_dev_watch watch;
	rk_dev_backoff backoff;
};

static void wait_begin(struct rk_device_actor *da, struct link_wait *w)
{
	rk_dev_watch_begin(&w->watch, da);
	w->backoff = (rk_dev_backoff){ 0, 20000 };
}

/* Serve commands, then nap.  Returns the reason to stop waiting, or
 * NULL: the device left its loop, failed or stopped beating (lost), or
 * the kernel is terminating past its drain deadline. */
static const char *wait_more(rk_kernel *k, struct link_wait *w)
{
	struct rk_device_actor *da = k->device;
	rk_state s = rk_kernel_poll_control(k);
	rk_error rc;

	if (rk_dev_finished(da->a)) {
		da->lost = true;
		return "the device left its loop";
	}
	if ((rc = rk_dev_watch_check(&w->watch)) != RK_OK)
		return rk_device_why(da, rc);
	if (s == RK_STATE_TERMINATING && rk_now_ns() >= k->cb.drain_deadline_ns)
		return "terminated while the kernels after it on the device "
		       "held its messages";
	rk_dev_backoff_wait(&w->backoff);
	return NULL;
}

/* ---- the producer -------------------------------------------------- */

/* Stop feeding the link for good (its consumer has gone, or the kernel
 * terminates with the link full): the device takes no more input, so
 * that what is left can be counted once. */
static void link_give_up(rk_kernel *k, const char *why)
{
	struct rk_device_actor *da = k->device;
	rk_dev_watch w;

	snprintf(da->link_why, sizeof(da->link_why), "%s", why);
	da->link_broken = true;
	rk_dev_watch_begin(&w, da);
	if (rk_dev_command(da->a, RK_DEV_DEACTIVATED, UINT64_MAX, &w) == RK_OK)
		rk_link_follow(da, RK_DEV_DEACTIVATED);
	else
		da->lost = true;
}

/* The consumer has gone and the producer's device, stopped, puts no
 * more on the link: what it put there that the consumer never took will
 * never be taken.  Dropped, counted now rather than when the producer
 * ends (which may be never), and not again then (rk_link_detach). */
static void link_left_dropped(rk_kernel *k, struct rk_device_link *l)
{
	uint64_t out = rk_dev_counter(&k->device->a->cb.link_slots_out);

	pthread_mutex_lock(&l->lock);
	uint64_t left = out - l->slots_taken;
	l->slots_taken = out;
	pthread_mutex_unlock(&l->lock);
	if (left)
		__atomic_add_fetch(&k->cb.dropped, left, __ATOMIC_RELAXED);
}

/* The input slots from `done` to `taken` have been through the device:
 * report the ones it failed (it wrote why into them). */
static int report_taken(rk_kernel *k, const rk_msg *msgs, uint64_t base,
			uint64_t done, uint64_t taken, size_t offset)
{
	struct rk_device_actor *da = k->device;
	rk_ring *in = rk_dev_in(da->a);
	int failed = 0;

	for (uint64_t i = done; i < taken; i++) {
		rk_slot_header *h = rk_ring_slot(in, base + i);
		if (!(h->flags & RK_SLOT_FAILED))
			continue;
		char text[128];
		rk_device_error_text(da->dk, rk_dev_error_code(h), text,
				     sizeof(text));
		k->ctx.current = &msgs[i];
		rk_ctx_error(&k->ctx, "%s", text);
		k->batch_index = offset + i;
		failed++;
	}
	k->ctx.current = NULL;
	return failed;
}

int rk_link_run(rk_kernel *k, const rk_msg *msgs, size_t n, size_t offset)
{
	struct rk_device_actor *da = k->device;
	struct rk_device_link *l = da->link_out;
	rk_ring *in = rk_dev_in(da->a);
	uint64_t base = in->head, pushed = 0, done = 0;
	const char *why = da->link_broken ? da->link_why : NULL;
	struct link_wait w;
	int failed = 0;

	wait_begin(da, &w);
	while (!why && done < n) {
		if (pushed < n)
			pushed += rk_dev_push(da->a, msgs + pushed, n - pushed);
		uint64_t taken = rk_load_acquire(&in->tail) - base;
		if (taken > done) {
			failed += report_taken(k, msgs, base, done, taken, offset);
			done = taken;
			wait_begin(da, &w);
			continue;
		}
		if (__atomic_load_n(&l->consumer_gone, __ATOMIC_ACQUIRE)) {
			char text[160];
			snprintf(text, sizeof(text), "kernel '%s' after it on "
				 "the device has ended", l->to);
			link_give_up(k, text);
			if (!da->lost)
				link_left_dropped(k, l);
		} else if ((why = wait_more(k, &w)) != NULL && !da->lost) {
			link_give_up(k, why);
		}
		if (da->link_broken) {
			/* It may have taken some before it stopped. */
			taken = rk_load_acquire(&in->tail) - base;
			failed += report_taken(k, msgs, base, done, taken, offset);
			done = taken;
			why = da->link_why;
		}
	}
	__atomic_store_n(&l->slots_out, rk_dev_counter(&da->a->cb.link_slots_out),
			 __ATOMIC_RELEASE);
	if (done == n)
		return failed;
	if (da->lost) {
		/* As a lost device's batch: the rest failed with it. */
		k->batch_index = offset + done;
		rk_ctx_error(&k->ctx, "%s", why);
		return failed + (int)(n - done);
	}
	/* Processed as far as the kernel goes, but not delivered: dropped,
	 * as by a CPU kernel whose consumer has gone. */
	char text[200];
	snprintf(text, sizeof(text), "output message dropped: %s", why);
	rk_kernel_set_error(k, RK_ESTATE, text);
	__atomic_add_fetch(&k->cb.dropped, n - done, __ATOMIC_RELAXED);
	return failed;
}

/* ---- the consumer -------------------------------------------------- */

/* The kernel `hops` device links before k, with a reference, or NULL
 * when it has gone; `id` says which kernel that was.  Looked up by id,
 * it must be the very kernel that fed the link (ids are reused). */
static rk_kernel *kernel_before(rk_kernel *k, unsigned hops, char *id,
				size_t id_size, const rk_device_kernel **dk)
{
	rk_kernel *at = k;

	snprintf(id, id_size, "%s", k->id);
	*dk = k->device ? k->device->dk : NULL;
	__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < hops && at; i++) {
		struct rk_device_actor *da = at->device;
		uint64_t serial = 0;
		id[0] = '\0';
		if (da) {
			pthread_mutex_lock(&da->lock);
			if (da->link_in) {
				snprintf(id, id_size, "%s", da->link_in->from);
				serial = da->link_in->from_serial;
				*dk = da->link_in->from_dk;
			}
			pthread_mutex_unlock(&da->lock);
		}
		rk_kernel *up = NULL;
		if (id[0] && rk_kernel_get(k->rt, id, &up) == RK_OK
		    && up->serial != serial) {
			rk_kernel_put(up);      /* a newcomer with its id */
			up = NULL;
		}
		rk_kernel_put(at);
		at = up;
	}
	return at;
}

/* A message that failed on the device `hops` links before k (0: in k)
 * after coming over a link: the kernel's device counted it; say why. */
static void link_failure(rk_kernel *k, unsigned hops, int64_t code,
			 uint64_t position)
{
	char id[256], why[128];
	const rk_device_kernel *dk;
	rk_kernel *at = kernel_before(k, hops, id, sizeof(id), &dk);

	if (dk)
		rk_device_error_text(dk, code, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "failed on the device (code %lld)",
			 (long long)code);
	/* A kernel gone since is still named, but nobody else charged. */
	if (at)
		rk_kernel_set_error(at, RK_EKERNEL, why);
	if (id[0] && k->rt->on_kernel_error)
		k->rt->on_kernel_error(k->rt->on_kernel_error_arg, id,
				       position, why);
	rk_kernel_put(at);
}

void rk_link_result(rk_kernel *k, const rk_slot_header *h)
{
	struct rk_device_actor *da = k->device;
	/* For a pipeline fed at its head, the message's place there. */
	uint64_t position = ++da->link_seen;

	if (h->flags & RK_SLOT_SKIP)
		return;                 /* reported where it failed */
	if (h->flags & RK_SLOT_FAILED) {
		link_failure(k, h->length, rk_dev_error_code(h), position);
		return;
	}
	rk_msg m = {
		.data = h + 1, .len = h->length, .message_id = h->message_id,
		.correlation_id = h->correlation_id,
		.enqueue_ns = h->enqueue_ns, .priority = h->priority,
	};
	k->ctx.current = &m;
	rk_ctx_emit(&k->ctx, h + 1, h->length);
	k->ctx.current = NULL;
}

bool rk_device_linked_pending(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	return da && da->a && __atomic_load_n(&da->link_in, __ATOMIC_ACQUIRE)
	       && rk_ring_depth(rk_dev_out(da->a)) > 0;
}

size_t rk_device_drain_linked(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	if (!rk_device_linked_pending(k))
		return 0;
	/* Between batches every result in the ring came over the link. */
	uint64_t ready = rk_dev_results(da->a);
	k->linked_batch = true;
	k->batch_now_ns = rk_now_ns();
	for (uint64_t i = 0; i < ready; i++)
		rk_link_result(k, rk_dev_result(da->a, i));
	rk_dev_release(da->a, ready);
	k->batch_now_ns = 0;
	k->linked_batch = false;
	return (size_t)ready;
}

/* Wait until the device has taken all that came over the link (and
 * emit what it made of it, unless that went on over a link too). */
static void take_all_linked(rk_kernel *k, struct rk_device_link *l)
{
	struct rk_device_actor *da = k->device;
	struct link_wait w;

	wait_begin(da, &w);
	for (;;) {
		if (rk_device_drain_linked(k)) {
			wait_begin(da, &w);
			continue;
		}
		/* The producer ended after its last batch was taken. */
		uint64_t want = __atomic_load_n(&l->slots_out, __ATOMIC_ACQUIRE);
		if (rk_dev_counter(&da->a->cb.link_slots_in) >= want
		    && !rk_device_linked_pending(k))
			return;
		if (!wait_more(k, &w))
			continue;
		/* Lost, or terminating past its deadline: what is left
		 * counts as dropped when the link is let go. */
		if (da->lost)
			rk_kernel_set_error(k, RK_EBACKEND, "the device did not "
					    "take all that came over its link");
		return;
	}
}

void rk_device_link_end(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	if (!da || !da->a || da->lost)
		return;
	struct rk_device_link *in = __atomic_load_n(&da->link_in,
						    __ATOMIC_ACQUIRE);
	if (in)
		take_all_linked(k, in);
	/* The kernel after it waits for this many before its own end:
	 * what came over the link went on without the proxy. */
	if (da->link_out)
		__atomic_store_n(&da->link_out->slots_out,
				 rk_dev_counter(&da->a->cb.link_slots_out),
				 __ATOMIC_RELEASE);
}

/* ---- letting go ---------------------------------------------------- */

void rk_link_detach(rk_kernel *k, struct rk_device_actor *da)
{
	uint64_t left = 0;

	pthread_mutex_lock(&da->lock);
	struct rk_device_link *in = da->link_in, *out = da->link_out;
	pthread_mutex_unlock(&da->lock);

	if (in) {
		pthread_mutex_lock(&in->lock);
		in->slots_taken = rk_dev_counter(&da->a->cb.link_slots_in);
		__atomic_store_n(&in->consumer_gone, 1, __ATOMIC_RELEASE);
		if (in->producer_gone)
			left += in->slots_out - in->slots_taken;
		pthread_mutex_unlock(&in->lock);
	}
	if (out) {
		pthread_mutex_lock(&out->lock);
		__atomic_store_n(&out->slots_out,
				 rk_dev_counter(&da->a->cb.link_slots_out),
				 __ATOMIC_RELEASE);
		out->producer_gone = true;
		if (out->consumer_gone)
			left += out->slots_out - out->slots_taken;
		pthread_mutex_unlock(&out->lock);
	}
	pthread_mutex_lock(&da->lock);
	da->link_in = NULL;
	da->link_out = NULL;
	pthread_mutex_unlock(&da->lock);
	if (in)
		link_put(in);
	if (out)
		link_put(out);
	if (left)
		__atomic_add_fetch(&k->cb.dropped, left, __ATOMIC_RELAXED);
}
