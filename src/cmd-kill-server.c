/* cmd-kill-server.c - `ringctl kill-server`: terminate every kernel
 * gracefully (drain, then stop), then the server. */
#include "config.h"

#include <getopt.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "serve.h"
#include "server.h"

#define DRAIN_S 5.0

static int cmd_kill_server_exec(const struct global_opts *g, int argc,
				char **argv)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	int c, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		return usage_error("kill-server: unknown option '%s'",
				   argv[optind - 1]);
	if (optind < argc)
		return usage_error("kill-server takes no operands");
	/* A kernel that already missed a terminate deadline never returns
	 * from its code: it is not waited for again, and the server stops
	 * without it. */
	rk_error rc = rk_terminate_all_once(serve_runtime(), DRAIN_S);
	if (rc == RK_ETIMEDOUT) {
		log_error("%s; the server stops anyway", rk_errmsg());
		status = exit_status_for(rc);
	} else if (rc != RK_OK) {
		status = serve_failure(rc);
	}
	server_log(LOG_INFO, "kill-server");
	server_stop();
	return status;
}

const struct cmd_entry cmd_kill_server_entry = {
	.name = "kill-server",
	.flags = CMD_SERVER | CMD_STOPS_SERVER,
	.usage = "",
	.summary = "terminate every kernel gracefully, then the server",
	.exec = cmd_kill_server_exec,
};
