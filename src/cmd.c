/* cmd.c - the command table and how a command name is resolved. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "edit-distance.h"
#include "log.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_validate_entry,
	&cmd_launch_entry,
	&cmd_link_entry,
	&cmd_unlink_entry,
	&cmd_activate_entry,
	&cmd_deactivate_entry,
	&cmd_reactivate_entry,
	&cmd_terminate_entry,
	&cmd_send_entry,
	&cmd_recv_entry,
	&cmd_state_entry,
	&cmd_list_entry,
	&cmd_stats_entry,
	&cmd_kernels_entry,
	&cmd_describe_entry,
	&cmd_shell_entry,
	&cmd_server_entry,
	&cmd_servers_entry,
	&cmd_kill_server_entry,
	&cmd_help_entry,
	NULL
};

/* A command `name` may be a slip for, or NULL. */
static const struct cmd_entry *closest_command(const char *name)
{
	for (const struct cmd_entry *const *e = cmd_table; *e; e++)
		if (rk_name_is_close(name, (*e)->name))
			return *e;
	return NULL;
}

const struct cmd_entry *cmd_find(const char *name)
{
	const struct cmd_entry *found = NULL;
	char candidates[256] = "";
	size_t len = strlen(name), matches = 0;

	for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
		if (strcmp((*e)->name, name) == 0
		    || ((*e)->alias && strcmp((*e)->alias, name) == 0))
			return *e;
	}
	for (const struct cmd_entry *const *e = cmd_table; *e && len; e++) {
		if (strncmp((*e)->name, name, len) != 0)
			continue;
		found = *e;
		matches++;
		size_t used = strlen(candidates);
		snprintf(candidates + used, sizeof(candidates) - used, "%s%s",
			 used ? ", " : "", (*e)->name);
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		usage_error("ambiguous command '%s': could be %s", name,
			    candidates);
	else if ((found = closest_command(name)))
		usage_error("unknown command '%s'; did you mean '%s'?", name,
			    found->name);
	else
		usage_error("unknown command '%s'", name);
	return NULL;
}

void cmd_print_usage(void)
{
	printf("Usage: %s [-L NAME | -S SOCKET] [--plugin-path DIRS] [-q] [-v] "
	       "COMMAND [ARGS]\n", PACKAGE_NAME);
	printf("Run ring kernels (persistent actors with bounded input and "
	       "output rings)\non CPU threads or GPUs, driven from the "
	       "shell.\n\n");
	printf("Global options (before COMMAND):\n");
	cmd_print_options(&cmd_global_entry);
	printf("\n");
	printf("Commands (a unique prefix is enough):\n");
	for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
		char head[64];
		snprintf(head, sizeof(head), "%s %s", (*e)->name, (*e)->usage);
		printf("  %-24s %s\n", head, (*e)->summary);
	}
	printf("\nExit status: 0 success, 1 failure, 2 usage error, 3 kernel or "
	       "plugin not found,\n4 illegal state transition, 5 queue full, "
	       "6 timed out, 65 bad input data,\n69 server unavailable, "
	       "78 bad topology or configuration.\n");
	printf("\nSee ringctl(1) for the whole story.\n");
}

void cmd_print_command_help(const struct cmd_entry *e)
{
	printf("Usage: %s %s %s\n%s\n", PACKAGE_NAME, e->name, e->usage,
	       e->summary);
	if (e->options || (e->help && *e->help))
		putchar('\n');
	cmd_print_options(e);
	if (e->help)
		fputs(e->help, stdout);
}
