/* output.c - standard output and error, here or through a session.
 * Output is buffered per thread and goes out in large writes or
 * frames. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "protocol.h"
#include "session.h"

#define OUT_BUFFER (64u << 10)

static _Thread_local struct session *current;
static _Thread_local char buffer[OUT_BUFFER];
static _Thread_local size_t used;
static _Thread_local bool broken;

void output_set_session(struct session *s)
{
	current = s;
	used = 0;
	broken = false;
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
	}
	return true;
}

bool out_flush(void)
{
	if (used && !broken)
		broken = current ? !session_send(current, MSG_STDOUT, buffer, used)
				 : !write_fd(STDOUT_FILENO, buffer, used);
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
		return current ? session_send(current, MSG_STDOUT, buf, len)
			       : write_fd(STDOUT_FILENO, buf, len);
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

void err_write(const char *buf, size_t len)
{
	if (current)
		session_send(current, MSG_STDERR, buf, len);
	else
		write_fd(STDERR_FILENO, buf, len);
}
