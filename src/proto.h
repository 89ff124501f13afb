/* proto.h - sending and receiving frames of the protocol, blocking. */
#ifndef RINGCTL_PROTO_H
#define RINGCTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "protocol.h"

/* 0, or -1 with errno (EPIPE: the other side is gone). */
int proto_send(int fd, uint32_t type, const void *data, size_t len);

/* A small frame only if it goes without waiting: 1 sent, 0 not (the
 * peer is not reading), -1 on an error.  Unix stream sockets take a
 * frame this small whole or not at all. */
int proto_try_send(int fd, uint32_t type, const void *data, size_t len);

/* A frame into buf (cap bytes, at most PROTO_MAX_PAYLOAD); 1 on a
 * frame, 0 when the other side closed between frames, -1 on an error
 * (errno; EPROTO for a bad type or a length over cap). */
int proto_recv(int fd, uint32_t *type, void *buf, size_t cap, size_t *len);

/* As proto_recv, but only until *by (CLOCK_MONOTONIC; NULL: no limit):
 * -1 with errno ETIMEDOUT when the frame is not whole by then. */
int proto_recv_by(int fd, uint32_t *type, void *buf, size_t cap, size_t *len,
		  const struct timespec *by);

/* Refuse a client in the form of every failed command: its text (at
 * most 512 bytes) as STDERR, then EXIT with status; only if both go
 * without waiting (a fresh socket takes them).  1 sent, 0 not. */
int proto_try_refuse(int fd, const char *text, int32_t status);

/* The most words a command may have. */
#define PROTO_MAX_WORDS 4096

/* A COMMAND frame's payload, split in place: the client's working
 * directory, plugin path and flags, then argv (NULL-terminated, freed
 * by the caller).  Each part must end with a NUL; what follows the last
 * NUL is ignored.  *argc is -1 (and NULL returned) for a command of
 * more than PROTO_MAX_WORDS words. */
char **proto_split_command(char *p, size_t len, char **cwd, char **path,
			   char **flags, int *argc);

#endif /* RINGCTL_PROTO_H */
