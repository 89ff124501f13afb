/* lines.c - JSON lines from a file descriptor, in large blocks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel.h>

#include "lines.h"
#include "xmalloc.h"

#define BLOCK (4u << 20)

void lines_init(struct lines *r, int fd, int stop_fd, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->stop_fd = stop_fd;
	r->max_line = max_line;
	/* Room for a whole longest line plus its newline, and a block. */
	r->cap = max_line + 1 > BLOCK ? max_line + 1 + BLOCK : 2 * BLOCK;
	r->buf = xmalloc(r->cap + RK_JSON_PADDING);
	/* A bigger pipe means fewer reads and wake-ups (Linux only). */
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#endif
}

void lines_free(struct lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Wait until fd is readable or a stop is asked for. */
static bool wait_input(struct lines *r)
{
	struct pollfd fds[2] = {
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = r->stop_fd, .events = POLLIN },
	};

	for (;;) {
		int n = poll(fds, r->stop_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return true;    /* let read report it */
		if (r->stop_fd >= 0 && (fds[1].revents & POLLIN)) {
			r->stopped = true;
			return false;
		}
		return true;
	}
}

bool lines_fill(struct lines *r)
{
	if (r->eof || r->stopped || r->error)
		return false;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	while (r->end < r->cap) {
		if (!wait_input(r))
			return false;
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->error = errno;
			return false;
		}
		if (n == 0) {
			r->eof = true;
			break;
		}
		r->end += (size_t)n;
		break;
	}
	memset(r->buf + r->end, 0, RK_JSON_PADDING);
	return r->end > r->start || !r->eof;
}

const char *lines_next(struct lines *r, size_t *len, bool *too_long)
{
	*too_long = false;
	while (r->start < r->end) {
		char *line = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(line, '\n', avail);
		if (r->skip_rest) {
			/* The rest of a line reported as too long. */
			r->start = nl ? r->start + (size_t)(nl - line) + 1
				      : r->end;
			r->skip_rest = !nl;
			continue;
		}
		size_t n;
		if (nl) {
			n = (size_t)(nl - line);
			r->start += n + 1;
		} else if (r->eof || avail > r->max_line) {
			n = avail;      /* the last line, or one far too long */
			r->start = r->end;
			r->skip_rest = !r->eof;
		} else {
			return NULL;    /* read on for the rest of it */
		}
		r->number++;
		*too_long = n > r->max_line;
		*len = n;
		return line;
	}
	return NULL;
}

size_t lines_readable(const struct lines *r, const char *line)
{
	return (size_t)(r->buf + r->end + RK_JSON_PADDING - line);
}
