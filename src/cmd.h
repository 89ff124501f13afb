/* cmd.h - the command table: one entry per subcommand, each defined in
 * its own src/cmd-NAME.c. */
#ifndef RINGCTL_CMD_H
#define RINGCTL_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* Global options, given before COMMAND. */
struct global_opts {
	const char *server_name;        /* -L NAME */
	const char *socket_path;        /* -S PATH */
	const char *plugin_path;        /* --plugin-path DIRS */
};

/* Where and how a command runs. */
enum {
	CMD_SERVER = 1,                 /* in the runtime server */
	CMD_STARTS_SERVER = 2,          /* starts a server if none runs */
	CMD_STOPS_SERVER = 4,           /* returns once the server is gone */
	/* ringctl's own options, before COMMAND: they end at the first
	 * operand, answer -h and -V themselves, and an option without its
	 * argument says so. */
	CMD_GLOBAL = 8,
};

struct cmd_entry {
	const char *name;
	const char *alias;              /* or NULL */
	int flags;
	const char *usage;              /* operands and options after name */
	const char *summary;            /* one line for --help */
	/* The option template: what the parser takes, what --help lists,
	 * and what ringctl(1) and the completions must name
	 * (tests/cli/options.bats).  NULL: none. */
	const struct cmd_option *options;
	/* Each option as given, in order, with the command's own `opts`;
	 * returns EXIT_OK to go on, or the status to end with (after
	 * saying why). */
	int (*take_option)(void *opts, int id, const struct option_value *v);
	int help_column;                /* of the option texts; 0: fitted */
	const char *help;               /* after the options, for `help NAME` */
	/* Runs with argv[0] the command name; returns the exit status.
	 * A CMD_SERVER command runs in the server: the client forwards
	 * its argv (after printing --help itself). */
	int (*exec)(const struct global_opts *g, int argc, char **argv);
};

/* ringctl's own options (ringctl.c), before COMMAND. */
extern const struct cmd_entry cmd_global_entry;
extern const struct cmd_entry cmd_activate_entry;
extern const struct cmd_entry cmd_deactivate_entry;
extern const struct cmd_entry cmd_describe_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_kernels_entry;
extern const struct cmd_entry cmd_kill_server_entry;
extern const struct cmd_entry cmd_launch_entry;
extern const struct cmd_entry cmd_link_entry;
extern const struct cmd_entry cmd_unlink_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_reactivate_entry;
extern const struct cmd_entry cmd_recv_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_send_entry;
extern const struct cmd_entry cmd_server_entry;
extern const struct cmd_entry cmd_servers_entry;
extern const struct cmd_entry cmd_shell_entry;
extern const struct cmd_entry cmd_state_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_terminate_entry;
extern const struct cmd_entry cmd_validate_entry;

/* Every command, in the order --help lists them; NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/* The command NAME names: its name, its alias, or a unique prefix of a
 * name.  On failure returns NULL after reporting the problem. */
const struct cmd_entry *cmd_find(const char *name);

/* The general --help text. */
void cmd_print_usage(void);
void cmd_print_command_help(const struct cmd_entry *e);

#endif /* RINGCTL_CMD_H */
