/* exec.c - a kernel that is any command speaking JSON lines: each input
 * message goes to the command's standard input as one line, each line
 * it writes to its standard output is an output message.
 *
 * The command is a co-process, started on the kernel's own thread at
 * the first message (so that PR_SET_PDEATHSIG ties it to that thread,
 * which lives exactly as long as the kernel) and fed through
 * non-blocking pipes: a write that does not fit waits in poll, which
 * reads the command's output meanwhile, so neither side can deadlock
 * the other and a slow command slows its producer through the queue,
 * with no buffer of ours growing.  Alone, the command may answer a line
 * with any number of lines, read as they come; replicated (or with
 * one_line), it must answer each line with exactly one, which is how
 * the copies' outputs are put back in input order; then several lines
 * are in flight at once (process_batch, telling each message's end), so
 * that a message costs no round trip of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringkernel.h>

#include "exec-child.h"
#include "exec-spec.h"
#include "in-flight.h"

/* How long one wait lasts before the kernel looks whether it is being
 * terminated: the longest a terminate waits on a stuck command. */
#define SLICE_MS 50

struct exec {
	struct exec_owned what;
	struct exec_child child;
	bool started;
	bool failed;                    /* said once; later messages fail */
	bool one_line;                  /* one line out per line in */
	bool out_end;                   /* its standard output closed */
	bool done;                      /* it ended well at end of input */
	bool flushing;                  /* the end has begun: the end of the
					 * output passes on after flush */
	char *buf;                      /* its output not yet taken */
	size_t len, cap, max_line;
	char *json;                     /* a line as the codec keeps it */
	uint64_t lines_out;             /* output lines read so far */
	uint64_t messages;              /* lines written so far */
	uint64_t per_message_ns;        /* one_line: its time per message */
	char *flat;                     /* messages made one line */
	size_t flat_cap;
	char why[512];                  /* the last error said */
};

static int exec_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct exec *x = calloc(1, sizeof(*x));
	char why[512];
	long max = atol(rk_ctx_param(ctx, "max_line"));

	if (!x)
		return 1;
	x->child.pid = 0;
	x->child.in = x->child.out = x->child.err = -1;
	const char *one = rk_ctx_param(ctx, "one_line");
	/* The value is a bool already checked: true, yes, on or 1. */
	x->one_line = rk_ctx_replicated(ctx)
		      || (one[0] && strchr("tTyY1", one[0]))
		      || strcasecmp(one, "on") == 0;
	x->max_line = max > 0 ? (size_t)max : 1;
	x->cap = x->max_line + 1;
	x->buf = malloc(x->cap);
	x->json = malloc(x->cap + RK_JSON_PADDING);
	if (!x->buf || !x->json) {
		rk_ctx_error(ctx, "out of memory");
		goto fail;
	}
	/* Checked now, so that a command that is not there, or a bad
	 * parameter, is an error of the launch rather than of a message. */
	if (exec_spec_build(&x->what, rk_ctx_param(ctx, "command"),
			    rk_ctx_param(ctx, "argv"), rk_ctx_param(ctx, "env"),
			    rk_ctx_param(ctx, "dir"), why, sizeof(why)) != 0) {
		rk_ctx_error(ctx, "%s", why);
		goto fail;
	}
	*state = x;
	return 0;
fail:
	exec_spec_free(&x->what);
	free(x->buf);
	free(x->json);
	free(x);
	return 1;
}

static void exec_fini(void *state)
{
	struct exec *x = state;

	if (!x)
		return;
	/* A kernel that failed, or was never stopped: nothing of it stays. */
	exec_child_kill(&x->child);
	exec_spec_free(&x->what);
	free(x->buf);
	free(x->json);
	free(x->flat);
	free(x);
}

#define now_ms exec_child_now_ms

/* Why a message failed, kept also in x->why: said again for each
 * message the command had when it broke. */
__attribute__((format(printf, 3, 4)))
static void say(rk_ctx *ctx, struct exec *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	rk_ctx_error(ctx, "%s", x->why);
}

/* Its last words, once it has exited: its stderr to the end, for a
 * second at most (a process that left its group may hold it open). */
static void stderr_to_end(struct exec *x)
{
	uint64_t until = now_ms() + 1000;

	while (exec_child_drain_stderr(&x->child) && now_ms() < until)
		poll(&(struct pollfd){ x->child.err, POLLIN, 0 }, 1, SLICE_MS);
}

