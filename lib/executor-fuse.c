/* executor-fuse.c - a producer runs its consumer's batch (fusion).
 *
 * With more kernel threads than cores, every hop between two kernels
 * costs a wake-up and a cache line that moves between cores per
 * message; a pass-through stage cost more than the kernel before it.
 * So a kernel that has just published to a consumer whose thread is
 * idle runs the consumer's batch itself, on its own thread, with the
 * consumer's own batch code (executor-batch.c): same counters, same
 * order, same policies, only no thread switch.  The data still goes
 * through the consumer's ring: a hop costs a copy and an index.  It
 * is on only where RK_FUSE says (rk_fuse_wanted): on two cores it has
 * measured no faster yet, the hop's own work (envelope, push, take)
 * outweighing the wake-ups it saves (bench/RESULTS.md).
 *
 * Who may run a kernel's batch is decided by its seat (the token in
 * its bell, which its input ports share, so that a producer can reach
 * it after the kernel is gone): 0 free, 1 held, 2 held and the
 * kernel's own thread waits for it.  The kernel's thread holds its seat
 * whenever it is awake and gives it up only across its futex wait (so
 * a kernel spinning for work still takes it itself); a producer takes
 * it only with a compare-and-swap, never waits for it, and gives it
 * back once the batch is run.  `runner` (set and cleared by the kernel's thread,
 * holding the seat) says the kernel may be run so; read under the seat
 * it is never a kernel that has gone.
 *
 * Only kernels that say they may run on any thread
 * (RK_KERNEL_ANY_THREAD) are run so, only while active with no command
 * waiting, and no more messages at once than each output has room for:
 * a stolen batch never waits for room, so a producer is never held up
 * by its consumer's consumers (nor, in a cycle, by itself).  A fault in
 * a kernel run so is caught by a guard of its own and handed to the
 * kernel's thread, which fails that kernel alone.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "clock.h"
#include "executor.h"
#include "fault.h"
#include "kernel.h"
#include "runtime.h"
#include "spin.h"

/* Kernels deeper than this are left to their threads (a long chain on
 * one thread would only grow its stack). */
#define FUSE_DEPTH_MAX 8

/* ---- who may be run so ----------------------------------------------- */

/* RK_FUSE=1: always; 2: while the runtime's kernel threads outnumber
 * the cores this process may use; otherwise never (measured no faster
 * on two cores yet: bench/RESULTS.md). */
static int fuse_mode(void)
{
	static int mode = -1;
	int m = __atomic_load_n(&mode, __ATOMIC_RELAXED);

	if (m < 0) {
		const char *e = getenv("RK_FUSE");
		m = e && *e == '1' ? 1 : e && *e == '2' ? 2 : 0;
		__atomic_store_n(&mode, m, __ATOMIC_RELAXED);
	}
	return m;
}

bool rk_fuse_wanted(rk_kernel *k)
{
	switch (fuse_mode()) {
	case 0:
		return false;
	case 1:
		return true;
	default:
		return __atomic_load_n(&k->rt->executor_threads,
				       __ATOMIC_RELAXED) > rk_spin_usable_cores();
	}
}

bool rk_fuse_may_seat(const rk_kernel *k)
{
	const rk_kernel_desc *d = k->desc;

	/* Its own code only (not a device, a worker or a command), one
	 * message or batch at a time as the executor hands them, nothing
	 * of its own to do between them, and no replicas on either side
	 * (their turns and markers are its thread's to keep). */
	return (d->flags & RK_KERNEL_ANY_THREAD) && !d->main && !d->idle
	       && (d->process || d->process_batch)
	       && !(d->flags & RK_KERNEL_BATCH_TELLS)
	       && k->ops == rk_cpu_ops(d) && !k->device
	       && !k->n_replicas && !k->emits_markers && !k->n_in_groups
	       && !k->link_polled;
}

void rk_fuse_open_seat(rk_kernel *k)
{
	__atomic_store_n(&k->bell->runner, k, __ATOMIC_RELAXED);
}

void rk_fuse_close_seat(rk_kernel *k)
{
	__atomic_store_n(&k->bell->runner, NULL, __ATOMIC_RELAXED);
}

/* ---- running a consumer's batch ---------------------------------------- */

/* Messages the consumer may take now without ever waiting for room:
 * each output has room for one output a message, what its flush emits
 * and the end (which waits for room whatever the policy; under
 * drop_oldest, for the room kept aside too). */
