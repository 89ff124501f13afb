/* cmd-send.c - `ringctl send ID [FILE...]`: JSON lines from files or
 * the client's standard input into a kernel, in batches, through its
 * input type; in the server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "protocol.h"
#include "serve.h"
#include "xmalloc.h"

#define BATCH 256

struct sender {
	const char *id;
	const rk_type *type;            /* the kernel's input type */
	size_t max_message;             /* the most its input takes */
	double timeout;
	size_t max_line;
	bool skip;
	/* the current source */
	const char *name;
	uint64_t line;
	/* the batch being gathered */
	const void *msgs[BATCH];
	size_t lens[BATCH];
	size_t offsets[BATCH];
	size_t n;
	char *arena;
	size_t used, cap;
	/* a line cut between two chunks */
	char *partial;
	size_t partial_len, partial_cap;
	/* the account */
	uint64_t sent, skipped;
	int status;
	char why[512];
};

/* Tell the client how many messages are in: if the server dies, the
 * client can still say how far the send got (at least). */
static void report_progress(const struct sender *s)
{
	struct session *ses = output_session();
	uint64_t sent = s->sent;

	if (ses)
		session_send_if_room(ses, MSG_PROGRESS, &sent, sizeof(sent));
}

/* Send the batch; false, with the status set, when that fails.  A full
 * queue is waited on in slices, with the progress reported after each,
 * so the account stays exact while the send waits. */
static bool flush_batch(struct sender *s)
{
	const double slice = 0.1;
	uint64_t deadline = rk_deadline(s->timeout);
	size_t done = 0;
	rk_error rc = RK_OK;

	for (size_t i = 0; i < s->n; i++)
		s->msgs[i] = s->arena + s->offsets[i];
	while (done < s->n) {
		uint64_t now = rk_now_ns();
		double left = deadline == UINT64_MAX ? slice
			      : now >= deadline ? 0 : (double)(deadline - now) / 1e9;
		double wait = left < slice ? left : slice;
		size_t sent = 0;
		rc = rk_send_batch(serve_runtime(), s->id, s->msgs + done,
				   s->lens + done, s->n - done, wait, &sent);
		done += sent;
		s->sent += sent;
		report_progress(s);
		/* Only a wait that used its whole slice goes on: a queue
		 * that rejects at once (backpressure: reject) has said no. */
		bool waited = rk_now_ns() - now >= (uint64_t)(wait * 1e9);
		if (rc != RK_EFULL || !waited || rk_now_ns() >= deadline)
			break;
	}
	s->n = 0;
	s->used = 0;
	if (rc != RK_OK) {
		/* The queue is full, or the kernel gone: say which. */
		snprintf(s->why, sizeof(s->why), "%s", rk_errmsg());
		s->status = exit_status_for(rc);
	}
	return rc == RK_OK;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* One line: decoded into the batch, or a bad line reported. */
static bool take_line(struct sender *s, const char *line, size_t len,
		      size_t readable)
{
	size_t need = s->type && s->type->fields ? s->type->size : len;
	size_t got;
	rk_error rc = RK_OK;

	s->line++;
	if (blank(line, len))
		return true;
	if (len > s->max_line) {
		rc = RK_ESCHEMA;
		snprintf(s->why, sizeof(s->why), "%s:%llu: line is longer than "
			 "%zu bytes", s->name, (unsigned long long)s->line,
			 s->max_line);
	} else if (need > s->max_message) {
		/* Bad data with its line, here where the line is known:
		 * the kernel would refuse the batch it came in. */
		rc = RK_ESCHEMA;
		snprintf(s->why, sizeof(s->why), "%s:%llu: a message of %zu "
			 "bytes is over kernel '%s''s limit of %zu (launch "
			 "--max-message)", s->name, (unsigned long long)s->line,
			 need, s->id, s->max_message);
	} else {
		if (s->used + need > s->cap)
			s->arena = xrealloc(s->arena, s->cap = 2 * (s->used + need));
		if (!s->type) {
			memcpy(s->arena + s->used, line, len);
			got = len;
		} else {
			rc = rk_json_decode(s->type, line, len, readable,
					    s->arena + s->used, s->cap - s->used,
					    &got);
		}
		if (rc != RK_OK)
			snprintf(s->why, sizeof(s->why), "%s:%llu: %s", s->name,
				 (unsigned long long)s->line, rk_errmsg());
	}
	if (rc != RK_OK) {
		if (s->skip) {
			s->skipped++;
			return true;
		}
		/* What came before is delivered; nothing after it. */
		flush_batch(s);
		if (s->status == EXIT_OK)
			s->status = EXIT_DATAERR;
		return false;
	}
	s->offsets[s->n] = s->used;
	s->lens[s->n++] = got;
	s->used += got;
	return s->n < BATCH || flush_batch(s);
}

/* A chunk of a source: whole lines in place; a line cut by the chunk's
 * end is gathered (up to one byte past the limit: enough to know it is
 * too long) and taken when its end comes. */
static bool take_chunk(struct sender *s, const char *p, size_t len)
{
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;
		if (s->partial_len || !nl) {
			size_t room = s->partial_len > s->max_line ? 0
				      : s->max_line + 1 - s->partial_len;
			size_t keep = n < room ? n : room;
			if (s->partial_len + keep + RK_JSON_PADDING
			    > s->partial_cap) {
				s->partial_cap = 2 * (s->partial_len + keep)
						 + RK_JSON_PADDING;
				s->partial = xrealloc(s->partial, s->partial_cap);
			}
			memcpy(s->partial + s->partial_len, p, keep);
			s->partial_len += keep;
			if (!nl)
				return true;
			bool ok = take_line(s, s->partial, s->partial_len,
					    s->partial_cap);
			s->partial_len = 0;
			if (!ok)
				return false;
		} else if (!take_line(s, p, n, len)) {
			return false;
		}
		p += n + 1;
		len -= n + 1;
	}
	return true;
}

