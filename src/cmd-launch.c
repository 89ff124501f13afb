/* cmd-launch.c - `ringctl launch ID [OPTIONS]` and `ringctl launch -f
 * TOPOLOGY.yaml`: phase 1, in the server (started if none runs). */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "parse-args.h"
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

static int cmd_launch_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "max-message", required_argument, NULL, 'M' },
		{ "backend", required_argument, NULL, 'b' },
		{ "backpressure", required_argument, NULL, 'B' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "param", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	const char *file = NULL, *kernel = NULL;
	/* JSON messages of clients are lines: room for them by default
	 * (typed kernels size their queues by their types anyway). */
	o.max_message = 64u << 10;
	rk_param params[65] = { { NULL, NULL } };
	char *owned[64];
	size_t n_params = 0;
	unsigned long long n;
	int c, status = EXIT_OK;

	while (status == EXIT_OK
	       && (c = getopt_long(argc, argv, "f:k:p:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'Q':
		case 'M':
		case 'r':
			if (!parse_count(optarg, c == 'r' ? 1024 : 1u << 24,
					 false, &n))
				status = usage_error("--%s wants a number, not "
						     "'%s'", c == 'Q' ? "queue-size"
						     : c == 'M' ? "max-message"
						     : "replicas", optarg);
			else if (c == 'Q')
				o.queue_size = (uint32_t)n;
			else if (c == 'M')
				o.max_message = (uint32_t)n;
			else
				o.replicas = (uint32_t)n;
			break;
		case 'b':
		case 'B': {
			int v = c == 'b' ? pick("--backend", optarg, backends, 3)
					 : pick("--backpressure", optarg, policies, 4);
			if (v < 0)
				status = EXIT_USAGE;
			else if (c == 'b')
				o.backend = (rk_backend)v;
			else
				o.input_policy = (rk_backpressure)v;
			break;
		}
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || n_params == 64) {
				status = usage_error("--param wants KEY=VALUE, not "
						     "'%s'", optarg);
				break;
			}
			owned[n_params] = xstrdup(optarg);
			owned[n_params][eq - optarg] = '\0';
			params[n_params].name = owned[n_params];
			params[n_params].value = owned[n_params] + (eq - optarg) + 1;
			n_params++;
			break;
		}
		default:
			status = usage_error("launch: unknown option '%s'",
					     argv[optind - 1]);
		}
	}
	char *path = plugin_search_path(g);
	if (status != EXIT_OK) {
		/* said already */
	} else if (file && optind < argc) {
		status = usage_error("launch -f takes no kernel id");
	} else if (file) {
		status = launch_topology(file, path);
	} else if (argc - optind != 1) {
		status = usage_error("launch takes one kernel id, or -f FILE");
	} else if (!kernel && looks_like_topology(argv[optind])) {
		status = usage_error("launch: '%s' looks like a topology file: "
				     "launch -f %s", argv[optind],
				     argv[optind]);
	} else {
		const char *id = argv[optind];
		char *spec = kernel_spec(kernel ? kernel : id);
		const rk_kernel_desc *d;
		rk_error rc = rk_resolve_kernel(serve_runtime(), spec, path, &d);
		o.params = params;
		if (rc == RK_OK)
			rc = rk_launch(serve_runtime(), id, d, &o);
		if (rc != RK_OK)
			status = serve_failure(rc);
		free(spec);
	}
	for (size_t i = 0; i < n_params; i++)
		free(owned[i]);
	free(path);
	return status;
}

const struct cmd_entry cmd_launch_entry = {
	.name = "launch",
	.flags = CMD_SERVER | CMD_STARTS_SERVER,
	.usage = "ID [OPTIONS] | -f TOPOLOGY.yaml",
	.summary = "launch a kernel, or a topology, in the server",
	.help =
	"  -k, --kernel PLUGIN      the kernel to run (default: the id)\n"
	"  -p, --param KEY=VALUE    a kernel parameter (repeatable)\n"
	"      --queue-size N       messages per queue (default 1000)\n"
	"      --max-message BYTES  largest json message (default 65536)\n"
	"      --backpressure P     block, reject, drop_oldest, drop_newest\n"
	"      --replicas N         copies of a stateless kernel\n"
	"      --backend B          auto, cpu or cuda\n"
	"  -f, --file TOPOLOGY      launch and wire a whole topology\n"
	"The server starts if none runs.\n",
	.exec = cmd_launch_exec,
};
