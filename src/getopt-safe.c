/* getopt-safe.c - see getopt-safe.h.  This file alone sees glibc's own
 * getopt_long, optind and optarg. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>

#define GETOPT_SAFE_ITSELF
#include "getopt-safe.h"

_Thread_local int cmd_optind = 1;
_Thread_local char *cmd_optarg;

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool parsing;

int cmd_getopt_long(int argc, char *const argv[], const char *optstring,
		    const struct option *longopts, int *longindex)
{
	if (!parsing) {
		/* A parse starts where the command put optind (0: afresh). */
		pthread_mutex_lock(&parse_lock);
		parsing = true;
		optind = cmd_optind;
	}
	int c = getopt_long(argc, argv, optstring, longopts, longindex);
	cmd_optind = optind;
	cmd_optarg = optarg;
	if (c == -1)
		cmd_getopt_release();
	return c;
}

void cmd_getopt_release(void)
{
	if (parsing) {
		parsing = false;
		pthread_mutex_unlock(&parse_lock);
	}
}
