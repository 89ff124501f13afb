/* client.h - running a command in the runtime server: connect (and
 * start a server for the commands that may), forward argv, pump input
 * and output, return the exit status. */
#ifndef RINGCTL_CLIENT_H
#define RINGCTL_CLIENT_H

#include "cmd.h"

int client_run(const struct global_opts *g, const struct cmd_entry *e,
	       int argc, char **argv);

/* The same, with the command's standard output gathered in *out (the
 * caller frees it) and its errors dropped; never starts a server. */
int client_capture(const struct global_opts *g, const struct cmd_entry *e,
		   int argc, char **argv, char **out);

#endif /* RINGCTL_CLIENT_H */
