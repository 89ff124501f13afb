/* fault.h - a kernel that faults in its own code (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL) fails alone: its thread jumps back to the executor,
 * which marks it FAILED, and the process lives on.
 *
 * Only where the program asked for it (rk_isolate_faults), only on
 * kernel threads, and only for faults outside libringkernel's own code:
 * a fault in the runtime is a bug that must not be papered over, so it
 * keeps its default action (a core dump). */
#ifndef RK_FAULT_H
#define RK_FAULT_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>

typedef struct rk_fault_guard {
	sigjmp_buf jump;
	void *alt_stack;                /* where the handler runs: a stack
					 * overflow still gets caught */
	stack_t old_stack;              /* the thread's before (a
					 * sanitizer's, say), put back */
	int signal;                     /* what was caught */
	const char *function;           /* in which of the kernel's */
	void *address;                  /* the faulting address */
} rk_fault_guard;

/* Whether this thread runs a kernel's own code now: set around the calls
 * into a kernel, cleared while the kernel calls back into the runtime.
 * A fault while it is clear (runtime code, or libc called by it, which
 * may hold the runtime's locks) is not recovered. */
extern _Thread_local bool rk_in_kernel_code;

/* Which of its kernel's functions this thread calls ("process"), set
 * before rk_in_kernel_code: a fault is told where it happened. */
extern _Thread_local const char *rk_kernel_function;

/* The id of the kernel this thread runs, for rk_exiting_kernel and
 * rk_on_kernel_abort. */
extern _Thread_local const char *rk_kernel_thread_id;

/* Around a call from a kernel into the runtime. */
static inline bool rk_fault_runtime_enter(void)
{
	bool was = rk_in_kernel_code;
	rk_in_kernel_code = false;
	return was;
}

static inline void rk_fault_runtime_leave(bool was)
{
	rk_in_kernel_code = was;
}

/* Arm the guard on this thread after a sigsetjmp(guard->jump, 1) that
 * returned 0; the sigsetjmp returns the signal number when a fault is
 * caught, with the guard disarmed. */
void rk_fault_arm(rk_fault_guard *guard);

/* Disarm it (and free its stack) before the frame of the sigsetjmp
 * returns. */
void rk_fault_disarm(rk_fault_guard *guard);

/* A guard nested in this thread's, for a kernel run on another's thread
 * (executor-fuse.c): armed only where the thread has one, on its
 * signal stack, after a sigsetjmp(guard->jump, 0) that returned 0; the
 * outer guard is kept in *outer for rk_fault_unnest.  Landing (the
 * sigsetjmp returned a signal) leaves the fault signals blocked, as the
 * handler ran: rk_fault_landed unblocks them. */
void rk_fault_nest(rk_fault_guard *guard, rk_fault_guard **outer);
void rk_fault_unnest(rk_fault_guard *outer);
void rk_fault_landed(void);

/* Disarm this thread's guard, if any: for a thread leaving through
 * pthread_exit, past the sigsetjmp frame. */
void rk_fault_disarm_thread(void);

#endif /* RK_FAULT_H */
