/* lifecycle.c - activate, deactivate, reactivate: one op per id. */
#include "config.h"

#include <getopt.h>

#include "exitcode.h"
#include "getopt-safe.h"
#include "lifecycle.h"
#include "log.h"
#include "serve.h"

int lifecycle_run(const struct cmd_entry *e, int argc, char **argv,
		  rk_error (*op)(rk_runtime *rt, const char *id))
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	int c, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		return usage_error("%s: unknown option '%s'", e->name,
				   argv[optind - 1]);
	if (optind >= argc)
		return usage_error("%s takes one or more kernel ids", e->name);
	for (int i = optind; i < argc; i++) {
		rk_error rc = op(serve_runtime(), argv[i]);
		if (rc != RK_OK) {
			int s = serve_failure(rc);
			if (status == EXIT_OK)
				status = s;
		}
	}
	return status;
}
