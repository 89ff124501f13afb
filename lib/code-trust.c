/* code-trust.c - loading code only from files no other user could
 * have written; see code-trust.h for the rule. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "code-trust.h"
#include "rk-error.h"

#define MAX_LINKS 40    /* as the kernel's own path walk */
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

/* The directories walked so far: fds[0] is /, fds[depth] the current
 * one; ends[i] is the length of `path` (the canonical path) there. */
struct walk {
	const char *given;      /* the path as the caller named it */
	rk_error err;
	int fds[PATH_MAX / 2 + 1];
	size_t ends[PATH_MAX / 2 + 1];
	size_t depth;
	char path[PATH_MAX];
	int links;
};

static bool ours(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* The path walked so far with `name` added, for messages. */
static const char *step_name(struct walk *w, const char *name, char *buf,
			     size_t cap)
{
	if (!name)
		snprintf(buf, cap, "%s", w->depth ? w->path : "/");
	else
		snprintf(buf, cap, "%s/%s", w->path, name);
	return buf;
}

static rk_error refuse(struct walk *w, const char *what,
		       const struct stat *st, const char *why)
{
	if (!ours(st))
		return rk_fail(w->err, "%s: refused: %s belongs to uid %u, "
			       "not to you or root", w->given, what,
			       (unsigned)st->st_uid);
	return rk_fail(w->err, "%s: refused: %s %s (mode %04o)", w->given,
		       what, why, (unsigned)(st->st_mode & 07777));
}

/* A directory others cannot change under us: ours or root's, and
 * writable by no one else unless sticky (then no one else can rename
 * or remove what is ours in it). */
static rk_error check_dir(struct walk *w, const char *what,
			  const struct stat *st)
{
	if (!ours(st))
		return refuse(w, what, st, "");
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return refuse(w, what, st, "is writable by others and not "
			      "sticky");
	return RK_OK;
}

static rk_error check_file(struct walk *w, const char *what,
			   const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return rk_fail(w->err, "%s: refused: %s is not a regular file",
			       w->given, what);
	if (!ours(st))
		return refuse(w, what, st, "");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(w, what, st, "is writable by others");
	return RK_OK;
}

/* "PATH: reason"; where a step other than the file itself is denied,
 * that step is named too. */
static rk_error fail_errno(struct walk *w, const char *what, int e)
{
	bool name_step = e == EACCES && strcmp(what, w->given) != 0;

	return rk_fail(e == ENOENT ? RK_ENOTFOUND : w->err, "%s: %s%s%s",
		       w->given, name_step ? what : "", name_step ? ": " : "",
		       strerror(e));
}

/* A user may mount a FUSE file system over a directory of theirs (with
 * user_allow_other, one others can enter) whose owners and modes it
 * makes up: no code is taken from one. */
static rk_error check_mount(struct walk *w, const char *what, int fd,
			    const struct stat *st)
{
	struct stat parent;
	struct statfs fs;

	if (fstat(w->fds[w->depth], &parent) == 0
	    && parent.st_dev == st->st_dev)
		return RK_OK;
	if (fstatfs(fd, &fs) != 0)
		return fail_errno(w, what, errno);
	if (fs.f_type == FUSE_SUPER_MAGIC)
		return rk_fail(w->err, "%s: refused: %s is on a FUSE file "
			       "system, whose owners and modes its mounter "
			       "makes up", w->given, what);
	return RK_OK;
}

static void walk_close(struct walk *w)
{
	for (size_t i = 0; i <= w->depth; i++)
		close(w->fds[i]);
	w->depth = 0;
}

static rk_error walk_start(struct walk *w, const char *given, rk_error err,
			   char *todo, size_t cap)
{
	struct stat st;

	w->given = given;
	w->err = err;
	w->depth = 0;
	w->path[0] = '\0';
	w->ends[0] = 0;
	w->links = 0;
	if (given[0] == '/') {
		if ((size_t)snprintf(todo, cap, "%s", given) >= cap)
			return fail_errno(w, given, ENAMETOOLONG);
	} else {
		/* Relative: the working directory's path is walked too, so
		 * its ancestors are checked like any other. */
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return fail_errno(w, given, errno);
		if ((size_t)snprintf(todo, cap, "%s/%s", cwd, given) >= cap)
			return fail_errno(w, given, ENAMETOOLONG);
	}
	w->fds[0] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->fds[0] < 0)
		return fail_errno(w, "/", errno);
	if (fstat(w->fds[0], &st) != 0) {
		int e = errno;
		close(w->fds[0]);
		return fail_errno(w, "/", e);
	}
	rk_error rc = check_dir(w, "/", &st);
	if (rc != RK_OK)
		close(w->fds[0]);
	return rc;
}

