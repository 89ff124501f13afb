/* options-help.c - the options part of a command's --help, from its
 * option template: "  -x, --name ARG  what it does", the texts lined up
 * in one column, as GNU programs print theirs. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "options.h"

/* "  -x, --name ARG" or "      --name[=ARG]". */
static int format_head(const struct cmd_option *o, char *out, size_t cap)
{
	int n = o->letter ? snprintf(out, cap, "  -%c%s", o->letter,
				     o->name ? ", " : "")
			  : snprintf(out, cap, "      ");

	if (o->name)
		n += snprintf(out + n, cap - (size_t)n, "--%s", o->name);
	if (o->arg == OPTION_ARG)
		n += snprintf(out + n, cap - (size_t)n, " %s", o->metavar);
	else if (o->arg == OPTION_OPTIONAL_ARG)
		n += snprintf(out + n, cap - (size_t)n, "[=%s]", o->metavar);
	return n;
}

/* Where the texts start: the command's own column, or two past the
 * longest head. */
static int text_column(const struct cmd_entry *e)
{
	int column = 0;
	char head[128];

	if (e->help_column)
		return e->help_column;
	for (const struct cmd_option *o = e->options; !option_is_end(o); o++) {
		int n = format_head(o, head, sizeof(head)) + 2;
		column = n > column ? n : column;
	}
	return column;
}

void cmd_print_options(const struct cmd_entry *e)
{
	if (!e->options)
		return;
	int column = text_column(e);
	for (const struct cmd_option *o = e->options; !option_is_end(o); o++) {
		char head[128];
		int n = format_head(o, head, sizeof(head));
		/* A head too long for the column pushes its first line on. */
		printf("%-*s", n + 2 > column ? n + 2 : column, head);
		for (const char *line = o->help; ; ) {
			const char *nl = strchr(line, '\n');
			if (!nl) {
				printf("%s\n", line);
				break;
			}
			printf("%.*s\n%*s", (int)(nl - line), line, column, "");
			line = nl + 1;
		}
	}
}
