/* server.c - the runtime server: a lock against a second one, the
 * socket, the pid file and log, the event loop (libevent) that accepts
 * clients, checks their uid and gives each a thread, and a graceful
 * stop that terminates every kernel. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "metrics-http.h"
#include "output.h"
#include "parse-args.h"
#include "proto.h"
#include "runtime-env.h"
#include "server.h"
#include "session.h"
#include "xmalloc.h"

#define STOP_TIMEOUT_S 5.0
/* Defaults of RINGCTL_HANDSHAKE_TIMEOUT and RINGCTL_MAX_CONNECTIONS. */
#define HANDSHAKE_TIMEOUT_S 10.0
#define MAX_CONNECTIONS 256

struct server *the_server;

static struct event_base *base;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t log_lost;               /* lines the log could not take */
static int log_errno;                   /* why, the last time */
static atomic_int sessions;
/* A thread per connection: a client that never finishes its hello, or
 * too many at once, must not use the server up. */
static double handshake_timeout = HANDSHAKE_TIMEOUT_S;
static int max_connections = MAX_CONNECTIONS;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void server_log(int level, const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	if (!log_file || !the_server || level > the_server->log_level)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
	pthread_mutex_lock(&log_lock);
	fprintf(log_file, "%s [%d] %s: ", when, (int)getpid(), level_names[level]);
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	/* A full disk must not stop the server, nor pass unseen: the lines
	 * lost are counted and the next command's client is told. */
	if (fflush(log_file) != 0 || ferror(log_file)) {
		log_lost++;
		log_errno = errno;
		clearerr(log_file);
	}
	pthread_mutex_unlock(&log_lock);
}

/* Tell this command's client about log lines lost since the last time
 * anyone was told. */
static void tell_log_lost(void)
{
	static uint64_t told;
	uint64_t lost;
	int err;

	pthread_mutex_lock(&log_lock);
	lost = log_lost;
	err = log_errno;
	bool news = lost > told;
	told = lost;
	pthread_mutex_unlock(&log_lock);
	if (news)
		log_warn("the server's log %s cannot be written (%s): %llu "
			 "line%s lost", the_server->paths.log, strerror(err),
			 (unsigned long long)lost, lost == 1 ? "" : "s");
}

/* ---- one client ---------------------------------------------------- */

/* When a client that has just connected must have said its hello and
 * sent its command. */
static struct timespec handshake_deadline(void)
{
	struct timespec by;
	double whole = (double)(time_t)handshake_timeout;

	clock_gettime(CLOCK_MONOTONIC, &by);
	by.tv_sec += (time_t)whole;
	by.tv_nsec += (long)((handshake_timeout - whole) * 1e9);
	if (by.tv_nsec >= 1000000000L) {
		by.tv_sec++;
		by.tv_nsec -= 1000000000L;
	}
	return by;
}

/* A client's hello and its command frame (into cmd), both by the
 * handshake's deadline; false (said in the log) ends the connection. */
static bool handshake(struct session *s, char *cmd, size_t *len)
{
	struct timespec by = handshake_deadline();
	char hello[16];
	uint32_t type, version = PROTOCOL_VERSION;
	int rc = proto_recv_by(s->fd, &type, hello, sizeof(hello), len, &by);

	if (rc != 1 || type != MSG_HELLO || *len != sizeof(uint32_t)) {
		if (rc < 0 && errno == ETIMEDOUT)
			server_log(LOG_WARN, "a client said no hello within "
				   "%g s: closed", handshake_timeout);
		else
			server_log(LOG_WARN, "a client said no hello");
		return false;
	}
	uint32_t theirs;
	memcpy(&theirs, hello, sizeof(theirs));
	if (theirs != PROTOCOL_VERSION) {
		server_log(LOG_WARN, "a client speaks protocol %u", theirs);
		proto_send(s->fd, MSG_MISMATCH, &version, sizeof(version));
		return false;
	}
	proto_send(s->fd, MSG_HELLO_OK, &version, sizeof(version));
	rc = proto_recv_by(s->fd, &type, cmd, PROTO_MAX_PAYLOAD, len, &by);
	if (rc < 0 && errno == ETIMEDOUT)
		server_log(LOG_WARN, "a client sent no command within %g s "
			   "of connecting: closed", handshake_timeout);
	return rc == 1 && type == MSG_COMMAND;
}

