/*
 * agent.c - the agent process: everything that touches mail
 *
 * Forked by the master with the listening sockets and its end of the
 * launcher's control socket.  It registers with libmilter and takes over
 * libmilter's socket while still root (milter_setup makes a throwaway
 * socket in run_dir), drops to the sluice user, and serves the MTA.
 * Filter programs are never forked here: engine_spawn goes through the
 * launcher.
 *
 * SECURITY: handles mail as the unprivileged sluice user.
 * ERRORS: a setup failure exits 1 with a log line; the master restarts
 * the agent with a back-off.
 */
#include <stdlib.h>

#include "agent.h"
#include "engine.h"
#include "launcher.h"
#include "log.h"
#include "milter.h"
#include "privsep.h"

/* how long a stopping agent lets running connections finish */
#define DRAIN_SECONDS	60

static struct config	*current;

/* agent_config - the snapshot new messages start with */
struct config *
agent_config(void)
{
	config_ref(current);
	return current;
}

/* agent_main - set up, drop privileges, serve; exits */
void
agent_main(struct config *cfg, const struct listener *ls, size_t nls,
    int ctlfd)
{
	char	why[300];

	current = cfg;
	launcher_client_init(ctlfd);
	engine_spawn = launcher_spawn;
	if (milter_setup(cfg, ls, nls, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (privsep_drop(cfg->user, cfg->uid, cfg->gid, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	exit(milter_run(DRAIN_SECONDS));
}
