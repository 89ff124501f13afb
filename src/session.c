/* session.c - a server's side of one client connection. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "protocol.h"
#include "session.h"
#include "xmalloc.h"

bool session_send(struct session *s, uint32_t type, const void *data,
		  size_t len)
{
	if (s->gone)
		return false;
	if (proto_send(s->fd, type, data, len) != 0)
		s->gone = true;
	return !s->gone;
}

void session_send_if_room(struct session *s, uint32_t type, const void *data,
			  size_t len)
{
	if (!s->gone && proto_try_send(s->fd, type, data, len) < 0)
		s->gone = true;
}

int session_input(struct session *s, const char **data, size_t *len)
{
	uint32_t type;

	if (s->eof)
		return 0;
	if (!s->in)
		s->in = xmalloc(SESSION_INPUT_MAX);
	for (;;) {
		int rc = proto_recv(s->fd, &type, s->in, SESSION_INPUT_MAX,
				    &s->in_len);
		if (rc <= 0) {
			s->gone = true;
			return -1;
		}
		switch (type) {
		case MSG_STDIN:
			*data = s->in;
			*len = s->in_len;
			return 1;
		case MSG_STDIN_EOF:
			s->eof = true;
			return 0;
		default:
			s->gone = true;         /* not what a client sends now */
			return -1;
		}
	}
}

/* A client that failed to write says WRITTEN unasked and leaves: its
 * answer is read even when the SYNC can no longer reach it. */
bool session_sync(struct session *s, const struct proto_sync *q,
		  struct proto_written *w)
{
	uint32_t type;
	size_t len;

	if (!s->gone && proto_send(s->fd, MSG_SYNC, q, sizeof(*q)) != 0)
		s->gone = true;
	if (!s->in)
		s->in = xmalloc(SESSION_INPUT_MAX);
	while (proto_recv(s->fd, &type, s->in, SESSION_INPUT_MAX, &len) == 1) {
		if (type == MSG_WRITTEN && len == sizeof(*w)) {
			memcpy(w, s->in, sizeof(*w));
			return true;
		}
		if (type != MSG_STDIN && type != MSG_STDIN_EOF)
			break;          /* not what a client sends now */
	}
	s->gone = true;
	return false;
}

bool session_input_ready(struct session *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	return !s->gone && poll(&p, 1, 0) > 0;
}

bool session_alive(struct session *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLRDHUP };

	if (s->gone)
		return false;
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		s->gone = true;
	return !s->gone;
}

char *session_path(const struct session *s, const char *path)
{
	if (path[0] == '/' || !s->cwd)
		return xstrdup(path);
	return xasprintf("%s/%s", s->cwd, path);
}
