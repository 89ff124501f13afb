/* client.c - the client side of a server command. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"
#include "plugin-path.h"
#include "proto.h"
#include "server.h"
#include "session.h"
#include "sockpath.h"
#include "xmalloc.h"

#define START_WAIT_MS 10000
/* How long a stopped server may take to exit: it drains its kernels
 * (5 s at most) and waits for its other clients (5 s), then exits. */
#define STOP_WAIT_MS 15000

/* connect_to: a server listens there, but it is not ours. */
#define REFUSED (-2)

/* Whoever listens on the socket must be us: a server of another user
 * (one who could write the socket's directory and put theirs in its
 * place) would read our command, directory and input, and answer what
 * it likes.  Checked before we send a byte. */
static bool server_is_ours(int fd, const char *path)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_error("%s: cannot tell who listens there: %s", path,
			  strerror(errno));
		return false;
	}
	if (cred.uid == getuid())
		return true;
	log_error("%s: the server there runs as uid %d, not as you (uid %d): "
		  "refusing to talk to it", path, (int)cred.uid, (int)getuid());
	return false;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return server_is_ours(fd, path) ? fd : (close(fd), REFUSED);
	int saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

/* Whether connect's err means that no server listens there (no socket,
 * or one nobody accepts on), rather than one we may not reach. */
static bool none_there(int err)
{
	return err == ENOENT || err == ECONNREFUSED;
}

/* Connect, starting a server where the command may and none is there;
 * a server that is starting (another client won the lock) gets a
 * moment to listen.  On -1, *err says why. */
static int connect_server(const struct global_opts *g,
			  const struct server_paths *paths, bool start,
			  int *err)
{
	int fd = connect_to(paths->socket);

	*err = errno;
	if (fd >= 0 || fd == REFUSED || !start || !none_there(*err))
		return fd;
	const struct server_settings defaults = SERVER_SETTINGS_INIT;
	if (server_start(g, &defaults) != EXIT_OK) {
		*err = ENOENT;
		return -1;
	}
	for (int waited = 0; waited < START_WAIT_MS; waited += 20) {
		if ((fd = connect_to(paths->socket)) >= 0 || fd == REFUSED)
			return fd;
		*err = errno;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	return -1;
}

/* No server answered on path: say whether none is there, or one we may
 * not reach (another user's directory or socket). */
static void say_unreachable(const char *path, int err)
{
	if (none_there(err))
		log_error("no server running on %s", path);
	else
		log_error("cannot reach the server on %s: %s", path,
			  strerror(err));
}

/* *done counts what was written, also when it fails half way. */
static bool write_all(int fd, const char *p, size_t n, uint64_t *done)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
		if (done)
			*done += (uint64_t)w;
	}
	return true;
}

/* A server that refuses us at once (busy) says why as a failed command
 * does, STDERR then EXIT: pass it on, and its status. */
static int refused(int fd, const char *text, size_t len)
{
	uint32_t type;
	int32_t status = EXIT_UNAVAILABLE;
	char buf[16];
	size_t n;

	write_all(STDERR_FILENO, text, len, NULL);
	if (proto_recv(fd, &type, buf, sizeof(buf), &n) == 1
	    && type == MSG_EXIT && n == sizeof(status))
		memcpy(&status, buf, sizeof(status));
	return status ? status : EXIT_UNAVAILABLE;
}

static int hello(int fd, const char *socket)
{
	uint32_t version = PROTOCOL_VERSION, type;
	char answer[512];
	size_t len;

	/* A refusal may wait for us even where the hello could not go
	 * (the server closed after it): read the answer either way. */
	(void)proto_send(fd, MSG_HELLO, &version, sizeof(version));
	if (proto_recv(fd, &type, answer, sizeof(answer), &len) != 1) {
		log_error("the server on %s does not answer", socket);
		return EXIT_UNAVAILABLE;
	}
	if (type == MSG_STDERR)
		return refused(fd, answer, len);
	if (type == MSG_MISMATCH) {
		uint32_t theirs = 0;
		memcpy(&theirs, answer, len < 4 ? len : 4);
		log_error("the server on %s speaks protocol %u, this ringctl %u: "
			  "stop it with the ringctl that started it", socket,
			  theirs, PROTOCOL_VERSION);
		return EXIT_UNAVAILABLE;
	}
	return type == MSG_HELLO_OK ? EXIT_OK : EXIT_UNAVAILABLE;
}

/* The search path with relative directories made absolute: the server
 * runs elsewhere. */
