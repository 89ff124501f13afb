/* launch-per-batch.cu - the baseline a persistent kernel is measured
 * against: the doubler as an ordinary CUDA kernel, one launch per batch
 * (copy in, launch, copy out, synchronise) from pinned buffers.
 * Prints one JSON object per batch size; where no device can be used,
 * one object saying why.  Usage: launch-per-batch [SCALE] */
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <cuda_runtime.h>

__global__ void double_all(const int64_t *in, int64_t *out, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		out[i] = 2 * in[i];
}

static uint64_t now_ns()
{
	return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
		std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	const int sizes[] = { 1, 64, 4096, 65536 };
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);

	if (e != cudaSuccess || count == 0) {
		printf("{\"bench\":\"launch_per_batch\",\"skipped\":\"%s\"}\n",
		       e != cudaSuccess ? cudaGetErrorString(e) : "no device");
		return 0;
	}
	int64_t *in, *out, *d_in, *d_out;
	cudaStream_t s;
	cudaHostAlloc(&in, 65536 * sizeof(int64_t), cudaHostAllocDefault);
	cudaHostAlloc(&out, 65536 * sizeof(int64_t), cudaHostAllocDefault);
	cudaMalloc(&d_in, 65536 * sizeof(int64_t));
	cudaMalloc(&d_out, 65536 * sizeof(int64_t));
	cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
	for (int i = 0; i < 65536; i++)
		in[i] = i;
	for (int n : sizes) {
		int iterations = (int)(20000 * scale / (n > 64 ? n / 64 : 1)) + 10;
		std::vector<uint64_t> ns(iterations);
		for (int it = -iterations / 10; it < iterations; it++) {
			uint64_t t0 = now_ns();
			size_t bytes = (size_t)n * sizeof(int64_t);
			cudaMemcpyAsync(d_in, in, bytes, cudaMemcpyHostToDevice, s);
			double_all<<<(n + 255) / 256, 256, 0, s>>>(d_in, d_out, n);
			cudaMemcpyAsync(out, d_out, bytes, cudaMemcpyDeviceToHost, s);
			cudaStreamSynchronize(s);
			if (it >= 0)
				ns[it] = now_ns() - t0;
		}
		if ((e = cudaGetLastError()) != cudaSuccess || out[n - 1] != 2 * in[n - 1]) {
			fprintf(stderr, "launch-per-batch: %s\n", cudaGetErrorString(e));
			return 1;
		}
		double total = 0;
		for (uint64_t v : ns)
			total += (double)v;
		std::sort(ns.begin(), ns.end());
		printf("{\"bench\":\"launch_per_batch\",\"batch\":%d,"
		       "\"p50_ns\":%llu,\"p99_ns\":%llu,\"msgs_per_s\":%.0f}\n", n,
		       (unsigned long long)ns[iterations / 2],
		       (unsigned long long)ns[iterations * 99 / 100],
		       (double)n * iterations / (total / 1e9));
	}
	return 0;
}
