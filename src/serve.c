/* serve.c - helpers of the server's commands. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "exitcode.h"
#include "log.h"
#include "serve.h"

int serve_failure(rk_error rc)
{
	log_error("%s", rk_errmsg());
	return exit_status_for(rc);
}

bool parse_seconds(const char *arg, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(arg, &end);
	if (!*arg || *end || errno || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

bool parse_count(const char *arg, unsigned long long max, bool zero_ok,
		 unsigned long long *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || *arg == '-' || v > max
	    || (v == 0 && !zero_ok))
		return false;
	*out = v;
	return true;
}