static char *absolute_path(const char *path, const char *cwd)
{
	char *copy = xstrdup(path), *save = NULL, *out = xstrdup("");

	for (char *dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char *next = xasprintf("%s%s%s%s%s", out, *out ? ":" : "",
				       dir[0] == '/' ? "" : cwd,
				       dir[0] == '/' ? "" : "/", dir);
		free(out);
		out = next;
	}
	free(copy);
	return out;
}

static bool send_command(int fd, const struct global_opts *g, int argc,
			 char **argv)
{
	char cwd[4096];
	char *search = plugin_search_path(g);
	size_t len = 0, cap = 8192;
	char *buf = xmalloc(cap);

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	char *path = absolute_path(search, cwd);
	free(search);
	/* -q or -v, and "t" where our standard output is a terminal (a
	 * command that redraws, stats --watch, needs to know). */
	char flags[3] = "";
	if (log_quiet || log_verbose)
		strcat(flags, log_quiet ? "q" : "v");
	if (isatty(STDOUT_FILENO))
		strcat(flags, "t");
	const char *fields[3] = { cwd, path, flags };
	for (int i = -3; i < argc; i++) {
		const char *w = i < 0 ? fields[i + 3] : argv[i];
		size_t n = strlen(w) + 1;
		if (len + n > cap)
			buf = xrealloc(buf, cap = 2 * (len + n));
		memcpy(buf + len, w, n);
		len += n;
	}
	bool ok = proto_send(fd, MSG_COMMAND, buf, len) == 0;
	free(buf);
	free(path);
	return ok;
}

/* Standard input to the server, one chunk at a time. */
static bool pump_input(int fd, bool *done)
{
	char chunk[SESSION_INPUT_MAX];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		*done = true;
		return proto_send(fd, MSG_STDIN_EOF, NULL, 0) == 0;
	}
	return proto_send(fd, MSG_STDIN, chunk, (size_t)n) == 0;
}

/* Where a command's output goes: our stdout, or a buffer. */
struct sink {
	char **buf;
	size_t len, cap;
};

/* *written counts the bytes of standard output delivered. */
static bool deliver(struct sink *s, int fd, const char *p, size_t n,
		    uint64_t *written)
{
	if (!s->buf)
		return write_all(fd, p, n,
				 fd == STDOUT_FILENO ? written : NULL);
	if (fd != STDOUT_FILENO)
		return true;
	*written += n;
	if (s->len + n + 1 > s->cap)
		*s->buf = xrealloc(*s->buf, s->cap = 2 * (s->len + n + 1));
	memcpy(*s->buf + s->len, p, n);
	s->len += n;
	(*s->buf)[s->len] = '\0';
	return true;
}

/* Whether whoever reads our standard output is still there. */
static bool stdout_open(const struct sink *s)
{
	return s->buf || !stdout_reader_gone();
}

/* A pipe or socket says when its reader has left, even while nothing
 * is written to it. */
static bool stdout_is_pipe(const struct sink *s)
{
	struct stat st;

	return !s->buf && fstat(STDOUT_FILENO, &st) == 0
	       && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Tell the server how much of our standard output its reader took
 * (protocol.h).  Asked (SYNC), wait first, up to wait_ms, until the
 * reader is no more than `ahead` bytes behind, or gone. */
static void tell_written(int fd, uint64_t written, bool mine, bool open,
			 uint64_t ahead, uint32_t wait_ms)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	for (uint32_t waited = 0; mine && open && waited < wait_ms
	     && stdout_unread() > ahead; waited += 10)
		if (poll(&p, 1, 10) > 0 && (p.revents & (POLLERR | POLLHUP)))
			open = false;
	/* Others may write into the same pipe: never more than ours. */
	uint64_t unread = mine ? stdout_unread() : 0;
	struct proto_written w = {
		.bytes = unread < written ? written - unread : 0,
		.open = open,
	};
	proto_send(fd, MSG_WRITTEN, &w, sizeof(w));
}

