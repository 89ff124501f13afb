/* executor-control.c - the executor's end of the control block: the
 * host's commands applied and acknowledged, failures recorded, the
 * kernel's seat (who runs its batches), and parking on the doorbell
 * (spinning first) while there is nothing to do. */
#include "config.h"

#include <stdio.h>

#include "clock.h"
#include "executor.h"
#include "kernel.h"
#include "spin.h"

rk_state rk_kernel_poll_control(rk_kernel *k)
{
	uint32_t epoch = __atomic_load_n(&k->cb.epoch, __ATOMIC_ACQUIRE);

	if (epoch != k->cb.acked_epoch) {
		uint32_t want = __atomic_load_n(&k->cb.requested,
						__ATOMIC_RELAXED);
		/* A device confirms first: acknowledged means applied. */
		k->ops->follow(k, (rk_state)want);
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

/* The kernel's seat (executor-fuse.c): who runs its batches, its thread
 * or, while that sleeps, a producer. */

bool rk_executor_try_seat(rk_bell *b)
{
	uint32_t free_ = RK_SEAT_FREE;

	return __atomic_compare_exchange_n(&b->seat, &free_, RK_SEAT_HELD, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* A producer gives it back: the kernel's thread, if it waits, is woken. */
void rk_executor_give_back_seat(rk_bell *b)
{
	if (__atomic_exchange_n(&b->seat, RK_SEAT_FREE, __ATOMIC_RELEASE)
	    == RK_SEAT_WANTED)
		rk_event_wake_all(&b->ev);
}

void rk_executor_take_seat(rk_kernel *k)
{
	rk_bell *b = k->bell;

	for (;;) {
		uint32_t seen = RK_SEAT_FREE;
		if (__atomic_compare_exchange_n(&b->seat, &seen, RK_SEAT_HELD,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		/* A producer runs a batch of ours: say we want the seat
		 * back, then sleep until it is given. */
		if (seen == RK_SEAT_HELD
		    && !__atomic_compare_exchange_n(&b->seat, &seen,
						    RK_SEAT_WANTED, false,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			continue;
		uint32_t key = rk_event_prepare(&b->ev);
		if (__atomic_load_n(&b->seat, __ATOMIC_SEQ_CST) != RK_SEAT_WANTED) {
			rk_event_cancel(&b->ev, key);
			continue;
		}
		rk_event_wait(&b->ev, key, UINT64_MAX);
	}
}

void rk_executor_leave_seat(rk_kernel *k)
{
	/* Only the kernel's thread holds the seat when it calls this, so
	 * nobody waits for it. */
	__atomic_store_n(&k->bell->seat, RK_SEAT_FREE, __ATOMIC_RELEASE);
}

/* Anything for the executor to do: a command, or input while active.
 * Reads indices only, so it is safe without the consumer lock. */
/* Whether a producer that holds the lent seat will see to what is
 * queued: while spinning, yes; before sleeping (`last`), only if it
 * wakes us when it gives the seat back (what came while it held it may
 * be more than it takes). */
static bool producer_sees_to_it(rk_kernel *k, bool last)
{
	uint32_t seat = __atomic_load_n(&k->bell->seat, __ATOMIC_SEQ_CST);

	if (seat == RK_SEAT_FREE)
		return false;
	if (!last || seat == RK_SEAT_WANTED)
		return true;
	return __atomic_compare_exchange_n(&k->bell->seat, &seat,
					   RK_SEAT_WANTED, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static bool work_pending(rk_kernel *k, bool active, bool trims,
			 bool lent, bool last)
{
	if (__atomic_load_n(&k->cb.epoch, __ATOMIC_ACQUIRE)
	    != __atomic_load_n(&k->cb.acked_epoch, __ATOMIC_RELAXED))
		return true;
	/* Active or not, drop_oldest leaves the oldest for us to drop. */
	for (size_t i = 0; trims && i < k->n_inputs; i++)
		if (rk_port_trim_due(k->inputs[i]))
			return true;
	if (active) {
		if (k->ops->pending(k))
			return true;
		for (size_t i = 0; i < k->n_inputs; i++)
			if (rk_executor_input_turn(k, i)
			    && rk_port_depth(k->inputs[i]))
				/* A producer running our batch takes it. */
				return !(lent && producer_sees_to_it(k, last));
	}
	return false;
}

/* Inputs that keep the oldest only: this thread trims them, so it must
 * hold its seat while it looks at them. */
static bool trims_inputs(const rk_kernel *k)
{
	for (size_t i = 0; i < k->n_inputs; i++)
		if (k->inputs[i]->policy == RK_BP_DROP_OLDEST)
			return true;
	return false;
}

/* Spin for spin_ns, then park on the doorbell until a producer or the
 * host rings it, or the deadline passes.  With `seat`, the thread holds
 * the kernel's seat and, where producers may run its batches
 * (executor-fuse.c), lends it to them for the wait, spin included: what
 * it reads meanwhile (commands, how deep its inputs are, the seat) is
 * not its alone; else it gives it up across the futex wait only. */
static void idle(rk_kernel *k, bool active, uint64_t deadline_ns,
		 uint32_t spin_ns, bool seat)
{
	rk_spin sp;
	bool trims = rk_executor_may_trim(k);

	/* Deactivated or not, the newest are kept (drop_oldest). */
	if (trims)
		rk_executor_trim_inputs(k);
	bool lent = seat && active
		    && __atomic_load_n(&k->bell->runner, __ATOMIC_RELAXED)
		    && !trims_inputs(k);
	if (lent) {
		trims = false;
		rk_executor_leave_seat(k);
	}
	rk_spin_init(&sp, spin_ns, deadline_ns);
	do {
		if (work_pending(k, active, trims, lent, false))
			goto done;
	} while (rk_spin_again(&sp));
	__atomic_store_n(&k->cb.heartbeat_ns, rk_now_ns(), __ATOMIC_RELAXED);
	rk_executor_mute_inputs(k, active);
	uint32_t key = rk_event_prepare(&k->bell->ev);
	if (work_pending(k, active, trims, lent, true)) {
		rk_event_cancel(&k->bell->ev, key);
		goto done;
	}
	if (seat && !lent)
		rk_executor_leave_seat(k);
	rk_event_wait(&k->bell->ev, key, deadline_ns);
	if (seat && !lent)
		rk_executor_take_seat(k);
done:
	if (lent)
		rk_executor_take_seat(k);
}

void rk_executor_idle_spinning(rk_kernel *k, bool active,
			       uint64_t deadline_ns, uint32_t spin_ns)
{
	idle(k, active, deadline_ns, spin_ns, true);
}

void rk_executor_idle(rk_kernel *k, bool active, uint64_t deadline_ns)
{
	idle(k, active, deadline_ns, k->spin_ns, false);
}
