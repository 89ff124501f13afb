/* doubler.cu - the doubler's GPU form: the device function of doubler.h
 * in a persistent loop, a block of threads sharing each batch. */
#include <ringkernel-cuda.h>

#include "../doubler.h"

RK_CUDA_KERNEL(doubler, struct doubler_in, struct doubler_out, rk_dev_none,
	       double_one)
