/* serve.h - what the commands that run in the server share. */
#ifndef RINGCTL_SERVE_H
#define RINGCTL_SERVE_H

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

#endif /* RINGCTL_SERVE_H */
