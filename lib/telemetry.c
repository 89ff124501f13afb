/* telemetry.c - what the runtime tells about its kernels: ids, states,
 * counters, queue depths, latency percentiles and the summary. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rk-error.h"
#include "device.h"
#include "runtime.h"
#include "kernel-table.h"

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The one size of a last error, in the kernel and where it is told. */
#define RK_LAST_ERROR_MAX 128
_Static_assert(sizeof(((rk_kernel *)0)->last_error) == RK_LAST_ERROR_MAX
	       && sizeof(((rk_telemetry *)0)->last_error) == RK_LAST_ERROR_MAX
	       && sizeof(((rk_kernel_info *)0)->last_error) == RK_LAST_ERROR_MAX,
	       "last_error sizes differ");

/* Why the kernel failed last; a group's, that of its last replica that
 * has a reason. */
static void last_error_of(rk_kernel *k, char out[RK_LAST_ERROR_MAX])
{
	out[0] = '\0';
	for (size_t i = 0; i < k->n_replicas; i++) {
		char one[RK_LAST_ERROR_MAX];
		last_error_of(k->replicas[i], one);
		if (one[0])
			memcpy(out, one, RK_LAST_ERROR_MAX);
	}
	if (k->n_replicas)
		return;
	pthread_mutex_lock(&k->error_lock);
	memcpy(out, k->last_error, RK_LAST_ERROR_MAX);
	pthread_mutex_unlock(&k->error_lock);
}

rk_error rk_get_kernel_info(rk_runtime *rt, const char *id,
			    rk_kernel_info *info)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	info->desc = k->desc;
	info->replicas = (uint32_t)k->n_replicas;
	info->state = rk_kernel_state(k);
	info->backend = k->backend;
	info->max_message = k->input->max_payload;
	last_error_of(k, info->last_error);
	rk_kernel_put(k);
	return RK_OK;
}

rk_error rk_get_state(rk_runtime *rt, const char *id, rk_state *state)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	*state = rk_kernel_state(k);
	rk_kernel_put(k);
	if (*state == RK_STATE_TERMINATED)
		return rk_fail(RK_ENOTFOUND, "kernel '%s' not found", id);
	return RK_OK;
}

static void add_port(rk_queue_stats *q, rk_port *p)
{
	uint64_t hw = load(&p->high_water);

	q->depth += rk_port_depth(p);
	q->capacity += p->capacity;
	q->dropped += load(&p->dropped) + load(&p->trimmed);
	q->rejected += load(&p->rejected);
	if (hw > q->high_water)
		q->high_water = hw;
}

/* Every drop on this kernel's queues and by its executor. */
static uint64_t dropped(rk_kernel *k, const rk_telemetry *t)
{
	uint64_t own_output = k->n_outputs && !k->keeps_output
			      ? 0 : load(&k->output->dropped)
				    + load(&k->output->trimmed);
	return t->input.dropped + own_output + load(&k->cb.dropped);
}

static void fill(rk_kernel *k, rk_telemetry *t);

/* A replicated kernel tells what its replicas do, added up; latency
 * from their histograms merged. */
static void fill_group(rk_kernel *k, rk_telemetry *t)
{
	static _Thread_local rk_hist merged;
	rk_telemetry one;
	rk_hist_init(&merged);
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < k->n_replicas; i++) {
		rk_kernel *r = k->replicas[i];
		fill(r, &one);
		t->messages_received += one.messages_received;
		t->messages_processed += one.messages_processed;
		t->messages_sent += one.messages_sent;
		t->messages_dropped += one.messages_dropped;
		t->errors += one.errors;
		t->input.depth += one.input.depth;
		t->input.capacity += one.input.capacity;
		t->input.dropped += one.input.dropped;
		t->input.rejected += one.input.rejected;
		if (one.input.high_water > t->input.high_water)
			t->input.high_water = one.input.high_water;
		t->output.depth += one.output.depth;
		t->output.capacity += one.output.capacity;
		if (one.output.high_water > t->output.high_water)
			t->output.high_water = one.output.high_water;
		t->throughput += one.throughput;
		for (unsigned b = 0; b < RK_HIST_BUCKETS; b++)
			merged.buckets[b] += load(&r->latency.buckets[b]);
		merged.count += load(&r->latency.count);
		merged.sum += load(&r->latency.sum);
		if (one.latency_count && one.latency_min_ns < merged.min)
			merged.min = one.latency_min_ns;
		if (one.latency_max_ns > merged.max)
			merged.max = one.latency_max_ns;
	}
	last_error_of(k, t->last_error);
	t->latency_count = merged.count;
	if (merged.count) {
		t->latency_min_ns = merged.min;
		t->latency_max_ns = merged.max;
		t->latency_avg_ns = merged.sum / merged.count;
		t->latency_p50_ns = rk_hist_quantile(&merged, 0.50);
		t->latency_p99_ns = rk_hist_quantile(&merged, 0.99);
	}
	t->uptime_s = (double)(rk_now_ns() - k->launch_ns) / 1e9;
	t->state = rk_kernel_state(k);
	t->backend = k->backend;
	/* The device's name and memory; its loop's figures, of replica 1. */
	if (k->n_replicas)
		rk_device_telemetry(k->replicas[0], t);
}

