/* executor.h - the pieces of the CPU executor shared with the rk_ctx
 * functions that persistent main loops call. */
#ifndef RK_EXECUTOR_H
#define RK_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* Spin, then park until there is work or the deadline passes. */
void rk_executor_idle(rk_kernel *k, bool active, uint64_t deadline_ns);

/* The input to take from next, trimmed first (drop_oldest); nothing
 * may be held in place from any input when this is called. */
rk_port *rk_executor_pick_input(rk_kernel *k, int *band);

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

/* Run a kernel's persistent main loop; 0 when it ended as asked. */
int rk_executor_run_main(rk_kernel *k);

/* A main loop that died holding a received message: its slot goes
 * back, not counted as processed (the caller counts the error). */
void rk_ctx_drop_held(rk_ctx *ctx);

#endif /* RK_EXECUTOR_H */
