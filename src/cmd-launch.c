/* cmd-launch.c - `ringctl launch ID [OPTIONS]` and `ringctl launch -f
 * TOPOLOGY.yaml`: phase 1, in the server (started if none runs). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "plugin-path.h"
#include "serve.h"
#include "xmalloc.h"

static const char *const backends[] = { "auto", "cpu", "cuda" };
static const char *const policies[] = {
	"block", "reject", "drop_oldest", "drop_newest"
};

static int pick(const char *what, const char *arg, const char *const *names,
		int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	usage_error("%s '%s' is not one of %s", what, arg,
		    n == 3 ? "auto, cpu, cuda"
			   : "block, reject, drop_oldest, drop_newest");
	return -1;
}

static void say_problem(void *arg, const char *where, const char *what)
{
	log_error("%s: %s", where, what);
}

/* A YAML file given where a kernel id goes. */
static bool looks_like_topology(const char *arg)
{
	size_t n = strlen(arg);

	return (n > 5 && strcmp(arg + n - 5, ".yaml") == 0)
	       || (n > 4 && strcmp(arg + n - 4, ".yml") == 0);
}

static int launch_topology(const char *file, const char *path)
{
	struct session *s = output_session();
	char *abs = session_path(s, file);
	rk_topology *t;
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	rk_error rc = rk_topology_load(abs, say_problem, NULL, &t);

	free(abs);
	if (rc == RK_OK)
		rc = rk_topology_check(t, serve_runtime(), path, say_problem, NULL);
	if (rc == RK_OK && (rc = rk_topology_launch(t, serve_runtime(), &o))
	    != RK_OK)
		log_error("%s", rk_errmsg());
	rk_topology_free(t);
	return exit_status_for(rc);
}

/* A plugin file the client names is a path from its directory. */
static char *kernel_spec(const char *spec)
{
	if (spec[0] != '/' && (strchr(spec, '/') || strstr(spec, ".so")))
		return session_path(output_session(), spec);
	return xstrdup(spec);
}

static const struct cmd_option launch_options[] = {
	{ .id = 'k', .name = "kernel", .letter = 'k', .arg = OPTION_ARG,
	  .metavar = "PLUGIN", .help = "the kernel to run (default: the id)" },
	{ .id = 'p', .name = "param", .letter = 'p', .arg = OPTION_ARG,
	  .metavar = "KEY=VALUE", .help = "a kernel parameter (repeatable)" },
	{ .id = 'Q', .name = "queue-size", .arg = OPTION_ARG, .metavar = "N",
	  .help = "messages per queue (default 1000)",
	  .type = OPTION_COUNT, .wants = "a number", .max = 1u << 24 },
	{ .id = 'M', .name = "max-message", .arg = OPTION_ARG,
	  .metavar = "BYTES", .help = "largest json message (default 65536)",
	  .type = OPTION_COUNT, .wants = "a number", .max = 1u << 24 },
	{ .id = 'B', .name = "backpressure", .arg = OPTION_ARG, .metavar = "P",
	  .help = "block, reject, drop_oldest, drop_newest" },
	{ .id = 'r', .name = "replicas", .arg = OPTION_ARG, .metavar = "N",
	  .help = "copies of a stateless kernel",
	  .type = OPTION_COUNT, .wants = "a number", .max = 1024 },
	{ .id = 'b', .name = "backend", .arg = OPTION_ARG, .metavar = "B",
	  .help = "auto, cpu or cuda" },
	{ .id = 'f', .name = "file", .letter = 'f', .arg = OPTION_ARG,
	  .metavar = "TOPOLOGY", .help = "launch and wire a whole topology" },
	{ 0 }
};

#define MAX_PARAMS 64

struct launch_opts {
	rk_launch_options launch;
	const char *file, *kernel;
	rk_param params[MAX_PARAMS + 1];        /* NULL-terminated */
	char *owned[MAX_PARAMS];
	size_t n_params;
};

/* KEY=VALUE, kept until the launch. */
static int add_param(struct launch_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || o->n_params == MAX_PARAMS)
		return usage_error("--param wants KEY=VALUE, not '%s'", arg);
	char *p = o->owned[o->n_params] = xstrdup(arg);
	p[eq - arg] = '\0';
	o->params[o->n_params].name = p;
	o->params[o->n_params].value = p + (eq - arg) + 1;
	o->n_params++;
	return EXIT_OK;
}

static int take_launch_option(void *opts, int id,
			      const struct option_value *v)
{
	struct launch_opts *o = opts;
	int i;

	switch (id) {
	case 'f':
		o->file = v->arg;
		break;
	case 'k':
		o->kernel = v->arg;
		break;
	case 'p':
		return add_param(o, v->arg);
	case 'Q':
		o->launch.queue_size = (uint32_t)v->count;
		break;
	case 'M':
		o->launch.max_message = (uint32_t)v->count;
		break;
	case 'r':
		o->launch.replicas = (uint32_t)v->count;
		break;
	case 'b':
		if ((i = pick("--backend", v->arg, backends, 3)) < 0)
			return EXIT_USAGE;
		o->launch.backend = (rk_backend)i;
		break;
	case 'B':
		if ((i = pick("--backpressure", v->arg, policies, 4)) < 0)
			return EXIT_USAGE;
		o->launch.input_policy = (rk_backpressure)i;
		break;
	}
	return EXIT_OK;
}

static int launch_kernel(const char *id, struct launch_opts *o,
			 const char *path)
{
	char *spec = kernel_spec(o->kernel ? o->kernel : id);
	const rk_kernel_desc *d;
	rk_error rc = rk_resolve_kernel(serve_runtime(), spec, path, &d);

	o->launch.params = o->params;
	if (rc == RK_OK)
		rc = rk_launch(serve_runtime(), id, d, &o->launch);
	free(spec);
	return rc == RK_OK ? EXIT_OK : serve_failure(rc);
}

static int cmd_launch_exec(const struct global_opts *g, int argc, char **argv)
{
	struct launch_opts o = { .launch = RK_LAUNCH_OPTIONS_INIT };
	/* JSON messages of clients are lines: room for them by default
	 * (typed kernels size their queues by their types anyway). */
	o.launch.max_message = 64u << 10;
	int status, first = cmd_parse_options(&cmd_launch_entry, argc, argv, &o,
					      &status);
	char *path = plugin_search_path(g);

	if (first < 0) {
		/* said already */
	} else if (o.file && first < argc) {
		status = usage_error("launch -f takes no kernel id");
	} else if (o.file) {
		status = launch_topology(o.file, path);
	} else if (argc - first != 1) {
		status = usage_error("launch takes one kernel id, or -f FILE");
	} else if (!o.kernel && looks_like_topology(argv[first])) {
		status = usage_error("launch: '%s' looks like a topology file: "
				     "launch -f %s", argv[first], argv[first]);
	} else {
		status = launch_kernel(argv[first], &o, path);
	}
	for (size_t i = 0; i < o.n_params; i++)
		free(o.owned[i]);
	free(path);
	return status;
}

const struct cmd_entry cmd_launch_entry = {
	.name = "launch",
	.flags = CMD_SERVER | CMD_STARTS_SERVER,
	.usage = "ID [OPTIONS] | -f TOPOLOGY.yaml",
	.summary = "launch a kernel, or a topology, in the server",
	.options = launch_options,
	.take_option = take_launch_option,
	.help =
	"The server starts if none runs.\n",
	.exec = cmd_launch_exec,
};
