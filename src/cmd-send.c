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
#include "fd-read.h"
#include "log.h"
#include "output.h"
#include "protocol.h"
#include "serve.h"
#include "xmalloc.h"

struct sender {
	const char *id;
	double timeout;
	size_t max_line;
	bool skip;
	unsigned json_flags;            /* --unknown-fields=ignore */
	rk_jsonl_reader *lines;         /* decodes and batches for the kernel */
	/* the account */
	uint64_t sent;
	int status;
	char why[sizeof(((rk_jsonl_account *)0)->bad) + 32];
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

/* A batch into the kernel.  A full queue is waited on in slices, with
 * the progress reported after each, so the account stays exact while
 * the send waits. */
static rk_error send_batch(void *arg, size_t target, const void *const *msgs,
			   const size_t *lens, size_t count, size_t *taken)
{
	struct sender *s = arg;
	const double slice = 0.1;
	uint64_t deadline = rk_deadline(s->timeout);
	rk_error rc = RK_OK;

	(void)target;
	*taken = 0;
	while (*taken < count) {
		uint64_t now = rk_now_ns();
		double left = deadline == UINT64_MAX ? slice
			      : now >= deadline ? 0 : (double)(deadline - now) / 1e9;
		double wait = left < slice ? left : slice;
		size_t sent = 0;
		rc = rk_send_batch(serve_runtime(), s->id, msgs + *taken,
				   lens + *taken, count - *taken, wait, &sent);
		*taken += sent;
		s->sent += sent;
		report_progress(s);
		/* Only a wait that used its whole slice goes on: a queue
		 * that rejects at once (backpressure: reject) has said no. */
		bool waited = rk_now_ns() - now >= (uint64_t)(wait * 1e9);
		if (rc != RK_EFULL || !waited || rk_now_ns() >= deadline)
			break;
	}
	if (rc != RK_OK) {
		/* The queue is full, or the kernel gone: say which. */
		snprintf(s->why, sizeof(s->why), "%s", rk_errmsg());
		s->status = exit_status_for(rc);
	}
	return rc;
}

/* What the reader's rc means for the send: a bad line (exit 65) unless
 * the kernel refused first (the status is set then). */
static bool settle(struct sender *s, rk_error rc)
{
	rk_jsonl_account a;

	if (rc == RK_OK)
		return true;
	if (s->status != EXIT_OK)
		return false;
	rk_jsonl_reader_account(s->lines, &a);
	if (rc == RK_ESCHEMA && a.bad[0]) {
		/* Over the kernel's limit: say how to raise it. */
		snprintf(s->why, sizeof(s->why), "%s%s", a.bad,
			 strstr(a.bad, "'s limit of ")
			 ? " (launch --max-message)" : "");
		s->status = EXIT_DATAERR;
	} else {
		snprintf(s->why, sizeof(s->why), "%s", rk_errmsg());
		s->status = exit_status_for(rc);
	}
	return false;
}

static bool send_file(struct sender *s, const char *name)
{
	char *path = session_path(output_session(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[1u << 16];
	rk_error rc = RK_OK;
	ssize_t n;

	free(path);
	rk_jsonl_reader_source(s->lines, name);
	if (fd < 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
		s->status = EXIT_FAIL;
		return false;
	}
	while (rc == RK_OK && (n = fd_read_some(fd, -1, buf, sizeof(buf))) > 0)
		rc = rk_jsonl_reader_push(s->lines, buf, (size_t)n, (size_t)n);
	if (rc == RK_OK && n < 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name,
			 strerror(errno));
		s->status = EXIT_FAIL;
		close(fd);
		return false;
	}
	close(fd);
	return settle(s, rc == RK_OK ? rk_jsonl_reader_end(s->lines) : rc);
}

static bool send_stdin(struct sender *s)
{
	struct session *ses = output_session();
	const char *data;
	size_t len;
	int got;
	rk_error rc = RK_OK;

	rk_jsonl_reader_source(s->lines, "<stdin>");
	if (!ses)
		return false;
	session_send(ses, MSG_WANT_STDIN, NULL, 0);
	for (;;) {
		/* Input that pauses does not hold back the lines before. */
		if (!session_input_ready(ses)
		    && (rc = rk_jsonl_reader_flush(s->lines)) != RK_OK)
			return settle(s, rc);
		if ((got = session_input(ses, &data, &len)) != 1)
			break;
		if ((rc = rk_jsonl_reader_push(s->lines, data, len, len))
		    != RK_OK)
			return settle(s, rc);
	}
	if (got < 0) {
		/* The whole lines it sent are delivered; a line it was
		 * cutting when it went cannot be. */
		rk_jsonl_account a;
		bool ok = settle(s, rk_jsonl_reader_flush(s->lines));
		rk_jsonl_reader_account(s->lines, &a);
		server_log(LOG_WARN, "send %s: the client went away after %llu "
			   "message%s%s", s->id, (unsigned long long)s->sent,
			   s->sent == 1 ? "" : "s",
			   a.partial ? ", in the middle of a line" : "");
		if (ok)
			snprintf(s->why, sizeof(s->why), "the client went away");
		s->status = EXIT_FAIL;
		return false;
	}
	return settle(s, rk_jsonl_reader_end(s->lines));
}

/* The reader, for the kernel's input type and limit. */
static rk_error open_lines(struct sender *s, const rk_kernel_info *info)
{
	rk_jsonl_reader_options o = RK_JSONL_READER_OPTIONS_INIT;
	char name[128];
	rk_error rc;

	o.max_line = s->max_line;
	o.skip = s->skip;
	o.deliver = send_batch;
	o.deliver_arg = s;
	o.json_flags = s->json_flags;
	if ((rc = rk_jsonl_reader_new(&o, &s->lines)) != RK_OK)
		return rc;
	snprintf(name, sizeof(name), "kernel '%s'", s->id);
	return rk_jsonl_reader_target(s->lines, name, info->desc->input_type,
				      info->max_message);
}

static const char *const on_error_choices[] = { "fail", "skip", NULL };
static const char *const unknown_choices[] = { "refuse", "ignore", NULL };

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
	{ .id = 'U', .name = "unknown-fields", .arg = OPTION_ARG,
	  .metavar = "refuse|ignore", .help = "a field the kernel's input does "
	  "not\nhave: a bad line (default), or passed over",
	  .type = OPTION_CHOICE, .choices = unknown_choices },
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
	case 'U':
		o->s->json_flags = v->choice ? RK_JSON_IGNORE_UNKNOWN : 0;
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
	if ((rc = open_lines(&s, &info)) != RK_OK) {
		rk_jsonl_reader_free(s.lines);
		return serve_failure(rc);
	}
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
	rk_jsonl_account a;
	rk_jsonl_reader_account(s.lines, &a);
	if (a.skipped)
		log_warn("skipped %llu bad line%s, the last: %s",
			 (unsigned long long)a.skipped,
			 a.skipped == 1 ? "" : "s", a.bad);
	rk_jsonl_reader_free(s.lines);
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
