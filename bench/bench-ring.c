/* bench-ring.c - raw SPSC ring throughput between two threads, for 8-
 * and 64-byte messages one per publish, and by size in batches of 64.
 * Prints one JSON object per case. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench-util.h"
#include "clock.h"
#include "ringkernel-ring.h"

struct run {
	rk_ring *ring;
	uint64_t count;
	uint32_t size;
	uint64_t batch;
	uint64_t checksum;
};

static void *producer(void *arg)
{
	struct run *run = arg;
	rk_ring *r = run->ring;
	uint8_t payload[4096] = { 0 };

	for (uint64_t next = 0; next < run->count;) {
		uint64_t n = rk_ring_free(r, run->batch);
		if (n == 0) {
			rk_cpu_relax();
			continue;
		}
		if (n > run->batch)
			n = run->batch;
		if (n > run->count - next)
			n = run->count - next;
		for (uint64_t i = 0; i < n; i++) {
			rk_slot_header *h = rk_ring_reserve_at(r, i);
			memcpy(payload, &(uint64_t){ next + i }, 8);
			memcpy(h + 1, payload, run->size);
			h->length = run->size;
		}
		rk_ring_publish(r, n);
		next += n;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	rk_ring *r = run->ring;
	uint64_t sum = 0;

	for (uint64_t got = 0; got < run->count;) {
		uint64_t n = rk_ring_ready(r);
		if (n == 0) {
			rk_cpu_relax();
			continue;
		}
		if (n > run->batch)
			n = run->batch;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t v;
			memcpy(&v, rk_ring_peek_at(r, i) + 1, 8);
			sum += v;
		}
		rk_ring_release(r, n);
		got += n;
	}
	run->checksum = sum;
	return NULL;
}

static void bench(uint32_t size, uint64_t batch, uint64_t count)
{
	uint32_t slot = rk_ring_slot_size(size);
	size_t bytes = rk_ring_bytes(1024, slot);
	struct run run = { .count = count, .size = size, .batch = batch };
	pthread_t p, c;

	run.ring = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	rk_ring_init(run.ring, 1024, slot, 0);
	uint64_t t0 = bench_now_ns();
	pthread_create(&c, NULL, consumer, &run);
	pthread_create(&p, NULL, producer, &run);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	double s = (double)(bench_now_ns() - t0) / 1e9;
	if (run.checksum != count * (count - 1) / 2)
		fprintf(stderr, "bench-ring: checksum mismatch\n");
	printf("{\"bench\":\"ring\",\"bytes\":%u,\"batch\":%llu,"
	       "\"messages\":%llu,\"msgs_per_s\":%.0f}\n", size,
	       (unsigned long long)batch, (unsigned long long)count,
	       (double)count / s);
	free(run.ring);
}

/* Ping-pong over two rings, no runtime: the floor for an actor round
 * trip on this machine. */
struct pingpong {
	rk_ring *to, *from;
	uint64_t count;
};

static rk_ring *ring_new(void)
{
	uint32_t slot = rk_ring_slot_size(8);
	size_t bytes = rk_ring_bytes(1024, slot);
	rk_ring *r = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	rk_ring_init(r, 1024, slot, 0);
	return r;
}

static void *echo(void *arg)
{
	struct pingpong *pp = arg;

	for (uint64_t i = 0; i < pp->count; i++) {
		rk_slot_header *in;
		while (!(in = rk_ring_peek(pp->to)))
			rk_cpu_relax();
		rk_slot_header *out;
		while (!(out = rk_ring_reserve(pp->from)))
			rk_cpu_relax();
		uint64_t v;
		memcpy(&v, in + 1, 8);
		v *= 2;
		memcpy(out + 1, &v, 8);
		out->length = 8;
		rk_ring_publish(pp->from, 1);
		rk_ring_release(pp->to, 1);
	}
	return NULL;
}

static void round_trip(uint64_t count)
{
	struct pingpong pp = { ring_new(), ring_new(), count };
	uint64_t *ns = malloc(count * sizeof(*ns));
	pthread_t t;

	pthread_create(&t, NULL, echo, &pp);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t t0 = bench_now_ns();
		rk_slot_header *out;
		while (!(out = rk_ring_reserve(pp.to)))
			rk_cpu_relax();
		memcpy(out + 1, &i, 8);
		out->length = 8;
		rk_ring_publish(pp.to, 1);
		rk_slot_header *in;
		while (!(in = rk_ring_peek(pp.from)))
			rk_cpu_relax();
		rk_ring_release(pp.from, 1);
		ns[i] = bench_now_ns() - t0;
	}
	pthread_join(t, NULL);
	printf("{\"bench\":\"ring_round_trip\",");
	bench_print_quantiles(ns, count);
	printf("}\n");
	free(ns);
	free(pp.to);
	free(pp.from);
}

int main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;

	round_trip(count / 100 > 100000 ? 100000 : count / 100 + 1);
	bench(8, 1, count);
	bench(64, 1, count);
	/* Batched, by message size, for the throughput plot. */
	static const uint32_t sizes[] = { 8, 64, 256, 1024, 4096 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = (uint64_t)(2e9 / sizes[i]) < count
			? (uint64_t)(2e9 / sizes[i]) : count;
		bench(sizes[i], 64, n);
	}
	return 0;
}
