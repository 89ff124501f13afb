/* exec-spec.h - what an exec kernel runs, from its parameters: the
 * program (found on PATH now, so that a missing one is an error at
 * launch), its arguments, environment and working directory. */
#ifndef RK_EXEC_SPEC_H
#define RK_EXEC_SPEC_H

#include "exec-child.h"

struct exec_owned {
	struct exec_spec spec;
	char *path;
	char **argv;
	char **envp;
	char *dir;
};

/* What exec_spec_build checks of its text, nothing looked up (for
 * validate): command or argv, a list; env, a list of NAME=VALUE.
 * Returns 0, or -1 with why. */
int exec_spec_check(const char *command, const char *argv, const char *env,
		    char *why, size_t cap);

/* From command (a shell command line, run by /bin/sh -c) or argv (a
 * JSON array of strings, run as it is), env (a JSON array of
 * "NAME=VALUE", over ours) and dir (NULL or "": ours).  Returns 0, or
 * -1 with why. */
int exec_spec_build(struct exec_owned *o, const char *command,
		    const char *argv, const char *env, const char *dir,
		    char *why, size_t cap);

void exec_spec_free(struct exec_owned *o);

#endif /* RK_EXEC_SPEC_H */
