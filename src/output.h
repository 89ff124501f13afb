/* output.h - a command's standard output and error, wherever the
 * command runs: here, or in the server for a client (then they travel
 * back as STDOUT and STDERR frames). */
#ifndef RINGCTL_OUTPUT_H
#define RINGCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct session;

/* The session this thread serves, or NULL for the process's own. */
void output_set_session(struct session *s);
struct session *output_session(void);

/* Data: false once the reader is gone (EPIPE), so producers stop. */
bool out_write(const void *buf, size_t len);
bool out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool out_flush(void);

/* Whether standard output (the client's, for a session) is a
 * terminal: a screen to redraw rather than a record to append. */
bool out_is_terminal(void);

/* Bytes of standard output written (or sent to the client) so far. */
uint64_t out_sent(void);

/* Flush, then learn how much of standard output its reader has taken
 * (*taken, counted as out_sent counts) and whether it is still there
 * (*open); through a session, by asking the client (protocol.h, SYNC),
 * which answers once its reader is no more than `ahead` bytes behind,
 * or after wait_ms.  False when that cannot be known: the client left
 * without saying. */
bool out_confirm(uint32_t ahead, uint32_t wait_ms, uint64_t *taken,
		 bool *open);

/* This process's own standard output, whoever writes to it (the
 * client too): bytes written that its reader has not taken, still in
 * the pipe (also after the reader left; 0 where it is no pipe); and
 * whether that reader has left (a pipe: POLLERR; a terminal hung up:
 * POLLHUP). */
uint64_t stdout_unread(void);
bool stdout_reader_gone(void);

/* Diagnostics, already formatted (log.c calls it). */
void err_write(const char *buf, size_t len);

#endif /* RINGCTL_OUTPUT_H */
