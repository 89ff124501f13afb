/* cmd-servers.c - `ringctl servers`: the runtime servers of this user,
 * as `tmux ls` lists its sessions: name, pid, kernels, socket.
 *
 * A server is a socket in the user's server directory (sockpath.h); one
 * whose process is gone left its socket behind ("stale": the next launch
 * of that name starts afresh).  Each live one is asked for its kernels,
 * so a name listed is one a command can reach with -L NAME.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "exitcode.h"
#include "jsonw.h"
#include "log.h"
#include "sockpath.h"
#include "xmalloc.h"

/* The pid its pid file names, or 0 (none, unreadable, or not one). */
static long pid_of(int dir, const char *name)
{
	char file[300], text[32] = "";
	long pid = 0;

	snprintf(file, sizeof(file), "%s.pid", name);
	int fd = openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n > 0 && sscanf(text, "%ld", &pid) == 1 && pid > 0)
		return pid;
	return 0;
}

/* How many kernels server `name` holds, or -1 where it does not say. */
static long kernels_of(const char *name)
{
	struct global_opts g = { .server_name = name };
	char *argv[] = { "list", "--json", NULL };
	char *out = NULL;
	long n = -1;

	if (client_capture(&g, &cmd_list_entry, 2, argv, &out) == EXIT_OK) {
		n = 0;
		for (char *p = out; p && (p = strchr(p, '\n')); p++)
			n++;
	}
	free(out);
	return n;
}

struct server {
	char *name;
	long pid;               /* 0: unknown */
	bool running;
	long kernels;           /* -1: unknown */
	char socket[PATH_MAX + 256];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct server *)a)->name,
		      ((const struct server *)b)->name);
}

static void show(const struct server *s, size_t n, bool json)
{
	if (!json)
		printf("%-16s %-8s %-8s %7s  %s\n", "NAME", "STATE", "PID",
		       "KERNELS", "SOCKET");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			jsonw_object_begin(stdout);
			jsonw_field_string(stdout, "name", s[i].name);
			jsonw_field_string(stdout, "state", s[i].running
					   ? "running" : "stale");
			jsonw_field(stdout, "pid");
			s[i].pid ? printf("%ld", s[i].pid) : printf("null");
			jsonw_field(stdout, "kernels");
			s[i].kernels >= 0 ? printf("%ld", s[i].kernels)
					  : printf("null");
			jsonw_field_string(stdout, "socket", s[i].socket);
			jsonw_object_end(stdout);
			continue;
		}
		char pid[24] = "-", kernels[24] = "-";
		if (s[i].pid)
			snprintf(pid, sizeof(pid), "%ld", s[i].pid);
		if (s[i].kernels >= 0)
			snprintf(kernels, sizeof(kernels), "%ld", s[i].kernels);
		printf("%-16s %-8s %-8s %7s  %s\n", s[i].name,
		       s[i].running ? "running" : "stale", pid, kernels,
		       s[i].socket);
	}
}

static const struct cmd_option servers_options[] = {
	OPTION_FORMATS(option_table_or_json, "table (default) or json: one "
		       "object per server"),
	{ 0 }
};

static int cmd_servers_exec(const struct global_opts *g, int argc, char **argv)
{
	bool json = false;
	int status, first = cmd_parse_options(&cmd_servers_entry, argc, argv,
					      &json, &status);

	if (first < 0)
		return status;
	if (first < argc)
		return usage_error("servers takes no operands");
	/* The directory of named servers (-S names one socket: no list). */
	struct global_opts named = { .server_name = "default" };
	struct server_paths paths;
	if ((status = server_paths(&named, &paths)) != 0)
		return status;
	int dir = open(paths.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dir >= 0 ? fdopendir(dir) : NULL;
	if (!d) {
		log_error("%s: %s", paths.dir, strerror(errno));
		if (dir >= 0)
			close(dir);
		return EXIT_FAIL;
	}
	struct server *all = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0
		    || !S_ISSOCK(st.st_mode))
			continue;
		all = xrealloc(all, (n + 1) * sizeof(*all));
		struct server *s = &all[n++];
		s->name = xstrdup(e->d_name);
		s->pid = pid_of(dir, e->d_name);
		s->running = s->pid && (kill((pid_t)s->pid, 0) == 0
					|| errno == EPERM);
		s->kernels = s->running ? kernels_of(s->name) : -1;
		/* Its process alive but deaf: not one we can reach. */
		if (s->kernels < 0)
			s->running = false;
		snprintf(s->socket, sizeof(s->socket), "%s/%s", paths.dir,
			 e->d_name);
	}
	closedir(d);
	if (n)
		qsort(all, n, sizeof(*all), by_name);
	show(all, n, json);
	for (size_t i = 0; i < n; i++)
		free(all[i].name);
	free(all);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cmd_entry cmd_servers_entry = {
	.name = "servers",
	.usage = "[--format table|json]",
	.summary = "list this user's runtime servers, as tmux ls does",
	.options = servers_options,
	.take_option = option_take_json,
	.exec = cmd_servers_exec,
};
