/* bench-actor.c - one doubler actor through the public C API: round
 * trip latency, pipelined throughput (one by one and batched), and the
 * CPU cost of idle kernels.  Prints one JSON object per figure. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ringkernel.h>

#include "bench-util.h"

static int double_value(rk_ctx *ctx, const rk_msg *msg)
{
	int64_t v;
	memcpy(&v, msg->data, sizeof(v));
	v *= 2;
	return rk_ctx_emit(ctx, &v, sizeof(v));
}

static const rk_kernel_desc doubler = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "doubler",
	.process = double_value,
};

static rk_runtime *start(uint32_t queue_size)
{
	rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
	rk_runtime *rt;

	o.default_queue_size = queue_size;
	/* The doubler's messages are one int64: one cache line per slot,
	 * as a typed schema would size it. */
	o.default_max_message = 32;
	if (rk_runtime_new(&o, &rt) != RK_OK
	    || rk_launch(rt, "doubler", &doubler, NULL) != RK_OK
	    || rk_activate(rt, "doubler") != RK_OK) {
		fprintf(stderr, "bench-actor: %s\n", rk_errmsg());
		exit(1);
	}
	return rt;
}

/* One thread sends a message and takes its reply, by id, or through a
 * handle looked up once (rk_send_to, rk_receive_from). */
static void round_trip(uint64_t samples, bool by_handle)
{
	rk_runtime *rt = start(1000);
	uint64_t *ns = malloc(samples * sizeof(*ns));
	rk_handle *h = NULL;
	int64_t v, r;
	size_t len;

	if (by_handle && rk_handle_get(rt, "doubler", &h) != RK_OK) {
		fprintf(stderr, "bench-actor: %s\n", rk_errmsg());
		exit(1);
	}
	for (uint64_t i = 0; i < samples + samples / 10; i++) {
		v = (int64_t)i;
		uint64_t t0 = bench_now_ns();
		if (h) {
			rk_send_to(h, NULL, &v, sizeof(v), RK_FOREVER);
			rk_receive_from(h, NULL, &r, sizeof(r), &len,
					RK_FOREVER);
		} else {
			rk_send(rt, "doubler", &v, sizeof(v), RK_FOREVER);
			rk_receive(rt, "doubler", &r, sizeof(r), &len,
				   RK_FOREVER);
		}
		uint64_t t1 = bench_now_ns();
		if (i >= samples / 10)          /* the first tenth warms up */
			ns[i - samples / 10] = t1 - t0;
	}
	printf("{\"bench\":\"%s\",", h ? "round_trip_handle" : "round_trip");
	bench_print_quantiles(ns, samples);
	printf("}\n");
	free(ns);
	rk_handle_release(h);
	rk_runtime_free(rt);
}

struct sender {
	rk_runtime *rt;
	uint64_t count;
	size_t batch;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;
	int64_t vals[256];
	const void *msgs[256];
	size_t lens[256], sent;

	for (size_t i = 0; i < 256; i++) {
		msgs[i] = &vals[i];
		lens[i] = sizeof(vals[i]);
	}
	for (uint64_t done = 0; done < s->count;) {
		size_t n = s->count - done < s->batch ? s->count - done
						       : s->batch;
		for (size_t i = 0; i < n; i++)
			vals[i] = (int64_t)(done + i);
		if (n == 1)
			rk_send(s->rt, "doubler", msgs[0], 8, RK_FOREVER);
		else
			rk_send_batch(s->rt, "doubler", msgs, lens, n,
				      RK_FOREVER, &sent);
		done += n;
	}
	return NULL;
}

static int add_reply(void *arg, const rk_envelope *env, const void *data,
		     size_t len)
{
	int64_t r;
	memcpy(&r, data, sizeof(r));
	*(int64_t *)arg += r;
	return 0;
}

/* A sender thread and this one receiving: one by one, or in batches
 * on both ends (rk_send_batch, rk_receive_batch). */
static void throughput(uint64_t count, size_t batch)
{
	rk_runtime *rt = start(4096);
	struct sender s = { rt, count, batch };
	int64_t r, sum = 0;
	size_t len, got;
	pthread_t t;

	uint64_t t0 = bench_now_ns();
	pthread_create(&t, NULL, send_all, &s);
	for (uint64_t i = 0; i < count; i += got) {
		if (batch == 1) {
			rk_receive(rt, "doubler", &r, sizeof(r), &len,
				   RK_FOREVER);
			sum += r;
			got = 1;
		} else {
			rk_receive_batch(rt, "doubler", batch, RK_FOREVER,
					 add_reply, &sum, &got);
		}
	}
	pthread_join(t, NULL);
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	if (sum != (int64_t)(count * (count - 1)))
		fprintf(stderr, "bench-actor: wrong sum\n");
	printf("{\"bench\":\"throughput\",\"batch\":%zu,\"threads\":2,"
	       "\"messages\":%llu,\"msgs_per_s\":%.0f}\n", batch,
	       (unsigned long long)count, (double)count / secs);
	rk_runtime_free(rt);
}

