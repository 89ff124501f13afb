/* serve.h - what the commands that run in the server share. */
#ifndef RINGCTL_SERVE_H
#define RINGCTL_SERVE_H

#include <stdbool.h>

#include <ringkernel.h>

#include "server.h"
#include "session.h"

/* The server's runtime. */
static inline rk_runtime *serve_runtime(void)
{
	return the_server->rt;
}

/* Report a runtime failure to the client; its exit status. */
int serve_failure(rk_error rc);

/* "0.25" -> 0.25 seconds; false for anything but a number >= 0. */
bool parse_seconds(const char *arg, double *out);

/* A count >= 1 (or >= 0 with zero_ok). */
bool parse_count(const char *arg, unsigned long long max, bool zero_ok,
		 unsigned long long *out);

#endif /* RINGCTL_SERVE_H */
