/* exitcode.c - from runtime errors to exit statuses. */
#include "config.h"

#include "exitcode.h"

int exit_status_for(rk_error err)
{
	switch (err) {
	case RK_OK:
		return EXIT_OK;
	case RK_ENOTFOUND:
		return EXIT_NOTFOUND;
	case RK_ESTATE:
		return EXIT_STATE;
	case RK_EFULL:
		return EXIT_FULL;
	case RK_ETIMEDOUT:
		return EXIT_TIMEDOUT;
	case RK_ESCHEMA:
		return EXIT_DATAERR;
	case RK_EINVAL:
		return EXIT_USAGE;
	case RK_ECONFIG:
		return EXIT_CONFIG;
	default:
		return EXIT_FAIL;
	}
}
