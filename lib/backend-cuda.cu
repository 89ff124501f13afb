/* backend-cuda.cu - the CUDA backend module (rk-cuda.so): the device,
 * pinned mapped memory for device actors, device memory for the links
 * between them, a non-blocking stream per persistent kernel, and what
 * NVML says of the device when the driver has it.  libringkernel dlopen()s it and uses nothing but
 * the rk_cuda_backend table (device-backend.h); the kernels themselves
 * come from each plugin's GPU module (ringkernel-cuda.h).
 *
 * Every entry sets the device first: the runtime calls from whichever
 * thread launches or stops a kernel.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime.h>

#include "device-backend.h"

static int ordinal;

static int fail(cudaError_t e, const char *what, char *why, size_t len)
{
	snprintf(why, len, "%s: %s", what, cudaGetErrorString(e));
	return 1;
}

static int probe(int want, rk_device_info *info, char *why, size_t len)
{
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);
	cudaDeviceProp p;

	if (e != cudaSuccess)
		return fail(e, "no usable CUDA driver or device", why, len);
	if (count == 0) {
		snprintf(why, len, "no CUDA device");
		return 1;
	}
	ordinal = want;
	if (ordinal < 0 || ordinal >= count) {
		snprintf(why, len, "no CUDA device %d: there are %d devices",
			 want, count);
		return 1;
	}
	if ((e = cudaSetDevice(ordinal)) != cudaSuccess
	    || (e = cudaGetDeviceProperties(&p, ordinal)) != cudaSuccess)
		return fail(e, "cannot use the CUDA device", why, len);
	if (!p.canMapHostMemory || !p.unifiedAddressing) {
		snprintf(why, len, "%s cannot map host memory", p.name);
		return 1;
	}
	snprintf(info->name, sizeof(info->name), "%s", p.name);
	info->memory_total = p.totalGlobalMem;
	info->ordinal = ordinal;
	info->multiprocessors = p.multiProcessorCount;
	info->compute_major = p.major;
	info->compute_minor = p.minor;
	return 0;
}

static int alloc(size_t bytes, void **host, void **device, char *why,
		 size_t len)
{
	cudaError_t e;

	cudaSetDevice(ordinal);
	e = cudaHostAlloc(host, bytes, cudaHostAllocMapped | cudaHostAllocPortable);
	if (e != cudaSuccess)
		return fail(e, "pinned memory for a device actor", why, len);
	e = cudaHostGetDevicePointer(device, *host, 0);
	if (e != cudaSuccess) {
		cudaFreeHost(*host);
		return fail(e, "mapping a device actor", why, len);
	}
	return 0;
}

static void release(void *host)
{
	cudaSetDevice(ordinal);
	cudaFreeHost(host);
}

static int start(const rk_cuda_kernel *kernel, void *device_actor,
		 uint32_t threads, void **stream, char *why, size_t len)
{
	cudaStream_t s;
	cudaError_t e;

	cudaSetDevice(ordinal);
	e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
	if (e != cudaSuccess)
		return fail(e, "a stream for the kernel", why, len);
	e = (cudaError_t)kernel->launch((rk_dev_actor *)device_actor, threads,
					s);
	if (e != cudaSuccess) {
		cudaStreamDestroy(s);
		return fail(e, "launching the persistent kernel", why, len);
	}
	*stream = s;
	return 0;
}

static int running(void *stream, char *why, size_t len)
{
	cudaSetDevice(ordinal);
	cudaError_t e = cudaStreamQuery((cudaStream_t)stream);
	if (e == cudaSuccess)
		return 0;
	if (e == cudaErrorNotReady)
		return 1;
	fail(e, "the persistent kernel failed", why, len);
	return -1;
}

static void stream_free(void *stream)
{
	cudaSetDevice(ordinal);
	cudaStreamDestroy((cudaStream_t)stream);
}

static uint64_t memory_free(void)
{
	size_t free_bytes = 0, total = 0;

	cudaSetDevice(ordinal);
	if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess)
		return 0;
	return free_bytes;
}

/* The stream for filling device memory: non-blocking, so that waiting
 * for it never waits for the persistent kernels. */
