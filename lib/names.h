/* names.h - names as users type them, checked and escaped. */
#ifndef RK_NAMES_H
#define RK_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "ringkernel.h"

/* Names typed in shells, pipelines ('a | b') and YAML: non-empty, of
 * letters, digits, '_', '.', '-' and the characters of `extra`. */
bool rk_plain_name(const char *name, const char *extra);

/* Whether s holds a control character (below 0x20, or 0x7f): in no
 * name, and a terminal would act on it when a message echoes it. */
bool rk_has_control(const char *s);

/* The len bytes at s for a message, in out: control characters and
 * bytes past ASCII as \t, \n, \0 or \xHH, cut short with "..." to fit
 * cap.  Returns out. */
const char *rk_escape(char *out, size_t cap, const char *s, size_t len);

/* RK_OK, or RK_EINVAL with "WHAT 'S' holds a control character", S
 * escaped. */
rk_error rk_check_control(const char *what, const char *s);

#endif /* RK_NAMES_H */
