/* cmd-terminate.c - `ringctl terminate ID... [--timeout S]` and
 * `ringctl terminate --all`: drain, stop, and say what was left. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "parse-args.h"
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

static int cmd_terminate_exec(const struct global_opts *g, int argc,
			      char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	double timeout = DEFAULT_TIMEOUT_S;
	bool all = false;
	int c, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "at:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 't':
			if (!parse_seconds(optarg, &timeout))
				return usage_error("--timeout wants seconds, not "
						   "'%s'", optarg);
			break;
		default:
			return usage_error("terminate: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (all == (optind < argc))
		return usage_error("terminate takes kernel ids, or --all");
	char **ids = argv + optind;
	size_t n = (size_t)(argc - optind);
	if (all && rk_kernel_ids(serve_runtime(), &ids, &n) != RK_OK)
		return serve_failure(RK_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		int s = terminate_one(ids[i], timeout);
		if (s != EXIT_OK && status == EXIT_OK)
			status = s;
	}
	if (all)
		rk_free_ids(ids, n);
	return status;
}

const struct cmd_entry cmd_terminate_entry = {
	.name = "terminate",
	.flags = CMD_SERVER,
	.usage = "ID... | --all [--timeout S]",
	.summary = "drain and stop kernels; their ids are free again",
	.help =
	"  -a, --all          every kernel of the server\n"
	"  -t, --timeout S    drain for at most S seconds (default 5)\n"
	"Messages still queued after the drain, and replies nobody received,\n"
	"are counted and reported.\n",
	.exec = cmd_terminate_exec,
};
