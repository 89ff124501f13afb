/* device-backend.h - what libringkernel asks of the CUDA backend module
 * (rk-cuda.so, built by nvcc from lib/backend-cuda.cu).
 *
 * libringkernel never links CUDA: it dlopen()s the module the first
 * time a kernel may run on a GPU and takes this one table from it.  A
 * machine without the module, the driver or a device gets a clear
 * reason from `probe` and runs every kernel on the CPU.
 */
#ifndef RK_DEVICE_BACKEND_H
#define RK_DEVICE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ringkernel-device.h"

#define RK_BACKEND_ABI 5
#define RK_BACKEND_SYMBOL "rk_cuda_backend"
#define RK_BACKEND_MODULE "rk-cuda.so"

typedef struct rk_device_info {
	char name[64];                  /* "NVIDIA H100 80GB HBM3" */
	uint64_t memory_total;          /* bytes */
	int ordinal;
	int multiprocessors;
	int compute_major, compute_minor;
	/* Persistent kernels that can run at once, whatever room their
	 * blocks leave: each needs a hardware queue of its own (0: no
	 * bound but room; see backend-cuda.cu, "Streams"). */
	int max_kernels;
	int connections;                /* CUDA_DEVICE_MAX_CONNECTIONS */
	/* A watchdog ends kernels that run too long (a display's GPU:
	 * cudaDevAttrKernelExecTimeout): no persistent kernel there, a
	 * bounded loop launched per batch instead. */
	int watchdog;
} rk_device_info;

/* How the device fares, from NVML where the driver has it; -1 where
 * unknown. */
typedef struct rk_device_health {
	int utilization;                /* percent of time busy, lately */
	int temperature;                /* degrees Celsius */
	int power_mw;                   /* milliwatts drawn */
} rk_device_health;

typedef struct rk_backend_ops {
	uint32_t abi;                   /* RK_BACKEND_ABI */
	uint32_t struct_size;
	/* 0 and the device of that ordinal, which will be used, or
	 * nonzero and why none. */
	int (*probe)(int ordinal, rk_device_info *info, char *why,
		     size_t len);
	/* Pinned host memory mapped into the device: the host's address
	 * and the device's.  Taken once, before the first kernel starts
	 * (device-actor.c carves it for the actors), since allocating or
	 * freeing it may wait for the work on the device, and persistent
	 * kernels never end. */
	int (*alloc)(size_t bytes, void **host, void **device, char *why,
		     size_t len);
	void (*release)(void *host);
	/* Launch a persistent kernel (or the first launch of a bounded
	 * one) on a stream of its own (one of info.max_kernels, each on its
	 * own hardware queue). */
	int (*start)(const rk_cuda_kernel *kernel, void *device_actor,
		     uint32_t threads, void **stream, char *why, size_t len);
	/* 1 while the kernel runs, 0 once it has returned, -1 if it
	 * failed (why says how). */
	int (*running)(void *stream, char *why, size_t len);
	void (*stream_free)(void *stream);
	/* Device memory free now, or 0 where unknown. */
	uint64_t (*memory_free)(void);
	/* Device memory, taken once for all device links (device-link.c
	 * carves it), and given back when no kernel runs. */
	int (*device_alloc)(size_t bytes, void **device, char *why,
			    size_t len);
	void (*device_release)(void *device);
	/* Zero `bytes` of device memory, then copy the `init_bytes` of
	 * `init` to their start (a link's ring header); waits for that
	 * alone, not for the kernels running. */
	int (*device_fill)(void *device, size_t bytes, const void *init,
			   size_t init_bytes, char *why, size_t len);
	/* Fill what NVML says, leaving the rest -1. */
	void (*health)(rk_device_health *h);
	/* Launch the kernel again on the stream `start` gave it, its last
	 * launch having returned (a bounded loop, relaunch mode). */
	int (*relaunch)(const rk_cuda_kernel *kernel, void *device_actor,
			uint32_t threads, void *stream, char *why, size_t len);
} rk_backend_ops;

#endif /* RK_DEVICE_BACKEND_H */
