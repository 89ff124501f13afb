/* plugin.c - kernel plugins: loading a shared object, checking its ABI,
 * registering its kernels, and finding a kernel along a search path. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "code-trust.h"
#include "edit-distance.h"
#include "descriptor.h"
#include "device.h"
#include "rk-error.h"
#include "runtime.h"
#include "names.h"
#include "python-kernels.h"
#include "registry.h"

struct rk_loaded_plugin {
	char *path;                     /* canonical, as walked */
	void *handle;
	rk_plugin *plugin;              /* adopted (descriptor.h) */
};

static rk_error check_tables(const rk_plugin *p)
{
	rk_error rc = RK_OK;

	if (!p->kernels || !p->kernels[0])
		return rk_fail(RK_EPLUGIN, "plugin lists no kernels");
	for (size_t i = 0; p->kernels[i] && rc == RK_OK; i++)
		rc = rk_kernel_desc_check(p->kernels[i]);
	return rc;
}

/* Adopt and check the table a plugin exports, before any of it is
 * registered.  *out: the copy (malloc'd), on success. */
static rk_error check_plugin(const char *path, const rk_plugin *raw,
			     rk_plugin **out)
{
	rk_plugin *p = malloc(sizeof(*p));
	rk_error rc = p ? rk_plugin_adopt(raw, p)
			: rk_fail(RK_ENOMEM, "out of memory");

	if (rc == RK_OK && (rc = check_tables(p)) == RK_OK) {
		*out = p;
		return RK_OK;
	}
	free(p);
	if (rc == RK_ENOMEM)
		return rc;
	char why[256];
	snprintf(why, sizeof(why), "%s", rk_errmsg());
	return rk_fail(RK_EPLUGIN, "%s: %s", path, why);
}

static const rk_plugin *find_loaded_locked(rk_runtime *rt, const char *real)
{
	for (size_t i = 0; i < rt->n_plugins; i++)
		if (strcmp(rt->plugins[i].path, real) == 0)
			return rt->plugins[i].plugin;
	return NULL;
}

static rk_error remember_locked(rk_runtime *rt, char *real, void *handle,
				rk_plugin *p)
{
	struct rk_loaded_plugin *all = realloc(rt->plugins,
					       (rt->n_plugins + 1) * sizeof(*all));
	if (!all)
		return rk_fail(RK_ENOMEM, "out of memory");
	rt->plugins = all;
	all[rt->n_plugins++] = (struct rk_loaded_plugin){ real, handle, p };
	for (size_t i = 0; p->kernels[i]; i++)
		rk_registry_add_locked(rt, p->kernels[i], real, true);
	return RK_OK;
}

/* Code that another user could have written is not run: see
 * code-trust.h.  The file is opened (and its constructors run) before
 * rt->lock is taken; a plugin loaded twice at once is kept once. */
rk_error rk_load_plugin(rk_runtime *rt, const char *path,
			const rk_plugin **out)
{
	const rk_plugin *p;
	rk_plugin *table = NULL;
	void *handle;
	char *real;
	rk_error rc;

	/* Local: two plugins may define the same helper names. */
	rc = rk_dlopen_trusted(path, RTLD_NOW | RTLD_LOCAL, RK_EPLUGIN,
			       &handle, &real);
	if (rc != RK_OK)
		return rc;
	pthread_rwlock_wrlock(&rt->lock);
	if ((p = find_loaded_locked(rt, real))) {
		pthread_rwlock_unlock(&rt->lock);
		rk_dlclose_trusted(handle);
		free(real);
		if (out)
			*out = p;
		return RK_OK;
	}
	const void *raw;
	rc = rk_module_table(handle, path, "a ringctl plugin",
			     RK_PLUGIN_SYMBOL, RK_PLUGIN_ABI_VERSION,
			     RK_PLUGIN_SIZE_V1, &raw);
	if (rc == RK_OK && (rc = check_plugin(path, raw, &table)) == RK_OK
	    && (rc = remember_locked(rt, real, handle, table)) != RK_OK)
		free(table);
	pthread_rwlock_unlock(&rt->lock);
	if (rc != RK_OK) {
		rk_dlclose_trusted(handle);
		free(real);
		return rc;
	}
	rk_devices_registered(rt);
	if (out)
		*out = table;
	return RK_OK;
}

