/* cmd-list.c - `ringctl list [--json]`: the server's kernels, their
 * plugin kernel, state, backend and queue depths. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "serve.h"
#include "xmalloc.h"

static void json_string(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s && n + 8 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
}

static const struct cmd_option list_options[] = {
	OPTION_FORMATS(option_table_or_json, "table (default) or json: one "
		       "object per kernel"),
	{ 0 }
};

/* One more "FROM -> TO" line. */
static char *edge_line(char *edges, size_t *len, const char *from,
		       const char *to)
{
	size_t more = strlen(from) + strlen(to) + 5;

	edges = xrealloc(edges, *len + more + 1);
	*len += (size_t)snprintf(edges + *len, more + 1, "%s -> %s\n", from,
				 to);
	return edges;
}

static int cmd_list_exec(const struct global_opts *g, int argc, char **argv)
{
	bool json = false;
	char **ids;
	size_t n;
	char *edges = NULL;             /* "a -> b" lines, for under the table */
	size_t edges_len = 0;
	int status, first = cmd_parse_options(&cmd_list_entry, argc, argv,
					      &json, &status);

	if (first < 0)
		return status;
	if (first < argc)
		return usage_error("list takes no operands");
	rk_error rc = rk_kernel_ids(serve_runtime(), &ids, &n);
	if (rc != RK_OK)
		return serve_failure(rc);
	if (!json)
		out_printf("%-16s %-14s %-11s %-7s %10s %10s\n", "ID", "KERNEL",
			   "STATE", "BACKEND", "IN", "OUT");
	for (size_t i = 0; i < n; i++) {
		rk_kernel_info info;
		rk_telemetry t;
		if (rk_get_kernel_info(serve_runtime(), ids[i], &info) != RK_OK
		    || rk_get_telemetry(serve_runtime(), ids[i], &t) != RK_OK)
			continue;       /* terminated meanwhile */
		char **to = NULL;
		size_t n_to = 0;
		rk_kernel_feeds(serve_runtime(), ids[i], &to, &n_to);
		if (json) {
			char id[160], kernel[160], feeds[2048] = "";
			json_string(id, sizeof(id), ids[i]);
			json_string(kernel, sizeof(kernel), info.desc->name);
			for (size_t j = 0, used = 0; j < n_to; j++) {
				char one[160];
				json_string(one, sizeof(one), to[j]);
				used += (size_t)snprintf(feeds + used,
							 sizeof(feeds) - used,
							 "%s%s", j ? "," : "",
							 one);
				if (used >= sizeof(feeds))
					break;
			}
			out_printf("{\"id\":%s,\"kernel\":%s,\"state\":\"%s\","
				   "\"backend\":\"%s\",\"replicas\":%u,"
				   "\"feeds\":[%s],"
				   "\"input_depth\":%llu,\"input_capacity\":%llu,"
				   "\"output_depth\":%llu,"
				   "\"output_capacity\":%llu}\n", id, kernel,
				   rk_state_name(info.state),
				   rk_backend_name(info.backend),
				   info.replicas ? info.replicas : 1, feeds,
				   (unsigned long long)t.input.depth,
				   (unsigned long long)t.input.capacity,
				   (unsigned long long)t.output.depth,
				   (unsigned long long)t.output.capacity);
		} else {
			char in[24], out[24], name[32];
			snprintf(in, sizeof(in), "%llu/%llu",
				 (unsigned long long)t.input.depth,
				 (unsigned long long)t.input.capacity);
			snprintf(out, sizeof(out), "%llu/%llu",
				 (unsigned long long)t.output.depth,
				 (unsigned long long)t.output.capacity);
			if (info.replicas)
				snprintf(name, sizeof(name), "%.10s x%u",
					 info.desc->name, info.replicas);
			else
				snprintf(name, sizeof(name), "%s",
					 info.desc->name);
			out_printf("%-16.16s %-14.14s %-11s %-7s %10s %10s\n",
				   ids[i], name, rk_state_name(info.state),
				   rk_backend_name(info.backend), in, out);
			/* Which kernel feeds which, under the table. */
			for (size_t j = 0; j < n_to; j++)
				edges = edge_line(edges, &edges_len, ids[i],
						  to[j]);
		}
		rk_free_ids(to, n_to);
	}
	if (edges)
		out_write(edges, edges_len);
	free(edges);
	rk_free_ids(ids, n);
	return EXIT_OK;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.flags = CMD_SERVER,
	.usage = "[--json | --format table|json]",
	.summary = "list the server's kernels: state, backend, queues",
	.options = list_options,
	.take_option = option_take_json,
	.exec = cmd_list_exec,
};