/* Replace `todo` (what is left after the link) with target + rest. */
static rk_error follow_link(struct walk *w, int fd, const char *what,
			    const struct stat *st, char *todo, size_t cap,
			    const char *rest)
{
	char target[PATH_MAX];
	ssize_t n;

	/* A link in a sticky directory is its owner's to change. */
	if (!ours(st))
		return refuse(w, what, st, "");
	if (++w->links > MAX_LINKS)
		return fail_errno(w, w->given, ELOOP);
	n = readlinkat(fd, "", target, sizeof(target));
	if (n < 0)
		return fail_errno(w, what, errno);
	if ((size_t)n >= sizeof(target))
		return fail_errno(w, what, ENAMETOOLONG);
	target[n] = '\0';
	char *joined = malloc(cap);
	if (!joined)
		return rk_fail(RK_ENOMEM, "out of memory");
	/* rest is "" or "/...": a trailing '/' still asks for a
	 * directory. */
	size_t len = (size_t)snprintf(joined, cap, "%s%s", target, rest);
	if (len < cap)
		memcpy(todo, joined, len + 1);
	free(joined);
	if (len >= cap)
		return fail_errno(w, w->given, ENAMETOOLONG);
	if (target[0] == '/') {
		while (w->depth > 0)
			close(w->fds[w->depth--]);
		w->path[0] = '\0';
	}
	return RK_OK;
}

static rk_error push_dir(struct walk *w, int fd, const char *name)
{
	size_t used = w->ends[w->depth];

	if (w->depth + 1 >= sizeof(w->fds) / sizeof(w->fds[0])
	    || used + 1 + strlen(name) >= sizeof(w->path)) {
		close(fd);
		return fail_errno(w, w->given, ENAMETOOLONG);
	}
	snprintf(w->path + used, sizeof(w->path) - used, "/%s", name);
	w->fds[++w->depth] = fd;
	w->ends[w->depth] = strlen(w->path);
	return RK_OK;
}

static void pop_dir(struct walk *w)
{
	if (w->depth == 0)
		return;         /* "/.." is "/" */
	close(w->fds[w->depth--]);
	w->path[w->ends[w->depth]] = '\0';
}

/* Walk `todo` one name at a time from /, each opened relative to the
 * directory checked before it.  On success *fd is an O_PATH descriptor
 * of the checked file and w->path its canonical path. */
static rk_error walk_to_file(struct walk *w, char *todo, size_t cap, int *fd)
{
	char name[NAME_MAX + 1], what[PATH_MAX + NAME_MAX + 2];
	char *rest = todo;
	rk_error rc;

	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			return rk_fail(w->err, "%s: refused: %s is not a "
				       "regular file", w->given,
				       step_name(w, NULL, what, sizeof(what)));
		size_t len = strcspn(rest, "/");
		if (len > NAME_MAX)
			return fail_errno(w, w->given, ENAMETOOLONG);
		memcpy(name, rest, len);
		name[len] = '\0';
		rest += len;
		bool last = *rest == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			pop_dir(w);
			continue;
		}
		step_name(w, name, what, sizeof(what));
		int next = openat(w->fds[w->depth], name,
				  O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (next < 0 && errno == EACCES) {
			/* The directory we are in denies the search. */
			char here[PATH_MAX];
			return fail_errno(w, step_name(w, NULL, here,
						       sizeof(here)), EACCES);
		}
		if (next < 0)
			return fail_errno(w, what, errno);
		if (fstat(next, &st) != 0) {
			int e = errno;
			close(next);
			return fail_errno(w, what, e);
		}
		if (S_ISLNK(st.st_mode)) {
			rc = follow_link(w, next, what, &st, todo, cap, rest);
			close(next);
			if (rc != RK_OK)
				return rc;
			rest = todo;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((rc = check_mount(w, what, next, &st)) != RK_OK
			    || (rc = check_dir(w, what, &st)) != RK_OK
			    || (rc = push_dir(w, next, name)) != RK_OK) {
				close(next);
				return rc;
			}
			continue;
		}
		if (!last) {
			close(next);
			return fail_errno(w, what, ENOTDIR);
		}
		if ((rc = check_mount(w, what, next, &st)) != RK_OK
		    || (rc = check_file(w, what, &st)) != RK_OK) {
			close(next);
			return rc;
		}
		if (strlen(what) >= sizeof(w->path)) {
			close(next);
			return fail_errno(w, w->given, ENAMETOOLONG);
		}
		memcpy(w->path, what, strlen(what) + 1);
		*fd = next;
		return RK_OK;
	}
}