void rk_plugins_unload(rk_runtime *rt)
{
	for (size_t i = 0; i < rt->n_plugins; i++) {
		rk_dlclose_trusted(rt->plugins[i].handle);
		free(rt->plugins[i].path);
		free(rt->plugins[i].plugin);
	}
	free(rt->plugins);
	rt->plugins = NULL;
	rt->n_plugins = 0;
	rk_registry_clear_locked(rt);   /* their descriptors are gone */
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Plugin files of a directory ("*.so", and "*.py": kernels written in
 * Python), sorted so that the order, and so which kernel a name finds,
 * does not depend on the file system. */
static char **plugin_files(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	*count = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 4 || (strcmp(e->d_name + len - 3, ".so") != 0
				 && strcmp(e->d_name + len - 3, ".py") != 0))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **more = realloc(names, cap * sizeof(*names));
			if (!more)
				break;
			names = more;
		}
		size_t size = strlen(dir) + len + 2;
		if (!(names[n] = malloc(size)))
			break;
		snprintf(names[n++], size, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), compare_names);
	*count = n;
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool is_python(const char *path)
{
	size_t len = strlen(path);

	return len > 3 && strcmp(path + len - 3, ".py") == 0;
}

static rk_error load_python(rk_runtime *rt, const char *path,
			    const char *search_path, const rk_plugin **out);

/* Walk the plugin files along a search path, loading each until
 * `done` says stop; failures go to `problem`.  Python files are
 * skipped without `scripts` (while their runner is looked for). */
static void walk(rk_runtime *rt, const char *search_path,
		 bool scripts, bool (*done)(rk_runtime *, void *),
		 void *done_arg, rk_plugin_problem_fn problem, void *arg)
{
	char *copy = strdup(search_path ? search_path : "");
	char *save = NULL;

	for (char *dir = strtok_r(copy, ":", &save); dir && copy;
	     dir = strtok_r(NULL, ":", &save)) {
		size_t n;
		char **files = plugin_files(dir, &n);
		for (size_t i = 0; i < n; i++) {
			if (done && done(rt, done_arg)) {
				free_names(files, n);
				free(copy);
				return;
			}
			rk_error rc = RK_OK;
			if (!is_python(files[i]))
				rc = rk_load_plugin(rt, files[i], NULL);
			else if (scripts)
				rc = load_python(rt, files[i], search_path,
						 NULL);
			/* A .py without a header is a helper module. */
			if (rc != RK_OK && rc != RK_ENOTFOUND && problem)
				problem(arg, files[i], rk_errmsg());
		}
		free_names(files, n);
	}
	free(copy);
}

rk_error rk_load_plugins(rk_runtime *rt, const char *search_path,
			 rk_plugin_problem_fn problem, void *arg)
{
	walk(rt, search_path, true, NULL, NULL, problem, arg);
	return RK_OK;
}

static bool registered(rk_runtime *rt, void *name)
{
	return rk_find_kernel(rt, name) != NULL;
}

/* What went wrong on the way, for the "not found" message. */
struct problems {
	char text[512];
	size_t count;
};

static void note_problem(void *arg, const char *path, const char *reason)
{
	struct problems *p = arg;
	size_t used = strlen(p->text);

	if (p->count++ == 0)
		snprintf(p->text + used, sizeof(p->text) - used, "%s", reason);
}

/* A .py kernel file: trusted as a plugin is (what it runs is code),
 * its header read, its runner (python or python-actor) found along the
 * search path where not registered yet.  RK_ENOTFOUND for a file
 * without a header.  Nothing is run: the worker starts at the first
 * message. */
