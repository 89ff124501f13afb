/* cmd-kernels.c - `ringctl kernels`: every kernel on the plugin path,
 * with its plugin and what it does. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd.h"
#include "describe-type.h"
#include "exitcode.h"
#include "jsonw.h"
#include "local-runtime.h"
#include "log.h"
#include "plugin-path.h"
#include "xmalloc.h"

static void broken_plugin(void *arg, const char *path, const char *reason)
{
	log_warn("%s", reason);
}

struct entry {
	const rk_kernel_desc *desc;
	const char *plugin;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->desc->name,
		      ((const struct entry *)b)->desc->name);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The width the table is fitted to: $COLUMNS where set (as ls honours
 * it), else the terminal's; 0, for no cut, when output goes to a pipe
 * or a file, where scripts want every word. */
static int output_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		long w = strtol(env, &end, 10);
		if (!*end && w > 0 && w <= 10000)
			return (int)w;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
	    && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Print text in at most `room` columns (one a character; UTF-8 is cut
 * only between characters), ending a cut with "..." so that it shows. */
static void print_fitted(const char *text, int room)
{
	size_t cut = 0;
	int columns = 0;

	for (size_t i = 0; text[i]; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;               /* inside a character */
		if (columns == room - 3)
			cut = i;
		if (++columns > room) {
			printf("%.*s...", (int)cut, text);
			return;
		}
	}
	fputs(text, stdout);
}

static const struct cmd_option kernels_options[] = {
	OPTION_FORMATS(option_table_or_json, "table (default) or json: one "
		       "object per kernel:\nname, plugin, description, input, "
		       "output"),
	{ 0 }
};

static int cmd_kernels_exec(const struct global_opts *g, int argc, char **argv)
{
	bool json = false;
	int status, first = cmd_parse_options(&cmd_kernels_entry, argc, argv,
					      &json, &status);

	if (first < 0)
		return status;
	if (first < argc)
		return usage_error("kernels takes no operands");

	char *path = plugin_search_path(g);
	rk_runtime *rt = local_runtime(NULL);
	rk_load_plugins(rt, path, broken_plugin, NULL);
	struct entry *all = NULL;
	size_t n = 0;
	const char *plugin;
	const rk_kernel_desc *d;
	while ((d = rk_registered_kernel(rt, n, &plugin))) {
		all = xrealloc(all, (n + 1) * sizeof(*all));
		all[n++] = (struct entry){ d, plugin };
	}
	if (n)
		qsort(all, n, sizeof(*all), by_name);
	int width = output_width();
	/* Columns as wide as the longest name and plugin file. */
	int name_w = 12, plugin_w = 12;
	for (size_t i = 0; i < n; i++) {
		int w = (int)strlen(all[i].desc->name);
		int p = all[i].plugin ? (int)strlen(base_name(all[i].plugin)) : 1;
		name_w = w > name_w ? w : name_w;
		plugin_w = p > plugin_w ? p : plugin_w;
	}
	for (size_t i = 0; i < n; i++) {
		d = all[i].desc;
		plugin = all[i].plugin;
		const char *desc = d->description ? d->description : "";
		if (json) {
			char in[512], out[512];
			describe_type(d->input_type, in, sizeof(in));
			describe_type(d->output_type, out, sizeof(out));
			jsonw_object_begin(stdout);
			jsonw_field_string(stdout, "name", d->name);
			jsonw_field_string(stdout, "plugin", plugin ? plugin : "");
			jsonw_field_string(stdout, "description", desc);
			jsonw_field_string(stdout, "input", in);
			jsonw_field_string(stdout, "output", out);
			jsonw_object_end(stdout);
		} else {
			printf("%-*s %-*s ", name_w, d->name, plugin_w,
			       plugin ? base_name(plugin) : "-");
			if (width) {
				int room = width - name_w - plugin_w - 2;
				print_fitted(desc, room > 20 ? room : 20);
			} else {
				fputs(desc, stdout);
			}
			putchar('\n');
		}
	}
	free(all);
	rk_runtime_free(rt);
	free(path);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cmd_entry cmd_kernels_entry = {
	.name = "kernels",
	.usage = "[--format table|json]",
	.summary = "list the kernels on the plugin path, with their plugin",
	.options = kernels_options,
	.take_option = option_take_json,
	.exec = cmd_kernels_exec,
};
