/* soak.c - `make soak`: millions of messages through a topology with
 * fan-out, replicas and fan-in while its kernels are deactivated and
 * reactivated at random, then an account of every message.
 *
 *   stdin -> src -+-> left (3 replicas, block) --+-> sink -> stdout
 *                 +-> right (queue 64, drop_oldest) -+
 *
 * left tags what it passes with bit 62, right with bit 63.  What must
 * hold: every message comes out of left exactly once and in order;
 * what comes out of right is in order, never twice, and what it lacks
 * is exactly what the runtime counted as dropped; memory stays flat.
 * SOAK_MESSAGES sets the count (default 5 000 000).  Exits 0 when the
 * account balances, 1 with what did not. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringkernel.h>
#include <ringkernel-plugin.h>

#define LEFT (UINT64_C(1) << 62)
#define RIGHT (UINT64_C(1) << 63)

static int pass(rk_ctx *ctx, const rk_msg *msg)
{
	return rk_ctx_emit(ctx, msg->data, msg->len);
}

static int tag(rk_ctx *ctx, const rk_msg *msg, uint64_t bit)
{
	uint64_t v;
	memcpy(&v, msg->data, sizeof(v));
	v |= bit;
	return rk_ctx_emit(ctx, &v, sizeof(v));
}

static int tag_left(rk_ctx *ctx, const rk_msg *msg)
{
	return tag(ctx, msg, LEFT);
}

static int tag_right(rk_ctx *ctx, const rk_msg *msg)
{
	return tag(ctx, msg, RIGHT);
}

#define KERNEL(n, fn) { .abi_version = RK_PLUGIN_ABI_VERSION, \
	.struct_size = sizeof(rk_kernel_desc), .name = n, .process = fn }
static const rk_kernel_desc kernels[] = {
	KERNEL("src", pass), KERNEL("left", tag_left),
	KERNEL("right", tag_right), KERNEL("sink", pass),
};

static const char topology[] =
	"name: soak\n"
	"kernels:\n"
	"  src: {kernel: src, queue_size: 1024}\n"
	"  left: {kernel: left, replicas: 3, queue_size: 256}\n"
	"  right: {kernel: right, queue_size: 64, backpressure: drop_oldest}\n"
	"  sink: {kernel: sink, queue_size: 1024}\n"
	"edges:\n"
	"  - {from: stdin, to: src}\n"
	"  - {from: src, to: left}\n"
	"  - {from: src, to: right}\n"
	"  - {from: left, to: sink}\n"
	"  - {from: right, to: sink}\n"
	"  - {from: sink, to: stdout}\n";

static rk_runtime *rt;
static uint64_t messages;
static volatile bool done;
static uint64_t flips, flips_refused;

static void diag(void *arg, const char *where, const char *what)
{
	(void)arg;
	fprintf(stderr, "soak: %s: %s\n", where, what);
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *send_all(void *arg)
{
	(void)arg;
	uint64_t batch[256];
	const void *msgs[256];
	size_t lens[256], sent;

	for (int i = 0; i < 256; i++) {
		msgs[i] = &batch[i];
		lens[i] = sizeof(batch[i]);
	}
	for (uint64_t next = 0; next < messages;) {
		size_t n = messages - next < 256 ? messages - next : 256;
		for (size_t i = 0; i < n; i++)
			batch[i] = next + i;
		if (rk_send_batch(rt, "src", msgs, lens, n, RK_FOREVER, &sent)
		    != RK_OK) {
			fprintf(stderr, "soak: send: %s\n", rk_errmsg());
			exit(1);
		}
		next += sent;
	}
	rk_send_end(rt, "src", RK_FOREVER);
	return NULL;
}

/* Deactivate a kernel for up to 2 ms, reactivate it, again and again. */
static void *chaos(void *arg)
{
	static const char *const ids[] = { "src", "left", "right", "sink" };
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!done) {
		const char *id = ids[rand_r(&seed) % 4];
		if (rk_deactivate(rt, id) != RK_OK) {
			flips_refused++;
			continue;
		}
		struct timespec pause = { 0, (long)(rand_r(&seed) % 2000) * 1000 };
		nanosleep(&pause, NULL);
		if (rk_reactivate(rt, id) != RK_OK) {
			fprintf(stderr, "soak: reactivate %s: %s\n", id,
				rk_errmsg());
			exit(1);
		}
		flips++;
		pause.tv_nsec = (long)(rand_r(&seed) % 5000) * 1000;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

int main(void)
{
	const char *env = getenv("SOAK_MESSAGES");
	messages = env ? strtoull(env, NULL, 10) : 5000000;
	rk_topology *t;
	pthread_t sender, flipper;

	if (rk_runtime_new(NULL, &rt) != RK_OK)
		return 1;
	for (size_t i = 0; i < 4; i++)
		rk_register_kernel(rt, &kernels[i]);
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	if (rk_topology_parse(topology, strlen(topology), "soak.yaml", diag,
			      NULL, &t) != RK_OK
	    || rk_topology_check(t, rt, NULL, diag, NULL) != RK_OK
	    || rk_topology_start(t, rt, &o) != RK_OK) {
		fprintf(stderr, "soak: %s\n", rk_errmsg());
		return 1;
	}
	const char *out = rk_topology_output(t);
	time_t t0 = time(NULL);
	pthread_create(&sender, NULL, send_all, NULL);
	pthread_create(&flipper, NULL, chaos, (void *)(uintptr_t)t0);

	uint64_t left = 0, right = 0, right_next = 0, v;
	long rss_early = 0, rss_peak = 0;
	size_t len;
	bool ok = true;
	for (;;) {
		rk_error rc = rk_receive(rt, out, &v, sizeof(v), &len, RK_FOREVER);
		if (rc == RK_EEND)
			break;
		if (rc != RK_OK) {
			fprintf(stderr, "soak: receive: %s\n", rk_errmsg());
			return 1;
		}
		uint64_t id = v & ~(LEFT | RIGHT);
		if (v & LEFT) {
			if (id != left) {
				fprintf(stderr, "soak: left: %llu where %llu was due\n",
					(unsigned long long)id,
					(unsigned long long)left);
				ok = false;
			}
			left = id + 1;
		} else if (v & RIGHT) {
			if (id < right_next) {
				fprintf(stderr, "soak: right: %llu again or out of "
					"order\n", (unsigned long long)id);
				ok = false;
			}
			right_next = id + 1;
			right++;
		} else {
			ok = false;
		}
		uint64_t got = left + right;
		if (got == messages / 10)
			rss_early = rss_kib();
		if (got % 65536 == 0 && rss_kib() > rss_peak)
			rss_peak = rss_kib();
	}
	done = true;
	pthread_join(sender, NULL);
	pthread_join(flipper, NULL);

	rk_summary sum;
	rk_get_summary(rt, &sum);
	printf("soak: %llu messages in %lld s, kernels flipped %llu times\n"
	       "soak: left %llu (all, in order); right %llu + %llu dropped "
	       "by drop_oldest = %llu\n"
	       "soak: memory %ld KiB after a tenth, at most %ld KiB\n",
	       (unsigned long long)messages, (long long)(time(NULL) - t0),
	       (unsigned long long)flips, (unsigned long long)left,
	       (unsigned long long)right,
	       (unsigned long long)sum.total_dropped,
	       (unsigned long long)(right + sum.total_dropped),
	       rss_early, rss_peak);
	if (left != messages) {
		fprintf(stderr, "soak: left delivered %llu of %llu\n",
			(unsigned long long)left, (unsigned long long)messages);
		ok = false;
	}
	if (right + sum.total_dropped != messages) {
		fprintf(stderr, "soak: right: %llu delivered + %llu dropped != "
			"%llu sent\n", (unsigned long long)right,
			(unsigned long long)sum.total_dropped,
			(unsigned long long)messages);
		ok = false;
	}
	if (rss_early && rss_peak > rss_early + 16 * 1024) {
		fprintf(stderr, "soak: memory grew from %ld to %ld KiB\n",
			rss_early, rss_peak);
		ok = false;
	}
	rk_topology_free(t);
	rk_runtime_free(rt);
	puts(ok ? "soak: every message accounted for" : "soak: FAILED");
	return ok ? 0 : 1;
}
