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

/* ---- Streams --------------------------------------------------------
 * The host reaches the device through CUDA_DEVICE_MAX_CONNECTIONS
 * hardware queues (8 unless set, at most 32); streams share them, in
 * the order they are made, and work behind a kernel on the same queue
 * waits for it to end.  A persistent kernel never ends: a second one,
 * or a memset, that landed on its queue would never start.  So the
 * streams are made once, together, one per queue: the first for
 * filling device memory, the others for persistent kernels, taken and
 * given back, never destroyed (a new stream could land on a busy
 * queue).  Also: at most 128 grids are resident on a device at once.
 */
#define MAX_CONNECTIONS 32
#define MAX_RESIDENT_GRIDS 128

static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static cudaStream_t fill_stream;
static cudaStream_t kernel_streams[MAX_CONNECTIONS];
static bool kernel_stream_taken[MAX_CONNECTIONS];
static int n_kernel_streams;

static int connections(void)
{
	const char *e = getenv("CUDA_DEVICE_MAX_CONNECTIONS");
	long n = e && *e ? strtol(e, NULL, 10) : 8;

	return n < 1 ? 1 : n > MAX_CONNECTIONS ? MAX_CONNECTIONS : (int)n;
}

static int fail(cudaError_t e, const char *what, char *why, size_t len)
{
	snprintf(why, len, "%s: %s", what, cudaGetErrorString(e));
	return 1;
}

/* Make the streams, one per connection, the fill stream first; once
 * in the process (every runtime in it shares them). */
static int make_streams(int n, char *why, size_t len)
{
	cudaError_t e;

	if (fill_stream)
		return 0;

	if ((e = cudaStreamCreateWithFlags(&fill_stream,
					   cudaStreamNonBlocking)) != cudaSuccess)
		return fail(e, "a stream for device memory", why, len);
	for (n_kernel_streams = 0; n_kernel_streams < n; n_kernel_streams++)
		if ((e = cudaStreamCreateWithFlags(
			     &kernel_streams[n_kernel_streams],
			     cudaStreamNonBlocking)) != cudaSuccess)
			return fail(e, "a stream for a kernel", why, len);
	return 0;
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
	if (cudaDeviceGetAttribute(&info->watchdog,
				   cudaDevAttrKernelExecTimeout, ordinal)
	    != cudaSuccess)
		info->watchdog = 0;
	info->connections = connections();
	info->max_kernels = info->connections - 1;
	if (info->max_kernels > MAX_RESIDENT_GRIDS)
		info->max_kernels = MAX_RESIDENT_GRIDS;
	if (info->max_kernels < 1) {
		snprintf(why, len, "CUDA_DEVICE_MAX_CONNECTIONS=%d leaves no "
			 "hardware queue for a persistent kernel beside the "
			 "runtime's copies: set 2 to 32", info->connections);
		return 1;
	}
	if (make_streams(info->max_kernels, why, len) != 0)
		return 1;
	info->max_kernels = n_kernel_streams;
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

/* Its kernel has ended: the stream is free for the next one. */
static void stream_free(void *stream)
{
	pthread_mutex_lock(&streams_lock);
	for (int i = 0; i < n_kernel_streams; i++)
		if (kernel_streams[i] == (cudaStream_t)stream)
			kernel_stream_taken[i] = false;
	pthread_mutex_unlock(&streams_lock);
}

static int start(const rk_cuda_kernel *kernel, void *device_actor,
		 uint32_t threads, void **stream, char *why, size_t len)
{
	cudaError_t e;
	int i;

	cudaSetDevice(ordinal);
	pthread_mutex_lock(&streams_lock);
	for (i = 0; i < n_kernel_streams && kernel_stream_taken[i]; i++)
		;
	if (i < n_kernel_streams)
		kernel_stream_taken[i] = true;
	pthread_mutex_unlock(&streams_lock);
	if (i == n_kernel_streams) {
		snprintf(why, len, "all %d streams for persistent kernels are "
			 "taken", n_kernel_streams);
		return 1;
	}
	e = (cudaError_t)kernel->launch((rk_dev_actor *)device_actor, threads,
					kernel_streams[i]);
	if (e != cudaSuccess) {
		stream_free(kernel_streams[i]);
		return fail(e, "launching the persistent kernel", why, len);
	}
	*stream = kernel_streams[i];
	return 0;
}

static int relaunch(const rk_cuda_kernel *kernel, void *device_actor,
		    uint32_t threads, void *stream, char *why, size_t len)
{
	cudaSetDevice(ordinal);
	cudaError_t e = (cudaError_t)kernel->launch(
		(rk_dev_actor *)device_actor, threads, stream);
	if (e != cudaSuccess)
		return fail(e, "launching the kernel's loop again", why, len);
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

static uint64_t memory_free(void)
{
	size_t free_bytes = 0, total = 0;

	cudaSetDevice(ordinal);
	if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess)
		return 0;
	return free_bytes;
}

static int device_alloc(size_t bytes, void **device, char *why, size_t len)
{
	cudaError_t e;

	cudaSetDevice(ordinal);
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
	device_release, device_fill, health, relaunch
};
