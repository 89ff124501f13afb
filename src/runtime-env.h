/* runtime-env.h - the environment variables that tune a runtime (the
 * spin before an idle kernel sleeps, the cuda backend): ringctl reads
 * them, the library only takes options. */
#ifndef RINGCTL_RUNTIME_ENV_H
#define RINGCTL_RUNTIME_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include <ringkernel.h>

/* Set o's fields from RK_SPIN_NS, RK_CUDA_MODULE, RK_CUDA_DEVICE,
 * RK_DEVICE_TIMEOUT, RK_CUDA_POOL_MB and RK_DEVICE_LINKS where they are
 * set.  false, with which variable is wrong and why in why, for a value
 * that is not one. */
bool runtime_options_from_env(rk_runtime_options *o, char *why, size_t cap);

#endif /* RINGCTL_RUNTIME_ENV_H */
