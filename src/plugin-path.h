/* plugin-path.h - where ringctl looks for kernel plugins. */
#ifndef RINGCTL_PLUGIN_PATH_H
#define RINGCTL_PLUGIN_PATH_H

#include <ringkernel.h>

#include "cmd.h"

/* --plugin-path, then $RINGCTL_PLUGIN_PATH, then the installed kernels;
 * colon-separated.  The caller frees it. */
char *plugin_search_path(const struct global_opts *g);

/* A runtime for in-process work (run, kernels, describe), with an
 * error hook; exits with a message when it cannot be made. */
rk_runtime *local_runtime(const rk_runtime_options *opts);

/* A type as users read it: {"value": int64, "x": [float32; <=1024]},
 * or json.  Writes at most cap bytes, NUL-terminated. */
void describe_type(const rk_type *type, char *out, size_t cap);

#endif /* RINGCTL_PLUGIN_PATH_H */
