/* doubler.h - the doubler's messages and its one function, compiled for
 * the CPU (doubler.c) and for the GPU (cuda/doubler.cu). */
#ifndef KERNELS_DOUBLER_H
#define KERNELS_DOUBLER_H

#include <stdint.h>

#include <ringkernel-device.h>

struct doubler_in {
	int64_t value;
};

struct doubler_out {
	int64_t result;
};

#define DOUBLER_OVERFLOW 1      /* error code: the double overflows */

RK_HD static inline int double_one(const struct doubler_in *in,
				   struct doubler_out *out,
				   const rk_dev_none *params)
{
	(void)params;
	if (in->value > INT64_MAX / 2 || in->value < INT64_MIN / 2)
		return DOUBLER_OVERFLOW;
	out->result = in->value * 2;
	return 0;
}

#endif /* KERNELS_DOUBLER_H */
