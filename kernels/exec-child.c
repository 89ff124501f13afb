/* exec-child.c - starting and ending an exec kernel's co-process; see
 * exec-child.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec-child.h"

/* The command's process, as it became: exit as it did, or die of its
 * signal. */
static void mirror(int status)
{
	sigset_t one;

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

/* The guard: ringctl's child, leader of the command's process group.
 * PR_SET_PDEATHSIG reaches a direct child only, and a shell command
 * line has children of its own (`a | b`); when ringctl's thread ends,
 * the guard hears of it and kills the whole group, then itself.
 * Otherwise it waits for the command and ends as it did.  Everything
 * here is async-signal-safe: this is a fork of a threaded program. */
static void guard(pid_t parent, pid_t command)
{
	sigset_t wanted;
	int sig, status;

	sigemptyset(&wanted);
	sigaddset(&wanted, SIGCHLD);
	sigaddset(&wanted, SIGUSR2);
	for (;;) {
		if (getppid() != parent)
			break;
		if (waitpid(command, &status, WNOHANG) == command)
			mirror(status);
		sigwait(&wanted, &sig);
	}
	kill(0, SIGKILL);
	_exit(127);
}

/* Between fork and exec only async-signal-safe calls: a thread of the
 * parent may have held malloc's lock.  On failure the errno goes back
 * through `report` (close-on-exec: at exec it closes, saying "ok"). */
static void child_main(const struct exec_spec *s, int in, int out, int err,
		       int report, pid_t parent)
{
	struct sigaction dfl;
	sigset_t all;
	int e;

	/* Its own group: the terminal's Ctrl-C is ringctl's (which drains,
	 * and ends the command by closing its input); killed as one. */
	setpgid(0, 0);
	/* The guard's signals wait for sigwait; ringctl's own (SIGINT is
	 * blocked for a thread, SIGPIPE ignored) are not the command's. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	/* Told when the thread that started it ends, ringctl included:
	 * the command never outlives the runtime.  The parent may have
	 * died before this line: then it was reparented. */
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2) != 0 || getppid() != parent)
		_exit(127);
	/* Above 2 first, so that no dup2 overwrites another's source. */
	in = fcntl(in, F_DUPFD, 3);
	out = fcntl(out, F_DUPFD, 3);
	err = fcntl(err, F_DUPFD, 3);
	if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0
	    || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (s->dir && chdir(s->dir) != 0)
		goto fail;
	/* No descriptor of ringctl's but the three: whatever a library
	 * opened without close-on-exec included. */
	if (report > 3)
		syscall(SYS_close_range, 3u, (unsigned)report - 1, 0u);
	syscall(SYS_close_range, (unsigned)report + 1, ~0u, 0u);
	pid_t command = fork();
	if (command == 0) {
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execve(s->path, s->argv, s->envp);
		goto fail;
	}
	if (command < 0)
		goto fail;
	/* The guard holds none of the pipes: their ends are the command's
	 * alone, so that its exit is their end. */
	close(report);
	close(0);
	close(1);
	close(2);
	guard(parent, command);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int exec_child_start(struct exec_child *c, const struct exec_spec *s,
		     char *why, size_t cap)
{
	int in[2], out[2], err[2], report[2], e = 0;
	pid_t parent = getpid();
	sigset_t pipe_signal;

	sigemptyset(&pipe_signal);
	sigaddset(&pipe_signal, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_signal, NULL);

	memset(c, 0, sizeof(*c));
	c->in = c->out = c->err = -1;
	if (pipe2(in, O_CLOEXEC) != 0)
		goto fail0;
	if (pipe2(out, O_CLOEXEC) != 0)
		goto fail1;
	if (pipe2(err, O_CLOEXEC) != 0)
		goto fail2;
	if (pipe2(report, O_CLOEXEC) != 0)
		goto fail3;
	pid_t pid = fork();
	if (pid == 0)
		child_main(s, in[0], out[1], err[1], report[1], parent);
	e = errno;
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(report[1]);
	if (pid < 0) {
		snprintf(why, cap, "cannot start '%s': %s", s->path,
			 strerror(e));
		close(in[1]), close(out[0]), close(err[0]), close(report[0]);
		return e;
	}
	c->pid = pid;
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
	ssize_t n;
	while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof(e)) {
		snprintf(why, cap, "cannot start '%s'%s%s: %s", s->path,
			 s->dir ? " in " : "", s->dir ? s->dir : "",
			 strerror(e));
		exec_child_kill(c);
		return e;
	}
	if (nonblocking(c->in) || nonblocking(c->out) || nonblocking(c->err)) {
		e = errno;
		snprintf(why, cap, "cannot set up the pipes: %s", strerror(e));
		exec_child_kill(c);
		return e;
	}
	return 0;
fail3:
	e = errno;
	close(err[0]), close(err[1]);
fail2:
	e = e ? e : errno;
	close(out[0]), close(out[1]);
fail1:
	e = e ? e : errno;
	close(in[0]), close(in[1]);
fail0:
	e = e ? e : errno;
	snprintf(why, cap, "cannot make pipes for '%s': %s", s->path,
		 strerror(e));
	return e;
}

