/* cmd-link.c - `ringctl link FROM TO`: in the server, FROM's output
 * feeds TO's input, as an edge of a topology file does; so a pipeline
 * can be built from the command line, kernel by kernel.  Both are still
 * LAUNCHED (an edge is wired before messages flow); the types must fit
 * as on any edge. */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "serve.h"

static int cmd_link_exec(const struct global_opts *g, int argc, char **argv)
{
	int status, first = cmd_parse_options(&cmd_link_entry, argc, argv,
					      NULL, &status);

	if (first < 0)
		return status;
	if (argc - first != 2)
		return usage_error("link takes two kernel ids: FROM TO");
	rk_error rc = rk_connect(serve_runtime(), argv[first], argv[first + 1]);
	if (rc != RK_OK)
		return serve_failure(rc);
	return EXIT_OK;
}

const struct cmd_entry cmd_link_entry = {
	.name = "link",
	.flags = CMD_SERVER,
	.usage = "FROM TO",
	.summary = "feed one launched kernel's output into another's input",
	.help = "Both kernels must still be LAUNCHED: link, then activate.  "
		"Messages then\nreach TO, not recv; receive from the last "
		"kernel of the pipeline.\n",
	.exec = cmd_link_exec,
};
