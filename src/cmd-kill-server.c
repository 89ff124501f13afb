/* cmd-kill-server.c - `ringctl kill-server`: terminate every kernel
 * gracefully (drain, then stop), then the server. */
#include "config.h"

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "serve.h"
#include "server.h"

#define DRAIN_S 5.0

static int cmd_kill_server_exec(const struct global_opts *g, int argc,
				char **argv)
{
	int status, first = cmd_parse_options(&cmd_kill_server_entry, argc,
					      argv, NULL, &status);

	if (first < 0)
		return status;
	if (first < argc)
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
