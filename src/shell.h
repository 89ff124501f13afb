/* shell.h - the interactive shell of ringctl. */
#ifndef RINGCTL_SHELL_H
#define RINGCTL_SHELL_H

#include "cmd.h"

/* Read commands (with readline on a terminal) and run them until the
 * end of input or quit; the last command's exit status. */
int shell_main(const struct global_opts *g);

/* Words of a command line, quoted as in a shell. */
char **shell_split(const char *line, int *argc, const char **why);
void shell_free(char **argv, int argc);

#endif /* RINGCTL_SHELL_H */
