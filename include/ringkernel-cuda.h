/* ringkernel-cuda.h - a kernel's GPU form, for a module built by nvcc.
 *
 * In the .cu file, beside the plugin's C source that declares the same
 * kernel with RK_DEVICE_KERNEL:
 *   #include <ringkernel-cuda.h>
 *   #include "doubler.h"          // the RK_HD device function
 *   RK_CUDA_KERNEL(doubler, struct doubler_in, struct doubler_out,
 *                  rk_dev_none, double_one)
 * exports rk_cuda_doubler, which the cuda backend finds and launches as
 * a persistent kernel: one block per launched kernel, its threads
 * sharing each batch of messages, staged in shared memory (up to
 * RK_DEV_STAGE_MAX bytes of it).  Where a persistent kernel cannot run,
 * the backend launches the same function once per batch (the actor's
 * `bounded`).
 */
#ifndef RINGKERNEL_CUDA_H
#define RINGKERNEL_CUDA_H

#include <cuda_runtime.h>

#include "ringkernel-device.h"

#define RK_CUDA_KERNEL(NAME, IN, OUT, P, FN) \
	RK_DEVICE_LOOP(NAME##_cuda_loop, IN, OUT, P, FN) \
	__global__ void NAME##_cuda_persistent(rk_dev_actor *a) \
	{ \
		__shared__ rk_dev_shared s; \
		__shared__ uint4 stage[RK_DEV_STAGE_BYTES(IN, OUT) / 16 + 1]; \
		NAME##_cuda_loop(a, &s, (uint8_t *)stage); \
	} \
	static int NAME##_cuda_launch(rk_dev_actor *a, uint32_t threads, \
				      void *stream) \
	{ \
		NAME##_cuda_persistent<<<1, threads, 0, \
					 (cudaStream_t)stream>>>(a); \
		return (int)cudaGetLastError(); \
	} \
	static int NAME##_cuda_blocks(uint32_t threads, int *blocks) \
	{ \
		return (int)cudaOccupancyMaxActiveBlocksPerMultiprocessor( \
			blocks, NAME##_cuda_persistent, (int)threads, 0); \
	} \
	extern "C" __attribute__((visibility("default"))) \
	const rk_cuda_kernel rk_cuda_##NAME = { \
		RK_DEVICE_ABI, (uint32_t)sizeof(rk_cuda_kernel), #NAME, \
		(uint32_t)sizeof(IN), (uint32_t)sizeof(OUT), \
		NAME##_cuda_launch, NAME##_cuda_blocks };

#endif /* RINGKERNEL_CUDA_H */
