/* cmd-describe.c - `ringctl describe KERNEL`: a kernel's plugin,
 * message types and parameters. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "describe-type.h"
#include "exitcode.h"
#include "jsonw.h"
#include "local-runtime.h"
#include "log.h"
#include "plugin-path.h"

static const char *entry_of(const rk_kernel_desc *d)
{
	return d->process ? "process" : d->process_batch ? "process_batch"
	       : "main";
}

static void describe_json(const rk_kernel_desc *d, const char *plugin,
			  const char *in, const char *out)
{
	jsonw_object_begin(stdout);
	jsonw_field_string(stdout, "name", d->name);
	jsonw_field_string(stdout, "plugin", plugin ? plugin : "");
	jsonw_field_string(stdout, "description",
			   d->description ? d->description : "");
	jsonw_field_string(stdout, "input", in);
	jsonw_field_string(stdout, "output", out);
	jsonw_field_string(stdout, "entry", entry_of(d));
	jsonw_field_bool(stdout, "flush", d->flush != NULL);
	jsonw_field_bool(stdout, "idle", d->idle != NULL);
	jsonw_field_bool(stdout, "stop", d->stop != NULL);
	jsonw_field(stdout, "backends");
	if (d->device && d->device->cuda_module)
		fputs("[\"cpu\",\"cuda\"]", stdout);
	else
		fputs("[\"cpu\"]", stdout);
	jsonw_field(stdout, "parameters");
	putchar('[');
	for (const rk_param_desc *pd = d->params; pd && pd->name; pd++) {
		printf("%s{\"name\":", pd == d->params ? "" : ",");
		jsonw_string(stdout, pd->name);
		printf(",\"type\":");
		jsonw_string(stdout, pd->type ? pd->type : "string");
		printf(",\"default\":");
		if (pd->default_value)
			jsonw_string(stdout, pd->default_value);
		else
			fputs("null", stdout);
		printf(",\"description\":");
		jsonw_string(stdout, pd->description ? pd->description : "");
		putchar('}');
	}
	putchar(']');
	jsonw_object_end(stdout);
}

static void describe_table(const rk_kernel_desc *d, const char *plugin,
			   const char *in, const char *out)
{
	printf("kernel:      %s\n", d->name);
	printf("plugin:      %s\n", plugin ? plugin : "(built in)");
	printf("description: %s\n", d->description ? d->description : "");
	printf("input:       %s\n", in);
	printf("output:      %s\n", out);
	printf("entry:       %s%s%s%s\n", entry_of(d),
	       d->flush ? ", flush at end of input" : "",
	       d->idle ? ", idle between messages" : "",
	       d->stop ? ", stop at terminate" : "");
	if (d->device && d->device->cuda_module)
		printf("backends:    cpu, cuda (%s.so)\n", d->device->cuda_module);
	else
		printf("backends:    cpu\n");
	if (d->params && d->params->name) {
		printf("parameters:\n");
		for (const rk_param_desc *pd = d->params; pd->name; pd++)
			printf("  %-10s %-7s %-12s %s\n", pd->name,
			       pd->type ? pd->type : "string",
			       pd->default_value ? pd->default_value
						 : "(required)",
			       pd->description ? pd->description : "");
	}
}

static const struct cmd_option describe_options[] = {
	OPTION_FORMATS(option_table_or_json, "table (default) or json: one "
		       "object"),
	{ 0 }
};

static int cmd_describe_exec(const struct global_opts *g, int argc, char **argv)
{
	bool json = false;
	int status, first = cmd_parse_options(&cmd_describe_entry, argc, argv,
					      &json, &status);

	if (first < 0)
		return status;
	if (argc - first != 1)
		return usage_error("describe takes one kernel name");

	char *path = plugin_search_path(g);
	rk_runtime *rt = local_runtime(NULL);
	const rk_kernel_desc *d;
	rk_error rc = rk_resolve_kernel(rt, argv[first], path, &d);
	free(path);
	if (rc != RK_OK) {
		log_error("%s", rk_errmsg());
		rk_runtime_free(rt);
		return exit_status_for(rc);
	}
	const char *plugin = NULL, *p;
	for (size_t i = 0; rk_registered_kernel(rt, i, &p); i++)
		if (rk_registered_kernel(rt, i, NULL) == d)
			plugin = p;
	char in[1024], out[1024];
	describe_type(d->input_type, in, sizeof(in));
	describe_type(d->output_type, out, sizeof(out));
	(json ? describe_json : describe_table)(d, plugin, in, out);
	rk_runtime_free(rt);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cmd_entry cmd_describe_entry = {
	.name = "describe",
	.usage = "KERNEL [--format table|json]",
	.summary = "show a kernel's plugin, message types and parameters",
	.options = describe_options,
	.take_option = option_take_json,
	.exec = cmd_describe_exec,
};
