/* executor-loop.c - a kernel's thread: its loop (batches, executor-
 * batch.c, with the host's commands applied between them, parked when
 * idle), draining when terminating, and how the thread ends (finished,
 * failed, crashed). */
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
#include "spin.h"

/* The kernel's stop hook, with what is left of the terminate's time:
 * what it started (a child process) ends before the thread does, so
 * that terminate returning means it is gone. */
static void run_stop(rk_kernel *k)
{
	uint64_t deadline = k->cb.drain_deadline_ns, now = rk_now_ns();
	double left = deadline == UINT64_MAX ? RK_FOREVER
		      : deadline > now ? (double)(deadline - now) / 1e9 : 0;

	if (!k->desc->stop)
		return;
	k->ctx.current = NULL;
	rk_kernel_function = "stop";
	rk_in_kernel_code = true;
	k->desc->stop(&k->ctx, left);
	rk_in_kernel_code = false;
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
		n += k->ops->drain(k);
		if (n == 0)
			break;
		drained += n;
	}
	/* Until the deadline, what came besides the inputs goes on too. */
	if (!stop)
		k->ops->end_of_input(k);
	run_stop(k);
	uint64_t left = 0;
	for (size_t i = 0; i < k->n_inputs; i++)
		left += rk_port_discard(k->inputs[i]);
	rk_count(&k->cb.dropped, left);
	k->report.drained = drained;
	k->report.dropped_input = left;
}

/* The kernel's idle function; whether to stop (it failed, and the
 * policy stops), as for a message. */
static bool run_idle(rk_kernel *k)
{
	k->ctx.current = NULL;
	k->ctx.error[0] = '\0';
	rk_kernel_function = "idle";
	rk_in_kernel_code = true;
	int rc = k->desc->idle(&k->ctx);
	rk_in_kernel_code = false;
	return rc != 0
	       && rk_executor_message_failed(k, rc, 1, k->cb.received + 1);
}

/* A batch of the kernel's own, leaving what it emits for its idle
 * consumers to this thread (executor-fuse.c) where that is wanted. */
static size_t own_batch(rk_kernel *k, bool *stop)
{
	/* Only a kernel that promises to be quick holds its rings back
	 * for the batch: a slow one's consumer hears of each output at
	 * once, as ever. */
	k->fusing = (k->desc->flags & RK_KERNEL_ANY_THREAD)
		    && rk_fuse_wanted(k);
	size_t n = rk_executor_process_ready(k, stop);
	if (k->fusing) {
		if (n && !*stop)
			rk_fuse_run_outputs(k, 0);
		else
			rk_executor_ring_outputs(k);
	}
	k->fusing = false;
	return n;
}

/* process_loop's status for a fault of the kernel's code that a
 * producer running it caught (k->stolen_fault). */
#define LOOP_FAULTED (-2)

/* The persistent loop for kernels with process or process_batch.  It
 * holds the kernel's seat (executor-fuse.c) but while it sleeps, and
 * returns holding it. */
static int process_loop(rk_kernel *k)
{
	rk_executor_take_seat(k);
	for (;;) {
		uint32_t stolen = __atomic_load_n(&k->stolen_end,
						  __ATOMIC_RELAXED);
		if (stolen)
			return stolen == RK_STOLEN_FAULT ? LOOP_FAULTED : -1;
		rk_state s = rk_kernel_poll_control(k);
		if (k->ops->lost(k))
			return -1;
		if (s == RK_STATE_TERMINATING) {
			rk_fuse_close_seat(k);
			rk_executor_drain(k);
			return 0;
		}
		/* Active, its inputs are all connected: producers may run
		 * it from now on. */
		if (s == RK_STATE_ACTIVE && !k->seat_open) {
			k->seat_open = true;
			if (rk_fuse_may_seat(k))
				rk_fuse_open_seat(k);
		}
		if (s == RK_STATE_ACTIVE) {
			bool stop = false;
			size_t n = own_batch(k, &stop);
			if (stop)
				return -1;
			n += k->ops->drain(k);
			if (n) {
				/* Work came: the next nap starts short. */
				k->link_poll_ns = 0;
				continue;
			}
			if (k->desc->idle && run_idle(k))
				return -1;
		}
		uint32_t spin_ns;
		uint64_t deadline = k->ops->idle_deadline(k, &spin_ns);
		/* A kernel with an idle function naps no longer than its
		 * period: what it waits for wakes no futex. */
		uint64_t period = rk_now_ns() + RK_IDLE_MS * 1000000ull;
		if (k->desc->idle && s == RK_STATE_ACTIVE && deadline > period)
			deadline = period;
		rk_executor_idle_spinning(k, s == RK_STATE_ACTIVE, deadline,
					  spin_ns);
	}
}

/* Set the final state, refuse new input and tell the host.  Receivers
 * at a pipeline's end hear of a failure once the state says it, and
 * before `finished`: after that the host may free the kernel. */
static void executor_finish(rk_kernel *k, rk_state final)
{
	/* Its thread holds the seat now, and never gives it back: no
	 * producer runs it again. */
	if (k->bell)
		rk_fuse_close_seat(k);
	__atomic_fetch_sub(&k->rt->executor_threads, 1, __ATOMIC_RELAXED);
	if (final == RK_STATE_FAILED)
		for (size_t i = 0; i < k->n_inputs; i++)
			rk_port_close(k->inputs[i]);
	__atomic_store_n(&k->cb.run_state, final, __ATOMIC_RELAXED);
	if (final == RK_STATE_FAILED)
		rk_failures_note(k);
	__atomic_store_n(&k->cb.finished, 1, __ATOMIC_RELEASE);
	rk_event_wake_all(&k->ack);
}

/* A kernel that died on a message: what it processed is done, the
 * message it died on counts as an error, not as input left behind. */
static void executor_lost(rk_kernel *k, const char *why)
{
	rk_executor_ring_outputs(k);
	rk_kernel_set_error(k, RK_EKERNEL, why);
	if (k->batch_port) {
		/* batch_index is the message it died on; in a batch that
		 * tells, the next one not told, none when all were. */
		bool on_one = !k->told_msgs || k->batch_index < k->told_n;
		uint64_t done = k->batch_index + on_one;
		rk_executor_end_batch(k, k->batch_port, k->batch_band, done,
				      done, k->batch_ok);
		if (on_one)
			rk_count(&k->cb.errors, 1);
	}
	/* What it emitted before it died goes out, as it would have. */
	k->hold_outputs = false;
	rk_executor_show_outputs(k);
	if (k->ctx.holding) {
		rk_ctx_drop_held(&k->ctx);
		rk_count(&k->cb.errors, 1);
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
	if (rc == LOOP_FAULTED) {
		executor_crashed(k, &k->stolen_fault);
		return NULL;
	}
	k->ops->detach(k);
	executor_finish(k, rc == 0 ? RK_STATE_TERMINATED : RK_STATE_FAILED);
	return NULL;
}

rk_error rk_executor_start(rk_kernel *k)
{
	char name[16];

	__atomic_fetch_add(&k->rt->executor_threads, 1, __ATOMIC_RELAXED);
	if (pthread_create(&k->thread, NULL, executor_main, k) != 0) {
		__atomic_fetch_sub(&k->rt->executor_threads, 1,
				   __ATOMIC_RELAXED);
		return rk_fail(RK_ENOMEM, "cannot start a thread for kernel '%s'",
			       k->id);
	}
	snprintf(name, sizeof(name), "rk:%s", k->id);
	pthread_setname_np(k->thread, name);
	k->thread_started = true;
	return RK_OK;
}