/* The command's end, said once: the kernel then fails every message. */
static int ended(rk_ctx *ctx, struct exec *x, const char *what)
{
	char how[EXEC_TAIL + 128];

	exec_child_end(&x->child);
	exec_child_describe(&x->child, how, sizeof(how));
	say(ctx, x, "command %s, after %llu output line%s: it %s", what,
		     (unsigned long long)x->lines_out,
		     x->lines_out == 1 ? "" : "s", how);
	x->failed = true;
	return 1;
}

static int start(rk_ctx *ctx, struct exec *x)
{
	char why[512];

	if (x->started)
		return 0;
	x->started = true;
	if (exec_child_start(&x->child, &x->what.spec, why, sizeof(why)) != 0) {
		say(ctx, x, "%s", why);
		x->failed = true;
		return 1;
	}
	return 0;
}

/* Read what the command wrote, without waiting.  -1 when a line is
 * longer than max_line. */
static int read_output(rk_ctx *ctx, struct exec *x)
{
	if (exec_child_read(&x->child, x->buf, &x->len, x->cap))
		x->out_end = true;
	if (x->len == x->cap && !memchr(x->buf, '\n', x->len)) {
		say(ctx, x, "command wrote a line longer than max_line "
			     "(%zu bytes) as its output line %llu", x->max_line,
			     (unsigned long long)x->lines_out + 1);
		x->failed = true;
		return -1;
	}
	return 0;
}

/* The next complete line (the last one also without its newline once
 * the output ended), checked as JSON: 1 with it in *line, 0 when none
 * is complete yet, -1 when it is not JSON. */
static int next_line(rk_ctx *ctx, struct exec *x, const char **line,
		     size_t *len)
{
	char *nl = memchr(x->buf, '\n', x->len);
	size_t n = nl ? (size_t)(nl - x->buf) : x->len;

	if (!nl && (!x->out_end || x->len == 0))
		return 0;
	x->lines_out++;
	size_t kept;
	rk_error rc = rk_json_decode(&rk_type_json, x->buf, n, n, x->json,
				     x->cap + RK_JSON_PADDING, &kept);
	if (rc != RK_OK) {
		/* Its start, shown: no control character reaches a terminal. */
		char shown[41];
		size_t m = n < 40 ? n : 40;
		for (size_t i = 0; i < m; i++)
			shown[i] = (unsigned char)x->buf[i] < 0x20
				   || x->buf[i] == 0x7f ? '?' : x->buf[i];
		shown[m] = '\0';
		say(ctx, x, "command's output line %llu is not JSON "
			     "('%s%s'): %s", (unsigned long long)x->lines_out,
			     shown, n > 40 ? "..." : "", rk_errmsg());
	}
	x->len -= nl ? n + 1 : n;
	memmove(x->buf, x->buf + (nl ? n + 1 : n), x->len);
	if (rc != RK_OK) {
		x->failed = true;
		return -1;
	}
	*line = x->json;
	*len = kept;
	return 1;
}

/* Emit each complete line of the command's output. */
static int emit_lines(rk_ctx *ctx, struct exec *x)
{
	const char *line;
	size_t len;
	int got;

	while ((got = next_line(ctx, x, &line, &len)) > 0) {
		rk_error rc = rk_ctx_emit(ctx, line, len);
		if (rc != RK_OK)
			return 1;       /* emit said why in the error */
	}
	return got < 0;
}

/* Wait (up to SLICE_MS) for the command: room in its input when
 * `writing`, output, or its standard error. */
static void wait_for(struct exec *x, bool writing)
{
	exec_child_wait(&x->child, writing, true, SLICE_MS);
}

/* Write the message and its newline, reading the command's output
 * meanwhile: alone it is emitted as it comes; in one_line mode it is
 * kept for the answer. */
static int write_message(rk_ctx *ctx, struct exec *x, const rk_msg *msg)
{
	size_t done = 0, total = msg->len + 1;
	const void *line;

	if (!in_flight_lines(msg, 1, &line, &x->flat, &x->flat_cap)) {
		say(ctx, x, "out of memory");
		return 1;
	}
	while (done < total) {
		/* The line and its newline in one call where they fit. */
		struct iovec iov[2] = {
			{ (char *)line + done, msg->len - done },
			{ "\n", 1 },
		};
		ssize_t n = done < msg->len ? writev(x->child.in, iov, 2)
					    : write(x->child.in, "\n", 1);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EPIPE)
			return ended(ctx, x, "stopped reading its input");
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			say(ctx, x, "writing to the command: %s",
				     strerror(errno));
			return 1;
		}
		if (rk_ctx_must_stop(ctx)) {
			say(ctx, x, "terminated while the command did "
				     "not read message %llu",
				     (unsigned long long)x->messages + 1);
			return 1;
		}
		wait_for(x, true);
		if (read_output(ctx, x) != 0)
			return 1;
		if (!x->one_line && emit_lines(ctx, x))
			return 1;
		if (x->out_end && !x->one_line)
			return ended(ctx, x, "closed its output");
	}
	x->messages++;
	return 0;
}

