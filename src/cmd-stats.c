/* cmd-stats.c - `ringctl stats [ID...] [--format table|json|prometheus]
 * [--watch[=S]]`: telemetry, counted by the kernels themselves. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "output.h"
#include "serve.h"

enum format { TABLE, JSON, PROMETHEUS };

/* A kernel's figures as one look took them: its telemetry, and the
 * rate of the last second (rk_get_rate). */
struct look {
	rk_telemetry t;
	double rate;
};

static void table_head(void)
{
	out_printf("%-12s %-11s %10s %8s %7s %8s %8s %9s\n", "ID", "STATE",
		   "PROCESSED", "DROPPED", "ERRORS", "P50 ns", "P99 ns", "MSGS/S");
}

/* MSGS/S is the rate now, as top and docker stats show theirs; the
 * lifetime average is in the JSON, named as such. */
static void table_row(const char *id, const struct look *l)
{
	const rk_telemetry *t = &l->t;

	out_printf("%-12.12s %-11s %10llu %8llu %7llu %8llu %8llu %9.0f\n", id,
		   rk_state_name(t->state),
		   (unsigned long long)t->messages_processed,
		   (unsigned long long)t->messages_dropped,
		   (unsigned long long)t->errors,
		   (unsigned long long)t->latency_p50_ns,
		   (unsigned long long)t->latency_p99_ns, l->rate);
}

/* Below the table: why a kernel failed, or what it failed on last, as
 * systemctl status says why a unit failed. */
static void table_errors(char **ids, const struct look *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].t.last_error[0])
			out_printf("%s: last error: %s\n", ids[i],
				   l[i].t.last_error);
}

static void escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			out[n++] = '\\', out[n++] = (char)c;
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static double or_zero(double d)
{
	return isfinite(d) ? d : 0;
}

/* The telemetry names of the design, one object per line. */
/* A kernel id as a JSON string, or null for none. */
static void json_id_or_null(const char *id)
{
	char e[160];

	if (!id[0]) {
		out_printf("null");
		return;
	}
	escape(e, sizeof(e), id);
	out_printf("\"%s\"", e);
}

/* A figure that may be unknown (-1). */
static void json_int_or_null(int32_t v)
{
	if (v < 0)
		out_printf("null");
	else
		out_printf("%d", v);
}

/* One object a kernel; `time` (seconds since the epoch) first when the
 * records are a series (--watch into a pipe or file). */
static void json_row(const char *id, const struct look *l, double time)
{
	const rk_telemetry *t = &l->t;
	char eid[160], err[300];

	escape(eid, sizeof(eid), id);
	escape(err, sizeof(err), t->last_error);
	if (time > 0)
		out_printf("{\"time\":%.3f,", time);
	else
		out_printf("{");
	out_printf("\"id\":\"%s\",\"state\":\"%s\",\"backend\":\"%s\","
		   "\"messages_received\":%llu,\"messages_processed\":%llu,"
		   "\"messages_sent\":%llu,\"messages_dropped\":%llu,"
		   "\"errors\":%llu,\"last_error\":\"%s\","
		   "\"input_depth\":%llu,\"input_high_water\":%llu,"
		   "\"input_capacity\":%llu,\"output_depth\":%llu,"
		   "\"output_high_water\":%llu,\"output_capacity\":%llu,"
		   "\"latency_min_ns\":%llu,\"latency_avg_ns\":%llu,"
		   "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu,"
		   "\"latency_max_ns\":%llu,\"rate\":%.1f,\"throughput\":%.1f,"
		   "\"uptime\":%.3f,\"device\":", eid, rk_state_name(t->state),
		   rk_backend_name(t->backend),
		   (unsigned long long)t->messages_received,
		   (unsigned long long)t->messages_processed,
		   (unsigned long long)t->messages_sent,
		   (unsigned long long)t->messages_dropped,
		   (unsigned long long)t->errors, err,
		   (unsigned long long)t->input.depth,
		   (unsigned long long)t->input.high_water,
		   (unsigned long long)t->input.capacity,
		   (unsigned long long)t->output.depth,
		   (unsigned long long)t->output.high_water,
		   (unsigned long long)t->output.capacity,
		   (unsigned long long)t->latency_min_ns,
		   (unsigned long long)t->latency_avg_ns,
		   (unsigned long long)t->latency_p50_ns,
		   (unsigned long long)t->latency_p99_ns,
		   (unsigned long long)t->latency_max_ns, or_zero(l->rate),
		   or_zero(t->throughput), t->uptime_s);
	if (t->backend != RK_BACKEND_CUDA) {
		out_printf("null}\n");
		return;
	}
	char dev[160];
	escape(dev, sizeof(dev), t->device);
	out_printf("{\"name\":\"%s\",\"mode\":\"%s\",\"memory_total\":%llu,"
		   "\"memory_free\":%llu,\"threads\":%u,\"batches\":%llu,"
		   "\"heartbeat\":%llu,\"link_from\":", dev,
		   t->device_mode[0] ? t->device_mode : "persistent",
		   (unsigned long long)t->device_memory_total,
		   (unsigned long long)t->device_memory_free, t->device_threads,
		   (unsigned long long)t->device_batches,
		   (unsigned long long)t->device_heartbeat);
	json_id_or_null(t->device_link_from);
	out_printf(",\"link_to\":");
	json_id_or_null(t->device_link_to);
	out_printf(",\"utilization\":");
	json_int_or_null(t->device_utilization);
	out_printf(",\"temperature_c\":");
	json_int_or_null(t->device_temperature);
	out_printf(",\"power_w\":");
	if (t->device_power_mw < 0)
		out_printf("null");
	else
		out_printf("%.1f", t->device_power_mw / 1000.0);
	out_printf("}}\n");
}

