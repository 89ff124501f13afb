/* fuzz-protocol.c - the server's side of the protocol: frames read off
 * a socket (proto_recv) and COMMAND payloads split into argv
 * (proto_split_command), as serve() does with what a client sends.
 * What must hold: every frame fits the buffer it was read into, every
 * word lies inside its frame and ends with a NUL, argv ends with NULL. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

#define CAP 65536               /* a smaller frame cap, as for HELLO */

/* xmalloc's way out, without the rest of ringctl. */
void fatal(const char *fmt, ...);
void fatal(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

static void check_word(const char *w, const char *buf, size_t len)
{
	if (w < buf || w >= buf + len || memchr(w, '\0', len - (size_t)(w - buf)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[CAP];
	int sv[2];

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (size && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	uint32_t type;
	size_t len;
	while (proto_recv(sv[1], &type, buf, sizeof(buf), &len) == 1) {
		if (len > sizeof(buf) || type == 0 || type >= MSG_TYPE_END)
			abort();
		if (type != MSG_COMMAND)
			continue;
		char *cwd = NULL, *path = NULL, *flags = "";
		int argc;
		char **argv = proto_split_command(buf, len, &cwd, &path,
						  &flags, &argc);
		if (cwd)
			check_word(cwd, buf, len);
		if (path)
			check_word(path, buf, len);
		for (int i = 0; i < argc; i++)
			check_word(argv[i], buf, len);
		if (argc > 0 && argv[argc] != NULL)
			abort();
		free(argv);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
