/* cmd-recv.c - `ringctl recv ID [-n COUNT] [--timeout S] [--follow]`:
 * a kernel's replies as JSON lines, in order; in the server. */
#include "config.h"

#include <getopt.h>
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

struct receiver {
	const rk_type *type;            /* the kernel's output type */
	bool envelope;
	char *buf;
	size_t cap;
	uint64_t count;                 /* written */
	bool broken;                    /* the client went away */
};

static int write_one(void *arg, const rk_envelope *env, const void *data,
		     size_t len)
{
	struct receiver *r = arg;
	size_t need = (r->type && r->type->fields
		       ? rk_json_max_encoded(r->type) : len) + 200;
	size_t n = 0;

	if (need > r->cap)
		r->buf = xrealloc(r->buf, r->cap = need);
	if (r->envelope)
		n = (size_t)snprintf(r->buf, r->cap, "{\"message_id\":%llu,"
				     "\"correlation_id\":%llu,\"priority\":%u,"
				     "\"enqueue_ns\":%llu,\"message\":",
				     (unsigned long long)env->message_id,
				     (unsigned long long)env->correlation_id,
				     env->priority,
				     (unsigned long long)env->enqueue_ns);
	if (r->type && r->type->fields) {
		size_t m;
		rk_json_encode(r->type, data, len, r->buf + n, r->cap - n, &m);
		n += m;
	} else {
		memcpy(r->buf + n, data, len);
		n += len;
	}
	if (r->envelope)
		r->buf[n++] = '}';
	r->buf[n++] = '\n';
	if (!out_write(r->buf, n)) {
		r->broken = true;
		return 1;               /* leave it queued */
	}
	r->count++;
	return 0;
}

static int cmd_recv_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "follow", no_argument, NULL, 'f' },
		{ "envelope", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	struct receiver r = { 0 };
	unsigned long long count = 1;
	double timeout = RK_FOREVER;
	bool follow = false, counted = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:t:f", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_count(optarg, UINT64_MAX, false, &count))
				return usage_error("-n wants a count, not '%s'",
						   optarg);
			counted = true;
			break;
		case 't':
			if (!parse_seconds(optarg, &timeout))
				return usage_error("--timeout wants seconds, not "
						   "'%s'", optarg);
			break;
		case 'f':
			follow = true;
			break;
		case 'E':
			r.envelope = true;
			break;
		default:
			return usage_error("recv: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("recv takes one kernel id");
	const char *id = argv[optind];
	rk_kernel_info info;
	rk_error rc = rk_get_kernel_info(serve_runtime(), id, &info);
	if (rc != RK_OK)
		return serve_failure(rc);
	r.type = info.desc->output_type;
	if (follow && !counted)
		count = UINT64_MAX;

	/* Each message waits at most `timeout`, in slices that notice a
	 * client that went away. */
	int status = EXIT_OK;
	double waited = 0;
	while (r.count < count && !r.broken) {
		size_t got;
		uint64_t want = count - r.count;
		double slice = timeout >= 0 && timeout - waited < SLICE_S
			       ? timeout - waited : SLICE_S;
		rc = rk_receive_batch(serve_runtime(), id,
				      want < 256 ? (size_t)want : 256, slice,
				      write_one, &r, &got);
		if (rc == RK_OK) {
			waited = 0;
			if (!out_flush())
				r.broken = true;
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
				  (unsigned long long)r.count);
			status = EXIT_TIMEDOUT;
			break;
		}
		if (!session_alive(output_session()))
			r.broken = true;
	}
	if (r.broken)
		server_log(LOG_WARN, "recv %s: the client went away", id);
	free(r.buf);
	return status;
}

const struct cmd_entry cmd_recv_entry = {
	.name = "recv",
	.flags = CMD_SERVER,
	.usage = "ID [-n COUNT] [--timeout S] [--follow]",
	.summary = "print a kernel's replies as JSON lines, in order",
	.help =
	"  -n, --count N      this many replies (default 1)\n"
	"  -t, --timeout S    wait at most S seconds for each (exit 6)\n"
	"  -f, --follow       keep printing until the output ends\n"
	"      --envelope     each reply inside its envelope\n",
	.exec = cmd_recv_exec,
};
