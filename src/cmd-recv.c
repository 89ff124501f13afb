/* cmd-recv.c - `ringctl recv ID [-n COUNT] [--timeout S] [--follow]`:
 * a kernel's replies as JSON lines, in order; in the server. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "serve.h"
#include "server.h"
#include "xmalloc.h"

/* How long a wait lasts before checking the client is still there. */
#define SLICE_S 0.2

/* Replies are taken a round at a time, written, and the next round is
 * taken only once the client has said how far its reader got
 * (out_confirm): the kernel gives up no more than a round beyond what
 * its reader took, and what a reader that left did not take is counted
 * (rk_receive_lost), never lost unseen. */
#define ROUND_MAX 256
#define ROUND_BYTES (1u << 20)
/* How far a reader may lag behind (in a pipe) while more is taken;
 * at the end, how long recv waits for it to read the rest (a reader
 * may wait for recv to end before it reads: then the rest counts as
 * delivered, as from any writer). */
#define READER_AHEAD (256u << 10)
#define READER_LAST_MS 1000u

struct receiver {
	rk_jsonl_writer *lines;         /* this round's lines */
	/* Where each reply not yet known to be read ends, in bytes of
	 * standard output (out_sent), oldest first from `first`. */
	uint64_t *ends;
	size_t first, n_ends, cap_ends;
	uint64_t at;                    /* where this round starts */
	uint64_t taken;                 /* replies taken from the kernel */
	bool broken;                    /* the client or its reader left */
};

static void push_end(struct receiver *r, uint64_t end)
{
	if (r->first && r->n_ends == r->cap_ends) {
		memmove(r->ends, r->ends + r->first,
			(r->n_ends - r->first) * sizeof(*r->ends));
		r->n_ends -= r->first;
		r->first = 0;
	}
	if (r->n_ends == r->cap_ends) {
		r->cap_ends = r->cap_ends ? 2 * r->cap_ends : 512;
		r->ends = xrealloc(r->ends, r->cap_ends * sizeof(*r->ends));
	}
	r->ends[r->n_ends++] = end;
}

/* One reply as a line of this round (the writer gathers a round of at
 * most ROUND_BYTES and never writes: this runs while the kernel's
 * output is held), and where it ends. */
static int take_one(void *arg, const rk_envelope *env, const void *data,
		    size_t len)
{
	struct receiver *r = arg;
	size_t round;

	if (rk_jsonl_writer_take(r->lines, env, data, len) != 0)
		return 1;               /* the next round takes it */
	rk_jsonl_writer_text(r->lines, &round);
	push_end(r, r->at + round);
	r->taken++;
	return 0;
}

/* Learn how far the reader got: replies it took are done; when it has
 * left, those it did not take are counted as lost by the kernel. */
static void settle(struct receiver *r, const char *id, uint32_t ahead,
		   uint32_t wait_ms)
{
	uint64_t read_to = 0;
	bool open = false;

	if (!out_confirm(ahead, wait_ms, &read_to, &open))
		open = false;   /* gone without saying: none known read */
	while (r->first < r->n_ends && r->ends[r->first] <= read_to)
		r->first++;
	if (open)
		return;
	r->broken = true;
	uint64_t lost = r->n_ends - r->first;
	r->first = r->n_ends = 0;
	if (!lost)
		return;
	rk_receive_lost(serve_runtime(), id, lost,
			"the reader of recv went away");
	server_log(LOG_WARN, "recv %s: %llu repl%s taken but not read: the "
		   "reader went away", id, (unsigned long long)lost,
		   lost == 1 ? "y" : "ies");
}

/* Write this round, then settle before the next is taken. */
static void deliver_round(struct receiver *r, const char *id)
{
	size_t len;
	const char *text = rk_jsonl_writer_text(r->lines, &len);

	if (len)
		out_write(text, len);
	rk_jsonl_writer_clear(r->lines);
	r->at = out_sent();
	settle(r, id, READER_AHEAD, UINT32_MAX);
}

