/* cmd-help.c - `ringctl help [COMMAND]`: the general help, or one
 * command's. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"

static int cmd_help_exec(const struct global_opts *g, int argc, char **argv)
{
	int status, first = cmd_parse_options(&cmd_help_entry, argc, argv,
					      NULL, &status);

	if (first < 0)
		return status;
	if (argc - first > 1)
		return usage_error("help takes at most one command name");
	if (argc == first) {
		cmd_print_usage();
		return EXIT_OK;
	}
	const struct cmd_entry *e = cmd_find(argv[first]);
	if (!e)
		return EXIT_USAGE;
	cmd_print_command_help(e);
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "show the help of ringctl or of one command",
	.exec = cmd_help_exec,
};
