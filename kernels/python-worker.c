/* python-worker.c - a Python kernel's worker process; see
 * python-worker.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "python-worker.h"

/* The longest one wait lasts before the kernel looks whether it is
 * being terminated. */
#define SLICE_MS 50

const rk_param_desc py_worker_params[] = {
	{ "file", "path", NULL, "the Python file: def process(msg, **args), "
	  "or async def main(ctx, **args) for python-actor (in a topology "
	  "file: relative to its directory)" },
	{ "args", "string", "", "keyword arguments of process or main, a "
	  "JSON object" },
	{ "max_line", "int", PY_MAX_LINE, "the longest message it may write, "
	  "in bytes" },
	{ NULL, NULL, NULL, NULL }
};

/* s as a JSON string, appended to out (grown); false when out of
 * memory. */
static bool quote(char **out, size_t *len, const char *s)
{
	size_t cap = *len + strlen(s) * 6 + 3;
	char *o = realloc(*out, cap + 1);

	if (!o)
		return false;
	*out = o;
	o += *len;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = (char)c;
	}
	*o++ = '"';
	*o = '\0';
	*len = (size_t)(o - *out);
	return true;
}

static bool append(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *o = realloc(*out, *len + n + 1);

	if (!o)
		return false;
	memcpy(o + *len, s, n + 1);
	*out = o;
	*len += n;
	return true;
}

/* The given parameters, but those of the kernel itself, as one JSON
 * object of strings: the worker converts them by the file's header. */
static char *given_json(const rk_param *params)
{
	char *out = NULL;
	size_t len = 0;
	bool ok = append(&out, &len, "{");

	for (const rk_param *p = params; ok && p && p->name; p++) {
		if (strcmp(p->name, "file") == 0
		    || strcmp(p->name, "max_line") == 0)
			continue;
		ok = (len == 1 || append(&out, &len, ","))
		     && quote(&out, &len, p->name) && append(&out, &len, ":")
		     && quote(&out, &len, p->value ? p->value : "");
	}
	if (ok && append(&out, &len, "}"))
		return out;
	free(out);
	return NULL;
}

/* Where make install puts worker.py (Makefile.am defines it; a build
 * without it relies on RINGCTL_PYTHON_WORKER). */
#ifndef RK_PYTHON_WORKER
#define RK_PYTHON_WORKER "/usr/share/ringctl/python/ringkernel/worker.py"
#endif

/* Where worker.py is: RINGCTL_PYTHON_WORKER (the build tree's, for the
 * tests), else where make install put it. */
static const char *worker_script(void)
{
	const char *env = getenv("RINGCTL_PYTHON_WORKER");

	return env && *env ? env : RK_PYTHON_WORKER;
}

/* The worker's argv, a JSON array for exec_spec_build. */
static char *worker_argv(const char *file, const char *given,
			 const char *form)
{
	char *out = NULL;
	size_t len = 0;

	if (append(&out, &len, "[") && quote(&out, &len, PY_INTERPRETER)
	    && append(&out, &len, ",") && quote(&out, &len, worker_script())
	    && append(&out, &len, ",") && quote(&out, &len, file)
	    && append(&out, &len, ",") && quote(&out, &len, given)
	    && append(&out, &len, ",") && quote(&out, &len, form)
	    && append(&out, &len, "]"))
		return out;
	free(out);
	return NULL;
}

