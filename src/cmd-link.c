/* cmd-link.c - `ringctl link FROM TO` and `unlink FROM TO`: in the
 * server, FROM's output feeds TO's input, as an edge of a topology file
 * does, so a pipeline can be built from the command line kernel by
 * kernel; and the edge undone.  Both are still LAUNCHED (edges are
 * wired before messages flow); the types must fit as on any edge. */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "serve.h"

static int link_or_unlink(const struct cmd_entry *e, int argc, char **argv,
			  rk_error (*fn)(rk_runtime *, const char *,
					 const char *))
{
	int status, first = cmd_parse_options(e, argc, argv, NULL, &status);

	if (first < 0)
		return status;
	if (argc - first != 2)
		return usage_error("%s takes two kernel ids: FROM TO", e->name);
	rk_error rc = fn(serve_runtime(), argv[first], argv[first + 1]);
	if (rc != RK_OK)
		return serve_failure(rc);
	return EXIT_OK;
}

static int cmd_link_exec(const struct global_opts *g, int argc, char **argv)
{
	return link_or_unlink(&cmd_link_entry, argc, argv, rk_connect);
}

static int cmd_unlink_exec(const struct global_opts *g, int argc, char **argv)
{
	return link_or_unlink(&cmd_unlink_entry, argc, argv, rk_disconnect);
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

const struct cmd_entry cmd_unlink_entry = {
	.name = "unlink",
	.flags = CMD_SERVER,
	.usage = "FROM TO",
	.summary = "undo a link while both kernels are still launched",
	.exec = cmd_unlink_exec,
};
