/*
 * metrics_http.h - the metrics_listen HTTP listener, served in the agent
 */
#ifndef SLUICE_METRICS_HTTP_H
#define SLUICE_METRICS_HTTP_H

#include <stddef.h>

#include "config/config.h"

/*
 * metrics_http_start - serve GET /metrics on the listening socket fd
 * (bound by the master) with the snapshots of cur; 0, or -1 with why
 */
int	metrics_http_start(int fd, struct config_holder *cur, char *why,
	    size_t whylen);

#endif
