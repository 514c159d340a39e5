/*
 * control.h - the control socket, served in the agent
 *
 * The master binds the socket (control_socket, control_owner,
 * control_group, control_mode) and the agent serves it: sluicectl's
 * status, filters, enable, disable, reset and metrics.  Requests and
 * answers are in lib/ctlproto.h.
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "config/config.h"
#include "lib/buf.h"

/* what the master knows and the agent reports; set before the agent is
 * forked, so the agent has its own copy */
struct control_info {
	const char	*conf;		/* the main config file */
	pid_t		 master;
	time_t		 started;	/* when sluiced started */
	time_t		 loaded;	/* when the running config was read */
	int		 reloads;	/* good reloads since the start */
};

extern struct control_info	control_info;

/*
 * control_start - serve the listening socket fd on a thread of its
 * own, with the snapshots of cur; 0, or -1 with why
 */
int	control_start(int fd, struct config_holder *cur, char *why,
	    size_t whylen);
/* control_quiesce - take no new request (a draining agent: its
 * successor answers) */
void	control_quiesce(void);
/* control_metrics - the Prometheus text exposition of cfg's figures */
void	control_metrics(struct config *cfg, struct buf *out);

#endif
