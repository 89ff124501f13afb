/* metrics.h - a runtime's telemetry in the Prometheus text exposition
 * format (metrics.c). */
#ifndef RINGCTL_METRICS_H
#define RINGCTL_METRICS_H

#include <stddef.h>

#include <ringkernel.h>

/* The exposition of kernels `ids` (a kernel gone meanwhile is left
 * out), *len bytes, for the caller to free; NULL with *err on failure
 * (RK_ENODATA: telemetry is off). */
char *metrics_exposition(rk_runtime *rt, char *const *ids, size_t n,
			 size_t *len, rk_error *err);

#endif /* RINGCTL_METRICS_H */