static int too_many(rk_ctx *ctx, struct exec *x)
{
	say(ctx, x, "command answered message %llu with more than one "
		     "line (its output line %llu); with replicas or one_line "
		     "it must answer each line with exactly one",
		     (unsigned long long)x->messages,
		     (unsigned long long)x->lines_out + 1);
	x->failed = true;
	return 1;
}

/* Alone: each message written, what the command writes meanwhile
 * emitted as it comes, the message then done. */
static void alone_batch(rk_ctx *ctx, struct exec *x, const rk_msg *msgs,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int failed = write_message(ctx, x, &msgs[i])
			     || read_output(ctx, x) || emit_lines(ctx, x);
		if (rk_ctx_batch_done(ctx, failed) != RK_BATCH_GO_ON
		    || x->failed)
			return;         /* the rest stays queued */
	}
}

/* one_line: messages in flight, written in chunks while the answers of
 * those before are read, so that the command rarely waits for us nor
 * we for it; each answer, exactly one line, is its message's. */
struct flight {
	const rk_msg *msgs;
	size_t n, sent, told, window;
	size_t chunk;                   /* the first of the chunk written */
	bool finish;                    /* send no more, answer the rest */
	bool stop;                      /* return now: the kernel stops */
	struct iovec iov[2 * IN_FLIGHT_MAX], *left;
	int n_left;                     /* pieces of the chunk not written */
};

/* The next chunk: half the window, so that one chunk is answered while
 * the next is worked on. */
static bool next_chunk(struct exec *x, struct flight *f)
{
	const void *lines[IN_FLIGHT_MAX];
	size_t k = f->window / 2;

	if (k > f->window - (f->sent - f->told))
		k = f->window - (f->sent - f->told);
	if (k > f->n - f->sent)
		k = f->n - f->sent;
	if (!in_flight_lines(&f->msgs[f->sent], k, lines, &x->flat,
			     &x->flat_cap))
		return false;
	for (size_t i = 0; i < k; i++) {
		f->iov[2 * i] = (struct iovec){ (void *)lines[i],
						f->msgs[f->sent + i].len };
		f->iov[2 * i + 1] = (struct iovec){ "\n", 1 };
	}
	f->left = f->iov;
	f->n_left = (int)(2 * k);
	f->chunk = f->sent;
	f->sent += k;
	x->messages += k;
	return true;
}

/* Messages written whole: only those can have been answered. */
static size_t written(const struct flight *f)
{
	return f->n_left ? f->chunk + (size_t)(f->left - f->iov) / 2
			 : f->sent;
}

static void tell(rk_ctx *ctx, struct flight *f, int failed)
{
	rk_batch_next next = rk_ctx_batch_done(ctx, failed);

	f->told++;
	f->finish |= next != RK_BATCH_GO_ON;
	f->stop |= next == RK_BATCH_STOP;
}

