/* output.c - standard output and error, here or through a session.
 * Output is buffered per thread and goes out in large writes or
 * frames. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "protocol.h"
#include "session.h"

#define OUT_BUFFER (64u << 10)

static _Thread_local struct session *current;
static _Thread_local char buffer[OUT_BUFFER];
static _Thread_local size_t used;
static _Thread_local bool broken;
static _Thread_local uint64_t sent;     /* bytes of standard output */

void output_set_session(struct session *s)
{
	current = s;
	used = 0;
	broken = false;
	sent = 0;
}

bool out_is_terminal(void)
{
	return current ? current->terminal : isatty(STDOUT_FILENO);
}

struct session *output_session(void)
{
	return current;
}

static bool write_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
		if (fd == STDOUT_FILENO)
			sent += (uint64_t)w;
	}
	return true;
}

/* Frames stay well under PROTO_MAX_PAYLOAD, whatever the line. */
#define FRAME_MAX (1u << 20)

/* Standard output, here or to the client, counted. */
static bool send_out(const char *buf, size_t len)
{
	if (!current)
		return write_fd(STDOUT_FILENO, buf, len);
	for (size_t at = 0; at < len; at += FRAME_MAX) {
		size_t n = len - at < FRAME_MAX ? len - at : FRAME_MAX;
		if (!session_send(current, MSG_STDOUT, buf + at, n))
			return false;
		sent += n;
	}
	return true;
}

bool out_flush(void)
{
	if (used && !broken)
		broken = !send_out(buffer, used);
	used = 0;
	return !broken;
}

bool out_write(const void *buf, size_t len)
{
	if (broken)
		return false;
	if (used + len > sizeof(buffer) && !out_flush())
		return false;
	if (len > sizeof(buffer))
		return send_out(buf, len);
	memcpy(buffer + used, buf, len);
	used += len;
	return true;
}

bool out_printf(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	return out_write(line, (size_t)n < sizeof(line) ? (size_t)n
							: sizeof(line) - 1);
}

uint64_t out_sent(void)
{
	return sent + used;
}

bool out_confirm(uint32_t ahead, uint32_t wait_ms, uint64_t *taken,
		 bool *open)
{
	struct proto_sync q = { ahead, wait_ms };
	struct proto_written w = { 0, 0, 0 };

	*taken = 0;
	*open = false;
	out_flush();    /* a client gone may still have said how far */
	if (current) {
		if (!session_sync(current, &q, &w))
			return false;
		*taken = w.bytes;
		*open = w.open != 0;
		return true;
	}
	uint64_t unread = stdout_unread();
	*taken = unread < sent ? sent - unread : 0;
	*open = !broken && !stdout_reader_gone();
	return true;
}

uint64_t stdout_unread(void)
{
	struct stat st;
	int n = 0;

	return fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)
	       && ioctl(STDOUT_FILENO, FIONREAD, &n) == 0 && n > 0
	       ? (uint64_t)n : 0;
}

bool stdout_reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return poll(&p, 1, 0) > 0
	       && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

void err_write(const char *buf, size_t len)
{
	if (current)
		session_send(current, MSG_STDERR, buf, len);
	else
		write_fd(STDERR_FILENO, buf, len);
}
