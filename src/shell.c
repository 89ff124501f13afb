/* shell.c - `ringctl shell`: a readline REPL for the same commands,
 * with history and completion of commands, options and kernel ids. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "client.h"
#include "cmd.h"
#include "exitcode.h"
#include "local-runtime.h"
#include "log.h"
#include "plugin-path.h"
#include "shell.h"
#include "xmalloc.h"

static const struct global_opts *shell_opts;

/* ---- words ---------------------------------------------------------- */

/* Split a line as a shell would: blanks apart, '...' and "..." quote,
 * backslash escapes.  NULL (and *why) for an unclosed quote. */
char **shell_split(const char *line, int *argc, const char **why)
{
	char **argv = xcalloc(1, sizeof(*argv));
	char *word = xmalloc(strlen(line) + 1);
	int n = 0;

	*why = NULL;
	for (const char *p = line;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		size_t len = 0;
		char quote = 0;
		while (*p && (quote || (*p != ' ' && *p != '\t' && *p != '\n'))) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
			} else if (*p == '\\' && quote != '\'' && p[1]) {
				word[len++] = *++p;
			} else {
				word[len++] = *p;
			}
			p++;
		}
		if (quote) {
			*why = "unclosed quote";
			shell_free(argv, n);
			free(word);
			return NULL;
		}
		word[len] = '\0';
		argv = xrealloc(argv, (size_t)(n + 2) * sizeof(*argv));
		argv[n++] = xstrdup(word);
		argv[n] = NULL;
	}
	free(word);
	*argc = n;
	return argv;
}

void shell_free(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ---- completion ---------------------------------------------------- */

static char **words;                    /* candidates of the moment */
static size_t n_words;

static void add_word(const char *w)
{
	for (size_t i = 0; i < n_words; i++)
		if (strcmp(words[i], w) == 0)
			return;
	words = xrealloc(words, (n_words + 1) * sizeof(*words));
	words[n_words++] = xstrdup(w);
}

static void clear_words(void)
{
	for (size_t i = 0; i < n_words; i++)
		free(words[i]);
	free(words);
	words = NULL;
	n_words = 0;
}

/* The long options of a command's template. */
static void add_options(const struct cmd_entry *e)
{
	for (const struct cmd_option *o = e->options; o && !option_is_end(o);
	     o++) {
		if (o->name) {
			char *opt = xasprintf("--%s", o->name);
			add_word(opt);
			free(opt);
		}
	}
}

/* Kernel ids, from the server's list (if one runs). */
static void add_ids(void)
{
	char *argv[] = { "list", "--json", NULL };
	char *out = NULL;

	if (client_capture(shell_opts, &cmd_list_entry, 2, argv, &out) != 0)
		return;
	for (char *p = out; p && (p = strstr(p, "{\"id\":\"")); ) {
		p += 7;
		char *end = strchr(p, '"');
		if (!end)
			break;
		*end = '\0';
		add_word(p);
		p = end + 1;
	}
	free(out);
}

/* The kernels on the plugin path. */
static void add_kernels(void)
{
	char *path = plugin_search_path(shell_opts);
	rk_runtime *rt = local_runtime(NULL);
	const rk_kernel_desc *d;

	rk_load_plugins(rt, path, NULL, NULL);
	for (size_t i = 0; (d = rk_registered_kernel(rt, i, NULL)); i++)
		add_word(d->name);
	rk_runtime_free(rt);
	free(path);
}

/* The option of e that `word` names ("--format", "--format=", "-k"),
 * where it takes an argument; else NULL. */
static const struct cmd_option *option_wanting(const struct cmd_entry *e,
					       const char *word)
{
	size_t len = strcspn(word, "=");

	for (const struct cmd_option *o = e->options; o && !option_is_end(o);
	     o++) {
		bool named = word[0] == '-' && word[1] == '-' && o->name
			     && strlen(o->name) == len - 2
			     && strncmp(o->name, word + 2, len - 2) == 0;
		bool lettered = word[0] == '-' && o->letter
				&& word[1] == o->letter && !word[2];
		if ((named || lettered) && o->arg == OPTION_ARG)
			return o;
	}
	return NULL;
}

/* An option's argument: its choices, kernels for --kernel, else files
 * (false: let readline complete file names). */
static bool add_argument(const struct cmd_option *o)
{
	if (o->type == OPTION_CHOICE) {
		for (const char *const *c = o->choices; *c; c++)
			add_word(*c);
		return true;
	}
	if (o->name && strcmp(o->name, "kernel") == 0) {
		add_kernels();
		return true;
	}
	return false;
}

static char *next_word(const char *text, int state)
{
	static size_t i;

	if (!state)
		i = 0;
	while (i < n_words)
		if (strncmp(words[i++], text, strlen(text)) == 0)
			return xstrdup(words[i - 1]);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	int argc;
	const char *why;
	char *before = xasprintf("%.*s", start, rl_line_buffer);
	char **argv = shell_split(before, &argc, &why);

	free(before);
	clear_words();
	rl_attempted_completion_over = 1;
	if (!argv)
		return NULL;
	if (argc == 0) {
		for (const struct cmd_entry *const *e = cmd_table; *e; e++)
			add_word((*e)->name);
		add_word("quit");
	} else {
		const struct cmd_entry *e = NULL;
		for (const struct cmd_entry *const *c = cmd_table; *c; c++)
			if (strcmp((*c)->name, argv[0]) == 0)
				e = *c;
		const struct cmd_option *o = e && argc > 1
			? option_wanting(e, argv[argc - 1]) : NULL;
		if (o) {
			if (!add_argument(o))
				rl_attempted_completion_over = 0;
		} else if (e && text[0] == '-') {
			add_options(e);
		} else if (e == &cmd_run_entry && argc == 1) {
			/* The pipeline: a kernel, or a topology file. */
			add_kernels();
			char *f;
			for (int i = 0; (f = rl_filename_completion_function(
						  text, i)); i++) {
				add_word(f);
				free(f);
			}
		} else if (e && (e->flags & CMD_SERVER) && e != &cmd_launch_entry)
			add_ids();
		else if (e == &cmd_help_entry)
			for (const struct cmd_entry *const *c = cmd_table; *c; c++)
				add_word((*c)->name);
		else
			rl_attempted_completion_over = 0;  /* file names */
	}
	shell_free(argv, argc);
	return rl_completion_matches(text, next_word);
}

/* ---- history --------------------------------------------------------- */

/* ~/.local/state/ringctl/history (or under $XDG_STATE_HOME). */
static char *history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (state && *state)
		dir = xasprintf("%s/ringctl", state);
	else if (home && *home)
		dir = xasprintf("%s/.local/state/ringctl", home);
	else
		return NULL;
	/* mkdir -p, quietly: no history is no reason to fail. */
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	char *path = xasprintf("%s/history", dir);
	free(dir);
	/* append_history only appends: the file must be there first, and
	 * it is ours alone (what was typed may hold paths and data). */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	return path;
}