int py_worker_init(rk_ctx *ctx, const rk_param *params, const char *form,
		   void **state)
{
	struct py_worker *w = calloc(1, sizeof(*w));
	const char *file = rk_ctx_param(ctx, "file");
	/* A .py kernel on the plugin path declares its own parameters: no
	 * max_line there. */
	const char *max_text = rk_ctx_param(ctx, "max_line");
	long max = atol(max_text ? max_text : PY_MAX_LINE);
	char why[512], *given = NULL, *argv = NULL;

	if (!w)
		return 1;
	w->child.in = w->child.out = w->child.err = -1;
	/* Checked now: a file or interpreter that is not there is an error
	 * of the launch, not of a message. */
	if (!file || access(file, R_OK) != 0) {
		rk_ctx_error(ctx, "cannot read the Python file '%s': %s",
			     file ? file : "", strerror(errno));
		goto fail;
	}
	if (access(PY_INTERPRETER, X_OK) != 0) {
		rk_ctx_error(ctx, "cannot run %s: %s", PY_INTERPRETER,
			     strerror(errno));
		goto fail;
	}
	if (access(worker_script(), R_OK) != 0) {
		rk_ctx_error(ctx, "cannot read the Python worker '%s': %s",
			     worker_script(), strerror(errno));
		goto fail;
	}
	w->max_line = max > 0 ? (size_t)max : 1;
	w->cap = w->max_line + 2;       /* its tag and newline */
	w->buf = malloc(w->cap);
	w->frame = malloc(w->cap + RK_JSON_PADDING);
	given = given_json(params);
	argv = given ? worker_argv(file, given, form) : NULL;
	if (!w->buf || !w->frame || !argv) {
		rk_ctx_error(ctx, "out of memory");
		goto fail;
	}
	/* No bytecode written beside the user's file or ours. */
	if (exec_spec_build(&w->what, NULL, argv,
			    "[\"PYTHONDONTWRITEBYTECODE=1\"]", NULL, why,
			    sizeof(why)) != 0) {
		rk_ctx_error(ctx, "%s", why);
		goto fail;
	}
	free(given);
	free(argv);
	*state = w;
	return 0;
fail:
	free(given);
	free(argv);
	py_worker_free(w);
	return 1;
}

void py_worker_free(struct py_worker *w)
{
	if (!w)
		return;
	/* A kernel that failed, or was never stopped: nothing of it stays. */
	exec_child_kill(&w->child);
	exec_spec_free(&w->what);
	free(w->buf);
	free(w->frame);
	free(w->flat);
	free(w);
}

/* Why a message failed, kept also in w->why: the kernel may need to
 * say it again for each message the worker had. */
__attribute__((format(printf, 3, 4)))
static void say(rk_ctx *ctx, struct py_worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	rk_ctx_error(ctx, "%s", w->why);
}

/* The worker's end, said once: the kernel then fails every message. */
static int ended(rk_ctx *ctx, struct py_worker *w, const char *what)
{
	char how[EXEC_TAIL + 128];

	exec_child_end(&w->child);
	exec_child_describe(&w->child, how, sizeof(how));
	say(ctx, w, "python worker %s, after %llu message%s: it %s",
		     what, (unsigned long long)w->messages,
		     w->messages == 1 ? "" : "s", how);
	w->failed = true;
	return -1;
}

int py_worker_ready(rk_ctx *ctx, struct py_worker *w)
{
	char why[512];

	if (w->failed) {
		say(ctx, w, "not sent: the python worker failed on an "
			     "earlier message");
		return 1;
	}
	if (w->started)
		return 0;
	w->started = true;
	if (exec_child_start(&w->child, &w->what.spec, why, sizeof(why)) != 0) {
		say(ctx, w, "%s", why);
		w->failed = true;
		return 1;
	}
	return 0;
}

/* Read what the worker wrote, without waiting. */
static void read_output(struct py_worker *w)
{
	if (exec_child_read(&w->child, w->buf, &w->len, w->cap))
		w->out_end = true;
}

/* Wait (up to SLICE_MS) for room in its input when `writing`, for its
 * output, or its standard error (passed on). */
static void wait_for(struct py_worker *w, bool writing)
{
	exec_child_wait(&w->child, writing, w->len < w->cap, SLICE_MS);
}

void py_worker_wait(struct py_worker *w, bool writing)
{
	wait_for(w, writing);
}

int py_worker_write(rk_ctx *ctx, struct py_worker *w, struct iovec **iov,
		    int *n_iov)
{
	int err = exec_child_write(&w->child, iov, n_iov);

	if (err == EPIPE) {
		ended(ctx, w, "stopped reading");
		return 1;
	}
	if (err) {
		say(ctx, w, "writing to the python worker: %s", strerror(err));
		w->failed = true;
		return 1;
	}
	return 0;
}

int py_worker_send(rk_ctx *ctx, struct py_worker *w, char tag,
		   const void *data, size_t len)
{
	struct iovec frame[3] = { { &tag, 1 }, { (void *)data, len },
				  { "\n", 1 } };
	struct iovec *iov = frame;
	int n_iov = 3;

	for (;;) {
		if (py_worker_write(ctx, w, &iov, &n_iov) != 0)
			return 1;
		if (n_iov == 0)
			return 0;
		if (rk_ctx_must_stop(ctx)) {
			say(ctx, w, "terminated while the python worker "
				     "did not read message %llu",
				     (unsigned long long)w->messages + 1);
			return 1;
		}
		wait_for(w, true);
		read_output(w);
	}
}