/* Below the table: where the kernels on a device run. */
static void table_devices(char **ids, const struct look *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].t.backend != RK_BACKEND_CUDA)
			continue;
		out_printf("%s: on %s (%s), %u threads, %llu batches", ids[i],
			   l[i].t.device, l[i].t.device_mode[0]
			   ? l[i].t.device_mode : "persistent",
			   l[i].t.device_threads,
			   (unsigned long long)l[i].t.device_batches);
		if (l[i].t.device_memory_total)
			out_printf(", %llu of %llu MiB free",
				   (unsigned long long)(l[i].t.device_memory_free
							>> 20),
				   (unsigned long long)(l[i].t.device_memory_total
							>> 20));
		if (l[i].t.device_utilization >= 0)
			out_printf(", %d%% busy", l[i].t.device_utilization);
		if (l[i].t.device_temperature >= 0)
			out_printf(", %d C", l[i].t.device_temperature);
		if (l[i].t.device_power_mw >= 0)
			out_printf(", %.0f W", l[i].t.device_power_mw / 1000.0);
		if (l[i].t.device_link_from[0])
			out_printf(", device link from %s",
				   l[i].t.device_link_from);
		if (l[i].t.device_link_to[0])
			out_printf(", device link to %s", l[i].t.device_link_to);
		out_printf("\n");
	}
}

/* How a report is shown. */
struct shown {
	enum format format;
	bool series;            /* --watch into a pipe or file: JSON lines,
				 * each with its time */
};

static void summary(enum format f)
{
	rk_summary s;

	if (rk_get_summary(serve_runtime(), &s) != RK_OK)
		return;
	if (f == TABLE)
		out_printf("%zu kernels, %llu active, %llu processed, %llu "
			   "dropped, %llu errors, up %.0f s\n",
			   (size_t)s.kernel_count,
			   (unsigned long long)s.active_count,
			   (unsigned long long)s.total_processed,
			   (unsigned long long)s.total_dropped,
			   (unsigned long long)s.total_errors, s.uptime_s);
	else
		out_printf("{\"summary\":{\"kernel_count\":%llu,"
			   "\"active_count\":%llu,\"total_processed\":%llu,"
			   "\"total_dropped\":%llu,\"total_errors\":%llu,"
			   "\"uptime\":%.3f,\"gpu_utilization\":null}}\n",
			   (unsigned long long)s.kernel_count,
			   (unsigned long long)s.active_count,
			   (unsigned long long)s.total_processed,
			   (unsigned long long)s.total_dropped,
			   (unsigned long long)s.total_errors, s.uptime_s);
}

