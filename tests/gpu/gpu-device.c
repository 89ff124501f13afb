/* gpu-device.c - the device protocol on a real GPU, through the C API
 * (run by device.sh, which skips where there is no device).  What the
 * CPU tests check with the device loop in a host thread, here against
 * a persistent kernel reading and writing pinned memory over PCIe:
 * every message once and in order under load, single round trips,
 * confirmed pause and resume, terminate draining through the device.
 * Speaks TAP; round-trip figures are comments, not verdicts. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringkernel.h>

static int n_tests, failed;

static void report(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n_tests, what);
	if (!ok) {
		printf("# %s\n", rk_errmsg());
		failed = 1;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct feed {
	rk_runtime *rt;
	int64_t count;
	int ok;
};

static void *feeder(void *arg)
{
	struct feed *f = arg;
	int64_t v[256];
	const void *msgs[256];
	size_t lens[256], sent;

	f->ok = 1;
	for (int64_t next = 0; next < f->count;) {
		size_t n = 0;
		for (; n < 256 && next + (int64_t)n < f->count; n++) {
			v[n] = next + (int64_t)n;
			msgs[n] = &v[n];
			lens[n] = sizeof(v[n]);
		}
		if (rk_send_batch(f->rt, "d", msgs, lens, n, 30.0, &sent)
		    != RK_OK) {
			f->ok = 0;
			return NULL;
		}
		next += (int64_t)sent;
	}
	return NULL;
}

struct check {
	int64_t next;
	int ok;
};

static int take(void *arg, const rk_envelope *env, const void *data,
		size_t len)
{
	struct check *c = arg;
	int64_t r;

	(void)env;
	memcpy(&r, data, sizeof(r));
	if (len != sizeof(r) || r != 2 * c->next)
		c->ok = 0;
	c->next++;
	return 0;
}

static void in_order(rk_runtime *rt, int64_t count)
{
	struct feed f = { rt, count, 0 };
	struct check c = { 0, 1 };
	pthread_t t;
	size_t got;
	char what[80];

	pthread_create(&t, NULL, feeder, &f);
	while (c.ok && c.next < count)
		if (rk_receive_batch(rt, "d", 4096, 30.0, take, &c, &got)
		    != RK_OK)
			break;
	pthread_join(t, NULL);
	snprintf(what, sizeof(what), "%lld messages, each once, in order",
		 (long long)count);
	report(f.ok && c.ok && c.next == count, what);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void round_trips(rk_runtime *rt, int n)
{
	uint64_t *ns = calloc((size_t)n, sizeof(*ns));
	int ok = ns != NULL;

	for (int i = 0; ok && i < n; i++) {
		int64_t v = i, r;
		size_t len;
		uint64_t t0 = now_ns();
		ok = rk_send(rt, "d", &v, sizeof(v), 5.0) == RK_OK
		     && rk_receive(rt, "d", &r, sizeof(r), &len, 5.0) == RK_OK
		     && r == 2 * v;
		ns[i] = now_ns() - t0;
	}
	report(ok, "single round trips");
	if (ok) {
		qsort(ns, (size_t)n, sizeof(*ns), cmp_u64);
		printf("# round trip over %d: p50 %.2f us, p99 %.2f us\n", n,
		       ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3);
	}
	free(ns);
}

int main(void)
{
	const char *dir = getenv("RINGCTL_PLUGIN_PATH");
	char path[4096];
	rk_runtime_options ro = RK_RUNTIME_OPTIONS_INIT;
	rk_launch_options lo = RK_LAUNCH_OPTIONS_INIT;
	rk_runtime *rt;
	rk_telemetry t0, t1;

	ro.telemetry = 1;
	/* The build's backend (make check sets it): the library takes
	 * options, not the environment. */
	ro.cuda_module = getenv("RK_CUDA_MODULE");
	snprintf(path, sizeof(path), "%s/doubler.so", dir ? dir : ".");
	if (rk_runtime_new(&ro, &rt) != RK_OK
	    || rk_load_plugin(rt, path, NULL) != RK_OK) {
		printf("1..0 # SKIP %s\n", rk_errmsg());
		return 77;
	}
	lo.kernel = "doubler";
	lo.backend = RK_BACKEND_CUDA;
	if (rk_launch(rt, "d", NULL, &lo) == RK_EBACKEND) {
		printf("# %s\n", rk_errmsg());
		return 77;
	}
	printf("1..7\n");
	report(rk_activate(rt, "d") == RK_OK, "activate, confirmed by the device");
	in_order(rt, 1000000);
	round_trips(rt, 10000);

	report(rk_deactivate(rt, "d") == RK_OK
	       && rk_get_telemetry(rt, "d", &t0) == RK_OK,
	       "deactivate, confirmed");
	int ok = 1;
	for (int64_t v = 0; ok && v < 100; v++)
		ok = rk_send(rt, "d", &v, sizeof(v), 5.0) == RK_OK;
	struct timespec pause = { 0, 50000000 };
	nanosleep(&pause, NULL);
	report(ok && rk_get_telemetry(rt, "d", &t1) == RK_OK
	       && t1.device_batches == t0.device_batches
	       && t1.input.depth == 100, "a paused device takes nothing");

	report(rk_reactivate(rt, "d") == RK_OK, "reactivate");
	rk_terminate_report r;
	report(rk_terminate_ex(rt, "d", 10.0, &r) == RK_OK
	       && r.dropped_input == 0 && r.unread_output == 100,
	       "terminate drains through the device");
	rk_runtime_free(rt);
	return failed;
}
