/*
 * msglog.h - the message log: a row per message in SQLite
 *
 * With log_db set, every message the engine judges becomes a row of
 * the table messages, and each filter run a row of runs (the schema is
 * in sluice.conf(5) and in msglog.c).  The rows are written by a
 * thread of their own, in batches, so the mail path only copies a
 * record into a queue; a full queue, a full disk or a broken database
 * loses rows (counted and logged), never holds mail back.
 */
#ifndef SLUICE_MSGLOG_H
#define SLUICE_MSGLOG_H

#include <stddef.h>

#include "config/config.h"
#include "lib/json.h"

/* what sluicectl log asks for */
struct msglog_query {
	long long	 since;		/* Unix time; 0: any */
	const char	*verdict;	/* NULL: any */
	const char	*sender;	/* a regex, NULL: any */
	const char	*recipient;	/* a regex on each, NULL: any */
	long		 limit;		/* the newest this many */
};

/*
 * msglog_start - in the agent, as its user: open (or make) log_db of
 * cur's snapshot, start the writer and hook it to the engine; nothing
 * when log_db is not set.  0, or -1 with why.
 */
int	msglog_start(struct config_holder *cur, char *why, size_t whylen);
/* msglog_stop - write what is queued and close (a clean stop) */
void	msglog_stop(void);
/* msglog_rows - the rows q asks for into j's array "messages"; 0, or
 * -1 with why */
int	msglog_rows(const struct msglog_query *q, struct json *j, char *why,
	    size_t whylen);
/* msglog_stats - rows written and lost since the start */
void	msglog_stats(unsigned long long *written, unsigned long long *lost);

#endif
