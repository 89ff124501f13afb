/* cmd-validate.c - `ringctl validate TOPOLOGY.yaml`: every problem of a
 * topology, with where it is, without running anything. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "exitcode.h"
#include "local-runtime.h"
#include "log.h"
#include "mpi.h"
#include "plugin-path.h"

static void say_problem(void *arg, const char *where, const char *what)
{
	log_error("%s: %s", where, what);
}

static const char *const formats[] = { "text", "dot", NULL };

static const struct cmd_option validate_options[] = {
	{ .id = 'F', .name = "format", .arg = OPTION_ARG, .metavar = "F",
	  .help = "text (default: problems only) or dot: each\n"
	  "valid topology as a Graphviz graph",
	  .type = OPTION_CHOICE, .choices = formats },
	{ 0 }
};

static int take_validate_option(void *dot, int id,
				const struct option_value *v)
{
	(void)id;
	*(bool *)dot = v->choice == 1;
	return EXIT_OK;
}

static int cmd_validate_exec(const struct global_opts *g, int argc, char **argv)
{
	bool dot = false;
	int status, first = cmd_parse_options(&cmd_validate_entry, argc, argv,
					      &dot, &status);

	if (first < 0)
		return status;
	if (first >= argc)
		return usage_error("validate takes one or more topology files");

	char *path = plugin_search_path(g);
	for (int i = first; i < argc; i++) {
		rk_topology *t;
		rk_runtime *rt = local_runtime(NULL);
		rk_error rc = rk_topology_load(argv[i], say_problem, NULL, &t);
		if (rc == RK_OK)
			rc = rk_topology_check(t, rt, path, say_problem, NULL);
		/* Under mpirun, the ranks must exist too. */
		if (rc == RK_OK && mpi_world_size() > 1)
			rc = rk_topology_check_ranks(t, (uint32_t)mpi_world_size(),
						     mpi_first_rank() ? say_problem
						     : mpi_quiet_problem, NULL);
		char *graph = rc == RK_OK && dot ? rk_topology_dot(t) : NULL;
		if (graph)
			fputs(graph, stdout);
		else if (rc == RK_OK && dot)
			rc = RK_ENOMEM;
		free(graph);
		if (rc == RK_OK)
			log_info("%s: valid, %zu kernels", argv[i],
				 rk_topology_size(t));
		else if (status == EXIT_OK)
			status = exit_status_for(rc);
		rk_topology_free(t);
		rk_runtime_free(rt);
	}
	free(path);
	return status;
}

const struct cmd_entry cmd_validate_entry = {
	.name = "validate",
	.usage = "TOPOLOGY.yaml... [--format text|dot]",
	.summary = "check topologies without running them",
	.options = validate_options,
	.take_option = take_validate_option,
	.help = "Every problem is reported as FILE:LINE:COLUMN: what; the exit "
		"status is then 78.\nWith -v, a valid file is said to be so.\n",
	.exec = cmd_validate_exec,
};
