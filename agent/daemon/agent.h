/*
 * agent.h - sluiced's processes: master, agent
 */
#ifndef SLUICE_AGENT_H
#define SLUICE_AGENT_H

#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "lib/listen.h"

/* agent_main - the agent process, tied to the master (its pid, and
 * lifefd, the read end of its lifeline), serving the control socket
 * controlfd and metrics over HTTP on metricsfd unless they are -1, and
 * loading conf (with overrides) again
 * when the master says so over chan (reload.h); never returns */
void	agent_main(struct config *, const struct listener *milter, size_t,
	    const struct listener *smtp, size_t, int ctlfd, pid_t master,
	    int lifefd, int controlfd, int metricsfd, int chan,
	    const char *conf, char *const *overrides)
	    __attribute__((noreturn));

/*
 * master_main - open what the children need, detach when asked (then
 * logging to syslog with facility), start the launcher and the agent,
 * keep them running, reload on SIGHUP, stop on SIGTERM/SIGINT.  conf
 * and overrides are kept for reloads.  Returns the exit status.
 */
int	master_main(const char *conf, char *const *overrides,
	    struct config *cfg, int detach, int facility);

#endif
