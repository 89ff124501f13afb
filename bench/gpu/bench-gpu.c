/* bench-gpu.c - the doubler plugin on the cuda backend, through the
 * public C API, and the same plugin on the CPU in the same run: host ->
 * persistent kernel -> host round trip, and pipelined throughput of
 * batches.  Prints one JSON object per figure; where no device can be
 * used, one object saying why ({"bench":"gpu","skipped":...}).
 * Usage: bench-gpu PLUGIN_DIR [SCALE] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringkernel.h>

#include "../bench-util.h"

static char device[64];
static char mode[16];                   /* persistent, or relaunch */

static rk_runtime *start(const char *dir, rk_backend backend,
			 const char **why)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_launch_options lo = RK_LAUNCH_OPTIONS_INIT;
	char path[4096];
	rk_runtime *rt;
	rk_telemetry t;

	o.telemetry = 1;
	o.default_queue_size = 4096;
	o.cuda_module = getenv("RK_CUDA_MODULE");
	snprintf(path, sizeof(path), "%s/doubler.so", dir);
	lo.kernel = "doubler";
	lo.backend = backend;
	if (rk_runtime_new(&o, &rt) != RK_OK
	    || rk_load_plugin(rt, path, NULL) != RK_OK
	    || rk_launch(rt, "d", NULL, &lo) != RK_OK
	    || rk_activate(rt, "d") != RK_OK) {
		*why = rk_errmsg();
		return NULL;
	}
	if (rk_get_telemetry(rt, "d", &t) == RK_OK && t.device[0]) {
		snprintf(device, sizeof(device), "%s", t.device);
		snprintf(mode, sizeof(mode), "%s", t.device_mode);
	}
	return rt;
}

static void round_trip(rk_runtime *rt, const char *backend, uint64_t samples)
{
	uint64_t *ns = malloc(samples * sizeof(*ns));
	int64_t v, r;
	size_t len;

	for (uint64_t i = 0; i < samples + samples / 10; i++) {
		v = (int64_t)i;
		uint64_t t0 = bench_now_ns();
		if (rk_send(rt, "d", &v, sizeof(v), 10.0) != RK_OK
		    || rk_receive(rt, "d", &r, sizeof(r), &len, 10.0) != RK_OK
		    || r != 2 * v) {
			fprintf(stderr, "bench-gpu: %s\n", rk_errmsg());
			exit(1);
		}
		if (i >= samples / 10)          /* the first tenth warms up */
			ns[i - samples / 10] = bench_now_ns() - t0;
	}
	printf("{\"bench\":\"gpu_round_trip\",\"backend\":\"%s\","
	       "\"device\":\"%s\",\"mode\":\"%s\",", backend,
	       strcmp(backend, "cuda") ? "" : device,
	       strcmp(backend, "cuda") ? "" : mode);
	bench_print_quantiles(ns, samples);
	printf("}\n");
	free(ns);
}

struct feed {
	rk_runtime *rt;
	uint64_t count;
};

static void *feeder(void *arg)
{
	struct feed *f = arg;
	int64_t v[256];
	const void *msgs[256];
	size_t lens[256], sent;

	for (uint64_t next = 0; next < f->count;) {
		size_t n = 0;
		for (; n < 256 && next + n < f->count; n++) {
			v[n] = (int64_t)(next + n);
			msgs[n] = &v[n];
			lens[n] = sizeof(v[n]);
		}
		if (rk_send_batch(f->rt, "d", msgs, lens, n, 30.0, &sent)
		    != RK_OK)
			exit(1);
		next += sent;
	}
	return NULL;
}

static int take(void *arg, const rk_envelope *env, const void *data,
		size_t len)
{
	(void)env, (void)data, (void)len;
	++*(uint64_t *)arg;
	return 0;
}

static void throughput(rk_runtime *rt, const char *backend, uint64_t count)
{
	struct feed f = { rt, count };
	uint64_t got = 0;
	size_t n;
	pthread_t t;

	uint64_t t0 = bench_now_ns();
	pthread_create(&t, NULL, feeder, &f);
	while (got < count)
		if (rk_receive_batch(rt, "d", 4096, 30.0, take, &got, &n)
		    != RK_OK)
			exit(1);
	pthread_join(t, NULL);
	double s = (double)(bench_now_ns() - t0) / 1e9;
	printf("{\"bench\":\"gpu_throughput\",\"backend\":\"%s\","
	       "\"messages\":%llu,\"msgs_per_s\":%.0f}\n", backend,
	       (unsigned long long)count, (double)count / s);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".", *why = NULL;
	double scale = argc > 2 ? atof(argv[2]) : 1;
	uint64_t samples = (uint64_t)(20000 * scale) + 10;
	uint64_t count = (uint64_t)(2000000 * scale) + 10;

	rk_runtime *rt = start(dir, RK_BACKEND_CUDA, &why);
	if (!rt) {
		printf("{\"bench\":\"gpu\",\"skipped\":\"");
		for (; *why; why++)
			if (*why != '"' && *why != '\\')
				putchar(*why);
		printf("\"}\n");
		return 0;
	}
	round_trip(rt, "cuda", samples);
	throughput(rt, "cuda", count);
	rk_runtime_free(rt);

	if (!(rt = start(dir, RK_BACKEND_CPU, &why))) {
		fprintf(stderr, "bench-gpu: %s\n", why);
		return 1;
	}
	round_trip(rt, "cpu", samples);
	throughput(rt, "cpu", count);
	rk_runtime_free(rt);
	return 0;
}
