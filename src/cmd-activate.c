/* cmd-activate.c - `ringctl activate ID...`: start processing: LAUNCHED to ACTIVE. */
#include "config.h"

#include "cmd.h"
#include "lifecycle.h"

static int cmd_activate_exec(const struct global_opts *g, int argc, char **argv)
{
	return lifecycle_run(&cmd_activate_entry, argc, argv, rk_activate);
}

const struct cmd_entry cmd_activate_entry = {
	.name = "activate",
	.flags = CMD_SERVER,
	.usage = "ID...",
	.summary = "start processing: LAUNCHED to ACTIVE",
	.exec = cmd_activate_exec,
};
