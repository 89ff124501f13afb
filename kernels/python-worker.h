/* python-worker.h - the worker process of a Python kernel, from the
 * kernel's side: started at the first message on the kernel's thread
 * (exec-child.c ties it to that thread), fed framed lines through
 * non-blocking pipes, its framed answers read back (worker.py has the
 * protocol), ended politely first. */
#ifndef RK_PYTHON_WORKER_H
#define RK_PYTHON_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <ringkernel.h>

#include "exec-child.h"
#include "exec-spec.h"

/* Debian's interpreter: a Python kernel needs nothing installed by pip. */
#define PY_INTERPRETER "/usr/bin/python3"

/* The longest message a worker may write, by default. */
#define PY_MAX_LINE "1048576"

struct py_worker {
	struct exec_owned what;
	struct exec_child child;
	bool started;
	bool failed;                    /* said once; later messages fail */
	bool out_end;                   /* its standard output closed */
	char *buf;                      /* its output not yet taken */
	size_t len, cap, max_line;
	char *frame;                    /* the last frame's payload: JSON as
					 * the codec keeps it, or text */
	size_t frame_len;
	uint64_t messages;              /* answered (function form) or sent
					 * (actor form) so far */
	char why[512];                  /* the last error it said */
	char *flat;                     /* messages made one line */
	size_t flat_cap;
	uint64_t per_message_ns;        /* its time per message, of late:
					 * how many may be in flight */
};

extern const rk_kernel_desc python_actor_kernel;

/* The parameters of both forms: the same worker runs either. */
extern const rk_param_desc py_worker_params[];

/* From the kernel's parameters: file, the given ones passed on to the
 * Python code, max_line; form "function" or "actor".  0, or 1 after
 * rk_ctx_error. */
int py_worker_init(rk_ctx *ctx, const rk_param *params, const char *form,
		   void **state);
void py_worker_free(struct py_worker *w);

/* Started (the first time), and not failed before: 0, or 1 with the
 * error. */
int py_worker_ready(rk_ctx *ctx, struct py_worker *w);

/* Write what of iov (n_iov pieces) goes without waiting; iov and n_iov
 * then say what is left (none: n_iov 0).  0, or 1 with the error (the
 * worker then counts as failed). */
int py_worker_write(rk_ctx *ctx, struct py_worker *w, struct iovec **iov,
		    int *n_iov);

/* Wait a while (up to 50 ms) for its output, or for room in its input
 * when `writing`; its standard error is passed on meanwhile. */
void py_worker_wait(struct py_worker *w, bool writing);

/* Write one frame: tag then data (may be NULL) and a newline, reading
 * its output meanwhile so that neither side waits on the other.  0, or
 * 1 with the error. */
int py_worker_send(rk_ctx *ctx, struct py_worker *w, char tag,
		   const void *data, size_t len);

/* The next frame's tag, its payload in w->frame; 0 when none has come
 * (without wait), -1 with the error when the worker ended, failed, or
 * the kernel is terminated while waiting. */
int py_worker_frame(rk_ctx *ctx, struct py_worker *w, bool wait);

/* The kernel's flush, at the end of input (before the end passes on,
 * for an actor too): its input closed, what it still sends emitted, its
 * exit awaited; 0 when it exited with status 0, else 1 with the error. */
int py_worker_flush(rk_ctx *ctx);

/* The kernel's stop, terminated: its input closed and half the time to
 * exit, SIGTERM and the other half, then SIGKILL; what it sends
 * meanwhile goes on. */
void py_worker_stop(rk_ctx *ctx, double timeout);

#endif /* RK_PYTHON_WORKER_H */
