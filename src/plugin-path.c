/* plugin-path.c - the plugin search path. */
#include "config.h"

#include <stdlib.h>

#include "plugin-path.h"
#include "xmalloc.h"

char *plugin_search_path(const struct global_opts *g)
{
	const char *env = getenv("RINGCTL_PLUGIN_PATH");

	return xasprintf("%s%s%s%s%s", g->plugin_path ? g->plugin_path : "",
			 g->plugin_path ? ":" : "", env && *env ? env : "",
			 env && *env ? ":" : "", RK_PLUGINDIR);
}
