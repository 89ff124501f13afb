/* log.c - errors, warnings and chatter, all to stderr. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "exitcode.h"
#include "log.h"
#include "output.h"

_Thread_local bool log_quiet;
_Thread_local bool log_verbose;

/* One line, written at once: to stderr, or to the client of the
 * session this thread serves. */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s: %s", PACKAGE_NAME, prefix);

	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	err_write(line, (size_t)n);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	exit(EXIT_FAIL);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	char hint[80];
	int n = snprintf(hint, sizeof(hint),
			 "Try '%s --help' for more information.\n", PACKAGE_NAME);
	err_write(hint, (size_t)n);
	return EXIT_USAGE;
}