/* The frame at the start of buf, up to its newline (n bytes), taken
 * into w->frame. */
static int take(rk_ctx *ctx, struct py_worker *w, size_t n)
{
	char tag = w->buf[0];
	int rc = tag;

	if (tag == 'M') {
		size_t kept;
		if (rk_json_decode(&rk_type_json, w->buf + 1, n - 1, n - 1,
				   w->frame, w->cap + RK_JSON_PADDING, &kept)
		    != RK_OK) {
			say(ctx, w, "python worker wrote a message that "
				     "is not JSON: %s", rk_errmsg());
			w->failed = true;
			rc = -1;
		}
		w->frame_len = kept;
	} else {
		/* E or F: a line of text; anything else is not ours. */
		memcpy(w->frame, w->buf + 1, n ? n - 1 : 0);
		w->frame_len = n ? n - 1 : 0;
		w->frame[w->frame_len] = '\0';
		if (tag == 'F') {
			say(ctx, w, "%s", w->frame);
			w->failed = true;
			rc = -1;
		} else if (tag != 'E' && tag != 'K') {
			say(ctx, w, "python worker wrote an unknown "
				     "frame '%c'", tag);
			w->failed = true;
			rc = -1;
		}
	}
	w->len -= n + 1;
	memmove(w->buf, w->buf + n + 1, w->len);
	return rc;
}

int py_worker_frame(rk_ctx *ctx, struct py_worker *w, bool wait)
{
	for (;;) {
		char *nl = memchr(w->buf, '\n', w->len);
		if (nl)
			return take(ctx, w, (size_t)(nl - w->buf));
		if (w->len == w->cap) {
			say(ctx, w, "python worker wrote a message longer "
				     "than max_line (%zu bytes)", w->max_line);
			w->failed = true;
			return -1;
		}
		if (w->out_end)
			return ended(ctx, w, "ended");
		read_output(w);
		if (memchr(w->buf, '\n', w->len) || w->out_end)
			continue;
		if (!wait)
			return 0;
		if (rk_ctx_must_stop(ctx)) {
			say(ctx, w, "terminated while the python worker "
				     "did not answer message %llu",
				     (unsigned long long)w->messages);
			return -1;
		}
		wait_for(w, false);
	}
}

int py_worker_flush(rk_ctx *ctx)
{
	struct py_worker *w = rk_ctx_state(ctx);
	int got;

	if (w->failed || !w->started)
		return 0;               /* said already, or nothing to end */
	exec_child_close_input(&w->child);
	while ((got = py_worker_frame(ctx, w, true)) > 0) {
		if (got == 'M' && rk_ctx_emit(ctx, w->frame, w->frame_len))
			return 1;
		if (got == 'E') {
			say(ctx, w, "python actor raised: %s", w->frame);
			w->failed = true;
			return 1;
		}
	}
	/* ended() says how it ended; an exit of 0 at the end is the good
	 * one. */
	if (w->child.reaped && WIFEXITED(w->child.status)
	    && WEXITSTATUS(w->child.status) == 0) {
		w->failed = false;
		return 0;
	}
	return 1;
}

/* Until the worker has exited or `until` (ms): what the actor sends
 * meanwhile goes on (a terminate drains), its stderr is passed on. */
static bool wait_exit(rk_ctx *ctx, struct py_worker *w,
		      unsigned long long until)
{
	while (!exec_child_reap(&w->child, false)) {
		if (exec_child_now_ms() >= until)
			return false;
		wait_for(w, false);
		int got;
		while ((got = py_worker_frame(ctx, w, false)) > 0)
			if (got == 'M')
				(void)rk_ctx_send(ctx, w->frame, w->frame_len);
		if (got < 0)
			return true;    /* it ended (reaped) or broke */
		if (w->child.out < 0 && w->child.err < 0)
			poll(NULL, 0, 10);
	}
	return true;
}

void py_worker_stop(rk_ctx *ctx, double timeout)
{
	struct py_worker *w = rk_ctx_state(ctx);
	unsigned long long t0 = exec_child_now_ms();
	unsigned long long half = timeout < 0 ? ~0ull / 4
				  : (unsigned long long)(timeout * 500);

	if (!w->started || w->child.reaped || !w->child.pid)
		return;
	exec_child_close_input(&w->child);
	if (wait_exit(ctx, w, t0 + half))
		return;
	exec_child_signal(&w->child, SIGTERM);
	if (wait_exit(ctx, w, t0 + 2 * half))
		return;
	exec_child_kill(&w->child);
}
