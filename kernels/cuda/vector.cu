/* vector.cu - scale, saxpy and vector-histogram on the GPU: the device
 * functions of vector.h, one message per thread of the block. */
#include <ringkernel-cuda.h>

#include "../vector.h"

RK_CUDA_KERNEL(scale, struct vec_x, struct vec_x, struct vec_factor,
	       scale_one)
RK_CUDA_KERNEL(saxpy, struct vec_xy, struct vec_y, struct vec_factor,
	       saxpy_one)
RK_CUDA_KERNEL(vector_histogram, struct vec_x, struct vec_hist,
	       struct hist_params, histogram_one)