static size_t fuse_budget(rk_kernel *c)
{
	size_t n, budget = RK_BATCH_MAX;
	rk_port *const *outs = rk_kernel_outputs(c, &n);

	for (size_t i = 0; i < n; i++) {
		rk_port *p = outs[i];
		uint64_t limit = p->policy == RK_BP_DROP_OLDEST
				 ? p->ring_capacity : p->capacity;
		uint64_t depth = rk_port_depth(p);
		uint64_t room = depth + 2 < limit ? limit - depth - 2 : 0;
		if (room < budget)
			budget = (size_t)room;
	}
	return budget;
}

/* A command waits for the consumer, or it is not active: its thread
 * must see to it. */
static bool consumer_busy_elsewhere(rk_kernel *c)
{
	return __atomic_load_n(&c->cb.epoch, __ATOMIC_ACQUIRE)
	       != c->cb.acked_epoch
	       || c->cb.run_state != RK_STATE_ACTIVE || c->stolen_end;
}

/* Run c's ready messages on this thread, behind a fault guard of its
 * own; whether c still has ready input (its thread must see to it). */
static bool run_consumer(rk_kernel *k, rk_kernel *c, unsigned depth)
{
	rk_fault_guard guard, *outer;
	const char *thread_id = rk_kernel_thread_id;
	const char *function = rk_kernel_function;
	volatile bool left = true;

	c->fused_by = k;
	rk_kernel_thread_id = c->id;
	rk_fault_nest(&guard, &outer);
	if (sigsetjmp(guard.jump, 0) == 0) {
		for (int rounds = 0; rounds < 4; rounds++) {
			size_t budget = fuse_budget(c);
			bool stop = false;
			/* Its thread wants it back: the rest is its own. */
			if (!budget || consumer_busy_elsewhere(c)
			    || rk_executor_interrupted(c)
			    || __atomic_load_n(&c->bell->seat, __ATOMIC_RELAXED)
			       == RK_SEAT_WANTED)
				break;
			c->take_max = budget;
			c->fusing = true;
			size_t n = rk_executor_process_ready(c, &stop);
			c->take_max = 0;
			if (stop || !n)
				rk_executor_ring_outputs(c);
			if (n && c->fusing)
				rk_fuse_run_outputs(c, depth + 1);
			c->fusing = false;
			if (stop) {
				/* Its policy stops it: its thread does. */
				__atomic_store_n(&c->stolen_end, RK_STOLEN_STOP,
						 __ATOMIC_RELAXED);
				break;
			}
			if (!n) {
				left = false;
				break;
			}
		}
		rk_fault_unnest(outer);
	} else {
		/* Its code faulted: the guard landed here, the fault
		 * signals still blocked as the handler left them. */
		rk_fault_unnest(outer);
		rk_fault_landed();
		c->stolen_fault = guard;
		c->take_max = 0;
		/* What it published before is seen: its consumers rung. */
		rk_executor_ring_outputs(c);
		__atomic_store_n(&c->stolen_end, RK_STOLEN_FAULT,
				 __ATOMIC_RELAXED);
	}
	rk_kernel_thread_id = thread_id;
	rk_kernel_function = function;
	rk_in_kernel_code = false;
	c->fused_by = NULL;
	__atomic_store_n(&c->cb.heartbeat_ns, rk_now_ns(), __ATOMIC_RELAXED);
	return left || c->stolen_end;
}

void rk_fuse_run_outputs(rk_kernel *k, unsigned depth)
{
	size_t n;
	rk_port *const *outs = rk_kernel_outputs(k, &n);

	for (size_t i = 0; i < n; i++) {
		rk_bell *b = outs[i]->bell;
		if (!rk_port_consumer_runnable(outs[i]))
			continue;
		/* Its thread is awake (it will see what came), or its
		 * seat is taken: ring as anyone would. */
		if (depth >= FUSE_DEPTH_MAX || !rk_executor_try_seat(b)) {
			rk_port_notify(outs[i]);
			continue;
		}
		rk_kernel *c = __atomic_load_n(&b->runner, __ATOMIC_RELAXED);
		bool left = c ? run_consumer(k, c, depth) : true;
		rk_executor_give_back_seat(b);
		if (left)
			rk_port_notify(outs[i]);
	}
}
