/* cmd-state.c - `ringctl state ID`: the state's name. */
#include "config.h"

#include <getopt.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "serve.h"

static int cmd_state_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	rk_state s;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		return usage_error("state: unknown option '%s'",
				   argv[optind - 1]);
	if (argc - optind != 1)
		return usage_error("state takes one kernel id");
	rk_error rc = rk_get_state(serve_runtime(), argv[optind], &s);
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
