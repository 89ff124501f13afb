/* serve.c - helpers of the server's commands. */
#include "config.h"

#include "exitcode.h"
#include "log.h"
#include "serve.h"

int serve_failure(rk_error rc)
{
	log_error("%s", rk_errmsg());
	return exit_status_for(rc);
}
