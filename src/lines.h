/* lines.h - reading JSON lines in large blocks.
 *
 * The buffer keeps RK_JSON_PADDING readable bytes after what was read,
 * so the codec parses lines where they lie.  A line handed out stays
 * valid until the next lines_fill.
 */
#ifndef RINGCTL_LINES_H
#define RINGCTL_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lines {
	int fd;
	int stop_fd;            /* readable: stop reading (or -1) */
	char *buf;
	size_t cap;             /* bytes that reads may fill */
	size_t start, end;      /* unread lines are buf[start, end) */
	size_t max_line;
	uint64_t number;        /* of the last line handed out, from 1 */
	bool eof;
	bool stopped;
	bool skip_rest;         /* in a line too long, up to its newline */
	int error;              /* errno of a failed read, or 0 */
};

void lines_init(struct lines *r, int fd, int stop_fd, size_t max_line);
void lines_free(struct lines *r);

/* Read more (waiting for input or stop_fd); false at the end of input,
 * on a stop, or on a read error. */
bool lines_fill(struct lines *r);

/* The next complete line of what was read (without its newline; the
 * last line may lack one), or NULL when more must be read.  *too_long
 * is set, and the line skipped, when it exceeds max_line. */
const char *lines_next(struct lines *r, size_t *len, bool *too_long);

/* Bytes readable from a line handed out (its length plus padding). */
size_t lines_readable(const struct lines *r, const char *line);

#endif /* RINGCTL_LINES_H */
