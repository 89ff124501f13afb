/* exec-spec.c - an exec kernel's parameters made into what execve
 * takes; see exec-spec.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec-spec.h"

extern char **environ;

static int fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* One JSON string at *p (after its quote), unescaped into a new string;
 * \uXXXX as UTF-8 (a surrogate pair joined). */
static char *json_string(const char **p)
{
	const char *s = *p;
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	if (!out)
		return NULL;
	while (*s && *s != '"') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case '"': case '\\': case '/': *o++ = *s; break;
		case 'u': {
			unsigned long cp;
			char hex[5] = { 0 };
			memcpy(hex, s + 1, 4);
			cp = strtoul(hex, NULL, 16);
			if (strlen(hex) != 4 || cp == 0)
				goto bad;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\'
			    && s[2] == 'u') {
				memcpy(hex, s + 3, 4);
				unsigned long lo = strtoul(hex, NULL, 16);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10)
					     + (lo - 0xdc00);
					s += 6;
				}
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xc0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xe0 | cp >> 12);
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*o++ = (char)(0xf0 | cp >> 18);
				*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
				*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	if (*s != '"')
		goto bad;
	*o = '\0';
	*p = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static void free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* A JSON array of strings (what a YAML list of scalars becomes) into a
 * NULL-ended list; NULL when it is not one. */
static char **string_array(const char *text, size_t *count)
{
	const char *p = text + strspn(text, " \t\n");
	char **list = calloc(1, sizeof(*list));
	size_t n = 0;

	if (!list || *p++ != '[')
		goto bad;
	p += strspn(p, " \t\n");
	while (*p != ']') {
		if (n && *p++ != ',')
			goto bad;
		p += strspn(p, " \t\n");
		if (*p++ != '"')
			goto bad;
		char **more = realloc(list, (n + 2) * sizeof(*list));
		if (!more)
			goto bad;
		list = more;
		list[n + 1] = NULL;
		if (!(list[n] = json_string(&p)))
			goto bad;
		n++;
		p += strspn(p, " \t\n");
	}
	p++;
	if (p[strspn(p, " \t\n")])
		goto bad;
	*count = n;
	return list;
bad:
	free_list(list);
	return NULL;
}

/* The program a name without '/' runs: the first executable file of
 * that name on PATH (the command's PATH, as the shell would look). */
static char *find_program(const char *name, const char *path)
{
	struct stat st;

	if (strchr(name, '/'))
		return strdup(name);
	for (const char *p = path ? path : "/usr/bin:/bin"; ; ) {
		size_t n = strcspn(p, ":");
		char *full;
		if (asprintf(&full, "%.*s%s%s", (int)n, n ? p : ".",
			     "/", name) < 0)
			return NULL;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)
		    && access(full, X_OK) == 0)
			return full;
		free(full);
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* Ours, with each NAME=VALUE of env put over it. */
static char **environment(char **env)
{
	size_t n = 0, m = 0;

	while (environ && environ[n])
		n++;
	for (size_t i = 0; env && env[i]; i++)
		m++;
	char **all = calloc(n + m + 1, sizeof(*all));
	size_t k = 0;
	if (!all)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool over = false;
		size_t len = strcspn(environ[i], "=");
		for (size_t j = 0; j < m && !over; j++)
			over = strncmp(env[j], environ[i], len + 1) == 0;
		if (!over && !(all[k++] = strdup(environ[i])))
			goto bad;
	}
	for (size_t j = 0; j < m; j++)
		if (!(all[k++] = strdup(env[j])))
			goto bad;
	return all;
bad:
	free_list(all);
	return NULL;
}

static const char *lookup(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

int exec_spec_check(const char *command, const char *argv, const char *env,
		    char *why, size_t cap)
{
	size_t n = 0;
	char **list;

	if (!!(command && *command) == !!(argv && *argv))
		return fail(why, cap, "give the command to run as command (a "
			    "shell command line) or argv (a list of words), "
			    "one of the two");
	if (argv && *argv) {
		if (!(list = string_array(argv, &n)) || n == 0) {
			free_list(list);
			return fail(why, cap, "argv must be a non-empty list "
				    "of strings (a JSON array), not '%s'", argv);
		}
		free_list(list);
	}
	if (env && *env) {
		if (!(list = string_array(env, &n)))
			return fail(why, cap, "env must be a list of NAME=VALUE "
				    "strings (a JSON array), not '%s'", env);
		for (size_t i = 0; list[i]; i++)
			if (!strchr(list[i], '=') || list[i][0] == '=') {
				snprintf(why, cap, "env: '%s' is not NAME=VALUE",
					 list[i]);
				free_list(list);
				return -1;
			}
		free_list(list);
	}
	return 0;
}

int exec_spec_build(struct exec_owned *o, const char *command,
		    const char *argv, const char *env, const char *dir,
		    char *why, size_t cap)
{
	size_t n = 0;
	char **vars = NULL;
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (exec_spec_check(command, argv, env, why, cap) != 0)
		return -1;
	if (argv && *argv) {
		if (!(o->argv = string_array(argv, &n)))
			goto nomem;
	} else {
		o->argv = calloc(4, sizeof(*o->argv));
		if (!o->argv || !(o->argv[0] = strdup("sh"))
		    || !(o->argv[1] = strdup("-c"))
		    || !(o->argv[2] = strdup(command)))
			goto nomem;
	}
	if (env && *env && !(vars = string_array(env, &n)))
		goto nomem;
	o->envp = environment(vars);
	free_list(vars);
	if (!o->envp)
		goto nomem;
	if (dir && *dir) {
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return fail(why, cap, "dir '%s' is not a directory",
				    dir);
		if (!(o->dir = strdup(dir)))
			goto nomem;
	}
	const char *program = command && *command ? "/bin/sh" : o->argv[0];
	if (!(o->path = find_program(program, lookup(o->envp, "PATH"))))
		return fail(why, cap, "command '%s' not found on PATH", program);
	o->spec = (struct exec_spec){ o->path, o->argv, o->envp, o->dir };
	return 0;
nomem:
	return fail(why, cap, "out of memory");
}

void exec_spec_free(struct exec_owned *o)
{
	free_list(o->argv);
	free_list(o->envp);
	free(o->path);
	free(o->dir);
	memset(o, 0, sizeof(*o));
}
