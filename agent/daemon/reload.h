/*
 * reload.h - hot reload: the master decides, the agent swaps
 *
 * The master is the authority on the configuration: a reload, whatever
 * asked for it (SIGHUP, sluicectl reload, a changed file with
 * watch_config), is parsed and checked there first, completely, with
 * the modules loaded in a throw-away process.  A good one is then
 * loaded by the agent itself, which must come to the same files (their
 * names and bytes hash the same), loads its modules, hands every
 * filter whose definition did not change its old state (breaker,
 * slots, figures), and swaps the snapshot: messages in flight finish
 * with the one they started with.  Nothing is restarted, no connection
 * closed.
 *
 * The master and the agent talk over a SOCK_SEQPACKET pair, one text
 * packet per message:
 *   master -> agent  "load DIGEST"       load the files; DIGEST in hex
 *   agent -> master  "loaded OK KEPT NEW\n" then the errors, a line each
 *   agent -> master  "reload REQ"        a client asks (REQ > 0)
 *   master -> agent  "result REQ OK WHEN TRIGGER KEPT NEW RELOADS LOADED\n"
 *                    then the errors: the outcome, for status and for
 *                    client REQ (0: nobody asked over the socket), with
 *                    the good reloads so far and when the running
 *                    configuration was loaded
 */
#ifndef SLUICE_RELOAD_H
#define SLUICE_RELOAD_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"

#define RELOAD_MSG_MAX		(60 * 1024)
#define RELOAD_WAIT_MS		180000	/* a client waits this long */

/* how a reload went */
struct reload_result {
	long long	 req;
	int		 ok;
	time_t		 when;		/* 0: none yet */
	char		 trigger[32];	/* "signal", "sluicectl", "file" */
	int		 kept;		/* filters that kept their state */
	int		 fresh;		/* filters with a new state */
	char		*errors;	/* lines; NULL when none */
};

/*
 * reload_agent_start - in the agent: serve the master's end chan (a
 * thread of its own) for the snapshots of cur; conf and overrides are
 * what the master loads.  0, or -1 with why.
 */
int	reload_agent_start(int chan, struct config_holder *cur,
	    const char *conf, char *const *overrides, char *why,
	    size_t whylen);
/* reload_request - ask the master for a reload and wait for its
 * outcome (at most RELOAD_WAIT_MS); 0 with *r filled (ok or not), -1
 * with why when there was no answer */
int	reload_request(struct reload_result *r, char *why, size_t whylen);
/* reload_last - a copy of the last outcome (when == 0: none yet) */
void	reload_last(struct reload_result *r);
/* reload_counts - the good reloads so far and when the running config
 * was loaded, as the master last said; left alone before it has */
void	reload_counts(int *n, time_t *when);
void	reload_result_free(struct reload_result *r);

/* reload_format, reload_parse - the "result" and "loaded" packets */
size_t	reload_format(char *buf, size_t len, const char *head,
	    const char *errors);
/*
 * reload_carry - give each filter of n whose definition is that of a
 * filter of old the old one's state; counts into *kept and *fresh
 */
void	reload_carry(struct config *n, const struct config *old, int *kept,
	    int *fresh);

#endif
