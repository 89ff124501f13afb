/* proto.c - frames over a stream socket. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"

int proto_send(int fd, uint32_t type, const void *data, size_t len)
{
	struct proto_header h = { type, (uint32_t)len };
	struct iovec iov[2] = {
		{ &h, sizeof(h) },
		{ (void *)data, len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	while (msg.msg_iovlen) {
		/* MSG_NOSIGNAL: a vanished peer is EPIPE, not a signal. */
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int proto_send_rest(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

int proto_try_send(int fd, uint32_t type, const void *data, size_t len)
{
	struct proto_header h = { type, (uint32_t)len };
	char frame[sizeof(h) + 64];

	if (len > sizeof(frame) - sizeof(h)) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(frame, &h, sizeof(h));
	memcpy(frame + sizeof(h), data, len);
	ssize_t n;
	do
		n = send(fd, frame, sizeof(h) + len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if ((size_t)n < sizeof(h) + len)        /* cannot happen; finish it */
		return proto_send_rest(fd, frame + n, sizeof(h) + len - (size_t)n);
	return 1;
}

/* The most proto_try_refuse says. */
#define REFUSAL_MAX 512

int proto_try_refuse(int fd, const char *text, int32_t status)
{
	char frames[2 * sizeof(struct proto_header) + REFUSAL_MAX
		    + sizeof(status)];
	struct proto_header h = { MSG_STDERR, (uint32_t)strlen(text) };
	size_t n;

	if (h.length > REFUSAL_MAX)
		h.length = REFUSAL_MAX;
	memcpy(frames, &h, sizeof(h));
	memcpy(frames + sizeof(h), text, h.length);
	n = sizeof(h) + h.length;
	h = (struct proto_header){ MSG_EXIT, sizeof(status) };
	memcpy(frames + n, &h, sizeof(h));
	memcpy(frames + n + sizeof(h), &status, sizeof(status));
	n += sizeof(h) + sizeof(status);
	ssize_t w;
	do
		w = send(fd, frames, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)n;
}

/* Milliseconds left until *by (CLOCK_MONOTONIC), 0 once past; -1 (no
 * limit) without one. */
static int ms_left(const struct timespec *by)
{
	struct timespec now;

	if (!by)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(by->tv_sec - now.tv_sec) * 1000
		       + (by->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Whether fd has bytes (or an end) to read before *by: else errno is
 * ETIMEDOUT.  A client that drips a byte at a time still runs out. */
static bool readable_by(int fd, const struct timespec *by)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;

	if (!by)
		return true;
	do
		rc = poll(&p, 1, ms_left(by));
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0;
}

/* Exactly n bytes, by *by if there is one; 1, 0 at a clean end before
 * any byte, -1 on error. */
static int read_all(int fd, void *buf, size_t n, const struct timespec *by)
{
	size_t done = 0;

	while (done < n) {
		if (!readable_by(fd, by))
			return -1;
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (done == 0)
				return 0;
			errno = EPROTO;         /* cut in the middle */
			return -1;
		}
		done += (size_t)r;
	}
	return 1;
}

int proto_recv(int fd, uint32_t *type, void *buf, size_t cap, size_t *len)
{
	return proto_recv_by(fd, type, buf, cap, len, NULL);
}

int proto_recv_by(int fd, uint32_t *type, void *buf, size_t cap, size_t *len,
		  const struct timespec *by)
{
	struct proto_header h;
	int rc = read_all(fd, &h, sizeof(h), by);

	if (rc <= 0)
		return rc;
	if (h.type == 0 || h.type >= MSG_TYPE_END || h.length > cap
	    || h.length > PROTO_MAX_PAYLOAD) {
		errno = EPROTO;
		return -1;
	}
	if (h.length && read_all(fd, buf, h.length, by) != 1) {
		if (errno != EINTR && errno != ETIMEDOUT)
			errno = EPROTO;
		return -1;
	}
	*type = h.type;
	*len = h.length;
	return 1;
}

char **proto_split_command(char *p, size_t len, char **cwd, char **path,
			   char **flags, int *argc)
{
	char **argv = NULL;
	int n = 0, cap = 0, field = 0;

	for (size_t i = 0; i < len;) {
		char *word = p + i;
		size_t w = strnlen(word, len - i);
		if (i + w >= len)
			break;          /* not NUL-terminated: refuse it */
		if (field == 0) {
			*cwd = word;
		} else if (field == 1) {
			*path = word;
		} else if (field == 2) {
			*flags = word;
		} else if (n == PROTO_MAX_WORDS) {
			free(argv);
			*argc = -1;
			return NULL;
		} else {
			if (n + 2 > cap) {
				cap = 2 * (n + 2);
				argv = xrealloc(argv, (size_t)cap * sizeof(*argv));
			}
			argv[n++] = word;
			argv[n] = NULL;
		}
		field++;
		i += w + 1;
	}
	*argc = n;
	return argv;
}