static void fill(rk_kernel *k, rk_telemetry *t)
{
	uint64_t now = rk_now_ns();

	if (k->n_replicas) {
		fill_group(k, t);
		return;
	}
	size_t n_out;
	rk_port *const *outs = rk_kernel_outputs(k, &n_out);

	memset(t, 0, sizeof(*t));
	t->messages_received = load(&k->cb.received);
	t->messages_processed = load(&k->cb.processed);
	t->messages_sent = load(&k->cb.sent);
	t->errors = load(&k->cb.errors);
	for (size_t i = 0; i < k->n_inputs; i++)
		add_port(&t->input, k->inputs[i]);
	for (size_t i = 0; i < n_out; i++)
		add_port(&t->output, outs[i]);
	t->messages_dropped = dropped(k, t);
	last_error_of(k, t->last_error);
	/* Before the throughput: it adds what came over a device link. */
	rk_device_telemetry(k, t);

	t->latency_count = load(&k->latency.count);
	if (t->latency_count) {
		t->latency_min_ns = load(&k->latency.min);
		t->latency_max_ns = load(&k->latency.max);
		t->latency_avg_ns = load(&k->latency.sum) / t->latency_count;
		t->latency_p50_ns = rk_hist_quantile(&k->latency, 0.50);
		t->latency_p99_ns = rk_hist_quantile(&k->latency, 0.99);
	}
	uint64_t active = load(&k->active_ns);
	uint64_t since = load(&k->active_since_ns);
	if (since && now > since)
		active += now - since;
	if (active)
		t->throughput = (double)t->messages_processed * 1e9
				/ (double)active;
	t->uptime_s = (double)(now - k->launch_ns) / 1e9;
	t->state = rk_kernel_state(k);
	t->backend = k->backend;
}

rk_error rk_get_telemetry(rk_runtime *rt, const char *id, rk_telemetry *out)
{
	rk_kernel *k;
	rk_error rc;

	if (!rt || !out)
		return rk_fail(RK_EINVAL, "no runtime or no place for telemetry");
	if (!rt->telemetry)
		return rk_fail(RK_ENODATA, "telemetry is disabled");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	fill(k, out);
	rk_kernel_put(k);
	return RK_OK;
}

/* ---- the rate of the last second ---------------------------------- */

/* Processed counts are taken when slots go back, a little after the
 * message was processed; the window's edges move with them. */