/* A client's command for the log, whole ("launch d -k doubler"), its
 * words cut to fit and any control character shown as '?': the log is
 * read on terminals. */
static const char *command_line(char *out, size_t cap, int argc,
				char **argv)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < argc && n + 4 < cap; i++) {
		if (i)
			out[n++] = ' ';
		for (const char *c = argv[i]; *c && n + 4 < cap; c++)
			out[n++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?'
				   : *c;
	}
	if (n + 4 >= cap)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
	return out;
}

static void serve(struct session *s)
{
	char *cmd = xmalloc(PROTO_MAX_PAYLOAD);
	size_t len;

	if (!handshake(s, cmd, &len)) {
		free(cmd);
		return;
	}
	int argc;
	char *cwd = NULL, *path = NULL, *flags = "";
	char **argv = proto_split_command(cmd, len, &cwd, &path, &flags,
					  &argc);
	s->cwd = cwd;
	s->plugin_path = path;
	int32_t status = EXIT_USAGE;
	output_set_session(s);
	log_quiet = strchr(flags, 'q') != NULL;
	log_verbose = strchr(flags, 'v') != NULL;
	s->terminal = strchr(flags, 't') != NULL;
	const struct cmd_entry *e = argc > 0 ? cmd_find(argv[0]) : NULL;
	if (argc < 0) {
		log_error("a command of more than %d words", PROTO_MAX_WORDS);
	} else if (e && !(e->flags & CMD_SERVER)) {
		log_error("%s does not run in the server", e->name);
	} else if (e) {
		struct global_opts g = { .plugin_path = path };
		char said[256];
		server_log(LOG_INFO, "%s", command_line(said, sizeof(said),
							argc, argv));
		status = e->exec(&g, argc, argv);
		tell_log_lost();
	}
	out_flush();
	output_set_session(NULL);
	session_send(s, MSG_EXIT, &status, sizeof(status));
	free(argv);
	free(cmd);
}

static void *session_main(void *arg)
{
	struct session s = { .fd = (int)(intptr_t)arg };

	serve(&s);
	close(s.fd);
	free(s.in);
	atomic_fetch_sub(&sessions, 1);
	return NULL;
}

/* Over the limit a connection is refused at once, not waited on (the
 * event loop must go on): the client is told why where that goes
 * without blocking, and the log says so. */
static void refuse_busy(int fd, int open)
{
	char text[160];

	snprintf(text, sizeof(text), "ringctl: server busy: %d connections "
		 "open, the limit\n", open);
	proto_try_refuse(fd, text, EXIT_UNAVAILABLE);
	server_log(LOG_WARN, "refused a connection: %d connections open, the "
		   "limit (RINGCTL_MAX_CONNECTIONS)", open);
	close(fd);
}

/* Every connection's peer must be us: the socket's directory keeps
 * others out, and this keeps out what the directory would not. */
static void on_accept(evutil_socket_t listener, short what, void *arg)
{
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	pthread_t t;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0
	    || cred.uid != getuid()) {
		server_log(LOG_WARN, "refused a connection from uid %d (pid %d)",
			   (int)cred.uid, (int)cred.pid);
		close(fd);
		return;
	}
	/* Only this thread adds sessions: the count cannot pass the
	 * limit between the check and the add. */
	int open = atomic_load(&sessions);
	if (open >= max_connections) {
		refuse_busy(fd, open);
		return;
	}
	atomic_fetch_add(&sessions, 1);
	if (pthread_create(&t, NULL, session_main, (void *)(intptr_t)fd) != 0) {
		server_log(LOG_ERROR, "no thread for a client: %s",
			   strerror(errno));
		atomic_fetch_sub(&sessions, 1);
		close(fd);
		return;
	}
	pthread_detach(t);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	server_log(LOG_INFO, "signal %d: stopping", (int)sig);
	event_base_loopbreak(base);
}

