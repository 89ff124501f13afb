/* cmd-reactivate.c - `ringctl reactivate ID...`: resume: DEACTIVATED to ACTIVE, queued messages first. */
#include "config.h"

#include "cmd.h"
#include "lifecycle.h"

static int cmd_reactivate_exec(const struct global_opts *g, int argc, char **argv)
{
	return lifecycle_run(&cmd_reactivate_entry, argc, argv, rk_reactivate);
}

const struct cmd_entry cmd_reactivate_entry = {
	.name = "reactivate",
	.flags = CMD_SERVER,
	.usage = "ID...",
	.summary = "resume: DEACTIVATED to ACTIVE, queued messages first",
	.exec = cmd_reactivate_exec,
};
