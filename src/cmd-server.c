/* cmd-server.c - `ringctl server [--foreground] [--log-level L]`:
 * start the runtime server (launch starts one when needed). */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "server.h"

static const struct cmd_option server_options[] = {
	{ .id = 'F', .name = "foreground", .letter = 'F',
	  .help = "stay in the foreground, log to stderr" },
	{ .id = 'l', .name = "log-level", .arg = OPTION_ARG, .metavar = "L",
	  .help = "error, warn, info (default) or debug" },
	{ .id = 'm', .name = "metrics", .arg = OPTION_ARG,
	  .metavar = "[HOST:]PORT", .help = "serve Prometheus metrics at\n"
	  "http://HOST:PORT/metrics (HOST: 127.0.0.1)" },
	{ 0 }
};

struct server_opts {
	bool foreground;
	struct server_settings set;
};

static int take_server_option(void *opts, int id,
			      const struct option_value *v)
{
	struct server_opts *o = opts;

	if (id == 'F')
		o->foreground = true;
	else if (id == 'm')
		o->set.metrics = v->arg;
	else if ((o->set.log_level = log_level_parse(v->arg)) < 0)
		return usage_error("--log-level is error, warn, info or debug, "
				   "not '%s'", v->arg);
	return EXIT_OK;
}

static int cmd_server_exec(const struct global_opts *g, int argc, char **argv)
{
	struct server_opts o = { .set = SERVER_SETTINGS_INIT };
	int status, first = cmd_parse_options(&cmd_server_entry, argc, argv,
					      &o, &status);

	if (first < 0)
		return status;
	if (first < argc)
		return usage_error("server takes no operands");
	if (o.foreground)
		return server_run(g, &o.set, -1, true);
	return server_start(g, &o.set);
}

const struct cmd_entry cmd_server_entry = {
	.name = "server",
	.usage = "[--foreground] [--log-level LEVEL] [--metrics [HOST:]PORT]",
	.summary = "start the runtime server (launch starts one if needed)",
	.options = server_options,
	.take_option = take_server_option,
	.help_column = 24,
	.help =
	"A detached server logs to NAME.log beside its socket and writes\n"
	"its pid to NAME.pid.\n",
	.exec = cmd_server_exec,
};
