/* ringctl.c - the command's entry: global options, then the command. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel.h>

#include "client.h"
#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "options.h"
#include "server.h"

static void print_version(void)
{
	printf("%s %s (libringkernel %s)\n", PACKAGE_NAME, PACKAGE_VERSION,
	       rk_version());
	printf("Copyright (C) 2026 the ringctl authors.\n"
	       "License GPLv3+: GNU GPL version 3 or later "
	       "<https://gnu.org/licenses/gpl.html>.\n"
	       "This is free software: you are free to change and "
	       "redistribute it.\n"
	       "There is NO WARRANTY, to the extent permitted by law.\n");
}

/* Say on stderr, with write() alone, that kernel `id` did `what` in
 * its own code and ringctl ends with it. */
static void say_kernel_ended_us(const char *id, const char *what)
{
	const char *parts[] = { "ringctl: kernel '", id, "' ", what,
				" in its own code: ringctl ends with it\n" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		(void)!write(STDERR_FILENO, parts[i], strlen(parts[i]));
}

/* exit() and abort() in a kernel's own code end the process: that cannot
 * be isolated, but the kernel is named (in the server's log too), the
 * server's socket and pid file go so that the next launch starts
 * afresh, and an exit is never 0: work was cut short. */
static void kernel_called_exit(void)
{
	const char *id = rk_exiting_kernel();

	if (!id)
		return;
	say_kernel_ended_us(id, "called exit()");
	server_abandon(id, "called exit()");
	_exit(EXIT_FAIL);
}

/* In a signal handler: only async-signal-safe calls. */
static void kernel_aborted(const char *id)
{
	say_kernel_ended_us(id, "aborted");
	server_abandon(id, "aborted");
}

static const struct cmd_option global_options[] = {
	{ .id = 'L', .name = "name", .letter = 'L', .arg = OPTION_ARG,
	  .metavar = "NAME", .help = "use the runtime server named NAME" },
	{ .id = 'S', .name = "socket", .letter = 'S', .arg = OPTION_ARG,
	  .metavar = "PATH", .help = "use the runtime server socket PATH" },
	{ .id = 'P', .name = "plugin-path", .arg = OPTION_ARG,
	  .metavar = "DIRS", .help = "look for kernel plugins in DIRS "
	  "(colon-separated)" },
	{ .id = 'q', .name = "quiet", .letter = 'q',
	  .help = "print only data and errors" },
	{ .id = 'v', .name = "verbose", .letter = 'v',
	  .help = "say what is happening on stderr" },
	{ .id = 'h', .name = "help", .letter = 'h',
	  .help = "show this help and exit" },
	{ .id = 'V', .name = "version", .letter = 'V',
	  .help = "show the version and exit" },
	{ 0 }
};

static int take_global_option(void *opts, int id, const struct option_value *v)
{
	struct global_opts *g = opts;

	switch (id) {
	case 'L':
		g->server_name = v->arg;
		break;
	case 'S':
		g->socket_path = v->arg;
		break;
	case 'P':
		g->plugin_path = v->arg;
		break;
	case 'q':
		log_quiet = true;
		break;
	case 'v':
		log_verbose = true;
		break;
	case 'h':
		cmd_print_usage();
		return OPTION_DONE;
	case 'V':
		print_version();
		return OPTION_DONE;
	}
	return EXIT_OK;
}

/* ringctl's own options, read by the commands' parser (options.c). */
const struct cmd_entry cmd_global_entry = {
	.flags = CMD_GLOBAL,
	.options = global_options,
	.take_option = take_global_option,
	.help_column = 27,
};

int main(int argc, char **argv)
{
	struct global_opts g = { 0 };
	int status;

	/* A closed pipe downstream ends the command quietly: writes fail
	 * with EPIPE and are handled where they happen. */
	signal(SIGPIPE, SIG_IGN);
	/* A plugin's kernel that crashes fails alone, not the whole run
	 * or the server with every other kernel in it. */
	rk_isolate_faults();
	rk_on_kernel_abort(kernel_aborted);
	atexit(kernel_called_exit);
	int first = cmd_parse_options(&cmd_global_entry, argc, argv, &g,
				      &status);
	if (first < 0)
		return status;
	if (g.server_name && g.socket_path)
		return usage_error("-L and -S cannot be used together");
	if (first >= argc)
		return usage_error("no command given");

	const struct cmd_entry *e = cmd_find(argv[first]);
	if (!e)
		return EXIT_USAGE;
	if (e->flags & CMD_SERVER) {
		/* Help is ours to give; the rest is the server's to do. */
		for (int i = first + 1; i < argc; i++) {
			if (strcmp(argv[i], "--") == 0)
				break;
			if (strcmp(argv[i], "-h") == 0
			    || strcmp(argv[i], "--help") == 0) {
				cmd_print_command_help(e);
				return EXIT_OK;
			}
		}
		argv[first] = (char *)e->name;  /* a prefix, resolved */
		return client_run(&g, e, argc - first, argv + first);
	}
	return e->exec(&g, argc - first, argv + first);
}
