/* server.h - the per-user runtime server: one rk_runtime, reached over
 * a Unix socket, that keeps kernels alive between commands. */
#ifndef RINGCTL_SERVER_H
#define RINGCTL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <ringkernel.h>

#include "cmd.h"
#include "sockpath.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct server {
	struct server_paths paths;
	rk_runtime *rt;
	uint64_t start_ns;
	int log_level;
};

/* How a server runs: what `ringctl server` says, or the defaults
 * (SERVER_SETTINGS_INIT) when a command starts one. */
struct server_settings {
	int log_level;
	const char *metrics;            /* [HOST:]PORT to serve /metrics on,
					 * or NULL */
};
#define SERVER_SETTINGS_INIT { .log_level = LOG_INFO }

/* The server this process runs, for the commands it serves. */
extern struct server *the_server;

/* Run the server in this process until it is killed or stopped.
 * ready_fd (or -1) hears "ok" once it listens, "running" when another
 * server holds the lock, or why it could not start.  Returns the exit
 * status. */
int server_run(const struct global_opts *g,
	       const struct server_settings *set, int ready_fd,
	       bool foreground);

/* Start a detached server (new session, stdio on /dev/null, logs
 * beside the socket) and return once it listens, or one is running. */
int server_start(const struct global_opts *g,
		 const struct server_settings *set);

/* Ask the running server to stop (from a session's thread). */
void server_stop(void);

/* The process ends under a kernel's exit() or abort() (`what`: "called
 * exit()", "aborted"): log it, and leave no socket or pid file behind.
 * Async-signal-safe; nothing if no server runs here. */
void server_abandon(const char *kernel, const char *what);

void server_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Log level names: error, warn, info, debug; -1 if unknown. */
int log_level_parse(const char *name);

#endif /* RINGCTL_SERVER_H */
