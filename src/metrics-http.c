/* metrics-http.c - the runtime server's metrics over HTTP, for a
 * Prometheus to scrape: GET /metrics answers the exposition
 * (metrics.c); anything else is 404.  Off unless `server --metrics`
 * asks, and on loopback unless an address says otherwise: the ids of
 * the kernels are nobody else's business. */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "metrics.h"
#include "metrics-http.h"
#include "server.h"

/* Requests are small and quick: these bound a client that is not. */
#define MAX_HEADERS (8u << 10)
#define REQUEST_TIMEOUT_S 10

static void answer(struct evhttp_request *req, void *arg)
{
	rk_runtime *rt = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "the metrics are at "
				  "/metrics");
		return;
	}
	char **ids;
	size_t n, len = 0;
	rk_error rc = rk_kernel_ids(rt, &ids, &n);
	char *text = rc == RK_OK ? metrics_exposition(rt, ids, n, &len, &rc)
				 : NULL;
	if (rc == RK_OK || ids)
		rk_free_ids(ids, n);
	if (!text) {
		evhttp_send_error(req, HTTP_INTERNAL, rk_strerror(rc));
		return;
	}
	struct evbuffer *body = evbuffer_new();
	evbuffer_add(body, text, len);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "text/plain; version=0.0.4; "
			  "charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* "PORT", "HOST:PORT" or "[V6]:PORT" into host and port; false when it
 * is none of them. */
static bool split_address(const char *addr, char *host, size_t cap,
			  unsigned *port)
{
	const char *colon = strrchr(addr, ':');
	const char *p = colon ? colon + 1 : addr;
	char *end;
	unsigned long n = strtoul(p, &end, 10);

	if (!*p || *end || n > 65535 || (p[0] < '0' || p[0] > '9'))
		return false;
	*port = (unsigned)n;
	if (!colon) {
		snprintf(host, cap, "127.0.0.1");
		return true;
	}
	size_t len = (size_t)(colon - addr);
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len == 0 || len >= cap)
		return false;
	memcpy(host, addr, len);
	host[len] = '\0';
	return true;
}

struct evhttp *metrics_http_start(struct event_base *base, rk_runtime *rt,
				  const char *addr, char *said, size_t cap)
{
	char host[256];
	unsigned port;

	if (!split_address(addr, host, sizeof(host), &port)) {
		snprintf(said, cap, "--metrics wants [HOST:]PORT, not '%s'",
			 addr);
		return NULL;
	}
	struct evhttp *http = evhttp_new(base);
	if (!http) {
		snprintf(said, cap, "cannot serve HTTP: out of memory");
		return NULL;
	}
	evhttp_set_max_headers_size(http, MAX_HEADERS);
	evhttp_set_max_body_size(http, 0);
	evhttp_set_timeout(http, REQUEST_TIMEOUT_S);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(http, answer, rt);
	struct evhttp_bound_socket *bound =
		evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port);
	if (!bound) {
		snprintf(said, cap, "cannot serve metrics on %s port %u (in "
			 "use, or not an address of this machine)", host,
			 port);
		evhttp_free(http);
		return NULL;
	}
	/* Port 0 takes a free one: say which. */
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char shown[INET6_ADDRSTRLEN] = "?";
	if (getsockname(evhttp_bound_socket_get_fd(bound),
			(struct sockaddr *)&sa, &sl) == 0) {
		bool v6 = sa.ss_family == AF_INET6;
		const void *a = v6 ? (const void *)&((struct sockaddr_in6 *)&sa)
				     ->sin6_addr
				   : (const void *)&((struct sockaddr_in *)&sa)
				     ->sin_addr;
		inet_ntop(sa.ss_family, a, shown, sizeof(shown));
		port = ntohs(v6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
			   : ((struct sockaddr_in *)&sa)->sin_port);
		snprintf(said, cap, v6 ? "metrics on http://[%s]:%u/metrics"
			 : "metrics on http://%s:%u/metrics", shown, port);
	}
	return http;
}
