/* sockpath.h - where a runtime server lives: its socket, and beside it
 * its pid file, log and lock. */
#ifndef RINGCTL_SOCKPATH_H
#define RINGCTL_SOCKPATH_H

#include <limits.h>
#include <stdbool.h>

#include "cmd.h"

struct server_paths {
	char socket[108];               /* sizeof sun_path */
	char dir[PATH_MAX];
	char pid[PATH_MAX];
	char log[PATH_MAX];
	char lock[PATH_MAX];
};

/* The server of -S PATH, $RINGCTL_SOCKET, or -L NAME (default
 * "default") in $XDG_RUNTIME_DIR/ringctl or ${TMPDIR:-/tmp}/ringctl-UID.
 * That directory is made 0700 if missing and must be a directory owned
 * by the user with no access for others; an unsafe one is refused.
 * The directory of -S or $RINGCTL_SOCKET must belong to the user or
 * root and be writable by no one else unless it is sticky (/tmp).
 * Returns 0, or an exit status after saying why. */
int server_paths(const struct global_opts *g, struct server_paths *out);

#endif /* RINGCTL_SOCKPATH_H */
