/* proto.h - sending and receiving frames of the protocol, blocking. */
#ifndef RINGCTL_PROTO_H
#define RINGCTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/* 0, or -1 with errno (EPIPE: the other side is gone). */
int proto_send(int fd, uint32_t type, const void *data, size_t len);

/* A frame into buf (cap bytes, at most PROTO_MAX_PAYLOAD); 1 on a
 * frame, 0 when the other side closed between frames, -1 on an error
 * (errno; EPROTO for a bad type or a length over cap). */
int proto_recv(int fd, uint32_t *type, void *buf, size_t cap, size_t *len);

#endif /* RINGCTL_PROTO_H */
