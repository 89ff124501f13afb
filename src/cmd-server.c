/* cmd-server.c - `ringctl server [--foreground] [--log-level L]`:
 * start the runtime server (launch starts one when needed). */
#include "config.h"

#include <getopt.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "server.h"

static int cmd_server_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'F' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool foreground = false;
	int level = LOG_INFO, c;

	while ((c = getopt_long(argc, argv, "Fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			foreground = true;
			break;
		case 'l':
			if ((level = log_level_parse(optarg)) < 0)
				return usage_error("--log-level is error, warn, "
						   "info or debug, not '%s'",
						   optarg);
			break;
		case 'h':
			cmd_print_command_help(&cmd_server_entry);
			return EXIT_OK;
		default:
			return usage_error("server: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("server takes no operands");
	if (foreground)
		return server_run(g, level, -1, true);
	return server_start(g, level);
}

const struct cmd_entry cmd_server_entry = {
	.name = "server",
	.usage = "[--foreground] [--log-level LEVEL]",
	.summary = "start the runtime server (launch starts one if needed)",
	.help =
	"  -F, --foreground      stay in the foreground, log to stderr\n"
	"      --log-level L     error, warn, info (default) or debug\n"
	"A detached server logs to NAME.log beside its socket and writes\n"
	"its pid to NAME.pid.\n",
	.exec = cmd_server_exec,
};
