/* local-runtime.c - a runtime inside this process, or exit: the
 * commands that use one can do nothing without it. */
#include "config.h"

#include <stdlib.h>

#include "exitcode.h"
#include "local-runtime.h"
#include "log.h"
#include "runtime-env.h"

rk_runtime *local_runtime(const rk_runtime_options *opts)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;
	char why[256];

	if (opts)
		o = *opts;
	if (!runtime_options_from_env(&o, why, sizeof(why))) {
		log_error("%s", why);
		exit(EXIT_CONFIG);
	}
	if (rk_runtime_new(&o, &rt) != RK_OK)
		fatal("%s", rk_errmsg());
	return rt;
}