static void one_line_batch(rk_ctx *ctx, struct exec *x, const rk_msg *msgs,
			   size_t n)
{
	struct flight f = { .msgs = msgs, .n = n,
			    .window = in_flight_window(x->per_message_ns) };
	uint64_t t0 = in_flight_now_ns();
	const char *line;
	size_t len;
	int got, err;

	/* Lines before anything is in flight belong to the last message:
	 * one too many (caught here when they came in time, else at the
	 * end of input, where the lines are counted). */
	if (read_output(ctx, x) || x->len) {
		if (x->len)
			too_many(ctx, x);
		tell(ctx, &f, 1);
		return;
	}
	while (!f.stop && (f.told < f.sent || (f.sent < n && !f.finish))) {
		bool moved = false;
		if (f.n_left == 0 && f.sent < n && !f.finish
		    && f.sent - f.told < f.window && !next_chunk(x, &f)) {
			say(ctx, x, "out of memory");
			goto broke;
		}
		if (f.n_left > 0) {
			int before = f.n_left;
			if ((err = exec_child_write(&x->child, &f.left,
						    &f.n_left)) == EPIPE) {
				ended(ctx, x, "stopped reading its input");
				goto broke;
			} else if (err) {
				say(ctx, x, "writing to the command: %s",
				    strerror(err));
				goto broke;
			}
			moved = f.n_left < before;
		}
		if (read_output(ctx, x) != 0)
			goto broke;
		while (!f.stop && f.told < f.sent
		       && (got = next_line(ctx, x, &line, &len)) != 0) {
			if (got < 0)
				goto broke;
			/* An answer to a line not yet written whole is one
			 * line too many for an earlier one. */
			if (f.told >= written(&f)) {
				say(ctx, x, "command wrote its output line %llu "
				    "before it was given all of input line "
				    "%llu: an earlier line had more than one "
				    "answer; with replicas or one_line it must "
				    "answer each line with exactly one",
				    (unsigned long long)x->lines_out,
				    (unsigned long long)(x->messages
				    - (f.sent - f.told) + 1));
				goto broke;
			}
			tell(ctx, &f, rk_ctx_emit(ctx, line, len) != RK_OK);
			moved = true;
		}
		if (moved)
			continue;
		if (x->out_end) {
			char what[96];
			snprintf(what, sizeof(what), "gave no answer to "
				 "message %llu", (unsigned long long)
				 (x->messages - (f.sent - f.told) + 1));
			ended(ctx, x, what);
			goto broke;
		}
		if (rk_ctx_must_stop(ctx)) {
			say(ctx, x, "terminated while the command worked on "
			    "%zu message%s", f.sent - f.told,
			    f.sent - f.told == 1 ? "" : "s");
			goto broke;
		}
		wait_for(x, f.n_left > 0);
	}
	/* Stopping with answers still to come: they would answer the
	 * wrong messages, and the kernel is done anyway. */
	if (f.stop && (f.told < f.sent || f.n_left))
		x->failed = true;
	in_flight_learn(&x->per_message_ns, t0, f.told);
	return;
broke:
	/* What it still had would answer the wrong messages: each of them
	 * failed, with the same why; what was not sent stays queued (and
	 * fails at once, next time). */
	x->failed = true;
	char why[sizeof(x->why)];
	snprintf(why, sizeof(why), "%s", x->why);
	while (f.told < f.sent && !f.stop) {
		rk_ctx_error(ctx, "%s", why);
		tell(ctx, &f, 1);
	}
}

static int exec_process_batch(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	struct exec *x = rk_ctx_state(ctx);

	/* Told none: the runtime fails them all, with this error. */
	if (x->failed) {
		say(ctx, x, "not sent: the command failed on an earlier "
		    "message");
		return (int)n;
	}
	if (start(ctx, x))
		return (int)n;
	if (x->one_line)
		one_line_batch(ctx, x, msgs, n);
	else
		alone_batch(ctx, x, msgs, n);
	return 0;
}

/* No message waits: what the command wrote meanwhile goes out now
 * (alone; in one_line mode a line here is one too many, and is caught
 * before the next message). */
static int exec_idle(rk_ctx *ctx)
{
	struct exec *x = rk_ctx_state(ctx);

	if (!x->started || x->failed || x->done || x->one_line)
		return 0;
	exec_child_drain_stderr(&x->child);
	if (read_output(ctx, x) || emit_lines(ctx, x))
		return 1;
	if (x->out_end && !x->len)
		return ended(ctx, x, "closed its output");
	return 0;
}

/* The end of input: the command sees it, writes what it still has and
 * exits; its status is the kernel's. */
static int exec_flush(rk_ctx *ctx)
{
	struct exec *x = rk_ctx_state(ctx);
	const char *line;
	size_t len;
	int got;

	if (x->failed)
		return 0;               /* said already */
	if (start(ctx, x))
		return 1;
	x->flushing = true;
	exec_child_close_input(&x->child);
	while (!x->out_end || x->len) {
		if (rk_ctx_should_terminate(ctx))
			return 0;       /* stop ends it */
		if (read_output(ctx, x) != 0)
			return 1;
		if (!x->one_line && emit_lines(ctx, x))
			return 1;
		if (x->one_line && (got = next_line(ctx, x, &line, &len)) != 0) {
			if (got > 0)
				say(ctx, x, "command wrote more lines than "
					     "it was given (its output line %llu "
					     "after %llu messages); with replicas "
					     "or one_line it must answer each line "
					     "with exactly one",
					     (unsigned long long)x->lines_out,
					     (unsigned long long)x->messages);
			x->failed = true;
			return 1;
		}
		if (!x->out_end)
			wait_for(x, false);
	}
	while (!exec_child_reap(&x->child, false)) {
		if (rk_ctx_should_terminate(ctx))
			return 0;
		wait_for(x, false);
		if (x->child.err < 0)
			poll(NULL, 0, 10);
	}
	stderr_to_end(x);
	if (WIFEXITED(x->child.status) && WEXITSTATUS(x->child.status) == 0) {
		x->done = true;
		return 0;
	}
	return ended(ctx, x, "failed at the end of its input");
}

