/* metrics.c - a runtime's telemetry in the Prometheus text exposition
 * format (version 0.0.4), as exporters write it: counters end in
 * _total, units are in the names (seconds, bytes, messages), latency is
 * a histogram, the state is one gauge per state, and what a kernel is
 * goes in an _info gauge's labels.  `stats --format prometheus` prints
 * it, and the server serves it (server --metrics). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Latency bounds, in seconds: 1-2.5-5 steps from 1 us to 10 s. */
static const double bounds_s[] = {
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define N_BOUNDS (sizeof(bounds_s) / sizeof(*bounds_s))

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{kernel="ID"[,extra]} */
static void series(FILE *f, const char *name, const char *id,
		   const char *extra)
{
	fprintf(f, "%s{kernel=", name);
	label(f, id);
	fprintf(f, "%s%s} ", extra ? "," : "", extra ? extra : "");
}

struct kernel {
	const char *id;
	rk_telemetry t;
	rk_kernel_info info;
};

static void counters(FILE *f, const struct kernel *k, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} c[] = {
#define C(field, help) { "ringctl_" #field "_total", help, \
			 offsetof(rk_telemetry, field) }
		C(messages_received, "Messages taken from the input."),
		C(messages_processed, "Messages processed successfully."),
		C(messages_sent, "Messages written to the output."),
		C(messages_dropped, "Messages dropped, on every queue."),
		C(errors, "Messages the kernel failed on."),
#undef C
	};
	for (size_t j = 0; j < sizeof(c) / sizeof(*c); j++) {
		family(f, c[j].name, "counter", c[j].help);
		for (size_t i = 0; i < n; i++) {
			series(f, c[j].name, k[i].id, NULL);
			fprintf(f, "%llu\n", (unsigned long long)
				*(const uint64_t *)((const char *)&k[i].t
						    + c[j].offset));
		}
	}
}

static void queues(FILE *f, const struct kernel *k, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} g[] = {
		{ "ringctl_queue_messages", "Messages queued now.",
		  offsetof(rk_queue_stats, depth) },
		{ "ringctl_queue_capacity_messages", "Messages a queue holds.",
		  offsetof(rk_queue_stats, capacity) },
		{ "ringctl_queue_high_water_messages",
		  "The most messages a queue has held.",
		  offsetof(rk_queue_stats, high_water) },
	};
	for (size_t j = 0; j < sizeof(g) / sizeof(*g); j++) {
		family(f, g[j].name, "gauge", g[j].help);
		for (size_t i = 0; i < n; i++) {
			const rk_queue_stats *q[2] = { &k[i].t.input,
						       &k[i].t.output };
			for (int side = 0; side < 2; side++) {
				series(f, g[j].name, k[i].id, side
				       ? "queue=\"output\"" : "queue=\"input\"");
				fprintf(f, "%llu\n", (unsigned long long)
					*(const uint64_t *)((const char *)q[side]
							    + g[j].offset));
			}
		}
	}
}

static void latency(FILE *f, rk_runtime *rt, const struct kernel *k,
		    size_t n)
{
	uint64_t le_ns[N_BOUNDS], cumulative[N_BOUNDS], sum, count;

	for (size_t b = 0; b < N_BOUNDS; b++)
		le_ns[b] = (uint64_t)(bounds_s[b] * 1e9 + 0.5);
	family(f, "ringctl_latency_seconds", "histogram",
	       "Time a message spent in the kernel's process call.");
	for (size_t i = 0; i < n; i++) {
		if (rk_get_latency_histogram(rt, k[i].id, le_ns, N_BOUNDS,
					     cumulative, &sum, &count) != RK_OK)
			continue;       /* terminated meanwhile */
		for (size_t b = 0; b < N_BOUNDS; b++) {
			char le[32];
			snprintf(le, sizeof(le), "le=\"%g\"", bounds_s[b]);
			series(f, "ringctl_latency_seconds_bucket", k[i].id, le);
			fprintf(f, "%llu\n", (unsigned long long)cumulative[b]);
		}
		series(f, "ringctl_latency_seconds_bucket", k[i].id,
		       "le=\"+Inf\"");
		fprintf(f, "%llu\n", (unsigned long long)count);
		series(f, "ringctl_latency_seconds_sum", k[i].id, NULL);
		fprintf(f, "%.9f\n", (double)sum / 1e9);
		series(f, "ringctl_latency_seconds_count", k[i].id, NULL);
		fprintf(f, "%llu\n", (unsigned long long)count);
	}
}

