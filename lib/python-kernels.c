/* python-kernels.c - .py files on the plugin path as kernels; see
 * python-kernels.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python-kernels.h"
#include "rk-error.h"

/* The file's first lines (NUL-ended, malloc'd), or NULL with errno. */
static char *head_of(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, n = 0;
	char line[1024];

	if (!f)
		return NULL;
	for (int i = 0; i < RK_PY_HEADER_LINES && fgets(line, sizeof(line), f);
	     i++) {
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			cap = 2 * (n + l + 1);
			char *more = realloc(text, cap);
			if (!more) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = more;
		}
		memcpy(text + n, line, l + 1);
		n += l;
	}
	fclose(f);
	*len = n;
	return text ? text : calloc(1, 1);
}

/* The value of "#: key: value" at line (in place: the line is cut at
 * its end), or NULL where the line is not that key's. */
static char *header_value(char *line, const char *key)
{
	size_t k = strlen(key);

	if (strncmp(line, "#: ", 3) != 0 || strncmp(line + 3, key, k) != 0
	    || line[3 + k] != ':')
		return NULL;
	char *v = line + 4 + k;
	v += strspn(v, " \t");
	v[strcspn(v, "\r\n")] = '\0';
	for (size_t e = strlen(v); e && (v[e - 1] == ' ' || v[e - 1] == '\t');)
		v[--e] = '\0';
	return v;
}

/* Each line of text, cut into its own string. */
static char *next_line(char **at)
{
	char *line = *at, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	*at = nl ? nl + 1 : line + strlen(line);
	if (nl)
		*nl = '\0';
	return line;
}

const char *rk_py_runner(const char *path, rk_error *rc)
{
	size_t len;
	char *text = head_of(path, &len), *at = text, *line;
	bool kernel = false;

	if (!text) {
		*rc = rk_fail(RK_EPLUGIN, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((line = next_line(&at)))
		kernel = kernel || header_value(line, "kernel");
	free(text);
	if (!kernel) {
		*rc = rk_fail(RK_ENOTFOUND, "%s: no '#: kernel: NAME' line in "
			      "its first %d lines", path, RK_PY_HEADER_LINES);
		return NULL;
	}
	/* The actor form may come after the header: the whole file. */
	FILE *f = fopen(path, "r");
	char l[1024];
	bool actor = false;
	while (f && !actor && fgets(l, sizeof(l), f))
		actor = strncmp(l, "async def main(", 15) == 0;
	if (f)
		fclose(f);
	*rc = RK_OK;
	return actor ? "python-actor" : "python";
}

struct py_table {
	rk_plugin plugin;               /* first: free() of it frees all */
	const rk_kernel_desc *kernels[2];
	rk_kernel_desc desc;
	rk_param_desc params[];
};

/* "NAME TYPE[=DEFAULT] DESCRIPTION" into d, in place. */
static rk_error param_line(const char *path, char *v, rk_param_desc *d)
{
	char *name = v, *type, *eq;

	v += strcspn(v, " \t");
	if (!*v)
		goto bad;
	*v++ = '\0';
	v += strspn(v, " \t");
	type = v;
	v += strcspn(v, " \t");
	if (*v) {
		*v++ = '\0';
		v += strspn(v, " \t");
	}
	d->name = name;
	d->type = type;
	d->default_value = NULL;        /* none: required */
	if ((eq = strchr(type, '='))) {
		*eq = '\0';
		d->default_value = eq + 1;
	}
	d->description = v;
	if (*type)
		return RK_OK;
bad:
	return rk_fail(RK_EPLUGIN, "%s: '#: param: %s' is not '#: param: "
		       "NAME TYPE[=DEFAULT] DESCRIPTION'", path, name);
}

rk_error rk_py_table(const char *path, const rk_kernel_desc *runner,
		     rk_plugin **out)
{
	size_t len, n = 0;
	char *text = head_of(path, &len), *at, *line, *v;

	if (!text)
		return rk_fail(RK_EPLUGIN, "%s: %s", path, strerror(errno));
	for (const char *p = text; p; ) {
		n += strncmp(p, "#: param:", 9) == 0;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	/* The table, its parameters, then the header and the path it
	 * points into. */
	size_t fixed = sizeof(struct py_table) + (n + 2) * sizeof(rk_param_desc);
	struct py_table *t = calloc(1, fixed + len + 1 + strlen(path) + 1);
	if (!t) {
		free(text);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	char *head = (char *)t + fixed, *file = head + len + 1;
	memcpy(head, text, len + 1);
	strcpy(file, path);
	free(text);
	t->desc = *runner;
	t->desc.name = NULL;
	t->desc.description = "a kernel written in Python";
	size_t k = 0;
	rk_error rc = RK_OK;
	for (at = head; rc == RK_OK && (line = next_line(&at));) {
		if ((v = header_value(line, "kernel")))
			t->desc.name = v;
		else if ((v = header_value(line, "description")))
			t->desc.description = v;
		else if ((v = header_value(line, "param")) && k < n)
			rc = param_line(path, v, &t->params[k++]);
		else if (((v = header_value(line, "input"))
			  || (v = header_value(line, "output")))
			 && strcmp(v, "json") != 0)
			rc = rk_fail(RK_EPLUGIN, "%s: a Python kernel's messages "
				     "are json, not '%s'", path, v);
	}
	if (rc == RK_OK && (!t->desc.name || !*t->desc.name))
		rc = rk_fail(RK_EPLUGIN, "%s: '#: kernel:' names no kernel",
			     path);
	if (rc != RK_OK) {
		free(t);
		return rc;
	}
	t->params[k++] = (rk_param_desc){ "file", "path", file,
		"the kernel's Python file" };
	t->params[k] = (rk_param_desc){ NULL, NULL, NULL, NULL };
	t->desc.params = t->params;
	t->kernels[0] = &t->desc;
	t->plugin = (rk_plugin){ RK_PLUGIN_ABI_VERSION, sizeof(rk_plugin),
		t->desc.name, t->desc.description, t->kernels };
	*out = &t->plugin;
	return RK_OK;
}
