/* cmd-shell.c - `ringctl shell`: a REPL for every command. */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "shell.h"

static int cmd_shell_exec(const struct global_opts *g, int argc, char **argv)
{
	int status, first = cmd_parse_options(&cmd_shell_entry, argc, argv,
					      NULL, &status);

	if (first < 0)
		return status;
	if (first < argc)
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
