/* bench-ring.c - raw SPSC ring throughput between two threads, for 8-
 * and 64-byte messages, one message per publish and in batches.
 * Prints one JSON object per case. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench-util.h"
#include "clock.h"
#include "ring.h"

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
	uint8_t payload[64] = { 0 };

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

int main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;

	bench(8, 1, count);
	bench(64, 1, count);
	bench(8, 64, count);
	bench(64, 64, count);
	return 0;
}
