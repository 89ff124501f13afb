/* lifecycle.c - activate, deactivate, reactivate: one op per id. */
#include "config.h"

#include "exitcode.h"
#include "lifecycle.h"
#include "log.h"
#include "serve.h"

int lifecycle_run(const struct cmd_entry *e, int argc, char **argv,
		  rk_error (*op)(rk_runtime *rt, const char *id))
{
	int status, first = cmd_parse_options(e, argc, argv, NULL, &status);

	if (first < 0)
		return status;
	if (first >= argc)
		return usage_error("%s takes one or more kernel ids", e->name);
	for (int i = first; i < argc; i++) {
		rk_error rc = op(serve_runtime(), argv[i]);
		if (rc != RK_OK) {
			int s = serve_failure(rc);
			if (status == EXIT_OK)
				status = s;
		}
	}
	return status;
}
