/* plugin-path.h - where ringctl looks for kernel plugins. */
#ifndef RINGCTL_PLUGIN_PATH_H
#define RINGCTL_PLUGIN_PATH_H

#include "cmd.h"

/* --plugin-path, then $RINGCTL_PLUGIN_PATH, then the installed kernels;
 * colon-separated.  The caller frees it. */
char *plugin_search_path(const struct global_opts *g);

#endif /* RINGCTL_PLUGIN_PATH_H */