static const struct cmd_option recv_options[] = {
	{ .id = 'n', .name = "count", .letter = 'n', .arg = OPTION_ARG,
	  .metavar = "N", .help = "this many replies (default 1)",
	  .type = OPTION_COUNT, .wants = "a count", .max = UINT64_MAX },
	{ .id = 't', .name = "timeout", .letter = 't', .arg = OPTION_ARG,
	  .metavar = "S", .help = "wait at most S seconds for each (exit 6)",
	  .type = OPTION_SECONDS, .wants = "seconds", .zero_ok = true },
	{ .id = 'f', .name = "follow", .letter = 'f',
	  .help = "keep printing until the output ends" },
	{ .id = 'E', .name = "envelope", .help = "each reply inside its envelope" },
	{ 0 }
};

struct recv_opts {
	unsigned long long count;
	double timeout;
	bool follow, counted, envelope;
};

static int take_recv_option(void *opts, int id, const struct option_value *v)
{
	struct recv_opts *o = opts;

	switch (id) {
	case 'n':
		o->count = v->count;
		o->counted = true;
		break;
	case 't':
		o->timeout = v->seconds;
		break;
	case 'f':
		o->follow = true;
		break;
	case 'E':
		o->envelope = true;
		break;
	}
	return EXIT_OK;
}

static int cmd_recv_exec(const struct global_opts *g, int argc, char **argv)
{
	struct recv_opts o = { .count = 1, .timeout = RK_FOREVER };
	struct receiver r = { 0 };
	int status, first = cmd_parse_options(&cmd_recv_entry, argc, argv, &o,
					      &status);

	if (first < 0)
		return status;
	if (argc - first != 1)
		return usage_error("recv takes one kernel id");
	unsigned long long count = o.count;
	double timeout = o.timeout;
	const char *id = argv[first];
	rk_kernel_info info;
	rk_error rc = rk_get_kernel_info(serve_runtime(), id, &info);
	if (rc != RK_OK)
		return serve_failure(rc);
	rk_jsonl_writer_options wo = RK_JSONL_WRITER_OPTIONS_INIT;
	wo.envelope = o.envelope;
	wo.flush_at = ROUND_BYTES;
	if ((rc = rk_jsonl_writer_new(info.desc->output_type, &wo, &r.lines))
	    != RK_OK)
		return serve_failure(rc);
	r.at = out_sent();
	if (o.follow && !o.counted)
		count = UINT64_MAX;

	/* Each message waits at most `timeout`, in slices that notice a
	 * client that went away. */
	double waited = 0;
	while (r.taken < count && !r.broken) {
		size_t got;
		uint64_t want = count - r.taken;
		double slice = timeout >= 0 && timeout - waited < SLICE_S
			       ? timeout - waited : SLICE_S;
		rc = rk_receive_batch(serve_runtime(), id,
				      want < ROUND_MAX ? (size_t)want
						       : ROUND_MAX,
				      slice, take_one, &r, &got);
		if (rc == RK_OK) {
			waited = 0;
			deliver_round(&r, id);
			continue;
		}
		if (rc == RK_EEND)
			break;                  /* the output ended */
		if (rc != RK_ETIMEDOUT) {
			status = serve_failure(rc);
			break;
		}
		waited += slice;
		if (timeout >= 0 && waited >= timeout) {
			log_error("no message from kernel '%s' within %g s "
				  "(%llu received)", id, timeout,
				  (unsigned long long)r.taken);
			status = EXIT_TIMEDOUT;
			break;
		}
		/* While nothing comes: what has the reader read by now?
		 * (Should the client be killed, only what was unread then
		 * is counted as lost without being known to be.) */
		if (!session_alive(output_session()) || r.first < r.n_ends)
			settle(&r, id, 0, 0);
	}
	/* Give the reader a moment to read the rest, or to leave. */
	if (!r.broken && r.first < r.n_ends)
		settle(&r, id, 0, READER_LAST_MS);
	if (r.broken)
		server_log(LOG_WARN, "recv %s: the client went away", id);
	rk_jsonl_writer_free(r.lines);
	free(r.ends);
	return status;
}

const struct cmd_entry cmd_recv_entry = {
	.name = "recv",
	.flags = CMD_SERVER,
	.usage = "ID [-n COUNT] [--timeout S] [--follow]",
	.summary = "print a kernel's replies as JSON lines, in order",
	.options = recv_options,
	.take_option = take_recv_option,
	.help_column = 21,
	.exec = cmd_recv_exec,
};
