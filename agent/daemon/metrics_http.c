/*
 * metrics_http.c - /metrics over HTTP, for a Prometheus server
 *
 * With metrics_listen set, the master binds the socket and the agent
 * serves it with libmicrohttpd (one internal thread, at most
 * HTTP_CONNS connections, HTTP_TIMEOUT_S each): GET or HEAD /metrics
 * answers the same text as "sluicectl metrics"; anything else is 404 or
 * 405.  It changes nothing, so it asks for no credentials: keep it on
 * loopback (the default host) or behind a firewall.
 *
 * SECURITY: nothing of the request is used beyond its method and path.
 * ERRORS: a failure to start is the agent's start failure; a request
 * that fails is libmicrohttpd's to answer.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include <stdio.h>
#include <string.h>

#include "daemon/control.h"
#include "daemon/metrics_http.h"
#include "lib/buf.h"
#include "lib/why.h"

#define HTTP_CONNS	8
#define HTTP_TIMEOUT_S	5

static struct config_holder	*holder;
static struct MHD_Daemon	*mhd;

/* reply - a fixed answer with this status */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type", "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, "Allow", "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *datalen, void **state)
{
	struct MHD_Response	*r;
	struct config		*cfg;
	struct buf		 b;
	enum MHD_Result		 rc;
	size_t			 len;
	char			*text;

	(void)cls;
	(void)version;
	(void)data;
	/* the first call, for the head, gets no answer yet */
	if (*state == NULL) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (*datalen != 0)
		return reply(c, MHD_HTTP_BAD_REQUEST, "no body, please\n");
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "try /metrics\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "GET or HEAD only\n");
	buf_init(&b, 0);
	cfg = config_holder_get(holder);
	control_metrics(cfg, &b);
	config_unref(&cfg);
	text = buf_steal(&b, &len);
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

int
metrics_http_start(int fd, struct config_holder *cur, char *why,
    size_t whylen)
{
	holder = cur;
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
	    MHD_OPTION_END);
	if (mhd == NULL)
		return why_set(why, whylen, "metrics_listen: libmicrohttpd "
		    "did not start");
	return 0;
}
