/* cmd-deactivate.c - `ringctl deactivate ID...`: pause: ACTIVE to DEACTIVATED (messages still queue). */
#include "config.h"

#include "cmd.h"
#include "lifecycle.h"

static int cmd_deactivate_exec(const struct global_opts *g, int argc, char **argv)
{
	return lifecycle_run(&cmd_deactivate_entry, argc, argv, rk_deactivate);
}

const struct cmd_entry cmd_deactivate_entry = {
	.name = "deactivate",
	.flags = CMD_SERVER,
	.usage = "ID...",
	.summary = "pause: ACTIVE to DEACTIVATED (messages still queue)",
	.exec = cmd_deactivate_exec,
};
