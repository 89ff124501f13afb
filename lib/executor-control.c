/* executor-control.c - the executor's end of the control block: the
 * host's commands applied and acknowledged, failures recorded, and
 * parking on the doorbell (spinning first) while there is nothing to
 * do. */
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

/* Anything for the executor to do: a command, or input while active.
 * Reads indices only, so it is safe without the consumer lock. */
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
			if (rk_executor_input_turn(k, i) && rk_port_depth(k->inputs[i]))
				return true;
		if (k->ops->pending(k))
			return true;
	}
	return false;
}

/* Spin for spin_ns, then park on the doorbell until a producer or the
 * host rings it, or the deadline passes. */
void rk_executor_idle_spinning(rk_kernel *k, bool active,
			       uint64_t deadline_ns, uint32_t spin_ns)
{
	rk_spin sp;
	bool trims = rk_executor_may_trim(k);

	/* Deactivated or not, the newest are kept (drop_oldest). */
	if (trims)
		rk_executor_trim_inputs(k);
	rk_spin_init(&sp, spin_ns, deadline_ns);
	do {
		if (work_pending(k, active, trims))
			return;
	} while (rk_spin_again(&sp));
	__atomic_store_n(&k->cb.heartbeat_ns, rk_now_ns(), __ATOMIC_RELAXED);
	rk_executor_mute_inputs(k, active);
	uint32_t key = rk_event_prepare(&k->bell->ev);
	if (work_pending(k, active, trims)) {
		rk_event_cancel(&k->bell->ev, key);
		return;
	}
	rk_event_wait(&k->bell->ev, key, deadline_ns);
}

void rk_executor_idle(rk_kernel *k, bool active, uint64_t deadline_ns)
{
	rk_executor_idle_spinning(k, active, deadline_ns, k->spin_ns);
}
