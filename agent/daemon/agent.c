/*
 * agent.c - the agent process: everything that touches mail
 *
 * Forked by the master with the listening sockets and its end of the
 * launcher's control socket.  When there are milter sockets it registers
 * with libmilter and takes over libmilter's socket while still root
 * (milter_setup makes a throwaway socket in run_dir); the SMTP/LMTP
 * content-filter sockets get their own accepting thread.  Then it drops
 * to the sluice user and serves.  Filter programs are never forked here:
 * engine_spawn goes through the launcher.
 *
 * When the master ends, so does the agent, at once (privsep.c).
 *
 * A reload swaps the snapshot in this process (reload.c): the master
 * checks the new configuration, this process loads it again and keeps
 * the state of every filter whose definition did not change.
 *
 * SIGUSR1 (from the master, at stop) drains: no new
 * connections, the open ones finish (at most DRAIN_SECONDS), then exit.
 * libmilter is not asked to stop: once it gets SIGTERM it stops reading
 * commands on open connections, which would then hang until timeout.
 *
 * SECURITY: handles mail as the unprivileged sluice user.
 * ERRORS: a setup failure exits 1 with a log line; the master restarts
 * the agent with a back-off.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon/agent.h"
#include "daemon/control.h"
#include "daemon/launcher.h"
#include "daemon/metrics_http.h"
#include "daemon/modpool.h"
#include "daemon/msglog.h"
#include "daemon/privsep.h"
#include "daemon/reload.h"
#include "engine/engine.h"
#include "engine/engine_module.h"
#include "lib/log.h"
#include "milter/milter.h"
#include "smtp/smtp_server.h"

/* how long a stopping agent lets running connections finish */
#define DRAIN_SECONDS	60

static struct config_holder	 current;	/* what new messages use */
static int			 have_milter;
static int			 lifeline = -1;

/* open_sessions - connections of both front ends */
static int
open_sessions(void)
{
	return (have_milter ? milter_sessions() : 0) + smtp_server_sessions();
}

/* drainer - on SIGUSR1: take nothing new, let the open connections
 * finish, then end the process */
static void *
drainer(void *arg)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	sigset_t	 set;
	int		 sig, n, waited = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) != 0)
		;
	control_quiesce();
	if (have_milter)
		milter_mux_quiesce();
	smtp_server_quiesce();
	if ((n = open_sessions()) > 0)
		log_info("agent: letting %d connection%s finish (at most "
		    "%d s)", n, n == 1 ? "" : "s", DRAIN_SECONDS);
	while ((n = open_sessions()) > 0) {
		if (waited++ >= DRAIN_SECONDS * 10) {
			log_warnx("agent: %d connection%s still open after "
			    "%d s; closing", n, n == 1 ? "" : "s",
			    DRAIN_SECONDS);
			break;
		}
		nanosleep(&ts, NULL);
	}
	msglog_stop();
	/*
	 * Nothing is left to do.  smfi_stop() would wait for libmilter's
	 * listener, which holds its lock through a 5 s poll, so end here.
	 */
	exit(0);
}

/* watcher - end the agent when the master has ended: its messages are
 * still with the MTA, and a new sluiced needs the listening sockets */
static void *
watcher(void *arg)
{
	struct pollfd	pfd = { .fd = lifeline, .events = POLLIN };

	(void)arg;
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	log_warnx("agent: the master is gone; stopping");
	_exit(1);
}

/* load_modules - the modules of the first snapshot, in this process and
 * as its user; the master checked them the same way, so a failure here
 * is one that came since (a file changed): the agent cannot serve */
static void
load_modules(struct config *cfg)
{
	struct config_errors	e = { 0 };
	size_t			i;

	if (engine_modules_load(cfg, &e) == 0)
		return;
	for (i = 0; i < e.n; i++)
		log_warnx("agent: %s", e.msg[i]);
	fatalx("agent: %zu module%s could not be loaded", e.n,
	    e.n == 1 ? "" : "s");
}

/* agent_main - set up, drop privileges, tie to the master, serve;
 * exits */
void
agent_main(struct config *cfg, const struct listener *ms, size_t nms,
    const struct listener *ss, size_t nss, int ctlfd, pid_t master,
    int lifefd, int controlfd, int metricsfd, int chan, const char *conf,
    char *const *ov)
{
	pthread_t	t;
	sigset_t	set;
	char		why[300];

	config_holder_init(&current, cfg);
	have_milter = nms > 0;
	launcher_client_init(ctlfd);
	engine_spawn = launcher_spawn;
	/* blocked here, so in every thread made later: only the drainer
	 * takes it */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (have_milter && milter_setup(&current, ms, nms, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (privsep_drop(cfg->user, cfg->uid, cfg->gid, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	privsep_tie(master, "agent");
	if (modpool_init(cfg, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	load_modules(cfg);
	lifeline = lifefd;
	if (pthread_create(&t, NULL, watcher, NULL) != 0)
		fatalx("agent: cannot start a thread");
	pthread_detach(t);
	if (pthread_create(&t, NULL, drainer, NULL) != 0)
		fatalx("agent: cannot start a thread");
	pthread_detach(t);
	if (msglog_start(&current, why, sizeof(why)) != 0)
		fatalx("agent: log_db: %s", why);
	if (reload_agent_start(chan, &current, conf, ov, why,
	    sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (controlfd >= 0 &&
	    control_start(controlfd, &current, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (metricsfd >= 0 &&
	    metrics_http_start(metricsfd, &current, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (smtp_server_start(&current, ss, nss, why, sizeof(why)) != 0)
		fatalx("agent: %s", why);
	if (have_milter)
		exit(milter_run());
	for (;;)
		pause();
}
