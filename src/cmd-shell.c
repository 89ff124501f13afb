/* cmd-shell.c - `ringctl shell`: a REPL for every command. */
#include "config.h"

#include <getopt.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "shell.h"

static int cmd_shell_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_print_command_help(&cmd_shell_entry);
			return EXIT_OK;
		}
		return usage_error("shell: unknown option '%s'",
				   argv[optind - 1]);
	}
	if (optind < argc)
		return usage_error("shell takes no operands");
	return shell_main(g);
}

const struct cmd_entry cmd_shell_entry = {
	.name = "shell",
	.usage = "",
	.summary = "an interactive shell for these commands",
	.help =
	"Commands as on the command line, without 'ringctl'; 'quit' leaves.\n"
	"History is kept in ~/.local/state/ringctl/history; Tab completes\n"
	"commands, options and kernel ids.\n",
	.exec = cmd_shell_exec,
};
