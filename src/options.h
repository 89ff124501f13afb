/* options.h - a command's option template, and the one parser that
 * reads argv against it.  Commands run side by side in the server's
 * threads, so the parser keeps its place in locals, never in globals
 * as getopt does. */
#ifndef RINGCTL_OPTIONS_H
#define RINGCTL_OPTIONS_H

#include <stdbool.h>

struct cmd_entry;

/* Whether an option takes an argument, as getopt_long's has_arg. */
enum option_arg {
	OPTION_NO_ARG,          /* --name, -x */
	OPTION_ARG,             /* --name=ARG, --name ARG, -x ARG, -xARG */
	OPTION_OPTIONAL_ARG,    /* --name or --name=ARG only */
};

/* What the argument is: a string the command checks itself, or what
 * the parser checks, saying what is wrong: a number (parse-args.h) or
 * one word of a few. */
enum option_type {
	OPTION_STRING,
	OPTION_COUNT,           /* parse_count: 1 (0 with zero_ok) to max */
	OPTION_SECONDS,         /* parse_seconds: > 0 (>= 0 with zero_ok) */
	OPTION_CHOICE,          /* one of choices: "--NAME is A or B, not 'C'" */
};

/* One line of a command's option template.  The template ends with an
 * entry whose name and letter are both unset. */
struct cmd_option {
	int id;                 /* what the command's take_option is given */
	const char *name;       /* the long option, without "--" */
	char letter;            /* the short option, or 0 for none */
	enum option_arg arg;
	const char *metavar;    /* the argument's name in --help */
	const char *help;       /* for --help; '\n' starts another line */
	enum option_type type;
	/* A count or a duration out of range is a usage error: "--NAME
	 * wants WANTS, not 'ARG'". */
	const char *wants;
	unsigned long long max;
	bool zero_ok;
	const char *const *choices;     /* OPTION_CHOICE; NULL-terminated */
};

/* What a take_option returns to end the command at once, with EXIT_OK
 * (it has done what was asked: printed a version, say). */
#define OPTION_DONE (-1)

/* --format and its alias --json, for every command that prints records:
 * two entries of a template, the format's choices starting "table",
 * "json"; option_format gives the index of the one chosen (--json: 1),
 * the last one given counting. */
#define OPTION_ID_JSON 'j'
#define OPTION_ID_FORMAT 'F'
#define OPTION_FORMATS(format_choices, help_text) \
	{ .id = OPTION_ID_FORMAT, .name = "format", .arg = OPTION_ARG, \
	  .metavar = "F", .help = help_text, .type = OPTION_CHOICE, \
	  .choices = format_choices }, \
	{ .id = OPTION_ID_JSON, .name = "json", \
	  .help = "the same as --format json" }
extern const char *const option_table_or_json[];        /* table, json */

/* Whether o is the entry that ends a template. */
static inline bool option_is_end(const struct cmd_option *o)
{
	return !o->name && !o->letter;
}

/* An option as given, for the command's take_option. */
struct option_value {
	const char *arg;                /* NULL: none given */
	unsigned long long count;       /* OPTION_COUNT */
	double seconds;                 /* OPTION_SECONDS */
	int choice;                     /* OPTION_CHOICE: its index */
};

/* Read the options of argv (argv[0] the command's name) against e's
 * template with GNU getopt_long's conventions: --name=ARG, --name ARG,
 * an unambiguous prefix of a long name, -x ARG, -xARG, bundled short
 * flags, "--" to end the options; options and operands may be mixed
 * (unless POSIXLY_CORRECT is set), and the operands are moved, in
 * order, behind the options.  Each option is handed, in order, to
 * e->take_option with `opts`.  A command that runs here (not in the
 * server) also answers -h and --help.
 *
 * Returns the index in argv of the first operand; or -1 when the
 * command ends now, with *status: EXIT_OK after printing its help, the
 * status take_option returned, or EXIT_USAGE after saying what is
 * wrong. */
int cmd_parse_options(const struct cmd_entry *e, int argc, char **argv,
		      void *opts, int *status);

/* The format an OPTION_FORMATS option chose. */
int option_format(int id, const struct option_value *v);

/* The take_option of a command whose only options are OPTION_FORMATS
 * of table and json: opts is a bool, true for json. */
int option_take_json(void *json, int id, const struct option_value *v);

/* The options part of e's --help. */
void cmd_print_options(const struct cmd_entry *e);

#endif /* RINGCTL_OPTIONS_H */