/* Text into buf at *n, as much as fits: for what a signal handler may
 * write, without stdio. */
static void put(char *buf, size_t cap, size_t *n, const char *text)
{
	while (*text && *n + 1 < cap)
		buf[(*n)++] = *text++;
}

void server_abandon(const char *kernel, const char *what)
{
	char line[512];
	size_t n = 0;

	if (!the_server)
		return;
	/* Async-signal-safe: an abort may come while stdio or the log's
	 * lock is held.  No timestamp, then; the pid says which server. */
	if (log_file) {
		char pid[24], *p = pid + sizeof(pid);
		unsigned long v = (unsigned long)getpid();
		*--p = '\0';
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		put(line, sizeof(line), &n, "[");
		put(line, sizeof(line), &n, p);
		put(line, sizeof(line), &n, "] error: kernel '");
		put(line, sizeof(line), &n, kernel);
		put(line, sizeof(line), &n, "' ");
		put(line, sizeof(line), &n, what);
		put(line, sizeof(line), &n, " in its own code: the server "
		    "ends with it\n");
		(void)!write(fileno(log_file), line, n);
	}
	unlink(the_server->paths.socket);
	unlink(the_server->paths.pid);
}

void server_stop(void)
{
	if (base)
		event_base_loopbreak(base);
}

/* ---- kernels that fail ---------------------------------------------- */

/* A fault signal's name and what it means, for the log. */
static const char *signal_name(int sig, const char **meaning)
{
	static const struct { int sig; const char *name, *meaning; } known[] = {
		{ SIGSEGV, "SIGSEGV", "segmentation fault" },
		{ SIGBUS, "SIGBUS", "bus error" },
		{ SIGFPE, "SIGFPE", "arithmetic exception" },
		{ SIGILL, "SIGILL", "illegal instruction" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].sig == sig) {
			*meaning = known[i].meaning;
			return known[i].name;
		}
	*meaning = strsignal(sig);
	return "signal";
}

/* A kernel's code faulted and the kernel failed alone: the server goes
 * on, and its log says which kernel, what and where, since no client
 * may be there to see it go FAILED. */
static void on_kernel_fault(void *arg, const char *kernel, int sig,
			    const char *function)
{
	const char *meaning;
	const char *name = signal_name(sig, &meaning);

	(void)arg;
	server_log(LOG_ERROR, "kernel '%s' failed: %s (%s) in %s%s", kernel,
		   name, meaning, function ? function : "its code",
		   function ? "()" : "");
}

/* ---- starting and stopping ------------------------------------------ */

static void tell(int fd, const char *what)
{
	if (fd >= 0) {
		(void)!write(fd, what, strlen(what));
		close(fd);
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	/* Only we may connect: mode 0600 from the start. */
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Why the file open as fd is not one of ours alone, or NULL: it must be
 * a regular file (not a FIFO that would block us, nor a device) of our
 * uid with no other name, since a hard link planted in a shared
 * directory would have us write another file of ours. */
static const char *not_ours(int fd, char *buf, size_t cap)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid()) {
		snprintf(buf, cap, "it belongs to uid %d, not to you",
			 (int)st.st_uid);
		return buf;
	}
	if (st.st_nlink != 1) {
		snprintf(buf, cap, "it has %lu names (a hard link)",
			 (unsigned long)st.st_nlink);
		return buf;
	}
	return NULL;
}

/* Open (creating it 0600) one of the server's files beside its socket,
 * whose directory others may share (-S /tmp/s): never through a
 * symbolic link, and only a file of ours alone (not_ours).  Else -1,
 * with why in why. */