static rk_error load_python(rk_runtime *rt, const char *path,
			    const char *search_path, const rk_plugin **out)
{
	const rk_plugin *p;
	const rk_kernel_desc *runner;
	rk_plugin *table;
	char *real;
	rk_error rc;

	if ((rc = rk_check_trusted(path, RK_EPLUGIN, &real)) != RK_OK)
		return rc;
	const char *name = rk_py_runner(real, &rc);
	if (!name)
		goto fail;
	if (!(runner = rk_find_kernel(rt, name))) {
		walk(rt, search_path, false, registered, (void *)name, NULL,
		     NULL);
		runner = rk_find_kernel(rt, name);
	}
	if (!runner) {
		rc = rk_fail(RK_EPLUGIN, "%s: kernel '%s', which runs Python "
			     "files, not found on the plugin path", path, name);
		goto fail;
	}
	if ((rc = rk_py_table(real, runner, &table)) != RK_OK)
		goto fail;
	/* Its names and parameter declarations, as a plugin's are. */
	if ((rc = check_tables(table)) != RK_OK) {
		char why[256];
		snprintf(why, sizeof(why), "%s", rk_errmsg());
		free(table);
		rc = rk_fail(RK_EPLUGIN, "%s: %s", path, why);
		goto fail;
	}
	pthread_rwlock_wrlock(&rt->lock);
	if ((p = find_loaded_locked(rt, real))) {
		free(table);
		free(real);
	} else if ((rc = remember_locked(rt, real, NULL, table)) != RK_OK) {
		free(table);
		free(real);
	}
	pthread_rwlock_unlock(&rt->lock);
	if (out && rc == RK_OK)
		*out = p ? p : table;
	return rc;
fail:
	free(real);
	return rc;
}

/* "DIR/x.so" or "DIR/x.so:KERNEL": a plugin named by its file;
 * "DIR/x.py": a kernel written in Python. */
static rk_error resolve_file(rk_runtime *rt, const char *spec,
			     const char *search_path,
			     const rk_kernel_desc **out)
{
	char path[PATH_MAX];
	const char *kernel = NULL, *colon = strrchr(spec, ':');
	const rk_plugin *p;
	rk_error rc;

	snprintf(path, sizeof(path), "%s", spec);
	if (colon && !strchr(colon, '/') && colon > spec
	    && colon - spec >= 3 && strncmp(colon - 3, ".so", 3) == 0) {
		path[colon - spec] = '\0';
		kernel = colon + 1;
	}
	if (is_python(path))
		rc = load_python(rt, path, search_path, &p);
	else
		rc = rk_load_plugin(rt, path, &p);
	if (rc != RK_OK)
		return rc;
	size_t n = 0;
	while (p->kernels[n])
		n++;
	if (!kernel) {
		if (n != 1)
			return rk_fail(RK_EINVAL, "%s holds %zu kernels: name one "
				       "as %s:KERNEL", path, n, path);
		*out = p->kernels[0];
		return RK_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(p->kernels[i]->name, kernel) == 0) {
			*out = p->kernels[i];
			return RK_OK;
		}
	}
	return rk_fail(RK_ENOTFOUND, "%s has no kernel '%s'", path, kernel);
}

rk_error rk_resolve_kernel(rk_runtime *rt, const char *spec,
			   const char *search_path, const rk_kernel_desc **out)
{
	struct problems problems = { "", 0 };
	rk_error rc;

	if (!rt || !spec || !*spec || !out)
		return rk_fail(RK_EINVAL, "no kernel named");
	if ((rc = rk_check_control("kernel", spec)) != RK_OK)
		return rc;
	if (strchr(spec, '/') || strstr(spec, ".so") || is_python(spec))
		return resolve_file(rt, spec, search_path, out);
	if ((*out = rk_find_kernel(rt, spec)))
		return RK_OK;
	walk(rt, search_path, true, registered, (void *)spec, note_problem,
		  &problems);
	if ((*out = rk_find_kernel(rt, spec)))
		return RK_OK;
	char hint[96] = "";
	const rk_kernel_desc *d;
	for (size_t i = 0; !hint[0] && (d = rk_registered_kernel(rt, i, NULL));
	     i++)
		if (rk_name_is_close(spec, d->name))
			snprintf(hint, sizeof(hint), "; did you mean '%s'?",
				 d->name);
	if (problems.count)
		return rk_fail(RK_ENOTFOUND, "kernel '%s' not found (%zu plugin%s "
			       "could not be loaded: %s)%s", spec, problems.count,
			       problems.count == 1 ? "" : "s", problems.text,
			       hint);
	return rk_fail(RK_ENOTFOUND, "kernel '%s' not found%s", spec, hint);
}
