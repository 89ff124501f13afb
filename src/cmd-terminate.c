/* cmd-terminate.c - `ringctl terminate ID... [--timeout S]` and
 * `ringctl terminate --all`: drain, stop, and say what was left. */
#include "config.h"

#include <stdlib.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "serve.h"

#define DEFAULT_TIMEOUT_S 5.0

/* Nothing is lost silently: what a terminate leaves is said. */
static int terminate_one(const char *id, double timeout)
{
	rk_terminate_report r;
	rk_error rc = rk_terminate_ex(serve_runtime(), id, timeout, &r);

	if (rc != RK_OK)
		return serve_failure(rc);
	if (r.dropped_input)
		log_warn("%s: %llu queued message%s dropped", id,
			 (unsigned long long)r.dropped_input,
			 r.dropped_input == 1 ? "" : "s");
	if (r.unread_output)
		log_warn("%s: %llu repl%s never received", id,
			 (unsigned long long)r.unread_output,
			 r.unread_output == 1 ? "y" : "ies");
	log_info("%s: terminated, %llu drained", id,
		 (unsigned long long)r.drained);
	return EXIT_OK;
}

static const struct cmd_option terminate_options[] = {
	{ .id = 'a', .name = "all", .letter = 'a',
	  .help = "every kernel of the server" },
	{ .id = 't', .name = "timeout", .letter = 't', .arg = OPTION_ARG,
	  .metavar = "S", .help = "drain for at most S seconds (default 5)",
	  .type = OPTION_SECONDS, .wants = "seconds", .zero_ok = true },
	{ 0 }
};

struct terminate_opts {
	bool all;
	double timeout;
};

static int take_terminate_option(void *opts, int id,
				 const struct option_value *v)
{
	struct terminate_opts *o = opts;

	if (id == 'a')
		o->all = true;
	else
		o->timeout = v->seconds;
	return EXIT_OK;
}

static int cmd_terminate_exec(const struct global_opts *g, int argc,
			      char **argv)
{
	struct terminate_opts o = { .timeout = DEFAULT_TIMEOUT_S };
	int status, first = cmd_parse_options(&cmd_terminate_entry, argc, argv,
					      &o, &status);

	if (first < 0)
		return status;
	if (o.all == (first < argc))
		return usage_error("terminate takes kernel ids, or --all");
	char **ids = argv + first;
	size_t n = (size_t)(argc - first);
	if (o.all && rk_kernel_ids(serve_runtime(), &ids, &n) != RK_OK)
		return serve_failure(RK_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		int s = terminate_one(ids[i], o.timeout);
		if (s != EXIT_OK && status == EXIT_OK)
			status = s;
	}
	if (o.all)
		rk_free_ids(ids, n);
	return status;
}

const struct cmd_entry cmd_terminate_entry = {
	.name = "terminate",
	.flags = CMD_SERVER,
	.usage = "ID... | --all [--timeout S]",
	.summary = "drain and stop kernels; their ids are free again",
	.options = terminate_options,
	.take_option = take_terminate_option,
	.help_column = 21,
	.help =
	"Messages still queued after the drain, and replies nobody received,\n"
	"are counted and reported.\n",
	.exec = cmd_terminate_exec,
};