/* *fd: an O_PATH descriptor of the checked file. */
static rk_error open_trusted(const char *path, rk_error err, char **canonical,
			     int *fd)
{
	struct walk *w = malloc(sizeof(*w));
	size_t cap = 2 * PATH_MAX;
	char *todo = malloc(cap);
	rk_error rc;

	*fd = -1;
	if (!w || !todo) {
		rc = rk_fail(RK_ENOMEM, "out of memory");
	} else if (!path || !*path) {
		rc = rk_fail(err, "no file named");
	} else if ((rc = walk_start(w, path, err, todo, cap)) == RK_OK) {
		rc = walk_to_file(w, todo, cap, fd);
		if (rc == RK_OK && canonical
		    && !(*canonical = strdup(w->path))) {
			close(*fd);
			*fd = -1;
			rc = rk_fail(RK_ENOMEM, "out of memory");
		}
		walk_close(w);
	}
	free(todo);
	free(w);
	return rc;
}

rk_error rk_check_trusted(const char *path, rk_error err, char **canonical)
{
	int fd;
	rk_error rc = open_trusted(path, err, canonical, &fd);

	if (rc == RK_OK)
		close(fd);
	return rc;
}

/* The descriptors of the files loaded, one per file, never closed:
 * glibc finds an object already loaded by its name first, so a number
 * reused for another file would name the object loaded before.  Code
 * that closes every descriptor (a daemon's close_range) may still close
 * ours: such an entry is stale, and its number is never used again as
 * a name. */
static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded_file {
	dev_t dev;
	ino_t ino;
	int fd;
	bool stale;
	bool closing;           /* being looked at by forget_if_unloaded */
	void *handle;           /* what dlopen gave for it, if it did */
} *loaded;
static size_t n_loaded, cap_loaded;

