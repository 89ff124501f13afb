/* exitcode.h - ringctl's exit statuses: part of the interface, fixed
 * once released (see EXIT STATUS in ringctl(1)). */
#ifndef RINGCTL_EXITCODE_H
#define RINGCTL_EXITCODE_H

#include <ringkernel.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,          /* any other failure */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_NOTFOUND = 3,      /* kernel or plugin not found */
	EXIT_STATE = 4,         /* illegal state transition */
	EXIT_FULL = 5,          /* queue full past the timeout */
	EXIT_TIMEDOUT = 6,      /* no message within the timeout */
	EXIT_DATAERR = 65,      /* bad input data */
	EXIT_UNAVAILABLE = 69,  /* runtime server unavailable */
	EXIT_CONFIG = 78        /* bad topology or configuration */
};

/* The exit status that reports a runtime error. */
int exit_status_for(rk_error err);

#endif /* RINGCTL_EXITCODE_H */