static void states(FILE *f, const struct kernel *k, size_t n)
{
	family(f, "ringctl_kernel_state", "gauge",
	       "1 for the state the kernel is in, 0 for the others.");
	for (size_t i = 0; i < n; i++) {
		for (int s = RK_STATE_LAUNCHED; s <= RK_STATE_FAILED; s++) {
			char extra[48];
			snprintf(extra, sizeof(extra), "state=\"%s\"",
				 rk_state_name((rk_state)s));
			series(f, "ringctl_kernel_state", k[i].id, extra);
			fprintf(f, "%d\n", k[i].t.state == (rk_state)s);
		}
	}
	family(f, "ringctl_kernel_info", "gauge",
	       "What a kernel is, in its labels; always 1.");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "ringctl_kernel_info{kernel=");
		label(f, k[i].id);
		fprintf(f, ",name=");
		label(f, k[i].info.desc ? k[i].info.desc->name : "");
		fprintf(f, ",backend=\"%s\",replicas=\"%u\"} 1\n",
			rk_backend_name(k[i].t.backend),
			k[i].info.replicas ? k[i].info.replicas : 1);
	}
	family(f, "ringctl_uptime_seconds", "gauge",
	       "Time since the kernel was launched.");
	for (size_t i = 0; i < n; i++) {
		series(f, "ringctl_uptime_seconds", k[i].id, NULL);
		fprintf(f, "%.3f\n", k[i].t.uptime_s);
	}
}

/* The GPU's figures, for kernels on one (NVML's where the driver has
 * them). */
static void devices(FILE *f, const struct kernel *k, size_t n)
{
	static const struct {
		const char *name, *type, *help;
	} d[] = {
		{ "ringctl_device_memory_total_bytes", "gauge",
		  "The device's memory." },
		{ "ringctl_device_memory_free_bytes", "gauge",
		  "The device's memory free." },
		{ "ringctl_device_batches_total", "counter",
		  "Batches the device loop has run." },
		{ "ringctl_device_utilization_ratio", "gauge",
		  "How busy the device was lately, 0 to 1 (NVML)." },
		{ "ringctl_device_temperature_celsius", "gauge",
		  "The device's temperature (NVML)." },
		{ "ringctl_device_power_watts", "gauge",
		  "Power the device draws (NVML)." },
	};
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= k[i].t.backend == RK_BACKEND_CUDA;
	if (!any)
		return;
	for (size_t j = 0; j < sizeof(d) / sizeof(*d); j++) {
		family(f, d[j].name, d[j].type, d[j].help);
		for (size_t i = 0; i < n; i++) {
			const rk_telemetry *t = &k[i].t;
			double v[] = {
				(double)t->device_memory_total,
				(double)t->device_memory_free,
				(double)t->device_batches,
				t->device_utilization / 100.0,
				t->device_temperature,
				t->device_power_mw / 1000.0,
			};
			bool known[] = { t->device_memory_total != 0,
					 t->device_memory_total != 0, true,
					 t->device_utilization >= 0,
					 t->device_temperature >= 0,
					 t->device_power_mw >= 0 };
			if (t->backend != RK_BACKEND_CUDA || !known[j])
				continue;
			fprintf(f, "%s{kernel=", d[j].name);
			label(f, k[i].id);
			fprintf(f, ",device=");
			label(f, t->device);
			fprintf(f, "} %.17g\n", v[j]);
		}
	}
}

char *metrics_exposition(rk_runtime *rt, char *const *ids, size_t n,
			 size_t *len, rk_error *err)
{
	struct kernel *k = calloc(n ? n : 1, sizeof(*k));
	char *text = NULL;
	size_t got = 0;
	FILE *f;

	*err = RK_OK;
	if (!k || !(f = open_memstream(&text, len))) {
		free(k);
		*err = RK_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		k[got].id = ids[i];
		rk_error rc = rk_get_telemetry(rt, ids[i], &k[got].t);
		if (rc == RK_OK)
			rc = rk_get_kernel_info(rt, ids[i], &k[got].info);
		if (rc == RK_OK)
			got++;
		else if (rc != RK_ENOTFOUND)
			*err = rc;      /* not one that just went */
	}
	if (*err == RK_OK) {
		family(f, "ringctl_kernels", "gauge", "Kernels in the runtime.");
		fprintf(f, "ringctl_kernels %zu\n", got);
		counters(f, k, got);
		queues(f, k, got);
		latency(f, rt, k, got);
		states(f, k, got);
		devices(f, k, got);
	}
	free(k);
	if (fclose(f) != 0 || *err != RK_OK) {
		free(text);
		if (*err == RK_OK)
			*err = RK_ENOMEM;
		return NULL;
	}
	return text;
}
