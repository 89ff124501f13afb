/* getopt-safe.h - getopt_long for commands that run side by side in the
 * server's threads.  glibc's getopt keeps its place in globals, so two
 * commands parsing options at once would take each other's words.  The
 * commands call getopt_long, optind and optarg as usual; these macros
 * make those the thread's own, and a parse holds a lock from its first
 * call until it returns -1 (or cmd_getopt_release, for a command that
 * stops parsing early). */
#ifndef RINGCTL_GETOPT_SAFE_H
#define RINGCTL_GETOPT_SAFE_H

#include <getopt.h>

extern _Thread_local int cmd_optind;
extern _Thread_local char *cmd_optarg;

int cmd_getopt_long(int argc, char *const argv[], const char *optstring,
		    const struct option *longopts, int *longindex);

/* End this thread's parse if a command left it unfinished. */
void cmd_getopt_release(void);

#ifndef GETOPT_SAFE_ITSELF
#define optind cmd_optind
#define optarg cmd_optarg
#define getopt_long cmd_getopt_long
#endif

#endif /* RINGCTL_GETOPT_SAFE_H */