/* Terminated, lines that have no place (one_line: they answer no
 * message; after the end of output went on) are dropped, and said so
 * (stderr: a server's log). */
static void drop_output(rk_ctx *ctx, struct exec *x)
{
	size_t lines = 0;

	for (size_t i = 0; i < x->len; i++)
		lines += x->buf[i] == '\n';
	if (x->buf[x->len - 1] != '\n')
		lines++;                /* a last one, unfinished */
	fprintf(stderr, "ringctl: %s: terminated: %zu line%s of its command's "
		"output had no place, dropped\n",
		rk_ctx_kernel_id(ctx), lines, lines == 1 ? "" : "s");
	x->len = 0;
}

/* Until the command has exited or `until` (ms): its output emitted (not
 * in one_line mode, where the merge could not place it). */
static bool wait_exit(rk_ctx *ctx, struct exec *x, uint64_t until)
{
	while (!exec_child_reap(&x->child, false)) {
		if (now_ms() >= until)
			return false;
		wait_for(x, false);
		if (x->child.out < 0 && x->child.err < 0)
			poll(NULL, 0, 10);
		/* Past the end of output (a flush cut short), or in one_line
		 * mode, a line has no place. */
		bool placed = !x->one_line && !x->flushing;
		if (read_output(ctx, x) == 0 && placed)
			emit_lines(ctx, x);
		else if (!placed && x->len)
			drop_output(ctx, x);
	}
	return true;
}

/* Terminated: close its input and give it half the time left to end,
 * then SIGTERM and the other half, then SIGKILL. */
static void exec_stop(rk_ctx *ctx, double timeout)
{
	struct exec *x = rk_ctx_state(ctx);
	uint64_t t0 = now_ms();
	uint64_t half = timeout < 0 ? UINT64_MAX / 4 : (uint64_t)(timeout * 500);

	if (!x->started || x->child.reaped || !x->child.pid)
		return;
	exec_child_close_input(&x->child);
	if (wait_exit(ctx, x, t0 + half))
		return;
	exec_child_signal(&x->child, SIGTERM);
	if (wait_exit(ctx, x, t0 + 2 * half))
		return;
	exec_child_kill(&x->child);
}

static const rk_param_desc exec_params[] = {
	{ "command", "string", "", "the command line, run by /bin/sh -c" },
	{ "argv", "string", "", "or the program and its arguments, a list "
	  "(JSON array) of strings, run without a shell" },
	{ "env", "string", "", "NAME=VALUE strings (a JSON array) set in "
	  "its environment, over ringctl's" },
	{ "dir", "path", ".", "its working directory (in a topology file: "
	  "relative to the file's directory)" },
	{ "one_line", "bool", "false", "it answers each line with exactly one "
	  "line, in order, written at once (always so with replicas)" },
	{ "max_line", "int", "1048576", "the longest line it may write, in "
	  "bytes" },
	{ NULL, NULL, NULL, NULL }
};

static const char *given(const rk_param *params, const char *name)
{
	for (const rk_param *p = params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p->value;
	return NULL;
}

/* For validate, and before init: a command to run, lists that are
 * lists. */
static int exec_check(const rk_param *params, char *why, size_t cap)
{
	return exec_spec_check(given(params, "command"), given(params, "argv"),
			       given(params, "env"), why, cap) != 0;
}

static const rk_kernel_desc exec_kernel = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "exec",
	.description = "runs a command that reads and writes JSON lines",
	.input_type = &rk_type_json,
	.output_type = &rk_type_json,
	.params = exec_params,
	.init = exec_init,
	.fini = exec_fini,
	.process_batch = exec_process_batch,
	.flush = exec_flush,
	.stop = exec_stop,
	.flags = RK_KERNEL_REPLICA_SAFE_FLUSH | RK_KERNEL_BATCH_TELLS,
	.idle = exec_idle,
	.check = exec_check,
};

static const rk_kernel_desc *const kernels[] = { &exec_kernel, NULL };
RK_PLUGIN("exec", "commands that speak JSON lines", kernels);
