/* executor-inputs.c - a kernel's inputs as its executor reads them:
 * which input and band comes next (priority, round-robin, the turns of
 * replicas upstream), the oldest dropped (drop_oldest), and a batch's
 * slots given back and counted. */
#include "config.h"

#include "executor.h"
#include "kernel.h"

/* An input from a replica is read only in its turn, until the end. */
bool rk_executor_input_turn(rk_kernel *k, size_t idx)
{
	int g = k->in_group_of ? k->in_group_of[idx] : -1;

	if (g < 0)
		return true;
	const rk_in_group *grp = &k->in_groups[g];
	return grp->done || idx == grp->first + grp->cursor;
}

/* Before the executor sleeps: replicas whose turn it is not need not
 * wake it (a merge woken by every replica's message would sleep again
 * three times in four with four replicas).  Stored before the wait is
 * announced (see rk_event_notify_unless); a turn that comes is the
 * executor's own doing, awake, and unmuted before its next sleep. */
void rk_executor_mute_inputs(rk_kernel *k, bool active)
{
	/* Never activated, rk_connect may still grow the inputs. */
	if (k->cb.run_state == RK_STATE_LAUNCHED)
		return;
	for (size_t i = 0; k->in_group_of && i < k->n_inputs; i++) {
		if (k->in_group_of[i] < 0)
			continue;
		/* Not active, the turns are not looked at (a main loop
		 * draining its input while terminating): none muted. */
		uint32_t mute = active && !rk_executor_input_turn(k, i);
		if (__atomic_load_n(&k->inputs[i]->muted, __ATOMIC_RELAXED)
		    != mute)
			__atomic_store_n(&k->inputs[i]->muted, mute,
					 __ATOMIC_RELAXED);
	}
}

/* Whether the kernel may drop the oldest of its drop_oldest inputs
 * now: it holds no message in place (a batch, a main loop's last), and
 * has been activated once (before, rk_connect may still grow the
 * inputs). */
bool rk_executor_may_trim(rk_kernel *k)
{
	return k->cb.run_state != RK_STATE_LAUNCHED && !k->batch_port
	       && !k->ctx.holding;
}

void rk_executor_trim_inputs(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_inputs; i++)
		if (k->inputs[i]->policy == RK_BP_DROP_OLDEST)
			rk_port_trim(k->inputs[i]);
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
	rk_executor_trim_inputs(k);
	if (k->n_inputs == 1) {
		rk_port *p = k->inputs[0];
		return rk_port_peek(p, band) ? p : NULL;
	}
	for (int b = RK_BANDS - 1; b >= 0; b--) {
		for (size_t i = 0; i < k->n_inputs; i++) {
			size_t idx = (k->next_input + i) % k->n_inputs;
			rk_port *p = k->inputs[idx];
			if (!rk_executor_input_turn(k, idx))
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

/* Count the batch's first `messages` (ok of them processed) as their
 * slots go back, never later, so that at every moment what came in is
 * received + queued + dropped; the counted marks move with them. */
static void count_released(rk_kernel *k, uint64_t messages, uint64_t ok)
{
	rk_count(&k->cb.received, messages - k->batch_released);
	rk_count(&k->cb.processed, ok - k->batch_ok_counted);
	rk_count(&k->cb.errors, k->batch_failed - k->batch_failed_counted);
	k->batch_ok_counted = ok;
	k->batch_failed_counted = k->batch_failed;
}

/* Give a batch's slots back and count it (an end-of-input slot is
 * taken but not counted as a message). */
void rk_executor_end_batch(rk_kernel *k, rk_port *p, int band,
			   uint64_t taken, uint64_t messages, uint64_t ok)
{
	count_released(k, messages, ok);
	rk_ring_release(p->band[band], taken - k->batch_released);
	k->batch_released = 0;
	k->batch_ok_counted = 0;
	k->batch_failed = k->batch_failed_counted = 0;
	rk_event_notify(&p->space);
}

/* Give back the slots of the batch's messages processed so far (those
 * it told, for a process_batch that tells).  Whether any went. */
static bool release_done(rk_kernel *k)
{
	rk_port *p = k->batch_port;

	/* process_batch may still read any message of its batch, but one
	 * that tells each message's end is done with those it told. */
	if (!p || (k->desc->process_batch && !k->told_msgs)
	    || k->batch_index <= k->batch_released)
		return false;
	count_released(k, k->batch_index, k->batch_ok);
	rk_ring_release(p->band[k->batch_band],
			k->batch_index - k->batch_released);
	k->batch_released = k->batch_index;
	return true;
}

/* Before blocking mid-batch, give back the slots of the messages
 * already processed, so that the input holds only what still waits. */
void rk_executor_release_processed(rk_kernel *k)
{
	if (release_done(k))
		rk_event_notify(&k->batch_port->space);
}

/* The same after each message whose outputs wait to be seen: counted
 * first.  Producers waiting for room hear of it at the batch's end, or
 * before the kernel blocks (one wake-up a batch, not one a message). */
void rk_executor_release_quietly(rk_kernel *k)
{
	(void)release_done(k);
}