static int run(const struct global_opts *g, const struct cmd_entry *e,
	       int argc, char **argv, struct sink *sink)
{
	struct server_paths paths;
	int rc = server_paths(g, &paths);

	if (rc)
		return rc;
	int why;
	int fd = connect_server(g, &paths,
				!sink->buf && (e->flags & CMD_STARTS_SERVER),
				&why);
	if (fd < 0) {
		if (!sink->buf && fd != REFUSED)
			say_unreachable(paths.socket, why);
		return EXIT_UNAVAILABLE;
	}
	if ((rc = hello(fd, paths.socket)) != EXIT_OK
	    || !send_command(fd, g, argc, argv)) {
		close(fd);
		return rc ? rc : EXIT_UNAVAILABLE;
	}

	char *buf = xmalloc(PROTO_MAX_PAYLOAD);
	bool input = false, input_done = false, progress = false;
	uint64_t accepted = 0, written = 0;
	int status = -1;
	/* Once a command asks how far our reader got (recv), we also tell
	 * it when the reader leaves while nothing is written. */
	bool mine = !sink->buf, is_pipe = stdout_is_pipe(sink), synced = false;
	while (status < 0) {
		struct pollfd p[3] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = input && !input_done ? STDIN_FILENO : -1,
			  .events = POLLIN },
			{ .fd = synced && is_pipe ? STDOUT_FILENO : -1 },
		};
		int n = poll(p, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		/* The server may end the command (a bad line) while input
		 * still flows: stop sending, read on to its exit status. */
		if (input && !input_done && (p[1].revents & (POLLIN | POLLHUP))
		    && !pump_input(fd, &input_done))
			input_done = true;
		/* Our reader left while nothing was written (recv --follow
		 * | head): say so and leave, as a write would. */
		if (p[2].revents & (POLLERR | POLLHUP)) {
			tell_written(fd, written, mine, false, 0, 0);
			status = EXIT_OK;
			break;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		uint32_t type;
		size_t len;
		if (proto_recv(fd, &type, buf, PROTO_MAX_PAYLOAD, &len) != 1)
			break;
		switch (type) {
		case MSG_STDOUT:
			/* A closed pipe (| head): say how far it got, so
			 * that nothing is lost uncounted, and leave quietly. */
			if (!deliver(sink, STDOUT_FILENO, buf, len, &written)) {
				int err = errno;
				if (synced)
					tell_written(fd, written, mine, false,
						     0, 0);
				status = err == EPIPE ? EXIT_OK : EXIT_FAIL;
			}
			break;
		case MSG_SYNC: {
			struct proto_sync q = { UINT32_MAX, 0 };
			if (len == sizeof(q))
				memcpy(&q, buf, sizeof(q));
			synced = true;
			tell_written(fd, written, mine, stdout_open(sink),
				     q.ahead, q.wait_ms);
			break;
		}
		case MSG_STDERR:
			deliver(sink, STDERR_FILENO, buf, len, &written);
			break;
		case MSG_WANT_STDIN:
			input = true;
			break;
		case MSG_PROGRESS:
			if (len == sizeof(accepted)) {
				memcpy(&accepted, buf, sizeof(accepted));
				progress = true;
			}
			break;
		case MSG_EXIT:
			if (len == sizeof(int32_t)) {
				int32_t s;
				memcpy(&s, buf, sizeof(s));
				status = s;
			}
			break;
		default:
			break;
		}
	}
	free(buf);
	close(fd);
	if (status < 0) {
		if (sink->buf)
			;
		else if (progress)
			log_error("lost the server on %s; it had accepted at "
				  "least %llu message%s", paths.socket,
				  (unsigned long long)accepted,
				  accepted == 1 ? "" : "s");
		else
			log_error("lost the server on %s", paths.socket);
		return EXIT_UNAVAILABLE;
	}
	return status;
}

/* Wait until the server that was told to stop has exited: it holds its
 * lock file for its whole life, so once we can lock it, it is gone and
 * the next command may start a new one at once (restart scripts do). */
static int wait_stopped(const struct global_opts *g)
{
	struct server_paths paths;
	int rc = server_paths(g, &paths);

	if (rc)
		return rc;
	int fd = open(paths.lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return EXIT_OK;         /* no lock: no server holds it */
	for (int waited = 0;; waited += 10) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			log_error("%s: %s", paths.lock, strerror(errno));
			return EXIT_FAIL;
		}
		if (waited >= STOP_WAIT_MS) {
			close(fd);
			log_error("the server on %s was told to stop but has not "
				  "exited after %d s", paths.socket,
				  STOP_WAIT_MS / 1000);
			return EXIT_FAIL;
		}
		usleep(10000);
	}
	close(fd);
	return EXIT_OK;
}

int client_run(const struct global_opts *g, const struct cmd_entry *e,
	       int argc, char **argv)
{
	struct sink sink = { NULL, 0, 0 };
	int status = run(g, e, argc, argv, &sink);

	/* Not after a usage error (the server goes on), nor when there
	 * was no server to stop. */
	if ((e->flags & CMD_STOPS_SERVER) && status != EXIT_UNAVAILABLE
	    && status != EXIT_USAGE) {
		int waited = wait_stopped(g);
		if (status == EXIT_OK)
			status = waited;
	}
	return status;
}

int client_capture(const struct global_opts *g, const struct cmd_entry *e,
		   int argc, char **argv, char **out)
{
	struct sink sink = { out, 0, 0 };

	*out = NULL;
	return run(g, e, argc, argv, &sink);
}