static cudaStream_t fill_stream;

static int device_alloc(size_t bytes, void **device, char *why, size_t len)
{
	cudaError_t e;

	cudaSetDevice(ordinal);
	if (!fill_stream
	    && (e = cudaStreamCreateWithFlags(&fill_stream,
					      cudaStreamNonBlocking))
	       != cudaSuccess)
		return fail(e, "a stream for device memory", why, len);
	if ((e = cudaMalloc(device, bytes)) != cudaSuccess)
		return fail(e, "device memory for device links", why, len);
	return 0;
}

static void device_release(void *device)
{
	cudaSetDevice(ordinal);
	cudaFree(device);
}

static int device_fill(void *device, size_t bytes, const void *init,
		       size_t init_bytes, char *why, size_t len)
{
	cudaError_t e;

	cudaSetDevice(ordinal);
	if ((e = cudaMemsetAsync(device, 0, bytes, fill_stream)) != cudaSuccess
	    || (e = cudaMemcpyAsync(device, init, init_bytes,
				    cudaMemcpyHostToDevice, fill_stream))
	       != cudaSuccess
	    || (e = cudaStreamSynchronize(fill_stream)) != cudaSuccess)
		return fail(e, "setting up a device link", why, len);
	return 0;
}

/* ---- NVML, if the driver has it ------------------------------------ */

/* NVML comes with the driver, not the toolkit: opened at run time, its
 * few calls declared here, so that nothing links it. */
typedef struct nvml_device *nvml_device_t;
typedef struct { unsigned int gpu, memory; } nvml_utilization_t;
#define NVML_TEMPERATURE_GPU 0

static struct {
	pthread_once_t once;
	nvml_device_t device;           /* NULL: no NVML for it */
	int (*utilization)(nvml_device_t, nvml_utilization_t *);
	int (*temperature)(nvml_device_t, int, unsigned int *);
	int (*power)(nvml_device_t, unsigned int *);
} nvml = { PTHREAD_ONCE_INIT, NULL, NULL, NULL, NULL };

static void nvml_open(void)
{
	void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	char bus[32];

	if (!lib)
		return;
	int (*init)(void) = (int (*)(void))dlsym(lib, "nvmlInit_v2");
	int (*by_bus)(const char *, nvml_device_t *) =
		(int (*)(const char *, nvml_device_t *))dlsym(
			lib, "nvmlDeviceGetHandleByPciBusId_v2");
	nvml.utilization = (int (*)(nvml_device_t, nvml_utilization_t *))
		dlsym(lib, "nvmlDeviceGetUtilizationRates");
	nvml.temperature = (int (*)(nvml_device_t, int, unsigned int *))
		dlsym(lib, "nvmlDeviceGetTemperature");
	nvml.power = (int (*)(nvml_device_t, unsigned int *))
		dlsym(lib, "nvmlDeviceGetPowerUsage");
	/* CUDA's ordinals and NVML's indices may differ: the PCI bus id
	 * names the same device to both. */
	if (!init || !by_bus || init() != 0
	    || cudaDeviceGetPCIBusId(bus, sizeof(bus), ordinal) != cudaSuccess
	    || by_bus(bus, &nvml.device) != 0)
		nvml.device = NULL;
}

static void health(rk_device_health *h)
{
	nvml_utilization_t u;
	unsigned int v;

	pthread_once(&nvml.once, nvml_open);
	if (!nvml.device)
		return;
	if (nvml.utilization && nvml.utilization(nvml.device, &u) == 0)
		h->utilization = (int)u.gpu;
	if (nvml.temperature
	    && nvml.temperature(nvml.device, NVML_TEMPERATURE_GPU, &v) == 0)
		h->temperature = (int)v;
	if (nvml.power && nvml.power(nvml.device, &v) == 0)
		h->power_mw = (int)v;
}

extern "C" __attribute__((visibility("default")))
const rk_backend_ops rk_cuda_backend = {
	RK_BACKEND_ABI, (uint32_t)sizeof(rk_backend_ops), probe, alloc,
	release, start, running, stream_free, memory_free, device_alloc,
	device_release, device_fill, health
};