static int echo_message(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static const rk_kernel_desc echo = {
	.abi_version = RK_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(rk_kernel_desc),
	.name = "echo",
	.process = echo_message,
};

/* One client thread alternating batches of sends and receives of
 * `size`-byte messages to `kernel`, so only the client and the kernel
 * compete for the two cores.  Replies carry the request's first eight
 * bytes times `factor`; their sum checks that nothing went missing. */
static double client_throughput(rk_runtime *rt, const char *kernel,
				size_t size, uint64_t count, size_t batch,
				int64_t factor)
{
	uint8_t *vals = calloc(batch, size);
	const void *msgs[256];
	size_t lens[256], sent, got;
	uint64_t sent_total = 0, got_total = 0;
	int64_t sum = 0;

	for (size_t i = 0; i < batch; i++) {
		msgs[i] = vals + i * size;
		lens[i] = size;
	}
	uint64_t t0 = bench_now_ns();
	while (got_total < count) {
		/* Keep at most 2048 in flight: the queues hold 4096. */
		if (sent_total < count && sent_total - got_total < 2048) {
			size_t n = count - sent_total < batch
				? (size_t)(count - sent_total) : batch;
			for (size_t i = 0; i < n; i++)
				memcpy(vals + i * size,
				       &(int64_t){ (int64_t)(sent_total + i) },
				       8);
			rk_send_batch(rt, kernel, msgs, lens, n, RK_FOREVER,
				      &sent);
			sent_total += sent;
		}
		rk_receive_batch(rt, kernel, 4096,
				 sent_total - got_total >= 2048 ? RK_FOREVER : 0,
				 add_reply, &sum, &got);
		got_total += got;
	}
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	if (sum != factor * (int64_t)(count * (count - 1) / 2))
		fprintf(stderr, "bench-actor: wrong sum\n");
	free(vals);
	return (double)count / secs;
}

static void throughput_one_thread(uint64_t count, size_t batch)
{
	rk_runtime *rt = start(4096);
	double rate = client_throughput(rt, "doubler", 8, count, batch, 2);

	printf("{\"bench\":\"throughput\",\"batch\":%zu,\"threads\":1,"
	       "\"messages\":%llu,\"msgs_per_s\":%.0f}\n", batch,
	       (unsigned long long)count, rate);
	rk_runtime_free(rt);
}

/* Batched throughput of an echo kernel by message size: what the
 * runtime moves once the payload, not the per-message work, costs. */
static void throughput_by_size(double scale)
{
	static const size_t sizes[] = { 8, 64, 256, 1024, 4096, 16384 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rk_runtime_options o = RK_RUNTIME_OPTIONS_INIT;
		rk_runtime *rt;

		o.default_queue_size = 4096;
		o.default_max_message = sizes[i];
		if (rk_runtime_new(&o, &rt) != RK_OK
		    || rk_launch(rt, "echo", &echo, NULL) != RK_OK
		    || rk_activate(rt, "echo") != RK_OK) {
			fprintf(stderr, "bench-actor: %s\n", rk_errmsg());
			exit(1);
		}
		/* About 2 GB each way at full scale, at most 20 M messages. */
		uint64_t count = (uint64_t)(scale * 2e9 / (double)sizes[i]);
		if (count > (uint64_t)(20000000 * scale))
			count = (uint64_t)(20000000 * scale);
		double rate = client_throughput(rt, "echo", sizes[i], count,
						256, 1);
		printf("{\"bench\":\"size\",\"bytes\":%zu,\"messages\":%llu,"
		       "\"msgs_per_s\":%.0f,\"mb_per_s\":%.1f}\n", sizes[i],
		       (unsigned long long)count, rate,
		       rate * (double)sizes[i] / 1e6);
		rk_runtime_free(rt);
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
	       + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Active kernels with nothing to do: their share of one CPU. */
static void idle(int kernels, double seconds)
{
	rk_runtime *rt;
	char id[16];

	rk_runtime_new(NULL, &rt);
	for (int i = 0; i < kernels; i++) {
		snprintf(id, sizeof(id), "idle%d", i);
		rk_launch(rt, id, &doubler, NULL);
		rk_activate(rt, id);
	}
	usleep(100000);                 /* let them finish spinning */
	double c0 = cpu_seconds();
	uint64_t t0 = bench_now_ns();
	usleep((useconds_t)(seconds * 1e6));
	double wall = (double)(bench_now_ns() - t0) / 1e9;
	double cpu = cpu_seconds() - c0;
	printf("{\"bench\":\"idle\",\"kernels\":%d,\"seconds\":%.1f,"
	       "\"cpu_percent\":%.3f}\n", kernels, wall, 100.0 * cpu / wall);
	rk_runtime_free(rt);
}

/* bench-actor [SCALE [FIGURE]]: FIGURE is one of round_trip, pipelined,
 * batched, batched_one_thread, sizes, idle (default: all). */
int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	const char *only = argc > 2 ? argv[2] : NULL;
#define WANT(name) (!only || strcmp(only, name) == 0)

	if (WANT("round_trip"))
		round_trip((uint64_t)(200000 * scale), false);
	if (WANT("round_trip_handle"))
		round_trip((uint64_t)(200000 * scale), true);
	if (WANT("pipelined"))
		throughput((uint64_t)(5000000 * scale), 1);
	if (WANT("batched"))
		throughput((uint64_t)(20000000 * scale), 256);
	if (WANT("batched_one_thread"))
		throughput_one_thread((uint64_t)(40000000 * scale), 256);
	if (WANT("sizes"))
		throughput_by_size(scale);
	if (WANT("idle"))
		idle(10, 2.0 * scale);
	return 0;
}
