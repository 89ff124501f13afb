/* cmd-state.c - `ringctl state ID`: the state's name. */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "serve.h"

static int cmd_state_exec(const struct global_opts *g, int argc, char **argv)
{
	rk_state s;
	int status, first = cmd_parse_options(&cmd_state_entry, argc, argv,
					      NULL, &status);

	if (first < 0)
		return status;
	if (argc - first != 1)
		return usage_error("state takes one kernel id");
	rk_error rc = rk_get_state(serve_runtime(), argv[first], &s);
	if (rc != RK_OK)
		return serve_failure(rc);
	out_printf("%s\n", rk_state_name(s));
	return EXIT_OK;
}

const struct cmd_entry cmd_state_entry = {
	.name = "state",
	.flags = CMD_SERVER,
	.usage = "ID",
	.summary = "print a kernel's state: LAUNCHED, ACTIVE, DEACTIVATED, ...",
	.exec = cmd_state_exec,
};
