/* fd-read.h - one read of a file descriptor, stoppable (fd-read.c). */
#ifndef RINGCTL_FD_READ_H
#define RINGCTL_FD_READ_H

#include <stddef.h>
#include <sys/types.h>

#define FD_READ_STOPPED ((ssize_t)-2)

/* Up to cap bytes of fd: how many (0 at its end), -1 with errno on an
 * error, or FD_READ_STOPPED once stop_fd is readable (-1: no stop). */
ssize_t fd_read_some(int fd, int stop_fd, char *buf, size_t cap);

#endif /* RINGCTL_FD_READ_H */
