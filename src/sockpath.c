/* sockpath.c - the server's socket and files, and the safety of their
 * directory. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "sockpath.h"

/* The default directory must be ours alone: another user who could
 * write there could put a socket of theirs in our server's place. */
static int safe_dir(const char *dir, bool create)
{
	struct stat st;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot make %s: %s", dir, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (lstat(dir, &st) != 0) {
		log_error("%s: %s", dir, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()
	    || (st.st_mode & 077)) {
		log_error("unsafe socket directory %s: it must be a directory "
			  "owned by you, mode 0700", dir);
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

/* A directory the user names (-S, RINGCTL_SOCKET) may be shared, as
 * /tmp is, but no one else may be able to swap what is in it: it must
 * belong to the user or root, and be writable by no one else unless
 * sticky (then others can add names there but not replace ours). */
static int safe_named_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		log_error("socket directory %s: %s", dir, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("socket directory %s: not a directory", dir);
		return EXIT_UNAVAILABLE;
	}
	if (st.st_uid != getuid() && st.st_uid != 0) {
		log_error("unsafe socket directory %s: it belongs to uid %d, "
			  "not to you or root", dir, (int)st.st_uid);
		return EXIT_UNAVAILABLE;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		log_error("unsafe socket directory %s: others may write it "
			  "and it is not sticky (chmod o-w,g-w or +t)", dir);
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

/* out = a + b, or a usage error when it does not fit. */
static int set(char *out, size_t cap, const char *what, const char *a,
	       const char *b)
{
	if ((size_t)snprintf(out, cap, "%s%s", a, b) >= cap) {
		log_error("%s path too long: %s%s", what, a, b);
		return EXIT_USAGE;
	}
	return 0;
}

int server_paths(const struct global_opts *g, struct server_paths *out)
{
	const char *env = getenv("RINGCTL_SOCKET");
	const char *sock = g->socket_path ? g->socket_path
			   : (!g->server_name && env && *env) ? env : NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sock) {
		/* A socket the user names: its directory may be shared
		 * (safe_named_dir); every connection's peer is still
		 * checked. */
		if ((rc = set(out->socket, sizeof(out->socket), "socket", sock,
			      "")) != 0)
			return rc;
		const char *slash = strrchr(sock, '/');
		/* "/s" is in "/", "s" in ".". */
		int dir_len = slash && slash != sock ? (int)(slash - sock) : 1;
		snprintf(out->dir, sizeof(out->dir), "%.*s", dir_len,
			 slash ? sock : ".");
		if ((rc = safe_named_dir(out->dir)) != 0)
			return rc;
	} else {
		const char *name = g->server_name ? g->server_name : "default";
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		const char *tmp = getenv("TMPDIR");
		if (!*name || strchr(name, '/')) {
			log_error("a server name cannot be empty or hold '/': %s",
				  name);
			return EXIT_USAGE;
		}
		if (xdg && *xdg) {
			snprintf(out->dir, sizeof(out->dir), "%s/ringctl", xdg);
		} else {
			snprintf(out->dir, sizeof(out->dir), "%s/ringctl-%u",
				 tmp && *tmp ? tmp : "/tmp", (unsigned)getuid());
		}
		if ((rc = safe_dir(out->dir, true)) != 0)
			return rc;
		char slash_name[PATH_MAX];
		snprintf(slash_name, sizeof(slash_name), "/%s", name);
		if ((rc = set(out->socket, sizeof(out->socket), "socket",
			      out->dir, slash_name)) != 0)
			return rc;
	}
	if ((rc = set(out->pid, sizeof(out->pid), "pid", out->socket,
		      ".pid")) != 0
	    || (rc = set(out->log, sizeof(out->log), "log", out->socket,
			 ".log")) != 0
	    || (rc = set(out->lock, sizeof(out->lock), "lock", out->socket,
			 ".lock")) != 0)
		return rc;
	return 0;
}