static int open_own(const char *path, int flags, char *why, size_t cap)
{
	char detail[64];
	const char *wrong;
	int fd = open(path, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC
			    | O_NOCTTY | O_NONBLOCK, 0600);

	if (fd < 0) {
		/* ENXIO: a FIFO with no reader, a socket, a device. */
		snprintf(why, cap, "%s: refused: %s", path,
			 errno == ELOOP ? "a symbolic link"
			 : errno == ENXIO ? "not a regular file"
			 : strerror(errno));
		return -1;
	}
	if ((wrong = not_ours(fd, detail, sizeof(detail))) != NULL) {
		snprintf(why, cap, "%s: refused: %s", path, wrong);
		close(fd);
		return -1;
	}
	/* O_NONBLOCK only kept a planted FIFO from holding up the open. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Our pid, into a file of ours only (open_own): a stale one is
 * truncated once it has passed the checks, never before. */
static bool write_pid(const char *path, char *why, size_t cap)
{
	int fd = open_own(path, O_WRONLY, why, cap);
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	if (fd < 0)
		return false;
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* The log, appended to a file of ours only (open_own); a foreground
 * server logs to its standard error. */
static FILE *open_log(const char *path, bool foreground, char *why,
		      size_t cap)
{
	if (foreground)
		return stderr;
	int fd = open_own(path, O_WRONLY | O_APPEND, why, cap);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "a");

	if (fd >= 0 && !f) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* The limits on clients from the environment, or false with why. */
static bool read_limits(char *why, size_t cap)
{
	const char *t = getenv("RINGCTL_HANDSHAKE_TIMEOUT");
	const char *m = getenv("RINGCTL_MAX_CONNECTIONS");
	unsigned long long count;

	if (t && *t && (!parse_seconds(t, &handshake_timeout)
			|| handshake_timeout <= 0 || handshake_timeout > 1e6)) {
		snprintf(why, cap, "RINGCTL_HANDSHAKE_TIMEOUT: not a number of "
			 "seconds above 0 and at most 1000000: %s", t);
		return false;
	}
	if (m && *m) {
		if (!parse_count(m, 1000000, false, &count)) {
			snprintf(why, cap, "RINGCTL_MAX_CONNECTIONS: not a "
				 "count from 1 to 1000000: %s", m);
			return false;
		}
		max_connections = (int)count;
	}
	return true;
}

/* The server cannot start: say why to whoever waits, and to stderr. */
static int refuse_start(int ready_fd, const char *why)
{
	tell(ready_fd, why);
	log_error("%s", why);
	return EXIT_UNAVAILABLE;
}

int server_run(const struct global_opts *g,
	       const struct server_settings *set, int ready_fd,
	       bool foreground)
{
	int log_level = set->log_level;
	static struct server srv;
	char why[PATH_MAX + 256];
	int rc;

	if ((rc = server_paths(g, &srv.paths)) != 0) {
		tell(ready_fd, "unusable socket path");
		return rc;
	}
	if (!read_limits(why, sizeof(why)))
		return refuse_start(ready_fd, why);
	/* The lock is held for the server's life: whoever gets it knows no
	 * server runs, so a socket left behind is stale. */
	int lock = open_own(srv.paths.lock, O_RDWR, why, sizeof(why));
	if (lock < 0)
		return refuse_start(ready_fd, why);
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		bool running = errno == EWOULDBLOCK;
		snprintf(why, sizeof(why), "%s: %s", srv.paths.lock,
			 running ? "a server runs" : strerror(errno));
		tell(ready_fd, running ? "running" : why);
		if (!running || foreground)
			log_error("%s", running ? "a server already runs on "
				  "this socket" : why);
		return running && !foreground ? EXIT_OK : EXIT_UNAVAILABLE;
	}
	if (!(log_file = open_log(srv.paths.log, foreground, why, sizeof(why)))
	    || !write_pid(srv.paths.pid, why, sizeof(why)))
		return refuse_start(ready_fd, why);
	unlink(srv.paths.socket);
	int listener = listen_on(srv.paths.socket);
	if (listener < 0) {
		snprintf(why, sizeof(why), "cannot listen on %s: %s",
			 srv.paths.socket, strerror(errno));
		unlink(srv.paths.pid);
		return refuse_start(ready_fd, why);
	}
	rk_runtime_options ro = RK_RUNTIME_OPTIONS_INIT;
	ro.telemetry = 1;       /* stats always has real counters */
	ro.on_kernel_fault = on_kernel_fault;
	if (!runtime_options_from_env(&ro, why, sizeof(why))) {
		tell(ready_fd, why);
		return EXIT_CONFIG;
	}
	if (rk_runtime_new(&ro, &srv.rt) != RK_OK) {
		tell(ready_fd, rk_errmsg());
		return EXIT_FAIL;
	}
	srv.start_ns = (uint64_t)time(NULL);
	srv.log_level = log_level;
	the_server = &srv;

	evthread_use_pthreads();
	base = event_base_new();
	struct event *accept_ev = event_new(base, listener,
					    EV_READ | EV_PERSIST, on_accept, NULL);
	struct event *term = evsignal_new(base, SIGTERM, on_signal, NULL);
	struct event *intr = evsignal_new(base, SIGINT, on_signal, NULL);
	event_add(accept_ev, NULL);
	event_add(term, NULL);
	event_add(intr, NULL);
	struct evhttp *metrics = NULL;
	if (set->metrics && !(metrics = metrics_http_start(base, srv.rt,
							   set->metrics, why,
							   sizeof(why)))) {
		/* Asked for and not served: no half a server. */
		unlink(srv.paths.socket);
		unlink(srv.paths.pid);
		return refuse_start(ready_fd, why);
	}
	server_log(LOG_INFO, "listening on %s", srv.paths.socket);
	if (metrics)
		server_log(LOG_INFO, "%s", why);
	tell(ready_fd, "ok");

	event_base_dispatch(base);

	/* Stop: no new clients, every kernel drained and stopped, then
	 * the clients still talking to them end too. */
	if (metrics)
		evhttp_free(metrics);
	event_free(accept_ev);
	close(listener);
	unlink(srv.paths.socket);
	if (rk_terminate_all_once(srv.rt, STOP_TIMEOUT_S) != RK_OK)
		server_log(LOG_WARN, "%s", rk_errmsg());
	for (int i = 0; i < 500 && atomic_load(&sessions) > 0; i++)
		usleep(10000);
	if (atomic_load(&sessions) == 0)
		rk_runtime_free(srv.rt);        /* else leave it to exit */
	event_free(term);
	event_free(intr);
	event_base_free(base);
	base = NULL;
	server_log(LOG_INFO, "stopped");
	unlink(srv.paths.pid);
	close(lock);
	return EXIT_OK;
}

int server_start(const struct global_opts *g,
		 const struct server_settings *set)
{
	struct server_paths paths;
	int ready[2];
	char answer[512] = "";
	int rc;

	/* Checked here too, where the refusal can be read: the detached
	 * server's standard error is /dev/null. */
	if ((rc = server_paths(g, &paths)) != 0)
		return rc;
	if (pipe2(ready, O_CLOEXEC) != 0)
		fatal("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		/* A new session, then a second fork: the server is nobody's
		 * child and never gets a terminal. */
		close(ready[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
		/* Nothing inherited stays open but the answer pipe. */
		int keep = ready[1];
		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range((unsigned)keep + 1, ~0u, 0);
		if (chdir("/") != 0)
			_exit(EXIT_FAIL);
		signal(SIGPIPE, SIG_IGN);
		_exit(server_run(g, set, keep, false));
	}
	close(ready[1]);
	waitpid(pid, NULL, 0);
	ssize_t n = read(ready[0], answer, sizeof(answer) - 1);
	close(ready[0]);
	answer[n > 0 ? n : 0] = '\0';
	if (strcmp(answer, "ok") == 0 || strcmp(answer, "running") == 0)
		return EXIT_OK;
	log_error("the server did not start: %s", *answer ? answer : "it died");
	return EXIT_UNAVAILABLE;
}
