/* device-host.c - the host's side of the device actor protocol. */
#include <config.h>

#include <sched.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "device-host.h"
#include "rk-error.h"

#define SPIN_ROUNDS 2000
#define YIELD_ROUNDS 50

void rk_dev_backoff_wait(rk_dev_backoff *b)
{
	uint32_t r = b->round++;

	if (r < SPIN_ROUNDS) {
		rk_cpu_relax();
		return;
	}
	if (r < SPIN_ROUNDS + YIELD_ROUNDS) {
		sched_yield();
		return;
	}
	uint64_t ns = 1000ull << ((r - SPIN_ROUNDS - YIELD_ROUNDS) / 8 > 10
				  ? 10 : (r - SPIN_ROUNDS - YIELD_ROUNDS) / 8);
	uint32_t max = b->max_ns ? b->max_ns : 100000;
	if (ns > max)
		ns = max;
	struct timespec ts = { 0, (long)ns };
	nanosleep(&ts, NULL);
}

rk_error rk_dev_command(rk_dev_actor *a, uint32_t state, uint64_t deadline_ns,
			rk_dev_watch *w)
{
	rk_dev_backoff b = { 0, 0 };
	rk_error rc;
	uint32_t command = __atomic_load_n(&a->cb.command, __ATOMIC_RELAXED);
	uint32_t epoch = RK_DEV_EPOCH(command + 1);

	__atomic_store_n(&a->cb.requested, state, __ATOMIC_RELAXED);
	/* The abort bit may be set beside it by another host thread. */
	while (!__atomic_compare_exchange_n(&a->cb.command, &command,
					    (command & RK_DEV_ABORT) | epoch,
					    false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
	for (;;) {
		if (__atomic_load_n(&a->cb.acked_epoch, __ATOMIC_ACQUIRE)
		    == epoch)
			return RK_OK;
		/* It may have acknowledged just before it left: look again
		 * once it has. */
		if (rk_dev_finished(a))
			return __atomic_load_n(&a->cb.acked_epoch,
					       __ATOMIC_ACQUIRE) == epoch
				? RK_OK : RK_EKERNEL;
		if (rk_now_ns() >= deadline_ns)
			return RK_ETIMEDOUT;
		if (w && (rc = rk_dev_watch_check(w)) != RK_OK)
			return rc;
		rk_dev_backoff_wait(&b);
	}
}

uint64_t rk_dev_push(rk_dev_actor *a, const rk_msg *msgs, uint64_t n)
{
	rk_ring *in = rk_dev_in(a);
	uint64_t room = rk_ring_free(in, n), pushed = 0;

	if (n > room)
		n = room;
	for (uint64_t i = 0; i < n; i++) {
		const rk_msg *m = &msgs[i];
		if (m->len != a->in_size)
			break;
		rk_slot_header *h = rk_ring_reserve_at(in, i);
		h->message_id = m->message_id;
		h->correlation_id = m->correlation_id;
		h->enqueue_ns = m->enqueue_ns;
		h->length = (uint32_t)m->len;
		h->type_tag = m->type_tag;
		h->priority = m->priority;
		h->flags = 0;
		memcpy(h + 1, m->data, m->len);
		pushed++;
	}
	if (pushed)
		rk_ring_publish(in, pushed);
	return pushed;
}

uint64_t rk_dev_results(rk_dev_actor *a)
{
	return rk_ring_ready(rk_dev_out(a));
}

rk_slot_header *rk_dev_result(rk_dev_actor *a, uint64_t i)
{
	return rk_ring_peek_at(rk_dev_out(a), i);
}

void rk_dev_release(rk_dev_actor *a, uint64_t n)
{
	rk_ring_release(rk_dev_out(a), n);
}

/* Between two looks of a wait: the deadline and the watch now and then,
 * then the backoff. */
static rk_error wait_a_little(rk_dev_backoff *b, uint64_t deadline_ns,
			      rk_dev_watch *w)
{
	rk_error rc;

	if ((b->round & 63) == 0) {
		if (rk_now_ns() >= deadline_ns)
			return RK_ETIMEDOUT;
		if (w && (rc = rk_dev_watch_check(w)) != RK_OK)
			return rc;
	}
	rk_dev_backoff_wait(b);
	return RK_OK;
}

rk_error rk_dev_wait_results(rk_dev_actor *a, uint64_t n,
			     uint64_t deadline_ns, rk_dev_watch *w)
{
	rk_dev_backoff b = { 0, 20000 };
	rk_ring *out = rk_dev_out(a);
	rk_error rc;

	for (;;) {
		/* rk_ring_ready reloads head only when dry: ask afresh. */
		out->head_cache = rk_load_acquire(&out->head);
		if (out->head_cache - out->tail >= n)
			return RK_OK;
		if (rk_dev_finished(a)) {
			/* What it published before it left counts. */
			out->head_cache = rk_load_acquire(&out->head);
			return out->head_cache - out->tail >= n ? RK_OK
								: RK_EKERNEL;
		}
		if ((rc = wait_a_little(&b, deadline_ns, w)) != RK_OK)
			return rc;
	}
}

rk_error rk_dev_wait_room(rk_dev_actor *a, uint64_t n, uint64_t deadline_ns,
			  rk_dev_watch *w)
{
	rk_dev_backoff b = { 0, 20000 };
	rk_ring *in = rk_dev_in(a);
	rk_error rc;

	for (;;) {
		if (rk_ring_free(in, n) >= n)
			return RK_OK;
		if (rk_dev_finished(a))
			return rk_ring_free(in, n) >= n ? RK_OK : RK_EKERNEL;
		if ((rc = wait_a_little(&b, deadline_ns, w)) != RK_OK)
			return rc;
	}
}

bool rk_dev_wait_finished(rk_dev_actor *a, uint64_t deadline_ns,
			  rk_dev_watch *w)
{
	rk_dev_backoff b = { 0, 0 };

	while (!rk_dev_finished(a)) {
		if (rk_now_ns() >= deadline_ns)
			return false;
		/* A kernel that failed has stopped too, without a word;
		 * silence alone is the deadline's to judge. */
		if (w && rk_dev_watch_check(w) == RK_EKERNEL)
			return false;
		rk_dev_backoff_wait(&b);
	}
	return true;
}
