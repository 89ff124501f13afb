/* parse-args.h - the general parsers of option arguments (durations
 * and counts), in one place so that every command reads them alike. */
#ifndef RINGCTL_PARSE_ARGS_H
#define RINGCTL_PARSE_ARGS_H

#include <stdbool.h>

/* "0.25" -> 0.25 seconds; false for anything but a number >= 0. */
bool parse_seconds(const char *arg, double *out);

/* A count >= 1 (or >= 0 with zero_ok). */
bool parse_count(const char *arg, unsigned long long max, bool zero_ok,
		 unsigned long long *out);

#endif /* RINGCTL_PARSE_ARGS_H */
