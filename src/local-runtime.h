/* local-runtime.h - a runtime inside this process, for the commands
 * that work without the server. */
#ifndef RINGCTL_LOCAL_RUNTIME_H
#define RINGCTL_LOCAL_RUNTIME_H

#include <ringkernel.h>

/* A runtime for in-process work (run, kernels, describe, validate);
 * exits with a message when it cannot be made. */
rk_runtime *local_runtime(const rk_runtime_options *opts);

#endif /* RINGCTL_LOCAL_RUNTIME_H */
