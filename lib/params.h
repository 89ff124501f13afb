/* params.h - launch parameters: checked against what a kernel accepts,
 * and kept with the kernel for rk_ctx_param. */
#ifndef RK_PARAMS_H
#define RK_PARAMS_H

#include "ringkernel.h"

/* Every given parameter is one the kernel declares, with a value of its
 * type, and every required one is given. */
rk_error rk_params_check(const rk_kernel_desc *desc, const rk_param *params);
/* The parts: what is given is declared and fits; what is required is
 * given. */
rk_error rk_params_check_given(const rk_kernel_desc *desc,
			       const rk_param *params);
rk_error rk_params_check_required(const rk_kernel_desc *desc,
				  const rk_param *params);
/* And what they say together, by the kernel's check. */
rk_error rk_params_check_together(const rk_kernel_desc *desc,
				  const rk_param *params);

/* What a kernel declares makes sense: every parameter has a name of its
 * own, a known type (int, float, string, bool; NULL is string) and a
 * default of that type, if any. */
rk_error rk_params_check_declared(const rk_kernel_desc *desc);

/* A deep copy, NULL-terminated (an empty list for NULL); NULL on ENOMEM. */
rk_param *rk_params_copy(const rk_param *params);
void rk_params_free(rk_param *params);

#endif /* RK_PARAMS_H */
