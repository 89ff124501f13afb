/* log.h - the one place that prints "ringctl: ..." to stderr. */
#ifndef RINGCTL_LOG_H
#define RINGCTL_LOG_H

#include <stdbool.h>

extern _Thread_local bool log_quiet;    /* -q: only data and errors */
extern _Thread_local bool log_verbose;  /* -v: say what is happening */

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2)))
void fatal(const char *fmt, ...);

/* Report a usage error with the hint to --help; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* RINGCTL_LOG_H */
