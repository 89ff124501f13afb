/* protocol.h - what ringctl and its runtime server say to each other
 * over the Unix socket.
 *
 * Every message is a frame: a header (type, payload length, both
 * uint32_t in host order: client and server share the machine) and at
 * most PROTO_MAX_PAYLOAD bytes of payload.  The client says HELLO with
 * its protocol version; a server of another version answers MISMATCH
 * and closes.  Then the client sends one COMMAND (its working
 * directory, plugin path, -q/-v and argv).  When the command reads standard
 * input, the server says WANT_STDIN and the client sends STDIN frames
 * and STDIN_EOF.  The server answers with STDOUT and STDERR frames and ends
 * with EXIT (the exit status).  `send` also says PROGRESS as its
 * messages are accepted; clients ignore frames they do not know.
 *
 * `recv` takes a kernel's replies out of its queue, so it must know
 * which of them reached the client's standard output: after each round
 * of STDOUT frames it says SYNC, and takes nothing more until the
 * client answers WRITTEN: the bytes of standard output its reader took
 * (what it wrote, less what still sits in the pipe), and whether the
 * reader is still there.  The client answers once its reader is no
 * more than `ahead` bytes behind, or gone, or after `wait_ms` (the last
 * SYNC of a recv asks for all of it read, for a second at most: a
 * reader may wait for recv to end before it reads).  From its first
 * SYNC on, a client whose reader leaves says WRITTEN at once, unasked,
 * and leaves too.
 */
#ifndef RINGCTL_PROTOCOL_H
#define RINGCTL_PROTOCOL_H

#include <stdint.h>

#define PROTOCOL_VERSION 2

/* Big enough for a 1 MiB JSON line and its header; a frame that says
 * it is longer ends the connection. */
#define PROTO_MAX_PAYLOAD ((4u << 20) + 4096)

enum proto_type {
	MSG_HELLO = 1,          /* C->S: uint32 version */
	MSG_HELLO_OK,           /* S->C: uint32 version */
	MSG_MISMATCH,           /* S->C: uint32 version the server speaks */
	MSG_COMMAND,            /* C->S: cwd, plugin path, flags ("q" or
				 * "v", then "t" where the client's stdout
				 * is a terminal), argv: each NUL-ended */
	MSG_STDIN,              /* C->S: bytes */
	MSG_STDIN_EOF,          /* C->S: no more input */
	MSG_STDOUT,             /* S->C: bytes */
	MSG_STDERR,             /* S->C: bytes */
	MSG_EXIT,               /* S->C: int32 exit status */
	MSG_WANT_STDIN,         /* S->C: start sending standard input */
	MSG_PROGRESS,           /* S->C: uint64 messages accepted so far, so
				 * a client that loses the server can say
				 * how far it got; sent only where it goes
				 * without waiting */
	MSG_SYNC,               /* S->C: struct proto_sync: answer
				 * WRITTEN */
	MSG_WRITTEN,            /* C->S: struct proto_written */
	MSG_TYPE_END
};

struct proto_header {
	uint32_t type;
	uint32_t length;
};

struct proto_sync {
	uint32_t ahead;         /* answer once the reader is this close, */
	uint32_t wait_ms;       /* or after this long */
};

struct proto_written {
	uint64_t bytes;         /* of standard output since the command began */
	uint32_t open;          /* its reader is still there */
	uint32_t unused;
};

#endif /* RINGCTL_PROTOCOL_H */
