/* metrics-http.h - the server's /metrics over HTTP (metrics-http.c). */
#ifndef RINGCTL_METRICS_HTTP_H
#define RINGCTL_METRICS_HTTP_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

#include <ringkernel.h>

/* Serve GET /metrics on addr ("PORT": loopback, "HOST:PORT",
 * "[V6]:PORT"; port 0 takes a free one) from the server's event loop.
 * NULL with *said saying why; else *said names where it listens.  Free
 * with evhttp_free. */
struct evhttp *metrics_http_start(struct event_base *base, rk_runtime *rt,
				  const char *addr, char *said, size_t cap);

#endif /* RINGCTL_METRICS_HTTP_H */