/* The end of a source: its last line may lack a newline. */
static bool end_source(struct sender *s)
{
	bool ok = true;

	if (s->partial_len)
		ok = take_line(s, s->partial, s->partial_len, s->partial_cap);
	s->partial_len = 0;
	return ok && flush_batch(s);
}

static bool send_file(struct sender *s, const char *name)
{
	char *path = session_path(output_session(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[1u << 16];
	bool ok = true;

	free(path);
	s->name = name;
	s->line = 0;
	if (fd < 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
		s->status = EXIT_FAIL;
		return false;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(s->why, sizeof(s->why), "%s: %s", name,
				 strerror(errno));
			s->status = EXIT_FAIL;
			ok = false;
			break;
		}
		if (n == 0 || !(ok = take_chunk(s, buf, (size_t)n)))
			break;
	}
	close(fd);
	return ok && end_source(s);
}

static bool send_stdin(struct sender *s)
{
	struct session *ses = output_session();
	const char *data;
	size_t len;
	int rc;

	s->name = "<stdin>";
	s->line = 0;
	if (!ses)
		return false;
	session_send(ses, MSG_WANT_STDIN, NULL, 0);
	for (;;) {
		/* Input that pauses does not hold back the lines before. */
		if (s->n && !session_input_ready(ses) && !flush_batch(s))
			return false;
		if ((rc = session_input(ses, &data, &len)) != 1)
			break;
		if (!take_chunk(s, data, len))
			return false;
	}
	if (rc < 0) {
		/* The whole lines it sent are delivered; a line it was
		 * cutting when it went cannot be. */
		bool ok = flush_batch(s);
		server_log(LOG_WARN, "send %s: the client went away after %llu "
			   "message%s%s", s->id, (unsigned long long)s->sent,
			   s->sent == 1 ? "" : "s",
			   s->partial_len ? ", in the middle of a line" : "");
		if (ok)
			snprintf(s->why, sizeof(s->why), "the client went away");
		s->status = EXIT_FAIL;
		return false;
	}
	return end_source(s);
}

static const char *const on_error_choices[] = { "fail", "skip", NULL };

static const struct cmd_option send_options[] = {
	{ .id = 't', .name = "timeout", .letter = 't', .arg = OPTION_ARG,
	  .metavar = "S", .help = "wait at most S seconds for room in a full\n"
	  "queue (default: as long as it takes)",
	  .type = OPTION_SECONDS, .wants = "seconds", .zero_ok = true },
	{ .id = 'e', .name = "on-error", .arg = OPTION_ARG,
	  .metavar = "fail|skip", .help = "stop at a bad line (exit 65), or "
	  "count\nit and go on", .type = OPTION_CHOICE,
	  .choices = on_error_choices },
	{ .id = 'm', .name = "max-line", .arg = OPTION_ARG, .metavar = "BYTES",
	  .help = "longest line (default 1048576)",
	  .type = OPTION_COUNT, .wants = "bytes", .max = 1u << 30 },
	{ .id = 'E', .name = "end",
	  .help = "then end the kernel's input: it flushes" },
	{ 0 }
};

struct send_opts {
	struct sender *s;
	bool end;
};

static int take_send_option(void *opts, int id, const struct option_value *v)
{
	struct send_opts *o = opts;

	switch (id) {
	case 't':
		o->s->timeout = v->seconds;
		break;
	case 'e':
		o->s->skip = v->choice == 1;
		break;
	case 'm':
		o->s->max_line = v->count;
		break;
	case 'E':
		o->end = true;
		break;
	}
	return EXIT_OK;
}

static int cmd_send_exec(const struct global_opts *g, int argc, char **argv)
{
	struct sender s = { .timeout = RK_FOREVER, .max_line = 1u << 20 };
	struct send_opts o = { .s = &s };
	int status, first = cmd_parse_options(&cmd_send_entry, argc, argv, &o,
					      &status);

	if (first < 0)
		return status;
	if (first >= argc)
		return usage_error("send takes a kernel id, then files");
	s.id = argv[first++];
	rk_kernel_info info;
	rk_error rc = rk_get_kernel_info(serve_runtime(), s.id, &info);
	if (rc != RK_OK)
		return serve_failure(rc);
	s.type = info.desc->input_type;
	s.max_message = info.max_message;
	report_progress(&s);

	bool ok = true;
	if (first == argc)
		ok = send_stdin(&s);
	for (int i = first; ok && i < argc; i++)
		ok = strcmp(argv[i], "-") == 0 ? send_stdin(&s)
					       : send_file(&s, argv[i]);
	if (ok && o.end && (rc = rk_send_end(serve_runtime(), s.id,
					   s.timeout)) != RK_OK) {
		snprintf(s.why, sizeof(s.why), "%s", rk_errmsg());
		s.status = exit_status_for(rc);
	}
	if (s.status != EXIT_OK)
		log_error("%s (%llu message%s sent%s)", s.why,
			  (unsigned long long)s.sent, s.sent == 1 ? "" : "s",
			  s.status == EXIT_DATAERR ? " before it" : "");
	if (s.skipped)
		log_warn("skipped %llu bad line%s, the last: %s",
			 (unsigned long long)s.skipped,
			 s.skipped == 1 ? "" : "s", s.why);
	free(s.arena);
	free(s.partial);
	return s.status;
}

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.flags = CMD_SERVER,
	.usage = "ID [FILE...] [OPTIONS]",
	.summary = "send JSON lines (files, or standard input) to a kernel",
	.options = send_options,
	.take_option = take_send_option,
	.help_column = 24,
	.help =
	"A full queue past the timeout exits 5; the messages sent before it\n"
	"stay sent.\n",
	.exec = cmd_send_exec,
};