static void keep_tail(struct exec_child *c, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		c->tail[c->tail_end] = b[i];
		c->tail_end = (c->tail_end + 1) % EXEC_TAIL;
		if (c->tail_len < EXEC_TAIL)
			c->tail_len++;
	}
}

bool exec_child_read(struct exec_child *c, char *buf, size_t *len,
		     size_t cap)
{
	while (c->out >= 0 && *len < cap) {
		ssize_t n = read(c->out, buf + *len, cap - *len);
		if (n > 0)
			*len += (size_t)n;
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			close_fd(&c->out);
		else if (errno == EAGAIN)
			break;
	}
	return c->out < 0;
}

int exec_child_write(struct exec_child *c, struct iovec **iov, int *n_iov)
{
	while (*n_iov > 0) {
		ssize_t n = writev(c->in, *iov,
				   *n_iov < IOV_MAX ? *n_iov : IOV_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : errno;
		/* Past what went, the rest where it stopped. */
		size_t done = (size_t)n;
		while (*n_iov > 0 && done >= (*iov)->iov_len) {
			done -= (*iov)->iov_len;
			(*iov)++;
			(*n_iov)--;
		}
		if (*n_iov > 0) {
			(*iov)->iov_base = (char *)(*iov)->iov_base + done;
			(*iov)->iov_len -= done;
		}
	}
	return 0;
}

void exec_child_wait(struct exec_child *c, bool writing, bool reading,
		     int ms)
{
	struct pollfd p[3] = {
		{ writing ? c->in : -1, POLLOUT, 0 },
		{ reading ? c->out : -1, POLLIN, 0 },
		{ c->err, POLLIN, 0 },
	};

	if (poll(p, 3, ms) > 0 && p[2].revents)
		exec_child_drain_stderr(c);
}

bool exec_child_drain_stderr(struct exec_child *c)
{
	char b[4096];
	ssize_t n;

	while (c->err >= 0) {
		n = read(c->err, b, sizeof(b));
		if (n > 0) {
			keep_tail(c, b, (size_t)n);
			/* Passed on as it comes: the command's warnings are
			 * the user's to see (a server's log). */
			ssize_t w = write(STDERR_FILENO, b, (size_t)n);
			(void)w;        /* a closed stderr: nowhere to say it */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		close_fd(&c->err);
	}
	return false;
}

void exec_child_close_input(struct exec_child *c)
{
	close_fd(&c->in);
}

bool exec_child_reap(struct exec_child *c, bool wait)
{
	pid_t r;

	if (c->reaped || !c->pid)
		return true;
	while ((r = waitpid(c->pid, &c->status, wait ? 0 : WNOHANG)) < 0
	       && errno == EINTR)
		;
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->reaped = true;
		/* Whatever it started in its group goes with it. */
		kill(-c->pid, SIGKILL);
	}
	return c->reaped;
}

void exec_child_signal(struct exec_child *c, int sig)
{
	if (c->pid && !c->reaped)
		kill(-c->pid, sig);
}

void exec_child_describe(const struct exec_child *c, char *out, size_t cap)
{
	char tail[EXEC_TAIL + 1];
	size_t n = 0, start = (c->tail_end + EXEC_TAIL - c->tail_len) % EXEC_TAIL;
	int len;

	if (!c->reaped)
		len = snprintf(out, cap, "is still running");
	else if (WIFEXITED(c->status))
		len = snprintf(out, cap, "exited with status %d",
			       WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		len = snprintf(out, cap, "was killed by signal %d (%s)",
			       WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	else
		len = snprintf(out, cap, "ended (status %#x)", c->status);
	/* Its last lines, on one line: what it said before it ended. */
	for (size_t i = 0; i < c->tail_len; i++) {
		char ch = c->tail[(start + i) % EXEC_TAIL];
		tail[n++] = ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch;
	}
	while (n && tail[n - 1] == ' ')
		n--;
	tail[n] = '\0';
	if (n && len >= 0 && (size_t)len < cap)
		snprintf(out + len, cap - (size_t)len, "; its stderr ends: %s",
			 tail);
}

void exec_child_kill(struct exec_child *c)
{
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	if (c->pid && !c->reaped) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);  /* in case setpgid had not run yet */
		exec_child_reap(c, true);
	}
}

unsigned long long exec_child_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000
	       + (unsigned long long)ts.tv_nsec / 1000000;
}

void exec_child_end(struct exec_child *c)
{
	unsigned long long until = exec_child_now_ms() + 1000;

	exec_child_close_input(c);
	/* Its pipes are closed or it stopped reading: it is ending (or,
	 * after a second, ended); what it says last is its reason. */
	while (!exec_child_reap(c, false)) {
		exec_child_drain_stderr(c);
		if (exec_child_now_ms() >= until)
			exec_child_signal(c, SIGKILL);
		poll(NULL, 0, 5);
	}
	until = exec_child_now_ms() + 1000;
	while (exec_child_drain_stderr(c) && exec_child_now_ms() < until)
		poll(&(struct pollfd){ c->err, POLLIN, 0 }, 1, 50);
}
