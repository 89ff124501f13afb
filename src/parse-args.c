/* parse-args.c - the general parsers of option arguments: durations
 * and counts.  Strict: the whole argument or nothing, so that "5s" or
 * "1e" is a usage error rather than a quiet 5 or 1. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "parse-args.h"

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
