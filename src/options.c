/* options.c - the parser of a command's options: see options.h.
 * getopt_long's behaviour is kept where the commands relied on it,
 * messages included: a word that is no option of the template, or an
 * ambiguous prefix, or an option without its argument or with one it
 * does not take, is an "unknown option", as it was with opterr 0. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "options.h"
#include "parse-args.h"

const char *const option_table_or_json[] = { "table", "json", NULL };

int option_format(int id, const struct option_value *v)
{
	return id == OPTION_ID_JSON ? 1 : v->choice;
}

int option_take_json(void *json, int id, const struct option_value *v)
{
	*(bool *)json = option_format(id, v) == 1;
	return EXIT_OK;
}

/* A command that runs here prints its own help; a server command's is
 * printed by the client before it forwards the command. */
static const struct cmd_option help_option = {
	.name = "help", .letter = 'h', .arg = OPTION_NO_ARG,
};

struct parse {
	const struct cmd_entry *e;
	int argc;
	char **argv;
	void *opts;
	int status;
};

static bool answers_help(const struct cmd_entry *e)
{
	return !(e->flags & (CMD_SERVER | CMD_GLOBAL));
}

/* The template's options, one after the other from NULL, then --help
 * where the command answers it; NULL after the last. */
static const struct cmd_option *next_option(const struct cmd_entry *e,
					    const struct cmd_option *o)
{
	if (o == &help_option)
		return NULL;
	o = o ? o + 1 : e->options;
	if (o && !option_is_end(o))
		return o;
	return answers_help(e) ? &help_option : NULL;
}

/* The option a short letter names, or NULL. */
static const struct cmd_option *by_letter(const struct cmd_entry *e, char c)
{
	for (const struct cmd_option *o = NULL; (o = next_option(e, o)); )
		if (o->letter == c)
			return o;
	return NULL;
}

/* The option that the first `len` bytes of `name` name: an exact
 * name, or else a prefix of one name only; NULL for none. */
static const struct cmd_option *by_name(const struct cmd_entry *e,
					const char *name, size_t len)
{
	const struct cmd_option *found = NULL;
	int prefixes = 0;

	for (const struct cmd_option *o = NULL; (o = next_option(e, o)); ) {
		if (!o->name || strncmp(o->name, name, len) != 0)
			continue;
		if (o->name[len] == '\0')
			return o;
		found = o;
		prefixes++;
	}
	return prefixes == 1 ? found : NULL;
}

/* The index of arg in o->choices, or -1 after saying which it could
 * be: "--format is table, json or prometheus, not 'xml'". */
static int choose(const struct cmd_option *o, const char *arg)
{
	char words[256] = "";
	size_t used = 0;
	int n = 0;

	while (o->choices[n] && strcmp(o->choices[n], arg) != 0)
		n++;
	if (o->choices[n])
		return n;
	for (int i = 0; i < n && used < sizeof(words); i++)
		used += (size_t)snprintf(words + used, sizeof(words) - used,
					 "%s%s", i == 0 ? "" : i == n - 1
					 ? " or " : ", ", o->choices[i]);
	usage_error("--%s is %s, not '%s'", o->name, words, arg);
	return -1;
}

static int unknown(struct parse *p, const char *word)
{
	if (p->e->flags & CMD_GLOBAL)
		return p->status = usage_error("unknown option '%s'", word);
	return p->status = usage_error("%s: unknown option '%s'", p->e->name,
				       word);
}

/* An option that wants an argument, last on the line.  A command's
 * says "unknown option", as getopt_long did for them. */
static int missing(struct parse *p, const char *word)
{
	if (p->e->flags & CMD_GLOBAL)
		return p->status = usage_error("option '%s' needs an argument",
					       word);
	return unknown(p, word);
}

/* Check the argument as the option's type says, then hand the option
 * to the command; false when the command ends. */
