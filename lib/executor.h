/* executor.h - the pieces of a kernel's executor, shared among its
 * files (executor-control.c: the control block and parking;
 * executor-inputs.c: reading the inputs; executor-emit.c: the outputs;
 * executor-loop.c: the thread and its batch loop) and with the rk_ctx
 * functions that persistent main loops call (ctx.c). */
#ifndef RK_EXECUTOR_H
#define RK_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* Messages an executor hands its kernel at once, at most (a device
 * kernel's proxy pushes them into its device ring together). */
#define RK_BATCH_MAX 64

/* Add to one of the executor's counters: it is their only writer,
 * readers load them relaxed. */
static inline void rk_count(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

/* Spin for spin_ns, then park until there is work or the deadline
 * passes; rk_executor_idle spins for the kernel's spin_ns.  The first is
 * process_loop's, whose thread holds the kernel's seat: producers may
 * run its batches while it sleeps (executor-fuse.c). */
void rk_executor_idle_spinning(rk_kernel *k, bool active,
			       uint64_t deadline_ns, uint32_t spin_ns);
void rk_executor_idle(rk_kernel *k, bool active, uint64_t deadline_ns);

/* The input to take from next, trimmed first (drop_oldest); nothing
 * may be held in place from any input when this is called. */
rk_port *rk_executor_pick_input(rk_kernel *k, int *band);

/* Whether input idx may be read now: an input from a replica only in
 * its turn, until the end. */
/* Before sleeping: inputs that cannot be read now need not wake it. */
void rk_executor_mute_inputs(rk_kernel *k, bool active);
bool rk_executor_input_turn(rk_kernel *k, size_t idx);

/* Whether the kernel may drop the oldest of its drop_oldest inputs
 * now, and doing so. */
bool rk_executor_may_trim(rk_kernel *k);
void rk_executor_trim_inputs(rk_kernel *k);

/* Give a batch's `taken` slots back and count its first `messages`, ok
 * of them processed. */
void rk_executor_end_batch(rk_kernel *k, rk_port *p, int band,
			   uint64_t taken, uint64_t messages, uint64_t ok);

/* Before blocking mid-batch: give back the slots of the messages
 * already processed. */
void rk_executor_release_processed(rk_kernel *k);
/* The same, producers told at the batch's end. */
void rk_executor_release_quietly(rk_kernel *k);

/* Outputs held while a message is processed (k->hold_outputs) are
 * published once it is counted, so that whoever takes one sees the
 * message it answers counted. */
void rk_executor_show_outputs(rk_kernel *k);

/* Deliver one message (or, with flags, an end or a marker) to output
 * i, port p, under its policy; what is not delivered is counted
 * dropped and explained. */
int rk_executor_emit_to(rk_kernel *k, size_t i, rk_port *p,
			rk_envelope env, const void *data, size_t len,
			uint8_t flags);

/* `failures` messages failed, the first at `position` in the input
 * (from 1), k->ctx.error saying why: count them, keep why, tell the
 * hook.  Returns whether the kernel must stop (its error policy).  For
 * results that come after their batch (a device's window). */
bool rk_executor_failed(rk_kernel *k, uint64_t failures, uint64_t position);

/* A command waits, or a drain ran out of time, for k or for a producer
 * running it (k->fused_by, and so on): its batch ends early. */
bool rk_executor_interrupted(rk_kernel *k);

/* Process a batch of ready input; 0 when there is none. */
size_t rk_executor_process_ready(rk_kernel *k, bool *stop);

/* Input p has ended; once all have, flush and pass the end on.
 * Returns true when this was the last one. */
bool rk_executor_input_ended(rk_kernel *k, rk_port *p);

/* A marker or the end came through p from a replica upstream: the
 * next replica's turn, or all of theirs are done. */
void rk_executor_input_mark(rk_kernel *k, rk_port *p, uint8_t flags);

/* A replica is done with a message of this priority: mark its outputs. */
void rk_executor_mark_done(rk_kernel *k, uint8_t priority);

/* Terminating: process until the deadline, count the rest dropped. */
void rk_executor_drain(rk_kernel *k);

/* Fusion (executor-fuse.c): a producer runs its idle consumer's
 * batches on its own thread.  The kernel's thread holds its seat
 * (executor-control.c) while awake (take: waits while a producer runs a
 * batch of it; leave: before it sleeps); opens it to producers (runner)
 * once active where rk_fuse_may_seat, closes it as it ends. */
#define RK_STOLEN_STOP 1u
#define RK_STOLEN_FAULT 2u
enum { RK_SEAT_FREE, RK_SEAT_HELD, RK_SEAT_WANTED };
void rk_executor_take_seat(rk_kernel *k);
void rk_executor_leave_seat(rk_kernel *k);
/* A producer: the seat if it is free (then give it back), else false. */
bool rk_executor_try_seat(rk_bell *b);
void rk_executor_give_back_seat(rk_bell *b);
bool rk_fuse_may_seat(const rk_kernel *k);
void rk_fuse_open_seat(rk_kernel *k);
void rk_fuse_close_seat(rk_kernel *k);
/* Whether k's batches should leave their consumers to it (RK_FUSE: 1
 * always, 2 while the kernel threads outnumber the cores, else never). */
bool rk_fuse_wanted(rk_kernel *k);
/* After a batch of k's: run each output's consumer that can be (depth:
 * how many runs this thread is inside already), ring the others. */
void rk_fuse_run_outputs(rk_kernel *k, unsigned depth);

/* Stop holding back the rings of k's outputs (k->fusing: before k
 * waits, fails or leaves a batch without rk_fuse_run_outputs): ring
 * them now (executor-emit.c). */
void rk_executor_ring_outputs(rk_kernel *k);

/* A message (or `failures` of them) failed with status rc, the first at
 * `position`: counted, told; whether the kernel must stop. */
bool rk_executor_message_failed(rk_kernel *k, int rc, uint64_t failures,
				uint64_t position);

/* Run a kernel's persistent main loop; 0 when it ended as asked. */
int rk_executor_run_main(rk_kernel *k);

/* A main loop that died holding a received message: its slot goes
 * back, not counted as processed (the caller counts the error). */
void rk_ctx_drop_held(rk_ctx *ctx);

#endif /* RK_EXECUTOR_H */