static bool same_file(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* Mark entries whose descriptor was closed behind our back (fd, just
 * opened, may have taken the number of one) and find the file's. */
static int find_kept_locked(int fd, const struct stat *st)
{
	int use = -1;

	for (size_t i = 0; i < n_loaded; i++) {
		struct loaded_file *e = &loaded[i];
		if (!e->stale && (e->fd == fd
				  || !same_file(e->fd, e->dev, e->ino)))
			e->stale = true;
		if (!e->stale && !e->closing && e->dev == st->st_dev
		    && e->ino == st->st_ino)
			use = e->fd;
	}
	return use;
}

static bool number_taken_locked(int fd)
{
	for (size_t i = 0; i < n_loaded; i++)
		if (loaded[i].fd == fd)
			return true;
	return false;
}

/* The descriptor to load `fd`'s file through: one kept before for the
 * same file (fd is closed), or fd (moved to a number never named
 * before), now kept.  -1 when out of memory or descriptors. */
static int keep_descriptor(int fd)
{
	struct stat st;
	int use;

	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	pthread_mutex_lock(&loaded_lock);
	if ((use = find_kept_locked(fd, &st)) >= 0) {
		close(fd);
		pthread_mutex_unlock(&loaded_lock);
		return use;
	}
	while (fd >= 0 && number_taken_locked(fd)) {
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		close(fd);
		fd = moved;
	}
	if (fd >= 0 && n_loaded == cap_loaded) {
		size_t cap = cap_loaded ? 2 * cap_loaded : 8;
		struct loaded_file *more = realloc(loaded, cap * sizeof(*more));
		if (more) {
			loaded = more;
			cap_loaded = cap;
		}
	}
	if (fd >= 0 && n_loaded < cap_loaded) {
		loaded[n_loaded++] = (struct loaded_file){
			st.st_dev, st.st_ino, fd, false, false, NULL };
		use = fd;
	} else if (fd >= 0) {
		close(fd);
	}
	pthread_mutex_unlock(&loaded_lock);
	return use;
}

static void name_of(int fd, char *name, size_t cap)
{
	snprintf(name, cap, "/proc/self/fd/%d", fd);
}

/* Close the kept descriptor `fd` once no object is loaded by its name
 * or from its file: a plugin rebuilt and loaded again and again is a
 * new file each time.  dlopen is asked without loaded_lock (a
 * constructor in another thread, holding glibc's lock, may want ours);
 * meanwhile the entry is `closing`, used by no new load. */
static void forget_if_unloaded(int fd)
{
	struct loaded_file *e = NULL;
	char name[64];

	pthread_mutex_lock(&loaded_lock);
	for (size_t i = 0; i < n_loaded && !e; i++)
		if (!loaded[i].stale && !loaded[i].closing
		    && loaded[i].fd == fd)
			e = &loaded[i];
	if (e)
		e->closing = true;
	pthread_mutex_unlock(&loaded_lock);
	if (!e)
		return;
	name_of(fd, name, sizeof(name));
	void *still = dlopen(name, RTLD_NOLOAD | RTLD_LAZY);
	if (still)
		dlclose(still);         /* the count NOLOAD took */
	pthread_mutex_lock(&loaded_lock);
	for (size_t i = 0; i < n_loaded; i++) {
		if (loaded[i].closing && loaded[i].fd == fd) {
			if (still) {
				loaded[i].closing = false;
			} else {
				close(fd);
				loaded[i] = loaded[--n_loaded];
			}
			break;
		}
	}
	pthread_mutex_unlock(&loaded_lock);
}

static void remember_handle(int fd, void *handle)
{
	pthread_mutex_lock(&loaded_lock);
	for (size_t i = 0; i < n_loaded; i++)
		if (!loaded[i].stale && loaded[i].fd == fd)
			loaded[i].handle = handle;
	pthread_mutex_unlock(&loaded_lock);
}

void rk_dlclose_trusted(void *handle)
{
	int fd = -1;

	if (!handle)
		return;
	dlclose(handle);
	pthread_mutex_lock(&loaded_lock);
	for (size_t i = 0; i < n_loaded && fd < 0; i++)
		if (!loaded[i].stale && loaded[i].handle == handle)
			fd = loaded[i].fd;
	pthread_mutex_unlock(&loaded_lock);
	if (fd >= 0)
		forget_if_unloaded(fd);
}

rk_error rk_dlopen_trusted(const char *path, int flags, rk_error err,
			   void **handle, char **canonical)
{
	char *walked = NULL;
	char name[64];
	int fd;
	rk_error rc;

	*handle = NULL;
	if ((rc = open_trusted(path, err, &walked, &fd)) != RK_OK)
		return rc;
	int use = keep_descriptor(fd);          /* takes fd */
	if (use < 0) {
		free(walked);
		return rk_fail(RK_ENOMEM, "%s: out of memory or descriptors",
			       path);
	}
	/* No lock held here: dlopen runs the file's constructors. */
	name_of(use, name, sizeof(name));
	if (!(*handle = dlopen(name, flags))) {
		const char *e = dlerror();
		size_t n = strlen(name);
		if (access("/proc/self/fd", X_OK) != 0)
			rc = rk_fail(err, "%s: cannot be loaded safely without "
				     "/proc (it is loaded through the "
				     "descriptor that was checked)", path);
		else if (e && strncmp(e, name, n) == 0)
			rc = rk_fail(err, "%s%s", walked, e + n);
		else
			rc = rk_fail(err, "%s: %s", walked,
				     e ? e : "cannot load");
		free(walked);
		forget_if_unloaded(use);
		return rc;
	}
	remember_handle(use, *handle);
	if (canonical)
		*canonical = walked;
	else
		free(walked);
	return RK_OK;
}

rk_error rk_module_open(const char *path, int flags, void **handle)
{
	return rk_dlopen_trusted(path, flags, RK_EPLUGIN, handle, NULL);
}

void rk_module_close(void *handle)
{
	rk_dlclose_trusted(handle);
}

rk_error rk_module_table(void *handle, const char *path, const char *what,
			 const char *symbol, uint32_t abi, size_t min_size,
			 const void **table)
{
	const rk_module_header *h = handle ? dlsym(handle, symbol) : NULL;

	*table = NULL;
	if (!h)
		return rk_fail(RK_EPLUGIN, "%s: not %s (no %s symbol)", path,
			       what, symbol);
	if (h->abi_version != abi)
		return rk_fail(RK_EPLUGIN, "%s: %s of ABI version %u, expected "
			       "%u", path, what, h->abi_version, abi);
	if (h->struct_size < min_size)
		return rk_fail(RK_EPLUGIN, "%s: %s whose table is %u bytes, "
			       "smaller than any release's (%zu)", path, what,
			       h->struct_size, min_size);
	*table = h;
	return RK_OK;
}