/* ---- the loop -------------------------------------------------------- */

static int run_line(const char *line, bool *quit)
{
	int argc;
	const char *why;
	char **argv = shell_split(line, &argc, &why);
	int status = EXIT_OK;

	if (!argv)
		return usage_error("%s", why);
	if (argc == 0) {
		shell_free(argv, argc);
		return EXIT_OK;
	}
	if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0) {
		*quit = true;
	} else if (strcmp(argv[0], "shell") == 0) {
		status = usage_error("already in the shell");
	} else {
		const struct cmd_entry *e = cmd_find(argv[0]);
		if (!e) {
			status = EXIT_USAGE;
		} else if (e->flags & CMD_SERVER) {
			status = client_run(shell_opts, e, argc, argv);
		} else {
			status = e->exec(shell_opts, argc, argv);
		}
		fflush(stdout);
	}
	shell_free(argv, argc);
	return status;
}

int shell_main(const struct global_opts *g)
{
	bool interactive = isatty(STDIN_FILENO), quit = false;
	char *history = interactive ? history_path() : NULL;
	int status = EXIT_OK;

	shell_opts = g;
	if (interactive) {
		rl_readline_name = "ringctl";
		rl_attempted_completion_function = complete;
		using_history();
		if (history)
			read_history(history);
		printf("ringctl %s shell: commands as on the command line, "
		       "'help', 'quit'.\n", PACKAGE_VERSION);
	}
	while (!quit) {
		char *line;
		if (interactive) {
			line = readline("ringctl> ");
		} else {
			size_t cap = 0;
			line = NULL;
			if (getline(&line, &cap, stdin) < 0) {
				free(line);
				line = NULL;
			}
		}
		if (!line)
			break;
		if (interactive && *line) {
			add_history(line);
			if (history)
				append_history(1, history);
		}
		status = run_line(line, &quit);
		free(line);
	}
	if (interactive) {
		putchar('\n');
		if (history)
			history_truncate_file(history, 1000);
	}
	free(history);
	clear_words();
	return status;
}