static int report(char **ids, size_t n, const struct shown *how, bool all)
{
	struct look *l = calloc(n ? n : 1, sizeof(*l));
	int status = EXIT_OK;
	struct timespec now;

	if (!l)
		return serve_failure(RK_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		rk_error rc = rk_get_telemetry(serve_runtime(), ids[i], &l[i].t);
		if (rc == RK_OK)
			rc = rk_get_rate(serve_runtime(), ids[i], &l[i].rate);
		if (rc != RK_OK) {
			status = serve_failure(rc);
			free(l);
			return status;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	double time = how->series ? (double)now.tv_sec
				    + (double)now.tv_nsec / 1e9 : 0;
	if (how->format == PROMETHEUS) {
		size_t len;
		rk_error rc;
		char *text = metrics_exposition(serve_runtime(), ids, n, &len,
						&rc);
		if (!text)
			status = serve_failure(rc);
		else
			out_write(text, len);
		free(text);
	} else if (how->format == JSON) {
		for (size_t i = 0; i < n; i++)
			json_row(ids[i], &l[i], time);
		if (all && !how->series)
			summary(JSON);
	} else {
		table_head();
		for (size_t i = 0; i < n; i++)
			table_row(ids[i], &l[i]);
		table_devices(ids, l, n);
		table_errors(ids, l, n);
		if (all)
			summary(TABLE);
	}
	free(l);
	return status;
}

/* In the order of enum format. */
static const char *const formats[] = { "table", "json", "prometheus", NULL };

static const struct cmd_option stats_options[] = {
	OPTION_FORMATS(formats, "table (default), json (one object per "
		       "line, with\nthe design's names) or prometheus"),
	{ .id = 'w', .name = "watch", .arg = OPTION_OPTIONAL_ARG, .metavar = "S",
	  .help = "again every S seconds (default 1)",
	  .type = OPTION_SECONDS, .wants = "seconds" },
	{ 0 }
};

struct stats_opts {
	enum format format;
	double every;           /* 0: once */
};

static int take_stats_option(void *opts, int id, const struct option_value *v)
{
	struct stats_opts *o = opts;

	if (id == 'w')
		o->every = v->arg ? v->seconds : 1;
	else
		o->format = (enum format)option_format(id, v);
	return EXIT_OK;
}

static int cmd_stats_exec(const struct global_opts *g, int argc, char **argv)
{
	struct stats_opts o = { .format = TABLE };
	int status, first = cmd_parse_options(&cmd_stats_entry, argc, argv, &o,
					      &status);

	if (first < 0)
		return status;
	double every = o.every;
	/* Watching: a terminal is a screen, redrawn in place as top does;
	 * a pipe or file gets a series of timestamped JSON records. */
	bool screen = every > 0 && out_is_terminal();
	struct shown how = { .format = o.format,
			     .series = every > 0 && !screen
				       && o.format != PROMETHEUS };
	if (how.series)
		how.format = JSON;
	for (bool again = false; ; again = true) {
		char **ids = argv + first;
		size_t n = (size_t)(argc - first);
		bool all = n == 0;
		if (all && rk_kernel_ids(serve_runtime(), &ids, &n) != RK_OK)
			return serve_failure(RK_ENOMEM);
		/* A screen is cleared and drawn from the top, as watch(1)
		 * does. */
		if (screen)
			out_printf("\033[H\033[2J");
		else if (again && !how.series)
			out_printf("\n");
		status = report(ids, n, &how, all);
		if (all)
			rk_free_ids(ids, n);
		if (!out_flush() || status != EXIT_OK || every <= 0)
			return status;
		struct timespec ts = { (time_t)every,
				       (long)((every - (double)(time_t)every) * 1e9) };
		nanosleep(&ts, NULL);
		if (!session_alive(output_session()))
			return EXIT_OK;
	}
}

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.flags = CMD_SERVER,
	.usage = "[ID...] [--format table|json|prometheus] [--watch[=S]]",
	.summary = "telemetry of kernels, and a summary",
	.options = stats_options,
	.take_option = take_stats_option,
	.help_column = 20,
	.exec = cmd_stats_exec,
};
