/* fd-read.c - one read of a file descriptor, waiting for it or for a
 * stop (a readable descriptor). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "fd-read.h"

ssize_t fd_read_some(int fd, int stop_fd, char *buf, size_t cap)
{
	for (;;) {
		if (stop_fd >= 0) {
			struct pollfd fds[2] = {
				{ .fd = fd, .events = POLLIN },
				{ .fd = stop_fd, .events = POLLIN },
			};
			int n = poll(fds, 2, -1);
			if (n < 0 && errno == EINTR)
				continue;
			/* A failed poll: let read report what is wrong. */
			if (n > 0 && (fds[1].revents & POLLIN))
				return FD_READ_STOPPED;
		}
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}