void rk_rate_note(rk_kernel *k, uint64_t now)
{
	uint64_t start = k->rate.start_ns;      /* only this thread writes */

	__atomic_store_n(&k->rate.last_ns, now, __ATOMIC_RELAXED);
	if (start && now - start < RK_RATE_WINDOW_NS)
		return;
	uint64_t count = load(&k->cb.processed);
	if (start) {
		double rate = (double)(count - k->rate.start_count) * 1e9
			      / (double)(now - start);
		uint64_t bits;
		memcpy(&bits, &rate, sizeof(bits));
		__atomic_store_n(&k->rate.last_bits, bits, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&k->rate.start_count, count, __ATOMIC_RELAXED);
	__atomic_store_n(&k->rate.start_ns, now, __ATOMIC_RELEASE);
}

/* One kernel's rate now: the current window's count, topped up with
 * the last window's rate for the part of a second it has not yet
 * covered; a window older than a second counts its idle time, and a
 * kernel that processed nothing for a second (paused, or starved) is
 * at 0. */
static double rate_of(rk_kernel *k, uint64_t now)
{
	uint64_t start = __atomic_load_n(&k->rate.start_ns, __ATOMIC_ACQUIRE);
	uint64_t count0 = __atomic_load_n(&k->rate.start_count,
					  __ATOMIC_RELAXED);
	uint64_t bits = __atomic_load_n(&k->rate.last_bits, __ATOMIC_RELAXED);
	uint64_t count = load(&k->cb.processed);
	double last;

	uint64_t last_ns = __atomic_load_n(&k->rate.last_ns, __ATOMIC_RELAXED);
	if (!start || now <= start
	    || (now > last_ns && now - last_ns >= RK_RATE_WINDOW_NS))
		return 0;
	memcpy(&last, &bits, sizeof(last));
	double elapsed = (double)(now - start);
	double window = (double)RK_RATE_WINDOW_NS;
	double done = count > count0 ? (double)(count - count0) : 0;
	if (elapsed >= window)
		return done * 1e9 / elapsed;
	return (done + last * (window - elapsed) / 1e9) * 1e9 / window;
}

rk_error rk_get_rate(rk_runtime *rt, const char *id, double *per_second)
{
	rk_kernel *k;
	rk_error rc;

	if (!rt || !per_second)
		return rk_fail(RK_EINVAL, "no runtime or no place for the rate");
	if (!rt->telemetry)
		return rk_fail(RK_ENODATA, "telemetry is disabled");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	uint64_t now = rk_now_ns();
	*per_second = 0;
	if (k->n_replicas)
		for (size_t i = 0; i < k->n_replicas; i++)
			*per_second += rate_of(k->replicas[i], now);
	else
		*per_second = rate_of(k, now);
	rk_kernel_put(k);
	return RK_OK;
}

/* ---- the latency histogram, in the caller's buckets ----------------- */

/* Add one kernel's fine buckets into the caller's: a fine bucket counts
 * toward every bound at or above its highest value (cumulative, as
 * Prometheus's le buckets are). */
static void add_buckets(rk_kernel *k, const uint64_t *le_ns, size_t n,
			uint64_t *cumulative, uint64_t *sum_ns,
			uint64_t *count)
{
	for (unsigned b = 0; b < RK_HIST_BUCKETS; b++) {
		uint64_t c = load(&k->latency.buckets[b]);
		if (!c)
			continue;
		uint64_t top = b + 1 < RK_HIST_BUCKETS
			       ? rk_hist_bucket_low(b + 1) - 1 : UINT64_MAX;
		for (size_t i = 0; i < n; i++)
			if (top <= le_ns[i])
				cumulative[i] += c;
		*count += c;
	}
	*sum_ns += load(&k->latency.sum);
}

rk_error rk_get_latency_histogram(rk_runtime *rt, const char *id,
				  const uint64_t *le_ns, size_t n,
				  uint64_t *cumulative, uint64_t *sum_ns,
				  uint64_t *count)
{
	rk_kernel *k;
	rk_error rc;

	if (!rt || (n && (!le_ns || !cumulative)) || !sum_ns || !count)
		return rk_fail(RK_EINVAL, "no runtime or no place for the "
			       "histogram");
	for (size_t i = 1; i < n; i++)
		if (le_ns[i] <= le_ns[i - 1])
			return rk_fail(RK_EINVAL, "the bounds must rise");
	if (!rt->telemetry)
		return rk_fail(RK_ENODATA, "telemetry is disabled");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	memset(cumulative, 0, n * sizeof(*cumulative));
	*sum_ns = *count = 0;
	if (k->n_replicas)
		for (size_t r = 0; r < k->n_replicas; r++)
			add_buckets(k->replicas[r], le_ns, n, cumulative,
				    sum_ns, count);
	else
		add_buckets(k, le_ns, n, cumulative, sum_ns, count);
	rk_kernel_put(k);
	return RK_OK;
}

rk_error rk_get_summary(rk_runtime *rt, rk_summary *out)
{
	char **ids;
	size_t n;
	rk_error rc;

	if (!rt || !out)
		return rk_fail(RK_EINVAL, "no runtime or no place for a summary");
	if ((rc = rk_kernel_ids(rt, &ids, &n)) != RK_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		rk_kernel *k;
		rk_telemetry t;
		if (rk_kernel_get(rt, ids[i], &k) != RK_OK)
			continue;       /* terminated meanwhile */
		fill(k, &t);
		rk_kernel_put(k);
		out->kernel_count++;
		out->active_count += t.state == RK_STATE_ACTIVE;
		out->total_processed += t.messages_processed;
		out->total_dropped += t.messages_dropped;
		out->total_errors += t.errors;
	}
	rk_free_ids(ids, n);
	out->uptime_s = (double)(rk_now_ns() - rt->start_ns) / 1e9;
	out->gpu_utilization = -1;
	return RK_OK;
}
