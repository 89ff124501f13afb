/* local-runtime.c - a runtime inside this process, or exit: the
 * commands that use one can do nothing without it. */
#include "config.h"

#include "local-runtime.h"
#include "log.h"

rk_runtime *local_runtime(const rk_runtime_options *opts)
{
	rk_runtime *rt;

	if (rk_runtime_new(opts, &rt) != RK_OK)
		fatal("%s", rk_errmsg());
	return rt;
}
