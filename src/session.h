/* session.h - one client of the runtime server: its connection, where
 * it runs from, and its input. */
#ifndef RINGCTL_SESSION_H
#define RINGCTL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a client's STDIN frames come in. */
#define SESSION_INPUT_MAX (64u << 10)

struct session {
	int fd;
	char *cwd;                      /* the client's working directory */
	char *plugin_path;              /* the client's search path */
	char *in;                       /* the last STDIN frame */
	size_t in_len;
	bool eof;
	bool gone;                      /* the client went away */
	bool terminal;                  /* its standard output is a terminal */
};

/* A frame to the client; false once it is gone. */
bool session_send(struct session *s, uint32_t type, const void *data,
		  size_t len);

/* A small frame the client may miss (progress): sent only if it goes
 * without waiting, since a client busy writing input reads nothing
 * meanwhile, and a blocking send would deadlock with it. */
void session_send_if_room(struct session *s, uint32_t type, const void *data,
			  size_t len);

/* The client's standard input (after MSG_WANT_STDIN): 1 with a chunk
 * (*data, *len), 0 at the end, -1 when the client is gone or broke the
 * protocol. */
int session_input(struct session *s, const char **data, size_t *len);

/* Ask the client how far the reader of its standard output got
 * (protocol.h, SYNC): false when the client is gone without saying. */
struct proto_sync;
struct proto_written;
bool session_sync(struct session *s, const struct proto_sync *q,
		  struct proto_written *w);

/* Whether a frame from the client waits to be read. */
bool session_input_ready(struct session *s);

/* Whether the client is still there (without reading anything). */
bool session_alive(struct session *s);

/* A path the client gave, made absolute from its working directory. */
char *session_path(const struct session *s, const char *path);

#endif /* RINGCTL_SESSION_H */
