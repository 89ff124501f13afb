/* rk-error.h - setting the per-thread error detail that rk_errmsg returns. */
#ifndef RK_RK_ERROR_H
#define RK_RK_ERROR_H

#include "ringkernel.h"

/* Record why the current call fails; returns err for `return rk_fail(...)`. */
rk_error rk_fail(rk_error err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The usual state error: "cannot OP kernel 'ID' from state 'STATE'". */
rk_error rk_fail_state(const char *op, const char *id, rk_state state);

#endif /* RK_RK_ERROR_H */