static bool take(struct parse *p, const struct cmd_option *o,
		 const char *arg)
{
	struct option_value v = { .arg = arg };
	bool ok = true;

	if (o == &help_option) {
		cmd_print_command_help(p->e);
		p->status = EXIT_OK;
		return false;
	}
	if (arg && o->type == OPTION_CHOICE) {
		if ((v.choice = choose(o, arg)) < 0) {
			p->status = EXIT_USAGE;
			return false;
		}
	} else if (arg && o->type == OPTION_COUNT) {
		ok = parse_count(arg, o->max, o->zero_ok, &v.count);
	} else if (arg && o->type == OPTION_SECONDS) {
		ok = parse_seconds(arg, &v.seconds)
		     && (o->zero_ok || v.seconds > 0);
	}
	if (!ok) {
		p->status = usage_error("--%s wants %s, not '%s'", o->name,
					o->wants, arg);
		return false;
	}
	p->status = p->e->take_option ? p->e->take_option(p->opts, o->id, &v)
				      : EXIT_OK;
	if (p->status == OPTION_DONE) {
		p->status = EXIT_OK;
		return false;
	}
	return p->status == EXIT_OK;
}

/* argv[i] is "--NAME[=ARG]"; how many words it took, or 0 to end. */
static int long_option(struct parse *p, int i)
{
	const char *name = p->argv[i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cmd_option *o = by_name(p->e, name, len);

	if (!o || (eq && o->arg == OPTION_NO_ARG))
		return unknown(p, p->argv[i]), 0;
	if (eq)
		return take(p, o, eq + 1) ? 1 : 0;
	if (o->arg != OPTION_ARG)
		return take(p, o, NULL) ? 1 : 0;
	if (i + 1 >= p->argc)
		return missing(p, p->argv[i]), 0;
	return take(p, o, p->argv[i + 1]) ? 2 : 0;
}

/* argv[i] is "-xyz": flags, the last of which may take an argument,
 * in the word or as the next; how many words it took, or 0 to end. */
static int short_options(struct parse *p, int i)
{
	for (const char *c = p->argv[i] + 1; *c; c++) {
		const struct cmd_option *o = by_letter(p->e, *c);
		if (!o)
			return unknown(p, p->argv[i]), 0;
		if (o->arg == OPTION_NO_ARG || (o->arg == OPTION_OPTIONAL_ARG
						&& !c[1])) {
			if (!take(p, o, NULL))
				return 0;
		} else if (c[1]) {
			return take(p, o, c + 1) ? 1 : 0;
		} else if (i + 1 < p->argc) {
			return take(p, o, p->argv[i + 1]) ? 2 : 0;
		} else {
			return missing(p, p->argv[i]), 0;
		}
	}
	return 1;
}

/* Move argv[from, from + n) to `to`, shifting what lies between back:
 * an option found after operands goes in front of them. */
static void move_before(char **argv, int to, int from, int n)
{
	char *moved[2];

	memcpy(moved, argv + from, (size_t)n * sizeof(*argv));
	memmove(argv + to + n, argv + to, (size_t)(from - to) * sizeof(*argv));
	memcpy(argv + to, moved, (size_t)n * sizeof(*argv));
}

int cmd_parse_options(const struct cmd_entry *e, int argc, char **argv,
		      void *opts, int *status)
{
	struct parse p = { e, argc, argv, opts, EXIT_OK };
	/* Global options end at COMMAND: what follows is the command's. */
	bool permute = !(e->flags & CMD_GLOBAL)
		       && getenv("POSIXLY_CORRECT") == NULL;
	int first = 1;          /* where the operands seen so far start */

	for (int i = 1; i < argc; ) {
		const char *w = argv[i];
		if (w[0] != '-' || w[1] == '\0') {
			if (!permute)
				break;
			i++;            /* an operand: it stays behind */
			continue;
		}
		if (strcmp(w, "--") == 0) {
			move_before(argv, first, i, 1);
			first++;
			break;
		}
		int n = w[1] == '-' ? long_option(&p, i) : short_options(&p, i);
		if (n == 0) {
			*status = p.status;
			return -1;
		}
		move_before(argv, first, i, n);
		first += n;
		i += n;
	}
	*status = EXIT_OK;
	return first;
}
